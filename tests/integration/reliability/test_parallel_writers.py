"""50+ concurrent writers on one credentials/config pair: no lost update, always parseable."""

import configparser
import hashlib
import json
import stat
import subprocess
import threading
import time
from pathlib import Path

import pytest

from harness.ansible import local_inventory, run_playbook
from harness.paths import PYTHON

from .helpers import read_aws_file
from .writer import aws_files

WRITER = Path(__file__).with_name("writer.py")
START_CREDENTIALS = "# shared by the team\n[default]\naws_access_key_id = FAKEKEYIDBASE0EXAMPLE\naws_secret_access_key = baseSecret0000\n"
START_CONFIG = "[default]\nregion = us-east-1\n\n[profile shared]\noutput = json\ns3 =\n  addressing_style = path\n"


class Watcher(threading.Thread):
    """Reads both files every few ms while the writers run; every version seen must parse and stay private."""

    def __init__(self, paths):
        super().__init__(daemon=True)
        self.paths = paths
        self.stop = threading.Event()
        self.versions = 0
        self.problems = []
        self._seen = set()

    def run(self):
        while not self.stop.is_set():
            for path in self.paths:
                self._check(path)
            time.sleep(0.003)

    def _check(self, path):
        try:
            data = path.read_bytes()
            mode = stat.S_IMODE(path.stat().st_mode)
        except FileNotFoundError:
            self.problems.append(f"{path.name} missing for a moment")
            return
        digest = hashlib.sha1(data).digest()
        if digest in self._seen:
            return
        self._seen.add(digest)
        self.versions += 1
        parser = configparser.RawConfigParser()
        try:
            parser.read_string(data.decode("utf-8"))
        except (configparser.Error, UnicodeDecodeError) as exc:
            self.problems.append(f"{path.name}: a version does not parse: {exc}")
        if path.name == "credentials" and mode & 0o077:
            self.problems.append(f"credentials mode {mode:04o}")


def _serial(edits):
    """The files after applying ``edits`` [(kind, profile, values)] one after the other."""
    texts = {"credentials": START_CREDENTIALS, "config": START_CONFIG}
    for kind, profile, values in edits:
        texts[kind] = aws_files.edit_file(texts[kind], kind, profile, values).text
    return texts


def _compare(aws_dir, expected, tmp_path):
    """Profiles botocore reads now vs after a serial application; names of the profiles that differ."""
    lost = []
    for kind in ("credentials", "config"):
        want_path = tmp_path / f"expected-{kind}"
        want_path.write_text(expected[kind])
        want, got = read_aws_file(want_path), read_aws_file(aws_dir / kind)
        lost += [f"{kind}[{name}]" for name in sorted(set(want) | set(got)) if want.get(name) != got.get(name)]
    return lost


def _start(aws_dir):
    aws_dir.mkdir(mode=0o700, parents=True)
    (aws_dir / "credentials").write_text(START_CREDENTIALS)
    (aws_dir / "credentials").chmod(0o600)
    (aws_dir / "config").write_text(START_CONFIG)
    (aws_dir / "config").chmod(0o600)
    watcher = Watcher([aws_dir / "credentials", aws_dir / "config"])
    watcher.start()
    return watcher


def _temp_files(aws_dir):
    return sorted(p.name for p in aws_dir.iterdir() if p.name.startswith(".") and not p.name.endswith(".lock"))


