"""Root working on another account's files: the kernel, not a path check, decides what is reached.

Every test runs real ansible-playbook processes as root against throwaway local accounts (useradd) whose
homes live in a fresh 0755 directory under /tmp; a root-owned directory in it plays /etc. What the
unprivileged account runs (ln, the writer) is copied there too, so the tests work from any checkout location.
"""

import os
import shutil
import stat
import time
from pathlib import Path

import pytest

from harness.collection import collections_path

from .accounts import (
    MODULE_UTILS,
    as_root_owned,
    as_user,
    copy_readable,
    differences,
    file_state,
    needs_root,
    shared_dir,
    snapshot,
    throwaway_account,
    user_python,
)

VICTIM_DATA = b"root-only data, must stay as it is\n"
ROOT_PROFILE = b"[profile rootonly]\nrole_arn = arn:aws:iam::000000000000:role/root-only-EXAMPLE\n"
SECRET = "privSecretValue0000EXAMPLE"
KEY_ID = "FAKEKEYIDPRIV0EXAMPLE"
PROFILE = "devkeys.aws.aws_profile"
INFO = "devkeys.aws.aws_profile_info"
OPTIONS = ("name", "state", "aws_access_key_id", "region", "credentials_file",
           "config_file", "owner", "group", "backup", "shell_files", "shell_export")


@pytest.fixture
def base():
    needs_root()
    with shared_dir() as path:
        yield path


@pytest.fixture
def user(base):
    with throwaway_account(base) as entry:
        yield entry


@pytest.fixture
def other_user(base):
    with throwaway_account(base) as entry:
        yield entry


def _aws(account):
    """The account's ~/.aws, created by the account itself (0700)."""
    aws = Path(account.pw_dir) / ".aws"
    assert as_user(account, ["mkdir", "-m", "700", str(aws)]).returncode == 0
    return aws


def _run(ansible, module, cases, secret=False):
    """One play running ``module`` once per case ({"id": ..., "args": {...}}), errors ignored; results by id.

    ``secret``: every run also sets aws_secret_access_key, a task parameter (loop items are shown)."""
    args = {option: "{{ item.args.%s | default(omit) }}" % option for option in OPTIONS}
    if secret:
        args["aws_secret_access_key"] = SECRET
    play = [{"hosts": "localhost", "gather_facts": False, "vars": {"cases_": cases}, "tasks": [
        {"name": "run as root", module: args, "loop": "{{ cases_ }}", "loop_control": {"label": "{{ item.id }}"},
         "register": "ran", "ignore_errors": True},
        {"name": "publish", "ansible.builtin.set_stats": {"data": {"ran": "{{ ran.results }}"}, "per_host": True},
         "no_log": True},
    ]}]
    run = ansible.playbook(play)
    return run, {result["item"]["id"]: result for result in run.published().get("ran", [])}


def _failed_cleanly(result, verb_path):
    return bool(result.get("failed")) and str(result.get("msg", "")).startswith("Failed to %s" % verb_path)


def _legacy_cases(base, user):
    """The links of the original battery: a symlink or hard link to a root-only file, directory or tree."""
    uid, gid = user.pw_uid, user.pw_gid
    root_dir = base / "root-only"
    root_dir.mkdir(mode=0o700)
    cases = {}

    def home(name):
        path = base / "homes" / name
        (path / ".aws").mkdir(parents=True)
        for part in (path, path / ".aws"):
            os.chown(part, uid, gid)
        cases[name] = path
        return path / ".aws"

    def victim(name, data=VICTIM_DATA):
        return as_root_owned(root_dir / name, data)

    (base / "homes").mkdir(mode=0o755)
    aws = home("symlink-to-root-file")
    (aws / "credentials").symlink_to(victim("v1"))
    os.lchown(aws / "credentials", uid, gid)

    aws = home("hardlink-to-root-file")
    os.link(victim("v2"), aws / "credentials")

    aws = home("aws-dir-symlink-to-root-dir")
    aws.rmdir()
    (root_dir / "v3dir").mkdir(mode=0o700)
    aws.symlink_to(root_dir / "v3dir")
    os.lchown(aws, uid, gid)

    aws = home("dangling-link-into-root-dir")
    (aws / "credentials").symlink_to(root_dir / "v4-new")
    os.lchown(aws / "credentials", uid, gid)

    aws = home("config-symlink-to-root-file")
    (aws / "config").symlink_to(victim("v5", ROOT_PROFILE))
    os.lchown(aws / "config", uid, gid)

    aws = home("intermediate-dir-symlink")  # ~/link -> a root-owned tree holding a valid .aws/credentials
    (root_dir / "v6" / ".aws").mkdir(parents=True, mode=0o700)
    victim("v6/.aws/credentials", b"[dev]\naws_access_key_id = ROOTKEYID0000EXAMPLE\n")
    (aws.parent / "link").symlink_to(root_dir / "v6")
    os.lchown(aws.parent / "link", uid, gid)
    cases["intermediate-dir-symlink"] = aws.parent / "link"

    aws = home("user-own-dotfiles-link")  # legitimate: the link and its target belong to the user
    dotfiles = aws.parent / "dotfiles"
    dotfiles.mkdir()
    os.chown(dotfiles, uid, gid)
    (dotfiles / "credentials").write_text("[default]\nregion = x\n")
    os.chown(dotfiles / "credentials", uid, gid)
    (dotfiles / "credentials").chmod(0o600)
    (aws / "credentials").symlink_to(dotfiles / "credentials")
    os.lchown(aws / "credentials", uid, gid)

    aws = home("fresh")
    aws.rmdir()
    return root_dir, cases


