"""Issue 15: the role in an AWS account that holds more than the fleet's keys.

The account (moto, every call through the counting proxy) holds, besides the
fleet's keys: a CI user's key used minutes ago, a developer's second key used
outside the fleet, an Inactive forensic key tagged by incident response, a key
another tool described, a user shared by two inventories, hosts outside
``--limit``, a host removed from the inventory and an offline host. Every run is
first previewed with ``--check``: the preview makes no IAM write, and the keys it
says it creates, deactivates and deletes are exactly those the real run's IAM
calls create, deactivate and delete. After every run, each consumer that held a
working key still holds one, and no key or tag the operator did not name changed.

On 064b0bc: the forensic key was deleted by the next rotation; the other tool's
description was overwritten; ``--limit`` and offline hosts were cut off by the
retirement of the key they held; a second inventory retired the first one's key;
``--check`` predicted no creation and no retirement.
"""

import datetime
from pathlib import Path

import pytest
import yaml
from _workstation import unreachable_host

from ansible_collections.devkeys.aws.plugins.module_utils import _key_tags

from .helpers import PLAYBOOKS, client, user_keys, workstation_inventory

SETUP = str(PLAYBOOKS / "setup-dev.yml")
ROTATE = str(PLAYBOOKS / "rotate-keys.yml")
REPORT_TASK = "Report what was done on this workstation, and fail it if it could not be configured"
WRITES = {"CreateAccessKey", "UpdateAccessKey", "DeleteAccessKey"}


class Account(object):
    """The moto account: keys made directly (not through the proxy), consumers, and what changed."""

    def __init__(self, aws, iam, proxy, tmp_path):
        self.aws, self.iam, self.proxy, self.tmp_path = aws, iam, proxy, tmp_path
        self.secrets = {}
        self.consumers = {}  # name -> (key ID, IAM user): every consumer that holds a working key

    def user(self, name):
        self.iam.create_user(UserName=name)

    def key(self, user, age_days=0, status="Active", used=False, **tags):
        """A key of ``user`` created ``age_days`` ago, with our tag fields / description as given."""
        moment = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=age_days)
        with self.aws.clock(moment.replace(tzinfo=None)):
            made = self.iam.create_access_key(UserName=user)["AccessKey"]
        key_id = made["AccessKeyId"]
        self.secrets[key_id] = made["SecretAccessKey"]
        values = dict(("description" if field == "description" else field, value) for field, value in tags.items())
        if values:
            self.iam.tag_user(UserName=user, Tags=[
                {"Key": _key_tags.tag_key(key_id, field), "Value": value} for field, value in values.items()])
        if used:
            client("sts", self.aws.url, key_id, made["SecretAccessKey"]).get_caller_identity()
        if status != "Active":
            self.iam.update_access_key(UserName=user, AccessKeyId=key_id, Status=status)
        return key_id

    def hold(self, home, profile, key_id, consumer=None):
        """A workstation (or another consumer) holding ``key_id`` in ``home``'s credentials file."""
        path = home / ".aws" / "credentials"
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a", encoding="utf-8") as handle:
            handle.write("[%s]\naws_access_key_id = %s\naws_secret_access_key = %s\n"
                         % (profile, key_id, self.secrets[key_id]))
        path.chmod(0o600)
        if consumer:
            self.consumers[consumer] = (home, profile)

    def state(self):
        """Every user's keys with status and our/foreign tags: what must not change unless named."""
        found = {}
        for user in sorted(u["UserName"] for u in self.iam.list_users()["Users"]):
            tags = dict((t["Key"], t["Value"]) for t in self.iam.list_user_tags(UserName=user)["Tags"])
            for key_id, status in user_keys(self.iam, user).items():
                found[key_id] = (user, status, tags.get(key_id), tags.get(_key_tags.tag_key(key_id, "issuer")))
        return found

    def working(self):
        """Consumers whose key no longer works (STS straight to moto)."""
        broken = []
        for name, (home, profile) in sorted(self.consumers.items()):
            text = (home / ".aws" / "credentials").read_text(encoding="utf-8")
            section = text.split("[%s]\n" % profile, 1)[1].split("\n[", 1)[0]
            values = dict(line.split(" = ", 1) for line in section.splitlines() if " = " in line)
            try:
                sts = client("sts", self.aws.url, values["aws_access_key_id"], values["aws_secret_access_key"])
                sts.get_caller_identity()
            except Exception:  # pylint: disable=broad-except
                broken.append(name)
        return broken

    def writes(self):
        """The IAM writes the proxy forwarded since its last reset: {(action, user, key ID or "new")}."""
        return set((call["action"], call.get("UserName"), call.get("AccessKeyId", "new")) for call in self.proxy.calls()
                   if call["service"] == "iam" and call["action"] in WRITES and call["outcome"] == "forwarded"
                   and not (call["action"] == "UpdateAccessKey" and call.get("Status") != "Inactive"))

    def run(self, playbook, inventory, figures_log, args=(), **extra_vars):
        """``playbook`` previewed with --check, then run; returns (predicted writes, real writes, real run)."""
        self.proxy.reset()
        check = self._playbook(playbook, inventory, list(args) + ["--check"], extra_vars)
        assert self.writes() == set(), "--check made IAM writes"
        predicted = predicted_writes(check)
        self.proxy.reset()
        real = self._playbook(playbook, inventory, list(args), extra_vars)
        done = self.writes()
        figures_log.append({"playbook": playbook.rsplit("/", 1)[-1], "args": " ".join(args), "vars": extra_vars,
                            "predicted": sorted(map(list, predicted)), "written": sorted(map(list, done))})
        return predicted, done, real

    def _playbook(self, playbook, inventory, args, extra_vars):
        from harness.ansible import run_playbook  # pylint: disable=import-outside-toplevel

        return run_playbook(playbook, self.tmp_path / "controller", inventory=inventory,
                            extra_vars=extra_vars or None, env=self.aws.env(), args=args)


