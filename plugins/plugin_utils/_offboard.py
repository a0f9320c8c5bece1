# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The decisions of playbooks/offboard.yml (filters ``devkeys.aws.offboard_plan`` and ``offboard_outcome``).

The plan, from the person's keys and what the playbook read on each workstation:
- profiles to remove, per host that was read: those holding a key of the user, and those the inventory gives
  that IAM user (when the host has them);
- per key: ``deactivate`` (default; an Active key) or ``delete`` (``delete=true``), else ``refuse`` or ``none``,
  with why. A key used within ``recent_hours`` is refused unless named in ``named_keys``; with ``delete``, an
  Inactive key devkeys.aws did not deactivate (no retired tag) is refused unless named, as it may be held on
  purpose (evidence). An unnamed key is acted on with ``keep_if_used_after`` (now minus ``recent_hours``), so a
  use after the plan still keeps it.
Nothing happens unless the operator confirmed; every workstation not read or not changed fails the run.
"""

import datetime
from collections.abc import Mapping

from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.devkeys.aws.plugins.plugin_utils._audit import ago, issuer_label, parse_time
from ansible_collections.devkeys.aws.plugins.plugin_utils._workstation_reads import (
    DEFAULT_FLEET_ID,
    fleet_ids,
    hosts_naming,
    unread_hosts,
)

DEFAULT_RECENT_HOURS = 24


def named_key_ids(value):
    """The key IDs of ``offboard_keys``: a list, or one comma-separated string."""
    if not value:
        return []
    items = value.split(",") if isinstance(value, str) else value
    return [str(item).strip() for item in items if str(item).strip()]


def key_line(key, now):
    """What the operator sees of a key: ID, status, creation, last use (date, service), issuer, description."""
    last_used = parse_time(key.get("last_used_date"))
    used = "never used" if last_used is None else "last used %s (%s, %s)" % (
        last_used.strftime("%Y-%m-%d %H:%M UTC"), ago(last_used, now), key.get("last_used_service") or "unknown")
    description = (", description %r" % key["description"]) if key.get("description") else ""
    return "%s %s, created %s, %s, issuer %s%s" % (
        key["access_key_id"], key["status"], (key.get("create_date") or "?")[:10], used, key["issuer_label"],
        description)


def key_decision(key, named, options, now):
    """``(action, why)`` for one key: ``deactivate``, ``delete``, ``refuse`` or ``none``."""
    verb = "delete" if options["delete"] else "deactivate"
    if not options["delete"] and key["status"] != "Active":
        return "none", "already Inactive"
    if named:
        return verb, "named in offboard_keys"
    last_used = parse_time(key.get("last_used_date"))
    if last_used is not None and last_used >= now - datetime.timedelta(hours=options["recent_hours"]):
        return "refuse", "used %s, within %d hours; name it in offboard_keys to %s it anyway" % (
            ago(last_used, now), options["recent_hours"], verb)
    if options["delete"] and key["status"] != "Active" and not key.get("retired_date"):
        return "refuse", ("Inactive, but not deactivated by devkeys.aws: it may be kept on purpose (evidence); "
                          "name it in offboard_keys to delete it")
    return verb, "Active key of the person" if key["status"] == "Active" else "deactivated earlier by devkeys.aws"


def _profiles_to_remove(user_name, key_ids, hosts):
    """``{host: [{name, why}]}`` for every host that was read and has something to remove."""
    plan = {}
    for host, view in sorted(hosts.items()):
        given = set(profile["name"] for profile in view["profiles"] if profile["iam_user"] == user_name)
        found = []
        for name in view["present"]:
            if view["held"].get(name) in key_ids:
                found.append({"name": name, "why": "holds key %s" % view["held"][name]})
            elif name in given:
                found.append({"name": name, "why": "the inventory gives it IAM user %s" % user_name})
        if found:
            plan[host] = found
    return plan


def _key_plan(user_name, access_keys, hosts, options, now):
    """The keys with what to do with each (``action``, ``why``, ``line``) and the calls to make (``act``)."""
    named = named_key_ids(options["named_keys"])
    ours = fleet_ids(hosts, hosts_naming(hosts, user_name), options["fleet_id"])
    keep_if_used_after = (now - datetime.timedelta(hours=options["recent_hours"])).isoformat(timespec="seconds")
    keys, act = [], []
    for key in sorted(access_keys, key=lambda item: (item.get("create_date") or "", item["access_key_id"])):
        kind, label = issuer_label(key.get("issuer"), ours)
        key = dict(key, issuer_kind=kind, issuer_label=label)
        key["action"], key["why"] = key_decision(key, key["access_key_id"] in named, options, now)
        key["line"] = key_line(key, now)
        keys.append(key)
        if key["action"] in ("deactivate", "delete"):
            call = {"access_key_id": key["access_key_id"], "action": key["action"],
                    "state": "absent" if key["action"] == "delete" else "present",
                    "issuer": key["issuer"] if kind == "ours" else sorted(ours)[0]}
            if key["action"] == "deactivate":
                call["active"] = False
            if key["access_key_id"] not in named:
                call["keep_if_used_after"] = keep_if_used_after
            act.append(call)
    return keys, act


def plan_offboard(user_name, access_keys, hosts, options, now):
    """The offboarding plan of IAM user ``user_name``; see the module docstring.

    ``options``: ``delete`` (bool), ``recent_hours`` (int), ``named_keys`` (list or comma-separated string),
    ``fleet_id`` (the default issuer id). ``errors`` lists what makes the plan unusable (act on nothing).
    """
    recent_hours = options.get("recent_hours")
    options = {
        "delete": boolean(options.get("delete") or False, strict=True),
        "recent_hours": DEFAULT_RECENT_HOURS if recent_hours in (None, "") else int(recent_hours),
        "named_keys": options.get("named_keys"),
        "fleet_id": options.get("fleet_id") or DEFAULT_FLEET_ID,
    }
    key_ids = set(key["access_key_id"] for key in access_keys)
    errors = ["Failed to plan the offboarding of IAM user %s: offboard_keys names %s, which is not an access key "
              "of the user" % (user_name, key_id)
              for key_id in named_key_ids(options["named_keys"]) if key_id not in key_ids]
    keys, act = _key_plan(user_name, access_keys, hosts, options, now)
    remove = _profiles_to_remove(user_name, key_ids, hosts)
    return {
        "user_name": user_name,
        "mode": "delete" if options["delete"] else "deactivate",
        "recent_hours": options["recent_hours"],
        "errors": errors,
        "keys": keys,
        "act": act,
        "has_work": bool(act or remove),
        "remove": dict((host, [profile["name"] for profile in profiles]) for host, profiles in remove.items()),
        "unread": unread_hosts(hosts),
        "show": {
            "iam_user": user_name,
            "mode": "delete the keys" if options["delete"] else "deactivate the keys (offboard_delete=true deletes them)",
            "keys": ["%s -> %s: %s" % (key["line"], key["action"], key["why"]) for key in keys] or ["none"],
            "profiles": ["%s: remove %s" % (host, ", ".join("%(name)s (%(why)s)" % item for item in items))
                         for host, items in sorted(remove.items())] or ["none"],
            "workstations_not_read": ["%s: %s" % (item["host"], item["why"]) for item in unread_hosts(hosts)],
        },
    }


def _removal_state(result, planned):
    """``(removed, error)`` on one host from its registered removal loop (None: the task never ran there)."""
    if not isinstance(result, Mapping) or result.get("skipped"):
        return [], "profiles not removed: the removal did not run" if planned else ""
    items = result.get("results")
    if not isinstance(items, list):
        items = []
    failed = [item for item in items if item.get("failed") or item.get("unreachable")]
    if result.get("unreachable") or any(item.get("unreachable") for item in items):
        return [], "unreachable: %s" % (result.get("msg") or next((item.get("msg") for item in items), None)
                                        or "no answer")
    if failed or result.get("failed"):
        return ([item["item"] for item in items if item.get("changed") and not item.get("failed")],
                "; ".join(str(item.get("msg") or "unknown error") for item in failed)
                or str(result.get("msg") or "unknown error"))
    return [item["item"] for item in items if item.get("changed")], ""


def _key_outcome(key, results, check_mode):
    """What happened to one planned key call."""
    result = results.get(key["access_key_id"])
    if result is None or result.get("skipped"):
        return "not acted on"
    if result.get("failed"):
        return "Failed to %s: %s" % (key["action"], result.get("msg") or "unknown error")
    kept = result.get("kept_in_use")
    if kept:
        return "kept: used %s (%s) after the plan" % (kept.get("last_used_date") or "recently",
                                                      kept.get("last_used_service") or "unknown service")
    done = {"deactivate": "deactivated", "delete": "deleted"}[key["action"]]
    if not result.get("changed"):
        return "unchanged (already %s)" % done
    return ("would be " if check_mode else "") + done


def offboard_outcome(plan, removals, key_result, confirmed, check_mode):
    """What the run did: ``{acted, profiles_removed, keys, failed_hosts, failed_keys, show}``.

    ``removals``: the registered removal result per host (None where it never ran); ``key_result``: the registered
    key loop; ``confirmed``: whether the operator confirmed (nothing acts otherwise).
    """
    removed, failed_hosts = [], ["%s: not read (%s)" % (item["host"], item["why"]) for item in plan["unread"]]
    for host in sorted(set(plan["remove"]) | set(removals)):
        names, error = _removal_state(removals.get(host), confirmed and host in plan["remove"])
        removed += ["%s:%s" % (host, name) for name in names]
        if error:
            failed_hosts.append("%s: %s" % (host, error))
    results = dict((result["item"]["access_key_id"], result)
                   for result in (key_result or {}).get("results") or [] if isinstance(result.get("item"), Mapping))
    keys = ["%s: %s" % (key["access_key_id"], _key_outcome(key, results, check_mode)) for key in plan["act"]]
    refused = ["%s: %s" % (key["access_key_id"], key["why"]) for key in plan["keys"] if key["action"] == "refuse"]
    failed_keys = [line for line in keys if ": Failed to " in line]
    if not confirmed:
        state = "plan only, nothing changed: run again with -e confirm=true to act"
    elif check_mode:
        state = "check mode: what a confirmed run would do, nothing changed"
    else:
        state = "done"
    return {
        "acted": bool(confirmed),
        "profiles_removed": removed,
        "keys": keys,
        "refused": refused,
        "failed_hosts": failed_hosts,
        "failed_keys": failed_keys,
        "failed": bool(failed_hosts or failed_keys),
        "show": {
            "offboarded": plan["user_name"],
            "state": state,
            "profiles_removed": removed,
            "keys": keys if confirmed else ["none acted on"],
            "refused": refused,
            "workstations_failed": failed_hosts,
        },
    }
