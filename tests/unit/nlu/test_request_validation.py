import pytest

from bot.nlu.service import RequestError, parse_request_body
from bot.settings import Settings

SETTINGS = Settings(nlu_max_text_chars=10_000, nlu_max_body_bytes=65_536)


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (b'{"text": ""}', 422, "empty_text"),
        (b'{"text": "   \\n\\t "}', 422, "empty_text"),
        (b'{"text": "\\u0000\\u0007"}', 422, "empty_text"),
        (b"\xff\xfe{", 400, "invalid_utf8"),
        (b'{"text": "hi"', 400, "malformed_json"),
        (b"[1, 2]", 422, "invalid_request"),
        (b'{"text": 42}', 422, "invalid_request"),
        (b'{"text": null}', 422, "invalid_request"),
        (b'{"message_id": "x"}', 422, "invalid_request"),
        (b'{"text": "hi", "message_id": 5}', 422, "invalid_request"),
    ],
)
def test_bad_bodies_get_a_clear_4xx(body: bytes, status: int, code: str) -> None:
    with pytest.raises(RequestError) as info:
        parse_request_body(body, SETTINGS)
    assert (info.value.status, info.value.code) == (status, code)
    assert info.value.reason


def test_too_long_text_is_rejected_and_says_so() -> None:
    body = ('{"text": "' + "a" * 10_001 + '"}').encode()
    with pytest.raises(RequestError) as info:
        parse_request_body(body, SETTINGS)
    assert info.value.status == 413 and "rejected, not truncated" in info.value.reason


def test_oversized_body_is_rejected_before_parsing() -> None:
    with pytest.raises(RequestError) as info:
        parse_request_body(b" " * 70_000, SETTINGS)
    assert info.value.code == "body_too_large"


def test_valid_body_is_cleaned() -> None:
    request = parse_request_body(
        '{"text": "  où est ma commande 😡 ", "token": "t"}'.encode(), SETTINGS
    )
    assert request.text == "où est ma commande 😡"
    assert request.token == "t"