@pytest.mark.slow
def test_root_for_another_user_never_follows_planted_links(base, user, ansible, figures):
    root_dir, cases = _legacy_cases(base, user)
    before = snapshot(root_dir)
    items = [{"id": name, "args": {
        "name": "dev", "aws_access_key_id": KEY_ID, "region": "eu-west-1",
        "owner": user.pw_name, "credentials_file": f"{path}/.aws/credentials", "config_file": f"{path}/.aws/config"}}
        for name, path in cases.items()]
    run, results = _run(ansible, PROFILE, items, secret=True)
    problems = []
    changed = differences(before, snapshot(root_dir))
    if changed:
        problems.append(f"root-owned files changed: {changed}")
    refused = [n for n in cases if n not in ("user-own-dotfiles-link", "fresh")]
    for name in refused:
        result = results.get(name, {})
        if not result.get("failed"):
            problems.append(f"{name}: written through a planted link (must be refused)")
        elif not str(result.get("msg", "")).startswith("Failed to "):
            problems.append(f"{name}: unclear error {result.get('msg')!r}")
    for name in ("user-own-dotfiles-link", "fresh"):
        result = results.get(name, {})
        if result.get("failed") or not result.get("changed"):
            problems.append(f"{name}: legitimate write failed: {result.get('msg')}")
            continue
        aws = cases[name] / ".aws"
        for path in (aws, aws / "credentials", aws / "config", os.path.realpath(aws / "credentials")):
            info = os.stat(path)
            if (info.st_uid, info.st_gid) != (user.pw_uid, user.pw_gid):
                problems.append(f"{name}: {path} owned by {info.st_uid}:{info.st_gid}, not the user")
        if stat.S_IMODE(os.stat(aws / "credentials").st_mode) != 0o600:
            problems.append(f"{name}: credentials not 0600")
        for leftover in aws.iterdir():
            if leftover.name.startswith(".") and not leftover.name.endswith(".lock"):
                problems.append(f"{name}: temp file left: {leftover.name}")
            elif leftover.name.endswith(".lock") and os.stat(leftover).st_uid != user.pw_uid:
                problems.append(f"{name}: lock file {leftover.name} not owned by the user")
    figures.record(
        load=f"1 run as root for a throwaway local user (useradd), {len(cases)} homes",
        faults="none",
        bad_inputs=f"{len(refused)} planted links/hard links ({', '.join(refused)})",
        lost="nothing" if not problems else f"{len(problems)} problems",
        attacks=len(refused), escapes=len(changed), problems=problems,
    )
    assert SECRET not in run.output
    assert problems == []


def _plant_hard_link(base, user, name, mode=0o660):
    """A root-owned file in a stand-in /etc that the user may write (its group is the user's), hard-linked
    by the user as ~/.aws/``name`` (what protected_hardlinks=1 allows)."""
    etc = base / "etc"
    etc.mkdir(mode=0o755, exist_ok=True)
    victim = as_root_owned(etc / f"victim-{name.strip('.')}", VICTIM_DATA, mode, user.pw_gid)
    aws = Path(user.pw_dir) / ".aws"
    if not aws.exists():
        _aws(user)
    linked = as_user(user, ["ln", str(victim), str(aws / name)])
    assert linked.returncode == 0, linked.stderr
    return victim, aws


