/* Synthetic defects on good images (calib-defects.h). */
#include <stddef.h>
#include "calib-defects.h"
#include "rng.h"

static uint8_t clamp8(int v) { return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v); }

static void add(uint8_t *px, int amount)
{
    for (int c = 0; c < 3; c++) px[c] = clamp8(px[c] + amount);
}

static void scratch(uint8_t *rgb, int w, int h, int side, rng *r)
{
    const int half = rng_int(r, side / 8, side / 4);                 /* half-length */
    const int dx = rng_int(r, -half, half), sgn = (rng_next(r) >> 63) ? 1 : -1;
    const int dy = sgn * (half - (dx < 0 ? -dx : dx));                 /* |dx| + |dy| = half */
    const int cx = rng_int(r, w / 4, w - 1 - w / 4), cy = rng_int(r, h / 4, h - 1 - h / 4);
    const int width2 = (side * side + 128 * 128 / 4) / (128 * 128) + 1;    /* (half-width)^2, >= 1 */
    const int amount = ((rng_next(r) >> 63) ? 1 : -1) * rng_int(r, 70, 100);
    const long long len2 = 4LL * dx * dx + 4LL * dy * dy;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            const long long px = x - (cx - dx), py = y - (cy - dy), dot = px * 2 * dx + py * 2 * dy;
            long long d2;
            if (dot <= 0 || len2 == 0) d2 = px * px + py * py;
            else if (dot >= len2) { const long long qx = px - 2 * dx, qy = py - 2 * dy; d2 = qx * qx + qy * qy; }
            else { const long long cr = px * 2 * dy - py * 2 * dx; d2 = cr * cr / len2; }
            if (d2 <= width2) add(rgb + 3 * ((size_t)y * w + x), amount);
        }
}

static void disc(uint8_t *rgb, int w, int h, int side, rng *r, int hole)
{
    const int rx = rng_int(r, side / 32 + 2, side / 14 + 2), ry = hole ? rx : rng_int(r, side / 32 + 2, side / 14 + 2);
    const int rim = hole ? rx / 3 + 1 : 0;
    const int cx = rng_int(r, rx + rim, w - 1 - rx - rim), cy = rng_int(r, ry + rim, h - 1 - ry - rim);
    const int amount = ((rng_next(r) >> 63) ? 1 : -1) * rng_int(r, 55, 85);
    const long long q0 = (long long)rx * rx * ry * ry;
    for (int y = cy - ry - rim; y <= cy + ry + rim; y++)
        for (int x = cx - rx - rim; x <= cx + rx + rim; x++) {
            uint8_t *px = rgb + 3 * ((size_t)y * w + x);
            const long long ddx = x - cx, ddy = y - cy;
            if (hole) {
                const long long d2 = ddx * ddx + ddy * ddy;
                if (d2 <= (long long)rx * rx) for (int c = 0; c < 3; c++) px[c] = (uint8_t)(px[c] / 8 + 10);
                else if (d2 <= (long long)(rx + rim) * (rx + rim)) add(px, 50);
                continue;
            }
            const long long q = ddx * ddx * ry * ry + ddy * ddy * rx * rx;
            if (q >= q0) continue;
            long long wt = 32 * (q0 - q) / q0;                          /* full strength inside half */
            if (wt > 16) wt = 16;
            add(px, (int)(amount * wt / 16));
        }
}

static void missing(uint8_t *rgb, int w, int h, rng *r)
{
    const int rw = rng_int(r, w * 12 / 100 + 1, w * 22 / 100 + 1), rh = rng_int(r, h * 12 / 100 + 1, h * 22 / 100 + 1);
    const int x0 = rng_int(r, 0, w - rw), y0 = rng_int(r, 0, h - rh);
    long long sum[3] = { 0, 0, 0 };
    for (size_t i = 0; i < (size_t)w * h; i++)
        for (int c = 0; c < 3; c++) sum[c] += rgb[3 * i + c];
    uint8_t mean[3];
    for (int c = 0; c < 3; c++) mean[c] = (uint8_t)(sum[c] / ((long long)w * h));
    for (int y = y0; y < y0 + rh; y++)
        for (int x = x0; x < x0 + rw; x++)
            for (int c = 0; c < 3; c++) rgb[3 * ((size_t)y * w + x) + c] = mean[c];
}

void calib_paint_defect(uint8_t *rgb, int w, int h, int index)
{
    if (w < 16 || h < 16) return;   /* too small to hold one */
    rng r = rng_seeded(rng_mix(0xdefec7u) ^ (uint64_t)index);
    const int side = w < h ? w : h;
    switch (index % 4) {
    case 0: scratch(rgb, w, h, side, &r); break;
    case 1: disc(rgb, w, h, side, &r, 0); break;
    case 2: disc(rgb, w, h, side, &r, 1); break;
    default: missing(rgb, w, h, &r); break;
    }
}
