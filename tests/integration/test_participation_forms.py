"""Authoring and participation forms: proposed wording starts from the provision
and survives errors and previews, comments on earlier versions show on the
current provision, text areas sized for legal text with a character counter,
confirmation pages before irreversible actions, obligation and place pickers,
dates in one format per context, Word tables kept, and the digest PDF."""

from __future__ import annotations

import html
import re

from sqlalchemy import select

from app.comments.models import Comment
from app.consultations.diff import word_diff
from tests.factories import login, make_user
from tests.integration.test_comments_fixtures import add_comment, form_data, make_consultation, publish_new_version


def _section_url(consultation, section, **args) -> str:
    query = "&".join(f"{k}={v}" for k, v in args.items())
    return f"/consultations/{consultation.id}/sections/{section.anchor}" + (f"?{query}" if query else "")


def _textarea(page: str, name: str) -> str:
    match = re.search(rf'<textarea[^>]*name="{name}"[^>]*>(.*?)</textarea>', page, re.S)
    assert match, f"no textarea {name}"
    return html.unescape(match.group(1)).strip()


# --- 7. proposed wording ---------------------------------------------------------------------

def test_the_diff_ignores_numbering_and_white_space_and_never_marks_nothing():
    provision = "The competent authority shall license the export.\n\nGoods in free zones remain under control."
    copied = "1. The competent authority shall  license the export.\n2.  Goods in free zones\nremain under control."
    assert all(op == "equal" for para in word_diff(provision, copied) for op, _ in para)
    changed = word_diff(provision, "(a) The competent authority shall license and register the export.\n\n"
                                   "(b) Goods in free zones remain under customs control.")
    changes = [(op, text) for para in changed for op, text in para if op != "equal"]
    assert changes == [("insert", "and register"), ("insert", "customs")]
    for old, new in (("a b c", "a c"), ("a b", "a  b "), ("x, y", "x ,y"), ("", " \n "), ("A.", "A. B.")):
        for para in word_diff(old, new):
            assert all(text.strip() for op, text in para if op != "equal"), (old, new, para)


def test_proposed_wording_starts_from_the_provision_and_survives_errors_and_previews(client, session):
    consultation = make_consultation(session)
    section = consultation.current_version.sections[0]
    login(client, make_user(session))
    page = client.get(_section_url(consultation, section)).get_data(as_text=True)
    assert _textarea(page, "proposed_wording") == "The competent authority shall license the export of item 1 " \
                                                  "listed in Annex 1."
    wording = "1. The competent authority shall license and register the export of item 1 listed in Annex 1."
    url = f"/consultations/{consultation.id}/comments/new"
    preview = client.post(url, data=form_data(consultation, section=section, body="Add registration.",
                                              kind="amendment", proposed_wording=wording, action="preview"))
    text = preview.get_data(as_text=True)
    assert preview.status_code == 200 and _textarea(text, "proposed_wording") == wording
    assert re.search(r"<ins>\s*<span[^>]*>inserted: </span>and register</ins>", text)
    assert "<ins><span class=\"visually-hidden\">inserted: </span>1.</ins>" not in text
    assert not re.search(r"<(ins|del)>\s*<span[^>]*>[^<]*</span>\s*</(ins|del)>", text)
    error = client.post(url, data=form_data(consultation, section=section, body="", kind="amendment",
                                            proposed_wording=wording))
    assert error.status_code == 400 and _textarea(error.get_data(as_text=True), "proposed_wording") == wording
    same = client.post(url, data=form_data(consultation, section=section, body="No change.", kind="amendment",
                                           proposed_wording="1. " + section.body_source))
    assert same.status_code == 400 and "same as the draft" in same.get_data(as_text=True)
    assert session.scalar(select(Comment).where(Comment.consultation_id == consultation.id)) is None


# --- 9. text areas and the character counter ----------------------------------------------------

def _textarea_tag(page: str, name: str) -> str:
    match = re.search(rf'<textarea[^>]*name="{name}"[^>]*>', page)
    assert match, f"no textarea {name}"
    return match.group(0)


