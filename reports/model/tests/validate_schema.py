#!/usr/bin/env python3
"""ctest results_schema_validates: the JSON Schema accepts what the C++ model
writes (the golden examples, pinned byte-for-byte by results_model_test) and
rejects broken copies of it.

usage: validate_schema.py SCHEMA EXAMPLE [EXAMPLE...]
"""
import copy
import json
import sys

from jsonschema import Draft202012Validator


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as f:
        schema = json.load(f)
    Draft202012Validator.check_schema(schema)
    validator = Draft202012Validator(schema)

    failures = 0
    examples = []
    for path in argv[2:]:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
        examples.append((path, doc))
        errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
        for e in errors:
            print(f"FAIL {path}: /{'/'.join(map(str, e.absolute_path))}: {e.message}")
        failures += len(errors)
        if not errors:
            print(f"ok   {path} is valid")

    full = examples[0][1]
    if not full["cases"] or not full["devices"]:
        print(f"FAIL {examples[0][0]}: needs at least one case and one device for the negative checks")
        return 1

    # Field sets in step: every $def lists exactly the fields the model writes
    # (the full example has every optional member present in cases[0]).
    c0 = full["cases"][0]
    samples = {
        "(top level)": (schema, full),
        "suite": (schema["$defs"]["suite"], full["suite"]),
        "host": (schema["$defs"]["host"], full["host"]),
        "cache": (schema["$defs"]["cache"], full["host"]["caches"][0]),
        "device": (schema["$defs"]["device"], full["devices"][0]),
        "case": (schema["$defs"]["case"], c0),
        "statistics": (schema["$defs"]["statistics"], c0["statistics"]),
        "rates": (schema["$defs"]["rates"], c0["rates"]),
        "verification": (schema["$defs"]["verification"], c0["verification"]),
        "mismatch": (schema["$defs"]["mismatch"], c0["verification"]["first_mismatches"][0]),
        "driver_problem": (schema["$defs"]["driver_problem"], full["driver_problems"][0]),
        "provenance": (schema["$defs"]["provenance"], full["provenance"]),
    }
    # Fields the full example cannot carry beside the others: clock_untrusted
    # is there exactly when the clock is not believed, and the full example's
    # clock is (the negative tests in json_errors_test.cpp write it).
    absent_by_design = {"host": {"clock_untrusted"}}
    for name, (sub, obj) in samples.items():
        if set(sub["properties"]) - absent_by_design.get(name, set()) != set(obj):
            print(f"FAIL {name}: schema fields {sorted(set(sub['properties']) ^ set(obj))} "
                  "differ from what the model writes")
            failures += 1
        for prop, spec in sub["properties"].items():
            if not spec.get("description"):
                print(f"FAIL {name}.{prop}: no description")
                failures += 1
    if not failures:
        print("ok   schema field sets match the model's output")

    def broken(description, mutate):
        nonlocal failures
        doc = copy.deepcopy(full)
        mutate(doc)
        if validator.is_valid(doc):
            print(f"FAIL broken copy accepted: {description}")
            failures += 1
        else:
            print(f"ok   rejected: {description}")

    case = "cases"
    broken("unknown top-level field", lambda d: d.update(colour="blue"))
    broken("unknown field in a case", lambda d: d[case][0].update(colour="blue"))
    broken("unknown field in rates", lambda d: d[case][0]["rates"].update(ops_per_s=1.0))
    broken("missing status", lambda d: d[case][0].pop("status"))
    broken("missing provenance", lambda d: d.pop("provenance"))
    broken("bad status", lambda d: d[case][0].update(status="PASSED"))
    broken("bad device kind", lambda d: d["devices"][0].update(kind="npu"))
    broken("bad timer", lambda d: d[case][0].update(timer="wall"))
    broken("schema_version 2", lambda d: d.update(schema_version="2"))
    broken("negative sample", lambda d: d[case][0]["samples"].append(-1.0))
    broken("seed as string", lambda d: d.update(seed="7"))
    broken("numa_node below -1", lambda d: d["devices"][0].update(numa_node=-2))
    broken("compute_units over uint32", lambda d: d["devices"][0].update(compute_units=2**32))
    broken("zero_fraction over 1",
           lambda d: d[case][0].setdefault("verification", {}).update(zero_fraction=1.5))
    broken("parameters as array", lambda d: d[case][0].update(parameters=[1, 2]))
    broken("empty device id", lambda d: d["devices"][0].update(id=""))

    print("results_schema_validates:", "FAILED" if failures else "passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
