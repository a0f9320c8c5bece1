"""Table-driven tests of the pure key decision (plugins/module_utils/_key_plan.py)."""

import datetime
import itertools

import pytest

from ansible_collections.devkeys.aws.plugins.module_utils import _key_plan as kp

NOW = datetime.datetime(2026, 6, 1, 12, 0, tzinfo=datetime.timezone.utc)
MAX_AGE = 90
AGES = {"young": 10, "old": 200}
IDS = ["AKIAFAKE0000000000A1", "AKIAFAKE0000000000B2"]
UNKNOWN = "AKIAFAKE00000000GONE"
FLEET = "devkeys"
RETIRED_AT = datetime.datetime(2026, 5, 1, tzinfo=datetime.timezone.utc)
# Who a key belongs to, as its tags say: (issuer tag, retired tag).
OWNERS = {
    "untagged": (None, None),
    "ours": (FLEET, None),
    "ours-retired": (FLEET, RETIRED_AT),
    "other-fleet": ("other", None),
    "other-retired": ("other", RETIRED_AT),
}


def key(index, status="Active", age_days=10, description=None, owner="untagged", holders=None):
    # Key 0 is the older one when ages tie, so "oldest" is well defined.
    created = NOW - datetime.timedelta(days=age_days, minutes=10 - index)
    issuer, retired = OWNERS[owner]
    return {
        "access_key_id": IDS[index], "status": status, "create_date": created, "description": description,
        "issuer": issuer, "holders": holders, "retired_date": retired,
    }


def oracle(keys, held_id, policy):
    """Expected (outcome, replaced, deleted) written from the issues' rules, independently of the planner."""
    held = [k for k in keys if k["access_key_id"] == held_id]
    if held:
        young = NOW - held[0]["create_date"] <= datetime.timedelta(days=MAX_AGE)
        if held[0]["status"] == "Active" and young and not policy.rotate:
            return ("keep", None, [])
    replaced = held_id if held else None
    if len(keys) < 2:
        return ("create", replaced, [])
    oldest_first = sorted(keys, key=lambda k: k["create_date"])

    def may_delete(k, needs_retired):
        if k["access_key_id"] == held_id or k["status"] != "Inactive":
            return False
        if policy.issuer is None:
            return True
        return k["issuer"] == policy.issuer and (k["retired_date"] is not None or not needs_retired)

    if policy.rotate_keys and may_delete(oldest_first[0], needs_retired=False):
        return ("create", replaced, [oldest_first[0]["access_key_id"]])
    if policy.on_key_limit == "delete_inactive":
        for k in oldest_first:
            if may_delete(k, needs_retired=True):
                return ("create", replaced, [k["access_key_id"]])
    return ("fail", None, [])


def table():
    for count in (0, 1, 2):
        for statuses in itertools.product(("Active", "Inactive"), repeat=count):
            for ages in itertools.product(AGES, repeat=count):
                for owners in itertools.product(OWNERS, repeat=count):
                    keys = [key(i, statuses[i], AGES[ages[i]], owner=owners[i]) for i in range(count)]
                    for held in [None, UNKNOWN] + IDS[:count]:
                        for rotate, on_key_limit, rotate_keys, issuer in itertools.product(
                            (False, True), ("fail", "delete_inactive"), (False, True), (None, FLEET)
                        ):
                            policy = kp.KeyPolicy(rotate=rotate, max_age_days=MAX_AGE, on_key_limit=on_key_limit,
                                                  rotate_keys=rotate_keys, issuer=issuer)
                            yield keys, held, policy


CASES = list(table())


