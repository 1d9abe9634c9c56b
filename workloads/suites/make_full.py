#!/usr/bin/env python3
"""Writes workloads/suites/full.json from the DeepBench shape tables
(workloads/gemm/deepbench.json, workloads/conv2d/deepbench.json) and the
hand-chosen groups below. The suite file stays self-contained (a results
journal keeps the exact suite text), so the tables are expanded into it;
workloads_test checks that full.json still holds every table entry.

Run after editing a table or this script:  python3 workloads/suites/make_full.py
"""
import json
import pathlib

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent


def table(name):
    return json.loads((ROOT / name / "deepbench.json").read_text())


def label_key(workload, dtype, shape):
    return (workload, dtype, json.dumps(shape, sort_keys=True))


class Suite:
    def __init__(self):
        self.groups = []
        self.seen = set()

    def add(self, workload, dtypes, shapes, note=None):
        """One group per dtype set; shapes already present for a dtype are
        dropped (DeepBench repeats some shapes across and within sets)."""
        for dtype in dtypes:
            keep = []
            for s in shapes:
                k = label_key(workload, dtype, s)
                if k in self.seen:
                    continue
                self.seen.add(k)
                keep.append(s)
            if keep:
                self.groups.append((workload, [dtype], keep, note))


def with_layout(shapes, layout):
    return [dict(s, layout=layout) for s in shapes]


# The training kernels at LLM sizes: in full and in training-v1.
def training_kernels(s, rows):
    p2 = lambda e: 1 << e
    s.add("gelu_backward", ["fp32"], [{"n": p2(26)}, {"n": p2(28)}])
    s.add("layernorm_backward", ["fp32"], rows)
    s.add("softmax_backward", ["fp32"], [{"rows": 32768, "cols": 512, "scale": 0.125},
                                        {"rows": 65536, "cols": 2048, "scale": 0.125}])
    s.add("softmax_xent", ["fp32"], [{"rows": 8192, "cols": 32000}, {"rows": 4096, "cols": 50257}])
    s.add("adamw", ["fp32"], [{"n": p2(27)}, {"n": p2(28)}])  # host memory: ~12 bytes/element per tensor



MLP_TRAIN = (["fp32"], [{"batch": 512, "in": 1024, "hidden": 4096, "classes": 100,
                         "batches": 8, "target_loss": 0.05, "max_steps": 1000}])

# One pre-LN transformer layer (BERT-large width, 16 heads) with a 100-class
# head, trained on 512-token sequences to a stated loss.
TRANSFORMER_TRAIN = (["fp32"], [{"seq": 512, "hidden": 1024, "heads": 16, "ffn": 4096,
                                 "classes": 100, "sequences": 8, "target_loss": 0.1,
                                 "max_steps": 1000}])

# One transformer layer, BERT-base (hidden 768, 12 heads, FFN 3072) and a
# GPT decode step at Llama-2-7B width (hidden 4096, 32 heads, FFN 11008).
# Server bounds are per layer: MLPerf's BERT server bound (130 ms) over 12
# layers, and a 200 ms time-per-output-token over 80 layers (Llama-2-70B's
# MLPerf bound), rounded down.
BERT = {"hidden": 768, "heads": 12, "ffn": 3072}
GPT = {"hidden": 4096, "heads": 32, "ffn": 11008}


def inference(s):
    s.add("bert_block", ["fp32"], [
        dict(BERT, scenario="single_stream", seq=128, queries=1024),
        dict(BERT, scenario="offline", batch=32, seq=128),
        dict(BERT, scenario="offline", batch=8, seq=384),
        dict(BERT, scenario="server", seq=128, queries=1024, search_steps=8, latency_bound_ms=10)])
    s.add("gpt_decode", ["fp32"], [
        dict(GPT, scenario="single_stream", context=2047, queries=1024),
        dict(GPT, scenario="offline", batch=16, context=2047),
        dict(GPT, scenario="offline", batch=4, context=8191),
        dict(GPT, scenario="server", context=2047, queries=1024, search_steps=8,
             latency_bound_ms=2.5)])


