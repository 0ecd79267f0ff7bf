"""Literal values, as far as the OWL 2 RL datatype rules need them (``dt-diff``, ``dt-not-type``).

Only what can be told for sure: the value of a literal of a string, numeric
or boolean datatype (OWL 2 keeps ``xsd:float``, ``xsd:double`` and the
``xsd:decimal`` family apart, and ``+0.0`` from ``-0.0``), and whether such a
value is in the value space of such a datatype.  For any other datatype, and
for ill-typed literals, the answer is "cannot tell" (``None``) and no rule fires.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Hashable
from decimal import Decimal, InvalidOperation
from xml.etree.ElementTree import ParseError, canonicalize

from kg.reasoning.fast.terms import RDF, XSD, literal_datatype

_DECIMAL = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
_INTEGER = re.compile(r"[+-]?\d+")
_FLOAT = re.compile(r"[+-]?((\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?|INF)|NaN")
_STRINGS = ("string", "normalizedString", "token", "language", "Name", "NCName", "NMTOKEN")
#: integer datatype -> (least, greatest) value, ``None`` for unbounded
_INTEGER_BOUNDS: dict[str, tuple[int | None, int | None]] = {
    "integer": (None, None),
    "nonNegativeInteger": (0, None), "positiveInteger": (1, None),
    "nonPositiveInteger": (None, 0), "negativeInteger": (None, -1),
    "long": (-2**63, 2**63 - 1), "int": (-2**31, 2**31 - 1), "short": (-2**15, 2**15 - 1), "byte": (-128, 127),
    "unsignedLong": (0, 2**64 - 1), "unsignedInt": (0, 2**32 - 1), "unsignedShort": (0, 2**16 - 1),
    "unsignedByte": (0, 255),
}
#: datatype IRI spelling -> the family of its value space (families are pairwise disjoint)
FAMILIES: dict[str, str] = {
    **{f"<{XSD}{name}>": "string" for name in _STRINGS},
    **{f"<{XSD}{name}>": "decimal" for name in ("decimal", *_INTEGER_BOUNDS)},
    f"<{XSD}float>": "float", f"<{XSD}double>": "double", f"<{XSD}boolean>": "boolean",
    f"<{RDF}langString>": "lang", f"<{RDF}XMLLiteral>": "xml",
}
_ESCAPE = re.compile(r"\\(u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|.)")
_ESCAPED = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f"}


def literal_value(key: str) -> Hashable | None:
    """A key equal for two literal spellings exactly when they denote the same value; ``None`` if unknown."""
    end = key.rfind('"')
    lexical, datatype = key[1:end], literal_datatype(key)
    family = FAMILIES.get(datatype)
    if family == "string":
        return ("string", lexical) if datatype == f"<{XSD}string>" else None
    if family == "lang":
        return ("lang", lexical, key[end + 2:].lower())
    if family == "xml":
        return _xml_value(lexical)
    if family == "boolean":
        return ("boolean", lexical in ("true", "1")) if lexical in ("true", "false", "1", "0") else None
    if family in ("float", "double"):
        if not _FLOAT.fullmatch(lexical):
            return None
        return family, struct.pack(">f" if family == "float" else ">d", float(lexical))
    if family == "decimal":
        integral = datatype != f"<{XSD}decimal>"
        if not (_INTEGER if integral else _DECIMAL).fullmatch(lexical):
            return None
        try:
            value = Decimal(lexical)
        except InvalidOperation:
            return None
        return ("decimal", value) if not integral or _in_bounds(value, datatype) else None
    return None


def different_values(key1: str, key2: str) -> bool:
    """True if the literal spellings surely denote different values (``dt-diff``)."""
    value1, value2 = literal_value(key1), literal_value(key2)
    return value1 is not None and value2 is not None and value1 != value2


def outside_value_space(key: str, datatype: str) -> bool:
    """True if the literal spelled ``key`` is surely not in the value space of ``datatype`` (``dt-not-type``)."""
    value, family = literal_value(key), FAMILIES.get(datatype)
    if value is None or family is None:
        return False
    if value[0] != family:  # type: ignore[index]
        return True
    if family == "decimal" and datatype != f"<{XSD}decimal>":
        number: Decimal = value[1]  # type: ignore[index]
        return number != number.to_integral_value() or not _in_bounds(number, datatype)
    return False


def _xml_value(lexical: str) -> Hashable | None:
    """An ``rdf:XMLLiteral``'s value: its canonical XML (C14N 2.0, attributes sorted, empty elements expanded)."""
    text = _ESCAPE.sub(lambda m: chr(int(m[1][1:], 16)) if len(m[1]) > 1 else _ESCAPED.get(m[1], m[1]), lexical)
    try:
        return "xml", canonicalize(f"<kg-fragment>{text}</kg-fragment>")
    except ParseError:
        return None


def _in_bounds(value: Decimal, datatype: str) -> bool:
    least, greatest = _INTEGER_BOUNDS[datatype[len(XSD) + 1:-1]]
    return (least is None or value >= least) and (greatest is None or value <= greatest)
