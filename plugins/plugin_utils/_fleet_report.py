# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the workstation role did on each host (``workstation_result``) and in the whole run (summary).

``host_result`` is the documented per-host result (roles/workstation/README.md):
no secret, only names, key IDs, actions and reasons. ``run_summary`` puts the
results of every host of a play together for rotate-keys.yml and users' own
playbooks.
"""

# Past tense of the retire actions, as the result reports them once done (or, in check mode, predicted).
DONE = {"deactivate": "deactivated", "delete": "deleted", "keep": "kept"}


def retire_outcomes(requests, results):
    """(IAM user, access key ID) -> the retire run's result of that request."""
    return dict(((request["user_name"], request["id"]), result or {})
                for request, result in zip(requests, results or []))


def _retired(notes, outcomes, check_mode):
    """The notes of a user's keys with what the retire run did of each."""
    retired, errors = [], []
    for note in notes:
        item = dict(note, action=DONE[note["action"]])
        result = outcomes.get((note["iam_user"], note["access_key_id"]))
        if result is not None and result.get("failed"):
            item.update(action="failed", reason=result.get("msg") or "unknown error")
            errors.append("Failed to %s access key %s of IAM user %s: %s" % (
                note["action"], note["access_key_id"], note["iam_user"], item["reason"]))
        elif result is not None and result.get("kept_in_use"):
            used = result["kept_in_use"]
            item.update(action="kept", reason="used on %s (%s): kept Active" % (
                used.get("last_used_date"), used.get("last_used_service") or "unknown service"))
        item["check_mode"] = check_mode
        retired.append(item)
    return retired, errors


def _key_item(entry, decision):
    return {"profile": entry["name"], "iam_user": entry["iam_user"], "access_key_id": entry["access_key_id"],
            "action": entry["key_action"] or "failed", "reason": decision["reason"],
            "replaced": [key_id for key_id in decision["replaces"] if key_id != entry["access_key_id"]]}


def host_result(host, outcome, retire_results, check_mode=False):
    """``workstation_result`` of one host of the batch."""
    entries = outcome["entries"].get(host)
    if entries is None:
        error = outcome["unread"].get(host) or "the workstation was not configured"
        return {"host": host, "check_mode": check_mode, "configured": False,
                "errors": ["Failed to read the AWS profiles of %s: %s" % (host, error)],
                "profiles": {"written": [], "current": [], "failed": []}, "keys": [], "retired": []}
    outcomes = retire_outcomes(outcome["requests"], retire_results)
    errors = [entry["error"] for entry in entries if entry["error"]]
    keys, retired = [], []
    users = sorted(set(entry["iam_user"] for entry in entries if entry["iam_user"]))
    for entry in entries:
        if entry["iam_user"] and entry["status"] != "error":
            keys.append(_key_item(entry, outcome["decisions"][entry["iam_user"]]))
    for user in users:
        done, failures = _retired(outcome["notes"].get(user, []), outcomes, check_mode)
        retired += done
        errors += failures
    return {
        "host": host,
        "check_mode": check_mode,
        "configured": not errors,
        "errors": errors,
        "profiles": dict((status, [entry["name"] for entry in entries if entry["status"] == status])
                         for status in ("written", "current", "failed")),
        "keys": keys,
        "retired": retired,
    }


def _final_retirement(items):
    """One line per key: what was done to it; "kept" only if no batch of the run did more."""
    acted = [item for item in items if item["action"] != "kept"] or items
    item = acted[-1]
    return "%s: %s %s (%s)" % (item["iam_user"], item["action"], item["access_key_id"], item["reason"])


def run_summary(results, hosts):
    """Lines for the operator over the play's ``hosts`` (``results``: host -> workstation_result, when run)."""
    keys, retired, failed, not_run = {}, {}, {}, []
    for host in hosts:
        result = results.get(host)
        if not result:
            not_run.append(host)
            continue
        for key in result["keys"]:
            if key["action"] != "kept":
                line = "%s: %s key %s%s" % (key["iam_user"], key["action"], key["access_key_id"], (
                    " replacing " + ", ".join(key["replaced"])) if key["replaced"] else "")
                keys.setdefault(line, []).append(host)
        for item in result["retired"]:
            retired.setdefault((item["iam_user"], item["access_key_id"]), []).append(item)
        if not result["configured"]:
            failed[host] = result["errors"]
    return {
        "keys": ["%s on %s" % (line, ", ".join(sorted(on))) for line, on in sorted(keys.items())],
        "retired": sorted(_final_retirement(items) for items in retired.values()),
        "failed": failed,
        "not_run": sorted(not_run),
    }
