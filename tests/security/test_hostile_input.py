"""Crafted input answers 4xx or is made harmless, never a 500: query strings that
url_for would read as its own keywords, ids beyond 64 bits, characters XML
cannot hold, NUL in the address and in every field but multi-line text, line
breaks in single-line fields, zip bombs and DTDs in office files, Word
hyperlinks."""

from __future__ import annotations

import io
import zipfile

import docx
import pytest
from openpyxl import load_workbook
from werkzeug.routing import PathConverter, UnicodeConverter
from wtforms import HiddenField, RadioField, SelectField, SelectMultipleField, StringField, TextAreaField

from app.accounts.models import Role, Scope
from app.accounts.organisations import clean_website
from app.consultations.attachments import detect_content_type
from app.consultations.importers import DraftImportError, docx_to_markdown
from app.core.archives import UnsafeArchive, open_checked
from app.core.errors import DomainError
from app.core.forms import Form
from app.summaries import services as summary_services
from app.summaries.models import Decision
from app.summaries.services import DispositionInput
from tests.factories import grant, login, make_user
from tests.integration.test_summaries_support import moderator, open_consultation_with_comments, published_summary

HUGE = "99999999999999999999"


@pytest.fixture()
def world(session):
    consultation, comments = open_consultation_with_comments(session)
    mod = moderator(session)
    published_summary(session, consultation, mod)
    return consultation, comments, mod


@pytest.mark.parametrize("query", ["_method=FOO", "endpoint=x", "_external=1", "_anchor=x", "consultation_id=1",
                                   "values=1", "page=2&_scheme=javascript"])
def test_query_strings_are_never_handed_to_url_for(client, session, world, query):
    consultation, _comments, mod = world
    login(client, mod)
    for url in ("/manage/moderation/", f"/consultations/{consultation.id}", "/organisations",
                "/api/v1/consultations", f"/api/v1/consultations/{consultation.id}/comments", "/notifications"):
        response = client.get(f"{url}?{query}")
        assert response.status_code < 500, (url, query)
        assert b"javascript:" not in response.data


def test_api_page_links_keep_filters_and_drop_url_for_keywords(client, world):
    response = client.get("/api/v1/consultations?per_page=1&status=open&_external=0&consultation_id=7")
    assert response.status_code == 200
    body = response.get_json()
    for link in (body.get("links") or {}).values() if isinstance(body.get("links"), dict) else ():
        if link:
            assert "_external" not in link and "consultation_id" not in link


@pytest.mark.parametrize("path", ["/consultations/{c}/attachments/" + HUGE, "/consultations/" + HUGE,
                                  "/consultations/" + "9" * 5000, "/consultations/0",
                                  "/consultations/{c}/comments/" + HUGE, "/organisations/" + HUGE,
                                  "/api/v1/consultations/" + HUGE])
def test_ids_beyond_64_bits_are_404(client, world, path):
    consultation, _comments, _mod = world
    assert client.get(path.format(c=consultation.id)).status_code == 404


def test_every_int_rule_takes_bounded_ids(app):
    from app.core.urls import IdConverter

    rules = [r for r in app.url_map.iter_rules() if "<int:" in r.rule]
    assert rules
    for rule in rules:
        for converter in rule._converters.values():  # noqa: SLF001 - what werkzeug built for the rule
            assert isinstance(converter, IdConverter) or not hasattr(converter, "num_convert"), rule.rule


@pytest.mark.parametrize("query", [f"parent={HUGE}", f"section={HUGE}", "parent=²", "section=-1"])
def test_query_ids_out_of_range_are_404_on_the_comment_form(client, session, world, query):
    consultation, _comments, _mod = world
    login(client, make_user(session))
    assert client.get(f"/consultations/{consultation.id}/comments/new?{query}").status_code == 404


@pytest.mark.parametrize("version", [HUGE, "²", "0", "-3"])
def test_export_version_beyond_64_bits_is_400(client, world, version):
    consultation, _comments, mod = world
    login(client, mod)
    response = client.get(f"/manage/consultations/{consultation.id}/comments.csv?version={version}")
    assert response.status_code == 400


