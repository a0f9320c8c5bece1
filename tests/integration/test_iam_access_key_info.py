"""devkeys.aws.iam_access_key_info through real ansible-playbook runs against the harness moto_server."""

import datetime

import boto3
import pytest

from harness import ansible as ansible_runner
from harness.moto import ADMIN_ENV

from ansible_collections.devkeys.aws.plugins.module_utils import _key_tags

MODULE = "devkeys.aws.iam_access_key_info"
FIELDS = {
    "user_name", "access_key_id", "status", "create_date", "age_days", "description",
    "last_used_date", "last_used_service", "last_used_region", "issuer", "holders", "retired_date",
}


def info(ansible_aws, args, check=False):
    run = ansible_aws.task(MODULE, args, args=["--check"] if check else []).assert_ok()
    assert run.recap["localhost"]["changed"] == 0
    return run.result(task="task under test")


@pytest.fixture
def keys(iam, aws):
    """alice: an Active key with a description that was used, an Inactive one; bob: one key; carol: none."""
    for name in ("alice", "bob", "carol"):
        iam.create_user(UserName=name)
    used = iam.create_access_key(UserName="alice")["AccessKey"]
    spare = iam.create_access_key(UserName="alice")["AccessKey"]["AccessKeyId"]
    iam.update_access_key(UserName="alice", AccessKeyId=spare, Status="Inactive")
    iam.tag_user(UserName="alice", Tags=[{"Key": used["AccessKeyId"], "Value": "laptop"}])
    bob = iam.create_access_key(UserName="bob")["AccessKey"]["AccessKeyId"]
    boto3.client(
        "sts", endpoint_url=aws.url, region_name="eu-west-1",
        aws_access_key_id=used["AccessKeyId"], aws_secret_access_key=used["SecretAccessKey"],
    ).get_caller_identity()
    return {"used": used["AccessKeyId"], "spare": spare, "bob": bob}


def test_one_user(ansible_aws, iam, keys):
    result = info(ansible_aws, {"user_name": "alice"})
    rows = result["access_keys"]
    assert [(r["user_name"], r["access_key_id"], r["status"], r["description"]) for r in rows] == [
        ("alice", keys["used"], "Active", "laptop"),
        ("alice", keys["spare"], "Inactive", None),
    ]
    assert [(r["issuer"], r["holders"], r["retired_date"]) for r in rows] == [(None, None, None)] * 2
    for row in rows:
        assert set(row) == FIELDS
        assert row["age_days"] == 0
    last = iam.get_access_key_last_used(AccessKeyId=keys["used"])["AccessKeyLastUsed"]
    assert datetime.datetime.fromisoformat(rows[0]["last_used_date"]) == last["LastUsedDate"]
    assert (rows[0]["last_used_service"], rows[0]["last_used_region"]) == ("sts", "eu-west-1")
    assert rows[1]["last_used_date"] is None and rows[1]["last_used_service"] is None


def test_list_of_users_without_last_use(ansible_aws, keys):
    result = info(ansible_aws, {"user_names": ["bob", "carol"], "last_used": False})
    assert result["access_keys"] == [
        {
            "user_name": "bob", "access_key_id": keys["bob"], "status": "Active",
            "create_date": result["access_keys"][0]["create_date"], "age_days": 0, "description": None,
            "issuer": None, "holders": None, "retired_date": None,
        }
    ]
    assert result["missing_user_names"] == [] and "account_summary" not in result


def test_every_user_in_check_mode(ansible_aws, keys):
    result = info(ansible_aws, {"last_used": False}, check=True)
    assert [(r["user_name"], r["access_key_id"]) for r in result["access_keys"]] == [
        ("alice", keys["used"]), ("alice", keys["spare"]), ("bob", keys["bob"]),
    ]
    assert not any("secret" in field for row in result["access_keys"] for field in row)


def test_every_user_is_paginated(ansible_aws, iam):
    names = ["user%03d" % number for number in range(105)]
    for name in names:
        iam.create_user(UserName=name)
    last = iam.create_access_key(UserName=names[-1])["AccessKey"]["AccessKeyId"]
    result = info(ansible_aws, {"last_used": False})
    assert [(r["user_name"], r["access_key_id"]) for r in result["access_keys"]] == [(names[-1], last)]


def test_unknown_user_named(ansible_aws, aws):
    run = ansible_aws.task(MODULE, {"user_names": ["ghost"]})
    assert run.rc == 2
    assert run.result(task="task under test")["msg"].startswith(
        "Failed to list the access keys of IAM user 'ghost': the user does not exist (NoSuchEntity: "
    )


def test_refuses_empty_user_name(ansible_aws, aws):
    run = ansible_aws.task(MODULE, {"user_names": ["bob", ""]})
    assert run.rc == 2
    assert run.result(task="task under test")["msg"] == (
        "Failed to list access keys: an empty user name; refusing to act on the account root"
    )


def test_module_defaults_of_amazon_aws_group(aws, keys, home):
    play = ansible_runner.task_play(
        MODULE,
        {"user_name": "bob", "last_used": False},
        play_extra={"module_defaults": {"group/amazon.aws.aws": {"endpoint_url": aws.url, "region": "us-east-1"}}},
    )
    run = ansible_runner.run_playbook(play, home, env=dict(ADMIN_ENV)).assert_ok()
    assert [r["access_key_id"] for r in run.result(task="task under test")["access_keys"]] == [keys["bob"]]


def test_ownership_tags_per_key(ansible_aws, iam, keys):
    """issuer, holders (by name and hashed) and retired_date come from the devkeys.aws:<ID>:<field> user tags."""
    many = ["host-%03d.example.com" % number for number in range(30)]
    iam.tag_user(UserName="alice", Tags=[
        {"Key": "devkeys.aws:%s:issuer" % keys["used"], "Value": "fleet-a"},
        {"Key": "devkeys.aws:%s:holders" % keys["used"], "Value": "laptop1 laptop2"},
        {"Key": "devkeys.aws:%s:issuer" % keys["spare"], "Value": "fleet-a"},
        {"Key": "devkeys.aws:%s:holders" % keys["spare"], "Value": _key_tags.encode_holders(many)},
        {"Key": "devkeys.aws:%s:retired" % keys["spare"], "Value": "2026-03-01T10:00:00Z"},
    ])
    rows = info(ansible_aws, {"user_name": "alice", "last_used": False})["access_keys"]
    assert [(r["access_key_id"], r["issuer"], r["holders"], r["retired_date"]) for r in rows] == [
        (keys["used"], "fleet-a", {"names": ["laptop1", "laptop2"], "count": 2}, None),
        (keys["spare"], "fleet-a", {"names": None, "count": 30}, "2026-03-01T10:00:00+00:00"),
    ]
    assert rows[0]["description"] == "laptop"


def test_missing_users_listed_when_ignored(ansible_aws, keys):
    result = info(ansible_aws, {"user_names": ["ghost", "bob", "phantom"], "ignore_missing_users": True,
                                "last_used": False})
    assert result["missing_user_names"] == ["ghost", "phantom"]
    assert [r["access_key_id"] for r in result["access_keys"]] == [keys["bob"]]


def test_account_summary(ansible_aws, keys):
    result = info(ansible_aws, {"user_name": "carol", "account_summary": True})
    assert result["access_keys"] == []
    summary = result["account_summary"]
    assert summary["AccountAccessKeysPresent"] == 0
    assert summary["AccountMFAEnabled"] == 0
    assert summary["Users"] == 3
