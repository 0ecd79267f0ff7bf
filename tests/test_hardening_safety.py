"""Safe by default: security headers on every answer, markup shown as text, outside documents that fetch nothing.

Every answer — pages, results, RDF, JSON, files, errors of every status — carries
``X-Content-Type-Options: nosniff``, ``X-Frame-Options: DENY``, ``Referrer-Policy:
no-referrer`` and a ``Content-Security-Policy`` (no script on pages but the query
page's own; everything else sandboxed).  A label holding markup is text on every
page that shows it.

The only RDF the server parses from a request is a document that ``LOAD`` fetches
(and only when an operator sets ``KG_ALLOW_LOAD``): SPARQL Update bodies are
SPARQL, the explain API takes three terms.  So these tests enable ``LOAD``,
serve hostile documents from 127.0.0.1 and check, with a second listener, that
the parser never reaches out: an external entity (``SYSTEM``), a remote
``@context`` and an ``@import`` are not fetched, local files not read, and a
"billion laughs" of nested internal entities (which pyoxigraph would expand into
a literal of gigabytes) is refused before it is parsed.
"""

from __future__ import annotations

import html.parser
import http.server
import threading
from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient

from kg.app import create_app
from kg.dataset import KnowledgeGraph, open_dataset
from kg.settings import Settings
from kg.sources import RdfSource
from tests.conftest import BASE, FIXTURES
from tests.test_sparql_safety import Listener

TOKEN = "documents-token"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"


