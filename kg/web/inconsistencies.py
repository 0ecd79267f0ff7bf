"""``GET /inconsistencies[?reasoning=]``: what the data contradicts in the ontology, per entailment mode, as JSON."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from kg.dataset.consistency import inconsistencies
from kg.reasoning import ENTAILING_MODES
from kg.sparql.entailment import parse_reasoning
from kg.sparql.errors import HttpError
from kg.web import current_graph

blueprint = Blueprint("inconsistencies", __name__)


@blueprint.get("/inconsistencies")
def list_inconsistencies() -> Response:
    """``{MODE: {consistent, inconsistencies: [{rule, message, triples}]}}`` for each mode (or the one asked for).

    ``triples`` are the triples involved, in N-Triples; ``kg explain`` or ``/explain``
    shows how an inferred one was derived.  400 for a mode without a closure.
    """
    asked = request.args.get("reasoning")
    modes = ENTAILING_MODES
    if asked:
        mode = parse_reasoning(asked)
        if mode not in ENTAILING_MODES:
            raise HttpError(f"nothing is inferred under reasoning {asked!r}; inconsistencies exist for: "
                            f"{', '.join(ENTAILING_MODES)}")
        modes = (mode,)
    graph = current_graph()
    found = {mode: inconsistencies(graph, mode) for mode in modes}
    return jsonify({mode: {"consistent": not problems, "inconsistencies": [p.to_json() for p in problems]}
                    for mode, problems in found.items()})
