"""The coverage picture (SVG heat map), the table beside it, their filters and
downloads: the picture, the table, the CSV and the PDF say the same thing."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from datetime import timedelta

import lxml.html
import pytest

from app.consultations.models import InstrumentType, Status
from app.core.db import utcnow
from tests.integration.test_insight import REGION, make_draft

SVG = "{http://www.w3.org/2000/svg}"
OP_GROUPS = ["OP1", "OP2", "OP3a", "OP3b", "OP3c", "OP3d"]


def close(consultation, *, days_ago: int = 3):
    consultation.closes_at = utcnow() - timedelta(days=days_ago)
    consultation.opens_at = consultation.closes_at - timedelta(days=37)
    consultation.status = Status.CLOSED


def seed(session):
    """Qatar: one draft in consultation (OP3d) and one summarised (OP3d, OP2); Emirates:
    a closed draft (OP3c); Oman: a summarised one (OP1). The rest: nothing."""
    make_draft(session, "QA", {"article-1": ["OP3d.transit"]})
    summarised = make_draft(session, "QA", {"article-1": ["OP3d.transit"], "article-2": ["OP2.finance"]})
    summarised.status = Status.SUMMARISED
    closed = make_draft(session, "AE", {"article-2": ["OP3c.brokering"]})
    close(closed)
    oman = make_draft(session, "OM", {"article-3": ["OP1.no_support"]})
    oman.status = Status.FORWARDED
    session.flush()


def table_of(page: str) -> tuple[list[str], list[list[str]], list[list[str]]]:
    """(header, rows of words as the CSV has them, rows of data-state values)."""
    doc = lxml.html.fromstring(page)
    table = doc.xpath("//table[contains(@class, 'coverage-matrix')]")[0]
    header = [" ".join(th.text_content().split()) for th in table.xpath("./thead/tr/th")]
    rows, states = [], []
    for tr in table.xpath("./tbody/tr"):
        cells = tr.xpath("./td")
        words = [" ".join(td.xpath(".//span[@class='cell-word']")[0].text_content().split()) for td in cells[1:]]
        rows.append([" ".join(tr.xpath("./th")[0].text_content().split()), cells[0].text_content().strip(), *words])
        states.append([td.get("data-state") for td in cells[1:]])
    return header, rows, states


def svg_cells(svg_text: str) -> tuple[ET.Element, list[tuple[str, list[tuple[str, str, str]]]]]:
    """(root, [(country code, [(column, state, title)])])."""
    root = ET.fromstring(svg_text)  # noqa: S314 (our own output)
    rows = []
    for g in root.iter(f"{SVG}g"):
        if g.get("class") == "hm-row":
            cells = [(c.get("data-column"), c.get("data-state"), c.find(f"{SVG}title").text)
                     for c in g.findall(f"{SVG}g") if c.get("class") == "hm-cell"]
            rows.append((g.get("data-country"), cells))
    return root, rows


def test_picture_and_table_agree_cell_by_cell(client, session):
    seed(session)
    page = client.get(f"/regions/{REGION}/coverage").get_data(as_text=True)
    header, rows, states = table_of(page)
    assert header == ["State", "Drafts", *OP_GROUPS]
    svg = client.get(f"/regions/{REGION}/coverage.svg")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    root, picture = svg_cells(svg.get_data(as_text=True))
    assert len(picture) == len(rows) == 6
    for (_country, cells), row, row_states in zip(picture, rows, states, strict=True):
        assert [c for c, _, _ in cells] == OP_GROUPS
        assert [s for _, s, _ in cells] == row_states
        for (column, _state, title), word in zip(cells, row[2:], strict=True):
            # The cell's title names the State, the column and the state in the table's words.
            assert title.startswith(f"{row[0]}, {column}: {word}")
    by_name = {row[0]: dict(zip(OP_GROUPS, row[2:], strict=True)) for row in rows}
    # Precedence: a draft in consultation shows over a summarised one on the same column.
    assert by_name["Qatar"]["OP3d"] == "in consultation"
    assert by_name["Qatar"]["OP2"] == "summarised"
    assert by_name["United Arab Emirates"]["OP3c"] == "closed"
    assert by_name["Oman"]["OP1"] == "summarised"
    assert by_name["Kuwait"] == dict.fromkeys(OP_GROUPS, "nothing on the platform")
    assert by_name["Qatar"]["OP3a"] == "nothing on the platform"
    # The same picture is inline in the page, with the pattern as well as the colour.
    assert page.count("<svg") == 1 and 'fill="url(#hm-summarised)"' in page
    assert "compliance" not in " ".join(t for _, cs in picture for _, _, t in cs).lower()


def test_svg_is_well_formed_with_title_and_description(client, session):
    seed(session)
    root, _ = svg_cells(client.get(f"/regions/{REGION}/coverage.svg").get_data(as_text=True))
    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title is not None and "GCC" in title.text
    assert desc is not None and "6 States (rows) × 6 columns." in desc.text
    assert "in consultation: 1 cell;" in desc.text and "nothing on the platform: 32 cells" in desc.text
    assert root.get("aria-labelledby") == "heatmap-title heatmap-desc"
    # The legend spells out every state in words.
    legend = " ".join(t.text or "" for t in root.iter(f"{SVG}text"))
    for words in ("in consultation", "summarised", "closed", "nothing on the platform"):
        assert words in legend


def test_csv_equals_the_table(client, session):
    seed(session)
    header, rows, _ = table_of(client.get(f"/regions/{REGION}/coverage").get_data(as_text=True))
    response = client.get(f"/regions/{REGION}/coverage.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    table = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert table == [header, *rows]


def test_drill_down_shows_the_data_fields_of_one_paragraph(client, session):
    seed(session)
    page = client.get(f"/regions/{REGION}/coverage?group=OP3d").get_data(as_text=True)
    header, rows, _ = table_of(page)
    assert header[2:4] == ["OP3d.control_lists", "OP3d.licensing"] or "OP3d.transit" in header
    qatar = dict(zip(header[2:], next(r for r in rows if r[0] == "Qatar")[2:], strict=True))
    assert qatar["OP3d.transit"] == "in consultation"
    assert all(word == "nothing on the platform" for code, word in qatar.items() if code != "OP3d.transit")
    assert "Back to all operative paragraphs" in page
    csv_rows = list(csv.reader(io.StringIO(client.get(f"/regions/{REGION}/coverage.csv?group=OP3d").get_data(
        as_text=True))))
    assert csv_rows[0] == header
    # A paragraph outside the picture's groups, or an unknown one, is refused with the reason.
    bad = client.get(f"/regions/{REGION}/coverage?group=OP7")
    assert bad.status_code == 400 and "Choose an option from the list." in bad.get_data(as_text=True)


def test_filters_by_weapon_instrument_and_period(client, session):
    bio = make_draft(session, "KW", {"article-1": ["OP3a.bio_genetic"]}, title="Kuwait biosecurity decree")
    bio.weapon_categories = ["BW"]
    bio.instrument_type = InstrumentType.DECREE
    old = make_draft(session, "BH", {"article-1": ["OP3a.licensing"]})
    close(old, days_ago=400)
    session.flush()

    def words(query: str) -> dict[str, dict[str, str]]:
        response = client.get(f"/regions/{REGION}/coverage?{query}")
        assert response.status_code == 200
        header, rows, _ = table_of(response.get_data(as_text=True))
        return {r[0]: dict(zip(header[2:], r[2:], strict=True)) for r in rows}

    assert words("weapon=BW")["Kuwait"]["OP3a"] == "in consultation"
    assert words("weapon=BW")["Bahrain"]["OP3a"] == "nothing on the platform"  # NW and CW only
    assert words("instrument=decree")["Bahrain"]["OP3a"] == "nothing on the platform"
    assert words("instrument=law")["Kuwait"]["OP3a"] == "nothing on the platform"
    last_year = (utcnow() - timedelta(days=420)).date().isoformat()
    eleven_months_ago = (utcnow() - timedelta(days=330)).date().isoformat()
    period = words(f"start={last_year}&end={eleven_months_ago}")
    assert period["Bahrain"]["OP3a"] == "closed" and period["Kuwait"]["OP3a"] == "nothing on the platform"
    # The downloads keep the filters.
    page = client.get(f"/regions/{REGION}/coverage?weapon=BW").get_data(as_text=True)
    assert f"/regions/{REGION}/coverage.csv?weapon=BW" in page
    csv_text = client.get(f"/regions/{REGION}/coverage.csv?weapon=BW").get_data(as_text=True)
    assert "Bahrain,0," in csv_text
    # Invalid input is reported next to the field, with a 400.
    backwards = client.get(f"/regions/{REGION}/coverage?start=2027-02-01&end=2027-01-01")
    assert backwards.status_code == 400
    assert "The end of the period must not be before its start." in backwards.get_data(as_text=True)
    assert client.get(f"/regions/{REGION}/coverage.csv?weapon=XX").status_code == 400


def test_pdf_renders_the_same_svg(client, session):
    seed(session)
    response = client.get(f"/regions/{REGION}/coverage.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    assert f"agora1540-coverage-{REGION}-" in response.headers["Content-Disposition"]


def test_table_keeps_headers_and_first_column_in_view(client, session):
    seed(session)
    page = client.get(f"/regions/{REGION}/coverage").get_data(as_text=True)
    doc = lxml.html.fromstring(page)
    frame = doc.xpath("//div[contains(@class, 'coverage-scroll')]")[0]
    # The frame wraps the table alone, so its scrollbar is right under the table.
    assert [child.tag for child in frame] == ["table"]
    assert frame.get("tabindex") == "0" and frame.get("role") == "region"
    css = client.get("/static/css/insight.css").get_data(as_text=True)
    assert "thead th { position: sticky; top: 0;" in css
    assert 'th[scope="row"] {\n  position: sticky; inset-inline-start: 0;' in css


@pytest.mark.parametrize("region", ["OSCE", "AU"])
def test_query_count_of_the_largest_organisations_is_flat(client, session, query_counter, region):
    from sqlalchemy import select

    from app.geography.models import RegionMember

    members = list(session.scalars(select(RegionMember.country_code).where(RegionMember.region_code == region)))
    assert len(members) >= 55

    def count(url: str) -> int:
        client.get(url)
        with query_counter() as counter:
            assert client.get(url).status_code == 200
        return counter.count

    make_draft(session, members[0], {"article-1": ["OP3d.transit"]})
    urls = [f"/regions/{region}/coverage", f"/regions/{region}/coverage.csv", f"/regions/{region}/coverage.svg",
            f"/regions/{region}/coverage?group=OP3d"]
    few = [count(u) for u in urls]
    for i, country in enumerate(members[1:25]):
        draft = make_draft(session, country, {"article-1": ["OP3d.transit", "OP2.finance"],
                                              "article-2": ["OP3a.licensing"]})
        if i % 3 == 0:
            close(draft)
    session.flush()
    assert [count(u) for u in urls] == few
    assert max(few) <= 12
