#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: workstation_fleet
short_description: The planning steps of the devkeys.aws.workstation role
version_added: 0.1.0
description:
  - Internal to the C(devkeys.aws.workstation) role; its interface may change. Use the role, and read its results
    from C(workstation_result).
  - Runs on the controller only (an action plugin) and makes no change anywhere; it reads the play's variables and
    the role's registered results and sets facts. It never reads or returns a secret.
  - O(step=note) (on every host) sets C(_workstation_host), what the host wants - its account and files, its profiles
    without their secrets, the IAM users they name and the key policy.
  - O(step=plan) (C(run_once)) sets C(_workstation_plan), one decision per IAM user of the batch (keep a key the
    workstations hold, create one, or fail, and why), the IAM requests and the key copies between workstations.
    It looks at every host of the inventory that names a user, not only the play's.
  - O(step=outcome) (C(run_once), after the writes) sets C(_workstation_outcome), what each workstation stored and
    which replaced keys to retire; keys a workstation that was not read may still hold are kept.
  - O(step=report) (on every host) returns the host's result, which the role registers as C(workstation_result)
    (documented in the role's README), and fails the host when it was not configured and O(fail_on_error) is set.
  - The decisions are pure functions in C(plugins/plugin_utils/_fleet_*.py).
options:
  step:
    description: The planning step to run.
    type: str
    required: true
    choices: [note, plan, outcome, report]
  keys:
    description: With O(step=plan), the registered result of M(devkeys.aws.iam_access_key_info) for the batch's users.
    type: dict
  new_users:
    description: With O(step=plan), the registered result of the role's loop creating IAM users.
    type: dict
  new_members:
    description: With O(step=plan), the registered result of the role's loop adding created users to groups.
    type: dict
  iam:
    description: With O(step=outcome), the registered result of the role's key run (M(devkeys.aws.iam_access_key)).
    type: dict
  retired:
    description: With O(step=report), the registered result of the role's retire run.
    type: dict
  fail_on_error:
    description: With O(step=report), fail the host when it was not configured.
    type: bool
    default: true
author:
  - devkeys.aws maintainers (@devkeys)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
attributes:
  check_mode:
    support: full
    details: It only plans; in check mode it predicts what the real run would do.
  diff_mode:
    support: none
  platform:
    platforms: all
    details: It runs on the controller and makes no connection.
  action:
    support: full
  async:
    support: none
  bypass_host_loop:
    support: none
"""

EXAMPLES = r"""
- name: Note what this workstation wants (the role's first task)
  devkeys.aws.workstation_fleet:
    step: note
"""

RETURN = r"""
ansible_facts:
  description: The fact the step sets (C(_workstation_host), C(_workstation_plan) or C(_workstation_outcome)).
  returned: with O(step=note), O(step=plan) and O(step=outcome)
  type: dict
configured:
  description: With O(step=report), whether the host was fully configured; the other keys of the role's
    C(workstation_result) are documented in its README.
  returned: with O(step=report)
  type: bool
"""
