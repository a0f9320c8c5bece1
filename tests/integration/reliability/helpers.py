"""Small helpers shared by the reliability tests (no fixtures here)."""

import os
from pathlib import Path

import boto3
import botocore.config
import botocore.configloader
import botocore.exceptions
import yaml

from harness.ansible import local_inventory
from harness.paths import REPO

ROLE_TASKS = REPO / "roles" / "workstation" / "tasks"
PLAYBOOKS = REPO / "playbooks"


def read_aws_file(path):
    """What botocore reads from one file: {section: {key: value}} (raises if it cannot)."""
    return botocore.configloader.raw_config_parse(str(path))


def credentials_of(home, profile="dev"):
    """(key id, secret) botocore reads for ``profile`` in ``home``/.aws/credentials, or (None, None)."""
    path = Path(home) / ".aws" / "credentials"
    if not path.exists():
        return None, None
    section = read_aws_file(path).get(profile, {})
    return section.get("aws_access_key_id"), section.get("aws_secret_access_key")


def client(service, url, key_id="testing", secret="testing", attempts=3):
    return boto3.client(
        service, endpoint_url=url, region_name="us-east-1", aws_access_key_id=key_id, aws_secret_access_key=secret,
        config=botocore.config.Config(retries={"mode": "legacy", "total_max_attempts": attempts}),
    )


def key_works(url, key_id, secret, user):
    """True when STS (straight to moto, no faults) answers for ``user`` with this key."""
    try:
        arn = client("sts", url, key_id, secret).get_caller_identity()["Arn"]
    except botocore.exceptions.ClientError:
        return False
    return arn.endswith(f":user/{user}")


def user_keys(iam, user):
    """{access key id: status} of an IAM user."""
    return {k["AccessKeyId"]: k["Status"] for k in iam.list_access_keys(UserName=user)["AccessKeyMetadata"]}


def workstation_inventory(path, homes, endpoint_url, users=None, group="workstations", extra=None,
                          connection="local"):
    """An inventory of local workstations (group ``workstations``), one sandbox home and IAM user each."""
    hosts = {}
    for name, home in homes.items():
        user = (users or {}).get(name, f"dev-{name}")
        hosts[name] = {
            "ansible_connection": connection,
            "workstation_home": str(home),
            "workstation_profiles": [{"name": "dev", "iam_user": user, "region": "us-east-1"}],
            "workstation_aws_endpoint_url": endpoint_url,
            "workstation_aws_region": "us-east-1",
        }
        hosts[name].update((extra or {}).get(name, {}))
    local_inventory(path, hosts=list(hosts), host_vars=hosts)
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    data["all"]["children"] = {group: {"hosts": {name: {} for name in hosts}}}
    Path(path).write_text(yaml.safe_dump(data), encoding="utf-8")
    return str(path)


def iam_tasks_with_loops():
    """Names of role tasks calling IAM that carry retries/until (retries must come from AWSRetry)."""
    offenders = []
    for path in sorted(ROLE_TASKS.rglob("*.yml")):
        for task in _walk(yaml.safe_load(path.read_text(encoding="utf-8")) or []):
            modules = [k for k in task if k.startswith(("amazon.aws.", "devkeys.aws.iam", "community.aws."))]
            if modules and ({"retries", "until"} & set(task)):
                offenders.append(f"{path.name}: {task.get('name', modules[0])}")
    return offenders


def _walk(tasks):
    for task in tasks:
        if not isinstance(task, dict):
            continue
        yield task
        for key in ("block", "rescue", "always"):
            yield from _walk(task.get(key) or [])


def files_under(root):
    """Every regular file below ``root`` (no following of links)."""
    for dirpath, _dirnames, filenames in os.walk(root):
        for name in filenames:
            yield Path(dirpath) / name
