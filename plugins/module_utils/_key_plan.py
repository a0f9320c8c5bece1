# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The pure decision of devkeys.aws.iam_access_key: what to do with a user's access keys.

``plan_keys(keys, held_key_id, policy, now)`` looks at the keys an IAM user has,
the key the consumer holds and what is wanted, and returns a ``KeyPlan``: the
ordered IAM actions to take, why, and what the module will report. It calls
nothing; the module executes the plan (or, in check mode, only reports it).
``plan_for_unread_consumer(keys, policy, now)`` decides before the consumer is read.

A key is a dict: ``access_key_id``, ``status`` (Active/Inactive), ``create_date``
(timezone-aware datetime) and ``description`` (str, or None when the key has
no description tag or tags were not read).
"""

import datetime

KEY_LIMIT = 2
"""IAM allows at most two access keys per user."""

ACTIVE = "Active"
INACTIVE = "Inactive"

CREATE = "create"
DELETE = "delete"
SET_STATUS = "set_status"
TAG = "tag"
UNTAG = "untag"

NEW_KEY = None
"""The access_key_id of actions on the key this plan creates (unknown until created)."""


class KeyPolicy:
    """What the caller wants (the module options that decide the plan)."""

    def __init__(self, state="present", rotate=False, max_age_days=None, on_key_limit="fail", description=None, active=None):
        self.state = state
        self.rotate = rotate
        self.max_age_days = max_age_days
        self.on_key_limit = on_key_limit
        self.description = description
        self.active = active


class Action:
    """One IAM write: ``kind`` on ``access_key_id`` (NEW_KEY for the key being created)."""

    def __init__(self, kind, access_key_id, reason, value=None):
        self.kind = kind
        self.access_key_id = access_key_id
        self.reason = reason
        self.value = value

    def as_dict(self):
        return {"action": self.kind, "access_key_id": self.access_key_id, "value": self.value, "reason": self.reason}

    def __repr__(self):
        return "Action(%r, %r, %r, value=%r)" % (self.kind, self.access_key_id, self.reason, self.value)


class KeyPlan:
    """The decision: ordered actions, or a failure message; and what to report."""

    def __init__(self):
        self.actions = []
        self.failure = None
        self.access_key_id = None
        self.created = False
        self.replaced_access_key_id = None
        self.deleted_access_key_ids = []
        self.keepable_access_key_ids = []

    @property
    def changed(self):
        return bool(self.actions)

    def kinds(self):
        return [action.kind for action in self.actions]


def age_days(key, now):
    """Whole days since the key was created (0 for a key created after ``now``)."""
    return max(0, (now - key["create_date"]).days)


def describe_keys(keys, now):
    """Short text naming each key, its status and age, for error messages."""
    return ", ".join(
        "%s (%s, %d days old)" % (key["access_key_id"], key["status"], age_days(key, now)) for key in keys
    ) or "none"


def plan_keys(keys, held_key_id, policy, now):
    """Decide what to do with the access keys ``keys`` of one user; see the module documentation."""
    keys = sorted(keys, key=lambda key: key["create_date"])
    by_id = dict((key["access_key_id"], key) for key in keys)
    held = by_id.get(held_key_id) if held_key_id else None
    plan = KeyPlan()

    if policy.state == "absent":
        if held is not None:
            plan.actions.append(Action(DELETE, held_key_id, "state is absent"))
            plan.deleted_access_key_ids.append(held_key_id)
            if held.get("description") is not None:
                plan.actions.append(Action(UNTAG, held_key_id, "its key was deleted"))
        return plan

    if policy.active is not None:
        return _plan_status(plan, keys, held_key_id, held, policy, now)

    reason = _replacement_reason(held_key_id, held, policy, now)
    if reason is None:
        plan.access_key_id = held_key_id
        _plan_description(plan, held_key_id, held.get("description"), policy.description)
        return plan

    if len(keys) >= KEY_LIMIT:
        victim = _room_to_delete(keys, held_key_id, policy)
        if victim is None:
            plan.failure = _limit_message(keys, policy, reason, now)
            return plan
        plan.actions.append(Action(DELETE, victim["access_key_id"], "make room: Inactive key not held by the consumer"))
        plan.deleted_access_key_ids.append(victim["access_key_id"])
        if victim.get("description") is not None:
            plan.actions.append(Action(UNTAG, victim["access_key_id"], "its key was deleted"))

    if held is not None:
        plan.replaced_access_key_id = held_key_id
    return _plan_create(plan, reason, policy)


def plan_for_unread_consumer(keys, policy, now):
    """Decide for a ``state=present`` policy before the consumer was read.

    A user without access keys has no consumer holding a working key, so its
    first key is created now. Otherwise nothing changes and the plan lists in
    ``keepable_access_key_ids`` the keys ``plan_keys`` would keep without any
    IAM call if the consumer holds one of them; for any other held key the
    caller reads the consumer and plans again.
    """
    plan = KeyPlan()
    if not keys:
        return _plan_create(plan, "the user has no access key", policy)
    for key in sorted(keys, key=lambda key: key["create_date"]):
        kept = plan_keys(keys, key["access_key_id"], policy, now)
        if kept.access_key_id == key["access_key_id"] and not kept.actions:
            plan.keepable_access_key_ids.append(key["access_key_id"])
    return plan


def _plan_create(plan, reason, policy):
    plan.actions.append(Action(CREATE, NEW_KEY, reason))
    plan.created = True
    if policy.description:
        plan.actions.append(Action(TAG, NEW_KEY, "description", policy.description))
    return plan


def _plan_status(plan, keys, held_key_id, held, policy, now):
    """``active`` given: set the held key's status (and description), never create."""
    if held is None:
        plan.failure = "no access key %s among the keys of the user: %s" % (held_key_id, describe_keys(keys, now))
        return plan
    plan.access_key_id = held_key_id
    wanted = ACTIVE if policy.active else INACTIVE
    if held["status"] != wanted:
        plan.actions.append(Action(SET_STATUS, held_key_id, "active is %s" % policy.active, wanted))
    _plan_description(plan, held_key_id, held.get("description"), policy.description)
    return plan


