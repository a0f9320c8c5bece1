# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet planner of the workstation role: which access key each workstation gets.

``plan_keys(fleet, now, check_mode)`` decides, for every IAM user the current
batch of workstations names, one *target* key: the key its workstations keep
(``keep``), a new key (``create``) or nothing (``fail``, with why). A
workstation that holds another key than the target, or none, gets the target:
a new key from the IAM run, or a kept key copied from a workstation that
stored it (a *donation*). ``host_entries`` then says what each workstation
writes. Retirement of replaced keys is decided after the writes
(``_fleet_retire``). Everything is plain data; nothing here calls Ansible or AWS.

``fleet`` holds:

* ``scope``: one role run of one play (its batches share it);
* ``batch``: the host names of the current batch;
* ``views``: ``_fleet_hosts.host_view`` of every host of this role run so far;
* ``held``: ``_fleet_hosts.held_view`` of every batch host;
* ``inventory``: host name -> IAM users its inventory profiles name, for every
  inventory host (a host may hold a user's key whether or not this run reads it);
* ``iam``: IAM user -> ``{keys, missing, error}`` as read at the start of the batch
  (keys as ``_key_plan`` takes them);
* ``earlier``: the outcome of the previous batches of this run (``_fleet_retire``), or None.

Ordering never depends on the inventory: hosts, users and keys are sorted.
"""

from ansible_collections.devkeys.aws.plugins.module_utils import _key_plan
from ansible_collections.devkeys.aws.plugins.module_utils import _key_tags

KEEP = "keep"
CREATE = "create"
FAIL = "fail"
# The IAM users of an inventory host whose profiles could not be evaluated: it may hold a key of any user.
ANY_USER = "*"
# In check mode a new key has no ID yet; the writes use this stand-in (valid for aws_profile, never a real ID).
CHECK_MODE_KEY_ID = "CHECK_MODE_NEW_ACCESS_KEY"


def sorted_keys(keys):
    """Keys oldest first, ties by ID (the order of every choice among keys)."""
    return sorted(keys, key=lambda key: (key["create_date"], key["access_key_id"]))


def users_of(view):
    """{IAM user: [profile names]} of one host view, profiles sorted."""
    found = {}
    for profile in sorted(view["users"]):
        found.setdefault(view["users"][profile], []).append(profile)
    return found


def inventory_holders(fleet, user):
    """Sorted hosts that may hold a key of ``user``: the inventory's and this run's."""
    hosts = set(host for host, users in fleet["inventory"].items() if user in users or ANY_USER in users)
    hosts.update(host for host, view in fleet["views"].items() if user in view["users"].values())
    return sorted(hosts)


def merged_policy(fleet, user, hosts):
    """One key policy for ``user`` from the policies of its batch ``hosts`` (sorted, so order-independent).

    A rotation asked by one host rotates; the shortest maximum age and the most
    careful choices win; the first host decides the rest.
    """
    policies = [fleet["views"][host]["policy"] for host in hosts]
    first = policies[0]
    ages = [policy["max_age_days"] for policy in policies if policy["max_age_days"]]
    holders = inventory_holders(fleet, user)
    description = next((policy["description"] for policy in policies if policy["description"]), "")
    if not description:
        first_profile = users_of(fleet["views"][hosts[0]])[user][0]
        shared = len(holders) > 1
        description = ("devkeys %s (shared)" % user) if shared else ("devkeys %s %s" % (hosts[0], first_profile))
    return {
        "rotate": any(policy["rotate"] for policy in policies),
        "max_age_days": min(ages) if ages else None,
        "on_key_limit": "fail" if any(policy["on_key_limit"] == "fail" for policy in policies) else "delete_inactive",
        "verify": any(policy["verify"] for policy in policies),
        "description": description,
        "retire": first["retire"],
        "replace_inactive": all(policy["replace_inactive"] for policy in policies),
        "fleet_id": first["fleet_id"],
        "unused_days": max(policy["unused_days"] for policy in policies),
        "delete_after_days": max(policy["delete_after_days"] for policy in policies),
        "holders": holders,
    }


def _consumers(fleet, user):
    """{host: [profiles]} of the batch hosts that were read (or need no read) and name ``user``."""
    found = {}
    for host in sorted(fleet["batch"]):
        if fleet["held"][host]["status"] == "unread":
            continue
        profiles = users_of(fleet["views"][host]).get(user)
        if profiles:
            found[host] = profiles
    return found


def _held_key(fleet, host, profiles):
    """The key ID a host holds for a user's profiles: the first profile's ("" for none)."""
    return fleet["held"][host]["keys"].get(profiles[0], "")


def deactivated_by_someone_else(key, policy):
    """An Inactive key that devkeys.aws did not retire: an operator's decision (an incident?) to respect."""
    retired_by_us = _key_tags.is_ours(key, policy["fleet_id"]) and key.get("retired_date")
    return key["status"] == _key_plan.INACTIVE and not retired_by_us


def _expired(key, policy, now):
    age = policy["max_age_days"]
    return age is not None and _key_plan.age_days(key, now) > age


def _request(user, policy, **extra):
    """An iam_access_key batch request for ``user`` with the fleet's tags and policy."""
    request = dict(user_name=user, description=policy["description"], issuer=policy["fleet_id"],
                   holders=policy["holders"], verify=policy["verify"], on_key_limit=policy["on_key_limit"])
    request.update(extra)
    return request


def module_writes(keys, request, now):
    """Whether devkeys.aws.iam_access_key would make an IAM write for ``request`` (the module's own decision)."""
    policy = _key_plan.KeyPolicy(
        rotate=request.get("rotate", False), max_age_days=request.get("max_age_days"),
        on_key_limit=request.get("on_key_limit", "fail"), description=request.get("description"),
        issuer=request.get("issuer"), holders=request.get("holders"))
    plan = _key_plan.plan_keys(keys, request.get("held_access_key_id"), policy, now)
    return bool(plan.actions) or bool(plan.failure)


def _decision(action, reason, target=None, error=""):
    return {"action": action, "reason": reason, "target": target, "error": error, "replaces": [], "donor": None,
            "request": None, "inactive": {}}


def _earlier_decision(fleet, user, keys_by_id):
    """The target an earlier batch of this run chose for ``user``, if it still exists and is Active."""
    earlier = (fleet.get("earlier") or {}).get("users", {}).get(user)
    if not earlier or not earlier.get("stored"):
        return None
    target = earlier["target"]
    key = keys_by_id.get(target)
    if earlier.get("check_mode_new") or (key and key["status"] == _key_plan.ACTIVE):
        return earlier
    return None


def decide_user(fleet, user, now):
    """The decision for one IAM user of the batch (see the module docstring)."""
    consumers = _consumers(fleet, user)
    hosts = sorted(host for host in fleet["batch"] if user in fleet["views"][host]["users"].values())
    policy = merged_policy(fleet, user, hosts)
    state = fleet["iam"].get(user) or {"keys": [], "missing": True, "error": ""}
    if state.get("error"):
        decision = _decision(FAIL, "the IAM user's keys could not be read", error=state["error"])
    elif state.get("missing") and not any(user in fleet["views"][host]["new_users"] for host in hosts):
        decision = _decision(FAIL, "the IAM user does not exist",
                             error="Failed to plan the access key of IAM user %s: the user does not exist "
                                   "(set create_user: true to create it)" % user)
    else:
        decision = _decide_key(fleet, user, consumers, state["keys"], policy, now)
    decision.update(user=user, policy=policy, hosts=hosts, consumers=consumers)
    return decision


def _decide_key(fleet, user, consumers, keys, policy, now):
    keys_by_id = dict((key["access_key_id"], key) for key in keys)
    held = dict((host, _held_key(fleet, host, profiles)) for host, profiles in consumers.items())
    inactive = dict((host, key_id) for host, key_id in held.items()
                    if key_id in keys_by_id and deactivated_by_someone_else(keys_by_id[key_id], policy)
                    and not policy["replace_inactive"])
    earlier = _earlier_decision(fleet, user, keys_by_id)
    if earlier is not None:
        decision = _decision(KEEP, "chosen by an earlier batch of this run", target=earlier["target"])
        decision["donor"] = earlier["donor"]
        decision["check_mode_new"] = bool(earlier.get("check_mode_new"))
    else:
        decision = _choose_target(user, held, inactive, keys_by_id, policy, now)
    decision["inactive"] = inactive
    moving = [key_id for host, key_id in held.items() if host not in inactive]
    decision["replaces"] = sorted(set(key_id for key_id in moving if key_id and key_id != decision["target"]))
    if decision["action"] == KEEP and decision["donor"] is None:
        decision["donor"] = _donor(fleet, consumers, held, decision["target"])
    if decision["action"] == KEEP and not decision.get("check_mode_new"):
        request = _request(user, policy, held_access_key_id=decision["target"])
        if module_writes(keys, request, now):
            decision["request"] = request
    return decision


def _choose_target(user, held, inactive, keys_by_id, policy, now):
    """Keep the newest key some workstation holds that may be kept, else create one."""
    usable = [keys_by_id[key_id] for host, key_id in held.items()
              if host not in inactive and key_id in keys_by_id and keys_by_id[key_id]["status"] == _key_plan.ACTIVE]
    keepable = [key for key in usable if not _expired(key, policy, now)]
    if keepable and not policy["rotate"]:
        target = sorted_keys(keepable)[-1]["access_key_id"]
        return _decision(KEEP, "held by the workstations, Active and younger than the maximum age", target=target)
    if policy["rotate"]:
        reason = "rotation requested"
    elif usable:
        reason = "the held key is older than %d days" % policy["max_age_days"]
    elif any(held.values()):
        reason = "the held key is missing or Inactive in IAM"
    else:
        reason = "the workstations hold no key of the user"
    replaced = sorted_keys(usable)[-1]["access_key_id"] if usable else None
    decision = _decision(CREATE, reason)
    decision["request"] = _request(user, policy, rotate=True, **(
        {"held_access_key_id": replaced} if replaced else {}))
    return decision


def donor_of(view, user):
    """Where to copy ``user``'s key from on the host of ``view``: its first profile of the user, read as its owner."""
    return {"host": view["host"], "profile": users_of(view)[user][0], "owner": view["owner"],
            "credentials_file": view["credentials_file"], "config_file": view["config_file"]}


def _donor(fleet, consumers, held, target):
    """A batch host that holds ``target`` with its secret, to copy it from (first by name), or None."""
    for host in sorted(consumers):
        if held[host] == target:
            return donor_of(fleet["views"][host], fleet["views"][host]["users"][consumers[host][0]])
    return None


def plan_keys(fleet, now, check_mode=False):
    """The key plan of the current batch: a decision per IAM user, the IAM requests and the donations."""
    users = set()
    for host in fleet["batch"]:
        users.update(fleet["views"][host]["users"].values())
    decisions = dict((user, decide_user(fleet, user, now)) for user in sorted(users))
    donations = {}
    for user, decision in sorted(decisions.items()):
        if decision["action"] != KEEP or decision.get("check_mode_new") and check_mode:
            continue
        for host, profiles in decision["consumers"].items():
            holds = _held_key(fleet, host, profiles) == decision["target"]
            if holds or host in decision["inactive"] or decision["donor"] is None:
                continue
            donations.setdefault(host, []).append(dict(decision["donor"], user=user, access_key_id=decision["target"]))
    return {
        "scope": fleet["scope"],
        "check_mode": check_mode,
        "users": decisions,
        "requests": [decision["request"] for user, decision in sorted(decisions.items()) if decision["request"]],
        "donations": donations,
    }


def _entry(kind, name, state, settings, region="", output=""):
    return {"kind": kind, "name": name, "state": state, "settings": settings, "region": region, "output": output,
            "key_source": "none", "access_key_id": "", "iam_user": "", "csv_file": "", "key_action": "",
            "status": "write", "error": "", "shell": False}


def _iam_key(entry, decision, held_key, iam_result, donated, check_mode):
    """Fill the key of an IAM-user profile entry: the target key, and where its secret comes from."""
    user = decision["user"]
    if decision["action"] == FAIL:
        return "Failed to get an access key of IAM user %s: %s" % (user, decision["error"])
    if decision["action"] == CREATE:
        result = iam_result or {}
        if check_mode and not result.get("failed"):
            entry.update(key_source="created", access_key_id=CHECK_MODE_KEY_ID, key_action="created")
            return ""
        if result.get("failed") or not result.get("created") or not result.get("access_key_id"):
            return "Failed to get an access key of IAM user %s: %s" % (user, result.get("msg") or "no key was created")
        entry.update(key_source="created", access_key_id=result["access_key_id"], key_action="created")
        return ""
    target = decision["target"]
    if decision.get("check_mode_new") and check_mode:
        entry.update(key_source="created", access_key_id=CHECK_MODE_KEY_ID, key_action="created")
    elif held_key == target:
        entry.update(key_source="kept", access_key_id=target, key_action="kept")
    elif (donated or {}).get("ok"):
        entry.update(key_source="copied", access_key_id=target, key_action="copied")
    else:
        return "Failed to copy access key %s of IAM user %s from %s: %s" % (
            target, user, (decision["donor"] or {}).get("host", "another workstation"),
            (donated or {}).get("msg") or "no workstation that stored it could be read")
    return ""


def _profile_entry(profile, view, held, plan, iam_results, donated, check_mode):
    entry = _entry("profile", profile["name"], profile["state"], profile["settings"], profile["region"],
                   profile["output"])
    if profile["error"]:
        entry.update(status="error", error=profile["error"])
        return entry
    if profile["state"] == "absent":
        return entry
    error = ""
    if profile["key_source"] == "iam":
        user = profile["iam_user"]
        decision = plan["users"][user]
        entry["iam_user"] = user
        inactive = decision["inactive"].get(view["host"])
        if inactive:
            error = ("Failed to configure profile %s: it holds access key %s of IAM user %s, which is Inactive in IAM "
                     "(deactivated outside devkeys.aws, maybe during an incident); set "
                     "workstation_key_replace_inactive=true to give the workstation a new key (the Inactive key is "
                     "kept)" % (profile["name"], inactive, user))
        else:
            error = _iam_key(entry, decision, held["keys"].get(profile["name"], ""), iam_results.get(user),
                             donated.get(user), check_mode)
    elif profile["key_source"] == "static":
        entry.update(key_source="static", access_key_id=profile["aws_access_key_id"])
    elif profile["key_source"] == "csv":
        entry.update(key_source="csv", csv_file=profile["csv_file"])
    if error:
        entry.update(status="error", error=error)
    return entry


def _current(entry, held):
    """Nothing to write: no secret to write and aws_profile_info found the section as wanted."""
    if entry["key_source"] not in ("none", "kept"):
        return False
    return held["compared"].get((entry["kind"], entry["name"]), False)


def host_entries(view, held, plan, iam_results, donated, check_mode=False):
    """What a host writes with devkeys.aws.aws_profile, in order: SSO sessions, then profiles.

    Each entry has ``status``: ``write``, ``current`` (already as wanted, nothing
    to write) or ``error`` (with ``error``); a section named twice is always
    written (the first write changes what the second sees). The first entry
    without error also sets the AWS_PROFILE block of the shell start-up files
    (``shell``) when a file differs or was not read, and a credentials file others
    can read gets one profile written (aws_profile makes it 0600 again).
    ``iam_results``: the key run's result by IAM user; ``donated``: by IAM user,
    ``{ok, msg}`` of copying its key from another workstation.
    """
    entries = [_entry("sso-session", session["name"], session["state"], session["settings"])
               for session in view["sso_sessions"]]
    entries += [_profile_entry(profile, view, held, plan, iam_results, donated, check_mode)
                for profile in view["profiles"]]
    names = [(entry["kind"], entry["name"]) for entry in entries]
    for entry in entries:
        if entry["status"] == "write" and names.count((entry["kind"], entry["name"])) == 1 and _current(entry, held):
            entry["status"] = "current"
    exports = held["shell_exports"]
    shell = exports is None or any(value != (view["default_profile"] or None) for value in exports.values())
    loose = not held["credentials_private"]
    for entry in entries:
        if entry["status"] == "error":
            continue
        if shell:
            entry.update(shell=True, status="write")
            shell = False
        if loose and entry["kind"] == "profile":
            entry["status"] = "write"
            loose = False
    return entries
