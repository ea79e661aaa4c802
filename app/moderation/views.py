"""Moderation pages: the review queue and item pages under /manage/moderation,
the flag form, "my moderation" and the public moderation page of a consultation."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts.models import User
from app.comments import export
from app.comments.models import Comment
from app.comments.policy import can_export_all_comments
from app.consultations.models import Consultation
from app.consultations.policy import can_view_consultation
from app.core.authz import authorize, login_required, public, requires
from app.core.cache import page_cache
from app.core.db import db, utcnow
from app.core.errors import Conflict, DomainError
from app.core.i18n import select_timezone
from app.moderation import queries, services
from app.moderation.automod import describe
from app.moderation.forms import (
    ACTION_DONE,
    ACTION_LABELS,
    AUDIENCE_LABELS,
    FLAG_LABELS,
    SANCTION_LABELS,
    SORT_LABELS,
    STATUS_LABELS,
    TAB_LABELS,
    ActionForm,
    BulkDecisionForm,
    DecisionForm,
    FlagForm,
    GuidelinesForm,
    LiftForm,
    ReasonForm,
    SanctionForm,
    UndoForm,
    WatchWordForm,
    reason_choices,
    to_int,
)
from app.moderation.guidelines import default_guidelines_html, default_guidelines_source
from app.moderation.models import FlagReason, ReasonTemplate, Sanction, WatchWord
from app.moderation.policy import (
    can_edit_reasons,
    can_edit_watch_words,
    can_flag,
    can_moderate_comment,
    can_moderate_consultation,
    can_sanction,
    can_use_queue,
    moderated_consultation_ids,
)

bp = Blueprint("moderation", __name__)


@bp.context_processor
def _labels():
    return {"ACTION_LABELS": ACTION_LABELS, "ACTION_DONE": ACTION_DONE, "STATUS_LABELS": STATUS_LABELS,
            "FLAG_LABELS": FLAG_LABELS, "SANCTION_LABELS": SANCTION_LABELS, "TAB_LABELS": TAB_LABELS,
            "SORT_LABELS": SORT_LABELS, "AUDIENCE_LABELS": AUDIENCE_LABELS, "describe_hold": describe,
            "can_use_queue": can_use_queue, "can_sanction": can_sanction, "can_edit_reasons": can_edit_reasons,
            "can_edit_watch_words": can_edit_watch_words,
            "can_moderate_consultation": can_moderate_consultation,
            "can_export_all_comments": can_export_all_comments}


@bp.record_once
def _template_globals(state) -> None:
    # The "Review queue" link in the site navigation (base.html).
    state.app.jinja_env.globals["can_use_queue"] = can_use_queue


@bp.app_template_global()
def moderation_figures(consultation_id: int) -> queries.Figures:
    """For the small partial on the consultation page; the same for every reader,
    kept until comments or decisions change."""
    kept = page_cache().remember(("public_figures", consultation_id), lambda: dataclasses.asdict(
        queries.public_figures(db.session, consultation_id)))
    return queries.Figures(**{**kept, "by_reason": [tuple(row) for row in kept["by_reason"]]})


def _or_404(model, ident: int):
    obj = db.session.get(model, ident)
    if obj is None:
        abort(404)
    return obj


def _moderated_comment(comment_id: int) -> Comment:
    comment = _or_404(Comment, comment_id)
    # Outside the moderator's consultations the item does not exist for them.
    authorize(can_moderate_comment, current_user, comment, hide=True)
    return comment


def _reasons():
    return queries.active_reasons(db.session)


def _with_reasons(form):
    form.reason_id.choices = reason_choices(_reasons())
    return form


def _decision_input(form) -> services.DecisionInput:
    return services.DecisionInput(
        action=form.action.data or "", reason_id=to_int(form.reason_id.data),
        reason_text=form.reason_text.data or "", body=getattr(form, "body", None) and form.body.data or "",
        passage=(form.passage.data or "") if hasattr(form, "passage") else "",
        audience=(form.audience.data or "") if hasattr(form, "audience") else "")


def _forged_reason(form) -> bool:
    raw = (form.reason_id.data or "").strip()
    return bool(raw) and to_int(raw) is None


# --- the queue -----------------------------------------------------------------------

def _filters() -> queries.QueueFilters:
    args = request.args
    tab = args.get("tab", "pending")
    sort = args.get("sort", "oldest")
    reason = args.get("reason", "")
    return queries.QueueFilters(
        tab=tab if tab in queries.TABS else "pending",
        consultation_id=to_int(args.get("consultation")), section_id=to_int(args.get("section")),
        reason=reason if reason in (*FlagReason.ALL, "new_account", "links", "duplicate", "watch_word") else "",
        older_than_days=to_int(args.get("older_than")), author=(args.get("author") or "").strip()[:100],
        min_flags=to_int(args.get("min_flags")), sort=sort if sort in queries.SORTS else "oldest",
        page=to_int(args.get("page")) or 1)


def _kept(name: str, produce, *parts):
    """Queue figures, kept until comments or their moderation change (app/core/cache.py),
    per moderator scope: they are counts over thousands of items."""
    scope = moderated_consultation_ids(current_user)
    return page_cache().remember(("moderation", name, sorted(scope) if scope is not None else "all", *parts),
                                 produce)


def _render_queue(status: int = 200, bulk_form: BulkDecisionForm | None = None):
    filters = _filters()
    session = db.session
    count = None
    if not filters.older_than_days:  # "older than" moves with the clock: counted afresh
        def count(statement):
            return _kept("total", lambda: session.scalar(statement), dataclasses.replace(filters, page=1))
    page = queries.review_queue(session, current_user, filters, count=count)
    return render_template(
        "moderation/queue.html", page=page, filters=filters,
        counts=_kept("tabs", lambda: queries.tab_counts(session, current_user)),
        consultations=_kept("consultations", lambda: queries.queue_consultations(session, current_user)),
        bulk_form=bulk_form or _with_reasons(BulkDecisionForm()),
        can_bulk_spam=True), status


@bp.get("/manage/moderation/")
@requires(can_use_queue)
def queue():
    return _render_queue()


@bp.get("/manage/moderation/comments.csv")
@requires(can_export_all_comments)
def export_all_comments():
    """The comments of every consultation, all statuses, restricted ones included (audited)."""
    status = export.parse_status(request.args.get("status"))
    if status is None:
        abort(400)
    filters = export.ExportFilter(status=status, statuses=export.statuses_for(status, unpublished=True))
    export.record_comment_export(db.session, None, filters, actor=current_user)
    db.session.commit()
    return export.csv_response(db.session, filters, None, utcnow().date())


@bp.post("/manage/moderation/bulk")
@requires(can_use_queue)
def bulk_decide():
    form = _with_reasons(BulkDecisionForm())
    items = []
    for raw in request.form.getlist("items"):
        comment_id, _sep, version = raw.partition(":")
        if not (comment_id.isdigit() and version.isdigit()):
            abort(400)
        items.append((int(comment_id), int(version)))
    if form.validate_on_submit():
        if _forged_reason(form):
            abort(400)
        try:
            decisions = services.decide_many(db.session, items, _decision_input(form), actor=current_user)
        except Conflict as err:
            db.session.rollback()
            flash(str(err.message) + " " + _("Nothing was changed; the list below is up to date."), "error")
            return _render_queue(409, form)
        except DomainError as err:
            db.session.rollback()
            if err.status_code == 404:
                abort(404)
            form.add_domain_error(err)
        else:
            db.session.commit()
            flash(_("Decision taken on %(count)d items: %(action)s.", count=len(decisions),
                    action=ACTION_DONE[form.action.data]), "success")
            return redirect(url_for(".queue", **request.args))
    return _render_queue(400, form)


# --- one item ------------------------------------------------------------------------

def _render_item(comment: Comment, status: int = 200, form: DecisionForm | None = None,
                 undo_form: UndoForm | None = None):
    context = queries.item_context(db.session, comment)
    if form is None:
        form = _with_reasons(DecisionForm(formdata=None, version=comment.version))
    form.version.data = str(comment.version)
    last = services.last_decision(db.session, comment)
    return render_template(
        "moderation/item.html", item=context, form=form,
        undo_form=undo_form or UndoForm(formdata=None, version=comment.version),
        last=last if last is not None and last.action != "undo" and last.undone_at is None else None,
        sanction_form=_with_reasons(SanctionForm(formdata=None, comment_id=comment.id)),
    ), status


@bp.get("/manage/moderation/comments/<int:comment_id>")
@requires(can_use_queue)
def show_item(comment_id: int):
    return _render_item(_moderated_comment(comment_id))


def _render_conflict(comment: Comment, submitted_version: int | None, form):
    """HTTP 409: what changed since the form was rendered, with the moderator's input kept."""
    db.session.rollback()
    comment = _or_404(Comment, comment.id)
    since = submitted_version or 0
    changes = queries.decisions_since(db.session, comment, since)
    return render_template(
        "moderation/conflict.html", comment=comment, changes=changes, form=form,
        submitted_version=submitted_version, current_status=comment.status,
        revisions=queries.revisions_since(db.session, comment, None) if comment.edited_at else [],
        undo=isinstance(form, UndoForm)), 409