def test_text_areas_are_sized_for_legal_text_and_carry_their_maximum_for_the_counter(client, session):
    from tests.integration.test_summaries_support import moderator, open_consultation_with_comments

    consultation = make_consultation(session)
    section = consultation.current_version.sections[0]
    author = make_user(session)
    login(client, author)
    page = client.get(_section_url(consultation, section)).get_data(as_text=True)
    for name in ("body", "proposed_wording"):
        tag = _textarea_tag(page, name)
        assert 'rows="12"' in tag and 'maxlength="10000"' in tag and 'data-counter="Characters left: {count}"' in tag
    script = re.search(r'<script src="(/static/js/char-counter\.js[^"]*)" defer></script>', page)
    assert script, "the counter script is loaded from static/ (no inline script)"
    source = client.get(script.group(1).split("?")[0])
    assert source.status_code == 200 and b"aria-live" in source.data and b"polite" in source.data
    comment = add_comment(session, consultation, author, section=section, body="First thoughts.")
    edit = client.get(f"/consultations/{consultation.id}/comments/{comment.id}/edit").get_data(as_text=True)
    assert 'rows="12"' in _textarea_tag(edit, "body") and 'maxlength="10000"' in _textarea_tag(edit, "body")
    too_long = client.post(f"/consultations/{consultation.id}/comments/new",
                           data=form_data(consultation, section=section, body="x" * 10_001))
    assert too_long.status_code == 400 and "Shorten your text to 10000 characters" in too_long.get_data(as_text=True)

    summarised, _comments = open_consultation_with_comments(session)
    login(client, moderator(session))
    editor = client.get(f"/manage/consultations/{summarised.id}/summary").get_data(as_text=True)
    tag = _textarea_tag(editor, "overall")
    assert 'rows="20"' in tag and 'maxlength="20000"' in tag


# --- 15. confirmation before irreversible actions -------------------------------------------------

def _post_form_of(page: str, action: str) -> str:
    match = re.search(rf'<form method="post" action="{re.escape(action)}"[^>]*>(.*?)</form>', page, re.S)
    assert match, f"no POST form to {action}"
    return match.group(1)


def test_deleting_a_section_and_publishing_a_version_ask_for_confirmation_first(client, session):
    from app.consultations.models import Consultation, Section
    from tests.integration.test_consultations_support import make_author
    from tests.integration.test_consultations_support import make_consultation as make_draft

    author = make_author(session)
    consultation = make_draft(session, author, sections=3, publish=False)
    base = f"/manage/consultations/{consultation.id}"
    section = consultation.working_version.sections[1]
    section_id = section.id
    login(client, author)
    manage = client.get(base).get_data(as_text=True)
    assert f'action="{base}/sections/{section.id}/delete"' not in manage, "no one-click delete"
    assert f'href="{base}/sections/{section.id}/delete"' in manage and f'href="{base}/publish"' in manage

    confirm = client.get(f"{base}/sections/{section.id}/delete")
    text = confirm.get_data(as_text=True)
    assert confirm.status_code == 200 and "Delete Article 2 — Heading 2?" in text and "cannot be undone" in text
    assert "Delete the section" in _post_form_of(text, f"{base}/sections/{section.id}/delete")
    assert f'href="{base}"' in text and "Cancel" in text and "<script>" not in text
    assert session.get(Section, section.id) is not None, "showing the question changes nothing"
    assert client.post(f"{base}/sections/{section_id}/delete").status_code == 302
    session.expire_all()
    assert session.get(Section, section_id) is None

    confirm = client.get(f"{base}/publish")
    text = confirm.get_data(as_text=True)
    assert confirm.status_code == 200 and "Publish version 1?" in text
    assert "will be published with 2 sections" in text and "can no longer change" in text
    assert 'name="change_note"' in _post_form_of(text, f"{base}/publish")
    assert session.get(Consultation, consultation.id).working_version is not None
    assert client.post(f"{base}/publish", data={"change_note": ""}).status_code == 302
    session.expire_all()
    assert session.get(Consultation, consultation.id).working_version is None
    assert client.get(f"{base}/publish").status_code == 404, "nothing left to publish"


