"""The one log line per request: method, path, status, milliseconds, result rows when known, the caller's name."""

from __future__ import annotations

import logging

logger = logging.getLogger("kg.requests")


def log_request(method: str, full_path: str, status: int, elapsed_ms: float, rows: int | None,
                caller_name: str | None) -> None:
    """Log one answered request (``caller_name``: a named caller's, never its token; ``None`` for anonymous)."""
    logger.info("%s %s %s %.1fms%s%s", method, full_path, status, elapsed_ms,
                f" rows={rows}" if rows is not None else "", f" user={caller_name}" if caller_name is not None else "")
