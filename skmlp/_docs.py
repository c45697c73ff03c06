"""Docstring text shared by both estimators (written once, used twice), and
where the documentation lives.

The names accepted by ``activation``, ``solver``, ``learning_rate`` and
``weight_init``, and the components that read ``momentum``, ``beta_1``,
``power_t`` and the like, come from the registries and the components'
declarations, so the docs cannot drift from what the estimators do.

:data:`DOC_URL_TEMPLATE` is the one setting for links to the API reference:
the "?" of the estimators' HTML repr in notebooks (scikit-learn's hook,
:class:`DocLinkMixin`), and the links of its parameter table.
"""

from __future__ import annotations

import inspect
import textwrap
from collections.abc import Iterable
from itertools import takewhile
from string import Template
from typing import Any

from sklearn.utils.fixes import parse_version

from .activations import HIDDEN_ACTIVATIONS
from .initializers import INITIALIZERS
from .optimizers import OPTIMIZERS
from .schedulers import SCHEDULERS

#: The page of a public class in skmlp's API reference (Sphinx autosummary
#: pages). ``{version_url}`` is ``"stable"`` for a release and ``"latest"``
#: for a development version (Read the Docs' names), ``{module}`` the public
#: module that exports the class (``skmlp``, ``skmlp.optimizers``) and
#: ``{name}`` the class name.
DOC_URL_TEMPLATE = ("https://skmlp.readthedocs.io/en/{version_url}/api/generated/"
                    "{module}.{name}.html")


def doc_url_params(cls: type) -> dict[str, str]:
    """The fields of :data:`DOC_URL_TEMPLATE` for ``cls``.

    The module is the class's module up to its first private part
    (``skmlp._classifier`` gives ``skmlp``), where skmlp exports it.
    """
    from . import __version__  # set by the package after importing this module

    version_url = "stable" if parse_version(__version__).dev is None else "latest"
    module = ".".join(takewhile(lambda part: not part.startswith("_"),
                                cls.__module__.split(".")))
    return {"version_url": version_url, "module": module, "name": cls.__name__}


class DocLinkMixin:
    """Links an estimator's HTML repr to its page in skmlp's API reference.

    The three attributes are scikit-learn's hook
    (``sklearn.utils._repr_html.base._HTMLDocumentationLinkMixin``): the
    link is :data:`DOC_URL_TEMPLATE`, read when the repr is drawn, for
    classes defined in skmlp; a subclass defined elsewhere gets no link.
    """

    _doc_link_module = "skmlp"

    @property
    def _doc_link_template(self) -> str:
        return DOC_URL_TEMPLATE

    def _doc_link_url_param_generator(self) -> dict[str, Any]:
        return doc_url_params(type(self))


def _name_set(names: Iterable[str]) -> str:
    """``{"a", "b"}``: names for a numpydoc type line, in registry order."""
    return "{" + ", ".join(f'"{name}"' for name in names) + "}"


#: The estimator parameters that name components, and their registries.
_FAMILIES = {"solver": OPTIMIZERS, "learning_rate": SCHEDULERS}


def _readers(param: str) -> str:
    """Who reads estimator parameter ``param``: ``solver`` in {"sgd"}."""
    readers = [
        f"``{keyword}`` in {_name_set(names)}"
        for keyword, registry in _FAMILIES.items()
        if (names := [name for name, cls in registry.items()
                      if param in cls.estimator_params])
    ]
    return " and ".join(readers)


