"""Unit tests of the IAM calls (plugins/module_utils/_iam_keys.py): retries, errors, rollback, verification."""

import datetime
import re

import boto3
import botocore.exceptions
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from ansible_collections.amazon.aws.plugins.module_utils import cloud
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper
from ansible_collections.devkeys.aws.plugins.module_utils import _iam_keys
from ansible_collections.devkeys.aws.plugins.module_utils import _key_plan

CREDS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing", "region_name": "us-east-1"}
CREATED = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch):
    """Backoff without waiting; record the sleeps."""
    sleeps = []
    monkeypatch.setattr(cloud.time, "sleep", sleeps.append)
    return sleeps


def stubbed(service="iam"):
    client = boto3.client(service, **CREDS)
    return client, Stubber(client)


def retrying(client, retries=4):
    return RetryingBotoClientWrapper(client, AWSRetry.jittered_backoff(retries=retries))


def key_metadata(key_id="AKIAFAKE0000000000A1", status="Active"):
    return {"UserName": "alice", "AccessKeyId": key_id, "Status": status, "CreateDate": CREATED}


def test_list_keys_retries_throttling(no_sleep):
    client, stub = stubbed()
    stub.add_client_error("list_access_keys", "Throttling", "Rate exceeded")
    stub.add_client_error("list_access_keys", "Throttling", "Rate exceeded")
    stub.add_response("list_access_keys", {"AccessKeyMetadata": [key_metadata()], "IsTruncated": False})
    with stub:
        keys = _iam_keys.UserKeys(retrying(client), "alice").list_keys()
    stub.assert_no_pending_responses()
    assert keys == [{"access_key_id": "AKIAFAKE0000000000A1", "status": "Active", "create_date": CREATED,
                     "description": None, "issuer": None, "holders": None, "retired_date": None}]
    assert len(no_sleep) == 2


@pytest.mark.parametrize(
    "method, call, args",
    [
        ("create", "create_access_key", ()),
        ("delete", "delete_access_key", ("AKIAFAKE0000000000A1",)),
        ("set_status", "update_access_key", ("AKIAFAKE0000000000A1", "Inactive")),
        ("tag", "tag_user", ("AKIAFAKE0000000000A1", {"description": "laptop"})),
        ("untag", "untag_user", ("AKIAFAKE0000000000A1", ["description"])),
        ("last_used", "get_access_key_last_used", ("AKIAFAKE0000000000A1",)),
    ],
)
def test_every_write_and_read_retries_throttling(method, call, args, no_sleep):
    client, stub = stubbed()
    stub.add_client_error(call, "Throttling", "Rate exceeded")
    responses = {
        "create_access_key": {"AccessKey": dict(key_metadata(), SecretAccessKey="fake-secret")},
        "get_access_key_last_used": {"UserName": "alice", "AccessKeyLastUsed": {"ServiceName": "N/A", "Region": "N/A"}},
    }
    stub.add_response(call, responses.get(call, {}))
    with stub:
        getattr(_iam_keys.UserKeys(retrying(client), "alice"), method)(*args)
    stub.assert_no_pending_responses()
    assert len(no_sleep) == 1


def test_throttling_exhausted_names_user_and_cause():
    client, stub = stubbed()
    for _attempt in range(4):
        stub.add_client_error("delete_access_key", "Throttling", "Rate exceeded")
    with stub, pytest.raises(AnsibleAWSError) as error:
        _iam_keys.UserKeys(retrying(client), "alice").delete("AKIAFAKE0000000000A1")
    assert error.value.message == (
        "Failed to delete access key AKIAFAKE0000000000A1 of IAM user 'alice': "
        "throttled by AWS, retries exhausted (Throttling: Rate exceeded)"
    )


