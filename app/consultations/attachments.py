"""Attachment files: type checked by content, stored outside static/.

The declared name is never trusted: the content decides the type (magic
bytes, the zip structure of OOXML and ODF files, strict UTF-8 text for CSV),
and the name's extension must then agree with it.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import secrets
import stat
import tempfile
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path

from app.core.archives import UnsafeArchive, open_checked

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ODT = "application/vnd.oasis.opendocument.text"
CSV = "text/csv"

EXTENSIONS = {PDF: (".pdf",), DOCX: (".docx",), XLSX: (".xlsx",), ODT: (".odt",), CSV: (".csv",)}
_OOXML_MAIN = {
    "/word/document.xml": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml", DOCX),
    "/xl/workbook.xml": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml", XLSX),
}
_CT_NS = "{http://schemas.openxmlformats.org/package/2006/content-types}"
_MAX_ZIP_MEMBERS = 10_000
_MARKUP = re.compile(rb"<\s*(?:script|svg|html|body|iframe|object|embed|\?xml|!doctype|xsl|a\s)", re.IGNORECASE)


@dataclass(frozen=True)
class StoredFile:
    stored_name: str
    size: int
    sha256: str


def _zip_type(data: bytes) -> str | None:
    from lxml import etree  # imported by the first upload, not by every server process

    try:
        # Bounded members and expanded size, no DTD in any XML (app/core/archives.py).
        archive = open_checked(data, max_members=_MAX_ZIP_MEMBERS)
        infos = archive.infolist()
    except (zipfile.BadZipFile, UnsafeArchive, OSError, ValueError, EOFError, RuntimeError):
        return None
    if not infos or len(infos) > _MAX_ZIP_MEMBERS:
        return None
    for info in infos:
        mode = info.external_attr >> 16
        unsafe_path = info.filename.startswith("/") or ".." in info.filename.split("/")
        if stat.S_ISLNK(mode) or info.flag_bits & 0x1 or unsafe_path:
            return None  # symlinks, encrypted members and path tricks are never office files
    names = {info.filename for info in infos}
    try:
        if infos[0].filename == "mimetype":
            if archive.read("mimetype").strip() == ODT.encode() and "content.xml" in names:
                return ODT
            return None
        if "[Content_Types].xml" in names and archive.getinfo("[Content_Types].xml").file_size < 1_000_000:
            safe = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
            root = etree.fromstring(archive.read("[Content_Types].xml"), safe)  # noqa: S320 - no DTD, no entities
            overrides = {el.get("PartName"): el.get("ContentType") for el in root.iter(f"{_CT_NS}Override")}
            for part, (content_type, kind) in _OOXML_MAIN.items():
                if overrides.get(part) == content_type and part.lstrip("/") in names:
                    return kind
    except (KeyError, etree.XMLSyntaxError, zipfile.BadZipFile, OSError, RuntimeError, ValueError):
        return None
    return None


def _is_csv(data: bytes) -> bool:
    if not data or b"\x00" in data:
        return False
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return False
    if any(unicodedata.category(ch) == "Cc" and ch not in "\t\r\n" for ch in text):
        return False
    if text.lstrip().startswith("<") or _MARKUP.search(data):
        return False  # HTML, SVG or XML posing as a table
    return True


def detect_content_type(data: bytes) -> str | None:
    """PDF, DOCX, XLSX, ODT or CSV, judged by content alone; None for anything else."""
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"PK\x03\x04"):
        return _zip_type(data)
    if _is_csv(data):
        return CSV
    return None


def extension_matches(filename: str, content_type: str) -> bool:
    return filename.lower().endswith(EXTENSIONS.get(content_type, ()))


def safe_filename(name: str | None, default: str = "attachment") -> str:
    """A display/download name without paths, control characters or quotes."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = re.sub(r'["<>:|?*;]', "_", name).strip(" .")
    if len(name) > 150:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 140] + dot + ext[:9]) if dot else name[:150]
    return name or default


def store_bytes(upload_dir: Path, data: bytes) -> StoredFile:
    """Write under a random name (no extension), all or nothing.

    The bytes go to a temporary file in the same directory, reach the disk
    (fsync), and only then take their final name (an atomic rename), so a
    stored name always holds a whole file. On any error (the disk is full,
    say) the temporary file is removed and the error raised: nothing is left
    to take up the room a later, smaller upload needs.
    """
    upload_dir.mkdir(parents=True, exist_ok=True)
    stored_name = secrets.token_hex(16)  # 128 random bits: no name is ever reused
    fd, temporary = tempfile.mkstemp(dir=upload_dir, prefix=".upload-", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.rename(temporary, upload_dir / stored_name)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    _sync_directory(upload_dir)
    return StoredFile(stored_name, len(data), hashlib.sha256(data).hexdigest())


def _sync_directory(directory: Path) -> None:
    """Make the new name itself durable (the rename lives in the directory)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems cannot sync a directory; the file itself is on disk
    finally:
        os.close(fd)


def is_out_of_space(error: OSError) -> bool:
    """The disk (or the account's quota, or the largest file allowed) has no room for it."""
    return error.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)


def stored_path(upload_dir: Path, stored_name: str) -> Path:
    if not re.fullmatch(r"[0-9a-f]{32}", stored_name):
        raise ValueError("not a stored attachment name")
    return upload_dir / stored_name


def remove_stored(upload_dir: Path, stored_name: str) -> None:
    try:
        stored_path(upload_dir, stored_name).unlink(missing_ok=True)
    except (OSError, ValueError):
        pass
