"""playbooks/{setup-dev,audit-keys,offboard}.yml: key sources, AWS_PROFILE export, audit report, offboarding."""

import csv
import datetime
import io

import pytest

from _workstation import PLAYBOOKS, caller_arn, credentials, home_of, key_states, raw_sections, workstations

SETUP = str(PLAYBOOKS / "setup-dev.yml")
AUDIT = str(PLAYBOOKS / "audit-keys.yml")
OFFBOARD = str(PLAYBOOKS / "offboard.yml")
MARKER_BEGIN = "# BEGIN devkeys.aws: default AWS profile"


@pytest.fixture
def moto_key(iam):
    """Create an IAM user on moto and return one new key of it."""

    def make(user):
        iam.create_user(UserName=user)
        key = iam.create_access_key(UserName=user)["AccessKey"]
        return key["AccessKeyId"], key["SecretAccessKey"]

    return make


def test_static_and_csv_key_sources_are_written_and_work(tmp_path, ansible_aws, aws, moto_key):
    static_id, static_secret = moto_key("vaulted")
    csv_id, csv_secret = moto_key("downloaded")
    console_csv = tmp_path / "downloaded_accessKeys.csv"
    console_csv.write_bytes(f"\ufeffAccess key ID,Secret access key\r\n{csv_id},{csv_secret}\r\n".encode("utf-8"))
    inventory = workstations(tmp_path, {"ws1": {"workstation_profiles": [
        {"name": "vaulted", "aws_access_key_id": static_id, "aws_secret_access_key": static_secret, "region": "eu-west-1"},
        {"name": "downloaded", "csv_file": str(console_csv)},
    ]}})

    run = ansible_aws.playbook(SETUP, inventory=inventory).assert_ok()

    home = home_of(tmp_path, "ws1")
    assert credentials(home, "vaulted").access_key == static_id
    assert credentials(home, "downloaded").access_key == csv_id
    assert caller_arn(aws, home, "vaulted").endswith(":user/vaulted")
    assert caller_arn(aws, home, "downloaded").endswith(":user/downloaded")
    assert static_secret not in run.output and csv_secret not in run.output
    assert ansible_aws.playbook(SETUP, inventory=inventory).assert_ok().changed() == 0


def test_default_profile_is_exported_in_a_managed_block_and_removed_when_unset(tmp_path, ansible_aws):
    profiles = [{"name": "sandbox", "settings": {"credential_process": "/usr/bin/true"}}]
    home = home_of(tmp_path, "ws1")
    home.mkdir(parents=True)
    (home / ".bashrc").write_text("alias ll='ls -l'\n", encoding="utf-8")
    with_default = workstations(tmp_path, {"ws1": {"workstation_profiles": profiles, "workstation_default_profile": "sandbox"}})

    ansible_aws.playbook(SETUP, inventory=with_default).assert_ok()

    bashrc = (home / ".bashrc").read_text(encoding="utf-8")
    assert bashrc.startswith("alias ll='ls -l'\n")
    assert f"{MARKER_BEGIN}\nexport AWS_PROFILE=sandbox\n# END devkeys.aws: default AWS profile\n" in bashrc
    assert "export AWS_PROFILE=sandbox" in (home / ".zshrc").read_text(encoding="utf-8")
    assert ansible_aws.playbook(SETUP, inventory=with_default).assert_ok().changed() == 0

    without = workstations(tmp_path, {"ws1": {"workstation_profiles": profiles}}, name="without.yml")
    ansible_aws.playbook(SETUP, inventory=without).assert_ok()

    assert (home / ".bashrc").read_text(encoding="utf-8") == "alias ll='ls -l'\n"
    assert MARKER_BEGIN not in (home / ".zshrc").read_text(encoding="utf-8")


