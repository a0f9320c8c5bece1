"""The fault-injecting proxy itself: counting, each fault kind, admin endpoints, seeding."""

import json
import socket
import time
import urllib.request

import boto3
import botocore.config
import botocore.exceptions
import pytest

from harness.aws_proxy import AwsProxy, Fault


def _client(service, url, attempts=1):
    return boto3.client(
        service, endpoint_url=url, region_name="us-east-1",
        aws_access_key_id="testing", aws_secret_access_key="testing",
        config=botocore.config.Config(retries={"mode": "legacy", "total_max_attempts": attempts}, connect_timeout=5, read_timeout=10),
    )


def test_counts_by_service_and_action_and_forwards(proxy, figures):
    iam, sts = _client("iam", proxy.url), _client("sts", proxy.url)
    iam.create_user(UserName="counted")
    iam.create_access_key(UserName="counted")
    iam.list_access_keys(UserName="counted")
    sts.get_caller_identity()
    figures.record(load="4 calls", faults="none", bad_inputs=0, lost="nothing", counts=proxy.counts())
    assert proxy.counts() == {
        "iam": {"CreateUser": 1, "CreateAccessKey": 1, "ListAccessKeys": 1},
        "sts": {"GetCallerIdentity": 1},
    }
    assert len(iam.list_access_keys(UserName="counted")["AccessKeyMetadata"]) == 1


def test_exact_call_faults_and_botocore_recognises_them(proxy):
    proxy.configure(faults=[
        Fault("throttle", action="CreateAccessKey", calls=[2]),
        Fault("service_failure", action="ListUsers"),
        Fault("unavailable", action="GetUser"),
    ])
    iam = _client("iam", proxy.url)
    iam.create_user(UserName="exact")
    iam.create_access_key(UserName="exact")
    with pytest.raises(botocore.exceptions.ClientError) as throttled:
        iam.create_access_key(UserName="exact")
    assert throttled.value.response["Error"]["Code"] == "Throttling"
    assert throttled.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(botocore.exceptions.ClientError) as failed:
        iam.list_users()
    assert (failed.value.response["Error"]["Code"], failed.value.response["ResponseMetadata"]["HTTPStatusCode"]) == (
        "ServiceFailure", 500)
    with pytest.raises(botocore.exceptions.ClientError) as unavailable:
        iam.get_user(UserName="exact")
    assert unavailable.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503
    assert proxy.injected() == {
        "throttle": {"iam:CreateAccessKey": 1},
        "service_failure": {"iam:ListUsers": 1},
        "unavailable": {"iam:GetUser": 1},
    }


def test_botocore_retries_throttling_to_success(proxy):
    """Throttling of every first attempt is absorbed by the client's own retries."""
    proxy.configure(faults=[Fault("throttle", action="CreateUser", calls=[1, 2])])
    _client("iam", proxy.url, attempts=5).create_user(UserName="retried")
    assert proxy.count("iam", "CreateUser") == 3
    assert [entry[2] for entry in proxy.log()] == ["throttle", "throttle", "forwarded"]


def test_drop_and_drop_response(proxy, aws):
    iam = _client("iam", proxy.url)
    proxy.configure(faults=[Fault("drop", action="CreateUser"), Fault("drop_response", action="CreateGroup")])
    with pytest.raises((botocore.exceptions.ConnectionClosedError, botocore.exceptions.EndpointConnectionError,
                        botocore.exceptions.HTTPClientError)):
        iam.create_user(UserName="never")
    with pytest.raises((botocore.exceptions.ConnectionClosedError, botocore.exceptions.EndpointConnectionError,
                        botocore.exceptions.HTTPClientError)):
        iam.create_group(GroupName="happened")
    direct = _client("iam", aws.url)
    assert direct.list_users()["Users"] == []
    assert [g["GroupName"] for g in direct.list_groups()["Groups"]] == ["happened"]


def test_latency_rate_is_seeded_and_admin_endpoints(aws):
    def run(seed):
        with AwsProxy(aws.url, seed=seed, faults=[Fault("throttle", service="sts", rate=0.5)]) as proxy:
            sts = _client("sts", proxy.url)
            outcomes = []
            for _attempt in range(12):
                try:
                    sts.get_caller_identity()
                    outcomes.append(True)
                except botocore.exceptions.ClientError:
                    outcomes.append(False)
            return outcomes

    first, again, other = run(1), run(1), run(2)
    assert first == again
    assert first != other
    assert 2 <= first.count(False) <= 10

    with AwsProxy(aws.url) as proxy:
        body = json.dumps({"faults": [{"kind": "latency", "delay": 0.3, "service": "sts"}], "seed": 5}).encode()
        request = urllib.request.Request(proxy.url + "/_proxy/config", data=body, method="POST")
        with urllib.request.urlopen(request, timeout=5) as response:
            assert json.load(response)["faults"][0]["kind"] == "latency"
        started = time.monotonic()
        _client("sts", proxy.url).get_caller_identity()
        assert time.monotonic() - started >= 0.3
        with urllib.request.urlopen(proxy.url + "/_proxy/counts", timeout=5) as response:
            assert json.load(response) == {"counts": {"sts": {"GetCallerIdentity": 1}},
                                           "injected": {"latency": {"sts:GetCallerIdentity": 1}}}
        urllib.request.urlopen(urllib.request.Request(proxy.url + "/_proxy/reset", data=b"", method="POST"), timeout=5)
        assert proxy.counts() == {}


def test_proxy_is_loopback_only(aws):
    with pytest.raises(ValueError):
        AwsProxy("http://192.0.2.10:5000")
    with AwsProxy(aws.url) as proxy:
        host = proxy.url.split("//", 1)[1].split(":", 1)[0]
        assert host == "127.0.0.1"
        with socket.create_connection(("127.0.0.1", int(proxy.url.rsplit(":", 1)[1])), timeout=2):
            pass
