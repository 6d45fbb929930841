"""Payground pytest plugin (being written)."""
