"""Read side of the discussion: threads windowed by top-level comment,
per-section counts in one grouped query, permalinks and activity
(notifications: app/comments/notification_queries.py). Visibility is applied in SQL, so restricted comments never
leave the database for someone who may not read them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, false, func, or_, select, true
from sqlalchemy.orm import Session, aliased, joinedload

from app.accounts.models import Organisation, Role, Scope, User
from app.accounts.policy import (
    author_countries,
    focal_point_scopes,
    has_role,
    is_admin,
    is_signed_in,
    moderated_consultation_ids,
)
from app.comments.models import (
    STATUSES_IN_THREAD,
    Audience,
    Comment,
    CommentStatus,
    ConsultationVisit,
    Follow,
    Support,
)
from app.comments.policy import can_see_restricted
from app.consultations.models import Consultation, ConsultationRegion, DraftVersion, Section
from app.consultations.policy import moderates
from app.core.pagination import Page, paginate

SORTS = ("oldest", "newest", "supported")


@dataclass
class ThreadFilters:
    sort: str = "oldest"
    kind: str = ""
    stance: str = ""
    organisation_kind: str = ""
    language: str = ""
    new_only: bool = False

    @property
    def active(self) -> bool:
        return bool(self.kind or self.stance or self.organisation_kind or self.language or self.new_only)


@dataclass
class Node:
    comment: Comment
    children: list[Node] = field(default_factory=list)
    hidden_replies: int = 0  # visible replies of the thread not shown in this window
    is_new: bool = False
    # The comment this one answers, when it is shown flattened ("in reply to ...").
    reply_to: Comment | None = None

    def descendants(self) -> list[Node]:
        """Every reply below this node in thread order (for display past the nesting depth)."""
        out: list[Node] = []
        for child in self.children:
            out.append(child)
            out.extend(child.descendants())
        return out


@dataclass
class Thread:
    roots: list[Node]
    page: Page
    supported_ids: set[int]
    since: datetime | None


def restricted_readable_condition(user: Any):
    """SQL form of ``policy.can_see_restricted`` over ``Consultation`` rows: the
    consultations whose restricted content ``user`` may read."""
    if not is_signed_in(user):
        return false()
    if is_admin(user) or has_role(user, Role.MODERATOR, Scope.GLOBAL, ""):
        return true()
    allowed = []
    countries = set(author_countries(user))
    regions = set()
    for scope_type, key in focal_point_scopes(user):
        if scope_type == Scope.GLOBAL:
            return true()
        (countries if scope_type == Scope.COUNTRY else regions).add(key)
    if countries:
        allowed.append(Consultation.country_code.in_(sorted(countries)))
    if regions:
        allowed.append(Consultation.id.in_(select(ConsultationRegion.consultation_id).where(
            ConsultationRegion.region_code.in_(sorted(regions)))))
    moderated = moderated_consultation_ids(user) or set()
    if moderated:
        allowed.append(Consultation.id.in_(sorted(moderated)))
    return or_(*allowed) if allowed else false()


def visible_condition(user: Any, consultation: Consultation, *, include_own_pending: bool = True,
                      entity: Any = Comment):
    """Comments of ``consultation`` that ``user`` may see in a thread: the SQL form
    of ``policy.can_see_comment`` (``entity``: ``Comment`` or an alias of it).

    Withdrawn comments stay as placeholders so their replies keep their
    context. Pending ones show to their author (and moderators)."""
    signed_in = is_signed_in(user)
    staff = signed_in and (is_admin(user) or moderates(user, consultation))
    statuses = [entity.status.in_(STATUSES_IN_THREAD)]
    if staff:
        statuses.append(entity.status == CommentStatus.PENDING)
    elif signed_in and include_own_pending:
        statuses.append(and_(entity.status == CommentStatus.PENDING, entity.author_id == user.id))
    audience = [entity.audience == Audience.PUBLIC]
    if can_see_restricted(user, consultation):
        audience = [true()]
    elif signed_in:
        audience.append(entity.author_id == user.id)
    return and_(entity.consultation_id == consultation.id, or_(*statuses), or_(*audience))


def counted_condition(user: Any, consultation: Consultation):
    """What the counts count: published comments the user may read."""
    audience = [Comment.audience == Audience.PUBLIC]
    if can_see_restricted(user, consultation):
        audience = [true()]
    elif is_signed_in(user):
        audience.append(Comment.author_id == user.id)
    return and_(Comment.consultation_id == consultation.id, Comment.status == CommentStatus.PUBLISHED,
                or_(*audience))


def listed_condition(user: Any, consultation: Consultation):
    """A flat list of the discussion (the API): published comments the user may read,
    in threads whose top-level comment the user sees, as on the pages (a reply under
    a root hidden or restricted for the reader is never shown there either)."""
    root = aliased(Comment)
    visible_roots = select(root.id).where(visible_condition(user, consultation, entity=root),
                                          root.parent_id.is_(None))
    return and_(counted_condition(user, consultation), Comment.root_id.in_(visible_roots))


def visible_reply_counts(session: Session, user: Any, consultation: Consultation, ids: list[int]) -> dict[int, int]:
    """{comment id: replies the user may read} for a page of comments, in one grouped query."""
    if not ids:
        return {}
    return dict(session.execute(
        select(Comment.parent_id, func.count()).where(counted_condition(user, consultation),
                                                      Comment.parent_id.in_(ids))
        .group_by(Comment.parent_id)).all())


def section_counts(session: Session, user: Any, consultation: Consultation,
                   version: DraftVersion | None) -> dict[int | None, int]:
    """{section_id: count} for one version's sections, plus None for the draft as a whole — ONE query."""
    if version is None:
        return {}
    in_version = select(Section.id).where(Section.version_id == version.id).scalar_subquery()
    rows = session.execute(
        select(Comment.section_id, func.count())
        .where(counted_condition(user, consultation),
               or_(Comment.section_id.in_(in_version), Comment.section_id.is_(None)))
        .group_by(Comment.section_id)
    ).all()
    return {section_id: count for section_id, count in rows}


