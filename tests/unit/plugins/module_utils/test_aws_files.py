"""Table-driven tests of module_utils/_aws_files.py, botocore's configloader as the oracle."""

import pytest
from botocore.configloader import load_config, raw_config_parse
from botocore.exceptions import ConfigParseError

from ansible_collections.devkeys.aws.plugins.module_utils import _aws_files as aws_files
from ansible_collections.devkeys.aws.plugins.module_utils._aws_files import AwsFileError

FAKE_KEY = "AKIAFAKE0000EXAMPLE0"
TEMP_KEY = "ASIAFAKE0000EXAMPLE0"
SECRET = "fakeSecret/0000+EXAMPLE+abcdefghijklmnop"
TOKEN = "FakeSessionToken0000EXAMPLE"


def botocore_raw(tmp_path, text):
    """What botocore's raw_config_parse reads from ``text`` written byte-exact."""
    path = tmp_path / "oracle"
    path.write_bytes(text.encode("utf-8"))
    return raw_config_parse(str(path))


def botocore_profiles(tmp_path, text):
    path = tmp_path / "oracle-config"
    path.write_bytes(text.encode("utf-8"))
    return load_config(str(path))


# --------------------------------------------------------------- edits that botocore reads back

EXCLUSIVE = aws_files.EditOptions(exclusive=True)
ABSENT = aws_files.EditOptions(state="absent")

CONFIG = (
    "# team config\n"
    "[default]\n"
    "region = us-east-1\n"
    "\n"
    "[profile dev]\n"
    "REGION: eu-west-1\n"
    "# region = us-west-2\n"
    "s3 =\n"
    "    addressing_style = virtual\n"
    "    max_concurrent_requests = 20\n"
    "output=text\n"
    "\n"
    "[sso-session corp]\n"
    "sso_region = us-east-1\n"
    "[unknown thing]\n"
    "x = 1\n"
)

EDITS = [
    pytest.param("dev", {"region": "ap-south-1"}, "profile", {"region": "ap-south-1"}, "REGION = ap-south-1\n",
                 id="uppercase-key-matched-case-insensitively"),
    pytest.param("dev", {"s3": {"addressing_style": "path"}}, "profile",
                 {"s3": {"addressing_style": "path", "max_concurrent_requests": "20"}},
                 "    addressing_style = path\n", id="nested-edited-in-block"),
    pytest.param("dev", {"s3": {"signature_version": "s3v4"}}, "profile",
                 {"s3": {"addressing_style": "virtual", "max_concurrent_requests": "20", "signature_version": "s3v4"}},
                 "    signature_version = s3v4\n", id="nested-added-in-block"),
    pytest.param("dev", {"output": None}, "profile", {"region": "eu-west-1"}, None, id="key-removed"),
    pytest.param("dev", {"role_arn": "arn:aws:iam::000000000000:role/dev"}, "profile",
                 {"role_arn": "arn:aws:iam::000000000000:role/dev", "output": "text"},
                 "role_arn = arn:aws:iam::000000000000:role/dev\n", id="key-added"),
    pytest.param("new", {"region": "eu-north-1", "s3": {"addressing_style": "path"}}, "profile",
                 {"region": "eu-north-1", "s3": {"addressing_style": "path"}}, "[profile new]\n",
                 id="section-appended"),
    pytest.param("default", {"output": "json"}, "profile", {"region": "us-east-1", "output": "json"},
                 "output = json\n", id="default-profile"),
    pytest.param("corp", {"sso_start_url": "https://example.awsapps.com/start"}, "sso-session",
                 {"sso_region": "us-east-1", "sso_start_url": "https://example.awsapps.com/start"},
                 "sso_start_url = https://example.awsapps.com/start\n", id="sso-session"),
    pytest.param("local", {"s3": {"endpoint_url": "http://127.0.0.1:9000"}}, "services",
                 {"s3": {"endpoint_url": "http://127.0.0.1:9000"}}, "[services local]\n", id="services"),
]


