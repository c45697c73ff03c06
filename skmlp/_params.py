"""Parameter handling shared by every pluggable component.

Optimizers, schedulers, activations, losses, initialisers and callbacks are
*specifications*: their constructor only stores hyperparameters. This module
gives them scikit-learn's ``get_params``/``set_params`` contract (so ``clone``,
``GridSearchCV`` with ``solver__beta_1`` and pickling work with no extra code)
and turns a name-or-object specification into a fresh, validated component.
"""

from __future__ import annotations

import difflib
import functools
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar, TypeVar

from sklearn import get_config
from sklearn.base import BaseEstimator, clone
from sklearn.utils._param_validation import (
    InvalidParameterError,
    Options,
    make_constraint,
    validate_parameter_constraints,
)
from sklearn.utils._pprint import _changed_params

__all__ = [
    "Component",
    "ParamsMixin",
    "make_registry",
    "param_names",
    "publish",
    "resolve",
    "validate_params",
]

T = TypeVar("T")


@functools.cache
def _signature_param_names(cls: type) -> tuple[str, ...]:
    return tuple(BaseEstimator._get_param_names.__func__(cls))


def param_names(cls: type) -> list[str]:
    """``BaseEstimator._get_param_names``, read once per class.

    The constructor's parameter names, sorted. scikit-learn reads them from
    ``inspect.signature`` on every ``get_params`` (tens of microseconds;
    every fit, ``clone`` and ``repr`` calls it several times); they cannot
    change while the class exists. Use as
    ``_get_param_names = classmethod(param_names)``.
    """
    return list(_signature_param_names(cls))


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

    #: The registry key of a built-in (``"adam"``); ``None`` for a component
    #: that is only ever passed as an object.
    name: ClassVar[str | None] = None

    #: The estimator-level parameters (``beta_1``, ``power_t``, ...) that this
    #: component reads when it is given *by name*: each becomes the
    #: constructor argument of the same name. Only the names listed here are
    #: passed, so a new component inherits nothing it does not declare.
    estimator_params: ClassVar[tuple[str, ...]] = ()

    _get_param_names = classmethod(param_names)
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
        validate_params(self._parameter_constraints, self.get_params(deep=False),
                        caller_name=type(self).__name__)

    def __repr__(self) -> str:
        """The class and its hyperparameters, as scikit-learn shows estimators.

        Only the hyperparameters that differ from their defaults are shown
        (scikit-learn's rule, nested components included), unless
        ``sklearn.set_config(print_changed_only=False)`` or
        ``sklearn.config_context(print_changed_only=False)`` asks for all of
        them. The repr is one line, so that an estimator's repr can nest it.
        """
        params = (_changed_params(self) if get_config()["print_changed_only"]
                  else self.get_params(deep=False))
        arguments = ", ".join(f"{name}={value!r}" for name, value in params.items())
        return f"{type(self).__name__}({arguments})"


class Component(Options):
    """A parameter constraint: the name of a built-in, or a component object.

    Its message lists the names sorted, then the kind of object accepted
    (no protocol internals); :func:`validate_params` adds the closest name
    ("did you mean 'adam'?") to the error for a misspelt name.

    Parameters
    ----------
    registry : mapping of str to type
        The built-ins by name.
    base : type
        The base class of the family; objects are accepted when they are
        instances of it (the hooks the trainer calls are its methods).
    extra_names : iterable of str, default=()
        Names accepted besides the registry's (``"lbfgs"`` for ``solver``).
    """

    def __init__(self, registry: Mapping[str, type], base: type,
                 extra_names: Iterable[str] = ()):
        super().__init__(object, {*registry, *extra_names})
        self.registry = registry
        self.base = base
        self.names = sorted({*registry, *extra_names})

    def is_satisfied_by(self, val: Any) -> bool:
        if isinstance(val, str):
            return val in self.names
        return isinstance(val, self.base)

    def closest_name(self, val: Any) -> str | None:
        """The valid name closest to a misspelt ``val``, if any is close."""
        if not isinstance(val, str):
            return None
        matches = difflib.get_close_matches(val.lower(), self.names, n=1)
        return matches[0] if matches else None

    def __str__(self) -> str:
        names = ", ".join(repr(name) for name in self.names)
        article = "an" if self.base.__name__[0] in "AEIOU" else "a"
        return f"one of {names}, or {article} {self.base.__name__} instance"