@bp.post("/manage/moderation/comments/<int:comment_id>/decide")
@requires(can_use_queue)
def decide(comment_id: int):
    comment = _moderated_comment(comment_id)
    form = _with_reasons(DecisionForm())
    if form.validate_on_submit():
        if _forged_reason(form):
            abort(400)
        version = to_int(form.version.data)
        try:
            decision = services.decide(db.session, comment, _decision_input(form), expected_version=version,
                                       actor=current_user)
        except Conflict as err:
            flash(str(err.message), "error")
            return _render_conflict(comment, version, form)
        except DomainError as err:
            db.session.rollback()
            comment = _or_404(Comment, comment_id)
            form.add_domain_error(err)
        else:
            db.session.commit()
            flash(_("Decision recorded: %(action)s. The author has been told why.",
                    action=ACTION_DONE[decision.action]), "success")
            if decision.action == "spam" and can_sanction(current_user):
                flash(_("You can now sanction the author if this was deliberate."), "info")
                return redirect(url_for(".show_user", user_id=comment.author_id, comment=comment.id))
            return redirect(url_for(".show_item", comment_id=comment.id))
    return _render_item(comment, 400, form=form)


@bp.post("/manage/moderation/comments/<int:comment_id>/undo")
@requires(can_use_queue)
def undo(comment_id: int):
    comment = _moderated_comment(comment_id)
    form = UndoForm()
    if form.validate_on_submit():
        version = to_int(form.version.data)
        try:
            services.undo_last_decision(db.session, comment, expected_version=version,
                                        reason_text=form.reason_text.data or "", actor=current_user)
        except Conflict as err:
            flash(str(err.message), "error")
            return _render_conflict(comment, version, form)
        except DomainError as err:
            db.session.rollback()
            comment = _or_404(Comment, comment_id)
            form.add_domain_error(err)
        else:
            db.session.commit()
            flash(_("The last decision was undone. The author has been told."), "success")
            return redirect(url_for(".show_item", comment_id=comment.id))
    return _render_item(comment, 400, undo_form=form)


