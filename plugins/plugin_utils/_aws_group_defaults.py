# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin base: our AWS modules also take amazon.aws's connection module_defaults.

ansible-core applies ``module_defaults: group/amazon.aws.aws`` (and the legacy
``group/aws``) only to the modules listed in amazon.aws's own group, so our
modules would silently ignore e.g. an ``endpoint_url`` set there. This action
asks ansible-core which defaults amazon.aws.iam_access_key would get, keeps the
AWS connection options the task did not set (under any alias), and runs the
module with them. Defaults of ``group/devkeys.aws.aws`` are already in the task.
"""

from ansible.plugins.action import ActionBase

from ansible_collections.amazon.aws.plugins.module_utils.modules import aws_argument_spec

try:  # ansible-core >= 2.19
    from ansible.executor.module_common import _get_action_arg_defaults

    get_action_args_with_defaults = None
except ImportError:  # ansible-core 2.17 and 2.18
    from ansible.executor.module_common import get_action_args_with_defaults

    _get_action_arg_defaults = None

PROBE_ACTION = "amazon.aws.iam_access_key"
"""A module of amazon.aws's `aws` group: the defaults it would get are the ones to apply."""


def connection_names():
    """Each AWS connection option (canonical name) with all the names it can be given as."""
    return dict(
        (name, set([name] + list(spec.get("aliases", []))))
        for name, spec in aws_argument_spec().items()
    )


def amazon_aws_defaults(task, templar):
    """The module_defaults amazon.aws's modules would get for this task (templated by 2.17/2.18 only)."""
    if _get_action_arg_defaults is not None:
        return _get_action_arg_defaults(PROBE_ACTION, task, templar._engine)
    return get_action_args_with_defaults(
        PROBE_ACTION, {}, task.module_defaults, templar, action_groups=task._parent._play._action_groups
    )


def missing_connection_defaults(task_args, defaults):
    """The connection options from ``defaults`` that ``task_args`` sets under none of their names."""
    missing = {}
    for name, names in connection_names().items():
        if names & set(task_args):
            continue
        for given in sorted(names & set(defaults)):
            missing[name] = defaults[given]
    return missing


class AWSGroupDefaultsAction(ActionBase):
    """Run the task's module with amazon.aws's connection module_defaults added."""

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        module_args = dict(self._task.args)
        defaults = missing_connection_defaults(module_args, amazon_aws_defaults(self._task, self._templar))
        module_args.update(self._templar.template(defaults))
        result.update(
            self._execute_module(module_name=self._task.resolved_action, module_args=module_args, task_vars=task_vars)
        )
        return result
