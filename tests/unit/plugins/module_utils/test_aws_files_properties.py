"""Hypothesis properties of module_utils/_aws_files.py with botocore as the oracle."""

import tempfile

import pytest

from botocore.configloader import raw_config_parse
from botocore.exceptions import ConfigParseError
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ansible_collections.devkeys.aws.plugins.module_utils import _aws_files as aws_files
from ansible_collections.devkeys.aws.plugins.module_utils._aws_files import AwsFileError

NAMES = st.sampled_from(["default", "dev", "prod", "a.b", "x-1", "ci/us", "p@q"])
KEYS = st.sampled_from(["region", "output", "role_arn", "source_profile", "mfa_serial", "s3", "x_1"])
SUBKEYS = st.sampled_from(["addressing_style", "max_concurrent_requests", "endpoint_url"])
VALUES = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9:/._=#-]{0,12}", fullmatch=True).filter(
    lambda v: "#" not in v or not v.startswith("#"))
KEY_STYLES = st.sampled_from(["{k} = {v}", "{k}={v}", "{K}: {v}", "{k}   =   {v}  "])
EXTRAS = st.sampled_from(["", "# a comment", "; another", "", "   # indented comment"])
NEWLINES = st.sampled_from(["\n", "\r\n", "\r"])


def oracle(text):
    with tempfile.NamedTemporaryFile("wb", suffix=".ini") as handle:
        handle.write(text.encode("utf-8"))
        handle.flush()
        return raw_config_parse(handle.name)


@st.composite
def section_bodies(draw):
    lines = []
    for key in draw(st.lists(KEYS, unique=True, max_size=4)):
        if draw(st.booleans()) and key == "s3":
            lines.append("s3 =")
            for sub in draw(st.lists(SUBKEYS, unique=True, min_size=1, max_size=2)):
                lines.append("  %s = %s" % (sub, draw(VALUES)))
        else:
            lines.append(draw(KEY_STYLES).format(k=key, K=key.upper(), v=draw(VALUES)))
        extra = draw(EXTRAS)
        if extra:
            lines.append(extra)
    return lines


@st.composite
def config_files(draw):
    newline = draw(NEWLINES)
    lines = [draw(EXTRAS)]
    for name in draw(st.lists(NAMES, unique=True, max_size=5)):
        header = "default" if name == "default" else "profile " + name
        lines.append("[%s]" % header)
        lines.extend(draw(section_bodies()))
        lines.append(draw(EXTRAS))
    if draw(st.booleans()):
        lines += ["[sso-session corp]", "sso_region = us-east-1"]
    return newline.join(lines) + draw(st.sampled_from(["", newline]))


@st.composite
def edits(draw):
    values = {}
    for key in draw(st.lists(KEYS, unique=True, max_size=3)):
        choice = draw(st.integers(0, 2))
        if choice == 0:
            values[key] = None
        elif choice == 1 or key != "s3":
            values[key] = draw(VALUES)
        else:
            values[key] = {sub: draw(st.one_of(st.none(), VALUES))
                           for sub in draw(st.lists(SUBKEYS, unique=True, min_size=1, max_size=2))}
    return values


def section_of(parsed, name):
    return parsed.get("default" if name == "default" else "profile " + name, {})


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=config_files(), name=NAMES, values=edits(), exclusive=st.booleans())
def test_botocore_reads_exactly_the_intended_values(text, name, values, exclusive):
    before = oracle(text)
    edit = aws_files.edit_file(text, "config", name, values, aws_files.EditOptions(exclusive=exclusive), path="config")
    after = oracle(edit.text)
    got = section_of(after, name)
    old = section_of(before, name)
    for key, value in values.items():
        if value is None:
            assert key not in got
        elif isinstance(value, dict):
            wanted = {k: v for k, v in value.items() if v is not None}
            block = got.get(key, {})
            if wanted or key in got:
                if isinstance(old.get(key), dict) and not exclusive:
                    expected = dict(old[key])
                    expected.update(wanted)
                    for sub, sub_value in value.items():
                        if sub_value is None:
                            expected.pop(sub, None)
                    assert block == (expected or "")
                elif not wanted and not isinstance(old.get(key), dict):
                    # only sub-keys to remove, and the key holds no nested block: nothing to remove
                    assert block == old[key]
                else:
                    assert block == wanted
        else:
            assert got[key] == value
    for key, value in old.items():
        if key not in values:
            assert (key not in got) if exclusive else got[key] == value
    # every other section reads the same
    for section in set(before) | set(after):
        if section != ("default" if name == "default" else "profile " + name):
            assert before.get(section) == after.get(section)
    # same edit twice: no change, same text
    again = aws_files.edit_file(edit.text, "config", name, values, aws_files.EditOptions(exclusive=exclusive),
                                path="config")
    assert again.changes == [] and again.text == edit.text


