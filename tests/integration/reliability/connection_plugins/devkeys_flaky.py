"""Test-only connection: ansible.builtin.local that drops when one module is sent (a host lost mid-run)."""

import os

from ansible.errors import AnsibleConnectionFailure
from ansible.plugins.connection.local import Connection as LocalConnection

DOCUMENTATION = """
name: devkeys_flaky
short_description: local connection that becomes unreachable on demand (devkeys.aws tests only)
description:
  - Like ansible.builtin.local, but reports the host unreachable when the module file named by the environment
    variable E(DEVKEYS_FLAKY_MODULE) (for example C(AnsiballZ_aws_profile.py)) is transferred.
author: devkeys.aws maintainers
"""


class Connection(LocalConnection):
    transport = "devkeys_flaky"

    def put_file(self, in_path, out_path):
        marker = os.environ.get("DEVKEYS_FLAKY_MODULE")
        if marker and os.path.basename(out_path) == marker:
            raise AnsibleConnectionFailure("simulated: the connection to the host was lost")
        super().put_file(in_path, out_path)
