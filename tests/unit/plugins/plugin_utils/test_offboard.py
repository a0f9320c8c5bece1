"""The decisions of playbooks/offboard.yml (plugins/plugin_utils/_offboard.py)."""

import datetime

import pytest

from ansible_collections.devkeys.aws.plugins.plugin_utils import _offboard as offboard
from ansible_collections.devkeys.aws.plugins.plugin_utils._workstation_reads import NOT_IN_PLAY, host_view

NOW = datetime.datetime(2026, 6, 1, 12, 0, tzinfo=datetime.timezone.utc)
HELD = "AKIAHELD0000EXAMPLE0"
CI = "AKIACI000000EXAMPLE0"
OTHER = "AKIAOTHER000EXAMPLE0"
SINCE = "2026-05-31T12:00:00+00:00"  # NOW minus 24 hours


def ago(**delta):
    return (NOW - datetime.timedelta(**delta)).isoformat()


def key(key_id=HELD, status="Active", created_days=30, used=None, issuer="devkeys", retired=None, description=None):
    return {"user_name": "alice", "access_key_id": key_id, "status": status, "create_date": ago(days=created_days),
            "age_days": created_days, "last_used_date": used, "last_used_service": "s3" if used else None,
            "description": description, "issuer": issuer, "holders": None, "retired_date": retired}


def host(profiles=(), held=None, read=True, fleet_id=None):
    result = ({"profiles": dict((name, {"aws_access_key_id": key_id} if key_id else {"region": "x"})
                                for name, key_id in (held or {}).items())} if read else None)
    return host_view({"workstation_profiles": [{"name": name, "iam_user": user} for name, user in profiles],
                      "group_names": ["workstations"], "workstation_fleet_id": fleet_id}, result)


def plan(keys, hosts=None, **options):
    return offboard.plan_offboard("alice", keys, hosts or {}, options, NOW)


@pytest.mark.parametrize("value, ids", [
    (None, []), ("", []), ([], []),
    ("AKIA1,AKIA2", ["AKIA1", "AKIA2"]),
    (" AKIA1 , ,AKIA2,", ["AKIA1", "AKIA2"]),
    (["AKIA1", " AKIA2 ", ""], ["AKIA1", "AKIA2"]),
])
def test_named_key_ids(value, ids):
    assert offboard.named_key_ids(value) == ids


# (case, key, named, delete, action, why)
DECISIONS = [
    ("Active: deactivate", key(used=ago(days=3)), False, False, "deactivate", "Active key of the person"),
    ("never used", key(), False, False, "deactivate", "Active key of the person"),
    ("Inactive: nothing to do", key(status="Inactive"), False, False, "none", "already Inactive"),
    ("used 2 hours ago: refused", key(used=ago(hours=2)), False, False, "refuse",
     "used 2 hours ago, within 24 hours; name it in offboard_keys to deactivate it anyway"),
    ("used exactly 24 hours ago: refused", key(used=ago(hours=24)), False, False, "refuse",
     "used 1 day ago, within 24 hours; name it in offboard_keys to deactivate it anyway"),
    ("used just over 24 hours ago", key(used=ago(hours=24, seconds=1)), False, False, "deactivate",
     "Active key of the person"),
    ("recent but named", key(used=ago(hours=2)), True, False, "deactivate", "named in offboard_keys"),
    ("delete: Active", key(used=ago(days=3)), False, True, "delete", "Active key of the person"),
    ("delete: recent refused", key(used=ago(minutes=5)), False, True, "refuse",
     "used less than an hour ago, within 24 hours; name it in offboard_keys to delete it anyway"),
    ("delete: Inactive we retired", key(status="Inactive", retired=ago(days=10)), False, True, "delete",
     "deactivated earlier by devkeys.aws"),
    ("delete: Inactive someone else deactivated (evidence)",
     key(status="Inactive", issuer=None, description="INC-4711 forensic hold"), False, True, "refuse",
     "Inactive, but not deactivated by devkeys.aws: it may be kept on purpose (evidence); name it in offboard_keys "
     "to delete it"),
    ("delete: Inactive of ours without a retired tag", key(status="Inactive"), False, True, "refuse",
     "Inactive, but not deactivated by devkeys.aws: it may be kept on purpose (evidence); name it in offboard_keys "
     "to delete it"),
    ("delete: evidence named", key(status="Inactive", issuer=None), True, True, "delete", "named in offboard_keys"),
    ("delete: Inactive used recently (deactivated hours ago)", key(status="Inactive", retired=ago(hours=1),
                                                                   used=ago(hours=3)), False, True, "refuse",
     "used 3 hours ago, within 24 hours; name it in offboard_keys to delete it anyway"),
]


