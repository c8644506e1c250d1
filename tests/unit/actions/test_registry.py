"""The action server serves exactly the custom actions the domain declares."""

from __future__ import annotations

from typing import Any

from rasa_sdk.executor import ActionExecutor


def test_every_domain_action_is_served_and_nothing_else(domain: dict[str, Any]) -> None:
    executor = ActionExecutor()
    executor.register_package("actions")
    served = {action.name for action in executor.list_actions()}
    assert served == set(domain["actions"])
