# -*- coding: utf-8 -*-
# Copyright: devkeys.aws contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Stdlib-only, careful file access for the AWS shared files, with the identity of the files' account.

Who does the file work
----------------------
Root is not trusted with another account's files by path checks: the kernel decides. ``file_access(account,
group, paths)`` says as whom a call works, and ``run_as(access.account, function, args)`` runs the whole
read-modify-write with that identity:

* ``owner`` given (``lookup_account``): that account.
* no ``owner``, running as root: the account that controls ``paths`` (``path_account``): every component
  of every path is lstat'ed from ``/`` down, symlinks followed as the kernel follows them (each link counted
  too), up to the first missing one; the non-root owners found are that account (one), nobody (root's own
  files: root works as today), or an error (two or more: set ``owner``). A directory on the way that other
  accounts may write into without the sticky bit is an error too (anyone could swap its entries).
* not root: this process, as it is.

``run_as`` forks; the child drops to the account (``setgroups`` with its groups, ``setresgid``,
``setresuid``: all three ids; not dumpable, so the account cannot read its memory) and runs the function;
its JSON-able result, or a FileIOError/AwsFileError (same message), comes back over a pipe. The child
imports nothing: its import system is switched off, so code that would import after the fork fails in every
test, not only where the checkout is unreadable. Only what the function returns leaves the child: secrets
may be in its memory (fork copies them), never in its answer.

``SharedFile(path, uid, gid, private, strict)`` is one file to read and maybe rewrite:

* ``read()`` -> bytes (a missing file reads as empty);
* ``lock()`` takes an exclusive ``flock`` on ``.<name>.lock`` (0600) next to the file, held until
  ``close()``: lock, re-read, decide, write. The lock is created O_EXCL|O_NOFOLLOW, or an existing one is
  opened without following a link and used only if it is a regular file with one link owned by this process;
  it is never chowned by path;
* ``write(data)`` writes a temp file in the same directory, created 0600 with O_EXCL|O_NOFOLLOW, gives it its
  mode and owner on its descriptor *before* ``fsync`` and ``os.replace``, then fsyncs the directory; the temp
  file is removed on any failure;
* ``backup()`` keeps a timestamped 0600 copy of the current file;
* ``loose_mode()`` / ``tighten()``: a ``private`` file that others can read is made 0600 in place (on its
  descriptor), also when its content does not change.

