"""Table-driven tests of the managed AWS_PROFILE block of shell start-up files (module_utils/_shell_exports.py)."""

import pytest

from ansible_collections.devkeys.aws.plugins.module_utils._aws_files import AwsFileError
from ansible_collections.devkeys.aws.plugins.module_utils._shell_exports import block_text, set_export, shell_export

MARKER = "# {mark} devkeys.aws: default AWS profile"
BEGIN = "# BEGIN devkeys.aws: default AWS profile\n"
END = "# END devkeys.aws: default AWS profile\n"


def block(profile):
    return BEGIN + "export AWS_PROFILE=%s\n" % profile + END


@pytest.mark.parametrize("text, profile, expected", [
    ("", "dev", block("dev")),
    ("", "", ""),
    ("alias ll='ls -l'\n", "dev", "alias ll='ls -l'\n" + block("dev")),
    ("alias ll='ls -l'", "dev", "alias ll='ls -l'\n" + block("dev")),  # a last line without newline is ended
    ("alias ll='ls -l'\r\n", "", "alias ll='ls -l'\r\n"),
    ("a\n" + block("old") + "b\n", "dev", "a\n" + block("dev") + "b\n"),
    ("a\n" + block("old") + "b\n", "", "a\nb\n"),
    ("a\r\n" + block("dev") + "\tb \r\n", "dev", "a\r\n" + block("dev") + "\tb \r\n"),
    (BEGIN + "export AWS_PROFILE=old\nexport X=1\n" + END, "team", block("team")),  # the whole block is replaced
    (BEGIN + END.rstrip("\n"), "", ""),
    ("x\n" + BEGIN + END.rstrip("\n"), "p.1@x/y-z_%", "x\n" + block("p.1@x/y-z_%")),
])
def test_set_export_changes_only_the_block(text, profile, expected):
    new = set_export(text, MARKER, profile, "/home/alice/.bashrc")
    assert new == expected
    assert shell_export(new, MARKER) == (profile or None)
    assert set_export(new, MARKER, profile, "/home/alice/.bashrc") == new  # idempotent


@pytest.mark.parametrize("text, line", [
    (BEGIN + "export AWS_PROFILE=a\n", 1),
    ("x\n" + END, 2),
    (END + BEGIN, 1),
    (block("a") + block("b"), 4),
    ("x\n" + BEGIN + BEGIN + END, 3),
    (BEGIN + END + END, 3),
])
def test_a_broken_block_is_refused_naming_the_line(text, line):
    with pytest.raises(AwsFileError) as error:
        set_export(text, MARKER, "dev", "/home/alice/.bashrc")
    assert error.value.line == line
    assert str(error.value).startswith("Failed to edit /home/alice/.bashrc line %d: the block marked " % line)


@pytest.mark.parametrize("profile", ["two words", "a;b", "$(id)", "x\ny", "'q'"])
def test_a_profile_name_the_shell_would_read_otherwise_is_refused(profile):
    with pytest.raises(AwsFileError, match="^Failed to validate shell_export: profile name"):
        set_export("", MARKER, profile, "/home/alice/.bashrc")


@pytest.mark.parametrize("text, expected", [
    ("a\n" + block("dev") + "b\n", block("dev")),
    ("a\r\n" + BEGIN.replace("\n", "\r\n") + "export AWS_PROFILE=x\r\n" + END, BEGIN.replace("\n", "\r\n")
     + "export AWS_PROFILE=x\r\n" + END),
    ("a\nb\n", ""),
    ("", ""),
])
def test_block_text_is_the_block_as_it_stands(text, expected):
    assert block_text(text, MARKER) == expected


@pytest.mark.parametrize("profile", ["dev\n", "dev\r\n"])
def test_a_trailing_newline_in_the_exported_profile_is_refused(profile):
    """Issue 12 item 8. Fails on 064b0bc: "dev\\n" passed the name pattern and the block got an empty line."""
    with pytest.raises(AwsFileError, match="^Failed to validate shell_export: profile name"):
        set_export("", MARKER, profile, "/home/alice/.bashrc")
