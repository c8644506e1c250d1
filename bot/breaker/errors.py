"""The breaker adapters' exception base."""

from __future__ import annotations


class BreakerError(Exception):
    """Base of every error raised by :mod:`bot.breaker`."""


class StateCodecError(BreakerError):
    """A stored conversation state could not be decoded."""


class LedgerError(BreakerError):
    """The remedy ledger could not complete a reservation (database trouble, retries spent)."""


class IncidentNotFound(BreakerError):
    """No incident has the requested id."""
