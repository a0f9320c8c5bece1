"""Targets, tables and charts of a benchmark run: docs/benchmarks.md and docs/img/*.png.

Everything here is computed from the results dict written by bench/run.py, so
the report can be regenerated from a raw JSON file:
``python bench/report.py bench/results/full/latest.json``.
"""

import json
import re
import statistics
import sys
from pathlib import Path

import editor_scaling

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent

FLEET_TOTAL = 5_000
NODE_CORES = 16
"""Cores of the execution node assumed in the scale-on-paper estimate."""
LABELS = {
    "floor": "floor (1 call on host + 1 on controller)",
    "setup_first": "setup-dev.yml, first run",
    "setup_rerun": "setup-dev.yml, converged re-run",
    "composition_1": "composition (iam_access_key + ini_file), run 1",
    "composition_2": "composition, run 2",
    "composition_3": "composition, run 3",
}
EDITOR_LABELS = {
    "floor": "read + splitlines (floor)",
    "botocore": "botocore raw_config_parse (read only)",
    "awscli": "awscli ConfigFileWriter.update_config",
    "devkeys": "devkeys.aws edit_file (read, edit, write)",
}
# Published facts the "scale on paper" section relies on (cited in the text).
SOURCES = {
    "throttling_blog": "https://aws.amazon.com/blogs/security/how-to-monitor-and-query-iam-resources-at-scale-part-2/",
    "throttling_repost": "https://repost.aws/knowledge-center/iam-sts-throttling-error",
    "iam_quotas": "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html",
}


# ---------------------------------------------------------------- lookups


def fleet_entry(results, contender, hosts):
    for entry in results.get("fleet", []):
        if entry["contender"] == contender and entry["hosts"] == hosts:
            return entry
    return None


def fleet_median(results, contender, hosts):
    entry = fleet_entry(results, contender, hosts)
    return entry["median_s"] if entry else None


def editor_record(results, scenario, profiles, contender):
    for record in results.get("editor", []):
        if (record["scenario"], record["profiles"], record["contender"]) == (scenario, profiles, contender):
            return record
    return None


def editor_cpu(record):
    """Median CPU seconds of an edit (wall seconds for results recorded before CPU time was)."""
    return record.get("median_cpu_s", record["median_s"])


def iam_split(per_host):
    """(reads, writes) per host from {action: calls per host}."""
    reads = sum(n for action, n in per_host.items() if action.startswith(("Get", "List")))
    return reads, sum(per_host.values()) - reads


def per_host_fit(results, contender):
    """(seconds per extra host, intercept) by least squares over the fleet sizes; None if < 2 sizes."""
    entries = [e for e in results.get("fleet", []) if e["contender"] == contender]
    if len(entries) < 2:
        return None
    fit = statistics.linear_regression([e["hosts"] for e in entries], [e["median_s"] for e in entries])
    return fit.slope, fit.intercept


def _ratio(numerator, denominator):
    return numerator / denominator if numerator is not None and denominator else None


def _fmt(value, digits=2, suffix=""):
    if value is None:
        return "n/a"
    return f"{value:.{digits}f}{suffix}"


# ---------------------------------------------------------------- targets


def per_workstation(results, contender, reference, limit):
    """(text, passed) of "each extra workstation costs ``limit`` times less than with ``reference``" (fit slopes)."""
    ours, theirs = per_host_fit(results, contender), per_host_fit(results, reference)
    if not ours or not theirs:
        return "not measured", None
    ratio = _ratio(theirs[0], ours[0])
    text = (f"{theirs[0]:.2f} / {ours[0]:.2f} s per extra workstation = {ratio:.2f}x; once per run {ours[1]:.1f} s "
            f"(composition {theirs[1]:.1f} s)")
    return text, ratio >= limit


