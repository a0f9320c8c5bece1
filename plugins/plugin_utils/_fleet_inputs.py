# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Registered task results of the workstation role, as the fleet planner's plain data.

Each function takes what a task registered (a dict, possibly a skipped or failed
result, or None when the task never ran on the host) and returns plain data.
None of them returns a secret.
"""

import datetime

from ansible_collections.devkeys.aws.plugins.plugin_utils import _fleet_hosts
from ansible_collections.devkeys.aws.plugins.plugin_utils import _fleet_plan

# What check mode writes for a predicted new key (aws_profile runs in check mode: nothing is written).
CHECK_MODE_SECRET = "check-mode-new-secret"


def _moment(text):
    """An ISO 8601 time from a module result as an aware datetime (None stays None)."""
    if not text:
        return None
    moment = datetime.datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.timezone.utc)


def key_of(view):
    """One key of devkeys.aws.iam_access_key_info's ``access_keys`` as _key_plan takes it."""
    return {
        "access_key_id": view["access_key_id"],
        "status": view["status"],
        "create_date": _moment(view["create_date"]),
        "description": view.get("description"),
        "issuer": view.get("issuer"),
        "holders": view.get("holders"),
        "retired_date": _moment(view.get("retired_date")),
    }


def _loop_failures(registered, what):
    """IAM user -> error of a failed item of the role's user-creation loops."""
    failures = {}
    for item in (registered or {}).get("results") or []:
        if item.get("failed"):
            user = item["item"]["user"] if "user" in item["item"] else item["item"][0]["user"]
            failures.setdefault(user, "Failed to %s IAM user %s: %s" % (what, user, item.get("msg") or "unknown error"))
    return failures


def iam_read_of(keys_result, new_users, new_members):
    """The batch's IAM read as plain, printable data: the keys, missing users, and errors by user or for all."""
    result = keys_result or {}
    errors = _loop_failures(new_members, "add to its groups")
    errors.update(_loop_failures(new_users, "create"))
    return {"access_keys": result.get("access_keys") or [],
            "missing_user_names": result.get("missing_user_names") or [],
            "error": (result.get("msg") or "unknown error") if result.get("failed") else "",
            "user_errors": errors}


def iam_by_user(iam_read, users):
    """IAM user -> ``{keys, missing, error}`` from ``iam_read_of``'s data."""
    missing = set(iam_read["missing_user_names"])
    found = dict((user, {"keys": [], "missing": user in missing,
                         "error": iam_read["user_errors"].get(user) or iam_read["error"]}) for user in users)
    for view in iam_read["access_keys"]:
        if view["user_name"] in found:
            found[view["user_name"]]["keys"].append(key_of(view))
    return found


def results_by_user(requests, iam_result):
    """IAM user -> its result in a batched iam_access_key run (every requested user failed if the run crashed)."""
    result = iam_result or {}
    results = result.get("batch_results")
    if results is None:
        failure = {"failed": True, "msg": result.get("msg") or "the IAM task did not run"}
        return dict((request["user_name"], failure) for request in requests) if result.get("failed") else {}
    return dict((request["user_name"], outcome) for request, outcome in zip(requests, results))


def donated_by_user(registered):
    """IAM user -> ``{ok, msg}`` of copying its key from another workstation (the host's donation loop)."""
    found = {}
    for item in (registered or {}).get("results") or []:
        copied = item["item"]["access_key_id"]
        failed = item.get("failed") or item.get("unreachable") or item.get("aws_access_key_id") != copied
        msg = item.get("msg") or ("" if not failed else "the workstation no longer holds it")
        found[item["item"]["user"]] = {"ok": not failed, "msg": msg}
    return found


def writes_by_entry(registered):
    """(kind, name) -> ``{ok, changed, msg}`` of the host's write loop (nothing when the host was unreachable)."""
    found = {}
    for item in (registered or {}).get("results") or []:
        entry = item.get("item") or {}
        ok = not (item.get("failed") or item.get("unreachable") or item.get("skipped"))
        found[(entry.get("kind"), entry.get("name"))] = {
            "ok": ok, "changed": bool(item.get("changed")), "msg": item.get("msg") or ""}
    return found


def new_users(views):
    """The IAM users the batch's profiles ask to create: ``[{user, managed_policies, groups}]``, by user name.

    ``views`` are the batch's host views; when hosts ask differently, the first host (by name) decides.
    """
    found = {}
    for view in sorted(views, key=lambda view: view["host"]):
        for user, spec in sorted(view["new_users"].items()):
            found.setdefault(user, dict(spec, user=user))
    return [found[user] for user in sorted(found)]


def iam_users(views):
    """The IAM users the batch's profiles name, sorted."""
    return sorted(set(user for view in views for user in view["users"].values()))


def read_needed(view, keys_result):
    """Whether to read a host: unless it has IAM profiles and none of their users has a key (it cannot hold one)."""
    users = set(view["users"].values())
    result = keys_result or {}
    if not users or result.get("failed") or result.get("skipped") or "access_keys" not in result:
        return True
    return any(key["user_name"] in users for key in result["access_keys"])


def entries_to_write(plan, view, held_result, iam_result, donated_result, check_mode):
    """The entries of ``_fleet_plan.host_entries`` the host writes now (no secret in them)."""
    held = _fleet_hosts.held_view(held_result)
    if held["status"] == "unread":
        return []
    entries = _fleet_plan.host_entries(view, held, plan, results_by_user(plan["requests"], iam_result),
                                       donated_by_user(donated_result), check_mode)
    return [entry for entry in entries if entry["status"] == "write"]


def secret_of(entry, iam_result, donated_result, profiles):
    """The secret access key the write task passes for ``entry`` (None: the entry writes no secret).

    From the IAM run's result for a new key, from the copy of another workstation's
    key, or from the role's own ``workstation_profiles`` for a static key. Only the
    write task (no_log) calls it, so the secret goes from its source to aws_profile
    and nowhere else.
    """
    source = entry["key_source"]
    if source == "created":
        if entry["access_key_id"] == _fleet_plan.CHECK_MODE_KEY_ID:
            return CHECK_MODE_SECRET
        for result in (iam_result or {}).get("batch_results") or []:
            if result.get("user_name") == entry["iam_user"] and result.get("access_key_id") == entry["access_key_id"]:
                return result.get("secret_access_key")
    elif source == "copied":
        for item in (donated_result or {}).get("results") or []:
            if item["item"]["user"] == entry["iam_user"] and item.get("aws_access_key_id") == entry["access_key_id"]:
                return item.get("aws_secret_access_key")
    elif source == "static":
        for profile in profiles or []:
            if profile.get("name") == entry["name"]:
                return profile.get("aws_secret_access_key")
    return None
