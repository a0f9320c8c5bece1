"""setup-dev.yml on 20 workstations converges through 30 % throttling and 5 % 5xx, with no orphan key."""

import pytest

from harness.aws_proxy import Fault

from .helpers import PLAYBOOKS, credentials_of, iam_tasks_with_loops, key_works, user_keys, workstation_inventory

HOSTS = 20
FAULTS = [
    Fault("throttle", rate=0.30),
    Fault("service_failure", rate=0.025),
    Fault("unavailable", rate=0.025),
]


def test_role_leaves_retries_to_amazon_aws():
    """Retries come from AWSRetry/botocore inside the modules, never from task-level loops."""
    assert iam_tasks_with_loops() == []


@pytest.mark.slow
def test_setup_dev_converges_under_throttling_and_5xx(tmp_path, aws, iam, proxy, ansible_aws, figures):
    homes = {f"ws{n:02d}": tmp_path / f"ws{n:02d}" for n in range(HOSTS)}
    for name, home in homes.items():
        home.mkdir()
        iam.create_user(UserName=f"dev-{name}")
    inventory = workstation_inventory(tmp_path / "inventory.yml", homes, proxy.url)
    proxy.configure(faults=FAULTS)

    first = ansible_aws.playbook(str(PLAYBOOKS / "setup-dev.yml"), inventory=inventory, args=["-f", "10"])
    first_calls, first_faults = proxy.count(), proxy.injected_total()
    proxy.reset()
    second = ansible_aws.playbook(str(PLAYBOOKS / "setup-dev.yml"), inventory=inventory, args=["-f", "10"])

    held, working, orphans = {}, 0, []
    for name, home in homes.items():
        key_id, secret = credentials_of(home)
        held[name] = key_id
        user = f"dev-{name}"
        keys = user_keys(iam, user)
        if key_id and keys.get(key_id) == "Active" and key_works(aws.url, key_id, secret, user):
            working += 1
        orphans += [f"{user}:{k}" for k in keys if k != key_id]
    figures.record(
        load=f"{HOSTS} workstations (forks 10), 2 runs of setup-dev.yml",
        faults=f"throttling 30 %, 500/503 5 %: {first_faults} + {proxy.injected_total()} injected "
               f"in {first_calls} + {proxy.count()} AWS calls",
        bad_inputs=0,
        lost=f"{HOSTS - working} workstations without a working key, {len(orphans)} orphan keys",
        injected_second_run=proxy.injected(),
        recap_first={h: {k: v for k, v in r.items() if k in ("changed", "failures", "unreachable")}
                     for h, r in first.recap.items() if r.get("failures") or r.get("unreachable")},
        changed_second=second.changed() if second.recap else None,
    )
    first.assert_ok()
    assert first_faults > 0
    assert working == HOSTS, held
    assert orphans == []
    second.assert_ok()
    assert proxy.injected_total() > 0
    assert second.changed() == 0, second.recap
    assert {name: credentials_of(home)[0] for name, home in homes.items()} == held
