"""The fast reasoner's working state, measured alone: bytes per fact of its structures, not the store's.

    .venv/bin/python bench/reasoner_memory.py                 # LUBM(1)
    .venv/bin/python bench/reasoner_memory.py --sizes 1 10

Per size, the OWL 2 RL closure of ``univ-bench.ttl`` + ``lubmN.nt.gz`` is
computed by :class:`kg.reasoning.closure.Closure` under ``tracemalloc`` (the
N-Triples text it reads is made before tracing starts, so only what the
reasoner allocates and keeps is counted), then its parts are sized with
``sys.getsizeof``: the fact tuples, the ``known`` set (asserted facts are the
known ones without a derivation record), the two indexes (predicate → subject → objects and predicate → object →
subjects), the derivation records and the term dictionary.  "Per fact" divides
by the facts the engine knows (asserted + inferred, noise included).  The
state file a persistent store keeps beside its data (see
:mod:`kg.dataset.closure_checkpoints`) is written and read back too: its size
and the time to read it bound a restart's first write.
"""

from __future__ import annotations

import argparse
import gc
import gzip
import io
import pickle
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

import pyoxigraph as ox  # noqa: E402

from kg.reasoning.closure import Closure  # noqa: E402
from kg.reasoning.fast import Engine  # noqa: E402

DEFAULT_LUBM = ROOT.parent / "shared" / "bench" / "lubm"


def ntriples_of(lubm: Path, size: int) -> str:
    """The asserted triples of LUBM(``size``) as canonical N-Triples (as the store hands them to the reasoner)."""
    store = ox.Store()
    with (lubm / "univ-bench.ttl").open("rb") as ontology:
        store.load(ontology, format=ox.RdfFormat.TURTLE, base_iri="http://www.lehigh.edu/~zhp2/2004/0401/univ-bench.owl")
    with gzip.open(lubm / f"lubm{size}.nt.gz") as data:
        store.load(data, format=ox.RdfFormat.N_TRIPLES)
    return store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph()).decode()


def parts(engine: Engine) -> dict[str, int]:
    """Bytes of each part of the engine's state (containers and the objects only they hold)."""
    size = sys.getsizeof
    facts = sum(size(fact) for fact in engine.known)
    indexes = 0
    for outer in (engine.sp, engine.po):
        indexes += size(outer)
        for by_key in outer.values():
            indexes += size(by_key) + sum(size(values) for values in by_key.values())
    records = size(engine.why)
    counted = {id(fact) for fact in engine.known}  # a premise may be the very tuple ``known`` holds
    for record in engine.why.values():
        records += size(record)
        for premise in record[1:]:
            if id(premise) not in counted:
                counted.add(id(premise))
                records += size(premise)
    terms = size(engine.terms.ids) + size(engine.terms.keys) + sum(size(key) for key in engine.terms.keys)
    return {"fact tuples": facts, "known set": size(engine.known), "indexes": indexes,
            "derivation records": records, "term dictionary": terms}


def measure(lubm: Path, size: int) -> None:
    """Print the state of LUBM(``size``)'s closure, part by part, and its state file's size and read time."""
    text = ntriples_of(lubm, size)
    gc.collect()
    tracemalloc.start()
    started = time.perf_counter()
    closure = Closure.of_ntriples("owlrl", text)
    seconds = time.perf_counter() - started
    traced, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    engine = closure.engine
    facts = len(engine.known)
    print(f"LUBM({size}): {len(engine.asserted):,} asserted, {facts:,} facts known, {len(engine.why):,} derivation "
          f"records, {len(engine.terms):,} terms; closure in {seconds:.1f} s")
    print(f"  traced: {traced / 1e6:,.0f} MB held ({traced / facts:,.0f} B/fact), peak {peak / 1e6:,.0f} MB")
    for name, value in parts(engine).items():
        print(f"  {name:>20}: {value / 1e6:8,.1f} MB  {value / facts:6,.0f} B/fact")
    buffer = io.BytesIO()
    pickle.dump(closure, buffer, protocol=pickle.HIGHEST_PROTOCOL)
    buffer.seek(0)
    gc.disable()
    started = time.perf_counter()
    pickle.load(buffer)
    read = time.perf_counter() - started
    gc.enable()
    print(f"  state file: {buffer.getbuffer().nbytes / 1e6:,.1f} MB ({buffer.getbuffer().nbytes / facts:,.0f} B/fact), "
          f"read back in {read:.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1], help="LUBM sizes (files lubmN.nt.gz)")
    parser.add_argument("--lubm", type=Path, default=DEFAULT_LUBM, help="folder with univ-bench.ttl and lubmN.nt.gz")
    args = parser.parse_args()
    for size in args.sizes:
        measure(args.lubm, size)


if __name__ == "__main__":
    main()
