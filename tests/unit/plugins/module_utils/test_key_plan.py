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


def key(index, status="Active", age_days=10, description=None):
    # Key 0 is the older one when ages tie, so "oldest" is well defined.
    created = NOW - datetime.timedelta(days=age_days, minutes=10 - index)
    return {"access_key_id": IDS[index], "status": status, "create_date": created, "description": description}


def oracle(keys, held_id, rotate, on_key_limit):
    """Expected (outcome, replaced, deleted) written from the issue's rules, independently of the planner."""
    held = [k for k in keys if k["access_key_id"] == held_id]
    if held:
        young = NOW - held[0]["create_date"] <= datetime.timedelta(days=MAX_AGE)
        if held[0]["status"] == "Active" and young and not rotate:
            return ("keep", None, [])
    replaced = held_id if held else None
    if len(keys) < 2:
        return ("create", replaced, [])
    if on_key_limit == "delete_inactive":
        others = [k for k in keys if k["status"] == "Inactive" and k["access_key_id"] != held_id]
        if others:
            oldest = min(others, key=lambda k: k["create_date"])
            return ("create", replaced, [oldest["access_key_id"]])
    return ("fail", None, [])


def table():
    for count in (0, 1, 2):
        for statuses in itertools.product(("Active", "Inactive"), repeat=count):
            for ages in itertools.product(AGES, repeat=count):
                for held in [None, UNKNOWN] + IDS[:count]:
                    for rotate, on_key_limit in itertools.product((False, True), ("fail", "delete_inactive")):
                        keys = [key(i, statuses[i], AGES[ages[i]]) for i in range(count)]
                        yield keys, held, rotate, on_key_limit


CASES = list(table())


def test_table_covers_every_combination():
    # 0 keys: 2 held choices; 1 key: 2*2*3; 2 keys: 4*4*4; each x 2 rotate x 2 on_key_limit.
    assert len(CASES) == (2 + 12 + 64) * 4


@pytest.mark.parametrize("keys, held, rotate, on_key_limit", CASES)
def test_plan_matches_oracle(keys, held, rotate, on_key_limit):
    policy = kp.KeyPolicy(rotate=rotate, max_age_days=MAX_AGE, on_key_limit=on_key_limit)
    plan = kp.plan_keys(keys, held, policy, NOW)
    outcome, replaced, deleted = oracle(keys, held, rotate, on_key_limit)
    if outcome == "fail":
        assert plan.failure is not None
        assert plan.actions == []
        for k in keys:
            assert k["access_key_id"] in plan.failure
        return
    assert plan.failure is None
    if outcome == "keep":
        assert plan.actions == []
        assert plan.changed is False
        assert plan.created is False
        assert plan.access_key_id == held
        assert plan.replaced_access_key_id is None
        return
    assert plan.kinds() == ["delete"] * len(deleted) + ["create"]
    assert [a.access_key_id for a in plan.actions] == deleted + [kp.NEW_KEY]
    assert plan.created is True
    assert plan.replaced_access_key_id == replaced
    assert plan.deleted_access_key_ids == deleted
    # Never an Active key, never the held key.
    for k in keys:
        if k["access_key_id"] in deleted:
            assert k["status"] == "Inactive"
            assert k["access_key_id"] != held


@pytest.mark.parametrize("keys, held, rotate, on_key_limit", CASES)
def test_resulting_keys_stay_within_limit(keys, held, rotate, on_key_limit):
    policy = kp.KeyPolicy(rotate=rotate, max_age_days=MAX_AGE, on_key_limit=on_key_limit)
    plan = kp.plan_keys(keys, held, policy, NOW)
    if plan.failure:
        return
    new = {"access_key_id": "AKIAFAKE0000000NEW00", "status": "Active", "create_date": NOW}
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
        return kp.plan_keys(keys, held, kp.KeyPolicy(**policy), NOW).actions[-1].reason

    assert reason([], None) == "the consumer holds no key"
    assert "not a key of the user" in reason([key(0)], UNKNOWN)
    assert "is Inactive" in reason([key(0, "Inactive")], IDS[0])
    assert reason([key(0)], IDS[0], rotate=True) == "rotation requested"


def test_limit_failure_lists_keys_and_reason():
    keys = [key(0, "Active", 100), key(1, "Active", 3)]
    plan = kp.plan_keys(keys, IDS[0], kp.KeyPolicy(rotate=True, on_key_limit="delete_inactive"), NOW)
    assert plan.failure == (
        "a new key is needed (rotation requested) but the user already has 2 keys and none of them is an Inactive"
        " key other than the held one: %s (Active, 100 days old), %s (Active, 3 days old)" % (IDS[0], IDS[1])
    )


def test_delete_inactive_never_deletes_the_held_inactive_key():
    keys = [key(0, "Inactive"), key(1, "Active")]
    plan = kp.plan_keys(keys, IDS[0], kp.KeyPolicy(on_key_limit="delete_inactive"), NOW)
    assert plan.failure and plan.actions == []


