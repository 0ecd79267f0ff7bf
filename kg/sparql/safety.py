"""What a query or update may not do on this endpoint: guarded keywords and size limits, checked before any engine runs.

* ``SERVICE`` (outbound requests) and ``LOAD`` (fetching a URL or reading a
  file) are refused unless an operator enables them;
* a query longer than ``KG_MAX_QUERY_LENGTH`` characters is refused (413);
* a query or update nested deeper than ``KG_MAX_NESTING_DEPTH``, using more than
  ``KG_MAX_OPERATORS`` operators, more than ``KG_MAX_TRIPLE_PATTERNS`` triple
  patterns or more than ``KG_MAX_VALUES_ROWS`` rows of ``VALUES`` is refused (400).

Why these limits (pyoxigraph 0.5.13, measured in a process with the default
8 MB stack, see ``tests/test_hardening_limits.py``): the engine overflows its
stack, killing the process it runs in, on ``STR(`` nested ~960 deep, ``FILTER
EXISTS {`` ~840, ``{`` ~2,240, ``(`` ~4,800; on chains of ~2,640 ``OPTIONAL``,
``MINUS`` or ``BIND`` in one group and ~6,700-9,600 ``UNION``, ``||``, ``&&`` or
``+``; and its planner is super-polynomial in the triple patterns it joins
(a star of 100 patterns takes ~2 s to plan, 200 ~50 s).  Updates run in the
server's own process, so they are checked for nesting and operators too (their
``INSERT DATA``/``DELETE DATA`` blocks and templates are data, not patterns).

The checks read the text with a scanner that tells keywords from the same
letters inside IRIs, strings, comments, variables and prefixed names, in one
pass that stops at the first limit passed; cheap character counts prove most
queries within every limit without scanning at all, so the server's own
process spends microseconds on an ordinary query and a bounded time on a
hostile one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kg.settings import Settings, env_name
from kg.sparql.errors import QueryError

#: Keyword -> (setting that allows it, what it does), for the refusal message.
GUARDED_KEYWORDS = {
    "SERVICE": ("allow_service", "KG_ALLOW_SERVICE", "sends a query to another endpoint"),
    "LOAD": ("allow_load", "KG_ALLOW_LOAD", "fetches a document from a URL or a local file"),
}

#: Words that start a group element or join graph patterns: each is an operator (``EXISTS`` also in ``NOT EXISTS``).
OPERATOR_WORDS = frozenset({"UNION", "OPTIONAL", "MINUS", "FILTER", "BIND", "GRAPH", "SERVICE", "EXISTS", "VALUES"})
OPERATOR_WORDS_LOWER = tuple(word.lower() for word in OPERATOR_WORDS)
#: Binary operators of expressions and property paths, and path inversion.
OPERATOR_SYMBOLS = frozenset({"||", "&&", "=", "!=", "<", ">", "<=", ">=", "+", "-", "*", "/", "|", "^"})
#: Words that are terms, not keywords.
TERM_WORDS = frozenset({"A", "TRUE", "FALSE", "UNDEF"})
#: Words after which a group holds data or a template, not patterns to match (``WHERE`` ends a template).
TEMPLATE_WORDS = frozenset({"DATA", "INSERT", "DELETE", "CONSTRUCT"})

_SCAN = re.compile(
    r"""\s*(?:
     (?P<term>[?$]\w+|_:[\w.\-]*\w|(?:[^\W\d_](?:[\w.\-]*[\w\-])?)?:(?:[\w:%\\\-]+(?:\.+[\w:%\\\-]+)*)?
        |\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)
    |(?P<word>[A-Za-z_][A-Za-z0-9_]*)
    |(?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
    |(?P<string>\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"|'''(?:[^'\\]|\\.|'(?!''))*'''|"(?:[^"\\\r\n]|\\.)*"|'(?:[^'\\\r\n]|\\.)*')
    |(?P<comment>\#[^\n\r]*)
    |(?P<lang>@[A-Za-z]+(?:-[A-Za-z0-9]+)*)
    |(?P<op>\|\||&&|!=|<=|>=|\^\^|[^\s\w])
    |(?P<other>\S))""",
    re.VERBOSE | re.DOTALL,
)
_OPENING = {"{", "(", "["}
_CLOSING = {"}", ")", "]"}
_COUNT_SEPARATORS = {".", ";", ","}


class LimitExceeded(QueryError):
    """A query or update past one of the endpoint's limits: the HTTP ``status``, the setting and its value."""

    def __init__(self, message: str, status: int, setting: str, limit: int, line: int | None = None,
                 column: int | None = None) -> None:
        super().__init__(message, line, column)
        self.status = status
        self.setting = setting
        self.limit = limit


@dataclass(slots=True)
class _Frame:
    """One open bracket while scanning: its kind and what it holds."""

    kind: str
    """``group`` ({ } of patterns), ``list`` ([ ] of a blank node), ``expr`` (any ( )), ``values`` ({ } of VALUES rows),
    ``data`` ({ } of an INSERT/DELETE template or DATA block: no patterns)."""
    depth: int
    is_term: bool = False
    """A ( ) or [ ] in a triple's place (a collection, a blank node, a path group): a term once closed."""
    one_row_per_term: bool = False
    pending: bool = False
    """A term was read since the last triple pattern ended (a ``group`` or ``list`` frame)."""
    skipping: bool = False
    """After a keyword (GRAPH ?g, SELECT ?x…): terms are not the start of a triple until a bracket or ``.``."""


def check_query(text: str, settings: Settings) -> None:
    """Refuse a query past a limit (:class:`LimitExceeded`) or using ``SERVICE`` unless ``KG_ALLOW_SERVICE`` is set."""
    if len(text) > settings.max_query_length:
        raise LimitExceeded(
            f"the query is {len(text):,} characters long, more than the {settings.max_query_length:,} this endpoint "
            f"accepts ({env_name('max_query_length')}={settings.max_query_length})",
            413, env_name("max_query_length"), settings.max_query_length,
        )
    _check(text, settings, ("SERVICE",))


def check_update(text: str, settings: Settings) -> None:
    """Refuse an update past a limit, or using ``SERVICE`` or ``LOAD`` unless the matching setting allows it."""
    _check(text, settings, ("SERVICE", "LOAD"))


def _check(text: str, settings: Settings, guarded: tuple[str, ...]) -> None:
    lowered = text.lower()
    refused = {word for word in guarded if not getattr(settings, GUARDED_KEYWORDS[word][0]) and word.lower() in lowered}
    if refused or not _within_limits_by_counting(text, lowered, settings):
        _Scanner(text, settings, refused).run()


def _within_limits_by_counting(text: str, lowered: str, settings: Settings) -> bool:
    """True if character counts alone prove ``text`` within every structural limit (no scan needed).

    Each measure only grows at a character counted here: a nesting level at a bracket or ``!``; an operator at an
    operator character or an operator word; a triple pattern at a separator, a closing bracket, a ``{`` or an
    operator word; a ``VALUES`` row only where the word ``values`` appears.  Operator words have four letters or
    more, so there are at most ``len(text) // 4`` of them: counted one by one only when that bound is not enough.
    """
    count = text.count
    if "values" in lowered or count("{") + count("(") + count("[") + count("!") > settings.max_nesting_depth:
        return False
    symbols = (count("|") + count("&") + count("=") + count("<") + count(">") + count("+") + count("-") + count("*")
               + count("/") + count("^"))
    separators = count(".") + count(";") + count(",") + count("{") + count("}") + count("]")
    words = len(text) // 4
    if symbols + words > settings.max_operators or separators + words > settings.max_triple_patterns:
        words = sum(map(lowered.count, OPERATOR_WORDS_LOWER))
    return symbols + words <= settings.max_operators and separators + words <= settings.max_triple_patterns


class _Scanner:
    """One pass over the tokens, raising at the first limit passed or refused keyword."""

    def __init__(self, text: str, settings: Settings, refused: set[str]) -> None:
        self.text = text
        self.settings = settings
        self.refused = refused
        self.operators = 0
        self.patterns = 0
        self.rows = 0

    def run(self) -> None:
        max_depth, max_operators = self.settings.max_nesting_depth, self.settings.max_operators
        stack: list[_Frame] = [_Frame("top", 0)]
        frame = stack[0]
        unary = 0  # "!" read in a row: each nests one level
        after_values = False  # the word VALUES was read: its variables, then its block, follow
        values_single = False
        template_next = False  # the next group is an update's template or DATA block
        for match in _SCAN.finditer(self.text):
            kind = match.lastgroup
            if kind == "term" or kind == "iri" or kind == "string":
                unary = 0
                if frame.kind == "group" or frame.kind == "list":
                    if not frame.skipping:
                        frame.pending = True
                elif frame.kind == "values" and frame.one_row_per_term:
                    self._row(match)
                continue
            if kind == "op":
                token = match.group(kind)
                if token in _OPENING:
                    depth = frame.depth + unary + 1
                    if depth > max_depth:
                        self._nesting(match)
                    if token == "{":
                        if after_values:
                            new = _Frame("values", depth, one_row_per_term=values_single)
                            after_values = False
                        elif template_next or frame.kind == "data":
                            new = _Frame("data", depth)
                            template_next = False
                        else:
                            if frame.pending and frame.kind == "group":
                                self._pattern(match)
                                frame.pending = False
                            new = _Frame("group", depth)
                    else:
                        in_pattern = (frame.kind == "group" or frame.kind == "list") and not frame.skipping
                        if token == "[" and in_pattern:
                            new = _Frame("list", depth, is_term=True)
                        else:
                            if frame.kind == "values" and not frame.one_row_per_term:
                                self._row(match)
                            new = _Frame("expr", depth, is_term=in_pattern)
                    unary = 0
                    stack.append(new)
                    frame = new
                    continue
                if token in _CLOSING:
                    if token != ")" and (frame.kind == "group" or frame.kind == "list") and frame.pending:
                        self._pattern(match)
                    if len(stack) > 1:
                        closed = stack.pop()
                        frame = stack[-1]
                        frame.skipping = False
                        if closed.is_term:
                            frame.pending = True
                        if closed.kind == "expr" and after_values:
                            values_single = False  # VALUES (?a ?b) { ... }
                    unary = 0
                    continue
                if token == "!":
                    unary += 1
                    if frame.depth + unary > max_depth:
                        self._nesting(match)
                    continue
                unary = 0
                if token in OPERATOR_SYMBOLS:
                    self.operators += 1
                    if self.operators > max_operators:
                        self._operators(match)
                elif token in _COUNT_SEPARATORS and (frame.kind == "group" or frame.kind == "list"):
                    if frame.pending:
                        self._pattern(match)
                        frame.pending = False
                    if token == ".":
                        frame.skipping = False
                continue
            if kind == "comment":
                continue
            unary = 0
            if kind != "word":
                continue
            word = match.group(kind).upper()
            if word in TERM_WORDS:
                if frame.kind == "group" or frame.kind == "list":
                    if not frame.skipping:
                        frame.pending = True
                elif frame.kind == "values" and frame.one_row_per_term:
                    self._row(match)
                continue
            if word in self.refused:
                self._refuse(word, match)
            if word in OPERATOR_WORDS:
                self.operators += 1
                if self.operators > max_operators:
                    self._operators(match)
            if word == "VALUES":
                after_values, values_single = True, True
            elif word in TEMPLATE_WORDS:
                template_next = word == "DATA" or frame.kind == "top"
            elif word == "WHERE":
                template_next = False
            if frame.kind == "group":
                if frame.pending and word in OPERATOR_WORDS:
                    self._pattern(match)
                    frame.pending = False
                frame.skipping = True

    def _pattern(self, match: re.Match[str]) -> None:
        self.patterns += 1
        limit = self.settings.max_triple_patterns
        if self.patterns > limit:
            raise self._limit(match, f"it has more than {limit:,} triple patterns", "max_triple_patterns", limit)

    def _row(self, match: re.Match[str]) -> None:
        self.rows += 1
        limit = self.settings.max_values_rows
        if self.rows > limit:
            raise self._limit(match, f"its VALUES blocks have more than {limit:,} rows", "max_values_rows", limit)

    def _nesting(self, match: re.Match[str]) -> None:
        limit = self.settings.max_nesting_depth
        raise self._limit(match, f"it nests more than {limit:,} levels deep (brackets, sub-queries, function calls, "
                                  "'!')", "max_nesting_depth", limit)

    def _operators(self, match: re.Match[str]) -> None:
        limit = self.settings.max_operators
        raise self._limit(match, f"it uses more than {limit:,} operators (UNION, OPTIONAL, MINUS, FILTER, BIND, "
                                  "GRAPH, EXISTS, VALUES, and the operators of expressions and paths)", "max_operators", limit)

    def _limit(self, match: re.Match[str], what: str, setting: str, limit: int) -> LimitExceeded:
        line, column = self._position(match)
        variable = env_name(setting)
        return LimitExceeded(
            f"refused before evaluation: {what}, the limit of this endpoint ({variable}={limit}); "
            f"passed at line {line}, column {column}", 400, variable, limit, line, column,
        )

    def _refuse(self, word: str, match: re.Match[str]) -> None:
        line, column = self._position(match)
        _, variable, effect = GUARDED_KEYWORDS[word]
        raise QueryError(
            f"{word} at line {line}, column {column} is disabled on this endpoint "
            f"(it {effect}); an operator can enable it with {variable}=1",
            line, column,
        )

    def _position(self, match: re.Match[str]) -> tuple[int, int]:
        """Line and column (1-based) where the token of ``match`` starts."""
        offset = match.start(match.lastgroup or 0)
        line = self.text.count("\n", 0, offset) + 1
        return line, offset - (self.text.rfind("\n", 0, offset) + 1) + 1
