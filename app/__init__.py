"""Agora 1540: consultation platform for draft national measures under UNSCR 1540."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

from app.core.logs import configure_logging
from config import Config, FrozenConfig, config_from_env

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: type[Config] | None = None, **overrides: Any) -> Flask:
    """Build the application. Nothing touches the database here. ``overrides``: settings
    of this application only (a test's database, a bench's key prefix); they are
    validated with the profile, and the configuration is read-only once built."""
    config = config or config_from_env()

    from app.core.transactions import RetryingFlask

    app = RetryingFlask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(ROOT / "instance"),
    )
    app.config = FrozenConfig(app.config.root_path, app.config)
    app.config.from_object(config)
    app.config.update(overrides)
    # Every profile: a development or test set-up that could not run in production fails too.
    config.validate(app.config)
    configure_logging()

    _init_extensions(app)
    _init_core(app)
    _register_blueprints(app)
    _install_hooks()
    _register_cli(app)
    app.config.freeze()
    return app


def _install_hooks() -> None:
    """Rules of upper packages that lower ones call (docs/ARCHITECTURE.md, "Hooks")."""
    from app.comments import hooks
    from app.moderation.hooks import install

    install()
    if not hooks.installed():  # deny by default: never serve with sanctions unenforced
        raise RuntimeError("the comment hooks are not installed")

    from app.digests.hooks import register_section
    from app.insight.digest_overview import overview_sections

    register_section(overview_sections)  # a regional focal point's digest carries the overview


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
    limiter.init_app(app)
    login_manager.init_app(app)


def _init_core(app: Flask) -> None:
    from app.accounts import sessions
    from app.api import auth as api_auth
    from app.core import authz, cache, chrome, errors, i18n, security
    from app.core.mail import init_app as init_mail
    from app.core.urls import init_app as init_urls

    sessions.init_app(app)
    api_auth.init_app(app)  # bearer tokens on /api/: before the access check
    authz.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    i18n.init_app(app)
    cache.init_app(app)
    chrome.init_app(app)
    init_mail(app)
    init_urls(app)


def _register_blueprints(app: Flask) -> None:
    from app.accounts.org_views import bp as organisations_bp
    from app.accounts.token_views import bp as tokens_bp
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
    from app.opendata.views import bp as opendata_bp
    from app.privacy.views import bp as privacy_bp
    from app.site.policies import bp as policies_bp
    from app.site.views import bp as site_bp
    from app.summaries.views import bp as summaries_bp

    for bp in (site_bp, health_bp, accounts_bp, organisations_bp, geography_bp, admin_bp, consultations_bp,
               comments_bp, moderation_bp, summaries_bp, digests_bp, insight_bp, api_bp, tokens_bp, privacy_bp,
               opendata_bp, policies_bp):
        app.register_blueprint(bp)


def _register_cli(app: Flask) -> None:
    from app.accounts.cli import register as register_accounts
    from app.comments.cli import register as register_comments
    from app.consultations.cli import register as register_consultations
    from app.core.cli import register as register_core
    from app.digests.cli import register as register_digests
    from app.geography.cli import register as register_geography
    from app.moderation.cli import register as register_moderation
    from app.opendata.cli import register as register_opendata
    from app.privacy.cli import register as register_privacy
    from app.site.demo import register as register_demo

    for register in (register_core, register_accounts, register_geography, register_consultations,
                     register_comments, register_moderation, register_digests, register_demo, register_privacy,
                     register_opendata):
        register(app)
