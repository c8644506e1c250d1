"""Suite-wide test settings."""

from __future__ import annotations

import os

import pytest


def pytest_configure(config: pytest.Config) -> None:
    """Every Rasa started through rasa_boot.py during the tests checks each of its incremental
    dialogue states against Rasa's own function and raises on a difference
    (``bot/rasa_runtime/rasa_boot_tracker.py``)."""
    os.environ.setdefault("CALMDESK_RASA_VERIFY_STATES", "true")
