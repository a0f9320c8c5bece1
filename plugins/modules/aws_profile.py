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
    the whole read-modify-write, so parallel tasks on one host lose no update. A lock file is created with
    C(O_EXCL|O_NOFOLLOW); an existing one is used only if it is a regular file with one link owned by the account
    the module works as. The new content is written to a temporary file in the same directory, created 0600 with
    C(O_EXCL|O_NOFOLLOW), given its mode and owner on its descriptor, synced, then renamed over the file; no
    temporary file is left behind on failure. A missing directory is created 0700, one level at a time, and never
    followed if a link is swapped in for it.
  - The credentials file is never looser than 0600 after a call with O(kind=profile) (a looser mode is tightened
    with a warning, and the call reports a change, also when no setting changed); the mode of an existing config
    file is kept; new files are 0600.
  - "Running as root for another account (O(owner) set, or no O(owner) and the files lie in a path that account
    controls), every file operation (read, lock, directory, temporary file, mode change, rename, backup, the shell
    start-up files) runs in a child process that has the account's identity (its groups, gid and uid), so the
    kernel refuses whatever the account could not do itself: a link or hard link that account planted never makes
    the module read, write, chmod or chown a file outside its reach. A file with several hard links is refused
    then. A missing or root-owned home fails with an error naming the path; the module never falls back to
    root's rights. See O(owner) and the security notes of the collection (C(docs/security.md))."
  - Links are followed as the account working would follow them (the file behind the link is replaced, the link
    stays).
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
      - User (name or uid) the files belong to. Default paths are then in this user's home.
      - When the module runs as root and this is another user, all file work runs with that user's identity (see
        above), so written files and new directories are that user's because that user makes them.
      - "When not set and the module runs as root, the account that controls the paths is used the same way: the
        non-root owner of the path components (each lstat'ed from C(/) down, links followed, each link counted).
        None: root's own files, worked on as root. Two or more, or a directory on the way that other accounts may
        write into without the sticky bit: an error asking for O(owner)."
    type: str
  group:
    description:
      - Group (name or gid) of the written files and a newly created directory; without it they get the primary
        group of the account the files belong to.
      - When the module works as another account, that account must be a member of this group.
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

from collections import namedtuple

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.devkeys.aws.plugins.module_utils._aws_files import (
    PROFILE_OPTIONS,
    AwsFileError,
    FilePaths,
    changed_keys,
    decode,
    plan_profile,
    profile_request,
    uses_credentials,
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
    block_text,
    check_marker,
    read_shell_exports,
    set_export,
)

ARGUMENT_SPEC = dict(
    PROFILE_OPTIONS,
    name=dict(PROFILE_OPTIONS["name"], aliases=["profile"]),
    credentials_file=dict(type="path"),
    config_file=dict(type="path"),
    owner=dict(type="str"),
    group=dict(type="str"),
    backup=dict(type="bool", default=False),
    shell_export=dict(type="str"),
    **SHELL_EXPORT_OPTIONS
)

# One call: ``request`` (a ProfileRequest), ``paths`` (FilePaths), ``shell_files``/``shell_marker``/
# ``shell_export`` as the options, ``access`` (who works on the files, see _file_io), ``backup``, ``check_mode``.
Call = namedtuple("Call", "request paths shell_files shell_marker shell_export access backup check_mode")


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    params = module.params
    result = dict(changed=False, profile=params["name"], changed_keys=[], changes=[], backup_files=[])
    if params["aws_access_key_id"] is not None:
        result["access_key_id"] = params["aws_access_key_id"]
    try:
        call = _call(params, module.check_mode, result)
        report = run_as(call.access.account, converge, (call,), errors=(AwsFileError,))
    except (AwsFileError, FileIOError) as exc:
        module.fail_json(msg=str(exc), **result)
    _finish(module, call, report, result)


def _call(params, check_mode, result):
    """The Call of these options (paths in ``result`` as soon as they are known)."""
    account = lookup_account(params["owner"]) if params["owner"] is not None else None
    paths = FilePaths(*aws_file_paths(account, params["credentials_file"], params["config_file"]))
    result.update(credentials_file=paths.credentials, config_file=paths.config)
    check_marker(params["shell_marker"])
    access = file_access(account, params["group"], list(paths) + params["shell_files"])
    return Call(profile_request(params), paths, params["shell_files"], params["shell_marker"],
                params["shell_export"], access, params["backup"], check_mode)


def converge(call):
    """Read, plan and (unless in check mode) write: all the file work of one call, as run_as runs it.

    Returns a JSON-able report (never a secret): changes, warnings, diffs, backup_files, tightened, loose,
    shell_changes [(path, block before, block after)], shell_exports, and error (the message of a failure).
    """
    report = dict(changes=[], warnings=[], diffs=[], backup_files=[], tightened=False, loose=False,
                  shell_changes=[], shell_exports=None, error=None)
    files = _Files(call)
    try:
        _converge_files(call, files, report)
    except (AwsFileError, FileIOError) as exc:
        report["error"] = str(exc)
    finally:
        files.close()
    report["warnings"].extend(warning for shared in files.every() for warning in shared.warnings)
    return report


class _Files(object):
    """The files of one call: ``aws`` (credentials when used, then config), ``guard`` (the credentials file
    a profile call only keeps private), ``shells`` (shell start-up files to edit)."""

    def __init__(self, call):
        access = call.access
        self.uses_credentials = uses_credentials(call.request)
        self.aws = [access.shared(call.paths.credentials, private=True)] if self.uses_credentials else []
        self.aws.append(access.shared(call.paths.config))
        self.guard = [access.shared(call.paths.credentials, private=True)] if (
            call.request.kind == "profile" and not self.uses_credentials) else []
        self.shells = [access.shared(path) for path in call.shell_files] if call.shell_export is not None else []

    def every(self):
        return self.aws + self.guard + self.shells

    def close(self):
        for shared in self.every():
            shared.close()

    def plan(self, call, originals):
        texts = [decode(data, shared.path) for data, shared in zip(originals, self.aws)]
        return plan_profile(call.request, texts[0] if self.uses_credentials else None, texts[-1], call.paths)


def _converge_files(call, files, report):
    shell_edits = [_shell_edit(call, shared) for shared in files.shells]  # every block checked before a write
    outcome = files.plan(call, [shared.read() for shared in files.aws])
    stale = any(shared.has_stale_temps() for shared in files.aws)
    loose = [shared for shared in files.aws + files.guard if shared.loose_mode() is not None]
    report["loose"] = bool(loose)
    if not call.check_mode:
        _write_shell_files(call, shell_edits, report)
        if outcome.changes or stale or loose:
            outcome = _write_locked(call, files, [shared for shared in files.guard if shared in loose], report)
    report["changes"] = outcome.changes
    report["warnings"].extend(outcome.warnings)
    report["diffs"] = outcome.diffs
    report["shell_changes"] = [(shared.path, block_text(text, call.shell_marker), block_text(new, call.shell_marker))
                               for shared, _data, text, new in shell_edits if new != text]
    if shell_edits:  # set_export leaves exactly the wanted block, or none
        report["shell_exports"] = dict((shared.path, call.shell_export or None) for shared in files.shells)
    elif call.shell_files:
        report["shell_exports"] = read_shell_exports(call.shell_files, call.shell_marker, call.access)


def _shell_edit(call, shared):
    data = shared.read()
    text = data.decode("utf-8", "surrogateescape")
    return shared, data, text, set_export(text, call.shell_marker, call.shell_export, shared.path)


def _write_shell_files(call, shell_edits, report):
    for shared, data, text, new_text in shell_edits:
        if new_text != text:
            if call.backup and data:
                report["backup_files"].append(shared.backup(data))
            shared.write(new_text.encode("utf-8", "surrogateescape"))


def _write_locked(call, files, loose_guard, report):
    """Lock (credentials, then config; locking removes temp files a killed writer left), read and plan again,
    keep the credentials file private (before any write: a refusal leaves every file as it was), write."""
    for shared in loose_guard + files.aws:
        shared.lock()
    originals = [shared.read() for shared in files.aws]
    outcome = files.plan(call, originals)
    for shared in loose_guard:
        report["tightened"] = shared.tighten() or report["tightened"]
    new_texts = ([outcome.credentials_text] if files.uses_credentials else []) + [outcome.config_text]
    for shared, original, text in zip(files.aws, originals, new_texts):
        data = text.encode("utf-8")
        if data == original:
            report["tightened"] = shared.tighten() or report["tightened"]
            continue
        if call.backup and original:
            report["backup_files"].append(shared.backup(original))
        shared.write(data)
    return outcome


def _finish(module, call, report, result):
    result["backup_files"] = report["backup_files"]
    if report["error"]:
        module.fail_json(msg=report["error"], **result)
    for warning in report["warnings"]:
        module.warn(warning)
    result["changed"] = bool(report["changes"] or report["shell_changes"] or report["tightened"]
                             or (report["loose"] and call.check_mode))
    result["changes"] = [dict(file=path, section=section, key=key, action=action)
                         for path, section, key, action in report["changes"]]
    result["changed_keys"] = changed_keys(report["changes"])
    if report["shell_exports"] is not None:
        result["shell_exports"] = report["shell_exports"]
    diffs = report["diffs"] + [dict(before_header=path, after_header=path, before=before, after=after)
                               for path, before, after in report["shell_changes"]]
    if module._diff and diffs:
        result["diff"] = diffs
    module.exit_json(**result)


if __name__ == "__main__":
    main()