def predicted_writes(run):
    """The IAM writes a run's workstation_result say it made (in check mode: would make)."""
    found = set()
    for entry in run.results:
        if not entry["task"].endswith(REPORT_TASK):
            continue
        result = entry["result"]
        for key in result["keys"]:
            if key["action"] == "created":
                found.add(("CreateAccessKey", key["iam_user"], "new"))
        for item in result["retired"]:
            if item["action"] == "deactivated":
                found.add(("UpdateAccessKey", item["iam_user"], item["access_key_id"]))
            elif item["action"] == "deleted":
                found.add(("DeleteAccessKey", item["iam_user"], item["access_key_id"]))
    return found


def results(run):
    return dict((entry["host"], entry["result"]) for entry in run.results if entry["task"].endswith(REPORT_TASK))


def offline_copy(inventory_file, host):
    """A copy of an inventory in which ``host`` does not answer (SSH to a closed loopback port)."""
    data = yaml.safe_load(Path(inventory_file).read_text(encoding="utf-8"))
    data["all"]["hosts"][host].update(unreachable_host())
    path = Path(inventory_file).with_name("offline-" + Path(inventory_file).name)
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return str(path)


def record(figures, problems, load, faults="none", bad_inputs=0, **more):
    """The test's figures for docs/reliability.md, written before its assertion."""
    figures.record(load=load, faults=faults, bad_inputs=bad_inputs,
                   lost="nothing" if not problems else f"{len(problems)} problems", problems=problems, **more)


@pytest.fixture
def account(aws, iam, proxy, tmp_path):
    return Account(aws, iam, proxy, tmp_path)


def inventory(account, hosts, name="inventory.yml", order=None, **group_vars):
    """Workstations ``hosts`` ({host: {profile: iam_user}}) in ``order``, IAM through the proxy."""
    homes = dict((host, account.tmp_path / "homes" / host) for host in (order or sorted(hosts)))
    for home in homes.values():
        home.mkdir(parents=True, exist_ok=True)
    extra = {}
    for host, profiles in hosts.items():
        items = [{"name": profile, "iam_user": user} for profile, user in sorted(profiles.items())]
        extra[host] = dict({"workstation_profiles": items}, **group_vars)
    return workstation_inventory(account.tmp_path / name, homes, account.proxy.url, extra=extra), homes


