"""The trained NLU artefact: adapter factors and heads (safetensors) plus metadata (JSON)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.nlu.errors import ModelNotTrainedError

WEIGHTS_FILE = "weights.safetensors"
META_FILE = "meta.json"

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
    max_tokens: int = 128
    trained_at: str = ""
    training: dict[str, Any] = field(default_factory=dict)


def save(directory: Path, meta: ModelMeta, tensors: dict[str, torch.Tensor]) -> None:
    """Write weights (adapter factors in float16, heads in float32) and metadata."""
    import torch
    from safetensors.torch import save_file

    directory.mkdir(parents=True, exist_ok=True)
    packed = {
        name: (t.to(torch.float16) if ".lora_" in name else t.to(torch.float32)).contiguous()
        for name, t in tensors.items()
    }
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


def load_tensors(directory: Path) -> dict[str, torch.Tensor]:
    """Read the weights of a trained model as float32 tensors."""
    import torch
    from safetensors.torch import load_file

    return {k: v.to(torch.float32) for k, v in load_file(str(directory / WEIGHTS_FILE)).items()}