def check_against_oracle(keys, held, policy):
    """The differences between the plan and the oracle (empty when they agree)."""
    plan = kp.plan_keys(keys, held, policy, NOW)
    outcome, replaced, deleted = oracle(keys, held, policy)
    writes = [(a.kind, a.access_key_id) for a in plan.actions]
    if outcome == "fail":
        named = all(k["access_key_id"] in (plan.failure or "") for k in keys)
        return [] if plan.failure and named and plan.actions == [] else ["expected a failure naming every key"]
    if plan.failure is not None:
        return ["unexpected failure: " + plan.failure]
    if outcome == "keep":
        # A kept key is Active: a retired tag left on it (reactivated by hand) goes.
        unretire = [("untag", held)] if [k for k in keys if k["access_key_id"] == held][0]["retired_date"] else []
        return [] if (writes, plan.access_key_id, plan.created) == (unretire, held, False) else ["expected keep"]
    expected = [("delete", key_id) for key_id in deleted]
    expected += [("untag", key_id) for key_id in deleted for k in keys if k["access_key_id"] == key_id
                 for field in ("issuer", "retired_date") if k[field] is not None]
    expected.append(("create", kp.NEW_KEY))
    if policy.issuer:
        expected.append(("tag", kp.NEW_KEY))
    problems = []
    if writes != expected:
        problems.append("writes %r != %r" % (writes, expected))
    if (plan.created, plan.replaced_access_key_id, plan.deleted_access_key_ids) != (True, replaced, deleted):
        problems.append("report %r" % ((plan.created, plan.replaced_access_key_id, plan.deleted_access_key_ids),))
    return problems


def test_table_covers_every_combination():
    # keys: 0 -> 1 set x 2 held; 1 -> 2*2*5 sets x 3 held; 2 -> 4*4*25 sets x 4 held; each x 16 policies.
    assert len(CASES) == (2 + 20 * 3 + 400 * 4) * 16


def test_plan_matches_oracle():
    """Every combination of keys, ownership tags, held key and policy, in one test (27k cases)."""
    mismatches = []
    for keys, held, policy in CASES:
        problems = check_against_oracle(keys, held, policy)
        if problems:
            mismatches.append((keys, held, vars(policy), problems))
    assert mismatches == [], "%d mismatches, first: %r" % (len(mismatches), mismatches[:1])


def test_never_deletes_an_active_or_held_or_foreign_key():
    for keys, held, policy in CASES:
        plan = kp.plan_keys(keys, held, policy, NOW)
        for k in keys:
            if k["access_key_id"] in plan.deleted_access_key_ids:
                assert k["status"] == "Inactive" and k["access_key_id"] != held
                assert policy.issuer is None or k["issuer"] == policy.issuer


def test_resulting_keys_stay_within_limit():
    new = {"access_key_id": "AKIAFAKE0000000NEW00", "status": "Active", "create_date": NOW}
    for keys, held, policy in CASES:
        plan = kp.plan_keys(keys, held, policy, NOW)
        if plan.failure:
            continue
        after = kp.resulting_keys(keys, plan, new)
        assert len(after) <= kp.KEY_LIMIT
        kept = sorted(keys, key=lambda k: k["create_date"])
        expected_ids = [k["access_key_id"] for k in kept if k["access_key_id"] not in plan.deleted_access_key_ids]
        if plan.created:
            expected_ids.append(new["access_key_id"])
        assert [k["access_key_id"] for k in after] == expected_ids


def test_without_max_age_an_old_key_is_kept():
    plan = kp.plan_keys([key(0, age_days=5000)], IDS[0], kp.KeyPolicy(), NOW)
    assert plan.actions == [] and plan.access_key_id == IDS[0]


@pytest.mark.parametrize(
    "age, replaced",
    [
        (datetime.timedelta(days=MAX_AGE), False),
        (datetime.timedelta(days=MAX_AGE, seconds=1), True),
        (datetime.timedelta(days=MAX_AGE - 1, hours=23), False),
    ],
)
def test_max_age_boundary(age, replaced):
    k = dict(key(0), create_date=NOW - age)
    plan = kp.plan_keys([k], IDS[0], kp.KeyPolicy(max_age_days=MAX_AGE), NOW)
    assert plan.created is replaced
    if replaced:
        assert "older than 90 days" in plan.actions[0].reason


def test_reasons_name_the_trigger():
    def reason(keys, held, **policy):
        return kp.plan_keys(keys, held, kp.KeyPolicy(**policy), NOW).actions[0].reason

    assert reason([], None) == "the consumer holds no key"
    assert "not a key of the user" in reason([key(0)], UNKNOWN)
    assert "is Inactive" in reason([key(0, "Inactive")], IDS[0])
    assert reason([key(0)], IDS[0], rotate=True) == "rotation requested"


