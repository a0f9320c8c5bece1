"""The root side of the race tests: devkeys.aws.aws_profile's entry point called in a loop, as root.

race_driver.py COLLECTIONS_DIR JOB_JSON

Imports the module from COLLECTIONS_DIR (the tests put a copy of the collection in a 0700 root-only
directory there, so a child that dropped privileges and then imported anything would fail) and calls
its main() again and again, with the module arguments Ansible would send, until ``runs_max`` runs or
``seconds`` have passed (at least ``runs_min`` runs). Before each run it can reset the victim's home
(``reset``: names of entries to remove, with what an attacker left next to them); after each run it
compares ``watch`` (root-owned trees and files, the stand-in /etc) with how they were, and stops at the
first change: an escape. Prints one JSON summary.
"""

import io
import json
import os
import shutil
import stat
import sys
import time

RUN_TEMPLATE = "{run}"


def _import_module(collections_dir):
    from ansible.utils.collection_loader._collection_finder import _AnsibleCollectionFinder

    finder = _AnsibleCollectionFinder(paths=[collections_dir], scan_sys_paths=False)
    finder._install()  # pylint: disable=protected-access
    from ansible.module_utils import basic
    from ansible_collections.devkeys.aws.plugins.modules import aws_profile

    return basic, aws_profile


def _call(basic, module, args):
    basic._ANSIBLE_ARGS = json.dumps({"ANSIBLE_MODULE_ARGS": args}).encode()  # pylint: disable=protected-access
    basic._ANSIBLE_PROFILE = "legacy"  # pylint: disable=protected-access
    captured, saved = io.StringIO(), sys.stdout
    sys.stdout = captured
    try:
        module.main()
    except SystemExit:
        pass
    except Exception as exc:  # pylint: disable=broad-except
        return {"failed": True, "msg": "the module crashed: %s: %s" % (type(exc).__name__, exc)}
    finally:
        sys.stdout = saved
    return json.loads(captured.getvalue())


def _state(paths):
    state = {}
    for root in paths:
        for dirpath, dirs, files in os.walk(root) if os.path.isdir(root) else [(os.path.dirname(root), [], [root])]:
            for name in [""] + dirs + files:
                path = os.path.join(dirpath, name) if name else dirpath
                info = os.lstat(path)
                state[path] = (info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode), info.st_size, info.st_ino)
    return state


def _reset(home, names):
    """Remove ``names`` from ``home`` and what an attacker moved aside (it may still be moving things)."""
    for _attempt in range(100):
        try:
            for entry in os.listdir(home):
                if any(entry == name or entry.startswith(name + ".moved-") for name in names):
                    path = os.path.join(home, entry)
                    if stat.S_ISDIR(os.lstat(path).st_mode):
                        shutil.rmtree(path)
                    else:
                        os.unlink(path)
            return
        except OSError:
            continue
    raise RuntimeError("could not reset %s" % home)


def _args_for(template, run):
    return json.loads(json.dumps(template).replace(RUN_TEMPLATE, "%06d" % run))


def _open_by_inode(home, inode):
    """A descriptor of the directory of ``home`` with that inode, wherever an attacker swapped it to."""
    for _attempt in range(10000):
        for entry in os.listdir(home):
            try:
                fd = os.open(os.path.join(home, entry), os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
            except OSError:
                continue
            if os.fstat(fd).st_ino == inode:
                return fd
            os.close(fd)
    raise RuntimeError("the user's ~/.aws is gone")


def _landed(home, real_dir_fd, marker):
    """True when the credentials file of the user's real ~/.aws holds ``marker``: the directory held open
    (``real_dir_fd``, whatever its name is now), else any directory in ``home`` (an attacker moved it)."""
    if real_dir_fd is not None:
        places = [("credentials", real_dir_fd)]
    else:
        places = [(os.path.join(home, entry, "credentials"), None) for entry in os.listdir(home)]
    for path, dir_fd in places:
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW, dir_fd=dir_fd)
        except OSError:
            continue
        with os.fdopen(fd, "rb") as handle:
            if marker.encode() in handle.read():
                return True
    return False


def main(argv):
    basic, module = _import_module(argv[1])
    job = json.loads(argv[2])
    watched = _state(job["watch"])
    real_dir_fd = _open_by_inode(job["home"], job["real_inode"]) if job.get("real_inode") else None
    summary = {"runs": 0, "succeeded": 0, "failed": 0, "unclear": [], "not_landed": [], "escape_run": None,
               "escape": [], "messages": {}}
    deadline = time.monotonic() + job["seconds"]
    for run in range(1, job["runs_max"] + 1):
        if run > job["runs_min"] and time.monotonic() > deadline:
            break
        if job.get("reset"):
            _reset(job["home"], job["reset"])
        args = _args_for(job["args"], run)
        result = _call(basic, module, args)
        summary["runs"] = run
        now = _state(job["watch"])
        if now != watched:
            summary["escape_run"] = run
            summary["escape"] = sorted(p for p in set(now) | set(watched) if now.get(p) != watched.get(p))
            break
        if result.get("failed"):
            summary["failed"] += 1
            message = str(result.get("msg", ""))
            if not message.startswith("Failed to "):
                summary["unclear"].append(message[:300])
            key = message.replace(job["home"], "~")
            summary["messages"][key] = summary["messages"].get(key, 0) + 1
        else:
            summary["succeeded"] += 1
            if not _landed(job["home"], real_dir_fd, args["aws_access_key_id"]):
                summary["not_landed"].append(run)
    sys.stdout.write(json.dumps(summary) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