def test_a_refused_publication_stays_on_the_confirmation_page_with_the_error(client, session):
    from app.consultations import services
    from tests.integration.test_consultations_support import make_author
    from tests.integration.test_consultations_support import make_consultation as make_draft

    author = make_author(session)
    consultation = make_draft(session, author, sections=2)
    services.start_revision(session, consultation, actor=author)
    login(client, author)
    refused = client.post(f"/manage/consultations/{consultation.id}/publish", data={"change_note": ""})
    text = refused.get_data(as_text=True)
    assert refused.status_code >= 400 and "Publish version 2?" in text and "There is a problem" in text


def test_removing_a_member_asks_for_confirmation_first(client, session):
    from app.accounts.models import Membership
    from tests.factories import make_organisation

    representative, member = make_user(session), make_user(session, display_name="Omar Member")
    organisation = make_organisation(session, representative=representative, members=(member,))
    membership = next(m for m in organisation.memberships if m.user_id == member.id)
    login(client, representative)
    members = client.get(f"/organisations/{organisation.id}/members").get_data(as_text=True)
    url = f"/organisations/{organisation.id}/members/{membership.id}/remove"
    assert f'action="{url}"' not in members and f'href="{url}"' in members
    confirm = client.get(url)
    text = confirm.get_data(as_text=True)
    assert confirm.status_code == 200 and f"Remove Omar Member from {html.escape(organisation.name)}?" in text
    assert "Remove Omar Member" in _post_form_of(text, url)
    assert f'href="/organisations/{organisation.id}/members"' in text
    membership_id = membership.id
    assert session.get(Membership, membership_id) is not None
    assert client.post(url).status_code == 302
    session.expire_all()
    assert session.get(Membership, membership_id) is None


# --- 8. comments on earlier versions of a provision ------------------------------------------------

def test_comments_on_an_earlier_version_show_on_the_current_provision_marked_with_their_version(client, session):
    consultation = make_consultation(session)
    first = consultation.current_version.sections[1]
    add_comment(session, consultation, make_user(session, display_name="Nadia Haddad"), section=first,
                body="Transit must be covered.")
    publish_new_version(session, consultation)
    current = consultation.current_version.sections[1]
    add_comment(session, consultation, make_user(session), section=current, body="Better now.")
    page = client.get(_section_url(consultation, current)).get_data(as_text=True)
    assert "No comments yet" not in page
    assert "Transit must be covered." in page and "Better now." in page
    assert "On version 1" in page
    assert f'href="/consultations/{consultation.id}/sections/{current.anchor}?version=1"' in page
    assert f'href="/consultations/{consultation.id}/compare?from=1&amp;to=2#{current.anchor}"' in page
    assert page.count("On version 1") == 1, "only the earlier comment is marked"
    other = client.get(_section_url(consultation, consultation.current_version.sections[0])).get_data(as_text=True)
    assert "Transit must be covered." not in other, "matched by anchor: other provisions keep their own"
    old = client.get(_section_url(consultation, first, version=1)).get_data(as_text=True)
    assert "Transit must be covered." in old and "Better now." not in old


def test_the_section_page_query_count_stays_flat_with_comments_on_earlier_versions(client, session, query_counter):
    counts = []
    for n in (1, 40):
        consultation = make_consultation(session)
        first = consultation.current_version.sections[0]
        for i in range(n):
            add_comment(session, consultation, make_user(session), section=first, body=f"Point {i}.")
        publish_new_version(session, consultation)
        url = _section_url(consultation, consultation.current_version.sections[0])
        client.get(url)
        with query_counter() as counter:
            response = client.get(url)
        assert response.status_code == 200 and b"On version 1" in response.data
        counts.append(counter.count)
    assert counts[0] == counts[1], counts


# --- 13. obligation, region and country pickers -----------------------------------------------------

def _checkboxes(page: str, name: str) -> list[str]:
    return re.findall(rf'<input class="form-check-input" type="checkbox" name="{name}" id="[^"]+" value="([^"]+)"',
                      page)


