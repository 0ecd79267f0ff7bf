"""The RDFS entailment rules (RDF 1.1 Semantics, section 9.2.1), as owlrl's ``RDFS_Semantics`` applies them.

rdf1, rdfs2, rdfs3, rdfs5, rdfs6, rdfs7, rdfs8, rdfs9, rdfs10, rdfs11, rdfs12, rdfs13.
Not derived (all noise, and no rule needs them): rdfs4a/b ``x rdf:type
rdfs:Resource``.  Not applied: owlrl's copying of a triple to every literal
with an equal Python value (its RDFS D-entailment shortcut), see
:mod:`kg.reasoning.fast`.
"""

from __future__ import annotations

from kg.reasoning.fast.engine import EMPTY, Engine
from kg.reasoning.fast.terms import Fact


class RdfsEngine(Engine):
    """Materializes the RDFS closure."""

    profile = "rdfs"
    schema_predicate_names = ("sub_class_of", "sub_property_of", "domain", "range")
    schema_class_names = ("property", "rdfs_class", "container_membership_property", "datatype")

    def process(self, f: Fact) -> None:
        self.index(f)
        s, p, o = f
        v, sp, derive = self.v, self.sp, self.derive
        t = v.type
        derive((p, t, v.property), "rdf1", (f,))
        for c in sp[v.domain].get(p, EMPTY):
            derive((s, t, c), "rdfs2", (f, (p, v.domain, c)))
        for c in sp[v.range].get(p, EMPTY):
            derive((o, t, c), "rdfs3", (f, (p, v.range, c)))
        for q in sp[v.sub_property_of].get(p, EMPTY):
            derive((s, q, o), "rdfs7", (f, (p, v.sub_property_of, q)))
        if p == t:
            for d in sp[v.sub_class_of].get(o, EMPTY):
                derive((s, t, d), "rdfs9", (f, (o, v.sub_class_of, d)))
            if o == v.property:
                derive((s, v.sub_property_of, s), "rdfs6", (f,))
            elif o == v.rdfs_class:
                derive((s, v.sub_class_of, v.resource), "rdfs8", (f,))
                derive((s, v.sub_class_of, s), "rdfs10", (f,))
            elif o == v.container_membership_property:
                derive((s, v.sub_property_of, v.member), "rdfs12", (f,))
            elif o == v.datatype:
                derive((s, v.sub_class_of, v.literal), "rdfs13", (f,))
        elif p == v.domain:
            for x, objects in list(self.sp.get(s, {}).items()):
                derive((x, t, o), "rdfs2", ((x, s, next(iter(objects))), f))
        elif p == v.range:
            for y, subjects in list(self.po.get(s, {}).items()):
                derive((y, t, o), "rdfs3", ((next(iter(subjects)), s, y), f))
        elif p == v.sub_property_of:
            for q in self.objects(o, p):
                derive((s, p, q), "rdfs5", (f, (o, p, q)))
            for r in self.subjects(p, s):
                derive((r, p, o), "rdfs5", ((r, p, s), f))
            for x, y in list(self.pairs(s)):
                derive((x, o, y), "rdfs7", ((x, s, y), f))
        elif p == v.sub_class_of:
            for d in self.objects(o, p):
                derive((s, p, d), "rdfs11", (f, (o, p, d)))
            for c in self.subjects(p, s):
                derive((c, p, o), "rdfs11", ((c, p, s), f))
            for x in list(self.subjects(t, s)):
                derive((x, t, o), "rdfs9", ((x, t, s), f))