@pytest.mark.parametrize("name, values, kind, expected, new_line", EDITS)
def test_config_edit_is_read_back_by_botocore(tmp_path, name, values, kind, expected, new_line):
    edit = aws_files.edit_file(CONFIG, "config", name, values, aws_files.EditOptions(kind=kind), path="config")
    group = {"profile": "profiles", "sso-session": "sso_sessions", "services": "services"}[kind]
    read = botocore_profiles(tmp_path, edit.text)[group][name]
    for key, value in expected.items():
        assert read[key] == value
    for key, value in values.items():
        if value is None:
            assert key not in read
    if new_line is not None:
        assert new_line in edit.text
    # every other section is byte-identical
    for untouched in ("[unknown thing]\nx = 1\n", "# team config\n"):
        assert untouched in edit.text
    # the same edit again changes nothing and returns the very same text
    again = aws_files.edit_file(edit.text, "config", name, values, aws_files.EditOptions(kind=kind), path="config")
    assert again.changes == [] and again.text is edit.text


def test_comment_and_blank_lines_survive(tmp_path):
    edit = aws_files.edit_file(CONFIG, "config", "dev", {"region": "x-1"}, path="config")
    assert edit.text == CONFIG.replace("REGION: eu-west-1\n", "REGION = x-1\n")


def test_equal_value_after_stripping_is_no_change():
    text = "[profile a]\nregion   =   us-east-1   \n"
    edit = aws_files.edit_file(text, "config", "a", {"region": "us-east-1"}, path="config")
    assert edit.changes == [] and edit.text is text


@pytest.mark.parametrize("newline", ["\r\n", "\r", "\n"])
def test_line_endings_preserved(tmp_path, newline):
    text = newline.join(["[default]", "region = us-east-1", "", "[profile a]", "output = json", ""])
    edit = aws_files.edit_file(text, "config", "a", {"region": "eu-west-1"}, path="config")
    assert edit.text == text + "region = eu-west-1" + newline
    edit = aws_files.edit_file(text, "config", "b", {"region": "eu-west-1"}, path="config")
    assert edit.text.endswith(newline + "[profile b]" + newline + "region = eu-west-1" + newline)
    assert botocore_profiles(tmp_path, edit.text)["profiles"]["b"] == {"region": "eu-west-1"}


def test_file_without_final_newline():
    edit = aws_files.edit_file("[profile a]\nregion = x", "config", "a", {"output": "json"}, path="c")
    assert edit.text == "[profile a]\nregion = x\noutput = json\n"


def test_profile_default_edited_in_place(tmp_path):
    text = "[profile default]\nregion = us-east-1\n"
    edit = aws_files.edit_file(text, "config", "default", {"output": "json"}, path="config")
    assert edit.text == text + "output = json\n"
    assert botocore_profiles(tmp_path, edit.text)["profiles"]["default"] == {"region": "us-east-1", "output": "json"}


def test_exclusive_removes_unnamed_keys(tmp_path):
    edit = aws_files.edit_file(CONFIG, "config", "dev", {"region": "eu-west-1"}, EXCLUSIVE, path="config")
    assert botocore_profiles(tmp_path, edit.text)["profiles"]["dev"] == {"region": "eu-west-1"}
    assert "# region = us-west-2\n" in edit.text


def test_exclusive_nested_block_is_exact(tmp_path):
    edit = aws_files.edit_file(CONFIG, "config", "dev", {"region": "eu-west-1", "output": "text",
                                                         "s3": {"addressing_style": "path"}}, EXCLUSIVE,
                               path="config")
    assert botocore_profiles(tmp_path, edit.text)["profiles"]["dev"]["s3"] == {"addressing_style": "path"}


def test_absent_removes_every_section_of_the_profile_only(tmp_path):
    edit = aws_files.edit_file(CONFIG, "config", "dev", {}, ABSENT, path="config")
    read = botocore_profiles(tmp_path, edit.text)
    assert "dev" not in read["profiles"] and read["profiles"]["default"] == {"region": "us-east-1"}
    assert edit.text == CONFIG.replace(CONFIG[CONFIG.index("[profile dev]"):CONFIG.index("[sso-session")], "")
    assert aws_files.edit_file(edit.text, "config", "dev", {}, ABSENT, path="c").changes == []