@settings(max_examples=150, deadline=None)
@given(text=config_files(), name=NAMES, values=edits())
def test_untouched_sections_are_byte_identical(text, name, values):
    edit = aws_files.edit_file(text, "config", name, values, path="config")
    doc = aws_files.parse(text, "config")
    new_doc = aws_files.parse(edit.text, "config")
    target = "default" if name == "default" else "profile " + name
    for position, raw in enumerate(doc.names):
        if raw == target:
            continue
        old_section = text[doc.offset(position):doc.section_end(position)]
        new_position = new_doc.names.index(raw)
        new_section = edit.text[new_doc.offset(new_position):new_doc.section_end(new_position)]
        if doc.section_end(position) == len(text):
            # the last section may gain the line ending (and blank line) before an appended section
            assert new_section.startswith(old_section) and not new_section[len(old_section):].strip()
        else:
            assert new_section == old_section


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet=st.sampled_from(list("[]=:#; \t\n\rabpr ofile\"\\DEFAULT\ufeff\x0b\x1c")), max_size=80))
def test_any_text_parses_like_botocore_or_raises_only_our_error(text):
    try:
        expected = oracle(text)
    except ConfigParseError:
        expected = None
    except UnicodeError:
        expected = None
    try:
        got = aws_files.read_sections(text, "config")
    except AwsFileError as exc:
        assert str(exc).startswith("Failed to parse config")
        got = None
    assert got == expected
    try:
        aws_files.edit_file(text, "config", "dev", {"region": "x"}, path="config")
    except AwsFileError:
        pass


# Mostly plain lines (so the fast scan decides), each kind of trap now and then.
HEADER_LINES = st.sampled_from(["[dev]", "[prod]", "[profile a]", "[sso-session s]"] * 4
                               + ["[dev] x", "[a=b]", "[a:b]", "[DEFAULT]", "[", "[]", "[dev]  "])
BODY_LINES = st.sampled_from(
    ["key = v", "KEY=v", "key: v", "other = 1", "k[0] = v", "a = b = c", "a : b", "key =", "# c", "; c", ""] * 3
    + ["key", "= v", ": v", "  nested = 1", "  key = 1", "\tx = 1", "  text", "  # c", "   "])


@st.composite
def line_files(draw):
    """Sections of mostly plain lines, with each kind of trap now and then."""
    lines = draw(st.lists(st.sampled_from(["", "# c", "  "]), max_size=2))
    for _section in range(draw(st.integers(0, 4))):
        lines.append(draw(HEADER_LINES))
        lines.extend(draw(st.lists(BODY_LINES, max_size=4)))
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    return newline.join(lines) + (newline if draw(st.booleans()) else "")


# Lines that break a section of the common shape (or look like they might).
CHANGED_LINES = st.one_of(HEADER_LINES, BODY_LINES, st.sampled_from(
    ["[s0]", "KEY = v", "key = w", "a.b = 1", "axb = 1", "v = x]", "\x0bkey = v", "key = x\x0by", "["]))