@pytest.mark.parametrize("lock", [".credentials.lock", ".config.lock"])
def test_a_hard_link_planted_as_a_lock_file_is_never_given_to_the_user(base, user, ansible, lock):
    """Issue 12 item 2. Fails on 064b0bc: the root-owned victim hard-linked by the user as the lock file was
    fchowned to the user (lock opened with O_CREAT, no check of owner or link count)."""
    victim, aws = _plant_hard_link(base, user, lock)
    before = file_state(victim)
    run, results = _run(ansible, PROFILE, [{"id": "write", "args": {
        "name": "dev", "aws_access_key_id": KEY_ID, "region": "eu-west-1", "owner": user.pw_name}}], secret=True)
    assert file_state(victim) == before
    target = aws / lock[1:-5]
    assert _failed_cleanly(results["write"], f"lock {target}: "), results["write"].get("msg")
    assert SECRET not in run.output


def test_tightening_never_chmods_a_hard_linked_file_the_user_does_not_own(base, user, ansible):
    """Issue 12 item 4. Fails on 064b0bc: a config-only call tightened (chmod 0600) the root-owned 0660 file the
    user had hard-linked as ~/.aws/credentials."""
    victim, aws = _plant_hard_link(base, user, "credentials")
    before = file_state(victim)
    _run_, results = _run(ansible, PROFILE, [{"id": "config-only", "args": {
        "name": "dev", "region": "eu-west-1", "owner": user.pw_name}}])
    assert file_state(victim) == before
    assert _failed_cleanly(results["config-only"], f"change the mode of {aws / 'credentials'}: "), results
    assert not (aws / "config").exists()  # nothing written before the refusal


@pytest.fixture
def root_tree(base):
    """A root-only directory holding a valid AWS config and credentials (what must never be read for a user)."""
    tree = base / "root-only"
    (tree / ".aws").mkdir(parents=True, mode=0o700)
    tree.chmod(0o700)
    as_root_owned(tree / ".aws" / "config", ROOT_PROFILE)
    as_root_owned(tree / ".aws" / "credentials", b"[rootonly]\naws_access_key_id = ROOTKEYID0000EXAMPLE\n")
    return tree


@pytest.mark.parametrize("layout", ["home-link-to-a-root-tree", "aws-dir-link-to-a-root-dir", "unparseable"])
def test_info_with_owner_reads_as_the_user(root_tree, user, ansible, layout):
    """Issue 12 item 5. Fails on 064b0bc for home-link-to-a-root-tree: with owner set, ~/link/.aws/config
    (~/link -> a root-only tree) returned root's profile (only the last two path components were checked).
    aws-dir-link-to-a-root-dir (~/.aws -> a root-only dir) was already refused by a path check on 064b0bc; it
    now fails because the user cannot read it. unparseable: the parse error comes back from the user's process
    as it is."""
    home = Path(user.pw_dir)
    files, expected = {}, "Failed to read %s/.aws/credentials: Permission denied" % home
    if layout == "home-link-to-a-root-tree":
        assert as_user(user, ["ln", "-s", str(root_tree), str(home / "link")]).returncode == 0
        files = {"config_file": f"{home}/link/.aws/config", "credentials_file": f"{home}/link/.aws/credentials"}
        expected = "Failed to read %s/link/.aws/credentials: Permission denied" % home
    elif layout == "aws-dir-link-to-a-root-dir":
        assert as_user(user, ["ln", "-s", str(root_tree / ".aws"), str(home / ".aws")]).returncode == 0
    else:
        aws = _aws(user)
        as_user(user, ["sh", "-c", f"printf '[a]\\nbad\\n' > {aws}/config"])
        expected = "Failed to parse %s/config line 2: the line has no '=' or ':' separator" % aws
    run, results = _run(ansible, INFO, [{"id": layout, "args": dict(files, owner=user.pw_name)}])
    assert results[layout].get("msg") == expected, results[layout]
    assert "rootonly" not in run.output and "ROOTKEYID" not in run.output


