"""devkeys.aws.iam_access_key through real ansible-playbook runs against the harness moto_server."""

import datetime
import json
import re

import boto3
import pytest
from _iam_keys import MODULE, USER, converge, failing, iam_keys, iam_tags, make_key

from harness import ansible as ansible_runner
from harness.moto import ADMIN_ENV, MotoServer, free_port


@pytest.fixture
def user(iam):
    iam.create_user(UserName=USER)
    return USER


def test_create_then_keep(ansible_aws, iam, user, aws):
    run, created = converge(ansible_aws, {"user_name": user})
    assert run.recap["localhost"]["changed"] == 1
    new_id = created["access_key_id"]
    assert iam_keys(iam) == [(new_id, "Active")]
    assert created["created"] is True
    assert created["replaced_access_key_id"] is None
    assert created["deleted_access_key_ids"] == []
    assert created["user_arn"] == "arn:aws:iam::123456789012:user/alice"
    assert [(k["access_key_id"], k["status"], k["age_days"]) for k in created["access_keys"]] == [(new_id, "Active", 0)]
    # The secret works: STS answers for alice with it.
    sts = boto3.client("sts", endpoint_url=aws.url, region_name="us-east-1", aws_access_key_id=new_id,
                       aws_secret_access_key=created["secret_access_key"])
    assert sts.get_caller_identity()["Arn"] == "arn:aws:iam::123456789012:user/alice"

    run, kept = converge(ansible_aws, {"user_name": user, "held_access_key_id": new_id, "max_age_days": 90})
    assert run.recap["localhost"]["changed"] == 0
    assert kept["changed"] is False and kept["created"] is False
    assert kept["access_key_id"] == new_id
    assert "secret_access_key" not in kept and "user_arn" not in kept
    assert kept["plan"] == [] and kept["kept_in_use"] is None and "deleted_access_key_id" not in kept
    assert kept["access_key"] == {"access_key_id": new_id, "create_date": created["access_key"]["create_date"],
                                  "user_name": "alice", "status": "Active"}
    assert iam_keys(iam) == [(new_id, "Active")]


def test_secret_never_in_output_or_diff_at_vvvv(ansible_aws, iam, user):
    run = ansible_aws.task(
        MODULE, {"user_name": user}, publish=True, task_extra={"no_log": True}, args=["-vvvv", "--diff"]
    ).assert_ok()
    result = run.published()["result"]
    secret = result["secret_access_key"]
    assert secret and secret not in run.output
    assert secret not in json.dumps(run.results, default=str)
    assert secret not in json.dumps(result["diff"])
    assert result["diff"]["before"] == {"access_keys": []}
    assert [k["access_key_id"] for k in result["diff"]["after"]["access_keys"]] == [result["access_key_id"]]


def api_requests(aws):
    """AWS API requests the moto_server has answered so far (its access log lines for POST /)."""
    with open(aws.log_path, encoding="utf-8") as log:
        return sum(1 for line in log if '"POST / HTTP/1.1"' in line)


@pytest.mark.parametrize("description, calls", [(None, 1), ("laptop", 2)])
def test_converged_run_api_calls(ansible_aws, iam, user, aws, description, calls):
    """ListAccessKeys only; plus ListUserTags when a description is managed."""
    held = make_key(iam, description=description)
    args = {"user_name": user, "held_access_key_id": held, "max_age_days": 90}
    if description:
        args["description"] = description
    before = api_requests(aws)
    run, result = converge(ansible_aws, args)
    assert api_requests(aws) - before == calls
    assert result["changed"] is False and run.recap["localhost"]["changed"] == 0


def test_replaces_held_key_deleted_in_iam(ansible_aws, iam, user):
    gone = make_key(iam)
    iam.delete_access_key(UserName=user, AccessKeyId=gone)
    _run, result = converge(ansible_aws, {"user_name": user, "held_access_key_id": gone})
    assert result["created"] is True
    assert result["replaced_access_key_id"] is None
    assert iam_keys(iam) == [(result["access_key_id"], "Active")]
    assert "not a key of the user" in result["plan"][0]["reason"]


