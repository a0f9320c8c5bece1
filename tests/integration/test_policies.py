"""docs/policies/*.json: each shipped IAM policy is enough for the playbooks it covers, and needs every action.

moto_server checks the caller's IAM policies once authorization is on (``POST /moto-api/reset-auth`` with the
number of calls still let through unchecked: "0"; "inf" turns it off again). It checks actions, not resources:
it evaluates every IAM user call against the resource ``*``, which a scoped ``Resource`` never matches. So the
identities get a copy of each policy whose statements' ``Resource`` is ``*``; the files' own resources are
checked as written, and moto's policy validator reads the files unchanged. moto ignores the condition on
``aws:TagKeys``: the proxy logs the tag keys of every TagUser/UntagUser call, and each must match it.

Each policy test walks one tour of its playbooks with the identity holding the policy, through the proxy that
logs every call. Before some full runs, the same run is tried with one action removed from the policy: it must
fail with moto's AccessDenied message naming that action, and every workstation that held a working key must
still hold one (Active in IAM, accepted by sts:GetCallerIdentity with the secret from its credentials file).
Every action of the policy is removed once, and the tour calls exactly the policy's actions (plus
sts:GetCallerIdentity, which needs no permission): nothing in the policy is unused.

IAM's clock runs six hours behind the controller, so a key replaced earlier in the tour is old enough for the
role's rule that retires stale keys only once a replacement is 4 hours old (AWS's last-use lag).
"""

import copy
import datetime
import fnmatch
import json
import time
import types
import urllib.request

import boto3
import pytest

from _workstation import PLAYBOOKS, caller_arn, credentials, home_of, key_states, raw_sections, workstations
from harness.aws_proxy import AwsProxy
from harness.paths import PYTHON, REPO

POLICIES = REPO / "docs" / "policies"
SETUP = str(PLAYBOOKS / "setup-dev.yml")
ROTATE = str(PLAYBOOKS / "rotate-keys.yml")
AUDIT = str(PLAYBOOKS / "audit-keys.yml")
OFFBOARD = str(PLAYBOOKS / "offboard.yml")
OWN_USER = "arn:aws:iam::*:user/${aws:username}"
KEY_TAG_KEYS = {"ForAllValues:StringLike": {"aws:TagKeys": ["AKIA*", "devkeys.aws:AKIA*"]}}
TAG_ACTIONS = {"iam:TagUser", "iam:UntagUser"}
CREATE_USER_ACTIONS = {"iam:GetUser", "iam:CreateUser", "iam:ListAttachedUserPolicies", "iam:AttachUserPolicy",
                       "iam:GetGroup", "iam:ListAttachedGroupPolicies", "iam:AddUserToGroup"}
NEEDS_NO_PERMISSION = {"sts:GetCallerIdentity"}
IAM_LAGS_BEHIND = datetime.timedelta(hours=6)
TESTER = "policy-tester"
ACCESS_DENIED = "AccessDenied"


def load_policy(name):
    return json.loads((POLICIES / f"{name}.json").read_text(encoding="utf-8"))


def statements(policy):
    return policy["Statement"] if isinstance(policy["Statement"], list) else [policy["Statement"]]


def policy_actions(policy):
    return sorted(action for statement in statements(policy) for action in statement["Action"])


def without(policy, action):
    """``policy`` minus one action (a statement left with none is dropped)."""
    trimmed = copy.deepcopy(policy)
    trimmed["Statement"] = [dict(statement, Action=[a for a in statement["Action"] if a != action])
                            for statement in statements(trimmed)]
    trimmed["Statement"] = [statement for statement in trimmed["Statement"] if statement["Action"]]
    return trimmed


def for_moto(policy):
    """``policy`` with every statement's Resource ``*``: moto checks the actions only (module docstring)."""
    return dict(policy, Statement=[dict(statement, Resource="*") for statement in statements(policy)])


# -- the policy files as written --------------------------------------------------------------------------------


def test_self_service_policy_allows_only_key_actions_on_the_callers_own_user():
    policy = load_policy("self-service")

    assert policy["Version"] == "2012-10-17"  # policy variables such as ${aws:username} need this version
    assert policy_actions(policy) == sorted(["iam:ListAccessKeys", "iam:CreateAccessKey", "iam:UpdateAccessKey",
                                             "iam:DeleteAccessKey", "iam:GetAccessKeyLastUsed", "iam:ListUserTags",
                                             "iam:TagUser", "iam:UntagUser"])
    for statement in statements(policy):
        assert statement["Effect"] == "Allow" and statement["Resource"] == OWN_USER
        assert statement.get("Condition") == (KEY_TAG_KEYS if set(statement["Action"]) & TAG_ACTIONS else None)
        assert not set(statement["Action"]) & TAG_ACTIONS or set(statement["Action"]) == TAG_ACTIONS


