"""The labelling page's HTTP server (standard library ``http.server``).

Security model: the server binds 127.0.0.1 only; every request must carry the random token
printed in the URL (``?token=...``; 403 otherwise) and a Host header naming 127.0.0.1 or
localhost (a guard against DNS rebinding); only a fixed set of routes exists (no file is
served by path, so there is nothing to traverse); the only file written is the labels file,
and only after the payload passed the labels reader (see :mod:`har_ros.labelling.store`).
"""

from __future__ import annotations

import hmac
import json
import secrets
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from urllib.parse import parse_qs, urlsplit

from har_ros.errors import HarRosError
from har_ros.labelling.source import LabelSource
from har_ros.labelling.store import LabelStore

#: Largest request body accepted (bytes).
MAX_BODY = 16 * 1024 * 1024
_STATIC = {"/": ("page.html", "text/html; charset=utf-8"),
           "/page.js": ("page.js", "text/javascript; charset=utf-8"),
           "/page.css": ("page.css", "text/css; charset=utf-8")}
#: Keys of the page (shown in its help), key -> what it does.
KEYS = [("space", "play / pause"), ("\u2190 / \u2192", "previous / next frame"),
        ("shift + \u2190 / \u2192", "one second back / on"),
        ("\u2191 / \u2193", "select the track above / below (first row: operator)"),
        ("1-9", "choose a class of the label set; 0 chooses unknown"),
        ("[", "start an interval at this frame on the selected track"),
        ("]", "end it after this frame (label: the chosen class)"),
        ("a", "accept the suggestion under the cursor as it is"),
        ("c", "correct it: accept the suggestion's span with the chosen class"),
        ("Delete", "remove the interval under the cursor"), ("ctrl + z", "undo"),
        ("?", "show / hide this help")]


class LabelServer:
    """Serves one :class:`LabelSource` and one :class:`LabelStore` on 127.0.0.1:``port``
    (0 = a free port chosen by the system)."""

    def __init__(self, source: LabelSource, store: LabelStore,
                 suggestions: dict[str, list[dict]] | None = None, port: int = 0,
                 token: str | None = None) -> None:
        self.source, self.store = source, store
        self.suggestions = suggestions or {}
        self.token = token or secrets.token_urlsafe(24)
        self._times = source.times_s()
        handler = type("Handler", (_Handler,), {"app": self})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/?token={self.token}"

    def session(self) -> dict:
        """What the page needs at start: frames, tracks, label set, intervals, suggestions."""
        src = self.source
        return {
            "input": src.path.name, "kind": src.kind, "labels_path": str(self.store.path),
            "times": [round(t, 6) for t in self._times],
            "frame_tracks": [list(f.track_ids) for f in src.frames],
            "period": src.frame_period_s, "duration": src.duration_s,
            "tracks": src.tracks(), "classes": self.store.classes,
            "intervals": self.store.intervals, "suggestions": self.suggestions,
            "keys": KEYS,
        }

    def serve_forever(self) -> None:
        self.httpd.serve_forever(poll_interval=0.2)

    def start(self) -> None:
        """Serve in a background thread."""
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.source.close()


class _Handler(BaseHTTPRequestHandler):
    app: LabelServer
    server_version = "har-ros-label"
    sys_version = ""

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib name
        pass

    # ------------------------------------------------------------------ plumbing
    def _send(self, status: int, body: bytes, ctype: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("Content-Security-Policy",
                         "default-src 'self'; img-src 'self'; connect-src 'self'")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, obj: object) -> None:
        self._send(status, json.dumps(obj).encode(), "application/json")

    def _error(self, status: int, reason: str) -> None:
        self._json(status, {"error": reason})

    def _authorised(self, query: dict[str, list[str]]) -> bool:
        host = (self.headers.get("Host") or "").rsplit(":", 1)[0]
        if host not in ("127.0.0.1", "localhost"):
            self._error(HTTPStatus.FORBIDDEN, "wrong Host header")
            return False
        given = (query.get("token") or [""])[0]
        if not hmac.compare_digest(given.encode(), self.app.token.encode()):
            self._error(HTTPStatus.FORBIDDEN, "missing or wrong token: open the URL that "
                        "'har-ros label' printed")
            return False
        return True

    # ------------------------------------------------------------------ routes
    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        if not self._authorised(query):
            return
        if url.path in _STATIC:
            name, ctype = _STATIC[url.path]
            body = resources.files("har_ros.labelling").joinpath(name).read_text("utf-8")
            body = body.replace("{{TOKEN}}", self.app.token)
            self._send(HTTPStatus.OK, body.encode(), ctype)
        elif url.path == "/api/session":
            self._json(HTTPStatus.OK, self.app.session())
        elif url.path == "/api/frame":
            try:
                i = int((query.get("i") or [""])[0])
            except ValueError:
                i = -1
            if not 0 <= i < len(self.app.source.frames):
                self._error(HTTPStatus.NOT_FOUND, "no such frame")
                return
            try:
                self._send(HTTPStatus.OK, self.app.source.render(i), "image/jpeg")
            except HarRosError as exc:
                self._error(HTTPStatus.INTERNAL_SERVER_ERROR, str(exc))
        else:
            self._error(HTTPStatus.NOT_FOUND, "no such page")

    do_HEAD = do_GET

    def do_POST(self) -> None:  # noqa: N802 - stdlib name
        url = urlsplit(self.path)
        if not self._authorised(parse_qs(url.query)):
            return
        if url.path != "/api/labels":
            self._error(HTTPStatus.NOT_FOUND, "no such endpoint")
            return
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if not 0 < length <= MAX_BODY:
            self._error(HTTPStatus.BAD_REQUEST, f"body must be 1..{MAX_BODY} bytes")
            return
        try:
            payload = json.loads(self.rfile.read(length))
        except ValueError as exc:
            self._error(HTTPStatus.BAD_REQUEST, f"not JSON: {exc}")
            return
        try:
            result = self.app.store.save(payload)
        except HarRosError as exc:
            self._error(HTTPStatus.BAD_REQUEST, str(exc))
            return
        self._json(HTTPStatus.OK, result)

    do_PUT = do_POST
