"""The decisions of playbooks/audit-keys.yml (plugins/plugin_utils/_audit.py): flags, root user, audit_fix."""

import csv
import datetime
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.devkeys.aws.plugins.plugin_utils import _audit as audit
from ansible_collections.devkeys.aws.plugins.plugin_utils._workstation_reads import host_view

NOW = datetime.datetime(2026, 6, 1, 12, 0, tzinfo=datetime.timezone.utc)
HELD = "AKIAHELD0000EXAMPLE0"
KEY = "AKIAKEY00000EXAMPLE0"


def ago(**delta):
    return (NOW - datetime.timedelta(**delta)).isoformat()


def key(key_id=KEY, user="alice", status="Active", created_days=30, used=None, issuer="devkeys", holders=None,
        **extra):
    found = {"user_name": user, "access_key_id": key_id, "status": status, "create_date": ago(days=created_days),
             "age_days": created_days, "last_used_date": used, "last_used_service": "sts" if used else None,
             "description": None, "issuer": issuer, "holders": holders, "retired_date": None}
    found.update(extra)
    return found


def host(profiles=(("dev", "alice"),), held=None, read=True, fleet_id=None, result=None):
    if result is None and read:
        result = {"profiles": dict((name, {"aws_access_key_id": key_id}) for name, key_id in (held or {}).items())}
    host_vars = {"workstation_profiles": [{"name": name, "iam_user": user} for name, user in profiles],
                 "group_names": ["workstations"], "workstation_fleet_id": fleet_id}
    return host_view(host_vars, result)


def fleet(**hosts):
    return hosts or {"ws1": host(held={"dev": HELD})}


def row_of(the_key, hosts=None, keys=None, **options):
    plan = audit.plan_audit(keys or [the_key], None, fleet() if hosts is None else hosts, options, NOW)
    return [row for row in plan["rows"] if row["access_key_id"] == the_key["access_key_id"]][0]


@pytest.mark.parametrize("summary, text, alert", [
    (None, audit.ROOT_NOT_CHECKED, True),
    ({}, audit.ROOT_NOT_CHECKED, True),
    ({"AccountAccessKeysPresent": 0, "AccountMFAEnabled": 1}, audit.ROOT_OK, False),
    ({"AccountAccessKeysPresent": 1, "AccountMFAEnabled": 1}, audit.ROOT_KEYS, True),
    ({"AccountAccessKeysPresent": 0, "AccountMFAEnabled": 0}, audit.ROOT_NO_MFA, True),
    ({"AccountAccessKeysPresent": 1, "AccountMFAEnabled": 0}, audit.ROOT_KEYS + "; " + audit.ROOT_NO_MFA, True),
    ({"AccountAccessKeysPresent": "1"}, audit.ROOT_KEYS, True),  # MFA not reported: not flagged
])
def test_root_account(summary, text, alert):
    root = audit.root_account(summary)
    assert (root["text"], root["alert"]) == (text, alert)
    assert root["checked"] is (bool(summary) and "AccountAccessKeysPresent" in summary)


@pytest.mark.parametrize("value, expected", [
    ("2026-01-02T03:04:05+00:00", datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)),
    ("2026-01-02T03:04:05Z", datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)),
    ("2026-01-02T03:04:05", datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)),
    ("2026-01-02T05:04:05+02:00", datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)),
    (None, None),
    ("", None),
])
def test_parse_time(value, expected):
    assert audit.parse_time(value) == expected


@pytest.mark.parametrize("delta, text", [
    (datetime.timedelta(seconds=-5), "less than an hour ago"),  # a clock slightly ahead
    (datetime.timedelta(minutes=59), "less than an hour ago"),
    (datetime.timedelta(hours=1), "1 hour ago"),
    (datetime.timedelta(hours=23, minutes=59), "23 hours ago"),
    (datetime.timedelta(days=1), "1 day ago"),
    (datetime.timedelta(days=2, hours=23), "2 days ago"),
])
def test_ago(delta, text):
    assert audit.ago(NOW - delta, NOW) == text


@pytest.mark.parametrize("issuer, kind, label", [
    ("devkeys", "ours", "ours (devkeys)"),
    ("team-b", "another fleet", "another fleet (team-b)"),
    (None, "not tagged", "not tagged"),
    ("", "not tagged", "not tagged"),
])
def test_issuer_label(issuer, kind, label):
    assert audit.issuer_label(issuer, {"devkeys"}) == (kind, label)


@pytest.mark.parametrize("holders, expected", [
    (None, ([], "")),
    ({"names": ["ws1", "ws2"], "count": 2}, (["ws1", "ws2"], "ws1 ws2")),
    ({"names": None, "count": 40}, (None, "40 hosts (hashed)")),
])
def test_recorded_holders(holders, expected):
    assert audit.recorded_holders(holders) == expected