def test_replaces_deactivated_held_key_and_leaves_it(ansible_aws, iam, user):
    held = make_key(iam, "Inactive")
    _run, result = converge(ansible_aws, {"user_name": user, "held_access_key_id": held})
    assert result["replaced_access_key_id"] == held
    assert iam_keys(iam) == [(held, "Inactive"), (result["access_key_id"], "Active")]


@pytest.mark.parametrize("days, replaced", [(89, False), (91, True)])
def test_age_rotation(ansible_aws, aws, iam, user, days, replaced):
    """The held key is aged with the harness clock (CreateDate `days` ago); no time hook in the module."""
    with aws.clock(datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=days, minutes=5)):
        held = make_key(iam)
    _run, result = converge(ansible_aws, {"user_name": user, "held_access_key_id": held, "max_age_days": 90})
    assert result["created"] is replaced
    if replaced:
        assert result["replaced_access_key_id"] == held
        assert result["plan"][0]["reason"] == "held key %s is older than 90 days" % held
        assert iam_keys(iam) == [(held, "Active"), (result["access_key_id"], "Active")]
        assert [k["age_days"] for k in result["access_keys"]] == [days, 0]
    else:
        assert result["changed"] is False
        assert iam_keys(iam) == [(held, "Active")]
        assert result["access_keys"][0]["age_days"] == days


def test_forced_rotation(ansible_aws, iam, user):
    held = make_key(iam)
    _run, result = converge(ansible_aws, {"user_name": user, "held_access_key_id": held, "rotate": True})
    assert result["replaced_access_key_id"] == held
    assert result["plan"][0]["reason"] == "rotation requested"
    assert iam_keys(iam) == [(held, "Active"), (result["access_key_id"], "Active")]


def test_limit_fails_listing_keys(ansible_aws, iam, user):
    first, second = make_key(iam, "Inactive", description="INC-4711 forensic hold"), make_key(iam)
    result = failing(ansible_aws, {"user_name": user, "held_access_key_id": second, "rotate": True})
    assert result["msg"] == (
        "Failed to converge the access keys of IAM user 'alice': a new key is needed (rotation requested) but the "
        "user already has 2 keys (the IAM limit): %s (Inactive, 0 days old, description 'INC-4711 forensic hold', "
        "no issuer tag), %s (Active, 0 days old, no description, no issuer tag). on_key_limit is fail; "
        "on_key_limit=delete_inactive would delete %s" % (first, second, first)
    )
    assert [k["access_key_id"] for k in result["access_keys"]] == [first, second]
    assert iam_keys(iam) == [(first, "Inactive"), (second, "Active")]


def test_limit_delete_inactive_makes_room(ansible_aws, iam, user):
    inactive = make_key(iam, "Inactive", description="old laptop")
    held = make_key(iam, description="laptop")
    _run, result = converge(
        ansible_aws, {"user_name": user, "held_access_key_id": held, "rotate": True, "on_key_limit": "delete_inactive"}
    )
    assert result["deleted_access_key_ids"] == [inactive] and result["deleted_access_key_id"] == inactive
    assert result["replaced_access_key_id"] == held
    assert iam_keys(iam) == [(held, "Active"), (result["access_key_id"], "Active")]
    assert iam_tags(iam) == {held: "laptop"}


def test_limit_two_active_still_fails_with_delete_inactive(ansible_aws, iam, user):
    first, second = make_key(iam), make_key(iam)
    result = failing(
        ansible_aws, {"user_name": user, "held_access_key_id": first, "rotate": True, "on_key_limit": "delete_inactive"}
    )
    held_refusal = "on_key_limit=delete_inactive: %s is not deleted: it is the key the consumer holds; " % first
    assert held_refusal in result["msg"]
    assert "%s is not deleted: it is Active, and deleting an Active key is refused" % second in result["msg"]
    assert first in result["msg"] and second in result["msg"]
    assert iam_keys(iam) == [(first, "Active"), (second, "Active")]


def test_held_inactive_is_never_deleted_to_make_room(ansible_aws, iam, user):
    held, other = make_key(iam, "Inactive"), make_key(iam)
    result = failing(ansible_aws, {"user_name": user, "held_access_key_id": held, "on_key_limit": "delete_inactive"})
    assert "is Inactive" in result["msg"]
    assert iam_keys(iam) == [(held, "Inactive"), (other, "Active")]


