"""Editor scaling: one edit of a credentials file of 100 ... 100k profiles.

Contenders, all on the same generated file:

- ``devkeys``: our editor (module_utils/_aws_files.py) - read, one edit, write;
- ``awscli``: awscli's ``ConfigFileWriter.update_config`` (what ``aws configure
  set`` runs) - read, edit, write in place;
- ``botocore``: ``botocore.configloader.raw_config_parse`` - read and parse only
  (what every AWS CLI/SDK start pays);
- ``floor``: a bare read + ``splitlines()`` - no tool can do less.

Every measurement runs in its own subprocess (``--worker``): imports and a
warm-up edit of a small file are not timed, the file is copied fresh before
each repetition (not timed), repetitions are timed (as many as fit in
TIME_BUDGET_S, at least one) in CPU time (``process_time``: what the edit
costs, whatever else the shared machine runs) and wall time
(``perf_counter``) and, in the first round, one more
runs under ``tracemalloc`` for a clean peak of Python allocations. Rounds,
sizes and contenders are interleaved so CPU noise hits all alike.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(REPO / "tests"))

CONTENDERS = ("floor", "botocore", "awscli", "devkeys")
SCENARIOS = ("update", "add")
"""update: rotate the keys of the profile in the middle of the file; add: append a new profile."""

FULL_SIZES = (100, 1_000, 10_000, 100_000)
# Edits happen in RAM (tmpfs) where there is one, so disk noise from other work
# on the machine does not blur a comparison of CPU work.
SCRATCH_ROOT = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
SMOKE_SIZES = (100, 1_000)


MAX_REPS = 25
TIME_BUDGET_S = 1.0
"""A worker repeats the edit up to MAX_REPS times while within TIME_BUDGET_S (at least once)."""


def credentials_text(profiles):
    """A credentials file of ``profiles`` profiles, with a comment every tenth profile.

    Keys are clearly fake (EXAMPLE), generated here, never real.
    """
    parts = []
    for index in range(profiles):
        if index % 10 == 0:
            parts.append(f"# team {index // 10}: keys rotated by the platform team\n")
        parts.append(
            f"[dev-{index:06d}]\n"
            f"aws_access_key_id = AKIAEXAMPLE{index:09d}\n"
            f"aws_secret_access_key = example/secret/{index:09d}/EXAMPLEKEY+abcdefghij\n"
            "\n"
        )
    return "".join(parts)


def target_profile(profiles, scenario):
    if scenario == "update":
        return f"dev-{profiles // 2:06d}"
    return "dev-new"


NEW_VALUES = {
    "aws_access_key_id": "AKIAEXAMPLENEW000001",
    "aws_secret_access_key": "example/secret/new/EXAMPLEKEY+0123456789abcdef",
}


# --- the contenders: each does "one edit" (or the read it is compared with) of ``path``


def _floor(path, _profile):
    with open(path, encoding="utf-8") as handle:
        return handle.read().splitlines()


def _botocore(path, _profile):
    from botocore.configloader import raw_config_parse

    return raw_config_parse(path)


def _awscli(path, profile):
    from awscli.customizations.configure.writer import ConfigFileWriter

    values = dict(NEW_VALUES)
    values["__section__"] = profile
    ConfigFileWriter().update_config(values, path)


def _devkeys(path, profile):
    edit_file = _load_editor()
    with open(path, encoding="utf-8", newline="") as handle:
        text = handle.read()
    new_text = edit_file(text, "credentials", profile, NEW_VALUES, path=path).text
    with open(path, "w", encoding="utf-8", newline="") as handle:
        handle.write(new_text)


def _load_editor():
    """``edit_file`` of module_utils/_aws_files.py, imported from the working tree."""
    from harness.collection import collections_path

    if str(collections_path()) not in sys.path:
        sys.path.insert(0, str(collections_path()))
    from ansible_collections.devkeys.aws.plugins.module_utils._aws_files import edit_file

    return edit_file


OPERATIONS = {"floor": _floor, "botocore": _botocore, "awscli": _awscli, "devkeys": _devkeys}


def worker(contender, source, profile, memory):
    """Time fresh runs of one contender (see TIME_BUDGET_S), then, if ``memory``, one under tracemalloc; print JSON."""
    operation = OPERATIONS[contender]
    scratch = Path(tempfile.mkdtemp(prefix="devkeys-bench-editor-", dir=SCRATCH_ROOT))
    try:
        path = str(scratch / "credentials")
        Path(path).write_text(credentials_text(10), encoding="utf-8")
        operation(path, "dev-000005")  # warm-up on a small file: imports and first-use caches, not timed
        times, cpu_times = [], []
        budget = time.perf_counter() + TIME_BUDGET_S
        while not times or (len(times) < MAX_REPS and time.perf_counter() < budget):
            shutil.copyfile(source, path)
            started, cpu_started = time.perf_counter(), time.process_time()
            operation(path, profile)
            cpu_times.append(time.process_time() - cpu_started)
            times.append(time.perf_counter() - started)
        checked = _check(contender, path, profile)
        peak = None
        if memory:
            shutil.copyfile(source, path)
            tracemalloc.start()
            operation(path, profile)
            _current, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(json.dumps({"times": times, "cpu_times": cpu_times, "peak_bytes": peak, "checked": checked}))


def _check(contender, path, profile):
    """After an edit, botocore must read the new values (sanity, not timed)."""
    if contender not in ("awscli", "devkeys"):
        return True
    from botocore.configloader import raw_config_parse

    return raw_config_parse(path).get(profile, {}).get("aws_access_key_id") == NEW_VALUES["aws_access_key_id"]


def measure(contender, source, profile, memory):
    """Run one worker subprocess; return its JSON result."""
    proc = subprocess.run(
        [sys.executable, __file__, "--worker", contender, str(source), profile, "memory" if memory else "time"],
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"Failed to measure {contender} on {source}: {proc.stderr.strip()[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run(sizes, rounds, workdir, log=print):
    """Measure every contender on every size and scenario, ``rounds`` times, interleaved.

    Returns one record per (scenario, size, contender) with the raw times of all rounds.
    """
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    sources = {}
    for profiles in sizes:
        source = workdir / f"credentials-{profiles}"
        source.write_text(credentials_text(profiles), encoding="utf-8")
        sources[profiles] = source
    records = {}
    for round_index in range(rounds):
        for scenario in SCENARIOS:
            for profiles in sizes:
                order = CONTENDERS[round_index % len(CONTENDERS):] + CONTENDERS[: round_index % len(CONTENDERS)]
                for contender in order:
                    if scenario == "add" and contender in ("floor", "botocore"):
                        continue  # read-only contenders: same as in "update"
                    profile = target_profile(profiles, scenario)
                    result = measure(contender, sources[profiles], profile, memory=round_index == 0)
                    record = records.setdefault(
                        (scenario, profiles, contender),
                        {
                            "scenario": scenario,
                            "profiles": profiles,
                            "contender": contender,
                            "file_bytes": sources[profiles].stat().st_size,
                            "times": [],
                            "cpu_times": [],
                            "round_medians": [],
                            "peak_bytes": 0,
                            "checked": True,
                        },
                    )
                    record["times"].extend(result["times"])
                    record["cpu_times"].extend(result["cpu_times"])
                    record["round_medians"].append(statistics.median(result["times"]))
                    if result["peak_bytes"] is not None:
                        record["peak_bytes"] = result["peak_bytes"]
                    record["checked"] = record["checked"] and result["checked"]
                    peak = f"peak {result['peak_bytes'] / 1e6:7.2f} MB" if result["peak_bytes"] is not None else ""
                    log(
                        f"  editor round {round_index + 1}/{rounds} {scenario:<6} {profiles:>7} profiles "
                        f"{contender:<8} {statistics.median(result['cpu_times']) * 1000:9.2f} ms CPU "
                        f"{statistics.median(result['times']) * 1000:9.2f} ms wall {peak}"
                    )
    for record in records.values():
        record["median_s"] = statistics.median(record["times"])
        record["median_cpu_s"] = statistics.median(record["cpu_times"])
    return list(records.values())


def profile_devkeys(profiles, workdir, top=15):
    """cProfile one devkeys edit of a ``profiles``-profile file; return the top functions as text."""
    import cProfile
    import io
    import pstats

    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / f"profiled-credentials-{profiles}"
    path.write_text(credentials_text(profiles), encoding="utf-8")
    _devkeys(str(path), target_profile(profiles, "update"))  # warm-up
    path.write_text(credentials_text(profiles), encoding="utf-8")
    profiler = cProfile.Profile()
    profiler.enable()
    _devkeys(str(path), target_profile(profiles, "update"))
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(top)
    return out.getvalue()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", nargs=4, metavar=("CONTENDER", "SOURCE", "PROFILE", "memory|time"))
    parser.add_argument("--sizes", type=int, nargs="+", default=list(FULL_SIZES))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", type=int, metavar="PROFILES", help="cProfile one devkeys edit and exit")
    args = parser.parse_args(argv)
    if args.worker:
        contender, source, profile, memory = args.worker
        worker(contender, source, profile, memory == "memory")
        return 0
    workdir = Path(tempfile.mkdtemp(prefix="devkeys-bench-editor-"))
    try:
        if args.profile:
            print(profile_devkeys(args.profile, workdir))
        else:
            print(json.dumps(run(args.sizes, args.rounds, workdir), indent=1))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
