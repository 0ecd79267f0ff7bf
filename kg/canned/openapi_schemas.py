"""The components of the query library's OpenAPI document: the JSON schemas its operations refer to."""

from __future__ import annotations

from typing import Any

from kg.canned.model import PARAMETER_TYPES
from kg.reasoning import MODES


def ref(kind: str, name: str) -> dict[str, str]:
    """A ``$ref`` to the component ``name`` of ``kind`` (``schemas``, ``responses``…)."""
    return {"$ref": f"#/components/{kind}/{name}"}


def components() -> dict[str, Any]:
    """The reusable schemas and responses of the document: parameters, queries, history, results, errors."""
    parameter_schema = {
        "type": "object",
        "required": ["name", "type", "required"],
        "properties": {
            "name": {"type": "string"},
            "type": {"type": "string", "enum": list(PARAMETER_TYPES)},
            "label": {"type": "string"},
            "description": {"type": "string"},
            "required": {"type": "boolean"},
            "default": {"type": "string"},
            "class": {"type": "string"},
            "namespace": {"type": "string"},
            "values": {"type": "array", "items": {"type": "string"}},
            "lang": {"type": "string"},
            "minimum": {"type": "integer"},
            "maximum": {"type": "integer"},
            "datatype": {"type": "string"},
            "variable": {"type": "string", "description": "The query variable if not named like the parameter"},
        },
    }
    summary_schema = {
        "type": "object",
        "required": ["name", "title", "description", "tags", "parameters"],
        "properties": {
            "name": {"type": "string"},
            "title": {"type": "string"},
            "description": {"type": "string"},
            "tags": {"type": "array", "items": {"type": "string"}},
            "parameters": {"type": "array", "items": ref("schemas", "Parameter")},
            "form": {"type": "string", "enum": ["SELECT", "ASK", "CONSTRUCT", "DESCRIBE"]},
            "reasoning": {"type": "string", "nullable": True, "enum": [*MODES, None]},
            "source": {"type": "string", "enum": ["shipped", "saved"]},
            "revision": {"type": "integer", "nullable": True},
            "pagination": {"type": "integer", "nullable": True, "description": "Rows per page of a run (`page=`)"},
            "method": {"type": "string", "nullable": True, "enum": ["GET", "POST", None]},
            "notes": {"type": "array", "items": {"type": "string"}, "description": "Keys not applicable here"},
        },
    }
    return {
        "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer",
                                           "description": "A writer's token: KG_WRITE_TOKEN, or a KG_USERS "
                                                          "user's of role write or admin."}},
        "schemas": {
            "Error": {
                "type": "object",
                "description": "Problem details (RFC 9457); `error` repeats `detail`.",
                "required": ["type", "title", "status", "detail", "error"],
                "properties": {
                    "type": {"type": "string"},
                    "title": {"type": "string"},
                    "status": {"type": "integer"},
                    "detail": {"type": "string"},
                    "error": {"type": "string"},
                    "parameter": {"type": "string"},
                    "line": {"type": "integer"},
                    "column": {"type": "integer"},
                },
            },
            "Parameter": parameter_schema,
            "QuerySummary": summary_schema,
            "QueryDetail": {"allOf": [ref("schemas", "QuerySummary"),
                                      {"type": "object", "required": ["sparql"],
                                       "properties": {"sparql": {"type": "string"}}}]},
            "QueryList": {
                "type": "object",
                "required": ["queries"],
                "properties": {"queries": {"type": "array", "items": ref("schemas", "QuerySummary")}},
            },
            "History": {
                "type": "object",
                "required": ["name", "revisions"],
                "properties": {
                    "name": {"type": "string"},
                    "revisions": {"type": "array", "items": {
                        "type": "object",
                        "properties": {"revision": {"type": "integer"}, "saved": {"type": "string",
                                                                                 "format": "date-time"}},
                    }},
                },
            },
            "SparqlResults": {
                "type": "object",
                "description": "SPARQL 1.1 Query Results JSON Format",
                "properties": {"head": {"type": "object"}, "results": {"type": "object"},
                               "boolean": {"type": "boolean"}},
            },
        },
    }
