# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The tags devkeys.aws keeps about an access key, on the key's IAM user (pure, stdlib only).

A key's console description is the user tag whose key is the access key ID (the
AWS console's convention). Our own bookkeeping goes under our own tag keys, one
per field: ``devkeys.aws:<ACCESS_KEY_ID>:issuer`` (the fleet id that created the
key), ``:holders`` (the hosts it was handed to) and ``:retired`` (when we
deactivated it, ``YYYY-MM-DDTHH:MM:SSZ``). A key is "ours" for fleet F when its
issuer tag equals F.
"""

import datetime
import hashlib
import re

TAG_PREFIX = "devkeys.aws:"
DESCRIPTION = "description"
ISSUER = "issuer"
HOLDERS = "holders"
RETIRED = "retired"
FIELDS = (ISSUER, HOLDERS, RETIRED)
"""devkeys.aws's own fields, each under its own tag key."""
TAG_FIELDS = (DESCRIPTION,) + FIELDS
"""Every tag of a key: the console description, then our fields."""

ISSUER_PATTERN = re.compile(r"^[A-Za-z0-9_.:/=+\-@]{1,64}$")
"""What an issuer (fleet id) may be: tag value characters, at most 64."""

_HOLDER_NAME = re.compile(r"^[A-Za-z0-9_.:/=+\-@]+$")
"""A host name the holders tag can list by name (the tag alphabet; no space, the separator)."""

HOLDERS_MAX_LENGTH = 256
"""IAM's limit for a tag value."""

_HASHED_HOLDERS = re.compile(r"^(\d+) hosts sha256:([0-9a-f]{16})$")
RETIRED_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def tag_key(access_key_id, field):
    """The user tag key of ``field`` (one of TAG_FIELDS) of key ``access_key_id``.

    The description's is the access key ID itself (the console's); ours are
    ``devkeys.aws:<ACCESS_KEY_ID>:<field>``.
    """
    if field == DESCRIPTION:
        return access_key_id
    if field not in FIELDS:
        raise ValueError("unknown devkeys.aws key tag field %r" % (field,))
    return "%s%s:%s" % (TAG_PREFIX, access_key_id, field)


def key_tag_keys(access_key_id):
    """Every user tag key that belongs to key ``access_key_id``: its description, then our fields."""
    return [tag_key(access_key_id, field) for field in TAG_FIELDS]


def valid_issuer(value):
    return isinstance(value, str) and bool(ISSUER_PATTERN.match(value))


def encode_holders(names):
    """The holders tag value of the host ``names``: sorted, unique, joined by one space.

    When that is longer than 256 characters, or a name has a character outside
    the tag alphabet (a space included, as it separates names), the value is
    ``<count> hosts sha256:<first 16 hex of sha256 of the joined names>`` instead.
    """
    unique = sorted(set(names))
    joined = " ".join(unique)
    if len(joined) <= HOLDERS_MAX_LENGTH and all(_HOLDER_NAME.match(name) for name in unique):
        return joined
    return "%d hosts sha256:%s" % (len(unique), hashlib.sha256(joined.encode("utf-8")).hexdigest()[:16])


def parse_holders(value):
    """``{"names": [..] or None, "count": int}`` from a holders tag value; None for None.

    ``names`` is None when the value is the hashed form (only the count is known).
    """
    if value is None:
        return None
    hashed = _HASHED_HOLDERS.match(value)
    if hashed:
        return {"names": None, "count": int(hashed.group(1))}
    names = sorted(set(value.split()))
    return {"names": names, "count": len(names)}


def merged_holders(recorded, names):
    """The holders tag value once ``names`` are added to ``recorded`` (a parse_holders result or None).

    Returns None when the recorded set does not grow (nothing to write). A
    hashed record cannot be merged by name: it is replaced only by a larger set.
    """
    names = sorted(set(names))
    if not names:
        return None
    if recorded is None:
        return encode_holders(names)
    if recorded["names"] is None:
        return encode_holders(names) if len(names) > recorded["count"] else None
    union = sorted(set(recorded["names"]) | set(names))
    return encode_holders(union) if len(union) > len(recorded["names"]) else None


def encode_retired(moment):
    """The retired tag value of ``moment`` (an aware datetime): UTC, ``YYYY-MM-DDTHH:MM:SSZ``."""
    return moment.astimezone(datetime.timezone.utc).strftime(RETIRED_FORMAT)


def parse_retired(value):
    """The aware UTC datetime of a retired tag value; None for None or a value not in that form."""
    if value is None:
        return None
    try:
        return datetime.datetime.strptime(value, RETIRED_FORMAT).replace(tzinfo=datetime.timezone.utc)
    except ValueError:
        return None


def key_fields(tags, access_key_id):
    """What the user's ``tags`` (a dict) say about key ``access_key_id``.

    ``description`` and ``issuer`` (str or None), ``holders`` (parse_holders),
    ``retired_date`` (aware datetime or None).
    """
    return {
        "description": tags.get(tag_key(access_key_id, DESCRIPTION)),
        "issuer": tags.get(tag_key(access_key_id, ISSUER)),
        "holders": parse_holders(tags.get(tag_key(access_key_id, HOLDERS))),
        "retired_date": parse_retired(tags.get(tag_key(access_key_id, RETIRED))),
    }


def is_ours(key, issuer):
    """Whether ``key`` (a dict with ``issuer``) was created by fleet ``issuer``."""
    return issuer is not None and key.get("issuer") == issuer