# --- authors and sanctions -----------------------------------------------------------

def _render_user(user: User, status: int = 200, form: SanctionForm | None = None,
                 lift_forms: dict | None = None):
    if form is None:
        form = _with_reasons(SanctionForm(formdata=None, comment_id=request.args.get("comment", "")))
    sanctions = queries.user_sanctions(db.session, user.id)
    return render_template(
        "moderation/user.html", subject=user, sanctions=sanctions, form=form,
        decisions=queries.user_decisions(db.session, user.id),
        lift_forms=lift_forms or {}, lift_form=LiftForm(formdata=None), now=services.utcnow()), status


@bp.get("/manage/moderation/users/<int:user_id>")
@requires(can_use_queue)
def show_user(user_id: int):
    return _render_user(_or_404(User, user_id))


def _utc_from_local(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=ZoneInfo(select_timezone())).astimezone(ZoneInfo("UTC"))


@bp.post("/manage/moderation/users/<int:user_id>/sanctions")
@requires(can_sanction)
def sanction_user(user_id: int):
    subject = _or_404(User, user_id)
    form = _with_reasons(SanctionForm())
    if form.validate_on_submit():
        if _forged_reason(form):
            abort(400)
        comment = db.session.get(Comment, to_int(form.comment_id.data)) if to_int(form.comment_id.data) else None
        try:
            services.sanction_user(db.session, subject, kind=form.kind.data or "",
                                   reason_id=to_int(form.reason_id.data), reason_text=form.reason_text.data or "",
                                   ends_at=_utc_from_local(form.ends_at.data), comment=comment,
                                   actor=current_user)
        except DomainError as err:
            db.session.rollback()
            subject = _or_404(User, user_id)
            form.add_domain_error(err)
        else:
            db.session.commit()
            flash(_("Sanction recorded: %(kind)s. %(name)s has been told why.",
                    kind=SANCTION_LABELS[form.kind.data], name=subject.display_name), "success")
            return redirect(url_for(".show_user", user_id=subject.id))
    return _render_user(subject, 400, form=form)


