"""Helpers of the iam_access_key tests: IAM read-back with boto3, module runs that never print a secret."""

import json

MODULE = "devkeys.aws.iam_access_key"
USER = "alice"
WRITES = {"CreateAccessKey", "DeleteAccessKey", "UpdateAccessKey", "TagUser", "UntagUser"}
"""The IAM calls that change something (the module's writes)."""


def iam_keys(iam, user_name=USER):
    """(id, status) of the user's keys in IAM, oldest first."""
    metadata = sorted(iam.list_access_keys(UserName=user_name)["AccessKeyMetadata"], key=lambda k: k["CreateDate"])
    return [(k["AccessKeyId"], k["Status"]) for k in metadata]


def iam_tags(iam, user_name=USER):
    return {t["Key"]: t["Value"] for t in iam.list_user_tags(UserName=user_name)["Tags"]}


def make_key(iam, status="Active", description=None, user_name=USER, tags=None):
    """A key made behind the module's back, with a description and ``tags`` ({field: value}: devkeys.aws:<ID>:field)."""
    key_id = iam.create_access_key(UserName=user_name)["AccessKey"]["AccessKeyId"]
    if status != "Active":
        iam.update_access_key(UserName=user_name, AccessKeyId=key_id, Status=status)
    values = dict(("devkeys.aws:%s:%s" % (key_id, field), value) for field, value in (tags or {}).items())
    if description:
        values[key_id] = description
    if values:
        iam.tag_user(UserName=user_name, Tags=[{"Key": key, "Value": value} for key, value in values.items()])
    return key_id


def converge(runner, args, check=False, env=None):
    """Run the module with no_log (it may return a secret); return the run and the published result."""
    run = runner.task(
        MODULE, args, publish=True, task_extra={"no_log": True}, args=["--check"] if check else [], env=env
    ).assert_ok()
    result = run.published()["result"]
    if "secret_access_key" in result:
        assert result["secret_access_key"] not in run.output
        assert result["secret_access_key"] not in json.dumps(run.results, default=str)
    return run, result


def failing(runner, args, env=None, check=False):
    run = runner.task(MODULE, args, env=env, args=["--check"] if check else [])
    assert run.rc == 2, run.output[-3000:]
    return run.result(task="task under test")


def writes(proxy):
    """The IAM write calls the proxy forwarded so far, in order."""
    return [action for service, action, _outcome in proxy.log() if service == "iam" and action in WRITES]
