"""No secret in stdout, stderr, ANSIBLE_LOG_PATH, leftover temp files or loose backups, in any mode.

Every secret a run created or wrote is collected (read back from the files, and
from registered results published with set_stats: the recorder keeps those in
its own record file, which is the one place allowed to hold them) and searched
for in everything the run left behind.
"""

import os
import stat
import subprocess
import uuid
from pathlib import Path

import pytest

from harness.paths import venv_tool

from .helpers import PLAYBOOKS, read_aws_file, workstation_inventory

MODES = [  # (stdout callback, extra args)
    ("default", []),
    ("default", ["--check", "--diff", "-vvvv"]),
    ("ansible.posix.json", ["--diff", "-vvvv"]),
]
INPUT_FILES = {"playbook.yml", "extra_vars.json", "inventory.yml", "record.json"}


def _module_play(home, names):
    aws = f"{home}/.aws"
    files = {"credentials_file": f"{aws}/credentials", "config_file": f"{aws}/config"}
    return [{
        "name": "every module, with secrets", "hosts": "localhost", "gather_facts": False,
        "tasks": [
            {"name": "write a profile, secret as a plain parameter (the module must hide it)",
             "devkeys.aws.aws_profile": dict(name="leak", aws_access_key_id="FAKEKEYIDLEAK0EXAMPLE",
                                             aws_secret_access_key="{{ s1 }}", region="eu-west-1", backup=True,
                                             **files)},
            {"name": "change the secret (a diff must not show it)",
             "devkeys.aws.aws_profile": dict(name="leak", aws_access_key_id="FAKEKEYIDLEAK0EXAMPLE",
                                             aws_secret_access_key="{{ s2 }}", backup=True, **files)},
            {"name": "temporary credentials with a session token",
             "devkeys.aws.aws_profile": dict(name="temp", aws_access_key_id="ASIAFAKE0000EXAMPLE1",
                                             aws_secret_access_key="{{ s3 }}", aws_session_token="{{ token }}",
                                             **files)},
            {"name": "a refused write carrying a secret (the error must not echo it)",
             "devkeys.aws.aws_profile": dict(name="bad", aws_access_key_id="not a key id",
                                             aws_secret_access_key="{{ s_fail }}", **files),
             "ignore_errors": True},
            {"name": "read the profiles", "devkeys.aws.aws_profile_info": files, "register": "profiles"},
            {"name": "print what was read", "ansible.builtin.debug": {"var": "profiles"}},
            {"name": "create an IAM key", "devkeys.aws.iam_access_key": {"user_name": names["user"]},
             "register": "created", "no_log": True},
            {"name": "store it", "no_log": True,
             "devkeys.aws.aws_profile": dict(name="iam", aws_access_key_id="{{ created.access_key_id }}",
                                             aws_secret_access_key="{{ created.secret_access_key }}", **files),
             "when": "created.secret_access_key is defined"},
            {"name": "rotate it", "devkeys.aws.iam_access_key": {
                "user_name": names["user"], "rotate": True, "on_key_limit": "delete_inactive",
                "held_access_key_id": "{{ created.access_key_id | default(omit) }}"},
             "register": "rotated", "no_log": True},
            {"name": "list the keys", "devkeys.aws.iam_access_key_info": {"user_name": names["user"]},
             "register": "listed"},
            {"name": "print the keys", "ansible.builtin.debug": {"var": "listed"}},
            {"name": "publish the registered secrets to the test only", "no_log": True,
             "ansible.builtin.set_stats": {"data": {"created": "{{ created }}", "rotated": "{{ rotated }}"},
                                           "per_host": True}},
        ],
    }]


def _label(callback, args):
    return f"{callback} {' '.join(args) or 'normal'}"


def _secrets_in_files(*homes):
    found = set()
    for home in homes:
        path = Path(home) / ".aws" / "credentials"
        if path.is_file():
            for section in read_aws_file(path).values():
                for key in ("aws_secret_access_key", "aws_session_token"):
                    if section.get(key):
                        found.add(section[key])
    return found


def _published_secrets(run):
    found = set()
    for value in run.published().values():
        if isinstance(value, dict) and value.get("secret_access_key"):
            found.add(value["secret_access_key"])
    return found


def _scan(label, run, log_path, roots, secrets, allowed_files):
    """Where any secret shows up: stdout, stderr, the log, any file under ``roots`` not allowed to hold one."""
    leaks = []
    secrets = {s for s in secrets if s and len(s) >= 8}
    texts = {"stdout": run.stdout, "stderr": run.stderr,
             "log": Path(log_path).read_text(errors="replace") if Path(log_path).exists() else ""}
    for where, text in texts.items():
        leaks += [f"{label}: {where} holds a secret ({s[:4]}...)" for s in secrets if s in text]
    for root in roots:
        for dirpath, _dirs, files in os.walk(root):
            for name in files:
                path = Path(dirpath) / name
                if path.is_symlink() or not path.is_file() or name in INPUT_FILES or name == Path(log_path).name:
                    continue
                data = path.read_bytes()
                if not any(s.encode() in data for s in secrets):
                    continue
                mode = stat.S_IMODE(path.stat().st_mode)
                if path in allowed_files or (path.name.startswith("credentials.") and path.name.endswith("~")):
                    if mode & 0o077:
                        leaks.append(f"{label}: {path} holds a secret with mode {mode:04o}")
                    continue
                leaks.append(f"{label}: {path} (mode {mode:04o}) holds a secret")
    return leaks


