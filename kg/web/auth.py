"""Who is calling, and the one check every write route makes: the caller's role, from a bearer token.

Every request is identified before its view runs (:func:`install`): a bearer token names a user of
``KG_USERS`` or the ``KG_WRITE_TOKEN`` writer (its hash compared with every stored hash, in constant time);
no token is the anonymous caller.  The caller is ``g.caller``; its role's limits apply to its queries.
A token is never logged nor repeated in an answer.
"""

from __future__ import annotations

from flask import Blueprint, Flask, Response, g, jsonify, request

from kg.sparql.errors import HttpError
from kg.users import ADMIN, WRITE, User
from kg.web import current_settings

BEARER_CHALLENGE = 'Bearer realm="ipkg"'
_INVALID = f'{BEARER_CHALLENGE}, error="invalid_token"'

blueprint = Blueprint("auth", __name__)


def install(app: Flask) -> None:
    """Identify the caller of every request (``g.caller``) before its view runs; 401 for an unknown token, or
    for no token when the anonymous role is disabled (CORS preflights and static files excepted). Serve ``/api/whoami``."""
    app.register_blueprint(blueprint)

    @app.before_request
    def identify_caller() -> None:
        if request.method == "OPTIONS" or request.endpoint == "static":
            return
        g.caller = caller_of(_bearer_token())
        if g.caller.anonymous and not g.caller.role.enabled:
            raise HttpError("this server answers only callers with a token: send 'Authorization: Bearer <token>'",
                            401, headers={"WWW-Authenticate": BEARER_CHALLENGE})


@blueprint.get("/api/whoami")
def whoami() -> Response:
    """Who the token names: name, role, whether it may write, and its limits (``null``: the server's)."""
    caller = current_caller()
    settings = current_settings()
    return jsonify(name=caller.name, role=caller.role.name, may_write=caller.role.may(WRITE),
                   time_limit=caller.role.time_limit or settings.query_timeout,
                   row_cap=caller.role.row_cap or settings.max_result_rows)


def current_caller() -> User:
    """The caller of the current request (anonymous outside a request that was identified)."""
    return g.get("caller") or current_settings().users.anonymous


def caller_of(token: str) -> User:
    """The user whose token is ``token``; anonymous for no token (or any token when the server knows no users).

    An :class:`HttpError` 401 for a token the server does not know.
    """
    users = current_settings().users
    if not token or not users.users:
        return users.anonymous
    user = users.identify(token)
    if user is None:
        raise HttpError("the bearer token is not known to this server", 401, headers={"WWW-Authenticate": _INVALID})
    return user


def require_write_token(
    presented: str | None = None, asked_as: str = "the header 'Authorization: Bearer <token>'", needs: str = WRITE
) -> User:
    """Let a write through only for a caller whose role may do what ``needs`` (``write`` or ``admin``) may.

    The caller is the request's (its bearer token), or the one ``presented`` names (a form field). An
    :class:`HttpError` 403 when the server has no writer (writes are off) or the caller's role may not,
    401 with a ``WWW-Authenticate: Bearer`` challenge when the token is missing or unknown.
    The writer's name is ``g.writer`` (for logs and the change log).
    """
    users = current_settings().users
    if not users.has_writers:
        raise HttpError("writes are disabled: the server has no write token (an operator sets KG_WRITE_TOKEN, or "
                        "KG_USERS with a user of role write or admin)", 403)
    caller = current_caller() if presented is None else caller_of(presented)
    if caller.anonymous:
        raise HttpError(f"this write needs {asked_as}", 401, headers={"WWW-Authenticate": BEARER_CHALLENGE})
    if not caller.role.may(needs):
        may = "admin" if needs == ADMIN else "write or admin"
        raise HttpError(f"the user {caller.name!r} has the role {caller.role.name!r}; this needs the role {may}", 403,
                        headers={"WWW-Authenticate": f'{BEARER_CHALLENGE}, error="insufficient_scope"'})
    g.writer = caller.name
    return caller


def _bearer_token() -> str:
    """The token of the request's ``Authorization: Bearer`` header ('' without one)."""
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return given.strip() if scheme.lower() == "bearer" else ""