def test_fleet_admin_policy_keeps_create_user_actions_in_their_own_statement():
    policy = load_policy("fleet-admin")
    by_sid = dict((statement["Sid"], statement) for statement in statements(policy))

    assert policy["Version"] == "2012-10-17"
    assert set(by_sid["OnlyNeededWithCreateUser"]["Action"]) == CREATE_USER_ACTIONS
    assert set(by_sid["AuditListUsersAndRootKeys"]["Action"]) == {"iam:ListUsers", "iam:GetAccountSummary"}
    assert by_sid["AuditListUsersAndRootKeys"]["Resource"] == "*"  # neither action takes a resource
    assert set(by_sid["TagAccessKeysOnly"]["Action"]) == TAG_ACTIONS
    assert by_sid["TagAccessKeysOnly"]["Condition"] == KEY_TAG_KEYS
    assert len(policy_actions(policy)) == len(set(policy_actions(policy))) == 17
    self_service = load_policy("self-service")
    assert set(policy_actions(self_service)) <= set(policy_actions(policy))


@pytest.mark.parametrize("name", ["self-service", "fleet-admin"])
def test_moto_accepts_the_policy_file_unchanged(name, iam):
    document = (POLICIES / f"{name}.json").read_text(encoding="utf-8")

    arn = iam.create_policy(PolicyName=name, PolicyDocument=document)["Policy"]["Arn"]

    version = iam.get_policy_version(PolicyArn=arn, VersionId="v1")["PolicyVersion"]["Document"]
    assert version == json.loads(document)


# -- moto with authorization on ---------------------------------------------------------------------------------


def reset_auth(aws, unchecked_calls):
    """moto checks every call after ``unchecked_calls`` more ("0": all of them; "inf": none)."""
    # Not form-encoded: moto reads the raw body, which Flask leaves empty for a form.
    request = urllib.request.Request(aws.url + "/moto-api/reset-auth", data=unchecked_calls.encode(), method="POST",
                                     headers={"Content-Type": "text/plain"})
    with urllib.request.urlopen(request, timeout=10) as response:
        response.read()


def new_identity(iam, aws, user, policy):
    """An IAM user holding ``policy`` (inline, as moto reads it) and one key: boto3 credentials of it."""
    iam.create_user(UserName=user)
    put_policy(iam, user, policy)
    key = iam.create_access_key(UserName=user)["AccessKey"]
    return {"aws_access_key_id": key["AccessKeyId"], "aws_secret_access_key": key["SecretAccessKey"],
            "region_name": "us-east-1", "endpoint_url": aws.url}


def put_policy(iam, user, policy):
    iam.put_user_policy(UserName=user, PolicyName="devkeys", PolicyDocument=json.dumps(for_moto(policy)))


@pytest.fixture
def enforced(aws, iam):
    """Authorization on for the test; yields an IAM client of a user allowed everything (the test's own reads).

    The moto server is shared by the whole session: authorization is turned off again whatever happens.
    """
    everything = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    tester = boto3.client("iam", **new_identity(iam, aws, TESTER, everything))
    aws.set_clock(datetime.datetime.now(datetime.timezone.utc) - IAM_LAGS_BEHIND, ticking=True)
    reset_auth(aws, "0")
    try:
        yield tester
    finally:
        reset_auth(aws, "inf")
        aws.set_clock(None)


@pytest.fixture
def signed_calls(aws):
    """The proxy in front of moto: its call log has the key that signed each call and the tag keys it writes."""
    with AwsProxy(aws.url) as proxy:
        yield proxy