@pytest.mark.slow
def test_modules_leak_no_secret(tmp_path, iam, ansible_aws, home, figures):
    token = uuid.uuid4().hex
    secrets = {"s1": f"leakOne{token}", "s2": f"leakTwo{token}", "s3": f"leakTmp{token}",
               "token": f"leakTok{token}", "s_fail": f"leakFail{token}"}
    leaks, known, runs = [], set(secrets.values()), 0
    for callback, args in MODES:
        log_path = tmp_path / f"ansible-{runs}.log"
        iam.create_user(UserName=f"leaky-{runs}")
        run = ansible_aws.playbook(_module_play(home, {"user": f"leaky-{runs}"}), extra_vars=secrets, args=args,
                                   env={"ANSIBLE_STDOUT_CALLBACK": callback, "ANSIBLE_LOG_PATH": str(log_path),
                                        "ANSIBLE_SHOW_CUSTOM_STATS": "0"})
        runs += 1
        known |= _secrets_in_files(home) | _published_secrets(run)
        label = _label(callback, args)
        if run.rc != 0:
            leaks.append(f"{label}: run failed rc={run.rc}: {run.output[-800:]}")
        leaks += _scan(label, run, log_path, [home, tmp_path], known, {home / ".aws" / "credentials"})
    figures.record(
        load=f"{runs} runs of every module ({'; '.join(_label(c, a) for c, a in MODES)}), ANSIBLE_LOG_PATH set",
        faults="none",
        bad_inputs="1 refused write carrying a secret per run",
        lost=f"{len(leaks)} leaks of {len(known)} secrets" if leaks else f"nothing ({len(known)} secrets searched)",
        leaks=leaks[:20],
    )
    assert leaks == []


@pytest.mark.slow
def test_playbooks_leak_no_secret(tmp_path, aws, iam, ansible_aws, figures):
    homes = {name: tmp_path / name for name in ("ws1", "ws2")}
    for name, ws_home in homes.items():
        ws_home.mkdir()
        iam.create_user(UserName=f"dev-{name}")
    inventory = workstation_inventory(tmp_path / "inventory.yml", homes, aws.url)
    reports = tmp_path / "reports"
    steps = [
        ("setup-dev.yml", "default", ["--diff", "-vvvv"], {}),
        ("setup-dev.yml", "ansible.posix.json", ["--check", "--diff"], {"workstation_key_rotate": True}),
        ("rotate-keys.yml", "ansible.posix.json", ["--diff", "-vvvv"], {}),
        ("audit-keys.yml", "default", ["-vvvv"], {"audit_report_dir": str(reports)}),
        ("offboard.yml", "default", ["--diff"], {"offboard_iam_user": "dev-ws2", "confirm": True}),
    ]
    leaks, known, ran = [], set(), []
    for number, (playbook, callback, args, extra) in enumerate(steps):
        log_path = tmp_path / f"ansible-{number}.log"
        run = ansible_aws.playbook(str(PLAYBOOKS / playbook), inventory=inventory, extra_vars=extra or None,
                                   args=args, env={"ANSIBLE_STDOUT_CALLBACK": callback,
                                                   "ANSIBLE_LOG_PATH": str(log_path)})
        known |= _secrets_in_files(*homes.values())
        label = f"{playbook} {_label(callback, args)}"
        ran.append(label)
        if run.rc != 0:
            leaks.append(f"{label}: run failed rc={run.rc}: {run.output[-800:]}")
        allowed = {h / ".aws" / "credentials" for h in homes.values()}
        leaks += _scan(label, run, log_path, [tmp_path], known, allowed)
    figures.record(
        load=f"{len(steps)} playbook runs on 2 workstations: {'; '.join(ran)}",
        faults="none",
        bad_inputs=0,
        lost=f"{len(leaks)} leaks of {len(known)} secrets" if leaks else f"nothing ({len(known)} secrets searched)",
        leaks=leaks[:20],
    )
    assert len(known) >= 3, "the runs created and stored keys"
    assert leaks == []


VERBOSITIES = ["-v", "-vv", "-vvv", "-vvvv"]
CALLBACKS = ["default", "ansible.posix.json"]
RUN_KINDS = ["single", "serial"]
MATRIX = [(verbosity, check, callback, kind) for verbosity in VERBOSITIES for check in (False, True)
          for callback in CALLBACKS for kind in RUN_KINDS]
