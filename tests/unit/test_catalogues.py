"""Translation catalogues: complete, up to date with the code, well-formed, and
no user-visible text in templates that escapes translation."""

from __future__ import annotations

import csv
import importlib.util
import re
import sys
from functools import cache
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "templates"
GLOSSARY = ROOT / "app" / "translations" / "glossary"


def _load_i18n_script():
    spec = importlib.util.spec_from_file_location("i18n_script", ROOT / "scripts" / "i18n.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


i18n = _load_i18n_script()
LANGUAGES = i18n.languages()
# CLDR's plural rules as Babel applies them (French and Spanish have a "many" form for millions).
EXPECTED_PLURALS = {"fr": 3, "es": 3, "ru": 3, "ar": 6, "zh": 1}
PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|%[sdif]")
LONE_PERCENT = re.compile(r"%(?!\(\w+\)[sdif]|[sdif%])")


@cache
def catalogue(language: str) -> Catalog:
    with i18n.po_path(language).open("rb") as fh:
        return read_po(fh, locale=language)


@cache
def template_catalogue() -> Catalog:
    with i18n.POT.open("rb") as fh:
        return read_po(fh)


def keys(cat: Catalog) -> set:
    return {(m.context, m.id) for m in cat if m.id}


def describe(items) -> str:
    return "\n".join(f"  {item!r}" for item in sorted(items, key=repr)[:40])


# --- catalogues up to date and complete ------------------------------------------

def test_the_pot_file_matches_the_strings_in_the_code(tmp_path):
    fresh = i18n.extract(tmp_path / "fresh.pot")
    with fresh.open("rb") as fh:
        extracted = keys(read_po(fh))
    committed = keys(template_catalogue())
    missing, stale = extracted - committed, committed - extracted
    assert not missing and not stale, (
        "app/translations/messages.pot is out of date: run `make messages`, then translate.\n"
        f"New in the code:\n{describe(missing)}\nNo longer in the code:\n{describe(stale)}"
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_catalogue_holds_exactly_the_messages_of_the_pot(language):
    pot, po = keys(template_catalogue()), keys(catalogue(language))
    assert pot == po, (
        f"{language}: run `make messages` to merge the .pot.\n"
        f"Missing:\n{describe(pot - po)}\nExtra:\n{describe(po - pot)}"
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_translated_and_none_is_fuzzy(language):
    stats = i18n.catalogue_stats(language)
    assert stats.total > 0
    assert not stats.untranslated and not stats.fuzzy, (
        f"{language}: {len(stats.untranslated)} untranslated, {len(stats.fuzzy)} fuzzy "
        f"(see `python scripts/i18n.py stats -v`)\n"
        f"Untranslated:\n{describe(stats.untranslated)}\nFuzzy:\n{describe(stats.fuzzy)}"
    )


# --- well-formed translations ------------------------------------------------------

@pytest.mark.parametrize("language", LANGUAGES)
def test_plural_forms_match_the_language(language):
    cat = catalogue(language)
    assert cat.num_plurals == EXPECTED_PLURALS[language], cat.plural_forms
    for message in cat:
        if message.id and message.pluralizable:
            assert len(message.string) == cat.num_plurals, (language, message.id)


@pytest.mark.parametrize("language", LANGUAGES)
def test_placeholders_are_kept(language):
    """A translation uses exactly the placeholders of its msgid (plural forms may drop the count)."""
    problems = []
    for message in catalogue(language):
        if not message.id or message.fuzzy:
            continue
        if message.pluralizable:
            allowed = set(PLACEHOLDER.findall(message.id[0])) | set(PLACEHOLDER.findall(message.id[1]))
            named = allowed - {"%(num)s", "%(num)d"}
            for form in message.string:
                found = set(PLACEHOLDER.findall(form))
                if form and (found - allowed or named - found):
                    problems.append((message.id[0], form))
        elif message.string and set(PLACEHOLDER.findall(message.string)) != set(PLACEHOLDER.findall(message.id)):
            problems.append((message.id, message.string))
    # A lone "%" (e.g. "100 %") breaks the %-formatting of messages that take variables.
    for message in catalogue(language):
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.id and any(PLACEHOLDER.search(i) for i in ids):
            problems += [(ids[0], form) for form in forms if form and LONE_PERCENT.search(form)]
    assert not problems, f"{language}: placeholders changed:\n{describe(problems)}"


def test_arabic_uses_arabic_punctuation():
    """After Arabic words: ، ؛ ؟ rather than the Latin , ; ?"""
    latin_after_arabic = re.compile(r"[\u0600-\u06FF][,;?]")
    bad = []
    for message in catalogue("ar"):
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        bad += [form for form in forms if form and latin_after_arabic.search(form)]
    assert not bad, f"Latin punctuation after Arabic text:\n{describe(bad)}"


# --- glossary ----------------------------------------------------------------------

GLOSSARY_TERMS = {
    "draft measure", "provision", "regional focal point", "national point of contact", "means of delivery",
    "non-State actor", "dual-use items", "control list", "catch-all", "brokering", "transit",
    "trans-shipment", "end-user certificate", "competent authority", "addressed in this draft",
    "not addressed in this draft",
}
UN_NON_STATE_ACTOR = {"fr": "acteur non étatique", "es": "agente no estatal", "ru": "негосударственный субъект",
                      "ar": "الجهات من غير الدول", "zh": "非国家行为者"}


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_glossary_covers_the_1540_vocabulary(language):
    with (GLOSSARY / f"{language}.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert rows and list(rows[0]) == ["term", "translation", "note"]
    terms = {row["term"]: row["translation"] for row in rows}
    assert GLOSSARY_TERMS <= set(terms), sorted(GLOSSARY_TERMS - set(terms))
    assert all(row["translation"].strip() for row in rows)
    assert terms["non-State actor"] == UN_NON_STATE_ACTOR[language]


# --- templates: no text outside {{ _() }} / {% trans %} ------------------------------

# Names that stay as they are in every language (the platform, file formats,
# a hash algorithm), and the e-mail templates' header line.
ALLOWED_TEXT = {"Agora 1540", "1540", "·", "—", "CSV", "PDF", "SHA-256", "Subject:"}
VISIBLE_ATTRIBUTES = {"alt", "title", "placeholder", "aria-label", "aria-description", "aria-roledescription",
                      "aria-valuetext", "label"}
JINJA = [
    re.compile(r"{#.*?#}", re.S),  # comments
    re.compile(r"{%-?\s*(trans|pluralize)\b.*?{%-?\s*endtrans\s*-?%}", re.S),  # translated blocks
    re.compile(r"{%-?\s*raw\s*-?%}.*?{%-?\s*endraw\s*-?%}", re.S),
    # a block holding one identifier is a value for the layout ({% block section %}users{% endblock %})
    re.compile(r"{%-?\s*block\s+\w+\s*-?%}\s*[a-z_][a-z0-9_-]*\s*{%-?\s*endblock\b.*?%}", re.S),
    re.compile(r"{{.*?}}", re.S),
    re.compile(r"{%.*?%}", re.S),
]


class _VisibleText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[tuple[int, str]] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        attributes = dict(attrs)
        for name, value in attrs:
            shown_value = tag == "input" and name == "value" and attributes.get("type") in ("submit", "button", "reset")
            if value and (name in VISIBLE_ATTRIBUTES or shown_value):
                self.chunks.append((self.getpos()[0], value))

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.chunks.append((self.getpos()[0], data))


def _without_jinja(source: str) -> str:
    """Jinja constructs replaced by spaces, keeping line numbers."""
    for pattern in JINJA:
        source = pattern.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), source)
    return source


def untranslated_text(source: str, *, html: bool = True) -> list[tuple[int, str]]:
    """(line, text) of words a user would see that are not inside a translation call."""
    stripped = _without_jinja(source)
    if html:
        parser = _VisibleText()
        parser.feed(stripped)
        parser.close()
        chunks = parser.chunks
    else:
        chunks = [(n, line) for n, line in enumerate(stripped.splitlines(), 1)]
    found = []
    for line, text in chunks:
        for allowed in sorted(ALLOWED_TEXT, key=len, reverse=True):
            text = text.replace(allowed, " ")
        letter = re.search(r"[^\W\d_]", text)  # any letter, in any script
        if letter:
            found.append((line + text[: letter.start()].count("\n"), " ".join(text.split())))
    return found


def test_the_scanner_finds_untranslated_text():
    source = (
        '{% extends "base.html" %}{# a comment #}\n'
        '<h1>{{ _("Fine") }}</h1> <p>{% trans %}Also fine{% endtrans %}</p>\n'
        '<p>Forgotten words</p>\n'
        '<img src="x.png" alt="A chart"> <input type="submit" value="Send">\n'
        '<a href="/x" class="btn">{{ _("Ok") }}</a> — 1540 · Agora 1540 &nbsp; 12:00\n'
        '<button aria-label="Close">×</button> <button name="action" value="preview">{{ _("Preview") }}</button>\n'
    )
    assert untranslated_text(source) == [(3, "Forgotten words"), (4, "A chart"), (4, "Send"), (6, "Close")]
    assert untranslated_text("Subject: {{ _('Hi') }}\n\nDear {{ name }},\n", html=False) == [(3, "Dear ,")]


def _templates() -> list[Path]:
    return sorted(p for p in TEMPLATES.rglob("*") if p.suffix in (".html", ".txt"))


@pytest.mark.parametrize("path", _templates(), ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_templates_have_no_untranslated_text(path):
    found = untranslated_text(path.read_text(encoding="utf-8"), html=path.suffix == ".html")
    assert not found, f"{path.relative_to(ROOT)} has text outside {{{{ _() }}}} / {{% trans %}}:\n" + "\n".join(
        f"  line {line}: {text!r}" for line, text in found
    )
