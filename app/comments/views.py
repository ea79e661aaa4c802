"""The discussion: posting, receipts, threads, permalinks, supports, edits,
withdrawals, follows, notifications and "my activity".

The consultation and section pages (owned by the consultations domain)
include ``comments/_discussion.html``; the data comes from the
``comment_discussion`` and ``section_comment_counts`` template globals
defined here, so consultations never import comments.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from typing import Any

from babel import Locale
from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy.exc import IntegrityError, OperationalError
from wtforms import RadioField

from app.accounts.models import OrganisationKind, Role, Scope
from app.accounts.org_forms import kind_label
from app.accounts.policy import can_speak_for, has_role, is_signed_in
from app.comments import queries, services
from app.comments.forms import (
    KIND_BADGES,
    SORT_LABELS,
    STANCE_LABELS,
    ActionForm,
    CommentForm,
    EditCommentForm,
    NotificationSettingsForm,
    new_idempotency_key,
)
from app.comments.models import Comment, CommentDraft, CommentKind, CommentStatus, EmailFrequency, Stance
from app.comments.policy import (
    can_comment,
    can_edit_comment,
    can_reply_to,
    can_see_comment,
    can_see_restricted,
    can_support_comment,
    can_withdraw_comment,
    is_comment_author,
)
from app.comments.presenter import PageReader
from app.consultations.models import Consultation, Section, Status
from app.consultations.policy import moderates
from app.consultations.views import load_visible
from app.core.authz import authorize, login_required, public
from app.core.cache import page_cache
from app.core.db import db, utcnow
from app.core.errors import DomainError
from app.core.i18n import viewer_locale
from app.core.sanitize import render_comment_markdown
from app.core.security import safe_next
from app.extensions import csrf
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


def _cfg(name: str, default: int) -> int:
    return int(current_app.config.get(name, default))


def edit_window() -> timedelta:
    return timedelta(minutes=_cfg("COMMENT_EDIT_WINDOW_MINUTES", 30))


def max_length() -> int:
    return _cfg("COMMENT_MAX_LENGTH", services.DEFAULT_MAX_LENGTH)


def per_page() -> int:
    return _cfg("COMMENT_THREAD_WINDOW", 20)


def replies_per_root() -> int:
    return _cfg("COMMENT_REPLIES_WINDOW", 10)


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
    form: CommentForm | None
    closed_reason: str | None
    args: dict[str, str]
    following: bool
    sees_restricted: bool
    moderation: Any = None


def _thread_filters() -> queries.ThreadFilters:
    args = request.args
    def one(name: str, allowed) -> str:
        value = args.get(name, "")
        return value if value in allowed else ""
    return queries.ThreadFilters(
        sort=one("sort", queries.SORTS) or "oldest", kind=one("kind", CommentKind.ALL),
        stance=one("stance", Stance.ALL), organisation_kind=one("org_kind", OrganisationKind.ALL),
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
    return form


def _set_choices(form: CommentForm, consultation: Consultation) -> None:
    form.language.choices = [(code, language_label(code)) for code in services.comment_languages(consultation)]
    organisations = [m.organisation for m in current_user.memberships
                     if is_signed_in(current_user) and can_speak_for(current_user, m.organisation)]
    form.organisation_id.choices = [("", _("Myself (personal capacity)"))] + [
        (str(o.id), o.name) for o in sorted(organisations, key=lambda o: o.name.casefold())]


def discussion_for(consultation: Consultation, version: Any, section: Section | None = None) -> Markup:
    """The discussion block of a consultation or section page, rendered. Visitors are
    served the copy kept until the content changes (app/core/cache.py); the key holds
    what else the block shows them: the version, the consultation's status and languages."""
    filters = _thread_filters()
    status = consultation.effective_status()

    def render() -> dict:
        discussion = _discussion(consultation, version, section, filters)
        html = render_template("comments/_discussion.html", discussion=discussion)
        # An empty discussion and a scheduled one say when the consultation opens or closes,
        # relative to now: rendered afresh.
        return {"html": html, "keep": discussion.thread.page.total > 0 and status != Status.SCHEDULED}

    parts = ("discussion", consultation.id, getattr(version, "id", None), section.id if section else None,
             version is not None and version == consultation.current_version, status, consultation.languages)
    return page_cache().for_visitors(parts, render)["html"]


