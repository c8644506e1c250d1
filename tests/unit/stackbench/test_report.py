"""The stack benchmark's report: ratios to stock Rasa, the goal, JSON and markdown."""

from __future__ import annotations

import json
import math
from pathlib import Path

from bot.stackbench.report import build_report, goal_met, ratios, render_markdown, write_reports
from bot.stackbench.runner import LevelFigures, cpu_per_message, is_rest_answer


def row(
    target: str, level: str, msgs: float, p50: float, p95: float, **turns: float
) -> LevelFigures:
    """One result row."""
    return {
        "target": target,
        "level": level,
        "label": f"{level} label",
        "senders": 8 if level == "c8" else 1,
        "requests": int(msgs * 20),
        "errors": 0,
        "msgs_per_s": msgs,
        "p50_ms": p50,
        "p95_ms": p95,
        "p99_ms": p95 * 1.5,
        "empty_replies": 0,
        "rss_mb": {"rasa": 1100.0},
        "cpu_percent": {"machine": 97.0, "targets": 80.0, "load_generator": 12.0, "others": 5.0},
        "cpu_ms_per_msg": {"rasa": 12.5, "total": 12.5},
        "load_average": [2.0, 1.5, 1.0],
        "turns": dict(turns),
        "gateway": {},
    }


ROWS = [
    row("stock-rasa", "c1", 40.0, 25.0, 31.0),
    row("stock-rasa", "c8", 44.0, 158.0, 318.0),
    row("calmdesk-rasa", "c1", 20.0, 50.0, 62.0),
    row("calmdesk-rasa", "c8", 140.0, 50.0, 150.0),
    row("calmdesk-gateway", "c8", 130.0, 60.0, 160.0),
]


def test_ratios_divide_by_stock_at_the_same_level() -> None:
    result = ratios(ROWS)
    assert set(result) == {"calmdesk-rasa", "calmdesk-gateway"}
    assert result["calmdesk-rasa"]["c1"] == {"throughput": 0.5, "p50": 2.0, "p95": 2.0, "silent": 0}
    assert result["calmdesk-rasa"]["c8"]["throughput"] == round(140 / 44, 2)
    assert "c1" not in result["calmdesk-gateway"]


def test_no_stock_no_ratios() -> None:
    assert ratios([r for r in ROWS if r["target"] != "stock-rasa"]) == {}


def test_goal_needs_both_throughput_and_p95() -> None:
    by_target = ratios(ROWS)
    assert goal_met(by_target["calmdesk-rasa"]) is True  # 3.18x, p95 0.47x
    assert goal_met(by_target["calmdesk-gateway"]) is False  # 2.95x
    slow_tail = ratios([*ROWS[:2], row("x", "c8", 200.0, 10.0, 200.0)])
    assert goal_met(slow_tail["x"]) is False  # p95 0.63x
    assert goal_met({"c1": {"throughput": 9.0, "p50": 0.1, "p95": 0.1}}) is None


def test_a_long_conversation_cut_short_by_handoffs_is_marked() -> None:
    stock = row("stock-rasa", "long", 8.0, 130.0, 220.0)
    cut = row("calmdesk-gateway", "long", 22.0, 43.0, 80.0)
    cut["empty_replies"] = 15
    markdown = render_markdown(build_report([stock, cut], {}, {}))
    assert "| calmdesk-gateway | long † | 2.75× |" in markdown
    assert "† not comparable" in markdown


def test_report_is_strict_json_with_plain_booleans(tmp_path: Path) -> None:
    long_row = row("stock-rasa", "long", 11.0, 87.0, 120.0, reached=220.0, p50_ms_turns_1_5=30.0)
    long_row["turns"]["p50_ms_turns_46_55"] = None
    report = build_report([*ROWS, long_row], {"generated_at": "now", "notes": ["n"]}, {})
    json_path, md_path = write_reports(report, tmp_path)
    loaded = json.loads(json_path.read_text())
    assert loaded["goal_met"] == {"calmdesk-rasa": True, "calmdesk-gateway": False}
    assert loaded["targets_run"] == ["calmdesk-gateway", "calmdesk-rasa", "stock-rasa"]
    markdown = md_path.read_text()
    assert (
        "| calmdesk-rasa | c8 label | 2800 | 0 | 0 | 140 | 50 | 150 | 225 | rasa 1100 |" in markdown
    )
    assert "| stock-rasa | 220 | 30 | – |" in markdown
    assert "3.18×" in markdown


def test_skipped_targets_are_named() -> None:
    report = build_report(ROWS[:2], {}, {"calmdesk-gateway": "not built yet"})
    assert "Not run: calmdesk-gateway (not built yet)" in render_markdown(report)
    assert not math.isnan(report["results"][0]["p95_ms"])


def test_rest_answer_shape() -> None:
    assert is_rest_answer([])
    assert is_rest_answer([{"recipient_id": "a", "text": "hi"}])
    assert not is_rest_answer({"recipient_id": "a"})
    assert not is_rest_answer([{"text": "no recipient"}])


def test_cpu_cost_per_message_divides_each_process_and_the_total() -> None:
    costs = cpu_per_message({"nlu": 0.5, "rasa": 1.5}, 100)
    assert costs == {"nlu": 5.0, "rasa": 15.0, "total": 20.0}
    assert cpu_per_message({"nlu": 0.5}, 0) == {}


def test_markdown_has_the_cpu_cost_table() -> None:
    markdown = render_markdown(build_report(ROWS, {}, {}))
    assert "CPU cost per message" in markdown
    assert "| stock-rasa | c8 label | rasa 12.5, total 12.5 |" in markdown


def test_rounds_give_the_goal_round_by_round_and_its_spread() -> None:
    """Three rounds at 8 senders: the gateway meets the goal in two (3.2×, 3.05×) and misses
    in one (2.9×); each round is divided by stock Rasa's figures of the same round."""
    second = [
        row("stock-rasa", "c8", 20.0, 300.0, 700.0),
        row("calmdesk-gateway", "c8", 61.0, 100.0, 250.0),
    ]
    third = [
        row("stock-rasa", "c8", 30.0, 300.0, 600.0),
        row("calmdesk-gateway", "c8", 87.0, 100.0, 280.0),
    ]
    first = [
        row("stock-rasa", "c1", 18.0, 50.0, 70.0),
        row("stock-rasa", "c8", 40.0, 300.0, 700.0),
        row("calmdesk-gateway", "c8", 128.0, 100.0, 200.0),
    ]
    report = build_report(first, {}, {}, [second, third])
    assert [entry["round"] for entry in report["rounds"]] == [1, 2, 3]
    assert [entry["ratios"]["calmdesk-gateway"]["throughput"] for entry in report["rounds"]] == [
        3.2,
        3.05,
        2.9,
    ]
    over = report["goal_over_rounds"]["calmdesk-gateway"]
    assert over["rounds"] == 3 and over["met"] == 2
    assert over["throughput_ratio"] == {"min": 2.9, "median": 3.05, "max": 3.2}
    assert over["p95_ratio"]["max"] == 0.47
    markdown = render_markdown(report)
    assert "goal met in 2 of 3 rounds" in markdown
    assert "| 3 | 30 msg/s, p95 600 | 87 msg/s, p95 280 (2.9×, p95 0.47×) |" in markdown


def test_a_single_round_has_no_rounds_table() -> None:
    report = build_report(ROWS, {}, {})
    assert len(report["rounds"]) == 1
    assert report["goal_over_rounds"]["calmdesk-rasa"]["met"] == 1
    assert "rounds (every target restarted" not in render_markdown(report)
