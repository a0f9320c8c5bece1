"""Table-driven tests of the devkeys.aws.access_key_csv lookup."""

import pytest
from ansible.errors import AnsibleLookupError
from ansible.parsing.dataloader import DataLoader

from ansible_collections.devkeys.aws.plugins.lookup.access_key_csv import (
    CsvFormatError,
    LookupModule,
    parse_access_key_csv,
)

KEY_ID = "AKIAIOSFODNN7EXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
KEY_ID_2 = "AKIAI44QH8DHBEXAMPLE"
SECRET_2 = "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY"
KEY = {"aws_access_key_id": KEY_ID, "aws_secret_access_key": SECRET}
KEY_2 = {"aws_access_key_id": KEY_ID_2, "aws_secret_access_key": SECRET_2}
CURRENT = f"Access key ID,Secret access key\n{KEY_ID},{SECRET}\n"
OLD = (
    "User name,Password,Access key ID,Secret access key,Console login link\n"
    f"alice,,{KEY_ID},{SECRET},https://123456789012.signin.aws.amazon.com/console\n"
)

GOOD = [
    ("current format", CURRENT, [KEY]),
    ("old credentials.csv", OLD, [dict(KEY, user_name="alice")]),
    ("BOM and CRLF", "\ufeff" + CURRENT.replace("\n", "\r\n"), [KEY]),
    ("no trailing newline", CURRENT.rstrip("\n"), [KEY]),
    ("quoted fields", f'"Access key ID","Secret access key"\n"{KEY_ID}","{SECRET}"\n', [KEY]),
    ("quoted field with a comma", f'User name,Access key ID,Secret access key\n"Doe, Jane",{KEY_ID},{SECRET}\n',
     [dict(KEY, user_name="Doe, Jane")]),
    ("header case and order", f"SECRET ACCESS KEY, access key id \n{SECRET},{KEY_ID}\n", [KEY]),
    ("extra rows and blank lines", CURRENT + "\n" + f"{KEY_ID_2},{SECRET_2}\n\n", [KEY, KEY_2]),
    ("old format, empty user name", OLD.replace("alice", ""), [KEY]),
    ("unknown columns ignored", f"Access key ID,Status,Secret access key\n{KEY_ID},Active,{SECRET}\n", [KEY]),
]

BAD = [
    ("empty file", "", None, "the file is empty"),
    ("only blank lines", "\r\n\n", None, "the file is empty"),
    ("header only", "Access key ID,Secret access key\r\n", None, "no access key row"),
    ("missing secret column", f"Access key ID\n{KEY_ID}\n", 1, "no column 'Secret access key'"),
    ("missing both columns", "User name,Password\nalice,x\n", 1, "'Access key id' or 'Secret access key'"),
    ("aws configure import headers only", f"User Name,Access Key\nalice,{KEY_ID}\n", 1, "no column"),
    ("duplicate column", f"Access key ID,Access key ID,Secret access key\n{KEY_ID},{KEY_ID},{SECRET}\n", 1,
     "appears twice"),
    ("short row", f"Access key ID,Secret access key\n{KEY_ID}\n", 2, "1 field(s)"),
    ("bad id format", f"Access key ID,Secret access key\nAKIA-EXAMPLE!,{SECRET}\n", 2, "access key ID is not"),
    ("id too short", f"Access key ID,Secret access key\nAKIAEXAMPLE,{SECRET}\n", 2, "access key ID is not"),
    ("columns swapped", f"Access key ID,Secret access key\n{SECRET},{KEY_ID}\n", 2, "access key ID is not"),
    ("empty secret", f"Access key ID,Secret access key\n{KEY_ID},\n", 2, "secret access key is empty"),
    ("secret with a space", f"Access key ID,Secret access key\n{KEY_ID},wJalrXUtnFEMI K7MDENG\n", 2, "whitespace"),
    ("bad row after a good one", CURRENT + f"{KEY_ID_2},\n", 3, "secret access key is empty"),
    ("unterminated quote", f'Access key ID,Secret access key\n{KEY_ID},"{SECRET}\n', 2, "malformed CSV"),
]


@pytest.mark.parametrize("text, expected", [case[1:] for case in GOOD], ids=[case[0] for case in GOOD])
def test_parse(text, expected):
    assert parse_access_key_csv(text.encode("utf-8")) == expected


@pytest.mark.parametrize("text, line, cause", [case[1:] for case in BAD], ids=[case[0] for case in BAD])
def test_parse_refuses(text, line, cause):
    with pytest.raises(CsvFormatError) as raised:
        parse_access_key_csv(text.encode("utf-8"))
    assert raised.value.line == line
    assert cause in raised.value.cause
    assert SECRET not in str(raised.value) and SECRET_2 not in str(raised.value)


def test_parse_refuses_non_utf8():
    with pytest.raises(CsvFormatError, match="not UTF-8 text"):
        parse_access_key_csv(CURRENT.encode("utf-8") + b"\xff\n")


def _run(tmp_path, *files):
    paths = []
    for index, content in enumerate(files):
        path = tmp_path / f"keys{index}.csv"
        path.write_bytes(content.encode("utf-8"))
        paths.append(str(path))
    return LookupModule(loader=DataLoader()).run(paths, variables={}), paths


def test_lookup_reads_files_in_order(tmp_path):
    keys = _run(tmp_path, CURRENT, f"Access key ID,Secret access key\n{KEY_ID_2},{SECRET_2}\n")[0]
    assert keys == [KEY, KEY_2]


def test_lookup_error_names_file_and_line_not_secret(tmp_path):
    with pytest.raises(AnsibleLookupError) as raised:
        _run(tmp_path, CURRENT, f"Access key ID,Secret access key\n{SECRET},{KEY_ID}\n")
    message = str(raised.value)
    assert f"Failed to read access keys from {tmp_path / 'keys1.csv'}, line 2: the access key ID is not" in message
    assert SECRET not in message


def test_lookup_missing_file(tmp_path):
    with pytest.raises(AnsibleLookupError, match="Failed to read access keys from .*absent.csv: file not found"):
        LookupModule(loader=DataLoader()).run([str(tmp_path / "absent.csv")], variables={})
