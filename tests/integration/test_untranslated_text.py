"""No page shows English words the catalogue never sees.

Every GET page of the permission table (tests/security/test_permissions.py) is
rendered for every role under a pseudo-catalogue: each string the catalogue
would hold (extracted afresh from the code, as `make messages` does) comes out
between ⟦ and ⟧, and dates, numbers and country names are Russian. What is left
outside the marks is data the page was given (names, titles, comments: every
text the fixtures wrote to the database) or English that no translator can
ever reach: a template string outside _(), a label built in Python, a data
file read without its translations. The test fails on the latter.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import flask_babel
import pytest
from babel.messages.pofile import read_po
from babel.support import NullTranslations
from sqlalchemy import String, Text, select

from app.comments.models import Comment
from app.core.db import Base
from app.core.i18n import LOCALE_COOKIE
from app.digests.models import Digest
from app.digests.services import queue_due_digests, save_subscription
from app.moderation import services as moderation
from app.moderation.models import Flag, ReasonTemplate
from app.summaries import services as summaries
from app.summaries.models import Forwarding
from tests.factories import login, make_user
from tests.integration.test_comments_fixtures import add_comment, make_consultation
from tests.security.test_permissions import EXPECTED, ROLES, samples  # noqa: F401 - samples is a fixture

ROOT = Path(__file__).resolve().parents[2]
BASE_LANGUAGE = "ru"  # dates, numbers and country names in a script no English word is written in
OPEN, CLOSE = "⟦", "⟧"
PERIOD = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
SEND_AT = datetime(2026, 12, 2, 6, 0, tzinfo=UTC)

# Names that are the same in every language.
PROPER_NAMES = ("Agora 1540",)
# Tables whose texts are the platform's own and must be translated, not data: the
# taxonomy, the regional organisations, the default moderation reasons.
PLATFORM_TABLES = {"obligation", "region", "moderation_reason", "alembic_version"}
# Rows of the permission table that point at an id no row has; these URLs show
# the same pages with the fixtures' real objects.
WITH_OBJECTS = {
    "moderation.show_item": "/manage/moderation/comments/{comment}",
    "moderation.edit_reason": "/manage/moderation/reasons/{reason}",
    "moderation.edit_guidelines": "/manage/moderation/consultations/{rich}/guidelines",
    "moderation.transparency": "/consultations/{rich}/moderation",
    "moderation.flag": "/consultations/{rich}/comments/{comment}/flag",
    "summaries.show_summary": "/consultations/{rich}/summary",
    "summaries.show_forwarding": "/forwarded/{forwarding}",
    "digests.show_digest": "/digests/{digest}",
    "comments.permalink": "/consultations/{rich}/comments/{comment}",
    "comments.thread": "/consultations/{rich}/comments/{comment}/thread",
    "comments.receipt": "/consultations/{rich}/comments/{comment}/receipt",
    "comments.edit_comment": "/consultations/{rich}/comments/{own_comment}/edit",
    "comments.withdraw_comment": "/consultations/{rich}/comments/{own_comment}/withdraw",
    "consultations.show_section": "/consultations/{rich}/sections/article-1",
    "insight.consultation_obligations": "/consultations/{rich}/obligations",
    "insight.consultation_analytics": "/consultations/{rich}/analytics",
}


# --- the pseudo-catalogue -----------------------------------------------------------------

def _i18n_script():
    spec = importlib.util.spec_from_file_location("i18n_script", ROOT / "scripts" / "i18n.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def catalogue_ids(tmp_path_factory) -> set[tuple[str | None, str]]:
    """(context, msgid) of every string in the code, as `make messages` extracts them."""
    pot = _i18n_script().extract(tmp_path_factory.mktemp("pot") / "messages.pot")
    with pot.open("rb") as fh:
        catalog = read_po(fh)
    return {(m.context, m.id[0] if isinstance(m.id, tuple) else m.id) for m in catalog if m.id}


class MarkingTranslations(NullTranslations):
    """Every string the catalogue holds comes back marked; any other string as it was."""

    def __init__(self, known: set[tuple[str | None, str]]) -> None:
        super().__init__()
        self.known = known

    def _mark(self, context: str | None, msgid: str, text: str) -> str:
        return f"{OPEN}{text}{CLOSE}" if (context, msgid) in self.known else text

    def gettext(self, message):
        return self._mark(None, message, message)

    def ngettext(self, singular, plural, n):
        return self._mark(None, singular, singular if n == 1 else plural)

    def pgettext(self, context, message):
        return self._mark(context, message, message)

    def npgettext(self, context, singular, plural, n):
        return self._mark(context, singular, singular if n == 1 else plural)

    ugettext, ungettext, upgettext, unpgettext = gettext, ngettext, pgettext, npgettext


@pytest.fixture()
def pseudo_locale(monkeypatch, catalogue_ids):
    """Pages in BASE_LANGUAGE get the marking catalogue instead of the real one."""
    marking = MarkingTranslations(catalogue_ids)
    original = flask_babel.Domain.get_translations

    def get_translations(self):
        if str(flask_babel.get_locale() or "").startswith(BASE_LANGUAGE):
            return marking
        return original(self)

    monkeypatch.setattr(flask_babel.Domain, "get_translations", get_translations)
    return marking


# --- reading a page -----------------------------------------------------------------------

SKIPPED_ELEMENTS = {"script", "style", "code", "kbd", "samp"}
VISIBLE_ATTRIBUTES = {"alt", "title", "placeholder", "aria-label", "aria-description", "label"}


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in SKIPPED_ELEMENTS:
            self._skip += 1
        self.chunks += [value for name, value in attrs if value and name in VISIBLE_ATTRIBUTES]
        if tag == "input" and dict(attrs).get("type") in ("submit", "button"):
            self.chunks.append(dict(attrs).get("value") or "")

    def handle_endtag(self, tag):
        if tag in SKIPPED_ELEMENTS and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.chunks.append(data)


def visible_text(html: str) -> list[str]:
    parser = _Text()
    parser.feed(html)
    parser.close()
    return parser.chunks


MARKED = re.compile(f"{OPEN}[^{OPEN}{CLOSE}]*{CLOSE}")
NOT_WORDS = re.compile(r"\S+@\S+|https?://\S+|(?<!\w)/[\w/.?=&%-]*|\S+\.\S*\w|\b\w*\d\w*\b")
# Runs of text in the Latin alphabet: anything else (another script, brackets,
# quotation marks, a middle dot, a line break) ends a run.
RUN = re.compile(r"[A-Za-z0-9][A-Za-z0-9 '’,.:;!?&+\-–—]*")
WORD = re.compile(r"[A-Za-z]{2,}")


def _unmarked(text: str) -> str:
    """The text without what the marks enclose (marks may enclose markup, so
    this runs over the whole page's text at once)."""
    while True:
        stripped = MARKED.sub(" ", text)
        if stripped == text:
            break
        text = stripped
    return text.replace(OPEN, " ").replace(CLOSE, " ")


def _reads_as_english(run: str) -> bool:
    """Three words, or two of which one is lower-case: a phrase, not a name or a code."""
    words = WORD.findall(run)
    return len(words) >= 3 or (len(words) >= 2 and any(w[0].islower() for w in words))


def english_phrases(html: str, data: list[str]) -> list[str]:
    """Phrases of English outside the marks that are not (part of) a text in ``data``."""
    found = []
    haystack = "\n".join(data)
    for line in _unmarked("\n".join(visible_text(html))).splitlines():
        text = NOT_WORDS.sub(" ", line)
        for name in PROPER_NAMES:
            text = text.replace(name, " ")
        for run in RUN.findall(text):
            run = " ".join(run.split())
            if not _reads_as_english(run) or run in haystack:
                continue
            rest = run
            for value in data:
                if value in rest:
                    rest = rest.replace(value, " ")
            if _reads_as_english(NOT_WORDS.sub(" ", rest)):
                found.append(run)
    return found


def _pieces(value: str) -> set[str]:
    """A stored text as pages show it: tags dropped, split into lines and sentences,
    codes and numbers taken out as english_phrases takes them out."""
    pieces = set()
    text = re.sub(r"<[^>]+>", "\n", value) if "<" in value else value
    for line in re.split(r"[\n()«»“”\"·#*]+", text):
        for part in [line, *re.split(r"[.:;!?]\s", line)]:
            part = " ".join(NOT_WORDS.sub(" ", part).split())
            if len(part) >= 2:
                pieces.add(part)
    return pieces


def fixture_texts(session) -> list[str]:
    """Every text the fixtures wrote (longest first), split where pages split them;
    the policy pages' texts (data/policies/: documents in their own language, which
    administrators translate in the app) count as such texts too."""
    values: set[str] = set()
    for path in (ROOT / "data" / "policies").glob("*.md"):
        values |= _pieces(path.read_text(encoding="utf-8"))
    for table in Base.metadata.sorted_tables:
        if table.name in PLATFORM_TABLES:
            continue
        columns = [c for c in table.columns if isinstance(c.type, String | Text)]
        if not columns:
            continue
        for row in session.execute(select(*columns)):
            for value in row:
                if isinstance(value, str) and len(value) >= 2:
                    values |= _pieces(value)
    return sorted(values, key=len, reverse=True)


# --- the fixtures: the permission table's, with a discussion, moderation, a summary, a digest ----

@pytest.fixture()
def world(samples, session):  # noqa: F811 - the imported fixture
    users, ids = samples
    participant, author, mod, focal = (users[r] for r in ("participant", "author", "moderator", "focal_point"))
    rich = make_consultation(session, country="AT", regions=("OSCE",), opens_in=-timedelta(days=40),
                             closes_in=timedelta(days=20))
    rich.opens_at = PERIOD - timedelta(days=1)
    first, second = rich.current_version.sections[:2]
    opinion = add_comment(session, rich, participant, section=first, stance="opposes",
                          body="The definition of brokering in Article 1 is too narrow.")
    add_comment(session, rich, author, parent=opinion, body="Version 2 will widen it.")
    add_comment(session, rich, participant, section=second, kind="amendment",
                body="Add transit.", proposed_wording="The competent authority shall license transit.")
    own = add_comment(session, rich, participant, body="Please add a transit clause.")
    unrelated = add_comment(session, rich, users["representative"], body="Visit our shop.")
    off_topic = session.scalar(select(ReasonTemplate).where(ReasonTemplate.code == "off_topic"))
    moderation.decide(session, unrelated, moderation.DecisionInput(action="reject", reason_id=off_topic.id),
                      expected_version=unrelated.version, actor=mod)
    moderation.flag_comment(session, opinion, reason="abusive", actor=users["representative"])
    abusive = session.scalar(select(ReasonTemplate).where(ReasonTemplate.code == "abusive"))
    moderation.sanction_user(session, users["representative"], kind="warning", reason_id=abusive.id,
                             comment=unrelated, actor=mod)
    summaries.save_summary_text(session, rich, overall="Participants asked for a wider definition.",
                                restricted=False, actor=mod)
    summaries.add_point(session, rich, summaries.PointInput(section_id=first.id, text="Widen brokering.",
                                                            comment_ids=[opinion.id]), actor=mod)
    summaries.publish_summary(session, rich, actor=mod, now=PERIOD)
    summaries.forward_summary(session, rich, regions=["OSCE"], countries=[], note="For the OSCE.", actor=mod,
                              now=PERIOD)
    save_subscription(session, focal, regions=["OSCE"], countries=["AT"], obligations=[], frequency="weekly",
                      language=BASE_LANGUAGE, actor=focal)
    queue_due_digests(session, now=SEND_AT)
    make_user(session, display_name="Someone")
    session.flush()
    ids = {**ids, "rich": rich.id, "comment": opinion.id, "own_comment": own.id, "reason": off_topic.id,
           "forwarding": session.scalar(select(Forwarding.id)), "digest": session.scalar(select(Digest.id)),
           "flag": session.scalar(select(Flag.id))}
    assert ids["digest"] and ids["forwarding"] and session.get(Comment, own.id)
    return users, ids


# Downloads (streamed exports, PDFs, feeds) are not pages.
DOWNLOADS = (".csv", ".xlsx", ".pdf", ".svg", ".atom", ".zip")


def _urls(ids: dict[str, int]) -> list[tuple[str, str]]:
    urls = []
    for endpoint, (template, _table) in sorted(EXPECTED.items()):
        if endpoint.startswith("api.") or template.endswith(DOWNLOADS):
            continue
        urls.append((endpoint, WITH_OBJECTS.get(endpoint, template).format(**ids)))
        if "{consultation}" in template:  # the scheduled sample and the open one with a discussion
            urls.append((endpoint, template.replace("{consultation}", "{rich}").format(**ids)))
    return urls


@pytest.mark.parametrize("role", ROLES)
def test_every_page_speaks_the_readers_language(role, world, client, session, pseudo_locale):
    users, ids = world
    data = fixture_texts(session)
    client.set_cookie(LOCALE_COOKIE, BASE_LANGUAGE)  # before signing in: its message is in that language too
    if role != "anonymous":
        assert login(client, users[role]).status_code == 302
    findings: dict[str, set[str]] = {}
    pages = 0
    for _endpoint, url in _urls(ids):
        response = client.get(url)
        if not (response.mimetype or "").startswith("text/html") or response.status_code in (301, 302, 303):
            continue
        pages += 1
        html = response.get_data(as_text=True)
        assert OPEN in html, f"{url} as {role}: nothing marked, the pseudo-catalogue is not in use"
        for phrase in english_phrases(html, data):
            findings.setdefault(phrase, set()).add(url)
    assert pages > 30, pages
    assert not findings, f"English outside the catalogue, as {role}:\n" + "\n".join(
        f"  {phrase!r} on {', '.join(sorted(urls)[:3])}" for phrase, urls in sorted(findings.items()))


# --- the checker itself -------------------------------------------------------------------

def test_the_checker_tells_data_and_marked_text_from_forgotten_english():
    html = ("<h1>⟦Showing 1–3 of 3⟧</h1><p>Showing 1–3 of 3</p><p>Nadia Haddad (Centre for Trade Law)</p>"
            "<p>⟦<bdi>Nadia</bdi> replied to ⟦your comment⟧ on “Draft”⟧</p><p title='Close this window'>×</p>"
            "<script>var a = 'not text at all';</script>"
            "<p>OSCE — OP3d.transit · memo.pdf · nobody@example.org</p><p>14 марта 2027 г.</p>")
    found = english_phrases(html, ["Nadia Haddad", "Centre for Trade Law"])
    assert found == ["Showing – of", "Close this window"]


# --- what the pseudo-catalogue shows about single pieces -----------------------------------

def test_default_reasons_are_translated_and_reasons_moderators_wrote_are_shown_as_written(client, session,
                                                                                          pseudo_locale):
    from tests.factories import grant

    moderator = make_user(session)
    grant(session, moderator, "moderator")
    consultation = make_consultation(session)
    off_topic = session.scalar(select(ReasonTemplate).where(ReasonTemplate.code == "off_topic"))
    duplicate = session.scalar(select(ReasonTemplate).where(ReasonTemplate.code == "duplicate"))
    moderation.save_reason(session, duplicate, code="duplicate", label="Posted twice (kept the first)",
                           message=duplicate.message, active=True, actor=moderator)
    written = moderation.save_reason(session, None, code="citation", label="Unsourced citation", message="",
                                     active=True, actor=moderator)
    for reason in (off_topic, duplicate, written):
        comment = add_comment(session, consultation, make_user(session), body="Text.")
        moderation.decide(session, comment, moderation.DecisionInput(action="reject", reason_id=reason.id),
                          expected_version=comment.version, actor=moderator)
    client.set_cookie(LOCALE_COOKIE, BASE_LANGUAGE)
    page = client.get(f"/consultations/{consultation.id}/moderation").text
    assert f"<td>{OPEN}Off-topic{CLOSE}</td>" in page  # shipped: through the catalogue
    assert "<td>Posted twice (kept the first)</td>" in page  # reworded by a moderator: as written
    assert "<td>Unsourced citation</td>" in page  # written by a moderator: as written


def test_the_pagination_line_is_in_the_catalogue(client, session, pseudo_locale):
    from tests.factories import make_organisation

    for _ in range(23):
        make_organisation(session)
    client.set_cookie(LOCALE_COOKIE, BASE_LANGUAGE)
    page = client.get("/organisations").text
    assert re.search(f"{OPEN}Showing 1–20 of \\d+{CLOSE}", page)
    assert f"{OPEN}Next page{CLOSE}" in page
