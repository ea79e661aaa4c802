"""Translatable labels of moderation actions, statuses, flags and sanctions."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.comments.models import Audience, CommentStatus
from app.moderation.models import DecisionAction as A
from app.moderation.models import FlagReason, SanctionKind

ACTION_LABELS = {
    A.APPROVE: _l("Approve"),
    A.REJECT: _l("Reject"),
    A.HIDE: _l("Hide"),
    A.RESTORE: _l("Restore"),
    A.SPAM: _l("Mark as spam"),
    A.LOCK: _l("Lock the thread"),
    A.UNLOCK: _l("Unlock the thread"),
    A.EDIT: _l("Edit the text"),
    A.REDACT: _l("Redact a passage"),
    A.HIGHLIGHT: _l("Highlight as a key contribution"),
    A.UNHIGHLIGHT: _l("Remove the highlight"),
    A.AUDIENCE: _l("Change who can read it"),
    A.UNDO: _l("Undo"),
}
# Past tense, for histories and e-mails.
ACTION_DONE = {
    A.APPROVE: _l("approved"),
    A.REJECT: _l("rejected"),
    A.HIDE: _l("hidden"),
    A.RESTORE: _l("restored"),
    A.SPAM: _l("marked as spam"),
    A.LOCK: _l("thread locked"),
    A.UNLOCK: _l("thread unlocked"),
    A.EDIT: _l("edited by a moderator"),
    A.REDACT: _l("passage redacted"),
    A.HIGHLIGHT: _l("highlighted as a key contribution"),
    A.UNHIGHLIGHT: _l("highlight removed"),
    A.AUDIENCE: _l("audience changed"),
    A.UNDO: _l("previous decision undone"),
}
COMMENT_STATUS_LABELS = {
    CommentStatus.PENDING: _l("Awaiting moderation"),
    CommentStatus.PUBLISHED: _l("Published"),
    CommentStatus.REJECTED: _l("Rejected"),
    CommentStatus.HIDDEN: _l("Hidden"),
    CommentStatus.WITHDRAWN: _l("Withdrawn by its author"),
    CommentStatus.SPAM: _l("Spam"),
}
FLAG_LABELS = {
    FlagReason.SPAM: _l("Spam or advertising"),
    FlagReason.ABUSIVE: _l("Abusive or insulting"),
    FlagReason.OFF_TOPIC: _l("Off-topic: not about the draft"),
    FlagReason.PERSONAL_DATA: _l("Contains personal data"),
    FlagReason.SECURITY: _l("Security-sensitive detail (site layouts, routes, technical weapons detail)"),
    FlagReason.OTHER: _l("Something else (say what)"),
}
SANCTION_LABELS = {
    SanctionKind.WARNING: _l("Warning"),
    SanctionKind.SUSPENSION: _l("Suspension until a date"),
    SanctionKind.BAN: _l("Ban"),
}
TAB_LABELS = {"pending": _l("Awaiting moderation"), "held": _l("Held by automatic rules"),
              "flagged": _l("Flagged")}
SORT_LABELS = {"oldest": _l("Oldest first"), "newest": _l("Newest first"), "flags": _l("Most flagged first")}
AUDIENCE_LABELS = {
    Audience.PUBLIC: _l("Public — anyone can read it"),
    Audience.RESTRICTED: _l("Restricted — only moderators, the drafting government and focal points"),
}
