"""A plain-text table of SELECT solutions for people at a terminal."""

from __future__ import annotations

from collections.abc import Mapping

import pyoxigraph as ox


def compact(term: ox.NamedNode | ox.BlankNode | ox.Literal | None, prefixes: Mapping[str, str]) -> str:
    """A short, readable rendering of ``term``: ``prefix:local`` for IRIs, the lexical form for literals."""
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        best = max((ns for ns in prefixes.values() if term.value.startswith(ns)), key=len, default=None)
        if best is not None:
            local = term.value[len(best):]
            if local and all(ch.isalnum() or ch in "-_." for ch in local):
                name = next(p for p, ns in prefixes.items() if ns == best)
                return f"{name}:{local}"
        return f"<{term.value}>"
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    if term.language:
        return f"{term.value}@{term.language}"
    return term.value


def render_table(answer: ox.QuerySolutions | ox.QueryBoolean, prefixes: Mapping[str, str]) -> str:
    """``answer`` as an aligned text table (or ``yes``/``no`` for ASK), with a row count."""
    if isinstance(answer, ox.QueryBoolean):
        return "yes" if bool(answer) else "no"
    names = [variable.value for variable in answer.variables]
    rows = [[compact(solution[name], prefixes) for name in names] for solution in answer]
    widths = [max([len(name)] + [len(row[i]) for row in rows]) for i, name in enumerate(names)]
    lines = [" | ".join(name.ljust(w) for name, w in zip(names, widths)), "-+-".join("-" * w for w in widths)]
    lines += [" | ".join(cell.ljust(w) for cell, w in zip(row, widths)) for row in rows]
    lines.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(lines)