def write_suite(name, description, defaults, groups):
    doc = {
        "format": "chipcert-suite",
        "format_version": 1,
        "name": name,
        "version": "1.0",
        "description": description,
        "defaults": defaults,
        "cases": [],
    }
    for workload, dtypes, shapes, _ in groups:
        doc["cases"].append({"workload": workload, "dtypes": dtypes, "shapes": shapes})
    # One group per line block, one shape per line: reviewable diffs.
    lines = ["{"]
    for key in ["format", "format_version", "name", "version", "description", "defaults"]:
        lines.append("  %s: %s," % (json.dumps(key), json.dumps(doc[key])))
    lines.append('  "cases": [')
    for i, grp in enumerate(doc["cases"]):
        lines.append('    {"workload": %s, "dtypes": %s, "shapes": [' % (
            json.dumps(grp["workload"]), json.dumps(grp["dtypes"])))
        for j, sh in enumerate(grp["shapes"]):
            lines.append("      %s%s" % (json.dumps(sh), "," if j + 1 < len(grp["shapes"]) else ""))
        lines.append("    ]}%s" % ("," if i + 1 < len(doc["cases"]) else ""))
    lines.append("  ]")
    lines.append("}")
    (HERE / (name + ".json")).write_text("\n".join(lines) + "\n")
    total = sum(len(sh) for _, _, sh, _ in groups)
    print("%s.json: %d cases per device" % (name, total))