def test_authors_tag_obligations_with_checkboxes_grouped_by_operative_paragraph(client, session):
    from app.consultations.models import Section
    from tests.integration.test_consultations_support import make_author
    from tests.integration.test_consultations_support import make_consultation as make_draft

    author = make_author(session)
    consultation = make_draft(session, author, sections=2, publish=False)
    section = consultation.working_version.sections[0]
    login(client, author)
    base = f"/manage/consultations/{consultation.id}"
    page = client.get(f"{base}/sections/{section.id}/edit").get_data(as_text=True)
    assert "<select multiple" not in page and 'name="obligations" multiple' not in page, "no multi-select"
    codes = _checkboxes(page, "obligations")
    assert "OP3d" in codes and "OP3d.transit" in codes and len(codes) > 50
    group = re.search(r'<fieldset class="picker-group[^"]*">\s*<legend[^>]*>(OP3d — [^<]+)</legend>(.*?)</fieldset>',
                      page, re.S)
    assert group, "a fieldset per operative paragraph, named with its title"
    assert 'value="OP3d.transit"' in group.group(2)
    saved = client.post(f"{base}/sections/{section.id}/edit", data={
        "level": "article", "number": "Article 1", "heading": "Transit", "anchor": "article-1", "body": "Text.",
        "obligations": ["OP3d", "OP3d.transit"]})
    assert saved.status_code == 302
    session.expire_all()
    assert set(session.get(Section, section.id).obligation_codes) == {"OP3d", "OP3d.transit"}
    edit = client.get(f"{base}/edit").get_data(as_text=True)
    assert "OSCE" in _checkboxes(edit, "regions") and "OP1" in _checkboxes(edit, "obligations")
    assert "Hold Ctrl or Cmd" not in edit


def test_focal_points_pick_countries_and_obligations_instead_of_typing_codes(client, session):
    from app.accounts.models import Role, Scope
    from app.digests.models import Subscription
    from tests.factories import grant

    focal = make_user(session)
    grant(session, focal, Role.FOCAL_POINT, Scope.REGION, "OSCE")
    login(client, focal)
    page = client.get("/digests/subscription").get_data(as_text=True)
    assert 'name="countries" type="text"' not in page and 'id="countries" name="countries"' not in page
    assert "AT" in _checkboxes(page, "countries") and "OP3d" in _checkboxes(page, "obligations")
    assert re.search(r'value="AT"[^>]*>\s*<label[^>]*>Austria</label>', page)
    saved = client.post("/digests/subscription", data={
        "regions": ["OSCE"], "countries": ["AT", "XV"] if "XV" in _checkboxes(page, "countries") else ["AT", "DE"],
        "obligations": ["OP3d", "OP2"], "frequency": "weekly", "language": "en"})
    assert saved.status_code == 302
    subscription = session.get(Subscription, focal.id)
    assert subscription.obligations == ["OP3d", "OP2"] and subscription.countries[0] == "AT"
    again = client.get("/digests/subscription").get_data(as_text=True)
    assert re.search(r'name="obligations" id="[^"]+" value="OP3d" checked', again)
    assert re.search(r'name="countries" id="[^"]+" value="AT" checked', again)


# --- 17. dates: one format per context, the zone named once, no seconds -----------------------------

def test_deadlines_show_no_seconds_and_the_page_names_the_readers_zone_once(client, session):
    from datetime import UTC, datetime

    consultation = make_consultation(session)
    consultation.closes_at = datetime(2031, 3, 14, 16, 0, 0, tzinfo=UTC)
    session.flush()
    reader = make_user(session, timezone="Europe/Vienna")
    login(client, reader)
    page = client.get(f"/consultations/{consultation.id}").get_data(as_text=True)
    assert re.search(r"March 14, 2031, 5:00\W*PM", page), "a long date and a short time in the reader's zone"
    assert not re.search(r"\d{1,2}:\d{2}:\d{2}", page), "no seconds"
    assert "+0000" not in page and "+0100" not in page and " UTC" not in page and " CET" not in page
    assert page.count("Central European Time") == 1, "the zone is named once"