_COMMON_PARAMETERS = Template("""\
    hidden_layer_sizes : array-like of shape (n_layers - 2,), default=(100,)
        The ith element is the number of neurons in the ith hidden layer.

    activation : $activation_names or Activation, default="relu"
        Activation of the hidden layers: a name, or an instance from
        :mod:`skmlp.activations` (for parameters such as
        ``LeakyReLU(negative_slope=0.1)``) or of your own subclass.
        scikit-learn's four names behave exactly as in scikit-learn.

    solver : $solver_names or Optimizer, default="adam"
        The weight optimizer: ``"lbfgs"`` (scipy's quasi-Newton method,
        full batch), the name of any optimizer in
        :data:`skmlp.optimizers.OPTIMIZERS`, or an
        :class:`~skmlp.optimizers.Optimizer` instance such as
        ``Adam(beta_1=0.85)``, whose parameters are searchable as
        ``solver__beta_1``. ``"sgd"`` and ``"adam"`` reproduce scikit-learn.
        Given by name, an optimizer reads the estimator parameters it
        declares (``momentum``, ``beta_1``, ...: "read by" below); an
        object keeps its own, and setting one of those estimator parameters
        to a non-default value beside it raises a ``ValueError`` (it would
        be ignored). ``solver__beta_1`` needs the object form. With
        ``"lbfgs"``, the settings L-BFGS cannot honour (``batch_norm``,
        ``dropout``, gradient clipping, a schedule other than
        scikit-learn's three names, callbacks with mini-batch hooks) raise a
        ``ValueError`` before training; scikit-learn's own parameters are
        ignored as in scikit-learn.

    alpha : float, default=0.0001
        Strength of the L2 regularisation term, divided by the sample size
        when added to the loss.

    batch_size : int, default="auto"
        Size of minibatches for stochastic optimizers; ``"auto"`` means
        ``min(200, n_samples)``. ``batch_size=n_samples`` is batch gradient
        descent, ``batch_size=1`` stochastic gradient descent. Unused by
        ``"lbfgs"``.

    learning_rate : $learning_rate_names or Scheduler, default="constant"
        Learning-rate schedule: the name of any schedule in
        :data:`skmlp.schedulers.SCHEDULERS` or a
        :class:`~skmlp.schedulers.Scheduler` instance. ``"constant"``,
        ``"invscaling"`` and ``"adaptive"`` reproduce scikit-learn; as in
        scikit-learn, ``"invscaling"`` and ``"adaptive"`` are ignored when
        ``solver="adam"`` is given by name. Other schedules apply to every
        stochastic solver (``"lbfgs"`` refuses them). Given by name, a
        schedule reads the estimator parameters it declares ("read by"
        below). Schedules with a length (one-cycle, polynomial, cosine) span
        the fit's ``max_iter`` epochs unless given one; ``partial_fit`` has
        no such horizon and asks for it.

    learning_rate_init : float, default=0.001
        The initial learning rate; schedules scale it. Unused by ``"lbfgs"``.

    power_t : float, default=0.5
        Exponent of the inverse-scaling decay. Read by
        $power_t_readers.

    max_iter : int, default=200
        Maximum number of iterations: epochs for stochastic solvers,
        iterations for ``"lbfgs"``.

    shuffle : bool, default=True
        Whether to shuffle samples in each epoch (stochastic solvers).

    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, the early-stopping split and batch
        shuffling. Pass an int for reproducible results.

    tol : float, default=1e-4
        Tolerance: an epoch improves when its loss is at least ``tol`` below
        the lowest so far (its validation score at least ``tol`` above the
        best, with early stopping). After more than ``n_iter_no_change``
        epochs in a row without improvement the schedule's ``on_plateau``
        decides (most stop training; ``"adaptive"`` divides the rate by 5).
        This is scikit-learn's rule, shared with
        :class:`~skmlp.callbacks.EarlyStopping` and
        :class:`~skmlp.schedulers.ReduceLROnPlateau`. Reaching ``max_iter``
        warns (``ConvergenceWarning``) unless the schedule was planned to
        end there.

    verbose : bool, default=False
        Whether to print progress messages to stdout.

    warm_start : bool, default=False
        Reuse the weights of the previous call to ``fit`` as initialisation
        (the optimizer and schedule start afresh, as in scikit-learn).

    momentum : float, default=0.9
        Momentum, in [0, 1]. Read by
        $momentum_readers.

    nesterovs_momentum : bool, default=True
        Whether to use Nesterov's momentum. Read by
        $nesterovs_momentum_readers.

    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data (or use the
        ``X_val``, ``y_val`` passed to ``fit``) and stop when the validation
        score stops improving; the best weights are kept. Ignored by
        ``"lbfgs"``, as in scikit-learn.

    validation_fraction : float, default=0.1
        Proportion of training data held out for early stopping, in [0, 1),
        when no validation data is passed to ``fit``.

    beta_1 : float, default=0.9
        Decay of the first-moment estimate, in [0, 1). Read by
        $beta_1_readers.

    beta_2 : float, default=0.999
        Decay of the second-moment estimate, in [0, 1). Read by
        $beta_2_readers.

    epsilon : float, default=1e-8
        Numerical-stability constant. Read by
        $epsilon_readers.

    n_iter_no_change : int, default=10
        Epochs without improvement by ``tol`` before the plateau rule applies.

    max_fun : int, default=15000
        Maximum number of loss evaluations of ``"lbfgs"``.

    weight_init : $weight_init_names or Initializer, default="sklearn"
        Weight initialisation. ``"sklearn"`` is scikit-learn's rule (uniform
        weights and biases in ±√(6/(fan_in+fan_out)), ±√(2/...) for
        logistic), so that training starts exactly where scikit-learn's does;
        Glorot (Xavier) and He rules draw weights and zero the biases. An
        :class:`~skmlp.initializers.Initializer` object must return finite
        ``(coef, intercept)`` arrays of shapes ``(fan_in, fan_out)`` and
        ``(fan_out,)``; anything else raises a ``ValueError``. New in skmlp.

    batch_norm : bool, default=False
        Normalise every hidden layer's pre-activations over the mini-batch,
        then scale and shift them by learnable γ and β (updated by the same
        optimizer): :math:`z \\leftarrow \\gamma (z - \\mu_B) /
        \\sqrt{\\sigma_B^2 + 10^{-5}} + \\beta`. Running averages of the batch
        statistics (momentum 0.1) replace them at predict time, so predictions
        don't depend on the batch. Stochastic solvers only. New in skmlp.

    dropout : float, default=0.0
        Probability of zeroing each hidden unit during training (inverted
        dropout: kept units are scaled by ``1 / (1 - dropout)``; nothing is
        dropped at predict time). Masks are drawn reproducibly from
        ``random_state``. Stochastic solvers only. New in skmlp.

    clip_grad_norm : float, default=None
        If set, after backpropagation and before the optimizer step, rescale
        the gradient of all parameters together when its L2 norm exceeds this
        value (gradient clipping by global norm). Stochastic solvers only.
        New in skmlp.

    clip_grad_value : float, default=None
        If set, clip every gradient component to ``[-clip_grad_value,
        clip_grad_value]`` (applied before ``clip_grad_norm``). Stochastic
        solvers only. New in skmlp.

    callbacks : list of Callback, default=None
        Hooks called during training (see :mod:`skmlp.callbacks`): at train
        begin and end, after each epoch (can stop training), after each
        mini-batch and when gradients are computed. With ``"lbfgs"`` an
        epoch is one L-BFGS iteration and there are no mini-batches. Each
        call works on clones, left as ``callbacks_``. New in skmlp.
""").substitute(
    activation_names=_name_set(HIDDEN_ACTIVATIONS),
    solver_names=_name_set(["lbfgs", *OPTIMIZERS]),
    learning_rate_names=_name_set(SCHEDULERS),
    weight_init_names=_name_set(INITIALIZERS),
    **{f"{param}_readers": _readers(param)
       for registry in _FAMILIES.values() for cls in registry.values()
       for param in cls.estimator_params},
)

