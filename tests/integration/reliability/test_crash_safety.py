"""SIGKILL the editor at random points of its write: the file is always old or new, never torn."""

import json
import os
import random
import signal
import subprocess
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml

from harness.ansible import ansible_env, local_inventory, run_task
from harness.paths import PYTHON, venv_tool

from .helpers import read_aws_file
from .writer import aws_files

WRITER = Path(__file__).with_name("writer.py")
KILLS = 200
EDITS_PER_PROCESS = 8
PLAYBOOK_KILLS = 5
STAGES = {b"": "forked, not started", b"S": "started, before the lock", b"L": "locked, reading", b"R": "editing", b"W": "writing", b"D": "between edits"}


def _base_file(profiles):
    return "".join(
        f"[p{i}]\naws_access_key_id = FAKEKEYID{i:07d}EXAMPLE\naws_secret_access_key = fakeBaseSecret{i:026d}\n\n"
        for i in range(profiles))


def _leftovers(directory):
    return sorted(p for p in Path(directory).iterdir()
                  if p.name.startswith(".credentials.") and not p.name.endswith(".lock"))


def _kill_loop(aws_dir, seed, runs):
    """``runs`` forked writers on ``aws_dir``/credentials, each SIGKILLed at a random point; what was seen."""
    rng = random.Random(seed)
    path = aws_dir / "credentials"
    seen = {"stages": Counter(), "problems": [], "leftover_secrets": set(), "states": 0}
    current = path.read_text()
    server = subprocess.Popen(  # pylint: disable=consider-using-with
        [PYTHON, str(WRITER), "--serve"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        for run in runs:
            start_text = current
            values = {"aws_access_key_id": f"FAKEKEYID{run:04d}EXAMPLE",
                      "aws_secret_access_key": f"crashSecret{run:04d}x"}
            marks = aws_dir.parent / f"marks-{run}"
            server.stdin.write(json.dumps({"marks": str(marks), "args": [
                str(path), "credentials", "dev", json.dumps(values), str(EDITS_PER_PROCESS)]}) + "\n")
            server.stdin.flush()
            pid = int(server.stdout.readline())
            time.sleep(rng.uniform(0.0, 0.15))
            _kill_and_wait(pid)
            progress = marks.read_bytes() if marks.exists() else b""
            finished = progress.count(b"D") == EDITS_PER_PROCESS
            seen["stages"]["finished before the kill" if finished else STAGES.get(progress[-1:], "?")] += 1
            current = path.read_text()
            first = _values_suffixed(values, 0)
            template = aws_files.edit_file(start_text, "credentials", "dev", first).text
            allowed = {start_text} | {_substitute(template, first, _values_suffixed(values, i))
                                      for i in range(EDITS_PER_PROCESS)}
            if current not in allowed:
                seen["problems"].append(f"run {run}: the file is neither the old nor a new content")
            if current != start_text:
                seen["states"] += 1
                read_aws_file(path)  # botocore reads every state we left
            if path.stat().st_mode & 0o077:
                seen["problems"].append(f"run {run}: mode {oct(path.stat().st_mode)}")
            for leftover in _leftovers(aws_dir):
                if b"crashSecret" in leftover.read_bytes():
                    seen["leftover_secrets"].add(leftover.name)
    finally:
        server.stdin.close()
        server.wait(timeout=30)
    return seen


def _kill_and_wait(pid):
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.002)


@pytest.mark.slow
def test_sigkill_during_the_write_path(tmp_path, figures):
    """Two files, 100 kills each in parallel (200 in all), then the real module runs on each once more."""
    dirs = []
    for number in range(2):
        aws_dir = tmp_path / f"home{number}" / ".aws"
        aws_dir.mkdir(mode=0o700, parents=True)
        (aws_dir / "credentials").write_text(_base_file(1000))
        (aws_dir / "credentials").chmod(0o600)
        dirs.append(aws_dir)
    with ThreadPoolExecutor(max_workers=2) as pool:
        seen = list(pool.map(lambda n: _kill_loop(dirs[n], 20260406 + n, range(n, KILLS, 2)), range(2)))
    stages = sum((s["stages"] for s in seen), Counter())
    problems = [p for s in seen for p in s["problems"]]
    left_after_kills = sum(len(_leftovers(d)) for d in dirs)

    # the next run of the real module must leave no temp file holding a secret
    next_runs = [_module_run(d.parent, d / "credentials", {"aws_access_key_id": "FAKEKEYIDNEXTEXAMPLE",
                                                           "aws_secret_access_key": "nextRunSecretValue"})
                 for d in dirs]
    remaining = [p.name for d in dirs for p in _leftovers(d) if b"crashSecret" in p.read_bytes()]
    size = (dirs[0] / "credentials").stat().st_size
    figures.record(
        load=f"{KILLS} editor processes (forked by a writer server, 2 files in parallel), {EDITS_PER_PROCESS} locked edits each of a "
             f"{size // 1024} KiB file",
        faults=f"SIGKILL a random 0-150 ms after the fork: killed while {dict(stages)}",
        bad_inputs=0,
        lost=(f"{len(problems)} torn or wrong files, {len(remaining)} temp files with a secret left after the next "
              f"module run ({left_after_kills} temp files right after the kills)"),
        states_checked_with_botocore=sum(s["states"] for s in seen),
        temp_files_with_secret_after_kills=sum(len(s["leftover_secrets"]) for s in seen),
    )
    assert problems == [], problems[:10]
    assert stages["writing"] > 0, stages
    for run in next_runs:
        run.assert_ok()
    assert remaining == [], f"temp files holding a secret survive the next run: {remaining}"


def _descendants(root):
    """PIDs of ``root`` and every process below it (Ansible workers call setsid: a process group is not enough)."""
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", encoding="utf-8") as handle:
                    parent = int(handle.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def _kill_tree(root):
    """Freeze the whole tree first, then SIGKILL it: every process dies at the same point of its work."""
    pids = _descendants(root)
    for sig in (signal.SIGSTOP, signal.SIGKILL):
        for pid in pids:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass


def _substitute(text, old, new):
    """``text`` with each value of ``old`` replaced by the same key's value in ``new`` (values are unique)."""
    for key, value in old.items():
        text = text.replace(value, new[key])
    return text


def _values_suffixed(values, index):
    return {key: f"{value}-{index}" for key, value in values.items()}


def _module_run(tmp_path, path, credentials):
    return run_task("devkeys.aws.aws_profile", dict(name="dev", credentials_file=str(path),
                                                    config_file=str(path.with_name("config")), **credentials),
                    tmp_path / "ansible-home")


@pytest.mark.slow
def test_sigkill_ansible_playbook_mid_write(tmp_path, figures):
    rng = random.Random(7)
    home = tmp_path / "home"
    aws_dir = home / ".aws"
    aws_dir.mkdir(parents=True, mode=0o700)
    path = aws_dir / "credentials"
    path.write_text(_base_file(300))
    path.chmod(0o600)
    work = tmp_path / "work"
    work.mkdir()
    inventory = local_inventory(work / "inventory.yml")
    playbook = work / "playbook.yml"
    playbook.write_text(yaml.safe_dump([{
        "hosts": "localhost", "gather_facts": False,
        "tasks": [{
            "name": "rewrite the profile again and again",
            "devkeys.aws.aws_profile": {
                "name": "dev", "credentials_file": str(path), "config_file": str(aws_dir / "config"),
                "aws_access_key_id": "FAKEKEYID{{ '%04d' | format(item) }}EXAMPLE",
                "aws_secret_access_key": "playbookSecret{{ '%04d' | format(item) }}x",
                "region": "eu-west-{{ item % 3 + 1 }}",
            },
            "loop": "{{ range(40) | list }}", "no_log": True,
        }],
    }]))
    problems, killed_after = [], []
    for attempt in range(PLAYBOOK_KILLS):
        env = ansible_env(home)
        proc = subprocess.Popen(  # pylint: disable=consider-using-with
            [venv_tool("ansible-playbook"), "-i", inventory, str(playbook)], env=env, cwd=str(work),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        delay = rng.uniform(2.0, 6.0)
        time.sleep(delay)
        killed_after.append(round(delay, 2))
        _kill_tree(proc.pid)
        proc.wait()
        credentials = read_aws_file(path)
        dev = credentials.get("dev")
        if dev is not None:
            number = dev["aws_access_key_id"][9:13]
            if dev["aws_secret_access_key"] != f"playbookSecret{number}x":
                problems.append(f"kill {attempt}: key ID and secret of profile dev come from different writes")
        if len(credentials) not in (300, 301):
            problems.append(f"kill {attempt}: {len(credentials)} profiles instead of 301")
    left = [p.name for p in _leftovers(aws_dir) if b"playbookSecret" in p.read_bytes()]
    final = _module_run(tmp_path, path, {"aws_access_key_id": "FAKEKEYIDLASTEXAMPLE",
                                         "aws_secret_access_key": "lastSecretValue00"})
    remaining = [p.name for p in _leftovers(aws_dir) if b"Secret" in p.read_bytes()]
    figures.record(
        load=f"{PLAYBOOK_KILLS} ansible-playbook runs of a 40-write loop on a 301-profile file",
        faults=f"SIGSTOP+SIGKILL of ansible-playbook and every process below it after {killed_after} s",
        bad_inputs=0,
        lost=f"{len(problems)} torn files, {len(remaining)} temp files with a secret after the next run",
        temp_files_with_secret_after_kills=len(left),
    )
    assert problems == []
    final.assert_ok()
    assert read_aws_file(path)["dev"]["aws_access_key_id"] == "FAKEKEYIDLASTEXAMPLE"
    assert remaining == []
