"""One exception base for the NLU package; the service translates these to HTTP at the edge."""

from __future__ import annotations


class NLUError(Exception):
    """Base class of every NLU error."""


class TrainingDataError(NLUError):
    """The training data is missing or malformed; the message names the file and entry."""


class ModelNotTrainedError(NLUError):
    """The NLU artefacts are missing or were trained on other data; run ``calmdesk train nlu``."""
