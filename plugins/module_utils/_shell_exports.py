# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The AWS profile shell start-up files export in a managed block: read it, set it, remove it.

The block is three lines: ``shell_marker`` with BEGIN, ``export AWS_PROFILE=<profile>``,
``shell_marker`` with END (the layout ansible.builtin.blockinfile writes). Options are
documented in the doc fragment devkeys.aws.shell_exports; the return value in aws_profile_info.
"""

import shlex

# Profile names are letters, digits and _-/.%@ (the names aws_profile writes): no shell quoting needed.
from ansible_collections.devkeys.aws.plugins.module_utils._aws_files import NAME_RE as PROFILE_NAME_RE
from ansible_collections.devkeys.aws.plugins.module_utils._aws_files import AwsFileError
from ansible_collections.devkeys.aws.plugins.module_utils._file_io import AS_IS

SHELL_EXPORT_OPTIONS = dict(
    shell_files=dict(type="list", elements="path", default=[]),
    shell_marker=dict(type="str", default="# {mark} devkeys.aws: default AWS profile"),
)


def check_marker(marker):
    """Refuse a marker that is not one line holding {mark} (its BEGIN and END lines would not be found)."""
    if "{mark}" not in marker or marker.splitlines() != [marker]:
        raise AwsFileError("shell_marker", 0, "the marker must be one line holding {mark}", verb="validate")


def _markers(marker):
    return marker.replace("{mark}", "BEGIN"), marker.replace("{mark}", "END")


def shell_export(text, marker):
    """The profile the managed block of a shell start-up file exports: None without a block, "" if unclear."""
    try:
        span = export_block(text, marker, "")
    except AwsFileError:
        return ""
    if span is None:
        return None
    body = text.splitlines()[span[0] + 1:span[1]]
    if len(body) != 1 or not body[0].startswith("export AWS_PROFILE="):
        return ""
    try:
        words = shlex.split(body[0][len("export "):])
    except ValueError:
        return ""
    if len(words) != 1:
        return ""
    return words[0][len("AWS_PROFILE="):]


def read_shell_exports(paths, marker, access=AS_IS):
    """Map each path to shell_export() of its text; a missing file reads as empty (no block: None)."""
    exports = {}
    for path in paths:
        shared = access.shared(path)
        try:
            text = shared.read().decode("utf-8", "replace")
        finally:
            shared.close()
        exports[path] = shell_export(text, marker)
    return exports


def export_block(text, marker, path):
    """(first, last) line index of the managed block of ``text`` (None without one).

    Raises AwsFileError naming the line when the markers are not exactly one
    BEGIN line followed by one END line: which block is meant is then unclear.
    """
    begin, end = _markers(marker)
    found = [(number, line) for number, line in enumerate(text.splitlines()) if line in (begin, end)]
    if not found:
        return None
    for index, (number, line) in enumerate(found):
        if index > 1 or line != (begin, end)[index]:
            break
    else:
        if len(found) == 2:
            return found[0][0], found[1][0]
        number = found[0][0]  # a BEGIN line without END
    raise AwsFileError(path, number + 1, "the block marked %r is not one BEGIN line followed by one END line" % marker,
                       verb="edit")


def block_text(text, marker):
    """The managed block of ``text`` as it stands, for a diff ("" without one; ``text`` holds no broken block)."""
    span = export_block(text, marker, "")
    return "" if span is None else "".join(text.splitlines(True)[span[0]:span[1] + 1])


def set_export(text, marker, profile, path):
    """``text`` with its managed block exporting AWS_PROFILE=``profile``; "" removes the block.

    Lines outside the block keep every byte; a new block goes at the end.
    """
    if profile and not PROFILE_NAME_RE.fullmatch(profile):
        raise AwsFileError("shell_export", 0, "profile name %r may only hold letters, digits and _-/.%%@" % profile,
                           verb="validate")
    begin, end = _markers(marker)
    wanted = "%s\nexport AWS_PROFILE=%s\n%s\n" % (begin, profile, end) if profile else ""
    span = export_block(text, marker, path)
    lines = text.splitlines(True)
    if span is None:
        if not wanted:
            return text
        return text + ("\n" if text and not text.endswith("\n") else "") + wanted
    first, last = span
    return "".join(lines[:first]) + wanted + "".join(lines[last + 1:])
