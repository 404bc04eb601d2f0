"""A real browser: headless Chromium (Debian's chromium + chromium-driver, driven by
python3-selenium) loads spotnow-web's page against the real daemon. It shows the track, gets
the next one pushed within a second of the daemon's Changed, and stops being a viewer when its
tab is hidden. Screenshots of the page and of /card.svg are checked and kept
(SPN_WEB_SCREENSHOT_DIR: where to keep them, e.g. doc/screenshots for the README)."""

import os
import shutil
import struct
import tempfile
import time

from gi.repository import Gio
from harness import BUS_NAME, INTERFACE, OBJECT_PATH
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service

from webtest import WebTestCase, main

TIMELINE = ('1000 track id=4uLU6hMCjMI75M1A2tKUQC name="Paper Lanterns" artists="Juniper Vale" '
            'album="Night Market" duration=214 progress=63\n')
NEXT = ('1000 track id=t2 name="Slow Tide" artists="The Marrow Bells|Ada Quist" '
        'album="Harbour Lights" duration=251 progress=0\n')

# The shadow DOM's texts, as a visitor reads them.
READ_WIDGET = """
const el = document.querySelector('spotnow-now-playing');
if (!el || !el.shadowRoot) return null;
const q = (s) => el.shadowRoot.querySelector(s);
return {label: q('.label').textContent, title: q('.title').textContent,
        artist: q('.artist').textContent, href: q('.title').getAttribute('href'),
        time: q('.time').textContent, state: el.getAttribute('state')};
"""

# Wall-clock time at which each title was first shown (Date.now(), like the test's time.time()).
RECORD_ARRIVALS = """
window.__seen = window.__seen || {};
document.querySelector('spotnow-now-playing').addEventListener('spotnow-snapshot', (e) => {
  if (!(e.detail.trackName in window.__seen)) window.__seen[e.detail.trackName] = Date.now();
});
"""


def png_size(data):
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", data[16:24])


class Browser(WebTestCase):
    timeline = TIMELINE
    # A short TTL: the page's first GET (a heartbeat) expires quickly, so what keeps the viewer
    # afterwards is the stream's heartbeat alone.
    polling = {"fresh-playing-s": "0.3", "fresh-paused-s": "0.3", "presence-ttl-s": "3"}

    def setUp(self):
        super().setUp()
        self.profile = tempfile.mkdtemp(prefix="spotnow-chromium-")
        self.addCleanup(shutil.rmtree, self.profile, True)
        options = Options()
        options.binary_location = "/usr/bin/chromium"
        for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", "--no-first-run", "--hide-scrollbars",
                    f"--user-data-dir={self.profile}", "--window-size=720,300",
                    "--force-device-scale-factor=1"):
            options.add_argument(arg)
        self.driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
        self.addCleanup(self.driver.quit)
        self.changed_at = {}
        self.conn.signal_subscribe(BUS_NAME, INTERFACE, "Changed", OBJECT_PATH, None,
                                   Gio.DBusSignalFlags.NONE, self._on_changed_wall)

    def _on_changed_wall(self, conn, sender, path, iface, name, params):
        title = params.unpack()[0].get("trackName")
        self.changed_at.setdefault(title, time.time() * 1000)

    def widget(self):
        return self.driver.execute_script(READ_WIDGET)

    def keep_screenshot(self, name, data):
        width, height = png_size(data)
        self.assertGreater(width * height, 0)
        self.assertGreater(len(set(data[100:])), 50, "a blank picture")
        target = os.environ.get("SPN_WEB_SCREENSHOT_DIR") or self.workdir
        with open(os.path.join(target, name), "wb") as f:
            f.write(data)

    def test_page_shows_the_track_and_the_next_one_pushed(self):
        self.wait_for(lambda: self.snapshot()["trackName"] == "Paper Lanterns", 10, "the poll")
        self.wait_for(lambda: "albumArtFile" in self.snapshot(), 10, "the cover cached")
        self.driver.get(self.base + "/")
        shown = self.wait_for(lambda: (lambda w: w if w and w["title"] == "Paper Lanterns"
                                       else None)(self.widget()), 20, "the track on the page")
        self.assertEqual(shown["artist"], "Juniper Vale")
        self.assertEqual(shown["label"], "Now playing")
        self.assertEqual(shown["state"], "playing")
        self.assertEqual(shown["href"],
                         "https://open.spotify.com/track/4uLU6hMCjMI75M1A2tKUQC")
        # Progress ticks locally between events.
        first = shown["time"]
        self.wait_for(lambda: self.widget()["time"] != first, 20, "progress ticking")
        # The tab is visible: it holds a stream, so it is a viewer past the request's TTL.
        self.wait_for(lambda: self.viewers() == 1, 20, "the page as a viewer")
        self.pump(4)
        self.assertEqual(self.viewers(), 1)
        self.keep_screenshot("web-page.png", self.driver.find_element(
            "css selector", "spotnow-now-playing").screenshot_as_png)

        self.driver.execute_script(RECORD_ARRIVALS)
        self.fake.timeline(NEXT)
        self.wait_for(lambda: "Slow Tide" in self.changed_at, 10, "Changed from spotnowd")
        seen = self.wait_for(lambda: self.driver.execute_script(
            "return (window.__seen || {})['Slow Tide'] || null"), 5, "the next track on the page")
        delay = seen - self.changed_at["Slow Tide"]
        self.assertLess(delay, 1000, f"pushed {delay:.0f} ms after Changed")
        self.assertEqual(self.widget()["artist"], "The Marrow Bells, Ada Quist")

        # Another tab in front: this one is hidden, closes its stream, and stops being a viewer.
        self.driver.switch_to.new_window("tab")
        self.wait_for(lambda: self.viewers() == 0, 10, "no viewer with the tab hidden")

    def test_card_rendered_in_chromium(self):
        self.wait_for(lambda: "albumArtFile" in self.snapshot(), 10, "the cover cached")
        self.driver.get(self.base + "/card.svg")
        svg = self.driver.find_element("css selector", "svg")
        self.assertEqual(svg.size["width"], 420)
        self.assertEqual(svg.size["height"], 120)
        # The cover is drawn from the inlined data: URI (an SVG image loads nothing else).
        self.assertEqual(self.driver.execute_script(
            "return document.querySelector('image').href.baseVal.slice(0, 22)"),
            "data:image/png;base64,")
        self.keep_screenshot("web-card.png", svg.screenshot_as_png)
        self.driver.get(self.base + "/card.svg?theme=dark")
        self.keep_screenshot("web-card-dark.png",
                             self.driver.find_element("css selector", "svg").screenshot_as_png)


if __name__ == "__main__":
    main()