@pytest.mark.parametrize("case, the_key, named, delete, action, why", DECISIONS, ids=[d[0] for d in DECISIONS])
def test_key_decision(case, the_key, named, delete, action, why):
    options = {"delete": delete, "recent_hours": 24}
    assert offboard.key_decision(the_key, named, options, NOW) == (action, why), case


def test_recent_hours_is_an_option():
    keys = [key(used=ago(hours=30))]
    assert plan(keys)["keys"][0]["action"] == "deactivate"
    assert plan(keys, recent_hours=48)["keys"][0]["action"] == "refuse"
    assert plan(keys, recent_hours="48")["keys"][0]["action"] == "refuse"
    assert plan([key(used=ago(minutes=1))], recent_hours=0)["keys"][0]["action"] == "deactivate"


def test_calls_carry_the_use_check_unless_named():
    keys = [key(HELD, used=ago(days=3)), key(CI, used=ago(hours=1), issuer=None, created_days=90)]
    the_plan = plan(keys, named_keys=CI)
    assert the_plan["act"] == [
        {"access_key_id": CI, "action": "deactivate", "state": "present", "issuer": "devkeys", "active": False},
        {"access_key_id": HELD, "action": "deactivate", "state": "present", "issuer": "devkeys", "active": False,
         "keep_if_used_after": SINCE},
    ]
    deleting = plan(keys, delete="true")
    assert deleting["act"] == [{"access_key_id": HELD, "action": "delete", "state": "absent", "issuer": "devkeys",
                                "keep_if_used_after": SINCE}]
    assert deleting["mode"] == "delete" and deleting["has_work"]


def test_issuer_passed_is_the_keys_own_when_ours():
    hosts = {"ws1": host([("dev", "alice")], {}, fleet_id="team-a")}
    the_plan = plan([key(HELD, issuer="team-a"), key(CI, issuer="devkeys", created_days=40)], hosts)
    assert [(call["access_key_id"], call["issuer"]) for call in the_plan["act"]] == [(CI, "team-a"), (HELD, "team-a")]
    assert [entry["issuer_label"] for entry in the_plan["keys"]] == ["another fleet (devkeys)", "ours (team-a)"]


def test_named_key_that_is_not_the_users_is_an_error():
    the_plan = plan([key()], named_keys=["AKIAIOSFODNN7EXAMPLE"])
    assert the_plan["errors"] == ["Failed to plan the offboarding of IAM user alice: offboard_keys names "
                                  "AKIAIOSFODNN7EXAMPLE, which is not an access key of the user"]


def test_profiles_to_remove():
    hosts = {
        "ws1": host([("work", "alice"), ("team", "team")], {"work": HELD, "old": HELD, "team": OTHER}),
        "ws2": host([("alice", "alice"), ("team", "team")], {"team": OTHER}),  # given alice, lacks it: nothing
        "ws3": host([("cfg", "alice")], {"cfg": None, "static": CI}),  # config-only profile the inventory gives
        "ws4": host([("work", "alice")], read=False),  # not read: nothing planned, reported
        "ws5": host([], {"dev": OTHER}),
    }
    the_plan = plan([key(HELD), key(CI, created_days=40)], hosts)
    assert the_plan["remove"] == {"ws1": ["old", "work"], "ws3": ["cfg", "static"]}
    assert the_plan["show"]["profiles"] == [
        "ws1: remove old (holds key %s), work (holds key %s)" % (HELD, HELD),
        "ws3: remove cfg (the inventory gives it IAM user alice), static (holds key %s)" % CI,
    ]
    assert the_plan["unread"] == [{"host": "ws4", "why": NOT_IN_PLAY}]
    assert the_plan["show"]["workstations_not_read"] == ["ws4: " + NOT_IN_PLAY]


def test_plan_shows_each_key_with_last_use_and_issuer():
    keys = [key(HELD, used=ago(days=3)), key(CI, used=ago(hours=2), issuer=None, description="alice's CI",
                                             created_days=90)]
    assert plan(keys)["show"]["keys"] == [
        "%s Active, created 2026-03-03, last used 2026-06-01 10:00 UTC (2 hours ago, s3), issuer not tagged, "
        "description \"alice's CI\" -> refuse: used 2 hours ago, within 24 hours; name it in offboard_keys to "
        "deactivate it anyway" % CI,
        "%s Active, created 2026-05-02, last used 2026-05-29 12:00 UTC (3 days ago, s3), issuer ours (devkeys) -> "
        "deactivate: Active key of the person" % HELD,
    ]


