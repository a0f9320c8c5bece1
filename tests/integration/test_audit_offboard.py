"""playbooks/audit-keys.yml and playbooks/offboard.yml on a moto account that holds more than the fleet's keys.

The account (``fleet_account``), besides the fleet's users, holds a CI user with a recently used key, a
developer's second key used outside the fleet, an Inactive forensic key with its own tag, a key tagged by another
tool, a key of ours issued by another fleet id, a key of ours used two days ago, and a user named only by an
unreachable workstation. Keys are created and tagged with boto3 as the workstation role tags them (issue 15 tag
names), aged with the test clock, and "used" by sts:GetCallerIdentity. Each test asserts the account's key states
and tags before and after, with boto3.
"""

import csv
import datetime
import io
import os
import pty
import select
import threading
import time
from pathlib import Path

import boto3
import pytest
import yaml

from _workstation import PLAYBOOKS, home_of, raw_sections, unreachable_host, workstations
from harness.ansible import ansible_env
from harness.aws_proxy import AwsProxy, Fault
from harness.paths import venv_tool
from reliability.accounts import needs_root, shared_dir, snapshot, throwaway_account

AUDIT = str(PLAYBOOKS / "audit-keys.yml")
OFFBOARD = str(PLAYBOOKS / "offboard.yml")
FLEET = "devkeys"
HOSTILE = "a|b<script>"
UTC = datetime.timezone.utc


def issuer_tag(key_id):
    return f"devkeys.aws:{key_id}:issuer"


def holders_tag(key_id):
    return f"devkeys.aws:{key_id}:holders"


def retired_tag(key_id):
    return f"devkeys.aws:{key_id}:retired"


class Account:
    """Builds the moto account: keys made at a given age, tagged, used at a given moment."""

    def __init__(self, iam, aws):
        self.iam = iam
        self.aws = aws
        self.now = datetime.datetime.now(UTC)
        self.secrets = {}

    def key(self, user, age_days=30, issuer=None, holders=(), description=None, used_days_ago=None,
            status="Active"):
        if user not in [u["UserName"] for u in self.iam.list_users()["Users"]]:
            self.iam.create_user(UserName=user)
        with self.aws.clock(self.now - datetime.timedelta(days=age_days)):
            created = self.iam.create_access_key(UserName=user)["AccessKey"]
        key_id = created["AccessKeyId"]
        self.secrets[key_id] = created["SecretAccessKey"]
        tags = [{"Key": key_id, "Value": description}] if description else []
        tags += [{"Key": issuer_tag(key_id), "Value": issuer}] if issuer else []
        tags += [{"Key": holders_tag(key_id), "Value": " ".join(sorted(holders))}] if holders else []
        if tags:
            self.iam.tag_user(UserName=user, Tags=tags)
        if used_days_ago is not None:
            self.use(key_id, self.now - datetime.timedelta(days=used_days_ago))
        if status != "Active":
            self.iam.update_access_key(UserName=user, AccessKeyId=key_id, Status=status)
        return key_id

    def use(self, key_id, when=None):
        """sts:GetCallerIdentity with the key: moto records its last use (at ``when`` on IAM's clock)."""
        client = boto3.client("sts", endpoint_url=self.aws.url, region_name="eu-west-1", aws_access_key_id=key_id,
                              aws_secret_access_key=self.secrets[key_id])
        with self.aws.clock(when or datetime.datetime.now(UTC)):
            client.get_caller_identity()

    def state(self):
        """Every user's {key ID: status} and tags, as boto3 reads them back."""
        found = {}
        for user in self.iam.list_users()["Users"]:
            name = user["UserName"]
            found[name] = {
                "keys": {key["AccessKeyId"]: key["Status"]
                         for key in self.iam.list_access_keys(UserName=name)["AccessKeyMetadata"]},
                "tags": {tag["Key"]: tag["Value"] for tag in self.iam.list_user_tags(UserName=name)["Tags"]},
            }
        return found


