"""Zip containers (.docx, .xlsx, .odt) checked before anything reads them.

A zip member says how large it is once expanded; ``zipfile`` never reads past
that size, so checking the declared sizes before reading bounds the memory
and time any later reader can spend. Refused: too many members, too much
expanded data in total, a member that expands more than ``MAX_RATIO`` times
(zip bombs), and XML members with a document type declaration (entity
expansion such as "billion laughs"; no office format needs a DTD).
"""

from __future__ import annotations

import zipfile
from io import BytesIO

MAX_MEMBERS = 1000
MAX_EXPANDED = 64 * 1024 * 1024
MAX_RATIO = 200
_SMALL = 64 * 1024  # members this small may compress as well as they like
_XML_SUFFIXES = (".xml", ".rels", ".vml")
_DTD_MARKS = tuple(mark.encode(encoding) for mark in ("<!DOCTYPE", "<!ENTITY")
                   for encoding in ("utf-8", "utf-16-le", "utf-16-be"))


class UnsafeArchive(ValueError):
    """The container exceeds a bound or carries a DTD; ``reason`` says which."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def open_checked(data: bytes, *, max_members: int = MAX_MEMBERS, max_expanded: int = MAX_EXPANDED,
                 max_ratio: int = MAX_RATIO) -> zipfile.ZipFile:
    """The archive, once its members are within bounds and its XML has no DTD.
    Raises ``zipfile.BadZipFile`` for what is not a zip, ``UnsafeArchive`` for the rest."""
    archive = zipfile.ZipFile(BytesIO(data))
    infos = archive.infolist()
    if len(infos) > max_members:
        raise UnsafeArchive("members")
    if sum(info.file_size for info in infos) > max_expanded:
        raise UnsafeArchive("expanded")
    for info in infos:
        if info.file_size > _SMALL and info.file_size > max_ratio * max(info.compress_size, 1):
            raise UnsafeArchive("ratio")
    for info in infos:
        if info.filename.lower().endswith(_XML_SUFFIXES) or info.filename == "[Content_Types].xml":
            head = archive.read(info)
            if any(mark in head for mark in _DTD_MARKS):
                raise UnsafeArchive("dtd")
    return archive
