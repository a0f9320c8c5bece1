"""The devkeys.aws.workstation role through playbooks/setup-dev.yml over several local workstations on moto."""

import json
import stat

import pytest

from _workstation import (
    PLAYBOOKS,
    aws_requests,
    caller_arn,
    credentials,
    home_of,
    key_states,
    profile_config,
    raw_sections,
    sso_session,
    unreachable_host,
    workstations,
)

SETUP = str(PLAYBOOKS / "setup-dev.yml")
ROTATE = str(PLAYBOOKS / "rotate-keys.yml")
READ_TASK = "Read the profiles, keys and shell exports this workstation holds (as its account)"
KEY_TASK = "Create, rotate or describe the access keys the plan asks for (on the controller)"
ROTATE_SUMMARY = "Show which keys were rotated and retired, and which workstations were not rotated"


@pytest.fixture
def users(iam):
    for name in ("alice", "team"):
        iam.create_user(UserName=name)
    return iam


def fleet(tmp_path, extra=None):
    """ws1: alice's own key + a role profile + an SSO profile; ws2, ws3: share IAM user `team`."""
    hosts = {
        "ws1": {
            "workstation_profiles": [
                {"name": "dev", "iam_user": "alice", "region": "eu-west-1", "output": "json"},
                {"name": "admin", "settings": {"role_arn": "arn:aws:iam::123456789012:role/Admin", "source_profile": "dev"}},
                {"name": "sso-dev", "settings": {"sso_session": "corp", "sso_account_id": "123456789012", "sso_role_name": "Dev"}},
            ],
            "workstation_sso_sessions": [
                {"name": "corp", "sso_start_url": "https://example.awsapps.com/start", "sso_region": "us-east-1",
                 "sso_registration_scopes": "sso:account:access"},
            ],
        },
        "ws2": {"workstation_profiles": [{"name": "team", "iam_user": "team"}]},
        "ws3": {"workstation_profiles": [{"name": "team", "iam_user": "team"}]},
    }
    hosts.update(extra or {})
    return hosts


def test_setup_dev_configures_every_workstation_and_rerun_changes_nothing(tmp_path, ansible_aws, aws, users):
    inventory = workstations(tmp_path, fleet(tmp_path))

    first = ansible_aws.playbook(SETUP, inventory=inventory).assert_ok()

    assert first.changed("ws1") >= 1
    ws1, ws2, ws3 = (home_of(tmp_path, host) for host in ("ws1", "ws2", "ws3"))
    assert caller_arn(aws, ws1, "dev").endswith(":user/alice")
    assert profile_config(ws1, "dev") == {"region": "eu-west-1", "output": "json"} | _creds_of(ws1, "dev")
    assert profile_config(ws1, "admin")["source_profile"] == "dev"
    assert profile_config(ws1, "sso-dev")["sso_session"] == "corp"
    assert sso_session(ws1, "corp") == {"sso_start_url": "https://example.awsapps.com/start", "sso_region": "us-east-1",
                                        "sso_registration_scopes": "sso:account:access"}
    assert raw_sections(ws1 / ".aws" / "credentials") == ["dev"]  # no key for the role and SSO profiles
    # ws2 and ws3 share one key of `team`, and that is the only key of the user.
    team_key = credentials(ws2, "team").access_key
    assert credentials(ws3, "team").access_key == team_key
    assert caller_arn(aws, ws3, "team").endswith(":user/team")
    assert key_states(users, "team") == {team_key: "Active"}
    assert key_states(users, "alice") == {credentials(ws1, "dev").access_key: "Active"}
    for home in (ws1, ws2, ws3):
        assert stat.S_IMODE((home / ".aws").stat().st_mode) == 0o700
        assert stat.S_IMODE((home / ".aws" / "credentials").stat().st_mode) == 0o600
        assert not (home / ".bashrc").exists()

    before = aws_requests(aws)
    second = ansible_aws.playbook(SETUP, inventory=inventory).assert_ok()

    assert second.changed() == 0, second.recap
    # Converged: no write, at most 2 IAM reads per IAM user (alice, team).
    assert aws_requests(aws) - before <= 4
    assert key_states(users, "team") == {team_key: "Active"}


def _statuses(run, task_suffix):
    return {entry["host"]: entry["status"] for entry in run.results if entry["task"].endswith(task_suffix)}


