"""Exceptions of :mod:`bot.stackbench` (one base class, reported at the CLI edge)."""

from __future__ import annotations


class StackBenchError(Exception):
    """Base class for errors while preparing or running the stack benchmark."""