def test_deactivate_and_reactivate_idempotent(ansible_aws, iam, user):
    held = make_key(iam)
    steps = [("deactivate", False), ("deactivate again", False), ("reactivate", True), ("reactivate again", True)]
    tasks = [
        {"name": name, MODULE: {"user_name": user, "id": held, "active": active}} for name, active in steps
    ]
    run = ansible_aws.playbook([{"hosts": "localhost", "gather_facts": False, "tasks": tasks}]).assert_ok()
    assert [run.result(task=name)["changed"] for name, _active in steps] == [True, False, True, False]
    assert run.result(task="deactivate")["access_keys"][0]["status"] == "Inactive"
    assert run.recap["localhost"]["changed"] == 2
    assert iam_keys(iam) == [(held, "Active")]


def test_deactivate_missing_key_fails(ansible_aws, user):
    result = failing(ansible_aws, {"user_name": user, "id": "AKIAFAKE0000000GONE0", "active": False})
    assert result["msg"] == (
        "Failed to converge the access keys of IAM user 'alice': no access key AKIAFAKE0000000GONE0 among the keys "
        "of the user: none"
    )


def test_absent_idempotent_and_removes_description(ansible_aws, iam, user):
    doomed = make_key(iam, description="laptop")
    iam.tag_user(UserName=user, Tags=[{"Key": "team", "Value": "platform"}])
    tasks = [
        {"name": name, MODULE: {"user_name": user, "id": doomed, "state": "absent"}}
        for name in ("delete", "delete again")
    ]
    run = ansible_aws.playbook([{"hosts": "localhost", "gather_facts": False, "tasks": tasks}]).assert_ok()
    assert run.result(task="delete")["changed"] is True
    assert run.result(task="delete")["deleted_access_key_ids"] == [doomed]
    assert run.result(task="delete again")["changed"] is False
    assert iam_keys(iam) == []
    assert iam_tags(iam) == {"team": "platform"}


CHECK_CASES = {
    "create": None,
    "rotate-with-room": {"rotate": True, "on_key_limit": "delete_inactive", "description": "new"},
    "deactivate": {"active": False},
    "absent": {"state": "absent"},
}


@pytest.mark.parametrize("case", sorted(CHECK_CASES))
def test_check_mode_makes_no_write_call(ansible_aws, iam, user, case):
    args = {"user_name": user}
    if CHECK_CASES[case] is not None:
        make_key(iam, "Inactive", description="old")
        key_option = "held_access_key_id" if case == "rotate-with-room" else "id"
        args.update(CHECK_CASES[case], **{key_option: make_key(iam)})
    before = (iam_keys(iam), iam_tags(iam))
    run, result = converge(ansible_aws, args, check=True)
    assert (iam_keys(iam), iam_tags(iam)) == before
    assert result["changed"] is True
    assert run.recap["localhost"]["changed"] == 1
    assert "secret_access_key" not in result


def test_check_mode_predicts_the_real_run(ansible_aws, iam, user):
    make_key(iam, "Inactive")
    held = make_key(iam)
    args = {"user_name": user, "held_access_key_id": held, "rotate": True, "on_key_limit": "delete_inactive"}
    _run, predicted = converge(ansible_aws, args, check=True)
    _run, done = converge(ansible_aws, args)
    for field in ("changed", "created", "replaced_access_key_id", "deleted_access_key_ids"):
        assert predicted[field] == done[field]
    assert [(a["action"], a["access_key_id"]) for a in predicted["plan"]] == [
        (a["action"], a["access_key_id"]) for a in done["plan"]
    ]
    assert [k["status"] for k in predicted["access_keys"]] == [k["status"] for k in done["access_keys"]]