def test_first_run_writes_without_reading_and_still_fixes_the_shell_files(tmp_path, ansible_aws, aws, users):
    """Users without keys get their key before any host is read; the writes report the shell files instead."""
    block = "# BEGIN devkeys.aws: default AWS profile\nexport AWS_PROFILE=old\n# END devkeys.aws: default AWS profile\n"
    hosts = fleet(tmp_path)
    inventory = workstations(tmp_path, {"ws2": hosts["ws2"], "ws3": dict(hosts["ws3"], workstation_default_profile="team")})
    ws2, ws3 = home_of(tmp_path, "ws2"), home_of(tmp_path, "ws3")
    (ws2 / ".bashrc").write_text("alias ll='ls -l'\n" + block, encoding="utf-8")
    (ws3 / ".zshrc").write_text(block, encoding="utf-8")
    before = aws_requests(aws)

    first = ansible_aws.playbook(SETUP, inventory=inventory).assert_ok()

    assert _statuses(first, READ_TASK) == {"ws2": "skipped", "ws3": "skipped"}
    assert _statuses(first, KEY_TASK) == {"ws2": "ok"}
    # The batch's read (ListAccessKeys), then the key run: ListAccessKeys, CreateAccessKey, TagUser for `team`,
    # and GetCallerIdentity with the new key.
    assert aws_requests(aws) - before == 5
    team_key = credentials(ws2, "team").access_key
    assert credentials(ws3, "team").access_key == team_key and key_states(users, "team") == {team_key: "Active"}
    assert (ws2 / ".bashrc").read_text(encoding="utf-8") == "alias ll='ls -l'\n"
    for name in (".bashrc", ".zshrc"):
        assert (ws3 / name).read_text(encoding="utf-8") == block.replace("=old", "=team")

    second = ansible_aws.playbook(SETUP, inventory=inventory).assert_ok()
    assert second.changed() == 0, second.recap
    assert _statuses(second, READ_TASK) == {"ws2": "ok", "ws3": "ok"}
    assert _statuses(second, KEY_TASK) == {"ws2": "skipped"}


def test_converged_rerun_rewrites_only_what_drifted(tmp_path, ansible_aws, aws, users):
    hosts = fleet(tmp_path)
    hosts["ws1"]["workstation_profiles"].append({"name": "gone", "state": "absent"})
    inventory = workstations(tmp_path, {"ws1": hosts["ws1"]})
    ansible_aws.playbook(SETUP, inventory=inventory).assert_ok()
    ws1 = home_of(tmp_path, "ws1")
    config = ws1 / ".aws" / "config"
    key = credentials(ws1, "dev").access_key
    # Another tool changed a setting, a nested block, the SSO session and added a profile the role removes.
    config.write_text(config.read_text(encoding="utf-8").replace("eu-west-1", "us-west-2")
                      .replace("sso:account:access", "sso:other") + "[profile gone]\nregion = x\n", encoding="utf-8")
    (ws1 / ".bashrc").write_text("# BEGIN devkeys.aws: default AWS profile\nexport AWS_PROFILE=old\n"
                                 "# END devkeys.aws: default AWS profile\n", encoding="utf-8")

    ansible_aws.playbook(SETUP, inventory=inventory).assert_ok()

    assert profile_config(ws1, "dev") == {"region": "eu-west-1", "output": "json"} | _creds_of(ws1, "dev")
    assert credentials(ws1, "dev").access_key == key
    assert sso_session(ws1, "corp")["sso_registration_scopes"] == "sso:account:access"
    assert "[profile gone]" not in config.read_text(encoding="utf-8")
    assert (ws1 / ".bashrc").read_text(encoding="utf-8") == ""
    assert ansible_aws.playbook(SETUP, inventory=inventory).assert_ok().changed() == 0


def test_rerun_makes_a_loosened_credentials_file_private_again(tmp_path, ansible_aws, users):
    inventory = workstations(tmp_path, {"ws1": fleet(tmp_path)["ws1"]})
    ansible_aws.playbook(SETUP, inventory=inventory).assert_ok()
    credentials_file = home_of(tmp_path, "ws1") / ".aws" / "credentials"
    content = credentials_file.read_bytes()
    credentials_file.chmod(0o644)

    run = ansible_aws.playbook(SETUP, inventory=inventory).assert_ok()

    assert run.recap["ws1"]["changed"] == 1
    assert "Tightened the mode of" in run.output
    assert stat.S_IMODE(credentials_file.stat().st_mode) == 0o600 and credentials_file.read_bytes() == content
    assert ansible_aws.playbook(SETUP, inventory=inventory).assert_ok().changed() == 0


