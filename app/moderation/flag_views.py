"""The flag form and "my moderation", where a participant follows what happened to their comments and flags."""

from __future__ import annotations

from flask import render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.comments.models import Comment
from app.core.authz import authorize, login_required
from app.core.db import db
from app.core.handling import get_or_404, handle_form
from app.moderation import queries, services
from app.moderation.forms import (
    FlagForm,
)
from app.moderation.policy import (
    can_flag,
)
from app.moderation.settings_views import _visible_consultation
from app.moderation.views import bp

# --- flags and "my moderation" -------------------------------------------------------

@bp.route("/consultations/<int:consultation_id>/comments/<int:comment_id>/flag", methods=["GET", "POST"])
@login_required
def flag(consultation_id: int, comment_id: int):
    consultation = _visible_consultation(consultation_id)
    comment = get_or_404(Comment, comment_id, consultation_id=consultation.id)
    from app.comments.policy import can_see_comment

    authorize(can_see_comment, current_user, comment, consultation, hide=True)
    form = FlagForm()

    def render(status: int):
        flagged = get_or_404(Comment, comment_id)
        allowed = can_flag(current_user, flagged)
        if request.method == "GET" and not allowed:
            status = 403
        return render_template("moderation/flag.html", consultation=consultation, comment=flagged, form=form,
                               allowed=allowed), status

    return handle_form(
        form, lambda: services.flag_comment(db.session, comment, reason=form.reason.data or "",
                                            text=form.text.data or "", actor=current_user),
        render=render,
        success=_("Thank you. A moderator will review this comment; you will see the outcome under "
                  "“My moderation”."),
        redirect_to=url_for("consultations.show_consultation", consultation_id=consultation.id))


@bp.get("/account/moderation")
@login_required
def my_moderation():
    decisions = queries.user_decisions(db.session, current_user.id)
    return render_template(
        "moderation/mine.html",
        decisions=decisions, decided=queries.decided_comments(db.session, decisions),
        sanctions=queries.user_sanctions(db.session, current_user.id),
        flags=queries.user_flags(db.session, current_user.id),
        block=services.active_block(db.session, current_user.id), now=services.utcnow())
