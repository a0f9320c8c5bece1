"""Start or stop a moto_server for a molecule scenario (molecule runs outside pytest).

    python moto_ctl.py start STATE_DIR   # writes STATE_DIR/moto.url and STATE_DIR/moto.pid
    python moto_ctl.py stop STATE_DIR    # stops that server by its PID (process group)

The server is tests/harness/moto.py's MotoServer: 127.0.0.1, a free port, its
own session, so it outlives this script until `stop`.
"""

import os
import signal
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from harness.moto import MotoServer  # noqa: E402  pylint: disable=wrong-import-position


def start(state):
    state.mkdir(parents=True, exist_ok=True)
    server = MotoServer(log_path=str(state / "moto.log")).start()
    (state / "moto.pid").write_text(str(server.process.pid), encoding="utf-8")
    (state / "moto.url").write_text(server.url, encoding="utf-8")
    print(server.url)


def stop(state):
    pid_file = state / "moto.pid"
    if not pid_file.exists():
        return
    pid = int(pid_file.read_text(encoding="utf-8"))
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    pid_file.unlink()
    (state / "moto.url").unlink(missing_ok=True)


def main(action, state_dir):
    {"start": start, "stop": stop}[action](Path(state_dir))
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
