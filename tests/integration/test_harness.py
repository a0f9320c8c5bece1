"""The harness itself: a real moto_server and real ansible-playbook runs."""

import urllib.request


def test_moto_server_is_reset_between_tests(aws, iam):
    iam.create_user(UserName="harness-a")
    assert [u["UserName"] for u in iam.list_users()["Users"]] == ["harness-a"]
    aws.reset()
    assert iam.list_users()["Users"] == []


def test_moto_server_listens_on_loopback_only(aws):
    assert aws.url.startswith("http://127.0.0.1:")
    with urllib.request.urlopen(aws.url + "/moto-api/", timeout=5) as response:
        assert response.status == 200


def test_playbook_run_reports_recap_and_results(ansible, home):
    run = ansible.task("ansible.builtin.command", {"cmd": "echo $HOME"}, publish=True)
    run.assert_ok()
    assert run.recap["localhost"]["changed"] == 1
    assert run.recap["localhost"]["failures"] == 0
    assert run.published()["result"]["stdout"] == str(home)


def test_playbook_sees_the_working_tree_collection(ansible):
    run = ansible.playbook(
        [{"hosts": "localhost", "gather_facts": False,
          "tasks": [{"ansible.builtin.debug": {"msg": "{{ lookup('ansible.builtin.env', 'ANSIBLE_COLLECTIONS_PATH') }}"}}]}]
    ).assert_ok()
    path = run.result()["msg"]
    assert "devkeys-collections-" in path
