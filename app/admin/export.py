"""The CSV writer lives in core (app/core/csvfiles.py); this name stays for existing imports."""

from app.core.csvfiles import csv_lines, csv_safe  # noqa: F401
