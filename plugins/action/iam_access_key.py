# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runs devkeys.aws.iam_access_key with the AWS connection options of `module_defaults: group/amazon.aws.aws`."""

from ansible_collections.devkeys.aws.plugins.plugin_utils._aws_group_defaults import AWSGroupDefaultsAction


class ActionModule(AWSGroupDefaultsAction):
    pass