@pytest.mark.parametrize("the_key, flags", [
    (key(HELD, created_days=91, used=ago(days=1)), ["older than 90 days"]),
    (key(HELD, created_days=90, used=ago(days=1)), []),
    (key(HELD), ["never used"]),
    (key(HELD, used=ago(days=91)), ["unused for 91 days"]),
    (key(HELD, used=ago(days=90, hours=23)), []),
    (key(KEY, used=ago(days=1)), [audit.ORPHAN]),
    (key(KEY, status="Inactive", used=ago(days=1)), []),  # an Inactive key is no orphan
])
def test_flags(the_key, flags):
    assert row_of(the_key)["flags"] == flags


def test_two_active_keys_flag_both():
    keys = [key(HELD, used=ago(days=1)), key(KEY, used=ago(days=1)), key("AKIAINACTIVE0EXAMPLE", status="Inactive")]
    plan = audit.plan_audit(keys, None, fleet(), {}, NOW)
    assert [(row["access_key_id"], audit.TWO_ACTIVE in row["flags"]) for row in plan["rows"]] == [
        ("AKIAHELD0000EXAMPLE0", True), ("AKIAINACTIVE0EXAMPLE", False), ("AKIAKEY00000EXAMPLE0", True)]


READ_WS = host(held={"dev": HELD})
UNREAD_WS = host(read=False, result={"unreachable": True, "msg": "down"})

# (case, key, hosts, expected fix_action, expected fix_why); the default fleet: ws1 names alice, holds HELD.
FIX_CASES = [
    ("qualifies", key(), None, "deactivate", "Active, ours, held by no workstation, not used in 7 days"),
    ("held", key(HELD), None, "keep", "held by ws1:dev"),
    ("held on a host that names nobody", key(), {"ws1": READ_WS, "ws9": host((), held={"x": KEY})},
     "keep", "held by ws9:x"),
    ("Inactive", key(status="Inactive"), None, "keep", "already Inactive"),
    ("user named by no workstation", key(user="ci"), None, "keep", "user named by no workstation"),
    ("not tagged", key(issuer=None), None, "keep", "not ours (not tagged)"),
    ("another fleet", key(issuer="team-b"), None, "keep", "not ours (another fleet (team-b))"),
    ("the hosts' own fleet id", key(issuer="team-b"), {"ws1": host(held={"dev": HELD}, fleet_id="team-b")},
     "deactivate", "Active, ours, held by no workstation, not used in 7 days"),
    ("a naming host not read", key(), {"ws1": READ_WS, "ws3": UNREAD_WS}, "keep", "holder ws3 not read"),
    ("a naming host outside the play", key(), {"ws1": READ_WS, "ws4": host(read=False)}, "keep",
     "holder ws4 not read"),
    ("a recorded holder in the inventory not read", key(holders={"names": ["ws1", "ws5"], "count": 2}),
     {"ws1": READ_WS, "ws5": host((("dev", "bob"),), read=False)}, "keep", "recorded holder ws5 not read"),
    ("a recorded holder outside the inventory: left to the use window", key(holders={"names": ["gone"], "count": 1}),
     None, "deactivate", "Active, ours, held by no workstation, not used in 7 days"),
    ("hashed holders: left to the use window", key(holders={"names": None, "count": 40}), None, "deactivate",
     "Active, ours, held by no workstation, not used in 7 days"),
    ("used inside the window", key(used=ago(days=2)), None, "keep", "used 2 days ago"),
    ("used at the window's start", key(used=ago(days=7)), None, "keep", "used 7 days ago"),
    ("used just before the window", key(used=ago(days=7, seconds=1)), None, "deactivate",
     "Active, ours, held by no workstation, not used in 7 days"),
    ("created inside the window", key(created_days=3), None, "keep", "created 3 days ago"),
    ("every reason at once", key(user="ci", issuer=None, used=ago(hours=2), created_days=1), None, "keep",
     "user named by no workstation; not ours (not tagged); used 2 hours ago; created 1 day ago"),
]


@pytest.mark.parametrize("case, the_key, hosts, action, why", FIX_CASES, ids=[case[0] for case in FIX_CASES])
def test_what_audit_fix_does_with_a_key(case, the_key, hosts, action, why):
    row = row_of(the_key, hosts)
    assert (row["fix_action"], row["fix_why"]) == (action, why), case


def test_fix_window_is_an_option():
    assert row_of(key(used=ago(days=20), created_days=40), fix_unused_days=30)["fix_why"] == "used 20 days ago"
    assert row_of(key(used=ago(days=20)), fix_unused_days="14")["fix_action"] == "deactivate"


