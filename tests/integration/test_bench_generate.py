"""The bench data generator (``python -m bench.generate``) on a small data set:
what it writes is what the app would have written, summaries and forwardings
included, so the audit chain verifies and digests carry forwarded summaries."""

from __future__ import annotations

from sqlalchemy import func, or_, select

from app.accounts.models import User
from app.comments.models import Audience, Comment, CommentStatus
from app.core.audit import verify_chain
from app.core.db import db, utcnow
from app.digests.composition import period_for
from app.digests.services import compose_for, create_digest, focal_point_ids, subscription_for
from app.summaries.models import (
    Forwarding,
    ForwardingRecipient,
    ForwardingResponse,
    Summary,
    SummaryCitation,
    SummaryPoint,
    SummaryRevision,
    SummaryStatus,
)
from bench.generate import generate, make_app


def _count(session, stmt) -> int:
    return session.scalar(select(func.count()).select_from(stmt.subquery()))


def test_generated_data_holds_forwarded_summaries_and_verifies(scratch_url):
    manifest = generate(scratch_url, 300, pending=50, reset=True, quiet=True)
    assert manifest["not_built"] == []
    app = make_app(scratch_url)
    with app.app_context():
        session = db.session
        summaries = list(session.scalars(select(Summary)))
        assert len(summaries) == manifest["summaries"]["summaries"] >= 1
        assert all(s.status == SummaryStatus.PUBLISHED and s.current_revision is not None for s in summaries)
        assert all(r.statistics and r.statistics["comments"] > 0 for s in summaries for r in s.revisions)

        # Points cite published public comments of the summary's own consultation.
        assert _count(session, select(SummaryCitation.comment_id)) > 0
        assert _count(session, select(SummaryCitation.comment_id)
                      .join(SummaryPoint, SummaryPoint.id == SummaryCitation.point_id)
                      .join(SummaryRevision, SummaryRevision.id == SummaryPoint.revision_id)
                      .join(Summary, Summary.id == SummaryRevision.summary_id)
                      .join(Comment, Comment.id == SummaryCitation.comment_id)
                      .where(or_(Comment.consultation_id != Summary.consultation_id,
                                 Comment.status != CommentStatus.PUBLISHED,
                                 Comment.audience != Audience.PUBLIC))) == 0

        recipients = _count(session, select(ForwardingRecipient.user_id))
        acknowledged = _count(session, select(ForwardingRecipient.user_id)
                              .where(ForwardingRecipient.acknowledged_at.is_not(None)))
        assert _count(session, select(Forwarding.id)) == manifest["summaries"]["forwardings"] > 0
        assert 0 < acknowledged < recipients
        assert _count(session, select(ForwardingResponse.id)) == manifest["summaries"]["responses"]

        report = verify_chain(session)
        assert report.ok, report.problem
        assert report.checked >= manifest["rows"]["audit_entry"]

        # What queue_due_digests would build now for some focal point includes a forwarded summary.
        now = utcnow()
        for user_id in focal_point_ids(session):
            user = session.get(User, user_id)
            subscription = subscription_for(session, user)
            key, start, end = period_for(subscription.frequency, now)
            content = compose_for(session, user, subscription, start, end)
            forwarded = [item for group in content.groups for item in group.items if item.forwarded]
            if forwarded:
                break
        else:
            raise AssertionError("no focal point's digest carries a forwarded summary")
        digest = create_digest(session, user, subscription, content, period_key=key)
        assert forwarded[0].consultation.title in digest.body_text
        assert digest.pdf.startswith(b"%PDF")
        session.rollback()
