"""Reading one comment (its permalink) and one whole thread."""

from __future__ import annotations

from flask import abort, redirect, render_template, url_for
from flask_login import current_user

from app.accounts.policy import is_signed_in
from app.comments import kept, queries
from app.comments.models import STATUSES_IN_THREAD, Comment
from app.comments.policy import can_see_comment
from app.comments.presenter import PageReader
from app.comments.views import (
    _load_comment,
    _section_of,
    bp,
    edit_window,
    moderation_for_reader,
    per_page,
    replies_per_root,
)
from app.consultations.loading import load_visible
from app.core.authz import public
from app.core.cache import consultation_scope, page_cache
from app.core.db import db, utcnow

# --- reading -----------------------------------------------------------------------------

def _load_for_reading(consultation, comment_id: int) -> Comment:
    """The comment, as ``_load_comment``; its author, when readers do not see it (rejected, hidden,
    spam), is taken to its receipt instead of a 404: the receipt shows the comment with what was
    decided on it, and the links to it (in their activity, e-mails, the receipt itself) lead there."""
    comment = _load_comment(consultation, comment_id, own=True)
    if not can_see_comment(current_user, comment, consultation):  # its author's
        abort(redirect(url_for(".receipt", consultation_id=consultation.id, comment_id=comment.id)))
    return comment


@bp.get("/consultations/<int:consultation_id>/comments/<int:comment_id>")
@public
def permalink(consultation_id: int, comment_id: int):
    """The comment in its page of the thread, whatever the pagination."""
    consultation = load_visible(consultation_id, whole=False)
    comment = _load_for_reading(consultation, comment_id)
    page, in_window = queries.locate(db.session, current_user, consultation, comment, per_page=per_page(),
                                     replies_per_root=replies_per_root())
    anchor = f"comment-{comment.id}"
    if not in_window or comment.status not in STATUSES_IN_THREAD:
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
    comment = _load_for_reading(consultation, comment_id)
    root = db.session.get(Comment, comment.root_id) if comment.root_id else comment

    def render_thread(keeping: bool = False) -> dict:
        full = queries.load_full_thread(db.session, current_user, consultation, root, now=utcnow())
        moderation = moderation_for_reader(consultation, full)
        reader = PageReader(consultation, moderation, full.supported_ids, edit_window=edit_window(), keeping=keeping)
        html = render_template("comments/_window.html", thread=full, consultation=consultation,
                               moderation=moderation, reader=reader)
        return {"html": html, "shown": len(full.roots), **({"reader": reader} if keeping else {})}

    parts = ("thread", consultation.id, root.id)
    window = kept.serve(consultation, parts, render_thread, edit_window=edit_window()) \
        if is_signed_in(current_user) else None
    if window is None:
        window = page_cache().for_visitors(parts, render_thread, scopes=(consultation_scope(consultation.id),))
    # The root may be hidden or restricted for this reader while a reply is not: then its author is not named.
    starter = root.author if can_see_comment(current_user, root, consultation) else None
    return render_template("comments/thread.html", consultation=consultation, root=root, starter=starter,
                           window_html=window["html"], shown=window["shown"], section=_section_of(root))
