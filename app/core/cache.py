"""Rendered discussion windows for readers who are not signed in, kept until
the content they show changes.

What a visitor sees of a discussion depends only on the comments, the people
and organisations named in them and the moderation state, never on who asks.
Those rendered windows are kept (per process in memory, or in Redis shared by
every process) under a key that holds the **content revision**: a random
token in the ``content_revision`` table that every transaction changing such
content replaces, in the same transaction, just before it commits. A reader
reads the token first, then the content, so a window is never filed under a
token older than its data, and a hidden comment disappears for everyone on
the next request, on every host.

Domains declare what their discussions show with ``track(Model)`` (any row
change counts) or ``track(Model, "name", ...)`` (only those attributes);
ORM flushes and bulk ``update()`` / ``delete()`` / ``insert()`` statements on
those tables are both seen. Signed-in readers are never served a kept page:
theirs carry their own actions, supports and flags. ``remember`` keeps plain
figures derived from the same content for any reader (the review queue's
counts per moderator scope, the public moderation figures).
"""

from __future__ import annotations

import hashlib
import json
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask, current_app, g, has_request_context, request
from flask_babel import get_timezone
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import event, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm import attributes as orm_attributes

from app.core.db import db, utcnow
from app.core.i18n import viewer_locale
from app.core.models import ContentRevision

DISCUSSION = "discussion"
CONTENT_CHANGED = "agora_content_changed"  # session.info: this transaction changed tracked content
_ANY = None
_TRACKED: dict[type, frozenset[str] | None] = {}
_TRACKED_TABLES: set[str] = set()


def track(model: type, *attributes: str) -> None:
    """Changes to ``model`` (or only to these attributes of it) change what
    discussions show."""
    _TRACKED[model] = frozenset(attributes) if attributes else _ANY
    _TRACKED_TABLES.add(model.__table__.name)


def _tracked_change(obj: Any, *, dirty: bool) -> bool:
    for model, names in _TRACKED.items():
        if not isinstance(obj, model):
            continue
        if not dirty:
            return names is _ANY
        state = orm_attributes.instance_state(obj)
        watched = state.mapper.column_attrs.keys() if names is _ANY else names
        return any(state.attrs[name].history.has_changes() for name in watched)
    return False


@event.listens_for(Session, "before_flush")
def _note_flush(session: Session, _context: Any, _instances: Any) -> None:
    if session.info.get(CONTENT_CHANGED):
        return
    if any(_tracked_change(o, dirty=False) for o in (*session.new, *session.deleted)) or any(
            _tracked_change(o, dirty=True) for o in session.dirty):
        session.info[CONTENT_CHANGED] = True


@event.listens_for(Session, "do_orm_execute")
def _note_statement(state: Any) -> None:
    if state.is_update or state.is_delete or state.is_insert:
        table = getattr(state.statement, "table", None)
        if getattr(table, "name", None) in _TRACKED_TABLES:
            state.session.info[CONTENT_CHANGED] = True


@event.listens_for(Session, "before_commit")
def _renew_token(session: Session) -> None:
    """The last write of a transaction that changed tracked content: taking the
    revision row's lock last keeps concurrent writers from deadlocking on it."""
    session.flush()
    if session.info.pop(CONTENT_CHANGED, False):
        session.execute(update(ContentRevision).where(ContentRevision.name == DISCUSSION)
                        .values(token=uuid.uuid4().hex, changed_at=utcnow()))


@event.listens_for(Session, "after_soft_rollback")
def _forget(session: Session, _previous: Any) -> None:
    session.info.pop(CONTENT_CHANGED, None)


def content_token(session: Session) -> str | None:
    return session.scalar(select(ContentRevision.token).where(ContentRevision.name == DISCUSSION))


# --- storage ---------------------------------------------------------------------------