@pytest.mark.parametrize(
    "code, cause",
    [
        ("NoSuchEntity", "the user does not exist (NoSuchEntity: nope)"),
        ("AccessDenied", "access denied (AccessDenied: nope)"),
        ("Weird", "Weird: nope"),
    ],
)
def test_list_keys_errors_name_the_user(code, cause):
    client, stub = stubbed()
    stub.add_client_error("list_access_keys", code, "nope")
    with stub, pytest.raises(AnsibleAWSError) as error:
        _iam_keys.UserKeys(retrying(client), "bob").list_keys()
    assert error.value.message == "Failed to list the access keys of IAM user 'bob': " + cause


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def test_verify_retries_until_key_is_accepted():
    client, stub = stubbed("sts")
    stub.add_client_error("get_caller_identity", "InvalidClientTokenId", "not yet")
    stub.add_client_error("get_caller_identity", "InvalidClientTokenId", "not yet")
    stub.add_response("get_caller_identity", {"Arn": "arn:aws:iam::123456789012:user/team/alice", "UserId": "x", "Account": "123456789012"})
    clock = FakeClock()
    with stub:
        arn = _iam_keys.verify_key(client, "alice", 60, clock=clock, sleep=clock.sleep)
    assert arn == "arn:aws:iam::123456789012:user/team/alice"
    assert 0 <= clock.now <= 1 + 2


def test_verify_gives_up_at_timeout():
    client, stub = stubbed("sts")
    for _attempt in range(50):
        stub.add_client_error("get_caller_identity", "InvalidClientTokenId", "not yet")
    clock = FakeClock()
    with stub, pytest.raises(AnsibleAWSError) as error:
        _iam_keys.verify_key(client, "alice", 20, clock=clock, sleep=clock.sleep)
    assert clock.now == pytest.approx(20)
    assert error.value.message.startswith("the new key was not accepted by GetCallerIdentity within 20 seconds: ")
    assert "InvalidClientTokenId: not yet" in error.value.message


@pytest.mark.parametrize("arn", ["arn:aws:sts::123456789012:user/moto", "arn:aws:iam::123456789012:user/alicex", "arn:aws:iam::123456789012:root"])
def test_verify_other_identity_fails_at_once(arn):
    client, stub = stubbed("sts")
    stub.add_response("get_caller_identity", {"Arn": arn, "UserId": "x", "Account": "123456789012"})
    with stub, pytest.raises(AnsibleAWSError) as error:
        _iam_keys.verify_key(client, "alice", 60, clock=FakeClock(), sleep=pytest.fail)
    assert error.value.message == "GetCallerIdentity with the new key answered for %s, not for IAM user 'alice'" % arn


@pytest.fixture
def moto_iam():
    with mock_aws():
        client = boto3.client("iam", **CREDS)
        client.create_user(UserName="alice")
        yield client


def plan_for(keys, **policy):
    return _key_plan.plan_keys(keys, None, _key_plan.KeyPolicy(**policy), datetime.datetime.now(datetime.timezone.utc))


def test_execute_plan_creates_tags_and_verifies(moto_iam):
    user_keys = _iam_keys.UserKeys(retrying(moto_iam), "alice")
    seen = []
    new_key, arn = _iam_keys.execute_plan(user_keys, plan_for([], description="laptop"), lambda key: seen.append(key) or "arn")
    assert arn == "arn" and seen == [new_key]
    assert [k["AccessKeyId"] for k in moto_iam.list_access_keys(UserName="alice")["AccessKeyMetadata"]] == [new_key["access_key_id"]]
    assert moto_iam.list_user_tags(UserName="alice")["Tags"] == [{"Key": new_key["access_key_id"], "Value": "laptop"}]


def test_failed_verification_deletes_the_new_key(moto_iam):
    user_keys = _iam_keys.UserKeys(retrying(moto_iam), "alice")

    created = []

    def refuse(key):
        created.append(key["access_key_id"])
        raise AnsibleAWSError(message="GetCallerIdentity with the new key answered for arn:x, not for IAM user 'alice'")

    with pytest.raises(AnsibleAWSError) as error:
        _iam_keys.execute_plan(user_keys, plan_for([], description="laptop"), refuse)
    assert moto_iam.list_access_keys(UserName="alice")["AccessKeyMetadata"] == []
    assert moto_iam.list_user_tags(UserName="alice")["Tags"] == []
    assert error.value.message == (
        "Failed to verify new access key {0} of IAM user 'alice': GetCallerIdentity with the new key answered for "
        "arn:x, not for IAM user 'alice'; the new key {0} was deleted again".format(created[0])
    )