VAULT_PASSWORD = "devkeys-leak-battery"


def _moto_key(iam, user):
    iam.create_user(UserName=user)
    key = iam.create_access_key(UserName=user)["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]


def _vault(tmp_path, host, name, secret):
    """Put ``secret`` Vault-encrypted as variable ``name`` in the host_vars of ``host``; return the password file."""
    password_file = tmp_path / "vault-password"
    password_file.write_text(VAULT_PASSWORD, encoding="utf-8")
    proc = subprocess.run([venv_tool("ansible-vault"), "encrypt_string", "--vault-password-file", str(password_file),
                           "--name", name, secret], capture_output=True, text=True, check=True)
    (tmp_path / "host_vars").mkdir(exist_ok=True)
    (tmp_path / "host_vars" / f"{host}.yml").write_text(proc.stdout, encoding="utf-8")
    return password_file


def _secret_fleet(tmp_path, iam, aws_url):
    """Three workstations sharing IAM user leak-team (created by the role), with a static, a Vault and a CSV key."""
    static_id, static_secret = _moto_key(iam, "leak-static")
    vault_id, vault_secret = _moto_key(iam, "leak-vault")
    csv_id, csv_secret = _moto_key(iam, "leak-csv")
    console_csv = tmp_path / "leak_accessKeys.csv"
    console_csv.write_text(f"Access key ID,Secret access key\n{csv_id},{csv_secret}\n", encoding="utf-8")
    console_csv.chmod(0o600)
    password_file = _vault(tmp_path, "ws2", "leak_vault_secret", vault_secret)
    homes = {name: tmp_path / name for name in ("ws1", "ws2", "ws3")}
    team = {"name": "team", "iam_user": "leak-team", "create_user": True}
    extra = {
        "ws1": {"workstation_profiles": [team, {"name": "static", "aws_access_key_id": static_id,
                                                "aws_secret_access_key": static_secret}]},
        "ws2": {"workstation_profiles": [team, {"name": "vaulted", "aws_access_key_id": vault_id,
                                                "aws_secret_access_key": "{{ leak_vault_secret }}"}]},
        "ws3": {"workstation_profiles": [team, {"name": "csv", "csv_file": str(console_csv)}]},
    }
    for home in homes.values():
        home.mkdir()
    inventory = workstation_inventory(tmp_path / "inventory.yml", homes, aws_url, extra=extra)
    return inventory, homes, password_file, {static_secret, vault_secret, csv_secret}


@pytest.mark.slow
@pytest.mark.parametrize("verbosity,check,callback,kind", MATRIX,
                         ids=["%s-%s-%s-%s" % (v, "check-diff" if c else "real", cb.split(".")[-1], k)
                              for v, c, cb, k in MATRIX])
def test_no_secret_at_any_verbosity(tmp_path, aws, iam, ansible_aws, figures, verbosity, check, callback, kind):
    """Issue 12: static, Vault and CSV secrets of the inventory and new keys never show, whatever the output.

    On 064b0bc the role's first set_fact printed the static and CSV secrets at -v (and wrote them to
    ANSIBLE_LOG_PATH), and the serial rotation printed a new secret in the iam_user loop items.
    """
    inventory, homes, password_file, secrets = _secret_fleet(tmp_path, iam, aws.url)
    base = ["--vault-password-file", str(password_file)]
    if check:  # a real run first, so the check run predicts a rotation of keys that exist
        ansible_aws.playbook(str(PLAYBOOKS / "setup-dev.yml"), inventory=inventory, args=base).assert_ok()
    playbook = "rotate-keys.yml" if kind == "serial" else "setup-dev.yml"
    log_path = tmp_path / "ansible.log"
    run = ansible_aws.playbook(
        str(PLAYBOOKS / playbook), inventory=inventory,
        extra_vars={"rotate_batch_size": 1} if kind == "serial" else None,
        args=base + [verbosity] + (["--check", "--diff"] if check else []),
        env={"ANSIBLE_STDOUT_CALLBACK": callback, "ANSIBLE_LOG_PATH": str(log_path)})
    known = secrets | _secrets_in_files(*homes.values())
    label = f"{playbook} {callback} {verbosity}{' --check --diff' if check else ''}"
    leaks = [] if run.rc == 0 else [f"{label}: run failed rc={run.rc}: {run.output[-800:]}"]
    leaks += _scan(label, run, log_path, [tmp_path], known,
                   {home / ".aws" / "credentials" for home in homes.values()} | {tmp_path / "leak_accessKeys.csv"})
    figures.record(load=f"1 run: {label}, 3 workstations sharing a new IAM user, ANSIBLE_LOG_PATH set",
                   faults="none", bad_inputs=0,
                   lost=(f"{len(leaks)} leaks of {len(known)} secrets" if leaks
                         else f"nothing ({len(known)} secrets searched)"),
                   leaks=leaks[:10])
    assert len(known) >= 4
    assert leaks == []
