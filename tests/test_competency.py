"""Competency questions: what an analyst asks of the roundtable graph, with the article's exact answers.

Each question is SPARQL over the shipped ontology and data, with the set of
answers the article gives (resources written with the predeclared prefixes,
literals by their canonical lexical form, so 20.0 reads "20").  Questions marked ``needs_reasoning`` are
answered only under OWL 2 RL (written in schema.org or W3C ORG terms, or
relying on inverses, property chains, transitivity or defined classes): they
must give the article's answer with ``owlrl`` and must not with ``none``.
The others are asserted facts and must hold without reasoning too.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from rdflib import Literal, URIRef
from rdflib.term import Node

from kg.dataset import KnowledgeGraph
from kg.settings import PROJECT_ROOT

SEED = next(
    (path for path in (PROJECT_ROOT.parent / "shared" / "seed" / "wipo-china-roundtable-2021-01-13.txt",
                       Path("/work/shared/seed/wipo-china-roundtable-2021-01-13.txt")) if path.exists()),
    PROJECT_ROOT.parent / "shared" / "seed" / "wipo-china-roundtable-2021-01-13.txt",
)


@dataclass(frozen=True)
class Question:
    """An analyst's question, its SPARQL and the article's answer."""

    name: str
    question: str
    sparql: str
    expected: frozenset[tuple[str, ...]]
    needs_reasoning: bool = False


def answers(*rows: str | tuple[str, ...]) -> frozenset[tuple[str, ...]]:
    """Expected rows: a bare string is a one-column row."""
    return frozenset(row if isinstance(row, tuple) else (row,) for row in rows)


ROUNDTABLE_PERSONS = (
    "person:liu-hua", "person:li-baodong", "person:peng-binge", "person:yao-weihao", "person:wang-yan",
    "person:su-wang", "person:xu-min", "person:yan-xin", "person:diao-yunyun", "person:gu-yu",
    "person:jiang-chonghua", "person:he-zhenfu", "person:sun-yue", "person:xie-xiaoyong",
)
ROUNDTABLE_ORGANIZATIONS = (
    "organization:woc", "organization:peking-university", "organization:tsinghua-university", "organization:ucas",
    "organization:huawei", "organization:alibaba-group", "organization:tencent", "organization:baidu",
    "organization:boao-forum-for-asia", "organization:china-association-of-inventions",
    "organization:copyright-society-of-china", "organization:taihe-institute", "organization:jd-com",
    "organization:beijing-international-trade-in-services-center", "organization:zhongguancun-science-park",
    "organization:perfect-world", "organization:iflytek", "organization:xiaomi", "organization:renmin-university",
    "organization:china-intellectual-property-society", "organization:patent-protection-association-of-china",
)
ALL_PERSONS = (*ROUNDTABLE_PERSONS, "person:xi-jinping", "person:daren-tang")

QUESTIONS: tuple[Question, ...] = (
    # -- the event -------------------------------------------------------------------------------------------
    Question(
        "roundtable-date-organiser-series",
        "When was the first session held, who organised it, and what series is it the first session of?",
        """SELECT ?date ?organizer ?series ?ordinal WHERE {
             event:high-level-roundtable-2021-01-13 kg:startDate ?date ; kg:organizer ?organizer ;
                 kg:superEvent ?series ; kg:ordinal ?ordinal }""",
        answers(("2021-01-13", "organization:woc", "event:high-level-roundtables-2021", "1")),
    ),
    Question(
        "briefer-and-post",
        "Who briefed the roundtable on the WOC's work plan, holding which post where?",
        """SELECT ?person ?title ?organization WHERE {
             ?participation kg:event event:high-level-roundtable-2021-01-13 ; kg:role role:briefer ; kg:agent ?person .
             ?post kg:heldBy ?person ; kg:postTitle ?title ; kg:postIn ?organization }""",
        answers(("person:liu-hua", "Director", "organization:woc")),
    ),
    Question(
        "exact-post-titles",
        "What is the exact title of every post the article names, who holds it, and in which organisation?",
        """SELECT ?person ?title ?organization WHERE { ?post a kg:Post ; kg:heldBy ?person ; kg:postTitle ?title ;
             kg:postIn ?organization }""",
        answers(
            ("person:liu-hua", "Director", "organization:woc"),
            ("person:daren-tang", "Director General", "organization:wipo"),
            ("person:xi-jinping", "President", "place:china"),
            ("person:li-baodong", "Secretary-General", "organization:boao-forum-for-asia"),
            ("person:peng-binge", "Chairman", "organization:taihe-institute"),
            ("person:yao-weihao", "Director", "organization:pku-office-of-science-and-technology-development"),
            ("person:wang-yan", "Director", "organization:tsinghua-office-of-technology-transfer"),
            ("person:su-wang", "Vice President", "organization:jd-com"),
            ("person:xu-min", "Chief Patent and Technology Counsel", "organization:alibaba-group"),
            ("person:yan-xin", "President Assistant and General Counsel", "organization:huawei"),
            ("person:diao-yunyun", "Legal Director", "organization:tencent"),
            ("person:gu-yu", "Deputy Director", "organization:beijing-international-trade-in-services-center"),
            ("person:jiang-chonghua", "Director", "organization:zhongguancun-department-of-international-cooperation"),
            ("person:he-zhenfu", "Vice Chairman", "organization:china-association-of-inventions"),
            ("person:sun-yue", "Vice President and Secretary-General", "organization:copyright-society-of-china"),
            ("person:xie-xiaoyong", "Deputy Secretary-General", "organization:china-intellectual-property-society"),
        ),
    ),
    Question(
        "invited-organisations",
        "Which organisations does the article name as invited to the roundtable?",
        """SELECT ?organization WHERE { ?p kg:event event:high-level-roundtable-2021-01-13 ;
             kg:role role:invitee ; kg:agent ?organization }""",
        answers(
            "organization:peking-university", "organization:tsinghua-university", "organization:ucas",
            "organization:huawei", "organization:alibaba-group", "organization:tencent", "organization:baidu",
            "organization:boao-forum-for-asia", "organization:china-association-of-inventions",
            "organization:copyright-society-of-china",
        ),
    ),
    Question(
        "invited-leaders-figure",
        "How many leaders were invited, and how exact is the figure?",
        """SELECT ?value ?unit ?comparator WHERE { ?o kg:measure measure:invited-leaders ;
             kg:observedSubject event:high-level-roundtable-2021-01-13 ; kg:value ?value ; kg:unit ?unit ;
             kg:comparator ?comparator }""",
        answers(("30", "unit:person", "kg:approximately")),
    ),
    Question(
        "anonymous-speaking-organisations",
        "Which organisations spoke only through unnamed representatives, and what did they say jointly?",
        """SELECT ?organization ?kind WHERE { ?s kg:speaker ?organization ; kg:source passage:p35 ; a ?kind .
             FILTER(?kind IN (kg:Appreciation, kg:Proposal)) }""",
        answers(*(
            (org, kind)
            for org in ("organization:baidu", "organization:perfect-world", "organization:iflytek",
                        "organization:xiaomi", "organization:renmin-university", "organization:ucas")
            for kind in ("kg:Appreciation", "kg:Proposal")
        )),
    ),
    Question(
        "association-attendees",
        "Who attended on behalf of associations without a reported speech (p36), and for which association?",
        """SELECT ?agent ?organization WHERE { ?p kg:event event:high-level-roundtable-2021-01-13 ;
             kg:role role:attendee ; kg:agent ?agent . OPTIONAL { ?p kg:onBehalfOf ?organization }
             FILTER(?agent != person:li-baodong) }""",
        answers(
            ("person:he-zhenfu", "organization:china-association-of-inventions"),
            ("person:sun-yue", "organization:copyright-society-of-china"),
            ("person:xie-xiaoyong", "organization:china-intellectual-property-society"),
            ("organization:patent-protection-association-of-china",),
        ),
    ),
    # -- the figures -----------------------------------------------------------------------------------------
    Question(
        "pct-madrid-growth",
        "By how much did Chinese applicants' PCT and Madrid filings grow, as of when, according to whom?",
        """SELECT ?measure ?value ?unit ?period ?reporter WHERE { ?o kg:observedSubject place:china ;
             kg:measure ?measure ; kg:value ?value ; kg:unit ?unit ; kg:period ?period ; kg:reportedBy ?reporter }""",
        answers(
            ("measure:pct-applications-year-on-year-growth", "20", "unit:percent", "2020-10", "organization:cnipa"),
            ("measure:madrid-applications-year-on-year-growth", "25", "unit:percent", "2020-10", "organization:cnipa"),
        ),
    ),
    Question(
        "huawei-figures",
        "What figures did Huawei's general counsel give, with which qualifier?",
        """SELECT ?measure ?value ?unit ?comparator ?reporter WHERE { ?o kg:observedSubject organization:huawei ;
             kg:measure ?measure ; kg:value ?value ; kg:unit ?unit ; kg:comparator ?comparator ;
             kg:reportedBy ?reporter }""",
        answers(
            ("measure:pct-applications-filed", "50000", "unit:application", "kg:moreThan", "person:yan-xin"),
            ("measure:rd-investment-share-of-revenue", "15", "unit:percent", "kg:approximately", "person:yan-xin"),
        ),
    ),
    Question(
        "china-gii-2020",
        "Where does China stand in the GII 2020: its rank, and the indicators it leads the world on?",
        """SELECT ?measure ?standing WHERE { ?o kg:observedSubject place:china ; kg:reportedIn document:gii-2020 ;
             kg:measure ?measure ; kg:trend kg:unchanged .
             OPTIONAL { ?o kg:value ?rank } OPTIONAL { ?o kg:qualitativeValue ?q }
             BIND(COALESCE(?rank, ?q) AS ?standing) }""",
        answers(
            ("measure:gii-rank", "14"),
            *((f"measure:gii-{m}", "status:world-leadership") for m in (
                "patents-by-origin", "utility-models", "trademarks", "industrial-designs",
                "quality-of-universities", "top-science-and-technology-clusters")),
        ),
    ),
    # -- laws, treaties and statuses -------------------------------------------------------------------------
    Question(
        "laws-in-force-2021-06-01",
        "Which amended laws enter into force on 1 June 2021, and what do they pave the way for?",
        """SELECT ?law ?paved WHERE { ?law kg:entryIntoForce "2021-06-01"^^xsd:date ; kg:amendedVersionOf ?original ;
             kg:pavesWayFor ?paved }""",
        answers(*(
            (law, paved)
            for law in ("law:amended-patent-law", "law:amended-copyright-law")
            for paved in ("event:china-accession-to-hague-agreement", "event:china-ratification-of-marrakesh-treaty")
        )),
    ),
    Question(
        "china-treaty-statuses",
        "What is China's status towards each treaty the article mentions in that respect?",
        """SELECT ?treaty ?status WHERE { ?s a kg:TreatyStatus ; kg:party place:china ; kg:treaty ?treaty ;
             kg:status ?status }""",
        answers(
            ("treaty:hague-agreement", "status:acceding"),
            ("treaty:marrakesh-treaty", "status:ratifying"),
            ("treaty:china-eu-gi-agreement", "status:signatory"),
        ),
    ),
    Question(
        "policy-plans",
        "Which Chinese policy plans does the briefing cite, and where do they apply?",
        "SELECT ?plan ?place WHERE { ?plan a kg:PolicyPlan ; kg:appliesTo ?place }",
        answers(
            ("law:beijing-pilot-ftz-overall-plan", "place:beijing-pilot-free-trade-zone"),
            ("law:shenzhen-comprehensive-pilot-reform-plan", "place:shenzhen"),
        ),
    ),
    # -- WIPO ------------------------------------------------------------------------------------------------
    Question(
        "director-general-took-office",
        "Who is WIPO's Director General and when did he take office?",
        """SELECT ?person ?date WHERE { ?e a kg:TakingOffice ; kg:startDate ?date ; kg:about ?post .
             ?post kg:postIn organization:wipo ; kg:heldBy ?person }""",
        answers(("person:daren-tang", "2020-10-01")),
    ),
    Question(
        "cross-collaboration-initiatives",
        "Which cross-collaboration initiatives did Daren Tang put forward, on which topics?",
        """SELECT ?initiative ?topic WHERE { ?initiative a kg:CrossCollaborationInitiative ;
             kg:proposedBy person:daren-tang ; kg:about ?topic }""",
        answers(
            ("initiative:ip-and-health", "topic:health"),
            ("initiative:ip-and-climate-change", "topic:climate-change"),
            ("initiative:ip-commercialization", "topic:ip-commercialization"),
        ),
    ),
    # -- the WOC's plan for 2021 ------------------------------------------------------------------------------
    Question(
        "four-aspects",
        "On which four aspects will the WOC's work in 2021 be centred (in order)?",
        """SELECT ?ordinal ?aspect WHERE { ?aspect a kg:WorkAspect ; kg:priorityOf plan:woc-work-plan-2021 ;
             kg:ordinal ?ordinal }""",
        answers(
            ("1", "priority:woc-2021-aspect-1-treaties"),
            ("2", "priority:woc-2021-aspect-2-major-events"),
            ("3", "priority:woc-2021-aspect-3-platforms"),
            ("4", "priority:woc-2021-aspect-4-stakeholders"),
        ),
    ),
    Question(
        "treaties-and-systems-to-promote",
        "Which treaties and systems will the WOC promote, and which processes will it follow?",
        """SELECT ?kind ?target WHERE { priority:woc-2021-aspect-1-treaties ?p ?target .
             VALUES (?p ?kind) { (kg:promotes "promotes") (kg:follows "follows") } }""",
        answers(
            ("promotes", "initiative:hague-system"), ("promotes", "treaty:marrakesh-treaty"),
            ("promotes", "initiative:lisbon-system"), ("promotes", "treaty:singapore-treaty"),
            ("follows", "event:china-accession-to-hague-agreement"),
            ("follows", "event:china-ratification-of-marrakesh-treaty"),
        ),
    ),
    Question(
        "events-to-attend-with-cities",
        "Which events will the WOC attend in 2021, and in which city where the article names one?",
        """SELECT ?event ?city WHERE { priority:woc-2021-aspect-2-major-events kg:plannedParticipationIn ?event .
             OPTIONAL { ?event kg:location ?city . ?city a kg:City } }""",
        answers(
            ("event:ciftis", "place:beijing"), ("event:zhongguancun-forum", "place:beijing"),
            ("event:ciie", "place:shanghai"), ("event:shanghai-international-ip-forum", "place:shanghai"),
            ("event:china-international-patent-fair", "place:dalian"),
            ("event:china-international-design-expo", "place:wuxi"),
            ("event:boao-forum-for-asia-annual-conference",), ("event:business-of-ip-asia-forum",),
            ("event:gba-ip-trade-expo",), ("event:international-copyright-expo",),
        ),
    ),
    Question(
        "platforms-to-promote",
        "Which WIPO platforms will the WOC promote?",
        "SELECT ?platform WHERE { priority:woc-2021-aspect-3-platforms kg:promotes ?platform }",
        answers("initiative:tisc", "initiative:wipo-green", "initiative:wipo-re-search", "initiative:wipo-academy"),
    ),
    Question(
        "arbitration-and-mediation-locations",
        "Where will the WOC promote the set-up of WIPO arbitration and mediation services?",
        "SELECT ?place WHERE { initiative:wipo-arbitration-and-mediation-services kg:plannedLocation ?place }",
        answers("place:beijing", "place:guangdong"),
    ),
    Question(
        "regional-priorities",
        "Which regions will the WOC prioritise (with which core cities), and which will it explore?",
        """SELECT ?priority ?place WHERE { ?priority a kg:RegionalPriority ;
             kg:targetRegion|kg:coreCity ?place }""",
        answers(
            *(("priority:woc-2021-core-regions", p) for p in (
                "place:northern-china", "place:eastern-china", "place:southern-china",
                "place:beijing", "place:shanghai", "place:guangzhou")),
            *(("priority:woc-2021-regions-to-explore", p) for p in (
                "place:central-china", "place:southwestern-china", "place:northeastern-china")),
        ),
    ),
    # -- what was said ---------------------------------------------------------------------------------------
    Question(
        "taihe-mission",
        "What is Taihe Institute's mission, and who is its chairman?",
        """SELECT ?mission ?chairman WHERE { organization:taihe-institute kg:mission ?mission .
             ?post kg:postIn organization:taihe-institute ; kg:postTitle "Chairman"@en ; kg:heldBy ?chairman }""",
        answers(("gathering global elites and seeking common values", "person:peng-binge")),
    ),
    Question(
        "boao-forum-cooperation-areas",
        "In which areas is Boao Forum for Asia willing to continue working with WIPO?",
        """SELECT ?topic WHERE { ?s a kg:Commitment ; kg:speaker person:li-baodong ;
             kg:addressee organization:wipo ; kg:about ?topic }""",
        answers("topic:health", "topic:technological-innovation", "topic:international-security"),
    ),
    Question(
        "xi-jinping-at-study-session",
        "At which study session did President Xi speak on IP protection, organised by whom, and who relayed it?",
        """SELECT ?session ?ordinal ?organizer ?reporter WHERE { ?s kg:speaker person:xi-jinping ; kg:atEvent ?session ;
             kg:reportedBy ?reporter . ?session kg:ordinal ?ordinal ; kg:organizer ?organizer }""",
        answers(("event:cpc-political-bureau-25th-group-study-session", "25",
                 "organization:cpc-political-bureau", "person:li-baodong")),
    ),
    Question(
        "gii-2020-roundtable-government-bodies",
        "Whose heads or high-level officials did the High-Level Roundtable on the GII 2020 draw together?",
        """SELECT ?body WHERE { ?p kg:event event:gii-2020-high-level-roundtable ; kg:role role:attendee ;
             kg:agent ?body }""",
        answers(
            "organization:samr", "organization:cnipa", "organization:ncac", "organization:ministry-of-foreign-affairs",
        ),
    ),
    Question(
        "provenance-of-huawei-pct-figure",
        "Which passage of the article states that Huawei filed over 50,000 PCT applications?",
        """SELECT ?passage ?position WHERE { GRAPH ?g { ?o kg:observedSubject organization:huawei ; kg:value 50000 }
             ?g prov:wasDerivedFrom ?passage . ?passage kg:position ?position ; kg:text ?text
             FILTER(CONTAINS(?text, "over 50,000 PCT patent applications")) }""",
        answers(("passage:p31", "31")),
    ),
    # -- answered only with OWL 2 RL reasoning ---------------------------------------------------------------
    Question(
        "schema-persons",
        "Who are the people in the graph (schema.org terms only)?",
        "SELECT DISTINCT ?person WHERE { ?person a schema:Person ; schema:name ?name }",
        answers(*ALL_PERSONS),
        needs_reasoning=True,
    ),
    Question(
        "schema-attendees",
        "Who took part in the roundtable, people and organisations (schema:attendee, derived from participations)?",
        "SELECT ?attendee WHERE { event:high-level-roundtable-2021-01-13 schema:attendee ?attendee }",
        answers(*ROUNDTABLE_PERSONS, *ROUNDTABLE_ORGANIZATIONS),
        needs_reasoning=True,
    ),
    Question(
        "org-sub-organizations",
        "Which organisations are units of others (W3C ORG terms only)?",
        "SELECT ?unit ?parent WHERE { ?unit org:subOrganizationOf ?parent }",
        answers(
            ("organization:woc", "organization:wipo"),
            ("organization:wipo-headquarters", "organization:wipo"),
            ("organization:pku-office-of-science-and-technology-development", "organization:peking-university"),
            ("organization:tsinghua-office-of-technology-transfer", "organization:tsinghua-university"),
            ("organization:zhongguancun-department-of-international-cooperation",
             "organization:zhongguancun-science-park"),
            ("organization:cpc-central-committee", "organization:cpc"),
            ("organization:cpc-political-bureau", "organization:cpc-central-committee"),
        ),
        needs_reasoning=True,
    ),
    Question(
        "org-members-of-universities",
        "Which people belong to a university, including through an office of it (org:memberOf)?",
        """SELECT ?person ?university WHERE { ?person org:memberOf ?university .
             ?university a schema:CollegeOrUniversity . ?person a schema:Person }""",
        answers(
            ("person:yao-weihao", "organization:peking-university"),
            ("person:wang-yan", "organization:tsinghua-university"),
        ),
        needs_reasoning=True,
    ),
    Question(
        "schema-affiliation-wipo",
        "Who is affiliated with WIPO, directly or through one of its units (schema:affiliation)?",
        "SELECT ?person WHERE { ?person schema:affiliation organization:wipo }",
        answers("person:liu-hua", "person:daren-tang"),
        needs_reasoning=True,
    ),
    Question(
        "business-sector-participants",
        "Which participants came from the business sector (a defined class over posts, sectors and participation)?",
        "SELECT ?person WHERE { ?person a kg:BusinessSectorParticipant }",
        answers("person:su-wang", "person:xu-min", "person:yan-xin", "person:diao-yunyun"),
        needs_reasoning=True,
    ),
    Question(
        "academic-and-association-participants",
        "Which participants came from academia, and which from associations?",
        """SELECT ?class ?person WHERE { VALUES ?class { kg:AcademicSectorParticipant kg:AssociationSectorParticipant }
             ?person a ?class }""",
        answers(
            ("kg:AcademicSectorParticipant", "person:yao-weihao"), ("kg:AcademicSectorParticipant", "person:wang-yan"),
            *(("kg:AssociationSectorParticipant", p) for p in (
                "person:li-baodong", "person:he-zhenfu", "person:sun-yue", "person:xie-xiaoyong")),
        ),
        needs_reasoning=True,
    ),
    Question(
        "requests-to-wipo",
        "Who asked WIPO to do something (requests addressed to WIPO, a defined class)?",
        "SELECT ?speaker WHERE { ?s a kg:RequestToWIPO ; kg:speaker ?speaker }",
        answers("person:yan-xin", "person:diao-yunyun", "person:gu-yu", "person:jiang-chonghua"),
        needs_reasoning=True,
    ),
    Question(
        "speaking-organisations",
        "Which organisations are speakers, i.e. made some statement themselves (kg:Speaker ≡ ∃made.Statement)?",
        "SELECT ?organization WHERE { ?organization a kg:Speaker , kg:Organization }",
        answers(
            "organization:baidu", "organization:perfect-world", "organization:iflytek", "organization:xiaomi",
            "organization:renmin-university", "organization:ucas",
            "organization:patent-protection-association-of-china",
        ),
        needs_reasoning=True,
    ),
    Question(
        "sector-of-political-bureau",
        "What sector is the Political Bureau of the CPC Central Committee in (inherited along part-of)?",
        "SELECT ?sector WHERE { organization:cpc-political-bureau kg:sector ?sector }",
        answers("sector:political-party"),
        needs_reasoning=True,
    ),
    Question(
        "schema-dated-located-events",
        "Which events have a date and a place (schema.org terms only)?",
        "SELECT ?event ?date ?place WHERE { ?event a schema:Event ; schema:startDate ?date ; schema:location ?place }",
        answers(
            ("event:high-level-roundtable-2021-01-13", "2021-01-13", "place:woc-premises"),
            ("event:amended-patent-law-entry-into-force", "2021-06-01", "place:china"),
            ("event:amended-copyright-law-entry-into-force", "2021-06-01", "place:china"),
        ),
        needs_reasoning=True,
    ),
    Question(
        "fairs-the-woc-took-part-in",
        "Which fairs has the WOC taken part in (kg:participatedIn, the inverse of a chain over participations)?",
        "SELECT ?fair WHERE { organization:woc kg:participatedIn ?fair . ?fair a kg:Fair }",
        answers("event:ciftis", "event:ciie", "event:gba-ip-trade-expo"),
        needs_reasoning=True,
    ),
    Question(
        "wipo-services",
        "Which services does WIPO provide (kg:WIPOService, a class defined by its provider)?",
        "SELECT ?service WHERE { ?service a kg:WIPOService }",
        answers(
            "initiative:wipo-global-ip-services-and-products", "initiative:pct-system", "initiative:madrid-system",
            "initiative:hague-system", "initiative:lisbon-system", "initiative:budapest-system", "initiative:tisc",
            "initiative:wipo-green", "initiative:wipo-re-search", "initiative:wipo-academy",
            "initiative:wipo-arbitration-and-mediation-services",
        ),
        needs_reasoning=True,
    ),
    Question(
        "statements-on-dispute-resolution",
        "Which statements are about dispute resolution in any of its forms (skos:broaderTransitive, schema:about)?",
        """SELECT DISTINCT ?statement WHERE { ?statement a kg:Statement ; schema:about ?topic .
             ?topic skos:broaderTransitive topic:dispute-resolution }""",
        answers("statement:liu-hua-2021-aspect-2", "statement:xu-min-legal-means-discussion"),
        needs_reasoning=True,
    ),
    Question(
        "parts-of-the-accomplishments-report",
        "Which accomplishments make up Liu Hua's look back (schema:hasPart, the inverse of the asserted dct:isPartOf)?",
        """SELECT ?ordinal ?part WHERE { statement:liu-hua-accomplishments schema:hasPart ?part .
             ?part kg:ordinal ?ordinal }""",
        answers(*((str(n), f"statement:liu-hua-accomplishment-{n}") for n in range(1, 5))),
        needs_reasoning=True,
    ),
    Question(
        "org-posts-held",
        "Which posts does each association leader hold (org:holds, the inverse of the asserted kg:heldBy)?",
        """SELECT ?person ?title WHERE { ?person org:holds ?post . ?post kg:postTitle ?title ; kg:postIn ?association .
             ?association a kg:Association }""",
        answers(
            ("person:li-baodong", "Secretary-General"), ("person:he-zhenfu", "Vice Chairman"),
            ("person:sun-yue", "Vice President and Secretary-General"),
            ("person:xie-xiaoyong", "Deputy Secretary-General"),
        ),
        needs_reasoning=True,
    ),
    Question(
        "places-in-northern-china",
        "What lies within Northern China (transitive containment, schema.org terms)?",
        "SELECT ?place WHERE { ?place schema:containedInPlace place:northern-china }",
        answers("place:beijing", "place:beijing-pilot-free-trade-zone", "place:woc-premises"),
        needs_reasoning=True,
    ),
)


def compact(term: Node, prefixes: dict[str, str]) -> str:
    """An IRI as ``prefix:local`` with the longest predeclared prefix; a literal as its lexical form."""
    if isinstance(term, URIRef):
        matches = [(name, iri) for name, iri in prefixes.items() if str(term).startswith(iri)]
        if matches:
            name, iri = max(matches, key=lambda match: len(match[1]))
            return f"{name}:{str(term)[len(iri):]}"
        return str(term)
    if isinstance(term, Literal):
        return str(term)
    raise AssertionError(f"unexpected term in an answer: {term!r}")


def ask(graph: KnowledgeGraph, question: Question, reasoning: str) -> frozenset[tuple[str, ...]]:
    """The answers to ``question`` under ``reasoning``, as rows of compacted terms (unbound columns left out)."""
    prefixes = graph.namespaces.prefixes()
    rows = graph.select(question.sparql, reasoning)
    return frozenset(tuple(compact(v, prefixes) for v in row.values() if v is not None) for row in rows)


def test_there_are_enough_questions() -> None:
    assert len(QUESTIONS) >= 22
    assert sum(q.needs_reasoning for q in QUESTIONS) >= 5
    assert len({q.name for q in QUESTIONS}) == len(QUESTIONS)


@pytest.mark.parametrize("question", QUESTIONS, ids=lambda q: q.name)
def test_question_is_answered_with_owl_rl(knowledge_graph: KnowledgeGraph, question: Question) -> None:
    assert ask(knowledge_graph, question, "owlrl") == question.expected


@pytest.mark.parametrize("question", QUESTIONS, ids=lambda q: q.name)
def test_reasoning_is_needed_exactly_where_marked(knowledge_graph: KnowledgeGraph, question: Question) -> None:
    without = ask(knowledge_graph, question, "none")
    if question.needs_reasoning:
        assert without != question.expected
        assert without < question.expected, "reasoning only adds answers"
    else:
        assert without == question.expected


# -- completeness and provenance of the encoding ---------------------------------------------------------------

#: Every name the article gives a person, organisation, event, place, treaty, law, plan, service or figure-bearing
#: report, spelled as the article spells it.
ARTICLE_NAMES = (
    "Series of High-Level Roundtables 2021", "WIPO Office in China", "WOC", "WIPO", "Peking University",
    "Tsinghua University", "University of Chinese Academy of Sciences", "Huawei Technologies Co., Ltd.",
    "Alibaba Group", "Tencent Holdings Ltd.", "Baidu, Inc.", "Boao Forum for Asia", "China Association of Inventions",
    "Copyright Society of China", "Liu Hua", "Global Innovation Index (GII) 2020", "GII 2020",
    "High-Level Roundtable on the Global Innovation Index (GII) 2020", "State Administration for Market Regulation",
    "SAMR", "China National Intellectual Property Administration", "CNIPA",
    "National Copyright Administration of China", "NCAC", "Ministry of Foreign Affairs of China", "PCT",
    "Madrid System", "China International Fair for Trade in Services", "CIFTIS", "China International Import Expo",
    "CIIE", "Guangdong-Hongkong-Macao Greater Bay Area IP Trade Expo", "China", "Xi Jinping", "Chinese Patent Law",
    "Copyright Law", "Hague Agreement", "Marrakesh Treaty",
    "China-EU bilateral agreement on the protection of geographical indications", "EU",
    "Overall Plan for Beijing Pilot Free Trade Zone", "Beijing Pilot Free Trade Zone", "Shenzhen", "Daren Tang",
    "IP and health", "IP and climate change", "IP commercialization", "WIPO headquarters", "HQ", "Southern China",
    "Beijing", "Shanghai", "Guangzhou", "Northeastern China", "Hague System", "Lisbon System", "Singapore Treaty",
    "Zhongguancun Forum", "Shanghai International IP Forum", "Business of IP Asia Forum",
    "China International Patent Fair", "Dalian", "China International Design Expo", "Wuxi",
    "International Copyright Expo", "WIPO arbitration and mediation services", "Guangdong",
    "Technology and Innovation Support Center", "TISC", "WIPO GREEN", "WIPO Re:Search", "WIPO Academy", "Li Baodong",
    "25th Group Study Session of the Political Bureau of the CPC Central Committee",
    "Political Bureau of the CPC Central Committee", "CPC Central Committee", "CPC", "Peng Binge", "Taihe Institute",
    "Yao Weihao", "Office of Science and Technology Development of Peking University", "Wang Yan",
    "Office of Technology Transfer of Tsinghua University", "Su Wang", "JD.com, Inc.", "Xu Min", "Yan Xin",
    "Madrid International Trademark System", "Hague International Industrial Design System", "Diao Yunyun",
    "Tencent Group", "Gu Yu", "Beijing International Trade in Services Center", "Jiang Chonghua",
    "Department of International Cooperation of Zhongguancun Science and Technology Park",
    "Zhongguancun Science and Technology Park", "Baidu Inc.", "Perfect World Co., Ltd.", "iFLYTEK Corporation",
    "Xiaomi Group", "Renmin University of China", "He Zhenfu", "Sun Yue", "Xie Xiaoyong",
    "China Intellectual Property Society", "Patent Protection Association of China",
    "Budapest – The International Microorganism Deposit System",
)


def test_every_name_in_the_article_names_something(knowledge_graph: KnowledgeGraph) -> None:
    seed = SEED.read_text(encoding="utf-8") if SEED.exists() else None
    rows = knowledge_graph.select(
        "SELECT DISTINCT ?name WHERE { ?x kg:name|kg:alternateName|kg:abbreviation|kg:officialName ?name }", "none")
    names = {str(row["name"]) for row in rows}
    missing = [name for name in ARTICLE_NAMES if name not in names]
    assert missing == []
    if seed is not None:
        not_in_article = [name for name in ARTICLE_NAMES if name not in seed]
        assert not_in_article == [], "the list spells names as the article does"


def test_passages_quote_the_article_exactly(knowledge_graph: KnowledgeGraph) -> None:
    if not SEED.exists():
        pytest.skip("the seed article is not beside the repository")
    lines = {line for line in SEED.read_text(encoding="utf-8").splitlines() if line.strip()}
    rows = knowledge_graph.select(
        "SELECT ?passage ?text WHERE { ?passage dct:isPartOf document:wipo-china-roundtable-2021 ; kg:text ?text }",
        "none")
    assert len(rows) == 39
    assert {str(row["text"]) for row in rows} == lines


def test_every_passage_graph_is_derived_from_its_passage(knowledge_graph: KnowledgeGraph) -> None:
    rows = knowledge_graph.select(
        """SELECT ?g ?passage WHERE { ?g a kg:PassageGraph ; prov:wasDerivedFrom ?passage .
             ?passage kg:text ?text . FILTER EXISTS { GRAPH ?g { ?s ?p ?o } } }""", "none")
    graphs = {str(row["g"]).rsplit("/", 1)[1]: str(row["passage"]).rsplit("/", 1)[1] for row in rows}
    assert len(graphs) == 39
    assert all(graph == passage for graph, passage in graphs.items())


def test_statements_observations_and_statuses_cite_the_passage_of_their_graph(knowledge_graph: KnowledgeGraph) -> None:
    mismatched = knowledge_graph.select(
        """SELECT ?node ?g WHERE { GRAPH ?g { ?node kg:source ?cited } ?g prov:wasDerivedFrom ?passage .
             FILTER NOT EXISTS { GRAPH ?g { ?node kg:source ?passage } } }""", "none")
    assert mismatched == []
    unsourced = knowledge_graph.select(
        """SELECT ?node WHERE { VALUES ?class { kg:Statement kg:Observation kg:TreatyStatus kg:Priority }
             ?node a ?class . FILTER NOT EXISTS { ?node kg:source ?passage } }""", "owlrl")
    assert unsourced == []


def test_background_facts_are_kept_apart(knowledge_graph: KnowledgeGraph) -> None:
    background = knowledge_graph.graph_iri("source/background")
    derived = f"ASK {{ <{background}> prov:wasDerivedFrom ?passage }}"
    assert knowledge_graph.ask(f"ASK {{ <{background}> a kg:BackgroundGraph }}", "none")
    assert not knowledge_graph.ask(derived, "none")
    # the full name of WIPO is general knowledge, not the article's
    full_name = 'organization:wipo kg:name "World Intellectual Property Organization"@en'
    assert knowledge_graph.ask(f"ASK {{ GRAPH <{background}> {{ {full_name} }} }}", "none")
    assert not knowledge_graph.ask(f"ASK {{ GRAPH ?g {{ {full_name} }} ?g prov:wasDerivedFrom ?passage }}", "none")
