"""A rotation whose new key cannot be stored: the new key goes, the old one keeps working, the next run converges."""

import contextlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from harness.aws_proxy import Fault

from .helpers import PLAYBOOKS, credentials_of, key_works, user_keys, workstation_inventory

CONNECTION_PLUGINS = Path(__file__).with_name("connection_plugins")
BROKEN = {
    "ws-immutable": "~/.aws made immutable (chattr +i): even root cannot create the temp file",
    "ws-diskfull": "~/.aws on a full 256 KiB tmpfs: ENOSPC while writing",
    "ws-unreachable": "connection lost when aws_profile is sent",
}
HEALTHY = "ws-healthy"


@contextlib.contextmanager
def _broken_homes(homes):
    """Apply the faults of BROKEN; undo them (also on failure) and yield a function that heals them early."""
    immutable = homes["ws-immutable"] / ".aws"
    full = homes["ws-diskfull"] / ".aws"
    saved = {p.name: p.read_bytes() for p in full.iterdir()}
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k,mode=0700", "tmpfs", str(full)], check=True)
    try:
        for name, data in saved.items():
            (full / name).write_bytes(data)
            (full / name).chmod(0o600)
        _fill(full / "filler")
        subprocess.run(["chattr", "+i", str(immutable)], check=True)

        def heal():
            subprocess.run(["chattr", "-i", str(immutable)], check=True)
            (full / "filler").unlink(missing_ok=True)

        yield heal
    finally:
        subprocess.run(["chattr", "-i", str(immutable)], check=False)
        subprocess.run(["umount", "-l", str(full)], check=False)


