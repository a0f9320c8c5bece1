#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: iam_access_key
short_description: Converge the access key an IAM user's consumer holds
version_added: 0.1.0
description:
  - Keeps the access key a consumer (for example a workstation profile) already holds while it exists, is
    C(Active), belongs to the user and is young enough; otherwise creates a new key, verifies it with
    C(sts:GetCallerIdentity) and returns its secret once.
  - Run it on every run of a playbook; on a converged run it makes no change and returns no secret.
  - The module never deletes or deactivates the key it replaces; it reports it in RV(replaced_access_key_id) so the
    caller can retire it once the new key is safely stored.
  - The description of a key is stored as the AWS console does, as a tag of the user whose key is the access key ID.
  - With O(batch), one run handles the keys of many users (a fleet's) with one AWS connection, several users at
    a time.
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
      - Each request succeeds or fails on its own (a new key that cannot be verified is deleted, as without
        O(batch)). RV(batch_results) holds the outcome of every request; when any request failed, the task fails after all
        of them ran, so register the result and use C(ignore_errors) or C(failed_when) to store the new keys of the
        requests that succeeded.
      - Cannot be combined with O(user_name), O(access_key_id) or O(active) at the top level.
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
      access_key_id:
        description: See O(access_key_id).
        type: str
        aliases: [id]
      active:
        description: See O(active).
        type: bool
      rotate:
        description: See O(rotate).
        type: bool
      max_age_days:
        description: See O(max_age_days).
        type: int
      on_key_limit:
        description: See O(on_key_limit).
        type: str
        choices: [fail, delete_inactive]
      description:
        description: See O(description).
        type: str
      verify:
        description: See O(verify).
        type: bool
      held_unknown:
        description: See O(held_unknown).
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
      - V(present) converges the key the consumer holds, see the description.
      - V(absent) deletes the access key O(access_key_id) (and its description tag) if it exists.
    type: str
    choices: [present, absent]
    default: present
  access_key_id:
    description:
      - The access key the consumer holds now.
      - Omitted or empty means the consumer holds no key, so O(state=present) creates one.
      - A held key that was deleted or deactivated in IAM, or that is not a key of O(user_name), is replaced.
    type: str
    aliases: [id]
  held_unknown:
    description:
      - The caller has not read yet which key the consumer holds (leave O(access_key_id) unset).
      - When the user has no access key at all, no consumer can hold a working key of that user, so a key is
        created (verified and described) as for a consumer that holds none.
      - Otherwise nothing changes and RV(keepable_access_key_ids) lists the keys this module would keep as they are
        if the consumer holds one of them; read the consumer, and call again with O(access_key_id) only when it
        holds none of them.
      - Lets a play write a new workstation's profile without reading the workstation first.
      - Only with O(state=present); cannot be combined with O(access_key_id) or O(active).
    type: bool
    default: false
    version_added: 0.1.0
  active:
    description:
      - Set the status of O(access_key_id) to C(Active) (V(true)) or C(Inactive) (V(false)). Nothing else happens
        to the keys (only O(description) is also applied) and no key is created, so it cannot be combined with
        O(rotate) or O(max_age_days).
      - Fails when the user has no key O(access_key_id).
    type: bool
  rotate:
    description:
      - Create a new key now even if the held key is fine.
    type: bool
    default: false
  max_age_days:
    description:
      - A held key older than this many days is replaced.
    type: int
  on_key_limit:
    description:
      - What to do when a new key is needed and the user already has two keys (the IAM limit).
      - V(fail) fails and lists the user's keys.
      - V(delete_inactive) deletes the oldest C(Inactive) key that is not O(access_key_id), never an C(Active) key;
        it fails like V(fail) when there is no such key.
    type: str
    choices: [fail, delete_inactive]
    default: fail
  description:
    description:
      - Description of the kept or new key, stored as a user tag whose key is the access key ID; updated if it
        differs. An empty string removes the description of the kept key.
      - The tag of a key this module deletes is removed with it.
    type: str
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
  - With O(description) or when a key is deleted the module reads the user's tags (C(iam:ListUserTags)) unless the
    user has no keys; otherwise a run that changes nothing makes a single IAM call, C(iam:ListAccessKeys).
  - Every AWS call is retried with a jittered backoff on throttling.
  - For the tests of this collection only, the environment variable E(DEVKEYS_TEST_NOW) (an ISO 8601 time)
    replaces the current time when key ages are computed. Never set it in production.
  - The module also takes the connection options set with C(module_defaults) for C(group/amazon.aws.aws) (and the
    legacy C(group/aws)), like amazon.aws modules; C(group/devkeys.aws.aws) covers both collections.
  - The IAM permissions needed are C(iam:ListAccessKeys), C(iam:CreateAccessKey), C(iam:DeleteAccessKey),
    C(iam:UpdateAccessKey), C(iam:ListUserTags), C(iam:TagUser) and C(iam:UntagUser) on the user.
seealso:
  - module: devkeys.aws.iam_access_key_info
  - module: amazon.aws.iam_access_key
author:
  - devkeys.aws maintainers (@devkeys)
attributes:
  check_mode:
    support: full
    details: Check mode predicts the same plan and makes no write call.
  diff_mode:
    support: full
    details: The diff shows the user's keys (IDs, status, descriptions), never a secret.
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
    access_key_id: "{{ held_key_id | default(omit) }}"
    max_age_days: 90
    on_key_limit: delete_inactive
    description: "alice's laptop (managed by devkeys.aws)"
  register: alice_key
  no_log: true

- name: Deactivate the key that was replaced, once the new one is stored
  devkeys.aws.iam_access_key:
    user_name: alice
    access_key_id: "{{ alice_key.replaced_access_key_id }}"
    active: false
  when: alice_key.replaced_access_key_id is not none

- name: Rotate now
  devkeys.aws.iam_access_key:
    user_name: alice
    access_key_id: "{{ held_key_id }}"
    rotate: true
  register: alice_key
  no_log: true

- name: Delete a retired key
  devkeys.aws.iam_access_key:
    user_name: alice
    access_key_id: "{{ retired_key_id }}"
    state: absent

- name: Converge the keys of a whole team in one run (one AWS connection, four users at a time)
  devkeys.aws.iam_access_key:
    batch:
      - user_name: alice
        access_key_id: "{{ alice_held_key_id }}"
      - user_name: bob
    max_age_days: 90
    on_key_limit: delete_inactive
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
    - The key the consumer should hold after this run (the kept or the new key).
    - Not returned for O(state=absent), nor for a new key in check mode.
  returned: when there is such a key
  type: str
  sample: AKIAIOSFODNN7EXAMPLE
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
keepable_access_key_ids:
  description:
    - With O(held_unknown), the user's keys (oldest first) that this module would keep as they are, with no IAM
      write, if the consumer holds one of them; empty when a key was created or every key needs a change.
  returned: with O(held_unknown) (with O(batch), in each of RV(batch_results))
  type: list
  elements: str
  sample: [AKIAIOSFODNN7EXAMPLE]
user_arn:
  description: The ARN GetCallerIdentity answered with the new key.
  returned: when a key was created and verified
  type: str
  sample: arn:aws:iam::123456789012:user/alice
plan:
  description: The IAM actions of this run, in order, with the reason of each (the new key has no ID in it).
  returned: always (with O(batch), in each of RV(batch_results))
  type: list
  elements: dict
  contains:
    action:
      description: V(create), V(delete), V(set_status), V(tag) or V(untag).
      type: str
      sample: create
    access_key_id:
      description: The key acted on; null for the key created in this run.
      type: str
    value:
      description: The new status (V(set_status)) or description (V(tag)); null otherwise.
      type: str
    reason:
      description: Why the action is taken.
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
"""

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.devkeys.aws.plugins.module_utils import _iam_keys
from ansible_collections.devkeys.aws.plugins.module_utils import _key_plan

# Options of one request; with `batch`, an item's unset option takes the top-level value.
REQUEST_OPTIONS = dict(
    user_name=dict(type="str", aliases=["username"]),
    state=dict(type="str", choices=["present", "absent"], default="present"),
    access_key_id=dict(type="str", aliases=["id"], no_log=False),
    active=dict(type="bool"),
    rotate=dict(type="bool", default=False),
    max_age_days=dict(type="int"),
    on_key_limit=dict(type="str", choices=["fail", "delete_inactive"], default="fail"),
    description=dict(type="str"),
    verify=dict(type="bool", default=True),
    held_unknown=dict(type="bool", default=False),
)


def batch_item_options():
    """REQUEST_OPTIONS without defaults (unset means "as the top level"), user_name required."""
    options = {}
    for name, spec in REQUEST_OPTIONS.items():
        spec = dict((key, value) for key, value in spec.items() if key != "default")
        options[name] = dict(spec, required=True) if name == "user_name" else spec
    return options


def request_error(request):
    """Why the options of one request cannot be acted on, or None."""
    user_name = request["user_name"]
    if not user_name:
        return "Failed to manage access keys: user_name is empty; refusing to act on the account root"
    if request["state"] == "absent" and not request["access_key_id"]:
        return "Failed to delete an access key of IAM user '%s': access_key_id is empty" % user_name
    if request["active"] is not None and not request["access_key_id"]:
        return "Failed to set the status of an access key of IAM user '%s': access_key_id is empty" % user_name
    if request["active"] is not None and (request["rotate"] or request["max_age_days"] is not None):
        return ("Failed to manage access keys of IAM user '%s': active cannot be combined with rotate "
                "or max_age_days" % user_name)
    if request["held_unknown"] and (request["state"] == "absent" or request["access_key_id"]
                                    or request["active"] is not None):
        return ("Failed to manage access keys of IAM user '%s': held_unknown cannot be combined with state=absent, "
                "access_key_id or active" % user_name)
    if request["max_age_days"] is not None and request["max_age_days"] < 1:
        return "Failed to manage access keys of IAM user '%s': max_age_days must be at least 1" % user_name
    return None


def main():
    argument_spec = dict(
        REQUEST_OPTIONS,
        batch=dict(type="list", elements="dict", options=batch_item_options()),
        concurrency=dict(type="int", default=4),
        verify_timeout=dict(type="int", default=60),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        supports_check_mode=True,
        required_one_of=[("user_name", "batch")],
        mutually_exclusive=[("batch", "user_name"), ("batch", "access_key_id"), ("batch", "active")],
        required_by={"active": ("access_key_id",)},
    )
    params = module.params
    if params["concurrency"] < 1:
        module.fail_json(msg="Failed to manage access keys: concurrency must be at least 1")
    client = _iam_keys.iam_client(module)
    now = _iam_keys.now_utc()
    sts_clients = _iam_keys.KeyStsClients(module)

    def verifier(user_name):
        def verify(key):
            return _iam_keys.verify_key(sts_clients.client(key), user_name, params["verify_timeout"])
        return verify

    def converge(request):
        """The result of one request, with `failed` and `msg` when it failed."""
        error = request_error(request)
        if error:
            return dict(failed=True, msg=error, changed=False)
        policy = _key_plan.KeyPolicy(
            state=request["state"],
            rotate=request["rotate"],
            max_age_days=request["max_age_days"],
            on_key_limit=request["on_key_limit"],
            description=request["description"],
            active=request["active"],
        )
        try:
            result = _iam_keys.converge(
                _iam_keys.UserKeys(client, request["user_name"]),
                request["access_key_id"] or None,
                policy,
                now,
                check_mode=module.check_mode,
                verifier=verifier(request["user_name"]) if request["verify"] else None,
                held_unknown=request["held_unknown"],
            )
        except AnsibleAWSError as e:
            return dict(e.kwargs, failed=True, msg=e.message, changed=False)
        result["failed"] = False
        if not module._diff:
            del result["diff"]
        return result

    if params["batch"] is None:
        request = dict((name, params[name]) for name in REQUEST_OPTIONS)
        request["user_name"] = request["user_name"].strip()
        result = converge(request)
        if result.pop("failed"):
            module.fail_json(**result)
        module.exit_json(**result)

    requests = [
        dict((name, params[name] if item[name] is None else item[name]) for name in REQUEST_OPTIONS)
        for item in params["batch"]
    ]
    for request in requests:
        request["user_name"] = request["user_name"].strip()
    results = _iam_keys.run_by_user(requests, converge, params["concurrency"])
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


if __name__ == "__main__":
    main()
