"""Fixtures of the reliability battery; its figures become docs/reliability.md.

Each test records what load it held, which faults it injected, how many bad
inputs it tried and what was lost into tests/output/reliability/<test>.json
(before asserting, so a failing run documents what it saw). At the end of the
session the renderer rewrites docs/reliability.md from every figure file present.
"""

import json
import re
import subprocess
import sys
import time

import pytest

from harness.aws_proxy import AwsProxy
from harness.paths import PYTHON, REPO

FIGURES_DIR = REPO / "tests" / "output" / "reliability"
RENDERER = REPO / "tests" / "tools" / "render_reliability.py"
# Access key IDs moto issued in a run: the figures name them "key-1", "key-2", ... (per test, in order of
# first appearance), so the published report keeps which key is which without carrying key IDs.
ACCESS_KEY_ID_RE = re.compile(r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b")


def without_key_ids(text):
    """``text`` with every access key ID replaced by a stable placeholder."""
    names = {}
    return ACCESS_KEY_ID_RE.sub(lambda match: names.setdefault(match.group(), "key-%d" % (len(names) + 1)), text)


class Figures:
    """What one reliability test held and lost; written as JSON at teardown."""

    def __init__(self, node):
        self.node = node
        self.data = {"test": node.nodeid.split("::", 1)[-1], "file": node.nodeid.split("::", 1)[0]}
        self.started = time.monotonic()

    def record(self, **values):
        """load=..., faults=..., bad_inputs=..., lost=..., plus any figure worth printing."""
        self.data.update(values)

    def write(self, outcome):
        self.data["outcome"] = outcome
        self.data["seconds"] = round(time.monotonic() - self.started, 1)
        FIGURES_DIR.mkdir(parents=True, exist_ok=True)
        name = self.data["test"].replace("/", "_").replace("[", "-").replace("]", "")
        text = json.dumps(self.data, indent=2, sort_keys=True, default=str)
        (FIGURES_DIR / f"{name}.json").write_text(without_key_ids(text) + "\n")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" or (report.when == "setup" and report.failed):
        item.reliability_outcome = report.outcome


@pytest.fixture
def figures(request):
    record = Figures(request.node)
    yield record
    record.write(getattr(request.node, "reliability_outcome", "error"))


@pytest.fixture
def proxy(aws):
    """A fault-injecting proxy in front of the reset moto_server (no faults until configured)."""
    with AwsProxy(aws.url, seed=20260406) as running:
        yield running


def pytest_sessionfinish(session):
    """Render docs/reliability.md. Under xdist the controller never loads this conftest, so every worker
    renders when it finishes (atomically): the last one to finish sees every figure."""
    del session
    if not FIGURES_DIR.is_dir():
        return
    result = subprocess.run(
        [PYTHON, str(RENDERER), str(FIGURES_DIR), str(REPO / "docs" / "reliability.md")],
        capture_output=True, text=True, check=False,
    )
    if result.returncode:
        sys.stderr.write(f"Failed to render docs/reliability.md: {result.stderr}\n")
