"""Read side of notifications: a user's page of them, and the unread count
every signed-in page shows in its navigation (read in the user's own statement)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, event, func, select
from sqlalchemy.orm import Session, joinedload

from app.accounts.models import User
from app.accounts.policy import is_signed_in
from app.accounts.sessions import figure_of, forget_figures, user_figure
from app.comments.models import Comment, Notification
from app.core.pagination import Page, paginate


def notifications_page(session: Session, user: Any, page: Any = 1, per_page: int = 25) -> Page:
    return paginate(
        select(Notification).where(Notification.user_id == user.id)
        .options(joinedload(Notification.comment).joinedload(Comment.author))
        .order_by(Notification.created_at.desc(), Notification.id.desc()),
        page, per_page, session=session)


def unread_count(session: Session, user: Any) -> int:
    if not is_signed_in(user):
        return 0
    known = figure_of(user, UNREAD)
    if known is not None:
        return known
    return session.scalar(_UNREAD, {"user_id": user.id}) or 0


# Every signed-in page counts (navigation): read with the signed-in user, and
# otherwise by a statement built once.
UNREAD = "unread_notifications"
_UNREAD = select(func.count()).select_from(Notification).where(
    Notification.user_id == bindparam("user_id"), Notification.read_at.is_(None))


@user_figure(UNREAD)
def _unread_with_user() -> Any:
    return (select(func.count()).select_from(Notification)
            .where(Notification.user_id == User.id, Notification.read_at.is_(None))
            .correlate(User).scalar_subquery())


@event.listens_for(Notification, "after_insert")
@event.listens_for(Notification, "after_update")
def _count_again(*_args: Any) -> None:
    forget_figures()
