"""Start ``rasa`` with nine speed-ups and a trace installed (runs in ``.venv-rasa``).

Each replaces one hot spot a profile of Rasa 3.6 under load showed, with the same behaviour:

1. **Action-response schema compiled once.** Rasa checks every action-server response with
   ``jsonschema.validate(response, spec)``, which builds a validator and re-checks the *schema
   itself* on every call: 40-55 ms per custom action on a 2-core CPU. :func:`install_validator`
   makes that call use one validator built at start-up for Rasa's own response spec (the same
   checks, the same ``ValidationError``); every other schema goes to the original function.
2. **Event types looked up in a dict.** ``Event.resolve_by_type`` walks every ``Event``
   subclass (``all_subclasses``, recursively, with ``inspect.isabstract``) for *each* event it
   deserialises; the in-memory tracker store deserialises the whole tracker every turn, so this
   was ~15 % of Rasa's CPU. :func:`install_event_types` answers from a name → class map built
   from the same walk (first match wins, as in the walk; unknown names go to the original).
3. **Keep-alive connections to the action server.** ``EndpointConfig.request`` opens a new
   ``aiohttp.ClientSession`` (a new TCP connection) for every action call.
   :func:`install_keepalive` reuses one session per event loop and session configuration, and
   encodes the JSON body (the whole tracker) with ujson; the request, its errors and its
   result are those of the original code.
4. **The gateway's parse from the metadata**: Rasa takes the parse the calmdesk gateway
   already made instead of a second HTTP call to the NLU endpoint; see
   :mod:`rasa_boot_gateway`.
5. **``Domain.is_empty`` once.** :func:`install_domain_is_empty` keeps the answer on the
   loaded domain instead of building an empty domain for every message.
6. **Rule matching that stops early.** :func:`install_rule_caches` stops checking rules against
   older states once no rule is long enough to be ruled out by them (the same set of rules),
   and skips deep copies made only for debug logs.
7. **The prediction graph without dask.** :func:`install_graph_runner` runs Rasa's small
   policy graph depth first instead of through dask's scheduler, with dask's semantics.

And one addition, also in :mod:`rasa_boot_gateway`: the trace returns, to a caller that asks
(``metadata.calmdesk_trace``), the actions run and the policies that chose them, so the gateway's
case log has them without reading the tracker.

This file is executed by the Rasa environment's Python 3.10 (``python rasa_boot.py run ...``),
never imported by calmdesk, so it imports only rasa and its dependencies. Turned off with
``CALMDESK_RASA_SPEEDUPS=false`` (plain ``rasa``).
"""

from __future__ import annotations

import asyncio
import os
import ssl
import sys
from typing import Any


def install() -> None:
    """Install every speed-up (see the module docstring)."""
    install_validator()
    install_event_types()
    install_keepalive()
    gateway_contract = load_sibling("rasa_boot_gateway")
    gateway_contract.install_parse_from_metadata()
    install_domain_is_empty()
    install_rule_caches()
    install_graph_runner()
    tracker_speedups = load_sibling("rasa_boot_tracker")
    tracker_speedups.install_incremental_states()
    tracker_speedups.install_in_memory_events()
    gateway_contract.install_trace()


def load_sibling(name: str) -> Any:
    """Load ``name.py`` from this file's directory (this file runs as a script, not a package)."""
    import importlib.util
    from pathlib import Path

    unique = f"calmdesk_{name}"
    if unique in sys.modules:
        return sys.modules[unique]
    spec = importlib.util.spec_from_file_location(unique, Path(__file__).with_name(f"{name}.py"))
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {name}.py next to {__file__}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[unique] = module
    spec.loader.exec_module(module)
    return module


def install_validator() -> None:
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