@pytest.mark.parametrize("fix, acted", [(True, True), ("true", True), ("yes", True), (False, False),
                                        ("false", False), (None, False), ("", False)])
def test_fix_list_only_with_audit_fix(fix, acted):
    plan = audit.plan_audit([key(), key(HELD, created_days=40)], None, fleet(), {"fix": fix}, NOW)
    assert plan["fix"] == ([{"user_name": "alice", "access_key_id": KEY, "issuer": "devkeys",
                             "keep_if_used_after": "2026-05-25T12:00:00+00:00"}] if acted else [])
    assert [row["fix_action"] for row in plan["rows"]] == ["keep", "deactivate"]  # the preview is always there


def test_bad_fix_value_is_refused():
    with pytest.raises(TypeError):
        audit.plan_audit([], None, {}, {"fix": "maybe"}, NOW)


def test_plan_defaults_and_order():
    keys = [key("AKIAB0000000EXAMPLE0", user="bob", created_days=5), key(HELD, created_days=200),
            key("AKIAA0000000EXAMPLE0", user="ann", created_days=5)]
    plan = audit.plan_audit(keys, {"AccountAccessKeysPresent": 0, "AccountMFAEnabled": 1}, fleet(),
                            {"max_age_days": None, "fleet_id": ""}, NOW)
    assert plan["options"] == {"max_age_days": 90, "unused_days": 90, "fix": False, "fix_unused_days": 7,
                               "fleet_id": "devkeys"}
    assert [row["access_key_id"] for row in plan["rows"]] == [HELD, "AKIAA0000000EXAMPLE0", "AKIAB0000000EXAMPLE0"]
    assert plan["generated"] == "2026-06-01 12:00 UTC" and plan["root"]["text"] == audit.ROOT_OK
    assert plan["unread"] == []


def outcome(results, check_mode=False, fix=True):
    plan = audit.plan_audit([key(HELD, created_days=40), key()], None, fleet(), {"fix": fix}, NOW)
    return audit.audit_outcome(plan, {"results": [dict(result, item=plan["fix"][0]) for result in results]},
                               check_mode)


@pytest.mark.parametrize("results, check_mode, text", [
    ([{"changed": True}], False, "deactivated: Active, ours, held by no workstation, not used in 7 days"),
    ([{"changed": True}], True, "would deactivate: Active, ours, held by no workstation, not used in 7 days"),
    ([{"changed": False}], False, "kept: already Inactive when acted on"),
    ([{"failed": True, "msg": "access denied"}], False, "failed: Failed to deactivate: access denied"),
    ([{"changed": False, "kept_in_use": {"access_key_id": KEY, "last_used_date": "2026-06-01T11:00:00+00:00",
                                         "last_used_service": "s3"}}], False,
     "kept: used 2026-06-01T11:00:00+00:00 (s3) since the plan"),
    ([{"skipped": True}], False, "kept: not acted on (the deactivation task did not run)"),
    ([], False, "kept: not acted on (the deactivation task did not run)"),
])
def test_outcome_of_the_fix(results, check_mode, text):
    report = outcome(results, check_mode)
    assert [row["fix_text"] for row in report["rows"]] == ["kept: held by ws1:dev", text]


def test_summary_lines_show_the_root_user_first():
    report = outcome([{"changed": True}])
    assert report["summary"]["lines"] == [
        "Root user: " + audit.ROOT_NOT_CHECKED,
        "Keys: 2, flagged: 2",
        "Orphans (Active, held by no workstation): " + KEY,
        "Users with two Active keys: alice",
        "Deactivated: alice " + KEY,
        "Workstations not read: none",
    ]
    failed = outcome([{"failed": True, "msg": "denied"}])["summary"]
    assert failed["failed"] == ["alice " + KEY] and "Failed to deactivate: alice " + KEY in failed["lines"]
    assert outcome([{"changed": True}], check_mode=True)["summary"]["lines"][4] == (
        "Would deactivate (check mode): alice " + KEY)
    preview = audit.audit_outcome(audit.plan_audit([key()], None, fleet(ws3=UNREAD_WS, ws1=READ_WS), {}, NOW), {},
                                  False)
    assert preview["summary"]["lines"][4:] == ["audit_fix=true would deactivate: none",
                                               "Workstations not read: ws3: unreachable: down"]
    assert preview["rows"][0]["fix_text"] == "kept: holder ws3 not read"


