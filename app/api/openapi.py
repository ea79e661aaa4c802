"""The OpenAPI 3.1 description of /api/v1, written by hand.

A test checks that every /api/v1 rule of the URL map is described here and
that nothing here is missing from the URL map; keep the two in step.
"""

from __future__ import annotations

from typing import Any

VERSION = "1.0.0"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"oneOf": [schema, {"type": "null"}]}


STRING = {"type": "string"}
INTEGER = {"type": "integer"}
TIMESTAMP = {"type": "string", "format": "date-time", "description": "ISO 8601, UTC (\"Z\")."}
URL = {"type": "string", "format": "uri"}
CODES = {"type": "array", "items": STRING}


def _object(properties: dict[str, Any], description: str = "") -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties, "required": sorted(properties)}
    if description:
        schema["description"] = description
    return schema


def _page_of(item: str) -> dict[str, Any]:
    return _object({
        "items": {"type": "array", "items": _ref(item)},
        "page": INTEGER,
        "per_page": INTEGER,
        "total": {"type": "integer", "description": "Items in all pages."},
        "pages": INTEGER,
        "next": _nullable(URL),
        "prev": _nullable(URL),
    }, "One page of a list; follow `next` until it is null.")


CONSULTATION = _object({
    "id": INTEGER,
    "title": STRING,
    "country": {"type": "string", "description": "ISO 3166-1 alpha-2."},
    "country_name": STRING,
    "instrument_type": {"type": "string", "enum": ["law", "decree", "regulation", "control_list", "other"]},
    "drafting_authority": STRING,
    "status": {"type": "string", "enum": ["scheduled", "open", "closed", "summarised", "forwarded"]},
    "visibility": {"type": "string", "enum": ["public", "invited"]},
    "opens_at": TIMESTAMP,
    "closes_at": TIMESTAMP,
    "regions": CODES,
    "obligations": {"type": "array", "items": STRING, "description": "1540 obligation codes (OP3d.transit)."},
    "languages": CODES,
    "url": URL,
    "api_url": URL,
}, "A published consultation on a draft national measure.")

SECTION = _object({
    "id": INTEGER,
    "number": {"type": "string", "description": "\"Article 5\"."},
    "heading": STRING,
    "anchor": {"type": "string", "description": "Stable across versions."},
    "level": {"type": "string", "enum": ["part", "chapter", "article", "paragraph"]},
    "body_html": {"type": "string", "description": "Sanitised HTML."},
    "obligations": CODES,
})

CONSULTATION_DETAIL = {
    "allOf": [_ref("Consultation"), _object({
        "summary_html": STRING,
        "questions_html": STRING,
        "weapon_categories": CODES,
        "moderation_mode": {"type": "string", "enum": ["pre", "post"]},
        "current_version": _nullable(_object({
            "number": INTEGER,
            "published_at": _nullable(TIMESTAMP),
            "change_note": STRING,
            "sections": {"type": "array", "items": _ref("Section")},
        }, "The latest published draft version.")),
    })],
}

COMMENT = _object({
    "id": INTEGER,
    "consultation_id": INTEGER,
    "section_id": _nullable(INTEGER),
    "section_anchor": _nullable(STRING),
    "parent_id": _nullable(INTEGER),
    "depth": INTEGER,
    "kind": {"type": "string", "enum": ["comment", "question", "amendment"]},
    "stance": _nullable({"type": "string", "enum": ["supports", "opposes", "neutral"]}),
    "audience": {"type": "string", "enum": ["public", "restricted"],
                 "description": "Restricted comments are listed only for callers allowed to read them."},
    "language": STRING,
    "author": _object({"display_name": STRING}),
    "organisation": _nullable(_object({"id": INTEGER, "name": STRING, "kind": STRING})),
    "body_html": {"type": "string", "description": "Sanitised HTML."},
    "proposed_wording": _nullable(STRING),
    "support_count": INTEGER,
    "reply_count": INTEGER,
    "created_at": TIMESTAMP,
    "published_at": _nullable(TIMESTAMP),
    "edited_at": _nullable(TIMESTAMP),
    "version": {"type": "integer", "description": "Grows by one with every edit or moderation change."},
    "updated_at": TIMESTAMP,
}, "A published comment, in thread order.")

