"""Fixtures for the action tests: a seeded SQLite shop, JSON tracker fixtures, a runner."""

from __future__ import annotations

import json
import shutil
import string
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from actions.store import use_store
from bot.db import make_engine, session_factory, upgrade_database
from bot.settings import PROJECT_ROOT
from bot.shop.domain import OrderInfo, OrderStatus
from bot.shop.models import Order
from bot.shop.seed import seed_demo_shop
from bot.shop.sql_store import SqlShopStore

REPO_ROOT = str(Path(__file__).resolve().parents[3])
if REPO_ROOT not in sys.path:  # lets plain `pytest` (not only `python -m pytest`) import `tests`
    sys.path.insert(0, REPO_ROOT)

TRACKERS = Path(__file__).with_name("trackers")
DOMAIN_FILE = PROJECT_ROOT / "bot" / "assistant" / "domain.yml"


@pytest.fixture(scope="session")
def domain() -> dict[str, Any]:
    """The assistant's domain, as Rasa sends it to the action server."""
    loaded: dict[str, Any] = yaml.safe_load(DOMAIN_FILE.read_text("utf-8"))
    return loaded


@pytest.fixture(scope="session")
def seeded_shop_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file with a small seeded demo shop, made once per run."""
    path = tmp_path_factory.mktemp("shop-template") / "shop.db"
    url = f"sqlite:///{path}"
    upgrade_database(url)
    engine = make_engine(url)
    seed_demo_shop(session_factory(engine), customers=40, orders=240)
    engine.dispose()
    return path


@dataclass
class Shop:
    """The store the actions use in a test, and ways to find orders in it."""

    store: SqlShopStore
    sessions: sessionmaker[Session]

    def order_in(self, *statuses: OrderStatus, items: int | None = None) -> OrderInfo:
        """Return the newest order in one of ``statuses`` (with ``items`` lines, if given)."""
        with self.sessions() as session:
            ids = session.scalars(
                select(Order.id).where(Order.status.in_(statuses)).order_by(Order.id.desc())
            ).all()
        for order_id in ids:
            order = self.store.get_order(order_id)
            if items is None or len(order.items) == items:
                return order
        raise LookupError(f"no order in {statuses} with {items} items")

    def recently_delivered(self) -> OrderInfo:
        """A delivered order still inside the return window."""
        candidates: list[tuple[datetime, OrderInfo]] = []
        with self.sessions() as session:
            ids = session.scalars(
                select(Order.id).where(Order.status == OrderStatus.DELIVERED)
            ).all()
        for order_id in ids:
            order = self.store.get_order(order_id)
            if order.shipment and order.shipment.delivered_at:
                candidates.append((order.shipment.delivered_at, order))
        return max(candidates, key=lambda pair: pair[0])[1]


@pytest.fixture
def shop(seeded_shop_file: Path, tmp_path: Path) -> Iterator[Shop]:
    """A private copy of the seeded shop, installed as the actions' store."""
    path = tmp_path / "shop.db"
    shutil.copyfile(seeded_shop_file, path)
    engine = make_engine(f"sqlite:///{path}")
    sessions = session_factory(engine)
    store = SqlShopStore(sessions)
    use_store(store)
    yield Shop(store, sessions)
    use_store(None)
    engine.dispose()


def load_tracker(
    fixture: str,
    *,
    slots: dict[str, Any] | None = None,
    metadata: dict[str, Any] | None = None,
    affect: dict[str, Any] | None = None,
    entities: dict[str, str] | None = None,
    candidates: dict[str, Any] | None = None,
    **values: str,
) -> Tracker:
    """Build a tracker from ``trackers/<fixture>.json``.

    Args:
        fixture: The JSON file's stem.
        slots: Slot values to set.
        metadata: The latest message's channel metadata.
        affect: The latest message's affect (e.g. ``{"label": "angry"}``).
        entities: Entities of the latest message.
        candidates: Slot candidates appended as trailing ``slot`` events, as Rasa does before
            calling a form's validation action.
        **values: ``$name`` placeholders of the JSON (text, intent, form, ...).
    """
    raw = (TRACKERS / f"{fixture}.json").read_text("utf-8")
    defaults = {"text": "hello", "intent": "greet", "start_intent": "track_order"}
    defaults |= {"form": "order_form", "requested": "order_id", "pending": ""}
    state = json.loads(string.Template(raw).substitute({**defaults, **values}))
    latest = state["latest_message"]
    if metadata is not None:
        latest["metadata"] = metadata
        state["events"][-1]["metadata"] = metadata
    if affect is not None:
        latest["affect"] = affect
    if entities:
        latest["entities"] = [{"entity": key, "value": value} for key, value in entities.items()]
    state["slots"].update(slots or {})
    for name, value in (candidates or {}).items():
        state["slots"][name] = value
        state["events"].append({"event": "slot", "name": name, "value": value})
    for name in ("requested_slot", "pending_confirmation"):
        if state["slots"].get(name) == "":
            state["slots"][name] = None
    return Tracker.from_dict(state)


@dataclass
class Result:
    """What an action did: its messages, rendered texts and events."""

    messages: list[dict[str, Any]]
    events: list[dict[str, Any]]
    texts: list[str] = field(default_factory=list)

    @property
    def responses(self) -> list[str]:
        """The response names uttered, in order."""
        return [str(m.get("response")) for m in self.messages if m.get("response")]

    @property
    def custom(self) -> list[dict[str, Any]]:
        """The custom JSON messages."""
        return [m["custom"] for m in self.messages if m.get("custom")]

    def slot(self, name: str) -> Any:
        """The last value an event set for ``name`` (KeyError if none)."""
        for event in reversed(self.events):
            if event.get("event") == "slot" and event.get("name") == name:
                return event.get("value")
        raise KeyError(name)


_MESSAGE_KEYS = frozenset(
    {"text", "buttons", "elements", "custom", "template", "response", "image", "attachment"}
)


def render(domain: dict[str, Any], message: dict[str, Any]) -> list[str]:
    """Every variation of the uttered response, filled in (KeyError on a missing value)."""
    variations = domain["responses"][message["response"]]
    values = {k: v for k, v in message.items() if k not in _MESSAGE_KEYS}
    return [variation["text"].format(**values) for variation in variations]


async def run(action: Action, tracker: Tracker, domain: dict[str, Any]) -> Result:
    """Run ``action`` as the action server would and render what it said."""
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, tracker, domain)
    texts = []
    for message in dispatcher.messages:
        if message.get("response"):
            texts.append(render(domain, message)[0])
    return Result(dispatcher.messages, list(events), texts)
