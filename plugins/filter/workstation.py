# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the devkeys.aws.workstation role (documented in workstation_*.yml next to this file)."""

from ansible_collections.devkeys.aws.plugins.plugin_utils._workstation_entries import (
    issued_keys,
    profile_entries,
    read_needed,
    write_errors,
)


def workstation_read_needed(iam_users, first_keys_result):
    return read_needed(iam_users, first_keys_result)


def workstation_issued(plans, keys_result, users):
    return issued_keys(plans, keys_result, users)


def workstation_entries(profiles, sso_sessions, issued, held, default_profile, csv_rows):
    return profile_entries(profiles, sso_sessions, issued, held, default_profile, csv_rows)


def workstation_write_errors(written, retired, users):
    return write_errors(written, retired, users)


class FilterModule(object):
    def filters(self):
        return {
            "workstation_read_needed": workstation_read_needed,
            "workstation_issued": workstation_issued,
            "workstation_entries": workstation_entries,
            "workstation_write_errors": workstation_write_errors,
        }
