"""Hypothesis fuzzing of the ~/.aws file parser/editor against botocore, the oracle.

Properties:
- any bytes: decode/parse raise nothing but AwsFileError (naming file and line);
  parse accepts exactly what botocore accepts, and read_sections reads what
  botocore's raw_config_parse reads;
- any edit of an accepted file: only AwsFileError; the result parses (ours and
  botocore), botocore reads the wanted values, every other profile reads the
  same, lines outside the edited section are byte-identical, the same edit again
  changes nothing, removing the section leaves the rest as it was;
- any parameters to plan_profile: only AwsFileError, and no secret ever
  appears in an error, change, warning or diff.
"""

import functools
import json
import os
import re
import tempfile
from pathlib import Path

import botocore.configloader
import botocore.exceptions
import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from ansible_collections.devkeys.aws.plugins.module_utils import _aws_files as aws_files
from ansible_collections.devkeys.aws.plugins.module_utils._aws_files import AwsFileError

FUZZ = settings(max_examples=int(os.environ.get("DEVKEYS_FUZZ_EXAMPLES", "200")), deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
PATH = "/fuzz/.aws/config"
_ORACLE_DIR = tempfile.mkdtemp(prefix="devkeys-fuzz-")
_ORACLE = os.path.join(_ORACLE_DIR, "file")

FIGURES_DIR = Path(__file__).resolve().parents[3] / "output" / "reliability"
_STATS = {}


def counted(test):
    """Count the examples a property saw (and whether one failed) for docs/reliability.md."""
    stats = _STATS.setdefault(test.__name__, {"examples": 0, "failed": False})

    @functools.wraps(test)
    def wrapper(*args, **kwargs):
        stats["examples"] += 1
        try:
            return test(*args, **kwargs)
        except AssertionError:
            stats["failed"] = True
            raise

    return wrapper


@pytest.fixture(scope="module", autouse=True)
def _write_figures():
    """One figure file per property that ran in this process (xdist may split the module)."""
    yield
    FIGURES_DIR.mkdir(parents=True, exist_ok=True)
    for name, stats in _STATS.items():
        if not stats["examples"]:
            continue
        figure = {
            "test": name, "file": "unit/plugins/module_utils/test_aws_files_fuzz.py",
            "load": f"{stats['examples']} hypothesis examples",
            "faults": "generated files and parameters (mutated, invalid UTF-8, BOM, CR/CRLF, indented headers)",
            "bad_inputs": stats["examples"], "outcome": "failed" if stats["failed"] else "passed",
            "lost": "a property failed (see make unit)" if stats["failed"] else
            "nothing (only AwsFileError; botocore agrees; untouched bytes identical)",
        }
        (FIGURES_DIR / f"fuzz-{name}.json").write_text(json.dumps(figure, indent=2, sort_keys=True) + "\n")


# ---------------------------------------------------------------- strategies

_names = st.sampled_from(["default", "dev", "prod", "a-b", "x.y", "p@q", "Dev", "DEFAULT", "profile dev",
                          "profile prod", 'profile "dev"', "profile  dev", "profile", "profile a b",
                          "sso-session corp", "services svc", "plugins", "profile default", "default "])
_keys = st.sampled_from(["region", "REGION", "output", "Output", "aws_access_key_id", "aws_secret_access_key",
                         "aws_session_token", "s3", "role_arn", "k", "sub"])
_values = st.sampled_from(["us-east-1", "json", "a # b", "", "v=w", "x:y", "FAKEKEYID0000EXAMPLE", "a;b", "[x]"]) | \
    st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"), max_size=8)
_indent = st.sampled_from(["", "", "", " ", "  ", "\t"])
_sep = st.sampled_from([" = ", "=", ": ", ":", " =", " : "])


@st.composite
def _line(draw):
    kind = draw(st.sampled_from(["header", "entry", "entry", "entry", "nested", "comment", "blank", "junk",
                                 "continuation"]))
    if kind == "header":
        return draw(_indent) + "[" + draw(_names) + "]" + draw(st.sampled_from(["", "", " # c", "x", "]"]))
    if kind == "entry":
        return draw(_indent) + draw(_keys) + draw(_sep) + draw(_values)
    if kind == "nested":
        subs = draw(st.lists(st.sampled_from(["  addressing_style = path", "  max_concurrent_requests = 4",
                                              "    sub=v", "  bad line", "  Key = V", ""]), max_size=3))
        return "\n".join([draw(_indent) + draw(st.sampled_from(["s3 =", "s3=", "S3 :"]))] + subs)
    if kind == "comment":
        return draw(_indent) + draw(st.sampled_from(["#", ";"])) + draw(_values)
    if kind == "blank":
        return draw(st.sampled_from(["", " ", "\t"]))
    if kind == "continuation":
        return draw(st.sampled_from(["  ", "\t", "    "])) + draw(_values)
    return draw(st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"),
                        max_size=12))


