# Copyright: devkeys.aws contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
name: access_key_csv
author: devkeys.aws maintainers (@devkeys)
version_added: 0.1.0
short_description: Read access keys from the CSV file the AWS console offers
description:
  - Reads one or more access key CSV files as downloaded from the AWS IAM console and returns one
    dictionary per key row.
  - Understands the current console file (columns C(Access key ID), C(Secret access key)) and the
    older C(credentials.csv) (columns C(User name), C(Password), C(Access key ID),
    C(Secret access key), C(Console login link)). Column names are matched case-insensitively and
    in any order; other columns are ignored.
  - A UTF-8 byte order mark, CRLF line endings, quoted fields and blank lines are accepted.
  - A file that cannot be used fails the lookup with an error naming the file and line. Errors
    never contain a value from the file.
  - The result holds the secret access key. Use it only in tasks that set C(no_log) and do
    not register or print it.
options:
  _terms:
    description:
      - Paths of the CSV files. Relative paths are searched like the P(ansible.builtin.file#lookup)
        lookup does, in the C(files) directories of the role and playbook.
    type: list
    elements: path
    required: true
notes:
  - The lookup runs on the controller and reads files there.
seealso:
  - module: devkeys.aws.aws_profile
"""

EXAMPLES = r"""
- name: Store the key downloaded from the console in the developer's default profile
  devkeys.aws.aws_profile:
    name: default
    aws_access_key_id: "{{ downloaded.aws_access_key_id }}"
    aws_secret_access_key: "{{ downloaded.aws_secret_access_key }}"
  vars:
    downloaded: "{{ lookup('devkeys.aws.access_key_csv', 'alice_accessKeys.csv') }}"
  no_log: true

- name: Every key of several files, as a list
  ansible.builtin.debug:
    msg: "{{ query('devkeys.aws.access_key_csv', 'alice_accessKeys.csv', 'credentials.csv')
             | map(attribute='aws_access_key_id') }}"
"""

RETURN = r"""
_raw:
  description:
    - One dictionary per key row, in file order and in the order the files were given.
  type: list
  elements: dict
  contains:
    aws_access_key_id:
      description: The access key ID.
      type: str
      sample: AKIAIOSFODNN7EXAMPLE
    aws_secret_access_key:
      description: The secret access key.
      type: str
      sample: wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
    user_name:
      description: The IAM user name, present only when the file has a C(User name) column.
      type: str
      sample: alice
"""

import csv
import io
import re

from ansible.errors import AnsibleLookupError
from ansible.module_utils.common.text.converters import to_native
from ansible.plugins.lookup import LookupBase

ACCESS_KEY_ID = "access key id"
SECRET_ACCESS_KEY = "secret access key"
USER_NAME = "user name"
# Columns we read, by lower-cased header name, and the result key each becomes.
COLUMNS = {ACCESS_KEY_ID: "aws_access_key_id", SECRET_ACCESS_KEY: "aws_secret_access_key", USER_NAME: "user_name"}
REQUIRED = (ACCESS_KEY_ID, SECRET_ACCESS_KEY)
# IAM: 16 to 128 word characters.
ACCESS_KEY_ID_RE = re.compile(r"^\w{16,128}$", re.ASCII)
# The secret has no documented format: refuse only what cannot be a secret.
BAD_SECRET_RE = re.compile(r"[\s\x00-\x1f\x7f]")


class CsvFormatError(ValueError):
    """A problem with a CSV file; ``line`` is 1-based, None for the whole file."""

    def __init__(self, cause, line=None):
        super().__init__(cause)
        self.cause = cause
        self.line = line


def parse_access_key_csv(data):
    """Parse the bytes of a console access key CSV into a list of key dicts.

    Raises CsvFormatError whose message never holds a value from the file.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise CsvFormatError(f"not UTF-8 text (byte {error.start + 1})") from None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header = None
    keys = []
    try:
        for row in reader:
            if not any(field.strip() for field in row):
                continue
            if header is None:
                header = _read_header(row, reader.line_num)
                continue
            keys.append(_read_row(header, row, reader.line_num))
    except csv.Error as error:
        raise CsvFormatError(f"malformed CSV ({error})", reader.line_num) from None
    if header is None:
        raise CsvFormatError("the file is empty")
    if not keys:
        raise CsvFormatError("the file has a header but no access key row")
    return keys


def _read_header(row, line):
    names = [field.strip().lower() for field in row]
    missing = [name for name in REQUIRED if name not in names]
    if missing:
        raise CsvFormatError(
            "no column " + " or ".join(f"'{name.capitalize()}'" for name in missing)
            + " in the header (expected the console's 'Access key ID,Secret access key')",
            line,
        )
    for name in COLUMNS:
        if names.count(name) > 1:
            raise CsvFormatError(f"column '{name.capitalize()}' appears twice in the header", line)
    return {name: names.index(name) for name in COLUMNS if name in names}


def _read_row(header, row, line):
    if len(row) < max(header.values()) + 1:
        raise CsvFormatError(f"{len(row)} field(s), but the header has more columns", line)
    key = {COLUMNS[name]: row[index].strip() for name, index in header.items()}
    if not ACCESS_KEY_ID_RE.match(key["aws_access_key_id"]):
        raise CsvFormatError("the access key ID is not 16 to 128 letters, digits or underscores", line)
    secret = row[header[SECRET_ACCESS_KEY]]
    if not secret.strip():
        raise CsvFormatError("the secret access key is empty", line)
    if BAD_SECRET_RE.search(secret.strip()):
        raise CsvFormatError("the secret access key contains whitespace or control characters", line)
    if "user_name" in key and not key["user_name"]:
        del key["user_name"]
    return key


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        keys = []
        for term in terms:
            path = self.find_file_in_search_path(variables, "files", term, ignore_missing=True)
            if path is None:
                raise AnsibleLookupError(f"Failed to read access keys from {term}: file not found")
            try:
                with open(path, "rb") as stream:
                    data = stream.read()
            except OSError as error:
                raise AnsibleLookupError(f"Failed to read access keys from {path}: {to_native(error.strerror)}") from None
            try:
                keys.extend(parse_access_key_csv(data))
            except CsvFormatError as error:
                where = f"{path}, line {error.line}" if error.line else path
                raise AnsibleLookupError(f"Failed to read access keys from {where}: {error.cause}") from None
        return keys
