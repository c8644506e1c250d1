"""The serving model: MiniLM with the trained adapters merged in, and the heads, in one pass.

Two interchangeable backends give the same outputs: ``onnx`` (default; ONNX Runtime on the
graph exported by :mod:`bot.nlu.onnx_export`, about twice as fast on a CPU and without torch in
the process) and ``torch`` (the training network; optionally int8-quantized).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from bot.nlu import artefacts
from bot.nlu.calibrate import anger_evidence, sigmoid, softmax
from bot.nlu.datasets import GOEMOTIONS_ANGER_GROUP
from bot.nlu.gloss import glossed_rows, mix_glossed
from bot.nlu.memory import mix

Backend = Literal["onnx", "torch"]
Forward = Callable[[Sequence[str]], dict[str, np.ndarray]]


def anger_group(emotions: Sequence[str]) -> list[int]:
    """Indices of GoEmotions' anger group (anger, annoyance, disapproval) among ``emotions``."""
    return [i for i, name in enumerate(emotions) if name in GOEMOTIONS_ANGER_GROUP]


def _quantized(encoder: Any) -> Any:
    import warnings

    import torch

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return torch.ao.quantization.quantize_dynamic(encoder, {torch.nn.Linear}, dtype=torch.qint8)


@dataclass(frozen=True)
class RawPrediction:
    """Calibrated model outputs for one text, before entities and intensity cues."""

    intent_probs: np.ndarray
    anger: float
    intensity: float
    emotions: np.ndarray
    sentiment: np.ndarray  # negative, neutral, positive


def load_torch_network(directory: Path, meta: artefacts.ModelMeta) -> Any:
    """The trained network in eval mode: MiniLM with the adapters merged in, and the heads.

    Args:
        directory: the artefact directory (``models/nlu``).
        meta: its metadata (label counts).

    Returns:
        A :class:`bot.nlu.network.MultiTaskNetwork` (needs torch).
    """
    from transformers import AutoModel

    from bot.nlu.encoder import model_path
    from bot.nlu.lora import merge_factors
    from bot.nlu.network import MultiTaskNetwork

    tensors = artefacts.load_tensors(directory)
    encoder = AutoModel.from_pretrained(str(model_path()), local_files_only=True)
    merge_factors(encoder, {k: v for k, v in tensors.items() if ".lora_" in k})
    network = MultiTaskNetwork(encoder, len(meta.intents), len(meta.emotions))
    network.heads.load_state_dict(
        {k[len("heads.") :]: v for k, v in tensors.items() if k.startswith("heads.")}
    )
    return network.eval()


def _torch_forward(
    directory: Path, meta: artefacts.ModelMeta, threads: int, quantize: bool
) -> Forward:
    import torch
    from transformers import AutoTokenizer

    from bot.nlu.encoder import model_path

    if threads:
        torch.set_num_threads(threads)
    tokenizer = AutoTokenizer.from_pretrained(str(model_path()), local_files_only=True)
    network = load_torch_network(directory, meta)
    if quantize:
        network.encoder = _quantized(network.encoder)
    lock = threading.Lock()

    def forward(texts: Sequence[str]) -> dict[str, np.ndarray]:
        with lock, torch.inference_mode():
            batch = tokenizer(
                list(texts),
                padding=True,
                truncation=True,
                max_length=meta.max_tokens,
                return_tensors="pt",
            )
            return {k: v.numpy() for k, v in network(dict(batch)).items()}

    return forward


def _onnx_forward(
    directory: Path, meta: artefacts.ModelMeta, threads: int, quantize: bool
) -> Forward:
    from bot.nlu.onnx_export import NLU_GRAPH, NLU_INT8_GRAPH, ensure_exported
    from bot.nlu.onnx_runtime import OnnxGraph

    name = NLU_INT8_GRAPH if quantize else NLU_GRAPH
    graph = OnnxGraph(ensure_exported(directory) / name, meta.max_tokens, threads)
    return graph.run


class NLUModel:
    """Loads the trained artefact and predicts batches of texts; thread-safe."""

    def __init__(
        self,
        directory: Path,
        threads: int = 0,
        quantize: bool = False,
        backend: Backend = "onnx",
    ) -> None:
        """Load the model for serving.

        Args:
            directory: the artefact directory (``models/nlu``).
            threads: intra-op threads; 0 keeps the runtime's default (one per core).
            quantize: int8 dynamic quantization of the encoder's linear layers (torch: about
                1.6x faster on a CPU, about 0.7 points less intent accuracy; onnx: the
                exported ``nlu-int8.onnx``, see the README's benchmark for its figures).
            backend: ``onnx`` (exports the graph first when it is missing or stale) or
                ``torch``.

        Raises:
            ModelNotTrainedError: when the directory holds no trained model.
        """
        self.meta = artefacts.load_meta(directory)
        self.backend = backend
        self._anger_group = anger_group(self.meta.emotions)
        self.memory = artefacts.load_memory(directory, self.meta)
        self.glossary = artefacts.load_glossary(directory, self.meta)
        if backend == "onnx":
            self._forward = _onnx_forward(directory, self.meta, threads, quantize)
        else:
            self._forward = _torch_forward(directory, self.meta, threads, quantize)

    def predict(self, texts: Sequence[str]) -> list[RawPrediction]:
        """Predict a batch of non-empty texts in one forward pass."""
        if not texts:
            return []
        glosses, owners = glossed_rows(self.glossary, texts)
        out = self._forward([*texts, *glosses])
        intents = softmax(out["intent"], self.meta.temperature)
        if self.memory is not None:
            intents = mix(intents, self.memory.probs(out["embedding"]), self.meta.memory_weight)
        intents = mix_glossed(intents, owners, self.meta.gloss_weight)
        evidence = anger_evidence(
            out["anger"], out["emotions"], self._anger_group, self.meta.anger_with_emotion_group
        )
        anger = sigmoid(self.meta.anger_scale * evidence + self.meta.anger_logit_shift)
        intensity = sigmoid(out["intensity"])
        emotions = sigmoid(out["emotions"])
        sentiment = softmax(out["sentiment"])
        return [
            RawPrediction(
                intents[i], float(anger[i]), float(intensity[i]), emotions[i], sentiment[i]
            )
            for i in range(len(texts))
        ]
