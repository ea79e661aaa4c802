"""Read-only JSON API (/api/v1), described by /api/v1/openapi.json."""
