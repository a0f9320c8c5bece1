"""`make demo`: the real setup-dev.yml flow against a local AWS stand-in.

Starts a moto_server on a free 127.0.0.1 port, creates two IAM users in it,
runs playbooks/setup-dev.yml on three sandbox "workstations" under demo/
(git-ignored), prints what each workstation got (secrets as **** + last 4),
runs the playbook again to show it changes nothing, and stops the server.
No AWS account is used and nothing outside demo/ is touched.
"""

import configparser
import json
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import boto3  # noqa: E402  pylint: disable=wrong-import-position
import yaml  # noqa: E402  pylint: disable=wrong-import-position

from harness.ansible import ansible_env  # noqa: E402  pylint: disable=wrong-import-position
from harness.moto import MotoServer  # noqa: E402  pylint: disable=wrong-import-position
from harness.paths import PYTHON, REPO, venv_tool  # noqa: E402  pylint: disable=wrong-import-position

DEMO = REPO / "demo"
USERS = ("alice", "bob")
WORKSTATIONS = {
    # host: (workstation user name shown, IAM user, extra profiles)
    "alice-laptop": "alice",
    "alice-desktop": "alice",
    "bob-laptop": "bob",
}


def inventory():
    hosts = {}
    for host, iam_user in WORKSTATIONS.items():
        hosts[host] = {
            "ansible_connection": "local",
            "ansible_python_interpreter": PYTHON,
            "workstation_home": str(DEMO / "homes" / host),
            "workstation_profiles": [
                {"name": "dev", "iam_user": iam_user, "region": "eu-west-1", "output": "json"},
                {
                    "name": "dev-admin",
                    "region": "eu-west-1",
                    "settings": {
                        "role_arn": "arn:aws:iam::123456789012:role/developer-admin",
                        "source_profile": "dev",
                    },
                },
            ],
        }
    return {
        "all": {
            "hosts": {"localhost": {"ansible_connection": "local", "ansible_python_interpreter": PYTHON}},
            "children": {"workstations": {"hosts": hosts}},
        }
    }


def run_setup(env, label):
    print(f"\n=== {label}: ansible-playbook playbooks/setup-dev.yml ===", flush=True)
    record = DEMO / "record.json"
    env = dict(env, DEVKEYS_RECORDER_FILE=str(record))
    command = [venv_tool("ansible-playbook"), "-i", str(DEMO / "inventory.yml"), str(REPO / "playbooks" / "setup-dev.yml")]
    code = subprocess.call(command, env=env, cwd=str(DEMO))
    if code:
        raise SystemExit(f"Failed to run setup-dev.yml ({label}): exit code {code}")
    return json.loads(record.read_text(encoding="utf-8"))["recap"]


def masked(secret):
    return "****" + secret[-4:] if secret else "-"


def caller_arn(server, section):
    """Who AWS (the stand-in) says a workstation's key belongs to."""
    sts = boto3.client("sts", endpoint_url=server.url, region_name="us-east-1",
                       aws_access_key_id=section["aws_access_key_id"],
                       aws_secret_access_key=section["aws_secret_access_key"])
    return sts.get_caller_identity()["Arn"]


def summary(server):
    print("\n=== what each workstation has now ===")
    print(f"{'host':<14} {'profile':<18} {'file':<44} {'key id':<22} secret    works as")
    for host in WORKSTATIONS:
        aws_dir = DEMO / "homes" / host / ".aws"
        credentials = configparser.RawConfigParser()
        credentials.read(aws_dir / "credentials")
        for profile in credentials.sections():
            print(
                f"{host:<14} {profile:<18} {str((aws_dir / 'credentials').relative_to(REPO)):<44} "
                f"{credentials[profile].get('aws_access_key_id', '-'):<22} "
                f"{masked(credentials[profile].get('aws_secret_access_key')):<9} "
                f"{caller_arn(server, credentials[profile])}"
            )
        config = configparser.RawConfigParser()
        config.read(aws_dir / "config")
        for section in config.sections():
            print(f"{host:<14} {section:<18} {str((aws_dir / 'config').relative_to(REPO)):<44} "
                  f"{', '.join(f'{k}={v}' for k, v in config[section].items())}")


def main():
    if not (REPO / "playbooks" / "setup-dev.yml").exists():
        raise SystemExit("Failed to run the demo: playbooks/setup-dev.yml does not exist yet")
    shutil.rmtree(DEMO, ignore_errors=True)
    (DEMO / "homes").mkdir(parents=True)
    (DEMO / "inventory.yml").write_text(yaml.safe_dump(inventory(), sort_keys=False), encoding="utf-8")
    with MotoServer(log_path=str(DEMO / "moto_server.log")) as server:
        print(f"AWS stand-in: moto_server at {server.url} (pid {server.process.pid})")
        iam = boto3.client("iam", endpoint_url=server.url, aws_access_key_id="testing",
                           aws_secret_access_key="testing", region_name="us-east-1")
        for user in USERS:
            iam.create_user(UserName=user)
        env = ansible_env(DEMO / "controller-home", server.env())
        first = run_setup(env, "first run")
        summary(server)
        second = run_setup(env, "second run")
        changed = sum(counts["changed"] for counts in second.values())
        print(f"\nfirst run changed {sum(c['changed'] for c in first.values())} things; "
              f"second run: changed={changed} (converged: nothing to do)")
        for user in USERS:
            keys = iam.list_access_keys(UserName=user)["AccessKeyMetadata"]
            print(f"IAM user {user}: " + ", ".join(f"{k['AccessKeyId']} {k['Status']}" for k in keys))
    print("moto_server stopped. Files are under demo/; `make clean` removes them.")
    return 1 if changed else 0


if __name__ == "__main__":
    sys.exit(main())
