#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: devkeys.aws contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: aws_profile
short_description: Edit one profile of ~/.aws/credentials and ~/.aws/config exactly as botocore reads them
version_added: 0.1.0
description:
  - Sets or removes one profile (or one C([sso-session NAME]) / C([services NAME]) section) in the AWS shared
    credentials and config files, the way C(aws configure set) should.
  - Credentials (O(aws_access_key_id), O(aws_secret_access_key), O(aws_session_token)) go to the credentials
    file under C([NAME]); everything else goes to the config file under C([profile NAME]) (C([default]) for
    the default profile; an existing C([profile default]) is edited in place).
  - "Lossless: every byte of the lines it does not change stays as it was (comments, blank lines, order,
    spacing, CRLF line endings, nested C(s3 =) blocks, other profiles, unknown sections). New lines are
    written as C(key = value) in the file's own line ending; a new section is appended at the end."
  - Keys match case-insensitively at the top level of the section (as botocore reads them); keys of nested
    blocks match exactly and are edited inside their block.
  - A value that botocore already reads as wanted is no change, and the file is not rewritten (same mtime).
  - "Refuses to write, leaving the files byte-identical, with an error naming file and line: where botocore
    would fail to read the file (duplicate section or key, a line without separator, a key before the first
    header, a UTF-8 byte order mark, invalid UTF-8, a nested line without C(=)); where botocore and the Java SDK
    would read the target differently (both C([default]) and C([profile default]); C([profile foo]) and
    C([profile \"foo\"]); a quoted or oddly spaced header); where the target section has an indented line that
    continues a plain value (almost always a mis-indented key)."
  - Names, keys and values are validated, not escaped; see O(name), O(settings).
  - Writing locks C(.credentials.lock) then C(.config.lock) (C(flock), created 0600 next to each file) around
    the whole read-modify-write, so parallel tasks on one host lose no update. The new content is written to a
    temporary file in the same directory, created 0600, given its mode and owner, synced, then renamed over the
    file; no temporary file is left behind on failure. A missing directory is created 0700.
  - The credentials file is never looser than 0600 after a call with O(kind=profile) (a looser mode is tightened
    with a warning, and the call reports a change, also when no setting changed); the mode of an existing config
    file is kept; new files are 0600.
  - "Symlinks: when the module runs as root with O(owner) set to another user, a symlinked file or directory is
    followed only if the link target and the target's directory are owned by that user, the real directory must
    be owned by that user or root, and a file with several hard links (or that is not a regular file) is refused,
    so a link planted by that user never makes the module read, write or chown a file the user could not.
    Otherwise links are followed (the file behind the link is replaced, the link stays)."
  - "A long-term access key (not C(ASIA...)) set on a profile that holds a session token removes the token in the
    same write; a temporary C(ASIA...) key requires O(aws_session_token)."
  - Secret values never appear in results, diffs, warnings or logs, also at C(-vvvv); the diff shows
    C(<secret changed>) or C(<secret unchanged>) instead.
  - With O(shell_files), it also reports which AWS profile each shell start-up file exports, as
    M(devkeys.aws.aws_profile_info) does, and with O(shell_export) sets or removes that export.
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
    support: full
    details: Before and after text of each changed section, headed by the file path; secret values replaced.
  platform:
    platforms: posix
options:
  name:
    description:
      - Name of the profile, SSO session or services section. V(default) is the default profile.
      - Letters, digits and C(_-/.%@) only (the names every AWS SDK reads the same way).
    type: str
    required: true
    aliases: [profile]
  kind:
    description:
      - What O(name) names. V(profile) edits C([NAME]) in the credentials file and C([profile NAME]) in the config
        file; V(sso-session) edits C([sso-session NAME]) and V(services) edits C([services NAME]) in the config
        file, with O(settings) only.
    type: str
    choices: [profile, sso-session, services]
    default: profile
  state:
    description:
      - V(present) sets the given keys. V(absent) removes the sections of O(name) from both files (every section
        botocore reads as that profile), nothing else.
    type: str
    choices: [present, absent]
    default: present
  aws_access_key_id:
    description:
      - Access key ID written to the credentials file (16 to 128 letters, digits or C(_)).
    type: str
  aws_secret_access_key:
    description:
      - Secret access key written to the credentials file. Never shown in results or diffs.
      - Any non-empty value without whitespace or control characters.
    type: str
  aws_session_token:
    description:
      - Session token written to the credentials file; required with a temporary C(ASIA...) key.
    type: str
  region:
    description: Default region of the profile (config file).
    type: str
  output:
    description: Default output format of the profile (config file), for example V(json).
    type: str
  settings:
    description:
      - Any other config keys of the section, for example C(role_arn), C(source_profile), C(mfa_serial),
        C(duration_seconds), C(sso_session), C(credential_process), C(sso_start_url), C(sso_region),
        C(sso_registration_scopes).
      - "A mapping value is a nested block, for example C(s3: {addressing_style: path}), edited inside the block."
      - A V(null) value removes that key (or nested key).
      - Keys are lower-case letters, digits and C(_). Values are strings (numbers and booleans are converted)
        without line breaks, control characters, leading or trailing whitespace, or C(#)/C(;) at the start or
        after whitespace (the Java SDK reads those as comments). Bad values are errors, never escaped.
      - Secrets cannot be set here; use O(aws_secret_access_key) and O(aws_session_token).
    type: dict
    default: {}
  exclusive:
    description:
      - Also remove the keys of this section that the call does not name (in both files for V(profile)); the keys
        of a nested block given in O(settings) are then exactly the given ones.
    type: bool
    default: false
  owner:
    description:
      - User (name or uid) that owns the written files and a newly created directory.
      - When the module runs as root and this is another user, the symlink rule above applies.
      - Default paths are then in this user's home.
    type: str
  group:
    description:
      - Group (name or gid) of the written files and a newly created directory; defaults to the primary group of
        O(owner) when O(owner) is set.
    type: str
  shell_export:
    description:
      - Make each of O(shell_files) export C(AWS_PROFILE=<this value>) in the block marked with O(shell_marker)
        (the three-line block M(ansible.builtin.blockinfile) writes, appended to a file that has none), or remove
        that block when empty. Every byte outside the block stays as it was; a file is replaced atomically and
        keeps its mode; a missing file is created (0600) only to add a block.
      - Independent of O(name) and O(state); usually the profile shell sessions should use.
      - A file whose managed block is broken (a marker without its pair, or twice) is an error naming the file and
        line. The shell files are checked before and written before the AWS files, so an error leaves every file as
        it was.
      - Not set, the shell files are only read.
    type: str
  backup:
    description:
      - Keep a timestamped copy (C(<file>.<date>@<time>~), mode 0600) of each file before changing it.
    type: bool
    default: false
seealso:
  - module: devkeys.aws.aws_profile_info
  - name: AWS CLI configuration and credential file settings
    description: The file formats.
    link: https://docs.aws.amazon.com/cli/latest/userguide/cli-configure-files.html
"""

EXAMPLES = r"""
- name: Region and output for the default profile
  devkeys.aws.aws_profile:
    name: default
    region: eu-west-1
    output: json

- name: A key pair in a named profile (the secret is never shown)
  devkeys.aws.aws_profile:
    name: dev
    aws_access_key_id: "{{ new_key.access_key_id }}"
    aws_secret_access_key: "{{ new_key.secret_access_key }}"
    region: eu-west-1
  no_log: true

- name: A role profile with a nested s3 block, removing an old key
  devkeys.aws.aws_profile:
    name: admin
    settings:
      role_arn: arn:aws:iam::123456789012:role/admin
      source_profile: dev
      mfa_serial: null
      s3:
        addressing_style: path

- name: An SSO session
  devkeys.aws.aws_profile:
    name: corp
    kind: sso-session
    settings:
      sso_start_url: https://example.awsapps.com/start
      sso_region: us-east-1
      sso_registration_scopes: sso:account:access

- name: Exactly these keys and nothing else in profile ci
  devkeys.aws.aws_profile:
    name: ci
    region: us-east-1
    exclusive: true

- name: Provision another user's files as root
  devkeys.aws.aws_profile:
    name: default
    region: eu-central-1
    owner: alice
  become: true

- name: Remove a profile from both files
  devkeys.aws.aws_profile:
    name: old
    state: absent
    backup: true
"""

RETURN = r"""
profile:
  description: The name of the profile or section.
  returned: always
  type: str
  sample: dev
credentials_file:
  description: Path of the credentials file.
  returned: always
  type: str
  sample: /home/alice/.aws/credentials
config_file:
  description: Path of the config file.
  returned: always
  type: str
  sample: /home/alice/.aws/config
changed_keys:
  description:
    - Names of the keys that changed (nested keys as C(block.key)), never values.
    - With O(state=absent), the keys of the removed sections.
  returned: always
  type: list
  elements: str
  sample: [aws_access_key_id, aws_secret_access_key, region, s3.addressing_style]
changes:
  description: Each change, without values.
  returned: always
  type: list
  elements: dict
  contains:
    file:
      description: Path of the file.
      type: str
    section:
      description: Section name as in the header, for example C(profile dev).
      type: str
    key:
      description: Key name; null when an empty section was removed.
      type: str
    action:
      description: V(added), V(changed) or V(removed).
      type: str
  sample: [{file: /home/alice/.aws/config, section: profile dev, key: region, action: changed}]
access_key_id:
  description: The access key ID set by this call.
  returned: when O(aws_access_key_id) is set
  type: str
  sample: AKIAIOSFODNN7EXAMPLE
backup_files:
  description: Paths of the backup copies made.
  returned: always
  type: list
  elements: str
shell_exports:
  description:
    - For each path of O(shell_files) (expanded), the profile its managed block exports after this call, as
      RV(devkeys.aws.aws_profile_info#module:shell_exports).
  returned: when O(shell_files) is set
  type: dict
  sample: {/home/alice/.bashrc: dev, /home/alice/.zshrc: null}
warnings:
  description:
    - Traps found in the files, for example a C([DEFAULT]) section (its keys leak into every profile),
      C([profile x]) in the credentials file (a profile literally named C(profile x)), or a credentials file
      mode looser than 0600 that was tightened.
  returned: when there are any
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.devkeys.aws.plugins.module_utils._aws_files import (
    AwsFileError,
    decode,
    plan_profile,
)
from ansible_collections.devkeys.aws.plugins.module_utils._file_io import (
    FileIOError,
    SharedFile,
    default_path,
    lookup_owner,
)
from ansible_collections.devkeys.aws.plugins.module_utils._shell_exports import (
    SHELL_EXPORT_OPTIONS,
    block_text,
    read_shell_exports,
    set_export,
)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type="str", required=True, aliases=["profile"]),
            kind=dict(type="str", default="profile", choices=["profile", "sso-session", "services"]),
            state=dict(type="str", default="present", choices=["present", "absent"]),
            aws_access_key_id=dict(type="str", no_log=False),
            aws_secret_access_key=dict(type="str", no_log=True),
            aws_session_token=dict(type="str", no_log=True),
            region=dict(type="str"),
            output=dict(type="str"),
            settings=dict(type="dict", default={}),
            exclusive=dict(type="bool", default=False),
            credentials_file=dict(type="path"),
            config_file=dict(type="path"),
            owner=dict(type="str"),
            group=dict(type="str"),
            backup=dict(type="bool", default=False),
            shell_export=dict(type="str"),
            **SHELL_EXPORT_OPTIONS
        ),
        supports_check_mode=True,
    )
    params = module.params
    try:
        uid, gid, home = lookup_owner(params["owner"], params["group"])
    except FileIOError as exc:
        module.fail_json(msg=str(exc))
    credentials_path = default_path(params["credentials_file"], home, "AWS_SHARED_CREDENTIALS_FILE", "credentials")
    config_path = default_path(params["config_file"], home, "AWS_CONFIG_FILE", "config")
    credentials = dict((key, params[key]) for key in
                       ("aws_access_key_id", "aws_secret_access_key", "aws_session_token") if params[key] is not None)
    settings = dict((key, params[key]) for key in ("region", "output") if params[key] is not None)
    for key, value in (params["settings"] or {}).items():
        settings.setdefault(key, value)
    uses_credentials = params["kind"] == "profile" and bool(
        credentials or params["exclusive"] or params["state"] == "absent")
    files = [SharedFile(credentials_path, uid, gid, private=True)] if uses_credentials else []
    files.append(SharedFile(config_path, uid, gid))
    # A profile call keeps the credentials file private even when it does not edit it (mode only).
    mode_guard = SharedFile(credentials_path, uid, gid, private=True) if (
        params["kind"] == "profile" and not uses_credentials) else None
    result = dict(changed=False, profile=params["name"], credentials_file=credentials_path,
                  config_file=config_path, changed_keys=[], changes=[], backup_files=[])
    if "aws_access_key_id" in credentials:
        result["access_key_id"] = credentials["aws_access_key_id"]

    def plan(originals):
        texts = [decode(data, shared.path) for data, shared in zip(originals, files)]
        credentials_text = texts[0] if uses_credentials else None
        return plan_profile(
            credentials_text, texts[-1], params["name"], credentials=credentials, settings=settings,
            kind=params["kind"], state=params["state"], exclusive=params["exclusive"],
            credentials_path=credentials_path, config_path=config_path)

    tightened = False
    shell_files = [SharedFile(path, uid, gid) for path in params["shell_files"]] if params["shell_export"] is not None else []
    shell_edits = []
    try:
        try:
            for shared in shell_files:
                data = shared.read()
                text = data.decode("utf-8", "surrogateescape")
                new_text = set_export(text, params["shell_marker"], params["shell_export"], shared.path)
                shell_edits.append((shared, data, text, new_text))
            originals = [shared.read() for shared in files]
            outcome = plan(originals)
            stale = any(shared.has_stale_temps() for shared in files)
            loose = [shared for shared in files + [mode_guard] if shared and shared.loose_mode() is not None]
            if not module.check_mode:
                for shared, data, text, new_text in shell_edits:
                    if new_text != text:
                        if params["backup"] and data:
                            result["backup_files"].append(shared.backup(data))
                        shared.write(new_text.encode("utf-8", "surrogateescape"))
            if (outcome.changes or stale or loose) and not module.check_mode:
                # decided without the lock; now lock (credentials, then config; locking removes temp
                # files a killed writer left), re-read and decide again
                for shared in ([mode_guard] if mode_guard in loose else []) + files:
                    shared.lock()
                originals = [shared.read() for shared in files]
                outcome = plan(originals)
                new_texts = ([outcome.credentials_text] if uses_credentials else []) + [outcome.config_text]
                for shared, original, text in zip(files, originals, new_texts):
                    data = text.encode("utf-8")
                    if data == original:
                        tightened = shared.tighten() or tightened
                        continue
                    if params["backup"] and original:
                        result["backup_files"].append(shared.backup(original))
                    shared.write(data)
                if mode_guard in loose:
                    tightened = mode_guard.tighten() or tightened
        finally:
            for shared in files + [mode_guard] + shell_files:
                if shared:
                    shared.close()
        if shell_edits:
            # set_export leaves exactly the wanted block, or none
            result["shell_exports"] = dict((shared.path, params["shell_export"] or None) for shared in shell_files)
        elif params["shell_files"]:
            result["shell_exports"] = read_shell_exports(params["shell_files"], params["shell_marker"])
    except (AwsFileError, FileIOError) as exc:
        module.fail_json(msg=str(exc), **result)

    for warning in outcome.warnings + [w for shared in files + [mode_guard] if shared for w in shared.warnings]:
        module.warn(warning)
    shell_changes = [(shared.path, text, new_text) for shared, _data, text, new_text in shell_edits if new_text != text]
    result["changed"] = bool(outcome.changes or shell_changes) or tightened or bool(loose and module.check_mode)
    result["changes"] = [dict(file=path, section=section, key=key, action=action)
                         for path, section, key, action in outcome.changes]
    keys = []
    for _path, _section, key, _action in outcome.changes:
        if key is not None and key not in keys:
            keys.append(key)
    result["changed_keys"] = keys
    diffs = outcome.diffs + [
        dict(before_header=path, after_header=path, before=block_text(text, params["shell_marker"]),
             after=block_text(new_text, params["shell_marker"]))
        for path, text, new_text in shell_changes]
    if module._diff and diffs:
        result["diff"] = diffs
    module.exit_json(**result)


if __name__ == "__main__":
    main()
