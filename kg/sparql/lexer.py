"""A SPARQL 1.1 tokenizer: enough structure to inspect a query before an engine runs it.

It tells keywords from the same letters inside IRIs, strings, comments and
prefixed names (``ex:FROM`` is a name, not a dataset clause), and tracks
brackets, so that checks such as "does this query declare its own dataset?",
"does it use SERVICE?" or "how deep does it nest?" never run the query.
It does not validate the grammar; the engine's parser does that.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
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


def named_iris(text: str, prefixes: dict[str, str], base_iri: str | None = None) -> set[str]:
    """Every IRI ``text`` spells out: ``<…>`` (resolved against its ``BASE`` or ``base_iri``) and prefixed names
    (expanded with its ``PREFIX`` declarations over the predeclared ``prefixes``)."""
    declared = dict(prefixes)
    base = base_iri or ""
    found: set[str] = set()
    stream = list(tokens(text))
    for index, token in enumerate(stream):
        if token.kind == "IRI":
            iri = urljoin(base, token.text[1:-1]) if base else token.text[1:-1]
            before = stream[index - 1] if index else None
            if before is not None and before.keyword == "BASE":
                base = iri
            elif before is not None and before.kind == "PNAME" and index > 1 and stream[index - 2].keyword == "PREFIX":
                declared[before.text[:-1]] = iri
            else:
                found.add(iri)
        elif token.kind == "PNAME":
            prefix, _, local = token.text.partition(":")
            if prefix in declared and not (index and stream[index - 1].keyword == "PREFIX"):
                found.add(declared[prefix] + local)
    return found
