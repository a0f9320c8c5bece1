"""Run every benchmark in bench/ and write the report.

``make bench`` (full mode): editor scaling on 100 ... 100k profiles and fleet
converge at N = 10, 25, 50 hosts, several interleaved rounds each, then
profiling of setup-dev.yml (profile_tasks) and of the editor (cProfile).
Writes the raw results to bench/results/full/ (git-ignored), the report to
docs/benchmarks.md and the charts to docs/img/.

``make bench-smoke`` (``--smoke``, part of ``make test``): N = 2, one round,
100 and 1k profiles; writes only to bench/results/smoke/. It exits non-zero
only when a benchmark crashed or produced nonsense - it never asserts timings.
"""

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(BENCH))

# pylint: disable=wrong-import-position
import editor_scaling  # noqa: E402
import fleet_converge  # noqa: E402
import report  # noqa: E402

# Full mode must stay under ~25 minutes on the 2-core machine: fewer rounds at
# the big fleet sizes, and the composition's 3-run idempotence check only at the
# smallest one (its run 2 costs as much as run 1).
FULL = {
    "editor_sizes": list(editor_scaling.FULL_SIZES),
    "editor_rounds": 3,
    "editor_cprofile": True,
    "fleet_sizes": [10, 25, 50],
    "fleet_rounds": {10: 3, 25: 2, 50: 1},
    "repeat_composition_at": [10],
}
SMOKE = {
    "editor_sizes": list(editor_scaling.SMOKE_SIZES),
    "editor_rounds": 1,
    "editor_cprofile": False,
    "fleet_sizes": [2],
    "fleet_rounds": {2: 1},
    "repeat_composition_at": [],  # the 3-run idempotence check would double the smoke's time
}


def machine_info():
    """What the numbers were measured on."""
    from importlib.metadata import version

    import ansible.release

    info = {
        "cpu_count": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "ansible_core": ansible.release.__version__,
        "collections": _collection_versions(("amazon.aws", "community.general", "ansible.posix")),
        "botocore": version("botocore"),
        "awscli": version("awscli"),
        "awscli_botocore": _awscli_botocore(),
        "moto": version("moto"),
        "load_average": list(os.getloadavg()),
    }
    info.update(_git_state())
    return info


def _awscli_botocore():
    """Version of the botocore awscli brings along (importing awscli makes ``botocore`` that copy)."""
    proc = subprocess.run(
        [sys.executable, "-c", "import awscli, botocore; print(botocore.__version__)"],
        capture_output=True, text=True, check=False,
    )
    return proc.stdout.strip() or "unknown"


def _cpu_model():
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _collection_versions(names):
    import ansible_collections

    versions = {}
    for name in names:
        namespace, collection = name.split(".")
        for root in ansible_collections.__path__:
            manifest = Path(root, namespace, collection, "MANIFEST.json")
            if manifest.exists():
                versions[name] = json.loads(manifest.read_text(encoding="utf-8"))["collection_info"]["version"]
                break
    return versions


def _git_state():
    def git(*args):
        proc = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, check=False)
        return proc.stdout.strip() if proc.returncode == 0 else ""

    commit = git("rev-parse", "HEAD")
    dirty = bool(git("status", "--porcelain"))
    return {"commit": commit or "none (no commit yet)", "dirty": dirty}


def run_all(config, mode, log):
    """Every benchmark, in one process, with the same machine state; returns the results dict."""
    results = {"mode": mode, "config": _jsonable(config), "machine": machine_info(), "errors": []}
    results["started"] = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    started = time.monotonic()

    log(f"editor scaling: sizes {config['editor_sizes']}, {config['editor_rounds']} round(s)")
    with tempfile.TemporaryDirectory(prefix="devkeys-bench-editor-") as workdir:
        try:
            results["editor"] = editor_scaling.run(config["editor_sizes"], config["editor_rounds"], workdir, log=log)
        except Exception as exc:  # pylint: disable=broad-except
            results["errors"].append(f"editor scaling crashed: {exc}")
            results["editor"] = []
        if config["editor_cprofile"] and results["editor"]:
            try:
                results["editor_profile"] = editor_scaling.profile_devkeys(max(config["editor_sizes"]), workdir)
            except Exception as exc:  # pylint: disable=broad-except
                results["errors"].append(f"editor profiling crashed: {exc}")

    rounds = config["fleet_rounds"]
    log(f"fleet converge: N = {config['fleet_sizes']}, rounds {rounds}, forks {fleet_converge.FORKS}")
    try:
        records = fleet_converge.run(config["fleet_sizes"], lambda n: rounds[n], log=log,
                                     repeat_composition_at=config["repeat_composition_at"])
    except Exception as exc:  # pylint: disable=broad-except
        results["errors"].append(f"fleet converge crashed: {exc}")
        records = []
    results["fleet_runs"] = records
    results["fleet"] = fleet_converge.summarize(records)

    results["machine"]["load_average_after"] = list(os.getloadavg())
    results["duration_s"] = time.monotonic() - started
    results["targets"] = report.evaluate_targets(results)
    results["problems"] = results["errors"] + sanity_problems(results)
    return results


