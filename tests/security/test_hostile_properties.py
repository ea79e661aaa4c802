"""Property: whatever query string and whatever integers in the path, no GET
route answers 5xx, for a visitor, a participant, a moderator or an admin.

Bounded for CI: a few dozen examples per role, drawn across every GET rule
of the URL map."""

from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import login
from tests.security.test_permissions import samples  # noqa: F401 - the users and objects of every role

ROLES = ("anonymous", "participant", "moderator", "admin")
_ARG = re.compile(r"<(?:(?P<conv>[a-z]+)(?:\([^)]*\))?:)?(?P<name>[a-z_]+)>")

# Keys url_for or the views might treat specially, and ordinary filter names.
KEYS = st.one_of(st.sampled_from(["_method", "_external", "_anchor", "_scheme", "endpoint", "values", "page",
                                  "per_page", "cpage", "consultation_id", "comment_id", "parent", "section",
                                  "version", "status", "q", "country", "region", "obligation", "next", "sort",
                                  "point", "comment", "a", "b", "code", "action", "actor", "date_from"]),
                 st.text(min_size=1, max_size=12))
# Integers beyond 64 bits are what the database drivers overflow on.
INTEGERS = st.one_of(st.integers(min_value=-(2**70), max_value=2**70),
                     st.sampled_from([0, 1, 2, 2**31 - 1, 2**31, 2**63 - 1, 2**63]))
VALUES = st.one_of(INTEGERS.map(str), st.text(max_size=24), st.sampled_from(["²", "1e9", "-0", " 1", "%00", "\x00"]))


def _get_rules(app) -> list[str]:
    return sorted(rule.rule for rule in app.url_map.iter_rules()
                  if "GET" in rule.methods and rule.endpoint != "static")


@st.composite
def requests(draw, rules: list[str], ids: list[int]):
    rule = draw(st.sampled_from(rules))

    def fill(match: re.Match) -> str:
        if match.group("conv") == "int":
            return str(draw(st.one_of(st.sampled_from(ids), INTEGERS)))
        return draw(st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="/?#"),
                            min_size=1, max_size=16))

    path = _ARG.sub(fill, rule)
    query = draw(st.lists(st.tuples(KEYS, VALUES), max_size=4))
    return path, urlencode(query)


@pytest.mark.parametrize("role", ROLES)
def test_no_get_route_answers_5xx_to_crafted_paths_and_queries(role, samples, client, app):  # noqa: F811
    users, known = samples
    if role != "anonymous":
        assert login(client, users[role]).status_code == 302
    rules = _get_rules(app)
    ids = sorted({v for v in known.values() if isinstance(v, int)})

    @settings(max_examples=120, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(requests(rules, ids))
    def check(request):
        path, query = request
        response = client.get(f"{path}?{query}" if query else path)
        response.get_data()
        assert response.status_code < 500, f"GET {path}?{query} as {role}: {response.status_code}"

    check()
