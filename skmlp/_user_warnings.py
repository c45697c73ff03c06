"""Warnings that point at the user's line.

A warning raised deep inside a fit would otherwise name a line of skmlp or
of scikit-learn's ``fit`` wrapper (``sklearn/base.py``), and a fixed
``stacklevel`` cannot be right for every path (``fit``, ``partial_fit``,
inside a ``Pipeline`` or a search). :func:`warn_user` attributes the warning
to the first frame outside skmlp, scikit-learn and joblib (which runs the
fits of ``cross_val_score`` and the searches): the user's code.
"""

from __future__ import annotations

import os
import sys
import warnings

import joblib
import sklearn

__all__ = ["warn_user"]

#: Where the frames to skip come from: these packages' directories.
_INTERNAL_PREFIXES = tuple(
    os.path.dirname(module.__file__) + os.sep
    for module in (sys.modules[__package__], sklearn, joblib)
)


def warn_user(message: str, category: type[Warning] = UserWarning) -> None:
    """Issue ``message`` as a ``category`` warning at the user's line.

    Parameters
    ----------
    message : str
    category : Warning subclass, default=UserWarning
    """
    level, frame = 1, sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(
            _INTERNAL_PREFIXES):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level + 1)