def test_absent_removes_both_default_sections(tmp_path):
    text = "[default]\nregion = a\n[profile default]\nregion = b\n[profile x]\nregion = c\n"
    edit = aws_files.edit_file(text, "config", "default", {}, ABSENT, path="config")
    assert edit.text == "[profile x]\nregion = c\n"


def test_credentials_file_uses_bare_names(tmp_path):
    text = "[default]\naws_access_key_id = %s\n" % FAKE_KEY
    edit = aws_files.edit_file(text, "credentials", "dev", {"aws_access_key_id": FAKE_KEY,
                                                            "aws_secret_access_key": SECRET}, path="credentials")
    assert botocore_raw(tmp_path, edit.text)["dev"] == {"aws_access_key_id": FAKE_KEY,
                                                        "aws_secret_access_key": SECRET}
    assert "[dev]\n" in edit.text


def test_new_key_never_becomes_a_continuation_of_an_indented_header(tmp_path):
    text = "  [prod]\n [default]\nregion = a\n"
    edit = aws_files.edit_file(text, "credentials", "prod", {"region": "eu-west-1"}, path="c")
    assert botocore_raw(tmp_path, edit.text)["prod"] == {"region": "eu-west-1"}
    assert botocore_raw(tmp_path, edit.text)["default"] == {"region": "a"}


# --------------------------------------------------------------- refusals: file + line


REFUSED = [
    pytest.param("[a]\nx = 1\n[a]\ny = 2\n", "a", 3, "appears twice", True, id="duplicate-section"),
    pytest.param("[a]\nx = 1\nX = 2\n", "a", 3, "appears twice", True, id="duplicate-key-case-insensitive"),
    pytest.param("[a]\nx = 1\njunk\n", "a", 3, "separator", True, id="no-separator"),
    pytest.param("x = 1\n[a]\n", "a", 1, "before the first", True, id="key-before-header"),
    pytest.param("\ufeff[a]\nx = 1\n", "a", 1, "byte order mark", True, id="bom"),
    pytest.param("[a]\ns3 =\n  nothing here\n", "a", 3, "nested", True, id="nested-without-equals"),
    pytest.param("[a]\n= 1\n", "a", 2, "no key", True, id="empty-key"),
    pytest.param("[default]\nregion = a\n[profile default]\nregion = b\n", "default", 3, "merge them",
                 False, id="default-and-profile-default"),
    pytest.param("[profile foo]\nregion = a\n[profile \"foo\"]\nregion = b\n", "foo", 3, "merge them",
                 False, id="quoted-duplicate"),
    pytest.param("[profile  foo]\nregion = a\n", "foo", 1, "Java SDK", False, id="odd-spacing"),
    pytest.param("[profile foo]\nregion = a\n  output = json\n", "foo", 3, "continues", False,
                 id="mis-indented-continuation"),
    pytest.param("[profile foo]\ns3 =\n  a = 1\n  a = 2\n", "foo", 4, "twice", False, id="nested-duplicate"),
]


@pytest.mark.parametrize("text, name, line, cause, botocore_fails", REFUSED)
def test_refusals_name_file_and_line(tmp_path, text, name, line, cause, botocore_fails):
    if botocore_fails:
        with pytest.raises(ConfigParseError):
            botocore_raw(tmp_path, text)
    values = {"region": "x"} if "nested" not in cause and "twice" not in cause else {"s3": {"a": "3"}}
    with pytest.raises(AwsFileError) as error:
        aws_files.edit_file(text, "config", name, values, path="/h/.aws/config")
    assert error.value.line == line
    assert str(error.value).startswith("Failed to ")
    assert "/h/.aws/config line %d: " % line in str(error.value)
    assert cause in str(error.value)


@pytest.mark.parametrize("newline", [b"\n", b"\r\n", b"\r"])
def test_invalid_utf8_names_the_line(newline):
    with pytest.raises(AwsFileError) as error:
        aws_files.decode(newline.join([b"[a]", b"x = 1", b"y = \xff", b""]), "cfg")
    assert error.value.line == 3 and str(error.value).startswith("Failed to parse cfg line 3: invalid UTF-8")