def test_description_set_updated_removed(ansible_aws, iam, user):
    """Our own key (issuer tag = issuer): its description follows the option; our issuer tag stays."""
    _run, created = converge(ansible_aws, {"user_name": user, "description": "laptop", "issuer": "devkeys"})
    key_id = created["access_key_id"]
    issuer_tag = {"devkeys.aws:%s:issuer" % key_id: "devkeys"}
    assert iam_tags(iam) == dict(issuer_tag, **{key_id: "laptop"})
    assert (created["access_keys"][0]["description"], created["access_keys"][0]["issuer"]) == ("laptop", "devkeys")

    steps = [("same", "laptop", False), ("update", "desktop", True), ("clear", "", True), ("clear again", "", False)]
    held = {"user_name": user, "held_access_key_id": key_id, "issuer": "devkeys"}
    tasks = [{"name": name, MODULE: dict(held, description=value)} for name, value, _changed in steps]
    run = ansible_aws.playbook([{"hosts": "localhost", "gather_facts": False, "tasks": tasks}]).assert_ok()
    assert [run.result(task=name)["changed"] for name, _value, _changed in steps] == [c for _n, _v, c in steps]
    assert run.result(task="update")["access_keys"][0]["description"] == "desktop"
    assert iam_tags(iam) == issuer_tag
    assert iam_keys(iam) == [(key_id, "Active")]


def test_unknown_user_message_names_user(ansible_aws, aws):
    result = failing(ansible_aws, {"user_name": "ghost"})
    assert result["msg"].startswith(
        "Failed to list the access keys of IAM user 'ghost': the user does not exist (NoSuchEntity: "
    )


@pytest.mark.parametrize("name", ["", "  "])
def test_refuses_empty_user_name(ansible_aws, name):
    result = failing(ansible_aws, {"user_name": name})
    assert result["msg"] == "Failed to manage access keys: user_name is empty; refusing to act on the account root"


def test_active_false_without_id_creates_an_inactive_key(ansible_aws, iam, user):
    """amazon.aws's meaning: create the key (verified while Active), then deactivate it."""
    _run, result = converge(ansible_aws, {"user_name": user, "enabled": False, "description": "spare"})
    new_id = result["access_key_id"]
    assert [(a["action"], a["tag"], a["value"]) for a in result["plan"]] == [
        ("create", None, None), ("tag", "description", "spare"), ("set_status", None, "Inactive"),
    ]
    assert result["access_key"]["status"] == "Inactive" and result["user_arn"].endswith(":user/alice")
    assert iam_keys(iam) == [(new_id, "Inactive")]


@pytest.mark.parametrize("args, why", [
    ({"id": "AKIAFAKE0000000000A1", "rotate": True},
     "id acts on one existing key and never creates one, so it cannot be combined with rotate, rotate_keys or "
     "max_age_days; use held_access_key_id to converge the key a consumer holds"),
    ({"id": "AKIAFAKE0000000000A1", "rotate_keys": True},
     "id acts on one existing key and never creates one, so it cannot be combined with rotate, rotate_keys or "
     "max_age_days; use held_access_key_id to converge the key a consumer holds"),
    ({"id": "AKIAFAKE0000000000A1", "held_access_key_id": "AKIAFAKE0000000000B2"},
     "id and held_access_key_id are mutually exclusive (id acts on one existing key; held_access_key_id converges "
     "the key a consumer holds)"),
    ({"held_access_key_id": "AKIAFAKE0000000000B2", "active": False},
     "active cannot be combined with held_access_key_id; to set the status of a key, give its id"),
    ({"id": "AKIAFAKE0000000000A1", "keep_if_used_after": "2026-01-01T00:00:00Z"},
     "keep_if_used_after applies only with id and active=false or state=absent"),
    ({"id": "AKIAFAKE0000000000A1", "active": False, "keep_if_used_after": "last tuesday"},
     "keep_if_used_after is not an ISO 8601 time: 'last tuesday'"),
    ({"issuer": "fleet one"}, "issuer must be 1 to 64 letters, digits and _.:/=+-@"),
    ({"holders": ["h1", " "]}, "holders has an empty host name"),
    ({"state": "absent"}, "state=absent needs the id of the key to delete; id is empty"),
])
def test_refused_combinations(ansible_aws, user, args, why):
    result = failing(ansible_aws, dict({"user_name": user}, **args))
    assert result["msg"] == "Failed to manage access keys of IAM user 'alice': " + why