@pytest.mark.slow
def test_audit_report_flags_orphans_old_keys_and_double_keys_and_fix_deactivates_orphans(tmp_path, ansible_aws, iam):
    for user in ("alice", "team"):
        iam.create_user(UserName=user)
    inventory = workstations(tmp_path, {
        "ws1": {"workstation_profiles": [{"name": "dev", "iam_user": "alice"}]},
        "ws2": {"workstation_profiles": [{"name": "team", "iam_user": "team"}]},
    })
    ansible_aws.playbook(SETUP, inventory=inventory).assert_ok()
    held = credentials(home_of(tmp_path, "ws1"), "dev").access_key
    orphan = iam.create_access_key(UserName="alice")["AccessKey"]["AccessKeyId"]
    reports = tmp_path / "reports"
    later = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=100)).isoformat()

    run = ansible_aws.playbook(AUDIT, inventory=inventory, extra_vars={"audit_report_dir": str(reports)},
                               env={"DEVKEYS_TEST_NOW": later}).assert_ok()

    rows = {row["access_key_id"]: row for row in csv.DictReader(io.StringIO((reports / "audit-keys.csv").read_text()))}
    assert set(rows) == set(key_states(iam, "alice")) | set(key_states(iam, "team"))
    assert rows[held]["held_by"] == "ws1:dev"
    assert "orphan" not in rows[held]["flags"]
    assert "orphan: Active, no workstation holds it" in rows[orphan]["flags"]
    assert "user has two Active keys" in rows[orphan]["flags"]
    assert all("older than 90 days" in row["flags"] for row in rows.values())
    assert all("never used" in row["flags"] or "unused for" in row["flags"] or row["last_used_date"] for row in rows.values())
    markdown = (reports / "audit-keys.md").read_text()
    assert f"| alice | {orphan} | Active |" in markdown
    assert f"Orphans (Active, held by no workstation): {orphan}" in markdown
    assert "Users with two Active keys: alice" in markdown
    html = (reports / "audit-keys.html").read_text()
    assert "<svg" in html and html.count("<rect") == len(rows)
    assert key_states(iam, "alice")[orphan] == "Active"  # report only without audit_fix
    assert run.changed("localhost") >= 1

    ansible_aws.playbook(AUDIT, inventory=inventory,
                         extra_vars={"audit_report_dir": str(reports), "audit_fix": True}).assert_ok()

    assert key_states(iam, "alice") == {held: "Active", orphan: "Inactive"}


def test_offboard_removes_the_persons_profiles_and_deletes_their_keys(tmp_path, ansible_aws, iam, moto_key):
    iam.create_user(UserName="alice")
    iam.create_user(UserName="team")
    other_id, other_secret = moto_key("other")
    inventory = workstations(tmp_path, {
        "ws1": {"workstation_profiles": [
            {"name": "dev", "iam_user": "alice"},
            {"name": "other", "aws_access_key_id": other_id, "aws_secret_access_key": other_secret},
        ]},
        "ws2": {"workstation_profiles": [{"name": "team", "iam_user": "team"}]},
    })
    ansible_aws.playbook(SETUP, inventory=inventory).assert_ok()
    team_key = credentials(home_of(tmp_path, "ws2"), "team").access_key

    run = ansible_aws.playbook(OFFBOARD, inventory=inventory, extra_vars={"offboard_iam_user": "alice"}).assert_ok()

    assert key_states(iam, "alice") == {}
    assert raw_sections(home_of(tmp_path, "ws1") / ".aws" / "credentials") == ["other"]
    assert "profile dev" not in raw_sections(home_of(tmp_path, "ws1") / ".aws" / "config")
    assert key_states(iam, "team") == {team_key: "Active"}
    assert credentials(home_of(tmp_path, "ws2"), "team").access_key == team_key
    assert run.result("Show what was offboarded", "localhost")["msg"]["profiles_removed"] == ["ws1:dev"]


def test_offboard_without_a_user_fails_clearly(tmp_path, ansible_aws):
    inventory = workstations(tmp_path, {"ws1": {}})

    run = ansible_aws.playbook(OFFBOARD, inventory=inventory)

    assert run.rc == 2
    assert "Failed to offboard: set the IAM user with -e offboard_iam_user=NAME" in run.output