def last_visit(session: Session, user: Any, consultation: Consultation, now: datetime) -> datetime | None:
    """The moment "new since my last visit" compares with."""
    if not is_signed_in(user):
        return None
    visit = session.get(ConsultationVisit, (user.id, consultation.id))
    if visit is None:
        return None
    from app.comments.services import VISIT_GAP

    return visit.last_seen_at if now - visit.last_seen_at > VISIT_GAP else visit.previous_seen_at


def _scope(section: Section | None):
    """Comments on ``section`` and on the same provision (same anchor) in the versions
    before it: after a new version, the discussion of a provision carries on."""
    if section is None:
        return Comment.section_id.is_(None)
    from sqlalchemy.orm import aliased

    this = aliased(DraftVersion)
    same_provision = (
        select(Section.id).join(DraftVersion, DraftVersion.id == Section.version_id)
        .join(this, and_(this.id == section.version_id, this.consultation_id == DraftVersion.consultation_id))
        .where(Section.anchor == section.anchor, DraftVersion.number <= this.number)
    )
    return Comment.section_id.in_(same_provision)


def _root_order(sort: str):
    if sort == "newest":
        return (Comment.created_at.desc(), Comment.id.desc())
    if sort == "supported":
        return (Comment.support_count.desc(), Comment.created_at, Comment.id)
    return (Comment.created_at, Comment.id)


def _root_query(user: Any, consultation: Consultation, section: Section | None, filters: ThreadFilters,
                since: datetime | None):
    conditions = [visible_condition(user, consultation), _scope(section), Comment.parent_id.is_(None)]
    if filters.kind:
        conditions.append(Comment.kind == filters.kind)
    if filters.stance:
        conditions.append(Comment.stance == filters.stance)
    if filters.language:
        conditions.append(Comment.language == filters.language)
    if filters.organisation_kind:
        conditions.append(Comment.organisation_id.in_(
            select(Organisation.id).where(Organisation.kind == filters.organisation_kind)))
    if filters.new_only:
        if since is None:
            conditions.append(true() if is_signed_in(user) else false())
        else:
            recent = select(Comment.root_id).where(Comment.consultation_id == consultation.id,
                                                   Comment.created_at > since)
            conditions.append(Comment.id.in_(recent))
    return select(Comment.id).where(*conditions).order_by(*_root_order(filters.sort))


def _eager(query):
    """Authors with their role grants (for the badges) and organisations in the same
    query: a thread of any size stays one query (a separate IN-list load of the
    grants would add one per 500 authors). Callers apply ``.unique()``."""
    return query.options(
        joinedload(Comment.author).joinedload(User.grants),
        joinedload(Comment.organisation),
    )


def assemble(comments: list[Comment], root_ids: list[int]) -> dict[int, Node]:
    """Build trees from comments ordered by path. A comment whose parent is not
    visible hangs under its nearest visible ancestor."""
    nodes: dict[int, Node] = {}
    for comment in comments:
        node = Node(comment)
        nodes[comment.id] = node
        if comment.id in root_ids or comment.parent_id is None:
            continue
        ancestors = [int(part) for part in comment.path.split("/")[:-1]]
        for ancestor in reversed(ancestors):
            if ancestor in nodes:
                nodes[ancestor].children.append(node)
                node.reply_to = nodes[ancestor].comment
                break
    return nodes