def env_with_sts_at(aws, sts_url):
    """IAM on the harness moto_server via AWS_ENDPOINT_URL, STS elsewhere via AWS_ENDPOINT_URL_STS (no AWS_URL)."""
    return dict(ADMIN_ENV, AWS_ENDPOINT_URL=aws.url, AWS_ENDPOINT_URL_STS=sts_url)


@pytest.fixture(scope="module")
def other_moto(tmp_path_factory):
    """A second AWS stand-in that does not know the keys of the first."""
    server = MotoServer(log_path=str(tmp_path_factory.mktemp("other-moto") / "moto_server.log"))
    server.start()
    yield server
    server.stop()


def test_verify_against_other_identity_deletes_new_key(aws, iam, user, home, other_moto):
    run = ansible_runner.run_task(MODULE, {"user_name": user, "description": "laptop"}, home, env=env_with_sts_at(aws, other_moto.url))
    assert run.rc == 2, run.output[-3000:]
    msg = run.result(task="task under test")["msg"]
    new_id = re.match(r"Failed to verify new access key (\w+) ", msg).group(1)
    assert msg == (
        "Failed to verify new access key {0} of IAM user 'alice': GetCallerIdentity with the new key answered for "
        "arn:aws:sts::123456789012:user/moto, not for IAM user 'alice'; the new key {0} was deleted again".format(new_id)
    )
    assert iam_keys(iam) == []
    assert iam_tags(iam) == {}


@pytest.mark.slow
def test_verify_unreachable_sts_times_out_and_deletes_new_key(aws, iam, user, home):
    closed = "http://127.0.0.1:%d" % free_port()
    run = ansible_runner.run_task(MODULE, {"user_name": user, "verify_timeout": 2}, home, env=env_with_sts_at(aws, closed))
    assert run.rc == 2, run.output[-3000:]
    msg = run.result(task="task under test")["msg"]
    assert "the new key was not accepted by GetCallerIdentity within 2 seconds: Could not connect" in msg
    assert msg.endswith("was deleted again")
    assert iam_keys(iam) == []


def test_verify_false_skips_sts(aws, iam, user, home):
    closed = "http://127.0.0.1:%d" % free_port()
    run = ansible_runner.run_task(
        MODULE, {"user_name": user, "verify": False}, home, env=env_with_sts_at(aws, closed), task_extra={"no_log": True}
    )
    run.assert_ok()
    assert len(iam_keys(iam)) == 1


@pytest.mark.parametrize("group", ["group/amazon.aws.aws", "group/devkeys.aws.aws", "group/aws"])
def test_module_defaults_reach_the_module(aws, iam, user, home, group):
    """endpoint_url only in module_defaults: without it the module would not find the moto_server."""
    held = make_key(iam)
    play = ansible_runner.task_play(
        MODULE,
        {"user_name": user, "id": held},
        play_extra={
            "vars": {"moto_url": aws.url},
            "module_defaults": {group: {"aws_endpoint_url": "{{ moto_url }}", "region": "us-east-1"}},
        },
    )
    run = ansible_runner.run_playbook(play, home, env=dict(ADMIN_ENV)).assert_ok()
    result = run.result(task="task under test")
    assert result["access_key_id"] == held and result["changed"] is False


def test_task_args_win_over_module_defaults(aws, iam, user, home):
    held = make_key(iam)
    unused = "http://127.0.0.1:%d" % free_port()
    play = ansible_runner.task_play(
        MODULE,
        {"user_name": user, "id": held, "endpoint_url": aws.url},
        play_extra={"module_defaults": {"group/amazon.aws.aws": {"aws_endpoint_url": unused, "region": "us-east-1"}}},
    )
    run = ansible_runner.run_playbook(play, home, env=dict(ADMIN_ENV)).assert_ok()
    assert run.result(task="task under test")["access_key_id"] == held


