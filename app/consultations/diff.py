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


# A paragraph's own number: "1.", "2)", "(a)", "b)", "(iv)", "3.2." — the list
# numbering a reader copies along with the provision's text.
_NUMBERING = re.compile(
    r"(?:\(\s*(?:\d{1,3}|[a-z]|[ivxlc]{1,6})\s*\)|(?:\d{1,3}(?:\.\d{1,3})*|[a-z]|[ivxlc]{1,6})[.)])(?=\s)",
    re.IGNORECASE)
_LINE_BREAK = re.compile(r"\s*\n\s*")


def _tokens(text: str) -> tuple[list[str], set[int]]:
    """Tokens of ``text`` with every line a paragraph and runs of white space as one
    space, and the positions of the tokens that only number a paragraph."""
    tokens: list[str] = []
    numbering: set[int] = set()
    for line in _LINE_BREAK.split((text or "").strip()):
        line = " ".join(line.split())
        if not line:
            continue
        if tokens:
            tokens.append(PARAGRAPH_BREAK)
        number = _NUMBERING.match(line)
        if number:
            numbering.update((len(tokens), len(tokens) + 1))
            tokens.extend((number.group(0), " "))
            line = line[number.end():].lstrip()
        tokens.extend(tokenize(line))
    return tokens, numbering


def _blank(token: str) -> bool:
    return not token.strip()


def word_diff(old: str, new: str) -> list[list[tuple[str, str]]]:
    """Paragraphs of (operation, text) pairs turning ``old`` into ``new``.

    Changes of white space or line breaks alone, and paragraph numbers present
    in one text and not the other (or renumbered), are not changes: the new
    text's numbers show as unchanged text. No insertion or deletion is ever
    white space alone."""
    a, a_numbers = _tokens(old)
    b, b_numbers = _tokens(new)
    a_index = [i for i in range(len(a)) if i not in a_numbers]
    b_index = [j for j in range(len(b)) if j not in b_numbers]
    key = {PARAGRAPH_BREAK: PARAGRAPH_BREAK}
    a_keys = [key.get(a[i], " " if _blank(a[i]) else a[i]) for i in a_index]
    b_keys = [key.get(b[j], " " if _blank(b[j]) else b[j]) for j in b_index]
    ops: list[tuple[str, str]] = []
    emitted = 0  # tokens of ``b`` before this position are in ``ops`` (or skipped)

    def numbers_before(position: int) -> None:
        nonlocal emitted
        for j in range(emitted, position):
            if j in b_numbers:
                ops.append((EQUAL, b[j]))
        emitted = max(emitted, position)

    def new_tokens(j1: int, j2: int, op: str) -> None:
        for j in b_index[j1:j2]:
            numbers_before(j)
            ops.append((op, b[j]))
            emitted_past(j)

    def emitted_past(j: int) -> None:
        nonlocal emitted
        emitted = max(emitted, j + 1)

    matcher = SequenceMatcher(None, a_keys, b_keys, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        numbers_before(b_index[j1] if j1 < len(b_index) else len(b))
        old_part = [a[i] for i in a_index[i1:i2]]
        new_part = [b[j] for j in b_index[j1:j2]]
        if tag == "equal" or (all(map(_blank, old_part)) and all(map(_blank, new_part))):
            new_tokens(j1, j2, EQUAL)
            continue
        ops.extend((DELETE, t) for t in old_part)
        new_tokens(j1, j2, INSERT)
    numbers_before(len(b))

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
    return [_trimmed(p) for p in paragraphs if p]


def _trimmed(paragraph: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Move white space at the edges of a change out of it, so that no marker
    holds white space at its ends, or nothing at all."""
    out: list[tuple[str, str]] = []
    for op, text in paragraph:
        core = text.strip()
        if op == EQUAL or not core:
            if op != DELETE:
                out.append((EQUAL, text))
            continue
        lead, trail = text[: len(text) - len(text.lstrip())], text[len(text.rstrip()):]
        if lead:
            out.append((EQUAL, lead))
        out.append((op, core))
        if trail:
            out.append((EQUAL, trail))
    merged: list[tuple[str, str]] = []
    for op, text in out:
        if merged and merged[-1][0] == op:
            merged[-1] = (op, merged[-1][1] + text)
        else:
            merged.append((op, text))
    return merged


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