def test_failed_tagging_deletes_the_new_key(moto_iam, monkeypatch):
    user_keys = _iam_keys.UserKeys(retrying(moto_iam), "alice")

    def broken_tag(key_id, tags):
        raise AnsibleAWSError(message="Failed to tag access key %s of IAM user 'alice' (%s): boom" % (key_id, ", ".join(tags)))

    monkeypatch.setattr(user_keys, "tag", broken_tag)
    with pytest.raises(AnsibleAWSError) as error:
        _iam_keys.execute_plan(user_keys, plan_for([], description="laptop", issuer="devkeys"), None)
    assert moto_iam.list_access_keys(UserName="alice")["AccessKeyMetadata"] == []
    assert error.value.message.startswith("Failed to tag access key AKIA")
    assert "(description, issuer): boom; the new key AKIA" in error.value.message
    assert error.value.message.endswith("was deleted again")


def test_failure_after_tagging_deletes_the_new_key_and_its_tags(moto_iam, monkeypatch):
    """active=false: create, tag, deactivate; a failed deactivation leaves neither the key nor its tags."""
    user_keys = _iam_keys.UserKeys(retrying(moto_iam), "alice")
    moto_iam.tag_user(UserName="alice", Tags=[{"Key": "team", "Value": "platform"}])

    def broken_status(key_id, status):
        raise AnsibleAWSError(message="Failed to set access key %s of IAM user 'alice' %s: boom" % (key_id, status))

    monkeypatch.setattr(user_keys, "set_status", broken_status)
    with pytest.raises(AnsibleAWSError) as error:
        _iam_keys.execute_plan(user_keys, plan_for([], description="laptop", issuer="devkeys", holders=["h1"],
                                                   active=False), None)
    assert moto_iam.list_access_keys(UserName="alice")["AccessKeyMetadata"] == []
    assert moto_iam.list_user_tags(UserName="alice")["Tags"] == [{"Key": "team", "Value": "platform"}]
    key_id = re.match(r"Failed to set access key (\w+) ", error.value.message).group(1)
    assert error.value.message.endswith("Inactive: boom; the new key %s was deleted again" % key_id)


def test_failed_tag_cleanup_says_remove_by_hand(moto_iam, monkeypatch):
    user_keys = _iam_keys.UserKeys(retrying(moto_iam), "alice")

    def refuse(key):
        raise AnsibleAWSError(message="nope")

    def broken_untag(key_id, fields):
        raise AnsibleAWSError(message="Failed to remove the tags of access key %s: boom" % key_id)

    plan = plan_for([], description="laptop", issuer="devkeys")
    plan.actions.append(_key_plan.Action(_key_plan.SET_STATUS, _key_plan.NEW_KEY, "test", "Inactive"))
    monkeypatch.setattr(user_keys, "set_status", lambda key_id, status: refuse(None))
    monkeypatch.setattr(user_keys, "untag", broken_untag)
    with pytest.raises(AnsibleAWSError) as error:
        _iam_keys.execute_plan(user_keys, plan, None)
    assert moto_iam.list_access_keys(UserName="alice")["AccessKeyMetadata"] == []
    assert error.value.message.endswith(": boom: remove them by hand")
    assert "was deleted again, then failed to remove the tags of access key AKIA" in error.value.message


def test_consecutive_tags_of_one_key_are_one_call():
    plan = plan_for([], description="laptop", issuer="devkeys", holders=["h2", "h1"])
    calls = _iam_keys._calls(plan.actions)  # pylint: disable=protected-access
    assert [[(a.kind, a.tag) for a in call] for call in calls] == [
        [("create", None)], [("tag", "description"), ("tag", "issuer"), ("tag", "holders")],
    ]


def test_execute_plan_writes_our_tags(moto_iam):
    user_keys = _iam_keys.UserKeys(retrying(moto_iam), "alice")
    new_key, _arn = _iam_keys.execute_plan(user_keys, plan_for([], issuer="devkeys", holders=["h2", "h1"]), None)
    key_id = new_key["access_key_id"]
    assert sorted((t["Key"], t["Value"]) for t in moto_iam.list_user_tags(UserName="alice")["Tags"]) == [
        ("devkeys.aws:%s:holders" % key_id, "h1 h2"), ("devkeys.aws:%s:issuer" % key_id, "devkeys"),
    ]


