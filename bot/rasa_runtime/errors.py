"""Exceptions of :mod:`bot.rasa_runtime` (one base class, translated at the CLI edge)."""

from __future__ import annotations


class RasaRuntimeError(Exception):
    """Base class for errors while installing, training or running Rasa."""


class RasaNotInstalledError(RasaRuntimeError):
    """The Rasa environment (``settings.rasa_venv``) or its ``rasa`` program is missing."""


class RasaTrainingError(RasaRuntimeError):
    """``rasa train core`` failed or produced no model."""


class RasaNotReadyError(RasaRuntimeError):
    """A Rasa server did not report a loaded model in time."""
