#!/usr/bin/env python3
"""Recomputes the constants of the int8 activations' exponential
(ops/q8.h, ops_q8_exp): e^y = 2^(n/8) e^r, |r| <= h = ln2/16, with

    e^r ~= c0 (1 + r (a1 + a2 r))

c0, c1 = c0 a1, c2 = c0 a2 minimise the largest relative error of
c0 + c1 r + c2 r^2 against e^r on [-h, h] (a linear programme on a dense
grid, scipy's linprog). OPS_Q8_EXP_TABLE entry j holds the bits of
float(c0 2^(j/8)) minus j << 20 (the kernels add n << 20 to it; see q8.h);
OPS_Q8_EXP_A1 and _A2 are a1 and a2 rounded to float.

    /usr/bin/python3 tests/int8/exp-table.py [--check ops/q8.h]

With --check, reads the header's constants and exits 1 unless they reach
the minimax error within 5 % (the fit's last bits depend on the grid and
the solver; what matters is the error): each table entry j gives its own
c0 (the entry's float over 2^(j/8)), and every c0 with a1, a2 is held
against e^r on the grid.
"""
import math
import re
import struct
import sys

import numpy as np
from scipy.optimize import linprog


def f32(x):
    return struct.unpack('<f', struct.pack('<f', x))[0]


def f32_bits(x):
    return struct.unpack('<I', struct.pack('<f', x))[0]


def fit():
    h = math.log(2) / 16
    r = np.linspace(-h, h, 4001)
    e = np.exp(-r)
    rows = np.stack([e, e * r, e * r * r], axis=1)
    # minimise t subject to |(c0 + c1 r + c2 r^2) e^-r - 1| <= t
    a_ub = np.vstack([np.hstack([rows, -np.ones((len(r), 1))]), np.hstack([-rows, -np.ones((len(r), 1))])])
    b_ub = np.concatenate([np.ones(len(r)), -np.ones(len(r))])
    res = linprog([0, 0, 0, 1], A_ub=a_ub, b_ub=b_ub, bounds=[(None, None)] * 3 + [(0, None)])
    c0, c1, c2, worst = res.x
    table = [(f32_bits(c0 * 2 ** (j / 8)) - (j << 20)) & 0xffffffff for j in range(8)]
    return worst, table, f32(c1 / c0), f32(c2 / c0)


def main():
    worst, table, a1, a2 = fit()
    print('minimax relative error on |r| <= ln2/16: %.3e' % worst)
    print('#define OPS_Q8_EXP_TABLE ' + ', '.join('0x%08xu' % v for v in table))
    print('#define OPS_Q8_EXP_A1 %s' % a1.hex())
    print('#define OPS_Q8_EXP_A2 %s' % a2.hex())
    if len(sys.argv) == 3 and sys.argv[1] == '--check':
        src = open(sys.argv[2]).read()
        m = re.search(r'#define OPS_Q8_EXP_TABLE((?:[^\n]*\\\n)*[^\n]*)', src)
        have = [int(v, 16) for v in re.findall(r'0x([0-9a-fA-F]{8})u', m.group(1))] if m else []
        consts = [re.search(r'#define %s (\S+)f' % name, src) for name in ('OPS_Q8_EXP_A1', 'OPS_Q8_EXP_A2')]
        if len(have) != 8 or not all(consts):
            print('%s: OPS_Q8_EXP_TABLE, _A1 or _A2 not found' % sys.argv[2])
            return 1
        h1, h2 = (float.fromhex(c.group(1)) for c in consts)
        h = math.log(2) / 16
        r = np.linspace(-h, h, 4001)
        err = 0.0
        for j, bits in enumerate(have):
            c0 = struct.unpack('<f', struct.pack('<I', (bits + (j << 20)) & 0xffffffff))[0] / 2 ** (j / 8)
            err = max(err, float(np.max(np.abs(c0 * (1 + r * (h1 + h2 * r)) * np.exp(-r) - 1))))
        ok = err <= 1.05 * worst
        print('%s: its constants reach %.3e (%s)' % (sys.argv[2], err, 'ok' if ok else 'NOT within 5 %% of %.3e' % worst))
        return 0 if ok else 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
