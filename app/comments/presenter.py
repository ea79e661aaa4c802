"""What each comment of a page offers its reader, resolved once per page.

A page of comments asks every comment the same questions: may this reader
support it, reply, edit, withdraw, flag or moderate it, and where do those
links go. Asked from the template, each answer costs a template call, a
look-up of the signed-in user through Flask's proxy and a ``url_for`` — a
dozen per comment, most of the time a signed-in reader's page of 1,000
comments took. Here the reader, the consultation's addresses and the
constant labels are resolved once; each comment then costs one call. The
rules themselves stay in ``app.comments.policy`` and ``app.moderation``.

What a comment shows whoever reads it (author line, organisation, kind, stance,
body, amendment, moderation labels) is rendered once and kept as two fragments
(``fragment``/``keep``), in the page cache's store (app/core/cache.py), under a
key holding a digest of everything it shows (``_shown``: the comment's text and
state, its author's name and roles, its organisation, its moderation labels),
the language and the time zone: any change a fragment shows makes a new key, so
a kept fragment never outlives its data, and a support or a reply elsewhere in
the consultation keeps every other fragment. Only the reader's part (marks,
citations, the footer's actions) is rendered for each request. ``steps``
walks the threads of a page for a flat template loop.

A reader that is ``keeping`` renders a discussion for every participant at once
(app/comments/kept.py): where the reader's own parts go it leaves a slot
(``slot``), and records what filling it needs: the comment's facts and its
actions rendered for someone who wrote neither it nor flagged it, with and
without their support.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from flask_babel import get_timezone
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from app.accounts.policy import is_signed_in
from app.comments.models import Comment, CommentStatus
from app.comments.policy import can_edit_comment, can_reply_to, can_support_comment, can_withdraw_comment
from app.core.cache import page_cache
from app.core.db import utcnow
from app.core.i18n import viewer_locale
from app.core.slots import slot
from app.core.urls import url_template


@dataclass(frozen=True)
class Offer:
    """One comment's links for this reader; an empty address: not offered."""

    permalink: str
    support: str = ""
    supported: bool = False
    reply: str = ""
    edit: str = ""
    withdraw: str = ""
    flag: str = ""
    moderate: str = ""
    my_flag: Any = None  # the reader's own flag on it (app.moderation.models.Flag)
    own: bool = False


@dataclass(frozen=True)
class Someone:
    """A signed-in participant who wrote none of the page's comments, flagged none and
    holds no role: whom the actions kept for every participant are rendered for."""

    is_active: bool = True
    id: int = 0
    is_authenticated: bool = True
    grants: tuple = ()


@dataclass
class Shown:
    """What a comment's actions show, kept with a discussion (``facts``), to render
    them again for a reader whom the kept ones do not fit (the comment's author,
    a reader who flagged it)."""

    id: int
    created_at: Any
    author_id: int
    status: str
    support_count: int
    author_name: str
    reply_count: int
    moderated: bool
    root_id: int | None
    receipt_number: str | None
    consultation_id: int

    @property
    def author(self) -> Any:
        return _Named(self.author_name)

    @property
    def moderated_at(self) -> Any:
        return True if self.moderated else None

    @property
    def is_published(self) -> bool:
        return self.status == CommentStatus.PUBLISHED


@dataclass(frozen=True)
class _Named:
    display_name: str


def facts(comment: Comment) -> list:
    """The JSON-able facts of ``comment`` that ``Shown`` holds, in its field order."""
    return [comment.id, comment.created_at.isoformat(), comment.author_id, comment.status, comment.support_count,
            comment.author.display_name, comment.reply_count, comment.moderated_at is not None, comment.root_id,
            comment.receipt_number, comment.consultation_id]


@dataclass(frozen=True)
class Step:
    """One step of the flat walk of a page's threads: a node opens (its comment
    is shown), closes (its replies are done), or both when its replies are shown
    flattened or it has none."""

    node: Any
    depth: int
    opens: bool
    closes: bool
    replies: int = 0  # every reply below the node


def walk(roots: list, display_depth: int) -> Iterator[Step]:
    """The nodes of ``roots`` in page order; below ``display_depth`` replies are
    shown flattened under their ancestor (one step for all of them)."""
    def count(node: Any) -> int:
        return sum(1 + count(child) for child in node.children)

    stack: list[tuple[Any, int, bool]] = [(root, 0, False) for root in reversed(roots)]
    while stack:
        node, depth, done = stack.pop()
        if done:
            yield Step(node, depth, opens=False, closes=True)
            continue
        nests = bool(node.children) and depth + 1 < display_depth
        yield Step(node, depth, opens=True, closes=not nests, replies=count(node) if node.children else 0)
        if nests:
            stack.append((node, depth, True))
            stack.extend((child, depth + 1, False) for child in reversed(node.children))


