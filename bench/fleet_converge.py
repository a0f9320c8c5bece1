"""Fleet converge: how long a fleet waits for its AWS keys, and how many IAM calls it costs.

Simulated workstations are local-connection hosts, each with its own sandbox
home (the role variable ``workstation_home``) and its own IAM user in a real
moto_server. Every AWS call goes through the harness's counting proxy
(tests/harness/aws_proxy.py), so IAM calls are counted by action. Every
contender runs with the same forks on the same inventory:

- ``floor``: bench/playbooks/floor.yml - one trivial call per host plus one
  delegated to the controller, the least any tool must do;
- ``setup_first`` / ``setup_rerun``: playbooks/setup-dev.yml on fresh hosts and
  fresh IAM users, then again on the converged fleet;
- ``composition_1`` (``_2``, ``_3``): bench/playbooks/composition.yml, today's
  hand-made iam_access_key + ini_file composition, from the same fresh state;
  run 3 times in the first round to record that it does not converge.

Every run has ansible.posix.profile_tasks enabled, so it also records the
seconds each task took (over all hosts).

Within a round the contenders' order rotates, so CPU noise from other work on
the machine hits all of them alike; figures are medians over rounds.
"""

import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(REPO / "tests"))

# pylint: disable=wrong-import-position
import yaml  # noqa: E402

from harness.ansible import run_playbook  # noqa: E402
from harness.aws_proxy import AwsProxy  # noqa: E402
from harness.moto import MotoServer  # noqa: E402
from harness.paths import PYTHON  # noqa: E402

FLOOR = BENCH / "playbooks" / "floor.yml"
COMPOSITION = BENCH / "playbooks" / "composition.yml"
SETUP_DEV = REPO / "playbooks" / "setup-dev.yml"
FORKS = 5
GROUPS = ("floor", "setup", "composition")
# Every contender runs with ansible.posix.profile_tasks (a few lines of output per
# task, the same for all) so each run also says which tasks cost what.
PROFILE_ENV = {
    "ANSIBLE_CALLBACKS_ENABLED": "devkeys_recorder,ansible.posix.profile_tasks",
    "PROFILE_TASKS_TASK_OUTPUT_LIMIT": "100",
}
ADMIN = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing", "region_name": "us-east-1"}


def host_name(index):
    return f"ws{index:03d}"


def iam_user(index):
    return f"bench-dev-{index:03d}"


def role_host_vars(index, home):
    """Variables of one simulated workstation, for the role and for the composition."""
    return {
        "workstation_home": str(home),
        "workstation_profiles": [{"name": "default", "iam_user": iam_user(index)}],
        "bench_iam_user": iam_user(index),
    }


def workstations_inventory(path, host_vars):
    """The group ``workstations`` (what setup-dev.yml targets) of local-connection hosts."""
    hosts = {
        name: dict({"ansible_connection": "local", "ansible_python_interpreter": PYTHON}, **variables)
        for name, variables in host_vars.items()
    }
    Path(path).write_text(yaml.safe_dump({"workstations": {"hosts": hosts}}), encoding="utf-8")
    return str(path)


