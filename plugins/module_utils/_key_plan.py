# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The pure decision of devkeys.aws.iam_access_key: what to do with a user's access keys.

``plan_keys(keys, held_key_id, policy, now)`` looks at the keys an IAM user has,
the key the consumer holds and what is wanted, and returns a ``KeyPlan``: the
ordered IAM actions to take, why, and what the module will report. It calls
nothing; the module executes the plan (or, in check mode, only reports it), and
the workstation role's planner calls it to predict whether the module will write.

Two ways to call it, as the module's options:

- ``policy.access_key_id`` set (the module's ``id``, amazon.aws's meaning): act
  on that existing key only, never create: delete it (``state=absent``), set its
  status (``active``), or report it unchanged.
- otherwise (convergence): keep ``held_key_id`` while it is Active, young and not
  rotated; else create a new key (making room under the 2-key limit only as
  ``rotate_keys``/``on_key_limit`` allow).

A key is a dict: ``access_key_id``, ``status`` (Active/Inactive), ``create_date``
(timezone-aware datetime), and what the user's tags say about it (None when it
has no such tag or tags were not read): ``description``, ``issuer``,
``holders`` (``{"names": [..] or None, "count": n}``, see _key_tags.parse_holders)
and ``retired_date`` (datetime or ISO 8601 string). With ``keep_if_used_after``
the named key also carries ``last_used_date`` (datetime, ISO string or None when
never used), ``last_used_service`` and ``last_used_region``.
"""

import datetime

from ansible_collections.devkeys.aws.plugins.module_utils import _key_tags

KEY_LIMIT = 2
"""IAM allows at most two access keys per user."""

ACTIVE = "Active"
INACTIVE = "Inactive"

CREATE = "create"
DELETE = "delete"
SET_STATUS = "set_status"
TAG = "tag"
UNTAG = "untag"
KEEP = "keep"
"""Not an IAM call: something left as it is on purpose, with the reason (a foreign description, a key in use)."""

DESCRIPTION = _key_tags.DESCRIPTION
TAG_FIELDS = _key_tags.TAG_FIELDS
KEY_FIELDS = {
    DESCRIPTION: "description",
    _key_tags.ISSUER: "issuer",
    _key_tags.HOLDERS: "holders",
    _key_tags.RETIRED: "retired_date",
}
"""Where a key dict keeps each tag."""

NEW_KEY = None
"""The access_key_id of actions on the key this plan creates (unknown until created)."""


class KeyPolicy:
    """What the caller wants: the module options that decide the plan, by name (see OPTIONS)."""

    OPTIONS = {
        "state": "present",
        "access_key_id": None,  # the module's `id`: act on this key, never create
        "active": None,
        "rotate": False,
        "max_age_days": None,
        "rotate_keys": False,
        "on_key_limit": "fail",
        "description": None,
        "issuer": None,
        "holders": None,
        "keep_if_used_after": None,  # aware datetime
    }

    def __init__(self, **options):
        unknown = sorted(set(options) - set(self.OPTIONS))
        if unknown:
            raise TypeError("unknown key policy options: %s" % ", ".join(unknown))
        for name, default in self.OPTIONS.items():
            setattr(self, name, options.get(name, default))

    def reads_tags(self):
        """Whether the plan depends on the user's tags whatever the keys are."""
        return self.description is not None or self.issuer is not None or bool(self.holders)

    def reads_last_use(self):
        """Whether the named key's last use must be read before planning."""
        retiring = self.state == "absent" or self.active is False
        return bool(self.access_key_id) and self.keep_if_used_after is not None and retiring


class Action:
    """One step: ``kind`` on ``access_key_id`` (NEW_KEY for the key being created).

    ``tag`` names the tag of a TAG/UNTAG (one of TAG_FIELDS); ``value`` is the new
    status (SET_STATUS), the tag value (TAG) or what is kept (KEEP).
    """

    def __init__(self, kind, access_key_id, reason, value=None, tag=None):
        self.kind = kind
        self.access_key_id = access_key_id
        self.reason = reason
        self.value = value
        self.tag = tag

    def as_dict(self):
        return {
            "action": self.kind,
            "access_key_id": self.access_key_id,
            "tag": self.tag,
            "value": self.value,
            "reason": self.reason,
        }

    def __repr__(self):
        return "Action(%r, %r, %r, value=%r, tag=%r)" % (
            self.kind, self.access_key_id, self.reason, self.value, self.tag
        )