def _plan_description(plan, key_id, current, wanted):
    """Tag (or untag, for an empty description) a kept key whose description differs."""
    if wanted is None or (current or "") == wanted:
        return
    if wanted:
        plan.actions.append(Action(TAG, key_id, "description differs", wanted))
    else:
        plan.actions.append(Action(UNTAG, key_id, "description is empty"))


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


def _room_to_delete(keys, held_key_id, policy):
    """The key on_key_limit=delete_inactive may delete: the oldest Inactive key not held."""
    if policy.on_key_limit != "delete_inactive":
        return None
    for key in keys:
        if key["status"] == INACTIVE and key["access_key_id"] != held_key_id:
            return key
    return None


def _limit_message(keys, policy, reason, now):
    if policy.on_key_limit == "delete_inactive":
        why = "none of them is an Inactive key other than the held one"
    else:
        why = "on_key_limit is fail"
    return "a new key is needed (%s) but the user already has %d keys and %s: %s" % (
        reason,
        len(keys),
        why,
        describe_keys(keys, now),
    )


def resulting_keys(keys, plan, new_key):
    """The user's keys once ``plan`` is carried out; ``new_key`` stands for the key it creates."""
    result = [dict(key) for key in sorted(keys, key=lambda key: key["create_date"])]
    for action in plan.actions:
        if action.kind == CREATE:
            result.append(dict(new_key, description=None))
            continue
        key_id = action.access_key_id if action.access_key_id is not NEW_KEY else new_key["access_key_id"]
        if action.kind == DELETE:
            result = [key for key in result if key["access_key_id"] != key_id]
            continue
        for key in result:
            if key["access_key_id"] == key_id:
                if action.kind == SET_STATUS:
                    key["status"] = action.value
                elif action.kind == TAG:
                    key["description"] = action.value
                elif action.kind == UNTAG:
                    key["description"] = None
    return result
