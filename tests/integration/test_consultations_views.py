"""Reading and managing consultations through the web pages."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import docx
import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.consultations import services, sharing
from app.consultations.models import Consultation, Section, Status
from app.core.db import utcnow
from tests.factories import grant, login, make_organisation, make_user
from tests.integration.test_consultations_support import details, make_author, make_consultation
from tests.security.test_permissions import suite_engine  # noqa: F401 - autouse: the suite's database


def _form(consultation_details, **overrides):
    d = consultation_details
    data = {
        "country_code": d.country_code, "title": d.title, "instrument_type": d.instrument_type,
        "drafting_authority": d.drafting_authority, "summary": d.summary, "questions": d.questions,
        "languages": d.languages, "weapon_categories": d.weapon_categories, "visibility": "public",
        "moderation_mode": "pre", "opens_at": d.opens_at.strftime("%Y-%m-%dT%H:%M"),
        "closes_at": d.closes_at.strftime("%Y-%m-%dT%H:%M"), "obligations": d.obligations,
    }
    data.update(overrides)
    return data


# --- reading ------------------------------------------------------------------

def test_consultation_page_shows_status_time_left_toc_tags_and_questions(client, session):
    author = make_author(session)
    consultation = make_consultation(session, author, open_now=True, closes_at=utcnow() + timedelta(days=12, hours=2))
    page = client.get(f"/consultations/{consultation.id}").get_data(as_text=True)
    # core's `relative` filter rounds 12 days to "2 weeks" (Babel threshold 1.0)
    assert re.search(r"Open — closes in (12 days|2 weeks), December|Open — closes in (12 days|2 weeks), ", page)
    assert "Is the catch-all clause clear?" in page
    assert f'/consultations/{consultation.id}/sections/article-2' in page
    assert 'href="/obligations#OP3d.transit"' in page
    assert "No documents are attached" in page


def test_scheduled_consultations_are_readable_before_commenting_opens(client, session):
    author = make_author(session)
    consultation = make_consultation(session, author)
    page = client.get(f"/consultations/{consultation.id}").get_data(as_text=True)
    assert "Scheduled — opens in 1 day" in page or "Scheduled — opens in 24 hours" in page
    section = client.get(f"/consultations/{consultation.id}/sections/article-1")
    assert section.status_code == 200
    assert "The licence rules of article 1 apply to transit." in section.get_data(as_text=True)


def test_unknown_section_or_version_is_404(client, session):
    consultation = make_consultation(session, make_author(session))
    assert client.get(f"/consultations/{consultation.id}/sections/article-99").status_code == 404
    assert client.get(f"/consultations/{consultation.id}?version=7").status_code == 404
    assert client.get("/consultations/999999").status_code == 404


def test_unpublished_drafts_are_hidden_except_from_their_authors(client, session):
    author = make_author(session)
    consultation = make_consultation(session, author, publish=False)
    assert client.get(f"/consultations/{consultation.id}").status_code == 404
    login(client, author)
    assert client.get(f"/consultations/{consultation.id}").status_code == 200


def test_page_query_count_does_not_grow_with_sections(client, session, query_counter):
    author = make_author(session)
    small = make_consultation(session, author, sections=3)
    large = make_consultation(session, author, sections=30)
    for sec in large.current_version.sections[:10]:
        sec.obligations = []
    session.flush()
    for consultation in (small, large):  # warm-up: both discussion windows are kept for visitors
        client.get(f"/consultations/{consultation.id}")
    counts = []
    for consultation in (small, large):
        with query_counter() as counter:
            response = client.get(f"/consultations/{consultation.id}")
        assert response.status_code == 200
        counts.append(counter.count)
    assert counts[0] == counts[1]
    assert response.get_data(as_text=True).count("/sections/article-") == 30


def test_compare_versions_marks_insertions_and_deletions_in_words(client, session):
    author = make_author(session)
    consultation = make_consultation(session, author, sections=2)
    v2 = services.start_revision(session, consultation, actor=author)
    services.update_section(session, v2.sections[0], services.SectionInput(
        level="article", number="Article 1", heading="Heading 1", anchor="article-1",
        body="The permit rules of article 1 apply to transit."), actor=author)
    services.publish_version(session, consultation, change_note="Licence becomes permit.", actor=author)
    page = client.get(f"/consultations/{consultation.id}/compare?from=1&to=2").get_data(as_text=True)
    assert '<del><span class="visually-hidden">deleted: </span>licence</del>' in page
    assert '<ins><span class="visually-hidden">inserted: </span>permit</ins>' in page
    assert "Licence becomes permit." in page
    assert "No change in this section." in page  # article 2
    assert client.get(f"/consultations/{consultation.id}?version=1").status_code == 200


def test_compare_with_a_single_version_explains_itself(client, session):
    consultation = make_consultation(session, make_author(session))
    page = client.get(f"/consultations/{consultation.id}/compare").get_data(as_text=True)
    assert "Only one version of this draft has been published so far" in page


def test_list_has_helpful_empty_states_and_filters(client, session):
    author = make_author(session)
    open_one = make_consultation(session, author, open_now=True, title="Open strategic trade law",
                                 closes_at=utcnow() + timedelta(days=5))
    make_consultation(session, author, title="Scheduled decree on sources", instrument_type="decree")
    page = client.get("/consultations?status=open").get_data(as_text=True)
    assert "Open strategic trade law" in page and "Scheduled decree on sources" not in page
    page = client.get("/consultations?instrument=decree").get_data(as_text=True)
    assert "Scheduled decree on sources" in page and "Open strategic trade law" not in page
    page = client.get("/consultations?closing_soon=1").get_data(as_text=True)
    assert f"/consultations/{open_one.id}" in page
    page = client.get("/consultations?obligation=OP3c").get_data(as_text=True)
    assert "Open strategic trade law" in page
    page = client.get("/consultations?region=PIF&country=AT").get_data(as_text=True)
    assert "No consultation matches these filters." in page


def test_home_lists_open_consultations_closing_soonest(client, session):
    author = make_author(session)
    make_consultation(session, author, open_now=True, title="Later closing", closes_at=utcnow() + timedelta(hours=3))
    make_consultation(session, author, open_now=True, title="Sooner closing", closes_at=utcnow() + timedelta(hours=2))
    page = client.get("/").get_data(as_text=True)
    assert page.index("Sooner closing") < page.index("Later closing")


# --- invited-only ---------------------------------------------------------------

def test_invited_only_consultations_are_404_for_everyone_not_invited(client, session, app, tmp_path):
    author = make_author(session)
    consultation = make_consultation(session, author, visibility="invited", title="Secret bill 7f3a")
    attachment = sharing.add_attachment(session, consultation, filename="memo.pdf", data=b"%PDF-1.4 memo",
                                        upload_dir=app.config["UPLOAD_DIR"], max_bytes=10**6, actor=author)
    member, outsider, invited = make_user(session), make_user(session), make_user(session)
    organisation = make_organisation(session, members=(member,))
    sharing.invite(session, consultation, organisation_id=organisation.id, actor=author)
    sharing.invite(session, consultation, email=invited.email, actor=author)
    urls = [f"/consultations/{consultation.id}", f"/consultations/{consultation.id}/sections/article-1",
            f"/consultations/{consultation.id}/compare",
            f"/consultations/{consultation.id}/attachments/{attachment.id}"]
    for url in urls:
        assert client.get(url).status_code == 404, url
    assert "Secret bill 7f3a" not in client.get("/consultations?q=secret+bill+7f3a").get_data(as_text=True)
    login(client, outsider)
    for url in urls:
        assert client.get(url).status_code == 404, url
    assert client.get(f"/manage/consultations/{consultation.id}").status_code in (403, 404)
    for user in (member, invited):
        client.post("/logout")
        login(client, user)
        for url in urls:
            assert client.get(url).status_code == 200, url
        assert "Secret bill 7f3a" in client.get("/consultations?q=secret+bill+7f3a").get_data(as_text=True)


# --- managing -------------------------------------------------------------------

def test_management_area_is_for_authors_only(client, session):
    assert client.get("/manage/consultations").status_code == 302  # to sign in
    login(client, make_user(session))
    assert client.get("/manage/consultations").status_code == 403


def test_author_creates_imports_previews_and_publishes(client, session):
    author = make_author(session, "AT", timezone="Europe/Vienna")
    login(client, author)
    d = details("AT", title="Draft created through the form")
    response = client.post("/manage/consultations/new", data=_form(d))
    assert response.status_code == 302
    consultation = session.scalars(select(Consultation).where(Consultation.title == d.title)).one()
    assert abs((consultation.opens_at - d.opens_at.replace(tzinfo=None).replace(
        tzinfo=__import__("zoneinfo").ZoneInfo("Europe/Vienna"))).total_seconds()) < 60
    base = f"/manage/consultations/{consultation.id}"

    preview = client.post(f"{base}/import", data={"step": "preview", "source": "## Article 1 — Scope\n\nAll goods.\n\n"
                                                  "## Article 2 — Brokers\n\nBrokers register."})
    text = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "2 sections were found" in text and "Article 2 — Brokers" in text
    assert session.scalars(select(Section).join(Section.version).where(
        Section.version.has(consultation_id=consultation.id))).all() == []
    source = re.search(r'<textarea id="source" name="source"[^>]*>(.*?)</textarea>', text, re.S).group(1)
    import html

    saved = client.post(f"{base}/import", data={"step": "save", "source": html.unescape(source)})
    assert saved.status_code == 302
    manage = client.get(base).get_data(as_text=True)
    assert "article-2" in manage and "Publish version 1" in manage

    assert client.post(f"{base}/publish", data={"change_note": ""}).status_code == 302
    session.expire_all()
    assert session.get(Consultation, consultation.id).status == Status.SCHEDULED
    section_id = session.get(Consultation, consultation.id).versions[0].sections[0].id
    edit = client.post(f"{base}/sections/{section_id}/edit", data={
        "level": "article", "number": "Article 1", "heading": "Changed", "anchor": "article-1", "body": "x"})
    assert edit.status_code == 409
    assert "Start a new version" in edit.get_data(as_text=True)


def test_create_form_shows_field_errors_and_keeps_input(client, session):
    author = make_author(session, "AT")
    login(client, author)
    d = details("AT", title="Refused draft with bad dates", closes_at=utcnow() + timedelta(hours=2),
                opens_at=utcnow() + timedelta(days=3))
    response = client.post("/manage/consultations/new", data=_form(d, obligations=["OP3d.transit"]))
    text = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "The consultation must close after it opens." in text
    assert d.title in text
    assert session.scalar(select(Consultation.id).where(Consultation.title == d.title)) is None
    response = client.post("/manage/consultations/new", data=_form(details("AT"), obligations=["OP0.bogus"]))
    assert response.status_code == 400 and "Unknown obligation codes: OP0.bogus" in response.get_data(as_text=True)


def test_author_cannot_create_for_another_state(client, session):
    login(client, make_author(session, "AT"))
    response = client.post("/manage/consultations/new", data=_form(details("FR")))
    assert response.status_code in (403, 422)
    assert session.scalar(select(Consultation.id).where(Consultation.country_code == "FR")) is None


def test_author_of_another_state_gets_404_on_management_pages(client, session):
    consultation = make_consultation(session, make_author(session, "AT"))
    login(client, make_author(session, "FR"))
    assert client.get(f"/manage/consultations/{consultation.id}").status_code == 404
    assert client.post(f"/manage/consultations/{consultation.id}/close", data={"close-reason": "x"}).status_code == 404


def _docx_bytes(build) -> bytes:
    document = docx.Document()
    build(document)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_docx_upload_previews_sections_and_a_docx_without_headings_is_refused(client, session):
    author = make_author(session)
    consultation = make_consultation(session, author, sections=0, publish=False)
    login(client, author)
    base = f"/manage/consultations/{consultation.id}"

    def good(d):
        d.add_heading("Article 1 — Definitions", level=2)
        d.add_paragraph("Brokering means negotiating transfers between third countries.")
        d.add_heading("Article 2 — Transit", level=2)
        d.add_paragraph("Transit requires a licence.")

    upload = (io.BytesIO(_docx_bytes(good)), "draft.docx")
    response = client.post(f"{base}/import", data={"step": "preview", "file": upload},
                           content_type="multipart/form-data")
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and "Article 2 — Transit" in text and "negotiating transfers" in text

    bad = _docx_bytes(lambda d: d.add_paragraph("No structure here."))
    response = client.post(f"{base}/import", data={"step": "preview", "file": (io.BytesIO(bad), "letter.docx")},
                           content_type="multipart/form-data")
    assert response.status_code == 422
    assert "No headings or numbered articles were found" in response.get_data(as_text=True)
    response = client.post(f"{base}/import", data={"step": "save", "source": "no headings"})
    assert response.status_code == 422
    session.expire_all()
    assert session.get(Consultation, consultation.id).working_version.sections == []


def test_open_and_close_early_through_the_page(client, session):
    author = make_author(session)
    consultation = make_consultation(session, author)
    login(client, author)
    base = f"/manage/consultations/{consultation.id}"
    response = client.post(f"{base}/open", data={"open-reason": ""})
    assert response.status_code == 422 or response.status_code == 400
    assert client.post(f"{base}/open", data={"open-reason": "Parliament asked for more time"}).status_code == 302
    assert "Open — closes in" in client.get(f"/consultations/{consultation.id}").get_data(as_text=True)
    assert client.post(f"{base}/close", data={"close-reason": "Withdrawn"}).status_code == 302
    assert "Closed" in client.get(f"/consultations/{consultation.id}").get_data(as_text=True)


def test_admin_can_manage_any_state(client, session):
    consultation = make_consultation(session, make_author(session, "AT"))
    admin = make_user(session)
    grant(session, admin, Role.ADMIN)
    login(client, admin)
    assert client.get(f"/manage/consultations/{consultation.id}").status_code == 200
    assert consultation.title in client.get("/manage/consultations").get_data(as_text=True)


@pytest.mark.parametrize("path", ["", "/sections/article-1", "/compare"])
def test_hostile_query_strings_never_break_reading_pages(client, session, path):
    consultation = make_consultation(session, make_author(session))
    for qs in ("version=abc", "version=99999999999999999999", "from=x&to=%00", "_scheme=javascript"):
        assert client.get(f"/consultations/{consultation.id}{path}?{qs}").status_code in (200, 404)
