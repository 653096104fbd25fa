#!/usr/bin/python3
"""Compares QR decoders on a corpus written by "fuscanctl corpus".

    compare_decoders.py [--fuscanctl PATH] [--results FILE] DIR
    compare_decoders.py --speed N --fuscanctl PATH DIR

Reads DIR/truth.jsonl and decodes every image in DIR with zxing-cpp
(zxingcpp.read_barcodes, QR codes only) and zbar (QR codes only), both on the
same 8-bit gray pixels (colour images converted with BT.601 luma, as PIL's
"L" mode does), timing each decode alone: loading and converting the file is
not counted. With --fuscanctl, it also runs "fuscanctl decode --json" on the
same files and takes the decode times it reports (which exclude file loading
too); fuscan gets the files themselves, so it may use a colour image's
channels. The PDF card sheet is decoded by fuscan only.

Prints a table per category: images, then for each decoder the images whose
true text was found ("ok"), the images where a text other than the truth was
returned ("wrong"; for empty frames, any text), and the median and 95th
percentile decode time in milliseconds. "any" counts the images that at least
one of zxing-cpp and zbar read. --results writes one JSON line per image and
decoder, for a closer look.

With --speed N it times fuscan against zxing-cpp instead (scripts/speed.sh):
every image is decoded N times by zxing-cpp, by "fuscanctl decode --json" (as
a user would: every code, a budget of 2 s) and by "fuscanctl decode --json
--camera" (as the terminal decodes a camera frame: the first code, 50 ms),
the three taking turns image by image so that the machine's load falls on
all alike; each image's time is the median of its N. fuscanctl runs as one
process a mode, fed file names on its standard input, and reports its own
decode times, which exclude reading and converting the file as zxing-cpp's
do. Prints per category the images read (in every one of the N runs), the
median and 90th percentile decode time, fuscan's times over zxing-cpp's,
and the ladder steps that read fuscan's codes.

Needs Debian's python3-zxing-cpp, python3-zbar, python3-pil and python3-numpy
(scripts/compare.sh installs them) and runs with /usr/bin/python3.
"""

import argparse
import json
import os
import subprocess
import sys
import time
from collections import OrderedDict

import numpy as np
import zbar
import zxingcpp
from PIL import Image


def load_gray(path):
    """Returns the image at path as a C-contiguous 2-D uint8 array of luma."""
    with Image.open(path) as im:
        im.load()
        if im.mode != "L":
            im = im.convert("RGB").convert("L")
        return np.ascontiguousarray(np.asarray(im, dtype=np.uint8))


class ZXingCPP:
    name = "zxing-cpp"

    def decode(self, gray):
        t = time.perf_counter()
        results = zxingcpp.read_barcodes(gray, formats=zxingcpp.BarcodeFormat.QRCode)
        ms = (time.perf_counter() - t) * 1000
        return [r.text for r in results if r.valid], ms


class ZBar:
    name = "zbar"

    def __init__(self):
        self.scanner = zbar.ImageScanner()
        self.scanner.set_config(zbar.Symbol.NONE, zbar.Config.ENABLE, 0)
        self.scanner.set_config(zbar.Symbol.QRCODE, zbar.Config.ENABLE, 1)

    def decode(self, gray):
        h, w = gray.shape
        image = zbar.Image(w, h, "Y800", gray.tobytes())
        t = time.perf_counter()
        self.scanner.scan(image)
        ms = (time.perf_counter() - t) * 1000
        return [s.data for s in image], ms