class Tour:
    """Playbook runs of one identity, each first tried without some actions, then with the whole policy."""

    def __init__(self, ansible, aws, tester, proxy, identity, policy, env):
        self.ansible, self.aws, self.tester, self.proxy = ansible, aws, tester, proxy
        self.identity, self.policy, self.env = identity, policy, env
        self.denied, self.messages, self.seconds = [], {}, []
        self.called = set()  # "service:Action" of every call the runs made
        self.holders = {}  # host: (home, profile, IAM user) of every workstation that holds a working key

    def run(self, playbook, inventory, extra_vars=None, deny=()):
        """Try the run once per action in ``deny`` without it (see ``deny``), then with the whole policy."""
        for action in deny:
            self.deny(action, playbook, inventory, extra_vars)
        put_policy(self.tester, self.identity, self.policy)
        run = self._run(playbook, inventory, extra_vars)
        assert run.rc == 0 and ACCESS_DENIED not in run.output, run.output[-4000:]
        return run

    def deny(self, action, playbook, inventory, extra_vars=None):
        """The run without ``action`` fails, names the action, and every holder still holds a working key."""
        put_policy(self.tester, self.identity, without(self.policy, action))
        run = self._run(playbook, inventory, extra_vars)
        message = [line for line in run.output.splitlines()
                   if ACCESS_DENIED in line and f"is not authorized to perform: {action}" in line]
        assert run.rc != 0 and message, f"without {action}: rc={run.rc}\n{run.output[-4000:]}"
        self.denied.append(action)
        self.messages[action] = message[0].strip()
        self.assert_working_keys(f"after a run without {action}")

    def _run(self, playbook, inventory, extra_vars):
        self.proxy.reset()
        started = time.monotonic()
        run = self.ansible.playbook(playbook, inventory=inventory, extra_vars=extra_vars, env=self.env)
        self.seconds.append(round(time.monotonic() - started, 1))
        self.called |= set(f"{service}:{action}" for service, actions in self.proxy.counts().items()
                           for action in actions)
        self.assert_tag_keys_allowed()
        return run

    def assert_tag_keys_allowed(self):
        """The tag keys the run wrote or removed are those the TagUser/UntagUser condition allows (moto ignores it)."""
        patterns = KEY_TAG_KEYS["ForAllValues:StringLike"]["aws:TagKeys"]
        for call in self.proxy.calls():
            assert call["tag_keys"] or call["action"] not in ("TagUser", "UntagUser"), call
            refused = [key for key in call["tag_keys"] if not any(fnmatch.fnmatchcase(key, p) for p in patterns)]
            assert not refused, f"{call['action']} of tag keys the policy's condition refuses: {refused}"

    def hold(self, host, home, profile, user):
        self.holders[host] = (home, profile, user)
        self.assert_working_keys(f"{host} just got its key")

    def assert_working_keys(self, when):
        for host, (home, profile, user) in sorted(self.holders.items()):
            creds = credentials(home, profile)
            assert creds is not None, f"{when}: {host} holds no key in profile {profile}"
            assert key_states(self.tester, user).get(creds.access_key) == "Active", f"{when}: {host}'s key"
            assert caller_arn(self.aws, home, profile).endswith(f":user/{user}"), f"{when}: {host}'s key"

    def assert_every_action_used_and_denied(self):
        assert sorted(self.denied) == policy_actions(self.policy)
        assert self.called - NEEDS_NO_PERMISSION == set(policy_actions(self.policy))

    def summary(self, name):
        """What the tour did, for the test report (pytest -rA shows it)."""
        lines = [f"{name}: {len(self.seconds)} playbook runs, {sum(self.seconds):.0f} s: {self.seconds}"]
        lines += [f"  without {action}: {message}" for action, message in sorted(self.messages.items())]
        return "\n".join(lines)


# -- self-service: a developer on their own machine -------------------------------------------------------------

ME = "me"
DEV = "dev"


def self_service_inventory(tmp_path, home, profile, name):
    """The README's inventories: localhost as the only workstation, its account's home the controller's HOME."""
    host = {"ansible_connection": "local", "ansible_python_interpreter": PYTHON, "workstation_home": str(home),
            "workstation_profiles": [dict(profile, name=DEV, region="eu-west-1")]}
    if "iam_user" in profile:
        host.update(workstation_aws_profile=DEV, workstation_key_on_limit="delete_inactive")
    return workstations(tmp_path, {"localhost": host}, name=name)


