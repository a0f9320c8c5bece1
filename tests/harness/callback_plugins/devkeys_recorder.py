"""Test-only callback: records every task result and the recap to a JSON file.

Results are recorded as callbacks see them, so ``no_log`` results arrive
censored; a test that needs a registered secret publishes it with
``ansible.builtin.set_stats`` (recorded under ``custom``).
"""

import json
import os

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
name: devkeys_recorder
type: aggregate
short_description: record task results for the devkeys.aws tests
description: Writes results and recap counters to C(DEVKEYS_RECORDER_FILE).
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "devkeys_recorder"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        self._results = []

    def _record(self, status, result):
        self._results.append(
            {
                "host": result._host.get_name(),  # pylint: disable=protected-access
                "task": result._task.get_name(),  # pylint: disable=protected-access
                "status": status,
                "result": result._result,  # pylint: disable=protected-access
            }
        )

    def v2_runner_on_ok(self, result):
        self._record("ok", result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record("ignored" if ignore_errors else "failed", result)

    def v2_runner_on_skipped(self, result):
        self._record("skipped", result)

    def v2_runner_on_unreachable(self, result):
        self._record("unreachable", result)

    def v2_playbook_on_stats(self, stats):
        path = os.environ.get("DEVKEYS_RECORDER_FILE")
        if not path:
            return
        recap = {host: stats.summarize(host) for host in sorted(stats.processed)}
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(
                {"results": self._results, "recap": recap, "custom": stats.custom},
                handle,
                default=str,
            )
