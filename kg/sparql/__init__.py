"""SPARQL: lexing, limits, evaluation outcomes and result formats."""
