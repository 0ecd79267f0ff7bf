"""The SPARQL 1.1 Service Description of the endpoint (what ``GET /sparql`` without a query returns).

It claims only what is true of this server: the languages it accepts (Update
only when a write token is configured), every result format of
:mod:`kg.sparql.formats` by its W3C IRI, federated query only when ``SERVICE``
is enabled, the default entailment regime and how ``reasoning=`` switches it,
the default dataset with its named graphs and their sizes, the limits, and
whether the data is consistent under each entailment whose closure is computed (with a link to
``/inconsistencies``, which lists what it contradicts).
The limits and the reasoning switch are properties of our own, each described
(label and comment) in the document itself under ``<base>service#``.
"""

from __future__ import annotations

import pyoxigraph as ox

from kg.dataset import KnowledgeGraph
from kg.dataset.consistency import known_inconsistencies
from kg.reasoning import ENTAILING_MODES
from kg.sparql.formats import RESULT_FORMATS

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
XSD = "http://www.w3.org/2001/XMLSchema#"
SD = "http://www.w3.org/ns/sparql-service-description#"
VOID = "http://rdfs.org/ns/void#"
ENTAILMENT = "http://www.w3.org/ns/entailment/"

#: Entailment regime IRI of each ``reasoning=`` value.
REGIMES = {"none": ENTAILMENT + "Simple", "rdfs": ENTAILMENT + "RDFS", "owlrl": ENTAILMENT + "OWL-RL"}

#: The limits checked before evaluation (:mod:`kg.sparql.safety`): property -> (setting, label, comment).
LIMITS = {
    "maxQueryLength": ("max_query_length", "maximum query length",
                       "Characters a query may have; longer ones are answered with 413 (KG_MAX_QUERY_LENGTH)."),
    "maxNestingDepth": ("max_nesting_depth", "maximum nesting depth",
                        "Brackets, sub-queries, OPTIONAL/EXISTS/GRAPH blocks, function calls, path groups and '!' a "
                        "query or update may nest; deeper ones are answered with 400 (KG_MAX_NESTING_DEPTH)."),
    "maxOperators": ("max_operators", "maximum operators",
                     "UNION, OPTIONAL, MINUS, FILTER, BIND, GRAPH, EXISTS, VALUES and expression or path operators a "
                     "query or update may use in all; more are answered with 400 (KG_MAX_OPERATORS)."),
    "maxTriplePatterns": ("max_triple_patterns", "maximum triple patterns",
                          "Triple patterns a query (or an update's WHERE) may have; more are answered with 400 "
                          "(KG_MAX_TRIPLE_PATTERNS)."),
    "maxValuesRows": ("max_values_rows", "maximum VALUES rows",
                      "Rows the VALUES blocks of a query may have in all; more are answered with 400 (KG_MAX_VALUES_ROWS)."),
}
#: Over-cap answers are cut to the cap; the response then carries this header with the cap.
TRUNCATION_HEADER = "X-SPARQL-MaxRows"


def service_namespace(base: str) -> str:
    """Namespace of the properties this description adds to the W3C vocabulary."""
    return base + "service#"


