"""The OpenAPI 3.1 description of /api/v1, written by hand.

A test checks that every /api/v1 rule of the URL map is described here and
that nothing here is missing from the URL map; keep the two in step.
"""

from __future__ import annotations

from typing import Any

from app.comments.models import Audience, CommentKind, Stance
from app.consultations.models import InstrumentType, ModerationMode, SectionLevel, Status, Visibility
from app.digests.models import Frequency
from app.summaries.models import Decision

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
REGION_CODE = {"type": "string", "pattern": "^[A-Za-z0-9-]{1,16}$"}


def _object(properties: dict[str, Any], description: str = "") -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties, "required": sorted(properties)}
    if description:
        schema["description"] = description
    return schema


def _page_of(item: str) -> dict[str, Any]:
    deprecated = "Only with the deprecated `page` parameter."
    return {
        "type": "object",
        "description": "One page of a list; follow `next` until it is null.",
        "required": ["items", "per_page", "total", "next"],
        "properties": {
            "items": {"type": "array", "items": _ref(item)},
            "per_page": INTEGER,
            "total": {"type": "integer", "description": "Items in the whole list (all pages)."},
            "next": {**_nullable(URL), "description": "The next page: this address with its `cursor`."},
            "next_cursor": {**_nullable(STRING), "description": "The `cursor` of the next page."},
            "page": {**INTEGER, "description": deprecated, "deprecated": True},
            "pages": {**INTEGER, "description": deprecated, "deprecated": True},
            "prev": {**_nullable(URL), "description": deprecated, "deprecated": True},
        },
    }


CONSULTATION = _object({
    "id": INTEGER,
    "title": STRING,
    "country": {"type": "string", "description": "ISO 3166-1 alpha-2."},
    "country_name": STRING,
    "instrument_type": {"type": "string", "enum": list(InstrumentType)},
    "drafting_authority": STRING,
    "status": {"type": "string", "enum": [s for s in Status if s != Status.DRAFT]},
    "visibility": {"type": "string", "enum": list(Visibility)},
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
    "level": {"type": "string", "enum": list(SectionLevel)},
    "body_html": {"type": "string", "description": "Sanitised HTML."},
    "obligations": CODES,
})

