"""Delivers the queued mail (SQS → SES)."""
