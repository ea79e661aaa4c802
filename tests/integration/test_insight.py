"""The regional coverage view: the matrix, a State's drafts, one draft's
addressed / not addressed view and side-by-side provisions."""

from __future__ import annotations

import re

import lxml.html
import pytest

from app.accounts.models import Role, Scope
from app.consultations import services
from app.consultations.importers import parse_markdown
from app.consultations.models import Invitation
from tests.factories import grant, login, make_user
from tests.integration.test_consultations_support import details, make_author

# GCC: six Member States (BH, KW, OM, QA, SA, AE) in data/regional_organisations.yaml.
REGION = "GCC"
NOT_ADDRESSED = "nothing on the platform"
IN_CONSULTATION = "in consultation 1 draft"


def draft_text(n: int) -> str:
    return "\n\n".join(f"## Article {i} — Heading {i}\n\nProvision {i} on strategic goods in transit." for i in
                       range(1, n + 1))


def make_draft(session, country: str, tags: dict[str, list[str]], *, publish: bool = True,
               visibility: str = "public", title: str | None = None, author=None):
    """A consultation of ``country`` whose articles carry ``tags`` ({"article-2": [codes]})."""
    author = author or make_author(session, country)
    consultation = services.create_consultation(session, details(
        country, obligations=[], visibility=visibility,
        title=title or f"Draft measure of {country} on strategic trade"), actor=author)
    services.replace_sections(session, consultation, parse_markdown(draft_text(3)), actor=author)
    for section in consultation.working_version.sections:
        services.update_section(session, section, services.SectionInput(
            level=section.level, number=section.number, heading=section.heading, anchor=section.anchor,
            body=section.body_source, obligations=tags.get(section.anchor, [])), actor=author)
    if publish:
        services.publish_version(session, consultation, actor=author)
    return consultation


def matrix(response) -> dict[str, dict[str, str]]:
    """{State name: {column: cell text}} from the coverage table."""
    doc = lxml.html.fromstring(response.get_data(as_text=True))
    table = doc.xpath("//table[contains(@class, 'coverage-matrix')]")[0]
    columns = [" ".join(th.text_content().split()) for th in table.xpath("./thead/tr/th")][1:]
    rows = {}
    for tr in table.xpath("./tbody/tr"):
        name = " ".join(tr.xpath("./th")[0].text_content().split())
        cells = [" ".join(td.text_content().split()) for td in tr.xpath("./td")]
        rows[name] = dict(zip(columns, cells, strict=True))
    return rows


def row_of(rows: dict[str, dict[str, str]], state: str) -> dict[str, str]:
    return next(cells for name, cells in rows.items() if name.startswith(state))


# --- the matrix --------------------------------------------------------------------------

def test_matrix_shows_which_state_addresses_which_paragraph(client, session):
    make_draft(session, "QA", {"article-1": ["OP3d.transit", "OP3d.transshipment"], "article-2": ["OP3c.brokering"]})
    response = client.get(f"/regions/{REGION}/coverage")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    rows = matrix(response)
    assert len(rows) == 6  # every Member State has a row, with or without drafts
    qatar = row_of(rows, "Qatar")
    assert qatar["OP3d"].startswith(IN_CONSULTATION) and "2 data fields" in qatar["OP3d"]
    assert qatar["OP3c"].startswith(IN_CONSULTATION) and "1 data field" in qatar["OP3c"]
    assert NOT_ADDRESSED in qatar["OP2"]
    oman = row_of(rows, "Oman")
    assert all(NOT_ADDRESSED in text for column, text in oman.items() if column != "Drafts")
    # The cell links to the State's page, at the paragraph; the footer counts States.
    assert f'href="/regions/{REGION}/coverage/QA#c' in page
    assert "1 of 6" in page and "0 of 6" in page
    # Gaps: paragraphs no draft of the region addresses are listed in words.
    gaps = page[page.index('id="gaps-title"'):page.index('id="key-title"')]
    assert "OP2" in gaps and "OP3d" not in gaps
    # The table is a real table: caption, column and row headers.
    assert "<caption" in page and 'scope="col"' in page and 'scope="row"' in page
    assert 'role="region"' in page and 'tabindex="0"' in page
    for banned in ("compliance score", "non-compliant", "rating"):
        assert banned not in page.lower()


def test_region_without_drafts_says_what_will_appear(client, session):
    response = client.get(f"/regions/{REGION}/coverage")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f"No draft measures from member States of {REGION} are on the platform yet." in page
    assert "coverage-matrix" not in page
    # The OSCE calls its members participating States.
    assert "No draft measures from participating States of OSCE" in client.get(
        "/regions/OSCE/coverage").get_data(as_text=True)


def test_unknown_region_or_state_outside_the_region_is_404(client, session):
    assert client.get("/regions/NOPE/coverage").status_code == 404
    assert client.get(f"/regions/{REGION}/coverage/FR").status_code == 404
    assert client.get(f"/regions/{REGION}/coverage/OM").status_code == 200


