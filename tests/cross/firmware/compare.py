#!/usr/bin/python3
"""compare.py RUN-NAME RUN.txt HOST-SCORES.jsonl IMAGES.txt FLASH-FIGURES [SUMMARY.txt]

Holds the firmware's console output (main.c) against the host:
  - every level vector's relative error against the host's `effad features`
    output (measured on the device) is at most 1e-4;
  - each image's score equals the host's `effad score` to 1e-4 relative
    (the firmware prints its score's exact bits, read back here), and the
    verdict and the threshold in force are the host's;
  - as many images were scored as were embedded.
Then prints the table and the figures a firmware engineer asks first, and
appends them as one '|'-separated row to SUMMARY.txt when given (the row
is written even when the run fails, with its verdict).
Exit status 1 on any failure, with the reason.
"""
import json
import re
import struct
import sys

TOL = 1e-4


def fail(msg):
    print(f"firmware-compare: {msg}", file=sys.stderr)
    sys.exit(1)


SUMMARY_HEAD = ("run|kernels|flash code|model|.gauss|flash total|static RAM|arena|stack|RAM in use|images"
                "|max level err|max score diff|result")


def write_summary(path, run, flash, ram, n, worst_level, worst_score, kernels, result):
    """One row of the run's figures (the header first, into an empty file)."""
    m = re.match(r"flash: code (\d+) \+ model (\d+) \+ \.gauss (\d+) = (\d+) bytes", flash)
    code, model, gauss, total = m.groups() if m else ("?",) * 4
    static, arena, stack, in_use = ram
    row = [run, kernels, code, model, gauss, total, static, arena, stack, in_use, n,
           f"{worst_level:.2e}", f"{worst_score:.2e}", result]
    with open(path, "a") as f:
        if f.tell() == 0:
            f.write(SUMMARY_HEAD + "\n")
        f.write("|".join(str(v) for v in row) + "\n")


def main():
    if len(sys.argv) not in (6, 7):
        fail(__doc__.splitlines()[0])
    board, run_path, host_path, list_path, flash = sys.argv[1:6]
    summary_path = sys.argv[6] if len(sys.argv) == 7 else None
    with open(list_path) as f:
        images = [line.strip() for line in f if line.strip()]
    host = {}
    threshold = None
    with open(host_path) as f:
        for line in f:
            rec = json.loads(line)
            if rec.get("kind") == "fit":
                threshold = rec["threshold"]
            elif "file" in rec:
                host[rec["file"]] = rec
    if sorted(host) != sorted(images):
        fail(f"{host_path}: scores for {len(host)} files, {len(images)} images embedded")

    errors, scores, summary = {}, {}, None
    with open(run_path, errors="replace") as f:
        text = f.read()
    for line in text.splitlines():
        m = re.match(r"image (\d+) level-errors ((?:\S+ )+)max (\S+)$", line)
        if m:
            errors[int(m.group(1))] = [float(v) for v in m.group(2).split()]
            continue
        m = re.match(r"image (\d+) score \S+ bits ([0-9a-f]+) threshold (\S+) verdict (ok|anomaly)$", line)
        if m:
            bits = int(m.group(2), 16)
            scores[int(m.group(1))] = (struct.unpack("<d", struct.pack("<Q", bits))[0],
                                       float(m.group(3)), m.group(4) == "anomaly")
            continue
        if line.startswith("scored "):
            summary = line
    if summary is None:
        fail(f"{run_path}: the firmware did not finish (no 'scored' line); its output is above")
    n = int(summary.split()[1])
    if n != len(images) or sorted(errors) != list(range(n)) or sorted(scores) != list(range(n)):
        fail(f"{run_path}: {n} images scored, {len(errors)} error lines and {len(scores)} score lines; "
             f"{len(images)} images embedded")

    bad = []
    worst_level, worst_score = 0.0, 0.0
    print(f"firmware: {board}: per image, the level vectors' max relative error vs `effad features`, "
          f"the score vs `effad score`:")
    print(f"  {'image':<26} {'max level err':>13} {'fw score':>14} {'host score':>14} {'rel diff':>9}  verdict")
    for i, path in enumerate(images):
        h = host[path]
        score, fw_threshold, fw_anomalous = scores[i]
        worst = max(errors[i])
        diff = abs(score - h["score"]) / max(abs(h["score"]), 1e-300)
        name = "/".join(path.split("/")[-2:])
        verdict = "anomaly" if fw_anomalous else "ok"
        print(f"  {name:<26} {worst:>13.2e} {score:>14.9g} {h['score']:>14.9g} {diff:>9.1e}  {verdict}"
              f"{'' if fw_anomalous == h['anomalous'] else ' (host: ' + ('anomaly' if h['anomalous'] else 'ok') + ')'}")
        worst_level = max(worst_level, worst) if worst == worst else float("nan")
        worst_score = max(worst_score, diff) if diff == diff else float("nan")
        if not all(e <= TOL for e in errors[i]):   # NaN fails too
            bad.append(f"{name}: level errors {errors[i]} above {TOL}")
        if not diff <= TOL:
            bad.append(f"{name}: score {score!r} vs host {h['score']!r}")
        if fw_anomalous != h["anomalous"]:
            bad.append(f"{name}: verdict differs from the host's")
        if abs(fw_threshold - threshold) > TOL * abs(threshold):
            bad.append(f"{name}: threshold {fw_threshold} vs host {threshold}")
    m = re.search(r"arena (\d+) bytes .* static RAM (\d+) bytes .* stack high-water (\d+) of (\d+) bytes; "
                  r"RAM in use (\d+) bytes", summary)
    if not m:
        fail(f"{run_path}: unreadable summary line: {summary}")
    arena, static, stack, reserved, ram = (int(v) for v in m.groups())
    print(f"firmware: {board}: {flash}")
    print(f"firmware: {board}: RAM: static {static} bytes (arena {arena} included) + stack high-water {stack} "
          f"(of {reserved} reserved) = {ram} bytes")
    print(f"firmware: {board}: {n} images scored")
    kernels = re.search(r"kernels (\S+)", text)
    if summary_path:
        write_summary(summary_path, board, flash, (static, arena, stack, ram), n, worst_level, worst_score,
                      kernels.group(1) if kernels else "?", "FAIL" if bad else "PASS")
    if bad:
        fail(f"{board}: " + "; ".join(bad))
    print(f"firmware: {board}: PASS (level errors and scores within {TOL:g} of the host, same verdicts)")


if __name__ == "__main__":
    main()
