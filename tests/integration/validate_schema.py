#!/usr/bin/env python3
"""Validate a chipcert JSON document against a JSON Schema (draft 2020-12).

usage: validate_schema.py SCHEMA DOCUMENT   -> exit 0 when valid, 1 with the errors otherwise
"""
import json
import sys

import jsonschema


def main() -> int:
    schema_path, doc_path = sys.argv[1], sys.argv[2]
    with open(schema_path, encoding="utf-8") as f:
        schema = json.load(f)
    with open(doc_path, encoding="utf-8") as f:
        doc = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(doc), key=lambda e: list(e.path))
    for e in errors:
        print(f"{doc_path}: /{'/'.join(str(p) for p in e.path)}: {e.message}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