def test_unpublished_drafts_never_count(client, session):
    make_draft(session, "KW", {"article-1": ["OP3d.transit"]}, publish=False)
    # Published draft whose later, unpublished version adds OP2 tags: only version 1 counts.
    published = make_draft(session, "BH", {"article-1": ["OP3d.transit"]})
    author = make_author(session, "BH")
    revised = services.start_revision(session, published, actor=author)
    article = revised.sections[0]
    services.update_section(session, article, services.SectionInput(
        level=article.level, number=article.number, heading=article.heading, anchor=article.anchor,
        body=article.body_source, obligations=["OP3d.transit", "OP2.finance"]), actor=author)
    rows = matrix(client.get(f"/regions/{REGION}/coverage"))
    assert all(NOT_ADDRESSED in text for column, text in row_of(rows, "Kuwait").items() if column != "Drafts")
    bahrain = row_of(rows, "Bahrain")
    assert bahrain["OP3d"].startswith(IN_CONSULTATION)
    assert NOT_ADDRESSED in bahrain["OP2"]
    # Nor on the State's page.
    kuwait = client.get(f"/regions/{REGION}/coverage/KW").get_data(as_text=True)
    assert "No draft measures from Kuwait are on the platform yet." in kuwait


def test_invited_only_consultation_counts_only_for_those_who_can_read_it(client, session):
    invited = make_draft(session, "SA", {"article-1": ["OP3a.licensing"]}, visibility="invited",
                         title="Confidential draft on biosecurity")
    guest = make_user(session)
    session.add(Invitation(consultation_id=invited.id, user_id=guest.id))
    session.flush()
    outsider = make_user(session)

    visitor = client.get(f"/regions/{REGION}/coverage").get_data(as_text=True)
    assert "No draft measures from member States" in visitor
    assert client.get(f"/regions/{REGION}/coverage/SA").get_data(as_text=True).count(
        "Confidential draft on biosecurity") == 0

    login(client, outsider)
    assert "No draft measures from member States" in client.get(f"/regions/{REGION}/coverage").get_data(
        as_text=True)
    client.post("/logout")

    login(client, guest)
    response = client.get(f"/regions/{REGION}/coverage")
    assert row_of(matrix(response), "Saudi Arabia")["OP3a"].startswith(IN_CONSULTATION)
    assert "invited-only consultation" in response.get_data(as_text=True)  # labelled as restricted
    state = client.get(f"/regions/{REGION}/coverage/SA").get_data(as_text=True)
    assert "Confidential draft on biosecurity" in state
    assert "Visible only to invited organisations" in state


# --- one State, one draft ----------------------------------------------------------------

def _section(page: str, code: str, consultation_id: int) -> str:
    start = page.index(f'id="c{consultation_id}-{code}"')
    end = page.find("</section>", start)
    return page[start:end]


def test_state_page_lists_addressed_and_not_addressed_fields_per_paragraph(client, session):
    draft = make_draft(session, "QA", {"article-1": ["OP3d.transit"], "article-3": ["OP3d.transshipment"]})
    page = client.get(f"/regions/{REGION}/coverage/QA").get_data(as_text=True)
    block = _section(page, "OP3d", draft.id)
    addressed, not_addressed = block.split("Not addressed in this draft", 1)
    assert "OP3d.transit" in addressed and "OP3d.transshipment" in addressed
    assert "Article 1" in addressed and f"/consultations/{draft.id}/sections/article-3" in addressed
    assert "OP3d.catch_all" in not_addressed and "OP3d.brokering" not in addressed
    assert "OP3d.transit" not in not_addressed
    # Paragraphs the draft does not touch are named, not itemised field by field.
    untouched = _section(page, "untouched", draft.id)
    assert "OP2" in untouched and "OP3d" not in untouched
    assert "OP2.finance" not in page


def test_consultation_obligations_page_groups_by_paragraph_with_weapon_categories(client, session):
    draft = make_draft(session, "OM", {"article-1": ["OP2.finance", "OP2.use"], "article-2": ["OP3a.bio_genetic"]})
    response = client.get(f"/consultations/{draft.id}/obligations")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Obligations addressed / not addressed in this draft" in page
    op2 = _section(page, "OP2", draft.id)
    addressed, not_addressed = op2.split("Not addressed in this draft", 1)
    assert "OP2.finance" in addressed and "OP2.use" in addressed
    for code in ("OP2.manufacture", "OP2.acquire", "OP2.possess", "OP2.mod"):
        assert code in not_addressed
    # The draft covers NW and CW (factory default); OP2 applies to NW, CW, BW, MoD.
    assert "Nuclear weapons (NW), Chemical weapons (CW)" in op2
    op3a = _section(page, "OP3a", draft.id)
    assert "OP3a.nuclear_accountancy" in op3a.split("Not addressed in this draft", 1)[1]
    assert "OP3d" in _section(page, "untouched", draft.id)
    # The consultation page links here.
    assert f"/consultations/{draft.id}/obligations" in client.get(f"/consultations/{draft.id}").get_data(as_text=True)


