# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter devkeys.aws.workstation_account (documented in workstation_account.yml next to this file)."""

from ansible_collections.devkeys.aws.plugins.plugin_utils._workstation_account import workstation_account


class FilterModule(object):
    def filters(self):
        return {"workstation_account": workstation_account}
