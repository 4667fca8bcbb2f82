#!/usr/bin/env python3
"""Loads a mambahw sweep report in headless Chromium and checks what it drew.

  check_html.py REPORT.html RESULTS.json SCREENSHOT.png

The DOM after the page's scripts ran (chromium --dump-dom) is parsed here,
independently of the page's own code: each plot's <div> must hold an SVG
whose mark groups have as many marks as results.json has rows for that plot
(one symbol per ok point, plus a ring per Pareto point; one bar per row of a
breakdown table); no console message may be an error. A screenshot of the
page is saved. Exit 0: passed, 1: failed, 77: Chromium is not installed.
"""
import html.parser
import json
import shutil
import subprocess
import sys


def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


class Marks(html.parser.HTMLParser):
    """Per plot div id: the number of <path> elements inside each mark group class."""

    def __init__(self, ids):
        super().__init__()
        self.ids = set(ids)
        self.stack = []  # (tag, plot id or None, mark class or None)
        self.counts = {i: {} for i in ids}
        self.svgs = {i: 0 for i in ids}
        self.text = {}
        self.text_id = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        plot = self.stack[-1][1] if self.stack else None
        mark = self.stack[-1][2] if self.stack else None
        if a.get("id") in self.ids:
            plot = a["id"]
        cls = a.get("class", "") or ""
        if tag == "g" and "role-mark" in cls.split():
            mark = next((c for c in cls.split() if c.startswith("mark-")), "mark-?")
        if plot and tag == "svg":
            self.svgs[plot] += 1
        if plot and mark and tag == "path" and self.stack and self.stack[-1][0] == "g":
            self.counts[plot][mark] = self.counts[plot].get(mark, 0) + 1
        if a.get("id") in ("render-status", "errors"):
            self.text_id = a["id"]
            self.text[self.text_id] = ""
        if tag not in ("path", "meta", "br", "img", "input", "link", "circle", "rect", "line"):
            self.stack.append((tag, plot, mark))

    def handle_endtag(self, tag):
        if self.stack and self.stack[-1][0] == tag:
            self.stack.pop()
        if tag == "pre":
            self.text_id = None

    def handle_data(self, data):
        if self.text_id:
            self.text[self.text_id] += data


def main():
    if len(sys.argv) != 4:
        print(__doc__)
        return 2
    page, results, shot = sys.argv[1:]
    exe = chromium()
    if not exe:
        print("check_html: skipped: chromium is not installed (tools/install-deps.sh installs it)")
        return 77
    r = json.load(open(results))
    ok = [p for p in r["points"] if p["status"] == "ok"]
    pareto = [p for p in ok if p.get("pareto")]
    expect = {
        "pareto-area-energy": {"mark-symbol": len(ok) + len(pareto)},
        "pareto-energy-sqnr": {"mark-symbol": len(ok) + len(pareto)},
        "energy-by-unit": {"mark-rect": len(r["energy_by_category"])},
        "area-by-unit": {"mark-rect": len(r["area_by_unit"])},
        "index-sram": {"mark-rect": len(r["index_sram"])},
        "op-cycles": {"mark-rect": len(r["op_cycles"])},
    }
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--allow-file-access-from-files",
             "--virtual-time-budget=20000", "--enable-logging=stderr", "--v=0"]
    url = "file://" + page if page.startswith("/") else page
    dom = subprocess.run([exe] + flags + ["--dump-dom", url], capture_output=True, text=True, timeout=180)
    failures = []
    console = [l for l in dom.stderr.splitlines() if ":CONSOLE" in l]
    for line in console:
        if "ERROR:CONSOLE" in line or "Uncaught" in line or "Error" in line:
            failures.append("console: " + line)
    parser = Marks(expect.keys())
    parser.feed(dom.stdout)
    status = parser.text.get("render-status", "").strip()
    if status != "rendered %d" % len(expect):
        failures.append("render status %r (errors: %r)" % (status, parser.text.get("errors", "")))
    for plot, marks in expect.items():
        if parser.svgs[plot] < 1:
            failures.append("%s: no SVG" % plot)
        for mark, n in marks.items():
            got = parser.counts[plot].get(mark, 0)
            if got != n:
                failures.append("%s: %d %s marks, expected %d (all: %s)" % (plot, got, mark, n, parser.counts[plot]))
            else:
                print("check_html: %s: %d %s marks as expected" % (plot, got, mark))
    shot_run = subprocess.run([exe] + flags[:5] + ["--hide-scrollbars", "--window-size=1280,4200",
                                                   "--screenshot=" + shot, url],
                              capture_output=True, text=True, timeout=180)
    if shot_run.returncode != 0:
        failures.append("screenshot failed: " + shot_run.stderr[-500:])
    for f in failures:
        print("check_html: FAIL:", f)
    if not failures:
        print("check_html: %d plots rendered, %d console messages, none an error; screenshot %s" %
              (len(expect), len(console), shot))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
