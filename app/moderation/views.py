"""Moderation pages: the review queue and item pages under /manage/moderation,
the flag form, "my moderation" and the public moderation page of a consultation.
This module holds the blueprint, the queue and the item page; the others live in
sanction_views.py, settings_views.py and flag_views.py."""

from __future__ import annotations

import dataclasses

from flask import Blueprint, abort, flash, g, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from app.comments import export
from app.comments.export_xlsx import xlsx_response
from app.comments.models import Comment
from app.comments.policy import can_export_all_comments
from app.core.authz import authorize, requires
from app.core.cache import CONSULTATIONS, consultation_scope, page_cache
from app.core.db import db, utcnow
from app.core.handling import get_or_404, handle_form
from app.core.slots import fill, slot, split
from app.core.urls import parse_id, url_with_query
from app.moderation import queries, queue_cards, reader_queries, services
from app.moderation.automod import describe
from app.moderation.forms import (
    ACTION_DONE,
    ACTION_LABELS,
    AUDIENCE_LABELS,
    COMMENT_STATUS_LABELS,
    FLAG_LABELS,
    SANCTION_LABELS,
    SORT_LABELS,
    TAB_LABELS,
    BulkDecisionForm,
    DecisionForm,
    SanctionForm,
    UndoForm,
    reason_choices,
    to_int,
)
from app.moderation.models import FLAG_REASONS, QUEUE_SCOPE
from app.moderation.policy import (
    can_edit_reasons,
    can_edit_watch_words,
    can_moderate_comment,
    can_moderate_consultation,
    can_sanction,
    can_use_queue,
    moderated_consultation_ids,
)
from app.moderation.reasons import shown as reason_shown

bp = Blueprint("moderation", __name__)


@bp.context_processor
def _labels():
    return {"ACTION_LABELS": ACTION_LABELS, "ACTION_DONE": ACTION_DONE, "COMMENT_STATUS_LABELS": COMMENT_STATUS_LABELS,
            "FLAG_LABELS": FLAG_LABELS, "SANCTION_LABELS": SANCTION_LABELS, "TAB_LABELS": TAB_LABELS,
            "SORT_LABELS": SORT_LABELS, "AUDIENCE_LABELS": AUDIENCE_LABELS, "describe_hold": describe,
            "can_use_queue": can_use_queue, "can_sanction": can_sanction, "can_edit_reasons": can_edit_reasons,
            "can_edit_watch_words": can_edit_watch_words,
            "can_moderate_consultation": can_moderate_consultation,
            "can_export_all_comments": can_export_all_comments, "reason_shown": reason_shown}


@bp.record_once
def _template_globals(state) -> None:
    # The "Review queue" link in the site navigation (base.html), with the number of items waiting.
    state.app.jinja_env.globals["can_use_queue"] = can_use_queue
    state.app.jinja_env.globals["moderation_queue_total"] = _queue_total
    # The receipt page (comments) tells the author what holds their comment and every decision on it.
    state.app.jinja_env.globals["moderation_for_author"] = lambda comment: queries.author_view(db.session, comment)


# What the kept queue is filed under: every consultation's token, whatever the moderator's
# scope (an author's history counts decisions anywhere; the titles), and the queue's own
# (the reasons it offers, sanctions in the histories).
QUEUE_TOKENS = (CONSULTATIONS, QUEUE_SCOPE)


def _queue_total() -> int:
    try:
        return sum(queue_counts().values())
    except Exception:  # noqa: BLE001 - the navigation must render even when the database fails
        return 0


@bp.app_template_global()
def moderation_figures(consultation_id: int) -> reader_queries.Figures:
    """For the small partial on the consultation page; the same for every reader,
    kept until comments or decisions change."""
    kept = page_cache().remember(("public_figures", consultation_id), lambda: dataclasses.asdict(
        reader_queries.public_figures(db.session, consultation_id)), scopes=(consultation_scope(consultation_id),))
    return reader_queries.Figures(**{**kept, "by_reason": [tuple(row) for row in kept["by_reason"]]})


def _moderated_comment(comment_id: int) -> Comment:
    comment = get_or_404(Comment, comment_id)
    # Outside the moderator's consultations the item does not exist for them.
    authorize(can_moderate_comment, current_user, comment, hide=True)
    return comment


def _reason_choices() -> list[tuple[str, str]]:
    """The reasons a form offers, read once per request (a page may show two forms)."""
    if "reason_choices" not in g:
        # Kept while the reasons stay as they are (a page's reading; a decision reads them afresh).
        rows = page_cache().remember(
            ("reasons",), lambda: [list(row) for row in queries.active_reason_rows(db.session)], scopes=(QUEUE_SCOPE,))
        g.reason_choices = reason_choices(rows)
    return g.reason_choices


def _with_reasons(form):
    form.reason_id.choices = list(_reason_choices())
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

