"""The fleet planner's key decision (plugins/plugin_utils/_fleet_plan.py), table-driven against an oracle."""

import itertools
import random

import pytest
from fleet_builders import FLEET_ID, NOW, SKIPPED, UNREAD, created, fleet, key, read, view

from ansible_collections.devkeys.aws.plugins.plugin_utils import _fleet_plan as fp

HOSTS = ("h1", "h2", "h3")
KEY_STATES = {  # (status, issuer, retired?) of an IAM key
    "active": ("Active", FLEET_ID, False),
    "inactive-ours": ("Inactive", FLEET_ID, True),
    "inactive-incident": ("Inactive", FLEET_ID, False),
}
AGES = {"young": 10, "old": 200}
HELD = ("", "K1", "K2", "GONE")


def oracle(held, keys, rotate):
    """(action, target, donated hosts, error hosts) from the rules, written apart from the planner.

    Keep the newest key some workstation holds that is Active and at most 90 days old, unless a rotation
    is asked; else create one. Workstations holding a key someone else deactivated fail instead. Every
    other workstation not holding the kept key copies it from the first (by name) that does.
    """
    by_id = dict((k["access_key_id"], k) for k in keys)
    errors = sorted(h for h, k in held.items() if k in by_id and by_id[k]["status"] == "Inactive"
                    and not by_id[k]["retired_date"])
    movable = dict((h, k) for h, k in held.items() if h not in errors)
    keepable = [by_id[k] for k in movable.values() if k in by_id and by_id[k]["status"] == "Active"
                and (NOW - by_id[k]["create_date"]).days <= 90]
    if rotate or not keepable:
        return "create", None, [], errors
    target = max(keepable, key=lambda k: k["create_date"])["access_key_id"]
    return "keep", target, sorted(h for h, k in movable.items() if k != target), errors


def table():
    for held in itertools.product(HELD, repeat=3):
        for states in itertools.product(KEY_STATES, repeat=2):
            for ages in itertools.product(AGES, repeat=2):
                for rotate in (False, True):
                    yield held, states, ages, rotate


CASES = list(table())


def _shared_fleet(held, states, ages, rotate):
    keys = []
    for index, (state, age) in enumerate(zip(states, ages)):
        status, issuer, retired = KEY_STATES[state]
        keys.append(key("K%d" % (index + 1), age=AGES[age] - index, status=status, issuer=issuer,
                        retired=NOW if retired else None))
    views = dict((host, view(host, {"team": "team"}, rotate=rotate)) for host in HOSTS)
    helds = dict((host, read({"team": k} if k else {})) for host, k in zip(HOSTS, held))
    return fleet(HOSTS, views, helds, {"team": keys}), keys


@pytest.mark.parametrize("held,states,ages,rotate", CASES)
def test_shared_user_decision_matches_the_oracle(held, states, ages, rotate):
    data, keys = _shared_fleet(held, states, ages, rotate)
    held_by_host = dict(zip(HOSTS, held))
    action, target, donated, errors = oracle(held_by_host, keys, rotate)

    plan = fp.plan_keys(data, NOW)

    decision = plan["users"]["team"]
    assert (decision["action"], decision["target"]) == (action, target)
    assert sorted(plan["donations"]) == donated
    assert sorted(decision["inactive"]) == errors
    if action == "create":
        assert [r["user_name"] for r in plan["requests"]] == ["team"] and plan["requests"][0]["rotate"] is True
    for host in donated:
        (donation,) = plan["donations"][host]
        assert donation["access_key_id"] == target and held_by_host[donation["host"]] == target
        assert donation["host"] == min(h for h in HOSTS if held_by_host[h] == target)
    assert decision["replaces"] == sorted(set(k for h, k in held_by_host.items()
                                              if k and k != target and h not in errors))


def test_decision_does_not_depend_on_the_order_of_hosts():
    for held, states, ages, rotate in random.Random(7).sample(CASES, 200):
        data, _keys = _shared_fleet(held, states, ages, rotate)
        reordered = dict(data, batch=list(reversed(data["batch"])),
                         views=dict(reversed(list(data["views"].items()))),
                         inventory=dict(reversed(list(data["inventory"].items()))))
        assert fp.plan_keys(reordered, NOW) == fp.plan_keys(data, NOW)


def test_kept_key_needs_no_request_when_its_tags_are_current():
    holders = ["h1"]
    k1 = key("K1", holders=holders, description="devkeys h1 dev")
    data = fleet(["h1"], {"h1": view("h1")}, {"h1": read({"dev": "K1"})}, {"alice": [k1]})

    plan = fp.plan_keys(data, NOW)

    assert plan["users"]["alice"]["action"] == "keep" and plan["requests"] == []


