# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The workstation role's per-host decisions: read the host or not, which key each IAM user gets,
what aws_profile writes, why the host failed.

Pure functions over the role's data (the plan fact, registered results, the
profile list); the filters in plugins/filter/workstation.py expose them to the
role. In Python because the role evaluates them on every host of every run,
where a Jinja template of the same logic costs tens of milliseconds per host.
"""

from collections.abc import Mapping

NO_DECISION = "no key decision was made"


def read_needed(iam_users, first_keys_result):
    """Whether a host must be read first: unless every IAM user in ``iam_users`` just got its first key.

    A host without IAM profiles is always read (what it holds decides what is written).
    """
    created = set(result.get("user_name") for result in (first_keys_result or {}).get("batch_results") or []
                  if not result.get("failed") and result.get("created"))
    return not iam_users or any(user not in created for user in iam_users)


def issued_keys(plans, keys_result, users):
    """For each IAM user of ``users`` that the plan covers: the key decided for it.

    The plan entry's ``issued`` key (an earlier batch's, a first key, a kept
    key), else the user's result in the batched keep-or-create task
    (``keys_result``), else a failure.
    """
    found = {}
    results = (keys_result or {}).get("batch_results") or []
    for user in users:
        plan = plans.get(user)
        if plan is None:
            continue
        if plan.get("issued"):
            found[user] = plan["issued"]
            continue
        mine = [result for result in results if result.get("user_name") == user]
        found[user] = mine[0] if mine else {"failed": True, "msg": (keys_result or {}).get("msg", NO_DECISION)}
    return found


def _entry(kind, name, state, settings, region="", output=""):
    return {"kind": kind, "name": name, "state": state, "settings": settings, "region": region, "output": output,
            "key_id": "", "secret": "", "error": "", "kept_key": "", "fixed_key": False}


def _wanted_entries(profiles, sso_sessions, issued, csv_rows):
    entries = []
    for session in sso_sessions:
        settings = dict((key, session[key]) for key in ("sso_start_url", "sso_region", "sso_registration_scopes")
                        if session.get(key) is not None)
        entries.append(_entry("sso-session", session["name"], session.get("state", "present"), settings))
    for profile in profiles:
        entry = _entry("profile", profile["name"], profile["state"], profile["settings"], profile["region"],
                       profile["output"])
        if entry["state"] == "absent":
            pass
        elif profile["iam_user"]:
            key = issued.get(profile["iam_user"]) or {"failed": True, "msg": NO_DECISION}
            if key.get("failed"):
                entry["error"] = "Failed to get an access key of IAM user %s: %s" % (
                    profile["iam_user"], key.get("msg", "unknown error"))
            elif key.get("secret_access_key"):
                entry.update(key_id=key["access_key_id"], secret=key["secret_access_key"])
            else:
                entry.update(kept_key=key.get("access_key_id") or "", fixed_key=not key.get("access_key_id"))
        elif profile["csv_file"]:
            row = csv_rows[profile["csv_file"]]
            entry.update(key_id=row["aws_access_key_id"], secret=row["aws_secret_access_key"], fixed_key=True)
        elif profile["aws_access_key_id"]:
            entry.update(key_id=profile["aws_access_key_id"], secret=profile["aws_secret_access_key"], fixed_key=True)
        entries.append(entry)
    return entries


def _holds(have, entry):
    """Whether the section ``have`` (as aws_profile_info read it) already is what ``entry`` writes."""
    if not isinstance(have, Mapping):
        return False
    if entry["kept_key"] and not (have.get("has_secret") and have.get("aws_access_key_id") == entry["kept_key"]):
        return False
    wanted = dict(entry["settings"])
    wanted.update((key, entry[key]) for key in ("region", "output") if entry[key])
    for key, value in wanted.items():
        if value is None:
            if key in have:
                return False
        elif isinstance(value, str):
            if have.get(key) != value:
                return False
        elif isinstance(value, Mapping):
            block = have.get(key)
            if not isinstance(block, Mapping):
                return False
            for sub_key, sub_value in value.items():
                if sub_value is None:
                    if sub_key in block:
                        return False
                elif not (isinstance(sub_value, str) and block.get(sub_key) == sub_value):
                    return False
        else:
            return False
    return True


def profile_entries(profiles, sso_sessions, issued, held, default_profile, csv_rows):
    """What aws_profile writes on one host: sso-sessions first, then the profiles.

    Each entry gets ``current``: what aws_profile_info read (``held``) already is
    what would be written - nothing with a secret to write or a static key (a
    secret cannot be compared); an IAM user's kept key when the profile holds it
    with a secret; string settings equal, null settings absent, nested blocks
    key by key. A name listed twice is always written (the first write changes
    what the second sees). When the credentials file is readable by others the
    first profile is written anyway (aws_profile makes it 0600 again). The first
    entry without error gets ``shell``: it also sets the AWS_PROFILE block of the
    shell start-up files, when one differs from ``default_profile`` or the
    files were not read.
    """
    entries = _wanted_entries(profiles, sso_sessions, issued, csv_rows)
    exports = held.get("shell_exports")
    shell = exports is None or any(value != (default_profile or None) for value in exports.values())
    loose = not held.get("credentials_private", True)
    names = [(entry["kind"], entry["name"]) for entry in entries]
    for entry in entries:
        group = held.get("sso_sessions" if entry["kind"] == "sso-session" else "profiles")
        current = isinstance(group, Mapping) and names.count((entry["kind"], entry["name"])) == 1 and not (
            entry["error"] or entry["secret"] or entry["fixed_key"])
        if current and entry["state"] == "absent":
            current = entry["name"] not in group
        elif current:
            current = _holds(group.get(entry["name"]), entry)
        if loose and entry["kind"] == "profile" and not entry["error"]:
            current = loose = False
        entry["shell"] = shell and not entry["error"]
        if entry["shell"]:
            current = shell = False
        entry["current"] = current
    return entries


def write_errors(written, retired, users):
    """Why a host's profiles are not configured: from the registered writes and retirements.

    Entries that carried an error, profiles whose write failed, an unreachable
    host, and keys of the host's IAM users (``users``) that could not be retired.
    """
    written = written or {}
    results = written.get("results") or []
    errors = [result["item"]["error"] for result in results if result["item"].get("error")]
    errors += ["profile %s not written" % result["item"]["name"] for result in results if result.get("failed")]
    if written.get("unreachable"):
        errors.append("host unreachable")
    errors += [result["msg"] for result in (retired or {}).get("batch_results") or []
               if result.get("failed") and result.get("user_name") in users]
    return errors
