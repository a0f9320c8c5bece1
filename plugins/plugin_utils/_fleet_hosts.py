# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What one workstation of the fleet wants and holds, as plain data without secrets.

``host_view`` turns the workstation role's variables for one host into the *view*
the fleet planner works on (``_fleet_plan``): the account and its files, the
profiles without their secrets, the IAM users the profiles name and the key
policy. ``held_view`` turns what devkeys.aws.aws_profile_info read on the host
into the keys each profile holds. Nothing here calls Ansible; the action plugin
devkeys.aws.workstation_fleet is the shell around it.
"""

import re

from ansible_collections.devkeys.aws.plugins.plugin_utils._workstation_account import workstation_account

# A fleet id is written into IAM tags, so it uses the tag alphabet.
FLEET_ID_RE = re.compile(r"[A-Za-z0-9_.:/=+\-@]{1,64}\Z")
SHELL_MARKER = "# {mark} devkeys.aws: default AWS profile"
KEY_SOURCES = ("iam_user", "aws_access_key_id", "csv_file")
PROFILE_FIELDS = ("name", "state", "region", "output", "settings", "iam_user", "create_user", "managed_policies",
                  "groups", "aws_access_key_id", "csv_file")
SECRET_FIELDS = ("aws_secret_access_key",)

# Key policy of the role (workstation_key_* variables) as the planner names it.
POLICY_VARIABLES = {
    "rotate": "workstation_key_rotate",
    "max_age_days": "workstation_key_max_age_days",
    "on_key_limit": "workstation_key_on_limit",
    "verify": "workstation_key_verify",
    "description": "workstation_key_description",
    "retire": "workstation_key_retire",
    "replace_inactive": "workstation_key_replace_inactive",
    "fleet_id": "workstation_fleet_id",
    "unused_days": "workstation_key_unused_days",
    "delete_after_days": "workstation_key_delete_after_days",
}


def _profile(raw, number):
    """One workstation_profiles item with every field present, its secret dropped, and its error if any."""
    profile = dict((field, raw.get(field)) for field in PROFILE_FIELDS)
    profile.update(
        state=profile["state"] or "present", region=profile["region"] or "", output=profile["output"] or "",
        settings=dict(profile["settings"] or {}), iam_user=(profile["iam_user"] or "").strip(),
        create_user=bool(profile["create_user"]), managed_policies=list(profile["managed_policies"] or []),
        groups=list(profile["groups"] or []), aws_access_key_id=profile["aws_access_key_id"] or "",
        csv_file=profile["csv_file"] or "", has_static_secret=bool(raw.get("aws_secret_access_key")))
    sources = [field for field in KEY_SOURCES if profile[field]]
    profile["key_source"] = {"iam_user": "iam", "aws_access_key_id": "static", "csv_file": "csv"}.get(
        sources[0] if sources else "", "none")
    name = profile["name"] or "#%d" % number
    profile["error"] = ""
    if not profile["name"]:
        profile["error"] = "Failed to configure profile %s: it has no name" % name
    elif len(sources) > 1:
        profile["error"] = "Failed to configure profile %s: give one key source, not %s" % (name, " and ".join(sources))
    elif profile["key_source"] == "static" and not profile["has_static_secret"]:
        profile["error"] = "Failed to configure profile %s: aws_access_key_id needs aws_secret_access_key" % name
    elif profile["has_static_secret"] and profile["key_source"] != "static":
        profile["error"] = "Failed to configure profile %s: aws_secret_access_key needs aws_access_key_id" % name
    return profile


def host_view(host, scope, role_vars):
    """The planner's view of one workstation from the role's variables (already templated); no secret in it."""
    raw_profiles = role_vars.get("workstation_profiles") or []
    profiles = [_profile(raw or {}, number) for number, raw in enumerate(raw_profiles, 1)]
    policy = dict((name, role_vars.get(variable)) for name, variable in POLICY_VARIABLES.items())
    errors = [profile["error"] for profile in profiles if profile["error"]]
    if not FLEET_ID_RE.match(str(policy["fleet_id"] or "")):
        errors.append("Failed to plan the IAM keys of %s: workstation_fleet_id %r is not 1 to 64 letters, digits "
                      "or _.:/=+-@" % (host, policy["fleet_id"]))
    users = {}
    new_users = {}
    for profile in profiles:
        if profile["key_source"] == "iam" and profile["state"] == "present" and not profile["error"]:
            users[profile["name"]] = profile["iam_user"]
            if profile["create_user"] and profile["iam_user"] not in new_users:
                new_users[profile["iam_user"]] = {"managed_policies": profile["managed_policies"],
                                                  "groups": profile["groups"]}
    view = {
        "host": host,
        "scope": scope,
        "profiles": profiles,
        "sso_sessions": [_session(raw or {}) for raw in role_vars.get("workstation_sso_sessions") or []],
        "default_profile": role_vars.get("workstation_default_profile") or "",
        "shell_marker": SHELL_MARKER,
        "users": users,
        "new_users": new_users,
        "policy": policy,
        "errors": errors,
    }
    view.update(workstation_account(role_vars))
    return view


def inventory_users(profiles):
    """The IAM users a host's inventory ``workstation_profiles`` name, in any state: it may hold their keys."""
    return set(str(raw["iam_user"]).strip() for raw in profiles or [] if isinstance(raw, dict) and raw.get("iam_user"))


def compare_entries(view):
    """What aws_profile_info compares with the files: every section the role manages, without keys or secrets."""
    entries = [dict(name=session["name"], kind="sso-session", state=session["state"], settings=session["settings"])
               for session in view["sso_sessions"]]
    for profile in view["profiles"]:
        if profile["error"]:
            continue
        entry = dict(name=profile["name"], kind="profile", state=profile["state"])
        if profile["state"] == "present":
            entry.update(settings=profile["settings"], region=profile["region"] or None,
                         output=profile["output"] or None)
        entries.append(entry)
    return entries


def _session(raw):
    """One workstation_sso_sessions item: name, state and the settings of its section."""
    settings = dict((key, raw[key]) for key in ("sso_start_url", "sso_region", "sso_registration_scopes")
                    if raw.get(key) is not None)
    return {"name": raw.get("name") or "", "state": raw.get("state") or "present", "settings": settings}


def held_view(read_result):
    """What a host holds, from its registered aws_profile_info result (None when the read did not run).

    ``status`` is ``read`` (read now), ``unread`` (not read: failed or unreachable) or ``skipped`` (not needed:
    every IAM user of the host has no key, so it holds none). ``keys`` maps each profile to the access key ID
    it holds with a secret ("" for none).
    """
    result = read_result or {}
    if result.get("skipped") or not result:
        return {"status": "skipped", "keys": {}, "compared": {}, "shell_exports": None, "credentials_private": True,
                "msg": ""}
    if result.get("failed") or result.get("unreachable") or "profiles" not in result:
        return {"status": "unread", "keys": {}, "compared": {}, "shell_exports": None, "credentials_private": True,
                "msg": result.get("msg") or "the workstation could not be read"}
    keys = {}
    for name, profile in (result.get("profiles") or {}).items():
        keys[name] = profile.get("aws_access_key_id") or "" if profile.get("has_secret") else ""
    compared = dict(((entry["kind"], entry["name"]), bool(entry.get("current")))
                    for entry in result.get("compared") or [])
    return {"status": "read", "keys": keys, "compared": compared, "shell_exports": result.get("shell_exports"),
            "credentials_private": result.get("credentials_private", True), "msg": ""}
