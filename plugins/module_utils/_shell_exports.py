# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which AWS profile the shell start-up files export in the block the workstation role manages.

Options documented in the doc fragment devkeys.aws.shell_exports; the return value in aws_profile_info.
"""

import shlex

from ansible_collections.devkeys.aws.plugins.module_utils._file_io import SharedFile

SHELL_EXPORT_OPTIONS = dict(
    shell_files=dict(type="list", elements="path", default=[]),
    shell_marker=dict(type="str", default="# {mark} devkeys.aws: default AWS profile"),
)


def shell_export(text, marker):
    """The profile the managed block of a shell start-up file exports: None without a block, "" if unclear."""
    lines = text.splitlines()
    begin, end = marker.replace("{mark}", "BEGIN"), marker.replace("{mark}", "END")
    if begin not in lines and end not in lines:
        return None
    if lines.count(begin) != 1 or lines.count(end) != 1:
        return ""
    body = lines[lines.index(begin) + 1:lines.index(end)]
    if len(body) != 1 or not body[0].startswith("export AWS_PROFILE="):
        return ""
    try:
        words = shlex.split(body[0][len("export "):])
    except ValueError:
        return ""
    if len(words) != 1:
        return ""
    return words[0][len("AWS_PROFILE="):]


def read_shell_exports(paths, marker):
    """Map each path to shell_export() of its text; a missing file reads as empty (no block: None)."""
    exports = {}
    for path in paths:
        shared = SharedFile(path)
        try:
            text = shared.read().decode("utf-8", "replace")
        finally:
            shared.close()
        exports[path] = shell_export(text, marker)
    return exports
