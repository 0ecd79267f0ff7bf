"""An evaluated query as an HTTP answer: the one place that turns an :class:`Outcome` into a response."""

from __future__ import annotations

from flask import Response, g

from kg.evaluation.job import NOT_ACCEPTABLE, UNAVAILABLE, Outcome
from kg.sparql.errors import HttpError
from kg.sparql.formats import SOLUTIONS, Format, format_named, formats_for
from kg.web.service_description import TRUNCATION_HEADER
from kg.web import current_settings
from kg.web.auth import current_caller


def answer(outcome: Outcome, *, negotiated: bool = True, download: str | None = None) -> Response:
    """The answer in its format (``Vary: Accept`` if ``negotiated``, the row cap header if it cut the answer,
    an attachment named ``download`` if given); an :class:`HttpError` if the query was refused.

    The rows written go to the request's log line (``g.result_rows``).
    """
    g.result_rows = outcome.rows
    if not outcome.ok:
        raise refusal(outcome)
    fmt = format_named(outcome.format or "")
    response = Response(outcome.body, content_type=fmt.content_type)
    if negotiated:
        response.vary.add("Accept")
    if outcome.truncated:
        response.headers[TRUNCATION_HEADER] = str(current_caller().role.row_cap or current_settings().max_result_rows)
    if download is not None:
        response.headers["Content-Disposition"] = f'attachment; filename="{download}.{download_extension(fmt)}"'
    return response


def refusal(outcome: Outcome) -> HttpError:
    """The error a failed evaluation answers with: its status and message, where it failed, and the headers it needs."""
    if outcome.status == NOT_ACCEPTABLE:
        offered = ", ".join(fmt.media_type for fmt in formats_for(outcome.kind or SOLUTIONS))
        what = "SELECT/ASK" if outcome.kind == SOLUTIONS else "CONSTRUCT/DESCRIBE"
        return HttpError(f"no acceptable format for a {what} answer; offered: {offered} (or format=NAME)", 406,
                         headers={"Vary": "Accept"})
    headers = {"Retry-After": "1"} if outcome.status == UNAVAILABLE else None
    return HttpError(outcome.message or "the query could not be answered", outcome.status, headers=headers,
                     line=outcome.line, column=outcome.column)


def download_extension(fmt: Format) -> str:
    """The file extension of a download: the format's own, but ``json``/``xml`` for the SPARQL results formats."""
    return {"srj": "json", "srx": "xml"}.get(fmt.extension, fmt.extension)
