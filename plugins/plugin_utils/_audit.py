# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The decisions of playbooks/audit-keys.yml (filters ``devkeys.aws.audit_plan``, ``audit_outcome``,
``markdown_escape``, ``csv_row``): flags per key, the root user's state, and which keys ``audit_fix=true`` may
deactivate.

``audit_fix`` deactivates a key only when all of these hold, else it keeps it and says why:
Active; held by no workstation read in this run; its IAM user is named by some inventory host; its issuer tag
is the fleet id of those hosts (ours); every one of those hosts, and every inventory host its holders tag names, was
read in this run; neither used nor created within ``fix_unused_days``. The module call gets
``keep_if_used_after`` (now minus that window), so a use between this plan and the call still keeps the key.
"""

import csv
import datetime
import html
import io
import re
from collections.abc import Mapping, Sequence

from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.devkeys.aws.plugins.plugin_utils._workstation_reads import (
    DEFAULT_FLEET_ID,
    fleet_ids,
    holders_of,
    hosts_naming,
    unread_hosts,
)

ORPHAN = "orphan: Active, no workstation holds it"
TWO_ACTIVE = "user has two Active keys"
# The root user's state, shown after "Root user: " at the top of every report.
ROOT_KEYS = "HAS ACCESS KEYS (AccountAccessKeysPresent=1): delete them, use IAM users or roles"
ROOT_NO_MFA = "no MFA (AccountMFAEnabled=0): enable it"
ROOT_NOT_CHECKED = "not checked: no account summary (needs iam:GetAccountSummary)"
ROOT_OK = "no access keys, MFA enabled"

DEFAULT_OPTIONS = {
    "max_age_days": 90,
    "unused_days": 90,
    "fix": False,
    "fix_unused_days": 7,
    "fleet_id": DEFAULT_FLEET_ID,
}


def parse_time(value):
    """An aware datetime from an ISO 8601 string (``Z`` or an offset; naive means UTC), None for empty."""
    if not value:
        return None
    if isinstance(value, datetime.datetime):
        moment = value
    else:
        moment = datetime.datetime.fromisoformat(re.sub(r"Z$", "+00:00", str(value)))
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.timezone.utc)


def ago(then, now):
    """``3 hours ago``, ``2 days ago``: how long before ``now`` the moment ``then`` was."""
    seconds = max(0, int((now - then).total_seconds()))
    if seconds < 3600:
        return "less than an hour ago"
    if seconds < 86400:
        hours = seconds // 3600
        return "%d hour%s ago" % (hours, "" if hours == 1 else "s")
    days = seconds // 86400
    return "%d day%s ago" % (days, "" if days == 1 else "s")


def root_account(summary):
    """The root user's state from iam:GetAccountSummary: ``{checked, access_keys_present, mfa_enabled, flags, text,
    alert}``; ``flags`` lists what is wrong (or that it was not checked), ``alert`` whether there is any."""
    if not isinstance(summary, Mapping) or summary.get("AccountAccessKeysPresent") is None:
        return {"checked": False, "access_keys_present": None, "mfa_enabled": None, "flags": [ROOT_NOT_CHECKED],
                "text": ROOT_NOT_CHECKED, "alert": True}
    keys = bool(int(summary["AccountAccessKeysPresent"]))
    mfa = None if summary.get("AccountMFAEnabled") is None else bool(int(summary["AccountMFAEnabled"]))
    flags = ([ROOT_KEYS] if keys else []) + ([ROOT_NO_MFA] if mfa is False else [])
    return {"checked": True, "access_keys_present": keys, "mfa_enabled": mfa, "flags": flags,
            "text": "; ".join(flags) or ROOT_OK, "alert": bool(flags)}


def issuer_label(issuer, our_ids):
    """``(kind, label)``: ``ours`` (``issuer`` is one of ``our_ids``), ``another fleet`` or ``not tagged``."""
    if not issuer:
        return "not tagged", "not tagged"
    if issuer in our_ids:
        return "ours", "ours (%s)" % issuer
    return "another fleet", "another fleet (%s)" % issuer


def recorded_holders(holders):
    """``(names or None, text)`` of a key's holders tag as iam_access_key_info returns it."""
    if not isinstance(holders, Mapping):
        return [], ""
    if holders.get("names") is None:
        return None, "%s hosts (hashed)" % holders.get("count", "?")
    names = [str(name) for name in holders["names"]]
    return names, " ".join(names)


def _flags(key, active_of_user, held_by, options, now):
    """The report's findings for one key."""
    flags = []
    if key.get("age_days", 0) > options["max_age_days"]:
        flags.append("older than %d days" % options["max_age_days"])
    last_used = parse_time(key.get("last_used_date"))
    if last_used is None:
        flags.append("never used")
    elif (now - last_used).days > options["unused_days"]:
        flags.append("unused for %d days" % (now - last_used).days)
    if key["status"] == "Active" and not held_by:
        flags.append(ORPHAN)
    if key["status"] == "Active" and active_of_user > 1:
        flags.append(TWO_ACTIVE)
    return flags


