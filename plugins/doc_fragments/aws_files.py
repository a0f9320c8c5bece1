# -*- coding: utf-8 -*-
# Copyright: devkeys.aws contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Options shared by the modules that read or edit the AWS shared files."""


class ModuleDocFragment(object):
    DOCUMENTATION = r"""
options:
  credentials_file:
    description:
      - Path of the shared credentials file.
      - When not set, in this order, C(~/.aws/credentials) in the home of O(owner) when O(owner) is set,
        then the E(AWS_SHARED_CREDENTIALS_FILE) environment variable on the target,
        then C(~/.aws/credentials) of the user the module runs as.
    type: path
  config_file:
    description:
      - Path of the shared config file.
      - When not set, in this order, C(~/.aws/config) in the home of O(owner) when O(owner) is set,
        then the E(AWS_CONFIG_FILE) environment variable on the target,
        then C(~/.aws/config) of the user the module runs as.
    type: path
notes:
  - Both files are parsed exactly as botocore parses them (Python's C(configparser) in strict mode);
    a duplicate section or key, a line with no C(=) or C(:), a setting before the first header,
    a UTF-8 byte order mark or invalid UTF-8 are errors naming the file and the line.
  - "Who works on the files: running as root with O(owner) set to another account, or with no O(owner) on
    paths another account controls (the one non-root owner of their components, lstat'ed from C(/) down with
    links followed), every read and write of these files and of the shell start-up files runs in a child
    process with that account's groups, gid and uid (all three ids), so the kernel refuses what the account
    could not do. Paths controlled by two accounts, or through a directory other accounts may write into
    without the sticky bit, are an error asking for O(owner). Otherwise the module works as the user it runs
    as."
"""
