#!/usr/bin/env python3
"""clora-host vs the Hugging Face baseline, end to end (BENCHMARKS.md, "End to end").

One command reproduces every figure of that section:

    .venv/bin/python host/benches/e2e/run_e2e.py            # full: ≥ 5 repeats per figure
    .venv/bin/python host/benches/e2e/run_e2e.py --quick    # CI-sized: 2 repeats, short runs

It writes the same random-init GPT-2 weights in Hugging Face layout for both systems
(tests/python/make_tiny_gpt2.py: a tiny 2-layer/64-dim model and the 124M shape, both
with the real GPT-2 vocabulary), then, for every (model, method, batching) case, runs
`clora-host train` and host/benches/e2e/baseline_hf.py alternately (the order flips each
repeat), with the same data (CommonsenseQA train from --data, the real GPT-2 tokenizer),
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
HOST_FIRST_STEP = re.compile(r"^step 1 epoch 0:")
HF_FIRST_STEP = re.compile(r"^clora-e2e: first step")


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def median_spread(xs):
    xs = [x for x in xs if x is not None]
    if not xs:
        return None
    return {"median": statistics.median(xs), "min": min(xs), "max": max(xs), "n": len(xs)}


def loadavg():
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def launch(cmd, env, marker, log_file):
    """Runs cmd; returns wall seconds, seconds to the first line matching `marker`, the
    child's rusage and exit code. Output goes to log_file."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, text=True,
                            cwd=REPO, bufsize=1)
    first = None
    with open(log_file, "w") as out:
        for line in proc.stdout:
            if first is None and marker.search(line):
                first = time.perf_counter() - start
            out.write(line)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd[0]} failed ({proc.returncode}); see {log_file}")
    return wall, first, usage


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

    def host_common(self, model, batch_size, steps, bucket):
        return [
            "--config", "configs/local.toml",
            "--set", f"data.root={self.data}",
            "--set", f"data.tokenizer={self.tokenizer}",
            "--set", f"data.cache_dir={self.work / 'host-data-cache'}",
            "--set", f"data.bucket_by_length={'true' if bucket else 'false'}",
            "--model", str(model), "--device", "cpu", "--seed", "42",
            "--batch-size", str(batch_size),
            "--set", f"train.max_steps={steps}",
            "--set", "train.log_every=1",
            "--set", "train.checkpoint_every=0",
            "--set", "train.eval_each_epoch=false",
            "--max-eval-samples", "8",
        ]

    # ---- one run of each system -------------------------------------------------------
    def run_host(self, model, method, tuned, case):
        self.counter += 1
        out = self.work / "runs" / f"host-{self.counter:03d}"
        shutil.rmtree(out, ignore_errors=True)
        cmd = [self.args.bin, "train", *self.host_common(model, case["batch"], case["steps"], tuned),
               *METHODS[method], "--output-dir", str(out)]
        wall, first, usage = launch(cmd, env_for(self.args.threads), HOST_FIRST_STEP, str(out) + ".log")
        records = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
        steps = [r for r in records if "samples_per_s" in r]
        summary = json.loads((out / "summary.json").read_text())
        rows = [case["batch"]] * len(steps)
        seconds = [n / r["samples_per_s"] for n, r in zip(rows, steps)]
        result = self.result("host", wall, first, usage, rows, seconds, case)
        result["setup_s"] = summary["timings"]["setup_s"]
        result["trainable_parameters"] = summary["model"]["trainable_parameters"]
        shutil.rmtree(out, ignore_errors=True)
        return result

    def run_hf(self, model, method, tuned, case):
        self.counter += 1
        out = self.work / "runs" / f"hf-{self.counter:03d}.json"
        cmd = [self.python, str(HERE / "baseline_hf.py"), "--model", str(model), "--tokenizer", str(self.tokenizer),
               "--train-jsonl", str(self.train_jsonl), "--cache", str(self.work / "hf-datasets-cache"),
               "--method", method, "--sampler", "group_by_length" if tuned else "host",
               "--batch-size", str(case["batch"]), "--max-steps", str(case["steps"]),
               "--threads", str(self.args.threads), "--seed", "42", "--log-every", "1",
               "--work", str(self.work / "runs" / "hf-trainer"), "--output", str(out)]
        wall, first, usage = launch(cmd, env_for(self.args.threads), HF_FIRST_STEP, str(out) + ".log")
        r = json.loads(out.read_text())
        rows = [shape[0] for shape in r["batch_shapes"]]
        result = self.result("hf", wall, first, usage, rows, r["step_s"], case)
        result["padded_tokens"] = sum(s[0] * s[1] for s in r["batch_shapes"][case["warmup"]:])
        result["shapes"] = r["batch_shapes"]
        result["setup_s"] = r["setup_s"]
        result["trainable_parameters"] = r["trainable_parameters"]
        result["versions"] = r["versions"]
        result["optimizer"] = r["optimizer"]
        result["attn_implementation"] = r["attn_implementation"]
        return result

    def result(self, system, wall, first, usage, rows, seconds, case):
        cpu = usage.ru_utime + usage.ru_stime
        return {
            "system": system,
            "samples_per_s": steady(rows, seconds, case["warmup"]),
            "measured_s": sum(seconds[case["warmup"]:]),
            "first_step_s": first,
            "peak_rss_mib": usage.ru_maxrss / 1024,
            "cpu_per_wall": cpu / wall,
            "wall_s": wall,
            "step_s": seconds,
            "load": loadavg(),
        }

    # ---- the cases ---------------------------------------------------------------------
    def cases(self):
        q = self.args.quick
        repeats = self.args.repeats or (2 if q else 5)
        tiny = {"batch": 8, "steps": 40 if q else 150, "warmup": 10, "repeats": repeats}
        big = {"batch": 8, "steps": 6 if q else 15, "warmup": 3, "repeats": 1 if q else repeats}
        out = []
        for model, case in (("tiny", tiny), ("gpt2-124m", big)):
            if self.args.models and model not in self.args.models:
                continue
            for method, tuned in (("lora", False), ("clora", False), ("pca", False), ("lora", True),
                                  ("clora", True)):
                if self.args.methods and method not in self.args.methods:
                    continue
                out.append((model, method, tuned, case))
        return out

    def warm_caches(self, model):
        """One short run of each system so that both read their prepared data from cache."""
        case = {"batch": 8, "steps": 2, "warmup": 0}
        self.run_host(model, "lora", False, case)
        self.run_hf(model, "lora", False, case)

    def run(self):
        results = {"machine": machine(self.args.threads), "gemm_peak_gflops": None, "cases": [], "data": None}
        results["gemm_peak_gflops"] = gemm_peak_gflops(self.args.threads)
        log(f"fp32 GEMM peak: {results['gemm_peak_gflops']:.1f} GFLOP/s")
        warmed = set()
        for model_name, method, tuned, case in self.cases():
            model = self.model_dir(model_name)
            if model_name not in warmed:
                self.warm_caches(model)
                warmed.add(model_name)
            runs = []
            for i in range(case["repeats"]):
                order = ("host", "hf") if i % 2 == 0 else ("hf", "host")
                for system in order:
                    fn = self.run_host if system == "host" else self.run_hf
                    r = fn(model, method, tuned, case)
                    runs.append(r)
                    log(f"{model_name} {method} {'tuned' if tuned else 'default'} {system}: "
                        f"{r['samples_per_s']:.1f} samples/s, first step {r['first_step_s']:.2f} s, "
                        f"{r['peak_rss_mib']:.0f} MiB, cpu/wall {r['cpu_per_wall']:.2f}, load {r['load']}")
            results["cases"].append({"model": model_name, "config": MODELS[model_name], "method": method,
                                     "tuned": tuned, "case": case, "runs": runs})
            self.save(results)
        if not self.args.skip_data:
            results["data"] = self.data_prepare()
        results["machine"]["load_after"] = loadavg()
        self.save(results)
        return results

    def data_prepare(self):
        runs = 1 if self.args.quick else 5
        env = env_for(self.args.threads)
        env.setdefault("CARGO_TARGET_DIR", str(Path(self.args.bin).resolve().parents[1]))
        out = subprocess.run(["bash", str(REPO / "host/scripts/bench-data.sh"), str(self.data), str(runs)],
                             env=env, cwd=REPO, capture_output=True, text=True, check=True).stdout
        (self.work / "bench-data.out").write_text(out)
        return parse_bench_data(out)

    def save(self, results):
        (self.work / "e2e-results.json").write_text(json.dumps(results, indent=1))


