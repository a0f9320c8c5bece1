"""devkeys.aws.aws_profile through real ansible-playbook runs in a sandbox HOME."""

import os
import shutil
import stat

import pytest
from botocore.configloader import load_config, raw_config_parse

from harness.ansible import local_inventory
from reliability.accounts import shared_dir

MODULE = "devkeys.aws.aws_profile"
FAKE_KEY = "AKIAFAKE0000EXAMPLE0"
OTHER_KEY = "AKIAFAKE0000EXAMPLE1"
TEMP_KEY = "ASIAFAKE0000EXAMPLE0"
SECRET = "fakeSecret0000EXAMPLEqwertyuiopasdfghjklz"
NEW_SECRET = "fakeSecret0000EXAMPLEzyxwvutsrqponmlkjihg"
TOKEN = "FakeSessionToken0000EXAMPLEtoken"
COMMENTED_SECRET = "fakeCommentedSecret0000EXAMPLE"
NOBODY = 65534


def mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


def aws_dir(home):
    return home / ".aws"


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.write_bytes(text.encode("utf-8"))
    path.chmod(0o600)


def task(name, args, **extra):
    entry = {"name": name, MODULE: args, "register": name.replace(" ", "_")}
    entry.update(extra)
    return entry


def play(*tasks):
    return [{"name": "aws_profile", "hosts": "localhost", "gather_facts": False, "tasks": list(tasks)}]


def test_key_pair_and_settings_are_written_private_and_read_by_botocore(ansible, home):
    run = ansible.task(MODULE, {
        "name": "dev", "aws_access_key_id": FAKE_KEY, "aws_secret_access_key": SECRET,
        "region": "eu-west-1", "output": "json", "settings": {"s3": {"addressing_style": "path"}},
    }, publish=True).assert_ok()
    result = run.published()["result"]
    credentials, config = aws_dir(home) / "credentials", aws_dir(home) / "config"
    assert raw_config_parse(str(credentials)) == {"dev": {"aws_access_key_id": FAKE_KEY,
                                                          "aws_secret_access_key": SECRET}}
    assert load_config(str(config))["profiles"]["dev"] == {"region": "eu-west-1", "output": "json",
                                                           "s3": {"addressing_style": "path"}}
    assert mode(aws_dir(home)) == 0o700 and mode(credentials) == 0o600 and mode(config) == 0o600
    assert result["changed"] is True and result["access_key_id"] == FAKE_KEY
    assert result["changed_keys"] == ["aws_access_key_id", "aws_secret_access_key", "region", "output", "s3"]
    assert result["credentials_file"] == str(credentials) and result["config_file"] == str(config)
    assert SECRET not in run.output and SECRET not in repr(run.results)
    assert sorted(os.listdir(aws_dir(home))) == [".config.lock", ".credentials.lock", "config", "credentials"]


def test_second_run_changes_nothing_and_keeps_mtime(ansible, home):
    args = {"name": "dev", "aws_access_key_id": FAKE_KEY, "aws_secret_access_key": SECRET, "region": "eu-west-1"}
    tasks = play(task("first", args), task("second", args))
    run = ansible.playbook(tasks).assert_ok()
    assert run.result("first")["changed"] is True and run.result("second")["changed"] is False
    before = {name: os.stat(aws_dir(home) / name).st_mtime_ns for name in ("credentials", "config")}
    ansible.playbook(play(task("third", args))).assert_ok()
    assert {name: os.stat(aws_dir(home) / name).st_mtime_ns for name in before} == before


def test_check_mode_changes_nothing_and_diff_never_shows_a_secret(ansible, home):
    credentials = aws_dir(home) / "credentials"
    write(credentials, "[dev]\naws_access_key_id = %s\naws_secret_access_key = %s\n" % (FAKE_KEY, SECRET))
    original = credentials.read_bytes()
    args = {"name": "dev", "aws_access_key_id": OTHER_KEY, "aws_secret_access_key": NEW_SECRET,
            "region": "us-east-2"}
    run = ansible.task(MODULE, args, args=["--check", "--diff", "-vvvv"]).assert_ok()
    assert run.recap["localhost"]["changed"] == 1
    assert credentials.read_bytes() == original and not (aws_dir(home) / "config").exists()
    assert SECRET not in run.output and NEW_SECRET not in run.output
    assert "<secret changed>" in run.output and "+aws_access_key_id = %s" % OTHER_KEY in run.output
    # the real run: same redaction
    run = ansible.task(MODULE, args, args=["--diff", "-vvvv"]).assert_ok()
    assert SECRET not in run.output and NEW_SECRET not in run.output and "<secret changed>" in run.output
    assert raw_config_parse(str(credentials))["dev"]["aws_secret_access_key"] == NEW_SECRET


