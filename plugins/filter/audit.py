# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of playbooks/audit-keys.yml (documented in the .yml files next to this file); the decisions are the
pure functions of plugins/plugin_utils/_audit.py."""

import datetime

from ansible_collections.devkeys.aws.plugins.plugin_utils import _audit


def audit_plan(keys_result, hosts, options):
    """The audit of ``keys_result`` (a registered devkeys.aws.iam_access_key_info result) at the current time."""
    return _audit.plan_audit(keys_result.get("access_keys") or [], keys_result.get("account_summary"), hosts,
                             options, datetime.datetime.now(datetime.timezone.utc))


class FilterModule(object):
    def filters(self):
        return {
            "audit_plan": audit_plan,
            "audit_outcome": _audit.audit_outcome,
            "markdown_escape": _audit.markdown_escape,
            "csv_row": _audit.csv_row,
        }
