/*
 * avx2-dwconv.h -- the depthwise body (f32-dwconv-body.h) on ymm registers:
 * 8 channels a vector, lane masks for the channel tail. Swish runs as a
 * pass over each raw output row and the channels are swept innermost at
 * every map size (the measurements are in f32-dwconv-body.h).
 */
#ifndef EFFAD_AVX2_DWCONV_H
#define EFFAD_AVX2_DWCONV_H

#include <immintrin.h>
#include "avx2-math.h"

#define DW_VEC __m256
#define DW_MASK __m256i
#define DW_LANES 8
#define DW_SWISH_EPI(kw, sw) 0
#define DW_BLOCK_OUTER(kw, sw, ow) 0
#define DW_LOADU(p) _mm256_loadu_ps(p)
#define DW_LOADM(p, m) _mm256_maskload_ps((p), (m))
#define DW_STOREU(p, v) _mm256_storeu_ps((p), (v))
#define DW_STOREM(p, m, v) _mm256_maskstore_ps((p), (m), (v))
#define DW_ZERO() _mm256_setzero_ps()
#define DW_NOMASK _mm256_setzero_si256()
#define DW_TAIL_MASK(n) avx2_tail_mask(n)
#define DW_FMADD(a, b, c) _mm256_fmadd_ps((a), (b), (c))
#define DW_ADD(a, b) _mm256_add_ps((a), (b))
#define DW_ACT_PS(x, act) avx2_act_ps((x), (act))
#define DW_SWISH(x) avx2_swish_ps(x)
#define DW_SWISH_N(v, n) avx2_swish_pairs((v), (n))
#define DW_BODY dwconv_avx2_body

#include "f32-dwconv-body.h"

#endif /* EFFAD_AVX2_DWCONV_H */
