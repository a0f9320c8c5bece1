"""Retirement after the writes (plugins/plugin_utils/_fleet_retire.py): every branch of the decision."""

import datetime

import pytest
from fleet_builders import NOW, SKIPPED, UNREAD, created, days_ago, fleet, key, read, view, wrote

from ansible_collections.devkeys.aws.plugins.plugin_utils import _fleet_plan as fp
from ansible_collections.devkeys.aws.plugins.plugin_utils import _fleet_retire as fr

TEAM = {"t": "team"}


def run(data, iam=None, donated=None, failed_writes=(), unwritten=(), check_mode=False):
    """Plan, pretend the key run returned ``iam`` and every write succeeded but ``failed_writes`` hosts'."""
    plan = fp.plan_keys(data, NOW, check_mode)
    iam = iam or {}
    writes = {}
    for host in data["batch"]:
        if data["held"][host]["status"] == "unread" or host in unwritten:
            continue
        entries = fp.host_entries(data["views"][host], data["held"][host], plan, iam, (donated or {}).get(host, {}),
                                  check_mode)
        writes[host] = wrote([e for e in entries if e["status"] == "write"], ok=host not in failed_writes,
                             msg="Failed to write: disk full")
    return plan, fr.plan_outcome(data, plan, iam, donated or {}, writes, NOW, check_mode)


def rotation(hosts=("h1", "h2"), held=None, inventory=None, keys=None, **policy):
    """A shared user ``team`` rotated on ``hosts``: they hold K1 (or ``held``) and ask for a rotation."""
    views = dict((h, view(h, TEAM, rotate=True, **policy)) for h in hosts)
    helds = dict((h, read({"t": (held or {}).get(h, "K1")}) if (held or {}).get(h) != "unread" else UNREAD)
                 for h in hosts)
    keys = keys if keys is not None else [key("K1", age=100, holders=list(hosts))]
    return fleet(hosts, views, helds, {"team": keys}, inventory=inventory)


NEW = {"team": created("team", "K2", replaced="K1")}


def requests(outcome):
    return sorted((r["id"], "absent" if r.get("state") == "absent" else "inactive", r.get("keep_if_used_after"))
                  for r in outcome["requests"])


def notes(outcome, user="team"):
    return [(n["access_key_id"], n["action"], n["reason"]) for n in outcome["notes"][user]]


@pytest.mark.parametrize("retire,expected", [("deactivate", "inactive"), ("delete", "absent")])
def test_the_key_every_holder_just_replaced_is_retired_at_once(retire, expected):
    _plan, outcome = run(rotation(retire=retire), iam=NEW)

    assert requests(outcome) == [("K1", expected, None)]
    assert notes(outcome)[0][:2] == ("K1", "deactivate" if retire == "deactivate" else "delete")
    assert outcome["users"]["team"]["stored"] == ["h1", "h2"] and outcome["users"]["team"]["target"] == "K2"


def test_a_holder_that_was_not_read_keeps_the_old_key_active():
    _plan, outcome = run(rotation(hosts=("h1", "h2", "h3"), held={"h3": "unread"}), iam=NEW)

    assert requests(outcome) == []
    assert notes(outcome) == [("K1", "keep", "kept Active: the new key is not stored on h3 yet (not read in this run, "
                                             "failed, or in a later batch)")]
    assert outcome["users"]["team"]["pending"] == ["K1"]


def test_a_holder_outside_the_play_keeps_the_old_key_active():
    _plan, outcome = run(rotation(hosts=("h1",), inventory={"h2": {"team"}, "h3": {"team"}}), iam=NEW)

    assert requests(outcome) == [] and "not stored on h2, h3" in notes(outcome)[0][2]


def test_a_recorded_holder_the_inventory_no_longer_names_keeps_the_old_key_active():
    data = rotation(keys=[key("K1", age=100, holders=["h1", "h2", "gone"])])

    _plan, outcome = run(data, iam=NEW)

    assert requests(outcome) == []
    assert notes(outcome) == [("K1", "keep", "kept Active: it was handed to gone, which the inventory no longer "
                                             "names; it is retired once unused since the new key was stored")]


def test_a_key_of_another_fleet_that_records_other_holders_is_kept():
    data = rotation(keys=[key("K1", age=100, issuer="other-fleet", holders=["h1", "h2", "their-host"])])

    _plan, outcome = run(data, iam=NEW)

    assert requests(outcome) == [] and "issued by fleet 'other-fleet'" in notes(outcome)[0][2]


