#!/usr/bin/env python3
"""The README's kernel benchmark table, from bench_ops's JSON output.

    bench/bench_table.py [--bench build/bench/bench_ops | --json FILE] [--readme README.md]

Runs bench_ops (or reads the JSON it wrote with --benchmark_format=json) and
prints a Markdown table: one row per kernel and shape, the time per step (or
element) on one core and on all cores, the core-speed probe around each
(bench/cpu_info.hpp: about the clock in GHz on a quiet core, lower where the
host took time away), and the machine (CPU model, vector
ISA, cores, compiler) the figures were measured on, from the benchmark's own
context. With --readme, the table replaces the lines between the markers
<!-- bench_ops:begin --> and <!-- bench_ops:end --> in that file.
`make bench-table` runs it on the build tree.
"""
import argparse
import json
import os
import re
import subprocess
import sys

ROWS = [  # (benchmark name prefix, shape text, unit)
    ("BM_Mamba1Scan", "Mamba1 selective scan, d_inner 1536 x d_state 16, L = 2048", "step"),
    ("BM_Mamba2Ssm", "Mamba2 SSM, 24 heads x 64 x d_state 128, L = 512", "step"),
    ("BM_ConvSiluQuantize/all_cores:{}/channels:1536", "conv1d + SiLU + INT8 quantize, 1536 channels, L = 2048", "element"),
    ("BM_ConvSiluQuantize/all_cores:{}/channels:3072", "conv1d + SiLU + INT8 quantize, 3072 channels, L = 2048", "element"),
]
BEGIN, END = "<!-- bench_ops:begin -->", "<!-- bench_ops:end -->"


def run_bench(exe):
    out = subprocess.run([exe, "--benchmark_format=json", "--benchmark_repetitions=3",
                          "--benchmark_report_aggregates_only=true"],
                         check=True, stdout=subprocess.PIPE, text=True).stdout
    return json.loads(out)


def pick(benchmarks, prefix, all_cores):
    name = prefix.format(int(all_cores)) if "{}" in prefix else f"{prefix}/all_cores:{int(all_cores)}"
    rows = [b for b in benchmarks if b.get("run_name", b["name"]) .startswith(name)
            and b.get("aggregate_name", "median") == "median"]
    return rows[0] if rows else None


def table(doc):
    ctx = doc["context"]
    lines = [f"Measured on {ctx.get('cpu_model', 'unknown CPU')} ({ctx.get('cores', '?')} cores; "
             f"{ctx.get('cpu_isa', 'unknown ISA')}), {ctx.get('compiler', '')}, "
             f"`bench_ops` median of 3; load average {ctx.get('load_avg', '?')} at the start.", "",
             "| kernel | one core (wall / CPU) | all cores (wall) | all cores (CPU, all threads) | speed-up (wall) "
             "| core probe, one core / all cores (G adds/s) |",
             "|---|---|---|---|---|---|"]
    for prefix, text, unit in ROWS:
        one, allc = pick(doc["benchmarks"], prefix, False), pick(doc["benchmarks"], prefix, True)
        if not one or not allc:
            sys.exit(f"bench_table: no result for {prefix} in the benchmark output")
        key = f"ns_per_{unit}"
        n = int(allc["threads"])
        lines.append(f"| {text} | {one[key]:.3g} / {one['cpu_' + key]:.3g} ns/{unit} | {allc[key]:.3g} ns/{unit} ({n} threads) | "
                     f"{allc['cpu_' + key]:.3g} ns/{unit} | {one[key] / allc[key]:.2f}x | "
                     f"{one['core_probe_ghz']:.2f} / {allc['core_probe_ghz']:.2f} |")
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bench", default="build/bench/bench_ops")
    ap.add_argument("--json", help="read this bench_ops JSON output instead of running the benchmark")
    ap.add_argument("--readme", help="replace the table between the bench_ops markers in this file")
    a = ap.parse_args()
    if a.json:
        with open(a.json) as f:
            doc = json.load(f)
    else:
        doc = run_bench(a.bench)
    if "load_avg" in doc["context"]:
        doc["context"]["load_avg"] = ", ".join(f"{v:.2f}" for v in doc["context"]["load_avg"])
    t = table(doc)
    if not a.readme:
        sys.stdout.write(t)
        return
    with open(a.readme) as f:
        text = f.read()
    pat = re.compile(re.escape(BEGIN) + r"\n.*?" + re.escape(END), re.S)
    if not pat.search(text):
        sys.exit(f"bench_table: {a.readme} has no {BEGIN} ... {END} block")
    tmp = a.readme + ".tmp"
    with open(tmp, "w") as f:
        f.write(pat.sub(lambda _: BEGIN + "\n" + t + END, text))
    os.replace(tmp, a.readme)
    print(f"bench_table: wrote the table into {a.readme}")


if __name__ == "__main__":
    main()
