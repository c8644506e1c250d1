"""The case log: every conversation, turn, handoff, escalation and agent action, PII redacted."""
