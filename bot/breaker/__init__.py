"""Adapters and wiring of the emotional circuit breaker (the pure core is :mod:`escalation`).

SQL adapters for the core's ports (state store, remedy ledger, event sink), the incident and
effect records, the gateway hook, the ``calmdesk simulate`` replay and the attribution report.
"""