def test_rotate_keys_refuses_an_active_oldest_key():
    """amazon.aws would delete the oldest (Active) key; we refuse, say why and what to do."""
    keys = [key(0, "Active", 100), key(1, "Active", 3)]
    plan = kp.plan_keys(keys, None, kp.KeyPolicy(rotate_keys=True), NOW)
    assert plan.actions == []
    assert plan.failure == (
        "a new key is needed (the consumer holds no key) but the user already has 2 keys (the IAM limit): "
        "{0} (Active, 100 days old, no description, no issuer tag), {1} (Active, 3 days old, no description, "
        "no issuer tag). rotate_keys: {0} is not deleted: it is Active, and deleting an Active key is refused "
        "(a consumer may still use it). To make room, first retire a key no consumer uses (id: {0}, active: false), "
        "then run again with on_key_limit=delete_inactive (or rotate_keys); or delete it explicitly "
        "(id: {0}, state: absent)".format(IDS[0], IDS[1])
    )


def test_rotate_keys_deletes_an_inactive_oldest_key_like_amazon_aws():
    keys = [key(0, "Inactive", 100, description="old"), key(1, "Active", 3)]
    plan = kp.plan_keys(keys, None, kp.KeyPolicy(rotate_keys=True), NOW)
    assert [(a.kind, a.access_key_id, a.tag) for a in plan.actions] == [
        ("delete", IDS[0], None), ("untag", IDS[0], "description"), ("create", None, None),
    ]
    assert plan.actions[0].reason == "make room: rotate_keys deletes the oldest key, which is Inactive"


def test_limit_failure_names_keys_tags_and_the_option():
    keys = [key(0, "Inactive", 100, description="INC-4711 forensic hold"),
            key(1, "Active", 3, description="laptop", owner="ours")]
    plan = kp.plan_keys(keys, IDS[1], kp.KeyPolicy(rotate=True, on_key_limit="delete_inactive", issuer=FLEET), NOW)
    assert plan.failure == (
        "a new key is needed (rotation requested) but the user already has 2 keys (the IAM limit): "
        "{0} (Inactive, 100 days old, description 'INC-4711 forensic hold', no issuer tag), "
        "{1} (Active, 3 days old, description 'laptop', issuer 'devkeys'). "
        "on_key_limit=delete_inactive: {0} is not deleted: it has no issuer tag (not issued by fleet 'devkeys'); "
        "on_key_limit=delete_inactive: {1} is not deleted: it is the key the consumer holds. "
        "To make room, delete {0} explicitly (id: {0}, state: absent) if no one needs it any more".format(*IDS)
    )


def test_limit_failure_with_fail_names_the_key_delete_inactive_would_delete():
    keys = [key(0, "Inactive", 100), key(1, "Active", 3)]
    plan = kp.plan_keys(keys, IDS[1], kp.KeyPolicy(rotate=True), NOW)
    assert plan.failure.endswith("on_key_limit is fail; on_key_limit=delete_inactive would delete %s" % IDS[0])


def test_limit_failure_for_a_foreign_active_key_says_deactivate_then_delete():
    keys = [key(0, "Active", 100), key(1, "Active", 3, owner="ours")]
    plan = kp.plan_keys(keys, IDS[1], kp.KeyPolicy(rotate=True, on_key_limit="delete_inactive", issuer=FLEET), NOW)
    assert plan.failure.endswith(
        "To make room, deactivate {0} (id: {0}, active: false) and, once nothing uses it, delete it explicitly "
        "(id: {0}, state: absent): only keys fleet 'devkeys' issued and retired are deleted to make room".format(IDS[0])
    )


def test_limit_failure_for_our_active_key_names_the_issuer_to_retire_it():
    keys = [key(0, "Active", 100, owner="ours"), key(1, "Active", 3, owner="ours")]
    plan = kp.plan_keys(keys, IDS[1], kp.KeyPolicy(rotate=True, issuer=FLEET), NOW)
    assert "first retire a key no consumer uses (id: %s, active: false, issuer: devkeys)" % IDS[0] in plan.failure