CONSULTATION_DETAIL = {
    "allOf": [_ref("Consultation"), _object({
        "summary_html": STRING,
        "questions_html": STRING,
        "weapon_categories": CODES,
        "moderation_mode": {"type": "string", "enum": list(ModerationMode)},
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
    "kind": {"type": "string", "enum": list(CommentKind)},
    "stance": _nullable({"type": "string", "enum": list(Stance)}),
    "audience": {"type": "string", "enum": list(Audience),
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

DISPOSITION = _object({
    "id": INTEGER,
    "consultation_id": INTEGER,
    "round": {"type": "integer", "description": "The summary revision the disposition answers."},
    "section_anchor": _nullable({"type": "string", "description": "Null: the draft as a whole."}),
    "point_raised": {"type": "string", "description": "Plain text."},
    "decision": {"type": "string", "enum": list(Decision)},
    "reason": {"type": "string", "description": "Plain text; may be empty."},
    "comment_ids": {"type": "array", "items": INTEGER,
                    "description": "Comments the disposition answers that the caller may read."},
    "point_ids": {"type": "array", "items": INTEGER,
                  "description": "Points of this summary revision the disposition answers."},
    "created_at": TIMESTAMP,
    "updated_at": TIMESTAMP,
}, "A row of the comment-resolution table: the drafting government's decision on a point raised.")

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
    "dispositions": {"type": "array", "items": _ref("Disposition"),
                     "description": "The comment-resolution table, oldest round first (empty until the "
                                    "drafting government answers)."},
}, "The latest published revision of the consultation's summary, with the dispositions on it.")

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
    "frequency": {"type": "string", "enum": list(Frequency)},
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
    {"name": "cursor", "in": "query", "schema": {"type": "string"},
     "description": "Where the page starts: copied from `next_cursor` (or `next`) of the page before; absent "
                    "on the first page. Opaque and tied to the list's filters: a cursor of another list, or "
                    "altered, is refused with 400 (parameter `cursor`). Items added while a client pages "
                    "never make it skip or repeat one."},
    {"name": "per_page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 25},
     "description": "Values above 100 are read as 100; not a positive whole number: 400."},
    {"name": "page", "in": "query", "deprecated": True, "schema": {"type": "integer", "minimum": 1},
     "description": "Deprecated: numbered pages, which shift when items are added; use `cursor`. Ignored "
                    "with `cursor`. Not a positive whole number: the first page."},
]


SIGNED_IN = [{"bearer": []}, {"session": []}]
NOT_MODIFIED = {"description": "Not modified: the ETag sent in If-None-Match still matches (or, on a summary, "
                               "nothing was published and no disposition changed after updated_since)."}
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
                "Lists come in pages (per_page ≤ 100): follow `next`, which carries a signed `cursor`. "
                "Every answer has an ETag (send If-None-Match for a 304); consultations, comments and "
                "summaries take `updated_since`. Every 4xx is an error object."
            ),
        },
        "servers": [{"url": "/"}],
        "paths": {
            "/api/v1/openapi.json": _get("This document", "openapi_document",
                                         _json({"type": "object"}, "The OpenAPI document."), errors=()),
            "/api/v1/consultations": _get(
                "Published consultations the caller may read", "list_consultations",
                _json(_ref("ConsultationPage"), "One page of consultations, oldest first (by cursor); with the "
                                                "deprecated `page`, closing soonest first."),
                parameters=[
                    {"name": "status", "in": "query",
                     "schema": {"type": "string", "enum": [s for s in Status if s != Status.DRAFT]}},
                    {"name": "country", "in": "query", "schema": {"type": "string", "pattern": "^[A-Za-z]{2}$"},
                     "description": "ISO 3166-1 alpha-2. Not two letters: 400."},
                    {"name": "region", "in": "query", "schema": REGION_CODE,
                     "description": "Regional organisation code. Not a code: 400."},
                    {"name": "obligation", "in": "query",
                     "schema": {"type": "string", "pattern": "^[A-Za-z0-9._-]{1,48}$"},
                     "description": "1540 obligation code; a section code also matches its elements. "
                                    "Not a code: 400."},
                    UPDATED_SINCE,
                    *PAGE_PARAMETERS,
                ], errors=(400,)),
            "/api/v1/consultations/{consultation_id}": _get(
                "A consultation with the sections of its current version", "get_consultation",
                _json(_ref("ConsultationDetail"), "The consultation."), parameters=[consultation_id]),
            "/api/v1/consultations/{consultation_id}/comments": _get(
                "Published comments of a consultation, in thread order", "list_comments",
                _json(_ref("CommentPage"), "One page of comments, in thread order."),
                parameters=[consultation_id, UPDATED_SINCE, *PAGE_PARAMETERS], errors=(400, 404)),
            "/api/v1/consultations/{consultation_id}/summary": _get(
                "The latest published summary and its comment-resolution table", "get_summary",
                _json(_ref("Summary"), "The summary with its dispositions."),
                parameters=[consultation_id, UPDATED_SINCE], errors=(400, 404)),
            "/api/v1/regions/{code}/coverage": _get(
                "Regional coverage of the 1540 obligations", "get_region_coverage",
                _json(_ref("Coverage"), "The coverage matrix."),
                parameters=[{"name": "code", "in": "path", "required": True, "schema": REGION_CODE,
                             "description": "Regional organisation code (OSCE, AU...)."}]),
            "/api/v1/me/digests": _get(
                "The caller's digests, newest first", "list_my_digests",
                _json(_ref("DigestPage"), "One page of digests, newest first."),
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
                "Disposition": DISPOSITION,
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