def test_a_replaced_key_nobody_tagged_is_retired_when_every_known_holder_moved():
    _plan, outcome = run(rotation(keys=[key("K1", age=100, issuer=None)]), iam=NEW)

    assert requests(outcome) == [("K1", "inactive", None)]


def test_a_failed_write_keeps_both_keys_and_the_host_fails():
    plan, outcome = run(rotation(), iam=NEW, failed_writes=("h2",))

    assert requests(outcome) == []
    assert outcome["users"]["team"]["stored"] == ["h1"] and outcome["users"]["team"]["pending"] == ["K1"]
    assert [e["status"] for e in outcome["entries"]["h2"]] == ["failed"]
    assert "disk full" in outcome["entries"]["h2"][0]["error"]
    assert plan["users"]["team"]["action"] == "create"


def test_a_new_key_no_workstation_stored_is_deleted_and_the_old_one_stays():
    _plan, outcome = run(rotation(), iam=NEW, failed_writes=("h1", "h2"))

    assert requests(outcome) == [("K2", "absent", None)]
    assert notes(outcome) == [("K2", "delete", "no workstation stored the new key")]
    assert outcome["users"]["team"]["target"] is None


def test_a_key_that_never_verifies_fails_its_workstations_and_retires_nothing():
    failure = {"team": {"user_name": "team", "failed": True, "changed": True, "created": False,
                        "msg": "Failed to verify new access key K2: not accepted; the new key K2 was deleted again"}}

    _plan, outcome = run(rotation(), iam=failure)

    assert requests(outcome) == [] and notes(outcome) == []
    for host in ("h1", "h2"):
        assert outcome["entries"][host][0]["status"] == "error"
        assert "was deleted again" in outcome["entries"][host][0]["error"]


def test_a_user_at_the_key_limit_fails_with_the_modules_message():
    limit = {"team": {"user_name": "team", "failed": True, "changed": False,
                      "msg": "Failed to converge the access keys of IAM user 'team': the user already has 2 keys"}}
    data = rotation(keys=[key("K1", age=100), key("K0", age=200, status="Inactive", retired=None)])

    _plan, outcome = run(data, iam=limit)

    assert requests(outcome) == [] and "already has 2 keys" in outcome["entries"]["h1"][0]["error"]


def _keep_fleet(keys, **policy):
    """h1 holds and keeps K2 (young); the user has ``keys`` besides."""
    data = fleet(["h1"], {"h1": view("h1", TEAM, **policy)}, {"h1": read({"t": "K2"})},
                 {"team": [key("K2", age=10, holders=["h1"], description="devkeys h1 t")] + keys})
    return data


def test_a_stale_key_of_ours_is_retired_if_unused_since_its_replacement():
    _plan, outcome = run(_keep_fleet([key("K1", age=100, holders=["h1"])]))

    (request,) = outcome["requests"]
    assert (request["id"], request["active"]) == ("K1", False)
    assert request["keep_if_used_after"] == fr.stamp(days_ago(10, minutes=2))


def test_a_stale_key_whose_replacement_is_too_recent_waits():
    data = _keep_fleet([key("K1", age=100, holders=["h1"])])
    data["iam"]["team"]["keys"][0]["create_date"] = NOW - datetime.timedelta(hours=1)

    _plan, outcome = run(data)

    assert outcome["requests"] == [] and "too recent" in notes(outcome)[0][2]


def test_a_stale_key_newer_than_the_target_is_retired_only_unused_for_the_window():
    _plan, outcome = run(_keep_fleet([key("K9", age=1, holders=["h1"])]))

    (request,) = outcome["requests"]
    assert request["keep_if_used_after"] == fr.stamp(NOW - datetime.timedelta(days=7))


@pytest.mark.parametrize("issuer", [None, "ci-tooling"])
def test_keys_we_did_not_issue_and_no_workstation_holds_are_never_touched(issuer):
    _plan, outcome = run(_keep_fleet([key("KCI", age=1, issuer=issuer), key("KF", status="Inactive", issuer=issuer)]))

    assert outcome["requests"] == [] and notes(outcome) == []


def test_stale_keys_wait_while_a_holder_is_unread():
    data = _keep_fleet([key("K1", age=100, holders=["h1"])])
    data["inventory"]["h7"] = {"team"}

    _plan, outcome = run(data)

    assert outcome["requests"] == []


