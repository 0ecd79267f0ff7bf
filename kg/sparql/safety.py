"""What a query or update may not do on this endpoint unless an operator allows it.

The checks read the token stream (:mod:`kg.sparql.lexer`), so they see the
keyword ``SERVICE`` however it is spelled (case, comments, line breaks) and
never the same letters inside an IRI, a string or a prefixed name.
"""

from __future__ import annotations

from kg.settings import Settings
from kg.sparql.errors import QueryError
from kg.sparql.lexer import tokens

#: Keyword -> (setting that allows it, what it does), for the refusal message.
GUARDED_KEYWORDS = {
    "SERVICE": ("allow_service", "KG_ALLOW_SERVICE", "sends a query to another endpoint"),
    "LOAD": ("allow_load", "KG_ALLOW_LOAD", "fetches a document from a URL or a local file"),
}


def check_query(text: str, settings: Settings) -> None:
    """Refuse a query using ``SERVICE`` unless ``KG_ALLOW_SERVICE`` is set (a :class:`QueryError` at its position)."""
    _refuse_guarded(text, settings, ("SERVICE",))


def check_update(text: str, settings: Settings) -> None:
    """Refuse an update using ``SERVICE`` or ``LOAD`` unless the matching setting allows it."""
    _refuse_guarded(text, settings, ("SERVICE", "LOAD"))


def _refuse_guarded(text: str, settings: Settings, guarded: tuple[str, ...]) -> None:
    lowered = text.lower()
    refused = {word for word in guarded if not getattr(settings, GUARDED_KEYWORDS[word][0]) and word.lower() in lowered}
    if not refused:  # a keyword is spelled with its own letters (the engine reads no escapes outside strings and IRIs)
        return
    for token in tokens(text):
        if token.keyword in refused:
            _, variable, effect = GUARDED_KEYWORDS[token.keyword]
            raise QueryError(
                f"{token.keyword} at line {token.line}, column {token.column} is disabled on this endpoint "
                f"(it {effect}); an operator can enable it with {variable}=1",
                token.line,
                token.column,
            )