Missing directories are created 0700 one at a time, each relative to a descriptor of its parent, then opened
without following a link and given their mode and owner on that descriptor. The mode of an existing file is
kept, except that a ``private`` file (credentials) looser than 0600 is tightened to 0600 with a warning. Work
on the file goes through a descriptor of its directory; links are followed as the account working would
follow them (the file behind a link is replaced, the link stays). ``strict`` (working for another account):
a file with more than one hard link is refused for reading, writing and tightening.
"""

import errno
import fcntl
import grp
import json
import os
import pwd
import stat
import sys
import time
from collections import namedtuple

try:
    import ctypes
except ImportError:  # pragma: no cover - a Python without ctypes: the kernel's default (not dumpable) stays
    ctypes = None

DIR_MODE = 0o700
FILE_MODE = 0o600
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
# opening an existing file: never through a link, never a terminal, never blocking on a FIFO
_NO_SURPRISES = os.O_NOFOLLOW | os.O_NOCTTY | os.O_NONBLOCK | _CLOEXEC
_OPEN_EXISTING = os.O_RDONLY | _NO_SURPRISES
_OPEN_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | _CLOEXEC
_CREATE_NEW = os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_NOCTTY | _CLOEXEC
_PR_SET_DUMPABLE = 4
_MAX_LINKS = 40  # the kernel's limit of symlinks followed in one path

Account = namedtuple("Account", "uid gid groups name home")
"""A local account: ids, every group it is a member of, name (None for an id without a name), home."""


class Access(namedtuple("Access", "account uid gid strict")):
    """How a call works on files: ``account`` to switch to (None: this process as it is); the owner and group
    to give new files (-1: as created); ``strict``: working for another account."""

    __slots__ = ()

    def shared(self, path, private=False):
        """A SharedFile of ``path`` worked on with this access."""
        return SharedFile(path, self.uid, self.gid, private=private, strict=self.strict)


AS_IS = Access(None, -1, -1, False)


class FileIOError(Exception):
    """``Failed to <verb> <path>: <cause>``; ``details`` rebuild it (run_as sends them from the child)."""

    def __init__(self, verb, path, cause):
        self.path = path
        self.details = (verb, path, cause)
        super(FileIOError, self).__init__("Failed to %s %s: %s" % (verb, path, cause))


# ---------------------------------------------------------------- who works


def lookup_account(owner):
    """The Account of a user name or uid."""
    try:
        entry = pwd.getpwuid(int(owner)) if str(owner).isdigit() else pwd.getpwnam(owner)
    except (KeyError, ValueError):
        raise FileIOError("find user", owner, "no such user")
    return _account(entry.pw_uid, entry.pw_gid, entry.pw_name, entry.pw_dir)


def _account(uid, gid, name, home):
    groups = os.getgrouplist(name, gid) if name else [gid]
    return Account(uid, gid, sorted(set(groups)), name, home)


def _who(account):
    return account.name or "uid %d" % account.uid


def group_id(group, account=None):
    """The gid of a group name or id (-1 for None); with ``account``, one of the account's groups."""
    if group is None:
        return -1
    try:
        gid = grp.getgrgid(int(group)).gr_gid if str(group).isdigit() else grp.getgrnam(group).gr_gid
    except (KeyError, ValueError):
        raise FileIOError("find group", group, "no such group")
    if account is not None and gid not in account.groups:
        raise FileIOError("use group", group, "%s is not a member of it" % _who(account))
    return gid


def file_access(account, group, paths):
    """The Access of a call given its ``owner`` (an Account or None), ``group`` and the paths it works on."""
    if os.geteuid() != 0:
        if account is None:
            return Access(None, -1, group_id(group), False)
        return Access(None, account.uid, account.gid if group is None else group_id(group), False)
    if account is None:
        account = path_account(paths)
        if account is None:  # root's own files
            return Access(None, -1, group_id(group), False)
    elif account.uid == 0:
        return Access(None, 0, account.gid if group is None else group_id(group), False)
    return Access(account, -1, group_id(group, account), True)


def path_account(paths):
    """The account that controls ``paths`` (see the module docstring), None when root owns every component."""
    owners = {}
    for path in paths:
        for component, info in path_components(path):
            if stat.S_ISDIR(info.st_mode) and _others_may_swap(info):
                raise FileIOError("use", path, "%s is writable by other accounts (mode %04o, not sticky): set owner "
                                  "to the account to work for" % (component, stat.S_IMODE(info.st_mode)))
            if info.st_uid != 0:
                owners.setdefault(info.st_uid, (component, info.st_gid))
        if len(owners) > 1:
            described = ", ".join("uid %d owns %s" % (uid, owners[uid][0]) for uid in sorted(owners))
            raise FileIOError("use", path, "its path is controlled by more than one account (%s): set owner to "
                                           "the account to work for" % described)
    if not owners:
        return None
    uid, (_component, gid) = owners.popitem()
    try:
        entry = pwd.getpwuid(uid)
    except KeyError:  # an id without an account: its own group only
        return Account(uid, gid, [gid], None, None)
    return _account(uid, entry.pw_gid, entry.pw_name, entry.pw_dir)


def _others_may_swap(info):
    mode = info.st_mode
    if mode & stat.S_ISVTX:
        return False
    return bool(mode & stat.S_IWOTH or (mode & stat.S_IWGRP and info.st_gid != 0))