def test_lossless_edits_across_kinds_crlf_profile_default_exclusive_absent(ansible, home):
    config = aws_dir(home) / "config"
    credentials = aws_dir(home) / "credentials"
    original = (
        "# managed by hand\r\n"
        "[profile default]\r\n"
        "region = us-east-1\r\n"
        "\r\n"
        "[profile dev]\r\n"
        "REGION = eu-west-1\r\n"
        "s3 =\r\n"
        "    addressing_style = virtual\r\n"
        "    max_concurrent_requests = 20\r\n"
        "mfa_serial = arn:aws:iam::000000000000:mfa/me\r\n"
        "\r\n"
        "[profile old]\r\n"
        "region = ap-south-1\r\n"
        "\r\n"
        "[plugins]\r\n"
        "x = y\r\n"
    )
    write(config, original)
    write(credentials, "[old]\naws_access_key_id = %s\naws_secret_access_key = %s\n[keep]\n"
                       "aws_access_key_id = %s\n" % (FAKE_KEY, SECRET, OTHER_KEY))
    run = ansible.playbook(play(
        task("default in place", {"name": "default", "output": "json"}),
        task("nested", {"name": "dev", "settings": {"s3": {"addressing_style": "path"}, "mfa_serial": None}}),
        task("sso", {"name": "corp", "kind": "sso-session", "settings": {
            "sso_start_url": "https://example.awsapps.com/start", "sso_region": "us-east-1",
            "sso_registration_scopes": "sso:account:access"}}),
        task("services", {"name": "local", "kind": "services",
                          "settings": {"s3": {"endpoint_url": "http://127.0.0.1:9000"}}}),
        task("exclusive", {"name": "dev", "region": "eu-west-1", "settings": {"s3": {"addressing_style": "path"}},
                           "exclusive": True}),
        task("absent", {"name": "old", "state": "absent"}),
    )).assert_ok()
    text = config.read_bytes().decode()
    assert text.startswith("# managed by hand\r\n[profile default]\r\nregion = us-east-1\r\noutput = json\r\n")
    assert "\n" not in text.replace("\r\n", "")
    assert "[profile dev]\r\nREGION = eu-west-1\r\ns3 =\r\n    addressing_style = path\r\n\r\n" in text
    assert "[plugins]\r\nx = y\r\n" in text and "[profile old]" not in text
    loaded = load_config(str(config))
    assert loaded["profiles"]["default"] == {"region": "us-east-1", "output": "json"}
    assert loaded["profiles"]["dev"] == {"region": "eu-west-1", "s3": {"addressing_style": "path"}}
    assert loaded["sso_sessions"]["corp"]["sso_registration_scopes"] == "sso:account:access"
    assert loaded["services"]["local"] == {"s3": {"endpoint_url": "http://127.0.0.1:9000"}}
    assert raw_config_parse(str(credentials)) == {"keep": {"aws_access_key_id": OTHER_KEY}}
    assert run.result("absent")["changed_keys"] == ["aws_access_key_id", "aws_secret_access_key", "region"]


def test_long_term_key_removes_token_and_temporary_key_needs_one(ansible, home):
    credentials = aws_dir(home) / "credentials"
    write(credentials, "[dev]\naws_access_key_id = %s\naws_secret_access_key = %s\naws_session_token = %s\n"
          % (TEMP_KEY, SECRET, TOKEN))
    ansible.task(MODULE, {"name": "dev", "aws_access_key_id": FAKE_KEY,
                          "aws_secret_access_key": NEW_SECRET}).assert_ok()
    assert raw_config_parse(str(credentials))["dev"] == {"aws_access_key_id": FAKE_KEY,
                                                         "aws_secret_access_key": NEW_SECRET}
    run = ansible.task(MODULE, {"name": "dev", "aws_access_key_id": TEMP_KEY, "aws_secret_access_key": SECRET})
    assert run.rc != 0 and "aws_session_token" in run.output and SECRET not in run.output


