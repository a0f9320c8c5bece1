"""devkeys.aws.iam_access_key in an account that holds more than our keys (issue 15), on moto through the proxy.

Ownership: a key is ours when its devkeys.aws:<ID>:issuer tag equals the ``issuer`` option. Writes are
counted by the fault proxy (harness/aws_proxy.py) in front of moto; keys are aged with the harness clock.
"""

import datetime

import boto3
import pytest
from _iam_keys import MODULE, USER, converge, failing, iam_keys, iam_tags, make_key, writes

from harness.aws_proxy import AwsProxy, Fault

UTC = datetime.timezone.utc
STAMP = "%Y-%m-%dT%H:%M:%SZ"
FLEET = "devkeys"
FORENSIC = "INC-4711 forensic hold"


@pytest.fixture
def user(iam):
    iam.create_user(UserName=USER)
    return USER


@pytest.fixture
def proxy(aws):
    with AwsProxy(aws.url) as running:
        yield running


@pytest.fixture
def via_proxy(aws, proxy):
    """Environment that sends the module's AWS calls through the proxy."""
    return proxy.env(aws.env())


def days_ago(days):
    return datetime.datetime.now(UTC) - datetime.timedelta(days=days)


def our_old_key(aws, iam, description="laptop"):
    """A key our fleet issued 100 days ago (past a 90-day max age)."""
    with aws.clock(days_ago(100)):
        return make_key(iam, description=description, tags={"issuer": FLEET})


ROTATE = {"max_age_days": 90, "on_key_limit": "delete_inactive", "issuer": FLEET}
RETIRED_BY_US = {"issuer": FLEET, "retired": "2026-01-01T00:00:00Z"}


def tasks_play(tasks):
    return [{"hosts": "localhost", "gather_facts": False, "tasks": tasks}]


SPARE_KEYS = {
    # kind: (description, tags, why it is not deleted)
    "forensic hold of another team": (FORENSIC, {}, "it has no issuer tag (not issued by fleet 'devkeys')"),
    "retired by another fleet": ("their laptop", {"issuer": "other-fleet", "retired": "2026-01-01T00:00:00Z"},
                                 "it was issued by 'other-fleet', not by fleet 'devkeys'"),
    "ours, deactivated by incident response": ("laptop 2", {"issuer": FLEET},
                                               "devkeys.aws did not deactivate it (no retired tag)"),
}


@pytest.mark.parametrize("kind", sorted(SPARE_KEYS))
def test_delete_inactive_never_deletes_a_key_we_did_not_retire(aws, iam, user, proxy, via_proxy, ansible_aws, kind):
    description, tags, why = SPARE_KEYS[kind]
    with aws.clock(days_ago(200)):
        spare = make_key(iam, "Inactive", description=description, tags=tags)
    held = our_old_key(aws, iam)
    before = (iam_keys(iam), iam_tags(iam))
    result = failing(ansible_aws, dict(ROTATE, user_name=user, held_access_key_id=held), env=via_proxy)
    assert "on_key_limit=delete_inactive: %s is not deleted: %s; " % (spare, why) in result["msg"]
    assert "%s (Inactive, 200 days old, description %r, " % (spare, description) in result["msg"]
    assert writes(proxy) == []
    assert (iam_keys(iam), iam_tags(iam)) == before


def test_delete_inactive_deletes_the_key_we_retired(aws, iam, user, proxy, via_proxy, ansible_aws):
    with aws.clock(days_ago(200)):
        retired = make_key(iam, "Inactive", description="old laptop", tags=RETIRED_BY_US)
    held = our_old_key(aws, iam)
    _run, result = converge(ansible_aws, dict(ROTATE, user_name=user, held_access_key_id=held, holders=["h1"]),
                            env=via_proxy)
    new_id = result["access_key_id"]
    assert result["deleted_access_key_id"] == retired and result["replaced_access_key_id"] == held
    assert writes(proxy) == ["DeleteAccessKey", "UntagUser", "CreateAccessKey", "TagUser"]
    assert iam_keys(iam) == [(held, "Active"), (new_id, "Active")]
    assert iam_tags(iam) == {
        held: "laptop", "devkeys.aws:%s:issuer" % held: FLEET,
        "devkeys.aws:%s:issuer" % new_id: FLEET, "devkeys.aws:%s:holders" % new_id: "h1",
    }


