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
  - Running as root for another account (O(owner) set, or no O(owner) and the files lie in a path that account
    controls, see M(devkeys.aws.aws_profile)'s O(devkeys.aws.aws_profile#module:owner)), the files are read by a
    child process with that account's identity, so the kernel refuses what the account could not read; a file
    with several hard links is refused then.
  - With O(compare), it also tells for each entry whether M(devkeys.aws.aws_profile) with the same options would
    change nothing, planned by the same code.
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
      - User (name or uid) whose home holds the default C(~/.aws) files; when the module runs as root, the files
        are read as this user.
    type: str
  compare:
    description:
      - Profiles or sections to compare with the files, each with the option names of M(devkeys.aws.aws_profile)
        (secrets excluded). The result is RV(compared), in the same order.
      - An entry with O(compare[].aws_access_key_id) is current only if that profile also holds a non-empty
        secret access key (the secret itself is never compared).
    type: list
    elements: dict
    default: []
    version_added: 0.1.0
    suboptions:
      name:
        description: As O(devkeys.aws.aws_profile#module:name).
        type: str
        required: true
      kind:
        description: As O(devkeys.aws.aws_profile#module:kind).
        type: str
        choices: [profile, sso-session, services]
        default: profile
      state:
        description: As O(devkeys.aws.aws_profile#module:state).
        type: str
        choices: [present, absent]
        default: present
      aws_access_key_id:
        description: As O(devkeys.aws.aws_profile#module:aws_access_key_id).
        type: str
      aws_secret_access_key:
        description: Never accepted (an error that does not show the value); listed so that the value is hidden.
        type: str
      aws_session_token:
        description: Never accepted (an error that does not show the value); listed so that the value is hidden.
        type: str
      region:
        description: As O(devkeys.aws.aws_profile#module:region).
        type: str
      output:
        description: As O(devkeys.aws.aws_profile#module:output).
        type: str
      settings:
        description: As O(devkeys.aws.aws_profile#module:settings).
        type: dict
        default: {}
      exclusive:
        description: As O(devkeys.aws.aws_profile#module:exclusive).
        type: bool
        default: false
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

- name: Read another user's files as root (as that user)
  devkeys.aws.aws_profile_info:
    owner: alice
  become: true

- name: Is profile dev already what aws_profile would write?
  devkeys.aws.aws_profile_info:
    compare:
      - name: dev
        aws_access_key_id: AKIAIOSFODNN7EXAMPLE
        region: eu-west-1
      - name: corp
        kind: sso-session
        settings:
          sso_region: us-east-1
  register: aws_files

- name: Write only what is not current
  devkeys.aws.aws_profile:
    name: dev
    aws_access_key_id: AKIAIOSFODNN7EXAMPLE
    aws_secret_access_key: "{{ dev_secret }}"
    region: eu-west-1
  when: not aws_files.compared[0].current
  no_log: true
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
compared:
  description:
    - One entry per item of O(compare), in the same order.
  returned: always
  type: list
  elements: dict
  sample: [{name: dev, kind: profile, current: false, changed_keys: [region], error: null}]
  contains:
    name:
      description: The entry's name.
      type: str
    kind:
      description: The entry's kind.
      type: str
    current:
      description:
        - Whether M(devkeys.aws.aws_profile) with these options would change nothing (and, with an access key ID,
          the profile holds a secret).
      type: bool
    changed_keys:
      description:
        - The keys M(devkeys.aws.aws_profile) would add, change or remove (nested keys as C(block.key)), as its
          RV(devkeys.aws.aws_profile#module:changed_keys); C(aws_secret_access_key) when an access key ID is given
          and the profile holds no secret.
      type: list
      elements: str
    error:
      description: Why M(devkeys.aws.aws_profile) would refuse these options (its error message), else null.
      type: str
shell_exports:
  description:
    - For each path of O(shell_files) (expanded), the profile its managed block exports.
    - V(null) when the file is missing or holds no managed block; an empty string when it holds a managed block
      that is not exactly one complete block with the single line C(export AWS_PROFILE=<profile>).
  returned: always
  type: dict
  sample: {/home/alice/.bashrc: dev, /home/alice/.zshrc: null}
"""

from collections import namedtuple

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.devkeys.aws.plugins.module_utils._aws_files import (
    PROFILE_OPTIONS,
    AwsFileError,
    FilePaths,
    compare_profile,
    decode,
    profile_request,
    read_profiles,
)
from ansible_collections.devkeys.aws.plugins.module_utils._file_io import (
    FileIOError,
    aws_file_paths,
    file_access,
    lookup_account,
    run_as,
)
from ansible_collections.devkeys.aws.plugins.module_utils._shell_exports import (
    SHELL_EXPORT_OPTIONS,
    check_marker,
    read_shell_exports,
)

ARGUMENT_SPEC = dict(
    credentials_file=dict(type="path"),
    config_file=dict(type="path"),
    owner=dict(type="str"),
    # aws_profile's options; the secret ones only to be refused, no_log keeping their values out of every output
    compare=dict(type="list", elements="dict", default=[], options=PROFILE_OPTIONS),
    **SHELL_EXPORT_OPTIONS
)

# One call: ``paths`` (FilePaths), ``shell_files``, ``shell_marker``, ``compare`` (ProfileRequests), ``access``.
Call = namedtuple("Call", "paths shell_files shell_marker compare access")


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    result = dict(changed=False)
    try:
        call = _call(module.params, result)
        found = run_as(call.access.account, read_files, (call,), errors=(AwsFileError,))
    except (AwsFileError, FileIOError) as exc:
        module.fail_json(msg=str(exc), **result)
    for warning in found.pop("warnings"):
        module.warn(warning)
    result.update(found)
    module.exit_json(**result)


def _call(params, result):
    """The Call of these options (paths in ``result`` as soon as they are known)."""
    account = lookup_account(params["owner"]) if params["owner"] is not None else None
    paths = FilePaths(*aws_file_paths(account, params["credentials_file"], params["config_file"]))
    result.update(credentials_file=paths.credentials, config_file=paths.config)
    check_marker(params["shell_marker"])
    compare = [_compare_request(index, entry) for index, entry in enumerate(params["compare"])]
    access = file_access(account, None, list(paths) + params["shell_files"])
    return Call(paths, params["shell_files"], params["shell_marker"], compare, access)


def _compare_request(index, entry):
    for option in ("aws_secret_access_key", "aws_session_token"):
        if entry.get(option) is not None:
            raise AwsFileError("compare[%d]" % index, 0, "%s is never compared (aws_profile_info takes no secret)"
                               % option, "validate")
    return profile_request(entry)


def read_files(call):
    """Read both files (and the shell start-up files): what botocore reads, secrets replaced, and the
    comparisons; JSON-able, as run_as runs it."""
    files = [call.access.shared(call.paths.credentials, private=True), call.access.shared(call.paths.config)]
    try:
        texts = [decode(shared.read(), shared.path) for shared in files]
        credentials_private = files[0].loose_mode() is None
    finally:
        for shared in files:
            shared.close()
    found = read_profiles(texts[0], texts[1], call.paths.credentials, call.paths.config)
    found["compared"] = [compare_profile(request, texts[0], texts[1], found["profiles"], call.paths)
                         for request in call.compare]
    found["shell_exports"] = read_shell_exports(call.shell_files, call.shell_marker, call.access)
    found["credentials_private"] = credentials_private
    return found


if __name__ == "__main__":
    main()
