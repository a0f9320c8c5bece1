"""The devkeys.aws.access_key_csv lookup through a real ansible-playbook run."""

KEY_ID = "AKIAIOSFODNN7EXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
CONSOLE_CSV = f"\ufeffAccess key ID,Secret access key\r\n{KEY_ID},{SECRET}\r\n"


def _play(tasks):
    return [{"name": "access_key_csv", "hosts": "localhost", "gather_facts": False, "tasks": tasks}]


def test_lookup_reads_console_csv_and_no_log_hides_secret(ansible, tmp_path):
    csv_path = tmp_path / "alice_accessKeys.csv"
    csv_path.write_text(CONSOLE_CSV, encoding="utf-8", newline="")
    secret_copy = tmp_path / "secret-used.txt"
    run = ansible.playbook(
        _play(
            [
                {
                    "name": "key ids",
                    "ansible.builtin.debug": {
                        "msg": "{{ query('devkeys.aws.access_key_csv', csv) | map(attribute='aws_access_key_id') }}"
                    },
                },
                {
                    "name": "use the secret",
                    "ansible.builtin.copy": {
                        "content": "{{ lookup('devkeys.aws.access_key_csv', csv).aws_secret_access_key }}",
                        "dest": str(secret_copy),
                        "mode": "0600",
                    },
                    "no_log": True,
                },
            ]
        ),
        extra_vars={"csv": str(csv_path)},
        args=["-vvvv"],
    ).assert_ok()
    assert run.result("key ids")["msg"] == [KEY_ID]
    assert secret_copy.read_text(encoding="utf-8") == SECRET
    assert run.result("use the secret")["censored"].startswith("the output has been hidden")
    assert run.recap["localhost"]["changed"] == 1
    assert SECRET not in run.output


def test_lookup_failure_names_file_and_line_without_secret(ansible, tmp_path):
    csv_path = tmp_path / "swapped.csv"
    csv_path.write_text(f"Access key ID,Secret access key\n{SECRET},{KEY_ID}\n", encoding="utf-8")
    run = ansible.playbook(
        _play([{"name": "read", "ansible.builtin.debug": {"msg": "{{ query('devkeys.aws.access_key_csv', csv) }}"}}]),
        extra_vars={"csv": str(csv_path)},
    )
    assert run.rc == 2
    assert f"Failed to read access keys from {csv_path}, line 2: the access key ID is not" in run.output
    assert SECRET not in run.output