@bp.post("/manage/moderation/sanctions/<int:sanction_id>/lift")
@requires(can_sanction)
def lift_sanction(sanction_id: int):
    sanction = _or_404(Sanction, sanction_id)
    form = LiftForm()
    if form.validate_on_submit():
        try:
            services.lift_sanction(db.session, sanction, reason_text=form.reason_text.data or "",
                                   actor=current_user)
        except DomainError as err:
            db.session.rollback()
            sanction = _or_404(Sanction, sanction_id)
            form.add_domain_error(err)
        else:
            db.session.commit()
            flash(_("The sanction was lifted; the account holder has been told."), "success")
            return redirect(url_for(".show_user", user_id=sanction.user_id))
    return _render_user(_or_404(User, sanction.user_id), 400, lift_forms={sanction.id: form})


# --- reasons and the watch list ------------------------------------------------------

def _save_reason(template: ReasonTemplate | None, page: str, done: str, **context):
    """Add (template None) or edit a reason template; one form, one service."""
    form = ReasonForm(formdata=request.form if request.method == "POST" else None, obj=template)
    if request.method == "POST" and form.validate():
        try:
            services.save_reason(db.session, template, code=form.code.data, label=form.label.data,
                                 message=form.message.data, active=form.active.data, actor=current_user)
        except DomainError as err:
            db.session.rollback()
            form.add_domain_error(err)
        else:
            db.session.commit()
            flash(done, "success")
            return redirect(url_for(".reasons"))
    status = 400 if request.method == "POST" else 200
    return render_template(page, form=form, **context), status


@bp.route("/manage/moderation/reasons", methods=["GET", "POST"])
@requires(can_edit_reasons)
def reasons():
    return _save_reason(None, "moderation/reasons.html", _("Reason added."),
                        reasons=queries.all_reasons(db.session))


@bp.route("/manage/moderation/reasons/<int:reason_id>", methods=["GET", "POST"])
@requires(can_edit_reasons)
def edit_reason(reason_id: int):
    template = _or_404(ReasonTemplate, reason_id)
    return _save_reason(template, "moderation/reason_edit.html", _("Reason saved."), reason=template)


@bp.route("/manage/moderation/watch-words", methods=["GET", "POST"])
@requires(can_edit_watch_words)
def watch_words():
    form = WatchWordForm(formdata=request.form if request.method == "POST" else None)
    if request.method == "POST" and form.validate():
        try:
            services.add_watch_word(db.session, form.word.data, actor=current_user)
        except DomainError as err:
            db.session.rollback()
            form.add_domain_error(err)
        else:
            db.session.commit()
            flash(_("Added to the watch list. New comments containing it are held for review."), "success")
            return redirect(url_for(".watch_words"))
    status = 400 if request.method == "POST" else 200
    return render_template("moderation/watch_words.html", words=queries.watch_words(db.session), form=form,
                           delete_form=ActionForm(formdata=None)), status


