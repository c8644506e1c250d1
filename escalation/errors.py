"""The escalation package's exceptions: one base, :class:`EscalationError`, with a stable ``code``.

Adapters translate ``code`` to their own world (an HTTP status, a log event); the message is for
people reading logs.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar


class EscalationError(Exception):
    """Base of every error raised by the escalation package."""

    code: ClassVar[str] = "escalation_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class PolicyError(EscalationError):
    """The escalation policy is invalid; ``problems`` holds one line per bad key path.

    Each problem starts with the dotted key path it is about, for example
    ``tiers.remedy.enter: must be a number between 0 and 1, got 'high'``.
    """

    code = "policy_invalid"

    def __init__(self, problems: Iterable[str], source: str = "escalation policy") -> None:
        self.problems = tuple(problems)
        if len(self.problems) == 1:
            message = f"{source}: {self.problems[0]}"
        else:
            lines = "\n".join(f"  - {problem}" for problem in self.problems)
            message = f"{source}: {len(self.problems)} problems\n{lines}"
        super().__init__(message)


class InvalidSignalError(EscalationError, ValueError):
    """A :class:`~escalation.signals.TurnSignal` field is out of range or malformed."""

    code = "signal_invalid"