@pytest.mark.parametrize("name", ["a b", "a]b", "[x", "a\nb", "", "DEFAULT", "a#b", "é"])
def test_bad_names_refused(name):
    with pytest.raises(AwsFileError):
        aws_files.plan_profile(aws_files.ProfileRequest(name, settings={"region": "x"}), "", "")


@pytest.mark.parametrize("key, value", [
    ("region", "a\nb"), ("region", "a\r"), ("region", " a"), ("region", "a #x"), ("region", ";x"),
    ("region", "a\x00"), ("region", ""), ("Region", "x"), ("re gion", "x"), ("region]", "x"),
    ("s3", {"Addressing": "x"}), ("s3", {"a": "b\nc = d"}), ("s3", {}),
])
def test_injection_attempts_are_errors(key, value):
    with pytest.raises(AwsFileError) as error:
        aws_files.edit_file("[profile a]\n", "config", "a", {key: value}, path="c")
    assert str(error.value).startswith("Failed to validate")


def test_values_with_hash_inside_a_word_are_fine(tmp_path):
    edit = aws_files.edit_file("", "config", "a", {"credential_process": "tool --x=a#b"}, path="c")
    assert botocore_profiles(tmp_path, edit.text)["profiles"]["a"]["credential_process"] == "tool --x=a#b"


# --------------------------------------------------------------- plan_profile


def test_long_term_key_removes_session_token(tmp_path):
    text = "[dev]\naws_access_key_id = %s\naws_secret_access_key = %s\naws_session_token = %s\n" % (
        TEMP_KEY, SECRET, TOKEN)
    plan = aws_files.plan_profile(aws_files.ProfileRequest("dev", credentials={"aws_access_key_id": FAKE_KEY,
                                                                               "aws_secret_access_key": SECRET}),
                                  text, "")
    assert botocore_raw(tmp_path, plan.credentials_text)["dev"] == {"aws_access_key_id": FAKE_KEY,
                                                                    "aws_secret_access_key": SECRET}


def test_temporary_key_needs_token():
    with pytest.raises(AwsFileError) as error:
        aws_files.plan_profile(aws_files.ProfileRequest("dev", credentials={"aws_access_key_id": TEMP_KEY,
                                                                            "aws_secret_access_key": SECRET}),
                               "", "")
    assert "aws_session_token" in str(error.value) and SECRET not in str(error.value)


def test_credentials_refused_for_sso_session():
    with pytest.raises(AwsFileError):
        aws_files.plan_profile(aws_files.ProfileRequest("corp", kind="sso-session",
                                                        credentials={"aws_access_key_id": FAKE_KEY}), "", "")


def test_secrets_not_allowed_in_settings():
    with pytest.raises(AwsFileError):
        aws_files.plan_profile(aws_files.ProfileRequest("dev", settings={"aws_secret_access_key": SECRET}), "", "")


def test_plan_diff_redacts_secrets_and_has_headers():
    old = "[dev]\naws_access_key_id = %s\naws_secret_access_key = oldSecret0000\n" % FAKE_KEY
    plan = aws_files.plan_profile(aws_files.ProfileRequest("dev", credentials={"aws_secret_access_key": SECRET},
                                                           settings={"region": "eu-west-1"}),
                                  old, "", aws_files.FilePaths("/h/credentials", "/h/config"))
    text = repr(plan)
    assert SECRET not in repr(plan.diffs) and "oldSecret0000" not in repr(plan.diffs)
    assert SECRET not in repr(plan.changes) and SECRET not in repr(plan.warnings)
    assert SECRET in text  # the new file text itself holds it, nothing else
    credentials_diff, config_diff = plan.diffs
    assert credentials_diff["before_header"] == "/h/credentials"
    assert "aws_secret_access_key = <secret changed>" in credentials_diff["before"]
    assert "aws_secret_access_key = <secret changed>" in credentials_diff["after"]
    assert config_diff["after"] == "[profile dev]\nregion = eu-west-1\n"


def test_plan_only_touches_credentials_when_asked():
    plan = aws_files.plan_profile(aws_files.ProfileRequest("dev", settings={"region": "a"}), "[dev]\nx = 1\n", "")
    assert plan.credentials_text is None and plan.config_text == "[profile dev]\nregion = a\n"


