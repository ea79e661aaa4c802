"""One rule for the answer to a form post (app/core/handling.py): 200 when shown,
422 when the form does not validate, the DomainError's own status when the
service refuses (400, 403 PermissionDenied, 404 NotFound, 409 Conflict), and
a redirect after one commit when it succeeds."""

from __future__ import annotations

import pytest
from flask import get_flashed_messages
from werkzeug.exceptions import NotFound as HTTPNotFound
from wtforms import StringField
from wtforms.validators import DataRequired

from app.accounts.models import User
from app.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from app.core.forms import Form
from app.core.handling import get_or_404, handle_form
from app.moderation import services
from app.moderation.models import SanctionKind
from tests.factories import login, make_user
from tests.integration.test_moderation_support import make_moderator


class NameForm(Form):
    name = StringField(validators=[DataRequired()])


def _post(app, data, call):
    with app.test_request_context("/probe", method="POST", data=data):
        app.config["WTF_CSRF_ENABLED"], csrf = False, app.config.get("WTF_CSRF_ENABLED")
        try:
            form = NameForm()
            response = handle_form(form, call, render=lambda status: ("page", status), success="Saved.",
                                   redirect_to="/done")
            flashed = get_flashed_messages()
        finally:
            app.config["WTF_CSRF_ENABLED"] = csrf
    return form, response, flashed


@pytest.mark.parametrize(("error", "status"), [
    (DomainError("The consultation is closed.", field="name"), 400),
    (PermissionDenied("Not yours."), 403),
    (NotFound("Gone."), 404),
    (Conflict("Changed meanwhile."), 409),
])
def test_a_refused_service_answers_its_own_status_with_the_message_on_the_form(app, session, error, status):
    def refuse():
        raise error

    form, response, flashed = _post(app, {"name": "x"}, refuse)
    assert response == ("page", status)
    assert str(error.message) in [*form.name.errors, *form.form_errors]
    assert flashed == []


def test_a_form_that_does_not_validate_answers_422_without_calling_the_service(app, session):
    calls = []
    form, response, _flashed = _post(app, {"name": ""}, lambda: calls.append(1))
    assert response == ("page", 422) and calls == [] and form.name.errors


def test_success_commits_flashes_and_redirects(app, session):
    form, response, flashed = _post(app, {"name": "x"}, lambda: None)
    assert response.status_code == 302 and response.location == "/done"
    assert flashed == ["Saved."]


def test_get_or_404_checks_the_parent(app, session):
    user = make_user(session)
    assert get_or_404(User, user.id) is user
    assert get_or_404(User, user.id, email=user.email) is user
    with pytest.raises(HTTPNotFound):
        get_or_404(User, user.id, email="someone.else@example.org")
    with pytest.raises(HTTPNotFound):
        get_or_404(User, user.id + 10_000)
    with pytest.raises(HTTPNotFound):
        get_or_404(User, user.id, check=lambda row: False)


def test_lifting_a_lifted_sanction_answers_409_not_400(session, client):
    """The moderation pages answer with the service's own status."""
    moderator = make_moderator(session)
    offender = make_user(session)
    sanction = services.sanction_user(session, offender, kind=SanctionKind.WARNING, reason_text="Tone",
                                      actor=moderator)
    services.lift_sanction(session, sanction, reason_text="Apologised", actor=moderator)
    session.flush()
    login(client, moderator)
    response = client.post(f"/manage/moderation/sanctions/{sanction.id}/lift", data={"reason_text": "Again"})
    assert response.status_code == 409
    assert "already lifted" in response.get_data(as_text=True)
