"""Linked data: every IRI the graph mints dereferences, as RDF for machines and as a page for people.

Pattern: direct content negotiation.  ``GET <iri>`` answers 200 with the
representation the ``Accept`` header asks for, ``Vary: Accept`` and a
``Content-Location`` naming the format-specific document (``<base>doc/<path>.ttl``),
which serves that one format without negotiation.  See the README for why.

* :mod:`~kg.linked_data.site` — IRIs under the base and the URLs that serve them;
* :mod:`~kg.linked_data.flavours` — the representations offered and content negotiation;
* :mod:`~kg.linked_data.describe` — bounded descriptions (facts with their graphs and sources);
* :mod:`~kg.linked_data.serialize` — a description as RDF in each flavour;
* :mod:`~kg.linked_data.labels` — how a term is shown to people;
* :mod:`~kg.linked_data.pages` — view models of the HTML pages;
* :mod:`~kg.linked_data.neighbourhood` — the server-side layout of the neighbourhood picture;
* :mod:`~kg.linked_data.ontology` — the ontology's own description and documentation;
* :mod:`~kg.linked_data.void` — the VoID description of the dataset;
* :mod:`~kg.linked_data.home` — the home page's overview of the dataset.
"""