def test_a_disposition_with_characters_xml_forbids_still_exports(client, session, world):
    consultation, comments, _mod = world
    author = make_user(session)
    grant(session, author, Role.AUTHOR, Scope.COUNTRY, consultation.country_code)
    summary_services.save_disposition(session, consultation, DispositionInput(
        None, "Point \ufffe with \uffff non-characters \x01 and \x0b", Decision.NOTED,
        "Reason \ufffftext"), actor=author)
    response = client.get(f"/consultations/{consultation.id}/resolution.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    points = [row[2].value for row in sheet.iter_rows(min_row=2)]
    assert len(points) == 1 and points[0].startswith("Point  with  non-characters")
    assert not any(ch in points[0] for ch in "\ufffe\uffff\x01\x0b")


class _Sample(Form):
    title = StringField()
    body = TextAreaField()


def test_single_line_fields_lose_line_breaks_and_refuse_nul(app):
    with app.test_request_context(method="POST", data={"title": "Subject\r\nBcc: x@example.org\u2028end",
                                                       "body": "line one\nline\x00 two"}):
        form = _Sample(meta={"csrf": False})
        assert form.validate()
        assert form.title.data == "Subject Bcc: x@example.org end"
        assert form.body.data == "line one\nline two"
    with app.test_request_context(method="POST", data={"title": "Bad\x00title", "body": ""}):
        form = _Sample(meta={"csrf": False})
        assert not form.validate() and form.title.errors


class _Choices(Form):
    token = HiddenField()
    codes = SelectMultipleField(choices=[("OP2", "OP2")], validate_choice=False)
    one = SelectField(choices=[("a", "a")], validate_choice=False)
    pick = RadioField(choices=[("a", "a")], validate_choice=False)
    number = SelectField(choices=[(0, "-")], coerce=int, validate_choice=False)


@pytest.mark.parametrize("field", ["token", "codes", "one", "pick"])
def test_every_field_but_multi_line_text_refuses_nul_before_its_own_checks(app, field):
    seen = []
    valid = {"token": "t", "codes": ["OP2"], "one": "a", "pick": "a", "number": "7"}
    with app.test_request_context(method="POST", data={**valid, field: "a\x00b"}):
        form = _Choices(meta={"csrf": False})
        checked = getattr(form, field)
        checked.validators = [*checked.validators, lambda _form, f: seen.append(f.data)]  # e.g. a lookup
        assert not form.validate()
        assert form.errors == {field: ["This field cannot contain a NUL character."]}
        assert seen == [], "a later check saw the NUL"
    with app.test_request_context(method="POST", data=valid):
        assert _Choices(meta={"csrf": False}).validate()


@pytest.mark.parametrize("value", [HUGE, "2147483648", "-1"])
def test_a_number_beyond_the_ids_the_database_holds_is_refused_on_its_field(app, value):
    seen = []
    with app.test_request_context(method="POST", data={"token": "t", "one": "a", "pick": "a", "number": value}):
        form = _Choices(meta={"csrf": False})
        form.number.validators = [*form.number.validators, lambda _form, f: seen.append(f.data)]  # e.g. a lookup
        assert not form.validate() and form.errors == {"number": ["Give a whole number from 1 to 2147483647."]}
        assert seen == []


def test_an_invitation_for_an_organisation_beyond_any_id_is_refused(client, session):
    from tests.integration.test_consultations_support import make_author

    consultation, _comments = open_consultation_with_comments(session)
    login(client, make_author(session, consultation.country_code))
    response = client.post(f"/manage/consultations/{consultation.id}/invitations",
                           data={"email": "", "organisation_id": HUGE})
    assert response.status_code == 422 and b"Give a whole number from 1 to 2147483647." in response.data


def _string_arguments(rule) -> list[str]:
    """The arguments of ``rule`` that take any text (not ids, not one of a list of words)."""
    return [name for name, converter in rule._converters.items()  # noqa: SLF001 - what werkzeug built
            if isinstance(converter, UnicodeConverter | PathConverter)]


def test_a_nul_in_the_address_never_breaks_a_page(app, client, world):
    """Every page whose address carries text (a region's code, an anchor, a token), and queries
    with a NUL: a 4xx or the page, whoever asks, on PostgreSQL too (which cannot compare text
    holding a NUL)."""
    consultation, _comments, mod = world
    rules = [r for r in app.url_map.iter_rules() if "GET" in r.methods and _string_arguments(r)
             and not r.rule.startswith("/static")]
    assert len(rules) > 5
    broken = []
    for signed_in in (False, True):
        if signed_in:
            login(client, mod)
        for rule in rules:
            for text in ("a\x00", "OSCE\x00", "\x00"):
                values = {name: text if name in _string_arguments(rule)
                          else min(getattr(converter, "items", None) or [consultation.id])
                          for name, converter in rule._converters.items()}  # noqa: SLF001
                if client.get(rule.build(values, append_unknown=False)[1]).status_code >= 500:
                    broken.append((rule.rule, text))
        for url in ("/", "/consultations", "/manage/moderation/", "/regions/OSCE/coverage", "/regions",
                    "/organisations", "/compare", "/obligations", f"/consultations/{consultation.id}"):
            for query in ("q=a%00b", "a%00=1", "region=OSCE&region=%00", "country=%00", "obligation=OP3d%00",
                          "status=%00", "sort=%00", "page=%00", "version=%00", "lang=%00"):
                if client.get(f"{url}?{query}").status_code >= 500:
                    broken.append((url, query))
    assert broken == []


def test_a_consultation_title_with_a_line_break_is_kept_on_one_line(client, session):
    from app.consultations.models import Consultation
    from tests.integration.test_consultations_support import details, make_author
    from tests.integration.test_consultations_views import _form

    login(client, make_author(session, "AT"))
    d = details("AT", title="Draft law\r\nwith a second line")
    assert client.post("/manage/consultations/new", data=_form(d)).status_code == 302
    assert session.query(Consultation).filter_by(title="Draft law with a second line").count() == 1


@pytest.mark.parametrize("address", ['https://example.org/"onmouseover="x', "https://example.org/<script>",
                                     "https://example.org/`x`", "https://example.org/{x}", "https://exa\\mple.org"])
def test_websites_with_quotes_or_angle_brackets_are_refused(address):
    with pytest.raises(DomainError):
        clean_website(address)


def _docx(build) -> bytes:
    document = docx.Document()
    build(document)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _with_member(data: bytes, name: str, content: bytes) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    members = {info.filename: source.read(info) for info in source.infolist()}
    members[name] = content
    return _zip(members)


BILLION_LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
                  + b"".join(f'<!ENTITY lol{n} "{("&lol" + str(n - 1) + ";") * 10 if n > 1 else "&lol;" * 10}">'
                             .encode() for n in range(1, 10))
                  + b']><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
                  + b"<w:body><w:p><w:r><w:t>&lol9;</w:t></w:r></w:p></w:body></w:document>")