@pytest.mark.slow
def test_root_without_owner_acts_as_the_account_whose_home_holds_the_files(base, user, other_user, ansible):
    """Issue 12 item 5 (no owner). Fails on 064b0bc: with ~alice/.aws -> ~bob/.aws, root (no owner) read bob's
    profiles and removed bob's profile (what offboard.yml does); a plain write into alice's ~/.aws created
    root-owned files there."""
    bob_aws = _aws(other_user)
    bob_config = bob_aws / "config"
    as_user(other_user, ["sh", "-c", f"printf '[profile bobs]\\nregion = eu-west-1\\n' > {bob_config}"])
    bob_before = snapshot(bob_aws)
    alice = Path(user.pw_dir)
    assert as_user(user, ["ln", "-s", str(bob_aws), str(alice / ".aws")]).returncode == 0
    files = {"credentials_file": f"{alice}/.aws/credentials", "config_file": f"{alice}/.aws/config"}
    run, read = _run(ansible, INFO, [{"id": "read", "args": files}])
    _run_, removed = _run(ansible, PROFILE, [{"id": "remove", "args": dict(files, name="bobs", state="absent")}])
    assert snapshot(bob_aws) == bob_before
    assert "bobs" not in run.output
    for result in (read["read"], removed["remove"]):
        assert result.get("failed") and result["msg"].startswith("Failed to use %s/.aws/" % alice), result
        assert "uid %d" % other_user.pw_uid in result["msg"]

    (alice / ".aws").unlink()
    _run_, wrote = _run(ansible, PROFILE, [{"id": "write", "args": dict(
        files, name="dev", aws_access_key_id=KEY_ID, region="eu-west-1")}], secret=True)
    assert wrote["write"].get("changed"), wrote["write"].get("msg")
    for path in (alice / ".aws", alice / ".aws" / "credentials", alice / ".aws" / "config",
                 alice / ".aws" / ".credentials.lock"):
        assert (os.lstat(path).st_uid, os.lstat(path).st_gid) == (user.pw_uid, user.pw_gid), path


def test_a_path_two_accounts_control_is_refused_without_owner(base, user, other_user, ansible):
    """Issue 12 item 5 (the rule for root without owner). Fails on 064b0bc: root wrote there as root."""
    shared = Path(other_user.pw_dir) / "shared"
    assert as_user(other_user, ["mkdir", "-m", "755", str(shared)]).returncode == 0
    home = shared / "alice"
    home.mkdir(mode=0o700)
    os.chown(home, user.pw_uid, user.pw_gid)
    _run_, results = _run(ansible, PROFILE, [{"id": "write", "args": {
        "name": "dev", "region": "eu-west-1", "config_file": f"{home}/.aws/config",
        "credentials_file": f"{home}/.aws/credentials"}}])
    message = results["write"].get("msg", "")
    assert results["write"].get("failed") and message.startswith(f"Failed to use {home}/.aws/"), message
    assert f"uid {other_user.pw_uid}" in message and f"uid {user.pw_uid}" in message and "owner" in message
    assert list(home.iterdir()) == []


def test_a_home_the_user_cannot_write_fails_naming_the_path(base, ansible):
    """Missing or root-owned home: the user's own rights decide. Fails on 064b0bc: root created ~/.aws (and
    the missing home) and chowned them to the user."""
    with throwaway_account(base, with_home=False) as missing, throwaway_account(base, with_home=False) as rooted:
        Path(rooted.pw_dir).mkdir(mode=0o755)
        _run_, results = _run(ansible, PROFILE, [
            {"id": "missing", "args": {"name": "dev", "region": "eu-west-1", "owner": missing.pw_name}},
            {"id": "root-owned", "args": {"name": "dev", "region": "eu-west-1", "owner": rooted.pw_name}}])
        assert _failed_cleanly(results["missing"], f"create {missing.pw_dir}: Permission denied"), results
        assert _failed_cleanly(results["root-owned"], f"create {rooted.pw_dir}/.aws: Permission denied"), results
        assert not Path(missing.pw_dir).exists() and list(Path(rooted.pw_dir).iterdir()) == []


def test_group_must_be_one_of_the_users_groups(base, user, ansible):
    """Fails on 064b0bc: group root was applied to the user's new files."""
    _run_, results = _run(ansible, PROFILE, [
        {"id": "root", "args": {"name": "dev", "region": "x-1", "owner": user.pw_name, "group": "root"}},
        {"id": "own", "args": {"name": "dev", "region": "x-1", "owner": user.pw_name, "group": user.pw_name}}])
    assert results["root"]["msg"] == f"Failed to use group root: {user.pw_name} is not a member of it"
    assert results["own"].get("changed"), results["own"].get("msg")
    config = Path(user.pw_dir) / ".aws" / "config"
    assert (os.stat(config).st_uid, os.stat(config).st_gid) == (user.pw_uid, user.pw_gid)