def sanity_problems(results):
    """Nonsense checks (no timing thresholds): every contender ran and reported what it must."""
    problems = []
    editor = results.get("editor", [])
    expected = {
        (scenario, size, contender)
        for scenario in editor_scaling.SCENARIOS
        for size in results["config"]["editor_sizes"]
        for contender in editor_scaling.CONTENDERS
        if not (scenario == "add" and contender in ("floor", "botocore"))
    }
    seen = {(r["scenario"], r["profiles"], r["contender"]) for r in editor}
    for missing in sorted(expected - seen):
        problems.append(f"editor: no measurement for {missing}")
    for record in editor:
        name = f"editor {record['scenario']} {record['profiles']} {record['contender']}"
        if not all(0 < t < 600 for t in record["times"]):
            problems.append(f"{name}: implausible times {record['times']}")
        if record["peak_bytes"] <= 0:
            problems.append(f"{name}: no memory was measured")
        if not record["checked"]:
            problems.append(f"{name}: botocore does not read the new key back after the edit")

    summary = {(s["contender"], s["hosts"]): s for s in results.get("fleet", [])}
    for hosts in results["config"]["fleet_sizes"]:
        for contender in ("floor", "setup_first", "setup_rerun", "composition_1"):
            entry = summary.get((contender, hosts))
            if entry is None:
                problems.append(f"fleet N={hosts}: {contender} did not run")
            elif not entry["all_ok"]:
                problems.append(f"fleet N={hosts}: {contender} failed ({', '.join(entry['failed_tasks']) or 'rc != 0'})")
        for contender in ("setup_first", "composition_1"):
            entry = summary.get((contender, hosts))
            if entry and entry["all_ok"] and not entry["iam_per_host"]:
                problems.append(f"fleet N={hosts}: {contender} made no IAM call through the counting proxy")
    for hosts in results["config"]["repeat_composition_at"]:
        third = [r for r in results.get("fleet_runs", []) if r["contender"] == "composition_3" and r["hosts"] == hosts]
        if not third:
            problems.append(f"fleet N={hosts}: the composition's third run is missing")
        elif third[0]["ok"] or third[0].get("next_create_key") != "LimitExceeded":
            problems.append(f"fleet N={hosts}: the composition's third run did not hit the 2-key limit as expected")
    for run in results.get("fleet_runs", []):
        if run["wall_s"] <= 0 or run["hosts"] != len(run["recap"]):
            problems.append(f"fleet N={run['hosts']} {run['contender']}: recap covers {len(run['recap'])} hosts")
    return problems


def _jsonable(config):
    return {key: ({str(k): v for k, v in value.items()} if isinstance(value, dict) else value) for key, value in config.items()}


def main(argv=None):
    parser = argparse.ArgumentParser(description="Run the devkeys.aws benchmarks and write the report.")
    parser.add_argument("--smoke", action="store_true", help="tiny run for make test; writes bench/results/smoke only")
    parser.add_argument("--hosts", type=int, nargs="+", help="fleet sizes (default: 10 25 50, smoke: 2)")
    parser.add_argument("--rounds", type=int, help="rounds per fleet size and editor size")
    parser.add_argument("--profiles", type=int, nargs="+", help="editor file sizes in profiles")
    args = parser.parse_args(argv)

    mode = "smoke" if args.smoke else "full"
    config = dict(SMOKE if args.smoke else FULL)
    if args.hosts:
        config["fleet_sizes"] = args.hosts
    if args.profiles:
        config["editor_sizes"] = args.profiles
    if args.rounds:
        config["editor_rounds"] = args.rounds
    config["fleet_rounds"] = {
        n: (args.rounds or config["fleet_rounds"].get(n, max(config["fleet_rounds"].values()))) for n in config["fleet_sizes"]
    }

    out = BENCH / "results" / mode
    out.mkdir(parents=True, exist_ok=True)

    def log(message):
        print(message, flush=True)

    results = run_all(config, mode, log)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    raw = out / f"results-{stamp}.json"
    raw.write_text(json.dumps(results, indent=1, default=str), encoding="utf-8")
    (out / "latest.json").write_text(raw.read_text(encoding="utf-8"), encoding="utf-8")

    if args.smoke:
        document, images = out / "benchmarks.md", out / "img"
    else:
        document, images = REPO / "docs" / "benchmarks.md", REPO / "docs" / "img"
    report.write(results, document, images, raw_path=raw.relative_to(REPO))
    log(f"\nraw results: {raw.relative_to(REPO)}\nreport: {document.relative_to(REPO)}")
    for target in results["targets"]:
        log(f"  {target['status']:<4}  {target['name']}: {target['measured']} (target {target['target']})")
    log(f"took {results['duration_s']:.0f} s")
    if results["problems"]:
        log("\nPROBLEMS (the benchmark crashed or produced nonsense):")
        for problem in results["problems"]:
            log(f"  - {problem}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
