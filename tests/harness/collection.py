"""Make the working tree visible as the collection devkeys.aws.

A temporary ``ansible_collections/devkeys/aws`` symlink points at the working
tree, so every run uses the code as it is now, never a stale installed copy.
"""

import atexit
import shutil
import sys
import tempfile
from pathlib import Path

from harness.paths import REPO

_ROOT = None


def collections_path():
    """Return a directory holding ``ansible_collections/devkeys/aws`` -> the working tree."""
    global _ROOT
    if _ROOT is None:
        root = Path(tempfile.mkdtemp(prefix="devkeys-collections-"))
        link = root / "ansible_collections" / "devkeys" / "aws"
        link.parent.mkdir(parents=True)
        link.symlink_to(REPO, target_is_directory=True)
        atexit.register(shutil.rmtree, root, True)
        _ROOT = root
    return _ROOT


def install_import_path():
    """Let ``import ansible_collections.devkeys.aws...`` work in unit tests."""
    from ansible.utils.collection_loader._collection_finder import _AnsibleCollectionFinder

    paths = [str(collections_path())] + [p for p in sys.path if Path(p, "ansible_collections").is_dir()]
    finder = _AnsibleCollectionFinder(paths=paths, scan_sys_paths=True)
    finder._install()  # pylint: disable=protected-access
