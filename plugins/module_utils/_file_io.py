# -*- coding: utf-8 -*-
# Copyright: devkeys.aws contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Stdlib-only, careful file access for the AWS shared files.

``SharedFile(path, uid, gid, private)`` is one file to read and maybe rewrite:

* ``read()`` -> bytes (a missing file reads as empty);
* ``lock()`` takes an exclusive ``flock`` on ``.<name>.lock`` (0600) next to
  the file, held until ``close()``: lock, re-read, decide, write;
* ``write(data)`` writes a temp file in the same directory, created 0600 with
  O_EXCL, gives it its mode and owner *before* ``fsync`` and ``os.replace``,
  then fsyncs the directory; the temp file is removed on any failure;
* ``backup()`` keeps a timestamped 0600 copy of the current file;
* ``loose_mode()`` / ``tighten()``: a ``private`` file that others can read is
  made 0600 in place, also when its content does not change.

Missing directories are created 0700 (owner/group applied).  The mode of an
existing file is kept, except that a ``private`` file (credentials) looser
than 0600 is tightened to 0600 with a warning.  All work on the file goes
through a descriptor of its directory opened with O_NOFOLLOW, so a link
swapped in after the checks is not followed.

Symlink rule: when running as root for another user (``uid`` given and not
0), that user controls their home, so a link or hard link they planted must
not make us read, write or chown a file they could not.  Then a symlinked
file or directory is followed only if the link target and its directory are
owned by that user, the real directory must be owned by that user or root,
and a file with more than one hard link, or that is not a regular file, is
refused.  Otherwise (no owner, or not root) links are followed as the user
running the module would follow them.
"""

import errno
import fcntl
import grp
import os
import pwd
import stat
import time

DIR_MODE = 0o700
FILE_MODE = 0o600
# opening the file to read it or change its mode: never through a link, never a terminal, never blocking on a FIFO
_OPEN_EXISTING = os.O_RDONLY | os.O_NOFOLLOW | os.O_NOCTTY | os.O_NONBLOCK


class FileIOError(Exception):
    """``Failed to <verb> <path>: <cause>``."""

    def __init__(self, verb, path, cause):
        self.path = path
        super(FileIOError, self).__init__("Failed to %s %s: %s" % (verb, path, cause))


def lookup_owner(owner=None, group=None):
    """``(uid, gid, home)`` for owner/group names or ids; -1 / None when not given.

    The gid defaults to the owner's primary group.
    """
    uid, gid, home = -1, -1, None
    if owner is not None:
        try:
            entry = pwd.getpwuid(int(owner)) if str(owner).isdigit() else pwd.getpwnam(owner)
        except (KeyError, ValueError):
            raise FileIOError("find user", owner, "no such user")
        uid, gid, home = entry.pw_uid, entry.pw_gid, entry.pw_dir
    if group is not None:
        try:
            gid = grp.getgrgid(int(group)).gr_gid if str(group).isdigit() else grp.getgrnam(group).gr_gid
        except (KeyError, ValueError):
            raise FileIOError("find group", group, "no such group")
    return uid, gid, home


def default_path(explicit, home, env_name, leaf):
    """The path option, else ``home``/.aws/leaf, else the AWS env var, else ~/.aws/leaf of this process."""
    if explicit:
        return explicit
    if home:
        return os.path.join(home, ".aws", leaf)
    if os.environ.get(env_name):
        return os.path.expanduser(os.environ[env_name])
    return os.path.expanduser(os.path.join("~", ".aws", leaf))


def _strerror(exc):
    return exc.strerror or str(exc)


class SharedFile(object):
    """One shared file; see the module docstring for the protocol."""

    def __init__(self, path, uid=-1, gid=-1, private=False):
        self.path = path
        self.uid = uid
        self.gid = gid
        self.private = private
        self.strict = os.geteuid() == 0 and uid not in (-1, 0)
        self.warnings = []
        self._dir_fd = None
        self._lock_fd = None
        self._real_dir = None
        self._name = None

    # -- locating -------------------------------------------------------

    def _owned_by_user(self, path):
        try:
            return os.stat(path).st_uid == self.uid
        except OSError:
            return False

    def _resolve(self):
        """Real directory and file name, applying the symlink rule."""
        path = os.path.abspath(self.path)
        directory, name = os.path.split(path)
        if self.strict:
            for link in (directory, path):
                if os.path.islink(link):
                    target = os.path.realpath(link)
                    if not (self._owned_by_user(target) and self._owned_by_user(os.path.dirname(target))):
                        raise FileIOError(
                            "use", self.path,
                            "%s is a symlink to %s, which %s does not own (running as root for that user)"
                            % (link, target, self.uid))
        real = os.path.realpath(path)
        return os.path.split(real)

    def _open_dir(self, create):
        if self._dir_fd is not None:
            return True
        directory, self._name = self._resolve()
        self._real_dir = directory
        if create and not os.path.isdir(directory):
            self._make_dirs(directory)
        try:
            fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
        except OSError as exc:
            if exc.errno == errno.ENOENT and not create:
                return False
            raise FileIOError("open", directory, _strerror(exc))
        if self.strict:
            owner = os.fstat(fd).st_uid
            if owner not in (0, self.uid):
                os.close(fd)
                raise FileIOError("use", directory, "the directory is owned by uid %d, not by %d or root"
                                  % (owner, self.uid))
        self._dir_fd = fd
        return True

    def _make_dirs(self, directory):
        missing = []
        while directory and not os.path.isdir(directory):
            missing.append(directory)
            directory = os.path.dirname(directory)
        for path in reversed(missing):
            try:
                os.mkdir(path, DIR_MODE)
                os.chmod(path, DIR_MODE)
                if self.uid != -1 or self.gid != -1:
                    os.chown(path, self.uid, self.gid, follow_symlinks=False)
            except OSError as exc:
                if exc.errno != errno.EEXIST:
                    raise FileIOError("create", path, _strerror(exc))

    # -- reading --------------------------------------------------------

    def _stat(self):
        try:
            return os.stat(self._name, dir_fd=self._dir_fd, follow_symlinks=False)
        except OSError as exc:
            if exc.errno == errno.ENOENT:
                return None
            raise FileIOError("stat", self.path, _strerror(exc))

    def read(self):
        """Bytes of the file; b"" when it (or its directory) does not exist."""
        if not self._open_dir(create=False):
            return b""
        try:
            fd = os.open(self._name, _OPEN_EXISTING, dir_fd=self._dir_fd)
        except OSError as exc:
            if exc.errno == errno.ENOENT:
                return b""
            raise FileIOError("read", self.path, _strerror(exc))
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                raise FileIOError("read", self.path, "not a regular file")
            if self.strict and info.st_nlink > 1:
                raise FileIOError("read", self.path, "the file has %d hard links (running as root for uid %d)"
                                  % (info.st_nlink, self.uid))
            chunks = []
            while True:
                chunk = os.read(fd, 1 << 20)
                if not chunk:
                    break
                chunks.append(chunk)
            return b"".join(chunks)
        finally:
            os.close(fd)

    # -- locking --------------------------------------------------------

    def _stale_temps(self):
        """Temp files of this file left by a writer that died before its rename."""
        if self._dir_fd is None:
            return []
        prefixes = tuple(".%s.%s-" % (self._name, kind) for kind in ("tmp", "bak"))
        try:
            return [name for name in os.listdir(self._dir_fd) if name.startswith(prefixes)]
        except OSError:
            return []

    def has_stale_temps(self):
        """True if a killed writer left a temp file (maybe holding a secret) next to the file."""
        return bool(self._stale_temps())

    def lock(self):
        """Exclusive lock on .<name>.lock in the file's directory (created 0600).

        Every write happens under this lock, so temp files found once it is
        held belong to a writer that was killed: they are removed.
        """
        self._open_dir(create=True)
        lock_name = ".%s.lock" % self._name
        try:
            fd = os.open(lock_name, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, FILE_MODE, dir_fd=self._dir_fd)
        except OSError as exc:
            raise FileIOError("lock", self.path, _strerror(exc))
        try:
            if self.uid != -1 or self.gid != -1:
                os.fchown(fd, self.uid, self.gid)
            fcntl.flock(fd, fcntl.LOCK_EX)
        except OSError as exc:
            os.close(fd)
            raise FileIOError("lock", self.path, _strerror(exc))
        self._lock_fd = fd
        for name in self._stale_temps():
            self._unlink(name)

    def close(self):
        """Release the lock and the directory."""
        for attribute in ("_lock_fd", "_dir_fd"):
            fd = getattr(self, attribute)
            if fd is not None:
                os.close(fd)
                setattr(self, attribute, None)

    # -- keeping private ------------------------------------------------

    def loose_mode(self):
        """The mode of a private file that other users may access; None when private, missing or not private."""
        if not self.private or not self._open_dir(create=False):
            return None
        current = self._stat()
        if current is None or not stat.S_ISREG(current.st_mode):
            return None
        mode = stat.S_IMODE(current.st_mode)
        return mode if mode & 0o077 else None

    def tighten(self):
        """Make a loose private file 0600 in place (lock held); True if its mode changed."""
        mode = self.loose_mode()
        if mode is None:
            return False
        try:
            fd = os.open(self._name, _OPEN_EXISTING, dir_fd=self._dir_fd)
            try:
                os.fchmod(fd, FILE_MODE)
            finally:
                os.close(fd)
        except OSError as exc:
            raise FileIOError("change the mode of", self.path, _strerror(exc))
        self._warn_tightened(mode)
        return True

    def _warn_tightened(self, mode):
        self.warnings.append("Tightened the mode of %s from %04o to 0600: it holds secrets" % (self.path, mode))

    # -- writing --------------------------------------------------------

    def _target_mode_and_owner(self, current):
        mode = FILE_MODE
        uid, gid = self.uid, self.gid
        if current is not None:
            mode = stat.S_IMODE(current.st_mode)
            if self.private and mode & 0o077:
                self._warn_tightened(mode)
                mode = FILE_MODE
            if os.geteuid() == 0:
                uid = current.st_uid if uid == -1 else uid
                gid = current.st_gid if gid == -1 else gid
        return mode, uid, gid

    def _write_temp(self, data, mode, uid, gid, prefix):
        """A fully written, synced temp file in the directory; returns its name."""
        for attempt in range(100):
            temp = ".%s.%s-%d-%d" % (self._name, prefix, os.getpid(), attempt)
            try:
                fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, FILE_MODE,
                             dir_fd=self._dir_fd)
                break
            except OSError as exc:
                if exc.errno != errno.EEXIST:
                    raise FileIOError("write", self.path, _strerror(exc))
        else:
            raise FileIOError("write", self.path, "could not create a temporary file")
        try:
            try:
                view = memoryview(data)
                while view:
                    written = os.write(fd, view)
                    view = view[written:]
                if uid != -1 or gid != -1:
                    os.fchown(fd, uid, gid)
                os.fchmod(fd, mode)
                os.fsync(fd)
            finally:
                os.close(fd)
        except BaseException as exc:
            self._unlink(temp)
            if isinstance(exc, OSError):
                raise FileIOError("write", self.path, _strerror(exc))
            raise
        return temp

    def _unlink(self, name):
        try:
            os.unlink(name, dir_fd=self._dir_fd)
        except OSError:
            pass

    def _rename(self, temp, name):
        try:
            os.replace(temp, name, src_dir_fd=self._dir_fd, dst_dir_fd=self._dir_fd)
            os.fsync(self._dir_fd)
        except BaseException as exc:
            self._unlink(temp)
            if isinstance(exc, OSError):
                raise FileIOError("write", self.path, _strerror(exc))
            raise

    def write(self, data):
        """Atomically replace the file with ``data`` (bytes)."""
        self._open_dir(create=True)
        current = self._stat()
        if self.strict and current is not None and (
                not stat.S_ISREG(current.st_mode) or current.st_nlink > 1):
            raise FileIOError("write", self.path, "not a regular file with a single link")
        mode, uid, gid = self._target_mode_and_owner(current)
        temp = self._write_temp(data, mode, uid, gid, "tmp")
        self._rename(temp, self._name)

    def backup(self, data):
        """Keep ``data`` (the current content) as ``<name>.<timestamp>~``, 0600; returns its path."""
        self._open_dir(create=True)
        stamp = time.strftime("%Y-%m-%d@%H:%M:%S")
        name = "%s.%s~" % (self._name, stamp)
        current = self._stat()
        uid, gid = self.uid, self.gid
        if current is not None and os.geteuid() == 0:
            uid = current.st_uid if uid == -1 else uid
            gid = current.st_gid if gid == -1 else gid
        temp = self._write_temp(data, FILE_MODE, uid, gid, "bak")
        self._rename(temp, name)
        return os.path.join(self._real_dir, name)