def test_failed_cleanup_says_delete_by_hand(moto_iam, monkeypatch):
    user_keys = _iam_keys.UserKeys(retrying(moto_iam), "alice")

    def refuse(key):
        monkeypatch.setattr(moto_iam, "delete_access_key", _raise_denied)
        raise AnsibleAWSError(message="nope")

    with pytest.raises(AnsibleAWSError) as error:
        _iam_keys.execute_plan(user_keys, plan_for([]), refuse)
    assert error.value.message.endswith("access denied (AccessDenied: no): delete it by hand")
    assert "; then failed to delete access key AKIA" in error.value.message


def _raise_denied(**kwargs):
    raise botocore.exceptions.ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "DeleteAccessKey")


def test_read_tags_fills_description_and_our_fields(moto_iam):
    moto_iam.tag_user(UserName="alice", Tags=[
        {"Key": "AKIAFAKE0000000000A1", "Value": "laptop"}, {"Key": "team", "Value": "x"},
        {"Key": "devkeys.aws:AKIAFAKE0000000000A1:issuer", "Value": "devkeys"},
        {"Key": "devkeys.aws:AKIAFAKE0000000000B2:retired", "Value": "2026-01-02T03:04:05Z"},
    ])
    keys = [{"access_key_id": "AKIAFAKE0000000000A1"}, {"access_key_id": "AKIAFAKE0000000000B2"}]
    _iam_keys.UserKeys(retrying(moto_iam), "alice").read_tags(keys)
    assert [(k["description"], k["issuer"], k["holders"], k["retired_date"]) for k in keys] == [
        ("laptop", "devkeys", None, None),
        (None, None, None, datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)),
    ]


def test_missing_user_is_no_such_user(moto_iam):
    with pytest.raises(_iam_keys.NoSuchUser) as error:
        _iam_keys.UserKeys(retrying(moto_iam), "ghost").list_keys()
    assert error.value.message.startswith("Failed to list the access keys of IAM user 'ghost': the user does not exist")


def test_account_summary(moto_iam):
    summary = _iam_keys.account_summary(retrying(moto_iam))
    assert summary["AccountAccessKeysPresent"] == 0 and summary["Users"] == 1


NOW = datetime.datetime(2026, 2, 1, tzinfo=datetime.timezone.utc)


def test_converged_run_makes_one_iam_call():
    # Stubber fails on any call not queued: this proves ListAccessKeys is the only call.
    client, stub = stubbed()
    stub.add_response("list_access_keys", {"AccessKeyMetadata": [key_metadata()], "IsTruncated": False})
    with stub:
        result = _iam_keys.converge(
            _iam_keys.UserKeys(retrying(client), "alice"), "AKIAFAKE0000000000A1", _key_plan.KeyPolicy(max_age_days=90), NOW
        )
    stub.assert_no_pending_responses()
    assert result["changed"] is False and result["created"] is False
    assert "secret_access_key" not in result
    assert result["access_keys"] == [
        {"access_key_id": "AKIAFAKE0000000000A1", "status": "Active", "create_date": CREATED.isoformat(), "age_days": 31}
    ]


def test_converged_run_with_description_makes_two_iam_calls():
    client, stub = stubbed()
    stub.add_response("list_access_keys", {"AccessKeyMetadata": [key_metadata()], "IsTruncated": False})
    stub.add_response("list_user_tags", {"Tags": [{"Key": "AKIAFAKE0000000000A1", "Value": "laptop"}], "IsTruncated": False})
    with stub:
        result = _iam_keys.converge(
            _iam_keys.UserKeys(retrying(client), "alice"), "AKIAFAKE0000000000A1", _key_plan.KeyPolicy(description="laptop"), NOW
        )
    stub.assert_no_pending_responses()
    assert result["changed"] is False
    assert result["access_keys"][0]["description"] == "laptop"


