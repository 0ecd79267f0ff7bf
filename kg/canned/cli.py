"""``kg queries …``: the query library from the command line (list, show, run, save, history, restore, delete)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import pyoxigraph as ox

from kg.canned.catalogue import Catalogue
from kg.canned.errors import CannedError
from kg.canned.model import CannedQuery
from kg.canned.run import query_job, trial_run
from kg.evaluation import InProcessEvaluator
from kg.dataset import KnowledgeGraph, open_dataset
from kg.reasoning import MODES
from kg.settings import Settings, SettingsError, load_settings
from kg.sources import RdfSource, SourceError
from kg.sparql.errors import QueryError
from kg.sparql.formats import RESULT_FORMATS
from kg.sparql.table import render_table

RUN_FORMATS = ("table", *(fmt.name for fmt in RESULT_FORMATS))


def _settings(ctx: click.Context, **flags: Any) -> Settings:
    parent = ctx.find_root().obj or {}
    merged = {k: v for k, v in {**parent, **(ctx.obj or {}), **flags}.items() if not k.startswith("_")}
    try:
        return load_settings(merged)
    except SettingsError as error:
        raise click.UsageError(str(error)) from None


def _catalogue(ctx: click.Context) -> Catalogue:
    return Catalogue.from_settings(_settings(ctx))


def _progress(ctx: click.Context) -> Callable[[str], None]:
    verbose = (ctx.find_root().obj or {}).get("_verbose")
    return (lambda message: click.echo(message, err=True)) if verbose else (lambda _message: None)


def _graph(ctx: click.Context, settings: Settings, data: tuple[Path, ...], mode: str) -> KnowledgeGraph:
    try:
        graph = open_dataset(settings, [RdfSource(p) for p in data] or None, _progress(ctx))
    except SourceError as error:
        raise click.ClickException(str(error)) from None
    graph.ensure_reasoned(mode, _progress(ctx))
    return graph


def _fail(error: CannedError | QueryError) -> click.ClickException:
    return click.ClickException(error.message)


@click.group("queries")
@click.option("--queries-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Where saved queries live [KG_QUERIES_DIR].")
@click.pass_context
def queries(ctx: click.Context, queries_dir: Path | None) -> None:
    """The canned-query library: shipped queries (queries/) and saved ones (KG_QUERIES_DIR)."""
    ctx.obj = {"queries_dir": queries_dir}


@queries.command("list")
@click.option("--tag", help="Only queries with this tag.")
@click.option("--search", "text", help="Only queries mentioning every word of this text.")
@click.option("--json", "as_json", is_flag=True, help="Print the catalogue as the API's JSON.")
@click.pass_context
def list_queries(ctx: click.Context, tag: str | None, text: str | None, as_json: bool) -> None:
    """List the catalogue: name, title, parameters, tags."""
    found = _catalogue(ctx).queries(tag=tag, text=text)
    if as_json:
        click.echo(json.dumps({"queries": [q.summary() for q in found]}, indent=2, ensure_ascii=False))
        return
    for query in found:
        params = ", ".join(p.name + ("" if p.required else "?") for p in query.parameters)
        marks = [query.reasoning] if query.reasoning else []
        marks += [] if query.shipped else ["saved"]
        click.echo(f"{query.name}  {query.title}" + (f"  ({params})" if params else "")
                   + (f"  [{', '.join(marks)}]" if marks else ""))
        if query.tags:
            click.echo(f"    tags: {', '.join(query.tags)}")
    click.echo(f"({len(found)} quer{'y' if len(found) == 1 else 'ies'})", err=True)


@queries.command()
@click.argument("name")
@click.option("--sparql", "sparql_only", is_flag=True, help="Print only the .rq file.")
@click.pass_context
def show(ctx: click.Context, name: str, sparql_only: bool) -> None:
    """Show a query's metadata, parameters and SPARQL."""
    try:
        query = _catalogue(ctx).get(name)
    except CannedError as error:
        raise _fail(error) from None
    if not sparql_only:
        click.echo(_describe(query))
    click.echo(query.sparql, nl=not query.sparql.endswith("\n"))


def _describe(query: CannedQuery) -> str:
    lines = [f"{query.name}: {query.title}", f"source: {'shipped' if query.shipped else 'saved'}"
             + (f", revision {query.revision}" if query.revision else "")]
    if query.description:
        lines.append(query.description)
    if query.tags:
        lines.append(f"tags: {', '.join(query.tags)}")
    if query.reasoning:
        lines.append(f"reasoning: {query.reasoning}")
    if query.pagination:
        lines.append(f"pagination: {query.pagination} rows per page (--param page=N, from 1)")
    if query.method:
        lines.append(f"method: {query.method} (grlc; the API takes GET and POST)")
    lines += [f"note: {note}" for note in query.notes]
    for p in query.parameters:
        default = f" [default {p.default}]" if p.default is not None else (" (required)" if p.required else "")
        lines.append(f"  --param {p.name}=…  {p.expects}{default}" + (f" — {p.description}" if p.description else ""))
    return "\n".join(lines) + "\n"


