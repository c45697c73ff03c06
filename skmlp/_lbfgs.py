"""Full-batch training with scipy's L-BFGS-B, as scikit-learn's ``"lbfgs"``."""

from __future__ import annotations

import numpy as np
import scipy.optimize
from numpy.typing import NDArray
from sklearn.utils.optimize import _check_optimize_result

from ._network import Network, Workspace
from ._training import as_targets
from .losses import Loss


def train_lbfgs(network: Network, params: NDArray, X, Y: NDArray,
                sample_weight: NDArray | None, loss: Loss, *, alpha: float,
                max_iter: int, max_fun: int, tol: float, verbose: bool) -> dict:
    """Minimise the regularised loss over the flat parameter vector.

    The parameter vector is already in scikit-learn's packed order, so it is
    handed to scipy as it is. scipy works in float64; the network computes in
    the dtype of ``params`` (float32 stays float32).

    Returns
    -------
    fitted : dict
        ``_params`` (the solution), ``n_iter_``, ``loss_`` and
        ``loss_curve_`` (the loss after every iteration).
    """
    Y = as_targets(Y, params.dtype)
    workspace = Workspace(network, X.shape[0], params.dtype, training=True)
    grads, scratch = np.empty_like(params), np.empty_like(params)
    loss_curve = []

    def loss_and_grad(x):
        np.copyto(params, x, casting="same_kind")
        value = network.loss_and_gradient(
            params, X, Y, sample_weight, loss=loss, alpha=alpha,
            workspace=workspace, grads=grads, scratch=scratch,
        )
        return value, grads.astype(np.float64)

    def record(intermediate_result):
        loss_curve.append(float(intermediate_result.fun))
        if verbose:
            print(f"Iteration {len(loss_curve)}, loss = {loss_curve[-1]:.8f}")

    result = scipy.optimize.minimize(
        loss_and_grad, params.astype(np.float64), method="L-BFGS-B", jac=True,
        callback=record,
        options={"maxfun": max_fun, "maxiter": max_iter, "gtol": tol},
    )
    n_iter = _check_optimize_result("lbfgs", result, max_iter)
    final = result.x.astype(params.dtype)
    if not np.isfinite(final).all():
        raise ValueError(
            "Solver produced non-finite parameter weights. The input data may"
            " contain large values and need to be preprocessed."
        )
    if not np.isfinite(result.fun):  # finite weights, overflowing outputs
        raise ValueError(
            "L-BFGS diverged: the loss at its solution is not finite (the "
            "network's outputs overflow on the training data), so nothing "
            "finite could be kept from this call. Scale the input data "
            "(e.g. StandardScaler)."
        )
    return {"_params": final, "n_iter_": n_iter, "loss_": float(result.fun),
            "loss_curve_": loss_curve}