@pytest.mark.parametrize("text, line", [
    ("[dev]\nregion = a\n[dev]\nregion = b\n", 3),
    ("[profile dev]\nregion = a\n  output = json\n", 3),
    ("[default]\nregion = a\n\n[profile default]\noutput = json\n", 4),
])
def test_errors_name_file_and_line_and_leave_files_byte_identical(ansible, home, text, line):
    config = aws_dir(home) / "config"
    write(config, text)
    before = (config.read_bytes(), os.stat(config).st_mtime_ns)
    name = "default" if "default" in text else "dev"
    run = ansible.task(MODULE, {"name": name, "region": "x-1"}, args=["--diff"])
    assert run.rc != 0
    assert "Failed to " in run.output and "%s line %d:" % (config, line) in run.output
    assert (config.read_bytes(), os.stat(config).st_mtime_ns) == before
    assert sorted(os.listdir(aws_dir(home))) == ["config"]


def test_injection_is_an_error(ansible, home):
    run = ansible.task(MODULE, {"name": "dev", "settings": {"role_arn": "x\n[profile evil]\ncredential_process = sh"}})
    assert run.rc != 0 and "Failed to validate" in run.output
    assert not (aws_dir(home) / "config").exists()


@pytest.fixture
def nobody_home():
    """A home owned by nobody in a directory every account can traverse (the module acts as that account)."""
    if os.geteuid() != 0:
        pytest.skip("needs root")
    with shared_dir() as base:
        path = base / "nobody"
        path.mkdir(mode=0o700)
        os.chown(path, NOBODY, NOBODY)
        yield path


def test_owner_and_group_as_root(ansible, nobody_home):
    credentials, config = nobody_home / ".aws" / "credentials", nobody_home / ".aws" / "config"
    ansible.task(MODULE, {"name": "default", "aws_access_key_id": FAKE_KEY, "aws_secret_access_key": SECRET,
                          "region": "eu-central-1", "owner": "nobody", "credentials_file": str(credentials),
                          "config_file": str(config)}).assert_ok()
    for path in (credentials.parent, credentials, config, credentials.parent / ".credentials.lock"):
        info = os.stat(path)
        assert (info.st_uid, info.st_gid) == (NOBODY, NOBODY), path
    assert mode(credentials.parent) == 0o700 and mode(credentials) == 0o600 and mode(config) == 0o600


def test_symlink_planted_by_the_user_is_refused_as_root(ansible, nobody_home):
    victim = nobody_home.parent / "root-only"
    victim.write_bytes(b"[victim]\nx = 1\n")
    victim.chmod(0o600)
    user_aws = nobody_home / ".aws"
    user_aws.mkdir()
    os.chown(user_aws, NOBODY, NOBODY)
    (user_aws / "config").symlink_to(victim)
    run = ansible.task(MODULE, {"name": "dev", "region": "x-1", "owner": "nobody",
                                "config_file": str(user_aws / "config"),
                                "credentials_file": str(user_aws / "credentials")})
    assert run.rc != 0 and "Failed to read %s: Permission denied" % (user_aws / "config") in run.output
    assert victim.read_bytes() == b"[victim]\nx = 1\n" and os.stat(victim).st_uid == 0


def test_diff_hides_a_commented_out_secret(ansible, home):
    """Issue 12 item 7. Fails on 064b0bc: --diff showed "# aws_secret_access_key = <the old secret>" (comment
    lines of the edited section were not redacted)."""
    credentials = aws_dir(home) / "credentials"
    write(credentials, "[dev]\naws_access_key_id = %s\n# aws_secret_access_key = %s\naws_secret_access_key = %s\n"
          % (FAKE_KEY, COMMENTED_SECRET, SECRET))
    args = {"name": "dev", "aws_access_key_id": OTHER_KEY, "aws_secret_access_key": NEW_SECRET}
    for mode_args in (["--check", "--diff", "-vvvv"], ["--diff", "-vvvv"]):
        run = ansible.task(MODULE, args, args=mode_args).assert_ok()
        assert "# aws_secret_access_key = <secret unchanged>" in run.output
        for secret in (COMMENTED_SECRET, SECRET, NEW_SECRET):
            assert secret not in run.output


