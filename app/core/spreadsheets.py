"""Cells for XLSX files.

An XLSX sheet is XML 1.0, which has no way to write some characters at all:
the C0 controls other than tab, line feed and carriage return, the UTF-16
surrogates and the non-characters U+FFFE and U+FFFF. One of them in one user's
text would make the whole file fail for everyone, so they are dropped before
any cell is written (``xml_safe``, used by every XLSX writer).
"""

from __future__ import annotations

import re

# Everything outside XML 1.0's Char production.
XML_FORBIDDEN = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_safe(text: str) -> str:
    """``text`` without the characters XML 1.0 cannot hold."""
    return XML_FORBIDDEN.sub("", text)
