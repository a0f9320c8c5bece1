"""The harness's test clock: moto_server's IAM "now" moved by a test (harness/moto_clock.py)."""

import datetime
import time

import boto3

UTC = datetime.timezone.utc
PAST = datetime.datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_keys_created_under_the_clock_carry_its_date(aws, iam):
    iam.create_user(UserName="alice")
    with aws.clock(PAST):
        key = iam.create_access_key(UserName="alice")["AccessKey"]
        assert aws.clock_setting() == {"now": "2025-01-02T03:04:05+00:00", "ticking": False}
        boto3.client("sts", endpoint_url=aws.url, region_name="us-east-1", aws_access_key_id=key["AccessKeyId"],
                     aws_secret_access_key=key["SecretAccessKey"]).get_caller_identity()
    fresh = iam.create_access_key(UserName="alice")["AccessKey"]
    assert key["CreateDate"] == PAST
    assert iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])["AccessKeyLastUsed"]["LastUsedDate"] == PAST
    assert abs(fresh["CreateDate"] - datetime.datetime.now(UTC)) < datetime.timedelta(minutes=1)
    assert aws.clock_setting() == {"now": None, "ticking": False}


def test_naive_moment_is_utc_and_ticking_clock_advances(aws, iam):
    iam.create_user(UserName="alice")
    aws.set_clock(PAST.replace(tzinfo=None), ticking=True)
    time.sleep(0.2)
    created = iam.create_access_key(UserName="alice")["AccessKey"]["CreateDate"]
    assert PAST + datetime.timedelta(seconds=0.2) <= created < PAST + datetime.timedelta(seconds=30)


def test_nested_clocks_restore_the_outer_setting(aws):
    with aws.clock(PAST):
        with aws.clock(PAST + datetime.timedelta(days=1), ticking=True):
            assert aws.clock_setting()["ticking"] is True
        assert aws.clock_setting() == {"now": PAST.isoformat(), "ticking": False}
    assert aws.clock_setting()["now"] is None


def test_reset_returns_to_real_time(aws, iam):
    aws.set_clock(PAST)
    aws.reset()
    assert aws.clock_setting() == {"now": None, "ticking": False}
    iam.create_user(UserName="alice")
    created = iam.create_access_key(UserName="alice")["AccessKey"]["CreateDate"]
    assert created > PAST + datetime.timedelta(days=300)


def test_key_ages_seen_by_the_modules(ansible_aws, aws, iam):
    iam.create_user(UserName="alice")
    with aws.clock(datetime.datetime.now(UTC) - datetime.timedelta(days=91, hours=1)):
        old = iam.create_access_key(UserName="alice")["AccessKey"]["AccessKeyId"]
    run = ansible_aws.task("devkeys.aws.iam_access_key_info", {"user_name": "alice", "last_used": False}).assert_ok()
    rows = run.result(task="task under test")["access_keys"]
    assert [(k["access_key_id"], k["age_days"]) for k in rows] == [(old, 91)]
