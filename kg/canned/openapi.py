"""The OpenAPI 3 document of the query library, generated from the catalogue: one path per canned query."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from importlib import metadata
from typing import Any

from kg.canned.binding import Choice
from kg.canned.catalogue import NAME_PATTERN
from kg.canned.model import CannedQuery, Parameter
from kg.canned.openapi_schemas import components, ref
from kg.reasoning import MODES
from kg.sparql.formats import GRAPH, SOLUTIONS, formats_for

OPENAPI_VERSION = "3.0.3"
_SHOWN_CHOICES = 30

ChoicesOf = Callable[[Parameter], Sequence[Choice]]


def openapi_document(queries: Sequence[CannedQuery], server_url: str, choices_of: ChoicesOf) -> dict[str, Any]:
    """The OpenAPI document of ``queries`` at ``server_url``; ``choices_of`` lists an iri parameter's instances."""
    paths: dict[str, Any] = {
        "/api/queries": {"get": _list_operation()},
        "/api/queries/{name}": {
            "parameters": [_name_parameter()],
            "get": _get_operation(),
            "put": _put_operation(),
            "delete": _delete_operation(),
        },
        "/api/queries/{name}/history": {"parameters": [_name_parameter()], "get": _history_operation()},
        "/api/queries/{name}/history/{revision}": {
            "parameters": [_name_parameter(), _revision_parameter()],
            "get": _revision_operation(),
        },
        "/api/queries/{name}/history/{revision}/restore": {
            "parameters": [_name_parameter(), _revision_parameter()],
            "post": _restore_operation(),
        },
    }
    for query in queries:
        paths[f"/api/queries/{query.name}/run"] = _run_path(query, choices_of)
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "ipkg canned queries",
            "version": _version(),
            "description": (
                "Parameterised SPARQL queries over the ipkg knowledge graph. Each canned query is a `.rq` file "
                "with a `#+` metadata header; each has a `run` path below with its typed parameters. Runs answer "
                "like the `/sparql` endpoint: choose the format with `Accept` or `format=`, the entailment with "
                "`reasoning=`. Writes need a writer's token: `Authorization: Bearer <token>` (KG_WRITE_TOKEN, "
                "or a KG_USERS user's of role write or admin)."
            ),
        },
        "servers": [{"url": server_url.rstrip("/") or "/"}],
        "tags": [
            {"name": "catalogue", "description": "List, read, save, delete and restore canned queries."},
            {"name": "run", "description": "Run a canned query with its parameters."},
        ],
        "paths": paths,
        "components": components(),
    }


def _version() -> str:
    try:
        return metadata.version("ipkg")
    except metadata.PackageNotFoundError:  # running from a source tree that was never installed
        return "0.0.0"


def _json(schema: str) -> dict[str, Any]:
    return {"application/json": {"schema": ref("schemas", schema)}}


def _errors(*statuses: int) -> dict[str, Any]:
    reasons = {
        400: "Bad request: the message says what is wrong (parameter, name, SPARQL line and column)",
        401: "Missing or wrong bearer token",
        403: "Writes are disabled: the server has no write token",
        404: "No such query or revision",
        406: "None of the acceptable formats can carry the answer",
        409: "A shipped query cannot be changed",
        413: "Request body too large",
        415: "The body must be application/sparql-query",
        503: "The query exceeded the time limit",
    }
    problem = {"application/problem+json": {"schema": ref("schemas", "Error")}}
    return {str(status): {"description": reasons[status], "content": problem} for status in statuses}


def _name_parameter() -> dict[str, Any]:
    return {
        "name": "name",
        "in": "path",
        "required": True,
        "description": "The query's name: lower-case letters, digits and '-' (1-64).",
        "schema": {"type": "string", "pattern": NAME_PATTERN.pattern},
    }


def _revision_parameter() -> dict[str, Any]:
    return {"name": "revision", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}


