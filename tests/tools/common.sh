# shellcheck shell=bash
# Shared by the tests/tools/*.sh checks: source it, do not run it.
# Sets REPO and BIN, puts the venv first on PATH, and offers temp-dir helpers
# that are removed on exit.

set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BIN="$REPO/.venv/bin"
export PATH="$BIN:$PATH"
export ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0 PY_COLORS=0
CHECK_NAME="$(basename "${BASH_SOURCE[1]}" .sh)"
_TEMP_DIRS=()

_cleanup() {
    local dir
    for dir in "${_TEMP_DIRS[@]+"${_TEMP_DIRS[@]}"}"; do
        rm -rf -- "$dir"
    done
}
trap _cleanup EXIT

# make_temp_dir: print a new temp dir that is removed when the script exits.
# Call it as `dir=$(make_temp_dir)` then `register_temp_dir "$dir"` (a
# subshell cannot add to the list), or use the helpers below.
make_temp_dir() {
    mktemp -d "${TMPDIR:-/tmp}/devkeys-$CHECK_NAME-XXXXXX"
}

register_temp_dir() {
    _TEMP_DIRS+=("$1")
}

# link_collection DIR: make DIR/ansible_collections/devkeys/aws a symlink to
# the working tree, so tools see the code as it is now and never install a
# copy, and link next to it the dependencies galaxy.yml declares (from the
# venv's site-packages). Point ANSIBLE_COLLECTIONS_PATH at DIR alone and turn
# off the scan of sys.path: a check then fails if content uses a collection
# galaxy.yml does not declare, and tools do not load the ~100 collections of
# the `ansible` package (antsibull-docs takes minutes with them).
link_collection() {
    local dependency site
    site="$(site_collections)"
    mkdir -p "$1/ansible_collections/devkeys"
    ln -s "$REPO" "$1/ansible_collections/devkeys/aws"
    for dependency in $(galaxy_dependencies); do
        [[ -d "$site/ansible_collections/${dependency/.//}" ]] ||
            fail "dependency $dependency (galaxy.yml) is not installed in $site"
        mkdir -p "$1/ansible_collections/${dependency%%.*}"
        ln -sfn "$site/ansible_collections/${dependency/.//}" "$1/ansible_collections/${dependency/.//}"
    done
    export ANSIBLE_COLLECTIONS_PATH="$1" ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=false
}

# galaxy_dependencies: the collections galaxy.yml depends on, one a line.
galaxy_dependencies() {
    "$BIN/python" -c 'import sys, yaml; print("\n".join(yaml.safe_load(open(sys.argv[1])).get("dependencies") or {}))' \
        "$REPO/galaxy.yml"
}

# site_collections: the venv's site-packages collection root (amazon.aws etc.).
site_collections() {
    "$BIN/python" -c 'import ansible_collections, os; print(os.path.dirname(list(ansible_collections.__path__)[0]))'
}

# sandbox_ansible_home DIR: keep ansible's own state (ANSIBLE_HOME: galaxy
# cache, tmp, installed collections) inside DIR instead of ~/.ansible.
sandbox_ansible_home() {
    export ANSIBLE_HOME="$1/ansible-home"
    export ANSIBLE_LOCAL_TEMP="$1/ansible-home/tmp"
    # An empty config: no ansible.cfg of the machine or user changes the checks.
    export ANSIBLE_CONFIG="$1/ansible.cfg"
    mkdir -p "$ANSIBLE_LOCAL_TEMP"
    : > "$ANSIBLE_CONFIG"
}

# tracked_files: files of the tree as git sees them, new untracked ones
# included, ignored ones (.venv, tests/output, demo, ...) left out.
tracked_files() {
    git -C "$REPO" ls-files -co --exclude-standard -z
}

fail() {
    echo "FAIL [$CHECK_NAME]: $*" >&2
    exit 1
}

step() {
    echo "--- [$CHECK_NAME] $*"
}

# with_heartbeat LABEL COMMAND...: run COMMAND, printing a line a minute while
# it runs (tests/tools/heartbeat.py): a long step is never a silent minute.
with_heartbeat() {
    "$BIN/python" "$REPO/tests/tools/heartbeat.py" "[$CHECK_NAME] $1" "${@:2}"
}

if [[ ! -x "$BIN/python" ]]; then
    fail "no virtualenv at $REPO/.venv (run: make venv)"
fi