def parse_bench_data(text):
    """host/scripts/bench-data.sh's lines → {label: [seconds…]} (in-process for clora-host,
    total_after_imports for Python, plus wall times)."""
    out = {}
    for line in text.splitlines():
        m = re.match(r"^(rust [^=]*?) cache=\S+ in-process=([0-9.]+)s wall=([0-9.]+)s", line)
        if m:
            out.setdefault(m.group(1).strip(), {"in_process": [], "wall": []})
            out[m.group(1).strip()]["in_process"].append(float(m.group(2)))
            out[m.group(1).strip()]["wall"].append(float(m.group(3)))
            continue
        m = re.match(r"^(python (?:cold|warm)) (\{.*\}) wall=([0-9.]+)s", line)
        if m:
            times = json.loads(m.group(2))
            out.setdefault(m.group(1), {"in_process": [], "wall": []})
            out[m.group(1)]["in_process"].append(times["total_after_imports"])
            out[m.group(1)]["wall"].append(float(m.group(3)))
    return out


def machine(threads):
    lscpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    model = next((l.split(":", 1)[1].strip() for l in lscpu.splitlines() if l.startswith("Model name")), "?")
    mem_kib = int(next(l.split()[1] for l in Path("/proc/meminfo").read_text().splitlines()
                       if l.startswith("MemTotal")))
    return {"nproc": os.cpu_count(), "cpu": model, "mem_gib": round(mem_kib / 2**20, 1), "threads": threads,
            "load_before": loadavg()}


