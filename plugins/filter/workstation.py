# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the devkeys.aws.workstation role (documented in workstation_*.yml next to this file).

Thin: each picks the role's data out of ``hostvars`` or a registered result and
calls a pure function of plugins/plugin_utils/_fleet_*.py.
"""

from ansible_collections.devkeys.aws.plugins.plugin_utils import _fleet_hosts
from ansible_collections.devkeys.aws.plugins.plugin_utils import _fleet_inputs
from ansible_collections.devkeys.aws.plugins.plugin_utils import _fleet_report


def _views(hosts, hostvars):
    return [hostvars[host]["_workstation_host"] for host in hosts]


def workstation_new_users(batch, hostvars):
    return _fleet_inputs.new_users(_views(batch, hostvars))


def workstation_iam_users(batch, hostvars):
    return _fleet_inputs.iam_users(_views(batch, hostvars))


def workstation_compare(view):
    return _fleet_hosts.compare_entries(view)


def workstation_read_needed(view, keys_result):
    return _fleet_inputs.read_needed(view, keys_result)


def workstation_writes(plan, view, held_result, iam_result, donated_result, check_mode):
    return _fleet_inputs.entries_to_write(plan, view, held_result, iam_result, donated_result, check_mode)


def workstation_secret(entry, iam_result, donated_result, profiles):
    return _fleet_inputs.secret_of(entry, iam_result, donated_result, profiles)


def workstation_summary(hosts, hostvars):
    results = dict((host, hostvars[host].get("workstation_result")) for host in hosts)
    return _fleet_report.run_summary(results, hosts)


class FilterModule(object):
    def filters(self):
        return {
            "workstation_new_users": workstation_new_users,
            "workstation_iam_users": workstation_iam_users,
            "workstation_compare": workstation_compare,
            "workstation_read_needed": workstation_read_needed,
            "workstation_writes": workstation_writes,
            "workstation_secret": workstation_secret,
            "workstation_summary": workstation_summary,
        }