@st.composite
def shaped_files(draw):
    """Sections of one shape, as tools write them, with a few lines changed or added."""
    keys = draw(st.lists(st.sampled_from(["key", "other", "a.b", "axb", "k[0]"]), unique=True, max_size=3))
    body = [draw(st.sampled_from(["{} = v", "{}=v", "{}: v", "{}  = v"])).format(key) for key in keys]
    lines = draw(st.lists(st.sampled_from(["", "# c"]), max_size=1))
    for index in range(draw(st.integers(1, 6))):
        lines.append("[s%d]" % index)
        lines.extend(body)
        lines.extend(draw(st.lists(st.sampled_from(["", "# c", "; c"]), max_size=2)))
    for _change in range(draw(st.integers(0, 2))):
        at = draw(st.integers(0, len(lines) - 1))
        if draw(st.booleans()):
            lines[at] = draw(CHANGED_LINES)
        else:
            lines.insert(at, draw(CHANGED_LINES))
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    return newline.join(lines) + (newline if draw(st.booleans()) else "")


@pytest.mark.parametrize("shaped_min_bytes", [0, aws_files.SHAPED_SCAN_MIN_BYTES])  # shaped scan or line scan
@settings(max_examples=700, deadline=None)
@given(text=st.one_of(line_files(), shaped_files()))
@example(text="[dev]\n  key = 1\nkey = 2\n")  # an indented key right after the header, then the same key
@example(text="[dev]\nkey =\n  text\n")  # a nested block line with no '='
@example(text="[dev]\nkey = 1\nfoo\n[b]\n")  # a line with no separator
# the common-shape cuts (the shape sampled is "k = ..."):
@example(text="[a]\nk = 1\n[b]\nk = 1\n[c]\nk = 1\n[")  # the last cut ends at a "[" line
@example(text="[a]\nk = 1\n[b]")  # a header at the end, with no line break
@example(text="[a]\nk = 1\nv = x]\nk = 2\n[b]\nk = 1\n[c]\nk = 1\n")  # the first cut starts inside a line
@example(text="[a]\nk = 1\n[b]\nk = 1\nk = 2\n[c]\nk = 1\n[d]\nk = 1\n")  # a duplicate key between cuts
@example(text="[a]\nk = 1\n[b]\nk = 1\nv = x]\nk = 2\n[c]\nk = 1\n[d]\nk = 1\n")  # a later cut inside a line
@example(text="[a]\nk = 1\n[b]\nx = 1\n[c]\nk = 1\n[d]\nk = 1\n[e]\nk = 1\nk = 2\n")  # other shapes, bad last
@example(text="[top]\nx = 1\nx = 2\n[a]\nk = 1\n[b]\nk = 1\n")  # a bad section before the first cut
@example(text="[a]\nk = 1\n[b]\nk = 1\n[c]\nk = 1\n[d]\nk = 2\nk = 3\n")  # a bad section after the last cut
@example(text="[a]\nk = 1\n[b]\nk = 1\n[a]\nk = 1\n")  # the same section twice
@example(text="[a]\nk = 1\n[]\nk = 1\n[b]\nk = 1\n")  # "[]" is no header
@example(text="[a]\nk = 1\nK = 2\n[b]\nk = 1\nK = 2\n[c]\nk = 1\nK = 2\n")  # the shape repeats a key
# keys are not patterns:
@example(text="[a]\na.b = 1\naxb = 1\n[t]\naxb = 1\naxb = 2\n[c]\na.b = 1\naxb = 1\n[d]\na.b = 1\naxb = 1\n")
@example(text="[a]\nk = 1\n[b]\n\x0bk = 1\nk = 2\n[c]\nk = 1\n[d]\nk = 1\n")  # odd whitespace between cuts
@example(text="[a]\nk = x\x0by\n[b]\nk = 1\n[c]\nk = 1\n")  # odd whitespace in a value: no line break
@example(text="[a]\nk = 1\nk\x0c = 2\n[b]\nk = 1\nk\x0c = 2\n[c]\nk = 1\nk\x0c = 2\n")  # a shape whose keys strip alike
def test_fast_scan_agrees_with_the_line_walk(shaped_min_bytes, text):
    """The fast scan either leaves a file to the line walk or finds exactly the sections the walk finds."""
    names = aws_files._fast_scan(text, shaped_min_bytes)  # pylint: disable=protected-access
    try:
        walked = aws_files._slow_parse(text, "config").names  # pylint: disable=protected-access
    except AwsFileError:
        walked = None
    if names is not None:
        assert names == walked