_COMMON_ATTRIBUTES = """\
    loss_ : float
        The loss of the last epoch (stochastic solvers) or at the solution
        (``"lbfgs"``).

    best_loss_ : float or None
        The minimum loss reached (stochastic solvers); ``None`` with early
        stopping, which tracks ``best_validation_score_`` instead.

    loss_curve_ : list of float
        The loss at the end of each epoch (or L-BFGS iteration).

    history_ : list of dict
        One record per epoch (or L-BFGS iteration): ``"epoch"``, ``"loss"``,
        ``"validation_score"`` and ``"validation_loss"`` (``None`` without
        early stopping),
        ``"learning_rate"``, ``"time"`` (seconds) and ``"grad_norms"`` (for
        every layer, the L2 norm of ∂J/∂W⁽ˡ⁾ averaged over the epoch's
        mini-batches; ``"learning_rate"`` and ``"grad_norms"`` are ``None``
        for L-BFGS). New in skmlp.

    batch_norm_scales_, batch_norm_offsets_ : list of ndarray or None
        γ and β of every hidden layer, with ``batch_norm=True`` (else None).

    batch_norm_running_means_, batch_norm_running_vars_ : list of ndarray or None
        The running averages used at predict time, with ``batch_norm=True``.

    callbacks_ : list of Callback
        The clones of ``callbacks`` used by the last call. New in skmlp.

    learning_rate_curve_ : list of float
        The learning rate at the start of each epoch (stochastic solvers).
        New in skmlp.

    validation_scores_ : list of float or None
        Score on the validation data after each epoch, with early stopping.

    validation_loss_curve_ : list of float or None
        The loss on the validation data after each epoch, with early
        stopping: the loss of ``loss_curve_`` without its L2 penalty term
        (and without dropout). ``None`` without validation data. New in
        skmlp.

    best_validation_score_ : float or None
        The best of ``validation_scores_``, with early stopping.

    stopped_epoch_ : int or None
        The epoch (1-based, as in ``history_``) after which the stopping
        rule (``tol``/``n_iter_no_change`` on the training loss, or on the
        validation score under ``early_stopping``) ended training; ``None``
        when it did not (``max_iter`` reached, a callback stopped it,
        ``"lbfgs"``, or ``partial_fit`` without validation data, which trains
        on whatever the rule says, as in scikit-learn). After
        ``partial_fit`` with validation data stopped, further calls leave
        the model unchanged. New in skmlp.

    t_ : int
        Number of training samples seen by the solver.

    coefs_ : list of ndarray of shape (n_layers - 1,)
        ``coefs_[i]`` is the weight matrix between layers ``i`` and ``i + 1``.

    intercepts_ : list of ndarray of shape (n_layers - 1,)
        ``intercepts_[i]`` is the bias vector of layer ``i + 1``.

    n_features_in_ : int
        Number of features seen during fit.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when ``X`` has string column names.

    n_iter_ : int
        Number of iterations (epochs) run by the solver in the last call.

    n_layers_ : int
        Number of layers, input and output included.

    n_outputs_ : int
        Number of outputs.

    out_activation_ : str
        Name of the output activation.
"""


