/*
 * q8-dwconv-hwc-dsp.c -- the int8 depthwise conv for cores with the Arm
 * DSP extension (Cortex-M4/M7/M33, 32-bit Armv7-A), four channels a step:
 * per valid tap one word of four input bytes and one of four weights,
 * each split into two 16-bit pairs (channels 0,2 and 1,3; the input's
 * zero point subtracted on the way, exact in int16), then one 16x16+32
 * multiply-accumulate per channel (SMLABB / SMLATT). The sums are the
 * reference's integers, then its epilogue (ops_q8_finish), so the bits
 * are the reference's.
 *
 * Why not SMLAD's two products at once: they would have to be two taps
 * of one channel, which lie a pixel apart in HWC memory; pairing them
 * costs two PKH per pair of words, more than the one MAC it saves, unless
 * the weights were re-laid -- and on a microcontroller they are read in
 * place from flash. The C here also builds on any host (q8-dsp.h), where
 * the tests hold it against the reference.
 */
#include "q8-dsp.h"
#include "q8-dw-taps.h"

ops_status q8_dwconv_hwc_dsp(const ops_q8_dwconv_args *a)
{
    if (!ops_q8_dw_args_ok(a)) return OPS_ERR_ARG;
    if (a->g.kh * a->g.kw > Q8_DW_MAX_TAPS) return q8_dwconv_hwc_scalar(a);
    const uint32_t nz = q8_dsp_neg_zero_pair(a->in_zero);
    q8_dw_pixel p;
    for (q8_dw_first(a, &p); q8_dw_next(a, &p);) {
        int ch = 0;
        for (; ch + 4 <= a->in_dims.c; ch += 4) {
            int32_t acc[4] = { 0, 0, 0, 0 };
            for (int t = 0; t < p.nt; t++) {
                const uint32_t x = q8_dsp_load4(p.px[t] + ch), w = q8_dsp_load4(p.wk[t] + ch);
                const uint32_t x02 = q8_dsp_uxtab16(nz, x), x13 = q8_dsp_uxtab16(nz, q8_dsp_ror8(x));
                const uint32_t w02 = q8_dsp_sxtb16(w), w13 = q8_dsp_sxtb16(q8_dsp_ror8(w));
                acc[0] = q8_dsp_smlabb(x02, w02, acc[0]);
                acc[2] = q8_dsp_smlatt(x02, w02, acc[2]);
                acc[1] = q8_dsp_smlabb(x13, w13, acc[1]);
                acc[3] = q8_dsp_smlatt(x13, w13, acc[3]);
            }
            for (int i = 0; i < 4; i++) {
                p.out[ch + i] = ops_q8_finish(acc[i], &a->out, (size_t)(ch + i), 0, 0, 0, 0.0f);
                if (a->chan_sum) a->chan_sum[ch + i] += p.out[ch + i];
            }
        }
        q8_dw_tail(a, &p, ch);
    }
    return OPS_OK;
}
