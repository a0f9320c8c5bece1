"""module_utils/_file_io.py: who does the file work (file_access, path_account) and run_as, as root for nobody.

The files live in a fresh 0755 directory under /tmp (pytest's tmp_path is in a root-only directory nobody
could not enter); the functions run in the child are plain Python of this module (fork copies them).
"""

import ctypes
import os
import shutil
import signal
import stat
import sys
import tempfile
from pathlib import Path

import pytest

from ansible_collections.devkeys.aws.plugins.module_utils import _aws_files as aws_files
from ansible_collections.devkeys.aws.plugins.module_utils import _file_io as file_io
from ansible_collections.devkeys.aws.plugins.module_utils._aws_files import AwsFileError
from ansible_collections.devkeys.aws.plugins.module_utils._file_io import Access, FileIOError, run_as

NOBODY = 65534
SECRET = "runAsSecret0000EXAMPLE"
PR_GET_DUMPABLE = 3

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root")


@pytest.fixture
def base():
    path = Path(tempfile.mkdtemp(prefix="devkeys-run-as-", dir="/tmp"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def nobody():
    return file_io.lookup_account("nobody")


def _home(base, uid=NOBODY):
    home = base / "home"
    home.mkdir(mode=0o700)
    os.chown(home, uid, uid)
    return home


def _identity():
    return [list(os.getresuid()), list(os.getresgid()), sorted(os.getgroups()),
            ctypes.CDLL(None).prctl(PR_GET_DUMPABLE, 0, 0, 0, 0)]


def test_the_child_has_every_id_and_group_of_the_account_and_is_not_dumpable(nobody):
    assert run_as(nobody, _identity) == [[NOBODY] * 3, [NOBODY] * 3, sorted(nobody.groups), 0]
    assert os.getresuid() == (0, 0, 0)  # the parent is unchanged


def test_without_an_account_the_function_runs_here():
    assert run_as(None, os.getpid) == os.getpid()


def _raise(error):
    raise error


@pytest.mark.parametrize("error", [
    FileIOError("read", "/h/.aws/credentials", "Permission denied"),
    AwsFileError("/h/.aws/config", 3, "section [a] appears twice"),
    AwsFileError("name", 0, "profile name 'x' may only hold letters", "validate"),
])
def test_errors_come_back_with_their_message(nobody, error):
    with pytest.raises(type(error)) as raised:
        run_as(nobody, _raise, (error,), errors=(AwsFileError,))
    assert str(raised.value) == str(error)


def _leak():
    secret = "".join(["runAs", "Secret0000EXAMPLE"])
    raise ValueError("the secret is %s" % secret)


def test_an_unexpected_error_names_its_type_and_place_never_its_message(nobody):
    with pytest.raises(FileIOError) as raised:
        run_as(nobody, _leak)
    assert str(raised.value) == "Failed to work as nobody: unexpected ValueError in _leak line %d" % (
        _leak.__code__.co_firstlineno + 2)
    assert SECRET not in str(raised.value)


def _import_something_new():
    return __import__("wave").__name__


def test_the_child_imports_nothing(nobody):
    """A module first imported after the fork could need files the account cannot read: none is allowed."""
    assert "wave" not in sys.modules
    with pytest.raises(FileIOError, match="unexpected ModuleNotFoundError in _import_something_new"):
        run_as(nobody, _import_something_new)


def _killed():
    os.kill(os.getpid(), signal.SIGKILL)


def test_a_child_that_dies_is_a_clear_error(nobody):
    with pytest.raises(FileIOError, match="^Failed to work as nobody: the process working as that account was "
                                          "killed by signal 9$"):
        run_as(nobody, _killed)


def _read(path):
    shared = Access(None, -1, -1, True).shared(path)
    try:
        return shared.read().decode()
    finally:
        shared.close()


def _write(path, data):
    shared = Access(None, -1, -1, True).shared(path, private=True)
    try:
        shared.lock()
        shared.write(data.encode())
        return shared.warnings
    finally:
        shared.close()


def test_the_kernel_refuses_what_the_account_could_not_do(base, nobody):
    root_only = base / "root-only"
    root_only.mkdir(mode=0o700)
    (root_only / "config").write_text("[profile root]\nregion = x\n")
    home = _home(base)
    (home / ".aws").symlink_to(root_only)
    with pytest.raises(FileIOError, match="^Failed to read %s: Permission denied$" % (home / ".aws" / "config")):
        run_as(nobody, _read, (str(home / ".aws" / "config"),))
    with pytest.raises(FileIOError, match="^Failed to lock %s: Permission denied$" % (home / ".aws" / "cred")):
        run_as(nobody, _write, (str(home / ".aws" / "cred"), SECRET))
    assert sorted(os.listdir(root_only)) == ["config"]


def test_files_and_directories_made_as_the_account_are_its_own(base, nobody):
    home = _home(base)
    credentials = home / "dotfiles" / ".aws" / "credentials"
    assert run_as(nobody, _write, (str(credentials), "[a]\nx = 1\n")) == []
    for path in (credentials.parent.parent, credentials.parent, credentials, credentials.parent / ".credentials.lock"):
        info = os.lstat(path)
        assert (info.st_uid, info.st_gid) == (NOBODY, NOBODY), path
        assert stat.S_IMODE(info.st_mode) == (0o700 if path.is_dir() else 0o600), path
    assert run_as(nobody, _read, (str(credentials),)) == "[a]\nx = 1\n"


def test_a_home_the_account_cannot_write_fails_naming_the_path(base, nobody):
    home = base / "root-owned-home"
    home.mkdir(mode=0o755)
    with pytest.raises(FileIOError, match="^Failed to create %s/.aws: Permission denied$" % home):
        run_as(nobody, _write, (str(home / ".aws" / "credentials"), SECRET))
    with pytest.raises(FileIOError, match="^Failed to create %s/missing: Permission denied$" % base):
        run_as(nobody, _write, (str(base / "missing" / ".aws" / "credentials"), SECRET))
    assert list(home.iterdir()) == [] and not (base / "missing").exists()


# --------------------------------------------------------------- whom root works for


def test_file_access(base, nobody):
    root = file_io.lookup_account("root")
    home = _home(base)
    assert file_io.file_access(None, None, [str(base / "x")]) == Access(None, -1, -1, False)
    assert file_io.file_access(None, "0", [str(base / "x")]) == Access(None, -1, 0, False)
    assert file_io.file_access(root, None, [str(home / "x")]) == Access(None, 0, 0, False)
    assert file_io.file_access(nobody, None, [str(base / "x")]) == Access(nobody, -1, -1, True)
    assert file_io.file_access(nobody, "nogroup", []) == Access(nobody, -1, file_io.group_id("nogroup"), True)
    assert file_io.file_access(None, None, [str(home / ".aws" / "config")]) == Access(nobody, -1, -1, True)
    with pytest.raises(FileIOError, match="^Failed to use group root: nobody is not a member of it$"):
        file_io.file_access(nobody, "root", [])
    with pytest.raises(FileIOError, match="^Failed to use group root: nobody is not a member of it$"):
        file_io.file_access(None, "root", [str(home / ".aws" / "config")])


def _layout(base, kind):
    """A path whose components are owned as ``kind`` says."""
    home = _home(base)
    if kind == "root-only":
        (base / "etc").mkdir()
        return base / "etc" / ".aws" / "config"
    if kind == "the-account's-home":
        return home / ".aws" / "config"
    if kind == "root-link-into-the-home":
        (base / "link").symlink_to(home)
        return base / "link" / ".aws" / "config"
    if kind == "relative-link-then-dotdot":
        (base / "etc").mkdir()
        (home / "up").symlink_to("../etc")
        os.lchown(home / "up", NOBODY, NOBODY)
        return home / "up" / ".." / "etc" / "config"
    if kind == "two-accounts":
        (home / "theirs").mkdir()
        os.chown(home / "theirs", 1, 1)
        return home / "theirs" / "config"
    if kind == "link-to-another-account":
        (base / "other").mkdir()
        os.chown(base / "other", 1, 1)
        (home / ".aws").symlink_to(base / "other")
        os.lchown(home / ".aws", NOBODY, NOBODY)
        return home / ".aws" / "config"
    if kind == "world-writable":
        (base / "drop").mkdir(mode=0o777)
        (base / "drop").chmod(0o777)
        return base / "drop" / "config"
    (base / "sticky").mkdir()
    (base / "sticky").chmod(0o1777)
    return base / "sticky" / "config"


@pytest.mark.parametrize("kind, expected", [
    ("root-only", None),
    ("the-account's-home", NOBODY),
    ("root-link-into-the-home", NOBODY),
    ("relative-link-then-dotdot", NOBODY),
    ("sticky", None),
    ("two-accounts", "its path is controlled by more than one account (uid 1 owns {home}/theirs, uid 65534 owns "
                     "{home}): set owner to the account to work for"),
    ("link-to-another-account", "its path is controlled by more than one account (uid 1 owns {base}/other, uid "
                                "65534 owns {home}): set owner to the account to work for"),
    ("world-writable", "{base}/drop is writable by other accounts (mode 0777, not sticky): set owner to the account "
                       "to work for"),
])
def test_path_account(base, kind, expected):
    path = _layout(base, kind)
    if expected is None or isinstance(expected, int):
        account = file_io.path_account([str(base / "elsewhere"), str(path)])
        assert (account and account.uid) == expected
        return
    with pytest.raises(FileIOError) as raised:
        file_io.path_account([str(path)])
    assert str(raised.value) == "Failed to use %s: %s" % (path, expected.format(base=base, home=base / "home"))


def test_path_account_of_an_id_without_an_account(base):
    home = _home(base, 54321)
    account = file_io.path_account([str(home / ".aws" / "config")])
    assert account == file_io.Account(54321, 54321, [54321], None, None)
    assert run_as(account, os.getresuid) == [54321] * 3


def _edit_big_file():
    text = "".join("[p%d]\naws_access_key_id = FAKEKEYID%07dEXAMPLE\nregion = r\n\n" % (i, i) for i in range(3000))
    edit = aws_files.edit_file(text, "credentials", "p1500", {"region": "eu-west-1"}, path="c")
    return edit.changes


def test_the_editor_needs_no_import_in_the_child(nobody):
    """The editor's fast scan compiles patterns at run time (a big file): that imports nothing either."""
    assert run_as(nobody, _edit_big_file) == [["c", "p1500", "region", "changed"]]