def _discussion(consultation: Consultation, version: Any, section: Section | None,
                filters: queries.ThreadFilters) -> Discussion:
    thread = queries.load_thread(db.session, current_user, consultation, section, filters=filters,
                                 page=request.args.get("cpage", 1), per_page=per_page(),
                                 replies_per_root=replies_per_root(), now=utcnow())
    blocker = _post_blocker(consultation, version)
    form = None
    if blocker is None and can_comment(current_user, consultation):
        form = new_comment_form(consultation, section=section)
    if is_signed_in(current_user):
        g.comment_visit = (current_user.id, consultation.id)
    return Discussion(
        consultation=consultation, version=version, section=section, thread=thread, filters=filters, form=form,
        closed_reason=blocker, args={k: v for k, v in request.args.items() if k in FILTER_ARGS and v},
        following=queries.is_following(db.session, current_user, consultation),
        sees_restricted=can_see_restricted(current_user, consultation),
        moderation=thread_moderation(consultation, thread),
    )


def thread_moderation(consultation: Consultation, thread: queries.Thread) -> Any:
    """Lock, highlight, moderator edits and the reader's flags for every comment of
    ``thread``, in a fixed number of queries (moderation hook)."""
    from app.moderation.queries import thread_moderation as load

    comments = [n.comment for root in thread.roots for n in (root, *root.descendants())]
    return load(db.session, current_user, consultation, comments)


def counts_for(consultation: Consultation, version: Any) -> dict:
    """Comments per section for the table of contents; what visitors see is kept until
    comments change (what a signed-in reader counts depends on what they may read)."""
    if current_user.is_authenticated:
        return queries.section_counts(db.session, current_user, consultation, version)
    pairs = page_cache().remember(
        ("section_counts", consultation.id, getattr(version, "id", None)),
        lambda: list(queries.section_counts(db.session, current_user, consultation, version).items()))
    return dict(pairs)  # kept as pairs: JSON (the Redis store) would turn the ids into strings


def _unread() -> int:
    try:
        return queries.unread_count(db.session, current_user)
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
        "comment_country_name": country_name, "COMMENT_DISPLAY_DEPTH": _cfg("COMMENT_DISPLAY_DEPTH", 4),
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
    visit = g.pop("comment_visit", None)
    session = db.session
    if visit is None or response.status_code != 200 or session.new or session.dirty or session.deleted:
        return response
    if not services.visit_is_stale(session, *visit):
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

def _load_comment(consultation: Consultation, comment_id: int) -> Comment:
    comment = db.session.get(Comment, comment_id)
    if comment is None or comment.consultation_id != consultation.id:
        abort(404)
    authorize(can_see_comment, current_user, comment, consultation, hide=True)
    return comment


def _section_of(comment: Comment) -> Section | None:
    return db.session.get(Section, comment.section_id) if comment.section_id else None


def _fail(form, error: DomainError) -> int:
    form.add_domain_error(error)
    return error.status_code


# --- posting -----------------------------------------------------------------------------

