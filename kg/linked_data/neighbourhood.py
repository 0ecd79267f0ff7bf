"""The picture of a resource's direct neighbourhood, laid out on the server (a template draws it as SVG).

A bow-tie layout: the resource in the middle, what it links to in a column on
the right, what links to it in a column on the left, one row per neighbour
and the linking properties written next to each neighbour, so labels never
overlap however long they are (they are cut, with the full label as the
node's tooltip and accessible name).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rdflib import URIRef
from rdflib.namespace import RDF

from kg.linked_data.describe import LABEL_PREDICATES, Fact
from kg.linked_data.labels import Labeller

PER_SIDE = 12
WIDTH = 1000
ROW = 36
NODE_HEIGHT = 26
CHAR_WIDTH = 7.0
CENTRE_CHAR_WIDTH = 8.4
NODE_TEXT = 30
CENTRE_TEXT = 24
EDGE_TEXT = 24
LEFT_COLUMN_END = 240
RIGHT_COLUMN_START = 760
SKIPPED = frozenset({RDF.type, *LABEL_PREDICATES})
"""Links not drawn: types and labels are in the page's header and table."""


@dataclass(frozen=True)
class Box:
    """A node: a labelled box, linking to its page."""

    x: float
    y: float
    width: float
    text: str
    title: str
    href: str | None
    height: float = NODE_HEIGHT

    @property
    def centre_x(self) -> float:
        return self.x + self.width / 2

    @property
    def centre_y(self) -> float:
        return self.y + self.height / 2


@dataclass(frozen=True)
class Link:
    """The line between the resource and one neighbour, with the properties that link them."""

    x1: float
    y1: float
    x2: float
    y2: float
    text: str
    title: str
    text_x: float
    text_y: float
    anchor: str
    outgoing: bool
    incoming: bool
    inferred: bool


@dataclass
class Neighbourhood:
    """Everything the template needs to draw the picture."""

    width: int
    height: int
    centre: Box
    nodes: list[Box] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    hidden: int = 0
    summary: list[str] = field(default_factory=list)
    """One sentence per drawn link, for the picture's text description."""


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


@dataclass
class _Neighbour:
    iri: URIRef
    out: dict[URIRef, bool] = field(default_factory=dict)
    into: dict[URIRef, bool] = field(default_factory=dict)

    @property
    def inferred_only(self) -> bool:
        return all(self.out.values()) and all(self.into.values())


def _neighbours(topic: URIRef, facts: list[Fact]) -> list[_Neighbour]:
    found: dict[URIRef, _Neighbour] = {}
    for fact in facts:
        if fact.predicate in SKIPPED:
            continue
        if fact.subject == topic and isinstance(fact.object, URIRef) and fact.object != topic:
            entry = found.setdefault(fact.object, _Neighbour(fact.object))
            entry.out[fact.predicate] = entry.out.get(fact.predicate, True) and fact.inferred
        elif fact.object == topic and isinstance(fact.subject, URIRef) and fact.subject != topic:
            entry = found.setdefault(fact.subject, _Neighbour(fact.subject))
            entry.into[fact.predicate] = entry.into.get(fact.predicate, True) and fact.inferred
    return list(found.values())


def _properties_text(labeller: Labeller, properties: dict[URIRef, bool]) -> tuple[str, list[str]]:
    ordered = sorted(properties, key=lambda p: (properties[p], labeller.label(p)))
    names = [labeller.label(p) for p in ordered]
    text = names[0] + (f" +{len(names) - 1}" if len(names) > 1 else "")
    return text, names


def layout(topic: URIRef, facts: list[Fact], labeller: Labeller) -> Neighbourhood:
    """Lay out ``topic``'s direct neighbours (at most :data:`PER_SIDE` a side)."""
    neighbours = sorted(_neighbours(topic, facts), key=lambda n: (n.inferred_only, labeller.label(n.iri).lower()))
    right = [n for n in neighbours if n.out][:PER_SIDE]
    left = [n for n in neighbours if not n.out][:PER_SIDE]
    hidden = len(neighbours) - len(right) - len(left)
    rows = max(len(left), len(right), 1)
    height = rows * ROW + 2 * ROW
    centre_label = labeller.label(topic)
    centre_text = _cut(centre_label, CENTRE_TEXT)
    centre_width = len(centre_text) * CENTRE_CHAR_WIDTH + 28
    centre = Box((WIDTH - centre_width) / 2, (height - NODE_HEIGHT - 6) / 2, centre_width, centre_text, centre_label,
                 None, NODE_HEIGHT + 6)
    picture = Neighbourhood(WIDTH, height, centre, hidden=hidden)
    for side, column in (("right", right), ("left", left)):
        top = (height - len(column) * ROW) / 2
        for index, neighbour in enumerate(column):
            label = labeller.label(neighbour.iri)
            text = _cut(label, NODE_TEXT)
            width = len(text) * CHAR_WIDTH + 20
            x = RIGHT_COLUMN_START if side == "right" else LEFT_COLUMN_END - width
            box = Box(x, top + index * ROW + (ROW - NODE_HEIGHT) / 2, width, text, label,
                      labeller.view(neighbour.iri).href)
            picture.nodes.append(box)
            properties = {**neighbour.into, **neighbour.out}
            edge_text, names = _properties_text(labeller, properties)
            if side == "right":
                x1, x2, text_x, anchor = centre.x + centre.width, box.x, box.x - 8, "end"
            else:
                x1, x2, text_x, anchor = centre.x, box.x + box.width, box.x + box.width + 8, "start"
            picture.links.append(Link(
                x1, centre.centre_y, x2, box.centre_y, _cut(edge_text, EDGE_TEXT), ", ".join(names),
                text_x, box.centre_y - 5, anchor, bool(neighbour.out), bool(neighbour.into),
                neighbour.inferred_only))
            for name in (labeller.label(p) for p in neighbour.out):
                picture.summary.append(f"{centre_label} — {name} → {label}")
            for name in (labeller.label(p) for p in neighbour.into):
                picture.summary.append(f"{label} — {name} → {centre_label}")
    return picture
