"""Which amazon.aws module_defaults our action plugins add (plugins/plugin_utils/_aws_group_defaults.py)."""

import pytest

from ansible_collections.devkeys.aws.plugins.plugin_utils import _aws_group_defaults as defaults


def test_connection_names_come_from_amazon_aws():
    names = defaults.connection_names()
    assert names["access_key"] == {"access_key", "aws_access_key_id", "aws_access_key"}
    assert names["endpoint_url"] == {"endpoint_url", "aws_endpoint_url"}
    assert set(names) == {
        "access_key", "secret_key", "session_token", "profile", "endpoint_url", "validate_certs",
        "aws_ca_bundle", "aws_config", "debug_botocore_endpoint_logs", "region",
    }


@pytest.mark.parametrize(
    "task_args, group_defaults, added",
    [
        ({}, {"aws_endpoint_url": "http://e", "region": "r"}, {"endpoint_url": "http://e", "region": "r"}),
        # The task sets the option under another name: the default is not added.
        ({"aws_endpoint_url": "http://task"}, {"endpoint_url": "http://e"}, {}),
        ({"aws_region": "task"}, {"region": "r", "profile": "p"}, {"profile": "p"}),
        # Options of amazon.aws modules that are not connection options never leak into ours.
        ({}, {"state": "absent", "rotate_keys": True, "id": "x"}, {}),
        ({"user_name": "alice"}, {"aws_secret_access_key": "s", "validate_certs": False},
         {"secret_key": "s", "validate_certs": False}),
    ],
)
def test_missing_connection_defaults(task_args, group_defaults, added):
    assert defaults.missing_connection_defaults(task_args, group_defaults) == added
