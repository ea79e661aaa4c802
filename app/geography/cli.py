"""``flask geography load``."""

from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from app.core.db import db


@click.group("geography", help="Countries, regional organisations, 1540 obligations.")
def geography_group() -> None:
    pass


@geography_group.command("load")
@with_appcontext
def load() -> None:
    """Load or refresh the data files in data/."""
    from app.geography.services import load_geography

    report = load_geography(db.session, Path(current_app.config["DATA_DIR"]))
    db.session.commit()
    click.echo(
        f"geography: {report.countries} countries, {report.regions} regional organisations "
        f"({report.memberships} memberships), {report.obligations} obligation codes"
    )
    _report_translations()


def _report_translations() -> None:
    """Say which languages still show some names in English (data/i18n/ lacks their codes)."""
    from sqlalchemy import select

    from app.geography.models import Obligation, Region
    from app.geography.names import untranslated

    codes = {"obligations": list(db.session.scalars(select(Obligation.code))),
             "regions": list(db.session.scalars(select(Region.code)))}
    for language in current_app.config["LANGUAGES"]:
        if language == current_app.config["BABEL_DEFAULT_LOCALE"]:
            continue
        missing = {kind: untranslated(kind, found, language) for kind, found in codes.items()}
        if any(missing.values()):
            click.echo(f"geography: in {language}, shown in English until data/i18n/ names them: "
                       + ", ".join(f"{kind} {' '.join(m[:10])}{' …' if len(m) > 10 else ''}"
                                   for kind, m in missing.items() if m))


def register(app: Flask) -> None:
    app.cli.add_command(geography_group)