def path_components(path):
    """(path, lstat) of each component the kernel walks through to reach ``path``, links followed (each link
    listed too), up to the first one that is missing or cannot be read."""
    pending = [part for part in os.path.abspath(path).split("/") if part]
    current = "/"
    found = [("/", os.lstat("/"))]
    links = 0
    while pending:
        part = pending.pop(0)
        if part in (".", ".."):
            current = os.path.dirname(current) if part == ".." else current
            continue
        candidate = os.path.join(current, part)
        try:
            info = os.lstat(candidate)
            target = os.readlink(candidate) if stat.S_ISLNK(info.st_mode) else None
        except OSError:
            break
        found.append((candidate, info))
        if target is None:
            current = candidate
            continue
        links += 1
        if links > _MAX_LINKS:
            break
        current = "/" if target.startswith("/") else current
        pending[:0] = [piece for piece in target.split("/") if piece]
    return found


def run_as(account, function, args=(), errors=()):
    """``function(*args)`` with the identity of ``account`` in a child process (None: here, as it is).

    The result must be JSON-able. FileIOError and the exception classes in ``errors`` (each with a
    ``details`` attribute holding its constructor's arguments) are raised again here with the same message;
    any other exception becomes a FileIOError naming only its type and where it happened.
    """
    if account is None:
        return function(*args)
    prctl = _prctl()
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(reader)
        _child(account, prctl, writer, function, args)  # never returns
    os.close(writer)
    try:
        data = _read_all(reader)
    finally:
        os.close(reader)
        status = os.waitpid(pid, 0)[1]
    return _answer(account, data, status, (FileIOError,) + tuple(errors))


def _prctl():
    """libc's prctl, looked up before the fork (the child loads nothing), or None."""
    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (AttributeError, OSError, TypeError):
        return None


def _child(account, prctl, writer, function, args):
    code = 2
    try:
        sys.meta_path[:] = []  # no import from here on: none can be needed, and none may read the account's files
        try:
            _become(account, prctl)
            answer = {"result": function(*args)}
        except BaseException as exc:  # pylint: disable=broad-except
            answer = _error_answer(exc)
        _write_all(writer, json.dumps(answer).encode("ascii"))
        code = 0
    finally:
        os._exit(code)  # pylint: disable=protected-access


def _become(account, prctl):
    """All ids of this (root) process become the account's: groups, real/effective/saved gid and uid."""
    os.setgroups(account.groups)
    if hasattr(os, "setresuid"):
        os.setresgid(account.gid, account.gid, account.gid)
        os.setresuid(account.uid, account.uid, account.uid)
        ids = os.getresuid() + os.getresgid()
    else:  # macOS: as root, setgid/setuid set the real, effective and saved ids
        os.setgid(account.gid)
        os.setuid(account.uid)
        ids = (os.getuid(), os.geteuid(), os.geteuid(), os.getgid(), os.getegid(), os.getegid())
    if prctl is not None:
        prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0)
    if ids != (account.uid,) * 3 + (account.gid,) * 3 or set(os.getgroups()) != set(account.groups):
        raise FileIOError("switch to", _who(account), "the process ids did not change")


def _error_answer(exc):
    """What the parent learns of an exception: a known error's details, else only its type and place."""
    details = getattr(exc, "details", None)
    if isinstance(details, tuple):
        return {"error": type(exc).__name__, "details": list(details)}
    trace = exc.__traceback__
    while trace is not None and trace.tb_next is not None:
        trace = trace.tb_next
    where = " in %s line %d" % (trace.tb_frame.f_code.co_name, trace.tb_lineno) if trace is not None else ""
    return {"error": None, "cause": "unexpected %s%s" % (type(exc).__name__, where)}


def _answer(account, data, status, errors):
    try:
        answer = json.loads(data.decode("ascii")) if data else None
    except ValueError:
        answer = None
    if answer is None or status != 0:
        ended = ("was killed by signal %d" % os.WTERMSIG(status) if os.WIFSIGNALED(status)
                 else "ended with status %d" % os.WEXITSTATUS(status))
        raise FileIOError("work as", _who(account), "the process working as that account %s" % ended)
    if "result" in answer:
        return answer["result"]
    for error in errors:
        if error.__name__ == answer["error"]:
            raise error(*answer["details"])
    raise FileIOError("work as", _who(account), answer.get("cause") or "unknown error %s" % answer["error"])


