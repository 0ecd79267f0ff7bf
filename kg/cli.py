"""The ``kg`` command line: query, reason, explain, validate, serve, load, queries, users."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import click
import pyoxigraph as ox

from kg.canned.cli import queries as canned_queries
from kg.dataset import KnowledgeGraph, open_dataset
from kg.dataset.consistency import inconsistencies
from kg.sparql.errors import QueryError
from kg.reasoning import MODES
from kg.settings import REASONERS, Settings, SettingsError, load_settings, users_file_of
from kg.store import StoreError
from kg.sources import RdfSource, SourceError, shapes_source
from kg.sparql.formats import answer_kind, format_named, formats_for, serialize
from kg.sparql.table import render_table
from kg.users import ROLES, UsersError, add_user, read_users, remove_user

CLI_FORMATS = ("table", "csv", "tsv", "json", "xml", "turtle", "nt", "jsonld")
STORE_HELP = "Store: memory, oxigraph:PATH or sparql:QUERY_URL[;UPDATE_URL] [KG_STORE, default memory]."
#: The flag that sets each setting a flag can set (the others come from ``KG_*`` variables only).
FLAGS = {"base_uri": "--base-uri", "store": "--store", "reasoner": "--reasoner",
         "axiomatic_triples": "--axiomatic-triples", "default_reasoning": "--reasoning",
         "host": "--host", "port": "--port", "workers": "--workers", "data_files": "--data"}
#: Exit status of ``kg reason`` and ``kg validate`` when the data is inconsistent (2 is a usage or settings error).
INCONSISTENT = 3


def _progress(message: str) -> None:
    click.echo(message, err=True)


def _settings(ctx: click.Context, **flags: Any) -> Settings:
    """Settings from this invocation's flags over the environment; a bad one ends the command (exit 2) saying why."""
    merged = {k: v for k, v in {**ctx.obj, **flags}.items() if not k.startswith("_")}
    try:
        return load_settings(merged)
    except SettingsError as error:
        if error.field in FLAGS and merged.get(error.field) not in (None, ()):
            raise click.BadParameter(str(error), param_hint=f"'{FLAGS[error.field]}'") from None
        raise click.UsageError(str(error)) from None


def _open(settings: Settings, data: tuple[Path, ...], progress: Callable[[str], None]) -> KnowledgeGraph:
    sources = [RdfSource(p) for p in data] if data else None
    try:
        return open_dataset(settings, sources, progress)
    except SourceError as error:
        raise click.ClickException(str(error)) from None


