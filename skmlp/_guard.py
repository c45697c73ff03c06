r"""Divergence handling: what a stochastic call hands back when training blows up.

A :class:`DivergenceGuard` watches one ``fit``/``partial_fit`` call. It keeps
one restore point, the call's *best* epoch so far (lowest training loss, or
best validation score under ``early_stopping``), and at the end decides what
the call returns:

- the last epoch, when training ended normally and its outputs are finite;
- otherwise (a non-finite loss or weight, or finite weights whose outputs
  overflow) the best epoch, if its outputs are finite;
- otherwise nothing: the estimator stays as it was before the call, or, when
  there is nothing to stay with (a first fit), the call raises.

"Outputs are finite" is proven without a forward pass when
:func:`outputs_surely_finite` can (from bounds on the weights, the input and
what each activation declares), and checked with a forward pass over the
training data otherwise.
"""

from __future__ import annotations

import functools
import math
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from ._network import Network
from ._states import replace


class Diverged(Exception):
    """The loss or the weights stopped being finite during an epoch."""


class NothingFinite(Exception):
    """No epoch of a call gave a network with finite outputs.

    The estimator raises a :class:`ValueError` with this message on a first
    fit, and otherwise keeps its fitted state and warns.
    """


def max_abs(X) -> float:
    """The largest magnitude of an entry of dense or sparse ``X`` (0 if empty)."""
    data = X.data if sp.issparse(X) else X
    return max(float(data.max()), -float(data.min())) if data.size else 0.0


@np.errstate(over="ignore", invalid="ignore")  # overflow just means "not proven"
def outputs_surely_finite(network: Network, params: NDArray, norm_stats: NDArray,
                          input_bound: float) -> bool:
    r"""A cheap, sufficient test that the network's outputs are finite.

    Propagates a bound on the magnitudes through the layers, for inputs whose
    entries lie in ``[-input_bound, input_bound]``: with :math:`B` the bound
    on the previous layer's outputs,

    .. math::

        |z_j| \le B \sum_k |W_{kj}| + |b_j|,

    through batch normalisation (prediction mode, running statistics)
    :math:`|\gamma_j (z_j - \mu_j)/\sqrt{\sigma^2_j + \epsilon} + \beta_j| \le
    (|z_j| + |\mu_j|)\,|\gamma_j| / \sqrt{\sigma^2_j + \epsilon} + |\beta_j|`,
    and through the activation by its declared
    :meth:`~skmlp.activations.Activation.output_bound`. Costs O(n_params),
    not a forward pass. ``False`` means "not proven" (large weights, or an
    activation that declares no bound), not "non-finite".
    """
    limit = float(np.finfo(params.dtype).max) * 1e-3  # room for rounding
    views = network.views(params, norm_stats)
    bound = float(input_bound)
    last = len(views.coefs) - 1
    for layer, (W, b, activation) in enumerate(
        zip(views.coefs, views.intercepts, network.activations)
    ):
        # In float64 whatever the parameters' dtype: the bound must not round down.
        z_bound = (bound * np.abs(W).sum(axis=0, dtype=np.float64)
                   + np.abs(b).astype(np.float64))
        if views.batch_norm is not None and layer < last:
            scales, offsets, means, variances = (
                np.abs(arrays[layer]).astype(np.float64) for arrays in views.batch_norm
            )
            z_bound = ((z_bound + means) * scales
                       / np.sqrt(variances + network.BATCH_NORM_EPSILON) + offsets)
        bound = float(z_bound.max()) if z_bound.size else 0.0
        if not bound < limit:  # also catches nan
            return False
        bound = activation.output_bound(bound)
        if bound is None or not bound < limit:
            return False
    return True


class Checkpoint(NamedTuple):
    """A restore point: a snapshot of the training state after an epoch.

    Attributes
    ----------
    state : TrainingState
        The training state after that epoch: the live one until
        :meth:`DivergenceGuard.protect_best` replaces it with a deep copy
        (:meth:`TrainingState.snapshot`).
    epoch : int
        The epoch it was taken after (``history_`` numbering).
    n_iter : int
        Epochs completed in this call.
    """

    state: object
    epoch: int
    n_iter: int


