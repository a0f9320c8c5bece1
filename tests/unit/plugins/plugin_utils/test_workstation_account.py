"""The local account a workstation's files belong to (plugins/plugin_utils/_workstation_account.py)."""

import pytest

from ansible_collections.devkeys.aws.plugins.plugin_utils._workstation_account import workstation_account


def files(home):
    return {"credentials_file": home + "/.aws/credentials", "config_file": home + "/.aws/config",
            "shell_files": [home + "/.bashrc", home + "/.zshrc"]}


@pytest.mark.parametrize("host_vars, owner, home", [
    ({}, "", "~"),  # nothing set: the account the modules run as
    ({"workstation_user": "", "workstation_home": "", "ansible_user": ""}, "", "~"),
    ({"workstation_user": None, "ansible_user": None}, "", "~"),
    ({"ansible_user": "deploy"}, "deploy", "~deploy"),
    ({"workstation_user": "alice", "ansible_user": "deploy"}, "alice", "~alice"),  # workstation_user wins
    ({"workstation_user": "alice", "workstation_home": "/srv/alice"}, "alice", "/srv/alice"),
    ({"workstation_home": "/srv/shared"}, "", "/srv/shared"),  # a home without an owner: read as the module runs
    ({"workstation_user": 1001}, "1001", "~1001"),  # a uid from YAML
])
def test_workstation_account(host_vars, owner, home):
    assert workstation_account(host_vars) == dict(files(home), owner=owner, home=home)


def test_trailing_slash_of_the_home_gives_clean_paths():
    account = workstation_account({"workstation_home": "/home/alice/"})
    assert account["credentials_file"] == "/home/alice/.aws/credentials"
    assert account["shell_files"] == ["/home/alice/.bashrc", "/home/alice/.zshrc"]
