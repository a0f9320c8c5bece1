"""playbooks/setup-dev.yml run the way AWX / automation controller run it: through ansible-runner."""

import json

import ansible_runner

from _workstation import PLAYBOOKS, caller_arn, credentials, home_of, key_states, workstations
from harness.ansible import ansible_env
from harness.paths import VENV_BIN


def test_setup_dev_through_ansible_runner(tmp_path, aws, iam, monkeypatch):
    iam.create_user(UserName="alice")
    inventory = workstations(tmp_path, {"ws1": {"workstation_profiles": [{"name": "dev", "iam_user": "alice"}]}})
    env = ansible_env(tmp_path / "controller-home", aws.env())
    env.pop("DEVKEYS_RECORDER_FILE", None)
    monkeypatch.setenv("PATH", f"{VENV_BIN}:{env['PATH']}")

    (tmp_path / "runner").mkdir()

    def run():
        return ansible_runner.run(
            private_data_dir=str(tmp_path / "runner"),
            playbook=str(PLAYBOOKS / "setup-dev.yml"),
            inventory=inventory,
            envvars=env,
            quiet=True,
        )

    first = run()

    assert first.status == "successful", first.stdout.read()
    assert first.stats["changed"].get("ws1", 0) >= 1
    assert caller_arn(aws, home_of(tmp_path, "ws1"), "dev").endswith(":user/alice")
    # The secret is nowhere in the job events AWX would store.
    secret = credentials(home_of(tmp_path, "ws1"), "dev").secret_key
    assert secret not in json.dumps(list(first.events), default=str)

    second = run()

    assert second.status == "successful"
    assert second.stats["changed"] == {}
    assert len(key_states(iam, "alice")) == 1
