"""Parameter handling shared by every pluggable component.

Optimizers, schedulers, activations, losses, initialisers and callbacks are
*specifications*: their constructor only stores hyperparameters. This module
gives them scikit-learn's ``get_params``/``set_params`` contract (so ``clone``,
``GridSearchCV`` with ``solver__beta_1`` and pickling work with no extra code)
and turns a name-or-object specification into a fresh, validated component.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any, ClassVar, TypeVar

from sklearn.base import BaseEstimator, clone
from sklearn.utils._param_validation import (
    InvalidParameterError,
    validate_parameter_constraints,
)

__all__ = ["ParamsMixin", "resolve"]

T = TypeVar("T")


class ParamsMixin:
    """``get_params``/``set_params``/``__repr__`` for component specifications.

    Subclasses declare their hyperparameters as explicit keyword arguments of
    ``__init__`` (no ``*args``/``**kwargs``), store them unchanged under the
    same names, and describe valid values in ``_parameter_constraints`` with
    scikit-learn's constraint vocabulary. Validation runs when a component is
    resolved for training, never in ``__init__``.

    The methods are borrowed from :class:`sklearn.base.BaseEstimator` rather
    than inherited, so that components are not mistaken for estimators.
    """

    _parameter_constraints: ClassVar[dict[str, list]] = {}

    _get_param_names = classmethod(BaseEstimator._get_param_names.__func__)
    get_params = BaseEstimator.get_params
    set_params = BaseEstimator.set_params

    def _validate_params(self) -> None:
        """Check every hyperparameter against ``_parameter_constraints``.

        Raises
        ------
        sklearn.utils._param_validation.InvalidParameterError
            A subclass of ``ValueError`` and ``TypeError`` that names the
            parameter, the component, the value received and what is allowed.
        """
        validate_parameter_constraints(
            self._parameter_constraints,
            self.get_params(deep=False),
            caller_name=type(self).__name__,
        )

    def __repr__(self) -> str:
        """Show the class and the hyperparameters that differ from defaults."""
        defaults = {}
        if type(self).__init__ is not object.__init__:
            signature = inspect.signature(type(self).__init__)
            defaults = {name: p.default for name, p in signature.parameters.items()}
        changed = [
            f"{name}={value!r}"
            for name, value in self.get_params(deep=False).items()
            if repr(value) != repr(defaults.get(name))
        ]
        return f"{type(self).__name__}({', '.join(changed)})"


def resolve(
    spec: str | T,
    registry: Mapping[str, type[T]],
    /,
    *,
    flat_params: Mapping[str, Any] | None = None,
) -> T:
    """Turn a component given by name or as an object into a fresh component.

    Parameters
    ----------
    spec : str or object
        A key of ``registry`` or a component instance.
    registry : mapping of str to type
        The built-in components by name.
    flat_params : mapping, default=None
        The estimator's flat scikit-learn parameters (``momentum``,
        ``beta_1``, ``power_t``, ...). A named built-in receives those whose
        names are among its own constructor parameters; an object ignores
        them, its own parameters win.

    Returns
    -------
    component : object
        A new instance: the user's object is never mutated by training.

    Raises
    ------
    InvalidParameterError
        When ``spec`` is a class rather than an instance, or the component's
        hyperparameters are invalid.
    """
    if isinstance(spec, type):  # Adam for Adam(): would fail obscurely later
        raise InvalidParameterError(
            f"Got the class {spec.__name__} where a name or an instance is "
            f"expected: pass {spec.__name__}() instead."
        )
    if isinstance(spec, str):
        cls = registry[spec]
        accepted = set(cls._get_param_names())
        kwargs = {k: v for k, v in (flat_params or {}).items() if k in accepted}
        component = cls(**kwargs)
    else:
        component = clone(spec, safe=False)
    if hasattr(component, "_validate_params"):
        component._validate_params()
    return component