@bp.route("/consultations/<int:consultation_id>/comments/new", methods=["GET", "POST"])
@public  # an expired session must not lose the text: anonymous posts are kept and sent to sign-in
@csrf.exempt  # the form's own CSRF field is checked for signed-in users (see below)
def new_comment(consultation_id: int):
    consultation = load_visible(consultation_id)
    if request.method == "POST" and not current_user.is_authenticated:
        return _keep_draft_and_sign_in(consultation)
    if not current_user.is_authenticated:
        return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))
    authorize(can_comment, current_user, consultation)

    if request.method == "GET":
        parent = section = None
        if request.args.get("parent", "").isdigit():
            parent = _load_comment(consultation, int(request.args["parent"]))
            authorize(can_reply_to, current_user, parent)
            locked = _thread_locked(parent)
            if locked is not None:
                flash(locked, "error")
                return redirect(url_for(".permalink", consultation_id=consultation.id, comment_id=parent.id))
            section = _section_of(parent)
        elif request.args.get("section", "").isdigit():
            section = db.session.get(Section, int(request.args["section"]))
            current = consultation.current_version
            if section is None or current is None or section.version_id != current.id:
                abort(404)
        form = new_comment_form(consultation, section=section, parent=parent)
        draft_key = request.args.get("draft", "")
        if services.IDEMPOTENCY_KEY.match(draft_key):
            draft = db.session.get(CommentDraft, draft_key)
            if draft is not None and draft.consultation_id == consultation.id:
                form.restore(draft.data)
                form.idempotency_key.data = draft_key
                parent, section = _context_from(form, consultation)
                flash(_("Your text was kept while you signed in. Check it and post it."), "info")
        return _render_form(consultation, form, parent, section)

    form = CommentForm()
    _set_choices(form, consultation)
    parent, section = _context_from(form, consultation)
    status = 200
    preview_html = None
    if form.validate():
        data = form.data_for_service()
        if request.form.get("action") == "preview":
            try:
                services.validate_comment(db.session, consultation, data, actor=current_user,
                                          max_length=max_length())
            except DomainError as err:
                status = _fail(form, err)
            else:
                preview_html = render_comment_markdown(data.body)
        else:
            try:
                comment, created = services.post_comment(db.session, consultation, data, actor=current_user,
                                                          max_length=max_length())
            except DomainError as err:
                status = _fail(form, err)
            else:
                db.session.commit()
                if created:
                    flash(_("Your comment was received. Receipt number: %(number)s.",
                            number=comment.receipt_number), "success")
                else:
                    flash(_("This comment was already posted; here is its receipt."), "info")
                return redirect(url_for(".receipt", consultation_id=comment.consultation_id,
                                        comment_id=comment.id))
    else:
        status = 400
    return _render_form(consultation, form, parent, section, preview_html=preview_html, status=status)


def _thread_locked(parent: Comment) -> str | None:
    """Why no reply form is offered under ``parent`` (moderation hook: a locked thread)."""
    from app.moderation.services import ThreadLocked, check_may_reply

    try:
        check_may_reply(db.session, parent)
    except ThreadLocked as err:
        return str(err.message)
    return None


def _context_from(form: CommentForm, consultation: Consultation):
    """Parent and section named by the form, for showing context (validated by the service)."""
    parent = section = None
    parent_id = form.parent_id.data or ""
    if parent_id.isdigit():
        candidate = db.session.get(Comment, int(parent_id))
        if candidate is not None and can_see_comment(current_user, candidate, consultation):
            parent = candidate
            section = _section_of(candidate)
    section_id = form.section_id.data or ""
    if parent is None and section_id.isdigit():
        candidate = db.session.get(Section, int(section_id))
        current = consultation.current_version
        if candidate is not None and current is not None and candidate.version_id == current.id:
            section = candidate
    return parent, section


def _render_form(consultation, form, parent, section, *, preview_html=None, status=200):
    form.offer_kinds(on_section=section is not None)
    return render_template("comments/new.html", consultation=consultation, form=form, parent=parent,
                           section=section, preview_html=preview_html, max_length=max_length(),
                           sees_restricted=can_see_restricted(current_user, consultation)), status


def _keep_draft_and_sign_in(consultation: Consultation):
    form = CommentForm(meta={"csrf": False})
    key = form.idempotency_key.data or ""
    target = url_for(".new_comment", consultation_id=consultation.id)
    if services.IDEMPOTENCY_KEY.match(key) and (form.body.data or "").strip():
        try:
            services.save_draft(db.session, consultation, key=key, data=form.draft_data(), max_length=max_length())
        except DomainError:
            pass
        else:
            db.session.commit()
            target = url_for(".new_comment", consultation_id=consultation.id, draft=key)
            flash(_("Your session ended before you posted. Sign in again: your text is kept and will be "
                    "back in the form."), "info")
    return redirect(url_for("accounts.login", next=target))


@bp.get("/consultations/<int:consultation_id>/comments/<int:comment_id>/receipt")
@login_required
def receipt(consultation_id: int, comment_id: int):
    consultation = load_visible(consultation_id)
    comment = _load_comment(consultation, comment_id)
    authorize(is_comment_author, current_user, comment, hide=True)
    return render_template("comments/receipt.html", consultation=consultation, comment=comment,
                           section=_section_of(comment))


# --- reading -----------------------------------------------------------------------------

