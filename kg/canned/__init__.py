"""The canned-query library: ``.rq`` files with a ``#+`` metadata header are the catalogue, the API and the forms.

* :mod:`kg.canned.header` reads the header into a :class:`~kg.canned.model.CannedQuery`;
* :mod:`kg.canned.grlc` reads grlc's keys and ``?_name_type`` parameter variables, and pages runs;
* :mod:`kg.canned.checks` checks the SPARQL before a query is saved;
* :mod:`kg.canned.binding` types, checks and binds parameter values;
* :mod:`kg.canned.catalogue` lists shipped and saved queries and saves, deletes and restores;
* :mod:`kg.canned.files` writes atomically, locks per name and keeps the history;
* :mod:`kg.canned.run` evaluates a query with its parameters;
* :mod:`kg.canned.openapi` describes the catalogue as an OpenAPI 3 document.
"""
