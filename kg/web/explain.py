"""``GET /explain?s=&p=&o=[&reasoning=]``: how an entailed triple is derived, as JSON."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from kg.dataset.explain import explain
from kg.reasoning import ENTAILING_MODES
from kg.reasoning.explain import TripleSyntaxError, parse_triple
from kg.sparql.entailment import parse_reasoning
from kg.sparql.errors import HttpError
from kg.web import current_graph

blueprint = Blueprint("explain", __name__)


@blueprint.get("/explain")
def explain_triple() -> Response:
    """The derivation tree of the triple ``s p o`` (Turtle terms: ``<iri>``, prefixed names, literals).

    200 with ``{triple, inferred, rule, premises: [...]}`` (recursively, down to
    asserted triples); 400 for a missing or malformed term or an unknown mode;
    404 when the triple is not entailed.
    """
    graph = current_graph()
    mode = parse_reasoning(request.args.get("reasoning") or None) or "owlrl"
    if mode not in ENTAILING_MODES:
        raise HttpError(f"nothing is derived under reasoning {mode!r}; explanations exist for: "
                        f"{', '.join(ENTAILING_MODES)}")
    missing = [name for name in ("s", "p", "o") if not request.args.get(name, "").strip()]
    if missing:
        raise HttpError(f"missing parameter(s): {', '.join(missing)} (the triple's subject, predicate and object)")
    try:
        triple = parse_triple(request.args["s"], request.args["p"], request.args["o"],
                              graph.namespaces.prefixes(), graph.settings.base_uri)
    except TripleSyntaxError as error:
        raise HttpError(str(error)) from None
    derivation = explain(graph, triple, mode)
    if derivation is None:
        raise HttpError(f"the triple is not entailed under {mode}: {triple}", 404)
    return jsonify(derivation.to_json())

