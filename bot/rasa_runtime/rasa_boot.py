"""Start ``rasa`` with the action-response schema compiled once (runs in ``.venv-rasa``).

Rasa 3.6 checks every action-server response with ``jsonschema.validate(response, spec)``,
which builds a validator and re-checks the *schema itself* on every call: 40-55 ms per custom
action on a 2-core CPU, more than the rest of a turn. :func:`install` makes that call use one
validator built at start-up for Rasa's own response spec (the same checks, the same
``ValidationError``); every other schema goes to the original function.

This file is executed by the Rasa environment's Python 3.10 (``python rasa_boot.py run ...``),
never imported by calmdesk, so it imports only jsonschema and rasa. Turned off with
``CALMDESK_RASA_PRECOMPILED_VALIDATOR=false``.
"""

from __future__ import annotations

import sys
from typing import Any


def install() -> None:
    """Route ``jsonschema.validate`` calls for Rasa's action-response spec to a compiled one."""
    import jsonschema
    from rasa.core.actions.action import RemoteAction

    spec = RemoteAction.action_response_format_spec()
    compiled = jsonschema.validators.validator_for(spec)(spec)
    original = jsonschema.validate

    def validate(instance: Any, schema: Any, *args: Any, **kwargs: Any) -> None:
        if schema == spec and not args and not kwargs:
            # What jsonschema.validate does after checking the schema: raise the best error.
            error = jsonschema.exceptions.best_match(compiled.iter_errors(instance))
            if error is not None:
                raise error
            return
        original(instance, schema, *args, **kwargs)

    jsonschema.validate = validate


def main() -> None:
    """Install the validator, then run the ``rasa`` command line with our arguments."""
    install()
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *sys.argv[1:]]
    rasa_main()


if __name__ == "__main__":
    main()
