"""Where the gateway's time goes: deltas of its Prometheus ``/metrics`` over one load level."""

from __future__ import annotations

import httpx
from prometheus_client.parser import text_string_to_metric_families

Snapshot = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def parse_metrics(text: str) -> Snapshot:
    """Every sample of a Prometheus text exposition, keyed by name and sorted labels."""
    samples: Snapshot = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = float(sample.value)
    return samples


def snapshot(url: str) -> Snapshot | None:
    """Scrape ``url`` (a ``/metrics`` endpoint); ``None`` when it cannot be read."""
    try:
        reply = httpx.get(url, timeout=5.0)
    except httpx.HTTPError:
        return None
    if reply.status_code != 200:
        return None
    return parse_metrics(reply.text)


def _delta(before: Snapshot, after: Snapshot, name: str) -> dict[str, float]:
    """Increase of every sample called ``name``, keyed by its labels' values."""
    out: dict[str, float] = {}
    for (sample, labels), value in after.items():
        if sample == name:
            key = ",".join(v for _, v in labels) or "total"
            grown = value - before.get((sample, labels), 0.0)
            if grown:
                out[key] = round(grown, 6)
    return out


def stage_breakdown(before: Snapshot, after: Snapshot) -> dict[str, object]:
    """Mean milliseconds per pipeline stage, handoffs, errors and parse-relay use in between.

    Args:
        before: Scrape taken before the level.
        after: Scrape taken after it.

    Returns:
        ``{"stage_mean_ms": {...}, "handoffs": {...}, "errors": {...}, "parse_relay": {...}}``.
    """
    prefix = "calmdesk_gateway_"
    sums = _delta(before, after, f"{prefix}stage_seconds_sum")
    counts = _delta(before, after, f"{prefix}stage_seconds_count")
    means = {
        stage: round(1000.0 * sums.get(stage, 0.0) / count, 2)
        for stage, count in sorted(counts.items())
        if count
    }
    return {
        "stage_mean_ms": means,
        "handoffs": _delta(before, after, f"{prefix}handoffs_total"),
        "errors": _delta(before, after, f"{prefix}errors_total"),
        "parse_relay": _delta(before, after, f"{prefix}parse_relay_total"),
    }
