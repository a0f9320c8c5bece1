"""Offline stand-in for get-pip.py, used by tests/tools/sanity.sh.

ansible-test bootstraps pip into each of its virtual environments by running a
get-pip.py script that it downloads from ci-files.testing.ansible.com, a host
this machine cannot reach. sanity.sh places this file where ansible-test caches
that download, so the bootstrap works offline: pip comes from the Python's own
``ensurepip`` and is then brought to the requested version from the package
index that pip is configured to use (PyPI).

Usage, as get-pip.py: ``python get_pip_shim.py [pip install options] [packages]``
with get-pip's own ``--no-setuptools`` / ``--no-wheel`` flags understood.
"""

import os
import subprocess
import sys

OWN_FLAGS = {"--no-setuptools": "setuptools", "--no-wheel": "wheel"}


def split_arguments(argv):
    """Return (pip install arguments, extra packages get-pip would add)."""
    extra = {"setuptools", "wheel"} if sys.version_info < (3, 12) else set()
    pip_args = []
    for arg in argv:
        if arg in OWN_FLAGS:
            extra.discard(OWN_FLAGS[arg])
        else:
            pip_args.append(arg)
    named = {arg.split("=")[0].split("<")[0].split(">")[0].lower() for arg in pip_args if not arg.startswith("-")}
    return pip_args + sorted(extra - named), named


def main(argv):
    pip_args, named = split_arguments(argv)
    if "pip" not in named:
        pip_args.append("pip")
    env = dict(os.environ)
    # GET_PIP tells ansible-test's quiet_pip.py to run this script instead of pip;
    # the pip started below must be the real one.
    env.pop("GET_PIP", None)
    subprocess.run([sys.executable, "-m", "ensurepip", "--upgrade", "--default-pip"], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    return subprocess.call([sys.executable, "-m", "pip", "install", "--disable-pip-version-check"] + pip_args, env=env)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
