#!/usr/bin/env bash
# make molecule: `molecule test` for every scenario under extensions/molecule/
# (collection layout: run from the repo root; -s NAME per scenario), one after
# the other; all run even when one fails. With no scenario yet it says so
# and passes.
#
# Molecule sees the working tree through a temp ansible_collections/devkeys/aws
# symlink on ANSIBLE_COLLECTIONS_PATH and gets tests/tools/molecule-base.yml
# (no prerun, no galaxy dependency step), so it never installs a copy of the
# collection; the check fails if a copy appears in ~/.ansible or .ansible.
#   Extra arguments go to `molecule test`, e.g. bash tests/tools/molecule.sh -- -vvv
#   One scenario: MOLECULE_SCENARIOS="fleet" bash tests/tools/molecule.sh
# A scenario whose molecule.yml has a line "# needs: root" is skipped, saying so, for a non-root user.
# shellcheck source=tests/tools/common.sh
source "$(dirname "$0")/common.sh"

cd "$REPO" || exit 1
if [[ -n "${MOLECULE_SCENARIOS:-}" ]]; then
    read -r -a scenarios <<<"$MOLECULE_SCENARIOS"
else
    scenarios=()
    for file in extensions/molecule/*/molecule.yml; do
        [[ -e "$file" ]] && scenarios+=("$(basename "$(dirname "$file")")")
    done
fi
if (( ${#scenarios[@]} == 0 )); then
    echo "no molecule scenarios under extensions/molecule/ yet: nothing to run"
    echo "PASS [$CHECK_NAME]"
    exit 0
fi

work="$(make_temp_dir)"; register_temp_dir "$work"
link_collection "$work"
# molecule warns (and patches less) when the sys.path scan is off; the venv's
# collections may be used by scenarios' create/destroy playbooks.
unset ANSIBLE_COLLECTIONS_SCAN_SYS_PATH
export ANSIBLE_ROLES_PATH="$REPO/roles"
base_configs=(-c "$REPO/tests/tools/molecule-base.yml")
# molecule reads extensions/molecule/config.yml only when no -c is given.
if [[ -f extensions/molecule/config.yml ]]; then
    base_configs+=(-c "$REPO/extensions/molecule/config.yml")
fi

installed_copies() {
    find "$HOME/.ansible/collections" "$HOME/.cache/ansible-compat" "$REPO/.ansible" "$REPO/.venv/.ansible" \
        -path '*/ansible_collections/devkeys/aws' 2>/dev/null || true
}
before="$(installed_copies)"

failed=()
skipped=()
for scenario in "${scenarios[@]}"; do
    # A scenario that makes accounts or starts an sshd says so with a "# needs: root" line (pytest skips likewise).
    if (( EUID != 0 )) && grep -q '^# needs: root' "extensions/molecule/$scenario/molecule.yml"; then
        echo "skip  $scenario (needs root; make test runs it as root)"
        skipped+=("$scenario")
        continue
    fi
    step "molecule test -s $scenario"
    started=$SECONDS
    if molecule "${base_configs[@]}" test -s "$scenario" "$@"; then
        echo "ok    $scenario ($((SECONDS - started)) s)"
    else
        echo "FAIL  $scenario ($((SECONDS - started)) s)"
        failed+=("$scenario")
    fi
done

after="$(installed_copies)"
if [[ "$after" != "$before" ]]; then
    fail "molecule left an installed copy of devkeys.aws: $after"
fi
if (( ${#failed[@]} )); then
    fail "molecule scenario(s) failed: ${failed[*]}"
fi
echo "PASS [$CHECK_NAME] ($(( ${#scenarios[@]} - ${#skipped[@]} )) scenario(s) run${skipped[*]+; skipped, needs root: ${skipped[*]}})"
