"""The OWL 2 RL/RDF rules (W3C OWL 2 Profiles, section 4.3), as owlrl applies them.

Rule names follow the specification (``cax-sco``, ``prp-trp``, ``scm-svf1``…).
Every rule is written once per premise it can be triggered by: the instance
side (a new ``x p y`` or ``x rdf:type C``) looks the schema up, the schema side
(a new axiom) joins it with the indexed instances.  Where owlrl deliberately
departs from the letter of the specification we follow owlrl, the reference:
reflexive ``subClassOf``/``subPropertyOf`` come only from class and property
declarations (``scm-cls``, ``scm-op``, ``scm-dp``), ``someValuesFrom owl:Thing``
is satisfied by any value, and literals carry their datatypes (``dt-type2``).
Not derived, because the noise filter drops them and no rule needs them:
``x owl:sameAs x``, ``x rdf:type owl:Thing``, ``C rdfs:subClassOf owl:Thing``,
``owl:Nothing rdfs:subClassOf C``.  Inconsistencies (``cax-dw``, ``cls-com``,
``prp-irp``…) are recorded on :attr:`Engine.inconsistencies`, never raised.
"""

from __future__ import annotations

from itertools import product

from kg.reasoning.fast.engine import EMPTY, Engine
from kg.reasoning.fast.terms import Fact, is_literal, literal_datatype

#: predicates whose facts are axioms about classes and properties
SCHEMA_PREDICATES = (
    "sub_class_of", "sub_property_of", "domain", "range", "equivalent_class", "equivalent_property",
    "inverse_of", "on_property", "some_values_from", "all_values_from", "has_value", "max_cardinality",
    "max_qualified_cardinality", "on_class", "intersection_of", "union_of", "complement_of", "one_of",
    "disjoint_with", "property_disjoint_with", "property_chain_axiom", "has_key", "members",
    "distinct_members", "first", "rest", "source_individual", "assertion_property", "target_individual",
    "target_value",
)
#: classes whose members are classes, properties or axioms
SCHEMA_CLASSES = (
    "owl_class", "restriction", "object_property", "datatype_property", "property", "transitive",
    "symmetric", "asymmetric", "functional", "inverse_functional", "irreflexive", "all_different",
    "all_disjoint_classes", "all_disjoint_properties",
)
#: predicates whose objects are RDF lists (rules read them through ``rdf:first``/``rdf:rest``)
LIST_PREDICATES = ("intersection_of", "union_of", "one_of", "property_chain_axiom", "has_key", "members",
                   "distinct_members")


def _cardinality(key: str) -> int | None:
    """The integer value of a cardinality literal's spelling."""
    if not is_literal(key):
        return None
    lexical = key[1:key.rfind('"')].strip()
    return int(lexical) if lexical.lstrip("+").isdigit() else None


SUBJECT_TYPE, OBJECT_TYPE, SAME_DIRECTION, OTHER_DIRECTION = range(4)


