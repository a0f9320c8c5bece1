"""Run each `make test` check as `make <check>`, then print one summary line.

Every check runs even when an earlier one failed, so one run shows all
failures; the exit status is non-zero if any check failed.
"""

import subprocess
import sys
import time


def main(checks):
    outcomes = []
    for check in checks:
        print(f"\n===== make {check} =====", flush=True)
        started = time.monotonic()
        code = subprocess.call(["make", "--no-print-directory", check])
        outcomes.append((check, code, time.monotonic() - started))
    print("\n===== summary =====")
    for check, code, seconds in outcomes:
        print(f"{'PASS' if code == 0 else 'FAIL'}  {check:<12} {seconds:7.1f} s")
    failed = [outcome[0] for outcome in outcomes if outcome[1]]
    print(f"checks: {len(outcomes) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