class Fleet:
    """N sandbox workstations, their IAM users and the moto_server + counting proxy behind them."""

    def __init__(self, workdir):
        self.workdir = Path(workdir)
        self.moto = None
        self.proxy = None
        self.controller_home = self.workdir / "controller"
        self.hosts = 0
        self.inventory = None

    def start(self):
        """Start a moto_server and the counting proxy in front of it."""
        self.moto = MotoServer(log_path=str(self.workdir / "moto_server.log")).start()
        self.proxy = AwsProxy(self.moto.url).start()
        return self

    def stop(self):
        if self.proxy is not None:
            self.proxy.stop()
        if self.moto is not None:
            self.moto.stop()

    def backend_exit_code(self):
        """None while moto_server runs, else its exit code (a shared machine: other work may kill it)."""
        return self.moto.process.poll()

    def restart_backend(self):
        self.stop()
        self.start()

    def iam(self):
        import boto3

        return boto3.client("iam", endpoint_url=self.moto.url, **ADMIN)

    def reset(self, hosts):
        """Fresh state for ``hosts`` workstations: empty homes, new IAM users without keys."""
        self.hosts = hosts
        homes = self.workdir / "homes"
        shutil.rmtree(homes, ignore_errors=True)
        shutil.rmtree(self.controller_home, ignore_errors=True)
        self.controller_home.mkdir(parents=True)
        self.moto.reset()
        client = self.iam()
        host_vars = {}
        for index in range(1, hosts + 1):
            home = homes / host_name(index)
            home.mkdir(parents=True)
            client.create_user(UserName=iam_user(index))
            host_vars[host_name(index)] = role_host_vars(index, home)
        self.inventory = workstations_inventory(self.workdir / f"inventory-{hosts}.yml", host_vars)

    def run(self, contender, playbook):
        """One ansible-playbook run over the fleet; wall time, recap and AWS calls by action."""
        self.proxy.reset()
        env = self.proxy.env(self.moto.env())
        env.update(PROFILE_ENV)
        cpu_before = _children_cpu()
        started = time.perf_counter()
        result = run_playbook(str(playbook), self.controller_home, inventory=self.inventory, env=env, args=["--forks", str(FORKS)])
        wall = time.perf_counter() - started
        cpu = _children_cpu() - cpu_before
        counts = self.proxy.counts()
        failed = sorted({(e["task"], e["status"]) for e in result.results if e["status"] in ("failed", "unreachable")})
        return {
            "contender": contender,
            "hosts": self.hosts,
            "forks": FORKS,
            "wall_s": wall,
            "cpu_s": cpu,
            "rc": result.rc,
            "ok": result.rc == 0,
            "recap": result.recap,
            "changed_hosts": sum(1 for stats in result.recap.values() if stats.get("changed")),
            "failed_hosts": sum(1 for stats in result.recap.values() if stats.get("failures") or stats.get("unreachable")),
            "failed_tasks": [f"{task} ({status})" for task, status in failed],
            "fact_gathering": sum(1 for e in result.results if e["task"] == "Gathering Facts"),
            "task_seconds": parse_profile_tasks(result.stdout),
            "aws_calls": counts,
            "tail": "" if result.rc == 0 else result.output[-3000:],
        }

    def key_census(self):
        """Access keys per IAM user after a run: {"users": n, "active": [...], "inactive": [...]}."""
        client = self.iam()
        active, inactive = [], []
        for index in range(1, self.hosts + 1):
            keys = client.list_access_keys(UserName=iam_user(index))["AccessKeyMetadata"]
            active.append(sum(1 for k in keys if k["Status"] == "Active"))
            inactive.append(sum(1 for k in keys if k["Status"] != "Active"))
        return {"users": self.hosts, "active_per_user": sorted(set(active)), "inactive_per_user": sorted(set(inactive)),
                "users_with_2_active": sum(1 for n in active if n >= 2)}

    def probe_create_key(self):
        """What IAM answers to one more CreateAccessKey for the first user (the composition's next step)."""
        from botocore.exceptions import ClientError

        client = self.iam()
        try:
            created = client.create_access_key(UserName=iam_user(1))["AccessKey"]
        except ClientError as exc:
            return exc.response["Error"]["Code"]
        client.delete_access_key(UserName=iam_user(1), AccessKeyId=created["AccessKeyId"])
        return "created"