def hold(tmp_path, host, profiles, secrets):
    """Write the workstation's credentials file: each profile holds a key (its real secret)."""
    aws_dir = home_of(tmp_path, host) / ".aws"
    aws_dir.mkdir(parents=True, exist_ok=True)
    text = "".join(f"[{name}]\naws_access_key_id = {key_id}\naws_secret_access_key = {secrets[key_id]}\n"
                   for name, key_id in profiles.items())
    (aws_dir / "credentials").write_text(text, encoding="utf-8")
    (aws_dir / "credentials").chmod(0o600)


@pytest.fixture
def fleet_account(tmp_path, iam, aws):
    """The issue-15 account and a fleet of ws1, ws2 (read) and ws3 (unreachable). Returns (account, inventory, ids)."""
    account = Account(iam, aws)
    ids = {
        # alice (ws1): the key ws1 holds (old, used), and an orphan of ours nobody uses: audit_fix's one target
        "alice_held": account.key("alice", age_days=120, issuer=FLEET, holders=["ws1"], description="ws1",
                                  used_days_ago=40),
        "alice_orphan": account.key("alice", age_days=30, issuer=FLEET, holders=["ws1"]),
        # team (ws2): its held key, and a key another tool tagged (a secrets engine's lease), never used
        "team_held": account.key("team", age_days=10, issuer=FLEET, holders=["ws2"], used_days_ago=1),
        "team_other_tool": account.key("team", age_days=30, description="vault lease 7f3a (managed by vault)"),
        # gina (ws2): a key of ours from another fleet id (another inventory), unused
        "gina_held": account.key("gina", age_days=10, issuer=FLEET, holders=["ws2"]),
        "gina_other_fleet": account.key("gina", age_days=30, issuer="other-fleet", holders=["laptop9"]),
        # ivan (ws2): a key of ours that no host holds but that something used two days ago
        "ivan_held": account.key("ivan", age_days=10, issuer=FLEET, holders=["ws2"]),
        "ivan_used": account.key("ivan", age_days=30, issuer=FLEET, holders=["ws2"], used_days_ago=2),
        # dave (ws1): the developer's second key, made in the console and used by their own scripts
        "dave_held": account.key("dave", age_days=10, issuer=FLEET, holders=["ws1"]),
        "dave_own": account.key("dave", age_days=200, description="dave's scripts", used_days_ago=0),
        # carol: named only by ws3, which cannot be read
        "carol_key": account.key("carol", age_days=30, issuer=FLEET, holders=["ws3"]),
        # a CI user no workstation names, its key used minutes ago
        "ci_key": account.key("ci-bot", age_days=100, used_days_ago=0),
        # a forensic hold: Inactive, described by incident response
        "forensic": account.key("mallory", age_days=60, issuer=FLEET, description="INC-4711 forensic hold",
                                status="Inactive"),
    }
    secrets = account.secrets
    hold(tmp_path, "ws1", {"dev": ids["alice_held"], "dave": ids["dave_held"], HOSTILE: ids["alice_held"]}, secrets)
    hold(tmp_path, "ws2", {"team": ids["team_held"], "gina": ids["gina_held"], "ivan": ids["ivan_held"]}, secrets)
    inventory = workstations(tmp_path, {
        "ws1": {"workstation_profiles": [{"name": "dev", "iam_user": "alice"}, {"name": "dave", "iam_user": "dave"}]},
        "ws2": {"workstation_profiles": [{"name": "team", "iam_user": "team"}, {"name": "gina", "iam_user": "gina"},
                                         {"name": "ivan", "iam_user": "ivan"}]},
        "ws3": unreachable_host(workstation_profiles=[{"name": "dev", "iam_user": "carol"}]),
    })
    return account, inventory, ids


def csv_rows(reports):
    return list(csv.DictReader(io.StringIO((reports / "audit-keys.csv").read_text(encoding="utf-8"))))


def audit(ansible_aws, inventory, reports, **extra):
    return ansible_aws.playbook(AUDIT, inventory=inventory, extra_vars=dict({"audit_report_dir": str(reports)},
                                                                            **extra.pop("extra_vars", {})), **extra)


