"""aws_profile's write path without Ansible: lock, read, edit, atomic write (a subprocess for the tests).

Loads _aws_files.py and _file_io.py (they are stdlib-only) from next to
itself when they are there (the copy a test gives an unprivileged user, who
may not be able to read the checkout), else straight from the working tree's
plugins/module_utils, and does what the module does for one
file: SharedFile.lock() -> read() -> edit_file() -> write() -> close().
Writes one progress byte to stdout per stage (S started, L locked, R read,
W writing, D done) so a parent that kills it knows where it was.

Usage: writer.py FILE KIND PROFILE JSON_VALUES [COUNT]
COUNT > 1 repeats the edit with "-<i>" appended to every value (i = 0..COUNT-1).

``writer.py --serve`` is a fork server for the crash tests: it reads one JSON
job per line ({"args": [FILE, KIND, PROFILE, JSON_VALUES, COUNT], "marks":
PATH}), forks a child that runs it (progress bytes go to PATH) and prints the
child's PID; children are reaped automatically. Forking a process that has
already imported everything makes each of hundreds of runs cost milliseconds.
"""

import importlib.util
import json
import os
import signal
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
UTILS = HERE if (HERE / "_aws_files.py").exists() else HERE.parents[2] / "plugins" / "module_utils"


def _load(name):
    spec = importlib.util.spec_from_file_location(name, UTILS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


aws_files = _load("_aws_files")
file_io = _load("_file_io")


_MARKS = {"fd": 1}


def _mark(stage):
    os.write(_MARKS["fd"], stage)


def edit_once(path, kind, profile, values):
    shared = file_io.SharedFile(path, private=kind == "credentials")
    try:
        shared.lock()
        _mark(b"L")
        text = aws_files.decode(shared.read(), path)
        _mark(b"R")
        edit = aws_files.edit_file(text, kind, profile, values, path=path)
        if edit.changes:
            _mark(b"W")
            shared.write(edit.text.encode("utf-8"))
        _mark(b"D")
    finally:
        shared.close()


def values_for(values, index, count):
    if count == 1:
        return values
    return {key: f"{value}-{index}" for key, value in values.items()}


def serve():
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    for line in sys.stdin:
        job = json.loads(line)
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                _MARKS["fd"] = os.open(job["marks"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
                code = main(["writer.py"] + job["args"])
            finally:
                os._exit(code)  # pylint: disable=protected-access
        sys.stdout.write(f"{pid}\n")
        sys.stdout.flush()
    return 0


def main(argv):
    path, kind, profile, values = argv[1], argv[2], argv[3], json.loads(argv[4])
    count = int(argv[5]) if len(argv) > 5 else 1
    _mark(b"S")
    for index in range(count):
        edit_once(path, kind, profile, values_for(values, index, count))
    return 0


if __name__ == "__main__":
    sys.exit(serve() if sys.argv[1:] == ["--serve"] else main(sys.argv))
