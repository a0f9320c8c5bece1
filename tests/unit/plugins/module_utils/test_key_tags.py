"""Tests of the key tag codec (plugins/module_utils/_key_tags.py)."""

import datetime
import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ansible_collections.devkeys.aws.plugins.module_utils import _key_tags as kt

KEY = "AKIAIOSFODNN7EXAMPLE"
UTC = datetime.timezone.utc


def test_tag_keys():
    assert kt.tag_key(KEY, kt.DESCRIPTION) == KEY
    assert kt.tag_key(KEY, kt.ISSUER) == "devkeys.aws:AKIAIOSFODNN7EXAMPLE:issuer"
    assert kt.key_tag_keys(KEY) == [
        KEY, "devkeys.aws:%s:issuer" % KEY, "devkeys.aws:%s:holders" % KEY, "devkeys.aws:%s:retired" % KEY,
    ]
    with pytest.raises(ValueError, match="unknown devkeys.aws key tag field 'owner'"):
        kt.tag_key(KEY, "owner")


@pytest.mark.parametrize("value, valid", [
    ("devkeys", True), ("team-a/prod:eu=1+x@y_z.", True), ("x" * 64, True),
    ("", False), ("x" * 65, False), ("with space", False), ("émoji", False), (None, False),
])
def test_valid_issuer(value, valid):
    assert kt.valid_issuer(value) is valid


def hashed(names):
    joined = " ".join(sorted(set(names)))
    return "%d hosts sha256:%s" % (len(set(names)), hashlib.sha256(joined.encode("utf-8")).hexdigest()[:16])


@pytest.mark.parametrize("names, value", [
    (["b", "a", "b"], "a b"),
    (["laptop-1.example.com"], "laptop-1.example.com"),
    ([], ""),
    (["x" * 256], "x" * 256),
    (["x" * 257], hashed(["x" * 257])),
    (["a" * 128, "b" * 128], hashed(["a" * 128, "b" * 128])),  # 257 characters joined
    (["ok", "has space"], hashed(["ok", "has space"])),
    (["ok", "ünïcode"], hashed(["ok", "ünïcode"])),
])
def test_encode_holders(names, value):
    assert kt.encode_holders(names) == value


@pytest.mark.parametrize("value, parsed", [
    (None, None),
    ("a b", {"names": ["a", "b"], "count": 2}),
    ("", {"names": [], "count": 0}),
    ("30 hosts sha256:0123456789abcdef", {"names": None, "count": 30}),
    ("30 hosts sha256:0123", {"names": ["30", "hosts", "sha256:0123"], "count": 3}),
])
def test_parse_holders(value, parsed):
    assert kt.parse_holders(value) == parsed


NAME = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-._ é", min_size=1, max_size=40)


@given(st.lists(NAME, max_size=20))
def test_holders_round_trip(names):
    value = kt.encode_holders(names)
    assert len(value) <= 256
    parsed = kt.parse_holders(value)
    assert parsed["count"] == len(set(names))
    if parsed["names"] is not None:
        assert parsed["names"] == sorted(set(names))


@pytest.mark.parametrize("recorded, names, merged", [
    (None, ["b", "a"], "a b"),
    (None, [], None),
    ({"names": ["a"], "count": 1}, ["a"], None),
    ({"names": ["a", "c"], "count": 2}, ["b"], "a b c"),
    ({"names": None, "count": 3}, ["a", "b"], None),
    ({"names": None, "count": 1}, ["a", "b"], "a b"),
])
def test_merged_holders_only_grows(recorded, names, merged):
    assert kt.merged_holders(recorded, names) == merged


def test_retired_stamp():
    moment = datetime.datetime(2026, 3, 1, 11, 0, 5, 123456, tzinfo=datetime.timezone(datetime.timedelta(hours=1)))
    assert kt.encode_retired(moment) == "2026-03-01T10:00:05Z"
    assert kt.parse_retired("2026-03-01T10:00:05Z") == datetime.datetime(2026, 3, 1, 10, 0, 5, tzinfo=UTC)
    assert kt.parse_retired(None) is None
    assert kt.parse_retired("yesterday") is None


def test_key_fields_and_ownership():
    tags = {KEY: "laptop", "devkeys.aws:%s:issuer" % KEY: "devkeys", "devkeys.aws:%s:holders" % KEY: "h1 h2",
            "devkeys.aws:%s:retired" % KEY: "2026-03-01T10:00:05Z", "team": "platform"}
    fields = kt.key_fields(tags, KEY)
    assert fields == {
        "description": "laptop", "issuer": "devkeys", "holders": {"names": ["h1", "h2"], "count": 2},
        "retired_date": datetime.datetime(2026, 3, 1, 10, 0, 5, tzinfo=UTC),
    }
    assert kt.key_fields({}, KEY) == {"description": None, "issuer": None, "holders": None, "retired_date": None}
    assert kt.is_ours(fields, "devkeys") and not kt.is_ours(fields, "other") and not kt.is_ours(fields, None)