def _filters(counts: dict[str, int] | None = None) -> queries.QueueFilters:
    """The queue's filters from the address; without a tab, the first tab that has work."""
    args = request.args
    tab = args.get("tab") or next((t for t in queries.TABS if counts and counts.get(t)), "pending")
    sort = args.get("sort", "oldest")
    reason = args.get("reason", "")
    return queries.QueueFilters(
        tab=tab if tab in queries.TABS else "pending",
        consultation_id=to_int(args.get("consultation")), section_id=to_int(args.get("section")),
        reason=reason if reason in (*FLAG_REASONS, "new_account", "links", "duplicate", "watch_word") else "",
        older_than_days=to_int(args.get("older_than")), author=(args.get("author") or "").strip()[:100],
        min_flags=to_int(args.get("min_flags")), sort=sort if sort in queries.SORTS else "oldest",
        page=to_int(args.get("page")) or 1)


def _kept(name: str, produce, *parts):
    """Queue figures, kept until comments or their moderation change (app/core/cache.py),
    per moderator scope: they are counts over thousands of items."""
    scope = moderated_consultation_ids(current_user)
    return page_cache().remember(("moderation", name, sorted(scope) if scope is not None else "all", *parts),
                                 produce, scopes=_scope_tokens(scope))


def _scope_tokens(scope: set[int] | None) -> list[str]:
    return [consultation_scope(cid) for cid in scope] if scope is not None else [CONSULTATIONS]


def queue_counts() -> dict[str, int]:
    """Items per tab in the moderator's scope (kept: the navigation shows them on every page;
    the queue asks twice, the navigation and the tabs)."""
    if "queue_counts" not in g:
        g.queue_counts = _kept("tabs", lambda: queries.tab_counts(db.session, current_user))
    return g.queue_counts


def _render_queue(status: int = 200, bulk_form: BulkDecisionForm | None = None):
    # The tokens the kept content is filed under, read before what it shows (the counts below are
    # in it): for a moderator of some consultations ``queue_counts`` reads only theirs.
    page_cache().read_tokens_first(QUEUE_TOKENS)
    counts = queue_counts()
    filters = _filters(counts)
    if bulk_form is None and request.method == "GET" and not filters.older_than_days:
        body = _kept_body(counts, filters)
    else:  # a refused decision, or "older than" (it moves with the clock): rendered afresh
        body = Markup(_body(counts, filters, bulk_form)["html"])  # noqa: S704 - our template's output
    return render_template("moderation/queue.html", body=body), status


def _kept_body(counts: dict[str, int], filters: queries.QueueFilters) -> Markup:
    """The queue's content kept for every moderator with the same roles at the same address until
    what it shows changes (``QUEUE_TOKENS``); the CSRF token and "3 days ago" filled in."""
    # The roles: what the page offers them.
    parts = ("queue", current_user.role_keys, request.path, sorted(request.args.items(multi=True)))

    def produce() -> dict:
        value = _body(counts, filters, None, keeping=True)
        return {**value, "html": split(value["html"])}

    kept = page_cache().for_readers(parts, produce, scopes=QUEUE_TOKENS)
    token, ago = generate_csrf(), queue_cards.ago(kept["ago"])
    return Markup(fill(kept["html"], lambda kind, n: token if kind == "c" else ago(n)))  # noqa: S704 - our template's output


def _body(counts: dict[str, int], filters: queries.QueueFilters, bulk_form: BulkDecisionForm | None, *,
          keeping: bool = False) -> dict:
    session = db.session
    consultations = _kept("consultations", lambda: queries.queue_consultations(session, current_user))
    count = None
    narrowed = (filters.section_id or filters.reason or filters.author or filters.min_flags
                or filters.older_than_days)
    if not narrowed and not filters.consultation_id:
        def count(_statement):  # the whole tab: its count is in the tabs already
            return counts[filters.tab]
    elif not narrowed:
        def count(_statement):  # one consultation: its kept counts are in the filter's list
            return next((tabs[filters.tab] for cid, _title, tabs in consultations if cid == filters.consultation_id), 0)
    elif not filters.older_than_days:  # "older than" moves with the clock: counted afresh
        def count(statement):
            return _kept("total", lambda: session.scalar(statement), dataclasses.replace(filters, page=1))
    page = queries.review_queue(session, current_user, filters, count=count,
                                titles={cid: title for cid, title, _tabs in consultations})
    select_all = request.args.get("select") == "all"
    chosen = set(request.form.getlist("items")) if request.method == "POST" else set()
    bulk_form = bulk_form or _with_reasons(BulkDecisionForm())
    html = render_template(
        "moderation/_queue_body.html", page=page, filters=filters,
        cards=queue_cards.cards(page.items, checked=lambda value: select_all or value in chosen, keeping=keeping),
        counts=counts,
        consultations=[(cid, title) for cid, title, _tabs in consultations],
        bulk_form=bulk_form, bulk_fields=_bulk_fields(bulk_form) if page.items else "",
        select_all=select_all, csrf=slot("c") if keeping else generate_csrf(),
        can_bulk_spam=True)
    return {"html": str(html), "ago": queue_cards.ago_slots(page.items)}