def main():
    s = Suite()
    p2 = lambda e: 1 << e
    s.add("peak", ["fp64", "fp32", "tf32", "fp16", "bf16", "int8"],
          [{"n": p2(24), "iterations": 4096}])
    for w in ["stream_copy", "stream_mul", "stream_add", "stream_triad", "stream_dot"]:
        s.add(w, ["fp32", "fp64"], [{"n": p2(27)}, {"n": p2(28)}])
        s.add(w, ["bf16"], [{"n": p2(28)}])
    for w in ["transfer_h2d", "transfer_d2h"]:
        s.add(w, ["int8"], [{"bytes": p2(e)} for e in (20, 24, 28, 30)])
    s.add("launch_latency", ["fp32"], [{}])

    squares = [{"m": n, "n": n, "k": n} for n in (1024, 2048, 4096, 8192)]
    s.add("gemm", ["fp64", "fp32", "tf32", "fp16", "bf16", "int8"], squares)
    s.add("gemm", ["fp32", "fp16", "bf16"],
          [{"m": 4096, "n": 4096, "k": 4096, "trans_a": True},
           {"m": 4096, "n": 4096, "k": 4096, "trans_b": True},
           {"m": 4096, "n": 4096, "k": 4096, "alpha": 0.5, "beta": 1.0}])
    s.add("gemm", ["fp16", "bf16"],
          [{"m": 512, "n": 512, "k": 64, "batch": 512},
           {"m": 512, "n": 64, "k": 512, "batch": 512},
           {"m": 2048, "n": 2048, "k": 128, "batch": 64, "trans_b": True}])
    g = table("gemm")["sets"]
    s.add("gemm", ["fp32", "fp16", "bf16"], g["training"]["shapes"])
    s.add("gemm", ["fp32", "fp16", "bf16", "int8"], g["inference_server"]["shapes"])
    s.add("gemm", ["fp32", "fp16", "int8"], g["inference_device"]["shapes"])

    c = table("conv2d")["sets"]
    s.add("conv2d", ["fp32", "fp16", "bf16"], c["training"]["shapes"])
    s.add("conv2d", ["fp32", "fp16", "int8"], c["inference_server"]["shapes"])
    s.add("conv2d", ["fp16", "int8"], with_layout(c["inference_server"]["shapes"], "nhwc"))
    s.add("conv2d", ["fp32", "int8"], c["inference_device"]["shapes"])
    s.add("conv2d", ["fp16", "bf16"],
          [{"n": 32, "c": 256, "h": 56, "w": 56, "k": 256, "r": 3, "s": 3, "pad": 1, "groups": 32, "layout": "nhwc"},
           {"n": 32, "c": 512, "h": 28, "w": 28, "k": 512, "r": 3, "s": 3, "pad": 1, "groups": 512, "layout": "nhwc"},
           {"n": 16, "c": 256, "h": 64, "w": 64, "k": 256, "r": 3, "s": 3, "pad": 2, "dilation": 2, "layout": "nhwc"}])

    # FlashAttention's benchmark convention: 16k tokens per batch, hidden 2048.
    attn = []
    for d in (64, 128):
        for seq in (512, 1024, 2048, 4096, 8192):
            for causal in (False, True):
                a = {"batch": 16384 // seq, "heads": 2048 // d, "seq_q": seq, "head_dim": d}
                if causal:
                    a["causal"] = True
                attn.append(a)
    decode = [{"batch": 16, "heads": 32, "seq_q": 1, "seq_kv": kv, "head_dim": 128, "causal": True}
              for kv in (2048, 8192)]
    s.add("attention", ["fp16", "bf16"], attn + decode)
    s.add("attention", ["fp32"], [a for a in attn if a["seq_q"] <= 2048] + decode)

    rows = [{"rows": 8192, "cols": c} for c in (768, 1024, 4096, 8192)]
    s.add("layernorm", ["fp32", "fp16", "bf16"], rows)
    s.add("softmax", ["fp32", "fp16", "bf16"],
          [{"rows": 32768, "cols": 512}, {"rows": 8192, "cols": 32000},
           {"rows": 65536, "cols": 2048, "causal": True, "seq_q": 2048, "scale": 0.125}])
    for w in ["gelu", "add", "mul"]:
        s.add(w, ["fp32", "fp16", "bf16"], [{"n": p2(26)}, {"n": p2(28)}])
    training_kernels(s, rows)
    s.add("mlp_train", *MLP_TRAIN)
    s.add("transformer_train", *TRANSFORMER_TRAIN)
    inference(s)

    total = sum(len(sh) for _, _, sh, _ in s.groups)
    gemm_db = sum(len(v["shapes"]) for v in g.values())
    conv_db = sum(len(v["shapes"]) for v in c.values())
    write_suite("full", (
            "What a lab runs on a datacenter card: peak per dtype (fp64, fp32, tf32, fp16, bf16, "
            "int8); STREAM at 2^27 and 2^28 elements; transfers 1 MiB to 1 GiB; launch latency; "
            "GEMM 1024^3 to 8192^3 in every dtype plus transposed, alpha/beta and batched shapes; "
            "the DeepBench GEMM (%d shapes) and convolution (%d shapes) training, server-inference "
            "and device-inference sets (workloads/gemm/deepbench.json, workloads/conv2d/deepbench.json, "
            "from baidu-research/DeepBench code/kernels/*_problems.h; repeated shapes run once); "
            "attention at sequence 512-8192 with head_dim 64 and 128, causal and not, plus decode "
            "steps; layernorm, softmax, gelu, add, mul and the training kernels at LLM sizes; "
            "mlp_train and transformer_train to a stated loss; "
            "one transformer layer forward (bert_block, gpt_decode) in the single_stream, "
            "offline and server scenarios (as inference-v1). "
            "%d cases per device. Generated by workloads/suites/make_full.py." % (gemm_db, conv_db, total)),
                {"repetitions": 5, "min_time_s": 0.1}, s.groups)

    t = Suite()
    g = table("gemm")["sets"]
    t.add("gemm", ["fp32", "bf16"], g["training"]["shapes"])
    training_kernels(t, rows)
    t.add("mlp_train", *MLP_TRAIN)
    t.add("transformer_train", *TRANSFORMER_TRAIN)
    write_suite("training-v1", (
        "Training, versioned: the kernels of a training step at LLM sizes (the DeepBench training "
        "GEMM set in fp32 and bf16, GELU, layer-norm and softmax backward, softmax cross-entropy, "
        "AdamW), mlp_train (a two-layer MLP) and transformer_train (one pre-LN transformer layer, "
        "causal 16-head attention, hidden 1024, FFN 4096, on 512-token sequences), each trained "
        "with AdamW to a stated loss within a stated number of steps (samples or tokens/s and "
        "time-to-target). %d cases per device. Generated by workloads/suites/make_full.py."
        % sum(len(sh) for _, _, sh, _ in t.groups)),
        {"repetitions": 5, "min_time_s": 0.1}, t.groups)

    i = Suite()
    inference(i)
    write_suite("inference-v1", (
        "Inference, versioned: one transformer layer forward in three scenarios. bert_block is a "
        "BERT-base encoder layer (hidden 768, 12 heads, FFN 3072) at sequence 128 and 384; "
        "gpt_decode a decoder layer at Llama-2-7B width (hidden 4096, 32 heads, FFN 11008) "
        "generating one token per sequence against a 2047- or 8191-token KV cache. single_stream: "
        "1024 queries of batch 1, p50/p90/p99 latency. offline: large batches, samples/s. server: "
        "Poisson arrivals, the highest rate whose p99 stays within a per-layer bound (BERT: "
        "MLPerf's 130 ms over 12 layers, 10 ms; GPT: a 200 ms time per output token over 80 "
        "layers, 2.5 ms). fp32. %d cases per device. Generated by workloads/suites/make_full.py."
        % sum(len(sh) for _, _, sh, _ in i.groups)),
        {"repetitions": 5, "min_time_s": 0.1}, i.groups)


if __name__ == "__main__":
    main()
