"""The gateway's exceptions; the app translates them to JSON ``{"error", "reason"}`` responses."""

from __future__ import annotations


class GatewayError(Exception):
    """Base of every gateway error: an HTTP status, a stable code and a human reason."""

    status = 400
    code = "bad_request"

    def __init__(self, reason: str, *, code: str | None = None, status: int | None = None) -> None:
        """Create the error; ``code``/``status`` override the class defaults."""
        super().__init__(reason)
        self.reason = reason
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status


class InvalidRequest(GatewayError):
    """The request body or parameters are malformed."""

    status = 422
    code = "invalid_request"


class PayloadTooLarge(GatewayError):
    """The body is over ``gateway_max_body_bytes`` or the text over ``gateway_max_text_chars``."""

    status = 413
    code = "payload_too_large"


class RateLimited(GatewayError):
    """Too many requests from one sender or one IP."""

    status = 429
    code = "rate_limited"

    def __init__(self, reason: str, retry_after: float) -> None:
        """Create the error with the seconds after which a retry can succeed."""
        super().__init__(reason)
        self.retry_after = retry_after


class Unauthorized(GatewayError):
    """Missing or invalid credentials (agent token, widget token, backend key)."""

    status = 401
    code = "unauthorized"


class Forbidden(GatewayError):
    """Valid credentials that do not cover this resource."""

    status = 403
    code = "forbidden"


class NotFound(GatewayError):
    """Unknown conversation or resource."""

    status = 404
    code = "not_found"


class OwnershipConflict(GatewayError):
    """An ownership transition that the current state does not allow."""

    status = 409
    code = "ownership_conflict"


class GatewayConfigError(GatewayError):
    """The settings do not allow the gateway to start (e.g. no secret key in production)."""

    status = 500
    code = "config_error"
