"""Fixtures shared by every test: a real moto_server, sandbox homes, ansible runs."""

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import ansible as ansible_runner  # noqa: E402  pylint: disable=wrong-import-position
from harness.collection import install_import_path  # noqa: E402  pylint: disable=wrong-import-position
from harness.moto import MotoServer  # noqa: E402  pylint: disable=wrong-import-position

install_import_path()


@pytest.fixture(scope="session")
def moto_server(tmp_path_factory):
    """One moto_server per test session (per xdist worker), stopped by its PID at the end."""
    server = MotoServer(log_path=str(tmp_path_factory.getbasetemp() / "moto_server.log"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def aws(moto_server):
    """The moto_server, reset to empty before the test, IAM's clock back to real time.

    ``aws.set_clock(dt)`` / ``with aws.clock(dt): ...`` move IAM's clock (see harness/moto.py).
    """
    moto_server.reset()
    return moto_server


@pytest.fixture
def iam(aws):
    """A boto3 IAM client on the moto_server, as the admin."""
    import boto3

    return boto3.client("iam", endpoint_url=aws.url, **_boto_admin())


@pytest.fixture
def sts(aws):
    import boto3

    return boto3.client("sts", endpoint_url=aws.url, **_boto_admin())


def _boto_admin():
    return {"aws_access_key_id": "testing", "aws_secret_access_key": "testing", "region_name": "us-east-1"}


@pytest.fixture
def home(tmp_path):
    """A sandbox HOME: nothing touches the real ~/.aws."""
    path = tmp_path / "home"
    path.mkdir()
    return path


class Runner:
    """Runs ansible-playbook with the sandbox home and, if requested, the moto endpoint."""

    def __init__(self, home, aws=None):
        self.home = home
        self.aws = aws

    def env(self, extra=None):
        env = dict(self.aws.env()) if self.aws else {}
        env.update(extra or {})
        return env

    def playbook(self, playbook, env=None, **kwargs):
        return ansible_runner.run_playbook(playbook, self.home, env=self.env(env), **kwargs)

    def task(self, module, module_args, env=None, **kwargs):
        return ansible_runner.run_task(module, module_args, self.home, env=self.env(env), **kwargs)


@pytest.fixture
def ansible(home):
    """Run tasks/playbooks locally with a sandbox HOME, no AWS."""
    return Runner(home)


@pytest.fixture
def ansible_aws(home, aws):
    """Run tasks/playbooks locally with a sandbox HOME against the reset moto_server."""
    return Runner(home, aws)


def pytest_configure(config):
    os.environ.setdefault("HYPOTHESIS_PROFILE", "default")
