"""The change log over HTTP: ``/changes`` (pages), ``/api/changes`` (JSON), and reverting an entry (admin).

``GET /changes`` and ``/api/changes`` list the newest entries (``limit``, ``offset``); ``/changes/N`` and
``/api/changes/N`` show one with its diff; ``POST /changes/N/revert`` and ``/api/changes/N/revert``
(role ``admin``; ``force=true`` to override conflicts) apply its inverse as a new change.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pyoxigraph as ox
from flask import Blueprint, Response, g, jsonify, redirect, render_template, request, url_for

from kg.dataset import history
from kg.dataset.change_log import ChangeNote, noting
from kg.dataset.shacl_guard import ShaclRefusal
from kg.sparql.errors import HttpError
from kg.users import ADMIN
from kg.web import current_graph
from kg.web.auth import require_write_token
from kg.web.errors import render_error

blueprint = Blueprint("changes", __name__)


@contextmanager
def logged(operation: str, request_text: str) -> Iterator[ChangeNote]:
    """Log the writes made in the block as ``g.writer``'s ``operation`` carrying ``request_text``."""
    with noting(ChangeNote(writer=g.get("writer") or "unknown", operation=operation, request=request_text)) as note:
        yield note


def _page() -> tuple[int, int]:
    try:
        limit = int(request.args.get("limit", "100"))
        offset = int(request.args.get("offset", "0"))
    except ValueError:
        raise HttpError("limit and offset are whole numbers", 400, parameter="limit") from None
    if not (1 <= limit <= 1000 and offset >= 0):
        raise HttpError("limit is 1 to 1000 and offset at least 0", 400, parameter="limit")
    return limit, offset


def _quad_json(quad: ox.Quad) -> dict[str, str]:
    return {"subject": str(quad.subject), "predicate": str(quad.predicate), "object": str(quad.object),
            "graph": quad.graph_name.value}


REPORT_TYPES = ("text/turtle", "application/ld+json", "application/problem+json", "application/json")


@blueprint.app_errorhandler(ShaclRefusal)
def refused(error: ShaclRefusal) -> Response:
    """422 with the SHACL validation report: Turtle (the default) or JSON-LD, or problem details for JSON clients."""
    best = request.accept_mimetypes.best_match(REPORT_TYPES, default="text/turtle")
    if best in ("application/problem+json", "application/json") and request.accept_mimetypes.best != "*/*":
        return render_error(error)
    fmt = "json-ld" if best == "application/ld+json" else "turtle"
    body = error.report.graph.serialize(format=fmt)
    return Response(body, status=422, content_type=f"{best}; charset=utf-8" if fmt == "turtle" else best)


@blueprint.get("/api/changes")
def api_list() -> Response:
    """The newest entries first: number, times, writer, operation, request, +/- counts."""
    limit, offset = _page()
    return jsonify(changes=[entry.as_json() for entry in history.entries(current_graph(), limit, offset)])


@blueprint.get("/api/changes/<int:number>")
def api_entry(number: int) -> Response:
    """One entry with its exact removed and added quads (terms in N-Triples syntax)."""
    detail = history.entry(current_graph(), number)
    return jsonify(**detail.summary.as_json(), removed_quads=[_quad_json(q) for q in detail.removed],
                   added_quads=[_quad_json(q) for q in detail.added])


@blueprint.get("/changes")
def page_list() -> str:
    """The change log as a page: who, when, +/- counts."""
    limit, offset = _page()
    return render_template("changes.html", entries=history.entries(current_graph(), limit, offset), detail=None)


@blueprint.get("/changes/<int:number>")
def page_entry(number: int) -> str:
    """One entry as a page, with its diff."""
    detail = history.entry(current_graph(), number)
    return render_template("changes.html", entries=[detail.summary], detail=detail)


@blueprint.post("/changes/<int:number>/revert")
@blueprint.post("/api/changes/<int:number>/revert")
def revert(number: int) -> Response:
    """Apply entry ``number``'s inverse as a new change (admin); 409 listing later changes of the same triples."""
    caller = require_write_token(request.form.get("token") or None, needs=ADMIN)
    force = (request.args.get("force") or request.form.get("force") or "").lower() in ("true", "1", "yes")
    note = history.revert(current_graph(), number, caller.name, force=force)
    if not request.path.startswith("/api/") and note.number is not None:  # the page's form: show the new entry
        return redirect(url_for("changes.page_entry", number=note.number), 303)
    return jsonify(reverted=number, change=note.number)


def written(summary: str, note: ChangeNote, status: int = 200) -> Response:
    """The answer to a write: its summary, then the SHACL report (``KG_SHACL=report``) when it found violations;
    ``X-KG-Change`` names the change log entry."""
    body = summary + "\n" if summary else ""
    if note.shacl_report is not None:
        body += "\n" + note.shacl_report.graph.serialize(format="turtle")
    response = Response(body or None, status=status, content_type="text/plain; charset=utf-8")
    if note.number is not None:
        response.headers["X-KG-Change"] = str(note.number)
    return response
