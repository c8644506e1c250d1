"""Low-rank adapters (LoRA) for the MiniLM encoder: train a few hundred thousand weights, ship
them as a small artefact, and merge them into the encoder at load time so inference costs
nothing extra."""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

TARGET_SUFFIXES = (
    "attention.self.query",
    "attention.self.key",
    "attention.self.value",
    "attention.output.dense",
    "intermediate.dense",
    "output.dense",
)


class LoRALinear(nn.Module):
    """A frozen linear layer plus a trainable low-rank update ``B @ A`` scaled by alpha / rank."""

    def __init__(self, base: nn.Linear, rank: int, alpha: float, dropout: float = 0.0) -> None:
        """Wrap ``base``; the update starts at zero so the wrapped layer is unchanged at first."""
        super().__init__()
        self.base = base
        self.rank = rank
        self.scale = alpha / rank
        self.lora_a = nn.Parameter(torch.empty(rank, base.in_features))
        self.lora_b = nn.Parameter(torch.zeros(base.out_features, rank))
        nn.init.kaiming_uniform_(self.lora_a, a=math.sqrt(5))
        self.dropout = nn.Dropout(dropout)
        for param in self.base.parameters():
            param.requires_grad_(False)

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        """Apply the frozen layer and the low-rank update."""
        update = (self.dropout(inputs) @ self.lora_a.T) @ self.lora_b.T
        return self.base(inputs) + update * self.scale

    def delta(self) -> torch.Tensor:
        """The dense weight update this adapter represents."""
        return (self.lora_b @ self.lora_a) * self.scale


def _parent(root: nn.Module, dotted: str) -> tuple[nn.Module, str]:
    *path, leaf = dotted.split(".")
    module = root
    for name in path:
        module = getattr(module, name)
    return module, leaf


def _layer_index(name: str) -> int:
    parts = name.split(".")
    return int(parts[parts.index("layer") + 1]) if "layer" in parts else -1


def add_adapters(
    model: nn.Module, rank: int, alpha: float, dropout: float = 0.0, from_layer: int = 0
) -> list[str]:
    """Freeze ``model`` and wrap the targeted linear layers with LoRA adapters.

    Layers below ``from_layer`` stay frozen without adapters: back-propagation then stops at
    ``from_layer``, which makes a training step much cheaper on a CPU.

    Returns:
        The dotted names of the wrapped layers.
    """
    for param in model.parameters():
        param.requires_grad_(False)
    names = [
        name
        for name, module in model.named_modules()
        if isinstance(module, nn.Linear)
        and name.endswith(TARGET_SUFFIXES)
        and _layer_index(name) >= from_layer
    ]
    for name in names:
        parent, leaf = _parent(model, name)
        setattr(parent, leaf, LoRALinear(getattr(parent, leaf), rank, alpha, dropout))
    return names


def adapter_state(model: nn.Module) -> dict[str, torch.Tensor]:
    """The dense weight deltas of every adapter, keyed by the wrapped layer's name."""
    return {
        name: module.delta().detach().clone()
        for name, module in model.named_modules()
        if isinstance(module, LoRALinear)
    }


def factor_state(model: nn.Module) -> dict[str, torch.Tensor]:
    """The raw low-rank factors (small: what the artefact stores)."""
    state: dict[str, torch.Tensor] = {}
    for name, module in model.named_modules():
        if isinstance(module, LoRALinear):
            state[f"{name}.lora_a"] = module.lora_a.detach().clone()
            state[f"{name}.lora_b"] = (module.lora_b * module.scale).detach().clone()
    return state


def merge_factors(model: nn.Module, factors: dict[str, Any]) -> int:
    """Add stored low-rank updates into a plain (unwrapped) model's linear weights in place.

    Args:
        model: the encoder with ordinary ``nn.Linear`` layers.
        factors: ``{"<layer>.lora_a": A, "<layer>.lora_b": B*scale}`` arrays.

    Returns:
        How many layers were updated.
    """
    merged = 0
    with torch.no_grad():
        for key in factors:
            if not key.endswith(".lora_a"):
                continue
            layer = key[: -len(".lora_a")]
            parent, leaf = _parent(model, layer)
            linear = getattr(parent, leaf)
            a = torch.as_tensor(factors[key], dtype=torch.float32)
            b = torch.as_tensor(factors[f"{layer}.lora_b"], dtype=torch.float32)
            linear.weight += b @ a
            merged += 1
    return merged