def test_deleted_key_to_make_room_loses_its_tags():
    keys = [key(0, "Inactive", description="old laptop", owner="ours-retired", holders={"names": ["a"], "count": 1}),
            key(1, "Active", owner="ours")]
    policy = kp.KeyPolicy(rotate=True, on_key_limit="delete_inactive", description="new laptop", issuer=FLEET,
                          holders=["h2", "h1"])
    plan = kp.plan_keys(keys, IDS[1], policy, NOW)
    assert [(a.kind, a.access_key_id, a.tag, a.value) for a in plan.actions] == [
        ("delete", IDS[0], None, None),
        ("untag", IDS[0], "description", None),
        ("untag", IDS[0], "issuer", None),
        ("untag", IDS[0], "holders", None),
        ("untag", IDS[0], "retired", None),
        ("create", kp.NEW_KEY, None, None),
        ("tag", kp.NEW_KEY, "description", "new laptop"),
        ("tag", kp.NEW_KEY, "issuer", FLEET),
        ("tag", kp.NEW_KEY, "holders", "h1 h2"),
    ]
    assert plan.actions[0].reason == "make room: the oldest Inactive key that devkeys.aws retired (fleet 'devkeys')"


def test_create_inactive_like_amazon_aws():
    plan = kp.plan_keys([], None, kp.KeyPolicy(active=False, description="d"), NOW)
    assert [(a.kind, a.tag, a.value) for a in plan.actions] == [
        ("create", None, None), ("tag", "description", "d"), ("set_status", None, "Inactive"),
    ]
    after = kp.resulting_keys([], plan, {"access_key_id": None, "status": "Active", "create_date": NOW})
    assert [(k["status"], k["description"]) for k in after] == [("Inactive", "d")]


@pytest.mark.parametrize(
    "current, wanted, owner, issuer, steps",
    [
        (None, None, "untagged", None, []),
        ("laptop", None, "untagged", None, []),
        ("laptop", "laptop", "untagged", None, []),
        (None, "laptop", "untagged", None, [("tag", "laptop")]),
        (None, "laptop", "other-fleet", FLEET, [("tag", "laptop")]),
        ("old", "laptop", "ours", FLEET, [("tag", "laptop")]),
        ("laptop", "", "ours", FLEET, [("untag", None)]),
        (None, "", "untagged", None, []),
        ("vault lease 42", "laptop", "untagged", None, [("keep", "vault lease 42")]),
        ("vault lease 42", "laptop", "untagged", FLEET, [("keep", "vault lease 42")]),
        ("vault lease 42", "laptop", "other-fleet", FLEET, [("keep", "vault lease 42")]),
        ("vault lease 42", "", "untagged", FLEET, [("keep", "vault lease 42")]),
    ],
)
def test_description_of_kept_key(current, wanted, owner, issuer, steps):
    k = key(0, description=current, owner=owner)
    for held, policy in ((IDS[0], kp.KeyPolicy(description=wanted, issuer=issuer)),
                         (None, kp.KeyPolicy(access_key_id=IDS[0], description=wanted, issuer=issuer))):
        plan = kp.plan_keys([k], held, policy, NOW)
        assert [(a.kind, a.value) for a in plan.steps()] == steps
        assert all(a.access_key_id == IDS[0] and a.tag == "description" for a in plan.steps())
        assert plan.changed is (bool(steps) and steps[0][0] != "keep")


@pytest.mark.parametrize("issuer, recorded_by, why", [
    (None, "untagged", "the key cannot be told ours without the issuer option"),
    (FLEET, "untagged", "the key has no issuer tag (not issued by fleet 'devkeys')"),
    (FLEET, "other-fleet", "the key was issued by 'other', not by fleet 'devkeys'"),
])
def test_foreign_description_reason(issuer, recorded_by, why):
    plan = kp.plan_keys([key(0, description="lease 42", owner=recorded_by)], IDS[0],
                        kp.KeyPolicy(description="laptop", issuer=issuer), NOW)
    assert plan.kept[0].reason == (
        "description 'lease 42' is kept: %s, and devkeys.aws never overwrites the description of a key that is not "
        "its own" % why
    )
    assert plan.actions == [] and plan.changed is False