@pytest.mark.parametrize("args", [
    {"name": "dev\n", "region": "eu-west-1"},
    {"name": "dev", "settings": {"region\n": "eu-west-1"}},
    {"name": "dev", "settings": {"s3": {"addressing_style\n": "path"}}},
    {"name": "corp\n", "kind": "sso-session", "settings": {"sso_region": "us-east-1"}},
    {"name": "dev", "aws_access_key_id": FAKE_KEY + "\n", "aws_secret_access_key": SECRET},
    {"name": "dev", "region": "eu-west-1", "shell_files": ["~/.bashrc"], "shell_export": "dev\n"},
], ids=["name", "settings-key", "nested-key", "sso-session-name", "access-key-id", "shell-export"])
def test_a_trailing_newline_is_refused_and_nothing_is_written(ansible, home, args):
    """Issue 12 item 8. Fails on 064b0bc for every case but access-key-id (its value check already refused it):
    accepted (the patterns ended in $, which matches before a final newline), and a file botocore cannot read
    (or a shell block with an empty line) was written."""
    run = ansible.task(MODULE, args)
    assert run.rc != 0 and "Failed to validate " in run.output
    assert not aws_dir(home).exists() and not (home / ".bashrc").exists()
    assert SECRET not in run.output


def test_backup_and_tightened_mode_warning(ansible, home):
    credentials = aws_dir(home) / "credentials"
    write(credentials, "[dev]\naws_access_key_id = %s\naws_secret_access_key = %s\n" % (FAKE_KEY, SECRET))
    credentials.chmod(0o644)
    run = ansible.task(MODULE, {"name": "dev", "aws_secret_access_key": NEW_SECRET, "backup": True},
                       publish=True).assert_ok()
    result = run.published()["result"]
    assert mode(credentials) == 0o600
    assert any("Tightened the mode" in w for w in result["warnings"])
    (backup,) = result["backup_files"]
    assert mode(backup) == 0o600 and SECRET in open(backup).read()
    assert SECRET not in run.output and NEW_SECRET not in run.output


@pytest.mark.parametrize("args", [
    {"name": "dev", "aws_access_key_id": FAKE_KEY},  # the same key: the credentials file is used, not changed
    {"name": "dev", "region": "us-east-1"},  # a settings-only call: the credentials file is only guarded
])
def test_loose_credentials_file_is_tightened_without_other_change(ansible, home, args):
    credentials = aws_dir(home) / "credentials"
    config = aws_dir(home) / "config"
    content = "[dev]\naws_access_key_id = %s\naws_secret_access_key = %s\n" % (FAKE_KEY, SECRET)
    write(credentials, content)
    write(config, "[profile dev]\nregion = us-east-1\n")
    credentials.chmod(0o644)
    config.chmod(0o644)

    checked = ansible.task(MODULE, args, publish=True, args=["--check"]).assert_ok()
    assert checked.published()["result"]["changed"] is True and mode(credentials) == 0o644

    run = ansible.task(MODULE, args, publish=True).assert_ok()
    result = run.published()["result"]
    assert result["changed"] is True and result["changed_keys"] == []
    assert result["warnings"] == ["Tightened the mode of %s from 0644 to 0600: it holds secrets" % credentials]
    assert mode(credentials) == 0o600 and credentials.read_text() == content
    assert mode(config) == 0o644  # the config file keeps its mode

    again = ansible.task(MODULE, args, publish=True).assert_ok()
    assert again.published()["result"]["changed"] is False


