#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: devkeys.aws contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: aws_profile_info
short_description: Read the profiles of ~/.aws/credentials and ~/.aws/config as botocore reads them, without secrets
version_added: 0.1.0
description:
  - Reads both AWS shared files (read-only, no lock) and returns every profile with its settings merged as botocore
    merges them (a key in the credentials file overrides the same key in the config file; C([DEFAULT]) keys leak
    into every section; the later of two sections naming the same profile wins), nested blocks as mappings.
  - Secret values are never returned; C(has_secret) and C(has_session_token) in each profile tell whether they are
    set.
  - A file botocore would fail to parse fails the task with the file and line.
  - Missing files read as empty.
  - With O(shell_files), it also reports which AWS profile each shell start-up file exports in the block that
    M(ansible.builtin.blockinfile) manages under O(shell_marker), so a play can edit only the files that differ.
author:
  - devkeys.aws maintainers (@devkeys)
extends_documentation_fragment:
  - devkeys.aws.aws_files
  - devkeys.aws.shell_exports
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
  platform:
    platforms: posix
options:
  owner:
    description:
      - User (name or uid) whose home holds the default C(~/.aws) files.
    type: str
seealso:
  - module: devkeys.aws.aws_profile
"""

EXAMPLES = r"""
- name: Read the profiles of the current user
  devkeys.aws.aws_profile_info:
  register: aws_files

- name: Does profile dev hold a key pair?
  ansible.builtin.debug:
    msg: "{{ aws_files.profiles.dev.aws_access_key_id | default('none') }} {{ aws_files.profiles.dev.has_secret | default(false) }}"

- name: Which profile do the shell start-up files export?
  devkeys.aws.aws_profile_info:
    shell_files: [~/.bashrc, ~/.zshrc]
  register: aws_files

- name: Read another user's files as root
  devkeys.aws.aws_profile_info:
    owner: alice
  become: true
"""

RETURN = r"""
credentials_file:
  description: Path of the credentials file read.
  returned: always
  type: str
config_file:
  description: Path of the config file read.
  returned: always
  type: str
profiles:
  description:
    - Every profile botocore sees, keyed by name; each maps its non-secret settings (nested blocks as mappings,
      C(aws_access_key_id) included) plus the keys below.
  returned: always
  type: dict
  sample:
    dev:
      region: eu-west-1
      aws_access_key_id: AKIAIOSFODNN7EXAMPLE
      s3: {addressing_style: path}
      has_secret: true
      has_session_token: false
      source: {region: config, s3: config, aws_access_key_id: credentials, aws_secret_access_key: credentials}
  contains:
    has_secret:
      description: Whether C(aws_secret_access_key) is set (non-empty).
      type: bool
    has_session_token:
      description: Whether C(aws_session_token) (or the legacy C(aws_security_token)) is set.
      type: bool
    source:
      description:
        - For each key of the profile (secrets included, by name only), the file botocore takes it from,
          V(config) or V(credentials).
      type: dict
sso_sessions:
  description: C([sso-session NAME]) sections keyed by name.
  returned: always
  type: dict
  sample: {corp: {sso_start_url: "https://example.awsapps.com/start", sso_region: us-east-1}}
services:
  description: C([services NAME]) sections keyed by name, per-service nested blocks as mappings.
  returned: always
  type: dict
  sample: {local: {s3: {endpoint_url: "http://127.0.0.1:9000"}}}
credentials_private:
  description:
    - Whether the credentials file is private, that is missing or with no access for group and others
      (M(devkeys.aws.aws_profile) tightens a looser mode to 0600).
  returned: always
  type: bool
  sample: true
shell_exports:
  description:
    - For each path of O(shell_files) (expanded), the profile its managed block exports.
    - V(null) when the file is missing or holds no managed block; an empty string when it holds a managed block
      that is not exactly one complete block with the single line C(export AWS_PROFILE=<profile>).
  returned: always
  type: dict
  sample: {/home/alice/.bashrc: dev, /home/alice/.zshrc: null}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.devkeys.aws.plugins.module_utils._aws_files import AwsFileError, decode, read_profiles
from ansible_collections.devkeys.aws.plugins.module_utils._file_io import (
    FileIOError,
    SharedFile,
    default_path,
    lookup_owner,
)
from ansible_collections.devkeys.aws.plugins.module_utils._shell_exports import (
    SHELL_EXPORT_OPTIONS,
    read_shell_exports,
)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            credentials_file=dict(type="path"),
            config_file=dict(type="path"),
            owner=dict(type="str"),
            **SHELL_EXPORT_OPTIONS
        ),
        supports_check_mode=True,
    )
    try:
        uid, _gid, home = lookup_owner(module.params["owner"])
    except FileIOError as exc:
        module.fail_json(msg=str(exc))
    credentials_path = default_path(module.params["credentials_file"], home, "AWS_SHARED_CREDENTIALS_FILE",
                                    "credentials")
    config_path = default_path(module.params["config_file"], home, "AWS_CONFIG_FILE", "config")
    files = [SharedFile(credentials_path, uid, private=True), SharedFile(config_path, uid)]
    try:
        try:
            texts = [decode(shared.read(), shared.path) for shared in files]
            credentials_private = files[0].loose_mode() is None
        finally:
            for shared in files:
                shared.close()
        found = read_profiles(texts[0], texts[1], credentials_path, config_path)
        shell_exports = read_shell_exports(module.params["shell_files"], module.params["shell_marker"])
    except (AwsFileError, FileIOError) as exc:
        module.fail_json(msg=str(exc), credentials_file=credentials_path, config_file=config_path)
    for warning in found["warnings"]:
        module.warn(warning)
    module.exit_json(
        changed=False,
        credentials_file=credentials_path,
        config_file=config_path,
        profiles=found["profiles"],
        sso_sessions=found["sso_sessions"],
        services=found["services"],
        shell_exports=shell_exports,
        credentials_private=credentials_private,
    )


if __name__ == "__main__":
    main()
