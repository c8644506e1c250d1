"""Parse once: Rasa asks its NLU endpoint for the text the gateway has just parsed.

The gateway puts each parse here before it calls Rasa; the loopback ``POST /model/parse`` of
the gateway (Rasa's NLU protocol: ``{"text", "message_id", "token"}``) answers from it, and only
forwards to the NLU service for texts it has not seen (Rasa's own ``/model/parse`` API, tests).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any


class ParseRelay:
    """Recent parse results keyed by text (bounded, most recent kept).

    Args:
        size: Entries kept.
    """

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self._results: OrderedDict[str, dict[str, Any]] = OrderedDict()

    def put(self, text: str, parse: dict[str, Any]) -> None:
        """Remember the parse of ``text``."""
        self._results[text] = parse
        self._results.move_to_end(text)
        if len(self._results) > self.size:
            self._results.popitem(last=False)

    def get(self, text: str) -> dict[str, Any] | None:
        """The remembered parse of ``text``, if any."""
        return self._results.get(text)
