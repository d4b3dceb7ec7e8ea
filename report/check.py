#!/usr/bin/env python3
"""The report in a real browser: headless Chromium loads index.html from disk (file://) and this
checks every section heading, that every plot is an SVG that loaded with a size, that nothing
failed to load and nothing came from anywhere but the report folder, that no script error was
logged, that every local link resolves; then it saves a screenshot of the whole page.

usage: check.py INDEX_HTML SCREENSHOT_PNG [--expect EXPECT_JSON]
EXPECT_JSON: {"plots": least number of plots, "text": {section id: [text it shows]},
              "nodata": [ids of sections that must say which command fills them]}
Status 0 when every check holds, 1 when one fails, 2 for bad arguments."""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import browser  # noqa: E402
import page  # noqa: E402

PROBE = """JSON.stringify({
  headings: [...document.querySelectorAll('section > h2')]
    .map(h => [h.parentElement.id, h.textContent]),
  images: [...document.images].map(i => ({src: i.getAttribute('src'), complete: i.complete,
    width: i.naturalWidth, height: i.naturalHeight})),
  links: [...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href')),
  sections: Object.fromEntries([...document.querySelectorAll('section')]
    .map(s => [s.id, s.innerText])),
  nodata: [...document.querySelectorAll('section .nodata')]
    .map(p => [p.closest('section').id, p.innerText]),
})"""


class Checks:
    def __init__(self):
        self.failed, self.passed = [], 0

    def expect(self, good, what):
        if good:
            self.passed += 1
        else:
            self.failed.append(what)
            print(f"report-check: FAIL: {what}")


def network(checks, events, folder):
    """Every request a file under the report folder (or data:), none failed, none refused."""
    base = "file://" + os.path.abspath(folder)
    requests = {e["params"]["requestId"]: e["params"]["request"]["url"]
                for e in events if e["method"] == "Network.requestWillBeSent"}
    for url in requests.values():
        checks.expect(url.startswith(base) or url.startswith("data:"),
                      f"a request outside the report folder: {url}")
    for e in events:
        p = e["params"]
        if e["method"] == "Network.loadingFailed":
            checks.expect(False, f"failed to load {requests.get(p['requestId'], '?')}: "
                                 f"{p.get('errorText')}")
        elif e["method"] == "Network.responseReceived":
            status = p["response"].get("status", 0)
            checks.expect(status in (0, 200), f"{p['response'].get('url')}: status {status}")
        elif e["method"] == "Runtime.exceptionThrown":
            checks.expect(False, f"script error: {p['exceptionDetails'].get('text')}")
        elif e["method"] == "Log.entryAdded" and p["entry"].get("level") == "error":
            entry = p["entry"]
            checks.expect(False, f"browser error: {entry.get('text')} {entry.get('url', '')}")
    return len(requests)


def check(index, shot, expect):
    checks = Checks()
    folder = os.path.dirname(os.path.abspath(index))
    b = browser.Browser()
    try:
        events = b.load("file://" + os.path.abspath(index))
        found = json.loads(b.evaluate(PROBE))
        b.screenshot(shot)
    finally:
        b.close()
    requests = network(checks, events, folder)
    checks.expect(found["headings"] == [list(s) for s in page.SECTIONS],
                  f"section headings {found['headings']} are not {page.SECTIONS}")
    for image in found["images"]:
        path = os.path.join(folder, image["src"] or "")
        checks.expect(image["src"].startswith("plots/") and image["src"].endswith(".svg"),
                      f"an image that is not a plot's SVG: {image['src']}")
        checks.expect(image["complete"] and image["width"] > 0 and image["height"] > 0,
                      f"{image['src']} did not load with a size "
                      f"({image['width']}x{image['height']})")
        checks.expect(os.path.isfile(path) and os.path.getsize(path) > 0, f"{path} is empty")
    checks.expect(len(found["images"]) >= expect.get("plots", 0),
                  f"{len(found['images'])} plots, expected at least {expect.get('plots')}")
    for href in found["links"]:
        if href.startswith("#"):
            checks.expect(href[1:] in dict(page.SECTIONS), f"a link to no section: {href}")
        else:
            checks.expect(os.path.isfile(os.path.join(folder, href)), f"a broken link: {href}")
    for sid, texts in expect.get("text", {}).items():
        for text in texts:
            checks.expect(text in found["sections"].get(sid, ""), f"section {sid} lacks '{text}'")
    nodata = dict(found["nodata"])
    for sid in expect.get("nodata", []):
        checks.expect("make " in nodata.get(sid, ""),
                      f"section {sid} does not say which command fills it")
    checks.expect(os.path.getsize(shot) > 10000, f"the screenshot {shot} is nearly empty")
    print(f"report-check: {os.path.relpath(index)}: {len(found['headings'])} sections, "
          f"{len(found['images'])} plots loaded, {requests} request(s), all from the report "
          f"folder; {checks.passed} checks passed, {len(checks.failed)} failed; "
          f"screenshot {os.path.relpath(shot)}")
    return 0 if not checks.failed else 1


def main(argv):
    if len(argv) not in (2, 4) or (len(argv) == 4 and argv[2] != "--expect"):
        print("report-check: usage: check.py INDEX_HTML SCREENSHOT_PNG [--expect EXPECT_JSON]",
              file=sys.stderr)
        return 2
    if not os.path.isfile(argv[0]):
        print(f"report-check: {argv[0]}: no such report (make report makes it)", file=sys.stderr)
        return 2
    expect = {}
    if len(argv) == 4:
        try:
            with open(argv[3], encoding="utf-8") as f:
                expect = json.load(f)
        except (OSError, ValueError) as e:
            print(f"report-check: {argv[3]}: {e}", file=sys.stderr)
            return 2
    try:
        return check(argv[0], argv[1], expect)
    except browser.BrowserError as e:
        print(f"report-check: FAIL: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
