"""Import every domain's models so the metadata is complete (Alembic, tests)."""


def load_all_models() -> None:
    import app.accounts.models  # noqa: F401
    import app.accounts.personal_models  # noqa: F401
    import app.accounts.policy_pages  # noqa: F401
    import app.comments.models  # noqa: F401
    import app.consultations.models  # noqa: F401
    import app.consultations.translation_models  # noqa: F401
    import app.core.models  # noqa: F401
    import app.digests.models  # noqa: F401
    import app.geography.models  # noqa: F401
    import app.moderation.models  # noqa: F401
    import app.summaries.models  # noqa: F401
    import app.summaries.translation_models  # noqa: F401