@pytest.mark.slow
def test_hard_links_in_every_position(base, user, ansible, figures):
    """Root-owned files hard-linked as every file the modules touch: credentials, config, both locks, a backup,
    .bashrc and .zshrc; written, backed up, tightened and read as root for the user. No victim changes; each
    run succeeds on the user's own files or fails with a clear message."""
    etc = base / "root-only"
    etc.mkdir(mode=0o700)
    homes = base / "homes"
    homes.mkdir(mode=0o755)
    positions = ["credentials", "config", ".credentials.lock", ".config.lock", "backup", ".bashrc", ".zshrc"]
    operations = {
        "write": {"name": "dev", "aws_access_key_id": KEY_ID, "region": "eu-west-1", "backup": True,
                  "shell_export": "dev"},
        "tighten-only": {"name": "dev", "region": "eu-west-1"},
        "read": {},
    }
    cases, victims = [], {}
    for position in positions:
        for operation, args in operations.items():
            case = f"{position}@{operation}"
            home = homes / case.replace("@", "-").strip(".")
            aws = home / ".aws"
            aws.mkdir(parents=True, mode=0o700)
            for path in (home, aws):
                os.chown(path, user.pw_uid, user.pw_gid)
            for name, text in (("credentials", b"[dev]\naws_access_key_id = OLDKEYID0000EXAMPLE\n"),
                               ("config", b"[profile dev]\nregion = us-east-1\n")):
                (aws / name).write_bytes(text)
                os.chown(aws / name, user.pw_uid, user.pw_gid)
                (aws / name).chmod(0o644 if operation == "tighten-only" else 0o600)
            victim = as_root_owned(etc / case.replace("@", "-"), ROOT_PROFILE, 0o644)
            victims[case] = victim
            if position == "backup":  # every name a backup made in the next two minutes could take
                for second in range(120):
                    stamp = time.strftime("%Y-%m-%d@%H:%M:%S", time.localtime(time.time() + second))
                    os.link(victim, aws / f"credentials.{stamp}~")
            else:
                target = home / position if position.startswith(".") and position.endswith("rc") else aws / position
                if target.exists():
                    target.unlink()
                os.link(victim, target)
            cases.append({"id": case, "operation": operation, "args": dict(
                args, owner=user.pw_name, credentials_file=str(aws / "credentials"),
                config_file=str(aws / "config"), shell_files=[str(home / ".bashrc"), str(home / ".zshrc")])})
    before = {case: file_state(victim) for case, victim in victims.items()}
    runs = {}
    for operation in operations:
        module = INFO if operation == "read" else PROFILE
        selected = [c for c in cases if c["operation"] == operation]
        for case in selected:
            if module == INFO:
                for option in ("name", "region", "backup", "shell_export", "aws_access_key_id"):
                    case["args"].pop(option, None)
        runs[operation] = _run(ansible, module, selected, secret=operation == "write")
    problems, escapes = [], 0
    for case in cases:
        result = runs[case["operation"]][1].get(case["id"], {})
        if file_state(victims[case["id"]]) != before[case["id"]]:
            escapes += 1
            problems.append(f"{case['id']}: the root-owned victim changed")
        if result.get("failed") and not str(result.get("msg", "")).startswith("Failed to "):
            problems.append(f"{case['id']}: unclear error {result.get('msg')!r}")
        if "rootonly" in repr(result.get("profiles", {})):
            problems.append(f"{case['id']}: root's profile was read")
    output = "".join(run.output for run, _results in runs.values())
    if SECRET in output:
        problems.append("the secret is in the output")
    figures.record(
        load=f"{len(runs)} runs as root for a throwaway local user, {len(cases)} homes",
        faults="none",
        bad_inputs=f"{len(cases)} root-owned files hard-linked as {', '.join(positions)} x {', '.join(operations)}",
        lost="nothing" if not problems else f"{len(problems)} problems",
        attacks=len(cases), escapes=escapes,
        outcomes={c["id"]: ("failed: " + str(runs[c["operation"]][1].get(c["id"], {}).get("msg", ""))[:80]
                            if runs[c["operation"]][1].get(c["id"], {}).get("failed") else "ok") for c in cases},
        problems=problems,
    )
    assert problems == []


