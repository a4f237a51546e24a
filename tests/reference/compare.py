#!/usr/bin/python3
"""Compare two score files (effad's and a reference's) in the JSON-lines layout.

    tests/reference/compare.py A.jsonl B.jsonl [--rtol 1e-3] [--atol 0]
                               [--allow-missing] [--quiet]

Layout: a header object with "kind": "fit" ("threshold", optional
"levels": [{"dim", "shrinkage", "threshold"?}], "preset", "n_train"), then
one object per image with "file" (path relative to the data directory,
the match key), "score", optional "levels" (per-level distances), optional
"label" and "split".  Other keys are ignored; blank lines and lines starting
with '#' are skipped.

Relative error of two numbers a, b: |a - b| / max(|a|, |b|) (0 when both
are 0); a pair passes when that is <= rtol OR |a - b| <= atol.  Checked:
image scores, per-level distances, the header threshold and per-level
thresholds (when both files have them).  Reported only (not gated): the
per-level Ledoit-Wolf shrinkage, label mismatches, how many images fall on
different sides of the threshold.  Images present in only one file are an
error for test images (split != "train") unless --allow-missing; training
lines are compared when both files have them.

Exit status: 0 all within tolerance, 1 something above it, 2 bad input.
Works with any python3 (standard library only).
"""
import argparse
import json
import math
import sys


def load(path):
    header, rows = None, {}
    with open(path) as f:
        for ln, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            try:
                obj = json.loads(line)
            except ValueError as e:
                raise SystemExit("%s:%d: not JSON (%s)" % (path, ln, e))
            if obj.get("kind") == "fit":
                if header is not None:
                    raise SystemExit("%s:%d: second header" % (path, ln))
                header = obj
            elif "file" in obj:
                key = obj["file"].replace("\\", "/")
                while key.startswith("./"):
                    key = key[2:]
                if key in rows:
                    raise SystemExit("%s:%d: %s listed twice" % (path, ln, key))
                rows[key] = obj
    if header is None:
        raise SystemExit("%s: no header line with \"kind\": \"fit\"" % path)
    return header, rows


def rel(a, b):
    a, b = float(a), float(b)
    if math.isnan(a) or math.isnan(b):
        return math.inf
    d = abs(a - b)
    m = max(abs(a), abs(b))
    return 0.0 if d == 0 else d / m


class Stat:
    def __init__(self, name, rtol, atol):
        self.name, self.rtol, self.atol = name, rtol, atol
        self.max, self.where, self.n, self.bad = 0.0, None, 0, 0

    def add(self, a, b, where):
        r = rel(a, b)
        self.n += 1
        if r > self.rtol and not abs(float(a) - float(b)) <= self.atol:
            self.bad += 1
        if self.where is None or r > self.max:
            self.max, self.where = r, (where, float(a), float(b))

    def line(self):
        if self.n == 0:
            return "%-22s (none)" % self.name
        w = ""
        if self.where and self.max > 0:
            w = "  worst %s: %.9g vs %.9g" % self.where
        return "%-22s max rel err %.3e over %d value(s), %d above tolerance%s" % (
            self.name, self.max, self.n, self.bad, w)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--rtol", type=float, default=1e-3)
    ap.add_argument("--atol", type=float, default=0.0)
    ap.add_argument("--allow-missing", action="store_true")
    ap.add_argument("--quiet", action="store_true", help="print only the verdict line")
    args = ap.parse_args()
    try:
        ha, ra = load(args.a)
        hb, rb = load(args.b)
    except (OSError, SystemExit) as e:
        print("compare: %s" % e, file=sys.stderr)
        return 2

    out = []
    failed = False
    notes = []
    if ha.get("preset") and hb.get("preset") and ha["preset"] != hb["preset"]:
        notes.append("presets differ: %s vs %s" % (ha["preset"], hb["preset"]))
    for k in ("n_train",):
        if k in ha and k in hb and ha[k] != hb[k]:
            notes.append("%s differs: %s vs %s" % (k, ha[k], hb[k]))
            failed = True

    s_score = Stat("score", args.rtol, args.atol)
    s_level = Stat("per-level distance", args.rtol, args.atol)
    s_thr = Stat("threshold", args.rtol, args.atol)
    s_lthr = Stat("per-level threshold", args.rtol, args.atol)
    s_shr = Stat("shrinkage (info)", math.inf, math.inf)

    if "threshold" in ha and "threshold" in hb:
        s_thr.add(ha["threshold"], hb["threshold"], "header")
    else:
        notes.append("threshold missing in %s" % (args.a if "threshold" not in ha else args.b))
        failed = True
    la, lb = ha.get("levels") or [], hb.get("levels") or []
    if la and lb:
        if len(la) != len(lb):
            notes.append("header level count differs: %d vs %d" % (len(la), len(lb)))
            failed = True
        for i, (x, y) in enumerate(zip(la, lb)):
            if "dim" in x and "dim" in y and x["dim"] != y["dim"]:
                notes.append("level %d dim differs: %s vs %s" % (i, x["dim"], y["dim"]))
                failed = True
            if "threshold" in x and "threshold" in y:
                s_lthr.add(x["threshold"], y["threshold"], "level %d" % i)
            if "shrinkage" in x and "shrinkage" in y:
                s_shr.add(x["shrinkage"], y["shrinkage"], "level %d" % i)

    only_a = sorted(set(ra) - set(rb))
    only_b = sorted(set(rb) - set(ra))
    for name, only, other in ((args.a, only_a, ra), (args.b, only_b, rb)):
        test_only = [k for k in only if other[k].get("split", "test") != "train"]
        if only:
            notes.append("%d image(s) only in %s%s" % (len(only), name,
                                                       ": " + ", ".join(only[:5]) if only else ""))
        if test_only and not args.allow_missing:
            failed = True
    common = sorted(set(ra) & set(rb))
    if not common:
        notes.append("no image in common")
        failed = True
    ta, tb = ha.get("threshold"), hb.get("threshold")
    flips, label_diff = 0, 0
    for k in common:
        x, y = ra[k], rb[k]
        s_score.add(x["score"], y["score"], k)
        lx, ly = x.get("levels"), y.get("levels")
        if lx is not None and ly is not None:
            if len(lx) != len(ly):
                notes.append("%s: level count %d vs %d" % (k, len(lx), len(ly)))
                failed = True
            for i, (p, q) in enumerate(zip(lx, ly)):
                s_level.add(p, q, "%s level %d" % (k, i))
        if "label" in x and "label" in y and x["label"] != y["label"]:
            label_diff += 1
        if ta is not None and tb is not None and (x["score"] > ta) != (y["score"] > tb):
            flips += 1
    for s in (s_score, s_level, s_thr, s_lthr):
        if s.bad:
            failed = True
    if label_diff:
        notes.append("%d label mismatch(es)" % label_diff)
    notes.append("%d image(s) compared; %d on different sides of the threshold" % (len(common), flips))

    if not args.quiet:
        print("compare %s (%s) vs %s (%s), rtol %g atol %g" % (
            args.a, ha.get("preset", "?"), args.b, hb.get("preset", "?"), args.rtol, args.atol))
        for s in (s_score, s_level, s_thr, s_lthr, s_shr):
            print("  " + s.line())
        for n in notes:
            print("  " + n)
    print("compare: %s (max rel err: score %.3e, level %.3e, threshold %.3e)" % (
        "FAIL" if failed else "OK", s_score.max, s_level.max, max(s_thr.max, s_lthr.max)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
