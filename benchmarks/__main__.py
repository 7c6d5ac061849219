"""`python -m benchmarks [NAME ...]`: run the benchmarks (all by default) and write the results.

Each benchmark runs in a fresh child process (its own memory, Dagster instance and environment
variables) and prints its figures as JSON; this collects them into `benchmarks/results.json` and
`benchmarks/RESULTS.md` (both committed), with the machine and the versions they were measured on.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.common import machine, versions
from benchmarks.report import render

HERE = Path(__file__).parent
NAMES = ("ceiling", "peer", "latency", "memory", "incremental", "dagster_overhead", "lake_writes",
         "analysts_during_loads", "scale", "scale_out", "profile")


def run_one(name: str) -> dict:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", f"import json; from benchmarks import {name}; print('@@' + json.dumps({name}.run()))"],
        capture_output=True, text=True, check=False,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("@@")]
    if done.returncode or not lines:
        return {"error": (done.stderr or done.stdout)[-3000:], "wall_s": round(time.perf_counter() - started, 1)}
    result = json.loads(lines[-1][2:])
    result["wall_s"] = round(time.perf_counter() - started, 1)
    return result


def check(folder: Path) -> list[str]:
    """What is wrong with the results in `folder`: a benchmark without figures or failed, or a
    RESULTS.md that is not what results.json renders to (hand-edited, or not rewritten). None: []."""
    doc = json.loads((folder / "results.json").read_text())
    problems = []
    missing, unknown = sorted(set(NAMES) - set(doc["benchmarks"])), sorted(set(doc["benchmarks"]) - set(NAMES))
    if missing:
        problems.append(f"no figures of {', '.join(missing)}")
    if unknown:
        problems.append(f"figures of unknown benchmarks {', '.join(unknown)}")
    failed = sorted(name for name, result in doc["benchmarks"].items() if "error" in result)
    if failed:
        problems.append(f"failed: {', '.join(failed)}")
    if (folder / "RESULTS.md").read_text() != render(doc):
        problems.append("RESULTS.md is not what results.json renders to (edited by hand, or not rewritten)")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"benchmarks to run (default all): {', '.join(NAMES)}")
    parser.add_argument("--check", action="store_true",
                        help="run nothing: check that the results hold every benchmark's figures, none failed, "
                             "and that RESULTS.md is rendered from results.json")
    parser.add_argument("--results", type=Path, default=HERE, metavar="DIR",
                        help="with --check: the folder of results.json and RESULTS.md (default: benchmarks/)")
    args = parser.parse_args(argv)
    if args.check:
        problems = check(args.results)
        for problem in problems:
            print(f"{args.results}: {problem}", file=sys.stderr)
        if not problems:
            print(f"{args.results}: figures of all {len(NAMES)} benchmarks; RESULTS.md rendered from results.json")
        return 1 if problems else 0
    unknown = sorted(set(args.names) - set(NAMES))
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(unknown)}; choose from {', '.join(NAMES)}")
    names = args.names or list(NAMES)
    results_path = HERE / "results.json"
    previous = json.loads(results_path.read_text()) if results_path.exists() and args.names else {}
    results = dict(previous.get("benchmarks", {}))
    for name in names:
        print(f"running {name} ...", flush=True)
        results[name] = run_one(name)
        status = "failed" if "error" in results[name] else "done"
        print(f"  {status} in {results[name]['wall_s']} s", flush=True)
    document = {
        "measured": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": machine(),
        "versions": versions(),
        # The sum over every benchmark in the file, so a rerun of some keeps the total true.
        "total_wall_s": round(sum(r["wall_s"] for r in results.values()), 1),
        "benchmarks": {name: results[name] for name in NAMES if name in results},
    }
    results_path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    (HERE / "RESULTS.md").write_text(render(document))
    print(f"wrote {results_path} and {HERE / 'RESULTS.md'}")
    return 1 if any("error" in r for r in document["benchmarks"].values()) else 0


if __name__ == "__main__":
    sys.exit(main())
