"""Helpers of the workstation role and playbook tests: inventories of local workstations, botocore read-back."""

import configparser
import re
import socket
from pathlib import Path

import boto3
import botocore.session
import yaml

from harness.paths import PYTHON, REPO

PLAYBOOKS = REPO / "playbooks"
REQUEST_LINE = re.compile(r'"POST / HTTP/1\.[01]" ')


def workstations(tmp_path, hosts, group_vars=None, name="inventory.yml"):
    """Inventory with group ``workstations`` of local-connection hosts.

    ``hosts`` maps a host name to its vars; every host gets its own sandbox home
    ``tmp_path/homes/<host>`` as ``workstation_home`` unless it sets one.
    """
    inventory_hosts = {}
    for host, host_vars in hosts.items():
        host_vars = dict(host_vars)
        host_vars.setdefault("ansible_connection", "local")
        host_vars.setdefault("ansible_python_interpreter", PYTHON)
        if host_vars["ansible_connection"] == "local":
            host_vars.setdefault("workstation_home", str(home_of(tmp_path, host)))
            Path(host_vars["workstation_home"]).mkdir(parents=True, exist_ok=True)
        inventory_hosts[host] = host_vars
    inventory = {"workstations": {"hosts": inventory_hosts, "vars": dict(group_vars or {})}}
    path = tmp_path / name
    path.write_text(yaml.safe_dump(inventory), encoding="utf-8")
    return str(path)


def unreachable_host(**host_vars):
    """Vars of an inventory host that no one answers for: SSH to a closed loopback port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return dict(
        {
            "ansible_connection": "ssh",
            "ansible_host": "127.0.0.1",
            "ansible_port": port,
            "ansible_user": "nobody",
            "ansible_ssh_common_args": "-o ConnectTimeout=3 -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null",
            "workstation_home": "/nonexistent/unreachable",
        },
        **host_vars,
    )


def home_of(tmp_path, host):
    return tmp_path / "homes" / host


def credentials(home, profile):
    """What botocore resolves for ``profile`` from the files in ``home`` (None if no credentials)."""
    session = botocore.session.Session(profile=profile)
    session.set_config_variable("credentials_file", str(Path(home) / ".aws" / "credentials"))
    session.set_config_variable("config_file", str(Path(home) / ".aws" / "config"))
    creds = session.get_credentials()
    return creds.get_frozen_credentials() if creds else None


def raw_sections(path):
    """Section names of an AWS shared file, as configparser reads them."""
    parser = configparser.RawConfigParser()
    parser.read(path)
    return parser.sections()


def profile_config(home, profile):
    """The config-file settings botocore reads for ``profile``."""
    session = botocore.session.Session(profile=profile)
    session.set_config_variable("credentials_file", str(Path(home) / ".aws" / "credentials"))
    session.set_config_variable("config_file", str(Path(home) / ".aws" / "config"))
    return session.get_scoped_config()


def sso_session(home, name):
    """The [sso-session NAME] settings botocore reads."""
    session = botocore.session.Session()
    session.set_config_variable("config_file", str(Path(home) / ".aws" / "config"))
    return session.full_config.get("sso_sessions", {}).get(name)


def caller_arn(aws, home, profile):
    """sts:GetCallerIdentity on the moto server with the key ``profile`` holds."""
    creds = credentials(home, profile)
    client = boto3.client(
        "sts",
        endpoint_url=aws.url,
        region_name="us-east-1",
        aws_access_key_id=creds.access_key,
        aws_secret_access_key=creds.secret_key,
    )
    return client.get_caller_identity()["Arn"]


def key_states(iam, user):
    """{access key ID: status} of an IAM user."""
    return {key["AccessKeyId"]: key["Status"] for key in iam.list_access_keys(UserName=user)["AccessKeyMetadata"]}


def aws_requests(aws):
    """How many AWS API requests the moto server has answered so far (from its log)."""
    text = Path(aws.log_path).read_text(encoding="utf-8", errors="replace")
    return len(REQUEST_LINE.findall(text))