class FuscanProcess:
    """A "fuscanctl decode --json -" process, fed one file at a time."""

    def __init__(self, fuscanctl, name, *flags):
        self.name = name
        self.proc = subprocess.Popen([fuscanctl, "decode", "--json"] + list(flags) + ["-"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)

    def decode(self, path):
        """Returns (texts, steps, ms) for the file at path."""
        self.proc.stdin.write(path + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            sys.exit("fuscanctl decode ended early (exit %s)" % self.proc.wait())
        r = json.loads(line)
        codes = r.get("codes") or []
        return [c["text"] for c in codes], [c.get("step", "") for c in codes], float(r.get("ms", 0))

    def close(self):
        self.proc.stdin.close()
        self.proc.wait()


def speed(args, images):
    """Times zxing-cpp and fuscan's two modes on images, args.speed times
    each, taking turns, and prints the table."""
    zx = ZXingCPP()
    fuscan = [FuscanProcess(args.fuscanctl, "fuscan decode"),
              FuscanProcess(args.fuscanctl, "fuscan camera", "--camera")]
    names = [zx.name] + [f.name for f in fuscan]
    tallies = OrderedDict()
    steps = {}
    first = True
    for t in images:
        path = os.path.join(args.dir, t["file"])
        gray = load_gray(path)
        if first:  # warm up: a library's first call may pay for its set-up
            zx.decode(gray)
            for f in fuscan:
                f.decode(path)
            first = False
        ms = {n: [] for n in names}
        ok = {n: True for n in names}
        wrong = {n: False for n in names}
        for k in range(args.speed):
            # Take turns, and change who goes first.
            order = [zx] + fuscan
            order = order[k % len(order):] + order[:k % len(order)]
            for d in order:
                if d is zx:
                    texts, took = zx.decode(gray)
                    read_steps = []
                else:
                    texts, read_steps, took = d.decode(path)
                found, bad = judge(t["text"], texts)
                ms[d.name].append(took)
                ok[d.name] = ok[d.name] and found
                wrong[d.name] = wrong[d.name] or bad
                if k == 0 and d is not zx:
                    for s in read_steps:
                        key = (t["category"], d.name)
                        steps.setdefault(key, {})
                        steps[key][s] = steps[key].get(s, 0) + 1
        tally = tallies.setdefault(t["category"], Tally())
        tally.images += 1
        for n in names:
            tally.add(n, ok[n], wrong[n], percentile(ms[n], 50))
    for f in fuscan:
        f.close()

    print("%-10s %6s | %-27s | %-41s | %-41s" % ("category", "images", zx.name, fuscan[0].name, fuscan[1].name))
    sub = "%-10s %6s | %5s %5s %7s %7s" % ("", "", "ok", "wrong", "p50 ms", "p90 ms")
    for _ in fuscan:
        sub += " | %5s %5s %7s %7s %6s %6s" % ("ok", "wrong", "p50 ms", "p90 ms", "p50 ×", "p90 ×")
    print(sub)
    print("-" * len(sub))
    verdicts = []
    for cat, tally in tallies.items():
        zp50, zp90 = percentile(tally.ms[zx.name], 50), percentile(tally.ms[zx.name], 90)
        line = "%-10s %6d | %5d %5d %7.1f %7.1f" % (cat, tally.images, tally.ok[zx.name], tally.wrong[zx.name], zp50, zp90)
        for f in fuscan:
            p50, p90 = percentile(tally.ms[f.name], 50), percentile(tally.ms[f.name], 90)
            line += " | %5d %5d %7.1f %7.1f %6.2f %6.2f" % (tally.ok[f.name], tally.wrong[f.name], p50, p90, p50 / zp50, p90 / zp90)
            met = p50 <= zp50 and p90 <= 2 * zp90 and tally.ok[f.name] >= tally.ok[zx.name] and tally.wrong[f.name] == 0
            verdicts.append("%-10s %-13s median %.2f× zxing-cpp's (target ≤ 1), p90 %.2f× (target ≤ 2), read %d of %d, %d wrong: %s" % (
                cat, f.name, p50 / zp50, p90 / zp90, tally.ok[f.name], tally.images, tally.wrong[f.name], "met" if met else "NOT MET"))
        print(line)
    print()
    for v in verdicts:
        print(v)
    print()
    print("steps that read fuscan's codes (first run):")
    for (cat, name), counts in steps.items():
        print("  %-10s %-13s %s" % (cat, name, ", ".join("%s %d" % kv for kv in sorted(counts.items(), key=lambda kv: -kv[1]))))


def run_fuscan(fuscanctl, directory, files):
    """Returns {file: (texts, ms, error)} from "fuscanctl decode --json"."""
    out = {}
    batch = 64  # keep command lines short
    for i in range(0, len(files), batch):
        paths = [os.path.join(directory, f) for f in files[i:i + batch]]
        proc = subprocess.run([fuscanctl, "decode", "--json"] + paths,
                              capture_output=True, text=True)
        if proc.returncode not in (0, 1):
            sys.exit("fuscanctl decode failed (exit %d): %s" % (proc.returncode, proc.stderr.strip()))
        for line in proc.stdout.splitlines():
            r = json.loads(line)
            texts = [(c["text"], c.get("page", 0)) for c in r.get("codes") or []]
            out[os.path.basename(r["file"])] = (texts, float(r.get("ms", 0)), r.get("error"))
    return out


def percentile(values, p):
    if not values:
        return float("nan")
    v = sorted(values)
    k = (len(v) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


class Tally:
    def __init__(self):
        self.images = 0
        self.ok = {}
        self.wrong = {}
        self.ms = {}
        self.any = 0

    def add(self, decoder, ok, wrong, ms):
        self.ok[decoder] = self.ok.get(decoder, 0) + ok
        self.wrong[decoder] = self.wrong.get(decoder, 0) + wrong
        self.ms.setdefault(decoder, []).append(ms)


def judge(truth, texts):
    """Returns (found, wrong) for the texts a decoder returned."""
    if not truth:
        return False, bool(texts)
    return truth in texts, any(t != truth for t in texts)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dir")
    ap.add_argument("--fuscanctl", help="path of a fuscanctl that has the decode command")
    ap.add_argument("--results", help="write per-image results to this JSON Lines file")
    ap.add_argument("--speed", type=int, metavar="N",
                    help="time fuscan against zxing-cpp, each image N times (needs --fuscanctl)")
    args = ap.parse_args()

    with open(os.path.join(args.dir, "truth.jsonl")) as f:
        truth = [json.loads(line) for line in f if line.strip()]
    images = [t for t in truth if not t["file"].endswith(".pdf")]
    cards = [t for t in truth if t["file"].endswith(".pdf")]
    if args.speed:
        if not args.fuscanctl:
            sys.exit("--speed needs --fuscanctl")
        speed(args, images)
        return

    decoders = [ZXingCPP(), ZBar()]
    names = [d.name for d in decoders]
    fuscan = None
    if args.fuscanctl:
        files = [t["file"] for t in images] + sorted({t["file"] for t in cards})
        fuscan = run_fuscan(args.fuscanctl, args.dir, files)
        names.append("fuscan")

    # Warm up: the first call of a library may pay for its set-up.
    if images:
        g = load_gray(os.path.join(args.dir, images[0]["file"]))
        for d in decoders:
            d.decode(g)

    tallies = OrderedDict()
    total = Tally()
    results = open(args.results, "w") if args.results else None
    for t in images:
        gray = load_gray(os.path.join(args.dir, t["file"]))
        tally = tallies.setdefault(t["category"], Tally())
        tally.images += 1
        total.images += 1
        read_by_any = False
        outcomes = []
        for d in decoders:
            texts, ms = d.decode(gray)
            outcomes.append((d.name, texts, ms, None))
        if fuscan is not None:
            texts, ms, err = fuscan.get(t["file"], ([], float("nan"), "no result"))
            outcomes.append(("fuscan", [x for x, _ in texts], ms, err))
        for name, texts, ms, err in outcomes:
            found, wrong = judge(t["text"], texts)
            tally.add(name, found, wrong, ms)
            total.add(name, found, wrong, ms)
            if found and name != "fuscan":
                read_by_any = True
            if results:
                results.write(json.dumps({"file": t["file"], "category": t["category"], "decoder": name,
                                          "found": found, "wrong": wrong, "ms": round(ms, 3),
                                          "texts": texts, "error": err}) + "\n")
        if read_by_any:
            tally.any += 1
            total.any += 1
    if results:
        results.close()

    w = 12
    head = "%-12s %6s" % ("category", "images")
    for n in names:
        head += " | %*s" % (w + 20, n)
    head += " | %5s" % "any"
    sub = "%-12s %6s" % ("", "")
    for _ in names:
        sub += " | %5s %5s %9s %9s" % ("ok", "wrong", "p50 ms", "p95 ms")
    sub += " | %5s" % "z|zb"
    print(head)
    print(sub)
    print("-" * len(sub))

    def row(label, tally):
        line = "%-12s %6d" % (label, tally.images)
        for n in names:
            ms = [m for m in tally.ms.get(n, []) if m == m]
            line += " | %5d %5d %9.1f %9.1f" % (tally.ok.get(n, 0), tally.wrong.get(n, 0),
                                               percentile(ms, 50), percentile(ms, 95))
        line += " | %5d" % tally.any
        print(line)

    for cat, tally in tallies.items():
        row(cat, tally)
    print("-" * len(sub))
    row("all", total)
    if "empty" in tallies:
        print("(empty frames hold no code: their ok is 0; any text read there counts as wrong)")

    if cards:
        if fuscan is None:
            print("\ncards.pdf (%d cards): skipped, only fuscan reads PDFs" % len(cards))
        else:
            got = set()
            ms, err = float("nan"), None
            for f in sorted({c["file"] for c in cards}):
                texts, ms, err = fuscan.get(f, ([], float("nan"), "no result"))
                got |= {x for x, _ in texts}
            ok = sum(1 for c in cards if c["text"] in got)
            wrong = len(got - {c["text"] for c in cards})
            print("\ncards.pdf: fuscan read %d of %d cards, %d wrong texts, in %.1f ms%s" %
                  (ok, len(cards), wrong, ms, (" (error: %s)" % err) if err else ""))
    if fuscan is None:
        print("\nfuscan: not measured (no fuscanctl with a decode command was given)")


if __name__ == "__main__":
    main()
