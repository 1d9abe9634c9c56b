#!/usr/bin/env python3
"""Run every sh/bash block of a Markdown guide, in order, in one bash shell
started in an empty directory, so a guide's commands cannot rot.

usage: run_guide.py GUIDE.md PARENT

The shell starts in a new empty directory under PARENT, removed when every
block ran and kept for inspection when one failed.

The environment must provide what the guide says it needs (for
docs/bring-your-chip.md: CHIPCERT_SRC, CHIPCERT_BUILD, chipcert on PATH).
Exit: 0 every block ran; 1 a block failed (its number and line are printed);
2 usage or a malformed guide; 77 (ctest SKIP) only when the failing command
is `chipcert certify` and the sole failed rule is clean-build: a build from
a dirty tree cannot be certified, which a clean checkout (CI) does not hit.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

RUN = {"sh", "bash"}
SHOWN = {"c", "text", "json", "cmake", "md"}


def blocks(path):
    """(first line number, language, text) of every fenced block."""
    out, lang, start, body = [], None, 0, []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            fence = re.match(r"^```(\S*)\s*$", line)
            if fence and lang is None:
                lang, start, body = fence.group(1), n, []
                if lang == "":
                    sys.exit(f"{path}:{n}: fenced block without a language "
                             f"(expected one of {sorted(RUN | SHOWN)})")
                if lang not in RUN | SHOWN:
                    sys.exit(f"{path}:{n}: unknown block language '{lang}'")
            elif fence and fence.group(1) == "":
                out.append((start, lang, "".join(body)))
                lang = None
            elif lang is not None:
                body.append(line)
    if lang is not None:
        sys.exit(f"{path}:{start}: block never closed")
    return out


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    guide, parent = sys.argv[1], sys.argv[2]
    runnable = [(n, text) for n, lang, text in blocks(guide) if lang in RUN]
    if not runnable:
        sys.exit(f"{guide}: no sh block to run")
    script = ["set -euo pipefail"]
    for i, (n, text) in enumerate(runnable, 1):
        script.append(f"echo '=== block {i} of {len(runnable)} ({guide}:{n})'")
        script.append(text)
    script.append("echo '=== every block ran'")
    os.makedirs(parent, exist_ok=True)
    workdir = tempfile.mkdtemp(prefix="guide-", dir=parent)
    print(f"run_guide: {len(runnable)} blocks of {guide} in {workdir}")
    proc = subprocess.run(["bash", "-c", "\n".join(script)], cwd=workdir,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    sys.stdout.write(proc.stdout)
    if proc.returncode == 0:
        print(f"run_guide: {len(runnable)} blocks of {guide} ran")
        shutil.rmtree(workdir)
        return 0
    last = proc.stdout.rsplit("=== block ", 1)[-1]
    number = last.split(" ", 1)[0]
    failed_text = runnable[int(number) - 1][1] if number.isdigit() else ""
    fails = re.findall(r"^\s*FAIL ([\w-]+)", last, re.M)
    if proc.returncode == 1 and "chipcert certify" in failed_text \
            and fails and set(fails) == {"clean-build"}:
        print("run_guide: SKIP: certify failed only its clean-build rule; "
              "this chipcert was built from a dirty tree")
        return 77
    print(f"run_guide: FAILED in block {number} (exit {proc.returncode})")
    return 1


if __name__ == "__main__":
    sys.exit(main())