@pytest.mark.parametrize("value, escaped", [
    ("a|b<script>", "a\\|b&lt;script&gt;"),
    ("ws1:dev", "ws1:dev"),
    ("dev_team *x* [l](u) `c` ~~s~~ \\", "dev\\_team \\*x\\* \\[l\\](u) \\`c\\` \\~\\~s\\~\\~ \\\\"),
    ("\"q\" & 'a'", "&quot;q&quot; &amp; &#x27;a&#x27;"),
    ("line1\nline2\r\tx", "line1 line2 x"),
    (None, ""),
    (42, "42"),
    (["a|b", "c"], "a\\|b, c"),
])
def test_markdown_escape(value, escaped):
    assert audit.markdown_escape(value) == escaped


def test_markdown_escape_separator():
    assert audit.markdown_escape(["x", "y<"], "; ") == "x; y&lt;"


@pytest.mark.parametrize("cells, line, read_back", [
    (["a", 1, None], '"a","1",""', ["a", "1", ""]),
    (['say "hi"', "two\nlines"], '"say ""hi""","two\nlines"', ['say "hi"', "two\nlines"]),
    (["=SUM(A1)", "+1", "-1", "@x", "\tx", "a=b"], '"\'=SUM(A1)","\'+1","\'-1","\'@x","\'\tx","a=b"',
     ["'=SUM(A1)", "'+1", "'-1", "'@x", "'\tx", "a=b"]),
    ([["ws1:dev", "ws2:x"], []], '"ws1:dev ws2:x",""', ["ws1:dev ws2:x", ""]),
])
def test_csv_row(cells, line, read_back):
    assert audit.csv_row(cells) == line
    assert next(csv.reader(io.StringIO(line))) == read_back


# --- an independent oracle for audit_fix, over random fleets ---------------------------------------------------

USERS = ["alice", "bob", "ci"]
HOSTS = ["ws1", "ws2", "ws3"]
KEY_IDS = ["AKIA%016d" % number for number in range(6)]


def mostly(common, *rare):
    """A strategy that draws ``common`` three times out of four (so that keys qualify often enough)."""
    return st.sampled_from([common] * 3 * len(rare) + list(rare))


@st.composite
def fleets(draw):
    hosts = {}
    for name in HOSTS:
        profiles = draw(st.lists(st.sampled_from(USERS[:2]), min_size=1, max_size=2, unique=True))
        held = draw(st.dictionaries(st.sampled_from(["p1", "p2"]), st.sampled_from(KEY_IDS + ["AKIANOTLISTEDEXAMPLE"]),
                                    max_size=1))
        hosts[name] = host([("p-" + user, user) for user in profiles], held=held, read=draw(mostly(True, False)),
                           fleet_id=draw(mostly(None, "team-b")))
    keys = []
    for key_id in draw(st.lists(st.sampled_from(KEY_IDS), max_size=6, unique=True)):
        used = draw(mostly(None, 2, 7, 20))
        keys.append(key(key_id, user=draw(st.sampled_from(USERS)), status=draw(mostly("Active", "Inactive")),
                        created_days=draw(mostly(30, 3, 7)), used=None if used is None else ago(days=used, hours=1),
                        issuer=draw(mostly("devkeys", None, "team-b")),
                        holders=draw(mostly(None, {"names": ["ws3"], "count": 1}, {"names": None, "count": 30}))))
    return hosts, keys


def oracle_may_deactivate(the_key, hosts):
    """The rule of issue 15, read directly: every condition must hold."""
    naming = [name for name, view in hosts.items()
              if any(profile["iam_user"] == the_key["user_name"] for profile in view["profiles"])]
    held = any(the_key["access_key_id"] in view["held"].values() for view in hosts.values() if view["read"])
    ours = the_key["issuer"] in set(hosts[name]["fleet_id"] for name in naming)
    recorded = (the_key["holders"] or {}).get("names") or []
    last_used = audit.parse_time(the_key["last_used_date"])
    window_start = NOW - datetime.timedelta(days=7)
    return (the_key["status"] == "Active" and bool(naming) and ours and not held
            and all(hosts[name]["read"] for name in naming)
            and all(hosts[name]["read"] for name in recorded if name in hosts)
            and (last_used is None or last_used < window_start)
            and audit.parse_time(the_key["create_date"]) < window_start)


@settings(max_examples=300, deadline=None)
@given(fleets())
def test_audit_fix_deactivates_exactly_what_the_rule_allows(fleet_and_keys):
    hosts, keys = fleet_and_keys
    plan = audit.plan_audit(keys, None, hosts, {"fix": True}, NOW)
    assert sorted(item["access_key_id"] for item in plan["fix"]) == sorted(
        the_key["access_key_id"] for the_key in keys if oracle_may_deactivate(the_key, hosts))
    fixed = set(item["access_key_id"] for item in plan["fix"])
    assert all((row["fix_action"] == "deactivate") == (row["access_key_id"] in fixed) for row in plan["rows"])
