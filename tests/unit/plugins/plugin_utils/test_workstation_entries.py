"""Table-driven tests of the workstation role's per-host decisions (plugins/plugin_utils/_workstation_entries.py)."""

import pytest

from ansible_collections.devkeys.aws.plugins.plugin_utils import _workstation_entries as we

KEY = "AKIAFAKE0000EXAMPLE0"
OTHER = "AKIAFAKE0000EXAMPLE1"
SECRET = "fakeSecret0000EXAMPLE"


def profile(name="dev", **values):
    base = {"name": name, "state": "present", "region": "", "output": "", "settings": {}, "iam_user": "",
            "aws_access_key_id": "", "aws_secret_access_key": "", "csv_file": ""}
    base.update(values)
    return base


def held(profiles=None, sso_sessions=None, shell=None, private=True):
    return {"profiles": profiles or {}, "sso_sessions": sso_sessions or {},
            "shell_exports": shell if shell is not None else {"/h/.bashrc": None}, "credentials_private": private}


def entries(profiles, issued=None, read=None, default_profile="", sso_sessions=(), csv_rows=None):
    return we.profile_entries(profiles, list(sso_sessions), issued or {}, held() if read is None else read,
                              default_profile, csv_rows or {})


@pytest.mark.parametrize("iam_users, first, needed", [
    ([], {}, True),  # no IAM profile: what the host holds decides what is written
    (["a"], {"batch_results": [{"user_name": "a", "failed": False, "created": True}]}, False),
    (["a"], {"batch_results": [{"user_name": "a", "failed": False, "created": False}]}, True),
    (["a"], {"batch_results": [{"user_name": "a", "failed": True, "created": True}]}, True),
    (["a", "b"], {"batch_results": [{"user_name": "a", "failed": False, "created": True}]}, True),
    (["a"], {"skipped": True}, True),
])
def test_read_needed(iam_users, first, needed):
    assert we.read_needed(iam_users, first) is needed


@pytest.mark.parametrize("plans, keys, users, expected", [
    ({"a": {"issued": {"access_key_id": KEY}}}, {}, ["a"], {"a": {"access_key_id": KEY}}),
    ({"a": {"issued": None}}, {"batch_results": [{"user_name": "b"}, {"user_name": "a", "failed": False}]}, ["a"],
     {"a": {"user_name": "a", "failed": False}}),
    ({"a": {"issued": None}}, {"skipped": True}, ["a"], {"a": {"failed": True, "msg": we.NO_DECISION}}),
    ({"a": {"issued": None}}, {"msg": "boom"}, ["a"], {"a": {"failed": True, "msg": "boom"}}),
    ({"a": {"issued": None}}, {}, ["b"], {}),  # a user of an earlier serial batch: not planned here
])
def test_issued_keys(plans, keys, users, expected):
    assert we.issued_keys(plans, keys, users) == expected


@pytest.mark.parametrize("issued, want", [
    ({"u": {"access_key_id": KEY, "secret_access_key": SECRET}}, {"key_id": KEY, "secret": SECRET, "kept_key": "",
                                                                  "fixed_key": False, "error": ""}),
    ({"u": {"access_key_id": KEY}}, {"key_id": "", "secret": "", "kept_key": KEY, "fixed_key": False, "error": ""}),
    ({"u": {"created": True}}, {"key_id": "", "secret": "", "kept_key": "", "fixed_key": True, "error": ""}),  # check mode
    ({"u": {"failed": True, "msg": "denied"}}, {"error": "Failed to get an access key of IAM user u: denied"}),
    ({}, {"error": "Failed to get an access key of IAM user u: " + we.NO_DECISION}),
])
def test_the_key_of_an_iam_profile(issued, want):
    (entry,) = entries([profile(iam_user="u")], issued=issued)
    assert dict((key, entry[key]) for key in want) == want


def test_static_and_csv_keys_are_always_written_and_absent_profiles_carry_no_key():
    result = entries([profile("s", aws_access_key_id=KEY, aws_secret_access_key=SECRET), profile("c", csv_file="k.csv"),
                      profile("gone", state="absent", iam_user="u")],
                     csv_rows={"k.csv": {"aws_access_key_id": OTHER, "aws_secret_access_key": SECRET}},
                     read=held(profiles={"s": {"aws_access_key_id": KEY, "has_secret": True}}))
    assert [(e["name"], e["key_id"], e["fixed_key"], e["current"]) for e in result] == [
        ("s", KEY, True, False), ("c", OTHER, True, False), ("gone", "", False, True)]


