# -*- coding: utf-8 -*-
# Copyright: devkeys.aws contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Options of the modules that report the AWS_PROFILE export of shell start-up files."""


class ModuleDocFragment(object):
    DOCUMENTATION = r"""
options:
  shell_files:
    description:
      - Shell start-up files (for example C(~/.bashrc)) to scan for the managed C(export AWS_PROFILE=...) block
        (read only).
      - C(~) and C(~user) are expanded, as for the other paths.
    type: list
    elements: path
    default: []
  shell_marker:
    description:
      - The O(ansible.builtin.blockinfile#module:marker) of the managed block, C({mark}) standing for C(BEGIN) and
        C(END).
      - One line that holds C({mark}); anything else is an error.
    type: str
    default: "# {mark} devkeys.aws: default AWS profile"
"""
