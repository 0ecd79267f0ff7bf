"""The OWL 2 RL/RDF rules triggered by a class or property axiom (``scm-*``, and ``prp-*``/``cax-*``/``cls-*`` on the schema side)."""

from __future__ import annotations

from collections.abc import Collection

from kg.reasoning.fast.owlrl_base import OwlRlBase
from kg.reasoning.fast.terms import Fact


class SchemaRules(OwlRlBase):
    """Subclass, subproperty, domain, range, property characteristics and restrictions, joined with indexed instances."""

    def _on_sub_class_of(self, f: Fact) -> None:
        c1, sco, c2 = f
        v, derive, t = self.v, self.derive, self.v.type
        if c1 != c2:
            for c3 in self.objects(c2, sco):
                if c3 != c1 and c3 != c2:
                    derive((c1, sco, c3), "scm-sco", (f, (c2, sco, c3)))
            for c0 in self.subjects(sco, c1):
                if c0 != c1 and c0 != c2:
                    derive((c0, sco, c2), "scm-sco", ((c0, sco, c1), f))
            for x in self.subjects(t, c1):
                derive((x, t, c2), "cax-sco", ((x, t, c1), f))
            for p in self.subjects(v.domain, c1):
                derive((p, v.domain, c2), "scm-dom1", ((p, v.domain, c1), f))
            for p in self.subjects(v.range, c1):
                derive((p, v.range, c2), "scm-rng1", ((p, v.range, c1), f))
        converse = (c2, sco, c1)
        if converse in self.known:
            derive((c1, v.equivalent_class, c2), "scm-eqc2", (f, converse))
            derive((c2, v.equivalent_class, c1), "scm-eqc2", (converse, f))
        focus = {*self.subjects(v.some_values_from, c1), *self.subjects(v.all_values_from, c1)}
        if focus:
            self._restriction_schema_rules(focus)

    def _on_sub_property_of(self, f: Fact) -> None:
        p1, spo, p2 = f
        v, derive = self.v, self.derive
        if p1 != p2:
            for p3 in self.objects(p2, spo):
                if p3 != p1 and p3 != p2:
                    derive((p1, spo, p3), "scm-spo", (f, (p2, spo, p3)))
            for p0 in self.subjects(spo, p1):
                if p0 != p1 and p0 != p2:
                    derive((p0, spo, p2), "scm-spo", ((p0, spo, p1), f))
            for s, o in list(self.pairs(p1)):
                derive((s, p2, o), "prp-spo1", ((s, p1, o), f))
            for c in self.objects(p2, v.domain):
                derive((p1, v.domain, c), "scm-dom2", ((p2, v.domain, c), f))
            for c in self.objects(p2, v.range):
                derive((p1, v.range, c), "scm-rng2", ((p2, v.range, c), f))
        converse = (p2, spo, p1)
        if converse in self.known:
            derive((p1, v.equivalent_property, p2), "scm-eqp2", (f, converse))
            derive((p2, v.equivalent_property, p1), "scm-eqp2", (converse, f))
        focus = self.subjects(v.on_property, p1)
        if focus:
            self._restriction_schema_rules(focus)

    def _on_equivalent_class(self, f: Fact) -> None:
        c1, _, c2 = f
        if c1 == c2:
            return
        v, derive, t = self.v, self.derive, self.v.type
        derive((c1, v.sub_class_of, c2), "scm-eqc1", (f,))
        derive((c2, v.sub_class_of, c1), "scm-eqc1", (f,))
        for x in list(self.subjects(t, c1)):
            derive((x, t, c2), "cax-eqc1", ((x, t, c1), f))
        for x in list(self.subjects(t, c2)):
            derive((x, t, c1), "cax-eqc2", ((x, t, c2), f))

    def _on_equivalent_property(self, f: Fact) -> None:
        p1, _, p2 = f
        if p1 == p2:
            return
        v, derive = self.v, self.derive
        derive((p1, v.sub_property_of, p2), "scm-eqp1", (f,))
        derive((p2, v.sub_property_of, p1), "scm-eqp1", (f,))
        for s, o in list(self.pairs(p1)):
            derive((s, p2, o), "prp-eqp1", ((s, p1, o), f))
        for s, o in list(self.pairs(p2)):
            derive((s, p1, o), "prp-eqp2", ((s, p2, o), f))

    def _on_domain(self, f: Fact) -> None:
        p, dom, c = f
        v, derive = self.v, self.derive
        for s, objects in list(self.sp.get(p, {}).items()):
            derive((s, v.type, c), "prp-dom", ((s, p, next(iter(objects))), f))
        for c2 in self.objects(c, v.sub_class_of):
            if c2 != c:
                derive((p, dom, c2), "scm-dom1", (f, (c, v.sub_class_of, c2)))
        for p1 in self.subjects(v.sub_property_of, p):
            if p1 != p:
                derive((p1, dom, c), "scm-dom2", (f, (p1, v.sub_property_of, p)))

    def _on_range(self, f: Fact) -> None:
        p, rng, c = f
        v, derive = self.v, self.derive
        for o, subjects in list(self.po.get(p, {}).items()):
            derive((o, v.type, c), "prp-rng", ((next(iter(subjects)), p, o), f))
        for c2 in self.objects(c, v.sub_class_of):
            if c2 != c:
                derive((p, rng, c2), "scm-rng1", (f, (c, v.sub_class_of, c2)))
        for p1 in self.subjects(v.sub_property_of, p):
            if p1 != p:
                derive((p1, rng, c), "scm-rng2", (f, (p1, v.sub_property_of, p)))

    def _on_inverse_of(self, f: Fact) -> None:
        p1, _, p2 = f
        for x, y in list(self.pairs(p1)):
            self.derive((y, p2, x), "prp-inv1", ((x, p1, y), f))
        for x, y in list(self.pairs(p2)):
            self.derive((y, p1, x), "prp-inv2", ((x, p2, y), f))

    def _on_class_declaration(self, f: Fact) -> None:
        c = f[0]
        self.derive((c, self.v.sub_class_of, c), "scm-cls", (f,))
        self.derive((c, self.v.equivalent_class, c), "scm-cls", (f,))

    def _on_property_declaration(self, f: Fact) -> None:
        p = f[0]
        rule = "scm-dp" if f[2] == self.v.datatype_property else "scm-op"
        self.derive((p, self.v.sub_property_of, p), rule, (f,))
        self.derive((p, self.v.equivalent_property, p), rule, (f,))

    def _on_transitive(self, f: Fact) -> None:
        p = f[0]
        for x, y in list(self.pairs(p)):
            for z in self.objects(y, p):
                self.derive((x, p, z), "prp-trp", ((x, p, y), (y, p, z), f))

    def _on_symmetric(self, f: Fact) -> None:
        p = f[0]
        for x, y in list(self.pairs(p)):
            self.derive((y, p, x), "prp-symp", ((x, p, y), f))

    def _on_functional(self, f: Fact) -> None:
        p = f[0]
        for x, ys in list(self.sp.get(p, {}).items()):
            self._all_same(x, p, sorted(ys), (f,), "prp-fp")

    def _on_inverse_functional(self, f: Fact) -> None:
        p = f[0]
        for y, xs in list(self.po.get(p, {}).items()):
            for x1 in xs:
                for x2 in xs:
                    if x1 != x2:
                        self.derive((x1, self.v.same_as, x2), "prp-ifp", ((x1, p, y), (x2, p, y), f))

    def _on_irreflexive(self, f: Fact) -> None:
        p = f[0]
        for x, y in self.pairs(p):
            if x == y:
                self.inconsistent("prp-irp", "an irreflexive property relates a resource to itself", ((x, p, y), f))

    def _on_asymmetric(self, f: Fact) -> None:
        p = f[0]
        for x, y in self.pairs(p):
            if (y, p, x) in self.known:
                self.inconsistent("prp-asyp", "an asymmetric property holds both ways", ((x, p, y), (y, p, x), f))

    def _on_restriction_part(self, f: Fact) -> None:
        r = f[0]
        self._schema_changed()
        v, t, derive, known = self.v, self.v.type, self.derive, self.known
        for p in list(self.objects(r, v.on_property)):
            on = (r, v.on_property, p)
            members = list(self.subjects(t, r))
            for value in list(self.objects(r, v.has_value)):
                axiom = (r, v.has_value, value)
                for x in members:
                    derive((x, p, value), "cls-hv1", ((x, t, r), axiom, on))
                for s in list(self.subjects(p, value)):
                    derive((s, t, r), "cls-hv2", ((s, p, value), axiom, on))
            for filler in list(self.objects(r, v.some_values_from)):
                for s, objects in list(self.sp.get(p, {}).items()):
                    if (s, t, r) not in self.head_guard:
                        for o in objects:
                            self._some_values((s, p, o), r, filler, on)
            for filler in list(self.objects(r, v.all_values_from)):
                for x in members:
                    for y in list(self.objects(x, p)):
                        derive((y, t, filler), "cls-avf", ((x, t, r), (x, p, y), (r, v.all_values_from, filler), on))
            if self.objects(r, v.max_cardinality) or self.objects(r, v.max_qualified_cardinality):
                for x in members:
                    self._max_cardinality_rules(r, x)
        self._restriction_schema_rules({r})

    def _restriction_schema_rules(self, focus: Collection[int]) -> None:
        """scm-hv, scm-svf1/2, scm-avf1/2 between the restrictions in ``focus`` and those they can relate to.

        Two restrictions are related by these rules only if they share their
        property or their filler (or value), so those are the partners tried.
        """
        v = self.v
        for r in focus:
            partners: set[int] = set()
            for p in self.objects(r, v.on_property):
                partners.update(self.subjects(v.on_property, p))
            for kind in (v.some_values_from, v.all_values_from, v.has_value):
                for filler in self.objects(r, kind):
                    partners.update(self.subjects(kind, filler))
            for other in partners:
                self._restriction_pair_rules(r, other)
                self._restriction_pair_rules(other, r)

    def _restriction_pair_rules(self, c1: int, c2: int) -> None:
        v, known, derive, sco, spo = self.v, self.known, self.derive, self.v.sub_class_of, self.v.sub_property_of
        for p1 in self.objects(c1, v.on_property):
            for p2 in self.objects(c2, v.on_property):
                on1, on2 = (c1, v.on_property, p1), (c2, v.on_property, p2)
                sub_property = (p1, spo, p2)
                for i in self.objects(c1, v.has_value):
                    if (c2, v.has_value, i) in known and sub_property in known:
                        derive((c1, sco, c2), "scm-hv", ((c1, v.has_value, i), on1, (c2, v.has_value, i), on2, sub_property))
                for kind, rule in ((v.some_values_from, "scm-svf"), (v.all_values_from, "scm-avf")):
                    for y1 in self.objects(c1, kind):
                        for y2 in self.objects(c2, kind):
                            fillers = (y1, sco, y2)
                            if p1 == p2 and fillers in known:
                                derive((c1, sco, c2), rule + "1", ((c1, kind, y1), on1, (c2, kind, y2), on2, fillers))
                            if y1 == y2 and sub_property in known:
                                sub, sup = (c1, c2) if kind == v.some_values_from else (c2, c1)
                                derive((sub, sco, sup), rule + "2", ((c1, kind, y1), on1, (c2, kind, y2), on2, sub_property))