def _fill(path):
    """Write zeros to ``path`` until the file system is full."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        while True:
            os.write(fd, b"\0" * 4096)
    except OSError:
        pass
    finally:
        os.close(fd)


def _run(ansible_aws, inventory, rotate, flaky=False, **extra_vars):
    env = {"ANSIBLE_CONNECTION_PLUGINS": str(CONNECTION_PLUGINS)}
    if flaky:
        env["DEVKEYS_FLAKY_MODULE"] = "AnsiballZ_aws_profile.py"
    return ansible_aws.playbook(str(PLAYBOOKS / "setup-dev.yml"), inventory=inventory, env=env,
                                extra_vars=dict(extra_vars, workstation_key_rotate=rotate))


@pytest.mark.slow
def test_failed_writes_keep_the_old_key_and_leave_no_new_one(tmp_path, aws, iam, ansible_aws, figures):
    if os.geteuid() != 0 or not (shutil.which("chattr") and shutil.which("mount")):
        pytest.skip("needs root, chattr and mount (tmpfs) to break a home for root")
    names = list(BROKEN) + [HEALTHY]
    homes = {name: tmp_path / name for name in names}
    for name, home in homes.items():
        home.mkdir()
        iam.create_user(UserName=f"dev-{name}")
    inventory = workstation_inventory(tmp_path / "inventory.yml", homes, aws.url,
                                      extra={"ws-unreachable": {"ansible_connection": "devkeys_flaky"}})
    _run(ansible_aws, inventory, rotate=False).assert_ok()
    old = {name: credentials_of(home) for name, home in homes.items()}
    before = {name: (home / ".aws" / "credentials").read_bytes() for name, home in homes.items()}

    with _broken_homes(homes) as heal:
        failed = _run(ansible_aws, inventory, rotate=True, flaky=True)
        after_failure = {name: user_keys(iam, f"dev-{name}") for name in names}
        held_after_failure = {name: credentials_of(home)[0] for name, home in homes.items()}
        unchanged = {name: (homes[name] / ".aws" / "credentials").read_bytes() == before[name] for name in BROKEN}
        heal()
        # The healthy host's key was rotated minutes ago: its retired key still fills the second slot, so this
        # second rotation makes room explicitly (the default, on_key_limit=fail, would refuse and say so).
        healed = _run(ansible_aws, inventory, rotate=True, workstation_key_on_limit="delete_inactive")
        stored = {name: credentials_of(home) for name, home in homes.items()}  # before the tmpfs goes away

    problems = []
    for name in BROKEN:
        old_id, old_secret = old[name]
        keys = after_failure[name]
        if keys.get(old_id) != "Active" or not key_works(aws.url, old_id, old_secret, f"dev-{name}"):
            problems.append(f"{name}: the old key is not active and working after the failed rotation: {keys}")
        extra_active = [k for k, status in keys.items() if k != old_id and status == "Active"]
        if extra_active:
            problems.append(f"{name}: new key(s) left active though never stored: {extra_active}")
        if not unchanged[name]:
            problems.append(f"{name}: the credentials file changed though the write failed")
        if name not in failed.output:
            problems.append(f"{name}: the failed run does not name the host")
    if old[HEALTHY][0] in after_failure[HEALTHY] and after_failure[HEALTHY][old[HEALTHY][0]] == "Active":
        problems.append(f"{HEALTHY}: the rotation of the healthy host did not retire its old key")

    converged, orphans, final = 0, [], {}
    for name in homes:
        key_id, secret = stored[name]
        keys = user_keys(iam, f"dev-{name}")
        final[name] = {"held": key_id, "keys": keys}
        if key_id != old[name][0] and keys.get(key_id) == "Active" and key_works(aws.url, key_id, secret,
                                                                                 f"dev-{name}"):
            converged += 1
        ever_held = {key_id, old[name][0], held_after_failure[name]}
        orphans += [f"{name}:{k}" for k in keys if k not in ever_held]
        orphans += [f"{name}:{k} still active" for k, s in keys.items() if k != key_id and s == "Active"]
    figures.record(
        load="4 workstations: setup, a rotation with 3 hosts failing, a healed rotation",
        faults="; ".join(f"{host}: {what}" for host, what in BROKEN.items()),
        bad_inputs=0,
        lost=(f"{len(problems)} problems after the failed rotation, {len(orphans)} orphan keys, "
              f"{len(names) - converged} hosts not converged after healing") if problems or orphans or
        converged != len(names) else "nothing",
        failed_run_rc=failed.rc, recap_failed_run=failed.recap, keys_after_failure=after_failure,
        problems=problems, after_healing=final, healed_run_rc=healed.rc,
        healed_failures={h: r for h, r in healed.recap.items() if r.get("failures") or r.get("unreachable")},
    )
    assert failed.rc != 0, "a run that could not store keys must fail"
    assert failed.recap[HEALTHY]["failures"] == 0
    assert problems == []
    healed.assert_ok()
    assert orphans == []
    assert converged == len(names)


@pytest.mark.slow
def test_a_key_that_never_verifies_is_deleted(iam, proxy, ansible_aws, figures):
    iam.create_user(UserName="never-verified")
    old_id = iam.create_access_key(UserName="never-verified")["AccessKey"]["AccessKeyId"]
    proxy.configure(faults=[Fault("invalid_token", service="sts", action="GetCallerIdentity")])
    run = ansible_aws.task("devkeys.aws.iam_access_key", {
        "user_name": "never-verified", "held_access_key_id": old_id, "rotate": True, "verify": True,
        "verify_timeout": 5, "endpoint_url": proxy.url}, task_extra={"no_log": True, "ignore_errors": True},
        publish=True)
    keys = user_keys(iam, "never-verified")
    result = run.published().get("result", {})
    figures.record(
        load="1 rotation",
        faults=f"every sts:GetCallerIdentity refused (InvalidClientTokenId): {proxy.injected_total()} refusals",
        bad_inputs=0,
        lost="nothing" if keys == {old_id: "Active"} else f"keys left: {keys}",
        calls=proxy.counts(),
    )
    assert result.get("failed"), result
    assert "secret_access_key" not in result or not result["secret_access_key"]
    assert proxy.count("sts", "GetCallerIdentity") >= 2
    assert proxy.count("iam", "DeleteAccessKey") >= 1
    assert keys == {old_id: "Active"}


@pytest.mark.slow
def test_a_key_that_cannot_be_retired_fails_only_its_users_hosts(tmp_path, iam, proxy, ansible_aws, figures):
    """The first UpdateAccessKey of the batched retirement is refused: that user's host fails, naming the key;
    its new key is stored and works, its old key stays Active; the other user's rotation completes."""
    homes = {name: tmp_path / name for name in ("ws-a", "ws-b")}
    for name, home in homes.items():
        home.mkdir()
        iam.create_user(UserName=f"dev-{name}")
    inventory = workstation_inventory(tmp_path / "inventory.yml", homes, proxy.url)
    _run(ansible_aws, inventory, rotate=False).assert_ok()
    old = {name: credentials_of(home) for name, home in homes.items()}

    proxy.configure(faults=[Fault("invalid_token", service="iam", action="UpdateAccessKey", calls=[1])])
    run = _run(ansible_aws, inventory, rotate=True)
    failed_hosts = sorted(host for host, counts in run.recap.items() if counts.get("failures"))
    new = {name: credentials_of(home) for name, home in homes.items()}
    keys = {name: user_keys(iam, f"dev-{name}") for name in homes}
    figures.record(
        load="2 workstations, 2 IAM users: setup, then a rotation",
        faults=f"the first iam:UpdateAccessKey (retiring an old key) refused: {proxy.injected_total()} injected",
        bad_inputs=0,
        lost="nothing" if len(failed_hosts) == 1 else f"failed hosts: {failed_hosts}",
        recap=run.recap, keys=keys,
    )
    assert run.rc == 2 and len(failed_hosts) == 1, run.output[-3000:]
    [failed] = failed_hosts
    [healthy] = [name for name in homes if name != failed]
    assert f"Failed to set access key {old[failed][0]} of IAM user 'dev-{failed}' Inactive" in run.output
    for name in homes:
        assert new[name][0] != old[name][0]
        assert keys[name][new[name][0]] == "Active" and key_works(proxy.url, *new[name], f"dev-{name}")
    assert keys[failed][old[failed][0]] == "Active"
    assert keys[healthy][old[healthy][0]] == "Inactive"
