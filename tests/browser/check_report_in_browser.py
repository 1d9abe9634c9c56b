#!/usr/bin/python3
"""The HTML report of a real smoke run, opened in headless Chromium.

Checks: every chart's <svg> is in the rendered DOM with non-zero width and
height and drawn elements; the screenshot is a real PNG and not blank; the
browser logged no console message (the report has no script, so any console
line is an error such as a blocked resource).

Exit 0 pass, 1 fail, 77 skip (no chromium).
"""
import argparse
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib
from html.parser import HTMLParser

DRAWN = {"rect", "circle", "line", "polyline", "path", "polygon", "text"}
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--hide-scrollbars", "--enable-logging=stderr", "--v=0"]


class SvgCollector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.svgs = []  # (attrs, {child tag: count})
        self.depth = 0

    def handle_starttag(self, tag, attrs):
        if tag == "svg":
            self.svgs.append((dict(attrs), {}))
            self.depth += 1
        elif self.depth:
            counts = self.svgs[-1][1]
            counts[tag] = counts.get(tag, 0) + 1

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag == "svg":
            self.depth -= 1

    def handle_endtag(self, tag):
        if tag == "svg" and self.depth:
            self.depth -= 1


def png_pixels(path):
    """Decode an 8-bit RGB/RGBA non-interlaced PNG: (width, height, rows of bytes, channels)."""
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, hdr = 8, b"", None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            hdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    w, h, depth, ctype, _, _, interlace = hdr
    if depth != 8 or ctype not in (2, 6) or interlace:
        raise ValueError(f"unsupported PNG (depth {depth}, colour type {ctype}, interlace {interlace})")
    ch = 3 if ctype == 2 else 4
    raw = zlib.decompress(idat)
    stride = w * ch
    rows, prev = [], bytearray(stride)
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - ch] if i >= ch else 0
            b = prev[i]
            c = prev[i - ch] if i >= ch else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(line)
        prev = line
    return w, h, rows, ch


def run(cmd, **kw):
    print("+ " + " ".join(cmd), flush=True)
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300, **kw)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--chipcert", required=True)
    ap.add_argument("--chromium", default="")
    ap.add_argument("--work", required=True)
    a = ap.parse_args()
    if not a.chromium or a.chromium.endswith("NOTFOUND") or not os.path.exists(a.chromium):
        print("SKIP: chromium is not installed (ci/setup installs Debian's chromium)")
        return 77
    shutil.rmtree(a.work, ignore_errors=True)
    os.makedirs(a.work)
    results = os.path.join(a.work, "results.json")
    report = os.path.join(a.work, "report.html")
    r = run([a.chipcert, "run", "--suite", "smoke", "--device", "cpu", "--repetitions", "3",
             "--min-time", "0.01", "-q", "-o", results])
    if r.returncode != 0:
        print(r.stdout, r.stderr, f"chipcert run exited {r.returncode}", sep="\n", file=sys.stderr)
        return 1
    r = run([a.chipcert, "report", results, "-o", report])
    if r.returncode != 0 or not os.path.exists(report):
        print(r.stdout, r.stderr, f"chipcert report exited {r.returncode}", sep="\n", file=sys.stderr)
        return 1
    source = open(report, encoding="utf-8").read()
    expected_charts = source.count("<svg ")

    failures = []
    with tempfile.TemporaryDirectory(prefix="chipcert-chromium-") as profile:
        url = "file://" + os.path.abspath(report)
        dom = run([a.chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}/dom", "--dump-dom", url])
        shot_path = os.path.join(a.work, "report.png")
        shot = run([a.chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}/shot",
                    f"--screenshot={shot_path}", "--window-size=1280,2000", url])
    for name, proc in (("dump-dom", dom), ("screenshot", shot)):
        if proc.returncode != 0:
            failures.append(f"chromium {name} exited {proc.returncode}: {proc.stderr[-2000:]}")
        console = [l for l in proc.stderr.splitlines() if ":CONSOLE(" in l or "CONSOLE" in l.split("]")[0]]
        if console:
            failures.append(f"console messages during {name}: " + " | ".join(console))

    parser = SvgCollector()
    parser.feed(dom.stdout)
    if len(parser.svgs) != expected_charts or expected_charts < 4:
        failures.append(f"{expected_charts} charts in the file, {len(parser.svgs)} in the rendered DOM")
    for attrs, children in parser.svgs:
        ident = attrs.get("id", "?")
        try:
            w, h = float(attrs.get("width", "0")), float(attrs.get("height", "0"))
        except ValueError:
            w = h = 0
        if not (w > 0 and h > 0):
            failures.append(f"chart {ident}: width/height {attrs.get('width')}/{attrs.get('height')}")
        drawn = sum(v for k, v in children.items() if k in DRAWN)
        if drawn == 0:
            failures.append(f"chart {ident}: nothing drawn ({children})")
    for must in ("roofline-cpu-0", "cases-cpu-0", "provenance"):
        if f'id="{must}"' not in dom.stdout:
            failures.append(f"rendered DOM lacks #{must}")

    if os.path.exists(shot_path):
        w, h, rows, ch = png_pixels(shot_path)
        ink = sum(1 for row in rows for i in range(0, len(row), ch) if min(row[i:i + 3]) < 200)
        print(f"screenshot {w}x{h}, {ink} non-white pixels ({100.0 * ink / (w * h):.2f} %)")
        if w < 100 or h < 100 or ink < 0.005 * w * h:
            failures.append(f"screenshot looks blank: {ink} non-white pixels of {w * h}")
        colours = {bytes(row[i:i + 3]) for row in rows[::7] for i in range(0, len(row), 7 * ch)}
        if len(colours) < 8:
            failures.append(f"screenshot has only {len(colours)} colours: charts not drawn?")
    else:
        failures.append("no screenshot written")

    print(f"{len(parser.svgs)} charts rendered in Chromium")
    for f in failures:
        print("FAIL: " + f, file=sys.stderr)
    return 1 if failures else 0


sys.exit(main())
