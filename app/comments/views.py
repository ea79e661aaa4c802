"""The discussion: posting, receipts, threads, permalinks, supports, edits,
withdrawals, follows, notifications and "my activity". This module holds the
blueprint, the embedded discussion block and loading; the pages live in
posting_views.py, reading_views.py, author_views.py and notification_views.py.

The consultation and section pages (owned by the consultations domain)
include ``comments/_discussion.html``; the data comes from the
``comment_discussion`` and ``section_comment_counts`` template globals
defined here, so consultations never import comments.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import timedelta
from functools import lru_cache
from typing import Any

from babel import Locale
from flask import Blueprint, current_app, g, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from sqlalchemy.exc import IntegrityError, OperationalError

from app.accounts.models import ORGANISATION_KINDS, OrganisationKind, Role, Scope
from app.accounts.org_forms import kind_label
from app.accounts.policy import can_speak_for, has_role, is_signed_in
from app.comments import hooks, kept, notification_queries, queries, services
from app.comments.forms import (
    KIND_BADGES,
    SORT_LABELS,
    STANCE_LABELS,
    CommentForm,
    new_idempotency_key,
)
from app.comments.models import COMMENT_KINDS, STANCES, Comment
from app.comments.policy import (
    can_comment,
    can_edit_comment,
    can_see_comment,
    can_see_restricted,
    is_comment_author,
)
from app.comments.presenter import PageReader
from app.consultations.diff import html_to_text
from app.consultations.models import Consultation, Section, Status
from app.consultations.policy import moderates
from app.core.authz import authorize
from app.core.cache import consultation_scope, page_cache
from app.core.db import db, utcnow
from app.core.errors import DomainError
from app.core.handling import get_or_404, refusal_status
from app.core.i18n import viewer_locale
from app.core.slots import fill, slot, split
from app.geography.queries import country_name

bp = Blueprint("comments", __name__)

ORG_KIND_BADGES = {
    OrganisationKind.NGO: _l("NGO"),
    OrganisationKind.ACADEMIA: _l("Academia"),
    OrganisationKind.THINK_TANK: _l("Think tank"),
    OrganisationKind.INDUSTRY: _l("Industry"),
    OrganisationKind.PROFESSIONAL_BODY: _l("Professional body"),
    OrganisationKind.INTERNATIONAL: _l("International organisation"),
    OrganisationKind.GOVERNMENT: _l("Government"),
    OrganisationKind.OTHER: _l("Other"),
}


def _cfg(name: str) -> int:
    """A number from the configuration; its default lives in config.py alone."""
    return int(current_app.config[name])


def edit_window() -> timedelta:
    return timedelta(minutes=_cfg("COMMENT_EDIT_WINDOW_MINUTES"))


def max_length() -> int:
    return _cfg("COMMENT_MAX_LENGTH")


def per_page() -> int:
    return _cfg("COMMENT_THREAD_WINDOW")


def replies_per_root() -> int:
    return _cfg("COMMENT_REPLIES_WINDOW")


# --- helpers for templates --------------------------------------------------------------

def author_badges(comment: Comment, consultation: Consultation) -> list[str]:
    author = comment.author
    badges = []
    if moderates(author, consultation):
        badges.append(_("Moderator"))
    if has_role(author, Role.AUTHOR, Scope.COUNTRY, consultation.country_code):
        badges.append(_("Drafting government"))
    return badges


def language_label(code: str) -> str:
    return _language_label(code, viewer_locale())


@lru_cache(maxsize=1024)
def _language_label(code: str, locale: str) -> str:
    try:
        return Locale.parse(code).get_display_name(locale) or code
    except (ValueError, TypeError):
        return code


@dataclass
class Discussion:
    consultation: Consultation
    version: Any
    section: Section | None
    thread: queries.Thread
    filters: queries.ThreadFilters
    form: Markup | None  # the new-comment form, rendered (``posting_form``)
    closed_reason: str | None
    args: dict[str, str]
    following: bool
    sees_restricted: bool
    moderation: Any = None
    # {version id: EarlierVersion} for comments made on an earlier version of the provision
    earlier_versions: dict = field(default_factory=dict)
    reader: PageReader | None = None


@dataclass(frozen=True)
class EarlierVersion:
    number: int
    text_url: str  # the provision as it read in that version
    changes_url: str  # what changed in the provision since


def _thread_filters() -> queries.ThreadFilters:
    args = request.args
    def one(name: str, allowed) -> str:
        value = args.get(name, "")
        return value if value in allowed else ""
    return queries.ThreadFilters(
        sort=one("sort", queries.SORTS) or "oldest", kind=one("kind", COMMENT_KINDS),
        stance=one("stance", STANCES), organisation_kind=one("org_kind", ORGANISATION_KINDS),
        language=args.get("lang", "")[:8] if args.get("lang", "").isalpha() else "",
        new_only=args.get("new") == "1")


FILTER_ARGS = {"sort", "kind", "stance", "org_kind", "lang", "new"}


def _post_blocker(consultation: Consultation, version: Any) -> str | None:
    """Why a new top-level comment cannot be written here, in words (None: it can)."""
    status = consultation.effective_status()
    if status == Status.SCHEDULED:
        return _("Comments open %(relative)s.", relative=_relative(consultation.opens_at))
    if status != Status.OPEN:
        return _("This consultation is closed; it accepts no new comments.")
    if version is None or version != consultation.current_version:
        return _("This is an earlier version of the draft. Comment on the current version; here you can only "
                 "reply to existing comments.")
    return None


def _relative(value) -> str:
    from app.core.i18n import relative

    return relative(value)


def new_comment_form(consultation: Consultation, *, section: Section | None = None,
                     parent: Comment | None = None, formdata: Any = None) -> CommentForm:
    form = CommentForm(formdata=formdata)
    _set_choices(form, consultation)
    form.offer_kinds(on_section=section is not None)
    if formdata is None:
        form.idempotency_key.data = new_idempotency_key()
        form.section_id.data = str(section.id) if section else ""
        form.parent_id.data = str(parent.id) if parent else ""
        current = consultation.current_version
        form.version_id.data = str(current.id) if current and parent is None else ""
        locale = str(get_locale()).split("_")[0]
        languages = services.comment_languages(consultation)
        form.language.data = (parent.language if parent and parent.language in languages
                              else locale if locale in languages else languages[0])
        if parent is not None and parent.is_restricted:
            form.audience.data = "restricted"
        if section is not None and parent is None:  # proposed wording starts from the provision's text
            form.proposed_wording.data = html_to_text(section.body_html)
    return form


def _set_choices(form: CommentForm, consultation: Consultation) -> None:
    form.language.choices = [(code, language_label(code)) for code in services.comment_languages(consultation)]
    form.organisation_id.choices = [("", _("Myself (personal capacity)")), *_speakable(current_user)]


def _speakable(user: Any) -> list[tuple[str, str]]:
    """(id, name) of the organisations ``user`` may speak for, by name."""
    if not is_signed_in(user):
        return []
    organisations = [m.organisation for m in user.memberships if can_speak_for(user, m.organisation)]
    return [(str(o.id), o.name) for o in sorted(organisations, key=lambda o: o.name.casefold())]


def discussion_for(consultation: Consultation, version: Any, section: Section | None = None) -> Markup:
    """The discussion block of a consultation or section page, rendered. Visitors are
    served the copy kept until the content changes (app/core/cache.py), participants
    the one kept for them with their own parts filled in (app/comments/kept.py); the
    key holds what else the block shows: the version, the consultation's status and
    languages."""
    filters = _thread_filters()
    status = consultation.effective_status()

    def render(keeping: bool = False) -> dict:
        discussion = _discussion(consultation, version, section, filters, keeping=keeping)
        html = render_template("comments/_discussion.html", discussion=discussion)
        # An empty discussion and a scheduled one say when the consultation opens or closes,
        # relative to now: rendered afresh.
        value = {"html": html, "keep": discussion.thread.page.total > 0 and status != Status.SCHEDULED}
        return {**value, "reader": discussion.reader} if keeping else value

    parts = ("discussion", consultation.id, getattr(version, "id", None), section.id if section else None,
             version is not None and version == consultation.current_version, status, consultation.languages)
    if is_signed_in(current_user) and not filters.new_only:
        g.comment_visit = (current_user.id, consultation.id)
        page = kept.serve(consultation, parts, render, edit_window=edit_window(), posting_form=lambda facts: (
            posting_form(consultation, section, speakable=None if facts.member else [])))
        if page is not None:
            return page["html"]
    return page_cache().for_visitors(parts, render, scopes=(consultation_scope(consultation.id),))["html"]


def posting_form(consultation: Consultation, section: Section | None, *,
                 speakable: list[tuple[str, str]] | None = None) -> Markup:
    """The discussion's new-comment form, rendered. Kept per consultation, section, language
    and the organisations the writer may speak for (``speakable``, when known already); each
    request gets its own CSRF token and idempotency key."""
    organisations = _speakable(current_user) if speakable is None else speakable
    current = consultation.current_version

    def render() -> dict:
        form = new_comment_form(consultation, section=section)
        html = str(render_template("comments/_post_form.html", form=form, consultation=consultation, section=section))
        return {"html": split(html.replace(generate_csrf(), slot("c")).replace(form.idempotency_key.data, slot("k")))}

    digest = hashlib.sha256(section.body_html.encode()).hexdigest() if section is not None else None
    pieces = page_cache().for_readers(
        ("posting_form", consultation.id, section.id if section else None, current.id if current else None,
         services.comment_languages(consultation), organisations, digest), render,
        scopes=(consultation_scope(consultation.id),))["html"]  # the discussion's tokens: read once
    fresh = {"c": generate_csrf(), "k": new_idempotency_key()}
    return Markup(fill(pieces, lambda kind, _index: fresh[kind]))  # noqa: S704 - our template's output


def _discussion(consultation: Consultation, version: Any, section: Section | None,
                filters: queries.ThreadFilters, *, keeping: bool = False) -> Discussion:
    """``keeping``: rendered for every participant, with slots for the reader's own parts."""
    thread = queries.load_thread(db.session, current_user, consultation, section, filters=filters,
                                 page=request.args.get("cpage", 1), per_page=per_page(),
                                 replies_per_root=replies_per_root(), now=utcnow())
    blocker = _post_blocker(consultation, version)
    form = None
    if blocker is None and can_comment(current_user, consultation):
        form = slot("p") if keeping else posting_form(consultation, section)
    if is_signed_in(current_user):
        g.comment_visit = (current_user.id, consultation.id)
    moderation = moderation_for_reader(consultation, thread)
    return Discussion(
        consultation=consultation, version=version, section=section, thread=thread, filters=filters, form=form,
        closed_reason=blocker, args={k: v for k, v in request.args.items() if k in FILTER_ARGS and v},
        following=not keeping and queries.is_following(db.session, current_user, consultation),
        sees_restricted=can_see_restricted(current_user, consultation),
        moderation=moderation,
        earlier_versions=_earlier_versions(consultation, version, section),
        reader=PageReader(consultation, moderation, thread.supported_ids, edit_window=edit_window(),
                          keeping=keeping),
    )


