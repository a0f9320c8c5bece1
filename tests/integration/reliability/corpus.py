"""The hostile corpus: malformed or adversarial ~/.aws files and aws_profile parameters.

``build(root)`` lays out one directory per case under ``root`` and returns the
cases. Every case with ``expect="error"`` must fail with a message naming the
file (and ``line`` where given) and leave every file byte-identical; an
``expect="ok"`` case is adversarial but legal and must produce a file botocore
reads with the wanted values.
"""

import os
from pathlib import Path

FAKE_KEY_ID = "FAKEKEYID0000EXAMPLE"
FAKE_SECRET = "fakeSecretCorpus0000EXAMPLEkeyMaterial00"
GOOD_CREDENTIALS = b"# team file\n[default]\naws_access_key_id = OTHERKEYID000EXAMPLE\naws_secret_access_key = other0000EXAMPLE\n"
GOOD_CONFIG = b"[default]\nregion = us-east-1\n\n[profile dev]\nregion = eu-west-1\ns3 =\n  addressing_style = path\n"


def _case(cid, args=None, credentials=GOOD_CREDENTIALS, config=GOOD_CONFIG, expect="error", line=None,
          names=None, layout=None, blame="credentials"):
    return {
        "id": cid,
        "args": dict({"name": "dev", "aws_access_key_id": FAKE_KEY_ID, "aws_secret_access_key": FAKE_SECRET,
                      "region": "eu-central-1"}, **(args or {})),
        "credentials": credentials,
        "config": config,
        "expect": expect,
        "line": line,
        "blame": blame,  # which file (or parameter) the error must name
        "names": names,  # extra strings the message must hold (a parameter name)
        "layout": layout,  # special file-system layout, see _lay_out
    }


def _file_cases():
    huge = b"x" * (10 * 1024 * 1024)
    return [
        _case("dup-section", credentials=b"[dev]\naws_access_key_id = A0000000000000000000\n[dev]\nx = 1\n", line=3),
        _case("dup-key", credentials=b"[dev]\naws_access_key_id = A0000000000000000000\naws_access_key_id = B0000000000000000000\n", line=3),
        _case("dup-key-case", config=b"[profile dev]\nregion = a\nREGION = b\n", line=3, blame="config"),
        _case("bom", credentials=b"\xef\xbb\xbf[default]\naws_access_key_id = X0000000000000000000\n", line=1),
        _case("invalid-utf8", credentials=b"[default]\nk = v\nname = caf\xe9\n", line=3),
        _case("binary-junk", credentials=bytes(range(256)) * 4),
        _case("invalid-utf8-cr-lines", credentials=b"[default]\rk = v\rname = caf\xe9\r", line=3),
        _case("nul-bytes", credentials=b"\x00\x00\x00\x00[default]\n", line=1),
        _case("ten-mb-single-line", credentials=huge, line=1),
        _case("ten-mb-value-line", config=b"[profile dev]\nregion = " + huge + b"\n[profile dev]\n", line=3,
              blame="config"),
        _case("key-before-header", credentials=b"aws_access_key_id = X0000000000000000000\n[dev]\n", line=1),
        _case("no-separator", credentials=b"[dev]\naws_access_key_id X0000000000000000000\n", line=2),
        _case("nested-without-equals", config=b"[profile dev]\ns3 =\n  addressing_style path\n", line=3,
              blame="config"),
        _case("misindented-key", config=b"[profile dev]\nregion = eu-west-1\n  output = json\n", line=3,
              blame="config"),
        _case("profile-quoted-twin", config=b'[profile dev]\nregion = a\n[profile "dev"]\nregion = b\n', line=3,
              blame="config"),
        _case("profile-double-space-twin", config=b"[profile dev]\nregion = a\n[profile  dev]\nregion = b\n",
              line=3, blame="config"),
        _case("default-and-profile-default", args={"name": "default"},
              config=b"[default]\nregion = a\n[profile default]\nregion = b\n", line=3, blame="config"),
        _case("unterminated-header", credentials=b"[dev\naws_access_key_id = X0000000000000000000\n", line=1),
        _case("cr-only-dup", credentials=b"[a]\rk = 1\r[b]\r[a]\r", line=4),
        _case("crlf-dup-key", config=b"[profile dev]\r\nregion = a\r\nregion = b\r\n", line=3, blame="config"),
        _case("empty-key", credentials=b"[dev]\n = value\n", line=2),
        _case("header-only-brackets", credentials=b"[]\nk = v\n", line=1),
        _case("symlink-loop", layout="symlink-loop"),
        _case("directory-not-file", layout="directory"),
        _case("aws-dir-is-file", layout="aws-dir-is-file"),
        _case("config-dir-is-file-link-loop", layout="config-loop", blame="config"),
    ]


