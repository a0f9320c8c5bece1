# -*- coding: utf-8 -*-
# Copyright: devkeys.aws contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The access key pair one profile holds, as botocore resolves it (pure, stdlib only; used by aws_profile_key)."""

from ansible_collections.devkeys.aws.plugins.module_utils._aws_files import AwsFileError, config_target, read_sections


def profile_key_pair(credentials_text, config_text, name, credentials_path="credentials", config_path="config"):
    """``{aws_access_key_id, aws_secret_access_key, aws_session_token}`` of profile ``name``.

    A key in the credentials file wins over the config file's, and the later of
    two config sections naming the profile wins, as in botocore. Raises
    AwsFileError when the profile holds no complete key pair.
    """
    settings = {}
    for raw, values in read_sections(config_text or "", config_path).items():
        if config_target(raw) == ("profile", name):
            settings = dict(values)
    settings.update(read_sections(credentials_text or "", credentials_path).get(name, {}))
    key_id, secret = settings.get("aws_access_key_id"), settings.get("aws_secret_access_key")
    if not (isinstance(key_id, str) and key_id and isinstance(secret, str) and secret):
        raise AwsFileError(credentials_path, 0, "profile %s holds no access key pair" % name, verb="read the key of")
    token = settings.get("aws_session_token") or settings.get("aws_security_token")
    return {"aws_access_key_id": key_id, "aws_secret_access_key": secret,
            "aws_session_token": token if isinstance(token, str) and token else None}