def test_kept_key_gets_its_new_holder_recorded():
    k1 = key("K1", holders=["h1"], description="devkeys alice (shared)")
    views = {"h1": view("h1"), "h2": view("h2")}
    data = fleet(["h1", "h2"], views, {"h1": read({"dev": "K1"}), "h2": read()}, {"alice": [k1]})

    plan = fp.plan_keys(data, NOW)

    assert plan["donations"]["h2"][0]["host"] == "h1"
    (request,) = plan["requests"]
    assert request["held_access_key_id"] == "K1" and request["holders"] == ["h1", "h2"]


def test_description_names_the_host_for_one_holder_and_the_user_when_shared():
    one = fleet(["h1"], {"h1": view("h1")}, {"h1": read()}, {"alice": []})
    shared = fleet(["h1"], {"h1": view("h1")}, {"h1": read()}, {"alice": []}, inventory={"h9": {"alice"}})

    assert fp.plan_keys(one, NOW)["requests"][0]["description"] == "devkeys h1 dev"
    assert fp.plan_keys(shared, NOW)["requests"][0]["description"] == "devkeys alice (shared)"
    assert fp.plan_keys(shared, NOW)["requests"][0]["holders"] == ["h1", "h9"]


def test_unread_hosts_are_not_consumers_but_count_as_holders():
    views = {"h1": view("h1"), "h2": view("h2")}
    data = fleet(["h1", "h2"], views, {"h1": read({"dev": "K1"}), "h2": UNREAD}, {"alice": [key("K1")]})

    plan = fp.plan_keys(data, NOW)

    assert sorted(plan["users"]["alice"]["consumers"]) == ["h1"]
    assert plan["users"]["alice"]["policy"]["holders"] == ["h1", "h2"]


@pytest.mark.parametrize("state,error", [
    ({"keys": [], "missing": False, "error": "Failed to list: access denied"}, "Failed to list: access denied"),
    ({"keys": [], "missing": True, "error": ""}, "the user does not exist (set create_user: true to create it)"),
])
def test_a_user_whose_keys_cannot_be_read_fails(state, error):
    data = fleet(["h1"], {"h1": view("h1")}, {"h1": read()}, {"alice": state})

    decision = fp.plan_keys(data, NOW)["users"]["alice"]

    assert decision["action"] == "fail" and error in decision["error"]


def test_a_missing_user_the_profile_creates_gets_a_key():
    profile = {"name": "dev", "iam_user": "alice", "create_user": True}
    h1 = view("h1", {}, extra_profiles=[profile])
    data = fleet(["h1"], {"h1": h1}, {"h1": SKIPPED}, {"alice": {"keys": [], "missing": True, "error": ""}})

    assert fp.plan_keys(data, NOW)["users"]["alice"]["action"] == "create"


def test_rotation_asked_by_one_host_rotates_the_shared_key():
    views = {"h1": view("h1", {"t": "team"}), "h2": view("h2", {"t": "team"}, rotate=True)}
    data = fleet(["h1", "h2"], views, {"h1": read({"t": "K1"}), "h2": read({"t": "K1"})}, {"team": [key("K1")]})

    plan = fp.plan_keys(data, NOW)

    assert plan["users"]["team"]["action"] == "create" and plan["users"]["team"]["reason"] == "rotation requested"
    assert plan["requests"][0]["held_access_key_id"] == "K1"


def test_replacing_an_inactive_key_is_an_operators_choice():
    views = {"h1": view("h1", replace_inactive=True)}
    k1 = key("K1", status="Inactive", retired=None)
    data = fleet(["h1"], views, {"h1": read({"dev": "K1"})}, {"alice": [k1]})

    decision = fp.plan_keys(data, NOW)["users"]["alice"]

    assert decision["action"] == "create" and decision["inactive"] == {}


def test_a_later_batch_keeps_the_key_an_earlier_batch_chose_and_copies_it():
    earlier = {"sequence": 1, "users": {"team": {
        "target": "K2", "stored": ["h1"], "pending": ["K1"], "check_mode_new": False,
        "donor": {"host": "h1", "profile": "t", "owner": "h1-user", "credentials_file": "/c", "config_file": "/f"}}}}
    views = {"h1": view("h1", {"t": "team"}), "h2": view("h2", {"t": "team"}, rotate=True)}
    data = fleet(["h2"], views, {"h2": read({"t": "K1"})}, {"team": [key("K1", age=100), key("K2", age=0)]},
                 earlier=earlier)

    plan = fp.plan_keys(data, NOW)

    decision = plan["users"]["team"]
    assert (decision["action"], decision["target"], decision["replaces"]) == ("keep", "K2", ["K1"])
    assert plan["donations"]["h2"][0]["host"] == "h1"


