"""Root writing for another user: links or hard links that user planted never redirect a write or chown."""

import os
import pwd
import shutil
import stat
import subprocess
import uuid

import pytest

VICTIM_DATA = b"root-only data, must stay as it is\n"
SECRET = "privSecretValue0000EXAMPLE"


@pytest.fixture
def local_user(tmp_path):
    """A throwaway account (removed afterwards) whose homes live under tmp_path."""
    if shutil.which("useradd") is None or os.geteuid() != 0:
        pytest.skip("needs root and useradd")
    name = f"dkrel{uuid.uuid4().hex[:8]}"
    subprocess.run(["useradd", "-M", "-d", str(tmp_path / "nohome"), "-s", "/usr/sbin/nologin", name], check=True)
    try:
        yield pwd.getpwnam(name)
    finally:
        subprocess.run(["userdel", name], check=False)


def _cases(tmp_path, user):
    uid, gid = user.pw_uid, user.pw_gid
    root_dir = tmp_path / "root-only"
    root_dir.mkdir(mode=0o700)
    cases = {}

    def home(name):
        path = tmp_path / "homes" / name
        (path / ".aws").mkdir(parents=True)
        for part in (path, path / ".aws"):
            os.chown(part, uid, gid)
        cases[name] = path
        return path / ".aws"

    def victim(name):
        path = root_dir / name
        path.write_bytes(VICTIM_DATA)
        path.chmod(0o600)
        return path

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
    (aws / "config").symlink_to(victim("v5"))
    os.lchown(aws / "config", uid, gid)

    aws = home("intermediate-dir-symlink")  # ~/link -> a root-owned tree holding .aws/credentials
    (root_dir / "v6" / ".aws").mkdir(parents=True, mode=0o700)
    victim("v6/.aws/credentials")
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


def _root_state(root_dir):
    state = {}
    for dirpath, dirs, files in os.walk(root_dir):
        for name in dirs + files:
            path = os.path.join(dirpath, name)
            info = os.lstat(path)
            data = open(path, "rb").read() if stat.S_ISREG(info.st_mode) else None  # noqa: SIM115
            state[path] = (info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode), data)
    return state


@pytest.mark.slow
def test_root_for_another_user_never_follows_planted_links(tmp_path, local_user, ansible, figures):
    root_dir, cases = _cases(tmp_path, local_user)
    before = _root_state(root_dir)
    items = [{"id": name, "credentials_file": f"{path}/.aws/credentials", "config_file": f"{path}/.aws/config"}
             for name, path in cases.items()]
    play = [{"hosts": "localhost", "gather_facts": False, "vars": {"items_": items}, "tasks": [
        {"name": "write as root for the user", "register": "written", "ignore_errors": True,
         "loop": "{{ items_ }}", "loop_control": {"label": "{{ item.id }}"},
         "devkeys.aws.aws_profile": {"name": "dev", "aws_access_key_id": "FAKEKEYIDPRIV0EXAMPLE",
                                     "aws_secret_access_key": SECRET, "region": "eu-west-1",
                                     "owner": local_user.pw_name, "credentials_file": "{{ item.credentials_file }}",
                                     "config_file": "{{ item.config_file }}"}},
        {"name": "publish", "ansible.builtin.set_stats": {"data": {"written": "{{ written.results }}"},
                                                          "per_host": True}},
    ]}]
    run = ansible.playbook(play)
    results = {r["item"]["id"]: r for r in run.published().get("written", [])}
    after = _root_state(root_dir)

    problems = []
    if after != before:
        problems.append(f"root-owned files changed: {sorted(p for p in set(before) | set(after) if before.get(p) != after.get(p))}")
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
            if (info.st_uid, info.st_gid) != (local_user.pw_uid, local_user.pw_gid):
                problems.append(f"{name}: {path} owned by {info.st_uid}:{info.st_gid}, not the user")
        if stat.S_IMODE(os.stat(aws / "credentials").st_mode) != 0o600:
            problems.append(f"{name}: credentials not 0600")
        for leftover in aws.iterdir():
            if leftover.name.startswith(".") and not leftover.name.endswith(".lock"):
                problems.append(f"{name}: temp file left: {leftover.name}")
            elif leftover.name.endswith(".lock") and os.stat(leftover).st_uid != local_user.pw_uid:
                problems.append(f"{name}: lock file {leftover.name} not owned by the user")
    figures.record(
        load=f"1 run as root for a throwaway local user (useradd), {len(cases)} homes",
        faults="none",
        bad_inputs=f"{len(refused)} planted links/hard links ({', '.join(refused)})",
        lost="nothing" if not problems else f"{len(problems)} problems",
        problems=problems,
    )
    assert SECRET not in run.output
    assert problems == []


def test_unreadable_file_for_a_non_root_user(local_user, figures):
    """As root every file is readable; as the user, a 0000 credentials file must give a clear error."""
    import tempfile
    from pathlib import Path

    from harness.paths import PYTHON

    writer = Path(__file__).with_name("writer.py")
    base = Path(tempfile.mkdtemp(prefix="devkeys-unreadable-"))
    try:
        base.chmod(0o755)
        aws = base / ".aws"
        aws.mkdir(mode=0o700)
        credentials = aws / "credentials"
        credentials.write_bytes(b"[default]\nregion = x\n")
        for path in (aws, credentials):
            os.chown(path, local_user.pw_uid, local_user.pw_gid)
        credentials.chmod(0)
        proc = subprocess.run(
            ["setpriv", f"--reuid={local_user.pw_uid}", f"--regid={local_user.pw_gid}", "--clear-groups",
             PYTHON, str(writer), str(credentials), "credentials", "dev",
             '{"aws_access_key_id": "FAKEKEYIDPRIV0EXAMPLE", "aws_secret_access_key": "%s"}' % SECRET],
            capture_output=True, text=True, timeout=60, check=False)
        credentials.chmod(0o600)
        intact = credentials.read_bytes() == b"[default]\nregion = x\n"
        message = proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else ""
        leftovers = sorted(p.name for p in aws.iterdir() if p.name.startswith(".") and not p.name.endswith(".lock"))
        figures.record(load="1 write as a non-root user", faults="credentials file mode 0000", bad_inputs=1,
                       lost="nothing" if intact and not leftovers else "file changed or temp left",
                       message=message.replace(str(base), "<home>"))
        assert proc.returncode != 0
        assert f"Failed to read {credentials}" in message and "Permission denied" in message, proc.stderr[-500:]
        assert SECRET not in proc.stderr + proc.stdout
        assert intact and leftovers == []
    finally:
        shutil.rmtree(base, ignore_errors=True)
