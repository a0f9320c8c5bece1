"""amazon.aws's integration target for iam_access_key, ported: its cases run on moto with our modules and theirs.

The target (repository ansible-collections/amazon.aws, tests/integration/targets/iam_access_key) is one
play of 45 steps - create a user, create keys (check mode, then for real), list them, hit the 2-key limit,
rotate with ``rotate_keys``, disable/enable/touch a key by ``id``, call STS with each key, delete keys,
create an inactive key, delete the user - with 272 asserted conditions. Here every step is a task and
every condition its own assert task (a failed condition does not hide the rest), the modules under test
being ``<collection>.iam_access_key`` and ``<collection>.iam_access_key_info`` for both collections;
``iam_user`` and ``aws_caller_info`` are amazon.aws's in both runs. The target's 10 s pause before the
STS calls (for AWS's eventual consistency) is left out: moto is consistent at once.

What differs, and why:
- moto limitations (amazon.aws fails them too, 6 conditions): moto's STS accepts a deleted or an Inactive
  key, so the 4 conditions that expect GetCallerIdentity to fail with InvalidClientTokenId fail for both;
  amazon.aws.iam_user cannot delete the user on moto (ListServiceSpecificCredentials is not implemented):
  2 conditions.
- One safety refusal: with two Active keys, ``rotate_keys: true`` makes amazon.aws delete the oldest
  (Active) key; ours refuses (a consumer may still use it) and says what to do instead. Its 16 conditions
  (check mode and real run) fail for ours. The port then does what the message says - retire the oldest key
  (``id`` + ``enabled: false``), run ``rotate_keys`` again - so the steps after it see the same keys as
  with amazon.aws (these extra steps are skipped for amazon.aws).
"""

import re

import pytest

from harness.ansible import run_playbook

TEST_USER = "devkeys-compat-user"
KEY_FIELDS = ("access_key_id", "create_date", "user_name", "status")

# Conditions that fail for amazon.aws on moto: moto's STS accepts a deleted or Inactive key, and
# amazon.aws.iam_user's deletion calls ListServiceSpecificCredentials, which moto answers with HTTP 500.
MOTO_LIMITATIONS = {
    "caller_identity_1 is failed",
    "caller_identity_1.error.code == 'InvalidClientTokenId'",
    "caller_identity_3 is failed",
    "caller_identity_3.error.code == 'InvalidClientTokenId'",
    "delete_user is successful",
    "delete_user is changed",
}
# The step where ours refuses what amazon.aws does: rotate_keys would delete an Active key.
REFUSED_STEPS = {"Create a third key - rotation enabled (check_mode)", "Create a third key - rotation enabled"}
REFUSAL = (
    "Failed to converge the access keys of IAM user 'devkeys-compat-user': a new key is needed (the consumer holds "
    "no key) but the user already has 2 keys (the IAM limit): {0} (Active, 0 days old, no description, no issuer "
    "tag), {1} (Active, 0 days old, no description, no issuer tag). rotate_keys: {0} is not deleted: it is Active, "
    "and deleting an Active key is refused (a consumer may still use it). To make room, first retire a key no "
    "consumer uses (id: {0}, active: false), then run again with on_key_limit=delete_inactive (or rotate_keys); or "
    "delete it explicitly (id: {0}, state: absent)"
)


def succeeded(name, changed=None):
    """A step that worked, and changed something or not."""
    conditions = ["%s is successful" % name]
    if changed is not None:
        conditions.append("%s is %schanged" % (name, "" if changed else "not "))
    return conditions


def key_dict(expression, status, same_as=None):
    """amazon.aws's key dict: its four fields, the test user, the status; ``same_as`` a created key's register."""
    conditions = ['"%s" in %s' % (field, expression) for field in KEY_FIELDS]
    conditions.append("%s.user_name == test_user" % expression)
    if same_as:
        conditions += ["%s.%s == %s.access_key.%s" % (expression, field, same_as, field)
                       for field in ("access_key_id", "create_date")]
    conditions.append("%s.status == '%s'" % (expression, status))
    return conditions