def _keep_reasons(key, row, hosts, options, now):
    """Why audit_fix must keep an Active key (empty: it may deactivate it)."""
    reasons = []
    if row["held_by"]:
        reasons.append("held by " + ", ".join(row["held_by"]))
    if not row["named_by"]:
        reasons.append("user named by no workstation")
    if row["issuer_kind"] != "ours":
        reasons.append("not ours (%s)" % row["issuer_label"])
    reasons += ["holder %s not read" % host for host in row["named_by"] if not hosts[host]["read"]]
    # An inventory host the key was handed to may hold it even if it no longer names the user; a host outside
    # the inventory, or a hashed holders tag, is left to the use window below.
    recorded = recorded_holders(key.get("holders"))[0] or []
    reasons += ["recorded holder %s not read" % host for host in recorded
                if host in hosts and host not in row["named_by"] and not hosts[host]["read"]]
    window = datetime.timedelta(days=options["fix_unused_days"])
    last_used = parse_time(key.get("last_used_date"))
    if last_used is not None and last_used >= now - window:
        reasons.append("used %s" % ago(last_used, now))
    created = parse_time(key.get("create_date"))
    if created is not None and created >= now - window:
        reasons.append("created %s" % ago(created, now))
    return reasons


def audit_row(key, fleet, options, now):
    """One key of the report, with its flags and what audit_fix does with it (``fix_action``, ``fix_why``).

    ``fleet``: ``{hosts, holders, active_keys}`` (the host views, key ID -> "host:profile" holders, Active keys
    per IAM user).
    """
    hosts = fleet["hosts"]
    held_by = fleet["holders"].get(key["access_key_id"], [])
    named_by = hosts_naming(hosts, key["user_name"])
    kind, label = issuer_label(key.get("issuer"), fleet_ids(hosts, named_by, options["fleet_id"]))
    last_used = parse_time(key.get("last_used_date"))
    row = {
        "user_name": key["user_name"],
        "access_key_id": key["access_key_id"],
        "status": key["status"],
        "create_date": key.get("create_date") or "",
        "age_days": key.get("age_days", 0),
        "last_used_date": key.get("last_used_date") or "",
        "last_used": last_used.strftime("%Y-%m-%d") if last_used else "never",
        "last_used_service": key.get("last_used_service") or "",
        "description": key.get("description") or "",
        "issuer": key.get("issuer") or "",
        "issuer_kind": kind,
        "issuer_label": label,
        "held_by": held_by,
        "named_by": named_by,
        "recorded_holders": recorded_holders(key.get("holders"))[1],
        "retired_date": key.get("retired_date") or "",
        "flags": _flags(key, fleet["active_keys"].get(key["user_name"], 0), held_by, options, now),
        "orphan": key["status"] == "Active" and not held_by,
    }
    if key["status"] != "Active":
        row.update(fix_action="keep", fix_why="already Inactive")
        return row
    reasons = _keep_reasons(key, row, hosts, options, now)
    if reasons:
        row.update(fix_action="keep", fix_why="; ".join(reasons))
    else:
        row.update(fix_action="deactivate", fix_why="Active, ours, held by no workstation, not used in %d days"
                   % options["fix_unused_days"])
    return row


def audit_options(options):
    """``options`` with the defaults for what is unset or empty, numbers as int, ``fix`` as bool."""
    merged = dict(DEFAULT_OPTIONS)
    merged.update((name, value) for name, value in options.items() if value not in (None, ""))
    for name in ("max_age_days", "unused_days", "fix_unused_days"):
        merged[name] = int(merged[name])
    merged["fix"] = boolean(merged["fix"], strict=True)
    merged["fleet_id"] = str(merged["fleet_id"])
    return merged


def plan_audit(access_keys, account_summary, hosts, options, now):
    """The audit: rows (oldest first), the root user, the workstations not read, and with ``options.fix`` the
    keys to deactivate (``fix``: ``{user_name, access_key_id, issuer, keep_if_used_after}``)."""
    options = audit_options(options)
    active_keys = {}
    for key in access_keys:
        if key["status"] == "Active":
            active_keys[key["user_name"]] = active_keys.get(key["user_name"], 0) + 1
    fleet = {"hosts": hosts, "holders": holders_of(hosts), "active_keys": active_keys}
    rows = sorted((audit_row(key, fleet, options, now) for key in access_keys),
                  key=lambda row: (-row["age_days"], row["user_name"], row["access_key_id"]))
    keep_if_used_after = (now - datetime.timedelta(days=options["fix_unused_days"])).isoformat(timespec="seconds")
    fix = [{"user_name": row["user_name"], "access_key_id": row["access_key_id"], "issuer": row["issuer"],
            "keep_if_used_after": keep_if_used_after}
           for row in rows if options["fix"] and row["fix_action"] == "deactivate"]
    return {
        "generated": now.strftime("%Y-%m-%d %H:%M UTC"),
        "options": options,
        "root": root_account(account_summary),
        "rows": rows,
        "fix": fix,
        "unread": unread_hosts(hosts),
    }