def test_another_tools_description_on_a_kept_key_stays(iam, user, proxy, via_proxy, ansible_aws):
    """Check mode and the real run both keep it, make no write and say why in the plan and the diff."""
    held = make_key(iam, description="vault lease 42")
    args = {"user_name": user, "held_access_key_id": held, "description": "alice's laptop", "issuer": FLEET}
    kept = {
        "action": "keep", "access_key_id": held, "tag": "description", "value": "vault lease 42",
        "reason": "description 'vault lease 42' is kept: the key has no issuer tag (not issued by fleet 'devkeys'), "
                  "and devkeys.aws never overwrites the description of a key that is not its own",
    }
    for check in (True, False):
        options = ["--diff"] + (["--check"] if check else [])
        run = ansible_aws.task(MODULE, args, args=options, env=via_proxy).assert_ok()
        result = run.result(task="task under test")
        assert result["changed"] is False and run.recap["localhost"]["changed"] == 0
        assert result["plan"] == [kept]
        assert result["diff"]["before"] == result["diff"]["after"]
        assert result["access_keys"][0]["description"] == "vault lease 42"
    assert writes(proxy) == []
    assert iam_tags(iam) == {held: "vault lease 42"}


def use_key(aws, key, region="eu-west-1"):
    """Sign one request with the key (moto records its last use)."""
    boto3.client("sts", endpoint_url=aws.url, region_name=region, aws_access_key_id=key["AccessKeyId"],
                 aws_secret_access_key=key["SecretAccessKey"]).get_caller_identity()


def test_keep_if_used_after_keeps_a_key_used_since(aws, iam, user, proxy, via_proxy, ansible_aws):
    used_at = days_ago(2).replace(microsecond=0)
    key = iam.create_access_key(UserName=user)["AccessKey"]
    iam.tag_user(UserName=user, Tags=[{"Key": "devkeys.aws:%s:issuer" % key["AccessKeyId"], "Value": FLEET}])
    with aws.clock(used_at):
        use_key(aws, key)
    key_id = key["AccessKeyId"]
    an_hour_before = (used_at - datetime.timedelta(hours=1)).isoformat()
    a_second_after = (used_at + datetime.timedelta(seconds=1)).isoformat()
    steps = [
        ("deactivate, used since", {"active": False, "keep_if_used_after": an_hour_before}),
        ("delete, used at that very second", {"state": "absent", "keep_if_used_after": used_at.strftime(STAMP)}),
        ("deactivate, not used since", {"active": False, "keep_if_used_after": a_second_after}),
    ]
    tasks = [{"name": name, MODULE: dict(args, user_name=user, id=key_id, issuer=FLEET)} for name, args in steps]
    run = ansible_aws.playbook(tasks_play(tasks), env=via_proxy).assert_ok()
    in_use = {"access_key_id": key_id, "last_used_date": used_at.isoformat(), "last_used_service": "sts",
              "last_used_region": "eu-west-1"}
    for name in ("deactivate, used since", "delete, used at that very second"):
        result = run.result(task=name)
        assert (result["changed"], result["kept_in_use"]) == (False, in_use)
        assert [(a["action"], a["access_key_id"]) for a in result["plan"]] == [("keep", key_id)]
    retired = run.result(task="deactivate, not used since")
    assert retired["changed"] is True and retired["kept_in_use"] is None
    assert writes(proxy) == ["UpdateAccessKey", "TagUser"]
    assert iam_keys(iam) == [(key_id, "Inactive")]
    stamp = iam_tags(iam)["devkeys.aws:%s:retired" % key_id]
    assert abs(datetime.datetime.strptime(stamp, STAMP).replace(tzinfo=UTC)
               - datetime.datetime.now(UTC)) < datetime.timedelta(minutes=5)


def test_retired_tag_only_on_keys_we_retire(aws, iam, user, proxy, via_proxy, ansible_aws):
    ours = make_key(iam, tags={"issuer": FLEET})
    theirs = make_key(iam, description="CI bot")
    steps = [
        ("retire ours", ours, False), ("retire ours again", ours, False), ("reactivate ours", ours, True),
        ("deactivate theirs", theirs, False),
    ]
    tasks = [{"name": name, MODULE: {"user_name": user, "id": key_id, "enabled": active, "issuer": FLEET}}
             for name, key_id, active in steps]
    run = ansible_aws.playbook(tasks_play(tasks), env=via_proxy).assert_ok()
    assert [run.result(task=name)["changed"] for name, _k, _a in steps] == [True, False, True, True]
    retire = run.result(task="retire ours")
    assert [(a["action"], a["tag"]) for a in retire["plan"]] == [("set_status", None), ("tag", "retired")]
    assert retire["access_keys"][0]["retired_date"] is not None
    assert [(a["action"], a["tag"]) for a in run.result(task="reactivate ours")["plan"]] == [
        ("set_status", None), ("untag", "retired"),
    ]
    assert writes(proxy) == ["UpdateAccessKey", "TagUser", "UpdateAccessKey", "UntagUser", "UpdateAccessKey"]
    assert iam_keys(iam) == [(ours, "Active"), (theirs, "Inactive")]
    assert iam_tags(iam) == {"devkeys.aws:%s:issuer" % ours: FLEET, theirs: "CI bot"}