def test_deleted_key_to_make_room_loses_its_description():
    keys = [key(0, "Inactive", description="old laptop"), key(1, "Active")]
    plan = kp.plan_keys(keys, None, kp.KeyPolicy(on_key_limit="delete_inactive", description="new laptop"), NOW)
    assert [(a.kind, a.access_key_id, a.value) for a in plan.actions] == [
        ("delete", IDS[0], None),
        ("untag", IDS[0], None),
        ("create", kp.NEW_KEY, None),
        ("tag", kp.NEW_KEY, "new laptop"),
    ]


@pytest.mark.parametrize(
    "current, wanted, actions",
    [
        (None, None, []),
        ("laptop", None, []),
        ("laptop", "laptop", []),
        (None, "laptop", [("tag", "laptop")]),
        ("old", "laptop", [("tag", "laptop")]),
        ("laptop", "", [("untag", None)]),
        (None, "", []),
    ],
)
def test_description_of_kept_key(current, wanted, actions):
    plan = kp.plan_keys([key(0, description=current)], IDS[0], kp.KeyPolicy(description=wanted), NOW)
    assert [(a.kind, a.value) for a in plan.actions] == actions
    assert all(a.access_key_id == IDS[0] for a in plan.actions)


@pytest.mark.parametrize(
    "keys, held, actions, deleted",
    [
        ([key(0, description="laptop")], IDS[0], [("delete", IDS[0]), ("untag", IDS[0])], [IDS[0]]),
        ([key(0)], IDS[0], [("delete", IDS[0])], [IDS[0]]),
        ([key(0)], UNKNOWN, [], []),
        ([], IDS[0], [], []),
    ],
)
def test_absent(keys, held, actions, deleted):
    plan = kp.plan_keys(keys, held, kp.KeyPolicy(state="absent"), NOW)
    assert [(a.kind, a.access_key_id) for a in plan.actions] == actions
    assert plan.deleted_access_key_ids == deleted
    assert plan.created is False and plan.failure is None


@pytest.mark.parametrize(
    "status, active, actions",
    [
        ("Active", False, [("set_status", "Inactive")]),
        ("Inactive", False, []),
        ("Inactive", True, [("set_status", "Active")]),
        ("Active", True, []),
    ],
)
def test_status_change_only(status, active, actions):
    # Even an old key at the limit: `active` only changes the status, never creates.
    keys = [key(0, status, 500), key(1, "Active")]
    plan = kp.plan_keys(keys, IDS[0], kp.KeyPolicy(active=active, max_age_days=None), NOW)
    assert [(a.kind, a.value) for a in plan.actions] == actions
    assert plan.created is False and plan.access_key_id == IDS[0]


def test_status_change_of_missing_key_fails():
    plan = kp.plan_keys([key(0)], UNKNOWN, kp.KeyPolicy(active=False), NOW)
    assert plan.failure == "no access key %s among the keys of the user: %s (Active, 10 days old)" % (UNKNOWN, IDS[0])


def test_resulting_keys_in_check_mode_placeholder():
    keys = [key(0, "Inactive", description="gone"), key(1, "Active")]
    plan = kp.plan_keys(keys, IDS[1], kp.KeyPolicy(rotate=True, on_key_limit="delete_inactive", description="x"), NOW)
    after = kp.resulting_keys(keys, plan, {"access_key_id": None, "status": "Active", "create_date": NOW})
    assert [(k["access_key_id"], k["status"], k["description"]) for k in after] == [
        (IDS[1], "Active", None),
        (None, "Active", "x"),
    ]
    assert keys[0]["description"] == "gone"  # input not mutated


UNREAD_CASES = sorted({(tuple(tuple(sorted(k.items())) for k in keys), rotate, limit)
                       for keys, _held, rotate, limit in CASES})


@pytest.mark.parametrize("keys, rotate, on_key_limit", UNREAD_CASES)
def test_unread_consumer_creates_only_for_a_user_without_keys(keys, rotate, on_key_limit):
    keys = [dict(items) for items in keys]
    policy = kp.KeyPolicy(rotate=rotate, max_age_days=MAX_AGE, on_key_limit=on_key_limit, description="laptop")
    plan = kp.plan_for_unread_consumer(keys, policy, NOW)
    if not keys:
        assert [(a.kind, a.access_key_id, a.value) for a in plan.actions] == [("create", None, None), ("tag", None, "laptop")]
        assert plan.actions[0].reason == "the user has no access key"
        assert plan.created is True and plan.keepable_access_key_ids == []
        return
    assert plan.actions == [] and plan.created is False and plan.failure is None
    # A key with another description would be tagged when kept, so only keys already described as wanted qualify.
    assert plan.keepable_access_key_ids == []
    described = [dict(k, description="laptop") for k in keys]
    plan = kp.plan_for_unread_consumer(described, policy, NOW)
    assert plan.actions == []
    assert plan.keepable_access_key_ids == [
        k["access_key_id"] for k in sorted(keys, key=lambda k: k["create_date"])
        if oracle(keys, k["access_key_id"], rotate, on_key_limit)[0] == "keep"
    ]