def _list_operation() -> dict[str, Any]:
    return {
        "tags": ["catalogue"],
        "operationId": "listQueries",
        "summary": "The catalogue of canned queries",
        "parameters": [
            {"name": "tag", "in": "query", "description": "Only queries with this tag.", "schema": {"type": "string"}},
            {"name": "q", "in": "query", "description": "Only queries whose name, title, description or tags "
                                                         "contain every word of this text.",
             "schema": {"type": "string"}},
        ],
        "responses": {"200": {"description": "The matching queries", "content": _json("QueryList")}},
    }


def _get_operation() -> dict[str, Any]:
    return {
        "tags": ["catalogue"],
        "operationId": "getQuery",
        "summary": "A canned query's metadata and its `.rq` text",
        "responses": {
            "200": {
                "description": "The query (JSON), or its `.rq` file when `application/sparql-query` is asked for",
                "content": {
                    **_json("QueryDetail"),
                    "application/sparql-query": {"schema": {"type": "string"}},
                },
            },
            **_errors(400, 404),
        },
    }


def _put_operation() -> dict[str, Any]:
    return {
        "tags": ["catalogue"],
        "operationId": "saveQuery",
        "summary": "Create or replace a saved query",
        "description": "The body is the whole `.rq` file, metadata header included. The query is checked (it "
                       "parses, its parameters are variables of it, it runs with its defaults under the endpoint's "
                       "limits) and written atomically; the previous version stays in the history.",
        "security": [{"bearerAuth": []}],
        "requestBody": {
            "required": True,
            "content": {"application/sparql-query": {"schema": {"type": "string"}}},
        },
        "responses": {
            "200": {"description": "Replaced", "content": _json("QueryDetail")},
            "201": {"description": "Created", "content": _json("QueryDetail")},
            **_errors(400, 401, 403, 409, 413, 415),
        },
    }


def _delete_operation() -> dict[str, Any]:
    return {
        "tags": ["catalogue"],
        "operationId": "deleteQuery",
        "summary": "Delete a saved query (its history is kept and can be restored)",
        "security": [{"bearerAuth": []}],
        "responses": {"204": {"description": "Deleted"}, **_errors(400, 401, 403, 404, 409)},
    }


def _history_operation() -> dict[str, Any]:
    return {
        "tags": ["catalogue"],
        "operationId": "queryHistory",
        "summary": "The saved versions of a query, oldest first",
        "responses": {"200": {"description": "The revisions", "content": _json("History")}, **_errors(400, 404)},
    }


def _revision_operation() -> dict[str, Any]:
    return {
        "tags": ["catalogue"],
        "operationId": "queryRevision",
        "summary": "The `.rq` text of one revision",
        "responses": {
            "200": {"description": "The revision",
                    "content": {"application/sparql-query": {"schema": {"type": "string"}}}},
            **_errors(400, 404),
        },
    }


def _restore_operation() -> dict[str, Any]:
    return {
        "tags": ["catalogue"],
        "operationId": "restoreQuery",
        "summary": "Make a revision the current version again (recorded as a new revision)",
        "security": [{"bearerAuth": []}],
        "responses": {
            "200": {"description": "Restored", "content": _json("QueryDetail")},
            **_errors(400, 401, 403, 404, 409),
        },
    }


