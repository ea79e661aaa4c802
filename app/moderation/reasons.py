"""The default reason templates (the migration and ``flask moderation seed-reasons``
insert them; moderators edit them afterwards in the app)."""

from __future__ import annotations

# (code, label, message to the author)
DEFAULT_REASONS: tuple[tuple[str, str, str], ...] = (
    ("on_topic", "On topic and within the guidelines",
     "Your comment is within the moderation guidelines of this consultation."),
    ("off_topic", "Off-topic",
     "Your comment is not about the draft measure under consultation."),
    ("personal_data", "Personal data removed",
     "Your comment contained personal data, which is not published on this platform."),
    ("security_detail", "Security-sensitive detail",
     "Your comment contained detailed security arrangements (such as site layouts, guard procedures or "
     "transport routes), which are not published on this platform."),
    ("weapons_detail", "Technical weapons detail",
     "Your comment contained technical detail on weapons, agents or their means of delivery, which is not "
     "published on this platform. Please keep to the level of legal policy."),
    ("allegation", "Allegation against a named company or person",
     "Your comment contained allegations against a named company or person. Please report suspected "
     "violations to the competent national authority."),
    ("abusive", "Abusive or insulting",
     "Your comment was abusive or insulting towards other participants."),
    ("spam", "Spam or advertising", "Your comment was spam or advertising."),
    ("duplicate", "Duplicate", "The same text was posted more than once."),
    ("key_contribution", "Key contribution",
     "Your comment was highlighted as a key contribution to this consultation."),
)