SUMMARY = _object({
    "consultation_id": INTEGER,
    "restricted": {"type": "boolean"},
    "revision": INTEGER,
    "published_at": TIMESTAMP,
    "change_note": STRING,
    "overall_html": STRING,
    "statistics": _nullable({"type": "object", "description": "Figures computed when the revision was published."}),
    "points": {"type": "array", "items": _object({
        "id": INTEGER,
        "section_anchor": _nullable(STRING),
        "text_html": STRING,
        "comment_ids": {"type": "array", "items": INTEGER,
                        "description": "Cited comments the caller may read."},
    })},
}, "The latest published revision of the consultation's summary.")

COVERAGE = _object({
    "region": _object({"code": STRING, "name": STRING}),
    "sections": {"type": "array", "items": _object({"code": STRING, "title": STRING})},
    "gaps": {"type": "array", "items": STRING,
             "description": "Obligation sections no readable draft of any member State addresses."},
    "states": {"type": "array", "items": _object({
        "country": STRING,
        "name": STRING,
        "consultation_ids": {"type": "array", "items": INTEGER},
        "cells": {"type": "object", "additionalProperties": _object({
            "consultation_ids": {"type": "array", "items": INTEGER},
            "fields": CODES,
        }), "description": "Keyed by obligation section code; only sections addressed."},
    })},
}, "Which 1540 obligations the drafts of a region's member States address.")

DIGEST = _object({
    "id": INTEGER,
    "period": STRING,
    "frequency": {"type": "string", "enum": ["immediate", "daily", "weekly"]},
    "period_start": TIMESTAMP,
    "period_end": TIMESTAMP,
    "language": STRING,
    "subject": STRING,
    "item_count": INTEGER,
    "created_at": TIMESTAMP,
    "read_at": _nullable(TIMESTAMP),
    "url": URL,
    "pdf_url": URL,
    "api_url": URL,
}, "A digest sent to the caller.")

DIGEST_DETAIL = {"allOf": [_ref("Digest"), _object({"body_html": STRING, "body_text": STRING})]}

ERROR = {**_object({"error": STRING, "status": INTEGER}),
         "properties": {"error": STRING, "status": INTEGER,
                        "parameter": {"type": "string", "description": "The query parameter that was wrong."},
                        "detail": {"type": "string", "description": "What was wrong with it."}}}

PAGE_PARAMETERS = [
    {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "default": 1}},
    {"name": "per_page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 25},
     "description": "Values above 100 are read as 100."},
]


SIGNED_IN = [{"bearer": []}, {"session": []}]
NOT_MODIFIED = {"description": "Not modified: the ETag sent in If-None-Match still matches (or, on a summary, "
                               "nothing was published after updated_since)."}
UPDATED_SINCE = {"name": "updated_since", "in": "query", "schema": {"type": "string", "format": "date-time"},
                 "description": "Only what changed at or after this ISO 8601 time (UTC when no offset is "
                                "given). Not a date, or in the future: 400."}


def _path_id(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": INTEGER}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict[str, Any]:
    return {str(code): {"$ref": f"#/components/responses/E{code}"} for code in codes}


def _get(summary: str, operation_id: str, ok: dict[str, Any], *, parameters=(), errors=(404,),
         security: bool = False) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "summary": summary,
        "operationId": operation_id,
        "parameters": list(parameters),
        # 401 everywhere: a bearer token that is malformed, revoked or expired is refused on any path.
        "responses": {"200": ok, "304": NOT_MODIFIED, **_errors(*sorted({*errors, 401}), 429)},
        # Anonymous calls are allowed (the empty requirement) unless the endpoint needs a caller.
        "security": SIGNED_IN if security else [{}, *SIGNED_IN],
    }
    return {"get": operation}


