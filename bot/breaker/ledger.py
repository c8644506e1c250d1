"""The SQL :class:`~escalation.ports.RemedyLedger`: budgets and exactly-once in the database.

``reserve`` runs in one transaction that first takes the ledger's write lock (``BEGIN
IMMEDIATE`` on SQLite, ``SELECT … FOR UPDATE`` of the ``breaker_ledger_locks`` row on
PostgreSQL), then replays an earlier reservation with the same idempotency key, or sums the
usage of the request's scopes in SQL, runs :func:`escalation.budget.check_budget`, and inserts
the remedy, its unique coupon code (or queued call-back) and an audit row. The unique
constraints on ``idempotency_key`` and ``coupon_code`` are the last line of defence: a
violation rolls back and retries, and the retry replays the winner's reservation.
"""

from __future__ import annotations

import logging
import secrets
import time
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from bot.breaker.errors import LedgerError
from bot.breaker.models import CallbackRow, LedgerLock, RemedyAuditRow, RemedyRow
from escalation.budget import (
    CUSTOMER_WINDOW_DAYS,
    SECONDS_PER_DAY,
    BudgetCaps,
    BudgetUsage,
    Reservation,
    ReservationRequest,
    ReservationStatus,
    check_budget,
    utc_day,
)
from escalation.decision import RemedyKind

log = logging.getLogger(__name__)

LOCK_SCOPE = "ledger"
COUPON_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
COUPON_KINDS = frozenset({RemedyKind.COUPON_PERCENT, RemedyKind.COUPON_AMOUNT})


def new_coupon_code() -> str:
    """A random coupon code such as ``CALM-7KQ2-MX9P`` (32⁸ ≈ 10¹² codes)."""
    chars = "".join(secrets.choice(COUPON_ALPHABET) for _ in range(8))
    return f"CALM-{chars[:4]}-{chars[4:]}"


@dataclass(frozen=True, slots=True)
class IssuedRemedy:
    """A remedy as recorded: what the bot may tell the customer.

    Attributes:
        reservation_id: ``rm-<id>``.
        kind: The remedy kind.
        value: Percent or cents.
        currency: Currency of value and cost.
        cost_cents: What it charged the budget.
        coupon_code: The unique code, for coupons.
        conversation_id: The conversation it was issued in.
        incident_id: The incident it belongs to, if any.
    """

    reservation_id: str
    kind: RemedyKind
    value: int
    currency: str
    cost_cents: int
    coupon_code: str | None
    conversation_id: str
    incident_id: str | None


def _request_of(row: RemedyRow) -> ReservationRequest:
    return ReservationRequest(
        idempotency_key=row.idempotency_key,
        conversation_id=row.conversation_id,
        customer_id=row.customer_id,
        incident_id=row.incident_id,
        kind=RemedyKind(row.kind),
        value=row.value,
        cost_cents=row.cost_cents,
        at=row.at,
        rule=row.rule,
    )


def _issued(row: RemedyRow) -> IssuedRemedy:
    return IssuedRemedy(
        reservation_id=row.reservation_id,
        kind=RemedyKind(row.kind),
        value=row.value,
        currency=row.currency,
        cost_cents=row.cost_cents,
        coupon_code=row.coupon_code,
        conversation_id=row.conversation_id,
        incident_id=row.incident_id,
    )


def parse_reservation_id(reservation_id: str) -> int | None:
    """The row id of ``rm-<id>``, or ``None`` for another format."""
    prefix, _, number = reservation_id.partition("-")
    return int(number) if prefix == "rm" and number.isdigit() else None


