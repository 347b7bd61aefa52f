"""Amounts are stored in cents (integers, never floats) and shown as dollars."""

from __future__ import annotations


def dollars(cents: int) -> str:
    """12345 -> '123.45'; -5 -> '-0.05'."""
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(int(cents)), 100)
    return f"{sign}{whole}.{part:02d}"