#: The text of ``fit``'s and ``partial_fit``'s shared placeholders.
_METHOD_DOCS = {
    "validation_parameters": """\
X_val : {array-like, sparse matrix} of shape (n_val, n_features), \
        default=None
    Validation data for early stopping, in place of a random
    ``validation_fraction`` of ``X`` (needs ``early_stopping=True``
    and ``y_val``). In a :class:`~sklearn.pipeline.Pipeline`,
    ``transform_input=["X_val"]`` transforms it as ``X`` is. New in
    skmlp (scikit-learn's ``HistGradientBoosting`` convention).
y_val : array-like of shape (n_val,) or (n_val, n_outputs), \
        default=None
    The targets of ``X_val``.
sample_weight_val : array-like of shape (n_val,), default=None
    Weights of the validation samples.
""",
    "partial_fit_validation": """\
With validation data (and ``early_stopping=True``), every call
records its validation score and loss, and the stopping rule counts
calls: once it stops training (``stopped_epoch_`` is set), the model
is set to the weights of the best call and later calls leave it
unchanged (``n_iter_`` is 0, with a ``ConvergenceWarning``).
""",
}


def fill_method_docs(method):
    """Insert the shared ``{validation_parameters}`` and
    ``{partial_fit_validation}`` texts into a method's docstring (decorate
    the method first: ``functools.wraps`` copies the docstring).

    Raises
    ------
    ValueError
        If the docstring has none of the placeholders.
    """
    doc = inspect.cleandoc(method.__doc__)
    found = [name for name in _METHOD_DOCS if "{" + name + "}\n" in doc]
    if not found:
        raise ValueError(f"{method.__qualname__}'s docstring has no placeholder.")
    for name in found:
        doc = doc.replace("{" + name + "}\n", _METHOD_DOCS[name])
    method.__doc__ = doc
    return method


def fill_shared_docs(cls: type) -> type:
    """Insert the shared parameter and attribute docs into ``cls.__doc__``.

    The docstring is normalised with :func:`inspect.cleandoc` first, so the
    placeholders are found whether or not the interpreter strips docstring
    indentation at compile time (Python 3.13 does); the result reads the same
    through :func:`inspect.getdoc` on every version.

    Raises
    ------
    ValueError
        If a placeholder is missing (the docs would be silently incomplete).
    """
    doc = inspect.cleandoc(cls.__doc__)
    for placeholder, text in (("{common_parameters}\n", _COMMON_PARAMETERS),
                              ("{common_attributes}\n", _COMMON_ATTRIBUTES)):
        if placeholder not in doc:
            raise ValueError(f"{cls.__name__}'s docstring has no {placeholder!r}.")
        doc = doc.replace(placeholder, textwrap.dedent(text))
    cls.__doc__ = doc
    return cls