@pytest.fixture
def self_service(tmp_path, home, ansible, aws, enforced, signed_calls):
    """User ``me`` with the self-service policy and a console key in a CSV; localhost inventories of both steps."""
    policy = load_policy("self-service")
    console = new_identity(enforced, aws, ME, policy)
    console_csv = tmp_path / "me_accessKeys.csv"
    console_csv.write_text(f"Access key ID,Secret access key\n{console['aws_access_key_id']},"
                           f"{console['aws_secret_access_key']}\n", encoding="utf-8")
    # No credentials in the environment: the controller's only identity is the profile the role manages.
    tour = Tour(ansible, aws, enforced, signed_calls, ME, policy, env={"AWS_ENDPOINT_URL": signed_calls.url})
    return types.SimpleNamespace(
        tour=tour, home=home, console_key=console["aws_access_key_id"],
        install=self_service_inventory(tmp_path, home, {"csv_file": str(console_csv)}, "install.yml"),
        manage=self_service_inventory(tmp_path, home, {"iam_user": ME}, "manage.yml"))


def test_self_service_rotation_verifies_the_new_key_and_retires_the_old_one_with_it(self_service):
    """The README's two steps: the role rotates the key the controller authorises with, checks the new key first
    and retires the old one with the new one."""
    tour, console_key = self_service.tour, self_service.console_key
    tour.run(SETUP, self_service.install)
    assert credentials(self_service.home, DEV).access_key == console_key

    tour.run(ROTATE, self_service.manage)

    new_key = credentials(self_service.home, DEV).access_key
    assert new_key != console_key
    assert key_states(tour.tester, ME) == {console_key: "Inactive", new_key: "Active"}
    calls = [(call["service"], call["action"], call["signed_by"], call.get("AccessKeyId"))
             for call in tour.proxy.calls()]
    verified = calls.index(("sts", "GetCallerIdentity", new_key, None))
    assert ("iam", "CreateAccessKey", console_key, None) in calls[:verified]
    assert set(signer for _service, _action, signer, _key in calls[:verified]) == {console_key}
    # The key run may still tag the new key with the old key; the retire run reads the profile again: from its
    # first call on, everything is signed with the new key, which deactivates the old one.
    assert set(action for _service, action, signer, _key in calls[verified:] if signer != new_key) <= {"TagUser"}
    retire_run = calls[max(index for index, call in enumerate(calls) if call[2] != new_key) + 1:]
    assert ("iam", "UpdateAccessKey", new_key, console_key) in retire_run
    assert caller_arn(tour.aws, self_service.home, DEV).endswith(f":user/{ME}")


@pytest.mark.slow
def test_self_service_policy_is_enough_for_setup_and_rotation_and_needs_every_action(self_service):
    tour, manage = self_service.tour, self_service.manage
    tour.run(SETUP, self_service.install)  # step 1: the console key, no AWS call at all
    tour.hold("localhost", self_service.home, DEV, ME)
    tour.run(SETUP, manage, deny=["iam:ListAccessKeys", "iam:ListUserTags"])  # keeps the young console key
    tour.run(ROTATE, manage, deny=["iam:CreateAccessKey", "iam:TagUser"])  # step 2
    assert key_states(tour.tester, ME)[self_service.console_key] == "Inactive"
    # The README's one manual step: delete the deactivated console key with one's own profile.
    mine = credentials(self_service.home, DEV)
    boto3.client("iam", endpoint_url=tour.aws.url, region_name="us-east-1", aws_access_key_id=mine.access_key,
                 aws_secret_access_key=mine.secret_key).delete_access_key(UserName=ME,
                                                                          AccessKeyId=self_service.console_key)
    tour.run(ROTATE, manage)
    # At the 2-key limit the rotation makes room by deleting the key the last rotation retired.
    tour.run(ROTATE, manage, deny=["iam:DeleteAccessKey", "iam:UntagUser"])
    # A retirement that failed leaves the replaced key Active; the next run checks its last use before retiring it.
    tour.deny("iam:UpdateAccessKey", ROTATE, manage)
    tour.run(SETUP, manage, deny=["iam:GetAccessKeyLastUsed"])

    tour.assert_every_action_used_and_denied()
    print(tour.summary("self-service tour"))


# -- the fleet admin ---------------------------------------------------------------------------------------------

ADMIN = "fleet-admin"
GROUP = "developers"


def created_user(name, policy_arn):
    """Host vars of a workstation whose profile creates its IAM user, in the group, with the policy."""
    return {"workstation_profiles": [{"name": "dev", "iam_user": name, "create_user": True, "groups": [GROUP],
                                      "managed_policies": [policy_arn]}]}


