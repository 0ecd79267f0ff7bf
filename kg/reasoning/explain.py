"""Explanations: how an entailed triple follows from asserted ones, rule by rule.

The fast engine keeps, for every inferred triple, the first derivation it
found (a rule and its premises, all known before the triple), so following
premises always ends at asserted triples; after a deletion, the one it found
again from what remains.  :func:`derivation_tree` turns that record
into a tree the CLI prints and the web serves as JSON.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox

from kg.reasoning.closure import Closure
from kg.reasoning.fast.terms import Fact

#: Largest number of tree nodes spelled out; deeper premises are listed without their own derivations.
MAX_NODES = 2000


class TripleSyntaxError(ValueError):
    """A subject, predicate or object that does not spell an RDF term (the message says which)."""


def parse_triple(subject: str, predicate: str, obj: str, prefixes: dict[str, str], base_iri: str) -> ox.Triple:
    """The triple spelled by three Turtle terms: ``<iri>``, a bare absolute IRI, ``prefix:name``, ``a``, a literal."""
    parts = []
    for role, text in (("subject", subject), ("predicate", predicate), ("object", obj)):
        text = text.strip()
        if not text:
            raise TripleSyntaxError(f"the {role} is missing")
        if "://" in text and text[0] not in "<\"'" and not any(c in text for c in " <>\"{}|^`"):
            text = f"<{text}>"
        parts.append(text)
    prologue = "".join(f"@prefix {name}: <{iri}> .\n" for name, iri in prefixes.items())
    document = f"{prologue}{parts[0]} {parts[1]} {parts[2]} ."
    try:
        triples = [q.triple for q in ox.parse(document, format=ox.RdfFormat.TURTLE, base_iri=base_iri)]
    except SyntaxError as error:
        message = re.sub(r"^Parser error at line \d+ column \d+: ", "", error.msg if error.msg else str(error))
        raise TripleSyntaxError(f"not a triple of RDF terms ({' '.join(parts)}): {message}") from None
    if len(triples) != 1:
        raise TripleSyntaxError(f"not one triple: {' '.join(parts)}")
    return triples[0]


@dataclass(frozen=True)
class Derivation:
    """A triple, whether it is inferred, and if so the rule and the premises it was derived from."""

    triple: ox.Triple
    inferred: bool
    rule: str | None = None
    premises: tuple[Derivation, ...] = ()
    truncated: bool = False
    """True when the premises of this inferred triple were left out (tree larger than :data:`MAX_NODES`)."""

    def to_json(self) -> dict[str, Any]:
        """``{triple: {s, p, o}, inferred, rule, premises: [...]}`` with terms in N-Triples syntax."""
        body: dict[str, Any] = {
            "triple": {"s": str(self.triple.subject), "p": str(self.triple.predicate), "o": str(self.triple.object)},
            "inferred": self.inferred,
        }
        if self.inferred:
            body["rule"] = self.rule
            body["premises"] = [premise.to_json() for premise in self.premises]
            if self.truncated:
                body["truncated"] = True
        return body

    def leaves(self) -> list[Derivation]:
        """The asserted triples the derivation rests on (and truncated inferred ones)."""
        if not self.inferred or self.truncated:
            return [self]
        return [leaf for premise in self.premises for leaf in premise.leaves()]

    def lines(self, render: Any = str, depth: int = 0) -> list[str]:
        """An indented text tree: ``triple  [rule]`` for inferred triples, ``[asserted]`` for the leaves."""
        spelled = f"{render(self.triple.subject)} {render(self.triple.predicate)} {render(self.triple.object)}"
        tag = f"[{self.rule}]" if self.inferred else "[asserted]"
        if self.truncated:
            tag += " (premises not shown)"
        out = [f"{'  ' * depth}{spelled}  {tag}"]
        for premise in self.premises:
            out.extend(premise.lines(render, depth + 1))
        return out


def derivation_tree(closure: Closure, fact: Fact) -> Derivation:
    """The derivation tree of ``fact`` in ``closure`` (which must entail it)."""
    terms = closure.engine.terms
    budget = [MAX_NODES]

    def triple(f: Fact) -> ox.Triple:
        return next(terms.triples([f]))

    def build(f: Fact) -> Derivation:
        budget[0] -= 1
        record = closure.engine.derivation(f)
        if record is None:
            return Derivation(triple(f), False)
        rule, premises = record
        if budget[0] <= 0:
            return Derivation(triple(f), True, rule, (), truncated=True)
        return Derivation(triple(f), True, rule, tuple(build(p) for p in premises))

    return build(fact)
