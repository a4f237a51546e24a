#!/usr/bin/python3
"""Golden codes for convert/gptq.c, from an independent reference: the
GPTQ rounding of tests/int8/sim-bits.py (gptq_rows) redone in numpy,
float64, step by step as that function does it -- Cholesky factor of H,
H^-1 from it, the upper Cholesky factor U of H^-1, then for each column
the rounding and the update of the columns after it by (w_i - q_i) / U_ii
* U_ij. The C code takes another road to the same codes (gptq.h: the
factor of H with its index order reversed, errors fed forward), so the
two agree only if both are right.

    /usr/bin/python3 tests/int8/gen-gptq-golden.py

Writes tests/data/gptq/golden.bin (fixed seed: a re-run reproduces it),
named arrays in the format of tests/gen-gauss-goldens.py, per case
PREFIX = shared6, shared8, perrow5:
    PREFIX.dims   rows, k, per_row (0: one H for every row), bits
    PREFIX.w      rows x k float32 weights
    PREFIX.h      the Gram matrices, lower triangle row after row, float64
    PREFIX.codes  the reference's codes
    PREFIX.value  the value each code is the rounding of (w_i after the
                  updates, over the scale): a C result may differ only
                  where this lies within 1e-6 of a tie
The scale is quant_weights' (max |w| / qmax in float32), so both sides
divide by the same number. When torch and sim-bits.py's imports are there,
the codes are also checked against sim-bits.py's own gptq_rows.
"""
import importlib.util
import os
import struct

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "data", "gptq")
DAMP = 0.01


def add(parts, name, arr, typ):
    a = np.ascontiguousarray(np.asarray(arr, dtype="<f8" if typ == "d" else "<f4").ravel())
    nb = name.encode()
    parts.append(struct.pack("<H", len(nb)) + nb + typ.encode() + struct.pack("<I", a.size) + a.tobytes())


def scales(w32, bits):
    """quant_weights: max |w| / qmax per row in float32, 1 for a zero row."""
    qmax = np.float32((1 << (bits - 1)) - 1)
    m = np.abs(w32).max(axis=1)
    return np.where(m > 0, m / qmax, np.float32(1)).astype(np.float32)


def gptq_rows(w, s, qmax, h):
    """sim-bits.py's gptq_rows in numpy. w [n, k], s [n], h [g, k, k]."""
    h = h.copy()
    n, k = w.shape
    for m in h:
        d = np.diagonal(m).copy()
        dead = d == 0
        d += DAMP * d.mean() + 1e-12
        d[dead] = 1.0
        m[np.diag_indices(k)] = d
    u = []
    for m in h:
        c = np.linalg.cholesky(m)
        ci = np.linalg.inv(c)
        u.append(np.linalg.cholesky(ci.T @ ci).T)      # cholesky_inverse, then the upper factor
    u = np.array(u)
    if len(u) == 1:
        u = np.broadcast_to(u, (n, k, k))
    w = w.astype(np.float64).copy()
    q = np.zeros((n, k))
    v = np.zeros((n, k))
    for i in range(k):
        v[:, i] = w[:, i] / s
        q[:, i] = np.clip(np.round(v[:, i]), -qmax, qmax)
        err = (w[:, i] - q[:, i] * s) / u[:, i, i]
        w[:, i + 1:] -= err[:, None] * u[:, i, i + 1:]
    return q, v


def correlated_inputs(rng, n, k, dead=()):
    """n samples of k inputs, neighbouring inputs correlated (as the
    channels of a feature map are), some of them never non-zero."""
    a = rng.normal(size=(k, k)) * 0.3 + np.eye(k)
    a += np.roll(np.eye(k), 1, axis=1) * 0.9
    x = (rng.normal(size=(n, k)) @ a) * rng.uniform(0.2, 3.0, size=k)
    x[:, list(dead)] = 0.0
    return x.astype(np.float32).astype(np.float64)


def packed(m):
    return np.concatenate([m[i, :i + 1] for i in range(m.shape[0])])


def sim_bits_check(name, w, s, qmax, h, q):
    try:
        import torch
        spec = importlib.util.spec_from_file_location("sim_bits", os.path.join(HERE, "sim-bits.py"))
        sim = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(sim)
    except Exception as ex:                                # no torch, torchvision, ...
        print("  %s: sim-bits.py not importable here (%s): numpy reference only" % (name, ex))
        return
    tq = sim.gptq_rows(torch.from_numpy(w.astype(np.float64)), torch.from_numpy(s.astype(np.float64)).reshape(-1, 1),
                       qmax, torch.from_numpy(h))
    tcodes = np.round((tq / torch.from_numpy(s.astype(np.float64)).reshape(-1, 1)).numpy())
    diff = int((tcodes != q).sum())
    print("  %s: sim-bits.py's gptq_rows gives the same codes: %s" % (name, "yes" if diff == 0 else "NO (%d differ)" % diff))
    assert diff == 0


def case(parts, rng, name, rows, k, per_row, bits, n_samples, dead=()):
    w = (rng.normal(size=(rows, k)) * rng.uniform(0.02, 0.5, size=(rows, 1))).astype(np.float32)
    w[0, 3] *= 8.0                                         # a row whose scale one weight sets
    if per_row:
        h = np.array([(lambda x: x.T @ x)(correlated_inputs(rng, n_samples, k, dead if r % 3 == 0 else ()))
                      for r in range(rows)])
    else:
        x = correlated_inputs(rng, n_samples, k, dead)
        h = (x.T @ x)[None]
    s = scales(w, bits)
    qmax = float((1 << (bits - 1)) - 1)
    q, v = gptq_rows(w, s.astype(np.float64), qmax, h)
    near = np.clip(np.round(w / s[:, None].astype(np.float64)), -qmax, qmax)
    tie = np.abs(np.abs(v - np.floor(v)) - 0.5)
    print("%s: %d x %d, %s, %d bits: %d of %d codes differ from nearest; closest to a tie %.2g"
          % (name, rows, k, "one H per row" if per_row else "one H", bits, int((q != near).sum()), q.size, tie.min()))
    sim_bits_check(name, w, s, qmax, h, q)
    add(parts, name + ".dims", [rows, k, per_row, bits], "d")
    add(parts, name + ".w", w, "f")
    add(parts, name + ".h", np.concatenate([packed(m) for m in h]), "d")
    add(parts, name + ".codes", q, "d")
    add(parts, name + ".value", v, "d")


def main():
    rng = np.random.default_rng(20261205)
    parts = []
    case(parts, rng, "shared6", rows=12, k=40, per_row=0, bits=6, n_samples=300, dead=(5, 17))
    case(parts, rng, "shared8", rows=9, k=24, per_row=0, bits=8, n_samples=200)
    case(parts, rng, "perrow5", rows=10, k=9, per_row=1, bits=5, n_samples=60, dead=(4,))
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "golden.bin"), "wb") as f:
        f.write(b"".join(parts))


if __name__ == "__main__":
    main()