def test_the_digest_list_and_body_give_the_same_period_in_the_recipients_zone(client, session):
    from datetime import UTC, datetime

    from app.accounts.models import Role, Scope
    from app.digests.composition import DigestContent
    from app.digests.rendering import render_digest
    from tests.factories import grant

    focal = make_user(session, timezone="Asia/Tokyo")
    grant(session, focal, Role.FOCAL_POINT, Scope.REGION, "OSCE")
    content = DigestContent(period_start=datetime(2031, 3, 14, tzinfo=UTC),
                            period_end=datetime(2031, 3, 15, tzinfo=UTC), groups=[])
    from flask import current_app

    with current_app.test_request_context("/"):  # rendered by a worker: no reader, no request zone
        rendered = render_digest(content, user=focal, language="en", page_url="https://example.org/d/1",
                                 pdf_url="https://example.org/d/1.pdf")
    assert re.search(r"from Mar 14, 2031, 9:00\W*AM to Mar 15, 2031, 9:00\W*AM", rendered.text), rendered.text
    assert "Japan" in rendered.text


# --- 14. Word tables are kept ---------------------------------------------------------------------

def test_a_word_table_is_kept_as_a_table_in_the_section_text(client, session):
    import io

    import docx

    from app.consultations.models import Consultation
    from tests.integration.test_consultations_support import make_author
    from tests.integration.test_consultations_support import make_consultation as make_draft

    document = docx.Document()
    document.add_heading("Article 1 — Controlled items", level=2)
    document.add_paragraph("The items below require a licence:")
    table = document.add_table(rows=3, cols=2)
    for row, (item, licence) in zip(table.rows, (("Item", "Licence"), ("Centrifuges", "Individual"),
                                                 ("Valves | seals", "General")), strict=True):
        row.cells[0].text, row.cells[1].text = item, licence
    document.add_paragraph("Other items are free to export.")
    buffer = io.BytesIO()
    document.save(buffer)

    author = make_author(session)
    consultation = make_draft(session, author, sections=0, publish=False)
    login(client, author)
    base = f"/manage/consultations/{consultation.id}"
    preview = client.post(f"{base}/import", data={"step": "preview", "file": (io.BytesIO(buffer.getvalue()), "d.docx")},
                          content_type="multipart/form-data")
    text = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "Centrifuges" in text and "<table>" in text
    source = html.unescape(re.search(r'<textarea id="source" name="source"[^>]*>(.*?)</textarea>', text, re.S).group(1))
    assert client.post(f"{base}/import", data={"step": "save", "source": source}).status_code == 302
    session.expire_all()
    [section] = session.get(Consultation, consultation.id).working_version.sections
    body = section.body_html
    assert "<table>" in body and "<th>Item</th>" in body and "<td>Centrifuges</td>" in body
    assert "Valves | seals" in body and body.index("require a licence") < body.index("<table>") < body.index("free to")


# --- 16. the digest PDF ----------------------------------------------------------------------------

def test_the_digest_pdf_carries_the_summary_is_tagged_and_has_a_title_and_language(session):
    import io

    from pypdf import PdfReader

    from app.digests.models import Digest
    from app.digests.services import queue_due_digests
    from tests.integration.test_digests import SEND_AT, _world

    consultation, focal, forwarding = _world(session, email="katrin@osce.example")
    queue_due_digests(session, now=SEND_AT)
    digest = session.scalar(select(Digest).where(Digest.user_id == focal.id))
    reader = PdfReader(io.BytesIO(digest.pdf))
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    assert "The discussion focused on transit." in text, "the overall summary"
    assert "Participants asked for a wider transit definition." in text, "its points"
    assert "published comment" in text, "its figures"
    assert "Download it as PDF" not in text
    links = [a["/A"]["/URI"] for page in reader.pages for a in (page.get("/Annots") or [])
             if a.get_object().get("/A", {}).get("/URI")]
    assert any(link.endswith(f"/forwarded/{forwarding.id}") for link in links)
    root = reader.trailer["/Root"]
    assert "/StructTreeRoot" in root and root["/MarkInfo"]["/Marked"], "a tagged PDF"
    assert root["/Lang"] == "en"
    assert reader.metadata.title == digest.subject
    assert b"pdfuaid" in root["/Metadata"].get_object().get_data(), "declared PDF/UA"
