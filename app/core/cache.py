"""Rendered discussion windows for readers who are not signed in, kept until
the content they show changes.

What a visitor sees of a discussion depends only on the comments, the people
and organisations named in them and the moderation state, never on who asks.
Those rendered windows are kept (per process in memory, or in Redis shared by
every process) under a key that holds the **content tokens** of the scopes
the window shows: one random token per consultation (``consultation:<id>``;
its text alone, which comments leave as it is, has ``draft:<id>``)
and one for the whole site (``site``: what every page shows, such as reason
labels), rows of the ``content_token`` table. A transaction that changes such
content replaces the tokens of the scopes it touched, in the same
transaction, as the last thing before it commits. A reader reads the tokens
first, then the content, so a window is never filed under a token older than
its data, and a hidden comment disappears for everyone on the next request,
on every host. A support on one consultation leaves every other
consultation's windows kept, and writers on different consultations never
wait for each other on a token.

Domains declare what their discussions show with ``track(Model, scopes=...)``
(any row change counts) or ``track(Model, "name", ..., scopes=...)`` (only
those attributes); ``scopes(session, obj)`` names the scopes the row is shown
in: scope names, or a ``select()`` of consultation ids evaluated at commit
(a person's name is shown in every consultation they wrote in). ORM flushes
and bulk ``update()`` / ``delete()`` / ``insert()`` statements on those
tables are both seen; a bulk statement names its scopes with the execution
option ``content_scopes``, or it counts for the whole site. Signed-in readers
are served what ``for_readers`` keeps with their own actions, supports and
flags put in (app/comments/kept.py); ``frame`` keeps the part of a page that
is the same for everyone allowed to see it (a section page's draft text), and
``remember`` plain figures derived from the same content for any reader (the
review queue's counts per moderator scope, the public moderation figures);
``chrome`` what shows no content at all (the site's header and footer).

The tokens are the last rows a writing transaction locks (see the lock order
in app/core/transactions.py); they are written only when the outermost
transaction commits, never when a savepoint is released.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

from flask import Flask, current_app, g, has_request_context, request
from flask_babel import get_timezone
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import Select, bindparam, event, select
from sqlalchemy.orm import Session
from sqlalchemy.orm import attributes as orm_attributes

from app.core.cache_stores import MemoryStore, RedisStore
from app.core.db import COMMIT_WORK, db, upsert, utcnow
from app.core.i18n import viewer_locale
from app.core.models import ContentToken

SITE = "site"
CONSULTATIONS = "consultation:*"  # every consultation's token (the review queue of a global moderator)
CONTENT_CHANGED = "agora_content_changed"  # session.info: the scopes this transaction changed
COMMIT_WORK.append(CONTENT_CHANGED)
_ANY = None
Scopes = Callable[[Session, Any], "Iterable[str] | Select"]
_TRACKED: dict[type, list[tuple[frozenset[str] | None, Scopes]]] = {}
_TRACKED_TABLES: set[str] = set()


def consultation_scope(consultation_id: Any) -> str:
    return f"consultation:{consultation_id}" if consultation_id is not None else SITE


def draft_scope(consultation_id: Any) -> str:
    """The consultation's text alone (title, versions, provisions, translations), which
    comments, supports and flags leave as it is: what section pages keep of the draft."""
    return f"draft:{consultation_id}" if consultation_id is not None else SITE


def _whole_site(_session: Session, _obj: Any) -> list[str]:
    return [SITE]


def track(model: type, *attributes: str, scopes: Scopes = _whole_site) -> None:
    """Changes to ``model`` (or only to these attributes of it) change what
    pages show, in the scopes ``scopes(session, row)`` names. A model may be
    tracked by several domains (a person's name is shown where they wrote and
    where they translated): each names its own scopes."""
    _TRACKED.setdefault(model, []).append((frozenset(attributes) if attributes else _ANY, scopes))
    _TRACKED_TABLES.add(model.__table__.name)


def _tracked_scopes(obj: Any, *, dirty: bool) -> list[Scopes]:
    found = []
    for model, registrations in _TRACKED.items():
        if not isinstance(obj, model):
            continue
        for names, scopes in registrations:
            if not dirty:
                if names is _ANY:
                    found.append(scopes)
                continue
            state = orm_attributes.instance_state(obj)
            watched = state.mapper.column_attrs.keys() if names is _ANY else names
            if any(state.attrs[name].history.has_changes() for name in watched):
                found.append(scopes)
    return found


def _changed(session: Session) -> dict[str, Any]:
    return session.info.setdefault(CONTENT_CHANGED, {"scopes": set(), "queries": []})


def note_changed(session: Session, scopes: Iterable[str] | Select) -> None:
    """This transaction changed what ``scopes`` show (names, or a select of consultation ids)."""
    changed = _changed(session)
    if isinstance(scopes, Select):
        changed["queries"].append(scopes)
    else:
        changed["scopes"].update(scopes)


@event.listens_for(Session, "before_flush")
def _note_flush(session: Session, _context: Any, _instances: Any) -> None:
    for obj, dirty in [*((o, False) for o in (*session.new, *session.deleted)),
                       *((o, True) for o in session.dirty)]:
        for scopes in _tracked_scopes(obj, dirty=dirty):
            note_changed(session, scopes(session, obj))


@event.listens_for(Session, "do_orm_execute")
def _note_statement(state: Any) -> None:
    if state.is_update or state.is_delete or state.is_insert:
        table = getattr(state.statement, "table", None)
        if getattr(table, "name", None) in _TRACKED_TABLES:
            note_changed(state.session, state.execution_options.get("content_scopes") or (SITE,))


@event.listens_for(Session, "before_commit")
def _renew_tokens(session: Session) -> None:
    """The last writes of a transaction that changed tracked content, in scope
    order: releasing a savepoint (also a "commit") takes no lock here."""
    if session.in_nested_transaction():
        return
    session.flush()
    changed = session.info.pop(CONTENT_CHANGED, None)
    if not changed:
        return
    scopes = set(changed["scopes"])
    for query in changed["queries"]:
        scopes.update(consultation_scope(cid) for cid in session.scalars(query))
    for scope in sorted(scopes):
        _renew(session, scope)


def _renew(session: Session, scope: str) -> None:
    values = {"scope": scope, "token": uuid.uuid4().hex, "changed_at": utcnow()}
    statement = upsert(session.get_bind().dialect.name, ContentToken).values(**values)
    session.execute(statement.on_conflict_do_update(
        index_elements=[ContentToken.scope],
        set_={"token": statement.excluded.token, "changed_at": statement.excluded.changed_at}))


@event.listens_for(Session, "after_soft_rollback")
def _forget(session: Session, previous: Any) -> None:
    # A savepoint rolled back may have followed changes that stay: keep what was noted.
    if not previous.nested:
        session.info.pop(CONTENT_CHANGED, None)


def _within(scope: str, scopes: Iterable[str]) -> bool:
    """``scope`` is one of ``scopes`` (``CONSULTATIONS``: any consultation's)."""
    return scope in scopes or (CONSULTATIONS in scopes and scope.startswith(CONSULTATIONS[:-1]))


def _covers(wider: Iterable[str], scopes: Iterable[str]) -> bool:
    """The tokens read for ``wider`` hold every token of ``scopes``."""
    return all(_within(scope, wider) for scope in scopes)


def content_tokens(session: Session, scopes: Iterable[str]) -> list[tuple[str, str]]:
    """(scope, token) of ``scopes`` that have a token (a scope never changed has none),
    ``CONSULTATIONS`` standing for every consultation."""
    names = sorted(set(scopes))
    return [tuple(row) for row in session.connection().execute(  # plain values: no ORM work
        _tokens_statement(CONSULTATIONS in names), {"names": [n for n in names if n != CONSULTATIONS]})]


@lru_cache(maxsize=2)
def _tokens_statement(every_consultation: bool) -> Select:
    """Built once: building a statement costs more than running it."""
    condition = ContentToken.scope.in_(bindparam("names", expanding=True))
    if every_consultation:
        condition = condition | ContentToken.scope.like("consultation:%")
    return select(ContentToken.scope, ContentToken.token).where(condition).order_by(ContentToken.scope)


def content_token(session: Session, scope: str = SITE) -> str | None:
    return session.scalar(select(ContentToken.token).where(ContentToken.scope == scope))


class PageCache:
    def __init__(self, store: MemoryStore | RedisStore | None, build: str) -> None:
        self.store = store
        self.build = build
        self.hits = self.misses = 0
        # Comment fragments (app.comments.presenter): served kept, and rendered.
        self.fragment_hits = self.fragment_renders = 0
        # Review-queue cards, and what ``for_readers`` keeps (by its first part): served kept, rendered.
        self.card_hits = self.card_renders = 0
        self.reader_hits: Counter[str] = Counter()
        self.reader_renders: Counter[str] = Counter()
        # What ``frame`` keeps: served kept, rendered.
        self.frame_hits = self.frame_renders = 0
        # What ``row`` keeps: served kept, read from the database.
        self.row_hits = self.row_renders = 0
        # What ``chrome`` keeps (the site's header and footer): served kept, rendered.
        self.chrome_hits = self.chrome_renders = 0

    def for_visitors(self, parts: tuple, produce: Callable[[], dict], *, scopes: Iterable[str]) -> dict:
        """``produce()`` (a JSON-able dict whose ``html`` is rendered template
        output; ``keep: False`` in it says not to keep this one), or the copy
        kept for the same parts, page address, language, time zone and content
        tokens of ``scopes`` (and of the site). Only for visitors (not signed
        in); ``html`` comes back as Markup."""
        def rendered() -> dict:
            value = produce()
            return {**value, "html": str(value["html"])}

        if self.store is None or current_user.is_authenticated:
            value = rendered()
        else:
            value = self._kept(["page", viewer_locale(), str(get_timezone()), request.path,
                                sorted(request.args.items(multi=True)), *parts],
                               rendered, scopes, keep=lambda v: v.get("keep", True))
        return {**value, "html": Markup(value["html"])}  # noqa: S704 - our own templates' output

    def for_readers(self, parts: tuple, produce: Callable[[], dict], *, scopes: Iterable[str]) -> dict:
        """As ``for_visitors`` (without the address), for signed-in readers: ``parts`` name
        whom the value is for (app/comments/kept.py fills in each reader's own parts)."""
        if self.store is None or not self.reading():
            return produce()
        tokens = self.tokens((SITE, *scopes))
        raw = json.dumps([self.build, tokens, "readers", viewer_locale(), str(get_timezone()), *parts], default=str)
        key = "agora:page:readers:" + hashlib.sha256(raw.encode()).hexdigest()
        entry = self.store.get(key)
        if entry is None:
            self.reader_renders[str(parts[0])] += 1
            entry = produce()
            if entry.get("keep", True):
                self.store.set(key, entry, 2 * len(json.dumps(entry)) + 200)
        else:
            self.reader_hits[str(parts[0])] += 1
        return entry

    def remember(self, parts: tuple, produce: Callable[[], Any], *, scopes: Iterable[str]) -> Any:
        """``produce()``, or the value kept for ``parts`` under the current content
        tokens of ``scopes``: for figures derived only from tracked content (the
        review queue's counts), whoever reads them. ``parts`` must name everything
        else the value depends on (the reader's scope, the filters). JSON-able values."""
        if self.store is None:
            return produce()
        return self._kept(["value", *parts], produce, scopes)

    def frame(self, parts: tuple, produce: Callable[[], dict], *, scopes: Iterable[str]) -> dict:
        """As ``remember``, for the part of a page every reader allowed to see it sees
        alike, whoever they are (the draft's text on a section page): ``parts`` name the
        page and everything else it depends on (language, time zone, address)."""
        if self.store is None:
            return produce()
        return self._kept(["frame", *parts], produce, scopes, counts=("frame_hits", "frame_renders"))

    def row(self, parts: tuple, produce: Callable[[], dict], *, scopes: Iterable[str]) -> dict:
        """As ``frame``, for rows every page under a consultation loads (the consultation
        and its versions, app/consultations/loading.py)."""
        if self.store is None:
            return produce()
        return self._kept(["row", *parts], produce, scopes, counts=("row_hits", "row_renders"))

    def chrome(self, parts: tuple, produce: Callable[[], Any]) -> Any:
        """``produce()``, or the value kept for ``parts``, for what shows no content at all
        (the site's header and footer, app/core/chrome.py): ``parts`` name everything it
        depends on, and no content token is read."""
        if self.store is None:
            return produce()
        return self._stored(["chrome", *parts], produce, counts=("chrome_hits", "chrome_renders"))

    def _kept(self, parts: list, produce: Callable[[], Any], scopes: Iterable[str],
              keep: Callable[[Any], bool] = lambda _v: True, counts: tuple[str, str] = ("hits", "misses")) -> Any:
        if not self.reading():
            return produce()
        return self._stored([self.tokens((SITE, *scopes)), *parts], produce, keep, counts)

    def _stored(self, parts: list, produce: Callable[[], Any], keep: Callable[[Any], bool] = lambda _v: True,
                counts: tuple[str, str] = ("hits", "misses")) -> Any:
        """``produce()``, or the value stored under ``parts`` (and this build); ``counts`` name
        the counters of values served and produced."""
        raw = json.dumps([self.build, *parts], default=str)
        key = "agora:page:" + hashlib.sha256(raw.encode()).hexdigest()
        entry = self.store.get(key)
        hit, rendered = counts
        if entry is not None:
            setattr(self, hit, getattr(self, hit) + 1)
            return entry["value"]
        setattr(self, rendered, getattr(self, rendered) + 1)
        value = produce()
        if keep(value):
            encoded = json.dumps(value, default=str)
            self.store.set(key, {"value": value}, 2 * len(encoded) + 200)
        return value

    def read_tokens_first(self, scopes: Iterable[str]) -> None:
        """Read the content tokens of ``scopes`` now, before a page loads what it will keep
        (a row read before its token could be filed under a token newer than itself)."""
        if self.store is not None and self.reading():
            self.tokens((SITE, *scopes))

    @staticmethod
    def reading() -> bool:
        """Kept copies may be read and filed now (a reading request that changed nothing)."""
        return (has_request_context() and request.method in ("GET", "HEAD")
                and not db.session.info.get(CONTENT_CHANGED))

    @staticmethod
    def tokens(scopes: tuple[str, ...]) -> list[tuple[str, str]]:
        """The content tokens of ``scopes``, read once per request (a reading request changes
        nothing): from the tokens of a wider set read earlier, if any."""
        known = g.setdefault("content_tokens", {})
        key = tuple(sorted(set(scopes)))
        if key not in known:
            wider = next((k for k in known if _covers(k, key)), None)
            known[key] = (content_tokens(db.session, key) if wider is None
                          else [row for row in known[wider] if _within(row[0], key)])
        return known[key]

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
    if mode == "redis" or (mode == "auto" and app.config["REDIS_URL"]):
        store = RedisStore(app.config["REDIS_URL"], app.config["PAGE_CACHE_SECONDS"])
    elif mode in ("memory", "auto"):
        store = MemoryStore(app.config["PAGE_CACHE_MAX_MB"] * 1024 * 1024)
    app.extensions["agora_page_cache"] = PageCache(store, build_fingerprint(Path(app.root_path).parent))


def page_cache(app: Flask | None = None) -> PageCache:
    return (app or current_app).extensions["agora_page_cache"]
