#!/usr/bin/python3
"""The per-region overlap (PRO) of the MVTec AD evaluation, written from its
definition (Bergmann et al., "The MVTec Anomaly Detection Dataset", IJCV
2021, section 4.2; the dataset's evaluation code computes the same curve).

    au_pro(anomaly_maps, ground_truth_maps, fpr_limit=0.3)

* Ground-truth regions: the 8-connected components (scipy.ndimage.label,
  3x3 structure of ones) of every mask; images without defects have none.
* At a threshold t a pixel is predicted anomalous when its score >= t.
  FPR(t) = anomalous-predicted pixels outside every region / all pixels
  outside every region, over ALL images (good ones included);
  PRO(t) = the mean over all regions of the fraction of the region's
  pixels predicted anomalous.
* Don't-care pixels (keep_maps false there; effad's fit --ignore) are left
  out: the ground truth is each mask with them removed, its regions the
  components of what is left, and they count in neither FPR nor PRO.
* The curve takes t at every distinct score (descending), starts at (0, 0)
  and ends at (1, 1); it is integrated with the trapezoidal rule up to
  FPR = fpr_limit, interpolating linearly at the limit, and divided by
  fpr_limit.

Slow and plain on purpose (one pass per distinct score through sorted
arrays); the test data are small.  Used by tests/gen-maps-goldens.py and
tests/reference/maps_ref.py.
"""
import numpy as np
from scipy import ndimage


def pro_curve(anomaly_maps, ground_truth_maps, keep_maps=None):
    ok_scores, regions = [], []
    for i, (m, g) in enumerate(zip(anomaly_maps, ground_truth_maps)):
        m = np.asarray(m, np.float64)
        keep = np.ones(m.shape, bool) if keep_maps is None else np.asarray(keep_maps[i], bool)
        lab, n = ndimage.label((np.asarray(g) > 0) & keep, structure=np.ones((3, 3), int))
        ok_scores.append(m[(lab == 0) & keep])
        regions += [np.sort(m[lab == k]) for k in range(1, n + 1)]
    ok = np.sort(np.concatenate(ok_scores))
    if not regions or ok.size == 0:
        raise ValueError("PRO needs at least one defect region and one good pixel")
    every = np.concatenate([ok] + regions)
    thresholds = np.unique(every)[::-1]
    # pixels >= t = size - (pixels < t)
    fpr = (ok.size - np.searchsorted(ok, thresholds, side="left")) / ok.size
    pro = np.mean([(r.size - np.searchsorted(r, thresholds, side="left")) / r.size for r in regions], axis=0)
    return np.concatenate(([0.0], fpr, [1.0])), np.concatenate(([0.0], pro, [1.0]))


def integrate(x, y, x_max):
    """Trapezoids of (x, y) (x ascending) from x[0] up to x_max, the value
    at x_max interpolated between its neighbours."""
    area = 0.0
    for i in range(len(x) - 1):
        x0, x1, y0, y1 = x[i], x[i + 1], y[i], y[i + 1]
        if x0 >= x_max:
            break
        if x1 > x_max:
            y1 = y0 + (y1 - y0) * (x_max - x0) / (x1 - x0)
            x1 = x_max
        area += 0.5 * (y0 + y1) * (x1 - x0)
    return area


def au_pro(anomaly_maps, ground_truth_maps, fpr_limit=0.3, keep_maps=None):
    fpr, pro = pro_curve(anomaly_maps, ground_truth_maps, keep_maps)
    return integrate(fpr, pro, fpr_limit) / fpr_limit
