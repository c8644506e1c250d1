"""The multi-task network: one MiniLM pass (with merged LoRA adapters) feeding small heads for
intent, anger, emotions, sentiment and in-domain anger intensity."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

EMBEDDING_DIM = 384
FEATURE_DIM = 2 * EMBEDDING_DIM
FEATURE_SCALE = EMBEDDING_DIM**0.5
SENTIMENTS = ("negative", "neutral", "positive")


def pool(hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """Mean- and max-pool token states into ``[batch, 768]`` features.

    The mean view is all-MiniLM-L6-v2's own normalised sentence embedding; the max view keeps
    sharp local cues (an insult, a threat) that averaging dilutes. Both are L2-normalised and
    scaled so that the heads see unit-variance-like inputs.
    """
    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
    mean = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
    peak = hidden.masked_fill(mask == 0, -1e4).max(1).values
    mean = nn.functional.normalize(mean, p=2, dim=1)
    peak = nn.functional.normalize(peak, p=2, dim=1)
    return torch.cat([mean, peak], dim=1) * FEATURE_SCALE


class Heads(nn.Module):
    """Linear heads over the pooled features."""

    def __init__(self, n_intents: int, n_emotions: int) -> None:
        """Create the heads for the given label counts."""
        super().__init__()
        self.dropout = nn.Dropout(0.1)
        self.intent = nn.Linear(FEATURE_DIM, n_intents)
        self.anger = nn.Linear(FEATURE_DIM, 1)
        self.emotions = nn.Linear(FEATURE_DIM, n_emotions)
        self.sentiment = nn.Linear(FEATURE_DIM, len(SENTIMENTS))
        self.intensity = nn.Linear(FEATURE_DIM, 1)

    def forward(self, features: torch.Tensor) -> dict[str, torch.Tensor]:
        """Return raw logits for every head."""
        x = self.dropout(features)
        return {
            "intent": self.intent(x),
            "anger": self.anger(x).squeeze(-1),
            "emotions": self.emotions(x),
            "sentiment": self.sentiment(x),
            "intensity": self.intensity(x).squeeze(-1),
        }


class MultiTaskNetwork(nn.Module):
    """Encoder + heads; ``forward`` takes a tokenised batch and returns logits and features."""

    def __init__(self, encoder: Any, n_intents: int, n_emotions: int) -> None:
        """Combine a (possibly adapter-wrapped) HF encoder with fresh heads."""
        super().__init__()
        self.encoder = encoder
        self.heads = Heads(n_intents, n_emotions)

    def forward(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """Run the encoder once and every head on its pooled features."""
        hidden = self.encoder(**batch).last_hidden_state
        features = pool(hidden, batch["attention_mask"])
        out = self.heads(features)
        out["features"] = features
        out["embedding"] = features[:, :EMBEDDING_DIM] / FEATURE_SCALE  # the unit mean view
        return out
