#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: devkeys.aws contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: aws_profile_key
short_description: Read the access key pair one AWS profile holds, to copy it to another consumer
version_added: 0.1.0
description:
  - Returns the access key ID, secret access key and session token that botocore would use for one profile of
    C(~/.aws/credentials) and C(~/.aws/config) (a key in the credentials file wins over the config file).
  - This is the one module of the collection that returns a secret. Use it only in a task with C(no_log) whose
    result goes straight to M(devkeys.aws.aws_profile) on another host, and never register it where it outlives
    that use. The C(devkeys.aws.workstation) role uses it to give a workstation the key of a shared IAM user that
    another workstation already stored, instead of creating a second key.
  - The files are read as their account, as M(devkeys.aws.aws_profile_info) reads them (O(owner), or the account
    whose home holds them when the module runs as root).
  - Fails, naming the file, when the profile holds no complete key pair or a file botocore would not read.
author:
  - devkeys.aws maintainers (@devkeys)
extends_documentation_fragment:
  - devkeys.aws.aws_files
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: The module only reads.
  diff_mode:
    support: none
  platform:
    platforms: posix
options:
  name:
    description: The profile (as in C(AWS_PROFILE)).
    type: str
    required: true
    aliases: [profile]
  owner:
    description:
      - User (name or uid) whose home holds the default C(~/.aws) files, and as whom they are read.
    type: str
notes:
  - Set C(no_log=true) on the task, because the result holds the secret.
seealso:
  - module: devkeys.aws.aws_profile_info
  - module: devkeys.aws.aws_profile
"""

EXAMPLES = r"""
- name: Copy the key of profile team from ws1 to this workstation
  devkeys.aws.aws_profile_key:
    name: team
    owner: alice
  delegate_to: ws1
  register: team_key
  no_log: true

- name: Store it here
  devkeys.aws.aws_profile:
    name: team
    aws_access_key_id: "{{ team_key.aws_access_key_id }}"
    aws_secret_access_key: "{{ team_key.aws_secret_access_key }}"
  no_log: true
"""

RETURN = r"""
aws_access_key_id:
  description: The access key ID of the profile.
  returned: success
  type: str
  sample: AKIAIOSFODNN7EXAMPLE
aws_secret_access_key:
  description: The secret access key of the profile. Sensitive.
  returned: success
  type: str
  sample: wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
aws_session_token:
  description: The session token of the profile (temporary credentials), null when it has none.
  returned: success
  type: str
credentials_file:
  description: Path of the credentials file read.
  returned: always
  type: str
config_file:
  description: Path of the config file read.
  returned: always
  type: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.devkeys.aws.plugins.module_utils._aws_files import AwsFileError, decode
from ansible_collections.devkeys.aws.plugins.module_utils._file_io import (
    FileIOError,
    aws_file_paths,
    file_access,
    lookup_account,
    run_as,
)
from ansible_collections.devkeys.aws.plugins.module_utils._profile_keys import profile_key_pair


def read_key(access, name, credentials_path, config_path):
    """The key pair of profile ``name`` (run with the files' account, see run_as)."""
    files = [access.shared(credentials_path, private=True), access.shared(config_path)]
    try:
        texts = [decode(shared.read(), shared.path) for shared in files]
    finally:
        for shared in files:
            shared.close()
    return profile_key_pair(texts[0], texts[1], name, credentials_path, config_path)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type="str", required=True, aliases=["profile"]),
            credentials_file=dict(type="path"),
            config_file=dict(type="path"),
            owner=dict(type="str"),
        ),
        supports_check_mode=True,
    )
    params = module.params
    result = dict(changed=False)
    try:
        account = lookup_account(params["owner"]) if params["owner"] is not None else None
        paths = aws_file_paths(account, params["credentials_file"], params["config_file"])
        result.update(credentials_file=paths[0], config_file=paths[1])
        access = file_access(account, None, list(paths))
        # The one module whose child sends a secret back to its parent (a pipe between the two processes of
        # this module run, never a file): the key pair is what it returns.
        pair = run_as(access.account, read_key, (access, params["name"]) + tuple(paths), errors=(AwsFileError,))
    except (AwsFileError, FileIOError) as exc:
        module.fail_json(msg=str(exc), **result)
    result.update(pair)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
