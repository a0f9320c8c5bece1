"""Races an unprivileged account can run against a root run of aws_profile for it (issue 12).

A real attacker process runs as the throwaway account (race_attacker.py, a bounded loop) while one root
process calls aws_profile's entry point again and again (race_driver.py; at least 25 runs, up to 1000 or
15 s). A root-owned directory next to the account's home plays /etc. Pass: nothing below it is created,
changed, chmodded or chowned, and every run either succeeds on the account's own files or fails with a clear
"Failed to ..." message.

The driver imports the collection from a copy in a 0700 root-only directory (so the child that drops to the
account can import nothing), and the attacker and its interpreter are reachable by the account: the tests
work from any checkout location. DEVKEYS_RACE_CODE=<a collection root> runs them against other code (how
they were shown to fail on 064b0bc).
"""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from harness.paths import PYTHON, REPO

from .accounts import as_root_owned, as_user, copy_readable, needs_root, shared_dir, spawn_as_user, \
    throwaway_account, user_python

HERE = Path(__file__).resolve().parent
SECRET = "raceSecretValue0000EXAMPLE"
ATTACK_SECONDS = 20
DRIVER = {"runs_min": 25, "runs_max": 1000, "seconds": 15}


@pytest.fixture
def arena():
    """(base, account, attacker script, interpreter, private collections dir): the stage of one race."""
    needs_root()
    with shared_dir("devkeys-race-") as base, throwaway_account(base) as account:
        (attacker,) = copy_readable([HERE / "race_attacker.py"], base / "tools")
        private = base / "private"
        private.mkdir(mode=0o700)
        code = Path(os.environ.get("DEVKEYS_RACE_CODE") or REPO)
        target = private / "ansible_collections" / "devkeys" / "aws"
        for part in ("plugins", "meta"):
            shutil.copytree(code / part, target / part, ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copyfile(code / "galaxy.yml", target / "galaxy.yml")
        etc = base / "etc"
        etc.mkdir(mode=0o755)
        as_root_owned(etc / "motd", b"root's\n", 0o644)
        yield base, account, attacker, user_python(account), private


def _drive(private, job):
    proc = subprocess.run([PYTHON, str(HERE / "race_driver.py"), str(private), json.dumps(job)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _stop(attackers):
    swaps = 0
    for attacker in attackers:
        attacker.terminate()
        out, _err = attacker.communicate(timeout=30)
        swaps += int(out.strip() or 0)
    return swaps


def _module_args(account, home, extra=None):
    args = {"name": "dev", "aws_access_key_id": "FAKEKEYID{run}EXAMPLE", "aws_secret_access_key": SECRET,
            "region": "eu-west-1", "owner": account.pw_name, "credentials_file": f"{home}/.aws/credentials",
            "config_file": f"{home}/.aws/config"}
    args.update(extra or {})
    return args


def _record(figures, summary, attack, swaps, attackers):
    figures.record(
        load=f"{summary['runs']} runs of aws_profile's entry point as root for a throwaway account",
        faults=f"{attackers} attacker process(es) as the account: {attack}, {swaps} swaps in <= {ATTACK_SECONDS} s",
        bad_inputs=swaps,
        lost="nothing" if summary["escape_run"] is None else f"escape at run {summary['escape_run']}",
        attacks=summary["runs"], escapes=0 if summary["escape_run"] is None else 1,
        escape_run=summary["escape_run"], escaped=summary["escape"], succeeded=summary["succeeded"],
        failed_cleanly=summary["failed"] - len(summary["unclear"]), unclear=summary["unclear"],
        not_landed=summary["not_landed"], messages=summary["messages"],
    )


def _assert_held(summary, swaps):
    assert summary["escape_run"] is None, f"escaped at run {summary['escape_run']}: {summary['escape']}"
    assert summary["unclear"] == [] and summary["not_landed"] == [], summary
    assert summary["runs"] >= DRIVER["runs_min"] and swaps > 0, summary
    assert summary["succeeded"] > 0, summary  # the attack did not simply make every run fail
    assert SECRET not in json.dumps(summary)


@pytest.mark.slow
def test_symlink_swap_of_a_home_directory_never_reaches_a_root_directory(arena, figures):
    """Issue 12 item 1: ~/.aws and a symlink ~/swap -> the stand-in /etc swapped by renameat2(RENAME_EXCHANGE)
    in a loop. Fails on 064b0bc: within 41 to 187 runs (5 attempts: runs 59, 187, 131, 41, 68) credentials and
    .credentials.lock (owned by the account; config and .config.lock too) were created in the stand-in /etc (the
    path was checked, then resolved again), and some runs crashed (OSError from realpath)."""
    base, account, attacker, python, private = arena
    home = Path(account.pw_dir)
    assert as_user(account, ["mkdir", "-m", "700", str(home / ".aws")]).returncode == 0
    assert as_user(account, ["ln", "-s", str(base / "etc"), str(home / "swap")]).returncode == 0
    job = dict(DRIVER, args=_module_args(account, home), watch=[str(base / "etc")], home=str(home),
               real_inode=os.lstat(home / ".aws").st_ino)
    attackers = [spawn_as_user(account, [python, str(attacker), "exchange", str(home / ".aws"), str(home / "swap"),
                                         str(ATTACK_SECONDS)], stdout=subprocess.PIPE, text=True)]
    try:
        summary = _drive(private, job)
    finally:
        swaps = _stop(attackers)
    _record(figures, summary, "renameat2(RENAME_EXCHANGE) of ~/.aws and ~/swap -> stand-in /etc", swaps, 1)
    _assert_held(summary, swaps)


@pytest.mark.slow
def test_aws_directory_creation_race_never_chmods_a_file_of_the_attackers_choice(arena, figures):
    """Issue 12 item 3: one attacker per CPU, woken by inotify when ~/.aws is created, moves it aside and puts a
    symlink ~/.aws -> a root-owned 0644 file of the stand-in /etc in its place. Fails on 064b0bc: run 1 or 2
    (5 attempts: runs 1, 2, 1, 1, 1) chmodded the victim 0700 (mkdir, then chmod by path)."""
    base, account, attacker, python, private = arena
    home = Path(account.pw_dir)
    victim = as_root_owned(base / "etc" / "victim", b"root's\n", 0o644)
    job = dict(DRIVER, args=_module_args(account, home), watch=[str(base / "etc")], home=str(home),
               reset=[".aws"])
    count = os.cpu_count() or 1
    attackers = [spawn_as_user(account, [python, str(attacker), "inotify", str(home), ".aws", str(victim),
                                         str(ATTACK_SECONDS)], stdout=subprocess.PIPE, text=True)
                 for _cpu in range(count)]
    try:
        _wait_for_watches(attackers)
        summary = _drive(private, job)
    finally:
        swaps = _stop(attackers)
    _record(figures, summary, "inotify-woken move of the new ~/.aws and a symlink to a root-owned file", swaps,
            count)
    _assert_held(summary, swaps)


def _wait_for_watches(attackers):
    """The attackers are ready once their interpreter started and set its inotify watch (well under a second)."""
    for attacker in attackers:
        assert attacker.poll() is None, "an attacker died at start"
    subprocess.run(["sleep", "1"], check=False)