def describe_service(
    graph: KnowledgeGraph, endpoint: str, *, updates: bool, federated: bool, graph_store: str | None = None
) -> list[ox.Triple]:
    """The service description of ``endpoint`` serving ``graph`` (with ``graph.settings``' limits).

    ``graph_store``: the URL of the SPARQL 1.1 Graph Store HTTP Protocol service over the same dataset
    (SPARQL has no term for it: our ``graphStore`` property, described in the document).
    """
    settings = graph.settings
    ours = service_namespace(settings.base_uri)
    service = ox.NamedNode(endpoint)
    triples: list[ox.Triple] = []

    def add(subject: ox.NamedNode | ox.BlankNode, predicate: str, obj: ox.NamedNode | ox.BlankNode | ox.Literal) -> None:
        triples.append(ox.Triple(subject, ox.NamedNode(predicate), obj))

    def iri(value: str) -> ox.NamedNode:
        return ox.NamedNode(value)

    add(service, RDF + "type", iri(SD + "Service"))
    add(service, SD + "endpoint", service)
    add(service, SD + "supportedLanguage", iri(SD + "SPARQL11Query"))
    if updates:
        add(service, SD + "supportedLanguage", iri(SD + "SPARQL11Update"))
    for fmt in RESULT_FORMATS:
        add(service, SD + "resultFormat", iri(fmt.iri))
    if federated:
        add(service, SD + "feature", iri(SD + "BasicFederatedQuery"))
    add(service, SD + "defaultEntailmentRegime", iri(REGIMES[settings.default_reasoning]))
    if graph_store is not None:
        add(service, ours + "graphStore", iri(graph_store))

    # Only closures already computed: describing the service must never start one (minutes, under the writers' lock,
    # on a large store); /inconsistencies?reasoning=MODE computes it when asked.
    known = known_inconsistencies(graph)
    for mode, regime in REGIMES.items():
        option = ox.BlankNode()
        add(service, ours + "reasoningOption", option)
        add(option, ours + "parameterValue", ox.Literal(mode))
        add(option, SD + "entailmentRegime", iri(regime))
        if mode == settings.default_reasoning:
            add(option, ours + "isDefault", ox.Literal("true", datatype=iri(XSD + "boolean")))
        if mode in known:
            consistent = "false" if known[mode] else "true"
            add(option, ours + "consistent", ox.Literal(consistent, datatype=iri(XSD + "boolean")))
        if mode == "owlrl":
            axiomatic = "true" if settings.axiomatic_triples else "false"
            add(option, ours + "axiomaticTriples", ox.Literal(axiomatic, datatype=iri(XSD + "boolean")))
        if mode in ENTAILING_MODES:
            add(option, ours + "inconsistencies", iri(endpoint.removesuffix("sparql") + "inconsistencies?reasoning=" + mode))
    add(service, ours + "queryTimeout", ox.Literal(repr(float(settings.query_timeout)), datatype=iri(XSD + "decimal")))
    add(service, ours + "maxResultRows", ox.Literal(str(settings.max_result_rows), datatype=iri(XSD + "integer")))
    add(service, ours + "overCapAnswers", ox.Literal(f"truncated to the cap; the response carries {TRUNCATION_HEADER}"))
    add(service, ours + "maxRequestBytes", ox.Literal(str(settings.max_request_bytes), datatype=iri(XSD + "integer")))
    for local, value in LIMITS.items():
        add(service, ours + local, ox.Literal(str(getattr(settings, value[0])), datatype=iri(XSD + "integer")))

    dataset = ox.BlankNode()
    add(service, SD + "defaultDataset", dataset)
    add(dataset, RDF + "type", iri(SD + "Dataset"))
    default_graph = ox.BlankNode()
    add(dataset, SD + "defaultGraph", default_graph)
    add(default_graph, RDF + "type", iri(SD + "Graph"))
    default_size = sum(_count(graph, name) for name in graph.default_graph(settings.default_reasoning))
    add(default_graph, VOID + "triples", ox.Literal(str(default_size), datatype=iri(XSD + "integer")))
    add(default_graph, SD + "entailmentRegime", iri(REGIMES[settings.default_reasoning]))
    regime_of = {iri: REGIMES[mode] for mode, iri in graph.layout.closures.items()}
    regime_of[graph.layout.asserted] = REGIMES["none"]

    def named_graph(collection: ox.BlankNode, name: str, size: int) -> None:
        named = ox.BlankNode()
        described = ox.BlankNode()
        add(collection, SD + "namedGraph", named)
        add(named, RDF + "type", iri(SD + "NamedGraph"))
        add(named, SD + "name", iri(name))
        add(named, SD + "graph", described)
        add(described, RDF + "type", iri(SD + "Graph"))
        add(described, VOID + "triples", ox.Literal(str(size), datatype=iri(XSD + "integer")))
        if name in regime_of:
            add(named, SD + "entailmentRegime", iri(regime_of[name]))

    # The default dataset's named graphs are the data's: what GRAPH ?g ranges over.
    for name in graph.named_graphs():
        if size := _count(graph, name):
            named_graph(dataset, name, size)
    # The bookkeeping graphs are available by name (FROM, FROM NAMED, GRAPH <name>), not in GRAPH ?g.
    available = ox.BlankNode()
    add(service, SD + "availableGraphs", available)
    add(available, RDF + "type", iri(SD + "GraphCollection"))
    for name in sorted(graph.layout.bookkeeping_graphs):
        if size := _count(graph, name):
            named_graph(available, name, size)
    triples += _vocabulary(ours)
    return triples


def _count(graph: KnowledgeGraph, name: str) -> int:
    return graph.size(name)


def _vocabulary(ours: str) -> list[ox.Triple]:
    """Labels and comments of our own properties, so the description explains itself."""
    terms = {
        "reasoningOption": ("reasoning option", "A value of the 'reasoning' request parameter and the entailment regime it selects for the query's default graph."),
        "parameterValue": ("parameter value", "The value to pass as reasoning=... (GET or POST parameter)."),
        "isDefault": ("is default", "True for the option used when a request gives no 'reasoning' parameter."),
        "consistent": ("consistent", "False when the data contradicts the ontology under this option's entailment (an OWL 2 RL inconsistency rule fires); stated once that closure is computed (the inconsistencies link computes it)."),
        "axiomaticTriples": ("axiomatic triples", "True when this option's closure holds the triples OWL 2 RL/RDF "
                             "derives from no premise (owl:Thing a owl:Class, xsd:integer a rdfs:Datatype...; "
                             "KG_AXIOMATIC_TRIPLES); false when they are left out, like the rest of the built-in "
                             "vocabulary's bookkeeping."),
        "inconsistencies": ("inconsistencies", "The JSON list of what the data contradicts under this option: rule, message and triples."),
        "queryTimeout": ("query timeout", "Seconds a query may run; past it the query is stopped and answered with 503 (KG_QUERY_TIMEOUT)."),
        "maxResultRows": ("maximum result rows", "Most solutions (SELECT) or triples (CONSTRUCT, DESCRIBE) one answer carries (KG_MAX_RESULT_ROWS)."),
        "overCapAnswers": ("over-cap answers", "What happens to an answer with more rows than the cap."),
        "graphStore": ("graph store", "The SPARQL 1.1 Graph Store HTTP Protocol service over the same dataset: GET, "
                       "PUT, POST and DELETE of whole graphs (?graph=IRI, ?default, or <base>store/... addressed "
                       "directly); writes need the write token."),
        "maxRequestBytes": ("maximum request bytes", "Largest request body accepted; larger ones are answered with 413 (KG_MAX_REQUEST_BYTES)."),
        **{local: (label, comment) for local, (_, label, comment) in LIMITS.items()},
    }
    triples = []
    for local, (label, comment) in terms.items():
        term = ox.NamedNode(ours + local)
        triples.append(ox.Triple(term, ox.NamedNode(RDF + "type"), ox.NamedNode(RDF + "Property")))
        triples.append(ox.Triple(term, ox.NamedNode(RDFS + "label"), ox.Literal(label, language="en")))
        triples.append(ox.Triple(term, ox.NamedNode(RDFS + "comment"), ox.Literal(comment, language="en")))
    return triples
