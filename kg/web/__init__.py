"""Web surfaces, one blueprint each, and what they share."""

from __future__ import annotations

from flask import current_app, g

from kg.evaluation import Evaluator, WithLimits
from kg.dataset import KnowledgeGraph
from kg.settings import Settings

OUTSIDE_PREFIX = "kg.outside_prefix"
"""WSGI environ key set on a request whose path is not under the base IRI's path (answered 404)."""


def current_graph() -> KnowledgeGraph:
    """The knowledge graph the running app serves."""
    return current_app.extensions["kg.graph"]


def current_settings() -> Settings:
    """The running app's settings."""
    return current_app.extensions["kg.settings"]


def current_evaluator() -> Evaluator:
    """The running app's query evaluator: ``evaluate(QueryJob) -> Outcome`` under the limits of the caller's role
    (``g.caller``, see :mod:`kg.web.auth`), else the endpoint's.

    Under ``kg serve`` it is the worker pool (time limit enforced); otherwise in-process.
    """
    evaluator: Evaluator = current_app.extensions["kg.evaluator"]
    caller = g.get("caller")
    if caller is None:
        return evaluator
    return WithLimits(evaluator, caller.role.time_limit, caller.role.row_cap)
