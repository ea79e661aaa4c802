"""The read API against its own OpenAPI document, property-based.

For every GET operation the document (as served by the app) describes,
hypothesis draws path and query parameters from their schemas
(hypothesis-jsonschema), mixed with ids that exist, cursors of other lists
and hostile strings (the Big List of Naughty Strings), and calls the live app
as a visitor, as the holder of a token and with a broken token. Whatever it
sends: never a 5xx; every 200 matches the operation's response schema, with
no field the document does not declare; every 4xx is the error object.
Deterministic (derandomised) and bounded, so it runs in seconds.
"""

from __future__ import annotations

import copy
import json
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema
from jsonschema import Draft202012Validator

from app.accounts import access_tokens
from app.accounts.personal_models import TokenScope
from app.consultations.models import Visibility
from tests.conftest import CORPORA
from tests.integration.test_api import _digest
from tests.integration.test_api_dispositions import _with_disposition
from tests.integration.test_comments_fixtures import make_consultation
from tests.integration.test_summaries_support import focal_point

EXAMPLES_PER_OPERATION = 30
NAUGHTY = [s for s in json.loads((CORPORA / "blns" / "blns.json").read_text(encoding="utf-8"))
           if s.encode("utf-8", "surrogatepass") == s.encode("utf-8", "ignore")][:400]
BROKEN_TOKENS = ["Bearer ", "Bearer agora_" + "A" * 43, "Bearer " + "x" * 300, "Basic dXNlcjpwYXNz", "bearer",
                 "Bearer agora_\t", "Bearer ' OR 1=1 --"]


