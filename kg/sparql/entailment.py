"""The one check of a ``reasoning=`` value against the one list of entailment modes."""

from __future__ import annotations

from kg.settings import REASONING_MODES
from kg.sparql.errors import QueryError


class UnknownReasoning(QueryError):
    """A ``reasoning=`` value that names no entailment mode (400)."""


def parse_reasoning(value: str | None) -> str | None:
    """``value`` if it names a mode of :data:`~kg.settings.REASONING_MODES`, ``None`` if not given.

    Raises :class:`UnknownReasoning` for anything else (the empty string included).
    """
    if value is None or value in REASONING_MODES:
        return value
    raise UnknownReasoning(f"unknown reasoning {value!r}; use one of: {', '.join(REASONING_MODES)}")