@pytest.mark.slow
def test_parallel_writers_lose_no_update(ansible, home, tmp_path):
    hosts = ["h%02d" % n for n in range(24)]
    inventory = local_inventory(tmp_path / "inventory.yml", hosts=hosts)
    write(aws_dir(home) / "config", "# shared\n[default]\nregion = us-east-1\n")
    plays = [{"name": "parallel", "hosts": "all", "gather_facts": False, "tasks": [{
        "name": "one profile per host",
        MODULE: {"name": "{{ inventory_hostname }}", "region": "eu-west-1",
                 "aws_access_key_id": FAKE_KEY, "aws_secret_access_key": SECRET},
    }]}]
    run = ansible.playbook(plays, inventory=inventory, args=["--forks", "24"]).assert_ok()
    assert run.changed() == 24
    config = load_config(str(aws_dir(home) / "config"))["profiles"]
    credentials = raw_config_parse(str(aws_dir(home) / "credentials"))
    assert sorted(config) == sorted(hosts + ["default"]) and sorted(credentials) == sorted(hosts)
    assert all(config[h] == {"region": "eu-west-1"} for h in hosts)
    assert not [name for name in os.listdir(aws_dir(home)) if ".tmp-" in name]


def test_environment_variables_choose_the_paths(ansible, home, tmp_path):
    other = tmp_path / "elsewhere"
    run = ansible.task(MODULE, {"name": "dev", "region": "x-1"},
                       env={"AWS_CONFIG_FILE": str(other / "cfg")}, publish=True).assert_ok()
    assert run.published()["result"]["config_file"] == str(other / "cfg")
    assert load_config(str(other / "cfg"))["profiles"]["dev"] == {"region": "x-1"}
    shutil.rmtree(other)


SHELL_BEGIN = "# BEGIN devkeys.aws: default AWS profile\n"
SHELL_END = "# END devkeys.aws: default AWS profile\n"


def test_shell_export_sets_and_removes_the_block_and_nothing_else(ansible, home):
    bashrc, zshrc = home / ".bashrc", home / ".zshrc"
    bashrc.write_bytes(b"alias ll='ls -l'\r\n# caf\xc3\xa9 \xff\n")  # not UTF-8 at the end: kept byte for byte
    bashrc.chmod(0o644)
    args = {"name": "dev", "region": "eu-west-1", "shell_files": ["~/.bashrc", "~/.zshrc"], "shell_export": "dev"}
    block = SHELL_BEGIN + "export AWS_PROFILE=dev\n" + SHELL_END

    check = ansible.task(MODULE, args, args=["--check", "--diff"], publish=True).assert_ok()
    assert check.recap["localhost"]["changed"] == 1 and not zshrc.exists() and not aws_dir(home).exists()
    assert check.published()["result"]["shell_exports"] == {str(bashrc): "dev", str(zshrc): "dev"}
    assert "+export AWS_PROFILE=dev" in check.output

    ansible.task(MODULE, args).assert_ok()
    assert bashrc.read_bytes() == b"alias ll='ls -l'\r\n# caf\xc3\xa9 \xff\n" + block.encode()
    assert zshrc.read_text(encoding="utf-8") == block
    assert mode(bashrc) == 0o644 and mode(zshrc) == 0o600
    assert load_config(str(aws_dir(home) / "config"))["profiles"]["dev"] == {"region": "eu-west-1"}
    again = ansible.task(MODULE, args, publish=True).assert_ok()
    assert again.recap["localhost"]["changed"] == 0

    removed = ansible.task(MODULE, dict(args, shell_export=""), publish=True).assert_ok()
    assert removed.recap["localhost"]["changed"] == 1
    assert removed.published()["result"]["shell_exports"] == {str(bashrc): None, str(zshrc): None}
    assert bashrc.read_bytes() == b"alias ll='ls -l'\r\n# caf\xc3\xa9 \xff\n" and zshrc.read_text(encoding="utf-8") == ""


def test_a_broken_shell_block_fails_before_any_file_is_written(ansible, home):
    bashrc = home / ".bashrc"
    bashrc.write_text("x\n" + SHELL_BEGIN + "export AWS_PROFILE=a\n", encoding="utf-8")
    before = bashrc.read_bytes()
    run = ansible.task(MODULE, {"name": "dev", "aws_access_key_id": FAKE_KEY, "aws_secret_access_key": SECRET,
                                "shell_files": ["~/.zshrc", "~/.bashrc"], "shell_export": "dev"})
    assert run.rc != 0
    assert "Failed to edit %s line 2: the block marked" % bashrc in run.output
    assert bashrc.read_bytes() == before and not (home / ".zshrc").exists() and not aws_dir(home).exists()
