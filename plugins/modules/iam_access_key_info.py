#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: iam_access_key_info
short_description: List IAM users' access keys with their age, description, ownership tags and last use
version_added: 0.1.0
description:
  - Lists the access keys of one IAM user, of a list of users, or of every IAM user of the account.
  - Returns no secret (AWS never returns one after a key's creation).
  - Each key comes with its description (the user tag whose key is the access key ID, as the AWS console stores
    it) and what devkeys.aws recorded about it in the user tags C(devkeys.aws:<ACCESS_KEY_ID>:issuer),
    C(:holders) and C(:retired) (see M(devkeys.aws.iam_access_key)).
  - Can also read the account summary, for example to check that the account root has no access key.
options:
  user_name:
    description:
      - The IAM user whose keys are listed.
      - With neither O(user_name) nor O(user_names), the keys of every IAM user are listed.
    type: str
    aliases: [username]
  user_names:
    description:
      - IAM users whose keys are listed.
    type: list
    elements: str
  last_used:
    description:
      - Also read when, where and with which service each key was last used (one C(iam:GetAccessKeyLastUsed) call per
        key).
    type: bool
    default: true
  ignore_missing_users:
    description:
      - V(false) fails when a user of O(user_name) or O(user_names) does not exist.
      - V(true) lists such a user in RV(missing_user_names) instead and goes on with the others (a user deleted
        while every user is listed, too).
    type: bool
    default: false
    version_added: 0.1.0
  account_summary:
    description:
      - Also read the account summary (one C(iam:GetAccountSummary) call) into RV(account_summary).
    type: bool
    default: false
    version_added: 0.1.0
  concurrency:
    description:
      - How many users are read at the same time (one AWS connection). IAM's API is rate-limited per account
        (throttled calls are retried with backoff), so keep this small.
    type: int
    default: 4
    version_added: 0.1.0
notes:
  - Per user, the module calls C(iam:ListAccessKeys), then C(iam:ListUserTags) only when the user has keys, and
    C(iam:GetAccessKeyLastUsed) per key when O(last_used=true). Listing every user adds C(iam:ListUsers) (paginated).
  - O(account_summary=true) needs C(iam:GetAccountSummary).
  - "Migrating from M(amazon.aws.iam_access_key_info): O(user_name) and the RV(access_keys) fields C(access_key_id),
    C(create_date), C(user_name) and C(status) are the same; see C(docs/migrating-from-amazon-aws.md) of this
    collection."
  - The module also takes the connection options set with C(module_defaults) for C(group/amazon.aws.aws) (and the
    legacy C(group/aws)), like amazon.aws modules; C(group/devkeys.aws.aws) covers both collections.
seealso:
  - module: devkeys.aws.iam_access_key
  - module: amazon.aws.iam_access_key_info
author:
  - devkeys.aws maintainers (@devkeys)
attributes:
  check_mode:
    support: full
    details: The module only reads.
  diff_mode:
    support: none
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
- name: Keys of alice
  devkeys.aws.iam_access_key_info:
    user_name: alice
  register: alice_keys

- name: Keys of every IAM user, without last-use data
  devkeys.aws.iam_access_key_info:
    last_used: false
  register: all_keys

- name: Keys older than 90 days
  ansible.builtin.debug:
    msg: "{{ all_keys.access_keys | selectattr('age_days', 'gt', 90) | map(attribute='access_key_id') }}"

- name: Keys of the team, skipping users already offboarded, and whether the account root has a key
  devkeys.aws.iam_access_key_info:
    user_names: [alice, bob, carol]
    ignore_missing_users: true
    account_summary: true
  register: team_keys

- name: The account root must have no access key
  ansible.builtin.assert:
    that: team_keys.account_summary.AccountAccessKeysPresent == 0
"""

RETURN = r"""
access_keys:
  description: The access keys of the users, per user oldest first.
  returned: always
  type: list
  elements: dict
  contains:
    user_name:
      description: The IAM user the key belongs to.
      type: str
      sample: alice
    access_key_id:
      description: The access key ID.
      type: str
      sample: AKIAIOSFODNN7EXAMPLE
    status:
      description: C(Active) or C(Inactive).
      type: str
      sample: Active
    create_date:
      description: When the key was created, ISO 8601.
      type: str
      sample: "2026-01-02T03:04:05+00:00"
    age_days:
      description: Whole days since the key was created.
      type: int
      sample: 12
    description:
      description: The key's description (the user tag whose key is the access key ID), null when it has none.
      type: str
      sample: alice's laptop
    last_used_date:
      description: When the key was last used, ISO 8601; null when never used.
      type: str
      returned: when O(last_used=true)
    last_used_service:
      description: The service the key was last used with; null when never used.
      type: str
      returned: when O(last_used=true)
    last_used_region:
      description: The region the key was last used in; null when never used.
      type: str
      returned: when O(last_used=true)
    issuer:
      description:
        - The fleet id that created the key (user tag C(devkeys.aws:<ACCESS_KEY_ID>:issuer)), null when the key has
          no such tag (devkeys.aws did not create it, or created it without an issuer).
      type: str
      sample: devkeys
      version_added: 0.1.0
    holders:
      description:
        - The hosts the key was handed to (user tag C(devkeys.aws:<ACCESS_KEY_ID>:holders)), null without that tag.
      type: dict
      version_added: 0.1.0
      contains:
        names:
          description:
            - The host names, sorted; null when the tag holds only a count and a hash of the names (too many or
              too long names for one tag).
          type: list
          elements: str
          sample: [laptop1, laptop2]
        count:
          description: How many hosts.
          type: int
          sample: 2
    retired_date:
      description:
        - When devkeys.aws deactivated the key (user tag C(devkeys.aws:<ACCESS_KEY_ID>:retired)), ISO 8601; null
          without that tag.
      type: str
      sample: "2026-03-01T10:00:00+00:00"
      version_added: 0.1.0
missing_user_names:
  description: The users that do not exist, with O(ignore_missing_users=true); empty otherwise.
  returned: always
  type: list
  elements: str
  sample: [carol]
  version_added: 0.1.0
account_summary:
  description:
    - The account's IAM usage and quotas as C(iam:GetAccountSummary) returns them (its C(SummaryMap)), for example
      C(AccountAccessKeysPresent) (1 when the account root has an access key) and C(AccountMFAEnabled).
  returned: when O(account_summary=true)
  type: dict
  sample: {AccountAccessKeysPresent: 0, AccountMFAEnabled: 1, Users: 12, AccessKeysPerUserQuota: 2}
  version_added: 0.1.0
"""

try:
    import botocore
except ImportError:
    pass  # AnsibleAWSModule reports the missing library.

from ansible_collections.amazon.aws.plugins.module_utils.botocore import paginated_query_with_retries
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.devkeys.aws.plugins.module_utils import _iam_keys


def all_user_names(client):
    try:
        result = paginated_query_with_retries(client, "list_users", _iam_keys.iam_retry())
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        raise AnsibleAWSError(message="Failed to list the IAM users: %s" % _iam_keys.describe_error(e))
    return [user["UserName"] for user in result.get("Users", [])]


def user_access_keys(client, user_name, last_used, now):
    user_keys = _iam_keys.UserKeys(client, user_name)
    keys = user_keys.list_keys()
    if keys:
        user_keys.read_tags(keys)
    views = []
    for key in keys:
        view = dict(user_name=user_name, **_iam_keys.key_view(key, now, with_tags=True))
        if last_used:
            view.update(user_keys.last_used(key["access_key_id"]))
        views.append(view)
    return sorted(views, key=lambda view: view["create_date"])


def read_users(client, names, params, now):
    """(every key of the users ``names``, the names of users that do not exist), users read concurrently."""
    def read(request):
        try:
            return user_access_keys(client, request["user_name"], params["last_used"], now)
        except _iam_keys.NoSuchUser:
            if not params["ignore_missing_users"]:
                raise
            return None

    results = _iam_keys.run_by_user([{"user_name": name} for name in names], read, params["concurrency"])
    keys = [view for views in results if views for view in views]
    return keys, [name for name, views in zip(names, results) if views is None]


def requested_user_names(module):
    """The user names asked for (stripped), or None for every user; fails on an empty name."""
    names = module.params["user_names"]
    if module.params["user_name"] is not None:
        names = [module.params["user_name"]]
    if names is not None and not all(name and name.strip() for name in names):
        module.fail_json(msg="Failed to list access keys: an empty user name; refusing to act on the account root")
    return None if names is None else [name.strip() for name in names]


def main():
    argument_spec = dict(
        user_name=dict(type="str", aliases=["username"]),
        user_names=dict(type="list", elements="str"),
        last_used=dict(type="bool", default=True),
        ignore_missing_users=dict(type="bool", default=False),
        account_summary=dict(type="bool", default=False),
        concurrency=dict(type="int", default=4),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        supports_check_mode=True,
        mutually_exclusive=[("user_name", "user_names")],
    )
    names = requested_user_names(module)
    if module.params["concurrency"] < 1:
        module.fail_json(msg="Failed to list access keys: concurrency must be at least 1")
    client = _iam_keys.iam_client(module)
    now = _iam_keys.now_utc()
    result = dict(changed=False)
    try:
        names = all_user_names(client) if names is None else names
        result["access_keys"], result["missing_user_names"] = read_users(client, names, module.params, now)
        if module.params["account_summary"]:
            result["account_summary"] = _iam_keys.account_summary(client)
    except AnsibleAWSError as e:
        module.fail_json_aws_error(e)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
