"""What one more query worker costs: the whole server's PSS with ``KG_WORKERS=KG_MAX_WORKERS=2``, then 8, on LUBM(N).

    .venv/bin/python bench/workers_memory.py --size 10 --stores memory oxigraph:/tmp/lubm10-store

For each store, ``kg serve --data univ-bench.ttl --data lubmN.nt.gz`` is started twice (2, then 8 workers) and the
PSS of its whole process tree (``/proc/PID/smaps_rollup``) is read once it is ready, and again after ``--queries``
light LUBM queries with unique texts (a comment per request: none is answered from the answer cache), so that the
workers have touched the data.  The difference divided by 6 is what each extra worker costs.  An ``oxigraph:PATH``
store is built on the first start (slow) and reopened on the second.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
# bench/ holds a script named like the standard library's ``http``: keep that folder off the path.
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

from tests.live_server import live_server  # noqa: E402

LUBM = Path("/work/shared/bench/lubm")
LIGHT = ("q01", "q03", "q04", "q05", "q07", "q10", "q11", "q12", "q13")
COUNTS = (2, 8)


def measure(store: str, size: int, queries: int, logs: Path) -> dict[int, tuple[float, float]]:
    """PSS in MB (ready, after the queries) of ``kg serve`` on ``store`` with each worker count of :data:`COUNTS`."""
    data = [LUBM / "univ-bench.ttl", LUBM / f"lubm{size}.nt.gz"]
    texts = [(LUBM / "queries" / f"{name}.rq").read_text() for name in LIGHT]
    found = {}
    for workers in COUNTS:
        env = {"KG_STORE": store, "KG_WORKERS": str(workers), "KG_MAX_WORKERS": str(workers)}
        with live_server(logs, *data, env=env, workers=workers, timeout=600) as server:
            time.sleep(2)
            ready, _ = server.pss_mb()
            for i in range(queries):
                text = f"{texts[i % len(texts)]}\n# {i}"
                reply = server.request("GET", "/sparql?query=" + quote(text), headers={"Accept": "text/csv"})
                if reply.status != 200:
                    raise SystemExit(f"{store}: a query was answered {reply.status}: {reply.text[:200]}")
            time.sleep(2)
            after, _ = server.pss_mb()
            found[workers] = (ready, after)
            print(f"{store}, {workers} workers: PSS {ready:,.0f} MB ready, {after:,.0f} MB after {queries} queries",
                  flush=True)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=1, help="LUBM size (file lubmN.nt.gz)")
    parser.add_argument("--stores", nargs="+", default=["memory"], help="KG_STORE values (oxigraph:PATH, memory)")
    parser.add_argument("--queries", type=int, default=400)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="kg-workers-memory-") as logs:
        for store in args.stores:
            found = measure(store, args.size, args.queries, Path(logs))
            (low_ready, low_after), (high_ready, high_after) = found[COUNTS[0]], found[COUNTS[1]]
            extra = COUNTS[1] - COUNTS[0]
            rows.append(f"| {args.size} | {store} | {low_ready:,.0f} → {high_ready:,.0f} | {low_after:,.0f} → "
                        f"{high_after:,.0f} | {(high_ready - low_ready) / extra:,.1f} / {(high_after - low_after) / extra:,.1f} |")
    print(f"\n| LUBM | store | PSS ready, {COUNTS[0]} → {COUNTS[1]} workers MB | after {args.queries} queries MB "
          "| per extra worker MB (ready / after) |")
    print("| --- | --- | --- | --- | --- |")
    print("\n".join(rows))
    print(f"\ncommand: bench/workers_memory.py {' '.join(sys.argv[1:])}")


if __name__ == "__main__":
    main()