def load_thread(session: Session, user: Any, consultation: Consultation, section: Section | None, *,
                filters: ThreadFilters, page: Any = 1, per_page: int = 20, replies_per_root: int = 10,
                now: datetime) -> Thread:
    """One window of top-level comments with their replies, in a fixed number of queries."""
    since = last_visit(session, user, consultation, now)
    roots_page = paginate(_root_query(user, consultation, section, filters, since), page, per_page,
                          session=session)
    root_ids = list(roots_page.items)
    nodes: dict[int, Node] = {}
    totals: dict[int, int] = {}
    if root_ids:
        ranked = (
            select(Comment.id.label("id"),
                   func.row_number().over(partition_by=Comment.root_id, order_by=Comment.path).label("rank"),
                   func.count().over(partition_by=Comment.root_id).label("total"))
            .where(visible_condition(user, consultation), Comment.root_id.in_(root_ids))
            .subquery()
        )
        rows = session.execute(_eager(
            select(Comment, ranked.c.total).join(ranked, ranked.c.id == Comment.id)
            .where(ranked.c.rank <= replies_per_root + 1).order_by(Comment.path)
        )).unique().all()
        comments = [row[0] for row in rows]
        totals = {row[0].id: row[1] for row in rows if row[0].id in root_ids}
        nodes = assemble(comments, root_ids)
    roots = []
    for root_id in root_ids:
        node = nodes.get(root_id)
        if node is None:
            continue
        shown = _count(node)
        node.hidden_replies = max(0, totals.get(root_id, 1) - shown)
        roots.append(node)
    _mark_new(nodes, since)
    return Thread(roots, roots_page, supported_by(session, user, list(nodes)), since)


def load_full_thread(session: Session, user: Any, consultation: Consultation, root: Comment, *,
                     now: datetime) -> Thread:
    """Every visible comment of one thread (the "show more replies" page)."""
    since = last_visit(session, user, consultation, now)
    comments = list(session.scalars(_eager(
        select(Comment).where(visible_condition(user, consultation), Comment.root_id == root.root_id)
        .order_by(Comment.path))).unique())
    nodes = assemble(comments, [root.root_id])
    _mark_new(nodes, since)
    roots = [nodes[root.root_id]] if root.root_id in nodes else []
    return Thread(roots, Page(items=[root.root_id], page=1, per_page=1, total=len(roots)),
                  supported_by(session, user, list(nodes)), since)


def _count(node: Node) -> int:
    return 1 + sum(_count(child) for child in node.children)


def _mark_new(nodes: dict[int, Node], since: datetime | None) -> None:
    if since is None:
        return
    for node in nodes.values():
        node.is_new = node.comment.created_at > since


def supported_by(session: Session, user: Any, comment_ids: list[int]) -> set[int]:
    if not is_signed_in(user) or not comment_ids:
        return set()
    return set(session.scalars(select(Support.comment_id).where(
        Support.user_id == user.id, Support.comment_id.in_(comment_ids))))


def locate(session: Session, user: Any, consultation: Consultation, comment: Comment, *, per_page: int,
           replies_per_root: int) -> tuple[int, bool]:
    """(page of the comment's thread in the default order, whether the comment is
    inside the replies shown on that page)."""
    root = session.get(Comment, comment.root_id) or comment
    scope = _scope(root.section_id and session.get(Section, root.section_id))
    before = session.scalar(select(func.count()).select_from(Comment).where(
        visible_condition(user, consultation), scope, Comment.parent_id.is_(None),
        or_(Comment.created_at < root.created_at,
            and_(Comment.created_at == root.created_at, Comment.id < root.id))))
    rank = session.scalar(select(func.count()).select_from(Comment).where(
        visible_condition(user, consultation), Comment.root_id == root.id, Comment.path < comment.path))
    return (before or 0) // per_page + 1, (rank or 0) + 1 <= replies_per_root + 1


# --- a user's own things ------------------------------------------------------------------

def my_comments(session: Session, user: Any, page: Any = 1, per_page: int = 20) -> Page:
    return paginate(
        select(Comment).where(Comment.author_id == user.id)
        .options(joinedload(Comment.organisation))
        .order_by(Comment.created_at.desc(), Comment.id.desc()),
        page, per_page, session=session)


def consultations_by_id(session: Session, ids: set[int]) -> dict[int, Consultation]:
    if not ids:
        return {}
    return {c.id: c for c in session.scalars(select(Consultation).where(Consultation.id.in_(ids)))}


def sections_by_id(session: Session, ids: set[int]) -> dict[int, Section]:
    ids = {i for i in ids if i}
    if not ids:
        return {}
    return {s.id: s for s in session.scalars(select(Section).where(Section.id.in_(ids)))}


def followed_consultations(session: Session, user: Any) -> list[Consultation]:
    return list(session.scalars(
        select(Consultation).join(Follow, Follow.consultation_id == Consultation.id)
        .where(Follow.user_id == user.id).order_by(Consultation.closes_at)))


def is_following(session: Session, user: Any, consultation: Consultation) -> bool:
    return is_signed_in(user) and session.get(Follow, (user.id, consultation.id)) is not None
