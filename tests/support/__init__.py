"""Helpers shared by test packages (integration and end-to-end)."""