@pytest.mark.parametrize("retired_days,description,delete_after,expected", [
    (10, None, 7, [("K0", "absent", None)]),
    (10, "devkeys h1 t", 7, [("K0", "absent", None)]),
    (2, None, 7, []),
    (10, "INC-4711 forensic hold", 7, []),
    (10, None, 0, []),
])
def test_a_key_this_fleet_deactivated_is_deleted_days_later_unless_someone_marked_it(
        retired_days, description, delete_after, expected):
    k0 = key("K0", age=120, status="Inactive", retired=days_ago(retired_days), description=description)

    _plan, outcome = run(_keep_fleet([k0], delete_after_days=delete_after))

    assert requests(outcome) == expected
    if description and "INC" in description:
        assert "description was changed" in notes(outcome)[0][2]


def test_an_inactive_key_someone_else_deactivated_is_kept_when_the_workstation_moves_off_it():
    data = fleet(["h1"], {"h1": view("h1", TEAM, replace_inactive=True)}, {"h1": read({"t": "K1"})},
                 {"team": [key("K1", age=30, status="Inactive")]})

    _plan, outcome = run(data, iam=NEW)

    assert outcome["requests"] == []
    assert notes(outcome) == [("K1", "keep", "Inactive, and not deactivated by devkeys.aws: kept as it is")]


def test_serial_batches_keep_one_key_and_retire_after_the_last_holder():
    first, outcome1 = run(rotation(hosts=("h1",), inventory={"h2": {"team"}}), iam=NEW)
    assert requests(outcome1) == [] and outcome1["users"]["team"]["pending"] == ["K1"]
    outcome1["sequence"] = 1
    assert first["users"]["team"]["action"] == "create"
    views = {"h1": view("h1", TEAM, rotate=True), "h2": view("h2", TEAM, rotate=True)}
    keys = [key("K1", age=100, holders=["h1", "h2"]),
            key("K2", age=0, holders=["h1", "h2"], description="devkeys team (shared)")]
    second = fleet(["h2"], views, {"h2": read({"t": "K1"})}, {"team": keys}, earlier=outcome1)

    plan, outcome2 = run(second, donated={"h2": {"team": {"ok": True, "msg": ""}}})

    assert plan["users"]["team"]["action"] == "keep" and plan["requests"] == []
    assert plan["donations"]["h2"][0]["host"] == "h1"
    assert requests(outcome2) == [("K1", "inactive", None)]
    assert outcome2["users"]["team"]["stored"] == ["h1", "h2"]


@pytest.mark.parametrize("writes_ok,expected", [(True, [("K1", "inactive", None)]), (False, [])])
def test_check_mode_predicts_the_same_retirement(writes_ok, expected):
    check_iam = {"team": {"user_name": "team", "failed": False, "changed": True, "created": True}}

    _plan, outcome = run(rotation(), iam=check_iam, check_mode=True,
                         failed_writes=() if writes_ok else ("h1", "h2"))

    assert requests(outcome) == expected
    if not writes_ok:
        assert notes(outcome) == [(fp.CHECK_MODE_KEY_ID, "delete", "no workstation stored the new key")]


def test_first_key_for_a_new_workstation_needs_no_read_and_retires_nothing():
    data = fleet(["h1"], {"h1": view("h1")}, {"h1": SKIPPED}, {"alice": []})

    _plan, outcome = run(data, iam={"alice": created("alice", "KNEW")})

    assert outcome["requests"] == [] and outcome["users"]["alice"]["stored"] == ["h1"]
    assert outcome["entries"]["h1"][0]["status"] == "written"


def test_the_outcome_does_not_depend_on_host_order():
    data = rotation(hosts=("h3", "h1", "h2"))
    reordered = dict(data, batch=["h2", "h3", "h1"], views=dict(reversed(list(data["views"].items()))))

    assert run(data, iam=NEW)[1] == run(reordered, iam=NEW)[1]


@pytest.mark.parametrize("tags,why", [
    ({"issuer": "other-fleet"}, "issued by fleet 'other-fleet'"),
    ({"issuer": None, "description": "vault lease 42"}, "described by another tool ('vault lease 42')"),
])
def test_a_replaced_key_another_fleet_or_tool_marked_stays_active(tags, why):
    _plan, outcome = run(rotation(keys=[key("K1", age=100, **tags)]), iam=NEW)

    assert requests(outcome) == []
    assert notes(outcome) == [("K1", "keep", "kept Active: %s, so another consumer may hold it; devkeys.aws retires "
                                             "only keys it issued or that carry no other tool's mark" % why)]
