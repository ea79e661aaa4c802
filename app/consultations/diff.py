"""Compare two draft versions section by section with a word-level diff.

Sections are matched by anchor. Bodies are compared as text extracted from
the sanitised HTML, split into paragraphs; the result is a list of
operations that the template renders as <ins>/<del> with visually hidden
"inserted:"/"deleted:" labels, so changes never rely on colour alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from html.parser import HTMLParser
from typing import Any

EQUAL, INSERT, DELETE = "equal", "insert", "delete"
PARAGRAPH_BREAK = "\n\n"
_BLOCK_TAGS = {"p", "li", "blockquote", "pre", "h3", "h4", "h5", "h6", "tr", "table", "ul", "ol", "hr", "br"}
_TOKEN = re.compile(r"\n\n|\s+|\w+|[^\w\s]", re.UNICODE)


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in _BLOCK_TAGS:
            self.chunks.append(PARAGRAPH_BREAK)
        elif tag in {"td", "th"}:
            self.chunks.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _BLOCK_TAGS:
            self.chunks.append(PARAGRAPH_BREAK)

    def handle_data(self, data: str) -> None:
        self.chunks.append(data)


def html_to_text(html: str | None) -> str:
    """Plain text with paragraphs separated by blank lines."""
    parser = _TextExtractor()
    parser.feed(html or "")
    parser.close()
    paragraphs = [" ".join(p.split()) for p in "".join(parser.chunks).split(PARAGRAPH_BREAK)]
    return PARAGRAPH_BREAK.join(p for p in paragraphs if p)


def tokenize(text: str) -> list[str]:
    return _TOKEN.findall(text or "")


def word_diff(old: str, new: str) -> list[list[tuple[str, str]]]:
    """Paragraphs of (operation, text) pairs turning ``old`` into ``new``."""
    a, b = tokenize(old), tokenize(new)
    ops: list[tuple[str, str]] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            ops.extend((EQUAL, t) for t in a[i1:i2])
        else:
            if tag in ("delete", "replace"):
                ops.extend((DELETE, t) for t in a[i1:i2])
            if tag in ("insert", "replace"):
                ops.extend((INSERT, t) for t in b[j1:j2])
    paragraphs: list[list[tuple[str, str]]] = [[]]
    for op, token in ops:
        if token == PARAGRAPH_BREAK:
            if paragraphs[-1]:
                paragraphs.append([])
            continue
        current = paragraphs[-1]
        if current and current[-1][0] == op:
            current[-1] = (op, current[-1][1] + token)
        else:
            current.append((op, token))
    return [p for p in paragraphs if p]


@dataclass
class SectionChange:
    anchor: str
    change: str  # "added", "removed", "changed", "unchanged"
    old: Any = None
    new: Any = None
    heading: list[list[tuple[str, str]]] = field(default_factory=list)
    body: list[list[tuple[str, str]]] = field(default_factory=list)

    @property
    def section(self) -> Any:
        return self.new if self.new is not None else self.old


def _title(section: Any) -> str:
    return " — ".join(p for p in (section.number, section.heading) if p)


def compare_sections(old_sections: list[Any], new_sections: list[Any]) -> list[SectionChange]:
    """Section-by-section changes in the order of the new version; removed sections
    appear after the section that preceded them in the old version."""
    old_by_anchor = {s.anchor: s for s in old_sections}
    new_anchors = {s.anchor for s in new_sections}
    changes: list[SectionChange] = []
    for section in new_sections:
        before = old_by_anchor.get(section.anchor)
        if before is None:
            changes.append(SectionChange(section.anchor, "added", None, section, word_diff("", _title(section)),
                                         word_diff("", html_to_text(section.body_html))))
            continue
        heading = word_diff(_title(before), _title(section))
        body = word_diff(html_to_text(before.body_html), html_to_text(section.body_html))
        same = all(op == EQUAL for para in heading + body for op, _ in para)
        change = "unchanged" if same else "changed"
        changes.append(SectionChange(section.anchor, change, before, section, heading, body))
    previous_anchor = None
    for section in old_sections:
        if section.anchor not in new_anchors:
            removed = SectionChange(section.anchor, "removed", section, None,
                                    word_diff(_title(section), ""), word_diff(html_to_text(section.body_html), ""))
            index = next((i + 1 for i, c in enumerate(changes) if c.anchor == previous_anchor), 0)
            while index < len(changes) and changes[index].change == "removed":
                index += 1
            changes.insert(index, removed)
        previous_anchor = section.anchor
    return changes