def validate_params(constraints: Mapping[str, list], params: Mapping[str, Any], *,
                    caller_name: str) -> None:
    """scikit-learn's parameter validation, with better component errors.

    A value that fails a :class:`Component` constraint gets a message that
    lists the valid names sorted and, for a misspelt name, the closest one
    ("did you mean 'adam'?"); a class passed where an instance belongs is told
    to add ``()``. Every other parameter is validated by
    :func:`sklearn.utils._param_validation.validate_parameter_constraints`.

    Raises
    ------
    InvalidParameterError
        A subclass of ``ValueError`` and ``TypeError``.
    """
    made = _made_constraints(constraints)
    if all(param not in made or any(c.is_satisfied_by(value) for c in made[param])
           for param, value in params.items()):
        return  # valid: scikit-learn's test, with its constraint objects made once
    for param, value in params.items():
        options = constraints.get(param)
        if not isinstance(options, list):
            continue
        components = [c for c in options if isinstance(c, Component)]
        if not components or any(
            not isinstance(c, Component) and _is_satisfied(c, value)
            for c in options
        ) or any(c.is_satisfied_by(value) for c in components):
            continue
        component = components[0]
        message = (f"The {param!r} parameter of {caller_name} must be "
                   f"{component}. Got {value!r} instead.")
        if isinstance(value, type):
            message += f" Pass an instance: {value.__name__}()."
        elif (closest := component.closest_name(value)) is not None:
            message += f" Did you mean {closest!r}?"
        raise InvalidParameterError(message)
    validate_parameter_constraints(constraints, params, caller_name=caller_name)


#: ``id(constraints) -> (constraints, {param: [constraint object, ...]})``.
_MADE_CONSTRAINTS: dict[int, tuple[Mapping, dict[str, list]]] = {}


def _made_constraints(constraints: Mapping[str, list]) -> dict[str, list]:
    """The constraint objects of ``constraints`` (``make_constraint``), made
    once per mapping: scikit-learn makes them on every validation (tens of
    microseconds per estimator), and the mappings are class attributes that
    never change."""
    cached = _MADE_CONSTRAINTS.get(id(constraints))
    if cached is None or cached[0] is not constraints:
        made = {param: [make_constraint(c) for c in options]
                for param, options in constraints.items()
                if options != "no_validation"}
        cached = _MADE_CONSTRAINTS[id(constraints)] = (constraints, made)
    return cached[1]


def _is_satisfied(constraint: Any, value: Any) -> bool:
    return make_constraint(constraint).is_satisfied_by(value)


def make_registry(*classes: type[T]) -> dict[str, type[T]]:
    """The registry of built-ins ``{cls.name: cls}``, from their declarations.

    Raises
    ------
    ValueError
        When a class declares no name, or two declare the same one.
    """
    registry: dict[str, type[T]] = {}
    for cls in classes:
        name = getattr(cls, "name", None)
        if not isinstance(name, str) or name in registry:
            raise ValueError(f"{cls.__name__} needs a unique `name`, got {name!r}.")
        registry[name] = cls
    return registry


def publish(package: str, namespace: Mapping[str, Any]) -> None:
    """Make ``package`` the module of the classes it exports (``__all__``).

    A component package's classes are documented, pickled and doctested as
    its members, whichever private module defines them: pickles name the
    public path (``skmlp.optimizers.Adam``), and string annotations resolve
    in the package. Python 3.13's ``inspect.getsource`` reads a class at its
    ``__firstlineno__`` in its module's file, which is then the package's
    ``__init__.py``: the line number goes too, so that it says "source code
    not available", as earlier Pythons do, instead of reading whatever is on
    that line there (autodoc failed on it).
    """
    for name in namespace["__all__"]:
        cls = namespace[name]
        if isinstance(cls, type):
            cls.__module__ = package
            if "__firstlineno__" in vars(cls):
                del cls.__firstlineno__


def resolve(
    spec: str | T,
    registry: Mapping[str, type[T]],
    /,
    *,
    estimator_params: Mapping[str, Any] | None = None,
) -> T:
    """Turn a component given by name or as an object into a fresh component.

    Parameters
    ----------
    spec : str or object
        A key of ``registry`` or a component instance.
    registry : mapping of str to type
        The built-in components by name.
    estimator_params : mapping, default=None
        The estimator's own parameters (``momentum``, ``beta_1``,
        ``power_t``, ...). A named built-in receives those listed in its
        class's :attr:`~ParamsMixin.estimator_params` declaration; an object
        keeps its own parameters (the estimator checks for conflicts).

    Returns
    -------
    component : object
        A new instance: the user's object is never mutated by training.

    Raises
    ------
    InvalidParameterError
        When ``spec`` is a class rather than an instance, an unknown name,
        or the component's hyperparameters are invalid.
    """
    if isinstance(spec, type):  # Adam for Adam(): would fail obscurely later
        raise InvalidParameterError(
            f"Got the class {spec.__name__} where a name or an instance is "
            f"expected: pass {spec.__name__}() instead."
        )
    if isinstance(spec, str):
        if spec not in registry:
            constraint = Component(registry, object)
            closest = constraint.closest_name(spec)
            raise InvalidParameterError(
                f"Unknown name {spec!r}: expected one of "
                f"{', '.join(map(repr, constraint.names))}."
                + (f" Did you mean {closest!r}?" if closest else "")
            )
        cls = registry[spec]
        given = estimator_params or {}
        component = cls(**{name: given[name] for name in cls.estimator_params
                           if name in given})
    else:
        component = clone(spec, safe=False)
    if hasattr(component, "_validate_params"):
        component._validate_params()
    return component
