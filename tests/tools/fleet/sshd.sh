#!/usr/bin/env bash
# A throw-away SSH "fleet" on this machine for the molecule scenario `fleet`.
#
#   sshd.sh up STATE_DIR WS_USER...   start sshd on 127.0.0.1:<free port>, create the accounts
#   sshd.sh down STATE_DIR            stop that sshd by its PID, remove the accounts and keys
#
# up: installs openssh-server and sudo with apt-get if missing; generates a host
# key and an sshd_config in STATE_DIR (ListenAddress 127.0.0.1, a free port, key
# login only, only the provisioning account may log in); creates the
# provisioning account devkeys-prov (passwordless sudo, a generated ed25519 key
# STATE_DIR/prov_key) and one local account per WS_USER. Writes STATE_DIR/port,
# STATE_DIR/sshd.pid and STATE_DIR/accounts (what `down` removes).
# Needs root. Only loopback is used.
set -euo pipefail

PROV=devkeys-prov

die() { echo "sshd.sh: $*" >&2; exit 1; }

free_port() {
    python3 - <<'PY'
import socket
with socket.socket() as sock:
    sock.bind(("127.0.0.1", 0))
    print(sock.getsockname()[1])
PY
}

ensure_packages() {
    local missing=()
    [[ -x /usr/sbin/sshd ]] || missing+=(openssh-server)
    command -v sudo >/dev/null || missing+=(sudo)
    if (( ${#missing[@]} )); then
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
}

add_account() {
    local name=$1
    if ! getent passwd "$name" >/dev/null; then
        useradd --create-home --shell /bin/bash "$name"
        usermod --password '*' "$name"  # no password, but not locked (sshd refuses locked accounts)
        echo "$name" >>"$STATE/accounts"
    fi
}

up() {
    [[ $EUID -eq 0 ]] || die "must run as root"
    ensure_packages
    mkdir -p "$STATE" /run/sshd
    chmod 0700 "$STATE"
    : >"$STATE/accounts"
    ssh-keygen -q -t ed25519 -N '' -f "$STATE/host_ed25519" <<<y >/dev/null
    ssh-keygen -q -t ed25519 -N '' -f "$STATE/prov_key" <<<y >/dev/null

    add_account "$PROV"
    install -d -m 0700 -o "$PROV" -g "$PROV" "/home/$PROV/.ssh"
    install -m 0600 -o "$PROV" -g "$PROV" "$STATE/prov_key.pub" "/home/$PROV/.ssh/authorized_keys"
    echo "$PROV ALL=(ALL) NOPASSWD: ALL" >"/etc/sudoers.d/$PROV"
    chmod 0440 "/etc/sudoers.d/$PROV"
    for user in "$@"; do
        add_account "$user"
    done

    local port
    port=$(free_port)
    cat >"$STATE/sshd_config" <<EOF
ListenAddress 127.0.0.1
Port $port
HostKey $STATE/host_ed25519
PidFile $STATE/sshd.pid
AllowUsers $PROV
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
PermitRootLogin no
AuthorizedKeysFile .ssh/authorized_keys
Subsystem sftp internal-sftp
EOF
    /usr/sbin/sshd -t -f "$STATE/sshd_config"
    /usr/sbin/sshd -f "$STATE/sshd_config" -E "$STATE/sshd.log"
    for _ in $(seq 50); do
        [[ -s "$STATE/sshd.pid" ]] && break
        sleep 0.1
    done
    [[ -s "$STATE/sshd.pid" ]] || die "Failed to start sshd: no PID file (see $STATE/sshd.log)"
    echo "$port" >"$STATE/port"
    echo "sshd $(cat "$STATE/sshd.pid") on 127.0.0.1:$port"
}

down() {
    if [[ -s "$STATE/sshd.pid" ]]; then
        local pid
        pid=$(cat "$STATE/sshd.pid")
        # Sessions (e.g. Ansible's ControlPersist connections) are children of our sshd.
        pkill -TERM -P "$pid" 2>/dev/null || true
        kill "$pid" 2>/dev/null || true
        rm -f "$STATE/sshd.pid"
    fi
    rm -f "/etc/sudoers.d/$PROV"
    if [[ -f "$STATE/accounts" ]]; then
        while read -r user; do
            [[ -n "$user" ]] && { userdel --force --remove "$user" 2>/dev/null || true; }
        done <"$STATE/accounts"
        rm -f "$STATE/accounts"
    fi
    rm -f "$STATE"/host_ed25519* "$STATE"/prov_key* "$STATE/sshd_config" "$STATE/port"
}

action=${1:-}
STATE=${2:-}
[[ -n "$action" && -n "$STATE" ]] || die "usage: sshd.sh up|down STATE_DIR [WS_USER...]"
shift 2
case "$action" in
    up) up "$@" ;;
    down) down ;;
    *) die "unknown action $action" ;;
esac