def key_result(name, changed, status, created=False, deleted=None):
    """A key step's result: its ``access_key``, a secret only when created, ``deleted_access_key_id`` when rotated."""
    conditions = succeeded(name, changed) + ['"access_key" in %s' % name]
    conditions.append('"secret_access_key" %s %s' % ("in" if created else "not in", name))
    if deleted:
        conditions += ['"deleted_access_key_id" in %s' % name, "%s.deleted_access_key_id == %s" % (name, deleted)]
    else:
        conditions.append('"deleted_access_key_id" not in %s' % name)
    return conditions + key_dict(name + ".access_key", status)


def listing(keys):
    """The info module lists ``keys``: (register of the step that created it, status), oldest first."""
    conditions = succeeded("access_key_info") + ['"access_keys" in access_key_info',
                                                 "access_key_info.access_keys | length == %d" % len(keys)]
    for index, (creator, status) in enumerate(keys):
        conditions += key_dict("access_key_info.access_keys[%d]" % index, status, same_as=creator)
    return conditions


def step(name, module, args, **options):
    """One task of the play; ``options``: register, conditions (asserted after it), check (mode), when."""
    return dict({"register": None, "conditions": [], "check": False, "when": None},
                name=name, module=module, args=args, **options)


def key_step(name, register, conditions, check=False, **args):
    args = dict({"user_name": "{{ test_user }}"}, **args)
    return step(name, "key", args, register=register, conditions=conditions, check=check)


def info_step(name, keys):
    return step(name, "info", {"user_name": "{{ test_user }}"}, register="access_key_info", conditions=listing(keys))


def on_key(register):
    return "{{ %s.access_key.access_key_id }}" % register


def check_and_run(name, register, changed, conditions, **args):
    """The target's pair: the step in check mode (result and change only), then for real."""
    return [key_step(name + " (check_mode)", register, succeeded(register, changed), check=True, **args),
            key_step(name, register, conditions, **args)]


def caller_step(name, register, key, conditions):
    args = {"access_key": on_key(key), "secret_key": "{{ %s.secret_access_key }}" % key, "session_token": "{{ omit }}"}
    return step(name, "caller", args, register=register, conditions=conditions)


def user_step(name, state, register):
    return step(name, "user", {"name": "{{ test_user }}", "state": state}, register=register,
                conditions=succeeded(register, True))


def creation_steps():
    """The target's first part: a user, two keys, the limit, a rotation with rotate_keys."""
    two = [("create_key_1", "Active"), ("create_key_2", "Active")]
    created = dict(created=True)
    return [
        user_step("Create test user", "present", "iam_user"),
        info_step("Fetch IAM key info (no keys)", []),
        *check_and_run("Create a key", "create_key_1", True, key_result("create_key_1", True, "Active", **created),
                       state="present"),
        info_step("Fetch IAM key info (1 key)", two[:1]),
        *check_and_run("Create a second key", "create_key_2", True,
                       key_result("create_key_2", True, "Active", **created), state="present"),
        info_step("Fetch IAM key info (2 keys)", two),
        key_step("Create a third key without rotation", "create_key_3", ["create_key_3 is failed"], state="present"),
        info_step("Fetch IAM key info (2 keys - not changed)", two),
        key_step("Create a third key - rotation enabled (check_mode)", "create_key_3", succeeded("create_key_3", True)
                 + ['"deleted_access_key_id" in create_key_3',
                    "create_key_3.deleted_access_key_id == create_key_1.access_key.access_key_id"],
                 check=True, state="present", rotate_keys=True),
        key_step("Create a third key - rotation enabled", "create_key_3",
                 key_result("create_key_3", True, "Active", deleted="create_key_1.access_key.access_key_id", **created),
                 state="present", rotate_keys=True),
        info_step("Fetch IAM key info (2 keys - oldest rotated)",
                  [("create_key_2", "Active"), ("create_key_3", "Active")]),
    ]


def status_steps():
    """Disable, enable and touch the third key by id, each in check mode then for real, then again."""
    key_3, steps = on_key("create_key_3"), []
    for action, enabled, status in (("Disable", False, "Inactive"), ("Enable", True, "Active")):
        register = "%s_key" % action.lower()
        steps += check_and_run("%s third key" % action, register, True, key_result(register, True, status),
                               id=key_3, enabled=enabled)
        steps += check_and_run("%s third key - idempotency" % action, register, False,
                               key_result(register, False, status), id=key_3, enabled=enabled)
        if not enabled:
            steps.append(info_step("Fetch IAM key info (2 keys - 1 disabled)",
                                   [("create_key_2", "Active"), ("create_key_3", "Inactive")]))
        touch = "Touch third key%s - no change" % ("" if not enabled else " again")
        steps += check_and_run(touch, "touch_key", False, key_result("touch_key", False, status), id=key_3)
    return steps + [
        key_step("Re-Disable third key", "redisable_key",
                 succeeded("redisable_key", True) + ["redisable_key.access_key.status == 'Inactive'"],
                 id=key_3, enabled=False),
    ]


