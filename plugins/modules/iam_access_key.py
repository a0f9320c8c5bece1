#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: iam_access_key
short_description: Manage the access keys of IAM users, safely, as a drop-in for amazon.aws.iam_access_key
version_added: 0.1.0
description:
  - Two ways to use it.
  - B(Act on one key), as M(amazon.aws.iam_access_key) does. With O(id), the module acts on that existing key of the
    user and never creates one - O(state=absent) deletes it, O(active) sets its status, neither reports it
    unchanged. Without O(id) (and without O(held_access_key_id)), O(state=present) creates a key, which O(active=false)
    then deactivates.
  - B(Converge the key a consumer holds). With O(held_access_key_id), the key the consumer (for example a
    workstation profile) holds now is kept while it exists, is C(Active), belongs to the user and is young enough;
    otherwise a new key is created, verified with C(sts:GetCallerIdentity), and its secret returned once. The held key
    is never deleted nor deactivated; it is reported in RV(replaced_access_key_id) so the caller can retire it once the
    new key is safely stored (with O(id) and O(active=false)).
  - The user may have at most two keys. When a new key is needed at that limit, the module never deletes an
    C(Active) key; O(rotate_keys) and O(on_key_limit) say which C(Inactive) key it may delete, and the failure
    message names every key, its status, age and tags, and the option that would help.
  - The description of a key is stored as the AWS console does, as the user tag whose key is the access key ID.
    devkeys.aws's own bookkeeping goes under its own user tags, one per field - C(devkeys.aws:<ACCESS_KEY_ID>:issuer)
    (the fleet that created the key, O(issuer)), C(devkeys.aws:<ACCESS_KEY_ID>:holders) (the hosts it was handed to,
    O(holders)) and C(devkeys.aws:<ACCESS_KEY_ID>:retired) (when devkeys.aws deactivated it). A key is I(ours) when
    its issuer tag equals O(issuer). The description of a key that is not ours and already has one is never
    overwritten; the plan shows it kept, with the reason.
  - With O(batch), one run handles the keys of many users (a fleet's) with one AWS connection, several users at
    a time.
  - Playbooks written for M(amazon.aws.iam_access_key) run unchanged; see the notes for the one place where this
    module refuses what amazon.aws does (deleting an C(Active) key with O(rotate_keys)).
options:
  user_name:
    description:
      - The IAM user whose access keys are managed.
      - Must not be empty; the module never manages the keys of the account root or of "the caller".
      - Required unless O(batch) is given.
    type: str
    aliases: [username]
  batch:
    description:
      - Many requests in one run, each a set of this module's options for one user. An option a request does not
        set takes the value given at the top level of the task (or that option's default).
      - Requests of different users run concurrently (up to O(concurrency) at a time); requests of the same user run
        one after the other, in the order given.
      - Each request succeeds or fails on its own (a new key that cannot be verified or tagged is deleted, as without
        O(batch)). RV(batch_results) holds the outcome of every request; when any request failed, the task fails after
        all of them ran, so register the result and use C(ignore_errors) or C(failed_when) to store the new keys of the
        requests that succeeded.
      - Cannot be combined with O(user_name), O(id), O(held_access_key_id) or O(active) at the top level.
    type: list
    elements: dict
    suboptions:
      user_name:
        description: See O(user_name).
        type: str
        required: true
        aliases: [username]
      state:
        description: See O(state).
        type: str
        choices: [present, absent]
      id:
        description: See O(id).
        type: str
        aliases: [access_key_id]
      held_access_key_id:
        description: See O(held_access_key_id).
        type: str
      active:
        description: See O(active).
        type: bool
        aliases: [enabled]
      rotate:
        description: See O(rotate).
        type: bool
      max_age_days:
        description: See O(max_age_days).
        type: int
      rotate_keys:
        description: See O(rotate_keys).
        type: bool
      on_key_limit:
        description: See O(on_key_limit).
        type: str
        choices: [fail, delete_inactive]
      description:
        description: See O(description).
        type: str
      issuer:
        description: See O(issuer).
        type: str
      holders:
        description: See O(holders).
        type: list
        elements: str
      keep_if_used_after:
        description: See O(keep_if_used_after).
        type: str
      verify:
        description: See O(verify).
        type: bool
    version_added: 0.1.0
  concurrency:
    description:
      - With O(batch), how many users are handled at the same time. IAM's API is rate-limited per account
        (throttled calls are retried with backoff), so keep this small.
    type: int
    default: 4
  state:
    description:
      - V(present) creates a key, acts on the key O(id), or converges the key O(held_access_key_id); see the
        description.
      - V(absent) deletes the access key O(id) (and its tags) if it exists; O(id) is required.
    type: str
    choices: [present, absent]
    default: present
  id:
    description:
      - An existing access key of the user to act on (amazon.aws's meaning). The module never creates a key when
        O(id) is given.
      - With O(state=absent) the key is deleted (not an error when it does not exist); with O(active) its status is set;
        with neither it is reported unchanged. The module fails when O(state=present) and the user has no such key.
      - In earlier development versions of this collection, O(access_key_id) meant the key the consumer holds; that is
        O(held_access_key_id) now, and O(access_key_id) is an alias of O(id).
    type: str
    aliases: [access_key_id]
  held_access_key_id:
    description:
      - The access key the consumer holds now. It is kept while it exists, is C(Active), belongs to the user, is
        younger than O(max_age_days) and O(rotate) is not set; otherwise a new key is created (see the description).
      - Omitted or empty means the consumer holds no key, so O(state=present) creates one.
      - Cannot be combined with O(id) nor with O(active).
    type: str
    version_added: 0.1.0
  active:
    description:
      - With O(id), set the status of that key to C(Active) (V(true)) or C(Inactive) (V(false)).
      - Without O(id), a key is created and, for V(false), set C(Inactive) right after (amazon.aws's meaning).
      - With O(issuer) set, deactivating a key that is ours also stamps its retired tag (now); reactivating a key
        removes its retired tag.
    type: bool
    aliases: [enabled]
  rotate:
    description:
      - Replace O(held_access_key_id) now even if it is fine.
    type: bool
    default: false
  max_age_days:
    description:
      - A held key older than this many days is replaced.
    type: int
  rotate_keys:
    description:
      - amazon.aws's option. When a new key is needed and the user already has two keys, delete the oldest key to make
        room - but only when it is C(Inactive) (and, with O(issuer) set, ours) and not the held key.
      - Deleting an C(Active) key is refused (amazon.aws deletes it); the failure says so and names what to do instead
        (first retire the key with O(id) and O(active=false), then run again with O(rotate_keys) or
        O(on_key_limit=delete_inactive); or delete it explicitly with O(id) and O(state=absent)).
      - Cannot be combined with O(id).
    type: bool
    default: false
    version_added: 0.1.0
  on_key_limit:
    description:
      - What to do when a new key is needed and the user already has two keys (the IAM limit).
      - V(fail) fails; the message lists the user's keys with their status, age and tags, and the option that would
        help.
      - V(delete_inactive) deletes the oldest C(Inactive) key that is not O(held_access_key_id), never an C(Active)
        key. With O(issuer) set, only a key that is ours and that devkeys.aws deactivated (it has a retired tag) is
        deleted - never a key another tool or a person deactivated (for example a key kept for forensics). It fails
        like V(fail) when there is no such key.
    type: str
    choices: [fail, delete_inactive]
    default: fail
  description:
    description:
      - Description of the new key, or of the kept (or O(id)) key, stored as the user tag whose key is the access key
        ID (as the AWS console does); updated if it differs. An empty string removes the description of the kept key.
      - The description of a key that is not ours (see O(issuer)) and that already has one is never changed; the plan
        shows it kept, with the reason (check mode too).
      - The tags of a key this module deletes are removed with it.
    type: str
  issuer:
    description:
      - The fleet id of the caller (for the workstation role, C(workstation_fleet_id)). A key created in this run gets
        it in the user tag C(devkeys.aws:<ACCESS_KEY_ID>:issuer); a key whose issuer tag equals it is I(ours).
      - Ownership decides what the module may change - the description of a kept key that already has one, the
        holders of a kept key, the retired tag, and which C(Inactive) key O(on_key_limit=delete_inactive) or
        O(rotate_keys) may delete.
      - 1 to 64 letters, digits and C(_.:/=+-@).
    type: str
    version_added: 0.1.0
  holders:
    description:
      - The hosts the key is handed to. A created key records them in the user tag
        C(devkeys.aws:<ACCESS_KEY_ID>:holders); on a kept key that is ours the recorded set grows to include them
        (it never shrinks, and is written only when it grows).
      - Names are stored sorted, unique and joined by one space; when that is longer than 256 characters or a name has
        a character other than letters, digits and C(_.:/=+-@), the tag holds C(<count> hosts sha256:<16 hex digits>)
        instead (only the count can be read back).
    type: list
    elements: str
    version_added: 0.1.0
  keep_if_used_after:
    description:
      - A time (ISO 8601; UTC when it has no offset). With O(id) and O(active=false) or O(state=absent), the key's last
        use is read first (C(iam:GetAccessKeyLastUsed)); if it was used at or after that time, nothing changes and
        RV(kept_in_use) says when, where and with which service it was used. This is not a failure.
    type: str
    version_added: 0.1.0
  verify:
    description:
      - After creating a key, call C(sts:GetCallerIdentity) with it (same endpoint, region and CA bundle as the
        other calls), retrying with backoff while it is not yet accepted, and check that it answers for O(user_name).
      - If it never does within O(verify_timeout), the new key is deleted and the module fails.
    type: bool
    default: true
  verify_timeout:
    description:
      - Seconds to keep retrying the verification of a new key.
    type: int
    default: 60
notes:
  - Set C(no_log=true) on the task that registers the result, because RV(secret_access_key) is the secret of the
    new key.
  - "Migrating from M(amazon.aws.iam_access_key): O(user_name), O(id), O(state), O(active)/O(enabled) and
    O(rotate_keys) take the same values with the same meaning, and RV(access_key), RV(access_key_id),
    RV(secret_access_key) and RV(deleted_access_key_id) are returned as amazon.aws returns them. One difference is a
    safety refusal - O(rotate_keys) never deletes an C(Active) key (amazon.aws deletes the oldest key whatever its
    status); the run fails with C(rotate_keys: <ID> is not deleted: it is Active, and deleting an Active key is
    refused (a consumer may still use it)) followed by what to do instead. The full table is in
    C(docs/migrating-from-amazon-aws.md) of this collection."
  - Without O(description), O(issuer) or O(holders), a run that changes nothing makes a single IAM call,
    C(iam:ListAccessKeys); with any of them, or when a key is deleted or the plan fails, it also reads the user's
    tags (C(iam:ListUserTags)) unless the user has no keys.
  - Every AWS call is retried with a jittered backoff on throttling.
  - The module also takes the connection options set with C(module_defaults) for C(group/amazon.aws.aws) (and the
    legacy C(group/aws)), like amazon.aws modules; C(group/devkeys.aws.aws) covers both collections.
  - The IAM permissions needed are C(iam:ListAccessKeys), C(iam:CreateAccessKey), C(iam:DeleteAccessKey),
    C(iam:UpdateAccessKey), C(iam:ListUserTags), C(iam:TagUser) and C(iam:UntagUser) on the user, and
    C(iam:GetAccessKeyLastUsed) for O(keep_if_used_after).
seealso:
  - module: devkeys.aws.iam_access_key_info
  - module: amazon.aws.iam_access_key
author:
  - devkeys.aws maintainers (@devkeys)
attributes:
  check_mode:
    support: full
    details: Check mode predicts the same plan (also what would be kept and why) and makes no write call.
  diff_mode:
    support: full
    details: The diff shows the user's keys (IDs, status, descriptions, devkeys.aws tags), never a secret.
  platform:
    platforms: all
  action_group:
    support: full
    membership: [devkeys.aws.aws]
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
"""

EXAMPLES = r"""
- name: Keep the key the workstation holds, or make a new one when it is missing, inactive or older than 90 days
  devkeys.aws.iam_access_key:
    user_name: alice
    held_access_key_id: "{{ held_key_id | default(omit) }}"
    max_age_days: 90
    on_key_limit: delete_inactive
    issuer: devkeys
    holders: [alice-laptop]
    description: "alice's laptop (managed by devkeys.aws)"
  register: alice_key
  no_log: true

- name: Retire the key that was replaced, once the new one is stored, unless something used it since
  devkeys.aws.iam_access_key:
    user_name: alice
    id: "{{ alice_key.replaced_access_key_id }}"
    active: false
    issuer: devkeys
    keep_if_used_after: "{{ new_key_stored_at }}"
  register: retired
  when: alice_key.replaced_access_key_id is not none

- name: Create a key, as amazon.aws.iam_access_key does
  devkeys.aws.iam_access_key:
    user_name: ci-bot
    state: present
  register: ci_key
  no_log: true

- name: Disable a key (the access_key return is amazon.aws's)
  devkeys.aws.iam_access_key:
    user_name: ci-bot
    id: "{{ ci_key.access_key.access_key_id }}"
    enabled: false

- name: Delete a retired key
  devkeys.aws.iam_access_key:
    user_name: alice
    id: "{{ retired_key_id }}"
    state: absent

- name: Converge the keys of a whole team in one run (one AWS connection, four users at a time)
  devkeys.aws.iam_access_key:
    batch:
      - user_name: alice
        held_access_key_id: "{{ alice_held_key_id }}"
      - user_name: bob
    max_age_days: 90
    on_key_limit: delete_inactive
    issuer: devkeys
  register: team_keys
  no_log: true
  ignore_errors: true  # batch_results holds the new keys of the users that succeeded; store them
"""

RETURN = r"""
batch_results:
  description:
    - With O(batch), one result per request, in the order given. Each holds the values below (RV(access_key_id),
      RV(secret_access_key), RV(created), ...) for its request, plus C(user_name), C(description) (the request's,
      when given), C(failed) and, when it failed, C(msg).
    - The other return values below are not returned at the top level with O(batch).
    - Not named C(results) on purpose, because Ansible shows a C(results) list of a C(no_log) task as if it were loop
      results, which would print the secrets.
  returned: with O(batch)
  type: list
  elements: dict
  sample: [{user_name: alice, failed: false, changed: false, created: false, access_key_id: AKIAIOSFODNN7EXAMPLE}]
access_key_id:
  description:
    - The key the consumer should hold after this run (the kept or the new key), or the key O(id).
    - Not returned for O(state=absent) (unless the key was kept in use), nor for a new key in check mode.
  returned: when there is such a key
  type: str
  sample: AKIAIOSFODNN7EXAMPLE
access_key:
  description:
    - The key of RV(access_key_id) after this run, as amazon.aws.iam_access_key returns it.
  returned: when there is such a key
  type: dict
  version_added: 0.1.0
  contains:
    access_key_id:
      description: The access key ID.
      type: str
      sample: AKIAIOSFODNN7EXAMPLE
    create_date:
      description: When the key was created, ISO 8601.
      type: str
      sample: "2026-01-02T03:04:05+00:00"
    user_name:
      description: The IAM user of the key.
      type: str
      sample: alice
    status:
      description: C(Active) or C(Inactive).
      type: str
      sample: Active
secret_access_key:
  description:
    - The secret of the key created in this run. Sensitive; register the result with C(no_log).
    - AWS returns it only once, so store it before doing anything else.
  returned: when a key was created in this run (never in check mode)
  type: str
  sample: wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
created:
  description: Whether a new key was (or, in check mode, would be) created.
  returned: always (with O(batch), in each of RV(batch_results))
  type: bool
  sample: true
replaced_access_key_id:
  description:
    - The held key that the new key replaces and that still exists in IAM. The module leaves it as it is;
      deactivate and delete it once the new key is stored.
  returned: always (with O(batch), in each of RV(batch_results))
  type: str
  sample: AKIAI44QH8DHBEXAMPLE
deleted_access_key_ids:
  description: Keys deleted in this run (to make room under the key limit, or by O(state=absent)).
  returned: always (with O(batch), in each of RV(batch_results))
  type: list
  elements: str
  sample: []
deleted_access_key_id:
  description:
    - The key deleted in this run (a run deletes at most one), as amazon.aws.iam_access_key returns it.
  returned: when a key was (or, in check mode, would be) deleted
  type: str
  sample: AKIAI44QH8DHBEXAMPLE
  version_added: 0.1.0
kept_in_use:
  description:
    - With O(keep_if_used_after), the key that was left as it is because it was used at or after that time;
      null otherwise.
  returned: always (with O(batch), in each of RV(batch_results))
  type: dict
  version_added: 0.1.0
  contains:
    access_key_id:
      description: The key.
      type: str
    last_used_date:
      description: When it was last used, ISO 8601.
      type: str
    last_used_service:
      description: The service it was last used with.
      type: str
    last_used_region:
      description: The region it was last used in.
      type: str
user_arn:
  description: The ARN GetCallerIdentity answered with the new key.
  returned: when a key was created and verified
  type: str
  sample: arn:aws:iam::123456789012:user/alice
plan:
  description:
    - What this run does (or, in check mode, would do), in order, with the reason of each step. The new key has no ID
      in it.
    - Every step but V(keep) is one IAM write (consecutive tag steps of one key are sent in one call).
  returned: always (with O(batch), in each of RV(batch_results))
  type: list
  elements: dict
  contains:
    action:
      description:
        - V(create), V(delete), V(set_status), V(tag) or V(untag); or V(keep) for something left as it is on purpose
          (another tool's description, a key in use), which is no write.
      type: str
      sample: create
    access_key_id:
      description: The key acted on; null for the key created in this run.
      type: str
    tag:
      description:
        - For V(tag), V(untag) and V(keep), which tag - V(description), V(issuer), V(holders) or V(retired); null
          otherwise.
      type: str
      version_added: 0.1.0
    value:
      description: The new status (V(set_status)), the tag value (V(tag)) or what is kept (V(keep)); null otherwise.
      type: str
    reason:
      description: Why the step is taken.
      type: str
      sample: rotation requested
access_keys:
  description: Every key of the user after this run, oldest first.
  returned: always (with O(batch), in each of RV(batch_results))
  type: list
  elements: dict
  contains:
    access_key_id:
      description: The access key ID (null for the key check mode would create).
      type: str
    status:
      description: C(Active) or C(Inactive).
      type: str
    create_date:
      description: When the key was created, ISO 8601.
      type: str
    age_days:
      description: Whole days since the key was created.
      type: int
    description:
      description: The key's description, null when it has none.
      type: str
      returned: when the user's tags were read (see the notes)
    issuer:
      description: The key's issuer tag, null when it has none.
      type: str
      returned: when the user's tags were read (see the notes)
      version_added: 0.1.0
    holders:
      description: The key's holders tag (C(names), null in the hashed form, and C(count)), null when it has none.
      type: dict
      returned: when the user's tags were read (see the notes)
      version_added: 0.1.0
    retired_date:
      description: When devkeys.aws deactivated the key (its retired tag), ISO 8601; null when it has none.
      type: str
      returned: when the user's tags were read (see the notes)
      version_added: 0.1.0
"""

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.devkeys.aws.plugins.module_utils import _iam_keys
from ansible_collections.devkeys.aws.plugins.module_utils import _key_plan
from ansible_collections.devkeys.aws.plugins.module_utils import _key_tags

# Options of one request; with `batch`, an item's unset option takes the top-level value.
REQUEST_OPTIONS = dict(
    user_name=dict(type="str", aliases=["username"]),
    state=dict(type="str", choices=["present", "absent"], default="present"),
    id=dict(type="str", aliases=["access_key_id"], no_log=False),
    held_access_key_id=dict(type="str", no_log=False),
    active=dict(type="bool", aliases=["enabled"]),
    rotate=dict(type="bool", default=False),
    max_age_days=dict(type="int"),
    rotate_keys=dict(type="bool", default=False),
    on_key_limit=dict(type="str", choices=["fail", "delete_inactive"], default="fail"),
    description=dict(type="str"),
    issuer=dict(type="str"),
    holders=dict(type="list", elements="str"),
    keep_if_used_after=dict(type="str"),
    verify=dict(type="bool", default=True),
)


def batch_item_options():
    """REQUEST_OPTIONS without defaults (unset means "as the top level"), user_name required."""
    options = {}
    for name, spec in REQUEST_OPTIONS.items():
        spec = dict((key, value) for key, value in spec.items() if key != "default")
        options[name] = dict(spec, required=True) if name == "user_name" else spec
    return options


# (refused when, why): the combinations of one request's options that are refused, in the order checked.
REQUEST_RULES = [
    (lambda r: r["id"] and r["held_access_key_id"],
     "id and held_access_key_id are mutually exclusive (id acts on one existing key; held_access_key_id converges "
     "the key a consumer holds)"),
    (lambda r: r["state"] == "absent" and not r["id"], "state=absent needs the id of the key to delete; id is empty"),
    (lambda r: r["active"] is not None and r["held_access_key_id"],
     "active cannot be combined with held_access_key_id; to set the status of a key, give its id"),
    (lambda r: r["id"] and (r["rotate"] or r["rotate_keys"] or r["max_age_days"] is not None),
     "id acts on one existing key and never creates one, so it cannot be combined with rotate, rotate_keys or "
     "max_age_days; use held_access_key_id to converge the key a consumer holds"),
    (lambda r: r["keep_if_used_after"] and not (r["id"] and (r["state"] == "absent" or r["active"] is False)),
     "keep_if_used_after applies only with id and active=false or state=absent"),
    (lambda r: r["max_age_days"] is not None and r["max_age_days"] < 1, "max_age_days must be at least 1"),
    (lambda r: r["issuer"] is not None and not _key_tags.valid_issuer(r["issuer"]),
     "issuer must be 1 to 64 letters, digits and _.:/=+-@"),
    (lambda r: r["holders"] is not None and not all(name and name.strip() for name in r["holders"]),
     "holders has an empty host name"),
]


def request_error(request):
    """Why the options of one request cannot be acted on, or None."""
    if not request["user_name"]:
        return "Failed to manage access keys: user_name is empty; refusing to act on the account root"
    for refused, why in REQUEST_RULES:
        if refused(request):
            return "Failed to manage access keys of IAM user '%s': %s" % (request["user_name"], why)
    return None


POLICY_OPTIONS = ("state", "active", "rotate", "max_age_days", "rotate_keys", "on_key_limit", "description", "issuer")
"""The request options KeyPolicy takes as they are."""


def request_policy(request):
    """The KeyPolicy of a valid request; raises ValueError for a keep_if_used_after that is not ISO 8601."""
    options = dict((name, request[name]) for name in POLICY_OPTIONS)
    options["holders"] = [name.strip() for name in request["holders"]] if request["holders"] else None
    options["keep_if_used_after"] = _key_plan.as_datetime(request["keep_if_used_after"] or None)
    return _key_plan.KeyPolicy(access_key_id=request["id"] or None, **options)


class RequestRunner:
    """Runs one request on the module's IAM connection: validate, plan, and (unless check mode) execute."""

    def __init__(self, module):
        self.module = module
        self.client = _iam_keys.iam_client(module)
        self.now = _iam_keys.now_utc()
        self.sts_clients = _iam_keys.KeyStsClients(module)

    def verifier(self, user_name):
        timeout = self.module.params["verify_timeout"]

        def verify(key):
            return _iam_keys.verify_key(self.sts_clients.client(key), user_name, timeout)

        return verify

    def __call__(self, request):
        """The result of one request, with `failed` and `msg` when it failed."""
        error = request_error(request)
        if error:
            return dict(failed=True, msg=error, changed=False)
        try:
            policy = request_policy(request)
        except ValueError:
            error = "Failed to manage access keys of IAM user '%s': keep_if_used_after is not an ISO 8601 time: %r"
            return dict(failed=True, changed=False, msg=error % (request["user_name"], request["keep_if_used_after"]))
        verifier = self.verifier(request["user_name"]) if request["verify"] else None
        run = _iam_keys.RunOptions(self.module.check_mode, verifier)
        try:
            result = _iam_keys.converge(
                _iam_keys.UserKeys(self.client, request["user_name"]),
                request["held_access_key_id"] or None,
                policy,
                self.now,
                run,
            )
        except AnsibleAWSError as e:
            return dict(e.kwargs, failed=True, msg=e.message, changed=False)
        result["failed"] = False
        if not self.module._diff:
            del result["diff"]
        return result


def run_single(module, runner):
    request = dict((name, module.params[name]) for name in REQUEST_OPTIONS)
    request["user_name"] = request["user_name"].strip()
    result = runner(request)
    if result.pop("failed"):
        module.fail_json(**result)
    module.exit_json(**result)


def run_batch(module, runner):
    """Each batch item with the top-level options it does not set; users concurrently; one outcome."""
    params = module.params
    requests = [
        dict((name, params[name] if item[name] is None else item[name]) for name in REQUEST_OPTIONS)
        for item in params["batch"]
    ]
    for request in requests:
        request["user_name"] = request["user_name"].strip()
    results = _iam_keys.run_by_user(requests, runner, params["concurrency"])
    for request, result in zip(requests, results):
        result["user_name"] = request["user_name"]
        if request["description"] is not None:
            result["description"] = request["description"]
    outcome = dict(changed=any(result["changed"] for result in results), batch_results=results)
    if module._diff:
        outcome["diff"] = _iam_keys.batch_diff(results)
    failures = [result["msg"] for result in results if result["failed"]]
    if failures:
        module.fail_json(
            msg="Failed to converge %d of %d access key requests: %s" % (len(failures), len(results), "; ".join(failures)),
            **outcome
        )
    module.exit_json(**outcome)


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            REQUEST_OPTIONS,
            batch=dict(type="list", elements="dict", options=batch_item_options()),
            concurrency=dict(type="int", default=4),
            verify_timeout=dict(type="int", default=60),
        ),
        supports_check_mode=True,
        required_one_of=[("user_name", "batch")],
        mutually_exclusive=[
            ("batch", "user_name"), ("batch", "id"), ("batch", "held_access_key_id"), ("batch", "active"),
        ],
    )
    if module.params["concurrency"] < 1:
        module.fail_json(msg="Failed to manage access keys: concurrency must be at least 1")
    runner = RequestRunner(module)
    if module.params["batch"] is None:
        run_single(module, runner)
    run_batch(module, runner)


if __name__ == "__main__":
    main()
