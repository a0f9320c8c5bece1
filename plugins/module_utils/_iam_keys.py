# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""IAM calls of the devkeys.aws access key modules: read a user's keys, execute a KeyPlan.

Every call goes through a client made with ``AWSRetry.jittered_backoff`` (IAM's 500 included) and is
made with ``aws_retry=True`` (lists through ``paginated_query_with_retries``).
Errors come out as ``AnsibleAWSError`` with one message: "Failed to <verb> <what>: <cause>".
A key created in this run is deleted again when anything after its creation
fails, so a failed run never leaves an orphan key behind.
"""

import datetime
import threading
import time
from concurrent.futures import ThreadPoolExecutor

try:
    import boto3
    import botocore
except ImportError:
    pass  # AnsibleAWSModule reports the missing library.

from ansible_collections.amazon.aws.plugins.module_utils.arn import parse_aws_arn
from ansible_collections.amazon.aws.plugins.module_utils.botocore import get_aws_connection_info
from ansible_collections.amazon.aws.plugins.module_utils.botocore import paginated_query_with_retries
from ansible_collections.amazon.aws.plugins.module_utils.cloud import BackoffIterator
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.devkeys.aws.plugins.module_utils import _key_plan
from ansible_collections.devkeys.aws.plugins.module_utils import _key_tags

_CAUSES = {
    "AccessDenied": "access denied",
    "AccessDeniedException": "access denied",
    "LimitExceeded": "the user already has the maximum number of keys",
    "Throttling": "throttled by AWS, retries exhausted",
    "RequestLimitExceeded": "throttled by AWS, retries exhausted",
}


def now_utc():
    return datetime.datetime.now(datetime.timezone.utc)


# IAM's HTTP 500 error code. botocore retries it too, but from a retry quota per
# client that one batch run (one client for many users) can use up under heavy throttling.
RETRIED_IAM_ERRORS = ["ServiceFailure"]


def iam_retry():
    return AWSRetry.jittered_backoff(catch_extra_error_codes=RETRIED_IAM_ERRORS)


def iam_client(module):
    return module.client("iam", retry_decorator=iam_retry())


def describe_error(error, missing="it does not exist"):
    """A short cause for an AWS error: what it means, then AWS's code and message."""
    if isinstance(error, botocore.exceptions.ClientError):
        code = error.response.get("Error", {}).get("Code", "")
        text = error.response.get("Error", {}).get("Message", "")
        meaning = missing if code == "NoSuchEntity" else _CAUSES.get(code)
        detail = "%s: %s" % (code, text) if text else code
        return "%s (%s)" % (meaning, detail) if meaning else detail
    return str(error)


class NoSuchUser(AnsibleAWSError):
    """The IAM user does not exist (NoSuchEntity)."""


def _failure(what, error, missing="it does not exist"):
    return AnsibleAWSError(message="Failed to %s: %s" % (what, describe_error(error, missing)))


def _user_failure(what, error):
    """The error of a call on a user: NoSuchUser when the user does not exist."""
    failure = _failure(what, error, "the user does not exist")
    code = error.response.get("Error", {}).get("Code") if isinstance(error, botocore.exceptions.ClientError) else None
    if code == "NoSuchEntity":
        return NoSuchUser(message=failure.message)
    return failure


def _iso(moment):
    return moment.isoformat() if isinstance(moment, datetime.datetime) else moment


def key_view(key, now, with_tags):
    """A key as the modules return it; with ``with_tags`` its description and devkeys.aws tags too."""
    view = {
        "access_key_id": key["access_key_id"],
        "status": key["status"],
        "create_date": key["create_date"].isoformat(),
        "age_days": _key_plan.age_days(key, now),
    }
    if with_tags:
        view["description"] = key.get("description")
        view["issuer"] = key.get("issuer")
        view["holders"] = key.get("holders")
        view["retired_date"] = _iso(key.get("retired_date"))
    return view


def account_summary(client):
    """The account's IAM usage and quotas (iam:GetAccountSummary's SummaryMap)."""
    try:
        return client.get_account_summary(aws_retry=True)["SummaryMap"]
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        raise _failure("get the IAM account summary", e)


def user_arn_name(arn):
    """The user name at the end of an IAM user ARN (None for anything else)."""
    parsed = parse_aws_arn(arn or "") or {}
    resource = parsed.get("resource") or ""
    if parsed.get("service") != "iam" or not resource.startswith("user/"):
        return None
    return resource.rsplit("/", 1)[-1]


class UserKeys:
    """The access keys of one IAM user, read and changed through ``client``."""

    def __init__(self, client, user_name):
        self.client = client
        self.user_name = user_name
        self.user_label = "IAM user '%s'" % user_name

    def list_keys(self):
        try:
            result = paginated_query_with_retries(self.client, "list_access_keys", iam_retry(), UserName=self.user_name)
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
            raise _user_failure("list the access keys of " + self.user_label, e)
        return [
            dict(
                _key_tags.key_fields({}, item["AccessKeyId"]),
                access_key_id=item["AccessKeyId"],
                status=item["Status"],
                create_date=item["CreateDate"],
            )
            for item in result.get("AccessKeyMetadata", [])
        ]

    def read_tags(self, keys):
        """Fill each key's description, issuer, holders and retired_date from the user's tags (one ListUserTags)."""
        try:
            result = paginated_query_with_retries(self.client, "list_user_tags", iam_retry(), UserName=self.user_name)
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
            raise _user_failure("list the tags of " + self.user_label, e)
        tags = dict((tag["Key"], tag["Value"]) for tag in result.get("Tags", []))
        for key in keys:
            key.update(_key_tags.key_fields(tags, key["access_key_id"]))
        return keys

    def last_used(self, access_key_id):
        try:
            result = self.client.get_access_key_last_used(aws_retry=True, AccessKeyId=access_key_id)
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
            raise _failure("get the last use of access key %s of %s" % (access_key_id, self.user_label), e)
        used = result.get("AccessKeyLastUsed", {})
        date = used.get("LastUsedDate")
        return {
            "last_used_date": date.isoformat() if date else None,
            "last_used_service": _not_applicable(used.get("ServiceName")),
            "last_used_region": _not_applicable(used.get("Region")),
        }

    def create(self):
        try:
            result = self.client.create_access_key(aws_retry=True, UserName=self.user_name)
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
            raise _user_failure("create an access key for " + self.user_label, e)
        key = result["AccessKey"]
        return dict(
            _key_tags.key_fields({}, key["AccessKeyId"]),
            access_key_id=key["AccessKeyId"],
            secret_access_key=key["SecretAccessKey"],
            status=key["Status"],
            create_date=key["CreateDate"],
        )

    def delete(self, access_key_id):
        try:
            self.client.delete_access_key(aws_retry=True, UserName=self.user_name, AccessKeyId=access_key_id)
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
            raise _failure("delete access key %s of %s" % (access_key_id, self.user_label), e)

    def set_status(self, access_key_id, status):
        try:
            self.client.update_access_key(
                aws_retry=True, UserName=self.user_name, AccessKeyId=access_key_id, Status=status
            )
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
            raise _failure("set access key %s of %s %s" % (access_key_id, self.user_label, status), e)

    def tag(self, access_key_id, tags):
        """Set the tags ``{field: value}`` (fields of _key_tags.TAG_FIELDS) of key ``access_key_id``: one TagUser."""
        tag_list = [{"Key": _key_tags.tag_key(access_key_id, field), "Value": value} for field, value in tags.items()]
        try:
            self.client.tag_user(aws_retry=True, UserName=self.user_name, Tags=tag_list)
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
            raise _failure("tag access key %s of %s (%s)" % (access_key_id, self.user_label, ", ".join(tags)), e)

    def untag(self, access_key_id, fields):
        """Remove the tags ``fields`` of key ``access_key_id``: one UntagUser."""
        try:
            self.client.untag_user(
                aws_retry=True,
                UserName=self.user_name,
                TagKeys=[_key_tags.tag_key(access_key_id, field) for field in fields],
            )
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
            raise _failure(
                "remove the tags of access key %s from %s (%s)" % (access_key_id, self.user_label, ", ".join(fields)), e
            )


def _not_applicable(value):
    return None if value in (None, "N/A") else value


def verify_key(sts_client, user_name, timeout, clock=time.monotonic, sleep=time.sleep):
    """Call GetCallerIdentity with the new key until it works (or ``timeout`` seconds pass); return the ARN.

    A new key can take seconds to be accepted everywhere, so errors are retried
    with a jittered backoff; an answer for another identity is final.
    """
    deadline = clock() + timeout
    delays = iter(BackoffIterator(delay=1, backoff=2, max_delay=8, jitter=True))
    cause = None
    while True:
        try:
            arn = sts_client.get_caller_identity()["Arn"]
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
            cause = describe_error(e)
        else:
            if user_arn_name(arn) == user_name:
                return arn
            raise AnsibleAWSError(
                message="GetCallerIdentity with the new key answered for %s, not for IAM user '%s'" % (arn, user_name)
            )
        remaining = deadline - clock()
        if remaining <= 0:
            raise AnsibleAWSError(
                message="the new key was not accepted by GetCallerIdentity within %s seconds: %s" % (timeout, cause)
            )
        sleep(min(next(delays), remaining))


class KeyStsClients:
    """STS clients that use a new key, on the module's AWS connection (region, endpoint, CA bundle, aws_config).

    ``AnsibleAWSModule.client()`` starts a new boto3 session for every client
    (about 50 ms); a batch verifies many new keys, so their clients come from
    one session, made one at a time (a session is not thread-safe; a client is).
    """

    def __init__(self, module):
        self.region, self.endpoint_url, params = get_aws_connection_info(module)
        self.profile = params.get("profile_name")
        self.verify_tls = params.get("verify")
        # verify_key does the retrying; one attempt per call and short timeouts keep it within verify_timeout.
        self.config = botocore.config.Config(retries={"total_max_attempts": 1}, connect_timeout=5, read_timeout=10)
        if params.get("aws_config") is not None:
            self.config = params["aws_config"].merge(self.config)
        self.session = None  # made on first use: a run that creates no key needs none
        self.lock = threading.Lock()

    def client(self, key):
        with self.lock:
            if self.session is None:
                self.session = boto3.session.Session(profile_name=self.profile)
            return self.session.client(
                "sts",
                region_name=self.region,
                endpoint_url=self.endpoint_url,
                verify=self.verify_tls,
                config=self.config,
                aws_access_key_id=key["access_key_id"],
                aws_secret_access_key=key["secret_access_key"],
                aws_session_token=None,
            )


def _calls(actions):
    """The plan's writes as IAM calls: consecutive tag (or untag) actions of one key go in one call."""
    calls = []
    for action in actions:
        last = calls[-1][0] if calls else None
        merge = action.kind in (_key_plan.TAG, _key_plan.UNTAG) and last is not None
        if merge and last.kind == action.kind and last.access_key_id == action.access_key_id:
            calls[-1].append(action)
        else:
            calls.append([action])
    return calls


class _PlanRun:
    """Carries out a plan's calls; remembers the key it created and the tags it wrote on it (for a rollback)."""

    def __init__(self, user_keys, verifier):
        self.user_keys = user_keys
        self.verifier = verifier
        self.new_key = None
        self.new_key_tags = []
        self.user_arn = None

    def call(self, actions):
        first = actions[0]
        key_id = first.access_key_id or (self.new_key and self.new_key["access_key_id"])
        if first.kind == _key_plan.CREATE:
            self.new_key = self.user_keys.create()
            if self.verifier is not None:
                self.user_arn = self.verifier(self.new_key)
        elif first.kind == _key_plan.DELETE:
            self.user_keys.delete(key_id)
        elif first.kind == _key_plan.SET_STATUS:
            self.user_keys.set_status(key_id, first.value)
        elif first.kind == _key_plan.TAG:
            tags = dict((action.tag, action.value) for action in actions)
            self.user_keys.tag(key_id, tags)
            if first.access_key_id is _key_plan.NEW_KEY:
                self.new_key_tags.extend(tags)
        elif first.kind == _key_plan.UNTAG:
            self.user_keys.untag(key_id, [action.tag for action in actions])


def execute_plan(user_keys, plan, verifier=None):
    """Make the plan's IAM calls in order; return (new key or None, user ARN or None).

    ``verifier(new_key)`` checks a created key and returns its user's ARN. If
    anything fails after the key was created, the key (and the tags written for
    it) is deleted before the error is raised.
    """
    run = _PlanRun(user_keys, verifier)
    try:
        for actions in _calls(plan.actions):
            run.call(actions)
    except Exception as error:  # pylint: disable=broad-except
        # Whatever went wrong after CreateAccessKey, the new key must not outlive this run.
        if run.new_key is None:
            raise
        raise _rolled_back(user_keys, run.new_key["access_key_id"], run.new_key_tags, error)
    return run.new_key, run.user_arn


def _rolled_back(user_keys, access_key_id, written_tags, error):
    """Delete the key this run created (and its tags) after ``error``; the error to raise says what happened."""
    message = error.message if isinstance(error, AnsibleAWSError) else str(error)
    if not message.startswith("Failed to "):
        message = "Failed to verify new access key %s of %s: %s" % (access_key_id, user_keys.user_label, message)
    try:
        user_keys.delete(access_key_id)
    except AnsibleAWSError as cleanup:
        return AnsibleAWSError(message="%s; then %s: delete it by hand" % (message, _lower_first(cleanup.message)))
    message = "%s; the new key %s was deleted again" % (message, access_key_id)
    if written_tags:
        try:
            user_keys.untag(access_key_id, written_tags)
        except AnsibleAWSError as cleanup:
            message = "%s, then %s: remove them by hand" % (message, _lower_first(cleanup.message))
    return AnsibleAWSError(message=message)


def _lower_first(text):
    return text[0].lower() + text[1:]


class RunOptions:
    """How a request runs: ``check_mode`` (plan only), ``verifier`` of a new key (None: no verification)."""

    def __init__(self, check_mode=False, verifier=None):
        self.check_mode = check_mode
        self.verifier = verifier


def read_and_plan(user_keys, held_key_id, policy, now):
    """Read what the plan needs and plan; return (keys, plan, whether the tags count: read, or none to read).

    ListAccessKeys always; GetAccessKeyLastUsed of the named key for
    keep_if_used_after; ListUserTags only when the user has keys and the plan
    depends on tags (description, issuer, holders), deletes a key (its tags go
    with it) or fails (the message names each key's tags).
    """
    keys = user_keys.list_keys()
    if policy.reads_last_use():
        for key in keys:
            if key["access_key_id"] == policy.access_key_id:
                key.update(user_keys.last_used(key["access_key_id"]))
    plan = _key_plan.plan_keys(keys, held_key_id, policy, now)
    with_tags = policy.reads_tags() or bool(plan.deleted_access_key_ids) or plan.failure is not None
    if with_tags and keys:
        user_keys.read_tags(keys)
        plan = _key_plan.plan_keys(keys, held_key_id, policy, now)
    return keys, plan, with_tags


def converge(user_keys, held_key_id, policy, now, run=None):
    """Read the user's keys, plan, and (unless check mode) execute; return the module result.

    A plan that cannot be carried out raises AnsibleAWSError with the user's
    keys in ``kwargs``.
    """
    run = run or RunOptions()
    keys, plan, with_tags = read_and_plan(user_keys, held_key_id, policy, now)
    before = [key_view(key, now, with_tags) for key in keys]
    if plan.failure:
        raise AnsibleAWSError(
            message="Failed to converge the access keys of %s: %s" % (user_keys.user_label, plan.failure),
            access_keys=before,
        )
    if run.check_mode:
        new_key, user_arn = None, None
        new_key_stand_in = {"access_key_id": None, "status": _key_plan.ACTIVE, "create_date": now}
        after_keys = _key_plan.resulting_keys(keys, plan, new_key_stand_in)
    else:
        new_key, user_arn = execute_plan(user_keys, plan, run.verifier)
        after_keys = _key_plan.resulting_keys(keys, plan, new_key)
    after = [key_view(key, now, with_tags) for key in after_keys]
    return converge_result(user_keys.user_name, plan, (before, after), new_key, user_arn)


def converge_result(user_name, plan, views, new_key, user_arn):
    """The module result of a carried-out (or, without ``new_key``, predicted) plan; ``views`` = (before, after)."""
    before, after = views
    result = dict(
        changed=plan.changed,
        created=plan.created,
        replaced_access_key_id=plan.replaced_access_key_id,
        deleted_access_key_ids=plan.deleted_access_key_ids,
        kept_in_use=plan.kept_in_use,
        plan=[action.as_dict() for action in plan.steps()],
        access_keys=after,
        diff=dict(before=dict(access_keys=before), after=dict(access_keys=after)),
    )
    if plan.deleted_access_key_ids:
        result["deleted_access_key_id"] = plan.deleted_access_key_ids[0]
    access_key_id = new_key["access_key_id"] if new_key else plan.access_key_id
    for view in after:
        if access_key_id and view["access_key_id"] == access_key_id:
            result["access_key_id"] = access_key_id
            result["access_key"] = dict(
                access_key_id=access_key_id, create_date=view["create_date"], user_name=user_name, status=view["status"]
            )
    if new_key:
        result["secret_access_key"] = new_key["secret_access_key"]
    if user_arn:
        result["user_arn"] = user_arn
    return result


def run_by_user(requests, handle, concurrency):
    """``[handle(request) for request in requests]``, users concurrently, each user's requests in order.

    Requests of one IAM user depend on each other (a deactivation makes room for
    a new key), so they run one after the other in one thread; different users
    run in up to ``concurrency`` threads. Results come back in request order.
    """
    by_user = {}
    for index, request in enumerate(requests):
        by_user.setdefault(request["user_name"], []).append(index)
    results = [None] * len(requests)

    def handle_user(indexes):
        for index in indexes:
            results[index] = handle(requests[index])

    if concurrency == 1 or len(by_user) == 1:
        for indexes in by_user.values():
            handle_user(indexes)
        return results
    with ThreadPoolExecutor(max_workers=min(concurrency, len(by_user))) as pool:
        for done in [pool.submit(handle_user, indexes) for indexes in by_user.values()]:
            done.result()
    return results


def batch_diff(results):
    """One diff for a batch: each user's keys before its first request and after its last."""
    before, after = {}, {}
    for result in results:
        if "diff" in result:
            before.setdefault(result["user_name"], result["diff"]["before"]["access_keys"])
            after[result["user_name"]] = result.pop("diff")["after"]["access_keys"]
    return dict(before=dict(access_keys=before), after=dict(access_keys=after))
