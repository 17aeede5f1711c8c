"""Headless Chromium driven through the DevTools protocol: open a page, record what failed."""

from __future__ import annotations

import base64
import itertools
import json
import shutil
import subprocess
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import websocket

# Offline and quiet: no GPU, no QUIC, no background traffic to Google's services.
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--remote-debugging-port=0", "--window-size=1280,900"]


@dataclass
class Visit:
    """What one page did: console errors, failed requests, images that did not load."""

    url: str
    errors: list = field(default_factory=list)        # (text, source URL)
    failed: list = field(default_factory=list)        # (request URL, error text)
    broken_images: list = field(default_factory=list)
    links: list = field(default_factory=list)
    image_count: int = 0


class Chromium:
    """One headless Chromium with a fresh profile; use as a context manager."""

    def __init__(self, binary: str = "chromium"):
        self.binary = shutil.which(binary)
        if self.binary is None:
            raise FileNotFoundError(f"{binary} not found: install Debian's chromium")
        self.ids = itertools.count(1)

    def __enter__(self):
        self.profile = tempfile.mkdtemp(prefix="vaelab-chromium-")
        self.process = subprocess.Popen([self.binary, *FLAGS, f"--user-data-dir={self.profile}",
                                         "about:blank"], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        port_file = Path(self.profile) / "DevToolsActivePort"
        deadline = time.monotonic() + 60
        while not port_file.exists() or not port_file.read_text().strip():
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError("chromium did not open its DevTools port")
            time.sleep(0.2)
        port = port_file.read_text().split()[0]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list") as reply:
            page = next(t for t in json.load(reply) if t["type"] == "page")
        self.socket = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=60)
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.call(f"{domain}.enable")
        return self

    def __exit__(self, *exc):
        self.socket.close()
        self.process.terminate()
        self.process.wait(timeout=30)
        shutil.rmtree(self.profile, ignore_errors=True)

    def call(self, method: str, events: list | None = None, **params):
        """Send one command and return its result; events that arrive meanwhile go to `events`."""
        ident = next(self.ids)
        self.socket.send(json.dumps({"id": ident, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv())
            if message.get("id") == ident:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message["result"]
            if events is not None and "method" in message:
                events.append(message)

    def visit(self, url: str, screenshot: Path, settle: float = 1.0) -> Visit:
        """Load `url`, wait for it and a moment more, save a full-page PNG, report failures.

        An ``<img src="">`` is no image to load (pkgdown 2.0.7 writes one where a package
        has no logo) and is not counted.
        """
        events = []
        self.call("Page.navigate", events, url=url)
        deadline = time.monotonic() + 60
        while not any(e["method"] == "Page.loadEventFired" for e in events):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{url} did not finish loading")
            events.append(json.loads(self.socket.recv()))
        end = time.monotonic() + settle
        self.socket.settimeout(0.2)
        while time.monotonic() < end:
            try:
                events.append(json.loads(self.socket.recv()))
            except websocket.WebSocketTimeoutException:
                pass
        self.socket.settimeout(60)
        visit = _visit_from(url, events)
        page = self.call("Runtime.evaluate", returnByValue=True, expression="""({
            images: Array.from(document.images).filter(i => i.getAttribute('src'))
                .map(i => [i.src, i.complete && i.naturalWidth > 0]),
            links: Array.from(document.querySelectorAll('a[href]')).map(a => a.href)})""")
        found = page["result"]["value"]
        visit.image_count = len(found["images"])
        visit.broken_images = [src for src, ok in found["images"] if not ok]
        visit.links = found["links"]
        shot = self.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)
        screenshot.write_bytes(base64.b64decode(shot["data"]))
        return visit


def _visit_from(url: str, events: list) -> Visit:
    visit = Visit(url)
    requests = {}
    for event in events:
        method, params = event["method"], event.get("params", {})
        if method == "Network.requestWillBeSent":
            requests[params["requestId"]] = params["request"]["url"]
        elif method == "Network.loadingFailed":
            visit.failed.append((requests.get(params["requestId"], "?"), params["errorText"]))
        elif method == "Runtime.exceptionThrown":
            details = params["exceptionDetails"]
            text = details.get("exception", {}).get("description") or details["text"]
            visit.errors.append((text.splitlines()[0], details.get("url", "")))
        elif method == "Runtime.consoleAPICalled" and params["type"] in ("error", "assert"):
            text = " ".join(str(a.get("value", a.get("description", ""))) for a in params["args"])
            visit.errors.append((text, ""))
        elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
            entry = params["entry"]
            visit.errors.append((entry["text"], entry.get("url", "")))
    return visit