def _earlier_versions(consultation: Consultation, version: Any, section: Section | None) -> dict:
    """How to read the provision as it was, for the versions before ``version``."""
    if section is None or version is None:
        return {}
    return {v.id: EarlierVersion(
        v.number,
        url_for("consultations.show_section", consultation_id=consultation.id, anchor=section.anchor,
                version=v.number),
        url_for("consultations.compare_versions", consultation_id=consultation.id, _anchor=section.anchor,
                **{"from": v.number, "to": version.number}))
        for v in consultation.published_versions if v.number < version.number}


def moderation_for_reader(consultation: Consultation, thread: queries.Thread) -> Any:
    """Lock, highlight, moderator edits and the reader's flags for every comment of
    ``thread``, in a fixed number of queries (moderation hook)."""
    comments = [n.comment for root in thread.roots for n in (root, *root.descendants())]
    return hooks.load_thread_moderation(db.session, current_user, consultation, comments)


def counts_for(consultation: Consultation, version: Any) -> dict:
    """Comments per section for the table of contents; what visitors see is kept until
    comments change (what a signed-in reader counts depends on what they may read)."""
    if current_user.is_authenticated:
        return queries.section_counts(db.session, current_user, consultation, version)
    pairs = page_cache().remember(
        ("section_counts", consultation.id, getattr(version, "id", None)),
        lambda: list(queries.section_counts(db.session, current_user, consultation, version).items()),
        scopes=(consultation_scope(consultation.id),))
    return dict(pairs)  # kept as pairs: JSON (the Redis store) would turn the ids into strings