@pytest.mark.slow
def test_module_code_in_a_root_only_directory(base, user, ansible):
    """The child that drops to the user imports nothing: the collection copied into a 0700 root-only
    directory still works (issue 14 section 3)."""
    private = base / "private-checkout"
    private.mkdir(mode=0o700)
    collection = private / "ansible_collections" / "devkeys" / "aws"
    shutil.copytree(Path(collections_path()) / "ansible_collections" / "devkeys" / "aws", collection,
                    ignore=shutil.ignore_patterns(".venv", "tests", ".git", "docs", "bench", "__pycache__"),
                    symlinks=False)
    env = {"ANSIBLE_COLLECTIONS_PATH": str(private)}
    home = Path(user.pw_dir)
    play = [{"hosts": "localhost", "gather_facts": False, "tasks": [
        {"name": "write", PROFILE: {"name": "dev", "aws_access_key_id": KEY_ID, "aws_secret_access_key": SECRET,
                                    "region": "eu-west-1", "owner": user.pw_name, "shell_export": "dev",
                                    "shell_files": [f"{home}/.bashrc"], "backup": True}},
        {"name": "read", INFO: {"owner": user.pw_name, "shell_files": [f"{home}/.bashrc"],
                                "compare": [{"name": "dev", "aws_access_key_id": KEY_ID, "region": "eu-west-1"}]},
         "register": "read"},
        {"name": "check", "ansible.builtin.assert": {"that": [
            "read.profiles.dev.has_secret", "read.shell_exports['%s/.bashrc'] == 'dev'" % home,
            "read.compared[0].current"]}},
    ]}]
    run = ansible.playbook(play, env=env)
    run.assert_ok()
    assert os.stat(home / ".aws" / "credentials").st_uid == user.pw_uid
    assert os.stat(home / ".bashrc").st_uid == user.pw_uid


def test_unreadable_file_for_a_non_root_user(base, user, figures):
    """As root every file is readable; as the user, a 0000 credentials file must give a clear error.

    The writer and the two module_utils it loads are copied next to the user's home, and run with an
    interpreter the user can execute: the checkout may be in a directory the user cannot read (issue 14 s3)."""
    tools = copy_readable([Path(__file__).with_name("writer.py"), MODULE_UTILS / "_aws_files.py",
                           MODULE_UTILS / "_file_io.py"], base / "tools")
    aws = _aws(user)
    credentials = aws / "credentials"
    credentials.write_bytes(b"[default]\nregion = x\n")
    os.chown(credentials, user.pw_uid, user.pw_gid)
    credentials.chmod(0)
    proc = as_user(user, [user_python(user), str(tools[0]), str(credentials), "credentials", "dev",
                          '{"aws_access_key_id": "%s", "aws_secret_access_key": "%s"}' % (KEY_ID, SECRET)])
    credentials.chmod(0o600)
    intact = credentials.read_bytes() == b"[default]\nregion = x\n"
    message = proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else ""
    leftovers = sorted(p.name for p in aws.iterdir() if p.name.startswith(".") and not p.name.endswith(".lock"))
    figures.record(load="1 write as a non-root user", faults="credentials file mode 0000", bad_inputs=1,
                   lost="nothing" if intact and not leftovers else "file changed or temp left",
                   message=message.replace(str(aws.parent), "<home>"))
    assert proc.returncode != 0
    assert f"Failed to read {credentials}" in message and "Permission denied" in message, proc.stderr[-500:]
    assert SECRET not in proc.stderr + proc.stdout
    assert intact and leftovers == []


def test_writer_runs_from_a_copy_outside_the_checkout(base, user):
    """writer.py loads the module_utils next to it when they are there (the copy an unprivileged user runs)."""
    tools = copy_readable([Path(__file__).with_name("writer.py"), MODULE_UTILS / "_aws_files.py",
                           MODULE_UTILS / "_file_io.py"], base / "tools")
    aws = _aws(user)
    proc = as_user(user, [user_python(user), str(tools[0]), str(aws / "config"), "config", "dev",
                          '{"region": "eu-west-1"}'])
    assert proc.returncode == 0, proc.stderr
    assert (aws / "config").read_text() == "[profile dev]\nregion = eu-west-1\n"
