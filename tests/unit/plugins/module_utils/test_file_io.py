"""module_utils/_file_io.py on a real file system: modes, atomicity, locks, links (the work done as
another account: test_run_as.py)."""

import os
import stat
import threading

import pytest

from ansible_collections.devkeys.aws.plugins.module_utils import _file_io as file_io
from ansible_collections.devkeys.aws.plugins.module_utils._file_io import FileIOError, SharedFile

NOBODY = 65534


def mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


def entries(directory):
    return sorted(os.listdir(directory))


def test_missing_file_reads_empty_and_write_creates_private_dir_and_file(tmp_path):
    path = tmp_path / "home" / ".aws" / "credentials"
    shared = SharedFile(str(path), private=True)
    assert shared.read() == b""
    shared.lock()
    shared.write(b"[a]\nx = 1\n")
    shared.close()
    assert path.read_bytes() == b"[a]\nx = 1\n"
    assert mode(path) == 0o600 and mode(path.parent) == 0o700 and mode(path.parent.parent) == 0o700
    assert entries(path.parent) == [".credentials.lock", "credentials"]
    assert mode(path.parent / ".credentials.lock") == 0o600


def test_existing_mode_kept_for_config_tightened_for_credentials(tmp_path):
    config, credentials = tmp_path / "config", tmp_path / "credentials"
    for path in (config, credentials):
        path.write_text("[a]\n")
        path.chmod(0o644)
    SharedFile(str(config)).write(b"[b]\n")
    private = SharedFile(str(credentials), private=True)
    private.write(b"[b]\n")
    assert mode(config) == 0o644 and mode(credentials) == 0o600
    assert private.warnings == ["Tightened the mode of %s from 0644 to 0600: it holds secrets" % credentials]


def test_write_failure_leaves_no_temp_file_and_original_intact(tmp_path, monkeypatch):
    path = tmp_path / "credentials"
    path.write_bytes(b"[a]\nx = 1\n")

    def failing_fsync(fd):
        raise OSError(5, "Input/output error")

    shared = SharedFile(str(path), private=True)
    monkeypatch.setattr(file_io.os, "fsync", failing_fsync)
    with pytest.raises(FileIOError) as error:
        shared.write(b"[a]\nx = 2\n")
    assert str(error.value) == "Failed to write %s: Input/output error" % path
    assert path.read_bytes() == b"[a]\nx = 1\n" and entries(tmp_path) == ["credentials"]


def test_temp_file_is_private_from_its_first_byte(tmp_path, monkeypatch):
    seen = []
    real_write = os.write

    def spying_write(fd, data):
        seen.append(stat.S_IMODE(os.fstat(fd).st_mode))
        return real_write(fd, data)

    monkeypatch.setattr(file_io.os, "write", spying_write)
    (tmp_path / "config").write_text("[a]\n")
    (tmp_path / "config").chmod(0o644)
    SharedFile(str(tmp_path / "config")).write(b"[b]\n")
    assert seen and all(m == 0o600 for m in seen)


def test_backup_is_a_private_copy(tmp_path):
    path = tmp_path / "credentials"
    path.write_bytes(b"[a]\nold = 1\n")
    path.chmod(0o640)
    shared = SharedFile(str(path), private=True)
    backup = shared.backup(path.read_bytes())
    assert open(backup, "rb").read() == b"[a]\nold = 1\n" and mode(backup) == 0o600
    assert os.path.basename(backup).startswith("credentials.") and backup.endswith("~")


def test_symlink_followed_for_own_files(tmp_path):
    real = tmp_path / "dotfiles" / "aws-config"
    real.parent.mkdir()
    real.write_text("[a]\n")
    (tmp_path / ".aws").mkdir()
    link = tmp_path / ".aws" / "config"
    link.symlink_to(real)
    shared = SharedFile(str(link))
    assert shared.read() == b"[a]\n"
    shared.write(b"[b]\n")
    assert link.is_symlink() and real.read_bytes() == b"[b]\n"


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root")
def test_root_for_another_user_refuses_hard_links(tmp_path):
    """A file with several links is refused when working for another account (strict), for reading and writing."""
    other = tmp_path / "home2" / ".aws"
    other.mkdir(parents=True)
    os.chown(other, NOBODY, NOBODY)
    secret = tmp_path / "secret"
    secret.write_bytes(b"[a]\nx = 1\n")
    os.link(secret, other / "credentials")
    for action in (lambda shared: shared.read(), lambda shared: shared.write(b"[b]\n")):
        shared = SharedFile(str(other / "credentials"), NOBODY, NOBODY, private=True)
        with pytest.raises(FileIOError) as error:
            action(shared)
        shared.close()
        assert "2 hard links" in str(error.value)
    assert secret.read_bytes() == b"[a]\nx = 1\n"


