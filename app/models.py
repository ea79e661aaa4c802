"""Import every domain's models so the metadata is complete (Alembic, tests)."""


def load_all_models() -> None:
    import app.accounts.models  # noqa: F401
    import app.core.models  # noqa: F401
    import app.geography.models  # noqa: F401