def _param_cases():
    return [
        _case("name-newline-injection", args={"name": "dev\n[evil]"}, blame="name", names=["name"]),
        _case("name-brackets", args={"name": "dev]x[y"}, blame="name"),
        _case("name-hash", args={"name": "#dev"}, blame="name"),
        _case("name-space", args={"name": "dev evil"}, blame="name"),
        _case("name-DEFAULT", args={"name": "DEFAULT"}, blame="name"),
        _case("name-empty", args={"name": ""}, blame="name"),
        _case("region-newline", args={"region": "us-east-1\n[profile evil]\nregion = x"}, blame="region"),
        _case("region-inline-comment", args={"region": "us-east-1 # x"}, blame="region"),
        _case("region-semicolon", args={"region": "us ;x"}, blame="region"),
        _case("output-leading-space", args={"output": " json"}, blame="output"),
        _case("settings-bad-key", args={"settings": {"Bad-Key": "v"}}, blame="Bad-Key"),
        _case("settings-key-newline", args={"settings": {"k\n[x]": "v"}}, blame="key"),
        _case("settings-nested-newline", args={"settings": {"s3": {"addressing_style": "path\n[x]"}}},
              blame="s3"),
        _case("settings-secret-smuggled", args={"settings": {"aws_secret_access_key": FAKE_SECRET}},
              blame="aws_secret_access_key"),
        _case("settings-value-control", args={"settings": {"cli_pager": "less\x1b[31m"}}, blame="cli_pager"),
        _case("key-id-newline", args={"aws_access_key_id": "FAKEKEYID0000EXAMPLE\n[x]"}, blame="aws_access_key_id"),
        _case("key-id-short", args={"aws_access_key_id": "FAKE"}, blame="aws_access_key_id"),
        _case("secret-newline", args={"aws_secret_access_key": FAKE_SECRET + "\n[evil]"},
              blame="aws_secret_access_key"),
        _case("secret-space", args={"aws_secret_access_key": "fake secret"}, blame="aws_secret_access_key"),
        _case("temporary-key-without-token", args={"aws_access_key_id": "ASIAFAKE0000EXAMPLE1"},
              blame="aws_session_token"),
        _case("sso-session-with-keys", args={"kind": "sso-session"}, blame="credentials"),
    ]


def _ok_cases():
    return [
        _case("crlf-file", credentials=GOOD_CREDENTIALS.replace(b"\n", b"\r\n"), expect="ok"),
        _case("no-final-newline", credentials=GOOD_CREDENTIALS.rstrip(b"\n"), expect="ok"),
        _case("comments-look-like-sections", credentials=b"# [dev]\n; [dev]\n[default]\nk = v # [dev]\n",
              expect="ok"),
        _case("unicode-line-separator-in-value", config=b"[profile other]\nnote = a\xe2\x80\xa8b\n", expect="ok"),
        _case("indented-header-is-a-value", credentials=b"[default]\nnote = a\n  [dev]\n", expect="ok"),
        # without an owner, links are followed as the account running the module would follow them
        _case("dangling-link", layout="dangling-link", expect="ok"),
        _case("default-upper", config=b"[DEFAULT]\nregion = us-east-2\n[profile x]\noutput = json\n", expect="ok"),
    ]


def build(root):
    """Create the case directories under ``root``; return the cases with their file paths filled in."""
    cases = []
    for case in _file_cases() + _param_cases() + _ok_cases():
        home = Path(root) / case["id"]
        aws = home / ".aws"
        aws.mkdir(parents=True)
        case["credentials_file"] = str(aws / "credentials")
        case["config_file"] = str(aws / "config")
        if case["layout"]:
            _lay_out(case, home, aws)
        else:
            Path(case["credentials_file"]).write_bytes(case["credentials"])
            Path(case["config_file"]).write_bytes(case["config"])
        case["args"]["credentials_file"] = case["credentials_file"]
        case["args"]["config_file"] = case["config_file"]
        del case["credentials"], case["config"]
        cases.append(case)
    return cases


def _lay_out(case, home, aws):
    credentials, config = Path(case["credentials_file"]), Path(case["config_file"])
    config.write_bytes(GOOD_CONFIG)
    layout = case["layout"]
    if layout == "symlink-loop":
        credentials.symlink_to(aws / "loop-a")
        (aws / "loop-a").symlink_to(aws / "loop-b")
        (aws / "loop-b").symlink_to(credentials)
    elif layout == "directory":
        credentials.mkdir()
        (credentials / "keep").write_bytes(b"x")
    elif layout == "dangling-link":
        credentials.symlink_to(home / "nowhere" / "credentials")
    elif layout == "aws-dir-is-file":
        config.unlink()
        aws.rmdir()
        aws.write_bytes(b"not a directory\n")
        case["blame"] = str(aws)
    elif layout == "config-loop":
        credentials.write_bytes(GOOD_CREDENTIALS)
        config.unlink()
        config.symlink_to(config)


def build_fifo(root):
    """A FIFO where the credentials file should be (reading it would block): its own case, run with a timeout."""
    aws = Path(root) / "fifo" / ".aws"
    aws.mkdir(parents=True)
    os.mkfifo(aws / "credentials")
    (aws / "config").write_bytes(GOOD_CONFIG)
    case = _case("fifo", layout="fifo")
    case.update(credentials_file=str(aws / "credentials"), config_file=str(aws / "config"))
    case["args"].update(credentials_file=case["credentials_file"], config_file=case["config_file"])
    del case["credentials"], case["config"]
    return case


def snapshot(root):
    """Every path below ``root`` -> (kind, bytes or link target): to prove nothing moved."""
    state = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            if path.is_symlink():
                state[str(path)] = ("link", os.readlink(path))
            elif path.is_dir():
                state[str(path)] = ("dir", None)
            elif path.is_file():
                state[str(path)] = ("file", path.read_bytes())
            else:
                state[str(path)] = ("special", oct(path.lstat().st_mode))
    return state
