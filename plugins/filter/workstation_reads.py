# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters devkeys.aws.workstation_reads and devkeys.aws.host_results (documented in the .yml files next to this
file): the thin shell that takes plain data out of ``hostvars`` for the pure plans of the playbooks."""

from ansible_collections.devkeys.aws.plugins.plugin_utils._workstation_reads import host_view


def workstation_reads(hostvars, hosts, read_var):
    """``{host: view}`` (see ``host_view``) for each host of ``hosts``, from ``hostvars`` and the result the
    playbook registered as ``read_var``."""
    return dict((host, host_view(hostvars[host], hostvars[host].get(read_var))) for host in hosts)


def host_results(hostvars, hosts, name):
    """``{host: the value of variable name on it, or None}`` for each host of ``hosts``."""
    return dict((host, hostvars[host].get(name)) for host in hosts)


class FilterModule(object):
    def filters(self):
        return {"workstation_reads": workstation_reads, "host_results": host_results}