def evaluate_targets(results):
    """Each target of issues 7 and 13: measured value, target, PASS/FAIL (n/a when not measured)."""
    targets = []
    sizes = results["config"]["fleet_sizes"]

    def add(name, measured, target, passed):
        status = "n/a" if passed is None else ("PASS" if passed else "FAIL")
        targets.append({"name": name, "measured": measured, "target": target, "status": status})

    def per_size(contender, reference, limit, invert=False):
        values, cpu_values, failed = {}, {}, []
        for hosts in sizes:
            ours, theirs = fleet_entry(results, contender, hosts), fleet_entry(results, reference, hosts)
            if ours and not ours["all_ok"]:
                failed.append(hosts)
                continue
            mine, other = fleet_median(results, contender, hosts), fleet_median(results, reference, hosts)
            ratio = _ratio(other, mine) if invert else _ratio(mine, other)
            if ratio is not None and theirs["all_ok"]:
                values[hosts] = ratio
                mine_cpu, other_cpu = ours["median_cpu_s"], theirs["median_cpu_s"]
                cpu_values[hosts] = _ratio(other_cpu, mine_cpu) if invert else _ratio(mine_cpu, other_cpu)
        if failed:
            return f"{LABELS[contender]} failed at N={', '.join(map(str, failed))}", False
        if not values:
            return "not measured", None
        text = ", ".join(f"N={n}: {v:.2f}x" for n, v in values.items())
        text += " (controller CPU: " + ", ".join(f"{v:.2f}x" for v in cpu_values.values()) + ")"
        passed = all(v >= limit for v in values.values()) if invert else all(v <= limit for v in values.values())
        return text, passed

    measured, passed = per_size("setup_rerun", "floor", 1.5)
    add("Converged re-run vs the floor", measured, "<= 1.5x the floor", passed)
    measured, passed = per_size("setup_first", "floor", 2.0)
    add("First run vs the floor", measured, "<= 2x the floor", passed)
    measured, passed = per_workstation(results, "setup_first", "composition_1", 2.0)
    add("Cost of each extra workstation vs today's composition (composition slope / first-run slope)", measured,
        ">= 2x cheaper", passed)

    reruns = [e for e in results.get("fleet", []) if e["contender"] == "setup_rerun"]
    if reruns and not all(e["all_ok"] for e in reruns + [e for e in results["fleet"] if e["contender"] == "setup_first"]):
        add("Converged re-run: IAM write calls per IAM user", "setup-dev.yml failed", "0", False)
        add("Converged re-run: IAM read calls per IAM user", "setup-dev.yml failed", "<= 2", False)
    elif reruns:
        reads = max(iam_split(e["iam_per_host"])[0] for e in reruns)
        writes = max(iam_split(e["iam_per_host"])[1] for e in reruns)
        add("Converged re-run: IAM write calls per IAM user", f"{writes:g}", "0", writes == 0)
        add("Converged re-run: IAM read calls per IAM user", f"{reads:g}", "<= 2", reads <= 2)
    else:
        add("Converged re-run: IAM write calls per IAM user", "not measured", "0", None)
        add("Converged re-run: IAM read calls per IAM user", "not measured", "<= 2", None)

    setups = [e for e in results.get("fleet", []) if e["contender"] in ("setup_first", "setup_rerun")]
    if setups:
        gathered = max(e["fact_gathering"] for e in setups)
        add("Fact gathering in setup-dev.yml", f"{gathered} host(s) gathered facts", "none unless needed", gathered == 0)
    else:
        add("Fact gathering in setup-dev.yml", "not measured", "none unless needed", None)

    editor_sizes = sorted({r["profiles"] for r in results.get("editor", [])})
    big = editor_sizes[-2:]

    def editor_ratio(size, other, field="cpu"):
        ours, theirs = editor_record(results, "update", size, "devkeys"), editor_record(results, "update", size, other)
        if not ours or not theirs:
            return None
        if field == "peak_bytes":
            return _ratio(ours["peak_bytes"], theirs["peak_bytes"])
        return _ratio(editor_cpu(ours), editor_cpu(theirs))

    def editor_target(name, other, limit, target, field="cpu"):
        values = {size: editor_ratio(size, other, field) for size in big}
        values = {k: v for k, v in values.items() if v is not None}
        if not values:
            add(name, "not measured", target, None)
            return
        add(name, ", ".join(f"{k:,} profiles: {v:.2f}x" for k, v in values.items()), target,
            all(v <= limit for v in values.values()))

    editor_target("Editor CPU time vs awscli ConfigFileWriter", "awscli", 1.0, "<= 1x (no slower)")
    editor_target("Editor CPU time vs bare read + split", "floor", 10.0, "<= 10x")
    editor_target("Editor peak memory vs awscli ConfigFileWriter", "awscli", 2.0, "<= 2x", field="peak_bytes")
    if len(big) == 2:
        small, large = (editor_record(results, "update", size, "devkeys") for size in big)
        if small and large:
            growth = editor_cpu(large) / editor_cpu(small)
            linear = big[1] / big[0]
            add(f"Editor growth {big[0]:,} -> {big[1]:,} profiles", f"{growth:.1f}x time for {linear:g}x profiles",
                f"<= {1.5 * linear:g}x (linear, 50 % slack)", growth <= 1.5 * linear)
    return targets


