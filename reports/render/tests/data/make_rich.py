#!/usr/bin/python3
"""Regenerate rich.json from smoke-real.json (a real `chipcert run --suite
smoke` on this machine's cpu:0, opencl:0 and the example plugin): the real
cases plus synthetic ones for what the smoke suite does not cover yet (peak,
conv2d, attention, inference percentiles, a training loss curve) and one
case of every status that did not pass, with hostile strings (markup,
quotes, a control character) to prove escaping.

    /usr/bin/python3 make_rich.py > rich.json
"""
import copy
import json
import math
import sys

HERE = __file__.rsplit("/", 1)[0] if "/" in __file__ else "."
doc = json.load(open(HERE + "/smoke-real.json"))


def quantile(v, q):
    s = sorted(v)
    h = (len(s) - 1) * q
    lo = math.floor(h)
    return s[lo] + (h - lo) * (s[min(lo + 1, len(s) - 1)] - s[lo])


def stats(v):
    n = len(v)
    mean = sum(v) / n
    sd = math.sqrt(sum((x - mean) ** 2 for x in v) / (n - 1)) if n > 1 else 0.0
    return {"n": n, "min": min(v), "median": quantile(v, 0.5), "mean": mean, "max": max(v),
            "stddev": sd, "cv": sd / mean if n > 1 and mean else 0.0,
            "p90": quantile(v, 0.9), "p99": quantile(v, 0.99)}


def case(workload, label, dtype, device, category, samples, flop=0.0, nbytes=0.0, items=0.0,
         status="passed", reason="", details=None, params=None, host_peak_rss_bytes=None):
    c = {"id": f"{workload}/{label}/{dtype}@{device}", "device": device, "workload": workload,
         "category": category, "parameters": params or {}, "dtype": dtype, "status": status,
         "reason": reason, "timer": "device" if samples else "", "samples": samples,
         "iterations": 10 if samples else 0, "rates": {}, "flop": flop, "bytes": nbytes,
         "details": details or {}}
    if host_peak_rss_bytes is not None:
        c["host_peak_rss_bytes"] = host_peak_rss_bytes
    if samples:
        st = stats(samples)
        c["statistics"] = st
        if flop:
            c["rates"]["flop_per_s"] = flop / st["median"]
        if nbytes:
            c["rates"]["bytes_per_s"] = nbytes / st["median"]
        if items:
            c["rates"]["items_per_s"] = items / st["median"]
        c["verification"] = {"passed": True, "method": "elementwise",
                             "tolerance": "|x-ref| <= 4*u*(|ref|+|inputs|)", "checked": 4096,
                             "mismatches": 0, "max_abs_error": 1e-7, "max_rel_error": 1e-6,
                             "zero_fraction": 0.0, "first_mismatches": []}
    return c


dev = "opencl:0"
extra = [
    case("peak", "fma", "fp32", dev, "micro", [1.0e-3, 1.01e-3, 0.99e-3], flop=4.0e8),
    case("peak", "fma", "fp16", dev, "micro", [0.6e-3, 0.61e-3, 0.59e-3], flop=4.0e8),
    case("conv2d", "n8_c64_h56_k64_r3", "fp32", dev, "kernel", [2.0e-3, 2.1e-3, 2.05e-3],
         flop=2 * 8 * 64 * 56 * 56 * 64 * 9, nbytes=4 * (8 * 64 * 56 * 56 * 2 + 64 * 64 * 9),
         host_peak_rss_bytes=187695104),
    case("attention", "b4_h8_s512_d64_causal", "fp16", dev, "kernel", [1.5e-3, 1.6e-3, 1.55e-3],
         flop=2 * 2 * 4 * 8 * 512 * 512 * 64 / 2, nbytes=2 * 4 * 4 * 8 * 512 * 64),
    case("transformer_inference", "single_stream_s128", "fp32", dev, "inference",
         [4.0e-3, 4.2e-3, 4.1e-3, 4.4e-3, 4.05e-3], items=1,
         details={"p50_s": 4.1e-3, "p90_s": 4.35e-3, "p99_s": 4.9e-3, "queries": 200}),
    case("mlp_training", "b64_d512", "fp32", dev, "training", [8.0e-3, 8.1e-3, 8.2e-3], items=64,
         details={"loss_curve": [2.3, 1.9, 1.6, 1.2, 0.95, 0.8, 0.7, 0.64, 0.6, 0.58],
                  "loss_target": 0.7}),
    case("gemm", "m64_n64_k64", "fp64", dev, "kernel", [], status="failed",
         reason="verification before timing: 3 of 4096 elements outside tolerance <&>"),
    case("softmax", "r1024_c1024", "fp32", dev, "kernel", [], status="mistrusted",
         reason="97% of outputs are exactly zero"),
    case("layernorm", "r1024_c1024", "fp32", dev, "kernel", [], status="error",
         reason='driver said: "CL_OUT_OF_RESOURCES" \x01 at <launch>'),
    case("gelu", "n1048576", "fp32", dev, "kernel", [], status="timed_out",
         reason="exceeded 60 s; worker killed"),
    case("gemm", "m256_n256_k256", "int8", dev, "kernel", [], status="unsupported",
         reason="int8 GEMM not implemented by this driver"),
    case("adamw", "n1048576", "fp32", dev, "kernel", [], status="skipped",
         reason="filtered out by --case"),
]
extra[6]["verification"] = {"passed": False, "method": "elementwise", "tolerance": "|x-ref| <= 1e-12",
                            "checked": 4096, "mismatches": 3, "max_abs_error": 0.5,
                            "max_rel_error": 0.25, "zero_fraction": 0.0,
                            "first_mismatches": [{"index": 7, "expected": 1.0, "actual": 1.5}]}
extra[6]["timer"] = ""
doc["cases"] += extra
doc["driver_problems"] = [{"source": "/opt/vendor/libbroken.so", "reason": "no chipcert_driver_entry symbol"}]
doc["provenance"]["command_line"] = ["chipcert", "run", "--suite", "smoke"]
doc["host"]["hostname"] = "lab-host-01"
json.dump(doc, sys.stdout, indent=2, sort_keys=True)
sys.stdout.write("\n")