@st.composite
def files(draw):
    """Text shaped like an AWS file, often valid, often subtly not."""
    lines = [draw(st.sampled_from(["[default]", "[profile dev]", "[dev]", "  [prod]", "[DEFAULT]"]))]
    lines += draw(st.lists(_line(), max_size=25))
    newline = draw(st.sampled_from(["\n", "\n", "\r\n", "\r"]))
    text = newline.join(lines).replace("\n", newline) if newline != "\n" else "\n".join(lines)
    if draw(st.booleans()):
        text += newline
    if draw(st.integers(0, 20)) == 0:
        text = "\ufeff" + text
    return text


def _mutate(data, draw):
    if not data:
        return data
    position = draw(st.integers(0, len(data)))
    junk = draw(st.binary(max_size=4))
    return data[:position] + junk + data[position + draw(st.integers(0, 3)):]


@st.composite
def file_bytes(draw):
    choice = draw(st.integers(0, 4))
    if choice == 0:
        return draw(st.binary(max_size=200))
    data = draw(files()).encode("utf-8")
    return _mutate(data, draw) if choice == 1 else data


_edit_names = st.sampled_from(["default", "dev", "prod", "new-one", "x.y", "p@q"])
_edit_values = st.dictionaries(
    st.sampled_from(["region", "output", "role_arn", "s3", "cli_pager"]),
    st.one_of(st.sampled_from(["eu-west-1", "json", "text", "arn:aws:iam::000000000000:role/x", "v=w"]),
              st.none(),
              st.dictionaries(st.sampled_from(["addressing_style", "max_concurrent_requests"]),
                              st.sampled_from(["path", "10", None]), min_size=1, max_size=2)),
    min_size=1, max_size=3)


# ---------------------------------------------------------------- oracle