# ---------------------------------------------------------------- charts


def charts(results, img_dir):
    """Write the PNG charts; return {name: path}."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    img_dir.mkdir(parents=True, exist_ok=True)
    written = {}

    fig, ax = plt.subplots(figsize=(7, 4.2))
    for contender in ("floor", "setup_first", "setup_rerun", "composition_1"):
        entries = sorted((e for e in results.get("fleet", []) if e["contender"] == contender), key=lambda e: e["hosts"])
        if not entries:
            continue
        xs = [e["hosts"] for e in entries]
        ys = [e["median_s"] for e in entries]
        low = [y - min(e["walls"]) for y, e in zip(ys, entries)]
        high = [max(e["walls"]) - y for y, e in zip(ys, entries)]
        ax.errorbar(xs, ys, yerr=[low, high], marker="o", capsize=3, label=LABELS[contender])
    ax.set_xlabel("workstations (hosts), forks = 5")
    ax.set_ylabel("wall time, s (median; bars: min-max)")
    ax.set_title("Fleet converge: time vs hosts")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    path = img_dir / "fleet_time_vs_hosts.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    written["fleet"] = path

    fig, (ax_time, ax_mem) = plt.subplots(1, 2, figsize=(10, 4.2))
    for contender in ("floor", "botocore", "awscli", "devkeys"):
        records = sorted((r for r in results.get("editor", []) if r["scenario"] == "update" and r["contender"] == contender),
                         key=lambda r: r["profiles"])
        if not records:
            continue
        xs = [r["profiles"] for r in records]
        ax_time.plot(xs, [editor_cpu(r) * 1000 for r in records], marker="o", label=EDITOR_LABELS[contender])
        ax_mem.plot(xs, [r["peak_bytes"] / 1e6 for r in records], marker="o", label=EDITOR_LABELS[contender])
    for axis, label in ((ax_time, "CPU time per edit, ms (median)"), (ax_mem, "peak Python memory, MB (tracemalloc)")):
        axis.set_xscale("log")
        axis.set_yscale("log")
        axis.set_xlabel("profiles in the file")
        axis.set_ylabel(label)
        axis.grid(True, which="both", alpha=0.3)
    ax_time.set_title("Editor: time vs profiles")
    ax_mem.set_title("Editor: memory vs profiles")
    ax_time.legend(fontsize=7)
    fig.tight_layout()
    path = img_dir / "editor_time_vs_profiles.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    written["editor"] = path
    return written


# ---------------------------------------------------------------- markdown


def _table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] * len(header)) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def _machine_section(results):
    machine = results["machine"]
    collections = ", ".join(f"{k} {v}" for k, v in machine.get("collections", {}).items())
    rows = [
        ("CPU", f"{machine['cpu_count']} cores, {machine['cpu_model']}"),
        ("Platform", machine["platform"]),
        ("Python", machine["python"]),
        ("ansible-core", machine["ansible_core"]),
        ("Collections", collections),
        ("botocore / awscli / moto", f"{machine['botocore']} / {machine['awscli']} / {machine['moto']}"
         + (f" (awscli runs with its own botocore {machine['awscli_botocore']})"
            if machine.get("awscli_botocore") not in (None, machine["botocore"]) else "")),
        ("Commit", f"{machine['commit']}{' (working tree has uncommitted changes)' if machine['dirty'] else ''}"),
        ("Load average (1, 5, 15 min) before / after",
         f"{', '.join(f'{v:.2f}' for v in machine['load_average'])} / "
         f"{', '.join(f'{v:.2f}' for v in machine.get('load_average_after', []))}"),
        ("Started (UTC), duration", f"{results['started']}, {results['duration_s'] / 60:.1f} min"),
    ]
    return _table(("", ""), rows)


def _targets_section(results):
    rows = [(t["name"], t["measured"], t["target"], f"**{t['status']}**") for t in results["targets"]]
    return _table(("Target", "Measured", "Target", "Result"), rows)


def _fleet_sections(results):
    sizes = results["config"]["fleet_sizes"]
    contenders = [c for c in LABELS if any(e["contender"] == c for e in results.get("fleet", []))]
    out = []
    rows = []
    for contender in contenders:
        row = [LABELS[contender]]
        for hosts in sizes:
            entry = fleet_entry(results, contender, hosts)
            row.append(f"{entry['median_s']:.1f} ({entry['runs']})" if entry else "n/a")
        fit = per_host_fit(results, contender)
        row.append(_fmt(fit[0], 2) if fit else "n/a")
        largest = fleet_entry(results, contender, sizes[-1])
        row.append(_fmt(largest["median_cpu_s"] / sizes[-1], 2) if largest else "n/a")
        rows.append(row)
    out.append("Wall time in seconds, median (number of runs in brackets); seconds per extra host from a least-squares "
               "fit over the fleet sizes; controller CPU seconds (user + system of ansible-playbook and every process "
               "it ran, local connection: the workstation side runs on this machine too) per host at the largest N.\n")
    out.append(_table(["Contender"] + [f"N={n}" for n in sizes] + ["s per extra host", "CPU s per host"], rows))
    rows = []
    for contender in contenders:
        row = [LABELS[contender]]
        for hosts in sizes:
            row.append(_fmt(_ratio(fleet_median(results, contender, hosts), fleet_median(results, "floor", hosts)), 2, "x"))
        rows.append(row)
    out.append("\nRatio to the floor (same N, same round conditions):\n")
    out.append(_table(["Contender"] + [f"N={n}" for n in sizes], rows))
    rows = []
    for contender in contenders:
        row = [LABELS[contender]]
        for hosts in sizes:
            mine, floor = fleet_entry(results, contender, hosts), fleet_entry(results, "floor", hosts)
            row.append(_fmt(_ratio(mine and mine["median_cpu_s"], floor and floor["median_cpu_s"]), 2, "x"))
        rows.append(row)
    out.append("\nController CPU, ratio to the floor (less sensitive than wall time to other work on the machine; "
               "on a CPU-bound controller the wall-time ratio tends to this):\n")
    out.append(_table(["Contender"] + [f"N={n}" for n in sizes], rows))

    actions = sorted({a for e in results.get("fleet", []) for a in e["iam_per_host"]})
    rows = []
    for contender in contenders:
        entry = fleet_entry(results, contender, sizes[-1])
        if not entry:
            continue
        reads, writes = iam_split(entry["iam_per_host"])
        sts = sum(entry["sts_per_host"].values())
        rows.append([LABELS[contender]] + [f"{entry['iam_per_host'].get(a, 0):g}" for a in actions]
                    + [f"{reads:g}", f"{writes:g}", f"{sts:g}", "yes" if entry["iam_calls_consistent"] else "no"])
    out.append(f"\nIAM API calls per host (= per IAM user) by action at N={sizes[-1]}, counted by the proxy "
               "(retries count), plus STS calls; 'same every run' says whether every round made exactly the same calls:\n")
    out.append(_table(["Contender"] + actions + ["IAM reads", "IAM writes", "STS", "same every run"], rows))

    comp = [r for r in results.get("fleet_runs", []) if r["contender"].startswith("composition_") and r["round"] == 1]
    if comp:
        rows = []
        for run in sorted(comp, key=lambda r: (r["hosts"], r["contender"])):
            keys = run.get("keys_after")
            keys_text = (f"{keys['users_with_2_active']}/{keys['users']} users hold 2 Active keys") if keys else "1 Active key per user"
            outcome = "ok" if run["ok"] else f"FAILED on {run['failed_hosts']}/{run['hosts']} hosts: {', '.join(run['failed_tasks'])}"
            if run.get("next_create_key"):
                outcome += f"; IAM answers the next CreateAccessKey with {run['next_create_key']}"
            rows.append([run["hosts"], run["contender"][-1], f"{run['wall_s']:.1f}", outcome, keys_text])
        out.append("\nToday's composition is not idempotent - the same playbook run three times on the same fleet "
                   "(round 1):\n")
        out.append(_table(["N", "run", "wall s", "outcome", "IAM keys after the run"], rows))
    return "\n".join(out)


def _profile_section(results):
    """Seconds per task of setup-dev.yml (profile_tasks, median over rounds) at the largest fleet size."""
    hosts = results["config"]["fleet_sizes"][-1]
    first = fleet_entry(results, "setup_first", hosts)
    rerun = fleet_entry(results, "setup_rerun", hosts)
    if not first or not rerun:
        return "setup-dev.yml was not measured."
    first_tasks, rerun_tasks = dict(first["task_seconds"]), dict(rerun["task_seconds"])
    names = list(first_tasks) + [n for n in rerun_tasks if n not in first_tasks]
    total_first = sum(first_tasks.values()) or 1
    total_rerun = sum(rerun_tasks.values()) or 1
    rows = [
        [name.replace("devkeys.aws.workstation : ", ""), _fmt(first_tasks.get(name)),
         _fmt(100 * first_tasks.get(name, 0) / total_first, 0, " %"), _fmt(first_tasks.get(name, 0) / hosts, 3),
         _fmt(rerun_tasks.get(name)), _fmt(100 * rerun_tasks.get(name, 0) / total_rerun, 0, " %"),
         _fmt(rerun_tasks.get(name, 0) / hosts, 3)]
        for name in sorted(names, key=lambda n: -(first_tasks.get(n, 0) + rerun_tasks.get(n, 0)))
    ]
    floor = fleet_entry(results, "floor", hosts)
    floor_text = ""
    if floor and floor["task_seconds"]:
        floor_text = (" For comparison, the floor's two tasks: "
                      + ", ".join(f"{name} {sec:.1f} s" for name, sec in floor["task_seconds"]) + ".")
    return (f"Every run has `ansible.posix.profile_tasks` enabled; seconds per task of the role at N={hosts}, forks 5, "
            f"median over rounds (a task's time runs from its start to the start of the next task, over all hosts)."
            + floor_text + "\n\n"
            + _table(["Task", "first run s", "share", "s / N", "re-run s", "share", "s / N"], rows))


def _editor_sections(results):
    sizes = sorted({r["profiles"] for r in results.get("editor", [])})
    out = []
    for scenario, title in (("update", "Rotate the keys of the profile in the middle of the file"),
                            ("add", "Append a new profile")):
        contenders = ("floor", "botocore", "awscli", "devkeys") if scenario == "update" else ("awscli", "devkeys")
        rows = []
        for size in sizes:
            recs = {c: editor_record(results, scenario, size, c) for c in contenders}
            if scenario == "add":
                recs["floor"] = editor_record(results, "update", size, "floor")
            row = [f"{size:,}", f"{(recs['devkeys'] or recs['awscli'] or {}).get('file_bytes', 0) / 1e6:.2f} MB"]
            for c in contenders:
                row.append(_fmt(editor_cpu(recs[c]) * 1000, 2) if recs[c] else "n/a")
            ours = recs.get("devkeys")
            row.append(_fmt(_ratio(ours and editor_cpu(ours), recs["awscli"] and editor_cpu(recs["awscli"])), 2, "x"))
            row.append(_fmt(_ratio(ours and editor_cpu(ours), recs["floor"] and editor_cpu(recs["floor"])), 1, "x"))
            row.append(_fmt(_ratio(ours and ours["median_s"], recs["awscli"] and recs["awscli"]["median_s"]), 2, "x"))
            for c in contenders:
                row.append(_fmt(recs[c]["peak_bytes"] / 1e6, 2) if recs[c] else "n/a")
            row.append(_fmt(_ratio(ours and ours["peak_bytes"], recs["awscli"] and recs["awscli"]["peak_bytes"]), 2, "x"))
            rows.append(row)
        header = (["profiles", "file"] + [f"{c} CPU ms" for c in contenders]
                  + ["devkeys / awscli", "devkeys / floor", "devkeys / awscli (wall)"]
                  + [f"{c} peak MB" for c in contenders] + ["peak devkeys / awscli"])
        out.append(f"**{title}** (median CPU ms per edit; the wall-time ratio for comparison; peak = tracemalloc "
                   "peak of one edit):\n")
        out.append(_table(header, rows))
        out.append("")
    rows = []
    for contender in ("floor", "botocore", "awscli", "devkeys"):
        recs = [editor_record(results, "update", s, contender) for s in sizes]
        growth = [f"{editor_cpu(b) / editor_cpu(a):.1f}x" if a and b else "n/a" for a, b in zip(recs, recs[1:])]
        rows.append([EDITOR_LABELS[contender]] + growth)
    out.append("Growth of the CPU time per edit for each 10x step in profiles (linear = 10x):\n")
    out.append(_table(["Contender"] + [f"{a:,} -> {b:,}" for a, b in zip(sizes, sizes[1:])], rows))
    if results.get("editor_profile"):
        out.append(f"\ncProfile of one devkeys edit at {sizes[-1]:,} profiles (top functions by cumulative time):\n")
        out.append("```\n" + _trim_profile(results["editor_profile"]) + "\n```")
    return "\n".join(out)


def _trim_profile(text):
    lines = [line.rstrip() for line in text.splitlines() if line.strip()]
    start = next((i for i, line in enumerate(lines) if "ncalls" in line), 0)
    text = "\n".join(lines[max(0, start - 1):]).replace(str(REPO) + "/", "")
    return re.sub(r"/\S*/ansible_collections/devkeys/aws/", "", text)


def _scale_section(results):
    """What 5,000 workstations cost, from the per-host figures of the largest fleet size."""
    sizes = results["config"]["fleet_sizes"]
    largest = sizes[-1]
    rows = []
    facts = {}
    for contender in ("floor", "setup_first", "setup_rerun", "composition_1"):
        entry = fleet_entry(results, contender, largest)
        if not entry or not entry["all_ok"]:
            continue
        fit = per_host_fit(results, contender)
        slope, intercept = fit if fit else (entry["median_s"] / largest, 0.0)
        calls = sum(entry["iam_per_host"].values())
        reads, writes = iam_split(entry["iam_per_host"])
        cpu = entry["median_cpu_s"] / largest
        facts[contender] = {"calls": calls, "writes": writes, "cpu": cpu}
        node_hours = FLEET_TOTAL * cpu / NODE_CORES / 3600
        rate = calls * NODE_CORES / cpu if cpu else 0
        rows.append([LABELS[contender], f"{calls:g} ({reads:g} R / {writes:g} W)", f"{FLEET_TOTAL * calls:,.0f}",
                     f"{cpu:.2f} s", f"{(intercept + FLEET_TOTAL * slope) / 3600:.1f} h",
                     f"{FLEET_TOTAL * cpu / 3600:.1f} h", f"{node_hours:.2f} h", f"{rate:.0f}/s"])
    if not rows:
        return "No fleet figures measured."
    out = [
        f"Per-host figures from N={largest} (wall-time fit over N = {', '.join(map(str, sizes))}), extrapolated "
        f"linearly to {FLEET_TOTAL:,} workstations with one IAM user each. Controller CPU is the capacity figure: "
        f"a controller cannot go faster than total CPU / cores, whatever the forks (forks only need to be at least "
        f"about twice the cores to keep them busy). The last two columns assume one {NODE_CORES}-core execution node "
        "running flat out:\n",
        _table(["Contender", "IAM calls per host", f"IAM calls, {FLEET_TOTAL:,} hosts", "controller CPU per host",
                "wall, forks 5, this machine", "controller CPU total", f"time on {NODE_CORES} cores",
                f"IAM calls/s on {NODE_CORES} cores"], rows),
        "",
        "- **IAM users.** One IAM user per workstation means 5,000 IAM users, the default number of IAM users per AWS "
        f"account in the IAM quotas ({SOURCES['iam_quotas']}): a fleet this size needs several accounts, shared "
        "users (the role converges hosts that share a user on one key) or IAM Identity Center "
        "(`workstation_sso_sessions`: short-lived credentials, no access keys, no IAM calls).",
        "- **IAM rate limits.** AWS publishes no fixed requests-per-second figure for IAM: IAM and STS throttle each "
        "API with token buckets whose size and refill rate depend on the API, every caller in the account (console, "
        f"CLI, other automation) draws from them, and the rate quotas cannot be raised ({SOURCES['throttling_blog']}; "
        f"{SOURCES['throttling_repost']}). What a fleet run can control is how many calls it makes and how fast: "
        "amazon.aws retries throttled calls with jittered backoff, so a too-fast run slows down rather than fails, "
        "but it also slows every other IAM user of the account. Writes (CreateAccessKey, TagUser, UpdateAccessKey, "
        "DeleteAccessKey) are the calls to keep rare; a converged re-run should make none. The role makes the IAM "
        "calls of a batch of workstations in one `iam_access_key` run on the controller, "
        "`workstation_iam_concurrency` (default 4) IAM users at a time, so that setting, not the forks, bounds its "
        "IAM call rate.",
    ]
    setup = facts.get("setup_first")
    if setup and setup["cpu"]:
        out.append(
            "- **Forks, nodes, AWX / Automation Platform.** With local connection the workstation-side module runs are "
            "counted in the controller CPU above; over SSH they run on the workstations instead, and each task adds an "
            "SSH round trip per host (wall time, little controller CPU). Job slicing splits the inventory into S "
            f"slices that run as separate jobs on S execution nodes: {FLEET_TOTAL:,} first runs at "
            f"{setup['cpu']:.2f} CPU-s per host take about "
            + ", ".join(f"{FLEET_TOTAL * setup['cpu'] / (s * NODE_CORES) / 60:.0f} min (S={s})" for s in (1, 4, 10))
            + f" on {NODE_CORES}-core nodes, and the IAM call rate grows S-fold "
            f"(~{setup['calls'] * NODE_CORES / setup['cpu']:.0f}/s per node). `run_once` tasks run once per slice, "
            "so all hosts that share an IAM user must land in the same slice; a shared IAM user split across slices "
            "would get one key per slice."
        )
    first, comp, rerun = facts.get("setup_first"), facts.get("composition_1"), facts.get("setup_rerun")
    if first and comp and rerun:
        out.append(
            f"- **Versus today's composition.** A composition run costs {FLEET_TOTAL * comp['calls']:,.0f} IAM calls "
            f"({FLEET_TOTAL * comp['writes']:,.0f} writes) and leaves a new key per user every time - the third run "
            f"fails on the 2-key limit. devkeys.aws costs {FLEET_TOTAL * first['calls']:,.0f} calls "
            f"({FLEET_TOTAL * first['writes']:,.0f} writes) once, then {FLEET_TOTAL * rerun['calls']:,.0f} calls "
            f"({FLEET_TOTAL * rerun['writes']:,.0f} writes) for each converged re-run."
        )
    return "\n".join(out)


def _restarts_note(results):
    restarted = sorted({(r["hosts"], r["contender"]) for r in results.get("fleet_runs", []) if r.get("backend_restarted") is not None})
    if not restarted:
        return ""
    return ("- moto_server died during the run (killed by other work on the machine) and was restarted; the affected "
            "group was measured again: " + ", ".join(f"N={n} {c}" for n, c in restarted) + ".\n")


def render(results, images, raw_path):
    """The whole report as Markdown; ``images`` maps chart names to paths relative to the document."""
    rounds = results["config"]["fleet_rounds"]
    mode_note = (
        "" if results["mode"] == "full" else
        "> **Smoke run** (`make bench-smoke`): tiny sizes, one round; the figures only prove the benchmark runs. "
        "Targets are shown but are not meaningful at these sizes.\n\n"
    )
    problems = results.get("problems") or []
    parts = [
        "# Benchmarks",
        "",
        "<!-- Generated by `make bench` (bench/run.py); edit bench/report.py, not this file. -->",
        "",
        mode_note + "How long a platform team waits for `playbooks/setup-dev.yml` across its fleet, how many IAM calls "
        "it spends, and how the `~/.aws` file editor scales - each measured side by side with a floor and with what "
        "people use today, in the same run.",
        "",
        "## Machine and method",
        "",
        _machine_section(results),
        "",
        f"- Fleet: simulated workstations are local-connection hosts, each with its own sandbox home "
        f"(`workstation_home`) and its own IAM user in a real moto_server; every AWS call goes through the harness's "
        f"counting proxy. Forks = 5 for every contender. Rounds per fleet size: "
        f"{', '.join(f'N={n}: {r}' for n, r in rounds.items())} (fewer at the larger sizes keep `make bench` under "
        "~25 minutes on 2 cores); each figure is the median over rounds. In every "
        "round each contender starts from a fresh state (empty homes, IAM users without keys), and the contenders' "
        "order rotates from round to round. Every run has `ansible.posix.profile_tasks` enabled (the same "
        "small cost for all) to say which tasks cost what. Today's composition runs three times in a row in the "
        f"first round at N={', '.join(map(str, results['config']['repeat_composition_at'])) or '-'} only (its second "
        "run costs as much as the first).",
        f"- Editor: each measurement is a fresh subprocess (imports not timed); a fresh copy of the file per edit; "
        f"{results['config']['editor_rounds']} interleaved round(s) of up to {editor_scaling.MAX_REPS} edits each "
        f"(as many as fit in {editor_scaling.TIME_BUDGET_S:g} s, at least one); time = median over all edits of "
        "the CPU time of the editing process (`process_time`: the edit's own cost, which other work on the "
        "machine does not inflate the way it inflates wall time; the wall time ratio is shown too); memory = "
        "tracemalloc peak of one edit in the first round (Python "
        "allocations, including the file text itself). Files live in RAM (/dev/shm) so disk noise from other work on "
        "the machine stays out of a comparison of CPU work; the editors write plainly (no fsync, no rename) - the "
        "module's atomic write costs the same whatever the editor.",
        _restarts_note(results)
        + "- The machine is shared (2 cores, other engineers' test runs): absolute seconds are noisy; ratios measured "
        "in the same round are the figures to trust. Raw results: `" + str(raw_path) + "` (git-ignored).",
        "",
        "## Targets",
        "",
        _targets_section(results),
        "",
        "### Module runs per host: what the fleet targets can reach",
        "",
        "Ansible's cost per host is mostly one worker and one module run per task (a Python start on the host or the "
        "controller). Per host, the **floor** runs 2 modules (one on the host, one delegated); **today's composition** "
        "runs 4 (three on the host, one delegated); **setup-dev.yml** runs 1 on a first run (the write; a workstation "
        "whose IAM users have no key yet is not read: it cannot hold one) and 1 on a converged re-run (the read; "
        "nothing differs, so nothing is written), plus steps without a module (argument check, the planner's note "
        "step, and the report step, which also fails a host that could not be configured) and skipped tasks. Its "
        "IAM work is not per host: per batch, on the "
        "controller, one `iam_access_key_info` run reads every IAM user's keys and tags over one connection, a few "
        "users at a time; only "
        "when the plan asks for something does one `iam_access_key` run with `batch` create or describe keys, and "
        "one more retire replaced keys. The cross-host decisions are the planner's `run_once` steps (pure Python). "
        "What a run costs once, whatever the fleet size (the intercept of the fit below), is larger for "
        "setup-dev.yml than for the composition: the batch's IAM runs are Python + boto3 starts that the other hosts "
        "wait for; the composition spreads its IAM work over the forks as per-host module runs. So the target "
        "against the composition is the cost of each extra workstation (the fit's slope), not the ratio at the "
        "smallest fleet.",
        "",
    ]
    if problems:
        parts += ["**Problems in this run** (crashes or nonsense - figures above may be incomplete):", ""]
        parts += [f"- {p}" for p in problems] + [""]
    parts += [
        "## Fleet converge",
        "",
        _fleet_sections(results),
        "",
    ]
    if "fleet" in images:
        parts += [f"![Fleet converge: time vs hosts]({images['fleet']})", ""]
    parts += [
        "### Where setup-dev.yml spends its time",
        "",
        _profile_section(results),
        "",
        "## Editor scaling",
        "",
        "One edit of a credentials file with N profiles (three lines each, a comment every tenth profile).",
        "",
        _editor_sections(results),
        "",
    ]
    if "editor" in images:
        parts += [f"![Editor: time and memory vs profiles]({images['editor']})", ""]
    parts += [
        f"## Scale on paper: {FLEET_TOTAL:,} workstations",
        "",
        _scale_section(results),
        "",
    ]
    return "\n".join(parts)


def write(results, document, img_dir, raw_path=""):
    """Write the charts and the Markdown report."""
    document = Path(document)
    document.parent.mkdir(parents=True, exist_ok=True)
    paths = charts(results, Path(img_dir))
    images = {name: Path(path).relative_to(document.parent).as_posix() if Path(path).is_relative_to(document.parent)
              else str(path) for name, path in paths.items()}
    document.write_text(render(results, images, raw_path), encoding="utf-8")


if __name__ == "__main__":
    data = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    data["targets"] = evaluate_targets(data)
    target_doc = REPO / "docs" / "benchmarks.md" if data["mode"] == "full" else Path(sys.argv[1]).parent / "benchmarks.md"
    write(data, target_doc, target_doc.parent / "img", raw_path=sys.argv[1])
