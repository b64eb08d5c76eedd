#!/usr/bin/env python3
"""clora-host vs the Hugging Face baseline, end to end (BENCHMARKS.md, "End to end").

One command reproduces every figure of that section:

    .venv/bin/python host/benches/e2e/run_e2e.py            # full: ≥ 5 repeats per figure
    .venv/bin/python host/benches/e2e/run_e2e.py --quick    # CI-sized: 2 repeats, short runs

It writes the same random-init GPT-2 weights in Hugging Face layout for both systems
(tests/python/make_tiny_gpt2.py: a tiny 2-layer/64-dim model and the 124M shape, both
with the real GPT-2 vocabulary), then, for every (model, method, batching) case, runs
`clora-host train` and host/benches/e2e/baseline_hf.py alternately (the order flips each
repeat; the methods of one model and batching interleave repeat by repeat, so that a drift
of the machine hits them alike), with the same data (CommonsenseQA train from --data, the real GPT-2 tokenizer),
the same batch size, the same number of threads (OMP_NUM_THREADS for both, plus
torch.set_num_threads in Python), metrics logged every step on both sides, no
checkpoints and no evaluation during training.

Per run it records: steady-state training samples/s (steps after --warmup, from the
host's metrics.jsonl and the baseline's per-step clock), time to first step (process
launch → the first step's log line, timestamped here), peak RSS (wait4's ru_maxrss), CPU
time / wall time, and the padded tokens of the measured batches. The report gives the
median of the repeats with min–max, the host/HF ratios, CLoRA's overhead over LoRA in
each system, and the achieved FLOP/s against libtorch's fp32 GEMM peak measured here.
The data-prepare figures come from host/scripts/bench-data.sh (reused, not re-timed).

Results: <work>/e2e-results.json and a markdown report on stdout (and <work>/e2e-report.md).
"""
import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from flops import gemm_peak_gflops, training_flops  # noqa: E402

MODELS = {
    # name: make_tiny_gpt2.py arguments (vocab 50257 = the real GPT-2 tokenizer)
    "tiny": dict(n_layer=2, n_head=2, n_embd=64, n_positions=256),
    "gpt2-124m": dict(n_layer=12, n_head=12, n_embd=768, n_positions=1024),
}
METHODS = {
    "lora": [],
    "clora": ["--regularizer", "plugins/clora.wasm"],
    "pca": ["--grad-processor", "plugins/pca-grad.wasm", "--set", "grad_processor.components=2"],
}
HOST_STEP = re.compile(r"^step (\d+) epoch \d+:")
HF_STEP = re.compile(r"^clora-e2e: step (\d+)$")


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def median_spread(xs):
    xs = [x for x in xs if x is not None]
    if not xs:
        return None
    return {"median": statistics.median(xs), "min": min(xs), "max": max(xs), "n": len(xs)}


def loadavg():
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def cpu_ns(pid):
    """CPU time of every thread of `pid` so far, in ns (/proc/PID/task/*/schedstat)."""
    total = 0
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{task}/schedstat") as f:
                    total += int(f.read().split()[0])
            except (FileNotFoundError, ProcessLookupError):
                pass
    except FileNotFoundError:
        return None
    return total


