# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the inventory says about each host and what a playbook read on it (filter
``devkeys.aws.workstation_reads``), as plain data for the audit and offboarding plans.

A host "names" an IAM user when one of its ``workstation_profiles`` has that ``iam_user`` (whatever the
profile's state: the host may still hold the user's key). A host was "read" when its registered
``devkeys.aws.aws_profile_info`` result succeeded in this run; anything else (unreachable, failed, skipped,
outside ``--limit`` or outside the play) is "not read", and whatever it may hold is unknown.
"""

from collections.abc import Mapping, Sequence

DEFAULT_FLEET_ID = "devkeys"
WORKSTATIONS_GROUP = "workstations"
NOT_IN_PLAY = "not read in this run (outside --limit, or not in group workstations)"


def _read_state(result):
    """``(read, why_not)`` of one registered aws_profile_info result (None when the task never ran)."""
    if not isinstance(result, Mapping):
        return False, NOT_IN_PLAY
    if result.get("unreachable"):
        return False, "unreachable: %s" % (result.get("msg") or "no answer")
    if result.get("failed"):
        return False, "failed: %s" % (result.get("msg") or "unknown error")
    if result.get("skipped") or not isinstance(result.get("profiles"), Mapping):
        return False, NOT_IN_PLAY
    return True, ""


def _named_profiles(profiles):
    """``[{name, iam_user}]`` of the profiles the inventory gives a host (nothing else: no secret)."""
    named = []
    for profile in profiles if isinstance(profiles, Sequence) and not isinstance(profiles, str) else []:
        if isinstance(profile, Mapping) and profile.get("name"):
            named.append({"name": str(profile["name"]), "iam_user": str(profile.get("iam_user") or "").strip()})
    return named


def host_view(host_vars, result):
    """One host from its variables (``workstation_profiles``, ``workstation_fleet_id``, ``group_names``) and its
    registered read: ``{profiles, fleet_id, workstation, read, why_not_read, present, held}``; ``present`` lists the
    profiles read, ``held`` maps a profile to its access key ID."""
    read, why_not = _read_state(result)
    held = {}
    present = sorted(str(name) for name in result["profiles"]) if read else []
    for name in present:
        settings = result["profiles"][name]
        key_id = settings.get("aws_access_key_id") if isinstance(settings, Mapping) else None
        if key_id:
            held[name] = str(key_id)
    fleet_id = host_vars.get("workstation_fleet_id")
    return {
        "profiles": _named_profiles(host_vars.get("workstation_profiles")),
        "workstation": WORKSTATIONS_GROUP in (host_vars.get("group_names") or []),
        "present": present,
        "fleet_id": str(fleet_id) if fleet_id else DEFAULT_FLEET_ID,
        "read": read,
        "why_not_read": why_not,
        "held": held,
    }


def hosts_naming(hosts, user_name):
    """Sorted names of the hosts whose inventory profiles name ``user_name``."""
    return sorted(host for host, view in hosts.items()
                  if any(profile["iam_user"] == user_name for profile in view["profiles"]))


def holders_of(hosts):
    """``{access key ID: ["host:profile", ...]}`` over the hosts that were read."""
    found = {}
    for host in sorted(hosts):
        for profile, key_id in sorted(hosts[host]["held"].items()):
            found.setdefault(key_id, []).append("%s:%s" % (host, profile))
    return found


def names_users(view):
    return any(profile["iam_user"] for profile in view["profiles"])


def unread_hosts(hosts):
    """``[{host, why}]``: the workstations (group ``workstations``, a host naming an IAM user, or a host whose read
    was tried) that were not read in this run."""
    return [{"host": host, "why": view["why_not_read"]} for host, view in sorted(hosts.items())
            if not view["read"] and (view["workstation"] or view["why_not_read"] != NOT_IN_PLAY or names_users(view))]


def fleet_ids(hosts, named_by, default_fleet_id):
    """The issuer ids that make a key of a user ours: the fleet ids of the hosts naming the user (``named_by``),
    else of every host naming some IAM user, else ``default_fleet_id``."""
    source = named_by or [host for host, view in hosts.items() if names_users(view)]
    return set(hosts[host]["fleet_id"] for host in source) or set([default_fleet_id])