def _creds_of(home, profile):
    frozen = credentials(home, profile)
    return {"aws_access_key_id": frozen.access_key, "aws_secret_access_key": frozen.secret_key}


def test_check_mode_on_a_new_fleet_creates_nothing(tmp_path, ansible_aws, users):
    inventory = workstations(tmp_path, fleet(tmp_path))

    run = ansible_aws.playbook(SETUP, inventory=inventory, args=["--check"]).assert_ok()

    assert run.changed() >= 1
    assert key_states(users, "alice") == {}
    assert not (home_of(tmp_path, "ws1") / ".aws" / "credentials").exists()


def test_rotation_gives_a_shared_user_one_new_key_and_deactivates_the_old_one(tmp_path, ansible_aws, aws, users):
    inventory = workstations(tmp_path, fleet(tmp_path))
    ansible_aws.playbook(SETUP, inventory=inventory).assert_ok()
    old_team = credentials(home_of(tmp_path, "ws2"), "team").access_key

    run = ansible_aws.playbook(ROTATE, inventory=inventory, extra_vars={"rotate_batch_size": 2}, args=["-vvvv"]).assert_ok()

    new_team = credentials(home_of(tmp_path, "ws2"), "team").access_key
    # Not even -vvvv shows the new secret, also in the second batch that got it from the first.
    assert credentials(home_of(tmp_path, "ws3"), "team").secret_key not in run.output
    assert new_team != old_team
    assert credentials(home_of(tmp_path, "ws3"), "team").access_key == new_team  # ws3 ran in the second batch
    assert key_states(users, "team") == {old_team: "Inactive", new_team: "Active"}
    assert caller_arn(aws, home_of(tmp_path, "ws3"), "team").endswith(":user/team")
    summary = run.result(ROTATE_SUMMARY)["msg"]
    assert f"team: created key {new_team} replacing {old_team} on ws2" in summary["keys"]
    assert f"team: copied key {new_team} replacing {old_team} on ws3" in summary["keys"]
    assert f"team: deactivated {old_team} (every workstation that held it stored the new key {new_team})" in (
        summary["retired"])
    assert summary["failed"] == {} and summary["not_run"] == []


@pytest.mark.slow
def test_unreachable_host_during_rotation_keeps_the_old_key_and_next_run_converges(tmp_path, ansible_aws, aws, users):
    hosts = fleet(tmp_path)
    inventory = workstations(tmp_path, hosts)
    ansible_aws.playbook(SETUP, inventory=inventory).assert_ok()
    old_team = credentials(home_of(tmp_path, "ws2"), "team").access_key
    down = unreachable_host(workstation_profiles=[{"name": "team", "iam_user": "team"}])
    with_down = workstations(tmp_path, dict(hosts, ws4=down), name="with-down.yml")

    run = ansible_aws.playbook(ROTATE, inventory=with_down, extra_vars={"rotate_batch_size": 10})

    # The rotation goes on without ws4 (its unreachable read is ignored); the last play fails it.
    assert run.rc == 2 and run.recap["ws4"]["failures"] == 1
    new_team = credentials(home_of(tmp_path, "ws2"), "team").access_key
    assert new_team != old_team and credentials(home_of(tmp_path, "ws3"), "team").access_key == new_team
    assert key_states(users, "team") == {old_team: "Active", new_team: "Active"}
    summary = run.result(ROTATE_SUMMARY)["msg"]
    assert (f"team: kept {old_team} (kept Active: the new key is not stored on ws4 yet (not read in this run, "
            f"failed, or in a later batch))") in summary["retired"]
    assert list(summary["failed"]) == ["ws4"] and "Failed to read the AWS profiles of ws4" in summary["failed"]["ws4"][0]

    # ws4 comes back still holding the old key: the fleet converges on one new key.
    ws4_home = home_of(tmp_path, "ws4")
    ansible_aws.playbook(
        [{"name": "ws4 missed the rotation", "hosts": "localhost", "gather_facts": False, "tasks": [{
            "devkeys.aws.aws_profile": {"name": "team", "aws_access_key_id": old_team,
                                        "aws_secret_access_key": "unknown-to-the-test",
                                        "credentials_file": str(ws4_home / ".aws" / "credentials"),
                                        "config_file": str(ws4_home / ".aws" / "config")}, "no_log": True}]}]
    ).assert_ok()
    back = workstations(tmp_path, dict(hosts, ws4={"workstation_profiles": [{"name": "team", "iam_user": "team"}]}),
                        name="back.yml")

    ansible_aws.playbook(SETUP, inventory=back).assert_ok()

    final = {credentials(home_of(tmp_path, host), "team").access_key for host in ("ws2", "ws3", "ws4")}
    assert len(final) == 1
    (final_key,) = final
    assert key_states(users, "team")[final_key] == "Active"
    assert [state for key, state in key_states(users, "team").items() if key != final_key] == ["Inactive"]
    assert ansible_aws.playbook(SETUP, inventory=back).assert_ok().changed() == 0


