"""The site's header and footer are kept (app/core/chrome.py): each page after
the first serves them without rendering them again, and what a reader sees in
them is still theirs and up to date: their CSRF token, the address the language
switcher returns to, their counts, their name, their roles, their language."""

from __future__ import annotations

import re

from app.accounts.models import Role
from app.comments.models import NotificationKind
from app.comments.notifications import add_notification
from app.core.cache import page_cache
from tests.factories import grant, login, make_user


def _header(html: str) -> str:
    return html[html.index('<header class="site-header">'):html.index("</header>")]


def _page(client, url: str = "/consultations") -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_second_page_serves_the_kept_header_and_footer(app, client, session):
    login(client, make_user(session, display_name="Nadia Haddad"))
    _page(client)
    cache = page_cache(app)
    renders, hits = cache.chrome_renders, cache.chrome_hits
    second = _page(client)
    assert cache.chrome_renders == renders
    assert cache.chrome_hits == hits + 2  # the header and the footer
    assert "Nadia Haddad" in _header(second)
    assert 'id="time-zone"' in second


def test_the_kept_header_carries_this_session_s_csrf_token(app, client, session):
    login(client, make_user(session))
    _page(client)
    page = _page(client)
    token = re.search(r'action="/logout"[^>]*>\s*<input type="hidden" name="csrf_token" value="([^"]+)"', page)
    assert token, "the sign-out form has no CSRF token"
    response = client.post("/logout", data={"csrf_token": token.group(1)})
    assert response.status_code == 302
    assert "Sign in" in _header(_page(client))


def test_the_language_switcher_comes_back_to_this_address_escaped(client, session):
    _page(client, "/consultations?status=open")
    page = _page(client, '/consultations?q="><script>alert(1)</script>')
    field = re.search(r'name="next" value="([^"]*)"', page).group(1)
    assert field == "/consultations?q=&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"
    assert "<script>alert(1)" not in page
    other = _page(client, "/consultations?status=open")
    assert re.search(r'name="next" value="([^"]*)"', other).group(1) == "/consultations?status=open"


def test_counts_change_in_the_kept_header(client, session):
    reader = make_user(session)
    login(client, reader)
    assert "unread</span>" not in _header(_page(client))
    add_notification(session, user_id=reader.id, kind=NotificationKind.REPLY, dedupe_key="chrome-1",
                     consultation_id=None)
    session.flush()
    assert re.search(r">1<span class=\"visually-hidden\"> unread</span>", _header(_page(client)))


def test_name_roles_page_and_language_are_each_their_own_header(client, session):
    reader = make_user(session, display_name="First Name")
    login(client, reader)
    header = _header(_page(client))
    assert "First Name" in header and "Review queue" not in header
    assert 'aria-current="page">Consultations' in header

    reader._display_name = "Second Name"
    session.flush()
    assert "Second Name" in _header(_page(client))

    grant(session, reader, Role.MODERATOR)
    header = _header(_page(client))
    assert "Review queue" in header

    regions = _header(_page(client, "/regions"))
    assert 'aria-current="page">Regional organisations' in regions
    assert 'aria-current="page">Consultations' not in regions

    token = re.search(r'name="csrf_token" value="([^"]+)"', _page(client)).group(1)
    client.post("/language", data={"csrf_token": token, "language": "fr", "next": "/consultations"})
    assert "Se déconnecter" in _header(_page(client))
