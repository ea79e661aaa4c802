"""The draft's part of a section page (title, breadcrumbs, the provision, its
translations and the links to its neighbours) is rendered once and kept for
every reader under the consultation's draft token (app/consultations/views.py
``_section_frame``): served again to visitors and signed-in readers alike while
nothing changes, never after a change to anything it shows, and kept when
comments are written on it or another consultation changes."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.consultations import services
from app.consultations.importers import parse_markdown
from app.consultations.models import DraftVersion, Section, SectionObligation
from app.consultations.translations import (
    ConsultationTranslationInput,
    SectionTranslationInput,
    save_consultation_translation,
    save_section_translation,
)
from app.core.cache import SITE, consultation_scope, content_token, draft_scope, page_cache
from app.core.sanitize import render_markdown
from app.geography.models import Obligation
from tests.factories import login, make_user
from tests.integration.test_comments_fixtures import add_comment, make_consultation, publish_new_version
from tests.integration.test_consultations_support import make_author, markdown_draft
from tests.integration.test_consultations_support import make_consultation as create


def _url(consultation, anchor: str = "article-2", **args: str) -> str:
    query = "&".join(f"{k}={v}" for k, v in args.items())
    return f"/consultations/{consultation.id}/sections/{anchor}" + (f"?{query}" if query else "")


def _read(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _draft_part(page: str) -> tuple[str, str]:
    """The breadcrumbs, and the provision up to its neighbours' links: what the frame holds
    (with the status line)."""
    return (page[page.index('<ol class="breadcrumb">'):page.index("</ol>")],
            page[page.index('<article aria-labelledby="section-title">'):page.index('aria-label="Other provisions"')])


def _counts(app) -> tuple[int, int]:
    cache = page_cache(app)
    return cache.frame_renders, cache.frame_hits


def test_the_draft_is_rendered_once_for_visitors_and_participants(app, client, session, query_counter):
    consultation = make_consultation(session)
    reader = make_user(session)
    session.commit()
    renders, hits = _counts(app)
    with query_counter() as rendered:
        first = _read(client, _url(consultation))
    assert _counts(app) == (renders + 1, hits)
    with query_counter() as kept:
        second = _read(client, _url(consultation))
    assert _counts(app) == (renders + 1, hits + 1)
    assert kept.count < rendered.count, "the kept draft spares its queries"
    assert not [s for s in kept.statements if s.lstrip().startswith("SELECT section.")], "the section's row included"
    assert _draft_part(second) == _draft_part(first)
    assert "Licensing 2" in first and "Licensing 1" in first and "Licensing 3" in first, "the page and its neighbours"

    login(client, reader)
    signed_in = _read(client, _url(consultation))
    assert _counts(app) == (renders + 1, hits + 2), "a participant is served the same draft"
    assert _draft_part(signed_in) == _draft_part(first)
    assert reader.display_name in signed_in, "the reader's own parts of the page are still theirs"


def test_each_language_and_content_language_has_its_own_draft(app, client, session):
    consultation = make_consultation(session)
    translator = make_user(session, display_name="Amélie Fournier")
    save_consultation_translation(session, consultation, "fr", ConsultationTranslationInput(
        title="Projet de loi sur le contrôle des exportations"), actor=translator)
    save_section_translation(session, consultation, consultation.current_version.sections[1], "fr",
                             SectionTranslationInput(heading="Licences 2", body="L'autorité compétente."),
                             actor=translator)
    session.commit()
    original = _read(client, _url(consultation))
    french = _read(client, _url(consultation, text_language="fr"))
    assert "Licensing 2" in original and "Licences 2" not in original
    assert "Licences 2" in french and "Amélie Fournier" in french
    assert "text_language=fr" in french.split('aria-label="Other provisions"')[1], "the links keep the language"
    client.post("/language", data={"language": "fr", "next": "/"})
    interface_fr = _read(client, _url(consultation))
    assert "Licences 2" in interface_fr, "the interface's language picks the content's"


@pytest.mark.parametrize("change", [
    "section heading", "section text", "consultation title", "new version", "obligations",
    "consultation translation", "section translation", "translator renamed",
])
def test_each_change_the_draft_shows_renews_its_token_and_shows(app, client, session, change):
    consultation = make_consultation(session)
    translator = make_user(session, display_name="Amélie Fournier")
    save_consultation_translation(session, consultation, "fr", ConsultationTranslationInput(
        title="Projet de loi"), actor=translator)
    section = consultation.current_version.sections[1]
    save_section_translation(session, consultation, section, "fr",
                             SectionTranslationInput(heading="Licences 2", body="L'autorité compétente."),
                             actor=translator)
    other = make_consultation(session)
    session.commit()
    args = {"text_language": "fr"} if "transl" in change else {}
    before = _read(client, _url(consultation, **args))
    scope, tokens = draft_scope(consultation.id), (content_token(session, SITE),
                                                   content_token(session, consultation_scope(other.id)),
                                                   content_token(session, draft_scope(other.id)))
    token = content_token(session, scope)

    if change == "section heading":
        section.heading, shown = "Brokering controls", "Brokering controls"
    elif change == "section text":
        section.body_source = "Transit through free zones needs a permit."
        section.body_html, shown = render_markdown(section.body_source), "Transit through free zones needs a permit."
    elif change == "consultation title":
        consultation.title = shown = "Strategic Goods Act"
    elif change == "new version":
        publish_new_version(session, consultation)
        shown = "version 2"
    elif change == "obligations":
        section.obligations.append(SectionObligation(obligation_code=_an_obligation(session)))
        shown = 'class="code-tag"'
    elif change == "consultation translation":
        save_consultation_translation(session, consultation, "fr", ConsultationTranslationInput(
            title="Loi sur les biens stratégiques"), actor=translator)
        shown = "Loi sur les biens stratégiques"
    elif change == "section translation":
        save_section_translation(session, consultation, section, "fr", SectionTranslationInput(
            heading="Courtage", body="Le courtage exige une licence."), actor=translator)
        shown = "Le courtage exige une licence."
    else:
        translator.display_name = shown = "Amélie Fournier-Leclerc"
    assert shown not in before
    session.commit()

    assert content_token(session, scope) != token, f"{change}: the consultation's draft is renewed"
    assert (content_token(session, SITE), content_token(session, consultation_scope(other.id)),
            content_token(session, draft_scope(other.id))) == tokens, f"{change}: nothing else is"
    assert shown in _read(client, _url(consultation, **args)), "visitors see the change"
    login(client, make_user(session))
    assert shown in _read(client, _url(consultation, **args)), "participants see the change"


def _an_obligation(session) -> str:
    return session.scalar(select(Obligation.code).order_by(Obligation.code).limit(1))


def test_changes_the_draft_does_not_show_keep_its_token(session):
    consultation = make_consultation(session)
    someone = make_user(session, display_name="Jonas Berg")
    session.commit()
    scopes = (consultation_scope(consultation.id), draft_scope(consultation.id), SITE)
    before = [content_token(session, scope) for scope in scopes]
    someone.display_name = "Jonas Berg-Olsen"  # translated nothing, wrote nothing
    someone.timezone = "Europe/Oslo"
    session.commit()
    assert [content_token(session, scope) for scope in scopes] == before


def test_comments_keep_the_draft_and_other_consultations_keep_theirs(app, client, session):
    """Through the web, as in production (the test's own flushes forget every kept page): a
    support and a reply renew the consultation's discussion, not its draft text."""
    kept_one, written_on = make_consultation(session), make_consultation(session)
    author = make_user(session)
    comment = add_comment(session, written_on, author, section=written_on.current_version.sections[0],
                          body="Brokering needs a licence.")
    session.commit()
    for consultation in (kept_one, written_on):
        _read(client, _url(consultation, anchor="article-1"))
    login(client, make_user(session))
    assert client.post(f"/consultations/{written_on.id}/comments/{comment.id}/support").status_code == 302
    assert client.post(f"/consultations/{written_on.id}/comments/new", data={
        "body": "A reply about transit.", "kind": "comment", "audience": "public", "language": "en",
        "parent_id": comment.id, "section_id": comment.section_id, "idempotency_key": "b" * 32}).status_code == 302
    client.post("/logout")
    renders, hits = _counts(app)
    _read(client, _url(kept_one, anchor="article-1"))
    assert _counts(app) == (renders, hits + 1), "the other consultation's draft is served kept"
    page = _read(client, _url(written_on, anchor="article-1"))
    assert _counts(app) == (renders, hits + 2), "so is the draft of the one written on"
    assert "A reply about transit." in page and "1 supporter" in page, "its discussion is not"


def test_an_author_previewing_the_working_draft_and_unknown_anchors(app, client, session):
    consultation = make_consultation(session)
    working = DraftVersion(number=2, status=DraftVersion.DRAFT)
    working.sections.append(Section(position=1, number="Article 1", heading="Preview only", anchor="article-1",
                                    body_source="x", body_html="<p>x</p>"))
    consultation.versions.append(working)
    session.commit()
    assert client.get(_url(consultation, anchor="article-1", version="2")).status_code == 404
    assert client.get(_url(consultation, anchor="no-such-provision")).status_code == 404
    assert "Preview only" not in _read(client, _url(consultation, anchor="article-1"))


def test_importing_a_draft_renews_only_its_consultation(session):
    author = make_author(session)
    consultation, other = create(session, author, publish=False), create(session, author, publish=False)
    session.commit()
    scopes = (draft_scope(consultation.id), SITE, consultation_scope(other.id), draft_scope(other.id))
    tokens = [content_token(session, scope) for scope in scopes]
    services.replace_sections(session, consultation, parse_markdown(markdown_draft(2, word="permit")), actor=author)
    session.commit()
    after = [content_token(session, scope) for scope in scopes]
    assert after[0] != tokens[0] and after[1:] == tokens[1:]


def test_the_tokens_are_read_before_the_draft(client, session, query_counter):
    """A writer committing between the two reads would otherwise leave the old text filed
    under the new token, kept until the next change."""
    consultation = make_consultation(session)
    session.commit()
    with query_counter() as counter:
        _read(client, _url(consultation))
    statements = [" ".join(s.split()) for s in counter.statements]
    first = {table: next(i for i, s in enumerate(statements) if f"FROM {table} " in s + " ")
             for table in ("content_token", "consultation")}
    assert first["content_token"] < first["consultation"]
    assert sum("FROM content_token" in s for s in statements) == 1, "the draft and the discussion share one read"