KEY_PAIR = aws_files.ProfileRequest("dev", credentials={"aws_access_key_id": FAKE_KEY, "aws_secret_access_key": SECRET})
CRED_PATHS = aws_files.FilePaths("cred", "config")


def test_trap_warnings():
    plan = aws_files.plan_profile(KEY_PAIR, "[DEFAULT]\nregion = a\n[profile x]\nregion = b\n", "", CRED_PATHS)
    assert any("[DEFAULT]" in w and "cred line 1" in w for w in plan.warnings)
    assert any("profile literally named" in w and "line 3" in w for w in plan.warnings)


def test_trap_warning_for_a_profile_header_first_in_a_plain_credentials_file():
    plan = aws_files.plan_profile(KEY_PAIR, "[profile x]\naws_access_key_id = %s\n" % FAKE_KEY, "", CRED_PATHS)
    assert any("profile literally named" in w and "cred line 1" in w for w in plan.warnings)


# --------------------------------------------------------------- read_profiles


def test_read_profiles_matches_botocore_and_hides_secrets(tmp_path):
    credentials = ("[dev]\naws_access_key_id = %s\naws_secret_access_key = %s\naws_session_token = %s\n"
                   "[only-creds]\naws_access_key_id = %s\n" % (FAKE_KEY, SECRET, TOKEN, FAKE_KEY))
    result = aws_files.read_profiles(credentials, CONFIG, "cred", "conf")
    assert SECRET not in repr(result) and TOKEN not in repr(result)
    dev = result["profiles"]["dev"]
    assert dev["region"] == "eu-west-1" and dev["s3"]["addressing_style"] == "virtual"
    assert dev["aws_access_key_id"] == FAKE_KEY and dev["has_secret"] and dev["has_session_token"]
    assert dev["source"]["region"] == "config" and dev["source"]["aws_access_key_id"] == "credentials"
    assert result["profiles"]["only-creds"]["has_secret"] is False
    assert result["sso_sessions"] == {"corp": {"sso_region": "us-east-1"}}
    config = botocore_profiles(tmp_path, CONFIG)
    for name, values in config["profiles"].items():
        for key, value in values.items():
            if key not in aws_files.SECRET_KEYS and key not in ("aws_access_key_id",):
                assert result["profiles"][name][key] == value


@pytest.mark.parametrize("text", [
    CONFIG,
    "[DEFAULT]\nregion = a\n[profile x]\noutput = json\n",
    "[default]\nregion = a\n[profile default]\nregion = b\n",
    "[profile x]\nregion = a\n  more\n\n  text\n",
    "  [profile x]\n  region = a\n",
    "[profile x]\r\ns3 =\r\n  a = b\r\n",
    "[profilex y]\nregion = q\n[profile]\nregion = r\n",
])
def test_read_sections_equals_raw_config_parse(tmp_path, text):
    assert aws_files.read_sections(text, "c") == botocore_raw(tmp_path, text)
    got = aws_files.read_profiles("", text)["profiles"]
    for name, values in botocore_profiles(tmp_path, text)["profiles"].items():
        for key, value in values.items():
            assert got[name][key] == value


def test_read_profiles_parse_error_is_clear():
    with pytest.raises(AwsFileError) as error:
        aws_files.read_profiles("[a]\nx\n", "", "/h/cred", "/h/conf")
    assert "/h/cred line 2" in str(error.value)


def test_ten_thousand_profiles_parse_fast_path_and_slow_path_agree():
    text = "".join("[profile p%d]\nregion = r%d\noutput = json\n\n" % (i, i) for i in range(10000))
    fast = aws_files.parse(text, "c")
    slow = aws_files._slow_parse(text, "c")  # pylint: disable=protected-access
    assert fast.names == slow.names
    assert all(fast.offset(i) == slow.offset(i) for i in (0, 1, 5000, 9999))
    assert fast.all_offsets() == slow.all_offsets()
    edit = aws_files.edit_file(text, "config", "p5000", {"region": "eu-west-1"}, path="c")
    assert edit.text == text.replace("region = r5000\n", "region = eu-west-1\n")