def test_check_mode_reads_only_and_predicts():
    client, stub = stubbed()
    stub.add_response(
        "list_access_keys",
        {"AccessKeyMetadata": [key_metadata(status="Inactive"), key_metadata("AKIAFAKE0000000000B2")], "IsTruncated": False},
    )
    stub.add_response("list_user_tags", {"Tags": [], "IsTruncated": False})
    policy = _key_plan.KeyPolicy(rotate=True, on_key_limit="delete_inactive")
    with stub:
        result = _iam_keys.converge(
            _iam_keys.UserKeys(retrying(client), "alice"), "AKIAFAKE0000000000B2", policy, NOW,
            _iam_keys.RunOptions(check_mode=True),
        )
    stub.assert_no_pending_responses()
    assert result["changed"] is True and result["created"] is True
    assert result["deleted_access_key_ids"] == ["AKIAFAKE0000000000A1"]
    assert result["replaced_access_key_id"] == "AKIAFAKE0000000000B2"
    assert [k["access_key_id"] for k in result["access_keys"]] == ["AKIAFAKE0000000000B2", None]
    assert "secret_access_key" not in result and "access_key_id" not in result and "access_key" not in result
    assert result["deleted_access_key_id"] == "AKIAFAKE0000000000A1"


def test_plan_failure_carries_the_keys():
    client, stub = stubbed()
    stub.add_response(
        "list_access_keys",
        {"AccessKeyMetadata": [key_metadata(), key_metadata("AKIAFAKE0000000000B2")], "IsTruncated": False},
    )
    tags = {"Tags": [{"Key": "AKIAFAKE0000000000B2", "Value": "ci"}], "IsTruncated": False}
    stub.add_response("list_user_tags", tags)
    with stub, pytest.raises(AnsibleAWSError) as error:
        _iam_keys.converge(_iam_keys.UserKeys(retrying(client), "alice"), None, _key_plan.KeyPolicy(), NOW)
    assert error.value.message.startswith("Failed to converge the access keys of IAM user 'alice': a new key is needed")
    assert [k["access_key_id"] for k in error.value.kwargs["access_keys"]] == ["AKIAFAKE0000000000A1", "AKIAFAKE0000000000B2"]
    assert "AKIAFAKE0000000000B2 (Active, 31 days old, description 'ci', no issuer tag)" in error.value.message


def test_named_key_reads_its_last_use_only_for_keep_if_used_after():
    client, stub = stubbed()
    stub.add_response("list_access_keys", {"AccessKeyMetadata": [key_metadata()], "IsTruncated": False})
    used = datetime.datetime(2026, 1, 30, tzinfo=datetime.timezone.utc)
    stub.add_response("get_access_key_last_used", {
        "UserName": "alice", "AccessKeyLastUsed": {"LastUsedDate": used, "ServiceName": "s3", "Region": "eu-west-1"},
    })
    policy = _key_plan.KeyPolicy(access_key_id="AKIAFAKE0000000000A1", active=False, keep_if_used_after=used)
    with stub:
        result = _iam_keys.converge(_iam_keys.UserKeys(retrying(client), "alice"), None, policy, NOW)
    stub.assert_no_pending_responses()
    assert result["changed"] is False
    assert result["kept_in_use"] == {"access_key_id": "AKIAFAKE0000000000A1", "last_used_date": used.isoformat(),
                                     "last_used_service": "s3", "last_used_region": "eu-west-1"}
    assert result["access_key"] == {"access_key_id": "AKIAFAKE0000000000A1", "create_date": CREATED.isoformat(),
                                    "user_name": "alice", "status": "Active"}


def test_unexpected_error_after_create_still_deletes_the_new_key(moto_iam):
    user_keys = _iam_keys.UserKeys(retrying(moto_iam), "alice")

    def crash(key):
        raise KeyError("Arn")

    with pytest.raises(AnsibleAWSError) as error:
        _iam_keys.execute_plan(user_keys, plan_for([]), crash)
    assert moto_iam.list_access_keys(UserName="alice")["AccessKeyMetadata"] == []
    assert error.value.message.startswith("Failed to verify new access key AKIA")
    assert "'Arn'; the new key AKIA" in error.value.message


