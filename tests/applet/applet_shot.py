"""spotnow-applet --screenshot --dump-labels under Xvfb against a test case's bus, and the
checks every screenshot must pass: the window's size, and not blank."""

import os
import struct
import subprocess
import zlib


def applet_env(case, **extra):
    env = dict(os.environ, DBUS_SESSION_BUS_ADDRESS=case.bus.address,
               GSK_RENDERER="cairo", GDK_BACKEND="x11", GTK_A11Y="test",
               XDG_CONFIG_HOME=os.path.join(case.workdir, "xdg-config"),
               XDG_CACHE_HOME=os.path.join(case.workdir, "applet-cache"),
               LC_ALL="C.UTF-8", **extra)
    env.pop("LANGUAGE", None)
    return env


def png_size_and_colours(path):
    """(width, height, distinct RGB(A) values) of an 8-bit non-interlaced PNG."""
    with open(path, "rb") as f:
        data = f.read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat = 8, b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    assert depth == 8 and colour in (2, 6), (depth, colour)
    channels = 3 if colour == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * channels
    colours, prev = set(), bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        for i in range(stride):  # undo the PNG row filter
            a = line[i - channels] if i >= channels else 0
            b, c = prev[i], prev[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + a) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + b) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 0xFF
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        colours.update(bytes(line[i:i + channels]) for i in range(0, stride, channels))
        prev = line
    return width, height, len(colours)


def screenshot(case, name):
    """Runs the applet until it shows what the daemon knows, saves NAME.png in the case's
    workdir, checks it and returns the texts shown (--dump-labels lines)."""
    png = os.path.join(case.workdir, name + ".png")
    result = subprocess.run(
        ["xvfb-run", "-a", "-s", "-screen 0 800x600x24", os.environ["SPOTNOW_APPLET"],
         "--screenshot", png, "--dump-labels"],
        capture_output=True, text=True, env=applet_env(case), timeout=60)
    case.assertEqual(result.returncode, 0, result.stderr)
    width, height, colours = png_size_and_colours(png)
    # The compact window (about 360x96), with text and art on it, not one flat colour.
    case.assertTrue(300 <= width <= 480 and 80 <= height <= 160, (width, height))
    case.assertGreater(colours, 16, f"{name}.png looks blank")
    return result.stdout.splitlines()