def caller_and_deletion_steps():
    """STS with each key (the deleted and the Inactive one must fail), then delete both keys, twice."""
    steps = [
        caller_step("Test GetCallerIdentity - Key 2", "caller_identity_2", "create_key_2",
                    succeeded("caller_identity_2") + ["caller_identity_2.arn == iam_user.iam_user.user.arn"]),
    ]
    for name, register, key in (("Key 1 (gone)", "caller_identity_1", "create_key_1"),
                                ("Key 3 (disabled)", "caller_identity_3", "create_key_3")):
        steps.append(caller_step("Test GetCallerIdentity - " + name, register, key,
                                 ["%s is failed" % register, "%s.error.code == 'InvalidClientTokenId'" % register]))
    for which, key in (("active", "create_key_2"), ("inactive", "create_key_3")):
        register = "delete_%s_key" % which
        for suffix, changed in (("", True), (" - idempotency", False)):
            steps += check_and_run("Delete %s key%s" % (which, suffix), register, changed,
                                   succeeded(register, changed), id=on_key(key), state="absent")
    return steps


def inactive_key_steps():
    """Create a key with enabled=false, list it, disable it again, delete it and the user."""
    key_4 = on_key("create_key_4")
    return [
        info_step("Fetch IAM key info (no keys)", []),
        *check_and_run("Create an inactive key", "create_key_4", True,
                       key_result("create_key_4", True, "Inactive", created=True), state="present", enabled=False),
        info_step("Fetch IAM key info (1 inactive key)", [("create_key_4", "Inactive")]),
        key_step("Disable new key", "disable_new_key", succeeded("disable_new_key", False)
                 + ['"access_key" in disable_new_key'], id=key_4, enabled=False),
        key_step("Delete new key", "delete_new_key", succeeded("delete_new_key", True), id=key_4, state="absent"),
        user_step("Remove test user", "absent", "delete_user"),
    ]


def target_steps():
    """The target's steps and conditions, in its order."""
    return creation_steps() + status_steps() + caller_and_deletion_steps() + inactive_key_steps()


def what_the_refusal_says_to_do():
    """After the refusal (ours only): retire the oldest key as the message says, then rotate_keys again.

    Their conditions are extra (not the target's); for amazon.aws these steps are skipped.
    """
    refused = "create_key_3 is failed"
    oldest, newer = "create_key_1.access_key.access_key_id", "create_key_2.access_key.access_key_id"
    retire = {"user_name": "{{ test_user }}", "id": on_key("create_key_1"), "enabled": False}
    rotate = {"user_name": "{{ test_user }}", "state": "present", "rotate_keys": True}
    return [
        step("Publish the refusal", "publish", {"data": {"refusal": "{{ create_key_3.msg }}"}, "per_host": True},
             conditions=["('rotate_keys: ' ~ %s ~ ' is not deleted: it is Active') in create_key_3.msg" % oldest,
                         "%s in create_key_3.msg" % newer], when=refused),
        step("Retire the oldest key, as the refusal says", "key", retire, register="retired_oldest",
             conditions=succeeded("retired_oldest", True) + ["retired_oldest.access_key.status == 'Inactive'"],
             when=refused),
        step("Rotate again", "key", rotate, register="rotated_after_retiring",
             conditions=succeeded("rotated_after_retiring", True)
             + ["rotated_after_retiring.deleted_access_key_id == %s" % oldest], when=refused),
        step("Carry on with the rotated key", "set_fact", {"create_key_3": "{{ rotated_after_retiring }}"},
             when=refused),
    ]


MODULES = {
    "user": "amazon.aws.iam_user",
    "caller": "amazon.aws.aws_caller_info",
    "publish": "ansible.builtin.set_stats",
    "set_fact": "ansible.builtin.set_fact",
}


