#!/usr/bin/python3
"""Golden numbers for the Gaussian core, from scikit-learn / scipy / numpy.

Run with Debian's python3 (sklearn 1.2.1, scipy 1.10.1, numpy 1.24), from the
repository root:

    /usr/bin/python3 tests/gen-gauss-goldens.py

Writes tests/data/gauss/*.bin; fixed seeds, so a re-run reproduces the files.
Each file is a sequence of named arrays, read by tests/unit/gauss-golden.h:

    u16 name length, name bytes, u8 type ('d' f64 | 'f' f32), u32 count,
    count little-endian values

Features are generated in float32 (what the network hands over) and every
reference is computed on the same values widened to float64, which is what
the C code sees.
"""
import os
import struct
import sys
import warnings

import numpy as np
import scipy
import sklearn
from scipy.spatial.distance import mahalanobis
from scipy.special import erf
from scipy.stats import chi2
from sklearn.covariance import LedoitWolf
from sklearn.metrics import precision_recall_curve, roc_auc_score, roc_curve

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "gauss")


class Blob:
    def __init__(self):
        self.parts = []

    def add(self, name, arr, typ="d"):
        a = np.ascontiguousarray(np.asarray(arr, dtype="<f8" if typ == "d" else "<f4").ravel())
        nb = name.encode()
        self.parts.append(struct.pack("<H", len(nb)) + nb + typ.encode() +
                          struct.pack("<I", a.size) + a.tobytes())

    def write(self, fname):
        with open(os.path.join(OUT, fname), "wb") as f:
            f.write(b"".join(self.parts))


def lw_case(name, X32, held32):
    X = X32.astype(np.float64)
    held = held32.astype(np.float64)
    n, d = X.shape
    lw = LedoitWolf().fit(X)
    b = Blob()
    b.add("n", [n]); b.add("d", [d])
    b.add("X", X32, "f"); b.add("held", held32, "f")
    b.add("location", lw.location_)
    b.add("shrinkage", [lw.shrinkage_])
    b.add("covariance", lw.covariance_)
    b.add("precision", lw.precision_)
    b.add("emp_cov", np.cov(X.T, bias=True).reshape(d, d) if n > 1 else np.zeros((d, d)))
    if n > 1:
        inv = np.linalg.inv(lw.covariance_)
        b.add("score_inv", [mahalanobis(h, lw.location_, inv) for h in held])
        b.add("score_prec", [mahalanobis(h, lw.location_, lw.precision_) for h in held])
        b.add("train_score_prec", [mahalanobis(x, lw.location_, lw.precision_) for x in X])
    b.write("lw-%s.bin" % name)
    print("lw-%s: n=%d d=%d shrinkage=%.6g cond=%.3g" %
          (name, n, d, lw.shrinkage_, np.linalg.cond(lw.covariance_)))


def correlated(rng, n, d, scale=1.0, offset=0.0):
    A = rng.normal(size=(d, d)) / np.sqrt(d)
    Z = rng.normal(size=(n, d))
    return (offset + scale * (Z @ A.T + 0.3 * rng.normal(size=d))).astype(np.float32)


def lw_cases():
    rng = np.random.default_rng(20240501)
    X = correlated(rng, 210, 24)
    lw_case("n-gt-d", X[:200], X[200:])

    X = correlated(rng, 30, 48, scale=2.0)
    lw_case("n-lt-d", X[:20], X[20:])

    X = correlated(rng, 42, 32)
    lw_case("n-eq-d", X[:32], X[32:])

    # rank 6 signal plus small noise: what pooled activations of a narrow
    # class of images look like
    W = rng.normal(size=(6, 40))
    Z = rng.normal(size=(110, 6)) @ W + 1e-3 * rng.normal(size=(110, 40)) + 0.5
    Z = Z.astype(np.float32)
    lw_case("near-singular", Z[:100], Z[100:])

    # ReLU features that never fire, and one stuck at a constant
    X = correlated(rng, 70, 16)
    X[:, 3] = 0.0
    X[:, 7] = 5.0
    held = X[60:].copy()
    held[:, 3] = 0.25          # a held-out image lighting up a dead feature
    lw_case("constant-feature", X[:60], held)

    # mean 1e3, spread 1e-1: the cancellation case for sum x x^T - n mu mu^T
    X = correlated(rng, 310, 16, scale=0.1, offset=1000.0)
    lw_case("large-offset", X[:300], X[300:])

    X = correlated(rng, 2, 8)
    lw_case("n1", X[:1], X[1:])

    X = correlated(rng, 60, 1)
    lw_case("d1", X[:50], X[50:])

    X = correlated(rng, 250, 32, scale=3.0, offset=-2.0)
    lw_case("merge", X[:240], X[240:])