@bp.get("/consultations/<int:consultation_id>/comments/<int:comment_id>")
@public
def permalink(consultation_id: int, comment_id: int):
    """The comment in its page of the thread, whatever the pagination."""
    consultation = load_visible(consultation_id, whole=False)
    comment = _load_comment(consultation, comment_id)
    page, in_window = queries.locate(db.session, current_user, consultation, comment, per_page=per_page(),
                                     replies_per_root=replies_per_root())
    anchor = f"comment-{comment.id}"
    if not in_window or comment.status not in CommentStatus.IN_THREAD:
        return redirect(url_for(".thread", consultation_id=consultation.id, comment_id=comment.root_id or comment.id,
                                _anchor=anchor))
    args = {"cpage": page} if page > 1 else {}
    section = _section_of(comment)
    if section is None:
        return redirect(url_for("consultations.show_consultation", consultation_id=consultation.id, **args,
                                _anchor=anchor))
    current = consultation.current_version
    if current is None or section.version_id != current.id:
        version = next((v for v in consultation.versions if v.id == section.version_id), None)
        if version is not None:
            args["version"] = version.number
    return redirect(url_for("consultations.show_section", consultation_id=consultation.id, anchor=section.anchor,
                            **args, _anchor=anchor))


@bp.get("/consultations/<int:consultation_id>/comments/<int:comment_id>/thread")
@public
def thread(consultation_id: int, comment_id: int):
    consultation = load_visible(consultation_id, whole=False)
    comment = _load_comment(consultation, comment_id)
    root = db.session.get(Comment, comment.root_id) if comment.root_id else comment

    def render_thread() -> dict:
        full = queries.load_full_thread(db.session, current_user, consultation, root, now=utcnow())
        html = render_template("comments/_window.html", thread=full, consultation=consultation,
                               moderation=thread_moderation(consultation, full))
        return {"html": html, "shown": len(full.roots)}

    window = page_cache().for_visitors(("thread", consultation.id, root.id), render_thread)
    return render_template("comments/thread.html", consultation=consultation, root=root,
                           window_html=window["html"], shown=window["shown"], section=_section_of(root))


# --- author's lifecycle ------------------------------------------------------------------

@bp.route("/consultations/<int:consultation_id>/comments/<int:comment_id>/edit", methods=["GET", "POST"])
@login_required
def edit_comment(consultation_id: int, comment_id: int):
    consultation = load_visible(consultation_id)
    comment = _load_comment(consultation, comment_id)
    authorize(_can_edit_now, current_user, comment)
    form = EditCommentForm()
    status = 200
    if request.method == "GET":
        form.body.data = comment.body_source
        form.proposed_wording.data = comment.proposed_wording or ""
        form.version.data = str(comment.version)
    elif form.validate():
        version = form.version.data or ""
        try:
            services.edit_comment(db.session, comment, body=form.body.data or "",
                                  proposed_wording=form.proposed_wording.data or "",
                                  expected_version=int(version) if version.isdigit() else -1,
                                  actor=current_user, window=edit_window(), max_length=max_length())
        except DomainError as err:
            status = _fail(form, err)
        else:
            db.session.commit()
            flash(_("Your comment was updated. The earlier text is kept in its history."), "success")
            return redirect(url_for(".permalink", consultation_id=consultation.id, comment_id=comment.id))
    else:
        status = 400
    return render_template("comments/edit.html", consultation=consultation, comment=comment, form=form,
                           section=_section_of(comment), max_length=max_length()), status


@bp.route("/consultations/<int:consultation_id>/comments/<int:comment_id>/withdraw", methods=["GET", "POST"])
@login_required
def withdraw_comment(consultation_id: int, comment_id: int):
    consultation = load_visible(consultation_id)
    comment = _load_comment(consultation, comment_id)
    authorize(can_withdraw_comment, current_user, comment)
    form = ActionForm()
    if form.validate_on_submit():
        try:
            services.withdraw_comment(db.session, comment, actor=current_user)
        except DomainError as err:
            form.add_domain_error(err)
            return render_template("comments/withdraw.html", consultation=consultation, comment=comment,
                                   form=form), err.status_code
        db.session.commit()
        flash(_("Your comment was withdrawn. Replies to it stay in the thread."), "success")
        return redirect(url_for(".permalink", consultation_id=consultation.id, comment_id=comment.id))
    return render_template("comments/withdraw.html", consultation=consultation, comment=comment, form=form), (
        400 if request.method == "POST" else 200)