def _unread() -> int:
    try:
        return notification_queries.unread_count(db.session, current_user)
    except Exception:  # noqa: BLE001 - the navigation must render even when the database fails
        return 0


@bp.app_context_processor
def _template_helpers():
    return {
        "comment_discussion": discussion_for, "section_comment_counts": counts_for,
        "unread_notification_count": _unread, "comment_author_badges": author_badges,
        "COMMENT_KIND_BADGES": KIND_BADGES, "COMMENT_STANCE_LABELS": STANCE_LABELS,
        "COMMENT_SORT_LABELS": SORT_LABELS, "ORG_KIND_BADGES": ORG_KIND_BADGES, "org_kind_label": kind_label,
        "comment_language_label": language_label,
        "comment_country_name": country_name, "COMMENT_DISPLAY_DEPTH": _cfg("COMMENT_DISPLAY_DEPTH"),
        "comment_reader": _reader,
    }


def _reader(consultation: Consultation, mod: Any = None, supported_ids: Any = ()) -> PageReader:
    return PageReader(consultation, mod, supported_ids, edit_window=edit_window())


def _can_edit_now(user: Any, comment: Comment) -> bool:
    return can_edit_comment(user, comment, edit_window(), utcnow())


@bp.after_app_request
def _record_visit(response):
    """Remember when a signed-in reader last saw a consultation's discussion.

    A page view is a reading transaction; the visit is written in a short one of
    its own that asks for the write lock first (``db.writing()``), at most once a
    minute per reader and consultation, and a busy database never turns the page
    into an error: the visit is a convenience, the page is what was asked for."""
    visit, seen = g.pop("comment_visit", None), g.pop("comment_visit_seen", False)
    session = db.session
    if visit is None or response.status_code != 200 or session.new or session.dirty or session.deleted:
        return response
    stale = services.visit_is_stale(session, *visit) if seen is False else \
        seen is None or utcnow() - seen > services.VISIT_REFRESH
    if not stale:
        return response
    session.rollback()
    try:
        with db.writing():
            services.record_visit(session, *visit)
            session.commit()
    except (IntegrityError, OperationalError):
        session.rollback()
        current_app.logger.info("visit of user %s to consultation %s not recorded", *visit, exc_info=True)
    return response


# --- loading -----------------------------------------------------------------------------

def _load_comment(consultation: Consultation, comment_id: int, *, own: bool = False) -> Comment:
    """The comment, or a 404 for whoever may not see it; with ``own``, its author reaches it
    whatever its status (a rejected, hidden or spam comment is still theirs to read and withdraw)."""
    comment = get_or_404(Comment, comment_id, consultation_id=consultation.id)
    if not (own and is_comment_author(current_user, comment)):
        authorize(can_see_comment, current_user, comment, consultation, hide=True)
    return comment


def _section_of(comment: Comment) -> Section | None:
    return db.session.get(Section, comment.section_id) if comment.section_id else None


def _fail(form, error: DomainError) -> int:
    form.add_domain_error(error)
    return refusal_status(error)


# The pages of this blueprint live in several modules; importing them registers their routes.
from app.comments import author_views, export_views, notification_views, posting_views, reading_views  # noqa: E402, F401, I001