def test_zip_bombs_and_dtds_in_office_files_are_refused():
    plain = _docx(lambda d: d.add_heading("Article 1", 2))
    assert detect_content_type(plain) is not None
    bomb = _with_member(plain, "word/media/filler.bin", b"\0" * (80 * 1024 * 1024))
    assert len(bomb) < 200_000
    laughs = _with_member(plain, "word/document.xml", BILLION_LAUGHS)
    for data in (bomb, laughs):
        assert detect_content_type(data) is None
        with pytest.raises(UnsafeArchive):
            open_checked(data)
        with pytest.raises(DraftImportError):
            docx_to_markdown(data)


def test_a_docx_with_too_many_paragraphs_is_refused_quickly():
    def build(document):
        document.add_heading("Article 1 — Scope", 2)
        for n in range(10_001):
            document.add_paragraph(f"p{n}")

    with pytest.raises(DraftImportError) as refused:
        docx_to_markdown(_docx(build))
    assert "paragraphs" in str(refused.value.message)


def test_hyperlink_text_in_a_docx_is_kept():
    def build(document):
        document.add_heading("Article 1 — Sources", 2)
        paragraph = document.add_paragraph("See ")
        part = document.part
        r_id = part.relate_to("https://www.un.org/en/sc/1540/", docx.opc.constants.RELATIONSHIP_TYPE.HYPERLINK,
                              is_external=True)
        link = docx.oxml.OxmlElement("w:hyperlink")
        link.set(docx.oxml.ns.qn("r:id"), r_id)
        run = docx.oxml.OxmlElement("w:r")
        text = docx.oxml.OxmlElement("w:t")
        text.text = "the committee's site"
        run.append(text)
        link.append(run)
        paragraph._p.append(link)  # noqa: SLF001 - python-docx has no public way to add a hyperlink

    assert "See the committee's site" in docx_to_markdown(_docx(build))
