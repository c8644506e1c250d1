"""The shop's exception hierarchy."""

from __future__ import annotations

import inspect

from bot.shop import errors


def _error_classes() -> list[type[errors.ShopError]]:
    return [
        value
        for value in vars(errors).values()
        if inspect.isclass(value)
        and issubclass(value, errors.ShopError)
        and not value.__name__.startswith("_")
    ]


def test_every_error_is_a_shop_error_with_its_own_code() -> None:
    classes = _error_classes()
    assert len(classes) >= 15
    codes = [cls.code for cls in classes]
    assert len(set(codes)) == len(codes)


def test_errors_carry_what_callers_need() -> None:
    error = errors.OrderNotCancellable(1001, "shipped")
    assert (error.order_id, error.status, error.code) == (1001, "shipped", "order_not_cancellable")
    assert "cannot cancel order 1001: it is shipped" in str(error)
    refusal = errors.ReturnNotAllowed(1002, errors.ReturnRefusal.WINDOW_EXPIRED, "delivered x")
    assert refusal.reason is errors.ReturnRefusal.WINDOW_EXPIRED
    assert str(refusal) == "return for order 1002 refused: window_expired: delivered x"
