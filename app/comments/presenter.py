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
key holding the content tokens of the site and of the comment's consultation,
the language and the time zone: any change a fragment shows renews the token,
so a kept fragment never outlives its data. Only the reader's part (marks,
citations, the footer's actions) is rendered for each request. ``steps``
walks the threads of a page for a flat template loop.
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
from app.core.cache import SITE, consultation_scope, page_cache
from app.core.db import utcnow
from app.core.i18n import viewer_locale
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

    ``mod`` is the page's moderation facts (app.moderation.queries.ThreadModeration)
    or None; ``supported_ids`` the comments the reader supports."""

    def __init__(self, consultation: Any, mod: Any = None, supported_ids: Any = (), *,
                 edit_window: Any = None) -> None:
        self.user = current_user._get_current_object()
        self.csrf_token = ""
        self.signed_in = is_signed_in(self.user)
        self.mod = mod
        self.supported_ids = supported_ids
        self.labels = Labels()
        self._open = consultation.is_open
        self._now = utcnow()
        self._window = edit_window
        c = consultation.id
        self._consultation = consultation
        self._kept: dict[int, Any] = {}
        self._new: dict[str, list[str]] = {}
        self._prefix: str | None = None
        self._batch = False  # inside ``steps``: fragments fetched before and stored after, in one go
        self._permalink = url_template("comments.permalink", "comment_id", consultation_id=c)
        if self.signed_in:
            self.csrf_token = generate_csrf()  # the support buttons' forms
            self._support = url_template("comments.support_comment", "comment_id", consultation_id=c)
            self._reply = url_template("comments.new_comment", "parent", consultation_id=c)
            self._edit = url_template("comments.edit_comment", "comment_id", consultation_id=c)
            self._withdraw = url_template("comments.withdraw_comment", "comment_id", consultation_id=c)
            self._flag = url_template("moderation.flag", "comment_id", consultation_id=c)
            self._moderate = url_template("moderation.show_item", "comment_id")

    def offer(self, comment: Comment) -> Offer:
        permalink = self._permalink.format(comment_id=comment.id)
        if not self.signed_in:
            return Offer(permalink)
        user, mod, cid = self.user, self.mod, comment.id
        published = comment.status == CommentStatus.PUBLISHED
        locked = mod is not None and mod.is_locked(comment)
        my_flag = mod.my_flags.get(cid) if mod is not None else None
        return Offer(
            permalink=permalink,
            support=self._support.format(comment_id=cid) if published and can_support_comment(user, comment) else "",
            supported=cid in self.supported_ids,
            reply=(self._reply.format(parent=cid)
                   if published and self._open and not locked and can_reply_to(user, comment) else ""),
            edit=(self._edit.format(comment_id=cid)
                  if self._window is not None and can_edit_comment(user, comment, self._window, self._now) else ""),
            withdraw=self._withdraw.format(comment_id=cid) if can_withdraw_comment(user, comment) else "",
            flag=self._flag.format(comment_id=cid) if my_flag is None and mod is not None and mod.may_flag(comment)
            else "",
            moderate=self._moderate.format(comment_id=cid) if mod is not None and mod.moderates else "",
            my_flag=my_flag,
            own=comment.author_id == user.id,
        )

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
            tokens = cache.tokens((SITE, consultation_scope(c.id)))
            raw = json.dumps([cache.build, tokens, viewer_locale(), str(get_timezone()), c.id, c.country_code],
                             default=str)
            self._prefix = "agora:page:fragment:" + hashlib.sha256(raw.encode()).hexdigest()[:32]
        return f"{self._prefix}:{'m' if mod is not None else '-'}:"

    def _fetch(self, comments: list[Comment]) -> None:
        mod = self.mod
        prefix = self._key_prefix(mod)
        wanted = [c.id for c in comments if c.id not in self._kept]
        if prefix is None or not wanted:
            return
        found = page_cache().store.get_many([prefix + str(cid) for cid in wanted])
        for cid, value in zip(wanted, found, strict=True):
            if value is not None:
                self._kept[cid] = (Markup(value[0]), Markup(value[1]))  # noqa: S704 - our templates' output

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
            self._new[prefix + str(comment.id)] = [str(head), str(middle)]
            if not self._batch:
                self.save()
        return value

    def save(self) -> str:
        """Store the fragments rendered on this page (one round trip); returns ""."""
        if self._new:
            page_cache().store.set_many(self._new)
            self._new = {}
        return ""
