"""The analysts' page without JavaScript: catalogue, forms built from parameter metadata, results, chart, saving."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from flask.testing import FlaskClient

from kg.dataset import KnowledgeGraph
from tests.canned_support import TOKEN, fixture_app, fixture_graph

SAVED = """#+ parameters:
#+   text:
#+     type: literal
#+     default: o
SELECT ?text ?name WHERE { ?p schema:name ?name FILTER(CONTAINS(?name, ?text)) } ORDER BY ?name
"""


class Page(HTMLParser):
    """The parts of a page the tests look at."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.text_by_id: dict[str, str] = {}
        self._open: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {k: v or "" for k, v in attrs}
        self.elements.append((tag, attributes))
        if "id" in attributes:
            self._open.append(attributes["id"])
            self.text_by_id.setdefault(attributes["id"], "")

    def handle_data(self, data: str) -> None:
        for element_id in self._open:
            self.text_by_id[element_id] += data

    def handle_endtag(self, tag: str) -> None:
        if self._open and tag in ("p", "ul", "table", "section", "select", "textarea", "span", "figcaption"):
            self._open.pop()

    def find(self, tag: str, **attributes: str) -> list[dict[str, str]]:
        return [a for t, a in self.elements if t == tag and all(a.get(k) == v for k, v in attributes.items())]


@pytest.fixture(scope="module")
def graph() -> KnowledgeGraph:
    return fixture_graph()


@pytest.fixture
def client(graph: KnowledgeGraph, tmp_path: Path) -> FlaskClient:
    return fixture_app(graph, tmp_path / "saved").test_client()


def page(client: FlaskClient, url: str, status: int = 200) -> Page:
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)[:2000]
    assert response.mimetype == "text/html"
    return Page(response.get_data(as_text=True))


def test_the_page_lists_the_catalogue_and_filters_it(client: FlaskClient) -> None:
    everything = page(client, "/query")
    links = [a["href"] for a in everything.find("a") if a.get("href", "").startswith("/query?name=")]
    assert len(links) == 8
    assert "8 queries" in everything.text_by_id["catalogue-count"]
    people = page(client, "/query?tag=people&q=born")
    assert [li["data-query"] for li in people.find("li") if "data-query" in li] == ["born-after"]


def test_each_parameter_gets_a_field_of_its_type(client: FlaskClient) -> None:
    members = page(client, "/query?name=members-of")
    assert members.find("select", name="param.organization")
    options = [o["value"] for o in members.find("option") if o.get("value") in ("acme", "tsinghua", "zeta")]
    assert options == ["acme", "tsinghua", "zeta"]
    assert members.find("option", value="acme", selected="")
    age = page(client, "/query?name=older-than").find("input", name="param.age")[0]
    assert (age["type"], age["min"], age["max"], age["value"]) == ("number", "0", "150", "40")
    after = page(client, "/query?name=born-after").find("input", name="param.after")[0]
    assert (after["type"], after["value"]) == ("date", "1965-01-01")
    sector = page(client, "/query?name=organizations-by-sector")
    assert [o["value"] for o in sector.find("option") if o.get("value") in ("academia", "business", "government")] == [
        "academia", "business", "government"]
    text = page(client, "/query?name=people-named").find("input", name="param.text")[0]
    assert text["type"] == "text" and "required" in text


def test_the_form_runs_without_javascript(client: FlaskClient) -> None:
    result = page(client, "/query?name=members-of&run=1&param.organization=zeta")
    assert "Sam Roe" in result.text_by_id["results-table"]
    assert "1 row" in result.text_by_id["result-count"]
    downloads = {a["data-format"]: a["href"] for a in result.find("a") if "data-format" in a}
    csv_link = urlsplit(downloads["csv"])
    assert csv_link.path == "/api/queries/members-of/run"
    assert parse_qs(csv_link.query) == {"organization": ["zeta"], "format": ["csv"], "download": ["1"]}
    download = client.get(downloads["csv"])
    assert download.headers["Content-Disposition"] == 'attachment; filename="members-of.csv"'
    assert b"Sam Roe" in download.data


def test_a_bad_value_shows_the_message(client: FlaskClient) -> None:
    result = page(client, "/query?name=older-than&run=1&param.age=old", status=400)
    assert "parameter 'age': expected an integer" in result.text_by_id["results"]


def test_reasoning_choice_reaches_the_run(client: FlaskClient) -> None:
    assert "3 rows" in page(client, "/query?name=members-per-organization&run=1").text_by_id["result-count"]
    none = page(client, "/query?name=members-per-organization&run=1&reasoning=none")
    assert "0 rows" in none.text_by_id["result-count"]


def test_label_and_number_answers_get_a_bar_chart(client: FlaskClient) -> None:
    chart = page(client, "/query?name=members-per-organization&run=1")
    bars = chart.find("rect")
    assert len(bars) == 3
    widths = [float(bar["width"]) for bar in bars]
    assert widths[0] == max(widths) and widths[1] == widths[2] == pytest.approx(widths[0] / 3, rel=0.01)
    assert "members by label" in chart.text_by_id["chart-caption"]
    assert page(client, "/query?name=members-of&run=1").find("rect") == []