class SqlRemedyLedger:
    """Remedies, coupons, call-backs and their audit trail in the app database.

    Args:
        sessions: Sessions on the breaker's engine (:func:`bot.breaker.database.breaker_engine`).
        actor: Who issues remedies through this ledger (stored in the audit trail).
        attempts: Transactions tried before giving up on lock timeouts or constraint races.
    """

    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        actor: str = "circuit-breaker",
        attempts: int = 8,
    ) -> None:
        self._sessions = sessions
        self.actor = actor
        self._attempts = attempts

    def reserve(self, request: ReservationRequest, caps: BudgetCaps) -> Reservation:
        """Reserve a remedy, replay an earlier one with the same key, or refuse it.

        Raises:
            LedgerError: The database stayed locked or kept failing for every attempt.
        """
        last_error: Exception | None = None
        for attempt in range(self._attempts):
            try:
                with self._sessions.begin() as session:
                    return self._reserve(session, request, caps)
            except (IntegrityError, OperationalError) as error:
                last_error = error
                log.info(
                    "breaker.ledger.retry",
                    extra={"attempt": attempt + 1, "error": type(error).__name__},
                )
                time.sleep(0.005 * (attempt + 1))
        raise LedgerError(
            f"remedy {request.idempotency_key!r} not reserved after {self._attempts} attempts"
        ) from last_error

    def remedy(self, reservation_id: str) -> IssuedRemedy | None:
        """The issued remedy with this reservation id, or ``None``."""
        row_id = parse_reservation_id(reservation_id)
        if row_id is None:
            return None
        with self._sessions.begin() as session:
            row = session.get(RemedyRow, row_id)
            return None if row is None else _issued(row)

    def annotate(self, reservation_id: str, *, reason: str, order_id: str | None = None) -> None:
        """Record why a remedy was issued (the decision's reason) and the order it concerns."""
        row_id = parse_reservation_id(reservation_id)
        if row_id is None:
            return
        with self._sessions.begin() as session:
            row = session.get(RemedyRow, row_id)
            if row is not None:
                row.reason = reason
                if order_id is not None:
                    row.order_id = order_id
            callback = session.scalar(select(CallbackRow).where(CallbackRow.remedy_id == row_id))
            if callback is not None:
                callback.reason = reason

    def _lock(self, session: Session) -> None:
        if session.get_bind().dialect.name != "postgresql":
            return  # SQLite: BEGIN IMMEDIATE already holds the write lock
        session.execute(pg_insert(LedgerLock).values(scope=LOCK_SCOPE).on_conflict_do_nothing())
        session.execute(
            select(LedgerLock.scope).where(LedgerLock.scope == LOCK_SCOPE).with_for_update()
        )

    def _reserve(
        self, session: Session, request: ReservationRequest, caps: BudgetCaps
    ) -> Reservation:
        self._lock(session)
        earlier = session.scalar(
            select(RemedyRow).where(RemedyRow.idempotency_key == request.idempotency_key)
        )
        if earlier is not None:
            self._audit(session, request, "replayed", earlier.id, None)
            return Reservation(
                ReservationStatus.REPLAYED, _request_of(earlier), earlier.reservation_id
            )
        refused = check_budget(request, self._usage(session, request), caps)
        if refused is not None:
            self._audit(session, request, "refused", None, refused.value)
            return Reservation(ReservationStatus.REFUSED, request, refused_cap=refused)
        row = RemedyRow(
            idempotency_key=request.idempotency_key,
            conversation_id=request.conversation_id,
            customer_id=request.customer_id,
            incident_id=request.incident_id,
            kind=request.kind.value,
            value=request.value,
            cost_cents=request.cost_cents,
            currency=caps.currency,
            rule=request.rule,
            at=request.at,
            day=utc_day(request.at),
            coupon_code=new_coupon_code() if request.kind in COUPON_KINDS else None,
            issued_by=self.actor,
            reason=f"rule {request.rule}",
        )
        session.add(row)
        session.flush()
        if request.kind is RemedyKind.CALLBACK:
            session.add(
                CallbackRow(
                    remedy_id=row.id,
                    conversation_id=request.conversation_id,
                    customer_id=request.customer_id,
                    incident_id=request.incident_id,
                    reason=f"rule {request.rule}",
                )
            )
        self._audit(session, request, "issued", row.id, None)
        return Reservation(ReservationStatus.ISSUED, request, row.reservation_id)

    def _usage(self, session: Session, request: ReservationRequest) -> BudgetUsage:
        count, cents = func.count(RemedyRow.id), func.coalesce(func.sum(RemedyRow.cost_cents), 0)
        conversation = session.execute(
            select(count, cents).where(RemedyRow.conversation_id == request.conversation_id)
        ).one()
        customer = (0, 0)
        if request.customer_id is not None:
            since = request.at - CUSTOMER_WINDOW_DAYS * SECONDS_PER_DAY
            customer = session.execute(
                select(count, cents).where(
                    RemedyRow.customer_id == request.customer_id, RemedyRow.at > since
                )
            ).one()
        incident_cents: int | None = 0
        if request.incident_id is not None:
            incident_cents = session.scalar(
                select(cents).where(RemedyRow.incident_id == request.incident_id)
            )
        day_cents = session.scalar(select(cents).where(RemedyRow.day == utc_day(request.at)))
        return BudgetUsage(
            conversation_count=int(conversation[0]),
            conversation_cents=int(conversation[1]),
            customer_30d_count=int(customer[0]),
            customer_30d_cents=int(customer[1]),
            incident_cents=int(incident_cents or 0),
            day_cents=int(day_cents or 0),
        )

    def _audit(
        self,
        session: Session,
        request: ReservationRequest,
        outcome: str,
        remedy_id: int | None,
        refused_cap: str | None,
    ) -> None:
        why = f"rule {request.rule or '?'}"
        if refused_cap:
            why += f"; refused by {refused_cap}"
        if request.incident_id:
            why += f"; incident {request.incident_id}"
        session.add(
            RemedyAuditRow(
                idempotency_key=request.idempotency_key,
                remedy_id=remedy_id,
                outcome=outcome,
                refused_cap=refused_cap,
                conversation_id=request.conversation_id,
                kind=request.kind.value,
                cost_cents=request.cost_cents,
                actor=self.actor,
                reason=why,
                at=request.at,
            )
        )