@bp.post("/consultations/<int:consultation_id>/comments/<int:comment_id>/support")
@login_required
def support_comment(consultation_id: int, comment_id: int):
    consultation = load_visible(consultation_id)
    comment = _load_comment(consultation, comment_id)
    authorize(can_support_comment, current_user, comment)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    supported = services.toggle_support(db.session, comment, actor=current_user)
    db.session.commit()
    flash(_("You support this comment.") if supported else _("You no longer support this comment."), "success")
    return redirect(url_for(".permalink", consultation_id=consultation.id, comment_id=comment.id))


@bp.post("/consultations/<int:consultation_id>/follow")
@login_required
def follow(consultation_id: int):
    consultation = load_visible(consultation_id)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    if request.form.get("follow") == "0":
        services.unfollow_consultation(db.session, consultation, actor=current_user)
        message = _("You no longer follow this consultation.")
    else:
        services.follow_consultation(db.session, consultation, actor=current_user)
        message = _("You follow this consultation: you will be reminded 7 days before it closes.")
    db.session.commit()
    flash(message, "success")
    return redirect(safe_next(request.form.get("next"),
                              url_for("consultations.show_consultation", consultation_id=consultation.id)))


# --- notifications and activity ------------------------------------------------------------

@bp.get("/notifications")
@login_required
def notifications():
    page = queries.notifications_page(db.session, current_user, request.args.get("page", 1))
    consultations = queries.consultations_by_id(db.session, {n.consultation_id for n in page.items
                                                             if n.consultation_id})
    return render_template("comments/notifications.html", page=page, consultations=consultations,
                           form=ActionForm())


@bp.post("/notifications/read")
@login_required
def mark_all_read():
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    count = services.mark_notifications_read(db.session, actor=current_user)
    db.session.commit()
    flash(_("All notifications are marked as read.") if count else _("There was nothing unread."), "success")
    return redirect(url_for(".notifications"))


@bp.get("/notifications/<int:notification_id>")
@login_required
def open_notification(notification_id: int):
    """Follow a notification: it is marked read and leads to what it is about."""
    from app.comments.models import Notification

    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.user_id != current_user.id:
        abort(404)
    services.mark_notifications_read(db.session, actor=current_user, notification_id=notification.id)
    db.session.commit()
    if notification.kind in ("moderation", "flag", "sanction"):  # moderation notifications: reasons live there
        return redirect(url_for("moderation.my_moderation"))
    if notification.comment_id:
        return redirect(url_for(".permalink", consultation_id=notification.consultation_id,
                                comment_id=notification.comment_id))
    if notification.consultation_id:
        return redirect(url_for("consultations.show_consultation", consultation_id=notification.consultation_id))
    return redirect(url_for(".notifications"))


# --- e-mail frequency (issue "Summaries forwarded…", item 6) ---
class EmailChoicesForm(NotificationSettingsForm):
    email_frequency = RadioField(
        _l("How often should we e-mail you?"),
        choices=[(EmailFrequency.IMMEDIATE, _l("Immediately, one e-mail per notification")),
                 (EmailFrequency.DAILY, _l("Once a day, in one e-mail listing the day's notifications"))],
        default=EmailFrequency.IMMEDIATE)


@bp.route("/notifications/settings", methods=["GET", "POST"])
@login_required
def notification_settings():
    from app.comments.notifications import preferences, set_email_choices

    form = EmailChoicesForm()
    if request.method == "GET":
        current = preferences(db.session, current_user.id)
        form.email_replies.data, form.email_closing.data = current.email_replies, current.email_closing
        form.email_frequency.data = current.email_frequency
    elif form.validate():
        try:
            set_email_choices(db.session, email_replies=form.email_replies.data,
                              email_closing=form.email_closing.data, email_frequency=form.email_frequency.data,
                              actor=current_user)
        except DomainError as err:
            form.add_domain_error(err)
        else:
            db.session.commit()
            flash(_("Your e-mail choices are saved."), "success")
            return redirect(url_for(".notification_settings"))
    return render_template("comments/settings.html", form=form), 200 if request.method == "GET" else 400
# --- end e-mail frequency ---


@bp.get("/my/activity")
@login_required
def my_activity():
    page = queries.my_comments(db.session, current_user, request.args.get("page", 1))
    consultations = queries.consultations_by_id(db.session, {c.consultation_id for c in page.items})
    sections = queries.sections_by_id(db.session, {c.section_id for c in page.items})
    return render_template("comments/activity.html", page=page, consultations=consultations, sections=sections,
                           followed=queries.followed_consultations(db.session, current_user),
                           unread=queries.unread_count(db.session, current_user))
