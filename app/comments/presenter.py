"""What each comment of a page offers its reader, resolved once per page.

A page of comments asks every comment the same questions: may this reader
support it, reply, edit, withdraw, flag or moderate it, and where do those
links go. Asked from the template, each answer costs a template call, a
look-up of the signed-in user through Flask's proxy and a ``url_for`` — a
dozen per comment, most of the time a signed-in reader's page of 1,000
comments took. Here the reader, the consultation's addresses and the
constant labels are resolved once; each comment then costs one call. The
rules themselves stay in ``app.comments.policy`` and ``app.moderation``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from app.accounts.policy import is_signed_in
from app.comments.models import Comment, CommentStatus
from app.comments.policy import can_edit_comment, can_reply_to, can_support_comment, can_withdraw_comment
from app.core.db import utcnow
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