class KeyPlan:
    """The decision: ordered IAM writes (``actions``), or a failure message; what is kept on purpose; what to report.

    ``actions`` holds only IAM writes; ``kept`` the KEEP notes (something left as it is on purpose, and why),
    which the module reports after the writes (``steps()``).
    """

    def __init__(self):
        self.actions = []
        self.kept = []
        self.failure = None
        self.access_key_id = None
        self.created = False
        self.replaced_access_key_id = None
        self.deleted_access_key_ids = []
        self.kept_in_use = None

    @property
    def changed(self):
        return bool(self.actions)

    def steps(self):
        """What the module reports: the writes, then what is kept and why."""
        return self.actions + self.kept

    def kinds(self):
        return [action.kind for action in self.actions]

    def add(self, kind, access_key_id, reason, value=None, tag=None):
        action = Action(kind, access_key_id, reason, value, tag)
        (self.kept if kind == KEEP else self.actions).append(action)


def as_datetime(moment):
    """An aware datetime from a datetime or an ISO 8601 string (naive means UTC); None stays None."""
    if moment is None:
        return None
    if not isinstance(moment, datetime.datetime):
        moment = datetime.datetime.fromisoformat(str(moment).replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.timezone.utc)


def age_days(key, now):
    """Whole days since the key was created (0 for a key created after ``now``)."""
    return max(0, (now - key["create_date"]).days)


def describe_key(key, now):
    """A key, its status, age and tags, for messages."""
    description = key.get("description")
    issuer = key.get("issuer")
    return "%s (%s, %d days old, %s, %s)" % (
        key["access_key_id"],
        key["status"],
        age_days(key, now),
        "description %r" % description if description is not None else "no description",
        "issuer %r" % issuer if issuer is not None else "no issuer tag",
    )


def describe_keys(keys, now):
    """Short text naming each key, for error messages."""
    return ", ".join(describe_key(key, now) for key in keys) or "none"


def plan_keys(keys, held_key_id, policy, now):
    """Decide what to do with the access keys ``keys`` of one user; see the module documentation."""
    keys = sorted(keys, key=lambda key: key["create_date"])
    plan = KeyPlan()
    if policy.access_key_id:
        return _plan_named_key(plan, keys, policy, now)
    if policy.state == "absent":
        plan.failure = "state=absent needs the id of the key to delete"
        return plan
    return _plan_convergence(plan, keys, held_key_id, policy, now)


def _plan_named_key(plan, keys, policy, now):
    """``id`` given: delete it, set its status or report it; never create."""
    key_id = policy.access_key_id
    key = dict((key["access_key_id"], key) for key in keys).get(key_id)
    if key is None:
        if policy.state != "absent":
            plan.failure = "no access key %s among the keys of the user: %s" % (key_id, describe_keys(keys, now))
        return plan
    if policy.reads_last_use() and _kept_in_use(plan, key, policy):
        return plan
    if policy.state == "absent":
        _plan_delete(plan, key, "state is absent")
        return plan
    plan.access_key_id = key_id
    status = key["status"]
    if policy.active is not None:
        status = ACTIVE if policy.active else INACTIVE
        _plan_status(plan, key, status, policy, now)
    _plan_kept_tags(plan, key, status, policy)
    return plan


def _kept_in_use(plan, key, policy):
    """keep_if_used_after: a key used at or after that moment is kept as it is (True)."""
    key_id = key["access_key_id"]
    if "last_used_date" not in key:
        plan.failure = "the last use of access key %s was not read (needed by keep_if_used_after)" % key_id
        return True
    used = as_datetime(key["last_used_date"])
    if used is None or used < policy.keep_if_used_after:
        return False
    plan.access_key_id = key_id
    plan.kept_in_use = {
        "access_key_id": key_id,
        "last_used_date": used.isoformat(),
        "last_used_service": key.get("last_used_service"),
        "last_used_region": key.get("last_used_region"),
    }
    plan.add(KEEP, key_id, "used at %s (%s, %s), at or after keep_if_used_after %s: left as it is" % (
        used.isoformat(), key.get("last_used_service"), key.get("last_used_region"),
        policy.keep_if_used_after.isoformat()), value=key["status"])
    return True


def _plan_status(plan, key, status, policy, now):
    """Set the named key's status; retiring a key that is ours stamps its retired tag."""
    key_id = key["access_key_id"]
    if key["status"] == status:
        return
    plan.add(SET_STATUS, key_id, "active is %s" % (status == ACTIVE), status)
    if status == INACTIVE and _key_tags.is_ours(key, policy.issuer):
        plan.add(TAG, key_id, "deactivated by devkeys.aws (issuer %r)" % policy.issuer,
                 _key_tags.encode_retired(now), _key_tags.RETIRED)