def test_consultation_obligations_page_hides_what_the_viewer_may_not_read(client, session):
    hidden = make_draft(session, "OM", {"article-1": ["OP2.use"]}, visibility="invited")
    unpublished = make_draft(session, "OM", {"article-1": ["OP2.use"]}, publish=False)
    assert client.get(f"/consultations/{hidden.id}/obligations").status_code == 404
    assert client.get(f"/consultations/{unpublished.id}/obligations").status_code == 404
    assert client.get("/consultations/987654321/obligations").status_code == 404


# --- side by side ------------------------------------------------------------------------

def test_compare_shows_the_tagged_provisions_of_two_drafts_side_by_side(client, session):
    a = make_draft(session, "QA", {"article-2": ["OP3d.transit"], "article-3": ["OP3d.catch_all"]},
                   title="Qatar strategic trade draft")
    b = make_draft(session, "AE", {"article-1": ["OP3d.transit", "OP3d.transshipment"]},
                   title="Emirates strategic trade draft")
    response = client.get(f"/regions/{REGION}/compare?a={a.id}&b={b.id}&code=OP3d.transit")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    sides = page.split('class="col-lg-6 compare-side"')[1:]
    assert len(sides) == 2
    assert "Qatar strategic trade draft" in sides[0] and "Article 2" in sides[0] and "Article 3" not in sides[0]
    assert "Emirates strategic trade draft" in sides[1] and "Article 1" in sides[1]
    assert "Provision 2 on strategic goods in transit." in sides[0]  # the provision's text itself
    # A section code takes in all its fields; a draft without one says so.
    whole = client.get(f"/compare?a={a.id}&b={b.id}&code=OP3d").get_data(as_text=True)
    assert "Article 3" in whole.split('class="col-lg-6 compare-side"')[1]
    none = client.get(f"/compare?a={a.id}&b={b.id}&code=OP2.use").get_data(as_text=True)
    assert none.count("Not addressed in this draft") == 2


def test_compare_validates_choices_without_revealing_hidden_drafts(client, session):
    a = make_draft(session, "QA", {"article-1": ["OP3d.transit"]})
    make_draft(session, "OM", {"article-1": ["OP3d.transit"]})
    hidden = make_draft(session, "AE", {"article-1": ["OP3d.transit"]}, visibility="invited",
                        title="Hidden Emirates draft")
    assert client.get("/compare").status_code == 200  # the empty picker
    same = client.get(f"/compare?a={a.id}&b={a.id}&code=OP3d.transit")
    assert same.status_code == 400 and "Choose two different drafts." in same.get_data(as_text=True)
    for b in (hidden.id, 987654321):
        response = client.get(f"/compare?a={a.id}&b={b}&code=OP3d.transit")
        page = response.get_data(as_text=True)
        assert response.status_code == 400
        assert "Choose a draft from the list." in page and "Hidden Emirates draft" not in page
    # Outside the region's Member States, a draft is not on offer either.
    other = make_draft(session, "FR", {"article-1": ["OP3d.transit"]})
    assert client.get(f"/regions/{REGION}/compare?a={a.id}&b={other.id}&code=OP3d").status_code == 400


# --- queries ------------------------------------------------------------------------------

def _count(client, query_counter, url: str) -> int:
    client.get(url)  # warm caches
    with query_counter() as counter:
        response = client.get(url)
    assert response.status_code == 200
    return counter.count


@pytest.mark.parametrize("url", [f"/regions/{REGION}/coverage", f"/regions/{REGION}/coverage/QA"])
def test_query_count_does_not_grow_with_drafts(client, session, query_counter, url):
    countries = ["QA", "AE", "OM", "KW", "BH", "SA"]
    for country in countries[:2]:
        make_draft(session, country, {"article-1": ["OP3d.transit"], "article-2": ["OP2.use"]})
    few = _count(client, query_counter, url)
    for i in range(8):
        make_draft(session, countries[i % len(countries)],
                   {"article-1": ["OP3d.transit", "OP3c.brokering"], "article-3": ["OP3a.licensing"]})
    many = _count(client, query_counter, url)
    rows = matrix(client.get(f"/regions/{REGION}/coverage"))
    assert sum(NOT_ADDRESSED in text for cells in rows.values() for text in cells.values()) < 6 * 6  # drafts landed
    assert many == few


def test_query_count_is_constant_for_a_signed_in_invitee(client, session, query_counter):
    guest = make_user(session)
    grant(session, guest, Role.FOCAL_POINT, Scope.REGION, REGION)
    for country in ("QA", "AE"):
        draft = make_draft(session, country, {"article-1": ["OP3d.transit"]}, visibility="invited")
        session.add(Invitation(consultation_id=draft.id, user_id=guest.id))
    session.flush()
    login(client, guest)
    few = _count(client, query_counter, f"/regions/{REGION}/coverage")
    for country in ("OM", "KW", "BH", "SA", "QA", "AE", "OM", "KW"):
        draft = make_draft(session, country, {"article-2": ["OP3c.brokering"]}, visibility="invited")
        session.add(Invitation(consultation_id=draft.id, user_id=guest.id))
    session.flush()
    assert _count(client, query_counter, f"/regions/{REGION}/coverage") == few
    assert re.search(r"10 invited-only consultations", client.get(f"/regions/{REGION}/coverage").get_data(
        as_text=True))