@pytest.mark.slow
def test_keys_the_fleet_did_not_make_are_left_alone(account, figures):
    for user in ("ci-bot", "alice", "bob", "carol"):
        account.user(user)
    ci = account.key("ci-bot", used=True)
    a1 = account.key("alice", age_days=30, issuer="devkeys", holders="ws1", description="devkeys ws1 dev")
    a2 = account.key("alice", used=True)  # alice's own second key, for her scripts
    b1 = account.key("bob", age_days=30, issuer="devkeys", holders="ws2", description="devkeys ws2 dev")
    forensic = account.key("bob", age_days=60, status="Inactive", description="INC-4711 forensic hold")
    c1 = account.key("carol", age_days=30, description="vault lease 42")
    inv, homes = inventory(account, {"ws1": {"dev": "alice"}, "ws2": {"dev": "bob"}, "ws3": {"dev": "carol"}})
    for host, key_id in (("ws1", a1), ("ws2", b1), ("ws3", c1)):
        account.hold(homes[host], "dev", key_id, consumer=host)
    account.hold(account.tmp_path / "ci", "default", ci, consumer="ci-bot pipeline")
    account.hold(account.tmp_path / "alice-scripts", "default", a2, consumer="alice's scripts")
    before = account.state()
    log, problems = [], []

    predicted, done, run = account.run(SETUP, inv, log)
    problems += [] if predicted == done == set() else [f"setup-dev wrote {done}, predicted {predicted}"]
    problems += [] if run.rc == 0 else [f"setup-dev failed: {run.output[-600:]}"]
    if account.state() != before:
        problems.append("setup-dev changed keys or tags")

    # The first rotation replaces carol's key (another tool's is kept Active); the second finds every user at
    # the 2-key limit with keys the fleet must not delete, and fails naming them.
    for retire, expected in (("deactivate", {("CreateAccessKey", "carol", "new")}), ("delete", set())):
        predicted, done, run = account.run(ROTATE, inv, log, workstation_key_retire=retire)
        problems += [] if predicted == done == expected else [f"rotate ({retire}): predicted {predicted}, wrote {done}"]
        by_host = results(run)
        for host, named in (("ws1", a2), ("ws2", forensic)) + ((("ws3", c1),) if retire == "delete" else ()):
            if by_host[host]["configured"] or named not in " ".join(by_host[host]["errors"]):
                problems.append(f"rotate ({retire}): {host} did not fail naming {named}: {by_host[host]['errors']}")
        if retire == "deactivate":
            kept = [item for item in by_host["ws3"]["retired"] if item["access_key_id"] == c1]
            if not kept or kept[0]["action"] != "kept":
                problems.append(f"rotate ({retire}): carol's key described by another tool was not kept: {kept}")

    after = account.state()
    for key_id in (ci, a1, a2, b1, forensic):
        if after.get(key_id) != before[key_id]:
            problems.append(f"{key_id} ({before[key_id][0]}) changed: {before[key_id]} -> {after.get(key_id)}")
    if after[c1] != before[c1]:
        problems.append(f"carol's first key (another tool's) changed: {before[c1]} -> {after[c1]}")
    problems += [f"{name} lost its working key" for name in account.working()]
    record(figures, problems, "3 workstations, 4 IAM users, 6 keys the fleet did not make or must keep; setup-dev "
                              "and rotate-keys (retire deactivate, then delete), each previewed with --check",
           bad_inputs="a CI key, a second key used outside the fleet, a forensic Inactive key, another tool's "
                      "description", runs=log)
    assert problems == []


def test_a_shared_key_is_retired_only_once_every_holder_moved(account, figures):
    """--limit, a later --limit, an offline host and its return: no consumer is ever cut off."""
    account.user("team")
    k1 = account.key("team", age_days=30, issuer="devkeys", holders="ws4 ws5 ws6",
                     description="devkeys team (shared)")
    hosts = dict((host, {"team": "team"}) for host in ("ws4", "ws5", "ws6"))
    inv, homes = inventory(account, hosts)
    for host in hosts:
        account.hold(homes[host], "team", k1, consumer=host)
    offline = offline_copy(inv, "ws6")
    log, problems = [], []

    steps = [
        ("rotate --limit ws4", ROTATE, inv, ["--limit", "ws4"], {("CreateAccessKey", "team", "new")}),
        ("setup --limit ws5", SETUP, inv, ["--limit", "ws5"], set()),
        ("setup, ws6 offline", SETUP, offline, [], set()),
        ("setup, ws6 back", SETUP, inv, [], {("UpdateAccessKey", "team", k1)}),
    ]
    for label, playbook, inventory_file, args, expected in steps:
        predicted, done, run = account.run(playbook, inventory_file, log, args=args)
        if predicted != done or done != expected:
            problems.append(f"{label}: predicted {predicted}, wrote {done}, expected {expected}")
        broken = account.working()
        if broken:
            problems.append(f"{label}: {broken} lost their working key")
        if "ws6 offline" in label and user_keys(account.iam, "team")[k1] != "Active":
            problems.append(f"{label}: the key offline ws6 holds was retired")
        del run
    held = set((homes[h] / ".aws" / "credentials").read_text(encoding="utf-8").split("aws_access_key_id = ")[1][:20]
               for h in hosts)
    if len(held) != 1 or user_keys(account.iam, "team")[held.pop()] != "Active":
        problems.append("the workstations do not end on one Active key")
    record(figures, problems, "1 IAM user shared by 3 workstations; rotate --limit, setup --limit, setup with one "
                              "host offline, setup with it back; each previewed with --check",
           faults="one host unreachable (closed port)", runs=log)
    assert problems == []


