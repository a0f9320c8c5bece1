"""Where things are: the repository, its virtualenv and the harness plugins."""

import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
HARNESS = Path(__file__).resolve().parent
CALLBACK_PLUGINS = HARNESS / "callback_plugins"
# The virtualenv the tests run in (sys.prefix), so its ansible and moto are used.
VENV_BIN = Path(sys.executable).parent
PYTHON = sys.executable


def venv_tool(name):
    """Path of a console script of the running virtualenv (ansible-playbook, moto_server, ...)."""
    path = VENV_BIN / name
    if not path.exists():
        raise FileNotFoundError(f"Failed to find {name}: not installed in {VENV_BIN} (run make test)")
    return str(path)


def base_path_env():
    """PATH with the virtualenv's bin first, as molecule and ansible-test need."""
    return os.pathsep.join([str(VENV_BIN), os.environ.get("PATH", "/usr/bin:/bin")])
