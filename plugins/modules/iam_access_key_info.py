#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: iam_access_key_info
short_description: List IAM users' access keys with their age, description and last use
version_added: 0.1.0
description:
  - Lists the access keys of one IAM user, of a list of users, or of every IAM user of the account.
  - Returns no secret (AWS never returns one after a key's creation).
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
notes:
  - Per user, the module calls C(iam:ListAccessKeys), then C(iam:ListUserTags) only when the user has keys, and
    C(iam:GetAccessKeyLastUsed) per key when O(last_used=true). Listing every user adds C(iam:ListUsers) (paginated).
  - The module also takes the connection options set with C(module_defaults) for C(group/amazon.aws.aws) (and the
    legacy C(group/aws)), like amazon.aws modules; C(group/devkeys.aws.aws) covers both collections.
seealso:
  - module: devkeys.aws.iam_access_key
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
        user_keys.read_descriptions(keys)
    views = []
    for key in keys:
        view = dict(user_name=user_name, **_iam_keys.key_view(key, now, with_description=True))
        if last_used:
            view.update(user_keys.last_used(key["access_key_id"]))
        views.append(view)
    return sorted(views, key=lambda view: view["create_date"])


def main():
    argument_spec = dict(
        user_name=dict(type="str", aliases=["username"]),
        user_names=dict(type="list", elements="str"),
        last_used=dict(type="bool", default=True),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        supports_check_mode=True,
        mutually_exclusive=[("user_name", "user_names")],
    )
    names = module.params["user_names"]
    if module.params["user_name"] is not None:
        names = [module.params["user_name"]]
    if names is not None and not all(name and name.strip() for name in names):
        module.fail_json(msg="Failed to list access keys: an empty user name; refusing to act on the account root")

    client = _iam_keys.iam_client(module)
    now = _iam_keys.now_utc()
    access_keys = []
    try:
        for name in all_user_names(client) if names is None else names:
            access_keys.extend(user_access_keys(client, name.strip(), module.params["last_used"], now))
    except AnsibleAWSError as e:
        module.fail_json_aws_error(e)
    module.exit_json(changed=False, access_keys=access_keys)


if __name__ == "__main__":
    main()
