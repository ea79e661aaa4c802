"""``flask opendata build``: the public content of the platform as one ZIP.

What a visitor may read and nothing else, decided by the same predicates as
the pages and the API (an anonymous reader): public consultations with their
published versions and sections, published public comments in threads a
visitor sees, published summaries a visitor may read, and the dispositions of
their comment-resolution tables as their page shows them to a visitor. JSON
Lines (one object per line, the API's field names) plus the comments as CSV,
a README and the licence (``OPEN_DATA_LICENCE``, CC BY 4.0 unless
configured). The file is written beside a ``.sha256`` and replaced
atomically, so a download in progress never sees half a file.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from app.accounts.sessions import Anonymous
from app.admin.export import csv_lines
from app.api import serializers
from app.comments.models import Comment
from app.comments.queries import listed_condition, sections_by_id
from app.consultations import queries as consultation_queries
from app.consultations.models import Consultation, DraftVersion
from app.core.db import utcnow
from app.summaries.policy import shown_revision
from app.summaries.queries import load_summary, resolution_table

FILENAME = "agora1540-open-data.zip"
LICENCE_URLS = {"CC BY 4.0": "https://creativecommons.org/licenses/by/4.0/",
                "CC0 1.0": "https://creativecommons.org/publicdomain/zero/1.0/",
                "CC BY-SA 4.0": "https://creativecommons.org/licenses/by-sa/4.0/"}
CSV_HEADER = ("consultation_id", "comment_id", "parent_id", "depth", "section_anchor", "kind", "stance",
              "language", "author", "organisation", "created_at", "published_at", "version", "body_html",
              "proposed_wording")


@dataclass(frozen=True)
class Published:
    path: Path
    sha256: str
    size: int
    generated_at: datetime | None
    licence: str


def directory() -> Path:
    return Path(current_app.config["OPEN_DATA_DIR"])


def licence() -> str:
    return current_app.config["OPEN_DATA_LICENCE"]


def _jsonl(items: Iterator[dict[str, Any]]) -> str:
    return "".join(json.dumps(item, ensure_ascii=False, sort_keys=True) + "\n" for item in items)


def collect(session: Session) -> dict[str, list[dict[str, Any]]]:
    visitor = Anonymous()
    data: dict[str, list[dict[str, Any]]] = {"consultations": [], "versions": [], "sections": [],
                                             "comments": [], "summaries": [], "dispositions": []}
    consultations = session.scalars(select(Consultation).where(consultation_queries.visible_condition(visitor))
                                    .order_by(Consultation.id)).all()
    for consultation in consultations:
        data["consultations"].append(serializers.consultation_item(consultation))
        versions = session.scalars(select(DraftVersion).where(DraftVersion.consultation_id == consultation.id,
                                                              DraftVersion.status == DraftVersion.PUBLISHED)
                                   .order_by(DraftVersion.number)).all()
        for version in versions:
            data["versions"].append({"consultation_id": consultation.id, "number": version.number,
                                     "published_at": serializers.iso(version.published_at),
                                     "change_note": version.change_note})
            for section in consultation_queries.load_sections(session, version):
                data["sections"].append({"consultation_id": consultation.id, "version": version.number,
                                         **serializers.section(section)})
        comments = session.scalars(select(Comment).where(listed_condition(visitor, consultation))
                                   .options(joinedload(Comment.author), joinedload(Comment.organisation))
                                   .order_by(Comment.path, Comment.id)).all()
        anchors = {i: s.anchor for i, s in sections_by_id(session, {c.section_id for c in comments}).items()}
        replies: dict[int, int] = {}
        for comment in comments:
            if comment.parent_id:
                replies[comment.parent_id] = replies.get(comment.parent_id, 0) + 1
        data["comments"] += [serializers.comment(c, anchors, replies.get(c.id, 0)) for c in comments]
        summary = load_summary(session, consultation.id)
        revision = shown_revision(visitor, summary, consultation) if summary is not None else None
        if revision is not None:
            shown = {c["id"] for c in data["comments"]}
            citations = {point.id: [c.comment_id for c in point.citations if c.comment_id in shown]
                         for point in revision.points}
            dispositions = [serializers.disposition(row, consultation.id)
                            for group in resolution_table(session, summary, consultation, visitor)
                            for row in group.rows]
            for row in dispositions:
                row["comment_ids"] = [i for i in row["comment_ids"] if i in shown]
            dispositions.sort(key=lambda row: (row["round"], row["id"]))
            data["summaries"].append(serializers.summary(summary, revision, citations, dispositions))
            data["dispositions"] += dispositions
    return data


def _comments_csv(comments: list[dict[str, Any]]) -> str:
    rows = ((c["consultation_id"], c["id"], c["parent_id"], c["depth"], c["section_anchor"], c["kind"], c["stance"],
             c["language"], c["author"]["display_name"], (c["organisation"] or {}).get("name"), c["created_at"],
             c["published_at"], c["version"], c["body_html"], c["proposed_wording"]) for c in comments)
    return "".join(csv_lines(CSV_HEADER, rows))


def build_archive(session: Session, *, generated_at: datetime | None = None) -> bytes:
    generated_at = generated_at or utcnow()
    name = licence()
    data = collect(session)
    readme = {"title": "Agora 1540 open data", "generated_at": serializers.iso(generated_at),
              "licence": name, "licence_url": LICENCE_URLS.get(name),
              "attribution": f"Agora 1540, {current_app.config['BASE_URL']}",
              "files": {f"{key}.jsonl": len(items) for key, items in data.items()} | {"comments.csv": len(
                  data["comments"])},
              "content": "Public consultations, their published versions and sections, published public "
                         "comments, published summaries and the drafting governments' dispositions on the "
                         "points raised (the comment-resolution tables); nothing restricted, nothing "
                         "unpublished."}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("README.json", json.dumps(readme, indent=2, ensure_ascii=False))
        archive.writestr("LICENCE.txt", f"{name}\n{LICENCE_URLS.get(name, '')}\n\n{readme['attribution']}\n")
        for key, items in data.items():
            archive.writestr(f"{key}.jsonl", _jsonl(iter(items)))
        archive.writestr("comments.csv", _comments_csv(data["comments"]))
    return buffer.getvalue()


def publish(session: Session, target: Path | None = None, *, now: datetime | None = None) -> Published:
    """Build and write the files; their modification time is the build's clock (README's generated_at)."""
    now = now or utcnow()
    target_dir = target or directory()
    target_dir.mkdir(parents=True, exist_ok=True)
    body = build_archive(session, generated_at=now)
    digest = hashlib.sha256(body).hexdigest()
    for name, content in ((FILENAME, body), (FILENAME + ".sha256", f"{digest}  {FILENAME}\n".encode())):
        handle, temporary = tempfile.mkstemp(dir=target_dir, prefix=".opendata-")
        with os.fdopen(handle, "wb") as out:
            out.write(content)
        os.utime(temporary, (now.timestamp(), now.timestamp()))
        os.replace(temporary, target_dir / name)
    return current(target_dir)


def is_due(now: datetime, interval: timedelta, target: Path | None = None) -> bool:
    """Whether the worker should build: never when ``interval`` is 0; else when there is no
    file yet or the one there was built ``interval`` or longer before ``now``."""
    if interval <= timedelta(0):
        return False
    published = current(target)
    return published is None or published.generated_at is None or now - published.generated_at >= interval


def rebuild_when_due(session: Session, now: datetime, *, interval: timedelta | None = None,
                     target: Path | None = None) -> bool:
    """The worker's round (app/opendata/cli.py): rebuild when due (``OPEN_DATA_INTERVAL``).
    Several workers may rebuild at the same moment: each replaces the file atomically."""
    interval = current_app.config["OPEN_DATA_INTERVAL"] if interval is None else interval
    if not is_due(now, interval, target):
        return False
    # Serialisers build absolute links: a request context on BASE_URL, as in e-mails.
    with current_app.test_request_context(base_url=current_app.config["BASE_URL"]):
        publish(session, target, now=now)
    session.rollback()  # read only
    return True


def current(target: Path | None = None) -> Published | None:
    target_dir = target or directory()
    path = target_dir / FILENAME
    if not path.exists():
        return None
    checksum = (target_dir / (FILENAME + ".sha256"))
    digest = checksum.read_text().split()[0] if checksum.exists() else hashlib.sha256(path.read_bytes()).hexdigest()
    stat = path.stat()
    return Published(path=path, sha256=digest, size=stat.st_size,
                     generated_at=datetime.fromtimestamp(stat.st_mtime).astimezone(), licence=licence())