def test_ad_hoc_sparql_runs_and_downloads(client: FlaskClient) -> None:
    query = "SELECT ?name WHERE { ?p schema:name ?name } ORDER BY ?name"
    result = page(client, f"/query?action=run&sparql={query}")
    assert "Ana Lima" in result.text_by_id["results-table"]
    csv_href = next(a["href"] for a in result.find("a") if a.get("data-format") == "csv")
    download = client.get(csv_href)
    assert download.headers["Content-Disposition"] == 'attachment; filename="query.csv"'
    assert download.data.decode().splitlines()[:2] == ["name", "Ana Lima"]
    error = page(client, "/query?action=run&sparql=SELECT+%3Fx+WHERE+%7B", status=400)
    assert "syntax error at line 1" in error.text_by_id["results"]


def test_saving_from_the_page_needs_the_token(client: FlaskClient) -> None:
    form = {"sparql": SAVED, "save_name": "names-with", "save_title": "Names with a text", "save_tags": "people, page"}
    refused = client.post("/query/save", data=form)
    assert refused.status_code == 401
    shown = Page(refused.get_data(as_text=True))
    assert "needs the write token" in shown.text_by_id["save-error"]
    assert shown.find("input", name="save_name", value="names-with")
    wrong = client.post("/query/save", data={**form, "token": "nope"})
    assert wrong.status_code == 401
    bad_name = client.post("/query/save", data={**form, "token": TOKEN, "save_name": "../x"})
    assert bad_name.status_code == 400 and "invalid query name" in bad_name.get_data(as_text=True)


def test_saving_from_the_page_adds_it_to_the_catalogue(client: FlaskClient) -> None:
    form = {"sparql": SAVED, "save_name": "names-with", "save_title": "Names with a text",
            "save_description": "Names containing a text.", "save_tags": "people, page", "token": TOKEN}
    saved = client.post("/query/save", data=form)
    assert saved.status_code == 302
    assert saved.headers["Location"].startswith("/query?name=names-with&saved=1")
    notice = client.get(saved.headers["Location"]).get_data(as_text=True)
    assert "Saved “Names with a text” as <code>names-with</code> (revision 1)" in notice
    document = client.get("/api/queries/names-with").json
    assert (document["title"], document["tags"], document["description"]) == (
        "Names with a text", ["people", "page"], "Names containing a text.")
    assert document["parameters"][0]["name"] == "text"
    assert "names-with" in [li.get("data-query") for li in page(client, "/query?tag=page").find("li")]


def test_no_inline_scripts_and_nothing_from_elsewhere(client: FlaskClient) -> None:
    for url in ("/query", "/query?name=members-per-organization&run=1", "/api/docs"):
        html = client.get(url).get_data(as_text=True)
        parsed = Page(html)
        scripts = parsed.find("script")
        assert all(s.get("src", "").startswith("/static/") for s in scripts), url
        assert not [name for _, attrs in parsed.elements for name in attrs if name.startswith("on")], url
        assets = [a.get("src") or a.get("href") for t, a in parsed.elements if t in ("script", "link")]
        assert all(asset.startswith("/") and not asset.startswith("//") for asset in assets), url
    editor = client.get("/static/vendor/sparql-editor.js")
    assert editor.status_code == 200 and b"sparql" in editor.data.lower()
    assert b"http://" not in editor.data.split(b"*/", 1)[0]


def test_the_editor_tries_a_header_query_with_its_defaults(client: FlaskClient) -> None:
    response = client.get("/query", query_string={"action": "run", "sparql": SAVED})
    shown = Page(response.get_data(as_text=True))
    assert response.status_code == 200
    table = shown.text_by_id["results-table"]
    assert "Bo Chen" in table and "Sam Roe" in table and "Ana Lima" not in table  # ?text bound to its default "o"
    unbindable = SAVED.replace("SELECT ?text ?name", "SELECT ?name")
    refused = client.get("/query", query_string={"action": "run", "sparql": unbindable})
    assert refused.status_code == 400
    assert "parameter 'text' cannot be bound" in Page(refused.get_data(as_text=True)).text_by_id["results"]


def test_opening_a_saved_query_in_the_editor_fills_the_save_form(client: FlaskClient) -> None:
    form = {"sparql": SAVED, "save_name": "names-with", "save_title": "Names with a text", "save_tags": "a, b",
            "token": TOKEN}
    assert client.post("/query/save", data=form).status_code == 302
    editing = page(client, "/query?name=names-with&edit=1")
    assert editing.find("input", name="save_name", value="names-with")
    assert editing.find("input", name="save_tags", value="a, b")
    assert "#+ title: Names with a text" in editing.text_by_id["sparql"]
    shipped = page(client, "/query?name=members-of&edit=1")
    assert shipped.find("input", name="save_name", value="")
