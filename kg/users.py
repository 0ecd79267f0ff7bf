"""Named callers with roles: the users file (``KG_USERS``), token hashing, and editing the file safely.

The file is TOML::

    [roles.admin]              # optional: per-role limits (defaults: KG_QUERY_TIMEOUT, KG_MAX_RESULT_ROWS)
    time_limit = 60            # seconds a query may run
    row_cap = 1000000          # rows (or triples) a query may return

    [roles.anonymous]          # callers without a token: read-only
    enabled = true             # false: every request needs a token (401 without one)
    time_limit = 5

    [users.alice]
    role = "admin"             # read, write or admin
    token_hash = "sha256:…"    # written by `kg users add`; the token itself is never stored

A ``read`` caller may read, ``write`` may also change data and saved queries, ``admin`` may do everything.
Tokens are 32 random bytes, so one SHA-256 is enough to store them: a slow key-derivation function protects
guessable passwords, and a random 256-bit token cannot be guessed from its hash.

This module is on the ground floor: it imports nothing from ``kg``.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import tempfile
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

READ, WRITE, ADMIN, ANONYMOUS = "read", "write", "admin", "anonymous"
ROLES = (READ, WRITE, ADMIN)
"""The roles a user may have; ``anonymous`` is the role of callers without a token."""
_RANK = {ANONYMOUS: 0, READ: 0, WRITE: 1, ADMIN: 2}
WRITE_TOKEN_USER = "KG_WRITE_TOKEN"
"""The name of the writer whose token is ``KG_WRITE_TOKEN``."""
_RESERVED = (WRITE_TOKEN_USER, ANONYMOUS)
_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")
_HASH = re.compile(r"sha256:[0-9a-f]{64}")
_ROLE_KEYS = {"time_limit", "row_cap", "enabled"}
_USER_KEYS = {"role", "token_hash"}
NEW_FILE_HEADER = """\
# ipkg users (KG_USERS): names, roles and token hashes; `kg users add NAME ROLE` adds one.
# Per-role limits are optional (defaults: KG_QUERY_TIMEOUT and KG_MAX_RESULT_ROWS), e.g.:
# [roles.admin]
# time_limit = 60
# row_cap = 1000000
# [roles.anonymous]
# enabled = false   # every request needs a token
"""


class UsersError(ValueError):
    """The users file cannot be used; the message names the file, the line when known, and what is wrong."""


@dataclass(frozen=True)
class Role:
    """What a role may do and its limits (``None``: the server's ``KG_QUERY_TIMEOUT`` / ``KG_MAX_RESULT_ROWS``)."""

    name: str
    time_limit: float | None = None
    row_cap: int | None = None
    enabled: bool = True

    def may(self, action: str) -> bool:
        """Whether this role may do what ``action`` (a role name: ``write``, ``admin``) may do."""
        return _RANK[self.name] >= _RANK[action]


@dataclass(frozen=True)
class User:
    """A caller: a named user, the ``KG_WRITE_TOKEN`` writer, or anonymous (no token hash)."""

    name: str
    role: Role
    token_hash: str = field(default="", repr=False)

    @property
    def anonymous(self) -> bool:
        """True for a caller without a token."""
        return self.role.name == ANONYMOUS


@dataclass(frozen=True)
class Users:
    """The callers a server knows and the roles' limits."""

    roles: dict[str, Role] = field(default_factory=lambda: {name: Role(name) for name in (*ROLES, ANONYMOUS)})
    users: tuple[User, ...] = ()

    @property
    def anonymous(self) -> User:
        """The caller without a token."""
        return User(ANONYMOUS, self.roles[ANONYMOUS])

    @property
    def has_writers(self) -> bool:
        """Whether any user may write."""
        return any(user.role.may(WRITE) for user in self.users)

    def identify(self, token: str) -> User | None:
        """The user whose token is ``token``, or None; every hash is compared, in constant time."""
        digest = hash_token(token)
        found = None
        for user in self.users:
            if hmac.compare_digest(user.token_hash, digest):
                found = user
        return found

    def with_write_token(self, token: str) -> Users:
        """These users and the ``KG_WRITE_TOKEN`` writer (role ``write``)."""
        writer = User(WRITE_TOKEN_USER, self.roles[WRITE], hash_token(token))
        return Users(self.roles, (*self.users, writer))


def new_token() -> str:
    """A new token: 32 random bytes, URL-safe base64."""
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """How a token is stored: ``sha256:`` and the hex SHA-256 of its UTF-8 bytes."""
    return "sha256:" + hashlib.sha256(token.encode("utf-8")).hexdigest()


def read_users(path: Path) -> Users:
    """The users and roles of the file at ``path``; a :class:`UsersError` naming the file and line otherwise."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise UsersError(f"{path}: cannot be read ({getattr(error, 'strerror', None) or error})") from None
    return parse_users(text, path)


def parse_users(text: str, path: Path) -> Users:
    """The users and roles of ``text`` (the file at ``path``, named in errors)."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise UsersError(f"{path}: not TOML: {error}") from None
    where = _Locator(text, path)
    for key in document:
        if key not in ("roles", "users"):
            raise where.error(f"unknown table or key {key!r}; the file has [roles.NAME] and [users.NAME] tables",
                              key)
    roles = {name: Role(name) for name in (*ROLES, ANONYMOUS)}
    for name, options in _tables(document, "roles", where).items():
        if name not in roles:
            raise where.error(f"unknown role {name!r}; the roles are {', '.join((*ROLES, ANONYMOUS))}",
                              "roles", name)
        roles[name] = _role(name, options, where)
    users = []
    for name, options in _tables(document, "users", where).items():
        users.append(_user(name, options, roles, where))
    return Users(roles, tuple(users))


def _tables(document: dict[str, Any], kind: str, where: _Locator) -> dict[str, dict[str, Any]]:
    section = document.get(kind, {})
    if not isinstance(section, dict):
        raise where.error(f"{kind!r} must be tables: [{kind}.NAME]", kind)
    for name, options in section.items():
        if not isinstance(options, dict):
            raise where.error(f"{kind}.{name} must be a table: [{kind}.{name}]", kind, name)
    return section


def _role(name: str, options: dict[str, Any], where: _Locator) -> Role:
    for key in options:
        if key not in _ROLE_KEYS or (key == "enabled" and name != ANONYMOUS):
            allowed = "time_limit, row_cap" + (", enabled" if name == ANONYMOUS else "")
            raise where.error(f"role {name!r} has an unknown key {key!r}; use {allowed}", "roles", name, key)
    time_limit = options.get("time_limit")
    if time_limit is not None and (isinstance(time_limit, bool) or not isinstance(time_limit, (int, float))
                                   or not 0 < time_limit < float("inf")):
        raise where.error(f"time_limit of role {name!r} must be a positive number of seconds", "roles", name,
                          "time_limit")
    row_cap = options.get("row_cap")
    if row_cap is not None and (isinstance(row_cap, bool) or not isinstance(row_cap, int) or row_cap < 1):
        raise where.error(f"row_cap of role {name!r} must be a whole number of at least 1", "roles", name, "row_cap")
    enabled = options.get("enabled", True)
    if not isinstance(enabled, bool):
        raise where.error("enabled must be true or false", "roles", name, "enabled")
    return Role(name, None if time_limit is None else float(time_limit), row_cap, enabled)


def _user(name: str, options: dict[str, Any], roles: dict[str, Role], where: _Locator) -> User:
    if not _NAME.fullmatch(name) or name in _RESERVED:
        raise where.error(f"the user name {name!r} is not allowed; use 1 to 64 letters, digits, '-' or '_' "
                          f"(not {' or '.join(_RESERVED)})", "users", name)
    for key in options:
        if key not in _USER_KEYS:
            raise where.error(f"user {name!r} has an unknown key {key!r}; use role, token_hash", "users", name, key)
    role = options.get("role")
    if role not in ROLES:
        raise where.error(f"user {name!r} has no valid role; use role = one of {', '.join(ROLES)}", "users", name,
                          "role")
    token_hash = options.get("token_hash")
    if not isinstance(token_hash, str) or not _HASH.fullmatch(token_hash):
        raise where.error(f"user {name!r} needs token_hash = \"sha256:<64 hex digits>\", the hash `kg users add` "
                          "writes (never the token itself)", "users", name, "token_hash")
    return User(name, roles[role], token_hash)


@dataclass(frozen=True)
class _Locator:
    """Finds the line of a table or key in the file's text, for error messages."""

    text: str
    path: Path

    def error(self, message: str, kind: str, name: str | None = None, key: str | None = None) -> UsersError:
        line = self.line_of(kind, name, key)
        return UsersError(f"{self.path}{f', line {line}' if line else ''}: {message}")

    def line_of(self, kind: str, name: str | None, key: str | None) -> int | None:
        lines = self.text.splitlines()
        start = 0
        if name is not None:
            header = _header(kind, name)
            start = next((n for n, line in enumerate(lines) if header.match(line)), -1)
            if start < 0:
                return None
            if key is None:
                return start + 1
        else:
            key = kind
        pattern = re.compile(rf"\s*{re.escape(key)}\s*=|\s*\[+\s*{re.escape(key)}\b")
        for number in range(start, len(lines)):
            if number > start and name is not None and lines[number].lstrip().startswith("["):
                break
            if pattern.match(lines[number]):
                return number + 1
        return start + 1 if name is not None else None


def _header(kind: str, name: str) -> re.Pattern[str]:
    """The ``[kind.name]`` table header line (the name bare or quoted)."""
    quoted = re.escape(name)
    return re.compile(rf"\s*\[\s*{kind}\s*\.\s*(?:{quoted}|\"{quoted}\"|'{quoted}')\s*\]\s*(?:#.*)?$")


def add_user(path: Path, name: str, role: str) -> str:
    """Add user ``name`` with ``role`` to the file at ``path`` (created if need be); return its new token."""
    if not _NAME.fullmatch(name) or name in _RESERVED:
        raise UsersError(f"the user name {name!r} is not allowed; use 1 to 64 letters, digits, '-' or '_' "
                         f"(not {' or '.join(_RESERVED)})")
    if role not in ROLES:
        raise UsersError(f"unknown role {role!r}; use one of {', '.join(ROLES)}")
    text = path.read_text(encoding="utf-8") if path.exists() else NEW_FILE_HEADER
    if any(user.name == name for user in parse_users(text, path).users):
        raise UsersError(f"{path}: the user {name!r} exists; remove it first (kg users remove {name})")
    token = new_token()
    text = text + ("" if text.endswith("\n") else "\n")
    text += f'\n[users.{name}]\nrole = "{role}"\ntoken_hash = "{hash_token(token)}"\n'
    parse_users(text, path)
    write_atomically(path, text)
    return token


def remove_user(path: Path, name: str) -> None:
    """Remove user ``name`` (its ``[users.NAME]`` table) from the file at ``path``."""
    text = path.read_text(encoding="utf-8")
    if not any(user.name == name for user in parse_users(text, path).users):
        raise UsersError(f"{path}: there is no user {name!r}")
    lines = text.splitlines(keepends=True)
    header = _header("users", name)
    start = next((n for n, line in enumerate(lines) if header.match(line)), None)
    if start is None:
        raise UsersError(f"{path}: the user {name!r} is not written as a [users.{name}] table; edit the file by hand")
    end = next((n for n in range(start + 1, len(lines)) if lines[n].lstrip().startswith("[")), len(lines))
    while start > 0 and not lines[start - 1].strip():
        start -= 1
    remaining = "".join(lines[:start] + lines[end:])
    if any(user.name == name for user in parse_users(remaining, path).users):
        raise UsersError(f"{path}: the user {name!r} is also defined elsewhere in the file; edit it by hand")
    write_atomically(path, remaining)


def write_atomically(path: Path, text: str) -> None:
    """Replace the file at ``path`` with ``text``: a new file renamed over it, so a reader sees the old or the new.

    The file keeps its permissions; a new one is readable by its owner only.
    """
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o600
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