class Labels:
    """The footer's and header's constant words, translated once per page."""

    def __init__(self) -> None:
        self.link_to_comment = _("link to this comment")
        self.personal_capacity = _("personal capacity")
        self.support = _("Support")
        self.supported = _("Supported")
        self.take_back = _("select to take your support back")
        self.reply = _("Reply")
        self.edit = _("Edit")
        self.withdraw = _("Withdraw")
        self.flag = _("Flag")
        self.moderate = _("Moderate")


class PageReader:
    """The reader of one page of comments of ``consultation``.

    ``mod`` is the page's moderation facts (app.moderation.reader_queries.ThreadModeration)
    or None; ``supported_ids`` the comments the reader supports."""

    def __init__(self, consultation: Any, mod: Any = None, supported_ids: Any = (), *,
                 edit_window: Any = None, keeping: bool = False) -> None:
        self.user = current_user._get_current_object()
        self.csrf_token = ""
        self.signed_in = is_signed_in(self.user)
        self.keeping = keeping and self.signed_in
        # Filled while keeping: per slotted comment [facts, actions, actions with the reader's support],
        # and per choice its rendered alternatives.
        self.comments: list[list] = []
        self.choices: dict[str, list[str]] = {}
        self._places: dict[int, int] = {}
        self.mod = mod
        self.supported_ids = supported_ids
        self.labels = Labels()
        self._open = consultation.is_open
        self._now = utcnow()
        self._window = edit_window
        c = consultation.id
        self._consultation = consultation
        self._kept: dict[int, Any] = {}
        self._keys: dict[int, str] = {}
        self._new: dict[str, list[str]] = {}
        self._prefix: str | None = None
        self._batch = False  # inside ``steps``: fragments fetched before and stored after, in one go
        self._permalink = url_template("comments.permalink", "comment_id", consultation_id=c)
        if self.signed_in:
            self.csrf_token = slot("c") if self.keeping else generate_csrf()  # the support buttons' forms
            self._support = url_template("comments.support_comment", "comment_id", consultation_id=c)
            self._reply = url_template("comments.new_comment", "parent", consultation_id=c)
            self._edit = url_template("comments.edit_comment", "comment_id", consultation_id=c)
            self._withdraw = url_template("comments.withdraw_comment", "comment_id", consultation_id=c)
            self._flag = url_template("moderation.flag", "comment_id", consultation_id=c)
            self._moderate = url_template("moderation.show_item", "comment_id")

    def offer(self, comment: Any) -> Offer:
        if not self.signed_in:
            return Offer(self._permalink.format(comment_id=comment.id))
        mod = self.mod
        my_flag = mod.my_flags.get(comment.id) if mod is not None else None
        may_flag = my_flag is None and mod is not None and mod.may_flag(comment)
        return self._offer(comment, self.user, comment.id in self.supported_ids, my_flag, may_flag,
                           mod is not None and mod.moderates)

    def offer_to_others(self, comment: Comment, supported: bool) -> Offer:
        """What ``comment`` offers ``Someone`` (as active as the reader), with or without their support."""
        someone = Someone(is_active=bool(getattr(self.user, "is_active", False)))
        mod = self.mod
        return self._offer(comment, someone, supported, None, mod is not None and mod.may_flag(comment, someone),
                           False)

    def _offer(self, comment: Any, user: Any, supported: bool, my_flag: Any, may_flag: bool,
               moderates: bool) -> Offer:
        mod, cid = self.mod, comment.id
        published = comment.status == CommentStatus.PUBLISHED
        locked = mod is not None and mod.is_locked(comment)
        return Offer(
            permalink=self._permalink.format(comment_id=cid),
            support=self._support.format(comment_id=cid) if published and can_support_comment(user, comment) else "",
            supported=supported,
            reply=(self._reply.format(parent=cid)
                   if published and self._open and not locked and can_reply_to(user, comment) else ""),
            edit=(self._edit.format(comment_id=cid)
                  if self._window is not None and can_edit_comment(user, comment, self._window, self._now) else ""),
            withdraw=self._withdraw.format(comment_id=cid) if can_withdraw_comment(user, comment) else "",
            flag=self._flag.format(comment_id=cid) if may_flag else "",
            moderate=self._moderate.format(comment_id=cid) if moderates else "",
            my_flag=my_flag,
            own=comment.author_id == user.id,
        )

    # --- slots: the reader's parts of a discussion kept for every participant ----------------

    def _place(self, comment: Comment) -> int:
        place = self._places.get(comment.id)
        if place is None:
            place = self._places[comment.id] = len(self.comments)
            self.comments.append([facts(comment), [], []])
        return place

    def new_slot(self, comment: Comment, mark: str) -> Markup:
        """Where the "new" mark goes (``mark``: the mark, the same for every comment)."""
        self.choices.setdefault("n", [[str(mark)]])
        return slot("n", self._place(comment))

    def footer_slot(self, comment: Comment, unsupported: str, supported: str) -> Markup:
        """Where the comment's actions go: kept as rendered for ``Someone``, without and with their support."""
        kept = self.comments[self._place(comment)]
        kept[1], kept[2] = str(unsupported).split(str(self.csrf_token)), str(supported).split(str(self.csrf_token))
        return slot("t", self._places[comment.id])

    def choice(self, kind: str, chosen: Any, *alternatives: str) -> Markup:
        """One of ``alternatives`` (by ``chosen``, a bool or an index); while keeping, a slot
        of ``kind`` (one letter) that the reader's own answer fills."""
        if not self.keeping:
            return Markup(alternatives[int(chosen)])  # noqa: S704 - rendered templates
        self.choices[kind] = [str(a).split(str(self.csrf_token)) for a in alternatives]
        return slot(kind)

    def permalink(self, comment: Comment) -> str:
        return self._permalink.format(comment_id=comment.id)

    def steps(self, roots: list, display_depth: int) -> Iterator[Step]:
        """The page's threads for a flat loop; their kept fragments are fetched first, in one go."""
        comments = [n.comment for root in roots for n in (root, *root.descendants())]
        self._batch = True
        self._fetch(comments)
        return walk(roots, display_depth)

    # --- fragments: the reader-independent part of each comment, kept -------------------

    def _key_prefix(self, mod: Any) -> str | None:
        """What every fragment of this page depends on besides the comment: None when
        fragments are not kept (no store, or a request that changes content)."""
        cache = page_cache()
        if cache.store is None or not cache.reading():
            return None
        if self._prefix is None:
            c = self._consultation
            raw = json.dumps([cache.build, viewer_locale(), str(get_timezone()), c.id, c.country_code], default=str)
            self._prefix = "agora:page:fragment:" + hashlib.sha256(raw.encode()).hexdigest()[:32]
        return f"{self._prefix}:{'m' if mod is not None else '-'}:"

    @staticmethod
    def _shown(comment: Comment, mod: Any) -> str:
        """A digest of everything a comment's fragment shows: a fragment is kept per revision
        of those, so a support or a reply elsewhere in the consultation keeps it."""
        author, org, cid = comment.author, comment.organisation, comment.id
        raw = json.dumps([
            cid, comment.status, comment.audience, comment.kind, comment.stance, comment.language,
            comment.created_at, comment.edited_at, comment.parent_id, comment.body_html, comment.proposed_diff,
            author.display_name, author.role_keys,  # badges
            [org.id, org.name, org.kind, org.country_code] if org else None,
            mod is not None and [cid in mod.moderator_edited, mod.is_locked(comment), cid in mod.highlighted],
        ], default=str)
        return hashlib.sha256(raw.encode()).hexdigest()[:32]

    def _fetch(self, comments: list[Comment]) -> None:
        mod = self.mod
        prefix = self._key_prefix(mod)
        wanted = [c for c in comments if c.id not in self._kept]
        if prefix is None or not wanted:
            return
        keys = [prefix + self._shown(c, mod) for c in wanted]
        self._keys.update((c.id, key) for c, key in zip(wanted, keys, strict=True))
        for comment, value in zip(wanted, page_cache().store.get_many(keys), strict=True):
            if value is not None:
                self._kept[comment.id] = (Markup(value[0]), Markup(value[1]))  # noqa: S704 - our templates' output

    def fragment(self, comment: Comment, mod: Any = None) -> tuple[Markup, Markup] | None:
        """The kept (head, middle) of ``comment``, or None: render them and ``keep`` them."""
        if mod is not self.mod:
            return None
        found = self._kept.get(comment.id)
        if found is None and not self._batch:
            self._fetch([comment])
            found = self._kept.get(comment.id)
        if found is not None:
            page_cache().fragment_hits += 1
        return found

    def keep(self, comment: Comment, mod: Any, head: str, middle: str) -> tuple[Markup, Markup]:
        page_cache().fragment_renders += 1
        value = (Markup(head), Markup(middle))  # noqa: S704 - our templates' output
        prefix = self._key_prefix(mod) if mod is self.mod else None
        if prefix is not None:
            self._kept[comment.id] = value
            key = self._keys.get(comment.id) or prefix + self._shown(comment, mod)
            self._new[key] = [str(head), str(middle)]
            if not self._batch:
                self.save()
        return value

    def save(self) -> str:
        """Store the fragments rendered on this page (one round trip); returns ""."""
        if self._new:
            page_cache().store.set_many(self._new)
            self._new = {}
        return ""
