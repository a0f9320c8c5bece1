"""Builders of the fleet planner's plain input data, shared by its unit tests."""

import datetime

from ansible_collections.devkeys.aws.plugins.plugin_utils import _fleet_hosts

NOW = datetime.datetime(2026, 6, 1, 12, 0, tzinfo=datetime.timezone.utc)
FLEET_ID = "devkeys"
SCOPE = "play/role"
POLICY = {
    "workstation_key_rotate": False,
    "workstation_key_max_age_days": 90,
    "workstation_key_on_limit": "fail",
    "workstation_key_verify": True,
    "workstation_key_description": "",
    "workstation_key_retire": "deactivate",
    "workstation_key_replace_inactive": False,
    "workstation_fleet_id": FLEET_ID,
    "workstation_key_unused_days": 7,
    "workstation_key_delete_after_days": 7,
}


def days_ago(days, minutes=0):
    return NOW - datetime.timedelta(days=days, minutes=minutes)


def key(key_id, age=10, status="Active", issuer=FLEET_ID, holders=None, retired=None, description=None):
    """An IAM key as _key_plan and the planner take it; ``holders`` a list of host names (the tag)."""
    return {"access_key_id": key_id, "status": status, "create_date": days_ago(age, minutes=len(key_id)),
            "description": description, "issuer": issuer,
            "holders": None if holders is None else {"names": sorted(holders), "count": len(holders)},
            "retired_date": retired}


def view(host, profiles=None, extra_profiles=(), **policy):
    """host_view of a workstation whose profiles are {profile: iam_user} (default: dev -> alice)."""
    role_vars = dict(POLICY, workstation_home="/homes/" + host, workstation_user=host + "-user")
    role_vars.update(("workstation_key_" + name if "fleet" not in name else "workstation_" + name, value)
                     for name, value in policy.items())
    items = [{"name": name, "iam_user": user} for name, user in sorted((profiles or {"dev": "alice"}).items())]
    role_vars["workstation_profiles"] = items + list(extra_profiles)
    return _fleet_hosts.host_view(host, SCOPE, role_vars)


def read(keys=None, compared=(), exports=None, private=True):
    """A held view of a workstation that was read: {profile: key ID held with a secret}."""
    return {"status": "read", "keys": dict(keys or {}), "compared": dict((item, True) for item in compared),
            "shell_exports": {"/h/.bashrc": None, "/h/.zshrc": None} if exports is None else exports,
            "credentials_private": private, "msg": ""}


UNREAD = {"status": "unread", "keys": {}, "compared": {}, "shell_exports": None, "credentials_private": True,
          "msg": "unreachable"}
SKIPPED = {"status": "skipped", "keys": {}, "compared": {}, "shell_exports": None, "credentials_private": True,
           "msg": ""}


def fleet(batch, views, held, iam, inventory=None, earlier=None):
    """The planner's input. ``iam``: user -> list of keys (or a dict with an error / missing)."""
    users = {}
    for user, state in iam.items():
        users[user] = state if isinstance(state, dict) else {"keys": list(state), "missing": False, "error": ""}
    inv = dict((host, set(v["users"].values())) for host, v in views.items())
    inv.update(inventory or {})
    return {"scope": SCOPE, "batch": sorted(batch), "views": dict(views), "held": dict(held), "inventory": inv,
            "iam": users, "earlier": earlier}


def created(user, key_id, replaced=None):
    """A successful key run result of ``user`` that created ``key_id``."""
    return {"user_name": user, "failed": False, "changed": True, "created": True, "access_key_id": key_id,
            "replaced_access_key_id": replaced, "deleted_access_key_ids": []}


def wrote(entries, ok=True, changed=True, msg=""):
    """A host's write results for the (kind, name) of ``entries``."""
    return dict(((entry["kind"], entry["name"]), {"ok": ok, "changed": changed, "msg": msg}) for entry in entries)
