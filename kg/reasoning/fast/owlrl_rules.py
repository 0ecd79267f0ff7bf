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

from kg.reasoning.fast.engine import EMPTY, with_value
from kg.reasoning.fast.owlrl_axioms import AxiomRules
from kg.reasoning.fast.owlrl_base import OBJECT_TYPE, OTHER_DIRECTION, SAME_DIRECTION, SUBJECT_TYPE
from kg.reasoning.fast.owlrl_instance import InstanceRules
from kg.reasoning.fast.owlrl_schema import SchemaRules
from kg.reasoning.fast.terms import Fact


class OwlRlEngine(InstanceRules, SchemaRules, AxiomRules):
    """Materializes the OWL 2 RL closure."""

    profile = "owlrl"

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        v = self.v
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
            by_subject[s] = (o,)
        elif objects.__class__ is set:
            objects.add(o)  # type: ignore[union-attr]
        else:
            by_subject[s] = with_value(objects, o)
        by_object = self.po[p]
        subjects = by_object.get(o)
        if subjects is None:
            by_object[o] = (s,)
        elif subjects.__class__ is set:
            subjects.add(s)  # type: ignore[union-attr]
        else:
            by_object[o] = with_value(subjects, s)
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
            self._property_kinds.intersection(sp[v.type].get(p, EMPTY))
            or sp[v.property_disjoint_with].get(p) or po[v.property_disjoint_with].get(p)
            or po[v.on_property].get(p)
            or (sp[v.property_chain_axiom] and self._cache("chains").get(p))
            or (sp[v.has_key] and self._cache("keys").get(p))
            or (sp[v.assertion_property] and self._cache("negative_assertions").get(p))
            or (sp[v.members] and self._cache("disjoint_properties").get(p))
            or p == v.different_from
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
            or c in self._datatypes
        )
        return actions, involved