def document() -> dict[str, Any]:
    consultation_id = _path_id("consultation_id")
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Agora 1540 read API",
            "version": VERSION,
            "description": (
                "Read-only access to public consultations on draft national measures implementing UNSCR 1540, "
                "their published comments and summaries, regional coverage, and a focal point's digests. "
                "Callers see exactly what the web pages show them: sign in (session cookie, same origin) or send "
                "a personal access token (Authorization: Bearer) to read invited-only consultations, "
                "restricted comments and your digests. "
                "Lists are paginated (page, per_page ≤ 100, total, next)."
            ),
        },
        "servers": [{"url": "/"}],
        "paths": {
            "/api/v1/openapi.json": _get("This document", "openapi_document",
                                         _json({"type": "object"}, "The OpenAPI document."), errors=()),
            "/api/v1/consultations": _get(
                "Published consultations the caller may read", "list_consultations",
                _json(_ref("ConsultationPage"), "One page of consultations, closing soonest first."),
                parameters=[
                    {"name": "status", "in": "query",
                     "schema": {"type": "string", "enum": ["scheduled", "open", "closed", "summarised", "forwarded"]}},
                    {"name": "country", "in": "query", "schema": STRING, "description": "ISO 3166-1 alpha-2."},
                    {"name": "region", "in": "query", "schema": STRING, "description": "Regional organisation code."},
                    {"name": "obligation", "in": "query", "schema": STRING,
                     "description": "1540 obligation code; a section code also matches its elements."},
                    UPDATED_SINCE,
                    *PAGE_PARAMETERS,
                ], errors=(400,)),
            "/api/v1/consultations/{consultation_id}": _get(
                "A consultation with the sections of its current version", "get_consultation",
                _json(_ref("ConsultationDetail"), "The consultation."), parameters=[consultation_id]),
            "/api/v1/consultations/{consultation_id}/comments": _get(
                "Published comments of a consultation, in thread order", "list_comments",
                _json(_ref("CommentPage"), "One page of comments."),
                parameters=[consultation_id, UPDATED_SINCE, *PAGE_PARAMETERS], errors=(400, 404)),
            "/api/v1/consultations/{consultation_id}/summary": _get(
                "The latest published summary", "get_summary", _json(_ref("Summary"), "The summary."),
                parameters=[consultation_id, UPDATED_SINCE], errors=(400, 404)),
            "/api/v1/regions/{code}/coverage": _get(
                "Regional coverage of the 1540 obligations", "get_region_coverage",
                _json(_ref("Coverage"), "The coverage matrix."),
                parameters=[{"name": "code", "in": "path", "required": True, "schema": STRING,
                             "description": "Regional organisation code (OSCE, AU...)."}]),
            "/api/v1/me/digests": _get(
                "The caller's digests, newest first", "list_my_digests",
                _json(_ref("DigestPage"), "One page of digests."),
                parameters=PAGE_PARAMETERS, errors=(400, 401), security=True),
            "/api/v1/me/digests/{digest_id}": _get(
                "One of the caller's digests", "get_my_digest", _json(_ref("DigestDetail"), "The digest."),
                parameters=[_path_id("digest_id")], errors=(401, 404), security=True),
        },
        "components": {
            "securitySchemes": {
                "session": {"type": "apiKey", "in": "cookie", "name": "agora_session",
                            "description": "The session cookie set by signing in on the site."},
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "agora_<43 URL-safe characters>",
                           "description": (
                               "A personal access token made on the account page (/account/tokens). Scope "
                               "read_public reads as a visitor, read_as_me as its owner signed in. A token "
                               "that is malformed, revoked or expired, or whose owner is suspended, banned "
                               "or closed, gets 401 with an error object. Rate limits count per token.")},
            },
            "responses": {
                f"E{code}": _json(_ref("Error"), text) for code, text in (
                    (400, "Invalid parameter."), (401, "Sign-in required, or the access token is not valid."),
                    (404, "Not found, or not visible to the caller."),
                    (429, "Rate limit reached; see the Retry-After header."))
            },
            "schemas": {
                "Consultation": CONSULTATION,
                "ConsultationDetail": CONSULTATION_DETAIL,
                "ConsultationPage": _page_of("Consultation"),
                "Section": SECTION,
                "Comment": COMMENT,
                "CommentPage": _page_of("Comment"),
                "Summary": SUMMARY,
                "Coverage": COVERAGE,
                "Digest": DIGEST,
                "DigestDetail": DIGEST_DETAIL,
                "DigestPage": _page_of("Digest"),
                "Error": ERROR,
            },
        },
    }