@pytest.mark.slow
def test_fifty_forks_of_one_playbook(tmp_path, figures):
    home = tmp_path / "home"
    aws_dir = home / ".aws"
    hosts, host_vars, edits = [], {}, []
    for i in range(50):
        name = f"h{i:02d}"
        hosts.append(name)
        if i < 40:  # distinct profiles
            profile, secret = f"p{i:02d}", f"forkSecret{i:04d}"
            wanted = {"profile": profile, "key_id": f"FAKEKEYID{i:04d}EXAMPLE", "secret": secret,
                      "settings": {"region": f"eu-west-{i % 3 + 1}"}}
            edits += [("credentials", profile, {"aws_access_key_id": wanted["key_id"], "aws_secret_access_key": secret}),
                      ("config", profile, wanted["settings"])]
        else:  # the same profile, a distinct setting each, the same key
            wanted = {"profile": "shared", "key_id": "FAKEKEYIDSHAREDEXAMPLE", "secret": "sharedSecret0000",
                      "settings": {f"setting_{i}": f"value{i}"}}
            edits += [("credentials", "shared", {"aws_access_key_id": wanted["key_id"],
                                                 "aws_secret_access_key": wanted["secret"]}),
                      ("config", "shared", wanted["settings"])]
        host_vars[name] = {"want": wanted}
    inventory = local_inventory(tmp_path / "inventory.yml", hosts=hosts, host_vars=host_vars)
    play = [{
        "hosts": "all", "gather_facts": False,
        "tasks": [{"name": "write my profile", "no_log": True, "devkeys.aws.aws_profile": {
            "name": "{{ want.profile }}", "aws_access_key_id": "{{ want.key_id }}",
            "aws_secret_access_key": "{{ want.secret }}", "settings": "{{ want.settings }}",
            "credentials_file": str(aws_dir / "credentials"), "config_file": str(aws_dir / "config")}}],
    }]
    watcher = _start(aws_dir)
    started = time.monotonic()
    run = run_playbook(play, tmp_path / "controller", inventory=inventory, args=["-f", "50"])
    seconds = time.monotonic() - started
    watcher.stop.set()
    watcher.join()
    watcher._check(aws_dir / "credentials")  # pylint: disable=protected-access
    lost = _compare(aws_dir, _serial(edits), tmp_path)
    figures.record(
        load=f"50 hosts (forks 50) of one playbook, 1 file pair, 40 distinct profiles + 10 writers of one profile, "
             f"{seconds:.0f} s",
        faults="none (contention only)",
        bad_inputs=0,
        lost=f"{len(lost)} profiles differ from a serial application, {len(watcher.problems)} unparseable or "
             f"loose versions" if lost or watcher.problems else "nothing",
        versions_observed=watcher.versions,
        differing=lost[:10], watcher_problems=watcher.problems[:10], leftover=_temp_files(aws_dir),
    )
    run.assert_ok()
    assert watcher.problems == []
    assert lost == []
    assert _temp_files(aws_dir) == []


@pytest.mark.slow
def test_fifty_separate_processes_and_playbooks(tmp_path, figures):
    aws_dir = tmp_path / "home" / ".aws"
    jobs, edits = [], []
    for i in range(30):
        values = {"aws_access_key_id": f"FAKEKEYID{i:04d}EXAMPLE", "aws_secret_access_key": f"procSecret{i:04d}"}
        jobs.append(("credentials", f"proc{i:02d}", values))
    for i in range(20):
        jobs.append(("config", "shared", {f"setting_{i}": f"v{i}"}))
    edits += jobs
    playbook_profiles = [f"play{n}" for n in range(3)]
    for profile in playbook_profiles:
        edits += [("credentials", profile, {"aws_access_key_id": "FAKEKEYIDPLAYBOEXAMPLE",
                                            "aws_secret_access_key": "playSecret0000"}),
                  ("config", profile, {"region": "ap-south-1"})]
    watcher = _start(aws_dir)
    started = time.monotonic()
    procs = [subprocess.Popen(  # pylint: disable=consider-using-with
        [PYTHON, str(WRITER), str(aws_dir / kind), kind, profile, json.dumps(values)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for kind, profile, values in jobs]
    threads, runs = [], {}
    for profile in playbook_profiles:
        play = [{"hosts": "localhost", "gather_facts": False, "tasks": [{"devkeys.aws.aws_profile": {
            "name": profile, "aws_access_key_id": "FAKEKEYIDPLAYBOEXAMPLE", "aws_secret_access_key": "playSecret0000",
            "region": "ap-south-1", "credentials_file": str(aws_dir / "credentials"),
            "config_file": str(aws_dir / "config")}}]}]
        thread = threading.Thread(target=lambda p=profile, pl=play: runs.__setitem__(
            p, run_playbook(pl, tmp_path / f"controller-{p}")))
        thread.start()
        threads.append(thread)
    failures = [p.stderr.read().decode()[-300:] for p in procs if p.wait() != 0]
    for thread in threads:
        thread.join()
    seconds = time.monotonic() - started
    watcher.stop.set()
    watcher.join()
    lost = _compare(aws_dir, _serial(edits), tmp_path)
    figures.record(
        load=f"{len(jobs)} writer processes (module_utils write path) + {len(playbook_profiles)} concurrent "
             f"ansible-playbook runs on 1 file pair, 20 of them on one profile, {seconds:.0f} s",
        faults="none (contention only)",
        bad_inputs=0,
        lost=f"{len(lost)} profiles differ from a serial application, {len(watcher.problems)} unparseable or "
             f"loose versions" if lost or watcher.problems else "nothing",
        versions_observed=watcher.versions,
        differing=lost[:10], watcher_problems=watcher.problems[:10], writer_failures=failures[:5],
    )
    assert failures == []
    for run in runs.values():
        run.assert_ok()
    assert watcher.problems == []
    assert lost == []
    assert _temp_files(aws_dir) == []
