# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The workstation role's planning steps (documented in plugins/modules/workstation_fleet.py).

A thin shell: it gathers plain data from the play (the role's variables, the
facts and registered results of the batch's hosts, the inventory, what
earlier batches of the same role run decided) and returns what the pure
planner (plugins/plugin_utils/_fleet_*.py) decides, as facts. It reads no
secret: the profiles' secrets are dropped before anything is planned.
"""

import datetime

from ansible.errors import AnsibleActionFail, AnsibleError
from ansible.playbook.role_include import IncludeRole
from ansible.plugins.action import ActionBase

from ansible_collections.devkeys.aws.plugins.plugin_utils import _fleet_hosts
from ansible_collections.devkeys.aws.plugins.plugin_utils import _fleet_plan
from ansible_collections.devkeys.aws.plugins.plugin_utils import _fleet_report
from ansible_collections.devkeys.aws.plugins.plugin_utils import _fleet_retire
from ansible_collections.devkeys.aws.plugins.plugin_utils._fleet_inputs import (
    donated_by_user,
    iam_by_user,
    iam_read_of,
    results_by_user,
    writes_by_entry,
)

ROLE_VARIABLES = ("workstation_profiles", "workstation_sso_sessions", "workstation_default_profile",
                  "workstation_user", "workstation_home", "ansible_user")
ROLE_VARIABLES += tuple(_fleet_hosts.POLICY_VARIABLES.values())
ARGUMENT_SPEC = dict(
    step=dict(type="str", required=True, choices=["note", "plan", "outcome", "report"]),
    keys=dict(type="dict"),
    new_users=dict(type="dict"),
    new_members=dict(type="dict"),
    iam=dict(type="dict"),
    retired=dict(type="dict"),
    fail_on_error=dict(type="bool", default=True),
)


class ActionModule(ActionBase):
    _supports_check_mode = True
    _supports_async = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        _validation, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        if args["step"] == "report":
            result.update(self._report(args, task_vars))
            return result
        step = getattr(self, "_" + args["step"])
        result.update(changed=False, ansible_facts=step(args, task_vars))
        return result

    # -- steps ----------------------------------------------------------

    def _note(self, _args, task_vars):
        role_vars = dict((name, self._templar.template(task_vars.get(name))) for name in ROLE_VARIABLES)
        return {"_workstation_host": _fleet_hosts.host_view(task_vars["inventory_hostname"], self._scope(), role_vars)}

    def _plan(self, args, task_vars):
        iam_read = iam_read_of(args["keys"], args["new_users"], args["new_members"])
        fleet = self._fleet(task_vars, iam_read)
        plan = _fleet_plan.plan_keys(fleet, _now(), self._task.check_mode)
        plan["iam_read"] = iam_read  # the outcome step plans on the same IAM state
        return {"_workstation_plan": plan}

    def _outcome(self, args, task_vars):
        plan = task_vars["_workstation_plan"]
        fleet = self._fleet(task_vars, plan["iam_read"])
        hostvars = task_vars["hostvars"]
        donated = dict((host, donated_by_user(hostvars[host].get("_workstation_donated"))) for host in fleet["batch"])
        writes = dict((host, writes_by_entry(hostvars[host].get("_workstation_written"))) for host in fleet["batch"])
        outcome = _fleet_retire.plan_outcome(fleet, plan, results_by_user(plan["requests"], args["iam"]), donated,
                                             writes, _now(), self._task.check_mode)
        earlier = fleet.get("earlier") or {}
        outcome.update(sequence=earlier.get("sequence", 0) + 1, unread=dict(
            (host, held["msg"]) for host, held in fleet["held"].items() if held["status"] == "unread"))
        return {"_workstation_outcome": outcome}

    def _report(self, args, task_vars):
        """The host's result, to register as ``workstation_result``; failed when asked and not configured."""
        host = task_vars["inventory_hostname"]
        retire_results = (args["retired"] or {}).get("batch_results")
        report = _fleet_report.host_result(host, task_vars["_workstation_outcome"], retire_results,
                                           self._task.check_mode)
        report["changed"] = False  # the writes and IAM runs report their own changes
        if args["fail_on_error"] and not report["configured"]:
            report.update(failed=True, msg="Failed to configure the AWS profiles of %s: %s"
                          % (host, "; ".join(report["errors"])))
        return report

    # -- gathering ------------------------------------------------------

    def _scope(self):
        """One role run of one play: the play, and the include_role task or the role (stable over batches)."""
        node, invocation = self._task._parent, None
        while node is not None and invocation is None:
            if isinstance(node, IncludeRole):
                invocation = node._uuid
            node = getattr(node, "_parent", None)
        if invocation is None and self._task._role is not None:
            invocation = self._task._role._uuid
        return "%s/%s" % (self._task.get_play()._uuid, invocation)

    def _fleet(self, task_vars, iam_read):
        """The planner's input (see plugins/plugin_utils/_fleet_plan.py)."""
        scope = self._scope()
        hostvars = task_vars["hostvars"]
        batch = sorted(task_vars["ansible_play_batch"])
        views, inventory, earlier = {}, {}, None
        for host in task_vars["groups"]["all"]:
            host_vars = hostvars[host]
            view = host_vars.get("_workstation_host")
            if view and view.get("scope") == scope and (host in batch or host_vars.get("_workstation_outcome")):
                views[host] = view
            inventory[host] = _inventory_users(host, host_vars)
            outcome = host_vars.get("_workstation_outcome") if host not in batch else None
            if outcome and outcome.get("scope") == scope and outcome["sequence"] > (earlier or {}).get("sequence", 0):
                earlier = outcome
        missing = [host for host in batch if host not in views]
        if missing:
            raise AnsibleActionFail("Failed to plan the IAM keys: %s has no _workstation_host of this role run "
                                    "(run the role's tasks in order)" % ", ".join(missing))
        held = dict((host, _fleet_hosts.held_view(hostvars[host].get("_workstation_held"))) for host in batch)
        users = sorted(set(user for host in batch for user in views[host]["users"].values()))
        return {"scope": scope, "batch": batch, "views": views, "held": held, "inventory": inventory,
                "iam": iam_by_user(iam_read, users), "earlier": earlier}


def _inventory_users(host, host_vars):
    """IAM users a host's inventory profiles name; a host whose profiles cannot be read may hold any."""
    try:
        return _fleet_hosts.inventory_users(host_vars.get("workstation_profiles"))
    except AnsibleError:
        return set([_fleet_plan.ANY_USER])


def _now():
    return datetime.datetime.now(datetime.timezone.utc)