class DivergenceGuard:
    """Keeps the best epoch of a call as a restore point; says what to return.

    Parameters
    ----------
    network : Network
    X : ndarray or sparse matrix
        All the rows the returned network must give finite outputs on (the
        validation rows included).
    criterion : str
        What "best" means, for the warning: ``"lowest training loss"`` or
        ``"best validation score"``.
    continued : bool, default=False
        Whether the call continues a fitted model, whose best epoch so far
        (from earlier calls) an epoch of this call must beat to be kept.
    """

    def __init__(self, network: Network, X, criterion: str, *,
                 continued: bool = False):
        self.network = network
        self.X = X
        self.criterion = criterion
        self.continued = continued
        self.best: Checkpoint | None = None
        self._best_is_live = False

    @functools.cached_property
    def input_bound(self) -> float:
        """The largest magnitude in ``X``: a pass over the data, taken only
        when a call's outcome is checked, not for every fit."""
        return max_abs(self.X)

    def keep_best(self, state, *, epoch: int, n_iter: int) -> None:
        """Make the state after ``epoch`` the restore point (it is the best).

        The state is not copied yet: :meth:`protect_best` copies it when the
        next epoch is about to change it in place. A call's last epoch (a
        ``partial_fit``'s only one) is thus kept without a copy, in time or
        memory.
        """
        self.best = Checkpoint(state, epoch, n_iter)
        self._best_is_live = True

    def protect_best(self) -> None:
        """Copy the restore point out of the live training state: call it
        before every epoch, which updates that state in place."""
        if self._best_is_live:
            self.best = replace(self.best, state=self.best.state.snapshot())
            self._best_is_live = False

    def outputs_finite(self, params: NDArray, norm_stats: NDArray) -> bool:
        """Whether the network gives finite outputs on every row of ``X``."""
        if not np.isfinite(params).all():
            return False
        if outputs_surely_finite(self.network, params, norm_stats, self.input_bound):
            return True
        with np.errstate(over="ignore", invalid="ignore"):
            output = self.network.predict_params(params, self.X, norm_stats)
        return bool(np.isfinite(output).all())

    def choose(self, last_params: NDArray, last_norm_stats: NDArray, *,
               diverged_in: int | None, completed: int
               ) -> tuple[Checkpoint | None, str | None]:
        """What the call returns, and the warning to give.

        Parameters
        ----------
        last_params, last_norm_stats : ndarray
            The weights the call would return if nothing went wrong.
        diverged_in : int or None
            The epoch whose loss or weights became non-finite, if any.
        completed : int
            The epochs this call completed.

        Returns
        -------
        restore : Checkpoint or None
            ``None`` with no message: keep the last state. A checkpoint: roll
            back to it. ``None`` with a message: nothing finite was kept from
            this call.
        message : str or None
            Why, for a :class:`~sklearn.exceptions.ConvergenceWarning`.
        """
        if diverged_in is None:
            if self.outputs_finite(last_params, last_norm_stats):
                return None, None
            diverged_in = math.nan  # finite weights, overflowing outputs
        problem = ("non-finite loss or weights" if not math.isnan(diverged_in)
                   else "outputs overflow on the training data")
        where = "" if math.isnan(diverged_in) else f" in epoch {diverged_in}"
        best = self.best
        if best is not None and self.outputs_finite(best.state.params,
                                                    best.state.norm_stats):
            return best, (f"Training diverged ({problem}){where}; kept epoch "
                          f"{best.epoch}, the epoch with the {self.criterion}. "
                          "Lower learning_rate_init, scale the input data or "
                          "clip the gradients.")
        # No epoch of the call was the best so far (its first diverged, or a
        # warm start's never beat the best it started from), or the best one's
        # outputs overflow.
        what = ("gave finite outputs" if best is not None or not completed
                or not self.continued
                else f"improved on the {self.criterion} it started from")
        return None, (f"Training diverged ({problem}){where} and no epoch of this "
                      f"call {what}. Scale the input data (e.g. StandardScaler), "
                      "lower learning_rate_init, or clip the gradients.")