def launch(cmd, env, step_line, watch, log_file):
    """Runs cmd. `step_line` matches the line a system prints after optimizer step N
    (group 1 = N); at the lines of the steps in `watch` the child's CPU time is read.
    Returns wall seconds, seconds to step 1's line, {step: cpu ns} and the child's rusage.
    Output goes to log_file."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, text=True,
                            cwd=REPO, bufsize=1)
    first, cpu = None, {}
    with open(log_file, "w") as out:
        for line in proc.stdout:
            m = step_line.search(line)
            if m:
                step = int(m.group(1))
                if step in watch:
                    cpu[step] = cpu_ns(proc.pid)
                if step == 1:
                    first = time.perf_counter() - start
            out.write(line)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd[0]} failed ({proc.returncode}); see {log_file}")
    return wall, first, cpu, usage


def env_for(threads):
    env = dict(os.environ)
    env["OMP_NUM_THREADS"] = str(threads)
    env["MKL_NUM_THREADS"] = str(threads)
    env.pop("CLORA_PROGRESS", None)
    return env


def steady(rows, seconds, warmup):
    """Samples/s over the steps after `warmup`."""
    rows, seconds = rows[warmup:], seconds[warmup:]
    return sum(rows) / sum(seconds) if seconds else None


class Bench:
    def __init__(self, args):
        self.args = args
        self.work = Path(args.work).resolve()
        (self.work / "runs").mkdir(parents=True, exist_ok=True)
        self.data = Path(args.data).resolve()
        self.tokenizer = self.data / "gpt2_tokenizer"
        self.train_jsonl = self.data / "commonsense_qa" / "train_rand_split.jsonl"
        self.python = sys.executable
        self.counter = 0

    # ---- models and data -------------------------------------------------------------
    def model_dir(self, name):
        out = self.work / "models" / name
        if not (out / "model.safetensors").is_file():
            spec = MODELS[name]
            cmd = [self.python, str(REPO / "tests/python/make_tiny_gpt2.py"), str(out), "--layout", "classifier",
                   "--seed", "0", "--vocab-size", "50257"]
            for key, value in spec.items():
                cmd += [f"--{key.replace('_', '-')}", str(value)]
            subprocess.run(cmd, check=True, cwd=REPO, capture_output=True)
        return out

    def data_args(self, tuned):
        return [
            "--config", "configs/local.toml",
            "--set", f"data.root={self.data}",
            "--set", f"data.tokenizer={self.tokenizer}",
            "--set", f"data.cache_dir={self.work / 'host-data-cache'}",
            "--set", f"data.bucket_by_length={'true' if tuned else 'false'}",
            "--seed", "42",
        ]

    def host_command(self, model, method, tuned, case, out):
        return [
            self.args.bin, "train", *self.data_args(tuned),
            "--model", str(model), "--device", "cpu",
            "--batch-size", str(case["batch"]),
            "--set", f"train.max_steps={case['steps']}",
            "--set", "train.log_every=1",
            "--set", "train.checkpoint_every=0",
            "--set", "train.eval_each_epoch=false",
            "--max-eval-samples", "8",
            *METHODS[method], "--output-dir", str(out),
        ]

    def hf_command(self, model, method, tuned, case, threads, out):
        return [
            self.python, str(HERE / "baseline_hf.py"), "--model", str(model), "--tokenizer", str(self.tokenizer),
            "--train-jsonl", str(self.train_jsonl), "--cache", str(self.work / "hf-datasets-cache"),
            "--method", method, "--sampler", "group_by_length" if tuned else "host",
            "--batch-size", str(case["batch"]), "--max-steps", str(case["steps"]),
            "--threads", str(threads), "--seed", "42", "--log-every", "1",
            "--work", str(self.work / "runs" / "hf-trainer"), "--output", str(out),
        ]

    # ---- one run of each system -------------------------------------------------------
    def run_host(self, model, method, tuned, case, threads):
        self.counter += 1
        out = self.work / "runs" / f"host-{self.counter:03d}"
        shutil.rmtree(out, ignore_errors=True)
        cmd = self.host_command(model, method, tuned, case, out)
        measured = launch(cmd, env_for(threads), HOST_STEP, {case["warmup"], case["steps"]}, str(out) + ".log")
        records = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
        steps = [r for r in records if "samples_per_s" in r]
        summary = json.loads((out / "summary.json").read_text())
        rows = [case["batch"]] * len(steps)
        seconds = [n / r["samples_per_s"] for n, r in zip(rows, steps)]
        result = self.result("host", measured, rows, seconds, case, threads)
        result["setup_s"] = summary["timings"]["setup_s"]
        result["trainable_parameters"] = summary["model"]["trainable_parameters"]
        shutil.rmtree(out, ignore_errors=True)
        return result

    def run_hf(self, model, method, tuned, case, threads):
        self.counter += 1
        out = self.work / "runs" / f"hf-{self.counter:03d}.json"
        cmd = self.hf_command(model, method, tuned, case, threads, out)
        measured = launch(cmd, env_for(threads), HF_STEP, {case["warmup"], case["steps"]}, str(out) + ".log")
        r = json.loads(out.read_text())
        rows = [shape[0] for shape in r["batch_shapes"]]
        result = self.result("hf", measured, rows, r["step_s"], case, threads)
        result["shapes"] = r["batch_shapes"]
        for key in ("setup_s", "trainable_parameters", "versions", "optimizer", "attn_implementation"):
            result[key] = r[key]
        result["data"] = {"examples": r["examples"], "tokens": r["tokens"],
                          "length_p50_p95_max": r["length_p50_p95_max"]}
        return result

    def result(self, system, measured, rows, seconds, case, threads):
        wall, first, cpu, usage = measured
        w, n = case["warmup"], case["steps"]
        cpu_window = (cpu[n] - cpu[w]) / 1e9 if cpu.get(n) and cpu.get(w) else None
        return {
            "system": system,
            "threads": threads,
            "samples_per_s": steady(rows, seconds, w),
            # CPU time of the measured steps: with one thread, the time the steps take
            # when nothing else competes for the core.
            "cpu_samples_per_s": sum(rows[w:n]) / cpu_window if cpu_window else None,
            "first_step_s": first,
            "peak_rss_mib": usage.ru_maxrss / 1024,
            "cpu_per_wall": (usage.ru_utime + usage.ru_stime) / wall,
            "wall_s": wall,
            "rows": rows,
            "step_s": seconds,
            "load": loadavg(),
        }

    # ---- the cases ---------------------------------------------------------------------
    def cases(self):
        q = self.args.quick
        repeats = self.args.repeats or (2 if q else 5)
        tiny = {"batch": 8, "steps": 40 if q else 150, "warmup": 10, "repeats": repeats}
        big = {"batch": 8, "steps": 5 if q else 20, "warmup": 2, "repeats": 1 if q else repeats}
        threads = self.args.threads
        plan = [
            ("tiny", tiny, [(m, t, n) for n in threads for m, t in
                            (("lora", False), ("clora", False), ("pca", False), ("lora", True), ("clora", True))]),
            ("gpt2-124m", big, [(m, t, threads[0]) for m, t in
                                (("lora", False), ("clora", False), ("pca", False), ("lora", True))]
             + [("lora", False, n) for n in threads[1:]]),
        ]
        out = []
        for model, case, runs in plan:
            if self.args.models and model not in self.args.models:
                continue
            for method, tuned, n in runs:
                if self.args.methods and method not in self.args.methods:
                    continue
                if self.args.batching != "both" and tuned != (self.args.batching == "bucketed"):
                    continue
                out.append((model, method, tuned, n, case))
        return out

    def warm_caches(self, model, results):
        """One short run of each system so that both read their prepared data from cache;
        records what each side made of the training split."""
        case = {"batch": 8, "steps": 2, "warmup": 1}
        if "host" in self.args.systems:
            self.run_host(model, "lora", False, case, self.args.threads[0])
            inspect = subprocess.run(
                [self.args.bin, "data", "inspect", "--json", "--split", "train", *self.data_args(False)],
                cwd=REPO, capture_output=True, text=True, check=True).stdout
            r = json.loads(inspect)
            results["data_parity"]["host"] = {
                "examples": r["examples"], "length_p50_p95_max": [r["length_p50"], r["length_p95"], r["length_max"]]}
        if "hf" in self.args.systems:
            results["data_parity"]["hf"] = self.run_hf(model, "lora", False, case, self.args.threads[0])["data"]

    def run(self):
        results = {"machine": machine(self.args.threads), "cases": [], "data": None, "data_parity": {},
                   "gemm_peak_gflops": {str(n): gemm_peak_gflops(n) for n in self.args.threads}}
        log(f"fp32 GEMM peak (GFLOP/s by threads): {results['gemm_peak_gflops']}")
        warmed = set()
        # Cases that differ only in the method run interleaved, repeat by repeat (lora,
        # clora, pca, lora, clora, pca, …), so that a drift of the machine over the
        # run (load, thermals) hits every method alike and the overheads compare like
        # with like; within a repeat the two systems alternate, their order flipping.
        groups = {}
        for model_name, method, tuned, threads, case in self.cases():
            groups.setdefault((model_name, tuned, threads), []).append((method, case))
        for (model_name, tuned, threads), methods in groups.items():
            model = self.model_dir(model_name)
            if model_name not in warmed:
                self.warm_caches(model, results)
                warmed.add(model_name)
            entries = [{"model": model_name, "config": MODELS[model_name], "method": method, "tuned": tuned,
                        "threads": threads, "case": case, "runs": []} for method, case in methods]
            results["cases"].extend(entries)
            for i in range(max(case["repeats"] for _, case in methods)):
                order = ("host", "hf") if i % 2 == 0 else ("hf", "host")
                for entry in entries:
                    if i >= entry["case"]["repeats"]:
                        continue
                    for system in order:
                        if system not in self.args.systems:
                            continue
                        fn = self.run_host if system == "host" else self.run_hf
                        r = fn(model, entry["method"], tuned, entry["case"], threads)
                        entry["runs"].append(r)
                        cpu = r["cpu_samples_per_s"]
                        log(f"{model_name} {entry['method']} {'tuned' if tuned else 'default'} threads {threads} "
                            f"{system}: {r['samples_per_s']:.1f} samples/s"
                            + (f" ({cpu:.1f} per CPU-s)" if cpu and threads == 1 else "")
                            + f", first step {r['first_step_s']:.2f} s, {r['peak_rss_mib']:.0f} MiB, "
                            f"cpu/wall {r['cpu_per_wall']:.2f}, load {r['load']}")
                    self.save(results)
        if not self.args.skip_data:
            results["data"] = self.data_prepare()
        results["machine"]["load_after"] = loadavg()
        self.save(results)
        return results

    def data_prepare(self):
        runs = 1 if self.args.quick else 5
        env = env_for(self.args.threads[0])
        env.setdefault("CARGO_TARGET_DIR", str(Path(self.args.bin).resolve().parents[1]))
        out = subprocess.run(["bash", str(REPO / "host/scripts/bench-data.sh"), str(self.data), str(runs)],
                             env=env, cwd=REPO, capture_output=True, text=True, check=True).stdout
        (self.work / "bench-data.out").write_text(out)
        return parse_bench_data(out)

    def save(self, results):
        (self.work / "e2e-results.json").write_text(json.dumps(results, indent=1))


def parse_bench_data(text):
    """host/scripts/bench-data.sh's lines → {label: {in_process: [s…], wall: [s…]}}
    (in-process: the prepare line's time for clora-host, total_after_imports for Python)."""
    out = {}
    for line in text.splitlines():
        m = re.match(r"^(rust [^=]*?) cache=\S+ in-process=([0-9.]+)s wall=([0-9.]+)s", line)
        if not m:
            m = re.match(r"^(python (?:cold|warm)) (\{.*\}) wall=([0-9.]+)s", line)
        if not m:
            continue
        label = m.group(1).strip()
        inner = float(m.group(2)) if label.startswith("rust") else json.loads(m.group(2))["total_after_imports"]
        entry = out.setdefault(label, {"in_process": [], "wall": []})
        entry["in_process"].append(inner)
        entry["wall"].append(float(m.group(3)))
    return out


def machine(threads):
    lscpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    model = next((l.split(":", 1)[1].strip() for l in lscpu.splitlines() if l.startswith("Model name")), "?")
    mem_kib = int(next(l.split()[1] for l in Path("/proc/meminfo").read_text().splitlines()
                       if l.startswith("MemTotal")))
    return {"nproc": os.cpu_count(), "cpu": model, "mem_gib": round(mem_kib / 2**20, 1), "threads": threads,
            "load_before": loadavg()}


# ---- the report -------------------------------------------------------------------------
def fmt(s, digits=1, unit=""):
    if s is None:
        return "–"
    return f"{s['median']:.{digits}f}{unit} ({s['min']:.{digits}f}–{s['max']:.{digits}f})"


def per_step_median(runs, warmup):
    """Samples/s from the per-step medians over the repeats (the repeats of one system run
    the same batches, so a step slowed by another process is outvoted)."""
    length = min(len(r["step_s"]) for r in runs)
    seconds = [statistics.median(r["step_s"][i] for r in runs) for i in range(warmup, length)]
    rows = runs[0]["rows"][warmup:length]
    return sum(rows) / sum(seconds)


def summarise(c, peak):
    w = c["case"]["warmup"]
    host = [r for r in c["runs"] if r["system"] == "host"]
    hf = [r for r in c["runs"] if r["system"] == "hf"]
    flops = training_flops(c["config"], hf[0]["shapes"][w:c["case"]["steps"]]) if not c["tuned"] else None
    row = {"host_runs": host, "hf_runs": hf}
    for name, runs in (("host", host), ("hf", hf)):
        row[name] = median_spread([r["samples_per_s"] for r in runs])
        row[f"{name}_robust"] = per_step_median(runs, w)
        row[f"{name}_cpu"] = median_spread([r["cpu_samples_per_s"] for r in runs]) if c["threads"] == 1 else None
        row[f"{name}_first"] = median_spread([r["first_step_s"] for r in runs])
        row[f"{name}_rss"] = median_spread([r["peak_rss_mib"] for r in runs])
        row[f"{name}_pct"] = (median_spread([flops / sum(r["step_s"][w:]) / 1e9 / peak * 100 for r in runs])
                              if flops else None)
    row["ratio"] = median_spread([h["samples_per_s"] / f["samples_per_s"] for h, f in zip(host, hf)])
    row["ratio_robust"] = row["host_robust"] / row["hf_robust"]
    if c["threads"] == 1:
        row["ratio_cpu"] = median_spread([h["cpu_samples_per_s"] / f["cpu_samples_per_s"] for h, f in zip(host, hf)])
    else:
        row["ratio_cpu"] = None
    return row


def report(results):
    lines = []
    m = results["machine"]
    peaks = results["gemm_peak_gflops"]
    lines.append(f"Machine: {m['nproc']} cores, {m['cpu']}, {m['mem_gib']} GiB; load average (1/5/15 min) "
                 f"before {m['load_before']}, after {m.get('load_after', '?')}.")
    lines.append("libtorch fp32 GEMM peak (4096² matmul, best of 5): "
                 + ", ".join(f"{v:.0f} GFLOP/s with {k} thread(s)" for k, v in peaks.items()) + ".")
    parity = results.get("data_parity", {})
    if "host" in parity and "hf" in parity:
        h, f = parity["host"], parity["hf"]
        lines.append(f"Training data: clora-host {h['examples']} examples, token length p50/p95/max "
                     f"{'/'.join(map(str, h['length_p50_p95_max']))}; baseline {f['examples']} examples, "
                     f"{f['tokens']} tokens, p50/p95/max {'/'.join(map(str, f['length_p50_p95_max']))}.")
    lines.append("")
    lines.append("Training throughput, samples/s after the warm-up steps: median of the repeats (min–max); "
                 "'per-step' = from the per-step medians over the repeats; 'CPU' = per CPU-second (1 thread).")
    lines.append("")
    lines.append("| model | method | batching | threads | clora-host | HF | ratio | ratio per-step | ratio CPU | "
                 "host % GEMM peak | HF % GEMM peak |")
    lines.append("|---|---|---|---|---|---|---|---|---|---|---|")
    rows = {}
    for c in results["cases"]:
        row = summarise(c, peaks[str(c["threads"])])
        rows[(c["model"], c["method"], c["tuned"], c["threads"])] = row
        batching = "bucketed" if c["tuned"] else "same batches"
        lines.append(
            f"| {c['model']} | {c['method']} | {batching} | {c['threads']} | {fmt(row['host'])} | {fmt(row['hf'])} | "
            f"{fmt(row['ratio'], 2)} | {row['ratio_robust']:.2f} | {fmt(row['ratio_cpu'], 2)} | "
            f"{fmt(row['host_pct'])} | {fmt(row['hf_pct'])} |")
    lines.append("")
    lines.append("Time to first step (process launch → step 1 done, s) and peak RSS (MiB), same-batches runs:")
    lines.append("")
    lines.append("| model | method | threads | clora-host first step | HF first step | clora-host peak RSS | "
                 "HF peak RSS |")
    lines.append("|---|---|---|---|---|---|---|")
    for (model, method, tuned, threads), row in rows.items():
        if tuned:
            continue
        lines.append(f"| {model} | {method} | {threads} | {fmt(row['host_first'], 2)} | {fmt(row['hf_first'], 2)} | "
                     f"{fmt(row['host_rss'], 0)} | {fmt(row['hf_rss'], 0)} |")
    lines.append("")
    lines.append("CLoRA overhead over LoRA, 1 − clora/lora samples/s, paired by repeat (median (min–max)); "
                 "'per-step' from the per-step medians:")
    lines.append("")
    lines.append("| model | batching | threads | clora-host | clora-host per-step | HF | HF per-step |")
    lines.append("|---|---|---|---|---|---|---|")
    for (model, method, tuned, threads), row in rows.items():
        lora = rows.get((model, "lora", tuned, threads))
        if method != "clora" or lora is None:
            continue
        cells = []
        for system in ("host", "hf"):
            key = f"{system}_cpu" if threads == 1 else None
            pick = (lambda r: r["cpu_samples_per_s"]) if key else (lambda r: r["samples_per_s"])  # noqa: E731
            pairs = zip(lora[f"{system}_runs"], row[f"{system}_runs"])
            cells.append(fmt(median_spread([(1 - pick(c) / pick(l)) * 100 for l, c in pairs]), 1, " %"))
            cells.append(f"{(1 - row[f'{system}_robust'] / lora[f'{system}_robust']) * 100:.1f} %")
        lines.append(f"| {model} | {'bucketed' if tuned else 'same batches'} | {threads} | " + " | ".join(cells) + " |")
    if results.get("data"):
        lines.append("")
        lines.append("Data prepare, CommonsenseQA train (host/scripts/bench-data.sh), seconds, median (min–max):")
        lines.append("")
        lines.append("| what | in-process | wall |")
        lines.append("|---|---|---|")
        for label, v in results["data"].items():
            lines.append(f"| {label} | {fmt(median_spread(v['in_process']), 2)} | "
                         f"{fmt(median_spread(v['wall']), 2)} |")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="CI-sized: 2 repeats, short runs, 124M once")
    ap.add_argument("--repeats", type=int, default=0, help="repeats per case (default 5, --quick 2)")
    ap.add_argument("--models", nargs="*", choices=list(MODELS), help="only these models")
    ap.add_argument("--methods", nargs="*", choices=list(METHODS), help="only these methods")
    ap.add_argument("--batching", choices=["same", "bucketed", "both"], default="both",
                    help="only the same-batches cases, only the length-bucketed ones, or both")
    ap.add_argument("--threads", type=int, nargs="+", default=sorted({os.cpu_count(), 1}, reverse=True),
                    help="thread counts (default: nproc and 1); the first is used for the 124M model")
    ap.add_argument("--data", default=str(REPO.parent / "shared" / "data"))
    target = os.environ.get("CARGO_TARGET_DIR", str(REPO / "target"))
    ap.add_argument("--bin", default=str(Path(target) / "release" / "clora-host"))
    ap.add_argument("--work", default=str(Path.home() / ".cache" / "clora-host" / "e2e"))
    ap.add_argument("--systems", nargs="+", choices=["host", "hf"], default=["host", "hf"],
                    help="run only these systems (for profiling; the report needs both)")
    ap.add_argument("--skip-data", action="store_true", help="skip the data-prepare figures")
    ap.add_argument("--report-only", action="store_true", help="re-print the report of the last results")
    args = ap.parse_args()
    work = Path(args.work)
    if args.report_only:
        results = json.loads((work / "e2e-results.json").read_text())
    else:
        results = Bench(args).run()
    text = report(results)
    (work / "e2e-report.md").write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
