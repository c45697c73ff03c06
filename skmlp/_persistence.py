"""Fitted state as plain data, so that loading a model trusts few types.

``skops.io`` loads an object only if its type is trusted, and every class of
skmlp is untrusted until the user says otherwise. The training state behind
``partial_fit`` is made of skmlp's own :class:`~typing.NamedTuple` classes
(optimizer moments, schedule and stopping-rule states, batch-normalisation
parameters, the best weights of early stopping), and the estimator keeps the
hidden activation as an object: each would be one more type to trust.

:func:`plain_state` writes them as dicts of builtins and arrays, tagged with
the class's path; :func:`restored_state` rebuilds them, looking the class up
in skmlp's own imported modules only (never importing anything a file
names), so loading constructs nothing skops has not vetted but skmlp's
NamedTuples and skmlp's parameter-only components. The estimators and the
callbacks use both through :class:`PlainStateMixin`, so pickle, joblib and
``copy.deepcopy`` take the same path; pickles written before this module
existed, holding the objects themselves, still load.

What is left to trust is the estimator's class and the class of every
component the user passed as an object (README, "Saving models").
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from ._params import ParamsMixin

__all__ = ["PlainStateMixin", "plain_state", "restored_state"]

#: The key of a dict that stands for an skmlp object: its class's path, beside
#: ``"arguments"``, the keyword arguments that rebuild it.
_CLASS = "__skmlp_class__"


class PlainStateMixin:
    """``__getstate__``/``__setstate__`` that keep skmlp's objects as plain data.

    Wraps the state of the next class in the method resolution order
    (scikit-learn's ``BaseEstimator``, or ``object``) with
    :func:`plain_state` and :func:`restored_state`.
    """

    def __getstate__(self) -> dict[str, Any]:
        return plain_state(super().__getstate__() or {})

    def __setstate__(self, state: dict[str, Any]) -> None:
        state = restored_state(state)
        parent = getattr(super(), "__setstate__", None)
        if parent is None:
            vars(self).update(state)
        else:
            parent(state)


def plain_state(state: dict[str, Any]) -> dict[str, Any]:
    """``state`` (an object's ``__dict__``) with skmlp's objects as plain data.

    skmlp's NamedTuples become tagged dicts wherever they are (in lists,
    tuples and dicts too); a built-in component becomes its class path and
    parameters when it is a private attribute's value (the object the
    estimator built from a name, such as the hidden activation), not a
    user's parameter. The given dict and its values are not modified.
    """
    return {name: _plain(value, components=name.startswith("_"))
            for name, value in state.items()}


def restored_state(state: dict[str, Any]) -> dict[str, Any]:
    """The inverse of :func:`plain_state`.

    Raises
    ------
    ValueError
        When the state names an skmlp class that this version of skmlp does
        not have (a model saved by another version).
    """
    return {name: _restored(value) for name, value in state.items()}


def _path(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _skmlp_class(path: str) -> type | None:
    """The class at ``path`` if an imported module of skmlp defines it."""
    module_name, _, name = path.rpartition(".")
    if module_name.partition(".")[0] != "skmlp":
        return None
    cls = getattr(sys.modules.get(module_name), name, None)
    return cls if isinstance(cls, type) else None


def _is_named_tuple(cls: type) -> bool:
    return issubclass(cls, tuple) and hasattr(cls, "_fields")


def _is_specification(value: Any) -> bool:
    """A component that holds its parameters and nothing else."""
    return (isinstance(value, ParamsMixin)
            and vars(value).keys() == value.get_params(deep=False).keys())


def _plain(value: Any, *, components: bool) -> Any:
    cls = type(value)
    if _skmlp_class(_path(cls)) is cls:
        if _is_named_tuple(cls):
            return {_CLASS: _path(cls),
                    "arguments": _plain(value._asdict(), components=components)}
        if components and _is_specification(value):
            return {_CLASS: _path(cls),
                    "arguments": _plain(value.get_params(deep=False), components=True)}
    return _map_items(value, lambda item: _plain(item, components=components))


def _restored(value: Any) -> Any:
    if type(value) is dict and _CLASS in value:
        cls = _skmlp_class(value[_CLASS])
        if cls is None or not (_is_named_tuple(cls) or issubclass(cls, ParamsMixin)):
            raise ValueError(
                f"The saved model holds a {value[_CLASS]}, which this version of "
                "skmlp does not have: load it with the version that saved it."
            )
        return cls(**_restored(value["arguments"]))
    return _map_items(value, _restored)


def _map_items(value: Any, function: Callable[[Any], Any]) -> Any:
    """``value`` with ``function`` applied to its items if it is a dict, a
    list or a tuple; ``value`` itself when no item changes."""
    if type(value) is dict:
        items = {key: function(item) for key, item in value.items()}
        new, old = items.values(), value.values()
    elif type(value) in (list, tuple):
        items = type(value)(function(item) for item in value)
        new, old = items, value
    else:
        return value
    return items if any(a is not b for a, b in zip(new, old, strict=True)) else value
