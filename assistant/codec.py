"""Typed records <-> JSON values, for state that travels with a request instead of staying on a server.

`encode(record)` turns a frozen dataclass (with nested records, tuples, mappings and
str/int/float/bool/None fields) into lists, dicts and scalars. `decode(kind, value)` builds the
record back and checks every field against the record's type hints, so a value that was changed or
cut on its way through a browser fails with a RequestError naming the field, instead of turning up
later as a wrong answer or a crash. The chat page uses it to carry the conversation (ui.py).
"""

from __future__ import annotations

import collections.abc
import dataclasses
import math
import types
import typing
from functools import cache
from typing import Any, Literal, Mapping, Union

from .errors import RequestError


def encode(value: Any) -> Any:
    """A record (or any value of a field) as JSON-ready lists, dicts and scalars."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (tuple, list)):
        return [encode(item) for item in value]
    if isinstance(value, Mapping):
        return {str(key): encode(item) for key, item in value.items()}
    return value


def decode(kind: Any, value: Any, where: str = "value") -> Any:
    """`value` (from `encode`, through JSON) as `kind`; RequestError names the first bad field."""
    origin = typing.get_origin(kind)
    if dataclasses.is_dataclass(kind):
        return _decode_record(kind, value, where)
    if origin in (Union, types.UnionType):
        return _decode_union(typing.get_args(kind), value, where)
    if origin is Literal:
        if value not in typing.get_args(kind):
            raise _wrong(where, f"one of {', '.join(map(repr, typing.get_args(kind)))}", value)
        return value
    if origin is tuple:
        return _decode_tuple(typing.get_args(kind), value, where)
    if origin in (dict, collections.abc.Mapping):
        key_kind, item_kind = typing.get_args(kind)
        if not isinstance(value, dict):
            raise _wrong(where, "an object", value)
        return {decode(key_kind, k, f"{where} key"): decode(item_kind, v, f"{where}.{k}") for k, v in value.items()}
    return _decode_scalar(kind, value, where)


def _decode_record(kind: type, value: Any, where: str) -> Any:
    if not isinstance(value, dict):
        raise _wrong(where, "an object", value)
    hints = _field_types(kind)
    unknown = sorted(set(value) - set(hints))
    if unknown:  # names shown as repr, cut short: they come from outside
        raise RequestError(f"The page's {where} has unknown field(s): {', '.join(repr(u)[:40] for u in unknown[:5])}.")
    values = {}
    for f in dataclasses.fields(kind):
        if f.name in value:
            values[f.name] = decode(hints[f.name], value[f.name], f"{where}.{f.name}")
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise RequestError(f"The page's {where} has no '{f.name}'.")
    return kind(**values)


@cache
def _field_types(kind: type) -> dict[str, Any]:
    return typing.get_type_hints(kind)


def _decode_union(options: tuple[Any, ...], value: Any, where: str) -> Any:
    if value is None and type(None) in options:
        return None
    problems: list[RequestError] = []
    for option in options:
        if option is type(None):
            continue
        try:
            return decode(option, value, where)
        except RequestError as error:
            problems.append(error)
    if len(problems) == 1:  # "X | None": the one real type's message says it best
        raise problems[0]
    raise _wrong(where, " or ".join(_name(o) for o in options), value)


def _decode_tuple(args: tuple[Any, ...], value: Any, where: str) -> tuple:
    if not isinstance(value, list):
        raise _wrong(where, "a list", value)
    if len(args) == 2 and args[1] is Ellipsis:  # tuple[X, ...]
        return tuple(decode(args[0], item, f"{where}[{i}]") for i, item in enumerate(value))
    if len(value) != len(args):
        raise _wrong(where, f"a list of {len(args)}", value)
    return tuple(decode(arg, item, f"{where}[{i}]") for i, (arg, item) in enumerate(zip(args, value)))


def _decode_scalar(kind: Any, value: Any, where: str) -> Any:
    if kind is float and type(value) in (int, float):  # JSON writes 2.0 as 2
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
        if not math.isfinite(number):
            raise _wrong(where, "a finite number", value)
        return number
    if kind in (str, int, bool) and type(value) is kind:
        return value
    if kind is type(None) and value is None:
        return None
    if kind in (str, int, float, bool, type(None)):
        raise _wrong(where, _name(kind), value)
    raise TypeError(f"codec cannot decode fields of type {kind!r}")  # a record type this module does not know


def _name(kind: Any) -> str:
    return {str: "text", int: "an integer", float: "a number", bool: "true or false", type(None): "null"}.get(
        kind, getattr(kind, "__name__", str(kind)))


def _wrong(where: str, expected: str, value: Any) -> RequestError:
    if value is None:
        shown = "null"
    elif isinstance(value, (str, int, float)):
        shown = repr(value)[:40]
    else:
        shown = "a list" if isinstance(value, list) else "an object" if isinstance(value, dict) else type(value).__name__
    return RequestError(f"The page's {where} should be {expected}, not {shown}.")


__all__ = ["decode", "encode"]
