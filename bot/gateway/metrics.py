"""Prometheus metrics of one gateway app (own registry, so several apps can coexist in tests)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

STAGE_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class GatewayMetrics:
    """Counters and histograms exposed on ``GET /metrics``."""

    def __init__(self) -> None:
        """Register every metric on a fresh registry."""
        self.registry = CollectorRegistry()
        self.messages = Counter(
            "calmdesk_gateway_messages",
            "Customer messages by channel and result",
            ["channel", "result"],
            registry=self.registry,
        )
        self.stage_seconds = Histogram(
            "calmdesk_gateway_stage_seconds",
            "Latency per pipeline stage",
            ["stage"],
            buckets=STAGE_BUCKETS,
            registry=self.registry,
        )
        self.handoffs = Counter(
            "calmdesk_gateway_handoffs",
            "Handoffs to a human, by who asked",
            ["actor"],
            registry=self.registry,
        )
        self.transitions = Counter(
            "calmdesk_gateway_ownership_transitions",
            "Ownership transitions",
            ["from_state", "to_state"],
            registry=self.registry,
        )
        self.errors = Counter(
            "calmdesk_gateway_errors",
            "Dependency and pipeline errors by kind",
            ["kind"],
            registry=self.registry,
        )
        self.parse_relay = Counter(
            "calmdesk_gateway_parse_relay",
            "Rasa's NLU calls answered from the gateway's parse (hit) or forwarded (miss)",
            ["result"],
            registry=self.registry,
        )
        self.caselog_backlog = Gauge(
            "calmdesk_gateway_caselog_backlog",
            "Case-log records queued but not yet committed",
            registry=self.registry,
        )
        self.rejected = Counter(
            "calmdesk_gateway_rejected_requests",
            "Requests rejected before the pipeline (validation, size, rate)",
            ["code"],
            registry=self.registry,
        )

    def render(self) -> bytes:
        """The registry in Prometheus' text format."""
        return generate_latest(self.registry)