class MemoryStore:
    """Least recently used entries first out, bounded by total size."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[str, tuple[Any, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: str) -> Any:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            self._entries.move_to_end(key)
            return entry[0]

    def set(self, key: str, value: Any, size: int) -> None:
        if size > self.max_bytes:
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= old[1]
            self._entries[key] = (value, size)
            self._bytes += size
            while self._bytes > self.max_bytes:
                _key, (_value, dropped) = self._entries.popitem(last=False)
                self._bytes -= dropped

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0


class RedisStore:
    """Shared by every process; entries expire, since old tokens are never asked for again."""

    def __init__(self, url: str, seconds: int) -> None:
        import redis

        self.client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self.seconds = seconds

    def get(self, key: str) -> Any:
        try:
            raw = self.client.get(key)
        except Exception:  # noqa: BLE001 - a cache that is down is a cache miss, not an error page
            current_app.logger.warning("page cache: Redis unavailable", exc_info=True)
            return None
        return json.loads(raw) if raw else None

    def set(self, key: str, value: Any, size: int) -> None:
        try:
            self.client.setex(key, self.seconds, json.dumps(value))
        except Exception:  # noqa: BLE001
            current_app.logger.warning("page cache: Redis unavailable", exc_info=True)

    def clear(self) -> None:
        try:
            for key in self.client.scan_iter("agora:page:*"):
                self.client.delete(key)
        except Exception:  # noqa: BLE001
            current_app.logger.warning("page cache: Redis unavailable", exc_info=True)


class PageCache:
    def __init__(self, store: MemoryStore | RedisStore | None, build: str) -> None:
        self.store = store
        self.build = build
        self.hits = self.misses = 0

    def for_visitors(self, parts: tuple, produce: Callable[[], dict]) -> dict:
        """``produce()`` (a JSON-able dict whose ``html`` is rendered template
        output; ``keep: False`` in it says not to keep this one), or the copy
        kept for the same parts, page address, language, time zone and content
        revision. Only for visitors (not signed in); ``html`` comes back as Markup."""
        def rendered() -> dict:
            value = produce()
            return {**value, "html": str(value["html"])}

        if self.store is None or current_user.is_authenticated:
            value = rendered()
        else:
            value = self._kept(["page", viewer_locale(), str(get_timezone()), request.path,
                                sorted(request.args.items(multi=True)), *parts],
                               rendered, keep=lambda v: v.get("keep", True))
        return {**value, "html": Markup(value["html"])}  # noqa: S704 - our own templates' output

    def remember(self, parts: tuple, produce: Callable[[], Any]) -> Any:
        """``produce()``, or the value kept for ``parts`` under the current content
        revision: for figures derived only from tracked content (the review
        queue's counts), whoever reads them. ``parts`` must name everything else
        the value depends on (the reader's scope, the filters). JSON-able values."""
        if self.store is None:
            return produce()
        return self._kept(["value", *parts], produce)

    def _kept(self, parts: list, produce: Callable[[], Any], keep: Callable[[Any], bool] = lambda _v: True) -> Any:
        token = self._token() if self._reading() else None
        if token is None:
            return produce()
        raw = json.dumps([self.build, token, *parts], default=str)
        key = "agora:page:" + hashlib.sha256(raw.encode()).hexdigest()
        entry = self.store.get(key)
        if entry is not None:
            self.hits += 1
            return entry["value"]
        self.misses += 1
        value = produce()
        if keep(value):
            encoded = json.dumps(value, default=str)
            self.store.set(key, {"value": value}, 2 * len(encoded) + 200)
        return value

    @staticmethod
    def _reading() -> bool:
        return (has_request_context() and request.method in ("GET", "HEAD")
                and not db.session.info.get(CONTENT_CHANGED))

    @staticmethod
    def _token() -> str | None:
        """Read once per request: a reading request changes nothing."""
        if "content_token" not in g:
            g.content_token = content_token(db.session)
        return g.content_token

    def clear(self) -> None:
        if self.store is not None:
            self.store.clear()


def build_fingerprint(root: Path) -> str:
    """Changes whenever code, templates or catalogues change, so a shared cache
    never serves a page rendered by an earlier release."""
    digest = hashlib.sha256()
    for folder, pattern in (("app", "*.py"), ("app", "*.mo"), ("templates", "*.html")):
        for path in sorted((root / folder).rglob(pattern)):
            stat = path.stat()
            digest.update(f"{path.relative_to(root)}:{stat.st_size}:{stat.st_mtime_ns};".encode())
    return digest.hexdigest()[:16]


def init_app(app: Flask) -> None:
    mode = app.config["PAGE_CACHE"]
    store: MemoryStore | RedisStore | None = None
    if mode == "redis" or (mode == "auto" and app.config.get("REDIS_URL")):
        store = RedisStore(app.config["REDIS_URL"], app.config["PAGE_CACHE_SECONDS"])
    elif mode in ("memory", "auto"):
        store = MemoryStore(app.config["PAGE_CACHE_MAX_MB"] * 1024 * 1024)
    app.extensions["agora_page_cache"] = PageCache(store, build_fingerprint(Path(app.root_path).parent))


def page_cache(app: Flask | None = None) -> PageCache:
    return (app or current_app).extensions["agora_page_cache"]