# ---- the report -------------------------------------------------------------------------
def fmt(s, digits=1):
    if s is None:
        return "–"
    return f"{s['median']:.{digits}f} ({s['min']:.{digits}f}–{s['max']:.{digits}f})"


def report(results):
    lines = []
    m = results["machine"]
    lines.append(f"Machine: {m['nproc']} cores, {m['cpu']}, {m['mem_gib']} GiB; threads {m['threads']}; "
                 f"load average before {m['load_before']}, after {m.get('load_after', '?')}.")
    peak = results["gemm_peak_gflops"]
    lines.append(f"libtorch fp32 GEMM peak (4096² matmul, best of 5): {peak:.1f} GFLOP/s.")
    lines.append("")
    lines.append("| model | method | batching | clora-host samples/s | HF samples/s | ratio | "
                 "host first step s | HF first step s | host peak RSS MiB | HF peak RSS MiB | "
                 "host % of GEMM peak | HF % of GEMM peak |")
    lines.append("|---|---|---|---|---|---|---|---|---|---|---|---|")
    by_key = {}
    for c in results["cases"]:
        host = [r for r in c["runs"] if r["system"] == "host"]
        hf = [r for r in c["runs"] if r["system"] == "hf"]
        ratios = [h["samples_per_s"] / f["samples_per_s"] for h, f in zip(host, hf)]
        flops = training_flops(c["config"], hf[0]["shapes"][c["case"]["warmup"]:]) if not c["tuned"] else None
        pct = lambda rs: (median_spread([flops / (r["measured_s"]) / 1e9 / peak * 100 for r in rs])  # noqa: E731
                          if flops else None)
        row = {
            "host": median_spread([r["samples_per_s"] for r in host]),
            "hf": median_spread([r["samples_per_s"] for r in hf]),
            "ratio": median_spread(ratios),
            "host_first": median_spread([r["first_step_s"] for r in host]),
            "hf_first": median_spread([r["first_step_s"] for r in hf]),
            "host_rss": median_spread([r["peak_rss_mib"] for r in host]),
            "hf_rss": median_spread([r["peak_rss_mib"] for r in hf]),
            "host_pct": pct(host),
            "hf_pct": pct(hf),
            "host_runs": host, "hf_runs": hf,
        }
        by_key[(c["model"], c["method"], c["tuned"])] = row
        batching = "bucketed / group_by_length" if c["tuned"] else "same batches"
        lines.append(
            f"| {c['model']} | {c['method']} | {batching} | {fmt(row['host'])} | {fmt(row['hf'])} | "
            f"{fmt(row['ratio'], 2)} | {fmt(row['host_first'])} | {fmt(row['hf_first'])} | "
            f"{fmt(row['host_rss'], 0)} | {fmt(row['hf_rss'], 0)} | {fmt(row['host_pct'])} | {fmt(row['hf_pct'])} |")
    lines.append("")
    lines.append("CLoRA overhead over LoRA (same batching, paired by repeat: 1 − clora/lora samples/s):")
    lines.append("")
    lines.append("| model | batching | clora-host | HF |")
    lines.append("|---|---|---|---|")
    for (model, method, tuned), row in by_key.items():
        if method != "clora" or (model, "lora", tuned) not in by_key:
            continue
        lora = by_key[(model, "lora", tuned)]
        over = {}
        for system in ("host", "hf"):
            pairs = zip(lora[f"{system}_runs"], row[f"{system}_runs"])
            over[system] = median_spread([(1 - c["samples_per_s"] / l["samples_per_s"]) * 100 for l, c in pairs])
        lines.append(f"| {model} | {'tuned' if tuned else 'same batches'} | {fmt(over['host'])} % | "
                     f"{fmt(over['hf'])} % |")
    if results.get("data"):
        lines.append("")
        lines.append("Data prepare, CommonsenseQA train (host/scripts/bench-data.sh), seconds:")
        lines.append("")
        lines.append("| what | in-process | wall |")
        lines.append("|---|---|---|")
        for label, v in results["data"].items():
            lines.append(f"| {label} | {fmt(median_spread(v['in_process']), 2)} | {fmt(median_spread(v['wall']), 2)} |")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="CI-sized: 2 repeats, short runs, 124M once")
    ap.add_argument("--repeats", type=int, default=0, help="repeats per case (default 5, --quick 2)")
    ap.add_argument("--models", nargs="*", choices=list(MODELS), help="only these models")
    ap.add_argument("--methods", nargs="*", choices=list(METHODS), help="only these methods")
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--data", default=str(REPO.parent / "shared" / "data"))
    target = os.environ.get("CARGO_TARGET_DIR", str(REPO / "target"))
    ap.add_argument("--bin", default=str(Path(target) / "release" / "clora-host"))
    ap.add_argument("--work", default=str(Path.home() / ".cache" / "clora-host" / "e2e"))
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
