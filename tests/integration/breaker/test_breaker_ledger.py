"""The SQL remedy ledger under concurrency, on SQLite and PostgreSQL: 100 parallel attempts."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from bot.breaker.ledger import SqlRemedyLedger
from bot.breaker.models import CallbackRow, RemedyAuditRow, RemedyRow
from bot.breaker.wiring import SqlEscalation
from escalation.budget import BudgetCaps, Cap, Reservation, ReservationRequest, ReservationStatus
from escalation.decision import RemedyKind

AT = 1_700_000_000.0
CAPS = BudgetCaps(
    currency="EUR",
    per_conversation_count=1,
    per_conversation_cents=2_500,
    per_customer_30d_count=3,
    per_customer_30d_cents=6_000,
    per_incident_cents=5_000,
    per_day_cents=15_000,
)


def request(
    key: str, conversation: str, customer: str | None, **changes: object
) -> ReservationRequest:
    fields: dict[str, object] = {
        "idempotency_key": key,
        "conversation_id": conversation,
        "customer_id": customer,
        "incident_id": None,
        "kind": RemedyKind.COUPON_PERCENT,
        "value": 10,
        "cost_cents": 600,
        "at": AT,
        "rule": "delayed_order",
    }
    fields.update(changes)
    return ReservationRequest(**fields)  # type: ignore[arg-type]


def hammer(
    breaker: SqlEscalation, make: Callable[[int], ReservationRequest], caps: BudgetCaps = CAPS
) -> list[Reservation]:
    """100 threads, released together, each reserving through its own ledger and connection."""
    barrier = threading.Barrier(100)

    def attempt(index: int) -> Reservation:
        ledger = SqlRemedyLedger(breaker.sessions, attempts=50)
        barrier.wait()
        return ledger.reserve(make(index), caps)

    with ThreadPoolExecutor(max_workers=100) as pool:
        return list(pool.map(attempt, range(100)))


def issued_rows(breaker: SqlEscalation) -> list[RemedyRow]:
    with breaker.sessions.begin() as session:
        return list(session.scalars(select(RemedyRow)))


def test_one_key_is_issued_once_and_replayed_99_times(breaker: SqlEscalation):
    results = hammer(breaker, lambda _: request("remedy:c1:m1", "c1", "cust-1"))
    statuses = Counter(result.status for result in results)
    assert statuses == {ReservationStatus.ISSUED: 1, ReservationStatus.REPLAYED: 99}
    assert len({result.reservation_id for result in results}) == 1
    rows = issued_rows(breaker)
    assert len(rows) == 1 and rows[0].coupon_code and rows[0].coupon_code.startswith("CALM-")
    with breaker.sessions.begin() as session:
        audit = Counter(session.scalars(select(RemedyAuditRow.outcome)))
    assert audit == {"issued": 1, "replayed": 99}


def test_different_keys_never_exceed_the_caps(breaker: SqlEscalation):
    # 100 conversations of 10 customers, one incident: the per-customer count (3) binds first
    # (30 remedies, 180.00 EUR), then the incident's 50.00 EUR binds (8 remedies of 6.00).
    results = hammer(
        breaker,
        lambda i: request(f"remedy:c{i}:m", f"c{i}", f"cust-{i % 10}", incident_id="inc-1"),
    )
    issued = [r for r in results if r.status is ReservationStatus.ISSUED]
    assert len(issued) == 8  # 8 * 600 = 4800 ≤ 5000 < 9 * 600
    refused = Counter(r.refused_cap for r in results if r.status is ReservationStatus.REFUSED)
    assert set(refused) <= {Cap.PER_INCIDENT_AMOUNT, Cap.PER_CUSTOMER_COUNT}
    rows = issued_rows(breaker)
    assert len(rows) == 8 and sum(row.cost_cents for row in rows) <= CAPS.per_incident_cents
    codes = [row.coupon_code for row in rows]
    assert len(set(codes)) == len(codes) == 8
    per_customer = Counter(row.customer_id for row in rows)
    assert max(per_customer.values()) <= CAPS.per_customer_30d_count


def test_the_customer_and_day_caps_hold_under_parallel_attempts(breaker: SqlEscalation):
    results = hammer(breaker, lambda i: request(f"k{i}", f"c{i}", f"cust-{i % 20}"))
    rows = issued_rows(breaker)
    assert sum(r.status is ReservationStatus.ISSUED for r in results) == len(rows) == 25
    assert sum(row.cost_cents for row in rows) == 15_000  # the day's cap, exactly
    assert max(Counter(row.customer_id for row in rows).values()) <= 3


def test_a_callback_remedy_queues_one_callback(breaker: SqlEscalation):
    callback = request("cb-1", "c1", "cust-1", kind=RemedyKind.CALLBACK, value=0, cost_cents=0)
    first = breaker.ledger.reserve(callback, CAPS)
    again = breaker.ledger.reserve(callback, CAPS)
    assert first.status is ReservationStatus.ISSUED and again.status is ReservationStatus.REPLAYED
    with breaker.sessions.begin() as session:
        assert session.scalar(select(func.count(CallbackRow.id))) == 1
    issued = breaker.ledger.remedy(first.reservation_id)
    assert issued is not None and issued.coupon_code is None and issued.kind is RemedyKind.CALLBACK


def test_the_30_day_window_lets_an_old_remedy_go(breaker: SqlEscalation):
    month = 31 * 86_400
    for index in range(3):
        old = request(f"old{index}", f"o{index}", "cust-1", at=AT - month)
        assert breaker.ledger.reserve(old, CAPS).status is ReservationStatus.ISSUED
    fresh = breaker.ledger.reserve(request("new", "n", "cust-1"), CAPS)
    assert fresh.status is ReservationStatus.ISSUED
    blocked = []
    for index in range(3):
        blocked.append(breaker.ledger.reserve(request(f"n{index}", f"n{index}x", "cust-1"), CAPS))
    assert [r.status for r in blocked] == [ReservationStatus.ISSUED] * 2 + [
        ReservationStatus.REFUSED
    ]
    assert blocked[-1].refused_cap is Cap.PER_CUSTOMER_COUNT
