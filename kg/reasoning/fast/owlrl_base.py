"""State and helpers shared by the OWL 2 RL/RDF rule families (see :mod:`kg.reasoning.fast.owlrl_rules`).

The schema caches (intersections by member, chains by property…) and the rule
bodies that both the instance side and the schema side call: ``cls-svf1``,
``cls-maxc``/``cls-maxqc``, ``prp-spo2``, ``prp-key``, ``prp-npa1/2``.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import product

from kg.reasoning.fast.datatypes import FAMILIES
from kg.reasoning.fast.engine import Engine
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


class OwlRlBase(Engine):
    """The OWL 2 RL engine's state, schema caches and shared rule bodies."""

    schema_predicate_names = SCHEMA_PREDICATES
    schema_class_names = SCHEMA_CLASSES
    #: the schema-side rule of each schema predicate (filled by :class:`~kg.reasoning.fast.owlrl_rules.OwlRlEngine`)
    _schema_rules: dict[int, Callable[[Fact], None]]

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
        self._datatypes = frozenset(self.terms.encode(datatype) for datatype in FAMILIES)

    def _schema_changed(self) -> None:
        self._caches.clear()
        self._property_plans.clear()
        self._class_plans.clear()

    def _cache(self, name: str) -> dict[int, list]:
        """Schema lookups derived from lists (intersections by member, chains by property…), rebuilt on change."""
        found = self._caches.get(name)
        if found is None:
            found = self._caches[name] = getattr(self, "_build_" + name)()
        return found

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

    def _key_rules(self, c: int, props: tuple[int, ...], axiom: Fact, x: int) -> None:
        """prp-key: another individual of ``c`` with the same values of all key properties is the same as ``x``."""
        t, known = self.v.type, self.known
        for values in product(*(sorted(self.objects(x, p)) for p in props)):
            candidates = set(self.subjects(props[0], values[0]))
            for p, value in zip(props[1:], values[1:]):
                candidates.intersection_update(self.subjects(p, value))
            for y in candidates:
                if y != x and (y, t, c) in known:
                    premises = (axiom, (x, t, c), (y, t, c), *((x, p, z) for p, z in zip(props, values)),
                                *((y, p, z) for p, z in zip(props, values)))
                    self.derive((x, self.v.same_as, y), "prp-key", premises)

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

    def _build_disjoint_properties(self) -> dict[int, list]:
        found: dict[int, list] = {}
        v = self.v
        for axiom_node in self.subjects(v.type, v.all_disjoint_properties):
            for lst in self.objects(axiom_node, v.members):
                props = tuple(self.rdf_list(lst) or ())
                for p in props:
                    found.setdefault(p, []).append(((axiom_node, v.members, lst), props))
        return found

    def _build_all_different(self) -> dict[int, list]:
        """Member -> (rule, axiom, members) of each ``owl:AllDifferent`` listing it."""
        found: dict[int, list] = {}
        v = self.v
        for axiom_node in self.subjects(v.type, v.all_different):
            for pred, rule in ((v.members, "eq-diff2"), (v.distinct_members, "eq-diff3")):
                for lst in self.objects(axiom_node, pred):
                    individuals = frozenset(self.rdf_list(lst) or ())
                    for i in individuals:
                        found.setdefault(i, []).append((rule, (axiom_node, pred, lst), individuals))
        return found

    def _build_negative_assertions(self) -> dict[int, list]:
        found: dict[int, list] = {}
        v = self.v
        for n, props in self.sp[v.assertion_property].items():
            for p in props:
                found.setdefault(p, []).append((n,))
        return found
