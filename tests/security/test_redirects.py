"""The ``next`` of the sign-in form only ever leads to a path on this site.

Payloads: PayloadsAllTheThings' open-redirect lists, copied into tests/data/corpora.
Each is tried as the form's hidden field and raw in the query string (so the
server also sees its percent-decoded form), and when already signed in.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urljoin, urlsplit

import pytest

from tests.conftest import CORPORA
from tests.factories import DEFAULT_PASSWORD, make_user
from tests.integration import test_accounts_helpers as helpers

client = helpers.client  # fixture

CORPUS = CORPORA / "payloadsallthethings" / "open_redirect"


def _payloads() -> list[str]:
    lines = set()
    for file in sorted(CORPUS.glob("*.txt")):
        for line in file.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.strip():
                lines.add(line)
    return sorted(lines)


PAYLOADS = _payloads()


def test_the_corpus_is_there():
    assert len(PAYLOADS) > 250


def assert_same_origin_path(location: str) -> None:
    assert location.startswith("/"), location
    assert not location.startswith("//"), location
    assert "\\" not in location, location
    assert not any(ord(ch) <= 32 or ord(ch) == 127 for ch in location), location
    parts = urlsplit(location)
    assert not parts.scheme and not parts.netloc, location
    # What a browser would do with it, relative to our page:
    assert urlsplit(urljoin("https://agora.example/login", location)).netloc == "agora.example", location


@pytest.mark.parametrize("payload", PAYLOADS)
def test_login_never_redirects_off_site(app, session, payload):
    user = make_user(session)
    credentials = {"email": user.email, "password": DEFAULT_PASSWORD}

    as_field = helpers.fresh_client(app)
    response = as_field.post("/login", data={**credentials, "next": payload})
    assert response.status_code == 302
    assert_same_origin_path(response.location)

    # Already signed in: /login?next=... redirects at once.
    again = as_field.get("/login", query_string={"next": payload})
    assert again.status_code == 302
    assert_same_origin_path(again.location)

    # Raw in the query string, as a crafted link would carry it.
    raw = helpers.fresh_client(app)
    page = raw.get("/login?next=" + quote(payload, safe="/?&=%:@;"))
    assert not re.search(r"<script(?![^>]*\ssrc=)", page.text, re.I)  # the payload is escaped
    response = raw.post("/login?next=" + quote(payload, safe="/?&=%:@;"), data=credentials)
    assert response.status_code == 302
    assert_same_origin_path(response.location)


@pytest.mark.parametrize("target", ["/account", "/account?tab=password", "/consultations/12#comment-3"])
def test_local_targets_are_kept(app, session, target):
    user = make_user(session)
    response = helpers.fresh_client(app).post(
        "/login", data={"email": user.email, "password": DEFAULT_PASSWORD, "next": target})
    assert response.location == target
