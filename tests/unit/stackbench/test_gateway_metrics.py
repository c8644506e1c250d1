"""Per-stage means and counters from two scrapes of the gateway's Prometheus /metrics."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

from bot.stackbench.gateway_metrics import parse_metrics, stage_breakdown


def test_breakdown_is_the_difference_between_two_scrapes() -> None:
    registry = CollectorRegistry()
    stages = Histogram(
        "calmdesk_gateway_stage_seconds", "s", ["stage"], registry=registry, buckets=(0.1, 1.0)
    )
    handoffs = Counter("calmdesk_gateway_handoffs", "h", ["actor"], registry=registry)
    relay = Counter("calmdesk_gateway_parse_relay", "r", ["result"], registry=registry)
    stages.labels("nlu").observe(5.0)  # before the level: must not count
    before = parse_metrics(generate_latest(registry).decode())
    for seconds in (0.010, 0.030):
        stages.labels("nlu").observe(seconds)
    stages.labels("rasa").observe(0.100)
    handoffs.labels("escalation").inc()
    relay.labels("hit").inc(3)
    after = parse_metrics(generate_latest(registry).decode())
    result = stage_breakdown(before, after)
    assert result["stage_mean_ms"] == {"nlu": 20.0, "rasa": 100.0}
    assert result["handoffs"] == {"escalation": 1.0}
    assert result["parse_relay"] == {"hit": 3.0}
    assert result["errors"] == {}
