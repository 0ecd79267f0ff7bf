"""The OWL 2 RL/RDF rules triggered by an instance fact: a new ``x p y`` or ``x rdf:type C`` looks the schema up."""

from __future__ import annotations

from kg.reasoning.fast.datatypes import different_values, outside_value_space
from kg.reasoning.fast.engine import EMPTY, Values
from kg.reasoning.fast.owlrl_base import OwlRlBase
from kg.reasoning.fast.terms import Fact


class InstanceRules(OwlRlBase):
    """Property, class-membership and equality rules on the instance side."""

    def _property_rules(self, f: Fact) -> None:
        """The rules on ``x p y`` beyond the plan: property kinds, chains, restrictions, keys, disjointness."""
        s, p, o = f
        v, sp, po, known = self.v, self.sp, self.po, self.known
        kinds = sp[v.type].get(p)
        if kinds:
            self._property_kind_rules(f, kinds)
        for q in sp[v.property_disjoint_with].get(p, EMPTY):
            if (s, q, o) in known:
                self.inconsistent("prp-pdw", "disjoint properties share a pair", (f, (s, q, o), (p, v.property_disjoint_with, q)))
        for q in po[v.property_disjoint_with].get(p, EMPTY):
            if (s, q, o) in known:
                self.inconsistent("prp-pdw", "disjoint properties share a pair", (f, (s, q, o), (q, v.property_disjoint_with, p)))
        if sp[v.property_chain_axiom]:
            for chain in self._cache("chains").get(p, ()):
                self._chain_through(f, *chain)
        restrictions = po[v.on_property].get(p)
        if restrictions:
            for r in restrictions:
                self._restriction_value_rules(f, r)
        if sp[v.has_key]:
            for c, props, axiom in self._cache("keys").get(p, ()):
                if (s, v.type, c) in known:
                    self._key_rules(c, props, axiom, s)
        if sp[v.assertion_property]:
            for nfact in self._cache("negative_assertions").get(p, ()):
                self._check_negative_assertion(nfact[0])
        if p == v.different_from:
            self._on_different_from(f)
        if sp[v.members]:
            for axiom, props in self._cache("disjoint_properties").get(p, ()):
                for q in props:
                    if q != p and (s, q, o) in known:
                        self.inconsistent("prp-adp", "disjoint properties share a pair", (f, (s, q, o), axiom))

    def _equality_rules(self, f: Fact) -> None:
        """eq-rep-s/p/o for a new fact about a resource with an owl:sameAs."""
        s, p, o = f
        v, same, derive = self.v, self._same, self.derive
        for s2 in same.get(s, EMPTY):
            if s2 != s:
                derive((s2, p, o), "eq-rep-s", (f, (s, v.same_as, s2)))
        for p2 in same.get(p, EMPTY):
            if p2 != p:
                derive((s, p2, o), "eq-rep-p", (f, (p, v.same_as, p2)))
        for o2 in same.get(o, EMPTY):
            if o2 != o:
                derive((s, p, o2), "eq-rep-o", (f, (o, v.same_as, o2)))

    def _property_kind_rules(self, f: Fact, kinds: Values) -> None:
        s, p, o = f
        v, derive = self.v, self.derive
        if v.symmetric in kinds:
            derive((o, p, s), "prp-symp", (f, (p, v.type, v.symmetric)))
        if v.transitive in kinds:
            axiom = (p, v.type, v.transitive)
            for z in self.objects(o, p):
                derive((s, p, z), "prp-trp", (f, (o, p, z), axiom))
            for x in self.subjects(p, s):
                derive((x, p, o), "prp-trp", ((x, p, s), f, axiom))
        if v.functional in kinds:
            for y2 in self.objects(s, p):
                if y2 != o:
                    derive((o, v.same_as, y2), "prp-fp", (f, (s, p, y2), (p, v.type, v.functional)))
        if v.inverse_functional in kinds:
            for x2 in self.subjects(p, o):
                if x2 != s:
                    derive((s, v.same_as, x2), "prp-ifp", (f, (x2, p, o), (p, v.type, v.inverse_functional)))
        if v.irreflexive in kinds and s == o:
            self.inconsistent("prp-irp", "an irreflexive property relates a resource to itself", (f, (p, v.type, v.irreflexive)))
        if v.asymmetric in kinds and (o, p, s) in self.known:
            self.inconsistent("prp-asyp", "an asymmetric property holds both ways", (f, (o, p, s), (p, v.type, v.asymmetric)))

    def _restriction_value_rules(self, f: Fact, r: int) -> None:
        """cls-hv2, cls-svf1/2, cls-avf, cls-maxc, cls-maxqc for a new ``x p y`` with ``r owl:onProperty p``."""
        s, p, o = f
        v, sp, known, derive = self.v, self.sp, self.known, self.derive
        on = (r, v.on_property, p)
        for value in sp[v.has_value].get(r, EMPTY):
            if value == o:
                derive((s, v.type, r), "cls-hv2", (f, (r, v.has_value, value), on))
        for filler in sp[v.some_values_from].get(r, EMPTY):
            self._some_values(f, r, filler, on)
        for filler in sp[v.all_values_from].get(r, EMPTY):
            if (s, v.type, r) in known:
                derive((o, v.type, filler), "cls-avf", ((s, v.type, r), f, (r, v.all_values_from, filler), on))
        if (sp[v.max_cardinality].get(r) or sp[v.max_qualified_cardinality].get(r)) and (s, v.type, r) in known:
            self._max_cardinality_rules(r, s)

    def _type_rules(self, f: Fact) -> None:
        """The rules on ``x rdf:type C`` beyond the plan: intersections, unions, restrictions, disjointness, keys."""
        x, _, c = f
        v, sp, po, known, derive = self.v, self.sp, self.po, self.known, self.derive
        t = v.type
        if po[v.intersection_of] or po[v.union_of]:
            for k, members, axiom in self._cache("intersections").get(c, ()):
                premises = tuple((x, t, m) for m in members)
                if all(p in known for p in premises):
                    derive((x, t, k), "cls-int1", (*premises, axiom))
            for lst in sp[v.intersection_of].get(c, EMPTY):
                for m in self.rdf_list(lst) or ():
                    derive((x, t, m), "cls-int2", (f, (c, v.intersection_of, lst)))
            for u, axiom in self._cache("unions").get(c, ()):
                derive((x, t, u), "cls-uni", (f, axiom))
        properties = sp[v.on_property].get(c)
        if properties:
            self._restriction_member_rules(f, properties)
        fillers_of = po[v.some_values_from].get(c)
        if fillers_of:
            for r in fillers_of:
                for p in sp[v.on_property].get(r, EMPTY):
                    for u in self.subjects(p, x):
                        derive((u, t, r), "cls-svf1", ((u, p, x), f, (r, v.some_values_from, c), (r, v.on_property, p)))
        qualified_by = po[v.on_class].get(c)
        if qualified_by:
            for r in qualified_by:
                for p in sp[v.on_property].get(r, EMPTY):
                    for u in self.subjects(p, x):
                        if (u, t, r) in known:
                            self._max_cardinality_rules(r, u)
        if c == v.nothing:
            self.inconsistent("cls-nothing2", "an individual of owl:Nothing", (f,))
        if c in self._datatypes and outside_value_space(self.terms.keys[x], self.terms.keys[c]):
            self.inconsistent("dt-not-type", "a literal typed with a datatype its value is not in", (f,))
        for pred, kind in ((v.complement_of, "cls-com"), (v.disjoint_with, "cax-dw")):
            for d in sp[pred].get(c, EMPTY):
                if (x, t, d) in known:
                    self.inconsistent(kind, "an individual of two disjoint classes", (f, (x, t, d), (c, pred, d)))
            for d in po[pred].get(c, EMPTY):
                if (x, t, d) in known:
                    self.inconsistent(kind, "an individual of two disjoint classes", (f, (x, t, d), (d, pred, c)))
        if sp[v.members]:
            for axiom, classes in self._cache("disjoint_classes").get(c, ()):
                for d in classes:
                    if d != c and (x, t, d) in known:
                        self.inconsistent("cax-adc", "an individual of two disjoint classes", (f, (x, t, d), axiom))
        if sp[v.has_key]:
            for props, axiom in self._cache("keys_by_class").get(c, ()):
                self._key_rules(c, props, axiom, x)

    def _restriction_member_rules(self, f: Fact, properties: Values) -> None:
        """cls-hv1, cls-avf, cls-maxc/maxqc for a new ``x rdf:type R`` where R is a restriction."""
        x, _, r = f
        v, sp, derive = self.v, self.sp, self.derive
        for p in properties:
            on = (r, v.on_property, p)
            for value in sp[v.has_value].get(r, EMPTY):
                derive((x, p, value), "cls-hv1", (f, (r, v.has_value, value), on))
            for filler in sp[v.all_values_from].get(r, EMPTY):
                for y in self.objects(x, p):
                    derive((y, v.type, filler), "cls-avf", (f, (x, p, y), (r, v.all_values_from, filler), on))
        if sp[v.max_cardinality].get(r) or sp[v.max_qualified_cardinality].get(r):
            self._max_cardinality_rules(r, x)

    def _same_as_rules(self, f: Fact) -> None:
        x, same, y = f
        derive = self.derive
        derive((y, same, x), "eq-sym", (f,))
        for z in self.objects(y, same):
            if z != x:
                derive((x, same, z), "eq-trans", (f, (y, same, z)))
        for w in self.subjects(same, x):
            if w != y:
                derive((w, same, y), "eq-trans", ((w, same, x), f))
        for p, by_subject in self.sp.items():
            for o in by_subject.get(x, EMPTY):
                derive((y, p, o), "eq-rep-s", ((x, p, o), f))
        for p, by_object in self.po.items():
            for s in by_object.get(x, EMPTY):
                derive((s, p, y), "eq-rep-o", ((s, p, x), f))
        for s, objects in self.sp.get(x, {}).items():
            for o in objects:
                derive((s, y, o), "eq-rep-p", ((s, x, o), f))
        v = self.v
        if x < y:  # eq-diff1 is checked against one of x owl:sameAs y and y owl:sameAs x (once, not twice)
            for pair in ((x, v.different_from, y), (y, v.different_from, x)):
                if pair in self.known:
                    self.inconsistent("eq-diff1", "resources both the same and different", (f, pair))
        if self.sp[v.members] or self.sp[v.distinct_members]:
            for rule, axiom, individuals in self._cache("all_different").get(x, ()):
                if y in individuals:
                    self.inconsistent(rule, "members of owl:AllDifferent are the same", (axiom, f))
        keys = self.terms.keys
        if x < y and keys[x][0] == '"' == keys[y][0] and different_values(keys[x], keys[y]):
            self.inconsistent("dt-diff", "two different literal values are the same", (f,))

    def _on_different_from(self, f: Fact) -> None:
        x, _, y = f
        if x == y:
            # one derived by eq-rep comes from an x owl:differentFrom y with x owl:sameAs y, reported as such
            if not self.why.get(f, ("",))[0].startswith("eq-rep"):
                self.inconsistent("eq-diff1", "a resource different from itself", (f,))
            return
        same = (min(x, y), self.v.same_as, max(x, y))
        if same in self.known:
            self.inconsistent("eq-diff1", "resources both the same and different", (same, f))