class DocumentServer:
    """An HTTP server on 127.0.0.1 answering ``/<name>`` with ``documents[name]`` (body, media type)."""

    def __init__(self, documents: dict[str, tuple[bytes, str]]) -> None:
        served = documents

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 — the standard library's name
                body, media_type = served[self.path.lstrip("/")]
                self.send_response(200)
                self.send_header("Content-Type", media_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


SCRIPT = '<script>alert("x")</script><img src=x onerror=alert(1)>'
ESCAPED = "&lt;script&gt;alert("


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> FlaskClient:
    """An app whose data has a label holding markup, with a saved query whose metadata holds markup too."""
    settings = Settings(base_uri=BASE, write_token=TOKEN, max_request_bytes=10_000,
                        queries_dir=tmp_path_factory.mktemp("queries"))
    app = create_app(settings, open_dataset(settings, [RdfSource(FIXTURES / "family.ttl")]))
    app.config["TESTING"] = True
    client = app.test_client()
    label = SCRIPT.replace('"', '\\"')
    reply = client.post("/sparql", data=f'INSERT DATA {{ <{BASE}id/person/mallory> a <https://schema.org/Person> ; '
                                         f'<http://www.w3.org/2000/01/rdf-schema#label> "{label}" }}',
                        headers={"Content-Type": "application/sparql-update", "Authorization": f"Bearer {TOKEN}"})
    assert reply.status_code == 200, reply.get_data(as_text=True)
    text = (f"#+ title: '{SCRIPT}'\n#+ description: '{SCRIPT}'\n#+ tags: ['{SCRIPT}']\n"
            "SELECT ?s ?label WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?label }\n")
    reply = client.put("/api/queries/mallory", data=text.encode(),
                       headers={"Content-Type": "application/sparql-query", "Authorization": f"Bearer {TOKEN}"})
    assert reply.status_code == 201, reply.get_data(as_text=True)
    return client


def policy(response) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """The Content-Security-Policy of ``response`` as directive -> value."""
    return dict((part.strip() + " ").split(" ", 1) for part in response.headers["Content-Security-Policy"].split(";"))


ANSWERS = [  # (method, path, headers, body): pages, results, RDF, JSON, files and errors of every kind
    ("GET", "/", {"Accept": "text/html"}, None), ("GET", "/query", {}, None), ("GET", "/api/docs", {}, None),
    ("GET", "/id/person/mallory", {"Accept": "text/html"}, None), ("GET", "/id/person/mallory", {"Accept": "text/turtle"}, None),
    ("GET", "/doc/person/mallory.jsonld", {}, None), ("GET", "/.well-known/void", {"Accept": "text/html"}, None),
    ("GET", "/sparql", {"Accept": "text/turtle"}, None), ("GET", "/sparql?query=ASK%7B%7D", {}, None),
    ("GET", "/sparql?query=SELECT%20*%7B%7D", {"Accept": "text/csv"}, None), ("OPTIONS", "/sparql", {}, None),
    ("HEAD", "/sparql?query=ASK%7B%7D", {}, None), ("GET", "/api/queries", {}, None), ("GET", "/api/openapi.json", {}, None),
    ("GET", "/static/style.css", {}, None), ("GET", "/static/favicon.svg", {}, None),
    ("GET", "/sparql?query=ASK%20%7B", {"Accept": "text/html"}, None), ("GET", "/sparql?query=ASK%7B%7D", {"Accept": "image/png"}, None),
    ("POST", "/sparql", {"Content-Type": "text/plain"}, b"ASK {}"), ("PUT", "/sparql", {}, b""),
    ("POST", "/sparql", {"Content-Type": "application/sparql-query"}, b" " * 20_000),
    ("POST", "/sparql", {"Content-Type": "application/sparql-update"}, b"CLEAR ALL"),
    ("GET", "/no/such/page", {"Accept": "text/html"}, None), ("GET", "/no/such/page", {"Accept": "application/json"}, None),
    ("GET", "/api/queries/..%2F..%2Fetc%2Fpasswd", {}, None), ("GET", "/id/person/nobody", {"Accept": "text/html"}, None),
]


@pytest.mark.parametrize(("method", "path", "headers", "body"), ANSWERS, ids=[f"{m} {p} {h}" for m, p, h, _ in ANSWERS])
def test_every_answer_carries_the_security_headers(site: FlaskClient, method: str, path: str, headers: dict[str, str],
                                                   body: bytes | None) -> None:
    reply = site.open(path, method=method, headers=headers, data=body)
    assert reply.headers["X-Content-Type-Options"] == "nosniff"
    assert reply.headers["X-Frame-Options"] == "DENY" and reply.headers["Referrer-Policy"] == "no-referrer"
    directives = policy(reply)
    assert directives["frame-ancestors"].strip() == "'none'" and directives["default-src"].strip() == "'none'"
    if reply.mimetype == "text/html":
        assert directives["base-uri"].strip() == "'none'" and directives["form-action"].strip() == "'self'"
        scripts = directives.get("script-src", "").strip()
        assert scripts == ("'self'" if path.startswith("/query") else ""), (path, scripts)
    else:
        assert "sandbox" in directives, (path, reply.mimetype)


class _Markup(html.parser.HTMLParser):
    """What a page's markup asks the browser for: inline scripts, event handlers, style attributes, outside URLs."""

    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []
        self.styled = False
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self._in_script = tag == "script" and "src" not in attributes
        if tag == "style":
            self.styled = True
        for name, value in attributes.items():
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=…> event handler")
            if name == "style":
                self.styled = True
            if name in ("src", "href") and tag in ("script", "link", "img", "iframe", "object", "embed") and value \
                    and value.split(":", 1)[0] in ("http", "https", "javascript", "data") or (value or "").startswith("//"):
                self.problems.append(f"<{tag} {name}={value!r}> loads from elsewhere")

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.problems.append("an inline script")

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False


def test_the_pages_need_no_more_than_their_policy_allows(site: FlaskClient) -> None:
    """No inline script, event handler or outside resource in any page; no inline style but on the query page."""
    for path in ("/", "/query", "/query?name=mallory", "/api/docs", "/id/person/mallory", "/.well-known/void",
                 "/query?name=mallory&action=run", "/ontology", "/no/such/page"):
        markup = _Markup()
        markup.feed(site.get(path, headers={"Accept": "text/html"}).get_data(as_text=True))
        assert markup.problems == [], path
        assert not markup.styled or path.startswith("/query"), path


@pytest.mark.parametrize("path", ["/id/person/mallory", "/", "/query?name=mallory", "/api/docs",
                                  "/query?name=mallory&action=run",
                                  "/query?action=run&sparql=SELECT%20%3Fl%20WHERE%20%7B%3Fs%20%3Chttp%3A%2F%2Fwww.w3.org"
                                  "%2F2000%2F01%2Frdf-schema%23label%3E%20%3Fl%7D"])
def test_markup_in_labels_and_saved_queries_is_shown_as_text(site: FlaskClient, path: str) -> None:
    reply = site.get(path, headers={"Accept": "text/html"})
    assert reply.status_code == 200, reply.get_data(as_text=True)[:300]
    html = reply.get_data(as_text=True)
    assert ESCAPED in html, path
    assert "<script>alert" not in html and "<img src=x" not in html, path


@pytest.fixture
def listener() -> Iterator[Listener]:
    opened = Listener()
    yield opened
    opened.close()


@pytest.fixture
def client() -> FlaskClient:
    settings = Settings(base_uri=BASE, write_token=TOKEN, allow_load=True)
    app = create_app(settings, open_dataset(settings, [RdfSource(FIXTURES / "family.ttl")]))
    app.config["TESTING"] = True
    return app.test_client()


def load(client: FlaskClient, url: str) -> tuple[int, str]:
    reply = client.post("/sparql", data=f"LOAD <{url}> INTO GRAPH <http://example.org/loaded>",
                        headers={"Content-Type": "application/sparql-update", "Authorization": f"Bearer {TOKEN}"})
    return reply.status_code, reply.get_data(as_text=True)


def loaded(client: FlaskClient) -> list[str]:
    reply = client.get("/sparql", query_string={"query": "SELECT ?o WHERE { GRAPH <http://example.org/loaded> { ?s ?p ?o } }",
                                                "reasoning": "none"}, headers={"Accept": "text/csv"})
    assert reply.status_code == 200
    return reply.get_data(as_text=True).split("\r\n")[1:-1]


def rdf_xml(doctype: str, value: str) -> bytes:
    return (f'<?xml version="1.0"?>{doctype}<rdf:RDF xmlns:rdf="{RDF}" xmlns:ex="http://example.org/">'
            f'<rdf:Description rdf:about="http://example.org/s"><ex:p>{value}</ex:p></rdf:Description></rdf:RDF>').encode()


def test_a_plain_document_loads(client: FlaskClient) -> None:
    documents = DocumentServer({"plain.rdf": (rdf_xml("", "fine"), "application/rdf+xml")})
    try:
        assert load(client, documents.url + "plain.rdf")[0] == 200
    finally:
        documents.close()
    assert loaded(client) == ["fine"]


def test_external_entities_and_remote_contexts_fetch_nothing(client: FlaskClient, listener: Listener) -> None:
    system = f'<!DOCTYPE rdf:RDF [<!ENTITY x SYSTEM "{listener.url}entity">]>'
    parameter = f'<!DOCTYPE rdf:RDF [<!ENTITY % p SYSTEM "{listener.url}dtd"> %p;]>'
    documents = DocumentServer({
        "system.rdf": (rdf_xml(system, "&x;"), "application/rdf+xml"),
        "file.rdf": (rdf_xml('<!DOCTYPE rdf:RDF [<!ENTITY x SYSTEM "file:///etc/passwd">]>', "&x;"), "application/rdf+xml"),
        "parameter.rdf": (rdf_xml(parameter, "x"), "application/rdf+xml"),
        "dtd.rdf": (rdf_xml(f'<!DOCTYPE rdf:RDF SYSTEM "{listener.url}external.dtd">', "x"), "application/rdf+xml"),
        "context.jsonld": (f'{{"@context": "{listener.url}context", "@id": "http://example.org/s", "name": "x"}}'.encode(),
                           "application/ld+json"),
        "import.jsonld": (f'{{"@context": {{"@import": "{listener.url}import"}}, "@id": "http://example.org/s", '
                          '"http://example.org/p": "x"}'.encode(), "application/ld+json"),
        "file.jsonld": (b'{"@context": "file:///etc/passwd", "@id": "http://example.org/s", "name": "x"}',
                        "application/ld+json"),
    })
    try:
        for name in ("system.rdf", "file.rdf", "parameter.rdf", "dtd.rdf", "context.jsonld", "import.jsonld", "file.jsonld"):
            status, text = load(client, documents.url + name)
            assert 400 <= status < 500 or status == 200, (name, status, text)
            assert "root:" not in text and "Traceback" not in text, name
    finally:
        documents.close()
    assert listener.received == []
    assert not any("root:" in value for value in loaded(client))


def test_a_billion_laughs_is_refused_before_it_is_expanded(client: FlaskClient) -> None:
    entities = '<!ENTITY a0 "ha">' + "".join(f'<!ENTITY a{i} "{f"&a{i - 1};" * 10}">' for i in range(1, 10))
    bomb = rdf_xml(f"<!DOCTYPE rdf:RDF [{entities}]>", "&a9;")  # 2 GB once expanded
    assert len(bomb) < 1_000
    documents = DocumentServer({"laughs.rdf": (bomb, "application/rdf+xml")})
    try:
        status, text = load(client, documents.url + "laughs.rdf")
    finally:
        documents.close()
    assert status == 400 and "entities" in text
    assert loaded(client) == []
