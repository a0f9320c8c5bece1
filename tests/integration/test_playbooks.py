"""playbooks/setup-dev.yml: key sources, AWS_PROFILE export (audit-keys.yml and offboard.yml: test_audit_offboard.py)."""

import pytest

from _workstation import PLAYBOOKS, caller_arn, credentials, home_of, workstations

SETUP = str(PLAYBOOKS / "setup-dev.yml")
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
