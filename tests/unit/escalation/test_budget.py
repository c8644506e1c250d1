"""Remedy budgets: the pure cap check and the in-memory ledger's exactly-once reservations."""

from __future__ import annotations

import random
import threading
from collections import Counter, defaultdict
from collections.abc import Callable

import pytest

from escalation.budget import (
    SECONDS_PER_DAY,
    BudgetCaps,
    BudgetUsage,
    Cap,
    ReservationRequest,
    ReservationStatus,
    check_budget,
    usage_for,
    utc_day,
)
from escalation.decision import RemedyKind
from escalation.memory import InMemoryRemedyLedger

CAPS = BudgetCaps(
    currency="EUR",
    per_conversation_count=1,
    per_conversation_cents=2_500,
    per_customer_30d_count=3,
    per_customer_30d_cents=6_000,
    per_incident_cents=5_000,
    per_day_cents=10_000,
)
DAY0 = 20_000 * SECONDS_PER_DAY  # midnight UTC


def request(
    key: str,
    *,
    conversation: str = "c1",
    customer: str | None = "u1",
    incident: str | None = None,
    cost: int = 1_000,
    at: float = DAY0 + 3_600,
) -> ReservationRequest:
    return ReservationRequest(
        idempotency_key=key,
        conversation_id=conversation,
        customer_id=customer,
        incident_id=incident,
        kind=RemedyKind.COUPON_AMOUNT,
        value=cost,
        cost_cents=cost,
        at=at,
        rule="test",
    )


@pytest.mark.parametrize(
    ("usage", "cost", "cap"),
    [
        (BudgetUsage(), 1_000, None),
        (BudgetUsage(conversation_count=1), 1_000, Cap.PER_CONVERSATION_COUNT),
        (BudgetUsage(), 2_600, Cap.PER_CONVERSATION_AMOUNT),
        (BudgetUsage(customer_30d_count=3), 100, Cap.PER_CUSTOMER_COUNT),
        (BudgetUsage(customer_30d_cents=5_500), 600, Cap.PER_CUSTOMER_AMOUNT),
        (BudgetUsage(incident_cents=4_500), 600, Cap.PER_INCIDENT_AMOUNT),
        (BudgetUsage(day_cents=9_500), 600, Cap.PER_DAY_AMOUNT),
        (BudgetUsage(day_cents=9_000), 1_000, None),  # exactly at the cap is allowed
    ],
)
def test_check_budget_names_the_cap_that_refuses(usage: BudgetUsage, cost: int, cap: Cap | None):
    assert check_budget(request("k", incident="inc-1", cost=cost), usage, CAPS) is cap


def test_anonymous_customers_and_requests_without_incident_skip_those_caps():
    full = BudgetUsage(customer_30d_count=99, customer_30d_cents=99_999, incident_cents=99_999)
    assert check_budget(request("k", customer=None), full, CAPS) is None


def test_usage_windows_per_customer_30_days_and_per_utc_day():
    now = DAY0 + 40 * SECONDS_PER_DAY + 60
    issued = [
        request("old", conversation="a", at=now - 31 * SECONDS_PER_DAY),  # outside 30 days
        request("recent", conversation="b", at=now - 2 * SECONDS_PER_DAY),
        request("yesterday", conversation="c", customer="u2", at=now - 120),  # previous day
        request("today", conversation="d", customer="u2", at=now - 30, incident="inc-1"),
    ]
    usage = usage_for(request("new", conversation="b", at=now, incident="inc-1"), issued)
    assert usage == BudgetUsage(
        conversation_count=1,
        conversation_cents=1_000,
        customer_30d_count=1,
        customer_30d_cents=1_000,
        incident_cents=1_000,
        day_cents=1_000,
    )
    assert utc_day(now - 120) == utc_day(now) - 1


def test_the_ledger_replays_a_key_instead_of_issuing_twice():
    ledger = InMemoryRemedyLedger()
    first = ledger.reserve(request("k1"), CAPS)
    again = ledger.reserve(request("k1", cost=2_000), CAPS)
    assert first.status is ReservationStatus.ISSUED
    assert again.status is ReservationStatus.REPLAYED
    assert again.reservation_id == first.reservation_id
    assert again.request.cost_cents == 1_000  # what was issued, not what was asked again
    refused = ledger.reserve(request("k2"), CAPS)  # same conversation: count cap
    assert refused.status is ReservationStatus.REFUSED
    assert refused.refused_cap is Cap.PER_CONVERSATION_COUNT
    assert not refused.confirmed
    assert len(ledger.issued()) == 1


def run_threads(count: int, work: Callable[[int], None]) -> None:
    barrier = threading.Barrier(count)

    def run(index: int) -> None:
        barrier.wait()
        work(index)

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def test_caps_hold_and_keys_issue_once_under_100_threads():
    caps = BudgetCaps(
        currency="EUR",
        per_conversation_count=2,
        per_conversation_cents=3_000,
        per_customer_30d_count=4,
        per_customer_30d_cents=5_000,
        per_incident_cents=8_000,
        per_day_cents=20_000,
    )
    ledger = InMemoryRemedyLedger()
    rng = random.Random(7)
    plans = [
        [
            request(
                key=f"key-{rng.randrange(60)}",  # shared keys: many threads race on each
                conversation=f"c{rng.randrange(25)}",
                customer=f"u{rng.randrange(10)}",
                incident=rng.choice([None, "inc-1", "inc-2"]),
                cost=rng.choice([0, 500, 1_000, 1_500]),
                at=DAY0 + rng.uniform(0, 2 * SECONDS_PER_DAY),
            )
            for _ in range(20)
        ]
        for _ in range(100)
    ]
    ids_by_key: dict[str, set[str]] = defaultdict(set)
    lock = threading.Lock()

    def work(index: int) -> None:
        for planned in plans[index]:
            reservation = ledger.reserve(planned, caps)
            if reservation.confirmed:
                with lock:
                    ids_by_key[planned.idempotency_key].add(reservation.reservation_id)

    run_threads(100, work)
    issued = ledger.issued()
    assert issued, "some reservations must go through"
    keys = Counter(entry.idempotency_key for entry in issued)
    assert max(keys.values()) == 1
    assert all(len(ids) == 1 for ids in ids_by_key.values())
    for entry in issued:  # every cap holds at the moment of every issued reservation
        usage = usage_for(entry, [other for other in issued if other is not entry])
        assert usage.conversation_count + 1 <= caps.per_conversation_count
        assert usage.conversation_cents + entry.cost_cents <= caps.per_conversation_cents
    by_customer: dict[str, list[ReservationRequest]] = defaultdict(list)
    by_incident: Counter[str] = Counter()
    by_day: Counter[int] = Counter()
    for entry in issued:
        by_customer[entry.customer_id or ""].append(entry)
        if entry.incident_id:
            by_incident[entry.incident_id] += entry.cost_cents
        by_day[utc_day(entry.at)] += entry.cost_cents
    for entries in by_customer.values():
        assert len(entries) <= caps.per_customer_30d_count  # all within one 30-day window
        assert sum(e.cost_cents for e in entries) <= caps.per_customer_30d_cents
    assert max(by_incident.values()) <= caps.per_incident_cents
    assert max(by_day.values()) <= caps.per_day_cents
