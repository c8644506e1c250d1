"""The public front door: channels, ownership, case log and the escalation seam."""
