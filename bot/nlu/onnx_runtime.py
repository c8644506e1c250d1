"""Run the exported graphs with ONNX Runtime and the Rust ``tokenizers`` (no torch, no
transformers import: the NLU process stays small and starts fast).

A batch is sorted by token length and cut into chunks that pad little (see :func:`chunks`):
one chunk padded to its longest text costs far less than the whole batch padded to its longest
text, and every text's outputs are those it would get alone (padding is masked) up to float
rounding.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

#: A chunk may hold this much padding relative to its real tokens before a new one starts.
PADDING_SLACK = 1.3
#: Chunks are never cut below this many texts (each session run has a fixed cost) ...
MIN_CHUNK = 4
#: ... nor grow beyond this many.
MAX_CHUNK = 16


def load_tokenizer(max_tokens: int) -> Any:
    """all-MiniLM-L6-v2's WordPiece tokenizer, truncating to ``max_tokens``, without padding."""
    from tokenizers import Tokenizer

    from bot.nlu.encoder import model_path

    tokenizer = Tokenizer.from_file(str(model_path() / "tokenizer.json"))
    tokenizer.enable_truncation(max_length=max_tokens)
    tokenizer.no_padding()
    return tokenizer


def chunks(lengths: Sequence[int]) -> list[list[int]]:
    """Group texts by token length so that each group, padded to its longest, pads little.

    Args:
        lengths: the token count of each text.

    Returns:
        Lists of indices into ``lengths``, shortest texts first; together they hold every
        index once.
    """
    order = sorted(range(len(lengths)), key=lengths.__getitem__)
    groups: list[list[int]] = []
    current: list[int] = []
    real = 0
    for index in order:
        length = lengths[index]
        too_padded = (len(current) + 1) * length > (real + length) * PADDING_SLACK
        if len(current) >= MIN_CHUNK and (too_padded or len(current) >= MAX_CHUNK):
            groups.append(current)
            current, real = [], 0
        current.append(index)
        real += length
    if current:
        groups.append(current)
    return groups


class OnnxGraph:
    """One exported graph with its tokenizer; ``run`` may be called from several threads at
    once (ONNX Runtime sessions are thread-safe and release the GIL while they compute)."""

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

    def _run_padded(self, ids: Sequence[Sequence[int]]) -> list[np.ndarray]:
        width = max(len(row) for row in ids)
        input_ids = np.zeros((len(ids), width), dtype=np.int64)
        attention_mask = np.zeros((len(ids), width), dtype=np.int64)
        for row, tokens in enumerate(ids):
            input_ids[row, : len(tokens)] = tokens
            attention_mask[row, : len(tokens)] = 1
        feed = {
            "input_ids": input_ids,
            "attention_mask": attention_mask,
            "token_type_ids": np.zeros_like(input_ids),
        }
        return list(self.session.run(self.outputs, feed))

    def run(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        """Tokenize ``texts`` and return every output by name, one row per text in order."""
        ids = [encoding.ids for encoding in self.tokenizer.encode_batch(list(texts))]
        groups = chunks([len(row) for row in ids])
        if len(groups) == 1:
            values = self._run_padded(ids)
            return dict(zip(self.outputs, values, strict=True))
        order = np.array([index for group in groups for index in group])
        parts = [self._run_padded([ids[i] for i in group]) for group in groups]
        result = {}
        for position, name in enumerate(self.outputs):
            stacked = np.concatenate([part[position] for part in parts])
            unsorted = np.empty_like(stacked)
            unsorted[order] = stacked
            result[name] = unsorted
        return result