def _bulk_fields(form: BulkDecisionForm) -> Markup:
    """The decision on the selected items, rendered; kept per language and reasons offered
    while it shows nothing submitted (WTForms' rendering costs more than the rest of the page)."""
    def render() -> dict:
        return {"html": str(render_template("moderation/_queue_bulk.html", form=form))}

    if form.is_submitted():
        return Markup(render()["html"])  # noqa: S704 - our template's output
    kept = page_cache().for_readers(("queue_bulk_form", form.reason_id.choices), render, scopes=())
    return Markup(kept["html"])  # noqa: S704 - our template's output


@bp.get("/manage/moderation/")
@requires(can_use_queue)
def queue():
    return _render_queue()


@bp.get("/manage/moderation/comments.csv")
@bp.get("/manage/moderation/comments.xlsx", endpoint="export_all_comments_xlsx")
@requires(can_export_all_comments)
def export_all_comments():
    """The comments of every consultation, all statuses, restricted ones included (audited)."""
    status = export.parse_status(request.args.get("status"))
    if status is None:
        abort(400)
    filters = export.ExportFilter(status=status, statuses=export.statuses_for(status, unpublished=True))
    # A page view reads in a deferred transaction; the audit entry is written in
    # one that takes SQLite's write lock first, so concurrent downloads queue.
    db.session.rollback()
    with db.writing():
        export.record_comment_export(db.session, None, filters, actor=current_user)
        db.session.commit()
    if request.path.endswith(".xlsx"):
        return xlsx_response(db.sessionmaker, filters, None, utcnow().date())
    return export.csv_response(db.sessionmaker, filters, None, utcnow().date())


@bp.post("/manage/moderation/bulk")
@requires(can_use_queue)
def bulk_decide():
    form = _with_reasons(BulkDecisionForm())
    items = []
    for raw in request.form.getlist("items"):
        comment_id, _sep, version = raw.partition(":")
        if parse_id(comment_id) is None or parse_id(version) is None:
            abort(400)
        items.append((int(comment_id), int(version)))
    if form.is_submitted() and _forged_reason(form):
        abort(400)

    def render(status: int):
        if status == 409:
            flash(" ".join([*form.form_errors, _("Nothing was changed; the list below is up to date.")]), "error")
            form.form_errors.clear()
        return _render_queue(status, form)

    return handle_form(
        form, lambda: services.decide_many(db.session, items, _decision_input(form), actor=current_user),
        render=render, redirect_to=lambda _decisions: url_with_query(".queue"),
        success=lambda decisions: _("Decision taken on %(count)d items: %(action)s.", count=len(decisions),
                                    action=ACTION_DONE[form.action.data]))


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
    comment = get_or_404(Comment, comment.id)
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
    if form.is_submitted() and _forged_reason(form):
        abort(400)
    version = to_int(form.version.data)

    def decided(decision) -> str:
        if decision.action == "spam" and can_sanction(current_user):
            flash(_("You can now sanction the author if this was deliberate."), "info")
            return url_for(".show_user", user_id=comment.author_id, comment=comment.id)
        return url_for(".show_item", comment_id=comment.id)

    return handle_form(
        form, lambda: services.decide(db.session, comment, _decision_input(form), expected_version=version,
                                      actor=current_user),
        render=lambda status: _render_refused(comment_id, status, version, form=form),
        success=lambda decision: _("Decision recorded: %(action)s. The author has been told why.",
                                   action=ACTION_DONE[decision.action]),
        redirect_to=decided)


def _render_refused(comment_id: int, status: int, version: int | None, **forms):
    """The item page again after a refused decision or undo; a conflict shows what changed meanwhile."""
    form = forms.get("form") or forms.get("undo_form")
    if status == 409:
        for message in form.form_errors:
            flash(message, "error")
        form.form_errors.clear()
        return _render_conflict(get_or_404(Comment, comment_id), version, form)
    return _render_item(get_or_404(Comment, comment_id), status, **forms)


@bp.post("/manage/moderation/comments/<int:comment_id>/undo")
@requires(can_use_queue)
def undo(comment_id: int):
    comment = _moderated_comment(comment_id)
    form = UndoForm()
    version = to_int(form.version.data)
    return handle_form(
        form, lambda: services.undo_last_decision(db.session, comment, expected_version=version,
                                                  reason_text=form.reason_text.data or "", actor=current_user),
        render=lambda status: _render_refused(comment_id, status, version, undo_form=form),
        success=_("The last decision was undone. The author has been told."),
        redirect_to=url_for(".show_item", comment_id=comment.id))


# The pages of this blueprint live in several modules; importing them registers their routes.
from app.moderation import flag_views, sanction_views, settings_views  # noqa: E402, F401, I001
