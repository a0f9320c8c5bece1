"""Run a command; while it runs, print one line a minute, so a slow step never leaves a silent minute.

Usage: python tests/tools/heartbeat.py LABEL COMMAND [ARG...]
       (HEARTBEAT_SECONDS sets the interval, default 60)

The command runs in the foreground process group (Ctrl-C reaches it as usual)
with the same stdin, stdout and stderr; the exit status is the command's.
"""

import os
import subprocess
import sys
import time


def main(argv):
    if len(argv) < 3:
        sys.stderr.write(__doc__)
        return 2
    label, command = argv[1], argv[2:]
    interval = float(os.environ.get("HEARTBEAT_SECONDS") or 60)
    started = time.monotonic()
    with subprocess.Popen(command) as process:
        while True:
            try:
                return exit_status(process.wait(timeout=interval))
            except subprocess.TimeoutExpired:
                print(f"... still running: {label} ({minutes(time.monotonic() - started)})", flush=True)
            except KeyboardInterrupt:
                return exit_status(process.wait())


def minutes(seconds):
    """``seconds`` as "M min SS s" (also used by checks.py)."""
    whole_minutes, rest = divmod(int(seconds), 60)
    return f"{whole_minutes} min {rest:02d} s"


def exit_status(returncode):
    """A shell's exit status: 128 + N for a command killed by signal N."""
    return 128 - returncode if returncode < 0 else returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv))
