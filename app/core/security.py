"""Security headers on every response and safe redirect targets."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Response, current_app, request

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ]
)


def is_safe_next(target: str | None) -> bool:
    """Only same-origin relative paths: "/x", never "//host", "\\host" or a scheme."""
    if not target or not isinstance(target, str):
        return False
    if any(ch in target for ch in "\r\n\t\\") or any(ord(ch) < 32 for ch in target):
        return False
    if not target.startswith("/") or target.startswith("//"):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def safe_next(target: str | None, default: str = "/") -> str:
    return target if is_safe_next(target) else default


def relative_request_path() -> str:
    path = request.full_path if request.query_string else request.path
    return path.rstrip("?") if path.endswith("?") else path


def _headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if current_app.config["SEND_HSTS"]:
        headers.setdefault("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
    if request.endpoint != "static" and "Cache-Control" not in headers:
        headers["Cache-Control"] = "no-store" if _is_private() else "no-cache"
    return response


def _is_private() -> bool:
    from flask_login import current_user

    return bool(getattr(current_user, "is_authenticated", False))


def init_app(app: Flask) -> None:
    app.after_request(_headers)