def test_holders_only_grow_and_only_on_our_keys(iam, user, proxy, via_proxy, ansible_aws):
    _run, created = converge(ansible_aws, {"user_name": user, "issuer": FLEET, "holders": ["h2", "h1"]}, env=via_proxy)
    key_id = created["access_key_id"]
    holders_tag = "devkeys.aws:%s:holders" % key_id
    assert iam_tags(iam)[holders_tag] == "h1 h2"
    steps = [("a new host", FLEET, ["h3"]), ("a known host", FLEET, ["h1"]), ("another fleet's run", "other", ["h9"])]
    tasks = [
        {"name": name, MODULE: {"user_name": user, "held_access_key_id": key_id, "issuer": issuer, "holders": hosts}}
        for name, issuer, hosts in steps
    ]
    run = ansible_aws.playbook(tasks_play(tasks), env=via_proxy).assert_ok()
    assert [run.result(task=name)["changed"] for name, _i, _h in steps] == [True, False, False]
    assert run.result(task="a known host")["access_keys"][0]["holders"] == {"names": ["h1", "h2", "h3"], "count": 3}
    assert writes(proxy) == ["CreateAccessKey", "TagUser", "TagUser"]
    assert iam_tags(iam)[holders_tag] == "h1 h2 h3"


def comparable(plan):
    """A plan without the retired stamp's seconds (check mode and the real run take "now" apart)."""
    return [dict(step, value=None) if step["tag"] == "retired" and step["action"] == "tag" else step for step in plan]


CALLS = {"create": "CreateAccessKey", "delete": "DeleteAccessKey", "set_status": "UpdateAccessKey", "tag": "TagUser",
         "untag": "UntagUser"}


def calls_of(plan):
    """The IAM write calls a plan stands for: consecutive tag (untag) steps of one key are one call."""
    calls, last = [], None
    for step in plan:
        if step["action"] == "keep":
            continue
        same_call = last is not None and step["action"] in ("tag", "untag") and \
            (step["action"], step["access_key_id"]) == (last["action"], last["access_key_id"])
        if not same_call:
            calls.append(CALLS[step["action"]])
        last = step
    return calls


@pytest.mark.parametrize("scenario, calls", [
    ("rotate", ["DeleteAccessKey", "UntagUser", "CreateAccessKey", "TagUser"]),
    ("retire", ["UpdateAccessKey", "TagUser"]),
])
def test_check_mode_predicts_the_same_plan_and_writes_nothing(aws, iam, user, proxy, via_proxy, ansible_aws, scenario,
                                                              calls):
    with aws.clock(days_ago(200)):
        retired = make_key(iam, "Inactive", description="old", tags=RETIRED_BY_US)
    held = our_old_key(aws, iam, description="vault lease 42")
    if scenario == "rotate":
        args = dict(ROTATE, user_name=user, held_access_key_id=held, description="laptop", holders=["h1"])
    else:
        args = {"user_name": user, "id": held, "active": False, "issuer": FLEET, "description": "laptop"}
    _run, predicted = converge(ansible_aws, args, check=True, env=via_proxy)
    assert writes(proxy) == []
    assert calls_of(predicted["plan"]) == calls
    _run, done = converge(ansible_aws, args, env=via_proxy)
    assert comparable(predicted["plan"]) == comparable(done["plan"])
    for field in ("changed", "created", "replaced_access_key_id", "deleted_access_key_ids", "kept_in_use"):
        assert predicted[field] == done[field]
    assert writes(proxy) == calls
    if scenario == "rotate":
        assert [k for k, _status in iam_keys(iam)] == [held, done["access_key_id"]]
        assert iam_tags(iam)[done["access_key_id"]] == "laptop"
    else:
        assert iam_keys(iam) == [(retired, "Inactive"), (held, "Inactive")]
        assert iam_tags(iam)[held] == "laptop"  # ours: its description follows the option


def test_a_new_key_that_cannot_be_tagged_is_deleted(aws, iam, user, proxy, via_proxy, ansible_aws):
    """TagUser refused (not retried): no orphan key, no half-written tags."""
    proxy.configure(faults=[Fault("invalid_token", action="TagUser")])
    result = failing(ansible_aws, {"user_name": user, "issuer": FLEET, "holders": ["h1"]}, env=via_proxy)
    assert result["msg"].startswith("Failed to tag access key AKIA")
    assert "of IAM user 'alice' (issuer, holders): InvalidClientTokenId: " in result["msg"]
    assert result["msg"].endswith("was deleted again")
    assert writes(proxy) == ["CreateAccessKey", "TagUser", "DeleteAccessKey"]
    assert iam_keys(iam) == [] and iam_tags(iam) == {}
