"""Blank nodes across the SPARQL protocol: skolem IRIs on the remote server, blank nodes on our side.

SPARQL Update cannot name an existing blank node (``DELETE DATA`` forbids them,
``INSERT DATA`` mints new ones, and Virtuoso refuses them outright), so the
remote store writes each blank node ``_:LABEL`` as the IRI
``<base>.well-known/genid/LABEL`` (RDF 1.1 skolemization) and turns those IRIs
back into ``_:LABEL`` in every answer.  Labels survive the round trip, so the
reasoner's closure refers to the same nodes as the asserted data.  The server
itself sees IRIs: ``isBlank()`` evaluated there is false for them.
"""

from __future__ import annotations

import hashlib
import re
from xml.sax.saxutils import escape

import pyoxigraph as ox

_VALID_LABEL = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")
_BNODE_ELEMENT = re.compile(rb"<bnode>([^<]*)</bnode>")

Term = ox.NamedNode | ox.BlankNode | ox.Literal


class Skolemizer:
    """Maps blank nodes to skolem IRIs under ``prefix`` and back."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        escaped = re.escape(escape(prefix).encode("utf-8"))
        self._skolem_uri = re.compile(rb"<uri>" + escaped + rb"([^<]*)</uri>")

    def outgoing(self, term: Term | ox.DefaultGraph) -> str:
        """The SPARQL text of ``term``, a blank node written as its skolem IRI."""
        if isinstance(term, ox.BlankNode):
            return f"<{self.prefix}{term.value}>"
        return str(term)

    def incoming(self, term: Term) -> Term:
        """``term`` from the server, a skolem IRI turned back into its blank node."""
        if isinstance(term, ox.NamedNode) and term.value.startswith(self.prefix):
            return ox.BlankNode(term.value[len(self.prefix):])
        return term

    def incoming_triple(self, triple: ox.Triple) -> ox.Triple:
        """``triple`` from the server with its skolem IRIs turned back into blank nodes."""
        subject, obj = self.incoming(triple.subject), self.incoming(triple.object)
        if subject is triple.subject and obj is triple.object:
            return triple
        return ox.Triple(subject, triple.predicate, obj)

    def incoming_results(self, document: bytes) -> bytes:
        """A SPARQL XML results document with skolem IRIs as blank nodes, and the server's own blank node
        identifiers (e.g. Virtuoso's ``nodeID://b1``) turned into valid labels."""
        document = self._skolem_uri.sub(rb"<bnode>\1</bnode>", document)
        return _BNODE_ELEMENT.sub(_valid_bnode, document)


def _valid_bnode(match: re.Match[bytes]) -> bytes:
    label = match.group(1).decode("utf-8", "replace")
    if _VALID_LABEL.match(label):
        return match.group(0)
    return b"<bnode>b" + hashlib.sha1(match.group(1)).hexdigest().encode() + b"</bnode>"