def test_batch_converges_each_user_and_reports_each_failure(ansible_aws, iam, user, aws):
    """One run for many users: new keys for those without, the held key kept, an unknown user fails alone."""
    iam.create_user(UserName="bob")
    iam.create_user(UserName="carol")
    held = make_key(iam)
    args = {
        "batch": [
            {"user_name": "bob"},
            {"user_name": user, "held_access_key_id": held},
            {"user_name": "ghost"},
            {"user_name": "carol", "description": "carol's laptop", "max_age_days": 30},
        ],
        "max_age_days": 90,
    }
    run = ansible_aws.task(MODULE, args, publish=True, task_extra={"no_log": True, "ignore_errors": True})
    assert run.rc == 0, run.output[-3000:]
    assert run.recap["localhost"]["ignored"] == 1
    outcome = run.published()["result"]
    assert outcome["failed"] is True and outcome["changed"] is True
    assert outcome["msg"].startswith(
        "Failed to converge 1 of 4 access key requests: Failed to list the access keys of IAM user 'ghost': "
        "the user does not exist"
    )
    bob, alice, ghost, carol = outcome["batch_results"]
    assert [r["user_name"] for r in (bob, alice, ghost, carol)] == ["bob", user, "ghost", "carol"]
    assert [r["failed"] for r in (bob, alice, ghost, carol)] == [False, False, True, False]
    assert bob["created"] and carol["created"] and not alice["changed"]
    assert alice["access_key_id"] == held and "secret_access_key" not in alice
    assert iam_keys(iam, "bob") == [(bob["access_key_id"], "Active")]
    assert iam_keys(iam, "carol") == [(carol["access_key_id"], "Active")]
    assert iam_tags(iam, "carol") == {carol["access_key_id"]: "carol's laptop"}
    assert carol["description"] == "carol's laptop" and "description" not in bob
    for created in (bob, carol):
        assert created["secret_access_key"] not in run.output
        sts = boto3.client("sts", endpoint_url=aws.url, region_name="us-east-1",
                           aws_access_key_id=created["access_key_id"], aws_secret_access_key=created["secret_access_key"])
        assert sts.get_caller_identity()["Arn"].endswith(":user/" + created["user_name"])


def test_batch_runs_one_users_requests_in_order(ansible_aws, iam, user):
    """Deactivate, then delete, the same key: in order, as asked."""
    old = make_key(iam)
    keep = make_key(iam)
    args = {"batch": [
        {"user_name": user, "id": old, "active": False},
        {"user_name": user, "id": old, "state": "absent"},
        {"user_name": user, "held_access_key_id": keep},
    ]}
    _run, outcome = converge(ansible_aws, args)
    assert [r["changed"] for r in outcome["batch_results"]] == [True, True, False]
    assert outcome["batch_results"][1]["deleted_access_key_ids"] == [old]
    assert iam_keys(iam) == [(keep, "Active")]


def test_batch_check_mode_and_diff(ansible_aws, iam, user):
    held = make_key(iam)
    run = ansible_aws.task(MODULE, {"batch": [{"user_name": user, "held_access_key_id": held, "rotate": True}]},
                           publish=True, task_extra={"no_log": True}, args=["--check", "--diff"]).assert_ok()
    outcome = run.published()["result"]
    assert outcome["changed"] is True and outcome["batch_results"][0]["created"] is True
    assert [k["access_key_id"] for k in outcome["diff"]["before"]["access_keys"][user]] == [held]
    assert [k["access_key_id"] for k in outcome["diff"]["after"]["access_keys"][user]] == [held, None]
    assert iam_keys(iam) == [(held, "Active")]


@pytest.mark.parametrize("args, message", [
    ({"batch": [{"user_name": "a"}], "user_name": "a"}, "parameters are mutually exclusive: batch|user_name"),
    ({"batch": [{"user_name": " "}]}, "Failed to manage access keys: user_name is empty"),
    ({"batch": [{"user_name": "a", "state": "absent"}]},
     "Failed to manage access keys of IAM user 'a': state=absent needs the id of the key to delete; id is empty"),
    ({"batch": [{"user_name": "a"}], "id": "AKIAFAKE0000000000A1"}, "parameters are mutually exclusive: batch|id"),
    ({"batch": [{"user_name": "a"}], "concurrency": 0}, "Failed to manage access keys: concurrency must be at least 1"),
])
def test_batch_bad_requests_are_refused(ansible_aws, args, message):
    result = failing(ansible_aws, args)
    assert message in result["msg"]
