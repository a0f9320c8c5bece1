# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""After the writes: what each workstation stored, and which keys the fleet retires.

``plan_outcome`` looks at what the batch wrote and decides, per IAM user, what
happens to keys its workstations no longer use. The rules (issue 15):

* A key some workstation we did not read may hold is never deactivated or
  deleted: every inventory host that names the user (not only this play's,
  ``--limit`` and ``serial`` included) must have stored the new key in this run,
  and every host the key's ``holders`` tag records must be among them.
* The key every known holder just replaced is retired at once
  (``retire``: deactivate or delete), unless another fleet issued it or another
  tool described it: then another consumer may hold it, and it stays Active.
* Any other key (one no workstation held: left by a lost file, or kept earlier
  because a holder was missing) is retired only if it is ours (its issuer tag is
  this fleet's) and unused since the moment its replacement was stored (the
  newer target key's creation, at least ``LAST_USED_LAG`` ago, because AWS
  updates last-use data late), or, without such a moment, unused for
  ``unused_days``. iam_access_key checks the last use itself
  (``keep_if_used_after``), so a use in between still keeps the key.
* An Inactive key devkeys.aws did not deactivate (an incident's evidence) is
  never deleted. A key this fleet deactivated is deleted ``delete_after_days``
  later (deactivate, then delete: AWS's own rotation guidance), unless its
  description was changed since.
* A new key no workstation stored is deleted (no orphan key).

The outcome is cumulative over the batches of a run: the next batch's planner
reads which key each user got and where it is stored (donors), and retires the
keys earlier batches had to keep while later hosts were still to come.
"""

import datetime

from ansible_collections.devkeys.aws.plugins.module_utils import _key_plan
from ansible_collections.devkeys.aws.plugins.module_utils import _key_tags
from ansible_collections.devkeys.aws.plugins.plugin_utils import _fleet_plan

# AWS records a key's last use within about four hours; a younger replacement cannot prove the old key idle.
LAST_USED_LAG = datetime.timedelta(hours=4)


def stamp(moment):
    """A moment as iam_access_key's keep_if_used_after takes it."""
    return moment.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def written_entries(fleet, plan, host, iam_results, donated, writes, check_mode):
    """The host's entries with what happened to each: ``written``, ``current``, ``failed`` or ``error``."""
    entries = _fleet_plan.host_entries(fleet["views"][host], fleet["held"][host], plan, iam_results,
                                       donated, check_mode)
    host_writes = writes.get(host) or {}
    for entry in entries:
        if entry["status"] != "write":
            continue
        outcome = host_writes.get((entry["kind"], entry["name"]))
        if outcome and outcome["ok"]:
            entry.update(status="written", changed=outcome["changed"])
        else:
            reason = (outcome or {}).get("msg") or "the write did not run"
            entry.update(status="failed", error="Failed to write %s %s: %s" % (entry["kind"], entry["name"], reason))
    return entries


def _target(decision, iam_result, check_mode):
    """The key ID a user's workstations should hold now (None when there is none)."""
    if decision["action"] == _fleet_plan.KEEP:
        return _fleet_plan.CHECK_MODE_KEY_ID if decision.get("check_mode_new") and check_mode else decision["target"]
    if decision["action"] == _fleet_plan.CREATE and not (iam_result or {}).get("failed"):
        return _fleet_plan.CHECK_MODE_KEY_ID if check_mode else (iam_result or {}).get("access_key_id")
    return None


def _moved(entries_by_host, user, target):
    """Batch hosts whose every profile of ``user`` now holds ``target``."""
    moved = []
    for host, entries in sorted(entries_by_host.items()):
        mine = [entry for entry in entries if entry["iam_user"] == user]
        if mine and target and all(entry["access_key_id"] == target and entry["status"] in ("current", "written")
                                   for entry in mine):
            moved.append(host)
    return moved


class UserOutcome(object):
    """What happens to one IAM user's keys after the writes: retire requests and notes (why each key stays)."""

    def __init__(self, fleet, decision, target, moved, now):
        self.fleet = fleet
        self.decision = decision
        self.user = decision["user"]
        self.policy = decision["policy"]
        self.target = target
        self.moved = moved
        self.now = now
        self.keys = dict((key["access_key_id"], key) for key in (fleet["iam"].get(self.user) or {}).get("keys", []))
        self.missing = [host for host in decision["policy"]["holders"] if host not in moved]
        self.requests = []
        self.notes = []
        self.pending = []

    def note(self, key_id, action, reason):
        self.notes.append({"iam_user": self.user, "access_key_id": key_id, "action": action, "reason": reason})

    def retire(self, key_id, reason, **guard):
        """Deactivate (or, with retire=delete, delete) a key; delete an Inactive one only with retire=delete."""
        key = self.keys[key_id]
        if self.policy["retire"] == "delete":
            self.requests.append(dict(user_name=self.user, id=key_id, state="absent", issuer=self.policy["fleet_id"],
                                      **guard))
            self.note(key_id, "delete", reason)
        elif key["status"] == _key_plan.ACTIVE:
            self.requests.append(dict(user_name=self.user, id=key_id, active=False, issuer=self.policy["fleet_id"],
                                      **guard))
            self.note(key_id, "deactivate", reason)

    def replaced(self, key_id):
        """A key workstations held before this run and replaced."""
        key = self.keys.get(key_id)
        if key is None:
            return
        if _fleet_plan.deactivated_by_someone_else(key, self.policy):
            self.note(key_id, "keep", "Inactive, and not deactivated by devkeys.aws: kept as it is")
            return
        if self.missing:
            self.pending.append(key_id)
            self.note(key_id, "keep", "kept Active: the new key is not stored on %s yet (not read in this run, "
                                      "failed, or in a later batch)" % ", ".join(self.missing))
            return
        foreign = self.foreign_mark(key)
        if foreign:
            self.note(key_id, "keep", "kept Active: %s, so another consumer may hold it; devkeys.aws retires only "
                                      "keys it issued or that carry no other tool's mark" % foreign)
            return
        unknown = self.unknown_holders(key)
        if unknown:
            self.note(key_id, "keep", "kept Active: it was handed to %s, which the inventory no longer names; it is "
                                      "retired once unused since the new key was stored" % unknown)
            return
        self.retire(key_id, "every workstation that held it stored the new key %s" % self.target)

    def foreign_mark(self, key):
        """Why ``key`` looks managed by someone else (another fleet's issuer, another tool's description), or ""."""
        if key.get("issuer") and key["issuer"] != self.policy["fleet_id"]:
            return "issued by fleet %r" % key["issuer"]
        if key.get("description") not in (None, "", self.policy["description"]):
            return "described by another tool (%r)" % key["description"]
        return ""

    def unknown_holders(self, key):
        """Recorded holders of ``key`` that have not moved to the target (text), or ""."""
        recorded = key.get("holders")
        if not recorded:
            return ""
        if recorded.get("names") is None:  # too many to list by name: the tag holds a digest
            return "%d recorded hosts" % recorded.get("count", 0)
        return ", ".join(sorted(set(recorded["names"]) - set(self.moved)))

    def stale(self, key, held_now):
        """A key of ours that no workstation read in this run holds."""
        key_id = key["access_key_id"]
        if key_id == self.target or key_id in held_now or not _key_tags.is_ours(key, self.policy["fleet_id"]):
            return
        if key["status"] == _key_plan.INACTIVE:
            self.retired_inactive(key)
            return
        if self.missing:
            return  # an unread workstation may hold it; said once by replaced() or the host's own result
        target = self.keys.get(self.target)
        if target is not None and target["create_date"] > key["create_date"]:
            moment = target["create_date"]
            if self.now - moment < LAST_USED_LAG:
                self.note(key_id, "keep", "kept Active: its replacement %s is too recent to trust AWS's last-use "
                                          "data; checked again in a later run" % self.target)
                return
            reason = "held by no workstation, unused since its replacement %s was stored" % self.target
        else:
            moment = self.now - datetime.timedelta(days=self.policy["unused_days"])
            reason = "held by no workstation, unused for %d days" % self.policy["unused_days"]
        self.retire(key_id, reason, keep_if_used_after=stamp(moment))

    def retired_inactive(self, key):
        """Delete a key this fleet deactivated, ``delete_after_days`` later, if nobody changed its description."""
        key_id = key["access_key_id"]
        days = self.policy["delete_after_days"]
        retired = key.get("retired_date")
        if not retired or (not days and self.policy["retire"] != "delete"):
            return
        if key.get("description") not in (None, "", self.policy["description"]):
            self.note(key_id, "keep", "Inactive; its description was changed to %r since devkeys.aws deactivated it: "
                                      "kept as it is" % key["description"])
            return
        if self.policy["retire"] == "delete" or self.now - retired >= datetime.timedelta(days=days):
            self.requests.append(dict(user_name=self.user, id=key_id, state="absent", issuer=self.policy["fleet_id"]))
            self.note(key_id, "delete", "deactivated by devkeys.aws on %s" % stamp(retired)[:10])


def _user_outcome(fleet, decision, target, moved, earlier, held_now, now):
    outcome = UserOutcome(fleet, decision, target, moved, now)
    if decision["action"] == _fleet_plan.CREATE and target and not moved:
        if target != _fleet_plan.CHECK_MODE_KEY_ID:  # check mode: predicted in the note only, the key has no ID
            outcome.requests.append(dict(user_name=outcome.user, id=target, state="absent"))
        outcome.note(target, "delete", "no workstation stored the new key")
        return outcome
    if not target or not moved:
        return outcome
    pending_before = (earlier.get("pending") or []) if earlier.get("target") == target else []
    replaced = set(decision["replaces"]) | set(pending_before)
    for key_id in sorted(replaced - set([target])):
        outcome.replaced(key_id)
    done = set(request["id"] for request in outcome.requests) | set(outcome.pending)
    for key in _fleet_plan.sorted_keys(outcome.keys.values()):
        if key["access_key_id"] not in done and key["access_key_id"] not in replaced:
            outcome.stale(key, held_now)
    return outcome


def plan_outcome(fleet, plan, iam_results, donated, writes, now, check_mode=False):
    """The batch's outcome: entries per host, retire requests, notes per user, and what later batches need.

    ``iam_results``: the key run's result by IAM user; ``donated``: host -> IAM user -> ``{ok, msg}``;
    ``writes``: host -> (kind, name) -> ``{ok, changed, msg}`` from the write task.
    """
    entries = dict((host, written_entries(fleet, plan, host, iam_results, donated.get(host) or {}, writes,
                                          check_mode))
                   for host in sorted(fleet["batch"]) if fleet["held"][host]["status"] != "unread")
    earlier = (fleet.get("earlier") or {}).get("users", {})
    users, requests, notes = dict(earlier), [], {}
    held_now = set(entry["access_key_id"] for host_entries in entries.values() for entry in host_entries
                   if entry["iam_user"])
    for user, decision in sorted(plan["users"].items()):
        target = _target(decision, iam_results.get(user), check_mode)
        before = earlier.get(user) or {}
        stored_before = (before.get("stored") or []) if before.get("target") == target else []
        moved = sorted(set(_moved(entries, user, target)) | set(stored_before))
        outcome = _user_outcome(fleet, decision, target, moved, before, held_now, now)
        requests += outcome.requests
        notes[user] = outcome.notes
        donor = before.get("donor") if before.get("target") == target else None
        if donor is None and moved:
            donor = _fleet_plan.donor_of(fleet["views"][moved[0]], user)
        users[user] = {"target": target if moved else None, "stored": moved, "donor": donor,
                       "pending": outcome.pending, "check_mode_new": target == _fleet_plan.CHECK_MODE_KEY_ID}
    return {"scope": plan["scope"], "users": users, "requests": requests, "notes": notes, "entries": entries,
            "decisions": dict((user, _decision_summary(decision, iam_results.get(user)))
                              for user, decision in plan["users"].items())}


def _decision_summary(decision, iam_result):
    """What the report needs of a user's key decision (no secret, nothing Ansible cannot print)."""
    summary = {"action": decision["action"], "reason": decision["reason"], "target": decision["target"],
               "error": decision["error"], "replaces": decision["replaces"]}
    if decision["action"] == _fleet_plan.CREATE:
        result = iam_result or {}
        summary.update(target=result.get("access_key_id"), error=result.get("msg", "") if result.get("failed") else "",
                       deleted=result.get("deleted_access_key_ids") or [])
    return summary