def test_empty_plan():
    the_plan = plan([])
    assert (the_plan["act"], the_plan["remove"], the_plan["has_work"]) == ([], {}, False)
    assert the_plan["show"] == {"iam_user": "alice", "mode": "deactivate the keys (offboard_delete=true deletes them)",
                                "keys": ["none"], "profiles": ["none"], "workstations_not_read": []}


def outcome(removals, key_results, confirmed=True, check_mode=False, hosts=None):
    the_plan = plan([key(HELD, used=ago(days=3)), key(CI, used=ago(hours=1), created_days=40)],
                    hosts or {"ws1": host([("work", "alice")], {"work": HELD, "keep": OTHER}),
                              "ws2": host([], {"team": OTHER})})
    results = {"results": [dict(result, item=the_plan["act"][0]) for result in key_results]}
    return offboard.offboard_outcome(the_plan, removals, results, confirmed, check_mode)


def removal(*items, **top):
    return dict({"results": [dict({"item": name}, **values) for name, values in items]}, **top)


def test_outcome_of_a_confirmed_run():
    done = outcome({"ws1": removal(("work", {"changed": True})), "ws2": {"skipped": True}, "db": None},
                   [{"changed": True}])
    assert done["profiles_removed"] == ["ws1:work"]
    assert done["keys"] == ["%s: deactivated" % HELD]
    assert done["refused"] == ["%s: used 1 hour ago, within 24 hours; name it in offboard_keys to "
                               "deactivate it anyway" % CI]
    assert (done["failed_hosts"], done["failed_keys"], done["failed"]) == ([], [], False)
    assert done["show"]["state"] == "done"


@pytest.mark.parametrize("key_result, text", [
    ({"changed": True}, "would be deactivated"),
    ({"changed": False}, "unchanged (already deactivated)"),
    ({"failed": True, "msg": "access denied"}, "Failed to deactivate: access denied"),
    ({"changed": False, "kept_in_use": {"last_used_date": "2026-06-01T11:59:00+00:00", "last_used_service": "s3"}},
     "kept: used 2026-06-01T11:59:00+00:00 (s3) after the plan"),
    ({"skipped": True}, "not acted on"),
])
def test_outcome_of_a_key(key_result, text):
    done = outcome({"ws1": removal(("work", {"changed": True}))}, [key_result],
                   check_mode=key_result.get("changed") is True)
    assert done["keys"] == ["%s: %s" % (HELD, text)]
    assert done["failed"] is text.startswith("Failed")


@pytest.mark.parametrize("result, error", [
    (None, "profiles not removed: the removal did not run"),
    ({"skipped": True}, "profiles not removed: the removal did not run"),
    ({"unreachable": True, "msg": "ssh died"}, "unreachable: ssh died"),
    (removal(("work", {"unreachable": True, "msg": "ssh died"})), "unreachable: ssh died"),
    (removal(("work", {"failed": True, "msg": "Failed to lock /h/.aws/credentials: busy"}), failed=True),
     "Failed to lock /h/.aws/credentials: busy"),
])
def test_a_workstation_not_changed_fails_the_run(result, error):
    done = outcome({"ws1": result}, [{"changed": True}])
    assert done["failed_hosts"] == ["ws1: " + error] and done["failed"]
    assert done["profiles_removed"] == []


def test_unread_workstations_fail_the_run_in_every_mode():
    hosts = {"ws1": host([("work", "alice")], {"work": HELD}), "ws3": host([("work", "alice")], read=False)}
    for confirmed in (True, False):
        done = outcome({"ws1": removal(("work", {"changed": True}))}, [{"changed": True}], confirmed, hosts=hosts)
        assert done["failed_hosts"] == ["ws3: not read (%s)" % NOT_IN_PLAY]


def test_outcome_without_confirmation():
    done = outcome({"ws1": {"skipped": True}, "ws2": {"skipped": True}}, [{"skipped": True}], confirmed=False)
    assert (done["acted"], done["profiles_removed"], done["failed"]) == (False, [], False)
    assert done["show"]["state"] == "plan only, nothing changed: run again with -e confirm=true to act"
    assert done["show"]["keys"] == ["none acted on"]
    assert outcome({}, [], check_mode=True)["show"]["state"] == (
        "check mode: what a confirmed run would do, nothing changed")
