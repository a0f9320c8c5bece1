"""devkeys.aws.aws_profile_info through real ansible-playbook runs in a sandbox HOME."""

import os

import pytest

MODULE = "devkeys.aws.aws_profile_info"
FAKE_KEY = "AKIAFAKE0000EXAMPLE0"
SECRET = "fakeSecret0000EXAMPLEqwertyuiopasdfghjklz"
TOKEN = "FakeSessionToken0000EXAMPLEtoken"


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.write_bytes(text.encode("utf-8"))


CONFIG = (
    "[default]\nregion = us-east-1\n"
    "[profile dev]\nregion = eu-west-1\nsso_session = corp\ns3 =\n  addressing_style = path\n"
    "aws_access_key_id = IGNOREDBYCREDS0000EXAMPLE\n"
    "[sso-session corp]\nsso_start_url = https://example.awsapps.com/start\nsso_region = us-east-1\n"
    "[services local]\ns3 =\n  endpoint_url = http://127.0.0.1:9000\n"
)
CREDENTIALS = (
    "[dev]\naws_access_key_id = %s\naws_secret_access_key = %s\naws_session_token = %s\n"
    "[ci]\naws_access_key_id = %s\n" % (FAKE_KEY, SECRET, TOKEN, FAKE_KEY)
)


def test_profiles_merged_like_botocore_without_secrets(ansible, home):
    write(home / ".aws" / "config", CONFIG)
    write(home / ".aws" / "credentials", CREDENTIALS)
    before = {name: os.stat(home / ".aws" / name).st_mtime_ns for name in ("config", "credentials")}
    run = ansible.task(MODULE, {}, publish=True, args=["--check", "-vvvv"]).assert_ok()
    result = run.published()["result"]
    assert SECRET not in run.output and TOKEN not in run.output and SECRET not in repr(result)
    assert result["changed"] is False
    assert result["profiles"] == {
        "default": {"region": "us-east-1", "has_secret": False, "has_session_token": False,
                    "source": {"region": "config"}},
        "dev": {"region": "eu-west-1", "sso_session": "corp", "s3": {"addressing_style": "path"},
                "aws_access_key_id": FAKE_KEY, "has_secret": True, "has_session_token": True,
                "source": {"region": "config", "sso_session": "config", "s3": "config",
                           "aws_access_key_id": "credentials", "aws_secret_access_key": "credentials",
                           "aws_session_token": "credentials"}},
        "ci": {"aws_access_key_id": FAKE_KEY, "has_secret": False, "has_session_token": False,
               "source": {"aws_access_key_id": "credentials"}},
    }
    assert result["sso_sessions"] == {"corp": {"sso_start_url": "https://example.awsapps.com/start",
                                               "sso_region": "us-east-1"}}
    assert result["services"] == {"local": {"s3": {"endpoint_url": "http://127.0.0.1:9000"}}}
    assert {name: os.stat(home / ".aws" / name).st_mtime_ns for name in before} == before
    assert sorted(os.listdir(home / ".aws")) == ["config", "credentials"]


def test_missing_files_read_as_empty(ansible, home):
    run = ansible.task(MODULE, {}, publish=True).assert_ok()
    assert run.published()["result"]["profiles"] == {}
    assert run.published()["result"]["shell_exports"] == {}
    assert not (home / ".aws").exists()


MARKER = "# {mark} devkeys.aws: default AWS profile"
BEGIN, END = MARKER.replace("{mark}", "BEGIN"), MARKER.replace("{mark}", "END")
SHELL_FILES = {
    "exported": "alias ll='ls -l'\n%s\nexport AWS_PROFILE=dev\n%s\n" % (BEGIN, END),
    "quoted": "%s\nexport AWS_PROFILE='my profile'\n%s\n" % (BEGIN, END),
    "unmanaged": "export AWS_PROFILE=dev\n",
    "two_lines": "%s\nexport AWS_PROFILE=dev\nexport AWS_REGION=x\n%s\n" % (BEGIN, END),
    "other_var": "%s\nexport AWS_REGION=dev\n%s\n" % (BEGIN, END),
    "no_end": "%s\nexport AWS_PROFILE=dev\n" % BEGIN,
    "twice": ("%s\nexport AWS_PROFILE=dev\n%s\n" % (BEGIN, END)) * 2,
    "bad_quote": "%s\nexport AWS_PROFILE='dev\n%s\n" % (BEGIN, END),
}
SHELL_EXPORTS = {"exported": "dev", "quoted": "my profile", "unmanaged": None, "two_lines": "", "other_var": "",
                 "no_end": "", "twice": "", "bad_quote": "", "missing": None}


def test_shell_exports_of_the_managed_block(ansible, home):
    for name, text in SHELL_FILES.items():
        write(home / name, text)
    before = {name: (home / name).read_bytes() for name in SHELL_FILES}
    paths = ["~/" + name for name in SHELL_EXPORTS]
    run = ansible.task(MODULE, {"shell_files": paths}, publish=True, args=["--check"]).assert_ok()
    result = run.published()["result"]
    assert result["changed"] is False
    assert result["shell_exports"] == {str(home / name): value for name, value in SHELL_EXPORTS.items()}
    assert {name: (home / name).read_bytes() for name in SHELL_FILES} == before
    assert not (home / "missing").exists()


