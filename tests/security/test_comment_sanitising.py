"""Hostile text from tests/data/corpora comes out inert: in the stored HTML,
in the thread page and in the e-mails, judged by an HTML5 parser (tinyhtml5)."""

from __future__ import annotations

import io
import json
import re

import pytest
import tinyhtml5
from sqlalchemy import func, select

from app.comments.models import Comment, CommentStatus
from app.core.models import OutboxMessage
from app.core.sanitize import COMMENT_TAGS, render_comment_markdown
from tests.conftest import CORPORA
from tests.factories import login, make_user
from tests.integration.test_comments_fixtures import add_comment, make_consultation

URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "{http://www.w3.org/1999/xlink}href",
                  "srcdoc", "data", "poster", "background", "lowsrc", "dynsrc"}
BAD_SCHEMES = ("javascript:", "data:", "vbscript:")

MARKDOWN_VECTORS = [
    "[a](javascript:alert(1))", "[a](JaVaScRiPt:alert(1))", "[a]( javascript:alert(1))",
    "[a](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)", "<javascript:alert(1)>",
    "[a](&#106;avascript:alert(1))", "[a](vbscript:msgbox(1))", "![x](javascript:alert(1))",
    "[a](java\tscript:alert(1))", "[a][r]\n\n[r]: javascript:alert(1)", "`<script>alert(1)</script>`",
    "> <img src=x onerror=alert(1)>", "* <a href=javascript:alert(1)>x</a>",
    '[a](https://example.org "\\"onmouseover=alert(1) x=\\"")',
]


def _h5sc() -> list[str]:
    text = (CORPORA / "h5sc" / "vectors.txt").read_text(encoding="utf-8")
    return [part for part in re.split(r'<div id="\d+">', text) if part.strip()]


def _dompurify() -> list[str]:
    return [case["payload"] for case in json.loads((CORPORA / "dompurify" / "dompurify_expect.json").read_text())]


def _blns() -> list[str]:
    return [s for s in json.loads((CORPORA / "blns" / "blns.json").read_text(encoding="utf-8")) if s.strip()]


def payloads() -> list[str]:
    return MARKDOWN_VECTORS + _h5sc() + _dompurify() + _blns()


def _clean_url(value: str) -> str:
    return re.sub(r"[\s\x00-\x1f]", "", value).lower()


def _own_script(element) -> bool:
    src = element.attrib.get("src", "")
    return src.startswith("/static/js/") and ".." not in src and not (element.text or "").strip() \
        and set(element.attrib) <= {"src", "defer"}


def dangers(html: str, *, allowed_tags: frozenset[str] | None = None) -> list[str]:
    """What an HTML5 parser finds that could run: scripts, handlers, script URLs."""
    problems = []
    for element in tinyhtml5.parse(io.StringIO(html)).iter():  # a str could be taken for a file name
        if not isinstance(element.tag, str):
            continue
        tag = element.tag.rsplit("}", 1)[-1].lower()
        if tag == "script" and _own_script(element):
            continue  # the platform's own file under /static/ (base.html), not user content
        if tag in {"script", "iframe", "object", "embed", "frame", "frameset", "base"}:
            problems.append(f"<{tag}>")
        if allowed_tags is not None and tag not in allowed_tags | {"html", "head", "body"}:
            problems.append(f"tag <{tag}> outside the allowlist")
        for name, value in element.attrib.items():
            local = name.rsplit("}", 1)[-1].lower()
            if local.startswith("on"):
                problems.append(f"{tag}[{local}]")
            if (local in URL_ATTRIBUTES or name in URL_ATTRIBUTES) and _clean_url(value).startswith(BAD_SCHEMES):
                problems.append(f"{tag}[{local}={value[:40]}]")
            if local == "style":
                problems.append(f"{tag}[style]")
    return problems


def test_the_oracle_catches_what_it_must():
    assert dangers('<p onclick="x">a</p>') and dangers("<script>1</script>")
    assert dangers('<a href=" JaVa\tScRiPt:alert(1)">x</a>') and dangers("<svg><script>1</script></svg>")
    assert not dangers('<p><a href="https://example.org" rel="nofollow ugc noopener">x</a></p>')
    assert not dangers('<script src="/static/js/char-counter.js" defer></script>')
    assert dangers('<script src="/static/js/x.js">alert(1)</script>') and dangers('<script src="//evil/x.js"></script>')


@pytest.mark.parametrize("source", payloads())
def test_every_payload_renders_to_inert_allowlisted_html(source):
    html = render_comment_markdown(source)
    assert dangers(html, allowed_tags=COMMENT_TAGS) == []
    for link in re.findall(r"<a [^>]*>", html):
        assert 'rel="nofollow ugc noopener"' in link


def test_hostile_comments_are_inert_in_the_thread_page_and_in_e_mails(client, session):
    consultation = make_consultation(session)
    section = consultation.current_version.sections[0]
    author = make_user(session, display_name='<img src=x onerror=alert("name")>')
    root = add_comment(session, consultation, author, section=section, body="Root of the hostile thread")
    replies = [add_comment(session, consultation, author, parent=root, body=source[:10_000])
               for source in payloads() if source.strip()]
    url = f"/consultations/{consultation.id}/comments/{root.id}/thread"
    published = session.scalar(select(func.count()).select_from(Comment).where(
        Comment.root_id == root.id, Comment.status == CommentStatus.PUBLISHED))
    visitor_html = client.get(url).get_data(as_text=True)
    assert dangers(visitor_html) == []
    assert visitor_html.count('class="comment ') == published
    login(client, author)  # the author also sees the ones automatic moderation holds back
    author_html = client.get(url).get_data(as_text=True)
    assert dangers(author_html) == []
    assert author_html.count('class="comment ') == len(replies) + 1
    messages = session.scalars(select(OutboxMessage).where(OutboxMessage.to_address == author.email)).all()
    # A receipt for the root and for each reply held for review (a reply published at once gets none).
    assert len(messages) == 1 + sum(1 for reply in replies if reply.status == CommentStatus.PENDING)
    for message in messages:
        assert dangers(message.body_html) == []
        assert "\n" not in message.subject and "\r" not in message.subject
    stored = session.scalars(select(Comment.body_html).where(Comment.root_id == root.id)).all()
    assert all(dangers(body, allowed_tags=COMMENT_TAGS) == [] for body in stored)
