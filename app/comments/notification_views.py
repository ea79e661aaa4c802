"""In-app notifications, e-mail choices and the reader's own activity."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import RadioField

from app.comments import notification_queries, queries, services
from app.comments.forms import (
    ActionForm,
    NotificationSettingsForm,
)
from app.comments.models import EmailFrequency, NotificationKind
from app.comments.views import bp
from app.core.authz import login_required
from app.core.db import db
from app.core.handling import handle_form

# --- notifications and activity ------------------------------------------------------------

@bp.get("/notifications")
@login_required
def notifications():
    page = notification_queries.notifications_page(db.session, current_user, request.args.get("page", 1))
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
        decision = notification.dedupe_key.removeprefix("moderation:decision:")
        return redirect(url_for("moderation.my_moderation",
                                _anchor=f"decision-{decision}" if decision.isdigit() else None))
    answer = answer_target(notification)
    if answer is not None:
        return redirect(answer)
    if notification.comment_id:
        return redirect(url_for(".permalink", consultation_id=notification.consultation_id,
                                comment_id=notification.comment_id))
    if notification.consultation_id:
        return redirect(url_for("consultations.show_consultation", consultation_id=notification.consultation_id))
    return redirect(url_for(".notifications"))


def answer_target(notification) -> str | None:
    """Where a notification that the government answered a comment leads (summaries hook)."""
    if notification.kind != NotificationKind.ANSWER:
        return None
    parts = notification.dedupe_key.split(":")  # answer:disposition:<id>:… or answer:summary:<revision id>
    if len(parts) > 2 and parts[1] == "disposition" and parts[2].isdigit():
        return url_for("summaries.resolution", consultation_id=notification.consultation_id,
                       _anchor=f"disposition-{parts[2]}")
    return url_for("summaries.show_summary", consultation_id=notification.consultation_id)


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
    return handle_form(
        form, lambda: set_email_choices(db.session, email_replies=form.email_replies.data,
                                        email_closing=form.email_closing.data,
                                        email_frequency=form.email_frequency.data, actor=current_user),
        validated=request.method == "POST" and form.validate(),
        render=lambda status: (render_template("comments/settings.html", form=form), status),
        success=_("Your e-mail choices are saved."), redirect_to=url_for(".notification_settings"))
# --- end e-mail frequency ---


@bp.get("/my/activity")
@login_required
def my_activity():
    page = queries.my_comments(db.session, current_user, request.args.get("page", 1))
    consultations = queries.consultations_by_id(db.session, {c.consultation_id for c in page.items})
    sections = queries.sections_by_id(db.session, {c.section_id for c in page.items})
    return render_template("comments/activity.html", page=page, consultations=consultations, sections=sections,
                           followed=queries.followed_consultations(db.session, current_user),
                           unread=notification_queries.unread_count(db.session, current_user))
