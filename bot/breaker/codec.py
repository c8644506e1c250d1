"""JSON encoding of the core's frozen dataclasses (conversation states and their decisions).

The codec walks dataclass fields with their type hints, so a field added to the core is stored
without touching this module. Supported: dataclasses, enums, ``tuple[X, ...]``,
``frozenset[X]``, ``Mapping[str, JSON]``, ``X | None`` and JSON scalars.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import types
import typing
from collections.abc import Mapping
from functools import cache
from typing import Any

from bot.breaker.errors import StateCodecError
from escalation.state import ConversationState


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    if isinstance(value, frozenset | set):
        return sorted(_plain(item) for item in value)
    return value


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _build(hint: Any, raw: Any) -> Any:
    origin = typing.get_origin(hint)
    if origin in (types.UnionType, typing.Union):
        if raw is None:
            return None
        options = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        return _build(options[0], raw) if len(options) == 1 else raw
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        hints = _hints(hint)
        kwargs = {f.name: _build(hints[f.name], raw[f.name]) for f in dataclasses.fields(hint)}
        return hint(**kwargs)
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return hint(raw)
    if origin is tuple:
        args = typing.get_args(hint)
        return tuple(_build(args[0], item) for item in raw)
    if origin is frozenset:
        return frozenset(_build(typing.get_args(hint)[0], item) for item in raw)
    if hint is float and isinstance(raw, int):
        return float(raw)
    return raw


def encode_state(state: ConversationState) -> str:
    """Encode a conversation state as compact JSON."""
    return json.dumps(_plain(state), separators=(",", ":"))


def decode_state(text: str) -> ConversationState:
    """Decode :func:`encode_state`'s output.

    Raises:
        StateCodecError: The text is not a stored state of the current shape.
    """
    try:
        state = _build(ConversationState, json.loads(text))
    except (KeyError, TypeError, ValueError) as error:
        raise StateCodecError(f"stored conversation state unreadable: {error}") from error
    assert isinstance(state, ConversationState)
    return state
