"""The default reason templates (the migration and ``flask moderation seed-reasons``
insert them; moderators edit them afterwards in the app).

Their labels and messages are in the catalogue: a reason that still reads as
shipped is shown in the reader's language (``shown``), one a moderator wrote or
reworded is shown as written.
"""

from __future__ import annotations

from app.core.i18n import current_translations


def N_(text: str) -> str:  # noqa: N802 - the name Babel's extractor looks for
    """Marks a text for the catalogue; it is translated where it is shown."""
    return text


# (code, label, message to the author)
DEFAULT_REASONS: tuple[tuple[str, str, str], ...] = (
    ("on_topic", N_("On topic and within the guidelines"),
     N_("Your comment is within the moderation guidelines of this consultation.")),
    ("off_topic", N_("Off-topic"),
     N_("Your comment is not about the draft measure under consultation.")),
    ("personal_data", N_("Personal data removed"),
     N_("Your comment contained personal data, which is not published on this platform.")),
    ("security_detail", N_("Security-sensitive detail"),
     N_("Your comment contained detailed security arrangements (such as site layouts, guard procedures or "
        "transport routes), which are not published on this platform.")),
    ("weapons_detail", N_("Technical weapons detail"),
     N_("Your comment contained technical detail on weapons, agents or their means of delivery, which is not "
        "published on this platform. Please keep to the level of legal policy.")),
    ("allegation", N_("Allegation against a named company or person"),
     N_("Your comment contained allegations against a named company or person. Please report suspected "
        "violations to the competent national authority.")),
    ("abusive", N_("Abusive or insulting"),
     N_("Your comment was abusive or insulting towards other participants.")),
    ("spam", N_("Spam or advertising"), N_("Your comment was spam or advertising.")),
    ("duplicate", N_("Duplicate"), N_("The same text was posted more than once.")),
    ("key_contribution", N_("Key contribution"),
     N_("Your comment was highlighted as a key contribution to this consultation.")),
)

# Every label and message as shipped: these, and only these, are translated when shown.
SHIPPED_TEXTS = frozenset(text for _code, label, message in DEFAULT_REASONS for text in (label, message))


def shown(text: str | None) -> str:
    """A reason's label or message as the reader sees it: in their language when
    it is a shipped text, as written otherwise."""
    if not text:
        return ""
    # ``gettext`` without its per-call lookups (a form offers every reason).
    return current_translations().ugettext(text) if text in SHIPPED_TEXTS else text