def playbook(collection):
    """The play: each step (errors ignored, secrets not logged), then one assert task per condition.

    Returns the plays and the conditions: the target's are numbered C001..C272, the extra ones X01...
    """
    modules = dict(MODULES, key=collection + ".iam_access_key", info=collection + ".iam_access_key_info")
    tasks, conditions = [], {}
    steps = target_steps()
    refused_at = [s["name"] for s in steps].index("Create a third key - rotation enabled")
    extra = what_the_refusal_says_to_do()
    steps[refused_at + 1:refused_at + 1] = extra
    for item in steps:
        task = {"name": item["name"], modules[item["module"]]: item["args"], "ignore_errors": True}
        if item["module"] in ("key", "caller"):
            task["no_log"] = True
        for key, value in (("register", item["register"]), ("check_mode", item["check"] or None),
                           ("when", item["when"])):
            if value is not None:
                task[key] = value
        tasks.append(task)
        for condition in item["conditions"]:
            prefix = "X" if item in extra else "C"
            number = "%s%03d" % (prefix, 1 + sum(1 for name in conditions if name[0] == prefix))
            conditions[number] = (item["name"], condition)
            check = {"name": number, "ansible.builtin.assert": {"that": [condition], "quiet": True},
                     "ignore_errors": True}
            if item["when"]:
                check["when"] = item["when"]
            tasks.append(check)
    return [{"name": "iam_access_key target", "hosts": "localhost", "gather_facts": False,
             "vars": {"test_user": TEST_USER}, "tasks": tasks}], conditions


def run_target(moto_server, home, collection):
    """Run the target with ``collection``'s modules on a fresh moto; return {number: (step, condition, status)}."""
    moto_server.reset()
    plays, conditions = playbook(collection)
    run = run_playbook(plays, home / collection, env=moto_server.env())
    assert run.rc == 0, run.output[-3000:]
    statuses = dict((entry["task"], entry["status"]) for entry in run.results if entry["task"] in conditions)
    return dict((number, (step_name, condition, statuses.get(number)))
                for number, (step_name, condition) in conditions.items()), run


@pytest.fixture(scope="module")
def outcomes(moto_server, tmp_path_factory):
    home = tmp_path_factory.mktemp("compat")
    return dict((collection, run_target(moto_server, home, collection)) for collection in ("amazon.aws", "devkeys.aws"))


def failed(outcome, prefix="C"):
    """{number: (step, condition)} of the conditions that did not pass."""
    checks, _run = outcome
    return dict((number, (step_name, condition)) for number, (step_name, condition, status) in checks.items()
                if number.startswith(prefix) and status != "ok")


@pytest.mark.slow
def test_the_port_has_the_targets_272_conditions(outcomes):
    checks, _run = outcomes["amazon.aws"]
    target = [(step_name, status) for number, (step_name, _c, status) in checks.items() if number.startswith("C")]
    assert len(target) == 272
    assert len(set(step_name for step_name, _status in target)) == 44  # 45 steps, one name used twice


@pytest.mark.slow
def test_amazon_aws_fails_only_on_moto_limitations(outcomes):
    """266 of 272 pass for amazon.aws (as the issue counted): the 6 that fail are moto's limitations."""
    assert set(condition for _step, condition in failed(outcomes["amazon.aws"]).values()) == MOTO_LIMITATIONS
    checks, _run = outcomes["amazon.aws"]
    assert set(status for number, (_s, _c, status) in checks.items() if number.startswith("X")) == {"skipped"}


@pytest.mark.slow
def test_ours_passes_what_amazon_aws_passes_except_the_refused_rotation(outcomes):
    ours, amazon = failed(outcomes["devkeys.aws"]), failed(outcomes["amazon.aws"])
    assert set(amazon) <= set(ours)
    only_ours = [ours[number] for number in sorted(set(ours) - set(amazon))]
    assert set(step_name for step_name, _condition in only_ours) == REFUSED_STEPS
    assert len(only_ours) == 16 and len(ours) == 22  # 250 of 272 pass for ours, 266 for amazon.aws
    assert failed(outcomes["devkeys.aws"], prefix="X") == {}


@pytest.mark.slow
def test_refusal_message_names_the_keys_and_what_to_do(outcomes):
    _checks, run = outcomes["devkeys.aws"]
    refusal = run.published()["refusal"]
    oldest = re.search(r"rotate_keys: (\S+) is not deleted", refusal).group(1)
    newer = re.search(r"\), (\S+) \(Active", refusal).group(1)
    assert refusal == REFUSAL.format(oldest, newer)
