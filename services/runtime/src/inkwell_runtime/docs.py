"""A service's own ``/docs``: its **Authorize** gets a token from auth, wherever the docs are.

``OAuth2PasswordBearer(tokenUrl="/api/auth/token")`` is relative: on a service's own port
(content's :8002) Swagger UI would post the password to content, which answers 404. The
document a service serves names ``DOCS_TOKEN_URL`` instead (the gateway's token endpoint by
default; the gateway must allow the docs' origin in ``CORS_ORIGINS``, which ``make dev`` does).
The gateway's merged document keeps the relative URL: its docs are on the gateway itself.
"""

from typing import Any

from fastapi import FastAPI


def use_token_url(app: FastAPI, token_url: str) -> None:
    """Make every OAuth2 password flow in ``app``'s OpenAPI document point at ``token_url``."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schemes = build().get("components", {}).get("securitySchemes", {})
            for scheme in schemes.values():
                if password := scheme.get("flows", {}).get("password"):
                    password["tokenUrl"] = token_url
        return build()

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to customise the schema