def _children_cpu():
    """CPU seconds (user + system) of reaped child processes: ansible-playbook and everything it ran."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_group(fleet, group, hosts, repeat_composition, log):
    """Run one contender group on a fresh fleet of ``hosts``; return its run records."""
    records = []

    def one(contender, playbook):
        record = fleet.run(contender, playbook)
        records.append(record)
        iam = sum(record["aws_calls"].get("iam", {}).values())
        log(
            f"  fleet N={hosts:<3} {contender:<14} {record['wall_s']:7.1f} s  rc={record['rc']}"
            f"  IAM calls {iam:4d}  failed hosts {record['failed_hosts']}"
        )
        return record

    fleet.reset(hosts)
    if group == "floor":
        one("floor", FLOOR)
    elif group == "setup":
        one("setup_first", SETUP_DEV)
        one("setup_rerun", SETUP_DEV)
    elif group == "composition":
        one("composition_1", COMPOSITION)
        if repeat_composition:
            for run_number in (2, 3):
                record = one(f"composition_{run_number}", COMPOSITION)
                record["keys_after"] = fleet.key_census()
            records[-1]["next_create_key"] = fleet.probe_create_key()
    return records


def _run_group_on_live_backend(fleet, group, hosts, repeat_composition, log):
    """run_group; if moto_server died meanwhile (a shared machine), restart it and measure the group again."""
    restarted = None
    for _attempt in range(2):
        if fleet.backend_exit_code() is not None:
            restarted = fleet.backend_exit_code()
            log(f"  moto_server exited (code {restarted}) around {group} at N={hosts}: restarting it, running the group again")
            fleet.restart_backend()
        try:
            records = run_group(fleet, group, hosts, repeat_composition, log)
        except OSError:
            if fleet.backend_exit_code() is None:
                raise
            continue
        if fleet.backend_exit_code() is None:
            for record in records:
                record["backend_restarted"] = restarted
            return records
    raise RuntimeError(f"Failed to run {group} at N={hosts}: moto_server keeps exiting")


def run(sizes, rounds_for, log=print, workdir=None, groups=GROUPS, repeat_composition_at=None):
    """All contender groups for every fleet size; ``rounds_for(n)`` rounds each, rotated order.

    The composition runs 3 times in the first round at the sizes in
    ``repeat_composition_at`` (default: every size). Returns the list of run
    records (one per ansible-playbook run).
    """
    repeat_at = set(sizes if repeat_composition_at is None else repeat_composition_at)
    owned = workdir is None
    workdir = Path(workdir or tempfile.mkdtemp(prefix="devkeys-bench-fleet-"))
    records = []
    fleet = Fleet(workdir).start()
    try:
        for round_index in range(max(rounds_for(n) for n in sizes)):
            for hosts in sizes:
                if round_index >= rounds_for(hosts):
                    continue
                shift = round_index % len(groups)
                for group in groups[shift:] + groups[:shift]:
                    group_records = _run_group_on_live_backend(
                        fleet, group, hosts, round_index == 0 and hosts in repeat_at, log)
                    for record in group_records:
                        record["round"] = round_index + 1
                        records.append(record)
    finally:
        fleet.stop()
        shutil.rmtree(workdir if owned else workdir / "homes", ignore_errors=True)
    return records


def parse_profile_tasks(stdout):
    """The profile_tasks summary: [(task, seconds)], as printed after the recap."""
    tasks = []
    lines = stdout.splitlines()
    try:
        start = max(i for i, line in enumerate(lines) if line.startswith("PLAY RECAP"))
    except ValueError:
        return tasks
    for line in lines[start:]:
        line = line.rstrip()
        if not line.endswith("s") or " -" not in line:
            continue
        name, _sep, seconds = line.rpartition(" ")
        name = name.rstrip("- ").strip()
        try:
            tasks.append((name, float(seconds[:-1])))
        except ValueError:
            continue
    return tasks


def _median_tasks(runs):
    """Median seconds per task over runs: [(task, seconds)] in the order of the first run."""
    per_task = {}
    for run_record in runs:
        for task, seconds in run_record.get("task_seconds", []):
            per_task.setdefault(task, []).append(seconds)
    return [(task, statistics.median(values)) for task, values in per_task.items()]


def summarize(records):
    """Median wall time and per-host IAM calls per (contender, hosts)."""
    table = {}
    for record in records:
        table.setdefault((record["contender"], record["hosts"]), []).append(record)
    summary = []
    for (contender, hosts), runs in sorted(table.items()):
        iam = {}
        sts = {}
        for action, count in runs[0]["aws_calls"].get("iam", {}).items():
            iam[action] = count / hosts
        for action, count in runs[0]["aws_calls"].get("sts", {}).items():
            sts[action] = count / hosts
        summary.append(
            {
                "contender": contender,
                "hosts": hosts,
                "runs": len(runs),
                "walls": [r["wall_s"] for r in runs],
                "median_s": statistics.median(r["wall_s"] for r in runs),
                "median_cpu_s": statistics.median(r["cpu_s"] for r in runs),
                "all_ok": all(r["ok"] for r in runs),
                "failed_hosts": max(r["failed_hosts"] for r in runs),
                "failed_tasks": sorted({t for r in runs for t in r["failed_tasks"]}),
                "fact_gathering": max(r["fact_gathering"] for r in runs),
                "iam_per_host": iam,
                "sts_per_host": sts,
                "task_seconds": _median_tasks(runs),
                "iam_calls_consistent": all(r["aws_calls"].get("iam", {}) == runs[0]["aws_calls"].get("iam", {}) for r in runs),
            }
        )
    return summary


if __name__ == "__main__":
    import json

    print(json.dumps(summarize(run([int(n) for n in sys.argv[1:]] or [2], lambda n: 1)), indent=1))
