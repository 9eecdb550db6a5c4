"""Debian's chromium, headless, for the console's tests: the DOM a real
browser builds, screenshots, and the colour of a pixel in one.

Absent chromium skips those tests on a workstation, but fails them in CI
(env CI set): there .ci/install-browser must have installed it."""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

NAMES = ("chromium", "chromium-browser", "google-chrome")


def require_chromium() -> str:
    for name in NAMES:
        path = shutil.which(name)
        if path:
            return path
    if os.environ.get("CI"):
        pytest.fail("chromium is not installed; CI must run the console's browser tests: run .ci/install-browser first")
    pytest.skip("chromium is not installed (apt-get install chromium, or .ci/install-browser); these tests run in CI")


def chromium(browser: str, profile: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    command = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
               "--hide-scrollbars", "--force-device-scale-factor=1", f"--user-data-dir={profile}", *args]
    result = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, result.stderr[-2000:]
    return result


def dump_dom(browser: str, profile: Path, url: str) -> str:
    return chromium(browser, profile, "--dump-dom", url).stdout


def screenshot(browser: str, profile: Path, url: str, out: Path, width: int, height: int) -> Path:
    chromium(browser, profile, f"--screenshot={out}", f"--window-size={width},{height}", url)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    return out


def png_pixels(path: Path) -> tuple[int, int, list[bytes]]:
    """(width, height, rows of RGB(A) bytes) of an 8-bit, non-interlaced PNG (what chromium writes)."""
    data = path.read_bytes()
    position, chunks, header = 8, [], b""
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        body = data[position + 8:position + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            chunks.append(body)
        position += 12 + length
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert depth == 8 and colour in (2, 6) and interlace == 0, (depth, colour, interlace)
    channels = 3 if colour == 2 else 4
    raw = zlib.decompress(b"".join(chunks))
    stride = width * channels
    rows: list[bytes] = []
    previous = bytearray(stride)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            corner = previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 0xFF
        rows.append(bytes(line))
        previous = line
    return width, height, rows


def pixel(image: tuple[int, int, list[bytes]], x: float, y: float) -> str:
    width, _height, rows = image
    channels = len(rows[0]) // width
    offset = int(x) * channels
    r, g, b = rows[int(y)][offset:offset + 3]
    return f"#{r:02x}{g:02x}{b:02x}"
