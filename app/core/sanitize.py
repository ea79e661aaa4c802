"""The one HTML sanitiser of the platform.

Every piece of user-supplied rich text (draft sections, memoranda, comments,
summaries) is rendered from its Markdown source once, on write, and cleaned
here. This is the only module that imports a sanitiser: bleach is no longer
maintained (announced 2026-06-05), so nh3 — bindings to the maintained
ammonia library — sits behind these functions.

Stored rows keep ``*_source``, ``*_html`` and ``SANITIZER_VERSION``; bump the
version whenever the allowlist changes so a command can re-sanitise rows
produced under an older one.
"""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt

SANITIZER_VERSION = 1

# Enough for legal text: paragraphs, emphasis, lists, quotations, code,
# links, sub-headings and simple tables. No images, no styles, no classes.
# <bdi> keeps names and titles isolated in the digests our templates write
# (Markdown never produces it, so rows cleaned before it was allowed stay as
# they would be now: no new SANITIZER_VERSION).
ALLOWED_TAGS = frozenset({
    "p", "br", "strong", "em", "b", "i", "u", "s", "sub", "sup",
    "ul", "ol", "li", "blockquote", "code", "pre", "hr",
    "a", "h3", "h4", "h5", "h6",
    "table", "thead", "tbody", "tr", "th", "td", "caption", "bdi",
})
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "ol": {"start"},
    "th": {"scope", "colspan", "rowspan"},
    "td": {"colspan", "rowspan"},
}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow ugc noopener"

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")


def sanitize_html(html: str | None) -> str:
    """Clean an HTML fragment to the allowlist; scripts and styles lose their content too."""
    if not html:
        return ""
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        clean_content_tags={"script", "style"},
        attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel=LINK_REL,
        strip_comments=True,
    )


def render_markdown(source: str | None) -> str:
    """Markdown (CommonMark + tables, raw HTML disabled) to sanitised HTML."""
    if not source or not source.strip():
        return ""
    return sanitize_html(_markdown.render(source))


# --- comments (added by the comments domain) ------------------------------------------
# Comments get a narrower subset than legal text: paragraphs, emphasis, lists,
# quotations, links and inline code. Headings, tables, images, code blocks and
# rules are not rendered (their Markdown stays visible as plain text).
COMMENT_TAGS = frozenset({"p", "br", "strong", "em", "ul", "ol", "li", "blockquote", "code", "a"})
COMMENT_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}

_comment_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).disable(
    ["code", "fence", "hr", "html_block", "heading", "lheading", "image", "html_inline", "reference"])


def sanitize_comment_html(html: str | None) -> str:
    if not html:
        return ""
    return nh3.clean(
        html,
        tags=set(COMMENT_TAGS),
        clean_content_tags={"script", "style"},
        attributes={tag: set(attrs) for tag, attrs in COMMENT_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel=LINK_REL,
        strip_comments=True,
    )


def render_comment_markdown(source: str | None) -> str:
    """A comment's Markdown to sanitised HTML (the narrow comment allowlist)."""
    if not source or not source.strip():
        return ""
    return sanitize_comment_html(_comment_markdown.render(source))