def _plan_convergence(plan, keys, held_key_id, policy, now):
    """Keep the held key, or create a new one (making room as rotate_keys/on_key_limit allow)."""
    held = dict((key["access_key_id"], key) for key in keys).get(held_key_id) if held_key_id else None
    reason = _replacement_reason(held_key_id, held, policy, now)
    if reason is None:
        plan.access_key_id = held_key_id
        _plan_kept_tags(plan, held, ACTIVE, policy)
        return plan
    if len(keys) >= KEY_LIMIT:
        victim = _room_victim(keys, held_key_id, policy)
        if victim is None:
            plan.failure = _limit_message(keys, held_key_id, policy, reason, now)
            return plan
        _plan_delete(plan, victim, "make room: %s" % _victim_reason(policy, victim, keys))
    if held is not None:
        plan.replaced_access_key_id = held_key_id
    _plan_create(plan, reason, policy)
    return plan


def _replacement_reason(held_key_id, held, policy, now):
    """Why a new key is needed, or None to keep the held key."""
    if not held_key_id:
        return "the consumer holds no key"
    if held is None:
        return "held key %s is not a key of the user (deleted?)" % held_key_id
    if held["status"] != ACTIVE:
        return "held key %s is %s" % (held_key_id, held["status"])
    if policy.rotate:
        return "rotation requested"
    if policy.max_age_days is not None and now - held["create_date"] > datetime.timedelta(days=policy.max_age_days):
        return "held key %s is older than %d days" % (held_key_id, policy.max_age_days)
    return None


def _plan_create(plan, reason, policy):
    """Create a key, tag it (description, issuer, holders), then deactivate it for ``active: false``."""
    plan.add(CREATE, NEW_KEY, reason)
    plan.created = True
    if policy.description:
        plan.add(TAG, NEW_KEY, "description of the new key", policy.description, DESCRIPTION)
    if policy.issuer is not None:
        plan.add(TAG, NEW_KEY, "created by devkeys.aws for fleet %r" % policy.issuer, policy.issuer, _key_tags.ISSUER)
    if policy.holders:
        plan.add(TAG, NEW_KEY, "handed to these hosts", _key_tags.encode_holders(policy.holders), _key_tags.HOLDERS)
    if policy.active is False:
        plan.add(SET_STATUS, NEW_KEY, "active is False", INACTIVE)


def _plan_delete(plan, key, reason):
    """Delete a key, then remove the tags that described it (they would name a key that no longer exists)."""
    key_id = key["access_key_id"]
    plan.add(DELETE, key_id, reason)
    plan.deleted_access_key_ids.append(key_id)
    for field in TAG_FIELDS:
        if key.get(KEY_FIELDS[field]) is not None:
            plan.add(UNTAG, key_id, "its key was deleted", tag=field)


def _plan_kept_tags(plan, key, status, policy):
    """Tags of a key that stays: description, holders, and no retired tag on an Active key."""
    _plan_description(plan, key, policy)
    ours = _key_tags.is_ours(key, policy.issuer)
    if policy.holders and ours:
        merged = _key_tags.merged_holders(key.get("holders"), policy.holders)
        if merged is not None:
            plan.add(TAG, key["access_key_id"], "more hosts hold the key", merged, _key_tags.HOLDERS)
    if status == ACTIVE and key.get("retired_date") is not None:
        plan.add(UNTAG, key["access_key_id"], "the key is Active: no longer retired", tag=_key_tags.RETIRED)


def _plan_description(plan, key, policy):
    """Write a kept key's description only when it has none or is ours; another tool's is kept and said so."""
    key_id, current, wanted = key["access_key_id"], key.get("description"), policy.description
    if wanted is None or (current or "") == wanted:
        return
    if current is not None and not _key_tags.is_ours(key, policy.issuer):
        reason = "description %r is kept: the key %s, and devkeys.aws never overwrites the description of a key " \
                 "that is not its own" % (current, _not_ours_because(key, policy.issuer))
        plan.add(KEEP, key_id, reason, current, DESCRIPTION)
    elif wanted:
        plan.add(TAG, key_id, "description differs", wanted, DESCRIPTION)
    else:
        plan.add(UNTAG, key_id, "description is empty", tag=DESCRIPTION)


def _not_ours_because(key, issuer):
    if issuer is None:
        return "cannot be told ours without the issuer option"
    if key.get("issuer") is None:
        return "has no issuer tag (not issued by fleet %r)" % issuer
    return "was issued by %r, not by fleet %r" % (key["issuer"], issuer)


def _room_candidates(keys, policy):
    """(rule, key, needs_retired_tag) in the order the rules may delete keys to make room."""
    candidates = []
    if policy.rotate_keys:
        candidates.append(("rotate_keys", keys[0], False))
    if policy.on_key_limit == "delete_inactive":
        others = keys[1:] if policy.rotate_keys else keys
        candidates.extend(("on_key_limit=delete_inactive", key, True) for key in others)
    return candidates