def chi2_table():
    dofs = [1, 2, 3, 16, 24, 40, 80, 112, 192, 320, 1280, 2560]
    ps = [0.001, 0.05, 0.5, 0.6827, 0.9545, 0.9973, 0.999999]
    sig = [1.0, 2.0, 3.0, 4.0]
    D, P = np.meshgrid(dofs, ps + list(erf(np.array(sig) / np.sqrt(2))), indexing="ij")
    D = D.ravel(); P = P.ravel()
    b = Blob()
    b.add("dof", D); b.add("p", P); b.add("ppf", chi2.ppf(P, D))
    b.add("sigma", sig); b.add("p_sigma", erf(np.array(sig) / np.sqrt(2)))
    xs = np.array([0.5, 1.0, 10.0, 100.0, 1000.0, 2600.0])
    A, Xg = np.meshgrid([0.5, 1.5, 8.0, 60.0, 1280.0], xs, indexing="ij")
    b.add("gamma_a", A.ravel()); b.add("gamma_x", Xg.ravel())
    b.add("gamma_p", scipy.special.gammainc(A.ravel(), Xg.ravel()))
    b.add("gamma_q", scipy.special.gammaincc(A.ravel(), Xg.ravel()))
    b.write("chi2.bin")


def roc_case(name, scores, labels):
    scores = np.asarray(scores, dtype=np.float64)
    labels = np.asarray(labels, dtype=np.int64)
    b = Blob()
    b.add("scores", scores); b.add("labels", labels)
    b.add("auc", [roc_auc_score(labels, scores)])
    for tag, drop in (("", True), ("_all", False)):
        fpr, tpr, thr = roc_curve(labels, scores, drop_intermediate=drop)
        b.add("fpr" + tag, fpr); b.add("tpr" + tag, tpr); b.add("thr" + tag, thr)
    # best F1 from precision_recall_curve; ties (to 1e-12) go to the highest threshold
    prec, rec, thr = precision_recall_curve(labels, scores)
    prec, rec = prec[:-1], rec[:-1]
    with np.errstate(invalid="ignore", divide="ignore"):
        f1 = np.where(prec + rec > 0, 2 * prec * rec / (prec + rec), 0.0)
    best = f1.max()
    b.add("f1", [best]); b.add("f1_thr", [thr[f1 >= best - 1e-12].max()])
    fpr, tpr, thr = roc_curve(labels, scores)
    j = (tpr - fpr)[1:]
    bj = j.max()
    b.add("youden", [bj]); b.add("youden_thr", [thr[1:][j >= bj - 1e-12].max()])
    b.write("roc-%s.bin" % name)


def roc_cases():
    rng = np.random.default_rng(7)
    y = rng.integers(0, 2, size=300)
    s = np.round(rng.normal(size=300) + 1.2 * y, 1)      # many ties
    roc_case("ties", s, y)
    y = rng.integers(0, 2, size=500)
    roc_case("continuous", rng.normal(size=500) + 0.8 * y, y)
    roc_case("perfect", [0.1, 0.2, 0.3, 0.7, 0.8, 0.9], [0, 0, 0, 1, 1, 1])
    roc_case("inverted", [0.9, 0.8, 0.7, 0.3, 0.2, 0.1], [0, 0, 0, 1, 1, 1])
    roc_case("all-tied", [2.0] * 8, [0, 1, 0, 1, 1, 0, 0, 0])
    roc_case("small", [0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])


def main():
    assert sklearn.__version__ == "1.2.1", sklearn.__version__
    os.makedirs(OUT, exist_ok=True)
    warnings.simplefilter("ignore")   # n == 1 and one-class cases warn by design
    lw_cases()
    chi2_table()
    roc_cases()
    return 0


if __name__ == "__main__":
    sys.exit(main())
