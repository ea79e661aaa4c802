"""The console: one line per event, libraries quiet below WARNING, and no
colour codes when the output is not a terminal (a log file, a pipe, journald).

E-mails written to instance/mail/ in development are announced with one line
each (app/core/mail.py); their bodies, links and tokens never reach the log.
"""

from __future__ import annotations

import logging
import re
import sys

# Libraries that speak at INFO about their own workings (plugin set-up, font
# subsetting, layout progress); their warnings and errors still show.
QUIET_LIBRARIES = ("alembic", "weasyprint", "fontTools", "PIL", "pydyf", "cssselect2",
                   "hypothesis", "faker", "markdown_it")
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


class PlainText(logging.Filter):
    """Drops terminal colour codes from a record (werkzeug colours its request
    lines whatever the stream is)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and "\x1b" in record.msg:
            record.msg = ANSI_ESCAPE.sub("", record.msg)
        if record.args:
            args = record.args if isinstance(record.args, tuple) else (record.args,)
            if any(isinstance(arg, str) and "\x1b" in arg for arg in args):
                cleaned = tuple(ANSI_ESCAPE.sub("", arg) if isinstance(arg, str) else arg for arg in args)
                record.args = cleaned if isinstance(record.args, tuple) else cleaned[0]
        return True


def configure_logging(level: int = logging.INFO, stream=None) -> None:
    """Idempotent: a second app in the same process changes nothing."""
    stream = stream or sys.stderr
    root = logging.getLogger()
    if not any(getattr(handler, "_agora", False) for handler in root.handlers):
        handler = logging.StreamHandler(stream)
        handler._agora = True  # type: ignore[attr-defined]
        handler.setFormatter(logging.Formatter(FORMAT, datefmt="%H:%M:%S"))
        if not _is_terminal(stream):
            handler.addFilter(PlainText())
        root.addHandler(handler)
    if root.level > level:  # the interpreter's default is WARNING
        root.setLevel(level)
    for name in QUIET_LIBRARIES:
        logging.getLogger(name).setLevel(logging.WARNING)


def _is_terminal(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
