#!/usr/bin/python3
"""Google Benchmark's compare.py must accept two chipcert gbench-json exports
and list every benchmark both contain.

usage: check_gbench_compare.py COMPARE_PY A.json B.json
"""
import json
import subprocess
import sys


def names(path):
    with open(path, encoding="utf-8") as f:
        return {b["name"] for b in json.load(f)["benchmarks"]
                if b.get("run_type") == "iteration" and not b.get("error_occurred")}


def main():
    compare_py, a, b = sys.argv[1:4]
    r = subprocess.run([sys.executable, compare_py, "--no-color", "benchmarks", a, b],
                       capture_output=True, text=True)
    print(r.stdout[-4000:])
    if r.returncode != 0:
        print(r.stderr, file=sys.stderr)
        print(f"compare.py exited {r.returncode}", file=sys.stderr)
        return 1
    common = names(a) & names(b)
    if len(common) < 5:
        print(f"expected at least 5 common benchmarks, found {len(common)}", file=sys.stderr)
        return 1
    missing = [n for n in sorted(common) if n not in r.stdout]
    if missing:
        print("compare.py did not list: " + ", ".join(missing), file=sys.stderr)
        return 1
    if "_pvalue" not in r.stdout:
        print("compare.py ran no U test (no '_pvalue' row): repetitions not recognised", file=sys.stderr)
        return 1
    print(f"compare.py listed all {len(common)} common benchmarks with U tests")
    return 0


sys.exit(main())
