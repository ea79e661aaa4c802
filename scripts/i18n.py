"""Translation catalogues: extract, update, compile, report.

    python scripts/i18n.py messages   # extract + update every catalogue + report (`make messages`)
    python scripts/i18n.py extract    # app/ and templates/ -> app/translations/messages.pot
    python scripts/i18n.py update     # merge the .pot into <lang>/LC_MESSAGES/messages.po (creates missing ones)
    python scripts/i18n.py compile    # .po -> .mo (git-ignored)
    python scripts/i18n.py stats [--check]  # untranslated / fuzzy counts; --check exits 1 if any

Languages come from config.Config.LANGUAGES (all but the default locale).
Babel runs in-process, so the script needs only the virtual environment's Python.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "app" / "translations"
POT = TRANSLATIONS / "messages.pot"
MAPPING = ROOT / "babel.cfg"

# flask-babel's lazy variants, under the names the code imports them as.
KEYWORDS = ["_l", "lazy_gettext", "_ln:1,2", "lazy_ngettext:1,2", "lazy_pgettext:1c,2"]


def languages() -> list[str]:
    sys.path.insert(0, str(ROOT))
    from config import Config

    return [code for code in Config.LANGUAGES if code != Config.BABEL_DEFAULT_LOCALE]


def _pybabel(*args: str) -> None:
    CommandLineInterface().run(["pybabel", "-q", *args])


def extract(output: Path = POT) -> Path:
    """Extract every translatable string of app/ and templates/ into ``output``."""
    # --ignore-dirs replaces Babel's default, which also skips every directory whose
    # name starts with "_" (templates/_macros held strings no catalogue had).
    args = ["extract", "-F", str(MAPPING), "-o", str(output), "--sort-by-file", "--add-location=file",
            "--ignore-dirs", ".* __pycache__",
            "-c", "Translators:", "--project", "Agora 1540", "--copyright-holder", "Agora 1540",
            "--msgid-bugs-address", "translations@agora1540.invalid", "--version", "0.1", "--width", "100"]
    for keyword in KEYWORDS:
        args += ["-k", keyword]
    output.parent.mkdir(parents=True, exist_ok=True)
    cwd = os.getcwd()
    os.chdir(ROOT)  # babel.cfg patterns and the location comments are relative to the project root
    try:
        _pybabel(*args, ".")
    finally:
        os.chdir(cwd)
    return output


def po_path(language: str) -> Path:
    return TRANSLATIONS / language / "LC_MESSAGES" / "messages.po"


def update() -> None:
    """Merge the .pot into each catalogue, creating the missing ones (pybabel init sets Plural-Forms)."""
    for language in languages():
        if po_path(language).exists():
            _pybabel("update", "-i", str(POT), "-d", str(TRANSLATIONS), "-l", language,
                     "--ignore-obsolete", "--width", "100")
        else:
            _pybabel("init", "-i", str(POT), "-d", str(TRANSLATIONS), "-l", language, "--width", "100")


def compile_catalogues(only_stale: bool = False) -> list[str]:
    """Write each .mo next to its .po; fuzzy entries are left out.

    Each file is written to a temporary name and renamed, so a process that
    reads the catalogues meanwhile (a running app, a parallel test run) never
    sees half a file. ``only_stale`` skips catalogues whose .mo is newer.
    """
    compiled = []
    for language in languages():
        po, mo = po_path(language), po_path(language).with_suffix(".mo")
        if only_stale and mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as fh:
            catalog = read_po(fh, locale=language)
        temporary = mo.with_name(f".{mo.name}.{os.getpid()}.tmp")
        with temporary.open("wb") as fh:
            write_mo(fh, catalog)
        os.replace(temporary, mo)
        compiled.append(language)
    return compiled


@dataclass
class CatalogueStats:
    language: str
    total: int
    untranslated: list[str]
    fuzzy: list[str]


def catalogue_stats(language: str) -> CatalogueStats:
    with po_path(language).open("rb") as fh:
        catalog = read_po(fh, locale=language)
    untranslated, fuzzy, total = [], [], 0
    for message in catalog:
        if not message.id:
            continue  # the header
        total += 1
        msgid = message.id[0] if isinstance(message.id, tuple) else message.id
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy:
            fuzzy.append(msgid)
        elif not all(strings):
            untranslated.append(msgid)
    return CatalogueStats(language, total, untranslated, fuzzy)


def report(verbose: bool = False) -> bool:
    """Print the state of each catalogue; True if all are complete."""
    complete = True
    print(f"{'language':<10}{'messages':>10}{'untranslated':>14}{'fuzzy':>8}")
    for language in languages():
        if not po_path(language).exists():
            print(f"{language:<10}{'missing':>10}")
            complete = False
            continue
        stats = catalogue_stats(language)
        print(f"{language:<10}{stats.total:>10}{len(stats.untranslated):>14}{len(stats.fuzzy):>8}")
        if stats.untranslated or stats.fuzzy:
            complete = False
            if verbose:
                for msgid in stats.untranslated:
                    print(f"    untranslated: {msgid!r}")
                for msgid in stats.fuzzy:
                    print(f"    fuzzy:        {msgid!r}")
    return complete


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["messages", "extract", "update", "compile", "stats"], nargs="?",
                        default="messages")
    parser.add_argument("--check", action="store_true", help="exit 1 if a catalogue is incomplete")
    parser.add_argument("-v", "--verbose", action="store_true", help="list the untranslated and fuzzy msgids")
    args = parser.parse_args(argv)
    if args.command in ("messages", "extract"):
        extract()
    if args.command in ("messages", "update"):
        update()
    if args.command == "compile":
        print("compiled:", ", ".join(compile_catalogues()) or "nothing")
        return 0
    if args.command in ("messages", "stats"):
        complete = report(verbose=args.verbose)
        if args.check and not complete:
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
