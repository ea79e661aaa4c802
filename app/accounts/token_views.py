"""Account pages for personal access tokens (the read API's bearer tokens)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length

from app.accounts import access_tokens
from app.accounts.personal_models import TokenScope
from app.core.authz import login_required
from app.core.db import db, utcnow
from app.core.errors import DomainError, NotFound
from app.core.forms import Form

bp = Blueprint("tokens", __name__)

NEVER = "never"


def scope_labels() -> dict[str, str]:
    return {TokenScope.READ_PUBLIC: _("Read public: sees what a visitor sees"),
            TokenScope.READ_AS_ME: _("Read as me: sees what you see when signed in")}


def _expiry_choices() -> list[tuple[str, str]]:
    choices = [(str(days), ngettext("%(num)d day", "%(num)d days", days)) for days in access_tokens.EXPIRY_DAYS if days]
    return [*choices, (NEVER, _("Never expires"))]


class TokenForm(Form):
    name = StringField(_l("Name"), validators=[DataRequired(message=_l("Give the token a name.")),
                                               Length(max=100, message=_l("Use at most %(max)d characters."))])
    scope = SelectField(_l("What it may read"))
    expires_in = SelectField(_l("Expires after"), default="90")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.scope.choices = list(scope_labels().items())
        self.expires_in.choices = _expiry_choices()

    def expiry_days(self) -> int | None:
        return None if self.expires_in.data == NEVER else int(self.expires_in.data)


@bp.route("/account/tokens", methods=["GET", "POST"])
@login_required
def list_tokens():
    user = current_user._get_current_object()
    form = TokenForm()
    secret = None
    if form.validate_on_submit():
        try:
            token, secret = access_tokens.create_token(
                db.session, user, name=form.name.data, scope=form.scope.data,
                expires_in_days=form.expiry_days(), actor=user)
        except DomainError as err:
            form.add_domain_error(err)
        else:
            db.session.commit()
            form = TokenForm(formdata=None)
    status = 400 if request.method == "POST" and secret is None else 200
    page = render_template("accounts/tokens.html", form=form, secret=secret,
                           tokens=access_tokens.tokens_of(db.session, user), now=utcnow(),
                           scopes=scope_labels())
    # The secret is on this page only: no cache may keep it.
    return page, status, {"Cache-Control": "no-store"}


@bp.post("/account/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int):
    user = current_user._get_current_object()
    try:
        token = access_tokens.load_own_token(db.session, user, token_id)
    except NotFound:
        abort(404)
    access_tokens.revoke_token(db.session, token, actor=user)
    db.session.commit()
    flash(_("The token %(name)s was revoked. Programs using it can no longer read the API.", name=token.name),
          "success")
    return redirect(url_for(".list_tokens"))
