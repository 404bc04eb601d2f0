"""GET /card.svg against the real daemon: well-formed SVG with the cover inlined from the
daemon's cache, the texts, the progress as of drawing, "Last played", the link, attribution,
themes, caching headers, and a hostile title that stays text."""

import base64
import re
import xml.etree.ElementTree as ET

from webtest import WebTestCase, main

SVG = "{http://www.w3.org/2000/svg}"
XLINK = "{http://www.w3.org/1999/xlink}"
QUICK = {"fresh-playing-s": "0.3", "fresh-paused-s": "0.3"}

HOSTILE = '<script>alert(1)</script>&amp;"\' ]]><!--'


def texts(root):
    return ["".join(t.itertext()) for t in root.iter(SVG + "text")]


class Card(WebTestCase):
    polling = QUICK

    def card(self, query="", headers=None):
        status, hdrs, body = self.request("GET", "/card.svg" + query, headers)
        self.assertEqual(status, 200, body[:200])
        return hdrs, body, ET.fromstring(body)

    def wait_for_cover(self):
        self.wait_for(lambda: "albumArtFile" in self.snapshot(), 10, "the cover cached")

    def test_playing_card(self):
        self.wait_for_json(lambda d: d["trackName"] == "First Song")
        self.wait_for_cover()
        headers, body, root = self.card()
        self.assertEqual(root.tag, SVG + "svg")
        self.assertTrue(headers["content-type"].startswith("image/svg+xml"))
        self.assertEqual(headers["cache-control"], "no-cache")
        shown = texts(root)
        for text in ("Now playing", "First Song", "The Testers", "Test Album", "Spotify"):
            self.assertIn(text, shown)
        # The cover is inlined: the daemon's cached file, byte for byte.
        image = root.find(f".//{SVG}image")
        href = image.get("href")
        self.assertTrue(href.startswith("data:image/png;base64,"), href[:40])
        with open(self.snapshot()["albumArtFile"], "rb") as f:
            self.assertEqual(base64.b64decode(href.split(",", 1)[1]), f.read())
        self.assertNotIn(b"http://127.0.0.1", body.replace(b"xmlns", b""))
        # The link to the track, and the progress bar as of drawing.
        link = root.find(f".//{SVG}a")
        self.assertEqual(link.get("href"), "https://open.spotify.com/track/t1")
        bar = root.find(f".//{SVG}rect[@class='progress']")
        self.assertIsNotNone(bar)
        self.assertGreaterEqual(float(bar.get("width")), 0)
        self.assertTrue(any(re.match(r"\d+:\d\d / 16:40", t) for t in shown), shown)

    def test_etag_304(self):
        self.wait_for_json(lambda d: True)
        headers, body, _ = self.card("?theme=dark")
        status, hdrs, body2 = self.request("GET", "/card.svg?theme=dark",
                                           {"If-None-Match": headers["etag"]})
        # Progress moves with time, so the card may have changed in between; otherwise 304.
        if status == 200:
            self.assertNotEqual(hdrs["etag"], headers["etag"])
        else:
            self.assertEqual((status, body2), (304, b""))

    def test_themes(self):
        self.wait_for_json(lambda d: True)
        _, light, _ = self.card("?theme=light")
        _, dark, _ = self.card("?theme=dark")
        self.assertIn(b"#ffffff", light)
        self.assertIn(b"#0d1117", dark)
        status, _, body = self.request("GET", "/card.svg?theme=pink")
        self.assertEqual(status, 400)
        self.assertIn(b"light or dark", body)


class LastPlayedCard(WebTestCase):
    polling = QUICK
    timeline = ('1000 track id=t1 name="First Song" artists="The Testers" album="Test Album" '
                'duration=200 progress=50 playing=false\n')

    def test_last_played(self):
        self.wait_for_json(lambda d: d["trackName"] == "First Song")
        _, _, root = self.request_card()
        shown = texts(root)
        self.assertIn("Last played", shown)
        self.assertIn("First Song", shown)
        self.assertTrue(any(t.startswith("0:50 / 3:20") for t in shown), shown)

    def request_card(self):
        status, headers, body = self.request("GET", "/card.svg")
        self.assertEqual(status, 200)
        return headers, body, ET.fromstring(body)


class HostileTitle(WebTestCase):
    polling = QUICK
    timeline = ('1000 track id=t1 name="' + HOSTILE.replace('"', '\\"') + '" artists="' +
                '<b onload=x>' + '" album="&lt;" duration=100\n')

    def test_markup_stays_text(self):
        doc = self.wait_for_json(lambda d: d["trackName"] == HOSTILE)
        self.assertEqual(doc["artistName"], "<b onload=x>")
        status, headers, body = self.request("GET", "/card.svg")
        self.assertEqual(status, 200)
        root = ET.fromstring(body)  # still well-formed
        shown = texts(root)
        self.assertIn("<b onload=x>", shown)
        self.assertTrue(any(t.startswith("<script>alert(1)") for t in shown), shown)
        self.assertEqual(root.findall(f".//{SVG}script"), [])
        self.assertNotIn(b"<script", body)
        self.assertNotIn(b"<b ", body)


if __name__ == "__main__":
    main()
