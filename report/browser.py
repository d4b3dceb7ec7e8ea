"""Headless Chromium driven through the DevTools protocol over a pipe (--remote-debugging-pipe:
JSON messages ending in a NUL byte, commands on fd 3, answers and events on fd 4), with only
Python's standard library: load a page, evaluate JavaScript in it, take a screenshot."""

import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import tempfile
import time


class BrowserError(Exception):
    pass


def _above_ten(fd):
    high = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return high


class Browser:
    """One headless Chromium with one page; every event it sends is kept in .events."""

    def __init__(self, timeout=60):
        exe = shutil.which("chromium") or shutil.which("chromium-browser")
        if exe is None:
            raise BrowserError("chromium is missing (Debian package chromium): "
                               "bash tools/deps.sh report-test installs it")
        self.timeout = timeout
        self.profile = tempfile.mkdtemp(prefix="report-chromium-")
        # We write the commands the browser reads on its fd 3 and read what it writes on fd 4.
        # The child's ends go above 10 first, so that moving them to 3 and 4 clobbers neither;
        # every other descriptor of ours is close-on-exec (Python's default).
        to_child, self.out = os.pipe()
        self.inp, from_child = os.pipe()
        to_child, from_child = _above_ten(to_child), _above_ten(from_child)
        flags = ["--headless", "--remote-debugging-pipe", "--disable-gpu", "--no-first-run",
                 "--no-default-browser-check", "--disable-extensions", "--disable-sync",
                 "--disable-background-networking", "--hide-scrollbars", "--mute-audio",
                 f"--user-data-dir={self.profile}", "about:blank"]
        if os.geteuid() == 0:
            flags.insert(0, "--no-sandbox")  # Chromium refuses to run as root with its sandbox

        def fds():
            os.dup2(to_child, 3)  # dup2 clears close-on-exec on 3 and 4
            os.dup2(from_child, 4)

        self.log = open(os.path.join(self.profile, "chromium.log"), "wb")
        self.proc = subprocess.Popen([exe] + flags, stdin=subprocess.DEVNULL, stdout=self.log,
                                     stderr=self.log, preexec_fn=fds, close_fds=False)
        os.close(to_child)
        os.close(from_child)
        self.buffer, self.next_id, self.events, self.session = b"", 0, [], None
        targets = self.call("Target.getTargets")["targetInfos"]
        pages = [t for t in targets if t.get("type") == "page"]
        target = pages[0]["targetId"] if pages else self.call(
            "Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.call("Target.attachToTarget",
                                 {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Network", "Runtime", "Log"):
            self.call(f"{domain}.enable")

    def _read(self, deadline):
        """The next message (an answer or an event)."""
        while b"\0" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise BrowserError("chromium did not answer in time")
            ready, _, _ = select.select([self.inp], [], [], left)
            if ready:
                chunk = os.read(self.inp, 1 << 20)
                if not chunk:
                    raise BrowserError("chromium closed its pipe (exit status "
                                       f"{self.proc.poll()}); its log: {self.log.name}")
                self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(message)

    def call(self, method, params=None, session=True):
        """Sends a command and returns its result; events that arrive meanwhile are kept."""
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session and self.session:
            message["sessionId"] = self.session
        os.write(self.out, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + self.timeout
        while True:
            answer = self._read(deadline)
            if answer.get("id") == self.next_id:
                if "error" in answer:
                    raise BrowserError(f"{method}: {answer['error'].get('message')}")
                return answer.get("result", {})
            if "method" in answer:
                self.events.append(answer)

    def wait_for(self, method):
        """Waits for an event (or finds it among those already kept)."""
        deadline = time.monotonic() + self.timeout
        while not any(e["method"] == method for e in self.events):
            message = self._read(deadline)
            if "method" in message:
                self.events.append(message)

    def load(self, url):
        """Navigates to url and waits for its load event; returns the events of that load."""
        self.events = []
        result = self.call("Page.navigate", {"url": url})
        if result.get("errorText"):
            raise BrowserError(f"{url}: {result['errorText']}")
        self.wait_for("Page.loadEventFired")
        return self.events

    def evaluate(self, expression):
        """The JSON value of a JavaScript expression in the page."""
        result = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        if "exceptionDetails" in result:
            raise BrowserError(f"evaluate: {result['exceptionDetails'].get('text')}")
        return result["result"].get("value")

    def screenshot(self, path, width=1280):
        """The whole page as a PNG file."""
        metrics = {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": False}
        self.call("Emulation.setDeviceMetricsOverride", metrics)  # the page's height at width
        metrics["height"] = min(int(self.evaluate("document.documentElement.scrollHeight")), 16000)
        self.call("Emulation.setDeviceMetricsOverride", metrics)
        shot = self.call("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})
        with open(path, "wb") as f:
            f.write(base64.b64decode(shot["data"]))

    def close(self):
        try:
            self.call("Browser.close", session=False)
        except (BrowserError, OSError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
        shutil.rmtree(self.profile, ignore_errors=True)
