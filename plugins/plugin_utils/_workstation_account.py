# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The local account of a workstation whose files the role and the playbooks touch (filter
``devkeys.aws.workstation_account``).

Every read or write of that account's files passes ``owner`` to the module, so a root run reads and writes
them as that account (a link the account planted cannot lead root elsewhere); an empty owner means "the
account the module runs as".
"""

import posixpath

SHELL_START_UP_FILES = (".bashrc", ".zshrc")


def _text(value):
    return "" if value is None else str(value)


def workstation_account(host_vars):
    """``{owner, home, credentials_file, config_file, shell_files}`` from a host's variables.

    ``owner``: ``workstation_user``, else ``ansible_user``, else "" (the account the modules run as).
    ``home``: ``workstation_home``, else ``~<owner>`` (``~`` without an owner), expanded on the host.
    """
    owner = _text(host_vars.get("workstation_user")) or _text(host_vars.get("ansible_user"))
    home = _text(host_vars.get("workstation_home")) or "~" + owner
    return {
        "owner": owner,
        "home": home,
        "credentials_file": posixpath.join(home, ".aws", "credentials"),
        "config_file": posixpath.join(home, ".aws", "config"),
        "shell_files": [posixpath.join(home, name) for name in SHELL_START_UP_FILES],
    }
