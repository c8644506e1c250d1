"""Stable train / calibration / test buckets for the project's own examples.

The bucket of an example depends only on its text, so adding data never moves an existing
example between buckets and the held-out test set stays held out.
"""

from __future__ import annotations

import hashlib
from typing import Literal

Bucket = Literal["train", "calib", "test"]


def bucket(text: str) -> Bucket:
    """Return the bucket of a text: 20 % test, 10 % calibration, 70 % train."""
    slot = int(hashlib.sha1(text.strip().lower().encode()).hexdigest()[:8], 16) % 10
    if slot < 2:
        return "test"
    if slot == 2:
        return "calib"
    return "train"