def test_failed_write_on_every_host_of_a_user_deletes_the_new_key(tmp_path, ansible_aws, users):
    bad = {"name": "dev", "iam_user": "alice", "settings": {"Not-A-Key": "x"}}  # aws_profile refuses the whole write
    inventory = workstations(tmp_path, {"ws1": {"workstation_profiles": [bad]}})

    run = ansible_aws.playbook(SETUP, inventory=inventory)

    assert run.rc == 2 and run.recap["ws1"]["failures"] == 1
    assert "Failed to configure the AWS profiles of ws1: Failed to write profile dev: Failed to validate" in run.output
    assert key_states(users, "alice") == {}  # the created key was deleted: no orphan
    assert not (home_of(tmp_path, "ws1") / ".aws" / "credentials").exists()


def test_create_user_attaches_only_what_is_asked(tmp_path, ansible_aws, iam):
    iam.create_group(GroupName="developers")
    policy = iam.create_policy(PolicyName="dev-read", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:List*", "Resource": "*"}]}))["Policy"]["Arn"]
    inventory = workstations(tmp_path, {
        "ws1": {"workstation_profiles": [
            {"name": "bob", "iam_user": "bob", "create_user": True, "managed_policies": [policy], "groups": ["developers"]},
            {"name": "carol", "iam_user": "carol", "create_user": True},
        ]},
    })

    ansible_aws.playbook(SETUP, inventory=inventory).assert_ok()

    assert [p["PolicyArn"] for p in iam.list_attached_user_policies(UserName="bob")["AttachedPolicies"]] == [policy]
    assert [g["GroupName"] for g in iam.list_groups_for_user(UserName="bob")["Groups"]] == ["developers"]
    assert iam.list_attached_user_policies(UserName="carol")["AttachedPolicies"] == []
    assert iam.list_groups_for_user(UserName="carol")["Groups"] == []
    assert len(key_states(iam, "carol")) == 1


def test_the_role_twice_on_one_host_configures_each_account_on_its_own(tmp_path, ansible_aws, aws, users):
    """Two role runs in one play (two local accounts of one workstation): nothing of the first leaks into the second."""
    first_home, second_home = tmp_path / "homes" / "first", tmp_path / "homes" / "second"
    inventory = workstations(tmp_path, {"ws1": {"workstation_home": str(first_home)}})
    second_home.mkdir(parents=True)
    playbook = tmp_path / "two-accounts.yml"
    playbook.write_text(json.dumps([{
        "name": "Two accounts", "hosts": "workstations", "gather_facts": False,
        "tasks": [
            {"name": "First account", "ansible.builtin.include_role": {"name": "devkeys.aws.workstation"},
             "vars": {"workstation_profiles": [{"name": "dev", "iam_user": "alice", "region": "eu-west-1"}]}},
            {"name": "Second account", "ansible.builtin.include_role": {"name": "devkeys.aws.workstation"},
             "vars": {"workstation_home": str(second_home), "workstation_default_profile": "team",
                      "workstation_profiles": [{"name": "team", "iam_user": "team"}]}},
        ]}]), encoding="utf-8")

    ansible_aws.playbook(str(playbook), inventory=inventory).assert_ok()

    assert raw_sections(first_home / ".aws" / "credentials") == ["dev"]
    assert raw_sections(second_home / ".aws" / "credentials") == ["team"]
    assert caller_arn(aws, first_home, "dev").endswith(":user/alice")
    assert caller_arn(aws, second_home, "team").endswith(":user/team")
    assert not (first_home / ".bashrc").exists() and "AWS_PROFILE=team" in (second_home / ".bashrc").read_text()
    assert ansible_aws.playbook(str(playbook), inventory=inventory).assert_ok().changed() == 0
