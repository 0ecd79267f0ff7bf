"""A SPARQL 1.1 tokenizer: enough structure to inspect a query before an engine runs it.

It tells keywords from the same letters inside IRIs, strings, comments and
prefixed names (``ex:FROM`` is a name, not a dataset clause), and tracks
brackets, so that checks such as "does this query declare its own dataset?",
"does it use SERVICE?" or "how deep does it nest?" never run the query.
It does not validate the grammar; the engine's parser does that.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urljoin

_PN_CHARS_BASE = "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c-\u200d\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd"
_PN_CHARS = _PN_CHARS_BASE + r"_\-0-9\u00b7\u0300-\u036f\u203f-\u2040"
_PLX = r"%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%]"

_TOKEN_SPEC = [
    ("WS", r"\s+"),
    ("COMMENT", r"#[^\r\n]*"),
    ("IRI", r'<[^<>"{}|^`\\\x00-\x20]*>'),
    ("STRING", r'"""(?:[^"\\]|\\.|"(?!""))*"""' + r"|'''(?:[^'\\]|\\.|'(?!''))*'''"),
    ("STRING1", r'"(?:[^"\\\r\n]|\\.)*"' + r"|'(?:[^'\\\r\n]|\\.)*'"),
    ("VAR", rf"[?$][{_PN_CHARS_BASE}_0-9][{_PN_CHARS}]*"),
    (
        "PNAME",
        rf"(?:[{_PN_CHARS_BASE}](?:[{_PN_CHARS}.]*[{_PN_CHARS}])?)?:"
        rf"(?:(?:[{_PN_CHARS}:]|{_PLX})(?:(?:[{_PN_CHARS}.:]|{_PLX})*(?:[{_PN_CHARS}:]|{_PLX}))?)?",
    ),
    ("BNODE", rf"_:[{_PN_CHARS}](?:[{_PN_CHARS}.]*[{_PN_CHARS}])?"),
    ("LANGTAG", r"@[A-Za-z]+(?:-[A-Za-z0-9]+)*"),
    ("NUMBER", r"[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)"),
    ("WORD", r"[A-Za-z_][A-Za-z0-9_]*"),
    ("OP", r"\^\^|&&|\|\||!=|<=|>=|."),
]
_LOCAL_ESCAPE = re.compile(r"\\(.)")
_TOKENS = re.compile("|".join(f"(?P<{name}>{pattern})" for name, pattern in _TOKEN_SPEC), re.DOTALL)


@dataclass(frozen=True)
class Token:
    """One lexical token: its kind, text, 1-based line and column, and 0-based offset in the text."""

    kind: str
    text: str
    line: int
    column: int
    offset: int

    @property
    def keyword(self) -> str | None:
        """The upper-cased word if this token is a bare word (a keyword or ``a``), else None."""
        return self.text.upper() if self.kind == "WORD" else None


def tokens(text: str) -> Iterator[Token]:
    """The tokens of ``text``, without whitespace and comments."""
    line, line_start = 1, 0
    for match in _TOKENS.finditer(text):
        kind = match.lastgroup or "OP"
        start = match.start()
        if kind not in ("WS", "COMMENT"):
            yield Token("STRING" if kind == "STRING1" else kind, match.group(), line, start - line_start + 1, start)
        newlines = match.group().count("\n")
        if newlines:
            line += newlines
            line_start = start + match.group().rindex("\n") + 1


def keywords(text: str) -> set[str]:
    """The upper-cased bare words used in ``text`` (keywords, function names, ``A``)."""
    return {token.keyword for token in tokens(text) if token.keyword}


def has_dataset_clause(text: str) -> bool:
    """True if the query declares its own dataset with ``FROM`` or ``FROM NAMED``."""
    return "from" in text.lower() and "FROM" in keywords(text)


def iri_of(token: Token, prefixes: Mapping[str, str], base_iri: str = "") -> str | None:
    """The absolute IRI an ``<…>`` or prefixed-name token spells; ``None`` for another token or an undeclared prefix."""
    if token.kind == "IRI":
        return urljoin(base_iri, token.text[1:-1]) if base_iri else token.text[1:-1]
    if token.kind == "PNAME":
        prefix, _, local = token.text.partition(":")
        if prefix in prefixes:
            return prefixes[prefix] + _LOCAL_ESCAPE.sub(r"\1", local)
    return None


def prologue(stream: Sequence[Token], prefixes: Mapping[str, str], base_iri: str = "") -> tuple[dict[str, str], str]:
    """The prefixes and base in force after the ``PREFIX``/``BASE`` declarations of ``stream``."""
    declared, base = dict(prefixes), base_iri
    for index, token in enumerate(stream):
        if token.keyword == "BASE" and index + 1 < len(stream):
            base = iri_of(stream[index + 1], declared, base) or base
        elif token.keyword == "PREFIX" and index + 2 < len(stream) and stream[index + 1].kind == "PNAME":
            iri = iri_of(stream[index + 2], declared, base)
            if iri is not None:
                declared[stream[index + 1].text[:-1]] = iri
    return declared, base


def named_iris(text: str, prefixes: Mapping[str, str], base_iri: str = "") -> set[str]:
    """Every IRI ``text`` spells out outside its declarations: ``<…>`` and prefixed names, resolved against its
    ``BASE``/``PREFIX`` declarations over the predeclared ``prefixes`` and ``base_iri``."""
    stream = list(tokens(text))
    declared, base = prologue(stream, prefixes, base_iri)
    found: set[str] = set()
    for index, token in enumerate(stream):
        before = stream[index - 1].keyword if index else None
        before_two = stream[index - 2].keyword if index > 1 else None
        if before in ("BASE", "PREFIX") or before_two == "PREFIX":
            continue
        iri = iri_of(token, declared, base)
        if iri is not None:
            found.add(iri)
    return found