def _encodable(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


HOSTILE = st.one_of(st.sampled_from(NAUGHTY), st.text(max_size=60).filter(_encodable))


def weighted(*choices: tuple[int, st.SearchStrategy]) -> st.SearchStrategy:
    """One of the strategies, each drawn in proportion to its weight."""
    return st.sampled_from([strategy for weight, strategy in choices for _ in range(weight)]).flatmap(
        lambda strategy: strategy)


# --- the document's schemas, strict ----------------------------------------------------


def _resolve(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        *_, kind, name = node["$ref"].split("/")
        node = document["components"][kind][name]
    return node


def _strict(document: dict[str, Any], node: Any) -> Any:
    """The schema with every described object closed (no undeclared fields); an ``allOf``
    of objects becomes the one object it describes."""
    if isinstance(node, list):
        return [_strict(document, item) for item in node]
    if not isinstance(node, dict):
        return node
    if "allOf" in node:
        merged: dict[str, Any] = {"type": "object", "properties": {}, "required": []}
        for part in node["allOf"]:
            part = _resolve(document, part)
            merged["properties"].update(part.get("properties", {}))
            merged["required"] += part.get("required", [])
        node = merged
    node = {key: _strict(document, value) for key, value in node.items()}
    if node.get("type") == "object" and "properties" in node and "additionalProperties" not in node:
        node["additionalProperties"] = False
    return node


def _validator(document: dict[str, Any], schema: dict[str, Any]) -> Draft202012Validator:
    strict_components = {"schemas": _strict(document, copy.deepcopy(document["components"]["schemas"]))}
    root = {"$schema": "https://json-schema.org/draft/2020-12/schema", "components": strict_components,
            **_strict(document, schema)}
    Draft202012Validator.check_schema(root)
    return Draft202012Validator(root)


# --- what exists, to reach the 200s ---------------------------------------------------


@pytest.fixture()
def world(session, client):
    consultation, comments, disposition = _with_disposition(session)
    invited = make_consultation(session, visibility=Visibility.INVITED)
    katrin = focal_point(session)
    digest = _digest(session, katrin, "W2026-48")
    _token, raw = access_tokens.create_token(session, katrin, name="sync", scope=TokenScope.READ_AS_ME,
                                             expires_in_days=30, actor=katrin)
    _public, raw_public = access_tokens.create_token(session, katrin, name="public", scope=TokenScope.READ_PUBLIC,
                                                     expires_in_days=30, actor=katrin)
    headers = {"Authorization": f"Bearer {raw}"}
    cursors = [client.get(path, query_string={"per_page": 1}, headers=headers).get_json()["next_cursor"]
               for path in ("/api/v1/consultations", f"/api/v1/consultations/{consultation.id}/comments",
                            "/api/v1/me/digests")]
    _digest(session, katrin, "W2026-49")
    return {
        "ids": {"consultation_id": [consultation.id, invited.id], "digest_id": [digest.id],
                "code": ["OSCE", "AU", "osce"]},
        "cursors": [c for c in cursors if c],
        # A visitor, the token's owner, a token that reads as a visitor, a token that is no token.
        "callers": weighted((4, st.just({})), (4, st.just(headers)),
                            (1, st.just({"Authorization": f"Bearer {raw_public}"})),
                            (1, st.sampled_from([{"Authorization": value} for value in BROKEN_TOKENS]))),
        "comment_ids": [c.id for c in comments.values()], "disposition": disposition.id,
    }


def _parameter_strategy(parameter: dict[str, Any], world: dict[str, Any]) -> st.SearchStrategy:
    """Mostly what exists (ids of the world, real cursors, plain dates), else drawn from the
    schema, else hostile; query parameters are often left out."""
    drawn = from_schema(parameter["schema"]).map(lambda v: v if isinstance(v, str) else json.dumps(v))
    known = {"cursor": world["cursors"],
             "updated_since": ["2026-01-01T00:00:00Z", "2026-12-01", "1970-01-01T00:00:00+05:30"],
             **world["ids"]}.get(parameter["name"])
    choices = [(3, drawn.filter(_encodable)), (2, HOSTILE)]
    if known:
        choices.insert(0, (5, st.sampled_from([str(value) for value in known])))
    value = weighted(*choices)
    return value if parameter["in"] == "path" else weighted((2, st.none()), (3, value))


def _check_operation(client, document: dict[str, Any], path: str, operation: dict[str, Any],
                     world: dict[str, Any]) -> list[int]:
    parameters = operation.get("parameters", [])
    ok = _validator(document, operation["responses"]["200"]["content"]["application/json"]["schema"])
    error = _validator(document, {"$ref": "#/components/schemas/Error"})
    seen: list[int] = []

    @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(values=st.fixed_dictionaries({p["name"]: _parameter_strategy(p, world) for p in parameters}),
           caller=world["callers"])
    def call(values: dict[str, Any], caller: dict[str, str]) -> None:
        url = path
        query = {}
        for parameter in parameters:
            value = values[parameter["name"]]
            if parameter["in"] == "path":
                url = url.replace("{" + parameter["name"] + "}", quote(value, safe=""))
            elif value is not None:
                query[parameter["name"]] = value
        response = client.get(url, query_string=query, headers=caller)
        status = response.status_code
        seen.append(status)
        described = f"GET {url} {query} as {sorted(caller.values())}: {status}"
        assert status < 500, described
        if status == 200:
            errors = [e.message for e in ok.iter_errors(response.get_json())]
            assert not errors, f"{described} does not match its schema: {errors[:3]}"
        elif status >= 400:
            assert response.is_json, described
            body = response.get_json()
            assert not list(error.iter_errors(body)) and body["status"] == status, f"{described}: {body}"
            assert str(status) in operation["responses"], f"{described}: {status} is not documented"
        elif status == 308:  # doubled slashes (an id ending in "/"): werkzeug's canonical address, same API
            assert urlsplit(response.headers["Location"]).path.startswith("/api/v1/"), described
        else:
            assert status == 304, described

    call()
    return seen


def test_every_get_operation_answers_as_its_openapi_document_says(client, world):
    document = client.get("/api/v1/openapi.json").get_json()
    operations = [(path, item["get"]) for path, item in document["paths"].items()]
    assert len(operations) >= 8
    statuses = {path: _check_operation(client, document, path, operation, world) for path, operation in operations}
    # The strategies reach both sides: every operation answers, every list also refuses.
    for path, seen in statuses.items():
        assert 200 in seen, (path, sorted(set(seen)))
    for path in ("/api/v1/consultations", "/api/v1/consultations/{consultation_id}/comments", "/api/v1/me/digests"):
        assert 400 in statuses[path], (path, sorted(set(statuses[path])))