@pytest.fixture
def fleet_admin(ansible, aws, enforced, signed_calls):
    """The controller's identity ``fleet-admin`` with the fleet-admin policy; a group and a policy to hand out."""
    policy = load_policy("fleet-admin")
    admin = new_identity(enforced, aws, ADMIN, policy)
    enforced.create_group(GroupName=GROUP)
    allowed = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:ListAllMyBuckets",
                                                       "Resource": "*"}]}
    handed_out = enforced.create_policy(PolicyName="developer", PolicyDocument=json.dumps(allowed))["Policy"]["Arn"]
    for user in ("team", "dave"):
        enforced.create_user(UserName=user)
    env = {"AWS_ACCESS_KEY_ID": admin["aws_access_key_id"], "AWS_SECRET_ACCESS_KEY": admin["aws_secret_access_key"],
           "AWS_DEFAULT_REGION": "us-east-1", "AWS_ENDPOINT_URL": signed_calls.url}
    return types.SimpleNamespace(tour=Tour(ansible, aws, enforced, signed_calls, ADMIN, policy, env),
                                 handed_out=handed_out)


@pytest.mark.slow
def test_fleet_admin_policy_is_enough_for_every_playbook_and_needs_every_action(tmp_path, aws, fleet_admin):
    tour, handed_out = fleet_admin.tour, fleet_admin.handed_out
    hosts = {"ws1": created_user("alice", handed_out),
             "ws2": {"workstation_profiles": [{"name": "dev", "iam_user": "team"}]}}
    tour.run(SETUP, workstations(tmp_path, hosts))
    tour.hold("ws1", home_of(tmp_path, "ws1"), "dev", "alice")
    tour.hold("ws2", home_of(tmp_path, "ws2"), "dev", "team")
    # A new workstation whose profile creates its IAM user: a fresh user for each try.
    tries = sorted(CREATE_USER_ACTIONS) + ["iam:ListAccessKeys", "iam:ListUserTags", "iam:CreateAccessKey",
                                           "iam:TagUser"]
    for number, action in enumerate(tries):
        tour.deny(action, SETUP, workstations(tmp_path, dict(hosts, ws3=created_user(f"carol{number}", handed_out)),
                                              name=f"try{number}.yml"))
    inventory = workstations(tmp_path, hosts)
    tour.run(ROTATE, inventory)
    limit = {"workstation_key_on_limit": "delete_inactive"}  # make room by deleting the keys the last rotation retired
    tour.run(ROTATE, inventory, limit, deny=["iam:DeleteAccessKey", "iam:UntagUser"])
    # A retirement that failed leaves the replaced keys Active; the next run retires them once unused since.
    tour.deny("iam:UpdateAccessKey", ROTATE, inventory, limit)
    tour.run(SETUP, inventory, deny=["iam:GetAccessKeyLastUsed"])
    for user in ("alice", "team"):  # the keys the failed retirement left Active are retired now
        assert sorted(key_states(tour.tester, user).values()) == ["Active", "Inactive"]
    # audit_fix deactivates a key of ours that dave's workstation (which never ran setup-dev) does not hold.
    with aws.clock(datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=30)):
        orphan = tour.tester.create_access_key(UserName="dave")["AccessKey"]["AccessKeyId"]
    tour.tester.tag_user(UserName="dave", Tags=[{"Key": f"devkeys.aws:{orphan}:issuer", "Value": "devkeys"}])
    audited = workstations(tmp_path, dict(hosts, ws4={"workstation_profiles": [{"name": "dev", "iam_user": "dave"}]}),
                           name="audited.yml")
    reports = tmp_path / "reports"
    tour.run(AUDIT, audited, {"audit_fix": True, "audit_report_dir": str(reports)},
             deny=["iam:ListUsers", "iam:GetAccountSummary"])
    assert key_states(tour.tester, "dave") == {orphan: "Inactive"}
    del tour.holders["ws1"]
    tour.run(OFFBOARD, inventory, {"offboard_iam_user": "alice", "confirm": True, "offboard_delete": True,
                                   "offboard_recent_hours": 1})  # IAM's clock is 6 hours behind: last used then
    assert key_states(tour.tester, "alice") == {}
    assert not raw_sections(home_of(tmp_path, "ws1") / ".aws" / "credentials")
    tour.assert_working_keys("after offboarding alice")

    tour.assert_every_action_used_and_denied()
    print(tour.summary("fleet-admin tour"))
