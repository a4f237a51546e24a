#!/usr/bin/env python3
"""Recomputes the constants of the int8 activations' two exponentials
(ops/q8.h): e^y = 2^(n/8) e^r, |r| <= h = ln2/16, with

    ops_q8_exp   (16x8 outputs, gates)   e^r ~= c0 (1 + r (a1 + a2 r))
    ops_q8_exp8  (uint8 outputs)         e^r ~= c0 (1 + r)

For the first, c0, c1 = c0 a1, c2 = c0 a2 minimise the largest relative
error of c0 + c1 r + c2 r^2 against e^r on [-h, h] (a linear programme on
a dense grid, scipy's linprog); for the second, c0 alone minimises that of
c0 (1 + r) (closed form: (1 + r) e^-r is 1 at r = 0 and smallest at an end,
and c0 centres the two). A table entry j holds the bits of
float(c0 2^(j/8)) minus j << 20 (the kernels add n << 20 to it; see
q8.h): OPS_Q8_EXP_TABLE with OPS_Q8_EXP_A1, _A2 (a1, a2 rounded to
float), and OPS_Q8_EXP8_TABLE.

    /usr/bin/python3 tests/int8/exp-table.py [--check ops/q8.h]

With --check, reads the header's constants and exits 1 unless each form
reaches its minimax error within 5 % (the fit's last bits depend on the
grid and the solver; what matters is the error): each table entry j gives
its own c0 (the entry's float over 2^(j/8)), held against e^r on the grid
with the form's polynomial.
"""
import math
import re
import struct
import sys

import numpy as np
from scipy.optimize import linprog

H = math.log(2) / 16
GRID = np.linspace(-H, H, 4001)


def f32(x):
    return struct.unpack('<f', struct.pack('<f', x))[0]


def f32_bits(x):
    return struct.unpack('<I', struct.pack('<f', x))[0]


def table_of(c0):
    return [(f32_bits(c0 * 2 ** (j / 8)) - (j << 20)) & 0xffffffff for j in range(8)]


def fit2():
    e = np.exp(-GRID)
    rows = np.stack([e, e * GRID, e * GRID * GRID], axis=1)
    # minimise t subject to |(c0 + c1 r + c2 r^2) e^-r - 1| <= t
    a_ub = np.vstack([np.hstack([rows, -np.ones((len(GRID), 1))]), np.hstack([-rows, -np.ones((len(GRID), 1))])])
    b_ub = np.concatenate([np.ones(len(GRID)), -np.ones(len(GRID))])
    res = linprog([0, 0, 0, 1], A_ub=a_ub, b_ub=b_ub, bounds=[(None, None)] * 3 + [(0, None)])
    c0, c1, c2, worst = res.x
    return worst, table_of(c0), f32(c1 / c0), f32(c2 / c0)


def fit1():
    g = (1 + GRID) * np.exp(-GRID)
    c0 = 2 / (g.max() + g.min())
    return float(np.max(np.abs(c0 * g - 1))), table_of(c0)


def worst_of(table, poly):
    """The largest relative error of c0_j poly(r) against e^r, over the entries."""
    err = 0.0
    for j, bits in enumerate(table):
        c0 = struct.unpack('<f', struct.pack('<I', (bits + (j << 20)) & 0xffffffff))[0] / 2 ** (j / 8)
        err = max(err, float(np.max(np.abs(c0 * poly(GRID) * np.exp(-GRID) - 1))))
    return err


def read_table(src, name):
    m = re.search(r'#define %s((?:[^\n]*\\\n)*[^\n]*)' % name, src)
    return [int(v, 16) for v in re.findall(r'0x([0-9a-fA-F]{8})u', m.group(1))] if m else []


def main():
    worst2, table2, a1, a2 = fit2()
    worst1, table1 = fit1()
    print('degree 2, minimax relative error on |r| <= ln2/16: %.3e' % worst2)
    print('#define OPS_Q8_EXP_TABLE ' + ', '.join('0x%08xu' % v for v in table2))
    print('#define OPS_Q8_EXP_A1 %s' % a1.hex())
    print('#define OPS_Q8_EXP_A2 %s' % a2.hex())
    print('degree 1, minimax relative error on |r| <= ln2/16: %.3e' % worst1)
    print('#define OPS_Q8_EXP8_TABLE ' + ', '.join('0x%08xu' % v for v in table1))
    if len(sys.argv) == 3 and sys.argv[1] == '--check':
        src = open(sys.argv[2]).read()
        have2, have1 = read_table(src, 'OPS_Q8_EXP_TABLE'), read_table(src, 'OPS_Q8_EXP8_TABLE')
        consts = [re.search(r'#define %s (\S+)f' % name, src) for name in ('OPS_Q8_EXP_A1', 'OPS_Q8_EXP_A2')]
        if len(have2) != 8 or len(have1) != 8 or not all(consts):
            print('%s: OPS_Q8_EXP_TABLE, _A1, _A2 or OPS_Q8_EXP8_TABLE not found' % sys.argv[2])
            return 1
        h1, h2 = (float.fromhex(c.group(1)) for c in consts)
        status = 0
        for name, err, worst in (('OPS_Q8_EXP_TABLE, _A1, _A2', worst_of(have2, lambda r: 1 + r * (h1 + h2 * r)), worst2),
                                 ('OPS_Q8_EXP8_TABLE', worst_of(have1, lambda r: 1 + r), worst1)):
            ok = err <= 1.05 * worst
            print('%s: %s reach %.3e (%s)' % (sys.argv[2], name, err, 'ok' if ok else 'NOT within 5 %% of %.3e' % worst))
            status |= 0 if ok else 1
        return status
    return 0


if __name__ == '__main__':
    sys.exit(main())