def _read_all(fd):
    chunks = []
    while True:
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _write_all(fd, data):
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def aws_file_paths(account, credentials_file, config_file):
    """(credentials path, config path) of the options, default_path with the home of ``account`` (or None)."""
    home = account.home if account else None
    return (default_path(credentials_file, home, "AWS_SHARED_CREDENTIALS_FILE", "credentials"),
            default_path(config_file, home, "AWS_CONFIG_FILE", "config"))


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


# ---------------------------------------------------------------- one file


class SharedFile(object):
    """One shared file; see the module docstring for the protocol."""

    def __init__(self, path, uid=-1, gid=-1, private=False, strict=None):
        self.path = path
        self.uid = uid
        self.gid = gid
        self.private = private
        self.strict = (os.geteuid() == 0 and uid not in (-1, 0)) if strict is None else strict
        self.warnings = []
        self._dir_fd = None
        self._lock_fd = None
        self._real_dir = None
        self._name = None

    # -- locating -------------------------------------------------------

    def _open_dir(self, create, verb):
        """Open the directory the file (links followed) is in; False when it is missing and not ``create``."""
        if self._dir_fd is not None:
            return True
        try:
            self._real_dir, self._name = os.path.split(os.path.realpath(self.path))
            self._dir_fd = self._open_directory(self._real_dir, create)
        except OSError as exc:
            raise FileIOError(verb, self.path, _strerror(exc))
        return self._dir_fd is not None

    def _open_directory(self, directory, create):
        """A descriptor of ``directory`` (its last component never followed), created when missing and
        ``create``; None when missing otherwise."""
        try:
            return os.open(directory, _OPEN_DIR)
        except OSError as exc:
            if exc.errno != errno.ENOENT:
                raise
            if not create:
                return None
        parent, name = os.path.split(directory)
        if parent == directory:
            raise OSError(errno.ENOENT, os.strerror(errno.ENOENT))
        parent_fd = self._open_directory(parent, create)
        try:
            return self._make_directory(parent_fd, name, directory)
        finally:
            os.close(parent_fd)

    def _make_directory(self, parent_fd, name, path):
        """Create ``name`` 0700 in ``parent_fd`` and open it; mode and owner are set on the descriptor, only
        on the directory this call made (a link swapped in for it is never followed)."""
        try:
            os.mkdir(name, DIR_MODE, dir_fd=parent_fd)
            created = True
        except OSError as exc:
            if exc.errno != errno.EEXIST:
                raise FileIOError("create", path, _strerror(exc))
            created = False
        try:
            fd = os.open(name, _OPEN_DIR, dir_fd=parent_fd)
        except OSError as exc:
            raise FileIOError("create", path, _strerror(exc))
        try:
            if created and os.fstat(fd).st_uid == os.geteuid():
                os.fchmod(fd, DIR_MODE)
                if self.uid != -1 or self.gid != -1:
                    os.fchown(fd, self.uid, self.gid)
        except OSError as exc:
            os.close(fd)
            raise FileIOError("create", path, _strerror(exc))
        return fd

    # -- reading --------------------------------------------------------

    def _stat(self):
        try:
            return os.stat(self._name, dir_fd=self._dir_fd, follow_symlinks=False)
        except OSError as exc:
            if exc.errno == errno.ENOENT:
                return None
            raise FileIOError("stat", self.path, _strerror(exc))

    def _check_file(self, info, verb):
        """Refuse what is not a regular file, and (strict) a file with more than one hard link."""
        if not stat.S_ISREG(info.st_mode):
            raise FileIOError(verb, self.path, "not a regular file")
        if self.strict and info.st_nlink > 1:
            raise FileIOError(verb, self.path, "the file has %d hard links (working for uid %d)"
                              % (info.st_nlink, os.geteuid()))

    def read(self):
        """Bytes of the file; b"" when it (or its directory) does not exist."""
        if not self._open_dir(create=False, verb="read"):
            return b""
        try:
            fd = os.open(self._name, _OPEN_EXISTING, dir_fd=self._dir_fd)
        except OSError as exc:
            if exc.errno == errno.ENOENT:
                return b""
            raise FileIOError("read", self.path, _strerror(exc))
        try:
            self._check_file(os.fstat(fd), "read")
            chunks = []
            while True:
                chunk = os.read(fd, 1 << 20)
                if not chunk:
                    break
                chunks.append(chunk)
            return b"".join(chunks)
        except OSError as exc:
            raise FileIOError("read", self.path, _strerror(exc))
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
        self._open_dir(create=True, verb="lock")
        fd = self._open_lock(".%s.lock" % self._name)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except OSError as exc:
            os.close(fd)
            raise FileIOError("lock", self.path, _strerror(exc))
        self._lock_fd = fd
        for name in self._stale_temps():
            self._unlink(name)

    def _open_lock(self, name):
        """The lock file, made by this call (O_EXCL, owner and group given on its descriptor) or an existing
        one opened without following a link: a regular file with one link owned by this process."""
        for _attempt in range(10):
            try:
                fd = os.open(name, os.O_RDWR | _CREATE_NEW, FILE_MODE, dir_fd=self._dir_fd)
            except OSError as exc:
                if exc.errno != errno.EEXIST:
                    raise FileIOError("lock", self.path, _strerror(exc))
            else:
                try:
                    if self.uid != -1 or self.gid != -1:
                        os.fchown(fd, self.uid, self.gid)
                except OSError as exc:
                    os.close(fd)
                    raise FileIOError("lock", self.path, _strerror(exc))
                return fd
            try:
                fd = os.open(name, os.O_RDWR | _NO_SURPRISES, dir_fd=self._dir_fd)
            except OSError as exc:
                if exc.errno == errno.ENOENT:  # removed meanwhile: create it
                    continue
                raise FileIOError("lock", self.path, "%s: %s" % (name, _strerror(exc)))
            problem = _lock_problem(os.fstat(fd))
            if problem is None:
                return fd
            os.close(fd)
            raise FileIOError("lock", self.path, "%s %s" % (name, problem))
        raise FileIOError("lock", self.path, "%s keeps disappearing" % name)

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
        if not self.private or not self._open_dir(create=False, verb="read"):
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
                self._check_file(os.fstat(fd), "change the mode of")
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
                fd = os.open(temp, os.O_WRONLY | _CREATE_NEW, FILE_MODE, dir_fd=self._dir_fd)
                break
            except OSError as exc:
                if exc.errno != errno.EEXIST:
                    raise FileIOError("write", self.path, _strerror(exc))
        else:
            raise FileIOError("write", self.path, "could not create a temporary file")
        try:
            try:
                _write_all(fd, data)
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
        self._open_dir(create=True, verb="write")
        current = self._stat()
        if current is not None:
            self._check_file(current, "write")
        mode, uid, gid = self._target_mode_and_owner(current)
        temp = self._write_temp(data, mode, uid, gid, "tmp")
        self._rename(temp, self._name)

    def backup(self, data):
        """Keep ``data`` (the current content) as ``<name>.<timestamp>~``, 0600; returns its path."""
        self._open_dir(create=True, verb="write")
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


def _lock_problem(info):
    """Why an existing lock file is not ours to use, or None."""
    if not stat.S_ISREG(info.st_mode):
        return "is not a regular file"
    if info.st_nlink != 1:
        return "has %d hard links" % info.st_nlink
    if info.st_uid != os.geteuid():
        return "is owned by uid %d, not by uid %d" % (info.st_uid, os.geteuid())
    return None