@pytest.mark.parametrize(
    "recorded, holders, owner, written",
    [
        (None, ["h1"], "ours", "h1"),
        ({"names": ["h1"], "count": 1}, ["h1"], "ours", None),
        ({"names": ["h1", "h3"], "count": 2}, ["h2"], "ours", "h1 h2 h3"),
        ({"names": ["h1", "h3"], "count": 2}, ["h2"], "untagged", None),
        ({"names": ["h1", "h3"], "count": 2}, ["h2"], "other-fleet", None),
        ({"names": None, "count": 30}, ["h2"], "ours", None),
    ],
)
def test_holders_of_a_kept_key_only_grow_and_only_on_ours(recorded, holders, owner, written):
    policy = kp.KeyPolicy(holders=holders, issuer=FLEET)
    plan = kp.plan_keys([key(0, owner=owner, holders=recorded)], IDS[0], policy, NOW)
    expected = [("tag", IDS[0], "holders", written)] if written else []
    assert [(a.kind, a.access_key_id, a.tag, a.value) for a in plan.actions] == expected


@pytest.mark.parametrize(
    "status, active, owner, steps",
    [
        ("Active", False, "ours", [("set_status", None, "Inactive"), ("tag", "retired", "2026-06-01T12:00:00Z")]),
        ("Active", False, "untagged", [("set_status", None, "Inactive")]),
        ("Active", False, "other-fleet", [("set_status", None, "Inactive")]),
        ("Inactive", False, "ours", []),
        ("Inactive", False, "ours-retired", []),
        ("Inactive", True, "ours-retired", [("set_status", None, "Active"), ("untag", "retired", None)]),
        ("Inactive", True, "untagged", [("set_status", None, "Active")]),
        ("Active", True, "ours", []),
        ("Active", None, "ours", []),
        ("Inactive", None, "ours", []),
    ],
)
def test_named_key_status(status, active, owner, steps):
    # Even an old key at the limit: `id` only changes the status, never creates.
    keys = [key(0, status, 500, owner=owner), key(1, "Active")]
    plan = kp.plan_keys(keys, None, kp.KeyPolicy(access_key_id=IDS[0], active=active, issuer=FLEET), NOW)
    assert [(a.kind, a.tag, a.value) for a in plan.actions] == steps
    assert all(a.access_key_id == IDS[0] for a in plan.actions)
    assert plan.created is False and plan.access_key_id == IDS[0] and plan.failure is None


def test_named_key_that_is_missing_fails_unless_absent():
    plan = kp.plan_keys([key(0)], None, kp.KeyPolicy(access_key_id=UNKNOWN, active=False), NOW)
    assert plan.failure == (
        "no access key %s among the keys of the user: %s (Active, 10 days old, no description, no issuer tag)"
        % (UNKNOWN, IDS[0])
    )
    plan = kp.plan_keys([key(0)], None, kp.KeyPolicy(access_key_id=UNKNOWN, state="absent"), NOW)
    assert plan.failure is None and plan.actions == []


@pytest.mark.parametrize(
    "keys, actions, deleted",
    [
        ([key(0, description="laptop")], [("delete", IDS[0]), ("untag", IDS[0])], [IDS[0]]),
        ([key(0, owner="ours")], [("delete", IDS[0]), ("untag", IDS[0])], [IDS[0]]),
        ([key(0)], [("delete", IDS[0])], [IDS[0]]),
        ([key(1)], [], []),
        ([], [], []),
    ],
)
def test_absent(keys, actions, deleted):
    plan = kp.plan_keys(keys, None, kp.KeyPolicy(access_key_id=IDS[0], state="absent"), NOW)
    assert [(a.kind, a.access_key_id) for a in plan.actions] == actions
    assert plan.deleted_access_key_ids == deleted
    assert plan.created is False and plan.failure is None


def test_absent_without_id_fails():
    plan = kp.plan_keys([key(0)], IDS[0], kp.KeyPolicy(state="absent"), NOW)
    assert plan.failure == "state=absent needs the id of the key to delete" and plan.actions == []