class OwlRlEngine(Engine):
    """Materializes the OWL 2 RL closure."""

    profile = "owlrl"
    schema_predicate_names = SCHEMA_PREDICATES
    schema_class_names = SCHEMA_CLASSES

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        v = self.v
        self._caches: dict[str, dict[int, list]] = {}
        self._property_plans: dict[int, tuple[list[tuple[int, int, str, Fact]], bool]] = {}
        self._class_plans: dict[int, tuple[list[tuple[int, str, Fact]], bool]] = {}
        self._type = v.type
        self._same_as = v.same_as
        self._property_kinds = frozenset((v.symmetric, v.transitive, v.functional, v.inverse_functional,
                                          v.irreflexive, v.asymmetric))
        for name in ("same_as", "different_from"):
            self.sp[getattr(v, name)] = {}
            self.po[getattr(v, name)] = {}
        self._same = self.sp[v.same_as]
        self._list_predicates = frozenset(getattr(v, n) for n in LIST_PREDICATES)
        self._schema_rules = {
            v.sub_class_of: self._on_sub_class_of,
            v.sub_property_of: self._on_sub_property_of,
            v.equivalent_class: self._on_equivalent_class,
            v.equivalent_property: self._on_equivalent_property,
            v.domain: self._on_domain,
            v.range: self._on_range,
            v.inverse_of: self._on_inverse_of,
            v.on_property: self._on_restriction_part,
            v.some_values_from: self._on_restriction_part,
            v.all_values_from: self._on_restriction_part,
            v.has_value: self._on_restriction_part,
            v.max_cardinality: self._on_restriction_part,
            v.max_qualified_cardinality: self._on_restriction_part,
            v.on_class: self._on_restriction_part,
            v.intersection_of: self._on_intersection_of,
            v.union_of: self._on_union_of,
            v.one_of: self._on_one_of,
            v.complement_of: self._on_complement_of,
            v.disjoint_with: self._on_disjoint_with,
            v.property_disjoint_with: self._on_property_disjoint_with,
            v.property_chain_axiom: self._on_property_chain_axiom,
            v.has_key: self._on_has_key,
            v.members: self._on_members,
            v.distinct_members: self._on_members,
            v.first: self._on_list_cell,
            v.rest: self._on_list_cell,
            v.source_individual: self._on_negative_assertion,
            v.assertion_property: self._on_negative_assertion,
            v.target_individual: self._on_negative_assertion,
            v.target_value: self._on_negative_assertion,
            v.different_from: self._on_different_from,
        }
        self._class_rules = {
            v.owl_class: self._on_class_declaration,
            v.object_property: self._on_property_declaration,
            v.datatype_property: self._on_property_declaration,
            v.property: self._on_property_declaration,
            v.transitive: self._on_transitive,
            v.symmetric: self._on_symmetric,
            v.functional: self._on_functional,
            v.inverse_functional: self._on_inverse_functional,
            v.irreflexive: self._on_irreflexive,
            v.asymmetric: self._on_asymmetric,
            v.all_different: self._on_all_different,
            v.all_disjoint_classes: self._on_all_disjoint_classes,
            v.all_disjoint_properties: self._on_all_disjoint_properties,
        }

    # -- dispatch -----------------------------------------------------------------------------------

    def process(self, fact: Fact) -> None:
        s, p, o = fact
        # index (inlined: this runs once per fact of the closure)
        by_subject = self.sp.get(p)
        if by_subject is None:
            by_subject = self.sp[p] = {}
            self.po[p] = {}
        objects = by_subject.get(s)
        if objects is None:
            by_subject[s] = {o}
        else:
            objects.add(o)
        by_object = self.po[p]
        subjects = by_object.get(o)
        if subjects is None:
            by_object[o] = {s}
        else:
            subjects.add(s)
        t, derive, known = self._type, self.derive, self.head_guard
        plan = self._property_plans.get(p)
        if plan is None:
            plan = self._property_plans[p] = self._property_plan(p)
        actions, involved = plan
        for kind, x, rule, axiom in actions:
            if kind == SUBJECT_TYPE:
                head = (s, t, x)
            elif kind == OBJECT_TYPE:
                head = (o, t, x)
            elif kind == SAME_DIRECTION:
                head = (s, x, o)
            else:
                head = (o, x, s)
            if head not in known:
                derive(head, rule, (fact, axiom))
        if involved:
            self._property_rules(fact)
        if self._same:
            self._equality_rules(fact)
        if p == t:
            plan = self._class_plans.get(o)
            if plan is None:
                plan = self._class_plans[o] = self._class_plan(o)
            class_actions, involved = plan
            for d, rule, axiom in class_actions:
                head = (s, t, d)
                if head not in known:
                    derive(head, rule, (fact, axiom))
            if involved:
                self._type_rules(fact)
            rule = self._class_rules.get(o)
            if rule is not None:
                self._schema_changed()
                rule(fact)
        elif p == self._same_as:
            if s != o:
                self._same_as_rules(fact)
        elif p in self.schema_predicates:
            self._schema_changed()
            self._schema_rules[p](fact)

    def _schema_changed(self) -> None:
        self._caches.clear()
        self._property_plans.clear()
        self._class_plans.clear()

    def _property_plan(self, p: int) -> tuple[list[tuple[int, int, str, Fact]], bool]:
        """What a new ``x p y`` implies by the one-premise-plus-axiom rules, and whether other rules involve ``p``."""
        v, sp, po = self.v, self.sp, self.po
        actions: list[tuple[int, int, str, Fact]] = []
        actions += [(SUBJECT_TYPE, c, "prp-dom", (p, v.domain, c)) for c in sp[v.domain].get(p, EMPTY)]
        actions += [(OBJECT_TYPE, c, "prp-rng", (p, v.range, c)) for c in sp[v.range].get(p, EMPTY)]
        actions += [(SAME_DIRECTION, q, "prp-spo1", (p, v.sub_property_of, q))
                    for q in sp[v.sub_property_of].get(p, EMPTY) if q != p]
        actions += [(SAME_DIRECTION, q, "prp-eqp1", (p, v.equivalent_property, q))
                    for q in sp[v.equivalent_property].get(p, EMPTY) if q != p]
        actions += [(SAME_DIRECTION, q, "prp-eqp2", (q, v.equivalent_property, p))
                    for q in po[v.equivalent_property].get(p, EMPTY) if q != p]
        actions += [(OTHER_DIRECTION, q, "prp-inv1", (p, v.inverse_of, q)) for q in sp[v.inverse_of].get(p, EMPTY)]
        actions += [(OTHER_DIRECTION, q, "prp-inv2", (q, v.inverse_of, p)) for q in po[v.inverse_of].get(p, EMPTY)]
        involved = bool(
            sp[v.type].get(p, EMPTY) & self._property_kinds
            or sp[v.property_disjoint_with].get(p) or po[v.property_disjoint_with].get(p)
            or po[v.on_property].get(p)
            or (sp[v.property_chain_axiom] and self._cache("chains").get(p))
            or (sp[v.has_key] and self._cache("keys").get(p))
            or (sp[v.assertion_property] and self._cache("negative_assertions").get(p))
        )
        return actions, involved

    def _class_plan(self, c: int) -> tuple[list[tuple[int, str, Fact]], bool]:
        """The classes a new ``x rdf:type c`` implies by cax-sco/cax-eqc, and whether other rules involve ``c``."""
        v, sp, po = self.v, self.sp, self.po
        actions = [(d, "cax-sco", (c, v.sub_class_of, d)) for d in sp[v.sub_class_of].get(c, EMPTY) if d != c]
        actions += [(d, "cax-eqc1", (c, v.equivalent_class, d)) for d in sp[v.equivalent_class].get(c, EMPTY) if d != c]
        actions += [(d, "cax-eqc2", (d, v.equivalent_class, c)) for d in po[v.equivalent_class].get(c, EMPTY) if d != c]
        involved = bool(
            c == v.nothing
            or ((po[v.intersection_of] or po[v.union_of]) and (
                self._cache("intersections").get(c) or sp[v.intersection_of].get(c) or self._cache("unions").get(c)))
            or sp[v.on_property].get(c) or po[v.some_values_from].get(c) or po[v.on_class].get(c)
            or any(sp[pred].get(c) or po[pred].get(c) for pred in (v.complement_of, v.disjoint_with))
            or (sp[v.members] and self._cache("disjoint_classes").get(c))
            or (sp[v.has_key] and self._cache("keys_by_class").get(c))
        )
        return actions, involved

    def _cache(self, name: str) -> dict[int, list]:
        """Schema lookups derived from lists (intersections by member, chains by property…), rebuilt on change."""
        found = self._caches.get(name)
        if found is None:
            found = self._caches[name] = getattr(self, "_build_" + name)()
        return found

    # -- instance rules: x p y ----------------------------------------------------------------------

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


    def _property_kind_rules(self, f: Fact, kinds: set[int]) -> None:
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

    def _some_values(self, f: Fact, r: int, filler: int, on: Fact) -> None:
        s, _, o = f
        v = self.v
        axiom = (r, v.some_values_from, filler)
        if filler == v.thing:
            self.derive((s, v.type, r), "cls-svf2", (f, axiom, on))
        elif (o, v.type, filler) in self.known:
            self.derive((s, v.type, r), "cls-svf1", (f, (o, v.type, filler), axiom, on))
        elif self._literal_has_type(o, filler):
            self.derive((s, v.type, r), "cls-svf1", (f, axiom, on))

    def _literal_has_type(self, term: int, datatype: int) -> bool:
        """dt-type2: a literal is an instance of its datatype and of the datatypes that one is derived from."""
        key = self.terms.keys[term]
        if not is_literal(key):
            return False
        own = self.terms.lookup(literal_datatype(key))
        return own == datatype or datatype in self.v.datatype_ancestors.get(own, ())  # type: ignore[arg-type]

    def _max_cardinality_rules(self, r: int, x: int) -> None:
        """cls-maxc1/2 and cls-maxqc1-4 for an individual ``x`` of restriction ``r``."""
        v, keys = self.v, self.terms.keys
        member = (x, v.type, r)
        for p in self.objects(r, v.on_property):
            on = (r, v.on_property, p)
            values = self.objects(x, p)
            for bound in self.objects(r, v.max_cardinality):
                limit = _cardinality(keys[bound])
                axiom = (r, v.max_cardinality, bound)
                if limit == 0 and values:
                    y = next(iter(values))
                    self.inconsistent("cls-maxc1", "a maxCardinality 0 restriction has a value", (member, (x, p, y), axiom, on))
                elif limit == 1:
                    self._all_same(x, p, sorted(values), (member, axiom, on), "cls-maxc2")
            for bound in self.objects(r, v.max_qualified_cardinality):
                limit = _cardinality(keys[bound])
                axiom = (r, v.max_qualified_cardinality, bound)
                for c in self.objects(r, v.on_class):
                    qualified = sorted(y for y in values if c == v.thing or (y, v.type, c) in self.known)
                    rule = "cls-maxqc4" if c == v.thing else "cls-maxqc3"
                    if limit == 0 and qualified:
                        self.inconsistent("cls-maxqc1" if c != v.thing else "cls-maxqc2",
                                          "a maxQualifiedCardinality 0 restriction has a value",
                                          (member, (x, p, qualified[0]), axiom, on, (r, v.on_class, c),
                                           *(() if c == v.thing else ((qualified[0], v.type, c),))))
                    elif limit == 1:
                        self._all_same(x, p, qualified, (member, axiom, on, (r, v.on_class, c)), rule,
                                       None if c == v.thing else c)

    def _all_same(self, x: int, p: int, values: list[int], axioms: tuple[Fact, ...], rule: str,
                  qualified_by: int | None = None) -> None:
        t = self.v.type
        for y1 in values:
            for y2 in values:
                if y1 != y2:
                    typed = () if qualified_by is None else ((y1, t, qualified_by), (y2, t, qualified_by))
                    self.derive((y1, self.v.same_as, y2), rule, ((x, p, y1), (x, p, y2), *typed, *axioms))

    def _chain_through(self, f: Fact, target: int, chain: tuple[int, ...], position: int, axiom: Fact) -> None:
        """prp-spo2 for a new fact at ``position`` of a property chain: extend left and right over indexed facts."""
        s, _, o = f
        starts: dict[int, tuple[Fact, ...]] = {s: ()}
        for step in reversed(chain[:position]):
            starts = {x: ((x, step, y), *path) for y, path in starts.items() for x in self.subjects(step, y)}
        ends: dict[int, tuple[Fact, ...]] = {o: ()}
        for step in chain[position + 1:]:
            ends = {z: (*path, (y, step, z)) for y, path in ends.items() for z in self.objects(y, step)}
        for (start, left), (end, right) in product(starts.items(), ends.items()):
            self.derive((start, target, end), "prp-spo2", (*left, f, *right, axiom))

    # -- instance rules: x rdf:type C ---------------------------------------------------------------

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

    def _restriction_member_rules(self, f: Fact, properties: set[int]) -> None:
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

    # -- equality -----------------------------------------------------------------------------------

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
        for pair in ((x, v.different_from, y), (y, v.different_from, x)):
            if pair in self.known:
                self.inconsistent("eq-diff1", "resources both the same and different", (f, pair))

    def _on_different_from(self, f: Fact) -> None:
        x, _, y = f
        for pair in ((x, self.v.same_as, y), (y, self.v.same_as, x)):
            if pair in self.known:
                self.inconsistent("eq-diff1", "resources both the same and different", (pair, f))

    def _on_all_different(self, f: Fact) -> None:
        v = self.v
        for pred in (v.members, v.distinct_members):
            for lst in self.objects(f[0], pred):
                items = self.rdf_list(lst) or []
                for i, a in enumerate(items):
                    for b in items[i + 1:]:
                        if a != b and (a, v.same_as, b) in self.known:
                            rule = "eq-diff2" if pred == v.members else "eq-diff3"
                            self.inconsistent(rule, "members of owl:AllDifferent are the same", (f, (f[0], pred, lst), (a, v.same_as, b)))

    # -- schema rules -------------------------------------------------------------------------------

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
        focus = self.subjects(v.some_values_from, c1) | self.subjects(v.all_values_from, c1)
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

    def _restriction_schema_rules(self, focus: set[int] | frozenset[int]) -> None:
        """scm-hv, scm-svf1/2, scm-avf1/2 between the restrictions in ``focus`` and those they can relate to.

        Two restrictions are related by these rules only if they share their
        property or their filler (or value), so those are the partners tried.
        """
        v = self.v
        for r in focus:
            partners: set[int] = set()
            for p in self.objects(r, v.on_property):
                partners |= self.subjects(v.on_property, p)
            for kind in (v.some_values_from, v.all_values_from, v.has_value):
                for filler in self.objects(r, kind):
                    partners |= self.subjects(kind, filler)
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

    def _key_rules(self, c: int, props: tuple[int, ...], axiom: Fact, x: int) -> None:
        """prp-key: another individual of ``c`` with the same values of all key properties is the same as ``x``."""
        t, known = self.v.type, self.known
        for values in product(*(sorted(self.objects(x, p)) for p in props)):
            candidates = set(self.subjects(props[0], values[0]))
            for p, value in zip(props[1:], values[1:]):
                candidates &= self.subjects(p, value)
            for y in candidates:
                if y != x and (y, t, c) in known:
                    premises = (axiom, (x, t, c), (y, t, c), *((x, p, z) for p, z in zip(props, values)),
                                *((y, p, z) for p, z in zip(props, values)))
                    self.derive((x, self.v.same_as, y), "prp-key", premises)

    def _on_negative_assertion(self, f: Fact) -> None:
        self._schema_changed()
        self._check_negative_assertion(f[0])

    def _check_negative_assertion(self, n: int) -> None:
        """prp-npa1/2: a negative property assertion whose triple holds."""
        v = self.v
        for i1 in self.objects(n, v.source_individual):
            for p in self.objects(n, v.assertion_property):
                for pred, rule in ((v.target_individual, "prp-npa1"), (v.target_value, "prp-npa2")):
                    for i2 in self.objects(n, pred):
                        if (i1, p, i2) in self.known:
                            self.inconsistent(rule, "a negative property assertion holds",
                                              ((n, v.source_individual, i1), (n, v.assertion_property, p), (n, pred, i2), (i1, p, i2)))

    def _on_list_cell(self, f: Fact) -> None:
        """A list grew: rerun the axioms whose lists contain this cell."""
        self._schema_changed()
        for head in self.list_heads(f[0]):
            for pred in self._list_predicates:
                for owner in list(self.subjects(pred, head)):
                    rule = self._schema_rules.get(pred)
                    if rule is not None:
                        rule((owner, pred, head))

    # -- caches over list axioms --------------------------------------------------------------------

    def _build_intersections(self) -> dict[int, list]:
        found: dict[int, list] = {}
        for c, lists in self.sp[self.v.intersection_of].items():
            for lst in lists:
                members = self.rdf_list(lst)
                for m in set(members or ()):
                    found.setdefault(m, []).append((c, tuple(members), (c, self.v.intersection_of, lst)))  # type: ignore[arg-type]
        return found

    def _build_unions(self) -> dict[int, list]:
        found: dict[int, list] = {}
        for c, lists in self.sp[self.v.union_of].items():
            for lst in lists:
                for m in self.rdf_list(lst) or ():
                    found.setdefault(m, []).append((c, (c, self.v.union_of, lst)))
        return found

    def _build_chains(self) -> dict[int, list]:
        found: dict[int, list] = {}
        for target, lists in self.sp[self.v.property_chain_axiom].items():
            for lst in lists:
                chain = tuple(self.rdf_list(lst) or ())
                for position, p in enumerate(chain):
                    found.setdefault(p, []).append((target, chain, position, (target, self.v.property_chain_axiom, lst)))
        return found

    def _build_keys(self) -> dict[int, list]:
        found: dict[int, list] = {}
        for c, lists in self.sp[self.v.has_key].items():
            for lst in lists:
                props = tuple(self.rdf_list(lst) or ())
                for p in set(props):
                    found.setdefault(p, []).append((c, props, (c, self.v.has_key, lst)))
        return found

    def _build_keys_by_class(self) -> dict[int, list]:
        found: dict[int, list] = {}
        for c, lists in self.sp[self.v.has_key].items():
            for lst in lists:
                props = tuple(self.rdf_list(lst) or ())
                if props:
                    found.setdefault(c, []).append((props, (c, self.v.has_key, lst)))
        return found

    def _build_disjoint_classes(self) -> dict[int, list]:
        found: dict[int, list] = {}
        v = self.v
        for axiom_node in self.subjects(v.type, v.all_disjoint_classes):
            for lst in self.objects(axiom_node, v.members):
                classes = tuple(self.rdf_list(lst) or ())
                for c in classes:
                    found.setdefault(c, []).append(((axiom_node, v.members, lst), classes))
        return found

    def _build_negative_assertions(self) -> dict[int, list]:
        found: dict[int, list] = {}
        v = self.v
        for n, props in self.sp[v.assertion_property].items():
            for p in props:
                found.setdefault(p, []).append((n,))
        return found