def _run_path(query: CannedQuery, choices_of: ChoicesOf) -> dict[str, Any]:
    kind = GRAPH if query.answers_with_graph else SOLUTIONS
    parameters = [_run_parameter(p, choices_of) for p in query.parameters]
    formats = [fmt.name for fmt in formats_for(kind)]
    common = [
        {"name": "reasoning", "in": "query", "description": "Entailment the query sees"
            + (f" (this query is written for {query.reasoning})." if query.reasoning else "."),
         "schema": {"type": "string", "enum": list(MODES),
                    **({"default": query.reasoning} if query.reasoning else {})}},
        {"name": "format", "in": "query", "description": "Result format, overriding `Accept`.",
         "schema": {"type": "string", "enum": formats}},
        {"name": "download", "in": "query", "description": "Answer as a file download (`Content-Disposition: "
                                                           "attachment`).", "schema": {"type": "boolean"}},
    ]
    if query.pagination:
        common.append({"name": "page", "in": "query", "description": f"Page of {query.pagination} rows (grlc's "
                       "`pagination`); the `Link` header gives the first, previous and next pages.",
                       "schema": {"type": "integer", "minimum": 1, "default": 1}})
    responses = {
        "200": {
            "description": "The answer, in the negotiated format",
            "content": {fmt.media_type: {"schema": _result_schema(fmt.name)} for fmt in formats_for(kind)},
        },
        **_errors(400, 404, 406, 503),
    }
    description = query.description + (
        f"\n\nNeeds reasoning: `{query.reasoning}`." if query.reasoning else "") + (
        f"\n\nDeclared for `{query.method}` (grlc's `method`); GET and POST both run it." if query.method else "") + (
        "".join(f"\n\nNot applicable here: {note}." for note in query.notes))
    operation_id = "run_" + query.name.replace("-", "_")
    required = [p["name"] for p in parameters if p["required"]]
    form_schema = {
        "type": "object",
        "properties": {p["name"]: {**p["schema"], "description": p.get("description", "")} for p in parameters},
        **({"required": required} if required else {}),
    }
    return {
        "get": {
            "tags": ["run"],
            "operationId": operation_id,
            "summary": query.title,
            "description": description,
            "parameters": parameters + common,
            "responses": responses,
        },
        "post": {
            "tags": ["run"],
            "operationId": operation_id + "_post",
            "summary": query.title + " (parameters in a form body)",
            "description": description,
            "parameters": common,
            "requestBody": {"content": {"application/x-www-form-urlencoded": {"schema": form_schema}}},
            "responses": responses,
        },
    }


def _run_parameter(parameter: Parameter, choices_of: ChoicesOf) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "number" if parameter.type == "number" else "string"}
    if parameter.type == "integer":
        schema = {"type": "integer"}
        if parameter.minimum is not None:
            schema["minimum"] = parameter.minimum
        if parameter.maximum is not None:
            schema["maximum"] = parameter.maximum
    elif parameter.type == "date":
        schema["format"] = "date"
    elif parameter.type == "iri":
        schema["x-kg-class"] = parameter.rdf_class
    if parameter.values:
        schema["enum"] = [_json_value(parameter, value) for value in parameter.values]
    if parameter.default is not None:
        schema["default"] = _json_value(parameter, parameter.default)
    description = " ".join(part for part in (parameter.label, parameter.description) if part)
    description += f" Expects {parameter.expects}."
    document: dict[str, Any] = {
        "name": parameter.name,
        "in": "query",
        "required": parameter.required,
        "description": description.strip(),
        "schema": {k: v for k, v in schema.items() if v is not None},
    }
    if parameter.type == "iri":
        choices = list(choices_of(parameter))
        if choices:
            shown = ", ".join(f"`{c.value}` ({c.label})" if c.label != c.value else f"`{c.value}`"
                              for c in choices[:_SHOWN_CHOICES])
            more = len(choices) - _SHOWN_CHOICES
            document["description"] += f" Known: {shown}" + (f" and {more} more." if more > 0 else ".")
            document["example"] = parameter.default or choices[0].value
    return document


def _json_value(parameter: Parameter, value: str) -> Any:
    """``value`` as the JSON its schema type asks for: a number for integer and number parameters."""
    if parameter.type == "integer" or (parameter.type == "number" and value.strip().lstrip("+-").isdigit()):
        return int(value)
    return float(value) if parameter.type == "number" else value


def _result_schema(format_name: str) -> dict[str, Any]:
    if format_name == "json":
        return ref("schemas", "SparqlResults")
    if format_name == "jsonld":
        return {"type": "object"}
    return {"type": "string"}