KEPT = {
    "alice_held": "kept: held by ws1:a|b<script>, ws1:dev",
    "team_held": "kept: held by ws2:team; used 1 day ago",
    "team_other_tool": "kept: not ours (not tagged)",
    "gina_held": "kept: held by ws2:gina",
    "gina_other_fleet": "kept: not ours (another fleet (other-fleet))",
    "ivan_held": "kept: held by ws2:ivan",
    "ivan_used": "kept: used 2 days ago",
    "dave_held": "kept: held by ws1:dave",
    "dave_own": "kept: not ours (not tagged); used less than an hour ago",
    "carol_key": "kept: holder ws3 not read",
    "ci_key": "kept: user named by no workstation; not ours (not tagged); used less than an hour ago",
    "forensic": "kept: already Inactive",
}


@pytest.mark.slow
def test_audit_reports_every_key_and_why_it_is_kept_and_changes_nothing(tmp_path, ansible_aws, fleet_account):
    """Issues 12 (item 9), 14 (section 4), 15; on 064b0bc: no root user check, a raw ``a|b<script>`` in the Markdown
    table, no issuer or reason per key."""
    account, inventory, ids = fleet_account
    before = account.state()
    reports = tmp_path / "reports"

    run = audit(ansible_aws, inventory, reports).assert_ok()

    assert account.state() == before
    rows = csv_rows(reports)
    assert rows[0]["record"] == "root_user"  # the root user's row comes first
    assert rows[0]["status"] == "no MFA (AccountMFAEnabled=0): enable it"  # moto reports no root keys, no MFA
    by_id = {row["access_key_id"]: row for row in rows[1:]}
    assert set(by_id) == set(ids.values())
    names = {key_id: name for name, key_id in ids.items()}
    fixes = {names[key_id]: row["audit_fix"] for key_id, row in by_id.items()}
    assert fixes == dict(KEPT, alice_orphan="audit_fix=true would deactivate it (Active, ours, held by no "
                                            "workstation, not used in 7 days)")
    assert by_id[ids["team_other_tool"]]["description"] == "vault lease 7f3a (managed by vault)"
    assert by_id[ids["gina_other_fleet"]]["issuer"] == "another fleet (other-fleet)"
    assert by_id[ids["alice_held"]]["issuer"] == "ours (devkeys)"
    assert by_id[ids["ci_key"]]["issuer"] == "not tagged"
    assert by_id[ids["alice_held"]]["held_by"] == "ws1:a|b<script> ws1:dev"
    assert "older than 90 days" in by_id[ids["alice_held"]]["flags"]
    assert "unused for 40 days" not in by_id[ids["alice_held"]]["flags"]  # 40 < audit_unused_days
    assert "never used" in by_id[ids["alice_orphan"]]["flags"]
    assert "orphan: Active, no workstation holds it" in by_id[ids["alice_orphan"]]["flags"]
    assert "user has two Active keys" in by_id[ids["alice_orphan"]]["flags"]
    assert by_id[ids["ci_key"]]["last_used_service"] == "sts"

    markdown = (reports / "audit-keys.md").read_text(encoding="utf-8")
    lines = markdown.splitlines()
    assert lines[0] == "# IAM access key audit"
    assert lines[2] == "**Root user: no MFA (AccountMFAEnabled=0): enable it**"
    assert "a|b<script>" not in markdown and "ws1:a\\|b&lt;script&gt;, ws1:dev" in markdown
    table = [line for line in lines if line.startswith("| ")]
    assert all(line.count(" | ") == 10 for line in table), "an unescaped | splits a row"
    assert "Workstations not read: ws3: unreachable" in markdown
    html = (reports / "audit-keys.html").read_text(encoding="utf-8")
    assert "<script>" not in html and "a|b&lt;script&gt;" in html
    assert html.index('id="root-user"') < html.index("<h1>")
    assert html.count("<rect") == len(ids)
    summary = run.result("Show the root user's state and the findings", "localhost")["msg"]
    assert summary[0] == "Root user: no MFA (AccountMFAEnabled=0): enable it"
    assert f"audit_fix=true would deactivate: alice {ids['alice_orphan']}" in summary