def test_a_host_removed_from_the_inventory_keeps_the_key_it_holds(account, figures):
    account.user("team")
    k1 = account.key("team", age_days=30, issuer="devkeys", holders="gone ws4 ws5",
                     description="devkeys team (shared)")
    inv, homes = inventory(account, {"ws4": {"team": "team"}, "ws5": {"team": "team"}})
    for host in ("ws4", "ws5"):
        account.hold(homes[host], "team", k1, consumer=host)
    account.hold(account.tmp_path / "homes" / "gone", "team", k1, consumer="gone")
    log = []

    predicted, done, run = account.run(ROTATE, inv, log)

    notes = [item for result in results(run).values() for item in result["retired"] if item["access_key_id"] == k1]
    created = {("CreateAccessKey", "team", "new")}
    problems = [] if predicted == done == created else [f"wrote {done}, predicted {predicted}"]
    problems += [f"{name} lost its working key" for name in account.working()]
    if not notes or any(note["action"] != "kept" for note in notes) or not any("gone" in n["reason"] for n in notes):
        problems.append(f"the old key was not kept for the removed host: {notes}")
    record(figures, problems, "1 IAM user, 2 inventory workstations + 1 recorded holder no longer in the inventory; "
                              "rotation", runs=log)
    assert problems == []


@pytest.mark.parametrize("fleet_ids", [("inventory-a", "inventory-b"), ("devkeys", "devkeys")])
def test_two_inventories_sharing_a_user_never_retire_each_others_key(account, figures, fleet_ids):
    account.user("shared")
    inv_a, homes_a = inventory(account, {"wa": {"shared": "shared"}}, name="a.yml", workstation_fleet_id=fleet_ids[0])
    inv_b, homes_b = inventory(account, {"wb": {"shared": "shared"}}, name="b.yml", workstation_fleet_id=fleet_ids[1])
    log = []

    account.run(SETUP, inv_a, log)
    account.consumers["wa"] = (homes_a["wa"], "shared")
    predicted, done, _run = account.run(SETUP, inv_b, log)
    account.consumers["wb"] = (homes_b["wb"], "shared")
    again, again_done, _run = account.run(SETUP, inv_b, log)

    keys = user_keys(account.iam, "shared")
    problems = [] if predicted == done == {("CreateAccessKey", "shared", "new")} else [f"B's first run wrote {done}"]
    problems += [] if again == again_done == set() else [f"B's second run wrote {again_done}"]
    problems += [] if sorted(keys.values()) == ["Active", "Active"] else [f"keys after both: {keys}"]
    problems += [f"{name} lost its working key" for name in account.working()]
    record(figures, problems, "1 IAM user, one workstation in each of 2 inventories (fleet ids %s, %s)" % fleet_ids,
           runs=log)
    assert problems == []


def test_inventory_order_does_not_change_what_is_written(aws, iam, proxy, tmp_path, figures):
    """Two hosts disagree (one missed a rotation): the same writes and the same final keys in either order."""
    outcomes = []
    for number, order in enumerate((["ws4", "ws5", "ws6"], ["ws6", "ws5", "ws4"])):
        aws.reset()
        account = Account(aws, iam, proxy, tmp_path / ("order-%d" % number))
        account.user("team")
        k0 = account.key("team", age_days=100, issuer="devkeys", holders="ws4 ws5 ws6",
                         description="devkeys team (shared)")
        k1 = account.key("team", age_days=10, issuer="devkeys", holders="ws4 ws5 ws6",
                         description="devkeys team (shared)")
        inv, homes = inventory(account, dict((h, {"team": "team"}) for h in order), order=order)
        for host, key_id in (("ws4", k1), ("ws5", k0), ("ws6", k1)):
            account.hold(homes[host], "team", key_id, consumer=host)
        names = {k0: "k0", k1: "k1"}
        predicted, done, _run = account.run(SETUP, inv, [])
        states = dict((names.get(key_id, "new"), status) for key_id, status in user_keys(iam, "team").items())
        outcomes.append((sorted((a, u, names.get(k, k)) for a, u, k in done), states, account.working(),
                         predicted == done))
    record(figures, [] if outcomes[0] == outcomes[1] else ["the outcome depends on the inventory order"],
           "3 workstations of one IAM user holding 2 keys, inventory order and its reverse", outcomes=outcomes)
    assert outcomes[0] == outcomes[1]
    assert outcomes[0] == ([("UpdateAccessKey", "team", "k0")], {"k0": "Inactive", "k1": "Active"}, [], True)
