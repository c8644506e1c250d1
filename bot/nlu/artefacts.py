"""The trained NLU artefact: adapter factors and heads (safetensors) plus metadata (JSON)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from bot.nlu.errors import ModelNotTrainedError
from bot.nlu.gloss import Glossary
from bot.nlu.memory import MEMORY_K, MEMORY_TAU, ExampleMemory

WEIGHTS_FILE = "weights.safetensors"
MEMORY_VECTORS = "memory.vectors"
MEMORY_LABELS = "memory.labels"
META_FILE = "meta.json"
GLOSSARY_FILE = "glossary.json"

if TYPE_CHECKING:
    import torch


@dataclass
class ModelMeta:
    """What a trained model needs besides its weights, and where it came from."""

    version: str
    encoder: str
    intents: list[str]
    emotions: list[str]
    data_fingerprint: str
    temperature: float = 1.0
    oos_threshold: float = 0.5
    anger_threshold: float = 0.5
    anger_logit_shift: float = 0.0
    anger_scale: float = 1.0
    anger_with_emotion_group: bool = False
    lora_rank: int = 8
    memory_weight: float = 0.0
    memory_k: int = MEMORY_K
    memory_tau: float = MEMORY_TAU
    gloss_weight: float = 0.0
    max_tokens: int = 128
    trained_at: str = ""
    training: dict[str, Any] = field(default_factory=dict)


def save(directory: Path, meta: ModelMeta, tensors: dict[str, torch.Tensor]) -> None:
    """Write weights (adapter factors and memory vectors in float16, heads in float32, the
    memory's labels as integers) and metadata."""
    import torch
    from safetensors.torch import save_file

    directory.mkdir(parents=True, exist_ok=True)

    def packed_tensor(name: str, t: torch.Tensor) -> torch.Tensor:
        if name == MEMORY_LABELS:
            return t.to(torch.int32).contiguous()
        half = ".lora_" in name or name == MEMORY_VECTORS
        return t.to(torch.float16 if half else torch.float32).contiguous()

    packed = {name: packed_tensor(name, t) for name, t in tensors.items()}
    save_file(packed, str(directory / WEIGHTS_FILE))
    (directory / META_FILE).write_text(json.dumps(asdict(meta), indent=2, sort_keys=True) + "\n")


def load_meta(directory: Path) -> ModelMeta:
    """Read the metadata of a trained model.

    Raises:
        ModelNotTrainedError: when the model directory holds no trained model.
    """
    path = directory / META_FILE
    if not path.is_file() or not (directory / WEIGHTS_FILE).is_file():
        raise ModelNotTrainedError(
            f"no trained NLU model in {directory}; run `calmdesk train nlu` (or `make install`)"
        )
    return ModelMeta(**json.loads(path.read_text()))


def save_glossary(directory: Path, glossary: Glossary) -> None:
    """Write the glossary the model was calibrated with (serving glosses with exactly it)."""
    text = json.dumps(glossary.entries(), indent=0, sort_keys=True, ensure_ascii=False)
    (directory / GLOSSARY_FILE).write_text(text + "\n", encoding="utf-8")


def load_glossary(directory: Path, meta: ModelMeta) -> Glossary | None:
    """The model's glossary (None: it has none or does not use it)."""
    path = directory / GLOSSARY_FILE
    if meta.gloss_weight <= 0.0:
        return None
    if not path.is_file():
        raise ModelNotTrainedError(f"{directory}: gloss_weight is set but no {GLOSSARY_FILE}")
    return Glossary.from_entries(json.loads(path.read_text(encoding="utf-8")))


def load_tensors(directory: Path) -> dict[str, torch.Tensor]:
    """Read the weights of a trained model as float32 tensors (the memory is left out)."""
    import torch
    from safetensors.torch import load_file

    return {
        k: v.to(torch.float32)
        for k, v in load_file(str(directory / WEIGHTS_FILE)).items()
        if k not in (MEMORY_VECTORS, MEMORY_LABELS)
    }


def load_memory(directory: Path, meta: ModelMeta) -> ExampleMemory | None:
    """The example memory of a trained model, without torch (None: the model has none or does
    not use it)."""
    from safetensors import safe_open

    if meta.memory_weight <= 0.0:
        return None
    with safe_open(str(directory / WEIGHTS_FILE), framework="numpy") as weights:
        names = weights.keys()  # safe_open has no __contains__
        if MEMORY_VECTORS not in names:
            raise ModelNotTrainedError(f"{directory}: memory_weight is set but no memory saved")
        vectors = weights.get_tensor(MEMORY_VECTORS).astype(np.float32)
        labels = weights.get_tensor(MEMORY_LABELS).astype(np.int64)
    return ExampleMemory(vectors, labels, len(meta.intents), meta.memory_k, meta.memory_tau)