AFTER = NOW - datetime.timedelta(days=7)


@pytest.mark.parametrize(
    "last_used, kept",
    [
        (None, False),
        (AFTER - datetime.timedelta(seconds=1), False),
        (AFTER, True),
        ((AFTER + datetime.timedelta(days=1)).isoformat(), True),
    ],
)
@pytest.mark.parametrize("retire", [{"active": False}, {"state": "absent"}])
def test_keep_if_used_after(last_used, kept, retire):
    k = dict(key(0, owner="ours"), last_used_date=last_used, last_used_service="sts", last_used_region="eu-west-1")
    policy = kp.KeyPolicy(access_key_id=IDS[0], keep_if_used_after=AFTER, issuer=FLEET, **retire)
    plan = kp.plan_keys([k], None, policy, NOW)
    assert plan.changed is not kept
    if kept:
        used = kp.as_datetime(last_used).isoformat()
        assert plan.kept_in_use == {"access_key_id": IDS[0], "last_used_date": used,
                                    "last_used_service": "sts", "last_used_region": "eu-west-1"}
        assert plan.actions == [] and [(a.kind, a.access_key_id) for a in plan.kept] == [("keep", IDS[0])]
        assert plan.kept[0].reason == (
            "used at %s (sts, eu-west-1), at or after keep_if_used_after %s: left as it is" % (used, AFTER.isoformat())
        )
    else:
        assert plan.kept_in_use is None


def test_keep_if_used_after_needs_the_last_use():
    plan = kp.plan_keys([key(0)], None, kp.KeyPolicy(access_key_id=IDS[0], active=False, keep_if_used_after=AFTER), NOW)
    assert plan.failure == "the last use of access key %s was not read (needed by keep_if_used_after)" % IDS[0]


def test_policy_reads():
    assert not kp.KeyPolicy().reads_tags()
    assert kp.KeyPolicy(issuer=FLEET).reads_tags() and kp.KeyPolicy(description="").reads_tags()
    assert kp.KeyPolicy(holders=["h"]).reads_tags() and not kp.KeyPolicy(holders=[]).reads_tags()
    assert kp.KeyPolicy(access_key_id=IDS[0], active=False, keep_if_used_after=AFTER).reads_last_use()
    assert not kp.KeyPolicy(access_key_id=IDS[0], active=True, keep_if_used_after=AFTER).reads_last_use()
    assert not kp.KeyPolicy(access_key_id=IDS[0], active=False).reads_last_use()
    with pytest.raises(TypeError, match="unknown key policy options: held_unknown"):
        kp.KeyPolicy(held_unknown=True)


def test_resulting_keys_in_check_mode_placeholder():
    keys = [key(0, "Inactive", description="gone", owner="ours-retired"), key(1, "Active")]
    plan = kp.plan_keys(keys, IDS[1], kp.KeyPolicy(rotate=True, on_key_limit="delete_inactive", description="x",
                                                   issuer=FLEET, holders=["h"]), NOW)
    after = kp.resulting_keys(keys, plan, {"access_key_id": None, "status": "Active", "create_date": NOW})
    assert [(k["access_key_id"], k["status"], k["description"], k["issuer"], k["holders"]) for k in after] == [
        (IDS[1], "Active", None, None, None),
        (None, "Active", "x", FLEET, {"names": ["h"], "count": 1}),
    ]
    assert keys[0]["description"] == "gone"  # input not mutated


def test_resulting_keys_apply_retired_stamp():
    keys = [key(0, owner="ours")]
    plan = kp.plan_keys(keys, None, kp.KeyPolicy(access_key_id=IDS[0], active=False, issuer=FLEET), NOW)
    after = kp.resulting_keys(keys, plan, None)
    assert (after[0]["status"], after[0]["retired_date"]) == ("Inactive", NOW)


def test_action_as_dict():
    action = kp.Action(kp.TAG, IDS[0], "why", "v", "holders")
    assert action.as_dict() == {
        "action": "tag", "access_key_id": IDS[0], "tag": "holders", "value": "v", "reason": "why",
    }
