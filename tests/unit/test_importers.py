"""Markdown and Word (.docx) drafts become sections that keep their numbering."""

from __future__ import annotations

import io

import docx
import pytest

from app.consultations.importers import (
    DraftImportError,
    docx_to_markdown,
    parse_markdown,
    sections_to_markdown,
    split_heading,
)

MARKDOWN = """\
Adopted by the Council of Ministers on first reading.

# Part I — General provisions

## Chapter 1 — Scope

### Article 1 — Definitions

For the purposes of this Law:

1. "broker" means any person who negotiates transfers;
2. "transit" means the passage of goods through the territory.

### Article 2. Scope

This Law applies to **all** strategic goods.

### Article 2a — Free zones

Free economic zones are part of the customs territory.
"""


def test_markdown_headings_become_sections_with_levels_numbers_and_anchors():
    sections = parse_markdown(MARKDOWN)
    assert [(s.level, s.number, s.heading, s.anchor) for s in sections] == [
        ("paragraph", "", "Preamble", "preamble"),
        ("part", "Part I", "General provisions", "part-i"),
        ("chapter", "Chapter 1", "Scope", "chapter-1"),
        ("article", "Article 1", "Definitions", "article-1"),
        ("article", "Article 2", "Scope", "article-2"),
        ("article", "Article 2a", "Free zones", "article-2a"),
    ]
    assert "negotiates transfers" in sections[3].body_source
    assert sections[4].body_source == "This Law applies to **all** strategic goods."


def test_preview_markdown_round_trips_to_the_same_sections():
    sections = parse_markdown(MARKDOWN)
    again = parse_markdown(sections_to_markdown(sections))
    assert [(s.level, s.number, s.heading, s.anchor, s.body_source) for s in again] == [
        (s.level, s.number, s.heading, s.anchor, s.body_source) for s in sections]


def test_plain_numbered_headings_keep_their_numbers():
    sections = parse_markdown("## 1. Purpose\n\nText.\n\n## 2. Scope\n\nMore.")
    assert [(s.number, s.heading) for s in sections] == [("1", "Purpose"), ("2", "Scope")]
    assert [(s.number, s.heading) for s in parse_markdown(sections_to_markdown(sections))] == [
        ("1", "Purpose"), ("2", "Scope")]


def test_duplicate_numbers_get_distinct_anchors():
    sections = parse_markdown("# Article 1\n\nA\n\n# Article 1\n\nB")
    assert [s.anchor for s in sections] == ["article-1", "article-1-2"]


def test_headings_inside_code_fences_are_text():
    sections = parse_markdown("# Article 1\n\n```\n# not a heading\n```\n")
    assert len(sections) == 1 and "# not a heading" in sections[0].body_source


@pytest.mark.parametrize("text", ["", "   \n\n", "Just a paragraph without any heading."])
def test_text_without_headings_is_refused_with_a_clear_message(text):
    with pytest.raises(DraftImportError) as info:
        parse_markdown(text)
    assert "heading" in str(info.value.message).lower() or "empty" in str(info.value.message).lower()
    assert info.value.field == "source"


def test_split_heading_understands_common_forms():
    assert split_heading("ARTICLE 12: Transit")[1:] == ("ARTICLE 12", "Transit")
    assert split_heading("Section 4 - Brokers")[1:] == ("Section 4", "Brokers")
    assert split_heading("Chapter IV")[:2] == ("chapter", "Chapter IV")
    assert split_heading("Final provisions", 2) == ("chapter", "", "Final provisions")


def _docx(build) -> bytes:
    document = docx.Document()
    build(document)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_docx_heading_styles_and_numbered_articles_become_sections():
    def build(d):
        d.add_heading("Draft Law on Strategic Goods", level=0)  # Title: not a section
        d.add_heading("Chapter I — General provisions", level=1)
        d.add_paragraph("Article 1 — Definitions")  # numbered article in Normal style
        p = d.add_paragraph("In this Law, ")
        p.add_run("dual-use items").bold = True
        p.add_run(" means goods usable for civil and military purposes.")
        d.add_paragraph("first item", style="List Number")
        d.add_heading("Article 2 — Licensing authority", level=2)
        d.add_paragraph("The Licensing Office decides on applications within 30 days.")

    sections = parse_markdown(docx_to_markdown(_docx(build)))
    assert [(s.level, s.number, s.heading) for s in sections] == [
        ("chapter", "Chapter I", "General provisions"),
        ("article", "Article 1", "Definitions"),
        ("article", "Article 2", "Licensing authority"),
    ]
    assert "**dual-use items**" in sections[1].body_source
    assert "1. first item" in sections[1].body_source
    assert "within 30 days" in sections[2].body_source


def test_docx_without_headings_is_refused():
    data = _docx(lambda d: d.add_paragraph("A letter with no structure at all."))
    with pytest.raises(DraftImportError) as info:
        docx_to_markdown(data)
    assert info.value.field == "file"
    assert "No headings" in str(info.value.message)


@pytest.mark.parametrize("data", [b"", b"%PDF-1.7 not word", b"PK\x03\x04broken zip", b"\x00\x01\x02"])
def test_files_that_are_not_docx_are_refused_with_a_message(data):
    with pytest.raises(DraftImportError) as info:
        docx_to_markdown(data)
    assert "Word document" in str(info.value.message)


def test_markdown_escapes_in_docx_text_do_not_become_markup():
    def build(d):
        d.add_heading("Article 1", level=2)
        d.add_paragraph("Use <script>alert(1)</script> and *stars* literally.")

    source = parse_markdown(docx_to_markdown(_docx(build)))[0].body_source
    from app.core.sanitize import render_markdown

    html = render_markdown(source)
    assert "<script" not in html and "*stars*" in html
