"""Security headers on every answer: a Content-Security-Policy that lets pages load scripts only from
this site and Stripe, no framing by other sites, no MIME sniffing, a strict referrer policy, and
(under `floorboard serve`, which runs behind HTTPS) HSTS."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import request

STRIPE_ORIGINS = ("https://js.stripe.com", "https://hooks.stripe.com", "https://api.stripe.com")


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def content_security_policy(stripe_js_url: str, inline_scripts: bool = False) -> str:
    stripe = " ".join(dict.fromkeys(o for o in (_origin(stripe_js_url), *STRIPE_ORIGINS) if o))
    scripts = "'self' 'unsafe-inline'" if inline_scripts else "'self'"
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src {scripts} {stripe}",
            f"frame-src {stripe}",
            f"connect-src 'self' {stripe}",
            "img-src 'self' data:",
            "style-src 'self' 'unsafe-inline'",  # Stripe Elements sizes its frame with inline styles
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def init_app(app, stripe_js_url: str, https_only: bool) -> None:
    page_policy = content_security_policy(stripe_js_url)
    # The API docs page (Swagger UI, served from this app) boots with an inline script.
    docs_policy = content_security_policy(stripe_js_url, inline_scripts=True)

    @app.after_request
    def _headers(response):
        headers = response.headers
        headers.setdefault(
            "Content-Security-Policy", docs_policy if request.path.startswith("/api/docs") else page_policy
        )
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        if https_only:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response
