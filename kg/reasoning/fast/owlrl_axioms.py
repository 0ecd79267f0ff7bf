"""The OWL 2 RL/RDF rules triggered by list-valued axioms, disjointness and (in)equality axioms (schema side)."""

from __future__ import annotations

from kg.reasoning.fast.owlrl_base import OwlRlBase
from kg.reasoning.fast.terms import Fact


class AxiomRules(OwlRlBase):
    """Intersections, unions, enumerations, disjointness, chains, keys, negative assertions, ``owl:AllDifferent``."""

    def _on_all_different(self, f: Fact) -> None:
        v = self.v
        for pred in (v.members, v.distinct_members):
            for lst in self.objects(f[0], pred):
                items = self.rdf_list(lst) or []
                rule = "eq-diff2" if pred == v.members else "eq-diff3"
                for i, a in enumerate(items):
                    for b in items[i + 1:]:
                        if a == b:
                            self.inconsistent(rule, "owl:AllDifferent lists a member twice", (f, (f[0], pred, lst)))
                        elif (a, v.same_as, b) in self.known:
                            self.inconsistent(rule, "members of owl:AllDifferent are the same", (f, (f[0], pred, lst), (a, v.same_as, b)))

    def _on_intersection_of(self, f: Fact) -> None:
        c, _, lst = f
        self._schema_changed()
        members = self.rdf_list(lst)
        if not members:
            return
        v, t, derive, known = self.v, self.v.type, self.derive, self.known
        for m in members:
            derive((c, v.sub_class_of, m), "scm-int", (f,))
        for x in list(self.subjects(t, c)):
            for m in members:
                derive((x, t, m), "cls-int2", ((x, t, c), f))
        for x in list(self.subjects(t, members[0])):
            premises = tuple((x, t, m) for m in members)
            if all(p in known for p in premises):
                derive((x, t, c), "cls-int1", (*premises, f))

    def _on_union_of(self, f: Fact) -> None:
        c, _, lst = f
        self._schema_changed()
        v, t = self.v, self.v.type
        for m in self.rdf_list(lst) or ():
            self.derive((m, v.sub_class_of, c), "scm-uni", (f,))
            for x in list(self.subjects(t, m)):
                self.derive((x, t, c), "cls-uni", ((x, t, m), f))

    def _on_one_of(self, f: Fact) -> None:
        for m in self.rdf_list(f[2]) or ():
            self.derive((m, self.v.type, f[0]), "cls-oo", (f,))

    def _on_complement_of(self, f: Fact) -> None:
        c1, _, c2 = f
        t = self.v.type
        for x in self.subjects(t, c1):
            if (x, t, c2) in self.known:
                self.inconsistent("cls-com", "an individual of a class and of its complement", ((x, t, c1), (x, t, c2), f))

    def _on_disjoint_with(self, f: Fact) -> None:
        c1, _, c2 = f
        t = self.v.type
        for x in self.subjects(t, c1):
            if (x, t, c2) in self.known:
                self.inconsistent("cax-dw", "an individual of two disjoint classes", ((x, t, c1), (x, t, c2), f))

    def _on_all_disjoint_classes(self, f: Fact) -> None:
        self._schema_changed()
        t = self.v.type
        for lst in self.objects(f[0], self.v.members):
            classes = self.rdf_list(lst) or []
            for i, c1 in enumerate(classes):
                for c2 in classes[i + 1:]:
                    for x in self.subjects(t, c1):
                        if (x, t, c2) in self.known:
                            self.inconsistent("cax-adc", "an individual of two disjoint classes", ((x, t, c1), (x, t, c2), f))

    def _on_property_disjoint_with(self, f: Fact) -> None:
        p1, _, p2 = f
        for x, y in self.pairs(p1):
            if (x, p2, y) in self.known:
                self.inconsistent("prp-pdw", "disjoint properties share a pair", ((x, p1, y), (x, p2, y), f))

    def _on_all_disjoint_properties(self, f: Fact) -> None:
        for lst in self.objects(f[0], self.v.members):
            props = self.rdf_list(lst) or []
            for i, p1 in enumerate(props):
                for p2 in props[i + 1:]:
                    for x, y in self.pairs(p1):
                        if (x, p2, y) in self.known:
                            self.inconsistent("prp-adp", "disjoint properties share a pair", ((x, p1, y), (x, p2, y), f))

    def _on_members(self, f: Fact) -> None:
        self._schema_changed()
        v = self.v
        kinds = self.objects(f[0], v.type)
        if v.all_different in kinds:
            self._on_all_different((f[0], v.type, v.all_different))
        if v.all_disjoint_classes in kinds:
            self._on_all_disjoint_classes((f[0], v.type, v.all_disjoint_classes))
        if v.all_disjoint_properties in kinds:
            self._on_all_disjoint_properties((f[0], v.type, v.all_disjoint_properties))

    def _on_property_chain_axiom(self, f: Fact) -> None:
        self._schema_changed()
        chain = self.rdf_list(f[2])
        if not chain:
            return
        for s, o in list(self.pairs(chain[0])):
            self._chain_through((s, chain[0], o), f[0], tuple(chain), 0, f)

    def _on_has_key(self, f: Fact) -> None:
        self._schema_changed()
        props = self.rdf_list(f[2])
        if props:
            for x in list(self.subjects(self.v.type, f[0])):
                self._key_rules(f[0], tuple(props), f, x)

    def _on_negative_assertion(self, f: Fact) -> None:
        self._schema_changed()
        self._check_negative_assertion(f[0])

    def _on_list_cell(self, f: Fact) -> None:
        """A list grew: rerun the axioms whose lists contain this cell."""
        self._schema_changed()
        for head in self.list_heads(f[0]):
            for pred in self._list_predicates:
                for owner in list(self.subjects(pred, head)):
                    rule = self._schema_rules.get(pred)
                    if rule is not None:
                        rule((owner, pred, head))
