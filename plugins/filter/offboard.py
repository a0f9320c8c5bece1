# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of playbooks/offboard.yml (documented in the .yml files next to this file); the decisions are the
pure functions of plugins/plugin_utils/_offboard.py."""

import datetime

from ansible_collections.devkeys.aws.plugins.plugin_utils import _offboard


def offboard_plan(keys_result, user_name, hosts, options):
    """The offboarding plan of ``user_name`` from ``keys_result`` (a registered devkeys.aws.iam_access_key_info
    result) at the current time."""
    return _offboard.plan_offboard(user_name, keys_result.get("access_keys") or [], hosts, options,
                                   datetime.datetime.now(datetime.timezone.utc))


class FilterModule(object):
    def filters(self):
        return {"offboard_plan": offboard_plan, "offboard_outcome": _offboard.offboard_outcome}