def test_lock_serializes_read_modify_write(tmp_path):
    path = tmp_path / "config"

    def add(number):
        shared = SharedFile(str(path))
        shared.lock()
        try:
            data = shared.read()
            shared.write(data + b"[p%d]\n" % number)
        finally:
            shared.close()

    threads = [threading.Thread(target=add, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(path.read_bytes().split()) == sorted(b"[p%d]" % n for n in range(20))


def test_default_paths(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("AWS_CONFIG_FILE", raising=False)
    assert file_io.default_path(None, None, "AWS_CONFIG_FILE", "config") == str(tmp_path / ".aws" / "config")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/x/config")
    assert file_io.default_path(None, None, "AWS_CONFIG_FILE", "config") == "/x/config"
    assert file_io.default_path(None, "/home/u", "AWS_CONFIG_FILE", "config") == "/home/u/.aws/config"
    assert file_io.default_path("/y", "/home/u", "AWS_CONFIG_FILE", "config") == "/y"


def test_lookup_account_and_group_id():
    account = file_io.lookup_account("nobody")
    assert (account.uid, account.gid, account.name) == (NOBODY, NOBODY, "nobody") and NOBODY in account.groups
    assert file_io.lookup_account(str(NOBODY)) == account
    with pytest.raises(FileIOError, match="^Failed to find user no-such-user-devkeys: no such user$"):
        file_io.lookup_account("no-such-user-devkeys")
    assert file_io.group_id(None) == -1 and file_io.group_id("root") == 0 and file_io.group_id("0") == 0
    with pytest.raises(FileIOError, match="^Failed to use group root: nobody is not a member of it$"):
        file_io.group_id("root", account)
    with pytest.raises(FileIOError, match="^Failed to find group no-such-group-devkeys: no such group$"):
        file_io.group_id("no-such-group-devkeys")


def test_lock_removes_temp_files_a_killed_writer_left(tmp_path):
    path = tmp_path / "credentials"
    path.write_bytes(b"[a]\nx = 1\n")
    stale = [tmp_path / ".credentials.tmp-4242-0", tmp_path / ".credentials.bak-4242-1"]
    for leftover in stale:
        leftover.write_bytes(b"[a]\naws_secret_access_key = leftOverSecret\n")
    unrelated = tmp_path / ".config.tmp-4242-0"
    unrelated.write_bytes(b"[b]\n")
    shared = SharedFile(str(path), private=True)
    assert shared.read() == b"[a]\nx = 1\n"
    assert shared.has_stale_temps()
    shared.lock()
    shared.close()
    assert entries(tmp_path) == [".config.tmp-4242-0", ".credentials.lock", "credentials"]
    assert path.read_bytes() == b"[a]\nx = 1\n"


def test_no_stale_temps_in_a_clean_directory(tmp_path):
    path = tmp_path / "credentials"
    path.write_bytes(b"[a]\n")
    shared = SharedFile(str(path))
    shared.read()
    assert not shared.has_stale_temps()
    shared.close()


@pytest.mark.parametrize("mode, private, loose", [
    (0o644, True, 0o644), (0o640, True, 0o640), (0o604, True, 0o604), (0o600, True, None), (0o400, True, None),
    (0o644, False, None),
])
def test_loose_mode_and_tighten_keep_the_content(tmp_path, mode, private, loose):
    path = tmp_path / "credentials"
    path.write_bytes(b"[dev]\naws_secret_access_key = s\n")
    path.chmod(mode)
    shared = SharedFile(str(path), private=private)
    try:
        assert shared.loose_mode() == loose
        assert shared.tighten() is (loose is not None)
    finally:
        shared.close()
    assert stat.S_IMODE(path.stat().st_mode) == (0o600 if loose else mode)
    assert path.read_bytes() == b"[dev]\naws_secret_access_key = s\n"
    assert shared.warnings == ([] if loose is None else
                               ["Tightened the mode of %s from %04o to 0600: it holds secrets" % (path, mode)])


def test_loose_mode_of_a_missing_file_is_none(tmp_path):
    shared = SharedFile(str(tmp_path / "no" / "credentials"), private=True)
    assert shared.loose_mode() is None and shared.tighten() is False
    assert not (tmp_path / "no").exists()


# --------------------------------------------------------------- issue 12: links planted where we create or chmod


def _victim(path, mode=0o644):
    path.write_bytes(b"[victim]\nx = 1\n")
    path.chmod(mode)
    return path


def _state(path):
    info = os.lstat(path)
    return info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode), path.read_bytes()


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root")
@pytest.mark.parametrize("lock_name", [".credentials.lock", ".config.lock"])
def test_a_hard_link_planted_as_the_lock_file_is_refused_never_chowned(tmp_path, lock_name):
    """Issue 12 item 2. Fails on 064b0bc: the lock was opened with O_CREAT and fchowned without a check, so the
    root-owned file hard-linked as the lock became owned by uid 65534."""
    victim = _victim(tmp_path / "victim")
    aws = tmp_path / "home" / ".aws"
    aws.mkdir(parents=True)
    os.chown(aws, NOBODY, NOBODY)
    os.link(victim, aws / lock_name)
    before = _state(victim)
    shared = SharedFile(str(aws / lock_name[1:-5]), NOBODY, NOBODY)
    try:
        with pytest.raises(FileIOError) as error:
            shared.lock()
    finally:
        shared.close()
    assert str(error.value).startswith("Failed to lock %s: " % (aws / lock_name[1:-5]))
    assert _state(victim) == before


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root")
def test_tightening_refuses_a_hard_linked_file(tmp_path):
    """Issue 12 item 4. Fails on 064b0bc: tighten() made the root-owned 0644 file hard-linked as the user's
    credentials 0600 (the write path refused it, the mode-only path did not)."""
    victim = _victim(tmp_path / "victim")
    aws = tmp_path / "home" / ".aws"
    aws.mkdir(parents=True)
    os.chown(aws, NOBODY, NOBODY)
    os.link(victim, aws / "credentials")
    before = _state(victim)
    shared = SharedFile(str(aws / "credentials"), NOBODY, NOBODY, private=True)
    try:
        with pytest.raises(FileIOError) as error:
            shared.tighten()
    finally:
        shared.close()
    assert str(error.value).startswith("Failed to change the mode of %s: " % (aws / "credentials"))
    assert _state(victim) == before


def test_a_new_directory_swapped_for_a_link_is_never_chmodded_through_it(tmp_path, monkeypatch):
    """Issue 12 item 3. Fails on 064b0bc: the new ~/.aws was chmodded by path, so a link swapped in right after
    the mkdir made that chmod 0700 the link's target."""
    victim = _victim(tmp_path / "victim")
    home = tmp_path / "home"
    home.mkdir()
    real_mkdir = os.mkdir

    def mkdir_then_swap(path, mode=0o777, *, dir_fd=None):
        real_mkdir(path, mode, dir_fd=dir_fd)
        full = os.path.join(os.readlink("/proc/self/fd/%d" % dir_fd), path) if dir_fd is not None else str(path)
        if full == str(home / ".aws"):  # what an attacker watching the home with inotify does
            os.rename(full, full + ".moved")
            os.symlink(str(victim), full)

    monkeypatch.setattr(file_io.os, "mkdir", mkdir_then_swap)
    before = _state(victim)
    shared = SharedFile(str(home / ".aws" / "credentials"), private=True)
    try:
        with pytest.raises(FileIOError) as error:
            shared.lock()
    finally:
        shared.close()
    assert str(error.value).startswith("Failed to ")
    assert _state(victim) == before
