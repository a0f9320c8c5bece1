"""Run each `make test` check as `make <check>`, then print one summary line.

Every check runs even when an earlier one failed, so one run shows all
failures; the exit status is non-zero if any check failed. Each check starts
with a line saying which it is, of how many, and how long the run has taken.
"""

import subprocess
import sys
import time

from heartbeat import minutes


def main(checks):
    outcomes = []
    run_started = time.monotonic()
    for number, check in enumerate(checks, 1):
        print(f"\n===== make {check} ({number}/{len(checks)}, {minutes(time.monotonic() - run_started)} so far) =====",
              flush=True)
        started = time.monotonic()
        code = subprocess.call(["make", "--no-print-directory", check])
        outcomes.append((check, code, time.monotonic() - started))
    print("\n===== summary =====")
    for check, code, seconds in outcomes:
        print(f"{'PASS' if code == 0 else 'FAIL'}  {check:<12} {seconds:7.1f} s")
    failed = [outcome[0] for outcome in outcomes if outcome[1]]
    print(f"checks: {len(outcomes) - len(failed)} passed, {len(failed)} failed "
          f"in {minutes(time.monotonic() - run_started)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