def install_event_types() -> None:
    """``Event.resolve_by_type`` from a name → class map instead of a subclass walk per call."""
    from rasa.shared.core.events import Event
    from rasa.shared.utils.common import all_subclasses

    original = Event.resolve_by_type
    by_name: dict[str, Any] = {}

    def resolve_by_type(type_name: str, default: Any = None) -> Any:
        found = by_name.get(type_name)
        if found is None:
            # Unknown here: walk again (a subclass may have been imported since), then let the
            # original answer names no class has (``topic``, the default, or its ValueError).
            for cls in all_subclasses(Event):
                by_name.setdefault(cls.type_name, cls)
            found = by_name.get(type_name)
            if found is None:
                return original(type_name, default)
        return found

    Event.resolve_by_type = staticmethod(resolve_by_type)


def fast_json(value: Any) -> str:
    """``json.dumps`` through ujson (a Rasa dependency); whatever ujson refuses, json does."""
    import json

    try:
        import ujson

        return str(ujson.dumps(value, ensure_ascii=False, escape_forward_slashes=False))
    except (ImportError, OverflowError, TypeError, ValueError):
        return json.dumps(value)


def install_keepalive() -> None:
    """``EndpointConfig.request`` on a shared session (keep-alive) instead of one per call."""
    import aiohttp
    from aiohttp import ContentTypeError
    from rasa.core.constants import DEFAULT_REQUEST_TIMEOUT
    from rasa.shared.exceptions import FileNotFoundException
    from rasa.utils.endpoints import ClientResponseError, EndpointConfig, concat_url

    shared: dict[tuple[int, str, str], aiohttp.ClientSession] = {}

    def session_of(endpoint: EndpointConfig) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        key = (id(loop), repr(sorted(endpoint.headers.items())), repr(endpoint.basic_auth))
        session = shared.get(key)
        if session is None or session.closed:
            # What EndpointConfig.session() builds, plus a faster JSON encoder for the body
            # (the whole tracker goes to the action server on every custom action).
            auth = None
            if endpoint.basic_auth:
                auth = aiohttp.BasicAuth(
                    endpoint.basic_auth["username"], endpoint.basic_auth["password"]
                )
            session = shared[key] = aiohttp.ClientSession(
                headers=endpoint.headers,
                auth=auth,
                timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
                json_serialize=fast_json,
            )
        return session

    async def request(
        self: EndpointConfig,
        method: str = "post",
        subpath: str | None = None,
        content_type: str | None = "application/json",
        compress: bool = False,
        **kwargs: Any,
    ) -> Any:
        # The body of Rasa 3.6's EndpointConfig.request, with a shared session.
        headers = {}
        if content_type:
            headers["Content-Type"] = content_type
        if "headers" in kwargs:
            headers.update(kwargs["headers"])
            del kwargs["headers"]
        if self.headers:
            headers.update(self.headers)
        url = concat_url(self.url, subpath)
        sslcontext = None
        if self.cafile:
            try:
                sslcontext = ssl.create_default_context(cafile=self.cafile)
            except FileNotFoundError as e:
                raise FileNotFoundException(
                    f"Failed to find certificate file, "
                    f"'{os.path.abspath(self.cafile)}' does not exist."
                ) from e
        async with session_of(self).request(
            method,
            url,
            headers=headers,
            params=self.combine_parameters(kwargs),
            compress=compress,
            ssl=sslcontext,
            **kwargs,
        ) as response:
            if response.status >= 400:
                raise ClientResponseError(
                    response.status, response.reason, await response.content.read()
                )
            try:
                return await response.json()
            except ContentTypeError:
                return None

    EndpointConfig.request = request


def install_domain_is_empty() -> None:
    """``Domain.is_empty`` computed once per domain instead of on every message.

    Rasa asks it for every parsed message (``_check_for_unseen_features``) and answers by
    building an empty ``Domain`` from scratch and comparing both as dicts. A loaded domain
    never changes, so the first answer is kept on the instance.
    """
    from rasa.shared.core.domain import Domain

    original = Domain.is_empty

    def is_empty(self: Any) -> bool:
        known = self.__dict__.get("_calmdesk_is_empty")
        if known is None:
            known = self.__dict__["_calmdesk_is_empty"] = bool(original(self))
        return bool(known)

    Domain.is_empty = is_empty


