"""Wire payloads of the gateway (pydantic models and TypedDicts)."""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict

from pydantic import BaseModel, ConfigDict, Field, StrictStr

CONVERSATION_ID_PATTERN = r"^[A-Za-z0-9_.:@\-]{1,128}$"


class RestMessage(BaseModel):
    """Rasa's REST channel request: ``{"sender", "message", "metadata"?}``."""

    model_config = ConfigDict(extra="ignore")

    sender: StrictStr = Field(pattern=CONVERSATION_ID_PATTERN)
    message: StrictStr
    metadata: dict[str, Any] | None = None
    input_channel: StrictStr | None = None


class BotMessage(TypedDict):
    """One element of Rasa's REST channel response."""

    recipient_id: str
    text: NotRequired[str]
    buttons: NotRequired[list[dict[str, Any]]]
    image: NotRequired[str]
    custom: NotRequired[Any]
    attachment: NotRequired[Any]


class NluParseRequest(BaseModel):
    """Rasa 3.6's NLU HTTP request (``rasa/core/http_interpreter.py``)."""

    model_config = ConfigDict(extra="ignore")

    text: StrictStr
    message_id: StrictStr | None = None
    token: StrictStr | None = None


class LoginRequest(BaseModel):
    """Agent login."""

    username: StrictStr = Field(min_length=1, max_length=64)
    password: StrictStr = Field(min_length=1, max_length=256)


class AgentText(BaseModel):
    """A message from an agent to the customer."""

    text: StrictStr = Field(min_length=1, max_length=5000)


class HandBack(BaseModel):
    """Hand the conversation back to the bot."""

    note: StrictStr | None = Field(default=None, max_length=2000)


class Resolve(BaseModel):
    """Close a conversation."""

    outcome: StrictStr = Field(default="resolved", min_length=1, max_length=32)
    note: StrictStr | None = Field(default=None, max_length=2000)


class RelabelRequest(BaseModel):
    """Correct a turn's intent."""

    turn_seq: int = Field(ge=0)
    intent: StrictStr = Field(min_length=1, max_length=64)
    note: StrictStr | None = Field(default=None, max_length=2000)


class WidgetTokenRequest(BaseModel):
    """A trusted backend asks for a widget token (optionally naming the logged-in customer)."""

    session_id: StrictStr | None = Field(default=None, pattern=CONVERSATION_ID_PATTERN)
    customer_id: int | None = None


class ErrorBody(TypedDict):
    """Every 4xx/5xx body."""

    error: str
    reason: str
