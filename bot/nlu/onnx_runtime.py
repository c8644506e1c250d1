"""Run the exported graphs with ONNX Runtime and the Rust ``tokenizers`` (no torch, no
transformers import: the NLU process stays small and starts fast)."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np


def load_tokenizer(max_tokens: int) -> Any:
    """all-MiniLM-L6-v2's WordPiece tokenizer, truncating to ``max_tokens`` and padding."""
    from tokenizers import Tokenizer

    from bot.nlu.encoder import model_path

    tokenizer = Tokenizer.from_file(str(model_path() / "tokenizer.json"))
    tokenizer.enable_truncation(max_length=max_tokens)
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
    return tokenizer


class OnnxGraph:
    """One exported graph with its tokenizer; ``run`` is thread-safe."""

    def __init__(self, path: Path, max_tokens: int, threads: int = 1) -> None:
        """Open an inference session on ``path``.

        Args:
            path: the ``.onnx`` file.
            max_tokens: truncation length of the inputs.
            threads: intra-op threads; 0 lets ONNX Runtime use every core.
        """
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.outputs = [output.name for output in self.session.get_outputs()]
        self.tokenizer = load_tokenizer(max_tokens)
        self._lock = threading.Lock()

    def run(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        """Tokenize ``texts`` and return every output by name."""
        encodings = self.tokenizer.encode_batch(list(texts))
        feed = {
            "input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
            "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
            "token_type_ids": np.array([e.type_ids for e in encodings], dtype=np.int64),
        }
        with self._lock:
            values = self.session.run(self.outputs, feed)
        return dict(zip(self.outputs, values, strict=True))
