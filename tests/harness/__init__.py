"""Test harness of devkeys.aws: a real moto_server, real ansible-playbook runs."""