def store_option(function: Callable[..., Any]) -> Callable[..., Any]:
    """``--store`` after the command too (``kg query --store oxigraph:PATH ...``), same as before it."""

    def remember(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
        if value is not None:
            ctx.obj["store"] = value

    return click.option("--store", expose_value=False, callback=remember, help=STORE_HELP)(function)


class _Commands(click.Group):
    """The ``kg`` group: a store that fails or cannot be opened ends any command with its message, not a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except StoreError as error:
            raise click.ClickException(error.message) from None


def data_option(function: Callable[..., Any]) -> Callable[..., Any]:
    """``--data FILE`` (repeatable): use these files instead of the shipped ontology and data."""
    return click.option(
        "--data",
        "data",
        multiple=True,
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="RDF file (Turtle, N-Triples, N-Quads, TriG, RDF/XML, JSON-LD; .gz too) to use instead of the shipped data. Repeatable.",
    )(function)


@click.group(cls=_Commands)
@click.option("--base-uri", help="Base IRI of minted resources and ontology terms [KG_BASE_URI].")
@click.option("--store", help=STORE_HELP)
@click.option("--reasoner", help=f"Engine computing closures: {', '.join(REASONERS)} [KG_REASONER, default fast].")
@click.option("--axiomatic-triples/--no-axiomatic-triples", default=None,
              help="Put what OWL 2 RL/RDF derives from no premise in the OWL 2 RL closure [KG_AXIOMATIC_TRIPLES, default off].")
@click.option("-v", "--verbose", is_flag=True, help="Show progress of loading and reasoning.")
@click.pass_context
def main(ctx: click.Context, base_uri: str | None, store: str | None, reasoner: str | None,
         axiomatic_triples: bool | None, verbose: bool) -> None:
    """ipkg: a knowledge graph of the intellectual-property world, over SPARQL with OWL 2 RL reasoning."""
    ctx.obj = {"base_uri": base_uri, "store": store, "reasoner": reasoner, "axiomatic_triples": axiomatic_triples,
               "_verbose": verbose}


def _verbose_progress(ctx: click.Context) -> Callable[[str], None]:
    return _progress if ctx.obj.get("_verbose") else (lambda _m: None)


@main.command()
@store_option
@click.argument("query")
@data_option
@click.option("--reasoning", type=click.Choice(MODES), help="Entailment: none, rdfs or owlrl (default owlrl).")
@click.option("--format", "format_name", type=click.Choice(CLI_FORMATS), default=None,
              help="Output format (default: table for SELECT/ASK, turtle for CONSTRUCT/DESCRIBE).")
@click.option("--query-base", metavar="IRI",
              help="Base IRI of the query's relative IRIs (default: the file's URL for @FILE, else KG_BASE_URI).")
@click.pass_context
def query(ctx: click.Context, query: str, data: tuple[Path, ...], reasoning: str | None, format_name: str | None,
          query_base: str | None) -> None:
    """Run a SPARQL QUERY: the text, @FILE.rq, or - for standard input."""
    text = _read_query(query)
    settings = _settings(ctx, default_reasoning=reasoning)
    if query_base is None and query.startswith("@"):
        query_base = Path(query[1:]).resolve().as_uri()  # a document's relative IRIs are relative to where it is
    graph = _open(settings, data, _verbose_progress(ctx))
    try:
        graph.ensure_reasoned(settings.default_reasoning, _verbose_progress(ctx))
        answer = graph.query(text, base_iri=query_base)
    except QueryError as error:
        raise click.ClickException(error.message) from None
    kind = answer_kind(answer)
    name = format_name or ("table" if kind == "solutions" else "turtle")
    if name == "table" and isinstance(answer, (ox.QuerySolutions, ox.QueryBoolean)):
        click.echo(render_table(answer, graph.namespaces.prefixes()))
        return
    fmt = format_named("turtle" if name == "table" else name)
    if fmt.kind != kind:
        offered = ", ".join(f.name for f in formats_for(kind)) + (", table" if kind == "solutions" else "")
        raise click.UsageError(f"--format {name} cannot carry this query's answer; use one of: {offered}")
    sys.stdout.buffer.write(serialize(answer, fmt, graph.namespaces.prefixes()))
    sys.stdout.flush()


def _read_query(argument: str) -> str:
    if argument == "-":
        return sys.stdin.read()
    if argument.startswith("@"):
        path = Path(argument[1:])
        try:
            return path.read_text(encoding="utf-8")
        except OSError as error:
            raise click.BadParameter(f"cannot read {path}: {error.strerror}", param_hint="QUERY") from None
    return argument


@main.command()
@store_option
@data_option
@click.option("--reasoning", type=click.Choice(("rdfs", "owlrl")), default="owlrl", show_default=True)
@click.pass_context
def reason(ctx: click.Context, data: tuple[Path, ...], reasoning: str) -> None:
    """Compute the closure and print asserted and inferred triple counts and the time taken; exit 3 if inconsistent."""
    settings = _settings(ctx)
    graph = _open(settings, data, _progress)
    report = graph.reason(reasoning, _progress)
    click.echo(f"asserted: {report.asserted}")
    click.echo(f"inferred: {report.inferred}")
    click.echo(f"reasoning ({reasoning}, {settings.reasoner}): {report.seconds:.3f} s")
    _exit_if_inconsistent(reasoning, [p.line() for p in inconsistencies(graph, reasoning)])


def _exit_if_inconsistent(mode: str, problems: Sequence[str]) -> None:
    """Print each inconsistency (rule, message, triples) and exit with :data:`INCONSISTENT`, if there is any."""
    for problem in problems:
        click.echo(f"inconsistent ({mode}): {problem}")
    if problems:
        sys.exit(INCONSISTENT)


@main.command()
@store_option
@click.argument("subject")
@click.argument("predicate")
@click.argument("object_", metavar="OBJECT")
@data_option
@click.option("--reasoning", type=click.Choice(("rdfs", "owlrl")), default="owlrl", show_default=True)
@click.option("--format", "format_name", type=click.Choice(("text", "json")), default="text", show_default=True)
@click.pass_context
def explain(ctx: click.Context, subject: str, predicate: str, object_: str, data: tuple[Path, ...],
            reasoning: str, format_name: str) -> None:
    """Show how the triple SUBJECT PREDICATE OBJECT is entailed: rule and premises, down to asserted triples.

    Terms are written as in Turtle: <iri>, an absolute IRI, a prefixed name (kg:Person), a for rdf:type, a literal.
    """
    import json

    from kg.dataset.explain import explain as explain_triple
    from kg.reasoning.explain import TripleSyntaxError, parse_triple

    settings = _settings(ctx)
    graph = _open(settings, data, _verbose_progress(ctx))
    prefixes = graph.namespaces.prefixes()
    try:
        triple = parse_triple(subject, predicate, object_, prefixes, settings.base_uri)
    except TripleSyntaxError as error:
        raise click.BadParameter(str(error), param_hint="SUBJECT PREDICATE OBJECT") from None
    derivation = explain_triple(graph, triple, reasoning)
    if derivation is None:
        raise click.ClickException(f"not entailed under {reasoning}: {triple}")
    if format_name == "json":
        click.echo(json.dumps(derivation.to_json(), indent=2))
        return
    click.echo("\n".join(derivation.lines(lambda term: _compact(term, prefixes))))


def _compact(term: ox.NamedNode | ox.BlankNode | ox.Literal, prefixes: dict[str, str]) -> str:
    """A term as a prefixed name when a predeclared prefix covers it, else in N-Triples syntax."""
    if isinstance(term, ox.NamedNode):
        best = max((p for p in prefixes.items() if term.value.startswith(p[1])), key=lambda p: len(p[1]), default=None)
        if best is not None:
            local = term.value[len(best[1]):]
            if local and all(c.isalnum() or c in "_-." for c in local) and not local.endswith("."):
                return f"{best[0]}:{local}"
    return str(term)


@main.command()
@store_option
@data_option
@click.option("--shapes", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="SHACL shapes (default: ontology/shapes.ttl).")
@click.pass_context
def validate(ctx: click.Context, data: tuple[Path, ...], shapes: Path | None) -> None:
    """Check the data (with its OWL 2 RL closure) against the SHACL shapes; exit 1 on a violation, 3 if inconsistent."""
    from kg.dataset.validation import validate as run_validation

    settings = _settings(ctx)
    graph = _open(settings, data, _verbose_progress(ctx))
    report = run_validation(graph, RdfSource(shapes) if shapes else shapes_source())
    click.echo(report.text)
    _exit_if_inconsistent("owlrl", [p.line() for p in inconsistencies(graph, "owlrl")])
    if not report.conforms:
        sys.exit(1)


@main.command()
@store_option
@click.option("--host", help="Interface to listen on [KG_HOST, default 127.0.0.1].")
@click.option("--port", type=int, help="Port to listen on [KG_PORT, default 8000].")
@click.option("--workers", type=click.IntRange(min=1), help="Query-evaluation worker processes [KG_WORKERS, default 2].")
@data_option
@click.pass_context
def serve(ctx: click.Context, host: str | None, port: int | None, workers: int | None, data: tuple[Path, ...]) -> None:
    """Serve the graph over HTTP: the SPARQL endpoint at /sparql."""
    from kg.log_stream import BatchingHandler
    from kg.server import ServeError, serve as run_server

    settings = _settings(ctx, host=host, port=port, workers=workers, data_files=tuple(data))
    log = BatchingHandler(sys.stderr)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", handlers=[log])
    # The format names neither the caller's line, nor thread, nor process: not collecting them for each request's
    # line is what the logging HOWTO's "Optimization" section advises.
    logging._srcfile = None  # type: ignore[attr-defined]
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False

    def progress(message: str) -> None:  # after the log lines written before it
        log.flush()
        _progress(message)

    try:
        run_server(settings, lambda echo: _open(settings, (), echo), progress)
    except ServeError as error:
        raise click.ClickException(str(error)) from None


@main.command()
@store_option
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@data_option
@click.option("--progress/--no-progress", "show_progress", default=True, show_default=True,
              help="Progress bars on stderr while checking and loading.")
@click.pass_context
def load(ctx: click.Context, files: tuple[Path, ...], data: tuple[Path, ...], show_progress: bool) -> None:
    """Bulk-load FILES (Turtle, N-Triples, N-Quads, TriG, RDF/XML, JSON-LD; .gz too) into the store, then reason once.

    Every file is checked first: a syntax error names the file, line and column, and nothing is loaded.
    The store must outlive the command: --store oxigraph:PATH or sparql:URL (KG_STORE).
    """
    from kg.dataset.bulk_load import load_files

    settings = _settings(ctx)
    if settings.store_spec.kind == "memory":
        raise click.UsageError(
            "kg load needs a store that outlives the command (the memory store is rebuilt by every process): "
            "use --store oxigraph:PATH or --store sparql:URL (KG_STORE); to serve files from memory, use kg serve --data FILE"
        )
    graph = _open(settings, data, _progress)
    try:
        report = load_files(graph, files, _progress, show_bars=show_progress)
    except SourceError as error:
        raise click.ClickException(f"{error} (nothing was loaded)") from None
    added = report.asserted_after - report.asserted_before
    click.echo(f"loaded {report.files} file{'s' if report.files != 1 else ''} into {graph.store.describe()}: "
               f"{added:,} new asserted triples ({report.asserted_after:,} in all) in {report.seconds:.2f} s")


@main.command()
@store_option
@data_option
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True,
              help="Entries to list, newest first.")
@click.option("--show", type=int, help="Show entry N with its diff.")
@click.option("--revert", type=int, help="Apply entry N's inverse as a new change (by the OS user).")
@click.option("--force", is_flag=True, help="Revert even if later changes touched the same triples.")
@click.pass_context
def history(ctx: click.Context, data: tuple[Path, ...], limit: int, show: int | None, revert: int | None,
            force: bool) -> None:
    """The change log: who changed what, when (--show N: one entry's diff; --revert N: undo it as a new change)."""
    import getpass

    from kg.dataset import history as log
    from kg.sparql.errors import HttpError

    graph = _open(_settings(ctx), data, _verbose_progress(ctx))
    try:
        if revert is not None:
            note = log.revert(graph, revert, getpass.getuser(), force=force)
            click.echo(f"reverted change {revert} as change {note.number}")
            return
        entries = [log.entry(graph, show).summary] if show is not None else log.entries(graph, limit)
    except HttpError as error:
        raise click.ClickException(error.message) from None
    for e in entries:
        click.echo(f"{e.number:>5}  {e.ended}  {e.writer:<16} {e.operation:<11} +{e.loaded or e.added} -{e.removed}  "
                   f"{e.request.splitlines()[0][:60] if e.request else ''}")
    if show is not None:
        detail = log.entry(graph, show)
        for sign, quads in (("-", detail.removed), ("+", detail.added)):
            for q in quads:
                click.echo(f"  {sign} {q.subject} {q.predicate} {q.object} <{q.graph_name.value}>")


main.add_command(canned_queries)


@main.group()
def users() -> None:
    """Named users with roles in the users file (KG_USERS, or --file): add, list, remove."""


def _users_file(path: Path | None) -> Path:
    """The users file: ``--file``, else ``KG_USERS``."""
    chosen = path or users_file_of()
    if chosen is None:
        raise click.UsageError("name the users file with --file PATH or KG_USERS")
    return chosen


def file_option(function: Callable[..., Any]) -> Callable[..., Any]:
    """``--file PATH``: the users file (default: KG_USERS)."""
    return click.option("--file", "path", type=click.Path(dir_okay=False, path_type=Path),
                        help="The users file [KG_USERS].")(function)


@users.command("add")
@click.argument("name")
@click.argument("role", type=click.Choice(ROLES))
@file_option
def users_add(name: str, role: str, path: Path | None) -> None:
    """Add user NAME with ROLE (read, write or admin) and print its new token, once: only its hash is stored."""
    chosen = _users_file(path)
    try:
        token = add_user(chosen, name, role)
    except UsersError as error:
        raise click.ClickException(str(error)) from None
    _progress(f"added {name} ({role}) to {chosen}; its token is shown once, below (restart the server to use it)")
    click.echo(token)


@users.command("list")
@file_option
def users_list(path: Path | None) -> None:
    """The users' names and roles (never their token hashes)."""
    try:
        known = read_users(_users_file(path))
    except UsersError as error:
        raise click.ClickException(str(error)) from None
    for user in known.users:
        click.echo(f"{user.name}\t{user.role.name}")


@users.command("remove")
@click.argument("name")
@file_option
def users_remove(name: str, path: Path | None) -> None:
    """Remove user NAME: its token no longer works once the server restarts."""
    chosen = _users_file(path)
    try:
        remove_user(chosen, name)
    except UsersError as error:
        raise click.ClickException(str(error)) from None
    _progress(f"removed {name} from {chosen} (restart the server for it to take effect)")


if __name__ == "__main__":
    main()
