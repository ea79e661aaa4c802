"""Agora 1540: consultation platform for draft national measures under UNSCR 1540."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Flask

from config import Config, config_from_env

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: type[Config] | None = None, **overrides: Any) -> Flask:
    """Build the application. Nothing touches the database here."""
    config = config or config_from_env()
    if config.ENV_NAME not in ("development", "testing"):
        config.validate()

    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(ROOT / "instance"),
    )
    app.config.from_object(config)
    app.config.update(overrides)
    logging.basicConfig(level=logging.INFO)

    _init_extensions(app)
    _init_core(app)
    _register_blueprints(app)
    _register_cli(app)
    return app


def _init_extensions(app: Flask) -> None:
    from app.core.i18n import select_locale, select_timezone
    from app.extensions import babel, csrf, db, limiter, login_manager

    db.init_app(app)
    csrf.init_app(app)
    babel.init_app(
        app,
        locale_selector=select_locale,
        timezone_selector=select_timezone,
        default_translation_directories=str(ROOT / "app" / "translations"),
    )
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config.get("REDIS_URL") or "memory://")
    app.config["RATELIMIT_HEADERS_ENABLED"] = True
    limiter.init_app(app)
    login_manager.init_app(app)


def _init_core(app: Flask) -> None:
    from app.accounts import sessions
    from app.core import authz, cache, errors, i18n, security
    from app.core.mail import init_app as init_mail

    sessions.init_app(app)
    authz.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    i18n.init_app(app)
    cache.init_app(app)
    init_mail(app)


def _register_blueprints(app: Flask) -> None:
    from app.accounts.org_views import bp as organisations_bp
    from app.accounts.views import bp as accounts_bp
    from app.admin.views import bp as admin_bp
    from app.api.views import bp as api_bp
    from app.comments.views import bp as comments_bp
    from app.consultations.views import bp as consultations_bp
    from app.core.health import bp as health_bp
    from app.digests.views import bp as digests_bp
    from app.geography.views import bp as geography_bp
    from app.insight.views import bp as insight_bp
    from app.moderation.views import bp as moderation_bp
    from app.site.views import bp as site_bp
    from app.summaries.views import bp as summaries_bp

    for bp in (site_bp, health_bp, accounts_bp, organisations_bp, geography_bp, admin_bp, consultations_bp,
               comments_bp, moderation_bp, summaries_bp, digests_bp, insight_bp, api_bp):
        app.register_blueprint(bp)


def _register_cli(app: Flask) -> None:
    from app.accounts.cli import register as register_accounts
    from app.comments.cli import register as register_comments
    from app.consultations.cli import register as register_consultations
    from app.core.cli import register as register_core
    from app.digests.cli import register as register_digests
    from app.geography.cli import register as register_geography
    from app.moderation.cli import register as register_moderation
    from app.site.demo import register as register_demo

    for register in (register_core, register_accounts, register_geography, register_consultations,
                     register_comments, register_moderation, register_digests, register_demo):
        register(app)
