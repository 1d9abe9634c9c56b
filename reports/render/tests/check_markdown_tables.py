#!/usr/bin/python3
"""GitHub's Markdown renderer (cmark-gfm with the table extension) must turn
every table of chipcert's Markdown into an HTML <table> whose rows have as
many cells as the header.

usage: check_markdown_tables.py CMARK_GFM FILE.md...
"""
import re
import subprocess
import sys


def main():
    cmark, files = sys.argv[1], sys.argv[2:]
    for path in files:
        text = open(path, encoding="utf-8").read()
        expected = len(re.findall(r"^\|---", text, flags=re.M))
        html = subprocess.run([cmark, "-e", "table", path], capture_output=True, text=True,
                              check=True).stdout
        tables = re.findall(r"<table>.*?</table>", html, flags=re.S)
        if expected == 0 or len(tables) != expected:
            print(f"{path}: {expected} tables in the Markdown, {len(tables)} rendered", file=sys.stderr)
            return 1
        for t in tables:
            rows = re.findall(r"<tr>(.*?)</tr>", t, flags=re.S)
            widths = {len(re.findall(r"<t[hd][ >]", r)) for r in rows}
            if len(rows) < 2 or len(widths) != 1:
                print(f"{path}: a table rendered with rows of widths {sorted(widths)}", file=sys.stderr)
                return 1
        print(f"{path}: {len(tables)} tables rendered by cmark-gfm")
    return 0


sys.exit(main())
