"""The one check every write route makes: the server's write token, compared in constant time."""

from __future__ import annotations

import hmac

from flask import request

from kg.sparql.errors import HttpError
from kg.web import current_settings

BEARER_CHALLENGE = 'Bearer realm="ipkg"'


def require_write_token(
    presented: str | None = None, asked_as: str = "the header 'Authorization: Bearer <token>'"
) -> None:
    """Let a write through only with the server's write token: ``presented`` (a form field), else the bearer token.

    An :class:`HttpError` 403 when the server has no write token (writes are off), 401 with a
    ``WWW-Authenticate: Bearer`` challenge when the token is missing or wrong.
    """
    token = current_settings().write_token
    if not token:
        raise HttpError("writes are disabled: the server has no write token (an operator sets KG_WRITE_TOKEN)", 403)
    if presented is None:
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        presented = given.strip() if scheme.lower() == "bearer" else ""
    if not presented:
        raise HttpError(f"this write needs {asked_as}", 401, headers={"WWW-Authenticate": BEARER_CHALLENGE})
    if not hmac.compare_digest(presented.encode("utf-8"), token.encode("utf-8")):
        raise HttpError("the token is not the server's write token", 401,
                        headers={"WWW-Authenticate": f'{BEARER_CHALLENGE}, error="invalid_token"'})
