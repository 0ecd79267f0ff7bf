"""The ``kg`` command line: query, reason, validate, serve."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import pyoxigraph as ox

from kg.graph import KnowledgeGraph, QueryError
from kg.reasoning import MODES
from kg.settings import Settings, SettingsError, load_settings
from kg.sources import RdfSource, SourceError, shapes_source
from kg.sparql.formats import answer_kind, format_named, formats_for, serialize
from kg.sparql.table import render_table

CLI_FORMATS = ("table", "csv", "tsv", "json", "xml", "turtle", "nt", "jsonld")


def _progress(message: str) -> None:
    click.echo(message, err=True)


def _settings(ctx: click.Context, **flags: Any) -> Settings:
    """Settings from this invocation's flags over the environment."""
    merged = {k: v for k, v in {**ctx.obj, **flags}.items() if not k.startswith("_")}
    try:
        return load_settings(merged)
    except SettingsError as error:
        raise click.UsageError(str(error)) from None


def _open(settings: Settings, data: tuple[Path, ...], progress: Callable[[str], None]) -> KnowledgeGraph:
    sources = [RdfSource(p) for p in data] if data else None
    try:
        return KnowledgeGraph.load(settings, sources, progress)
    except SourceError as error:
        raise click.ClickException(str(error)) from None


def data_option(function: Callable[..., Any]) -> Callable[..., Any]:
    """``--data FILE`` (repeatable): use these files instead of the shipped ontology and data."""
    return click.option(
        "--data",
        "data",
        multiple=True,
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="RDF file (Turtle, N-Triples, N-Quads, TriG, RDF/XML, JSON-LD; .gz too) to use instead of the shipped data. Repeatable.",
    )(function)


@click.group()
@click.option("--base-uri", help="Base IRI of minted resources and ontology terms [KG_BASE_URI].")
@click.option("--store", help="Store: memory [KG_STORE].")
@click.option("--reasoner", help="Engine computing closures [KG_REASONER].")
@click.option("-v", "--verbose", is_flag=True, help="Show progress of loading and reasoning.")
@click.pass_context
def main(ctx: click.Context, base_uri: str | None, store: str | None, reasoner: str | None, verbose: bool) -> None:
    """ipkg: a knowledge graph of the intellectual-property world, over SPARQL with OWL 2 RL reasoning."""
    ctx.obj = {"base_uri": base_uri, "store": store, "reasoner": reasoner, "_verbose": verbose}


def _verbose_progress(ctx: click.Context) -> Callable[[str], None]:
    return _progress if ctx.obj.get("_verbose") else (lambda _m: None)


@main.command()
@click.argument("query")
@data_option
@click.option("--reasoning", type=click.Choice(MODES), help="Entailment: none, rdfs or owlrl (default owlrl).")
@click.option("--format", "format_name", type=click.Choice(CLI_FORMATS), default=None,
              help="Output format (default: table for SELECT/ASK, turtle for CONSTRUCT/DESCRIBE).")
@click.pass_context
def query(ctx: click.Context, query: str, data: tuple[Path, ...], reasoning: str | None, format_name: str | None) -> None:
    """Run a SPARQL QUERY: the text, @FILE.rq, or - for standard input."""
    text = _read_query(query)
    settings = _settings(ctx, default_reasoning=reasoning)
    graph = _open(settings, data, _verbose_progress(ctx))
    try:
        graph.ensure_reasoned(settings.default_reasoning, _verbose_progress(ctx))
        answer = graph.query(text)
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
@data_option
@click.option("--reasoning", type=click.Choice(("rdfs", "owlrl")), default="owlrl", show_default=True)
@click.pass_context
def reason(ctx: click.Context, data: tuple[Path, ...], reasoning: str) -> None:
    """Compute the closure and print asserted and inferred triple counts and the time taken."""
    settings = _settings(ctx)
    graph = _open(settings, data, _progress)
    report = graph.reason(reasoning, _progress)
    click.echo(f"asserted: {report.asserted}")
    click.echo(f"inferred: {report.inferred}")
    click.echo(f"reasoning ({reasoning}, {settings.reasoner}): {report.seconds:.3f} s")


@main.command()
@data_option
@click.option("--shapes", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="SHACL shapes (default: ontology/shapes.ttl).")
@click.pass_context
def validate(ctx: click.Context, data: tuple[Path, ...], shapes: Path | None) -> None:
    """Check the data (with its OWL 2 RL closure) against the SHACL shapes; exit 1 on a violation."""
    from kg.validation import validate as run_validation

    settings = _settings(ctx)
    graph = _open(settings, data, _verbose_progress(ctx))
    report = run_validation(graph, RdfSource(shapes) if shapes else shapes_source())
    click.echo(report.text)
    if not report.conforms:
        sys.exit(1)


@main.command()
@click.option("--host", help="Interface to listen on [KG_HOST, default 127.0.0.1].")
@click.option("--port", type=int, help="Port to listen on [KG_PORT, default 8000].")
@data_option
@click.pass_context
def serve(ctx: click.Context, host: str | None, port: int | None, data: tuple[Path, ...]) -> None:
    """Serve the graph over HTTP: the SPARQL endpoint at /sparql."""
    from kg.app import create_app
    from kg.server import serve as run_server

    settings = _settings(ctx, host=host, port=port, data_files=tuple(data))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")

    def build() -> Any:
        graph = _open(settings, (), _progress)
        for mode in ("rdfs", "owlrl"):
            graph.ensure_reasoned(mode, _progress)
        return create_app(settings, graph)

    run_server(settings, build, _progress)


if __name__ == "__main__":
    main()
