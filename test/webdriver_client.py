"""A minimal W3C WebDriver client (standard library only) to drive Debian's headless
Chromium through chromedriver, for the labelling page's browser test.

Only what the test needs: start chromedriver on a free port, open a session, navigate, press
keys (Actions API), run a script, reload, take a screenshot.
"""

from __future__ import annotations

import base64
import json
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

#: WebDriver key codes (W3C "keys" table).
KEYS = {"ArrowLeft": "\ue012", "ArrowUp": "\ue013", "ArrowRight": "\ue014",
        "ArrowDown": "\ue015", "Shift": "\ue008", "Control": "\ue009", "Delete": "\ue017"}


def find_browser() -> tuple[str, str] | None:
    """(chromium, chromedriver) paths, or None when either is missing."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    return (browser, driver) if browser and driver else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Browser:
    """One headless Chromium session driven over chromedriver's HTTP API."""

    def __init__(self, browser: str, driver: str, log: Path, size: tuple[int, int] = (1280, 900)
                 ) -> None:
        port = _free_port()
        self._log = log.open("w")
        self.proc = subprocess.Popen([driver, f"--port={port}"], stdout=self._log,
                                     stderr=subprocess.STDOUT)
        self.base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                self._call("GET", "/status")
                break
            except (urllib.error.URLError, ConnectionError):
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise RuntimeError(f"chromedriver did not start; see {log}") from None
                time.sleep(0.2)
        args = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                f"--window-size={size[0]},{size[1]}"]
        caps = {"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": browser, "args": args}}}}
        self.session = self._call("POST", "/session", caps)["sessionId"]

    def _call(self, method: str, path: str, body: dict | None = None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return json.loads(r.read() or b"{}").get("value")
        except urllib.error.HTTPError as exc:
            raise RuntimeError(f"WebDriver {method} {path}: {exc.read()[:500]!r}") from exc

    def _s(self, method: str, path: str, body: dict | None = None):
        return self._call(method, f"/session/{self.session}{path}", body)

    def get(self, url: str) -> None:
        self._s("POST", "/url", {"url": url})

    def refresh(self) -> None:
        self._s("POST", "/refresh", {})

    def script(self, source: str, *args: object):
        """Run ``source`` (a function body; ``arguments`` holds ``args``) and return its value."""
        return self._s("POST", "/execute/sync", {"script": source, "args": list(args)})

    def keys(self, *presses: str) -> None:
        """Press keys one after another, as a user types. A press is one key (a character or a
        name in :data:`KEYS`), or modifiers joined with '+' (``"Control+z"``,
        ``"Shift+ArrowRight"``)."""
        actions = []
        for press in presses:
            parts = press.split("+") if len(press) > 1 else [press]
            codes = [KEYS.get(p, p) for p in parts]
            actions += [{"type": "keyDown", "value": c} for c in codes]
            actions += [{"type": "keyUp", "value": c} for c in reversed(codes)]
        self._s("POST", "/actions", {"actions": [{"type": "key", "id": "keyboard",
                                                  "actions": actions}]})

    def screenshot(self, path: Path) -> None:
        path.write_bytes(base64.b64decode(self._s("GET", "/screenshot")))

    def wait(self, source: str, timeout_s: float = 20.0, what: str = ""):
        """Poll the script ``source`` until it returns a truthy value; returns it."""
        deadline = time.monotonic() + timeout_s
        while True:
            value = self.script(source)
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what or source}")
            time.sleep(0.1)

    def close(self) -> None:
        try:
            self._call("DELETE", f"/session/{self.session}")
        except (RuntimeError, urllib.error.URLError, ConnectionError):
            pass
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._log.close()
