"""The hostile corpus through devkeys.aws.aws_profile: clear errors, files byte-identical."""

import os
from pathlib import Path

import pytest

from . import corpus
from .helpers import read_aws_file

OPTIONS = ("name", "state", "kind", "aws_access_key_id", "aws_secret_access_key", "aws_session_token", "region",
           "output", "settings", "exclusive", "credentials_file", "config_file")


def _loop_task(name, loop, extra=None):
    task = {
        "name": name,
        "devkeys.aws.aws_profile": {opt: "{{ item.args.%s | default(omit) }}" % opt for opt in OPTIONS},
        "loop": loop,
        "loop_control": {"label": "{{ item.id }}"},
        "register": "corpus_results",
        "ignore_errors": True,
    }
    task.update(extra or {})
    return task


@pytest.mark.slow
def test_hostile_files_and_parameters(tmp_path, ansible, figures):
    root = tmp_path / "corpus"
    cases = corpus.build(root)
    fifo_case = corpus.build_fifo(root)  # must not hang the run: its own task, with a timeout
    before = corpus.snapshot(root)

    play = [{
        "name": "hostile corpus", "hosts": "localhost", "gather_facts": False,
        "vars": {"cases": cases, "fifo_case": [fifo_case]},
        "tasks": [
            _loop_task("corpus", "{{ cases }}"),
            {"name": "publish corpus", "ansible.builtin.set_stats": {"data": {"corpus": "{{ corpus_results.results }}"},
                                                                     "per_host": True}},
            _loop_task("fifo", "{{ fifo_case }}", {"timeout": 30}),
            {"name": "publish fifo", "ansible.builtin.set_stats": {"data": {"fifo": "{{ corpus_results }}"},
                                                                   "per_host": True}},
        ],
    }]
    run = ansible.playbook(play)
    published = run.published()
    results = {r["item"]["id"]: r for r in published.get("corpus", [])}
    fifo_result = published.get("fifo", {})
    fifo_item = (fifo_result.get("results") or [fifo_result])[0]
    results["fifo"] = fifo_item
    cases.append(fifo_case)
    after = corpus.snapshot(root)

    problems = []
    for case in cases:
        result = results.get(case["id"])
        if result is None:
            problems.append(f"{case['id']}: no result")
            continue
        problems += _check(case, result, before, after)
    bad = [c for c in cases if c["expect"] == "error"]
    figures.record(
        load=f"1 ansible-playbook run, {len(cases)} cases",
        faults="none",
        bad_inputs=f"{len(bad)} refused inputs ({len([c for c in bad if c['layout'] or c['line']])} files, "
                   f"{len([c for c in bad if not (c['layout'] or c['line'])])} parameter sets) "
                   f"+ {len(cases) - len(bad)} legal-but-adversarial files",
        lost=f"{len(problems)} cases with a problem" if problems else "nothing",
        problems=problems[:40],
    )
    assert problems == [], "\n".join(problems)


def _check(case, result, before, after):
    cid, problems = case["id"], []
    message = str(result.get("msg", ""))
    everything = repr({k: v for k, v in result.items() if k != "item"})  # the loop item is our own input
    if corpus.FAKE_SECRET in everything:
        problems.append(f"{cid}: the secret appears in the module result")
    if case["expect"] == "error":
        if not result.get("failed"):
            problems.append(f"{cid}: accepted (changed={result.get('changed')}) but must be refused")
            return problems
        if not message.startswith("Failed to "):
            problems.append(f"{cid}: message does not follow 'Failed to <verb> <what>: <cause>': {message[:200]}")
        if "Traceback" in everything or "MODULE FAILURE" in message:
            problems.append(f"{cid}: crashed instead of a clear error: {message[:200]}")
        blame = case["blame"]
        wanted = blame if blame.startswith(os.sep) else case["credentials_file"] if blame == "credentials" and (case["line"] or case["layout"]) else (
            case["config_file"] if blame == "config" else blame)
        if wanted not in message:
            problems.append(f"{cid}: message does not name {wanted!r}: {message[:300]}")
        if case["line"] and f"line {case['line']}" not in message:
            problems.append(f"{cid}: message does not name line {case['line']}: {message[:300]}")
        home = str(Path(case["credentials_file"]).parent.parent)
        moved = sorted(p for p in set(before) | set(after)
                       if p.startswith(home + os.sep) and before.get(p) != after.get(p))
        if moved:
            problems.append(f"{cid}: files changed: {moved}")
    else:
        if result.get("failed"):
            problems.append(f"{cid}: legal file refused: {message[:300]}")
            return problems
        profile = read_aws_file(case["credentials_file"]).get("dev", {})
        if profile.get("aws_access_key_id") != corpus.FAKE_KEY_ID:
            problems.append(f"{cid}: botocore does not read the new key: {profile}")
        config = read_aws_file(case["config_file"])
        if config.get("profile dev", {}).get("region") != "eu-central-1":
            problems.append(f"{cid}: botocore does not read the new region")
    return problems