@pytest.mark.parametrize("want, have, current", [
    ({"region": "eu-west-1"}, {"region": "eu-west-1"}, True),
    ({"region": "eu-west-1"}, {"region": "us-east-1"}, False),
    ({"region": "eu-west-1"}, None, False),  # the profile is missing
    ({"settings": {"mfa_serial": None}}, {"mfa_serial": "x"}, False),
    ({"settings": {"mfa_serial": None}}, {}, True),
    ({"settings": {"s3": {"addressing_style": "path"}}}, {"s3": {"addressing_style": "path", "x": "1"}}, True),
    ({"settings": {"s3": {"addressing_style": "path"}}}, {"s3": "flat"}, False),
    ({"settings": {"s3": {"x": None}}}, {"s3": {"x": "1"}}, False),
    ({"settings": {"s3": {"x": 1}}}, {"s3": {"x": "1"}}, False),  # not a string: always written (aws_profile converts)
    ({"settings": {"duration_seconds": 3600}}, {"duration_seconds": "3600"}, False),
    ({"iam_user": "u"}, {"aws_access_key_id": KEY, "has_secret": True}, True),
    ({"iam_user": "u"}, {"aws_access_key_id": KEY, "has_secret": False}, False),
    ({"iam_user": "u"}, {"aws_access_key_id": OTHER, "has_secret": True}, False),
])
def test_a_profile_is_current_when_the_files_already_hold_it(want, have, current):
    profiles = {} if have is None else {"dev": have}
    (entry,) = entries([profile(**want)], issued={"u": {"access_key_id": KEY}}, read=held(profiles=profiles))
    assert entry["current"] is current and entry["shell"] is False


def test_absent_is_current_when_the_profile_is_gone_and_a_name_twice_is_always_written():
    result = entries([profile("gone", state="absent"), profile("dev"), profile("dev", region="x")],
                     read=held(profiles={"dev": {}}))
    assert [e["current"] for e in result] == [True, False, False]


def test_sso_sessions_come_first_with_their_settings():
    sessions = [{"name": "corp", "sso_start_url": "https://x", "sso_region": "us-east-1"}]
    result = entries([profile()], sso_sessions=sessions,
                     read=held(profiles={"dev": {}}, sso_sessions={"corp": {"sso_start_url": "https://x", "sso_region": "us-east-1"}}))
    assert [(e["kind"], e["name"], e["state"], e["settings"], e["current"]) for e in result] == [
        ("sso-session", "corp", "present", {"sso_start_url": "https://x", "sso_region": "us-east-1"}, True),
        ("profile", "dev", "present", {}, True)]


READ_AB = {"a": {}, "b": {}}


@pytest.mark.parametrize("read, default_profile, shell, current", [
    (held(READ_AB, shell={"/h/.bashrc": None, "/h/.zshrc": None}), "", [False, False], [True, True]),
    (held(READ_AB, shell={"/h/.bashrc": "dev", "/h/.zshrc": "dev"}), "dev", [False, False], [True, True]),
    (held(READ_AB, shell={"/h/.bashrc": "dev", "/h/.zshrc": None}), "dev", [True, False], [False, True]),
    (held(READ_AB, shell={"/h/.bashrc": "old"}), "", [True, False], [False, True]),
    ({"skipped": True}, "", [True, False], [False, False]),  # not read: every entry is written, the first sets it
])
def test_the_first_entry_sets_the_shell_export_when_a_file_differs(read, default_profile, shell, current):
    result = entries([profile("a"), profile("b")], read=read, default_profile=default_profile)
    assert [e["shell"] for e in result] == shell
    assert [e["current"] for e in result] == current


def test_an_entry_with_an_error_never_carries_the_shell_export():
    result = entries([profile("a", iam_user="u"), profile("b")], issued={"u": {"failed": True, "msg": "x"}},
                     read=held(profiles={"b": {}}, shell={"/h/.bashrc": "old"}))
    assert [(e["error"] != "", e["shell"], e["current"]) for e in result] == [(True, False, False), (False, True, False)]


def test_a_loose_credentials_file_makes_the_first_profile_written():
    result = entries([profile("a"), profile("b")], read=held(profiles={"a": {}, "b": {}}, private=False))
    assert [e["current"] for e in result] == [False, True]


def test_write_errors():
    written = {"results": [{"item": {"name": "a", "error": "Failed to get an access key of IAM user u: x"}, "skipped": True},
                           {"item": {"name": "b", "error": ""}, "failed": True},
                           {"item": {"name": "c", "error": ""}, "changed": True}],
               "unreachable": True}
    retired = {"batch_results": [{"user_name": "u", "failed": True, "msg": "Failed to set access key"},
                                 {"user_name": "other", "failed": True, "msg": "not mine"},
                                 {"user_name": "u", "failed": False}]}
    assert we.write_errors(written, retired, ["u"]) == [
        "Failed to get an access key of IAM user u: x", "profile b not written", "host unreachable",
        "Failed to set access key"]
    assert we.write_errors({"results": [], "skipped": True}, {"skipped": True}, ["u"]) == []
