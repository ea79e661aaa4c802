"""Word-level comparison of draft versions, matched by anchor."""

from __future__ import annotations

from dataclasses import dataclass

from app.consultations.diff import compare_sections, html_to_text, word_diff


@dataclass
class S:
    anchor: str
    number: str
    heading: str
    body_html: str


def _flatten(paragraphs, op):
    return ["".join(t for o, t in para if o == op) for para in paragraphs]


def test_word_diff_marks_inserted_and_deleted_words():
    paragraphs = word_diff("Licences are valid for two years.", "Licences are valid for three years.")
    ops = paragraphs[0]
    assert ("delete", "two") in ops and ("insert", "three") in ops
    assert "".join(t for o, t in ops if o != "insert") == "Licences are valid for two years."
    assert "".join(t for o, t in ops if o != "delete") == "Licences are valid for three years."


def test_word_diff_keeps_paragraphs_apart():
    paragraphs = word_diff("One.\n\nTwo.", "One.\n\nTwo and more.")
    assert len(paragraphs) == 2
    assert paragraphs[0] == [("equal", "One.")]
    assert "".join(t for op, t in paragraphs[1] if op == "insert").strip() == "and more"


def test_identical_text_has_no_changes():
    assert all(op == "equal" for para in word_diff("Same text.", "Same text.") for op, _ in para)


def test_html_to_text_separates_blocks_and_drops_tags():
    assert html_to_text("<p>One <strong>two</strong></p><ul><li>a</li><li>b</li></ul>") == "One two\n\na\n\nb"
    assert html_to_text("<p>&lt;script&gt;</p>") == "<script>"


def test_sections_are_matched_by_anchor_in_the_order_of_the_new_version():
    old = [S("article-1", "Article 1", "Definitions", "<p>Broker means a person.</p>"),
           S("article-2", "Article 2", "Scope", "<p>All goods.</p>"),
           S("article-3", "Article 3", "Repealed", "<p>Old rule.</p>")]
    new = [S("article-2", "Article 1", "Scope", "<p>All goods.</p>"),
           S("article-1", "Article 2", "Definitions", "<p>Broker means any person.</p>"),
           S("article-4", "Article 3", "Transit", "<p>Transit needs a licence.</p>")]
    changes = compare_sections(old, new)
    assert [(c.anchor, c.change) for c in changes] == [
        ("article-2", "changed"),  # renumbered: heading changed, body not
        ("article-3", "removed"),  # shown after the section that preceded it in version 1
        ("article-1", "changed"),
        ("article-4", "added"),
    ]
    assert "".join(_flatten(changes[2].body, "insert")).strip() == "any"
    assert "".join(_flatten(changes[1].body, "delete")) == "Old rule."
    assert "".join(_flatten(changes[3].body, "insert")) == "Transit needs a licence."


def test_unchanged_sections_are_reported_as_such():
    a = [S("a", "Article 1", "X", "<p>Same.</p>")]
    assert compare_sections(a, list(a))[0].change == "unchanged"