def test_run_by_user_keeps_order_and_runs_each_users_requests_in_sequence():
    import threading
    import time as real_time

    requests = [{"user_name": name, "n": n} for n, name in enumerate("abacbca")]
    seen = []
    busy = {}
    lock = threading.Lock()

    def handle(request):
        with lock:
            assert not busy.get(request["user_name"]), "two requests of one user ran at once"
            busy[request["user_name"]] = True
        real_time.sleep(0.01)
        with lock:
            busy[request["user_name"]] = False
            seen.append((request["user_name"], request["n"]))
        return request["n"] * 10

    results = _iam_keys.run_by_user(requests, handle, concurrency=3)
    assert results == [0, 10, 20, 30, 40, 50, 60]
    for name in "abc":
        assert [n for user, n in seen if user == name] == [n for n, user in enumerate("abacbca") if user == name]


@pytest.mark.parametrize("concurrency", [1, 4])
def test_run_by_user_threads(concurrency):
    import threading

    threads = set()
    # With several threads, requests meet in pairs (8 users): proof that two ran at the same time.
    pair = threading.Barrier(2, timeout=10) if concurrency > 1 else None

    def handle(request):
        threads.add(threading.get_ident())
        if pair:
            pair.wait()
        return request["user_name"]

    names = ["u%d" % n for n in range(8)]
    assert _iam_keys.run_by_user([{"user_name": n} for n in names], handle, concurrency) == names
    assert (len(threads) == 1) == (concurrency == 1)


def test_run_by_user_passes_on_an_unexpected_error():
    def handle(request):
        raise RuntimeError("boom " + request["user_name"])

    with pytest.raises(RuntimeError, match="boom"):
        _iam_keys.run_by_user([{"user_name": "a"}, {"user_name": "b"}], handle, 2)


def test_batch_diff_first_before_last_after_per_user():
    results = [
        {"user_name": "a", "diff": {"before": {"access_keys": ["a0"]}, "after": {"access_keys": ["a1"]}}},
        {"user_name": "b", "failed": True},
        {"user_name": "a", "diff": {"before": {"access_keys": ["a1"]}, "after": {"access_keys": ["a2"]}}},
    ]
    assert _iam_keys.batch_diff(results) == {
        "before": {"access_keys": {"a": ["a0"]}},
        "after": {"access_keys": {"a": ["a2"]}},
    }
    assert all("diff" not in result for result in results)


def test_iam_client_retries_service_failure(no_sleep):
    """One client serves a whole batch, so IAM's 500 (ServiceFailure) must not rely on botocore's retry quota."""
    client, stub = stubbed()

    class Module:
        def client(self, service, retry_decorator):
            assert service == "iam"
            return RetryingBotoClientWrapper(client, retry_decorator)

    stub.add_client_error("list_access_keys", "ServiceFailure", "Injected", http_status_code=500)
    stub.add_response("list_access_keys", {"AccessKeyMetadata": [], "IsTruncated": False})
    with stub:
        assert _iam_keys.UserKeys(_iam_keys.iam_client(Module()), "alice").list_keys() == []
    stub.assert_no_pending_responses()
    assert len(no_sleep) == 1


def test_key_sts_clients_share_one_session_and_use_each_keys_credentials(monkeypatch):
    class Module:
        params = {"endpoint_url": "http://127.0.0.1:9", "region": "eu-west-1", "access_key": "admin-id",
                  "secret_key": "admin-secret", "validate_certs": True, "aws_config": {"user_agent_extra": "devkeys"}}

    sessions = []
    real_session = boto3.session.Session

    def counting_session(**kwargs):
        sessions.append(kwargs)
        return real_session(**kwargs)

    monkeypatch.setattr(_iam_keys.boto3.session, "Session", counting_session)
    factory = _iam_keys.KeyStsClients(Module())
    clients = [factory.client({"access_key_id": "AKIAFAKE0000000000%02d" % n, "secret_access_key": "s%d" % n})
               for n in range(3)]
    assert len(sessions) == 1
    for n, client in enumerate(clients):
        credentials = client._request_signer._credentials  # pylint: disable=protected-access
        assert (credentials.access_key, credentials.secret_key, credentials.token) == ("AKIAFAKE0000000000%02d" % n, "s%d" % n, None)
        assert client.meta.endpoint_url == "http://127.0.0.1:9"
        assert client.meta.region_name == "eu-west-1"
        assert client.meta.config.retries["total_max_attempts"] == 1
        assert client.meta.config.user_agent_extra == "devkeys"