@pytest.mark.slow
def test_audit_fix_check_predicts_then_fix_deactivates_only_qualifying_keys(tmp_path, ansible_aws, fleet_account):
    """Issue 15 (finding 1): only our unused orphan of a user the inventory names goes Inactive; the CI key, the
    developer's own key, other tools' and other fleets' keys, a recently used key and the key of a user whose
    workstation is offline stay as they are. On 064b0bc any Active key no workstation holds was an orphan."""
    account, inventory, ids = fleet_account
    before = account.state()
    reports = tmp_path / "reports"

    check = audit(ansible_aws, inventory, reports, extra_vars={"audit_fix": True}, args=["--check"]).assert_ok()

    assert account.state() == before
    assert not reports.exists()  # check mode writes no report
    summary = check.result("Show the root user's state and the findings", "localhost")["msg"]
    assert f"Would deactivate (check mode): alice {ids['alice_orphan']}" in summary

    run = audit(ansible_aws, inventory, reports, extra_vars={"audit_fix": True}).assert_ok()

    after = account.state()
    expected = {user: {"keys": dict(data["keys"]), "tags": dict(data["tags"])} for user, data in before.items()}
    expected["alice"]["keys"][ids["alice_orphan"]] = "Inactive"
    retired = after["alice"]["tags"].pop(retired_tag(ids["alice_orphan"]))
    assert after == expected  # one key deactivated, one tag added, nothing else
    stamp = datetime.datetime.strptime(retired, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert abs((datetime.datetime.now(UTC) - stamp).total_seconds()) < 300
    summary = run.result("Show the root user's state and the findings", "localhost")["msg"]
    assert f"Deactivated: alice {ids['alice_orphan']}" in summary
    by_id = {row["access_key_id"]: row["audit_fix"] for row in csv_rows(reports)[1:]}
    names = {key_id: name for name, key_id in ids.items()}
    assert {names[key_id]: text for key_id, text in by_id.items()} == dict(
        KEPT, alice_orphan="deactivated: Active, ours, held by no workstation, not used in 7 days")

    again = audit(ansible_aws, inventory, reports, extra_vars={"audit_fix": True}).assert_ok()

    assert again.changed("localhost") == 1  # the report files' timestamps; no key
    assert account.state()["alice"]["keys"] == after["alice"]["keys"]


@pytest.mark.slow
def test_audit_fix_keeps_a_key_used_between_the_plan_and_the_call(tmp_path, ansible_aws, iam, aws):
    """The deactivation re-reads the key's last use (keep_if_used_after): a use after the plan keeps it Active."""
    account = Account(iam, aws)
    orphan = account.key("alice", age_days=30, issuer=FLEET, holders=["ws1"])
    hold(tmp_path, "ws1", {}, account.secrets)
    reports = tmp_path / "reports"
    with AwsProxy(aws.url, seed=15) as proxy:
        # the audit's listing reads the last use once (call 1); the deactivation's own read (call 2) is held 5 s,
        # long enough for a consumer to use the key
        proxy.configure(faults=[Fault("latency", action="GetAccessKeyLastUsed", calls=[2], delay=5)])
        inventory = workstations(tmp_path, {"ws1": {"workstation_profiles": [{"name": "dev", "iam_user": "alice"}]}})
        consumer = threading.Thread(target=_use_when_read_twice, args=(proxy, account, orphan), daemon=True)
        consumer.start()

        run = audit(ansible_aws, inventory, reports,
                    extra_vars={"audit_fix": True, "workstation_aws_endpoint_url": proxy.url}).assert_ok()

        consumer.join(30)
    assert account.state()["alice"]["keys"] == {orphan: "Active"}
    row = csv_rows(reports)[1]
    assert row["audit_fix"].startswith("kept: used 20") and row["audit_fix"].endswith("(sts) since the plan")
    assert "Deactivated: none" in run.result("Show the root user's state and the findings", "localhost")["msg"]


def _use_when_read_twice(proxy, account, key_id, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proxy.counts().get("iam", {}).get("GetAccessKeyLastUsed", 0) >= 2:
            account.use(key_id)
            return
        time.sleep(0.05)


def test_reports_flag_root_keys_at_the_top(tmp_path, ansible):
    """moto always reports no root keys, so the summary is given; the filters and templates are the real ones."""
    reports = tmp_path / "reports"
    keys_result = {"access_keys": [{"user_name": "x<y", "access_key_id": "AKIAIOSFODNN7EXAMPLE", "status": "Active",
                                    "create_date": "2020-01-01T00:00:00+00:00", "age_days": 2000,
                                    "last_used_date": None, "description": "=HYPERLINK(\"http://x\")|<b>"}],
                   "account_summary": {"AccountAccessKeysPresent": 1, "AccountMFAEnabled": 0}}
    play = [{"hosts": "localhost", "gather_facts": False, "vars": {"keys_result": keys_result}, "tasks": [
        {"name": "plan", "ansible.builtin.set_fact": {
            "audit_report": "{{ keys_result | devkeys.aws.audit_plan({}, {})"
                            " | devkeys.aws.audit_outcome({}, false) }}"}},
        {"name": "render", "ansible.builtin.template": {"src": f"{PLAYBOOKS}/templates/audit-keys.{{{{ item }}}}.j2",
                                                        "dest": f"{reports}/audit-keys.{{{{ item }}}}", "mode": "0600"},
         "loop": ["md", "csv", "html"]},
    ]}]
    reports.mkdir()

    ansible.playbook(play).assert_ok()

    flagged = ("HAS ACCESS KEYS (AccountAccessKeysPresent=1): delete them, use IAM users or roles; "
               "no MFA (AccountMFAEnabled=0): enable it")
    assert (reports / "audit-keys.md").read_text(encoding="utf-8").splitlines()[2] == f"**Root user: {flagged}**"
    rows = csv_rows(reports)
    assert (rows[0]["record"], rows[0]["status"]) == ("root_user", flagged)
    assert rows[1]["description"] == "'=HYPERLINK(\"http://x\")|<b>"  # a spreadsheet shows it, never runs it
    html = (reports / "audit-keys.html").read_text(encoding="utf-8")
    assert f'<p class="root alert" id="root-user">Root user: {flagged}</p>' in html
    assert html.index('id="root-user"') < html.index("<h1>") and "x&lt;y" in html and "<b>" not in html


# --- offboarding -----------------------------------------------------------------------------------------------

@pytest.fixture
def leaver(tmp_path, iam, aws):
    """olivia leaves: ws1 holds her key in "work" and in "old-name" (the inventory calls it "work"), her own CI key
    was used minutes ago; ws2 holds only other people's keys, and a profile the inventory gives her that it lacks."""
    account = Account(iam, aws)
    ids = {
        "held": account.key("olivia", age_days=40, issuer=FLEET, holders=["ws1"], used_days_ago=3),
        "ci": account.key("olivia", age_days=100, description="olivia's CI", used_days_ago=0),
        "other": account.key("team", age_days=10, issuer=FLEET, holders=["ws2"]),
    }
    hold(tmp_path, "ws1", {"work": ids["held"], "old-name": ids["held"], "team": ids["other"]}, account.secrets)
    hold(tmp_path, "ws2", {"team": ids["other"]}, account.secrets)
    inventory = workstations(tmp_path, {
        "ws1": {"workstation_profiles": [{"name": "work", "iam_user": "olivia"}, {"name": "team", "iam_user": "team"}]},
        "ws2": {"workstation_profiles": [{"name": "team", "iam_user": "team"},
                                         {"name": "olivia", "iam_user": "olivia"}]},
    })
    return account, inventory, ids


def offboard(ansible_aws, inventory, user="olivia", **extra_vars):
    return ansible_aws.playbook(OFFBOARD, inventory=inventory,
                                extra_vars=dict({"offboard_iam_user": user}, **extra_vars))


def files_of(tmp_path, *hosts):
    return {host: (home_of(tmp_path, host) / ".aws" / "credentials").read_bytes() for host in hosts}


@pytest.mark.slow
def test_offboard_without_confirm_only_prints_the_plan(tmp_path, ansible_aws, leaver):
    """Issue 15 (finding 8): on 064b0bc offboarding deleted every key at once, unasked. Now the plan is shown, and
    ``--check -e confirm=true`` predicts what a confirmed run changes."""
    account, inventory, ids = leaver
    before, files = account.state(), files_of(tmp_path, "ws1", "ws2")

    run = offboard(ansible_aws, inventory).assert_ok()
    check = ansible_aws.playbook(OFFBOARD, inventory=inventory, args=["--check"],
                                 extra_vars={"offboard_iam_user": "olivia", "confirm": True}).assert_ok()

    assert account.state() == before and files_of(tmp_path, "ws1", "ws2") == files
    plan = run.result("Show the plan", "localhost")["msg"]
    assert plan == check.result("Show the plan", "localhost")["msg"]
    assert plan["profiles"] == [f"ws1: remove old-name (holds key {ids['held']}), work (holds key {ids['held']})"]
    ci_line, held_line = plan["keys"]  # oldest first
    assert held_line.startswith(f"{ids['held']} Active, created ")
    assert "(3 days ago, sts), issuer ours (devkeys) -> deactivate: Active key of the person" in held_line
    assert ci_line.startswith(f"{ids['ci']} Active, created ")
    assert ci_line.endswith("(less than an hour ago, sts), issuer not tagged, description \"olivia's CI\" -> "
                            "refuse: used less than an hour ago, within 24 hours; name it in offboard_keys to "
                            "deactivate it anyway")
    assert run.changed() == 0 and check.changed("localhost") == 1 and check.changed("ws1") == 1
    assert run.result("Show what was offboarded", "localhost")["msg"]["state"] == (
        "plan only, nothing changed: run again with -e confirm=true to act")
    predicted = check.result("Show what was offboarded", "localhost")["msg"]
    assert predicted["keys"] == [f"{ids['held']}: would be deactivated"]
    assert predicted["profiles_removed"] == ["ws1:old-name", "ws1:work"]
    assert "Not waiting for response to prompt as stdin is not interactive" in run.output  # no prompt without a TTY


@pytest.mark.slow
def test_offboard_confirmed_deactivates_and_refuses_a_recent_key_unless_named(tmp_path, ansible_aws, leaver):
    """Issue 15 (finding 8): the key used minutes ago is refused until named; the rest is deactivated, not deleted."""
    account, inventory, ids = leaver
    before = account.state()

    run = offboard(ansible_aws, inventory, confirm=True).assert_ok()

    after = account.state()
    assert after["olivia"]["keys"] == {ids["held"]: "Inactive", ids["ci"]: "Active"}
    assert set(after["olivia"]["tags"]) - set(before["olivia"]["tags"]) == {retired_tag(ids["held"])}
    assert after["team"] == before["team"]
    assert raw_sections(home_of(tmp_path, "ws1") / ".aws" / "credentials") == ["team"]
    assert raw_sections(home_of(tmp_path, "ws2") / ".aws" / "credentials") == ["team"]
    done = run.result("Show what was offboarded", "localhost")["msg"]
    assert done["keys"] == [f"{ids['held']}: deactivated"]
    assert done["refused"] == [f"{ids['ci']}: used less than an hour ago, within 24 hours; name it in offboard_keys "
                               "to deactivate it anyway"]

    named = offboard(ansible_aws, inventory, confirm=True, offboard_keys=ids["ci"]).assert_ok()

    assert account.state()["olivia"]["keys"] == {ids["held"]: "Inactive", ids["ci"]: "Inactive"}
    assert named.result("Show what was offboarded", "localhost")["msg"]["keys"] == [f"{ids['ci']}: deactivated"]


@pytest.mark.slow
def test_offboard_delete_keeps_a_forensic_key_unless_named(tmp_path, ansible_aws, iam, aws):
    """Issue 15 (findings 5, 8): on 064b0bc offboarding deleted the forensic key too."""
    account = Account(iam, aws)
    held = account.key("frank", age_days=40, issuer=FLEET, holders=["ws1"], used_days_ago=5)
    forensic = account.key("frank", age_days=60, description="INC-4711 forensic hold", status="Inactive")
    hold(tmp_path, "ws1", {"frank": held}, account.secrets)
    inventory = workstations(tmp_path, {"ws1": {}})
    tags = account.state()["frank"]["tags"]

    run = offboard(ansible_aws, inventory, "frank", confirm=True, offboard_delete=True).assert_ok()

    assert account.state()["frank"] == {"keys": {forensic: "Inactive"},
                                        "tags": {forensic: "INC-4711 forensic hold"}}  # the deleted key's tags went
    assert tags == {forensic: "INC-4711 forensic hold", issuer_tag(held): FLEET, holders_tag(held): "ws1"}
    assert run.result("Show what was offboarded", "localhost")["msg"]["refused"] == [
        f"{forensic}: Inactive, but not deactivated by devkeys.aws: it may be kept on purpose (evidence); name it "
        "in offboard_keys to delete it"]
    assert raw_sections(home_of(tmp_path, "ws1") / ".aws" / "credentials") == []

    offboard(ansible_aws, inventory, "frank", confirm=True, offboard_delete=True, offboard_keys=[forensic]).assert_ok()

    assert account.state()["frank"]["keys"] == {}


@pytest.mark.slow
def test_offboard_with_an_unreachable_workstation_acts_then_fails(tmp_path, ansible_aws, leaver):
    """The keys step still runs (the keys stop working either way); the host is reported and fails the run."""
    account, inventory_path, ids = leaver
    inventory = yaml.safe_load(open(inventory_path, encoding="utf-8"))
    inventory["workstations"]["hosts"]["ws3"] = unreachable_host(
        workstation_profiles=[{"name": "work", "iam_user": "olivia"}])
    with open(inventory_path, "w", encoding="utf-8") as stream:
        yaml.safe_dump(inventory, stream)

    run = offboard(ansible_aws, inventory_path, confirm=True)

    assert run.rc == 2
    assert account.state()["olivia"]["keys"] == {ids["held"]: "Inactive", ids["ci"]: "Active"}
    assert raw_sections(home_of(tmp_path, "ws1") / ".aws" / "credentials") == ["team"]
    failed = run.result("Fail when a workstation or a key could not be handled", "localhost")["msg"]
    assert failed.startswith("Failed to offboard olivia completely: ws3: not read (unreachable: ")


def test_offboard_without_a_user_fails_clearly(tmp_path, ansible_aws):
    inventory = workstations(tmp_path, {"ws1": {}})

    run = ansible_aws.playbook(OFFBOARD, inventory=inventory)

    assert run.rc == 2
    assert "Failed to offboard: set the IAM user with -e offboard_iam_user=NAME" in run.output


@pytest.mark.slow
def test_offboard_on_a_terminal_asks_and_acts_on_yes(tmp_path, aws, home, leaver):
    """With a TTY and no confirm=true the playbook asks; "yes" carries out the plan."""
    account, inventory, ids = leaver
    env = ansible_env(home, aws.env())
    env["DEVKEYS_RECORDER_FILE"] = str(tmp_path / "record.json")
    command = [venv_tool("ansible-playbook"), "-i", inventory, OFFBOARD, "-e", "offboard_iam_user=olivia"]
    pid, fd = pty.fork()
    if pid == 0:  # the child: ansible-playbook on the terminal
        os.chdir(str(tmp_path))
        os.execve(command[0], command, env)
    try:
        output = _answer(fd, b"Type yes to go ahead", b"yes\r")
    finally:  # never leave the child behind, also when reading the terminal failed
        status = _wait(pid)
        os.close(fd)

    assert status == 0, output[-3000:]
    assert account.state()["olivia"]["keys"] == {ids["held"]: "Inactive", ids["ci"]: "Active"}


def _answer(fd, prompt, answer, timeout=240):
    """Read the terminal until ``prompt``, type ``answer``, read to the end; return everything read.

    Ansible flushes the terminal's input right after showing a prompt, so an answer typed in that instant is lost:
    the answer is typed a second after the prompt, and again every 5 s until the play goes on (a new TASK line).
    """
    output, typed_at, deadline = b"", None, time.monotonic() + timeout
    while time.monotonic() < deadline:
        shown = output.find(prompt)
        waiting = shown >= 0 and b"TASK [" not in output[shown:]
        if waiting and time.monotonic() - (typed_at or 0) > 5:
            time.sleep(1)
            os.write(fd, answer)
            typed_at = time.monotonic()
        if not select.select([fd], [], [], 0.5)[0]:
            continue
        try:
            data = os.read(fd, 4096)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        output += data
    return output.decode("utf-8", "replace")


def _wait(pid, timeout=60):
    """The exit code of child ``pid``; killed (and -9) when it does not end in time."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.2)
    os.kill(pid, 9)
    os.waitpid(pid, 0)
    return -9


# --- reading as the workstation's account ---------------------------------------------------------------------

@pytest.mark.slow
def test_offboard_never_empties_another_accounts_files_through_a_planted_link(tmp_path, ansible_aws, iam, aws):
    """alice's account planted ~/.aws -> bob's .aws (issue 12, item 5; on 064b0bc bob's profiles were emptied): read
    as alice, that workstation is refused and reported; her other workstation, read and changed as alice, loses her
    profile."""
    needs_root()
    with shared_dir() as base, throwaway_account(base) as alice:
        account = Account(iam, aws)
        alice_key = account.key("alice", age_days=40, issuer=FLEET, holders=["ws-link", "ws-ok"])
        bob_key = account.key("bob", age_days=40, issuer=FLEET)
        bob_aws = base / "bob" / ".aws"
        bob_aws.mkdir(parents=True, mode=0o700)
        (bob_aws / "credentials").write_text(f"[dev]\naws_access_key_id = {bob_key}\naws_secret_access_key = x\n"
                                             f"[mine]\naws_access_key_id = {alice_key}\naws_secret_access_key = y\n")
        (bob_aws / "credentials").chmod(0o600)
        bob_files = snapshot(base / "bob")
        homes = {"ws-ok": Path(alice.pw_dir), "ws-link": base / "link-home"}
        homes["ws-link"].mkdir(mode=0o700)
        os.chown(homes["ws-link"], alice.pw_uid, alice.pw_gid)
        (homes["ws-link"] / ".aws").symlink_to(bob_aws)
        os.lchown(homes["ws-link"] / ".aws", alice.pw_uid, alice.pw_gid)
        ok_aws = homes["ws-ok"] / ".aws"
        ok_aws.mkdir(mode=0o700)
        (ok_aws / "credentials").write_text(f"[dev]\naws_access_key_id = {alice_key}\naws_secret_access_key = z\n"
                                            "[keep]\nregion = eu-west-1\n")
        (ok_aws / "credentials").chmod(0o600)
        for path in (ok_aws, ok_aws / "credentials"):
            os.chown(path, alice.pw_uid, alice.pw_gid)
        inventory = workstations(tmp_path, dict(
            (host, {"workstation_user": alice.pw_name, "workstation_home": str(home),
                    "workstation_profiles": [{"name": "dev", "iam_user": "alice"}]}) for host, home in homes.items()))

        run = offboard(ansible_aws, inventory, "alice", confirm=True)

        assert snapshot(base / "bob") == bob_files
        assert raw_sections(ok_aws / "credentials") == ["keep"]
        assert os.stat(ok_aws / "credentials").st_uid == alice.pw_uid
        assert run.rc == 2
        failed = run.result("Fail when a workstation or a key could not be handled", "localhost")["msg"]
        assert failed.startswith("Failed to offboard alice completely: ws-link: not read (failed: Failed to "), failed
        assert f"{homes['ws-link']}/.aws" in failed and "ws-ok" not in failed
        assert account.state()["alice"]["keys"] == {alice_key: "Inactive"}  # the key step still ran
        assert account.state()["bob"]["keys"] == {bob_key: "Active"}
