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

from kg.linked_data.description import LABEL_PREDICATES, Fact
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
    """An arrow between the resource and one neighbour (from subject to object), with the linking properties."""

    x1: float
    y1: float
    x2: float
    y2: float
    text: str
    title: str
    text_x: float
    text_y: float
    anchor: str
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
    """A resource linked to the topic, and the properties linking them each way (True: inferred only)."""

    iri: URIRef
    out: dict[URIRef, bool] = field(default_factory=dict)
    into: dict[URIRef, bool] = field(default_factory=dict)

    @property
    def on_right(self) -> bool:
        """Drawn among what the topic links to: asserted links decide, then any link."""
        asserted_out = not all(self.out.values()) if self.out else False
        asserted_in = not all(self.into.values()) if self.into else False
        return asserted_out or (not asserted_in and bool(self.out))

    @property
    def properties(self) -> dict[URIRef, bool]:
        """The properties drawn: those in the direction of its column."""
        return self.out if self.on_right else self.into

    @property
    def inferred_only(self) -> bool:
        return all(self.properties.values())


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


def _pick(neighbours: list[_Neighbour], labeller: Labeller) -> list[_Neighbour]:
    """Up to :data:`PER_SIDE` neighbours, taken in turn from each linking property so that every kind of link shows."""
    groups: dict[str, list[_Neighbour]] = {}
    for neighbour in sorted(neighbours, key=lambda n: (n.inferred_only, labeller.label(n.iri).lower())):
        props = neighbour.properties
        primary = min(props, key=lambda p: (props[p], labeller.label(p)))
        groups.setdefault(labeller.label(primary), []).append(neighbour)
    queues = sorted(groups.values(), key=lambda g: (g[0].inferred_only, labeller.label(g[0].iri).lower()))
    picked: list[_Neighbour] = []
    while queues and len(picked) < PER_SIDE:
        for queue in list(queues):
            if len(picked) == PER_SIDE:
                break
            picked.append(queue.pop(0))
            if not queue:
                queues.remove(queue)
    return sorted(
        picked,
        key=lambda n: (
            n.inferred_only,
            labeller.label(min(n.properties, key=labeller.label)).lower(),
            labeller.label(n.iri).lower(),
        ),
    )


def layout(topic: URIRef, facts: list[Fact], labeller: Labeller) -> Neighbourhood:
    """Lay out ``topic``'s direct neighbours (at most :data:`PER_SIDE` a side)."""
    neighbours = _neighbours(topic, facts)
    right = _pick([n for n in neighbours if n.on_right], labeller)
    left = _pick([n for n in neighbours if not n.on_right], labeller)
    hidden = len(neighbours) - len(right) - len(left)
    rows = max(len(left), len(right), 1)
    height = rows * ROW + 2 * ROW
    centre_label = labeller.label(topic)
    centre_text = _cut(centre_label, CENTRE_TEXT)
    centre_width = len(centre_text) * CENTRE_CHAR_WIDTH + 28
    centre_height = max(NODE_HEIGHT + 6, rows * 8)  # room for the arrowheads of many links
    centre = Box(
        (WIDTH - centre_width) / 2,
        (height - centre_height) / 2,
        centre_width,
        centre_text,
        centre_label,
        None,
        centre_height,
    )
    picture = Neighbourhood(WIDTH, height, centre, hidden=hidden)
    for side, column in (("right", right), ("left", left)):
        top = (height - len(column) * ROW) / 2
        for index, neighbour in enumerate(column):
            label = labeller.label(neighbour.iri)
            text = _cut(label, NODE_TEXT)
            width = len(text) * CHAR_WIDTH + 20
            x = RIGHT_COLUMN_START if side == "right" else LEFT_COLUMN_END - width
            box = Box(
                x, top + index * ROW + (ROW - NODE_HEIGHT) / 2, width, text, label, labeller.view(neighbour.iri).href
            )
            picture.nodes.append(box)
            edge_text, names = _properties_text(labeller, neighbour.properties)
            # Lines leave the centre box spread over its height, and each label sits on the side of its line
            # away from the others (above for rows over the centre, below for rows under it).
            at_centre = centre.y + 4 + (centre.height - 8) * (index + 0.5) / len(column)
            text_y = box.centre_y - 5 if box.centre_y <= centre.centre_y else box.centre_y + 14
            if side == "right":
                link = Link(
                    centre.x + centre.width,
                    at_centre,
                    box.x,
                    box.centre_y,
                    _cut(edge_text, EDGE_TEXT),
                    ", ".join(names),
                    box.x - 8,
                    text_y,
                    "end",
                    neighbour.inferred_only,
                )
            else:
                link = Link(
                    box.x + box.width,
                    box.centre_y,
                    centre.x,
                    at_centre,
                    _cut(edge_text, EDGE_TEXT),
                    ", ".join(names),
                    box.x + box.width + 8,
                    text_y,
                    "start",
                    neighbour.inferred_only,
                )
            picture.links.append(link)
            subject, obj = (centre_label, label) if side == "right" else (label, centre_label)
            picture.summary.append(f"{subject} — {', '.join(names)} → {obj}")
    return picture
