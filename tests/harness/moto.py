"""A real moto_server process on a free 127.0.0.1 port: the stand-in for AWS.

The server runs through harness/moto_clock.py, so a test can move IAM's clock
(``set_clock``/``clock``): keys created meanwhile carry that CreateDate.
"""

import contextlib
import datetime
import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request

from harness.paths import HARNESS, PYTHON

# Credentials moto accepts for the "admin" the controller uses; not real keys.
ADMIN_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
}


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class MotoServer:
    """Start, reset and stop one moto_server; stopped by its own PID."""

    def __init__(self, log_path=None):
        self.port = None
        self.process = None
        self.log_path = log_path

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def env(self):
        """Environment that points boto3 and amazon.aws at this server."""
        env = dict(ADMIN_ENV)
        env["AWS_ENDPOINT_URL"] = self.url
        env["AWS_URL"] = self.url
        return env

    def start(self, timeout=30.0):
        for _attempt in range(5):
            self.port = free_port()
            log = open(self.log_path or os.devnull, "ab")  # pylint: disable=consider-using-with
            self.process = subprocess.Popen(  # pylint: disable=consider-using-with
                [PYTHON, "-m", "harness.moto_clock", "-H", "127.0.0.1", "-p", str(self.port)],
                cwd=str(HARNESS.parent),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
            log.close()
            if self._wait_ready(timeout):
                return self
            self.stop()
        raise RuntimeError("Failed to start moto_server: it never answered on 127.0.0.1")

    def _wait_ready(self, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            try:
                with urllib.request.urlopen(self.url + "/moto-api/", timeout=2):
                    return True
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.1)
        return False

    def reset(self):
        """Forget every resource (POST /moto-api/reset); the clock goes back to real time too."""
        request = urllib.request.Request(self.url + "/moto-api/reset", data=b"", method="POST")
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()

    def set_clock(self, moment, ticking=False):
        """Set IAM's "now" to ``moment`` (a datetime; naive means UTC), or real time for None.

        Frozen at ``moment`` unless ``ticking``, which starts there and advances
        with real time. Returns the previous setting (for ``clock``).
        """
        previous = self.clock_setting()
        now = None
        if moment is not None:
            aware = moment if moment.tzinfo else moment.replace(tzinfo=datetime.timezone.utc)
            now = aware.astimezone(datetime.timezone.utc).isoformat()
        self._clock_request({"now": now, "ticking": ticking})
        return previous

    def clock_setting(self):
        """The clock now: {"now": ISO 8601 or None (real time), "ticking": bool}."""
        return self._clock_request(None)

    @contextlib.contextmanager
    def clock(self, moment, ticking=False):
        """``with server.clock(moment): ...`` sets the clock, then restores the previous setting."""
        previous = self.set_clock(moment, ticking)
        try:
            yield self
        finally:
            self._clock_request(previous)

    def _clock_request(self, setting):
        data = None if setting is None else json.dumps(setting).encode("utf-8")
        method = "GET" if data is None else "POST"
        request = urllib.request.Request(self.url + "/_devkeys/clock", data=data, method=method)
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    def stop(self):
        if self.process is None:
            return
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.process = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
