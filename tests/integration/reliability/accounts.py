"""Throwaway local accounts for the tests that run as root for another user (no fixtures here).

Everything an unprivileged process of these tests needs (its home, the scripts
it runs, the Python it runs them with) lives outside the checkout, in a
temporary directory every account can traverse, so the tests work from any
checkout location, also one in a 0700 root-only directory (issue 14 section 3).
"""

import contextlib
import os
import pwd
import shutil
import stat
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
MODULE_UTILS = HERE.parents[2] / "plugins" / "module_utils"
# Interpreters an unprivileged account may be able to run (stdlib only is needed).
_PYTHON_CANDIDATES = (os.path.realpath(getattr(sys, "_base_executable", sys.executable)), "/usr/bin/python3",
                      "/usr/local/bin/python3")


def needs_root():
    if shutil.which("useradd") is None or os.geteuid() != 0:
        pytest.skip("needs root and useradd")


@contextlib.contextmanager
def shared_dir(prefix="devkeys-acct-"):
    """A fresh root-owned 0755 directory under the system temp dir, removed afterwards."""
    path = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    try:
        path.chmod(0o755)
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@contextlib.contextmanager
def throwaway_account(parent, with_home=True):
    """A new local account (``useradd``), home ``parent``/<name> (created 0700 and owned by it), removed after."""
    name = f"dkrel{uuid.uuid4().hex[:8]}"
    home = Path(parent) / name
    subprocess.run(["useradd", "-M", "-d", str(home), "-s", "/usr/sbin/nologin", "-U", name], check=True)
    try:
        entry = pwd.getpwnam(name)
        if with_home:
            home.mkdir(mode=0o700)
            os.chown(home, entry.pw_uid, entry.pw_gid)
        yield entry
    finally:
        subprocess.run(["userdel", name], check=False)
        subprocess.run(["groupdel", name], check=False, capture_output=True)


def as_user(user, argv, **kwargs):
    """``argv`` run with the identity of ``user`` (all ids, its groups), capture text output."""
    command = ["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--init-groups", "--"] + list(argv)
    kwargs.setdefault("capture_output", True)
    kwargs.setdefault("text", True)
    kwargs.setdefault("timeout", 60)
    kwargs.setdefault("check", False)
    return subprocess.run(command, **kwargs)  # pylint: disable=subprocess-run-check


def spawn_as_user(user, argv, **kwargs):
    """``argv`` started (not waited for) with the identity of ``user``."""
    command = ["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--init-groups", "--"] + list(argv)
    return subprocess.Popen(command, **kwargs)  # pylint: disable=consider-using-with


def user_python(user):
    """An interpreter ``user`` can run (the tests' own may live in a root-only directory)."""
    for candidate in _PYTHON_CANDIDATES:
        if os.path.exists(candidate):
            if as_user(user, [candidate, "-c", "import ctypes, json, select"]).returncode == 0:
                return candidate
    pytest.skip("no Python interpreter the throwaway account can run")
    return None


def copy_readable(sources, directory):
    """Copy ``sources`` into ``directory`` (0755), each 0644: what an unprivileged process may read."""
    directory = Path(directory)
    directory.mkdir(exist_ok=True)
    directory.chmod(0o755)
    copies = []
    for source in sources:
        target = directory / Path(source).name
        shutil.copyfile(source, target)
        target.chmod(0o644)
        copies.append(target)
    return copies


def as_root_owned(path, data=b"", mode=0o600, gid=0):
    """Write a root-owned file (the victims of the attacks)."""
    path = Path(path)
    path.write_bytes(data)
    os.chown(path, 0, gid)
    path.chmod(mode)
    return path


def snapshot(*roots):
    """{path: (uid, gid, mode, bytes or link target)} of everything below ``roots`` (no following of links)."""
    state = {}
    for root in roots:
        for dirpath, dirs, files in os.walk(root):
            for name in [""] + dirs + files:
                path = os.path.join(dirpath, name) if name else dirpath
                info = os.lstat(path)
                if stat.S_ISREG(info.st_mode):
                    with open(path, "rb") as handle:
                        content = handle.read()
                elif stat.S_ISLNK(info.st_mode):
                    content = os.readlink(path)
                else:
                    content = None
                state[path] = (info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode), content)
    return state


def file_state(path):
    """(uid, gid, mode, bytes) of one file, not following a link."""
    info = os.lstat(path)
    return info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode), Path(path).read_bytes()


def differences(before, after):
    """Paths whose state differs between two snapshots."""
    return sorted(path for path in set(before) | set(after) if before.get(path) != after.get(path))