def _fix_result(row, results, check_mode):
    """``(fix_action, fix_why)`` of a key audit_fix acted on, from its result in the deactivation loop."""
    result = results.get(row["access_key_id"])
    if result is None or result.get("skipped"):
        return "keep", "not acted on (the deactivation task did not run)"
    if result.get("failed"):
        return "failed", "Failed to deactivate: %s" % (result.get("msg") or "unknown error")
    kept = result.get("kept_in_use")
    if kept:
        used = parse_time(kept.get("last_used_date"))
        service = kept.get("last_used_service") or "unknown service"
        return "keep", "used %s (%s) since the plan" % (used.isoformat() if used else "recently", service)
    if check_mode:
        return "would deactivate", row["fix_why"]
    if not result.get("changed"):
        return "keep", "already Inactive when acted on"
    return "deactivated", row["fix_why"]


def audit_outcome(plan, fix_result, check_mode):
    """The report: ``plan`` with each acted-on key's outcome, ``fix_text`` per row and a ``summary``."""
    results = dict((result["item"]["access_key_id"], result)
                   for result in (fix_result or {}).get("results") or [] if isinstance(result.get("item"), Mapping))
    fixing = plan["options"]["fix"]
    rows = []
    for row in plan["rows"]:
        row = dict(row)
        if fixing and row["fix_action"] == "deactivate":
            row["fix_action"], row["fix_why"] = _fix_result(row, results, check_mode)
        if row["fix_action"] == "deactivate":
            row["fix_text"] = "audit_fix=true would deactivate it (%s)" % row["fix_why"]
        elif row["fix_action"] == "keep":
            row["fix_text"] = "kept: " + row["fix_why"]
        else:
            row["fix_text"] = "%s: %s" % (row["fix_action"], row["fix_why"])
        rows.append(row)
    report = dict(plan, rows=rows, check_mode=bool(check_mode))
    report["summary"] = _summary(report)
    return report


def _ids(rows, action):
    return ["%s %s" % (row["user_name"], row["access_key_id"]) for row in rows if row["fix_action"] == action]


def _summary(report):
    """The run's findings, as fields and as the lines the playbook shows (the root user first)."""
    rows = report["rows"]
    summary = {
        "root_account": report["root"]["text"],
        "keys": len(rows),
        "flagged": len([row for row in rows if row["flags"]]),
        "orphans": [row["access_key_id"] for row in rows if row["orphan"]],
        "users_with_two_active_keys": sorted(set(row["user_name"] for row in rows if TWO_ACTIVE in row["flags"])),
        "audit_fix": report["options"]["fix"],
        "deactivate_with_audit_fix": _ids(rows, "deactivate"),
        "deactivated": _ids(rows, "deactivated"),
        "would_deactivate": _ids(rows, "would deactivate"),
        "failed": _ids(rows, "failed"),
        "workstations_not_read": ["%s: %s" % (item["host"], item["why"]) for item in report["unread"]],
    }
    if summary["audit_fix"]:
        fixed = ("Would deactivate (check mode): %s" % _listed(summary["would_deactivate"]) if report["check_mode"]
                 else "Deactivated: %s" % _listed(summary["deactivated"]))
    else:
        fixed = "audit_fix=true would deactivate: %s" % _listed(summary["deactivate_with_audit_fix"])
    summary["lines"] = [
        "Root user: %s" % summary["root_account"],
        "Keys: %d, flagged: %d" % (summary["keys"], summary["flagged"]),
        "Orphans (Active, held by no workstation): %s" % _listed(summary["orphans"]),
        "Users with two Active keys: %s" % _listed(summary["users_with_two_active_keys"]),
        fixed,
    ] + (["Failed to deactivate: %s" % _listed(summary["failed"])] if summary["failed"] else []) + [
        "Workstations not read: %s" % _listed(summary["workstations_not_read"]),
    ]
    return summary


def _listed(items):
    return ", ".join(items) or "none"


def _is_list(value):
    return isinstance(value, Sequence) and not isinstance(value, (str, bytes))


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]|~])")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


def markdown_escape(value, separator=", "):
    """``value`` as literal Markdown text, safe in a table cell: HTML characters as entities, Markdown
    punctuation (``|`` included) backslash-escaped, control characters and line breaks as a space.
    A list is escaped item by item and joined with ``separator``."""
    if _is_list(value):
        return separator.join(markdown_escape(item) for item in value)
    text = _CONTROL.sub(" ", "" if value is None else str(value))
    return html.escape(_MARKDOWN_SPECIAL.sub(r"\\\1", text), quote=True)


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_row(cells):
    """One CSV line (every cell quoted, no line end). A cell a spreadsheet would run as a formula (starting
    with ``= + - @``, a tab or CR) gets a leading ``'``; a list cell is joined with spaces."""
    values = []
    for cell in cells:
        text = " ".join(str(item) for item in cell) if _is_list(cell) else (
            "" if cell is None else str(cell))
        values.append("'" + text if text.startswith(_FORMULA_START) else text)
    buffer = io.StringIO()
    csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="").writerow(values)
    return buffer.getvalue()
