"""Run tasks and playbooks through real ``ansible-playbook`` processes."""

import json
import os
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from harness.collection import collections_path
from harness.paths import CALLBACK_PLUGINS, HARNESS, PYTHON, REPO, base_path_env, venv_tool


@dataclass
class AnsibleRun:
    """What one ansible-playbook process did."""

    rc: int
    stdout: str
    stderr: str
    recap: dict
    results: list
    custom: dict = field(default_factory=dict)

    @property
    def output(self):
        return self.stdout + self.stderr

    def result(self, task=None, host=None):
        """The last recorded result of ``task`` (a task name) on ``host``."""
        for entry in reversed(self.results):
            if (task is None or entry["task"] == task) and (host is None or entry["host"] == host):
                return entry["result"]
        raise KeyError(f"no result for task {task!r} on host {host!r}")

    def published(self, host="localhost"):
        """Values a run published with set_stats (per host), e.g. registered secrets."""
        return self.custom.get(host, {})

    def changed(self, host=None):
        hosts = [host] if host else list(self.recap)
        return sum(self.recap[h]["changed"] for h in hosts)

    def assert_ok(self):
        assert self.rc == 0, f"ansible-playbook failed rc={self.rc}\n{self.output[-6000:]}"
        return self


def ansible_env(home, extra=None):
    """Environment of an ansible-playbook process sandboxed in ``home``."""
    home = Path(home)
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("ANSIBLE_", "AWS_", "MOLECULE_"))
    }
    env.update(
        {
            "HOME": str(home),
            "PATH": base_path_env(),
            "ANSIBLE_COLLECTIONS_PATH": str(collections_path()),
            "ANSIBLE_CONFIG": str(HARNESS / "ansible.cfg"),
            "ANSIBLE_HOME": str(home / ".ansible"),
            "ANSIBLE_LOCAL_TEMP": str(home / ".ansible" / "tmp"),
            "ANSIBLE_REMOTE_TMP": str(home / ".ansible" / "tmp"),
            "ANSIBLE_CALLBACK_PLUGINS": str(CALLBACK_PLUGINS),
            "ANSIBLE_CALLBACKS_ENABLED": "devkeys_recorder",
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_RETRY_FILES_ENABLED": "0",
            "ANSIBLE_HOST_KEY_CHECKING": "0",
            "ANSIBLE_PYTHON_INTERPRETER": PYTHON,
            "ANSIBLE_DEPRECATION_WARNINGS": "0",
            "ANSIBLE_ROLES_PATH": str(REPO / "roles"),
        }
    )
    env.update(extra or {})
    return env


def local_inventory(path, hosts=("localhost",), host_vars=None):
    """Write an inventory of local-connection hosts, each with optional vars."""
    host_vars = host_vars or {}
    inventory = {
        "all": {
            "hosts": {
                name: dict({"ansible_connection": "local", "ansible_python_interpreter": PYTHON}, **host_vars.get(name, {}))
                for name in hosts
            }
        }
    }
    Path(path).write_text(yaml.safe_dump(inventory), encoding="utf-8")
    return str(path)


def run_playbook(playbook, home, inventory=None, extra_vars=None, env=None, args=(), timeout=900):
    """Run ``playbook`` (a path, or a list of plays to write out) and collect what happened."""
    home = Path(home)
    home.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="run-", dir=home.parent))
    if not isinstance(playbook, (str, Path)):
        path = work / "playbook.yml"
        path.write_text(yaml.safe_dump(playbook, sort_keys=False), encoding="utf-8")
        playbook = path
    if inventory is None:
        inventory = local_inventory(work / "inventory.yml")
    record = work / "record.json"
    command = [venv_tool("ansible-playbook"), "-i", str(inventory), str(playbook)]
    if extra_vars:
        vars_file = work / "extra_vars.json"
        vars_file.write_text(json.dumps(extra_vars), encoding="utf-8")
        command += ["-e", f"@{vars_file}"]
    command += list(args)
    proc_env = ansible_env(home, env)
    proc_env["DEVKEYS_RECORDER_FILE"] = str(record)
    proc = subprocess.run(
        command,
        env=proc_env,
        cwd=str(work),
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    data = json.loads(record.read_text(encoding="utf-8")) if record.exists() else {}
    return AnsibleRun(
        rc=proc.returncode,
        stdout=proc.stdout,
        stderr=proc.stderr,
        recap=data.get("recap", {}),
        results=data.get("results", []),
        custom=data.get("custom", {}),
    )


def task_play(module, module_args, hosts="localhost", publish=False, task_extra=None, play_extra=None):
    """One play with one task of ``module``; ``publish`` also publishes the registered result."""
    task = {"name": "task under test", module: module_args, "register": "devkeys_result"}
    task.update(task_extra or {})
    tasks = [task]
    if publish:
        tasks.append(
            {
                "name": "publish result",
                "ansible.builtin.set_stats": {"data": {"result": "{{ devkeys_result }}"}, "per_host": True},
                "no_log": True,
            }
        )
    play = {"name": "devkeys test", "hosts": hosts, "gather_facts": False, "tasks": tasks}
    play.update(play_extra or {})
    return [play]


def run_task(module, module_args, home, publish=False, task_extra=None, play_extra=None, **kwargs):
    """Run one task through ansible-playbook; see ``run_playbook`` for the rest."""
    play = task_play(module, module_args, publish=publish, task_extra=task_extra, play_extra=play_extra)
    return run_playbook(play, home, **kwargs)