@queries.command()
@click.argument("name")
@click.option("--param", "-p", "params", multiple=True, metavar="NAME=VALUE", help="A parameter value. Repeatable.")
@click.option("--format", "format_name", type=click.Choice(RUN_FORMATS), default="table", show_default=True,
              help="Output format.")
@click.option("--reasoning", type=click.Choice(MODES), help="Entailment (default: the query's own).")
@click.option("--data", multiple=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="RDF file to query instead of the shipped data. Repeatable.")
@click.pass_context
def run(ctx: click.Context, name: str, params: tuple[str, ...], format_name: str, reasoning: str | None,
        data: tuple[Path, ...]) -> None:
    """Run a canned query with --param NAME=VALUE values."""
    given: dict[str, list[str]] = {}
    for item in params:
        key, equals, value = item.partition("=")
        if not equals or not key:
            raise click.BadParameter(f"expected NAME=VALUE, got {item!r}", param_hint="--param")
        given.setdefault(key.strip(), []).append(value)
    settings = _settings(ctx)
    try:
        query = Catalogue.from_settings(settings).get(name)
        graph = _graph(ctx, settings, data, reasoning or query.reasoning or settings.default_reasoning)
        wanted = "json" if format_name == "table" else format_name
        job = query_job(query, given, graph, reasoning=reasoning, solutions_format=wanted, graph_format=(
            "turtle" if format_name == "table" else wanted))
    except (CannedError, QueryError) as error:
        raise _fail(error) from None
    outcome = InProcessEvaluator(graph, settings).evaluate(job)
    if outcome.status == 406:
        raise click.UsageError(f"--format {format_name} cannot carry this query's answer ({outcome.kind})")
    if not outcome.ok:
        raise click.ClickException(outcome.message or "the query could not be answered")
    if format_name == "table" and outcome.format == "json":
        answer = ox.parse_query_results(outcome.body, ox.QueryResultsFormat.JSON)
        click.echo(render_table(answer, graph.namespaces.prefixes()))
    else:
        sys.stdout.buffer.write(outcome.body)
        sys.stdout.flush()
    if outcome.truncated:
        click.echo(f"warning: the answer was cut to {outcome.rows} rows (KG_MAX_RESULT_ROWS)", err=True)


@queries.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--name", help="Name to save under (default: the file's name without .rq).")
@click.option("--data", multiple=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="RDF file to try the query on instead of the shipped data. Repeatable.")
@click.pass_context
def save(ctx: click.Context, file: Path, name: str | None, data: tuple[Path, ...]) -> None:
    """Check a .rq FILE (metadata, SPARQL, a trial run) and save it into KG_QUERIES_DIR."""
    settings = _settings(ctx)
    catalogue = Catalogue.from_settings(settings)
    name = name or file.name.removesuffix(".rq")
    try:
        text = file.read_text(encoding="utf-8")
        parsed = catalogue.parse(name, text)
        graph = _graph(ctx, settings, data, parsed.reasoning or settings.default_reasoning)
        query, created = catalogue.save(name, text, lambda q: trial_run(q, graph, InProcessEvaluator(graph, settings)))
    except (CannedError, QueryError) as error:
        where = f"{file}:{error.line}: " if getattr(error, "line", None) else f"{file}: "
        raise click.ClickException(where + error.message) from None
    except (OSError, UnicodeDecodeError) as error:
        raise click.ClickException(f"cannot read {file}: {error}") from None
    verb = "created" if created else "saved"
    click.echo(f"{verb} {query.name} (revision {query.revision}) in {settings.queries_dir}")


@queries.command()
@click.argument("name")
@click.pass_context
def history(ctx: click.Context, name: str) -> None:
    """List the saved revisions of a query."""
    try:
        revisions = _catalogue(ctx).history(name)
    except CannedError as error:
        raise _fail(error) from None
    for revision in revisions:
        click.echo(f"{revision.number}\t{revision.saved_at}")


@queries.command()
@click.argument("name")
@click.argument("revision", type=int)
@click.pass_context
def restore(ctx: click.Context, name: str, revision: int) -> None:
    """Make REVISION of a saved query current again (recorded as a new revision)."""
    try:
        query = _catalogue(ctx).restore(name, revision)
    except CannedError as error:
        raise _fail(error) from None
    click.echo(f"restored {name} revision {revision} as revision {query.revision}")


@queries.command()
@click.argument("name")
@click.pass_context
def delete(ctx: click.Context, name: str) -> None:
    """Delete a saved query (its history stays: `kg queries restore` brings it back)."""
    try:
        _catalogue(ctx).delete(name)
    except CannedError as error:
        raise _fail(error) from None
    click.echo(f"deleted {name}")