@bp.post("/manage/moderation/watch-words/<int:word_id>/delete")
@requires(can_edit_watch_words)
def delete_watch_word(word_id: int):
    entry = _or_404(WatchWord, word_id)
    if ActionForm().validate_on_submit():
        services.remove_watch_word(db.session, entry, actor=current_user)
        db.session.commit()
        flash(_("Removed from the watch list."), "success")
    return redirect(url_for(".watch_words"))


# --- guidelines and public figures ---------------------------------------------------

def _visible_consultation(consultation_id: int) -> Consultation:
    consultation = _or_404(Consultation, consultation_id)
    authorize(can_view_consultation, current_user, consultation, hide=True)
    return consultation


@bp.get("/consultations/<int:consultation_id>/moderation")
@public
def transparency(consultation_id: int):
    consultation = _visible_consultation(consultation_id)
    guidelines = queries.guidelines_for(db.session, consultation.id)
    return render_template("moderation/transparency.html", consultation=consultation,
                           figures=queries.public_figures(db.session, consultation.id),
                           guidelines_html=guidelines.html if guidelines else default_guidelines_html(),
                           custom=guidelines is not None)


@bp.route("/manage/moderation/consultations/<int:consultation_id>/guidelines", methods=["GET", "POST"])
@requires(can_use_queue)
def edit_guidelines(consultation_id: int):
    consultation = _or_404(Consultation, consultation_id)
    authorize(can_moderate_consultation, current_user, consultation, hide=True)
    guidelines = queries.guidelines_for(db.session, consultation.id)
    form = GuidelinesForm(formdata=request.form if request.method == "POST" else None,
                          source=guidelines.source if guidelines else default_guidelines_source())
    if request.method == "POST" and form.validate():
        try:
            services.save_guidelines(db.session, consultation, source=form.source.data, actor=current_user)
        except DomainError as err:
            db.session.rollback()
            form.add_domain_error(err)
        else:
            db.session.commit()
            flash(_("Moderation guidelines saved."), "success")
            return redirect(url_for(".transparency", consultation_id=consultation.id))
    status = 400 if request.method == "POST" else 200
    return render_template("moderation/guidelines_edit.html", consultation=consultation, form=form), status


# --- flags and "my moderation" -------------------------------------------------------

@bp.route("/consultations/<int:consultation_id>/comments/<int:comment_id>/flag", methods=["GET", "POST"])
@login_required
def flag(consultation_id: int, comment_id: int):
    consultation = _visible_consultation(consultation_id)
    comment = _or_404(Comment, comment_id)
    if comment.consultation_id != consultation.id:
        abort(404)
    from app.comments.policy import can_see_comment

    authorize(can_see_comment, current_user, comment, consultation, hide=True)
    form = FlagForm()
    if form.validate_on_submit():
        try:
            services.flag_comment(db.session, comment, reason=form.reason.data or "", text=form.text.data or "",
                                  actor=current_user)
        except DomainError as err:
            db.session.rollback()
            comment = _or_404(Comment, comment_id)
            form.add_domain_error(err)
            status = err.status_code
        else:
            db.session.commit()
            flash(_("Thank you. A moderator will review this comment; you will see the outcome under "
                    "“My moderation”."), "success")
            return redirect(url_for("consultations.show_consultation", consultation_id=consultation.id))
    else:
        status = 400 if request.method == "POST" else 200
    if request.method == "GET" and not can_flag(current_user, comment):
        status = 403
    return render_template("moderation/flag.html", consultation=consultation, comment=comment, form=form,
                           allowed=can_flag(current_user, comment)), status


@bp.get("/account/moderation")
@login_required
def my_moderation():
    return render_template(
        "moderation/mine.html",
        decisions=queries.user_decisions(db.session, current_user.id),
        sanctions=queries.user_sanctions(db.session, current_user.id),
        flags=queries.user_flags(db.session, current_user.id),
        block=services.active_block(db.session, current_user.id), now=services.utcnow())
