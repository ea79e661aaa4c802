"""Fault drills against the real app under gunicorn (see docs/RELIABILITY.md)."""
