"""moto_server with a clock the tests set: IAM's "now" (a key's CreateDate, its last use) can be moved.

Run as ``python moto_clock.py -H 127.0.0.1 -p PORT`` (moto_server's own arguments). IAM's models
take the time from ``moto.core.utils.utcnow``, imported by name into ``moto.iam.models`` (CreateDate
of users, keys, policies...; ``mark_account_as_visited`` for a key's last use); that name is
replaced here by the test clock. STS and every other service keep the real time.

The clock is set over HTTP (see MotoServer.set_clock in moto.py)::

    POST /_devkeys/clock  {"now": "2025-01-02T03:04:05+00:00", "ticking": false}  -> freeze IAM's time there
    POST /_devkeys/clock  {"now": "...", "ticking": true}  -> start there, then advance with real time
    POST /_devkeys/clock  {"now": null}                    -> real time again
    GET  /_devkeys/clock                                    -> the setting, same JSON

``POST /moto-api/reset`` (the harness's reset between tests) also returns the clock to real time.
"""

import datetime
import json
import sys
import threading
import time

import moto.iam.models
import moto.server
from moto.core.utils import utcnow as real_utcnow
from moto.moto_server.werkzeug_app import DomainDispatcherApplication

CLOCK_PATH = "/_devkeys/clock"
RESET_PATH = "/moto-api/reset"


class TestClock:
    """IAM's "now": real time, a frozen moment, or a moment that advances from when it was set."""

    def __init__(self):
        self.lock = threading.Lock()
        self.moment = None  # naive UTC, as moto's utcnow returns
        self.ticking = False
        self.set_at = 0.0

    def set(self, moment, ticking=False):
        if moment is not None:
            moment = datetime.datetime.fromisoformat(moment)
            if moment.tzinfo is not None:
                moment = moment.astimezone(datetime.timezone.utc).replace(tzinfo=None)
        with self.lock:
            self.moment, self.ticking, self.set_at = moment, bool(ticking), time.monotonic()

    def setting(self):
        with self.lock:
            if self.moment is None:
                return {"now": None, "ticking": False}
            return {"now": self.moment.replace(tzinfo=datetime.timezone.utc).isoformat(), "ticking": self.ticking}

    def now(self):
        with self.lock:
            if self.moment is None:
                return real_utcnow()
            if self.ticking:
                return self.moment + datetime.timedelta(seconds=time.monotonic() - self.set_at)
            return self.moment


CLOCK = TestClock()


def clock_app(environ, start_response):
    """The /_devkeys/clock route: GET answers the setting, POST sets it."""
    status = "200 OK"
    if environ["REQUEST_METHOD"] == "POST":
        length = int(environ.get("CONTENT_LENGTH") or 0)
        try:
            body = json.loads(environ["wsgi.input"].read(length) or b"{}")
            CLOCK.set(body.get("now"), body.get("ticking", False))
        except (ValueError, TypeError, AttributeError) as error:
            status = "400 Bad Request"
            answer = {"error": "Failed to set the test clock: %s" % error}
    if status == "200 OK":
        answer = CLOCK.setting()
    payload = json.dumps(answer).encode("utf-8")
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))])
    return [payload]


class ClockedDispatcher(DomainDispatcherApplication):
    """moto's WSGI application, plus the clock route; a reset of moto resets the clock."""

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path == CLOCK_PATH:
            return clock_app(environ, start_response)
        if path == RESET_PATH and environ.get("REQUEST_METHOD") == "POST":
            CLOCK.set(None)
        return super().__call__(environ, start_response)


def main(argv=None):
    moto.iam.models.utcnow = CLOCK.now
    moto.server.DomainDispatcherApplication = ClockedDispatcher
    moto.server.main(argv if argv is not None else sys.argv[1:])


if __name__ == "__main__":
    main()
