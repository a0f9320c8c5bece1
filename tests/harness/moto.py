"""A real moto_server process on a free 127.0.0.1 port: the stand-in for AWS."""

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request

from harness.paths import venv_tool

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
                [venv_tool("moto_server"), "-H", "127.0.0.1", "-p", str(self.port)],
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
        """Forget every resource (POST /moto-api/reset)."""
        request = urllib.request.Request(self.url + "/moto-api/reset", data=b"", method="POST")
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()

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
