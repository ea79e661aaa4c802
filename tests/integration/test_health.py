def test_healthz_answers_when_the_process_is_up(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_readyz_answers_when_the_database_does(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json["database"] == "ok"


def test_readyz_is_503_when_the_database_is_unreachable(app):
    from app import create_app
    from config import TestingConfig

    broken = create_app(TestingConfig, DATABASE_URL="postgresql+psycopg://nobody@127.0.0.1:1/none")
    response = broken.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["status"] == "unavailable"


# --- the schema: the database's revision against the code's head ----------------------------

def _scratch_app(url: str):
    from app import create_app
    from config import TestingConfig

    return create_app(TestingConfig, DATABASE_URL=url)


def test_readyz_is_503_and_says_why_while_the_schema_is_behind(scratch_url):
    from alembic import command
    from alembic.script import ScriptDirectory

    from app.core.cli import alembic_config
    from app.core.db import db

    app = _scratch_app(scratch_url)
    with app.app_context():
        scripts = ScriptDirectory.from_config(alembic_config())
        head = scripts.get_current_head()
        previous = scripts.get_revision(head).down_revision
        command.upgrade(alembic_config(), previous)
    client = app.test_client()
    try:
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.json["schema"] == "behind"
        assert response.json["database_revision"] == previous
        assert response.json["code_revision"] == head

        with app.app_context():
            command.upgrade(alembic_config(), "head")
        response = client.get("/readyz")
        assert response.status_code == 200
        assert response.json["schema"] == "ok"
    finally:
        db.state(app).engine.dispose()


def test_readyz_is_503_on_an_empty_database(scratch_url):
    from app.core.db import db

    app = _scratch_app(scratch_url)
    try:
        response = app.test_client().get("/readyz")
        assert response.status_code == 503
        assert response.json["schema"] == "behind"
        assert response.json["database_revision"] is None
    finally:
        db.state(app).engine.dispose()


def test_db_downgrade_accepts_alembic_relative_steps(scratch_url):
    from alembic.script import ScriptDirectory

    from app.core.cli import alembic_config
    from app.core.db import db

    app = _scratch_app(scratch_url)
    runner = app.test_cli_runner()
    try:
        assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
        with app.app_context():
            scripts = ScriptDirectory.from_config(alembic_config())
            head = scripts.get_current_head()
            one_down = scripts.get_revision(head).down_revision
            two_down = scripts.get_revision(one_down).down_revision

        result = runner.invoke(args=["db", "downgrade", "-1"])
        assert result.exit_code == 0, result.output
        assert app.test_client().get("/readyz").json["database_revision"] == one_down

        assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
        result = runner.invoke(args=["db", "downgrade", "-2"])
        assert result.exit_code == 0, result.output
        assert app.test_client().get("/readyz").json["database_revision"] == two_down
    finally:
        db.state(app).engine.dispose()