def botocore_read(data):
    """(True, sections) if botocore reads ``data`` (bytes or str), else (False, error)."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    with open(_ORACLE, "wb") as handle:
        handle.write(data)
    try:
        return True, botocore.configloader.raw_config_parse(_ORACLE)
    except botocore.exceptions.ConfigParseError as exc:
        return False, exc


def botocore_profiles(text, file_kind):
    ok, sections = botocore_read(text)
    assert ok, f"botocore cannot read the edited file: {sections}\n{text!r}"
    if file_kind == "credentials":
        return sections
    return botocore.configloader.build_profile_map(sections)["profiles"]


def ours(data):
    """(True, Document) or (False, AwsFileError); any other exception fails the test."""
    try:
        return True, aws_files.parse(aws_files.decode(data, PATH), PATH)
    except AwsFileError as exc:
        assert str(exc).startswith("Failed to ") and PATH in str(exc), str(exc)
        assert exc.line >= 1, f"a parse error must name its line: {exc}"
        return False, exc


_LINES = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


def file_lines(text):
    """Lines with endings, split as a file opened in text mode (universal newlines) splits them."""
    return _LINES.findall(text)


def section_ranges(text):
    """[(name, first line index, end index)] of the section headers configparser sees."""
    ranges = []
    option = False
    indent_level = 0
    lines = file_lines(text)
    for index, line in enumerate(lines):
        stripped = line.strip()
        if not stripped or stripped[0] in "#;":
            continue
        indent = len(line) - len(line.lstrip())
        if ranges and option and indent > indent_level:
            continue
        indent_level = indent
        end = stripped.rfind("]")
        if stripped[0] == "[" and end > 1:
            if ranges:
                ranges[-1][2] = index
            ranges.append([stripped[1:end], index, len(lines)])
            option = False
        else:
            option = True
    return ranges


# ---------------------------------------------------------------- properties


@FUZZ
@given(file_bytes())
@example(b"\xef\xbb\xbf[default]\nregion = x\n")
@example(b"[default]\nregion = a\n  output = json\n")
@example(b"[default]\ns3 =\n  bad line\n")
@example(b"[a]\nk=1\n[a]\n")
@example(b"[DEFAULT]\nk=1\n[DEFAULT]\nk=2\n")
@example(b"[default]\r k = v\r")
@example(b"[default]\nk = v\x85[other]\n")
@counted
def test_parse_accepts_exactly_what_botocore_reads(data):
    accepted, result = ours(data)
    readable, theirs = botocore_read(data)
    if readable and not accepted:
        # Stricter than botocore only where botocore defers the error: nested values of
        # [DEFAULT] are parsed once some profile exists, so the file breaks on the next edit.
        assert b"[DEFAULT]" in data and "nested" in str(result), f"ours={result!r} botocore read {theirs!r}"
    assert readable or not accepted, f"we accept a file botocore fails on: {theirs!r} for {data!r}"
    if accepted:
        assert aws_files.read_sections(aws_files.decode(data, PATH), PATH) == theirs


@FUZZ
@given(files(), st.sampled_from(["credentials", "config"]), _edit_names, _edit_values, st.booleans())
@example("  [prod]\n [default]", "credentials", "prod", {"region": "eu-west-1"}, False)
@example("[default]\nregion = a\n[prod]\n", "credentials", "prod", {"s3": {"addressing_style": "path"}}, True)
@counted
def test_edit_is_lossless_idempotent_and_reversible(text, file_kind, name, values, exclusive):
    accepted, _doc = ours(text.encode("utf-8"))
    sections = section_ranges(text) if accepted else []
    assume(accepted and "DEFAULT" not in [name_ for name_, _s, _e in sections])
    before = botocore_profiles(text, file_kind)
    header_texts = {name} if file_kind == "credentials" else (
        {"default", "profile default"} if name == "default" else {"profile " + name})
    try:
        edit = aws_files.edit_file(text, file_kind, name, values, aws_files.EditOptions(exclusive=exclusive), path=PATH)
    except AwsFileError as exc:
        assert str(exc).startswith("Failed to ") and PATH in str(exc)
        return
    after = botocore_profiles(edit.text, file_kind)
    # botocore reads what we asked for
    profile = after.get(name, {})
    for key, value in values.items():
        if value is None:
            assert key not in profile
        elif isinstance(value, dict):
            wanted = {k: v for k, v in value.items() if v is not None}
            got = profile.get(key, {})
            assert isinstance(got, dict) or not wanted, (key, got)
            for sub, sub_value in wanted.items():
                assert got[sub] == sub_value
        else:
            assert profile[key] == value
    # everything else reads the same
    assert {k: v for k, v in after.items() if k != name} == {k: v for k, v in before.items() if k != name}
    # lines outside the edited section are byte-identical
    old_lines = file_lines(text)
    new_lines = file_lines(edit.text)
    where = [(start, end) for raw, start, end in sections if raw in header_texts]
    if not where:
        assert edit.text.startswith(text)
    else:
        (start, end), = where
        tail = len(old_lines) - end
        assert new_lines[:start] == old_lines[:start]
        assert new_lines[len(new_lines) - tail:] == old_lines[end:] if tail else True
    # the same edit again is a no-op
    options = aws_files.EditOptions(exclusive=exclusive)
    again = aws_files.edit_file(edit.text, file_kind, name, values, options, path=PATH)
    assert again.text == edit.text and again.changes == []
    # removing the section leaves the others as they were
    removed = aws_files.edit_file(edit.text, file_kind, name, {}, aws_files.EditOptions(state="absent"), path=PATH)
    gone = botocore_profiles(removed.text, file_kind)
    assert name not in gone
    assert gone == {k: v for k, v in before.items() if k != name}


_hostile_text = st.text(max_size=30)
SECRET_MARK = "zzSECRETzz"


@FUZZ
@given(
    st.one_of(_edit_names, _hostile_text),
    st.sampled_from(["profile", "sso-session", "services"]),
    st.one_of(st.none(), st.sampled_from(["FAKEKEYID0000EXAMPLE", "ASIAFAKE0000EXAMPLE1"]), _hostile_text),
    st.one_of(st.none(), _hostile_text),
    st.one_of(st.none(), _hostile_text),
    st.dictionaries(st.one_of(st.sampled_from(["region", "s3", "output"]), _hostile_text),
                    st.one_of(_hostile_text, st.none(), st.integers(), st.booleans(),
                              st.dictionaries(_hostile_text, st.one_of(_hostile_text, st.none()), max_size=2)),
                    max_size=3),
    st.sampled_from(["present", "absent"]),
    files(),
)
@counted
def test_plan_profile_hostile_parameters_raise_our_error_and_never_leak(
        name, kind, key_id, secret_tail, token_tail, settings_, state, config_text):
    secret = None if secret_tail is None else SECRET_MARK + secret_tail
    token = None if token_tail is None else SECRET_MARK + "tok" + token_tail
    credentials = {"aws_access_key_id": key_id, "aws_secret_access_key": secret, "aws_session_token": token}
    credentials_text = "[dev]\naws_access_key_id = FAKEKEYID0000EXAMPLE\naws_secret_access_key = " + SECRET_MARK + "old\n"
    try:
        request = aws_files.ProfileRequest(name, kind=kind, state=state, credentials=credentials,
                                           settings=settings_)
        plan = aws_files.plan_profile(request, credentials_text, config_text,
                                      aws_files.FilePaths("/fuzz/credentials", PATH))
    except AwsFileError as exc:
        assert str(exc).startswith("Failed to ")
        assert SECRET_MARK not in str(exc)
        return
    public = repr((plan.changes, plan.warnings, plan.diffs))
    assert SECRET_MARK not in public
    for text, kind_ in ((plan.credentials_text, "credentials"), (plan.config_text, "config")):
        if text is not None:
            assert botocore_read(text)[0], text


@pytest.mark.parametrize("data", [b"\xff\xfe[default]\n", b"[default]\nregion = \xc3\x28\n", b"\x00" * 64])
def test_invalid_bytes_name_the_line(data):
    accepted, error = ours(data)
    assert not accepted
    assert error.line == data[: max(data.find(b"\xc3\x28"), 0)].count(b"\n") + 1 or error.line == 1