def _entries(data, plan, host, iam=None, donated=None, check_mode=False):
    return fp.host_entries(data["views"][host], data["held"][host], plan, iam or {}, donated or {}, check_mode)


def test_entries_write_only_what_differs():
    h1 = view("h1", extra_profiles=[{"name": "ro", "settings": {"role_arn": "arn:x", "source_profile": "dev"}},
                                    {"name": "old", "state": "absent"},
                                    {"name": "static", "aws_access_key_id": "AKIDSTATICEXAMPLE",
                                     "aws_secret_access_key": "s"}])
    held = read({"dev": "K1"}, compared=[("profile", "dev"), ("profile", "ro"), ("profile", "old")],
                exports={"/h/.bashrc": None})
    data = fleet(["h1"], {"h1": h1}, {"h1": held}, {"alice": [key("K1")]})
    plan = fp.plan_keys(data, NOW)

    entries = _entries(data, plan, "h1")

    assert [(e["name"], e["status"], e["key_source"]) for e in entries] == [
        ("dev", "current", "kept"), ("ro", "current", "none"), ("old", "current", "none"),
        ("static", "write", "static")]
    assert entries[3]["access_key_id"] == "AKIDSTATICEXAMPLE" and "secret" not in str(entries)


def test_entries_set_the_shell_block_and_fix_a_loose_file_with_the_first_profile():
    h1 = view("h1", extra_profiles=[{"name": "ro", "settings": {"role_arn": "arn:x"}}])
    h1["default_profile"] = "dev"
    held = read({"dev": "K1"}, compared=[("profile", "dev"), ("profile", "ro")], exports={"/h/.bashrc": "old"},
                private=False)
    data = fleet(["h1"], {"h1": h1}, {"h1": held}, {"alice": [key("K1")]})

    entries = _entries(data, fp.plan_keys(data, NOW), "h1")

    assert [(e["name"], e["status"], e["shell"]) for e in entries] == [("dev", "write", True), ("ro", "current", False)]


def test_entries_of_a_new_key_come_from_the_key_run_and_its_failure_is_the_profiles_error():
    data = fleet(["h1"], {"h1": view("h1")}, {"h1": SKIPPED}, {"alice": []})
    plan = fp.plan_keys(data, NOW)

    ok = _entries(data, plan, "h1", iam={"alice": created("alice", "KNEW")})
    failed = _entries(data, plan, "h1", iam={"alice": {"failed": True, "msg": "Failed to verify: never accepted"}})
    check = _entries(data, plan, "h1", check_mode=True)

    assert (ok[0]["status"], ok[0]["access_key_id"], ok[0]["key_source"]) == ("write", "KNEW", "created")
    assert failed[0]["status"] == "error" and "never accepted" in failed[0]["error"]
    assert check[0]["access_key_id"] == fp.CHECK_MODE_KEY_ID


def test_entries_copy_a_kept_key_or_say_why_they_could_not():
    views = {"h1": view("h1"), "h2": view("h2")}
    data = fleet(["h1", "h2"], views, {"h1": read({"dev": "K1"}), "h2": read()}, {"alice": [key("K1")]})
    plan = fp.plan_keys(data, NOW)

    copied = _entries(data, plan, "h2", donated={"alice": {"ok": True, "msg": ""}})
    refused = _entries(data, plan, "h2", donated={"alice": {"ok": False, "msg": "Permission denied"}})

    assert (copied[0]["status"], copied[0]["key_source"], copied[0]["access_key_id"]) == ("write", "copied", "K1")
    assert refused[0]["status"] == "error" and "from h1: Permission denied" in refused[0]["error"]


def test_a_profile_with_two_key_sources_fails_alone():
    bad = {"name": "bad", "iam_user": "alice", "aws_access_key_id": "AKIDEXAMPLE", "aws_secret_access_key": "s"}
    h1 = view("h1", extra_profiles=[bad])
    data = fleet(["h1"], {"h1": h1}, {"h1": read({"dev": "K1"}, compared=[("profile", "dev")])}, {"alice": [key("K1")]})

    entries = _entries(data, fp.plan_keys(data, NOW), "h1")

    assert [(e["name"], e["status"]) for e in entries] == [("dev", "current"), ("bad", "error")]
    assert entries[1]["error"] == ("Failed to configure profile bad: give one key source, not iam_user and "
                                   "aws_access_key_id")
