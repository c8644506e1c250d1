"""A small validating reader for nested policy mappings that names the key path of every problem.

Readers never raise while reading: each problem is recorded (``tiers.remedy.enter: must be a
number between 0 and 1, got 'high'``) and a harmless fallback is returned, so one pass reports
every problem at once. Unknown keys are problems too (see :meth:`Section.finish`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import TypeVar

E = TypeVar("E", bound=StrEnum)


class Problems:
    """The problems found so far, one line each."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def add(self, path: str, message: str) -> None:
        """Record that the value at ``path`` is wrong."""
        self.lines.append(f"{path or '<root>'}: {message}")

    def about(self, *paths: str) -> bool:
        """Whether a problem was already recorded for any of ``paths`` or their parents."""
        prefixes: set[str] = set()
        for path in paths:
            parts = path.split(".")
            prefixes.update(".".join(parts[:end]) + ":" for end in range(1, len(parts) + 1))
        return any(line.startswith(prefix) for line in self.lines for prefix in prefixes)


def join_path(path: str, key: str | int) -> str:
    """Return the dotted path of ``key`` below ``path`` (``[i]`` for list indexes)."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def _range_words(kind: str, low: float | None, high: float | None) -> str:
    if low is not None and high is not None:
        return f"{kind} between {low:g} and {high:g}"
    if low is not None:
        return f"{kind} ≥ {low:g}"
    if high is not None:
        return f"{kind} ≤ {high:g}"
    return kind


class Section:
    """One mapping of the policy, read key by key.

    Args:
        value: The raw value (must be a mapping).
        path: Its dotted key path.
        problems: Where problems are recorded.
        missing: The section itself is missing (already reported): its keys are not
            reported as missing one by one.
    """

    def __init__(
        self, value: object, path: str, problems: Problems, *, missing: bool = False
    ) -> None:
        self.path = path
        self.problems = problems
        self.missing = missing
        self._seen: set[str] = set()
        if isinstance(value, Mapping):
            self._data: dict[str, object] = {str(key): item for key, item in value.items()}
        else:
            problems.add(path, f"must be a mapping, got {value!r}")
            self._data = {}
            self.missing = True

    def names(self) -> list[str]:
        """The keys present, in file order."""
        return list(self._data)

    def has(self, key: str) -> bool:
        """Whether ``key`` is present."""
        return key in self._data

    def raw(self, key: str) -> object:
        """The raw value of ``key`` (marks it read); ``None`` when missing."""
        self._seen.add(key)
        return self._data.get(key)

    def _take(self, key: str, required: bool) -> tuple[bool, object]:
        self._seen.add(key)
        if key not in self._data:
            if required and not self.missing:
                self.problems.add(join_path(self.path, key), "is required")
            return False, None
        return True, self._data[key]

    def number(
        self,
        key: str,
        *,
        low: float | None = None,
        high: float | None = None,
        default: float | None = None,
    ) -> float:
        """A number within ``[low, high]``; required unless ``default`` is given."""
        present, value = self._take(key, default is None)
        fallback = default if default is not None else (low if low is not None else 0.0)
        if not present:
            return fallback
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        if ok and isinstance(value, float) and not math.isfinite(value):
            ok = False
        if ok and low is not None and float(value) < low:  # type: ignore[arg-type]
            ok = False
        if ok and high is not None and float(value) > high:  # type: ignore[arg-type]
            ok = False
        if not ok:
            words = _range_words("a number", low, high)
            self.problems.add(join_path(self.path, key), f"must be {words}, got {value!r}")
            return fallback
        return float(value)  # type: ignore[arg-type]

    def integer(
        self,
        key: str,
        *,
        low: int | None = None,
        high: int | None = None,
        default: int | None = None,
    ) -> int:
        """An integer within ``[low, high]``; required unless ``default`` is given."""
        present, value = self._take(key, default is None)
        fallback = default if default is not None else (low if low is not None else 0)
        if not present:
            return fallback
        ok = isinstance(value, int) and not isinstance(value, bool)
        if ok and low is not None and value < low:  # type: ignore[operator]
            ok = False
        if ok and high is not None and value > high:  # type: ignore[operator]
            ok = False
        if not ok:
            words = _range_words("an integer", low, high)
            self.problems.add(join_path(self.path, key), f"must be {words}, got {value!r}")
            return fallback
        return int(value)  # type: ignore[call-overload]

    def boolean(self, key: str, *, default: bool) -> bool:
        """A boolean (``true`` / ``false``)."""
        present, value = self._take(key, False)
        if not present:
            return default
        if not isinstance(value, bool):
            self.problems.add(join_path(self.path, key), f"must be true or false, got {value!r}")
            return default
        return value

    def text(self, key: str, *, default: str | None = None) -> str:
        """A non-empty string; required unless ``default`` is given."""
        present, value = self._take(key, default is None)
        if not present:
            return default or ""
        if not isinstance(value, str) or not value.strip():
            message = f"must be a non-empty string, got {value!r}"
            self.problems.add(join_path(self.path, key), message)
            return default or ""
        return value

    def choice(self, key: str, enum: type[E], *, default: E | None = None) -> E | None:
        """One of the values of ``enum``; returns ``None`` when missing or invalid."""
        present, value = self._take(key, default is None)
        if not present:
            return default
        if isinstance(value, str) and value in {member.value for member in enum}:
            return enum(value)
        allowed = ", ".join(member.value for member in enum)
        self.problems.add(join_path(self.path, key), f"must be one of {allowed}, got {value!r}")
        return default

    def text_list(self, key: str, *, default: tuple[str, ...] = ()) -> tuple[str, ...]:
        """A list of non-empty strings."""
        present, value = self._take(key, False)
        if not present:
            return default
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            self.problems.add(
                join_path(self.path, key), f"must be a list of non-empty strings, got {value!r}"
            )
            return default
        return tuple(value)

    def section(self, key: str, *, required: bool = True) -> Section:
        """The mapping under ``key`` (an empty one when missing and not required)."""
        present, value = self._take(key, required)
        path = join_path(self.path, key)
        if not present:
            return Section({}, path, self.problems, missing=required or self.missing)
        return Section(value, path, self.problems, missing=self.missing)

    def section_list(self, key: str) -> list[Section]:
        """A required, non-empty list of mappings."""
        present, value = self._take(key, True)
        if not present:
            return []
        path = join_path(self.path, key)
        if not isinstance(value, list) or not value:
            self.problems.add(path, f"must be a non-empty list, got {value!r}")
            return []
        return [
            Section(item, join_path(path, index), self.problems) for index, item in enumerate(value)
        ]

    def finish(self, allowed_keys: Iterable[str] | None = None) -> None:
        """Record every key that was never read (or is not in ``allowed_keys``) as unknown."""
        expected = set(self._seen if allowed_keys is None else allowed_keys)
        allowed = ", ".join(sorted(expected))
        for key in self._data:
            if key not in expected:
                self.problems.add(join_path(self.path, key), f"unknown key (allowed: {allowed})")