def _refusal(key, held_key_id, policy, needs_retired_tag):
    """Why ``key`` may not be deleted to make room, or None."""
    if key["access_key_id"] == held_key_id:
        return "it is the key the consumer holds"
    if key["status"] != INACTIVE:
        return "it is Active, and deleting an Active key is refused (a consumer may still use it)"
    if policy.issuer is None:
        return None
    if not _key_tags.is_ours(key, policy.issuer):
        return "it %s" % _not_ours_because(key, policy.issuer)
    if needs_retired_tag and key.get("retired_date") is None:
        return "devkeys.aws did not deactivate it (no retired tag)"
    return None


def _room_victim(keys, held_key_id, policy):
    """The key rotate_keys or on_key_limit=delete_inactive may delete to make room, or None."""
    for _rule, key, needs_retired_tag in _room_candidates(keys, policy):
        if _refusal(key, held_key_id, policy, needs_retired_tag) is None:
            return key
    return None


def _victim_reason(policy, victim, keys):
    if policy.rotate_keys and victim is keys[0]:
        return "rotate_keys deletes the oldest key, which is Inactive"
    if policy.issuer is not None:
        return "the oldest Inactive key that devkeys.aws retired (fleet %r)" % policy.issuer
    return "the oldest Inactive key not held by the consumer"


def _limit_message(keys, held_key_id, policy, reason, now):
    """The limit failure: every key with its status, age and tags; why none is deleted; what would help."""
    return "a new key is needed (%s) but the user already has %d keys (the IAM limit): %s. %s" % (
        reason, len(keys), describe_keys(keys, now), _limit_advice(keys, held_key_id, policy))


def _limit_advice(keys, held_key_id, policy):
    refusals = [
        "%s: %s is not deleted: %s" % (rule, key["access_key_id"], _refusal(key, held_key_id, policy, retired))
        for rule, key, retired in _room_candidates(keys, policy)
    ] or ["on_key_limit is fail"]
    if policy.on_key_limit != "delete_inactive":
        option = KeyPolicy(issuer=policy.issuer, on_key_limit="delete_inactive")
        victim = _room_victim(keys, held_key_id, option)
        if victim is not None:
            return "%s; on_key_limit=delete_inactive would delete %s" % ("; ".join(refusals), victim["access_key_id"])
    return "%s. %s" % ("; ".join(refusals), _room_advice(keys, held_key_id, policy))


def _room_advice(keys, held_key_id, policy):
    """What the operator can do: retire the oldest key no consumer holds, or delete it explicitly."""
    spare = [key for key in keys if key["access_key_id"] != held_key_id][0]
    key_id = spare["access_key_id"]
    if spare["status"] == ACTIVE and not (policy.issuer is None or _key_tags.is_ours(spare, policy.issuer)):
        return ("To make room, deactivate %s (id: %s, active: false) and, once nothing uses it, delete it explicitly "
                "(id: %s, state: absent): only keys fleet %r issued and retired are deleted to make room"
                % (key_id, key_id, key_id, policy.issuer))
    if spare["status"] == ACTIVE:
        issuer = ", issuer: %s" % policy.issuer if policy.issuer is not None else ""
        return ("To make room, first retire a key no consumer uses (id: %s, active: false%s), then run again with "
                "on_key_limit=delete_inactive (or rotate_keys); or delete it explicitly (id: %s, state: absent)"
                % (key_id, issuer, key_id))
    return "To make room, delete %s explicitly (id: %s, state: absent) if no one needs it any more" % (key_id, key_id)


def resulting_keys(keys, plan, new_key):
    """The user's keys once ``plan`` is carried out; ``new_key`` stands for the key it creates."""
    result = [dict(key) for key in sorted(keys, key=lambda key: key["create_date"])]
    by_id = dict((key["access_key_id"], key) for key in result)
    for action in plan.actions:
        if action.kind == CREATE:
            created = dict(new_key, **dict((name, None) for name in KEY_FIELDS.values()))
            result.append(created)
            by_id[created["access_key_id"]] = created
            continue
        key_id = action.access_key_id if action.access_key_id is not NEW_KEY else new_key["access_key_id"]
        if action.kind == DELETE:
            result = [key for key in result if key["access_key_id"] != key_id]
        elif action.kind == SET_STATUS:
            by_id[key_id]["status"] = action.value
        else:
            _apply_tag(by_id[key_id], action)
    return result


def _apply_tag(key, action):
    value = action.value if action.kind == TAG else None
    if action.tag == _key_tags.HOLDERS:
        value = _key_tags.parse_holders(value)
    elif action.tag == _key_tags.RETIRED:
        value = _key_tags.parse_retired(value)
    key[KEY_FIELDS[action.tag]] = value
