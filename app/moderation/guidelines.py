"""The default moderation guidelines shown when a consultation has none of its own."""

from __future__ import annotations

from flask_babel import gettext as _

from app.core.sanitize import render_markdown


def default_guidelines_source() -> str:
    """Markdown, in the reader's language; moderators can replace it per consultation."""
    return "\n\n".join([
        _("Comments on this draft measure are read by the drafting government and, in summary, by regional "
          "focal points. Moderators keep the discussion useful, safe and on the draft."),
        "### " + _("What is welcome"),
        "- " + _("Comments, questions and proposed wording on the provisions of the draft.") + "\n- "
        + _("Comparisons with regional model laws, control lists and neighbouring States' measures.") + "\n- "
        + _("Practical effects on exporters, carriers, laboratories, banks and research."),
        "### " + _("What a moderator removes or redacts"),
        "- " + _("Detailed security arrangements: site layouts, guard procedures, transport routes or "
                 "schedules.") + "\n- "
        + _("Technical “how-to” content on nuclear, chemical or biological weapons, their agents or their "
            "means of delivery.") + "\n- "
        + _("Personal data about anyone (names of officials in a private capacity, addresses, phone numbers, "
            "health data).") + "\n- "
        + _("Allegations against named companies or people; report suspected violations to the competent "
            "national authority instead.") + "\n- "
        + _("Abuse, spam, advertising and comments unrelated to the draft."),
        "### " + _("How decisions are taken"),
        _("Every decision has a reason, and the author is told the reason by e-mail and in the app. A passage "
          "can be redacted instead of removing a whole comment; the text is then replaced by “[redacted by a "
          "moderator]”. Some comments are held for review automatically (for example many links or a first "
          "comment from a new account); a moderator always takes the final decision."),
        _("Anyone signed in can flag a comment. Repeated breaches can lead to a warning, a suspension or, in "
          "serious cases, a ban. Figures on moderation are published on each consultation."),
    ])


def default_guidelines_html() -> str:
    return render_markdown(default_guidelines_source())