def test_shell_exports_with_another_marker(ansible, home):
    write(home / ".bashrc", "# BEGIN mine\nexport AWS_PROFILE=ops\n# END mine\n%s\nexport AWS_PROFILE=dev\n%s\n"
          % (BEGIN, END))
    run = ansible.task(MODULE, {"shell_files": ["~/.bashrc"], "shell_marker": "# {mark} mine"}, publish=True)
    assert run.assert_ok().published()["result"]["shell_exports"] == {str(home / ".bashrc"): "ops"}


def test_parse_error_fails_with_file_and_line(ansible, home):
    write(home / ".aws" / "credentials", "[dev]\naws_secret_access_key = %s\n%s\n" % (SECRET, SECRET))
    run = ansible.task(MODULE, {})
    assert run.rc != 0
    assert "Failed to parse %s line 3:" % (home / ".aws" / "credentials") in run.output
    assert SECRET not in run.output


def test_explicit_paths_and_default_trap_warning(ansible, home, tmp_path):
    config = tmp_path / "cfg"
    write(config, "[DEFAULT]\nregion = leak-1\n[profile a]\noutput = json\n")
    run = ansible.task(MODULE, {"config_file": str(config), "credentials_file": str(tmp_path / "none")},
                       publish=True).assert_ok()
    result = run.published()["result"]
    assert result["profiles"]["a"]["region"] == "leak-1"
    assert any("[DEFAULT]" in warning for warning in result["warnings"])


OTHER_KEY = "AKIAFAKE0000EXAMPLE1"
COMPARED = [  # (entry, current, changed_keys)
    ({"name": "dev", "aws_access_key_id": FAKE_KEY, "region": "eu-west-1"}, True, []),
    ({"name": "dev", "aws_access_key_id": OTHER_KEY, "region": "eu-west-1"}, False, ["aws_access_key_id"]),
    ({"name": "dev", "region": "us-east-1", "output": "json"}, False, ["region"]),
    ({"name": "dev", "region": "eu-west-1", "output": "json", "exclusive": True}, False,
     ["aws_access_key_id", "aws_secret_access_key"]),
    ({"name": "dev", "settings": {"s3": {"addressing_style": "path"}}}, False, ["s3"]),
    ({"name": "keyonly", "aws_access_key_id": FAKE_KEY}, False, ["aws_secret_access_key"]),
    ({"name": "corp", "kind": "sso-session", "settings": {"sso_region": "us-east-1"}}, True, []),
    ({"name": "gone", "state": "absent"}, True, []),
    ({"name": "keyonly", "state": "absent"}, False, ["aws_access_key_id"]),
]


def test_compare_plans_like_aws_profile(ansible, home):
    write(home / ".aws" / "config", "[profile dev]\nregion = eu-west-1\noutput = json\n"
                                    "[sso-session corp]\nsso_region = us-east-1\n")
    write(home / ".aws" / "credentials", "[dev]\naws_access_key_id = %s\naws_secret_access_key = %s\n"
                                         "[keyonly]\naws_access_key_id = %s\n" % (FAKE_KEY, SECRET, FAKE_KEY))
    before = {name: (home / ".aws" / name).read_bytes() for name in ("config", "credentials")}
    run = ansible.task(MODULE, {"compare": [entry for entry, _current, _keys in COMPARED]},
                       publish=True, args=["-vvvv"]).assert_ok()
    compared = run.published()["result"]["compared"]
    assert [(item["name"], item["current"], item["changed_keys"]) for item in compared] == [
        (entry["name"], current, keys) for entry, current, keys in COMPARED]
    assert [item["kind"] for item in compared] == [entry.get("kind", "profile") for entry, _c, _k in COMPARED]
    assert SECRET not in run.output
    assert {name: (home / ".aws" / name).read_bytes() for name in before} == before

    # what is not current becomes current once aws_profile applied the same entry
    entry = COMPARED[2][0]
    ansible.task("devkeys.aws.aws_profile", entry).assert_ok()
    again = ansible.task(MODULE, {"compare": [entry]}, publish=True).assert_ok()
    assert again.published()["result"]["compared"] == [
        {"name": "dev", "kind": "profile", "current": True, "changed_keys": [], "error": None}]


def test_compare_reports_an_entry_aws_profile_would_refuse(ansible, home):
    write(home / ".aws" / "config", "[profile dev]\nregion = a\n[profile \"dev\"]\nregion = b\n")
    run = ansible.task(MODULE, {"compare": [{"name": "dev", "region": "a"}]}, publish=True).assert_ok()
    (item,) = run.published()["result"]["compared"]
    assert item["current"] is False and item["changed_keys"] == []
    assert item["error"].startswith("Failed to edit %s line 3: " % (home / ".aws" / "config"))


@pytest.mark.parametrize("secret_option", ["aws_secret_access_key", "aws_session_token"])
def test_compare_refuses_a_secret_without_echoing_it(ansible, home, secret_option):
    run = ansible.task(MODULE, {"compare": [{"name": "dev", "region": "x"},
                                            {"name": "dev", secret_option: SECRET}]}, args=["-vvvv"])
    assert run.rc != 0
    assert "Failed to validate compare[1]: %s is never compared" % secret_option in run.output
    assert SECRET not in run.output