def install_rule_caches() -> None:
    """Rule matching that stops where no rule can be ruled out; no deep copies for logging.

    ``RulePolicy._get_possible_keys`` checks every learned rule against *every* state of the
    conversation, newest first, several times per predicted action. A rule with ``k`` states is
    applicable to any state ``k`` or more turns back (Rasa's ``_is_rule_applicable`` answers
    ``True`` at once there), so once the turn index reaches the longest remaining rule nothing
    more can be filtered out: the loop stops there, with the same resulting set, instead of
    walking the whole (growing) history. The memoization and rule policies also
    ``copy.deepcopy`` the states for every debug log call, logged or not; in those two modules
    ``copy`` is only used for that (a test checks the source), so there it returns the value.
    """
    import types

    from rasa.core.policies import memoization, rule_policy

    shim = types.SimpleNamespace(deepcopy=lambda value, memo=None: value)
    memoization.copy = shim
    rule_policy.copy = shim

    def get_possible_keys(self: Any, lookup: dict[str, str], states: list[Any]) -> set[str]:
        lengths: dict[str, int] = self.__dict__.setdefault("_calmdesk_rule_lengths", {})
        possible = set(lookup.keys())
        for key in possible:
            if key not in lengths:
                lengths[key] = len(self._rule_key_to_state(key))
        for index, state in enumerate(reversed(states)):
            if index >= max((lengths[key] for key in possible), default=0):
                break  # every remaining rule is shorter: all of them stay applicable
            possible = {key for key in possible if self._is_rule_applicable(key, index, state)}
        return possible

    rule_policy.RulePolicy._get_possible_keys = get_possible_keys


def install_graph_runner() -> None:
    """Run the prediction graph directly instead of through dask's scheduler.

    Rasa runs its policy graph (a handful of nodes) through ``dask.get`` for every predicted
    action; dask's ordering and bookkeeping cost more than the small graph itself. This runs
    the same dask graph (``{name: (GraphNode, *needs)}``, inputs as literal tuples) depth first
    with the same semantics: a needed key is computed once, anything else passes through, and
    the results are returned as ``dask.get`` returns them. The minimal schema per target list
    is computed once per runner.
    """
    from rasa.engine.exceptions import GraphRunError
    from rasa.engine.runner.dask import DaskGraphRunner

    def run(
        self: Any, inputs: dict[str, Any] | None = None, targets: list[str] | None = None
    ) -> dict[str, Any]:
        run_targets = targets if targets else self._graph_schema.target_names
        schemas = self.__dict__.setdefault("_calmdesk_minimal_schemas", {})
        key = tuple(run_targets)
        if key not in schemas:
            schemas[key] = self._graph_schema.minimal_graph_schema(run_targets)
        run_graph = self._build_dask_graph(schemas[key])
        if inputs:
            self._add_inputs_to_graph(inputs, run_graph)
        results: dict[Any, Any] = {}

        def compute(name: Any) -> Any:
            if name in results:
                return results[name]
            task = run_graph[name]
            # A node runs on its needs; an input is a literal (name, value) tuple, as in dask.
            value = task[0](*(argument(dep) for dep in task[1:])) if callable(task[0]) else task
            results[name] = value
            return value

        def argument(dep: Any) -> Any:
            try:
                known = dep in run_graph
            except TypeError:  # unhashable: a literal
                return dep
            return compute(dep) if known else dep

        try:
            return dict(compute(target) for target in run_targets)
        except RuntimeError as e:
            raise GraphRunError("Error running runner.") from e

    DaskGraphRunner.run = run


def main() -> None:
    """Install the speed-ups, then run the ``rasa`` command line with our arguments."""
    install()
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *sys.argv[1:]]
    rasa_main()


if __name__ == "__main__":
    main()