@pytest.mark.parametrize("style", [
    "[p{i}]\nkey = v{i}\nother = w\n\n",
    "[p{i}]\r\nkey = v{i}\r\nother = w\r\n\r\n",
    "[p{i}]\nkey: v{i}\n\nother   =   w\n# a comment\n; another\n\n",
    "[p{i}]\nkey=v{i}\nother=w\n",
    "[p{i}]\nkey{blanks}= v{i}\nother{blanks}:w\n",
])
def test_common_shapes_cut_every_section_of_a_uniform_file(style):
    text = "# written by a tool\n" + "".join(style.format(i=i, blanks=" " * (i % 6)) for i in range(50))
    shapes = aws_files._common_shapes(text)  # pylint: disable=protected-access
    assert shapes.split(text) == ["# written by a tool\n[p0"] + ["p%d" % i for i in range(1, 50)] + [""]
    assert aws_files._fast_scan(text, 0) == ["p%d" % i for i in range(50)]  # pylint: disable=protected-access


@pytest.mark.parametrize("text, names", [
    ("[top]\nx = 1\n[a]\nk = 1\n[b]\nx = 1\n[c]\nk = 1\n[d]\nk = 1\n[e]\nx = 1", "top a b c d e"),
    ("[a]\nk = 1\n[b]\nx = 1\n[c]\nk = 1\n[d]\nk = 1\n", "a b c d"),
    ("[a]\nk = 1\n[b]\nk = 1\n[c]\nx = 1", "a b c"),
])
def test_fast_scan_decides_files_of_several_shapes(text, names):
    assert aws_files._fast_scan(text, 0) == names.split()  # pylint: disable=protected-access


def test_common_shapes_are_repeated_and_the_most_common_is_tried_first():
    common_shapes = aws_files._common_shapes  # pylint: disable=protected-access
    # each section a shape of its own, or one its own body does not match (a nested block)
    for count in (6, 100):  # (few enough that the runs of neighbours overlap)
        assert common_shapes("".join("[p%d]\nk%d = v\n" % (i, i) for i in range(count))) is None
    assert common_shapes("".join("[p%d]\ns3 =\n  a = b\n" % i for i in range(100))) is None
    # sections with no key, or with more keys than are worth a pattern
    assert common_shapes("".join("[p%d]\n# c]\n\n" % i for i in range(100))) is None
    many_keys = "".join("k%d = v\n" % k for k in range(33))
    assert common_shapes("".join("[p%d]\n%s" % (i, many_keys) for i in range(100))) is None
    assert common_shapes("".join("[p%d]\n%s" % (i, many_keys[7:]) for i in range(100)))  # 32 keys
    # two shapes taking turns, the first section sampled has the rarer one
    text = "".join("[p%d]\nkey = v\n%s\n" % (i, "token = t\n" if i % 3 == 2 else "") for i in range(100))
    shapes = common_shapes(text)
    assert "\n" not in "".join(shapes.split(text)[1:-1])  # both shapes cut
    assert shapes.pattern.index("token") > shapes.pattern.index("|")


def test_a_default_section_is_left_to_the_line_walk():
    assert aws_files.parse("[a]\nk = 1\n[DEFAULT]\nk = 1\n[b]\nk = 1\n", "c").defaults == [10]


@pytest.mark.parametrize("text, values, expected", [
    ("[profile a]\nregion = x\ns3 =\n  a = 1\noutput = j\n", {"s3": {"a": None}}, {"region": "x", "output": "j"}),
    ("[profile a]\ns3 =\n  a = 1\n  b = 2\n", {"s3": {"a": None}}, {"s3": {"b": "2"}}),
    ("[profile a]\nregion = x\n", {"s3": {"a": None}}, {"region": "x"}),
    ("", {"s3": {"a": None}, "region": "x"}, {"region": "x"}),
    ("[profile a]\ns3 = flat\n", {"s3": {"a": "1"}}, {"s3": {"a": "1"}}),
])
def test_nested_removals_never_leave_an_empty_block(tmp_path, text, values, expected):
    edit = aws_files.edit_file(text, "config", "a", values, path="config")
    assert botocore_profiles(tmp_path, edit.text)["profiles"]["a"] == expected


