"""What the inventory says about each host and what a playbook read on it (plugin_utils/_workstation_reads.py)."""

import pytest

from ansible_collections.devkeys.aws.plugins.plugin_utils import _workstation_reads as wr

KEY = "AKIAIOSFODNN7EXAMPLE"
OTHER = "AKIAI44QH8DHBEXAMPLE"
READ = {"changed": False, "profiles": {
    "dev": {"aws_access_key_id": KEY, "has_secret": True}, "sso": {"sso_session": "corp"},
    "b": {"aws_access_key_id": OTHER}}}


def view(profiles=(), result=None, fleet_id=None, groups=("workstations",)):
    host_vars = {"workstation_profiles": list(profiles), "group_names": list(groups)}
    if fleet_id is not None:
        host_vars["workstation_fleet_id"] = fleet_id
    return wr.host_view(host_vars, result)


@pytest.mark.parametrize("result, read, why", [
    (READ, True, ""),
    ({"profiles": {}}, True, ""),  # read, holds nothing
    (None, False, wr.NOT_IN_PLAY),  # outside --limit or the play
    ({"skipped": True}, False, wr.NOT_IN_PLAY),
    ({"unreachable": True, "msg": "ssh: connect timed out"}, False, "unreachable: ssh: connect timed out"),
    ({"unreachable": True}, False, "unreachable: no answer"),
    ({"failed": True, "msg": "Failed to use /h/.aws/credentials: a symlink"}, False,
     "failed: Failed to use /h/.aws/credentials: a symlink"),
    ({"failed": True}, False, "failed: unknown error"),
    ({"changed": False}, False, wr.NOT_IN_PLAY),  # not an aws_profile_info result
])
def test_read_state(result, read, why):
    host = view(result=result)
    assert (host["read"], host["why_not_read"]) == (read, why)
    if not read:
        assert host["held"] == {} and host["present"] == []


def test_host_view_keeps_names_and_key_ids_only():
    profiles = [{"name": "dev", "iam_user": " alice ", "aws_secret_access_key": "secretEXAMPLE"},
                {"name": "static", "aws_access_key_id": OTHER, "aws_secret_access_key": "secretEXAMPLE"},
                {"iam_user": "nameless"}, "not a profile"]
    host = view(profiles, READ, fleet_id="team-a")
    assert host == {
        "profiles": [{"name": "dev", "iam_user": "alice"}, {"name": "static", "iam_user": ""}],
        "workstation": True,
        "present": ["b", "dev", "sso"],
        "fleet_id": "team-a",
        "read": True,
        "why_not_read": "",
        "held": {"dev": KEY, "b": OTHER},
    }
    assert "secretEXAMPLE" not in repr(host)


@pytest.mark.parametrize("profiles", [None, "dev", {"name": "dev"}])
def test_host_view_of_a_host_without_a_profile_list(profiles):
    assert wr.host_view({"workstation_profiles": profiles}, None)["profiles"] == []


def test_default_fleet_id_and_group():
    host = wr.host_view({}, None)
    assert (host["fleet_id"], host["workstation"]) == (wr.DEFAULT_FLEET_ID, False)


def test_holders_and_naming_hosts():
    hosts = {
        "ws2": view([{"name": "x", "iam_user": "alice"}], {"profiles": {"x": {"aws_access_key_id": KEY}}}),
        "ws1": view([{"name": "dev", "iam_user": "alice"}], READ),
        "ws3": view([{"name": "dev", "iam_user": "bob"}], None),
    }
    assert wr.holders_of(hosts) == {KEY: ["ws1:dev", "ws2:x"], OTHER: ["ws1:b"]}
    assert wr.hosts_naming(hosts, "alice") == ["ws1", "ws2"]
    assert wr.hosts_naming(hosts, "carol") == []


def test_unread_hosts_lists_workstations_and_hosts_naming_users():
    hosts = {
        "db": view([], None, groups=["databases"]),  # not a workstation: not listed
        "ws-limit": view([], None),  # a workstation outside --limit
        "named": view([{"name": "dev", "iam_user": "bob"}], None, groups=["other"]),
        "tried": view([], {"unreachable": True, "msg": "down"}, groups=["other"]),
        "ok": view([{"name": "dev", "iam_user": "bob"}], READ),
    }
    assert wr.unread_hosts(hosts) == [
        {"host": "named", "why": wr.NOT_IN_PLAY},
        {"host": "tried", "why": "unreachable: down"},
        {"host": "ws-limit", "why": wr.NOT_IN_PLAY},
    ]


@pytest.mark.parametrize("named_by, expected", [
    (["a"], {"fleet-a"}),
    (["a", "b"], {"fleet-a", "devkeys"}),
    ([], {"fleet-a", "devkeys"}),  # a user no host names: any fleet id of the inventory
])
def test_fleet_ids(named_by, expected):
    hosts = {"a": view([{"name": "p", "iam_user": "u"}], None, fleet_id="fleet-a"),
             "b": view([{"name": "p", "iam_user": "v"}], None),
             "c": view([], None, fleet_id="unused")}
    assert wr.fleet_ids(hosts, named_by, "fallback") == expected


def test_fleet_ids_of_an_inventory_naming_no_user():
    assert wr.fleet_ids({"c": view([], None, fleet_id="x")}, [], "fallback") == {"fallback"}
