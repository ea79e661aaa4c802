"""Turn a draft in Markdown or Word (.docx) into a list of sections.

Headings and numbered articles become sections and keep their numbering
("Article 5 — Transit" → number "Article 5", heading "Transit"). A Word file
is first converted to the same Markdown, so the preview can carry the parsed
text back to the server and what is saved is exactly what was previewed.
Nothing here touches the database.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

from app.consultations.models import SectionLevel
from app.core.archives import UnsafeArchive, open_checked
from app.core.errors import DomainError

MAX_SECTIONS = 2000
# A Word file is read within these bounds, checked before its XML is parsed.
MAX_DOCX_EXPANDED = 16 * 1024 * 1024
MAX_DOCX_PARAGRAPHS = 10_000
_KEYWORDS = {
    "part": SectionLevel.PART, "partie": SectionLevel.PART, "parte": SectionLevel.PART,
    "title": SectionLevel.PART, "book": SectionLevel.PART,
    "chapter": SectionLevel.CHAPTER, "chapitre": SectionLevel.CHAPTER, "capítulo": SectionLevel.CHAPTER,
    "capitulo": SectionLevel.CHAPTER, "division": SectionLevel.CHAPTER,
    "article": SectionLevel.ARTICLE, "artículo": SectionLevel.ARTICLE, "articulo": SectionLevel.ARTICLE,
    "art.": SectionLevel.ARTICLE, "section": SectionLevel.ARTICLE, "regulation": SectionLevel.ARTICLE,
    "rule": SectionLevel.ARTICLE, "clause": SectionLevel.ARTICLE, "schedule": SectionLevel.ARTICLE,
    "annex": SectionLevel.ARTICLE, "paragraph": SectionLevel.PARAGRAPH, "§": SectionLevel.ARTICLE,
}
_NUMBERED = re.compile(
    r"^(?P<kw>part|partie|parte|title|book|chapter|chapitre|cap[ií]tulo|division|article|art[ií]culo|art\.|"
    r"section|regulation|rule|clause|schedule|annex|paragraph|§)\s*"
    r"(?P<num>[0-9]+[a-z]?(?:\.[0-9]+)*|[ivxlcdm]+|[a-z])\b\.?\s*(?:[—–:.\-]\s*)?(?P<rest>.*)$",
    re.IGNORECASE,
)
_PLAIN_NUMBER = re.compile(r"^(?P<num>[0-9]+(?:\.[0-9]+)*)[.)]\s+(?P<rest>\S.*)$")
_DEPTH_LEVEL = {1: SectionLevel.PART, 2: SectionLevel.CHAPTER, 3: SectionLevel.ARTICLE}
_LEVEL_DEPTH = {SectionLevel.PART: 1, SectionLevel.CHAPTER: 2, SectionLevel.ARTICLE: 3, SectionLevel.PARAGRAPH: 4}
_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


class DraftImportError(DomainError):
    """The file or text could not be turned into sections; nothing was saved."""

    status_code = 422


@dataclass
class ParsedSection:
    level: str
    number: str
    heading: str
    anchor: str = ""
    body_lines: list[str] = field(default_factory=list)

    @property
    def body_source(self) -> str:
        return "\n".join(self.body_lines).strip("\n")

    @property
    def title(self) -> str:
        return " — ".join(p for p in (self.number, self.heading) if p)


def slugify(value: str, max_length: int = 60) -> str:
    value = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    value = re.sub(r"[^a-zA-Z0-9]+", "-", value).strip("-").lower()
    return value[:max_length].strip("-")


def split_heading(text: str, depth: int | None = None) -> tuple[str, str, str]:
    """'Article 5 — Transit' → (level, 'Article 5', 'Transit')."""
    text = " ".join(text.split())
    match = _NUMBERED.match(text)
    if match:
        keyword = match.group("kw")
        level = _KEYWORDS.get(keyword.lower(), SectionLevel.ARTICLE)
        number = f"{keyword[0].upper()}{keyword[1:]} {match.group('num')}"
        return level, number, match.group("rest").strip()
    plain = _PLAIN_NUMBER.match(text)
    level = _DEPTH_LEVEL.get(depth or 3, SectionLevel.PARAGRAPH)
    if plain:
        return level, plain.group("num"), plain.group("rest").strip()
    return level, "", text


def assign_anchors(sections: list[ParsedSection]) -> None:
    """Anchors from the numbering (stable across versions), made unique within the draft."""
    seen: dict[str, int] = {}
    for index, section in enumerate(sections, start=1):
        base = slugify(section.number) or slugify(section.heading) or f"section-{index}"
        count = seen.get(base, 0) + 1
        seen[base] = count
        section.anchor = base if count == 1 else f"{base}-{count}"


def _finish(sections: list[ParsedSection], empty_message) -> list[ParsedSection]:
    sections = [s for s in sections if s.heading or s.number or s.body_source]
    if not sections:
        raise DraftImportError(empty_message, field="source")
    if len(sections) > MAX_SECTIONS:
        raise DraftImportError(_l("The draft has more than %(max)d sections; split it into several consultations.",
                               max=MAX_SECTIONS), field="source")
    assign_anchors(sections)
    return sections


def parse_markdown(text: str) -> list[ParsedSection]:
    """Headings (# to ######) start sections; the text under each is its body."""
    if "\x00" in (text or ""):
        raise DraftImportError(_l("The text contains a NUL character; paste plain text."), field="source")
    sections: list[ParsedSection] = []
    preamble: list[str] = []
    in_fence = False
    for line in (text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if line.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
        heading = None if in_fence else _MD_HEADING.match(line)
        if heading:
            level, number, title = split_heading(heading.group(2), len(heading.group(1)))
            sections.append(ParsedSection(level, number, title))
        elif sections:
            sections[-1].body_lines.append(line)
        else:
            preamble.append(line)
    if not sections:
        raise DraftImportError(_l("No headings were found. Start each article or section with a heading line "
                               "such as “## Article 1 — Definitions”."), field="source")
    if "\n".join(preamble).strip():
        sections.insert(0, ParsedSection(SectionLevel.PARAGRAPH, "", "Preamble", body_lines=preamble))
    return _finish(sections, _l("The draft is empty."))


# --- Word -------------------------------------------------------------------

def _escape_md(text: str) -> str:
    return re.sub(r"([\\`*_\[\]<>#|])", r"\\\1", text)


def _runs_to_markdown(paragraph) -> str:
    parts = []
    for run in _runs_of(paragraph):
        text = _escape_md(run.text)
        if not text.strip():
            parts.append(text)
            continue
        if run.bold:
            text = f"**{text}**"
        elif run.italic:
            text = f"*{text}*"
        parts.append(text)
    return "".join(parts).strip()


def _runs_of(paragraph):
    """Its runs in order, those inside hyperlinks included (their text is kept)."""
    for item in paragraph.iter_inner_content():
        if hasattr(item, "bold"):
            yield item
        else:
            yield from item.runs


class _StyleNames:
    """Paragraph style names, looked up once per style: python-docx scans every
    style of the document on each ``paragraph.style``, which made a few thousand
    paragraphs take minutes."""

    def __init__(self) -> None:
        self._names: dict[str | None, str] = {}

    def __call__(self, paragraph) -> str:
        style_id = paragraph._p.style  # the w:pStyle value, or None for the default style
        if style_id not in self._names:
            style = paragraph.style
            self._names[style_id] = (style.name if style is not None else "") or ""
        return self._names[style_id]


def _heading_depth(name: str) -> int | None:
    match = re.match(r"Heading (\d)", name)
    if match:
        return min(int(match.group(1)), 4)
    return None


def _table_to_markdown(table) -> list[str]:
    """A Word table as a Markdown table (its first row as the header), so it stays
    in the provision's text; cells keep their text, on one line each."""
    rows = []
    for row in table.rows:
        rows.append([_escape_md(" ".join(cell.text.split())) for cell in row.cells])
    rows = [row for row in rows if any(row)]
    if not rows:
        return []
    width = max(len(row) for row in rows)
    rows = [row + [""] * (width - len(row)) for row in rows]
    lines = ["| " + " | ".join(cell or " " for cell in row) + " |" for row in rows]
    lines.insert(1, "|" + "---|" * width)
    return lines


def docx_to_markdown(data: bytes) -> str:
    """Word headings and paragraphs that start with 'Article N' become Markdown headings."""
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        open_checked(data, max_expanded=MAX_DOCX_EXPANDED)
    except UnsafeArchive:
        raise DraftImportError(_l("This Word document is too large to import: it expands to more than %(mb)d MB "
                               "or is built to expand without bound. Split it into several files or paste the "
                               "text.", mb=MAX_DOCX_EXPANDED // (1024 * 1024)), field="file") from None
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise DraftImportError(_l("This file could not be read as a Word document (.docx). Save it as .docx "
                               "(not .doc or .pdf) and try again."), field="file") from None
    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise DraftImportError(_l("This file could not be read as a Word document (.docx). Save it as .docx "
                               "(not .doc or .pdf) and try again."), field="file") from None
    except Exception:  # noqa: BLE001 - python-docx raises many things on broken XML
        raise DraftImportError(_l("This Word document is damaged and could not be read."), field="file") from None
    if len(document.element.body.xpath(".//w:p")) > MAX_DOCX_PARAGRAPHS:
        raise DraftImportError(_l("This Word document has more than %(max)d paragraphs; split it into several "
                               "files.", max=MAX_DOCX_PARAGRAPHS), field="file")
    style_name = _StyleNames()
    lines: list[str] = []
    found_heading = False
    for paragraph in document.iter_inner_content():  # paragraphs and tables, in document order
        if not hasattr(paragraph, "runs"):
            lines += ["", *_table_to_markdown(paragraph), ""]
            continue
        text = paragraph.text.strip()
        if not text:
            continue
        style = style_name(paragraph)
        if style in ("Title", "Subtitle"):
            continue  # the document's title is not a provision
        depth = _heading_depth(style)
        if depth is None and _NUMBERED.match(text) and len(text) < 200:
            level, _number, _heading = split_heading(text)
            depth = _LEVEL_DEPTH[level]
        if depth is not None:
            found_heading = True
            lines += ["", "#" * depth + " " + " ".join(text.split()), ""]
            continue
        body = _runs_to_markdown(paragraph)
        if style.startswith("List Bullet"):
            lines.append(f"- {body}")
        elif style.startswith("List Number"):
            lines.append(f"1. {body}")
        else:
            lines += [body, ""]
    if not found_heading:
        raise DraftImportError(_l("No headings or numbered articles were found in this Word document. Use the "
                               "Heading styles for parts, chapters and articles, or start article paragraphs "
                               "with “Article 1”, “Article 2”…"), field="file")
    return "\n".join(lines).strip() + "\n"


def sections_to_markdown(sections: list[ParsedSection]) -> str:
    """The inverse of parse_markdown, used to carry a preview back to the server."""
    chunks = []
    for section in sections:
        if re.fullmatch(r"[0-9]+(?:\.[0-9]+)*", section.number) and section.heading:
            title = f"{section.number}. {section.heading}"
        else:
            title = section.title or section.anchor
        chunks.append("#" * _LEVEL_DEPTH.get(section.level, 3) + " " + title)
        if section.body_source:
            chunks.append(section.body_source)
    return "\n\n".join(chunks) + "\n"