def test_read_sections_of_a_large_file_equals_raw_config_parse(tmp_path):
    text = "".join("[profile p%d]\nregion = r%d\ns3 =\n  addressing_style = path\n\n" % (i, i) for i in range(2000))
    assert aws_files.read_sections(text, "c") == botocore_raw(tmp_path, text)


# --------------------------------------------------------------- issue 12: diffs and input validation

OLD_SECRET = "commentedOldSecret0000EXAMPLE"
CONTINUED = "continuedSecretPart0000EXAMPLE"


@pytest.mark.parametrize("text, file_kind, values, state", [
    pytest.param("[dev]\naws_access_key_id = %s\n# aws_secret_access_key = %s\naws_secret_access_key = %s\n"
                 % (FAKE_KEY, OLD_SECRET, SECRET), "credentials", {"aws_access_key_id": "AKIAFAKE0000EXAMPLE1"},
                 "present", id="commented-secret-key-line"),
    pytest.param("[dev]\n;old: AWS_SESSION_TOKEN=%s\naws_access_key_id = %s\n" % (OLD_SECRET, FAKE_KEY),
                 "credentials", {"region": "eu-west-1"}, "present", id="comment-mentioning-a-token-key"),
    pytest.param("[profile dev]\nregion = a\ns3 =\n  # aws_secret_access_key = %s\n  addressing_style = path\n"
                 % OLD_SECRET, "config", {"region": "b"}, "present", id="comment-in-a-nested-block"),
    pytest.param("[dev]\naws_secret_access_key = %s\n  %s\n" % (OLD_SECRET, CONTINUED), "credentials", {},
                 "absent", id="continued-secret-value-of-a-removed-section"),
])
def test_diff_text_hides_every_line_that_mentions_a_secret_key(text, file_kind, values, state):
    """Issue 12 item 7. Fails on 064b0bc: the diff's before/after showed the commented
    "# aws_secret_access_key = <value>" line (comments were not redacted) and the continuation line of a
    removed secret."""
    edit = aws_files.edit_file(text, file_kind, "dev", values, aws_files.EditOptions(state=state), path="c")
    assert edit.changes
    shown = (edit.before or "") + (edit.after or "")
    assert OLD_SECRET not in shown and CONTINUED not in shown and SECRET not in shown
    for line in shown.splitlines():
        if any(key in line.lower() for key in aws_files.SECRET_KEYS):
            assert line.endswith((aws_files.SECRET_MARKER, aws_files.SECRET_UNCHANGED_MARKER)), line


@pytest.mark.parametrize("name, kind, values", [
    ("dev\n", "profile", {"region": "x"}),
    ("corp\n", "sso-session", {"sso_region": "x"}),
    ("local\n", "services", {"s3": {"endpoint_url": "http://127.0.0.1:9000"}}),
    ("dev", "profile", {"region\n": "x"}),
    ("dev", "profile", {"s3": {"addressing_style\n": "path"}}),
])
def test_a_trailing_newline_in_a_name_or_key_is_refused(name, kind, values):
    """Issue 12 item 8. Fails on 064b0bc: "[profile dev\\n]" / "region\\n = x" were written (the patterns ended
    in $, which matches before a final newline)."""
    with pytest.raises(AwsFileError) as error:
        aws_files.plan_profile(aws_files.ProfileRequest(name, kind=kind, settings=values), "", "")
    assert str(error.value).startswith("Failed to validate ")


@pytest.mark.parametrize("key_id", [FAKE_KEY + "\n", "\n" + FAKE_KEY, FAKE_KEY + "\r"])
def test_a_line_break_around_an_access_key_id_is_refused(key_id):
    """Issue 12 item 8. Fails on 064b0bc: an access key ID with a trailing newline passed validation."""
    with pytest.raises(AwsFileError) as error:
        aws_files.check_credentials({"aws_access_key_id": key_id, "aws_secret_access_key": SECRET})
    assert str(error.value).startswith("Failed to validate aws_access_key_id")
