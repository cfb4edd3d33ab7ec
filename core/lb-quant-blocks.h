/* lb-quant-blocks.h: the block layouts of the GGUF quantization formats,
 * bit for bit as ggml stores them (little-endian, no padding).
 *
 * Halves (f16) are kept as raw guint16 and decoded with lb-half.h. Blocks of
 * 32 ("legacy") have one scale per block; super-blocks of 256 ("K") carry
 * sub-block scales packed into a few bits under one or two f16 super-scales. */
#pragma once

#include <assert.h>
#include <glib.h>

G_BEGIN_DECLS

#define LB_QK 32       /* elements per legacy block */
#define LB_QK_K 256    /* elements per K super-block */

/* x = d * (q - 8), q a nibble; element j in the low nibble of qs[j], j + 16 in the high one */
typedef struct {
  guint16 d;
  guint8  qs[LB_QK / 2];
} LbBlockQ4_0;
static_assert (sizeof (LbBlockQ4_0) == 18, "Q4_0 block size");

/* x = d * q + m */
typedef struct {
  guint16 d;
  guint16 m;
  guint8  qs[LB_QK / 2];
} LbBlockQ4_1;
static_assert (sizeof (LbBlockQ4_1) == 20, "Q4_1 block size");

/* x = d * (q - 16); bit j of the little-endian u32 qh is the fifth bit of element j */
typedef struct {
  guint16 d;
  guint8  qh[4];
  guint8  qs[LB_QK / 2];
} LbBlockQ5_0;
static_assert (sizeof (LbBlockQ5_0) == 22, "Q5_0 block size");

/* x = d * q + m, fifth bits as in Q5_0 */
typedef struct {
  guint16 d;
  guint16 m;
  guint8  qh[4];
  guint8  qs[LB_QK / 2];
} LbBlockQ5_1;
static_assert (sizeof (LbBlockQ5_1) == 24, "Q5_1 block size");

/* x = d * q */
typedef struct {
  guint16 d;
  gint8   qs[LB_QK];
} LbBlockQ8_0;
static_assert (sizeof (LbBlockQ8_0) == 34, "Q8_0 block size");

/* x = d * q; s = d * sum(q) (activations paired with Q4_1/Q5_1) */
typedef struct {
  guint16 d;
  guint16 s;
  gint8   qs[LB_QK];
} LbBlockQ8_1;
static_assert (sizeof (LbBlockQ8_1) == 36, "Q8_1 block size");

/* x = d * table[q], nibbles ordered as in Q4_0 */
typedef struct {
  guint16 d;
  guint8  qs[LB_QK / 2];
} LbBlockIQ4_NL;
static_assert (sizeof (LbBlockIQ4_NL) == 18, "IQ4_NL block size");

/* 16 sub-blocks of 16: x = d * (sc & 15) * q - dmin * (sc >> 4), q in 0..3.
 * Element e = 128 h + 32 s + l (l < 32) has q = (qs[32 h + l] >> 2 s) & 3
 * and sub-block e / 16. */
typedef struct {
  guint8  scales[LB_QK_K / 16];
  guint8  qs[LB_QK_K / 4];
  guint16 d;
  guint16 dmin;
} LbBlockQ2_K;
static_assert (sizeof (LbBlockQ2_K) == 84, "Q2_K block size");

/* 16 sub-blocks of 16: x = d * (sc - 32) * (q - 4), q = low2 | high << 2.
 * low2 as in Q2_K; the high bit of element e is bit e / 32 of hmask[e % 32].
 * The 6-bit scale j: low nibble in scales[j] (j < 8) or the high nibble of
 * scales[j - 8]; high two bits at bit 2 (j / 4) of scales[8 + j % 4]. */
typedef struct {
  guint8  hmask[LB_QK_K / 8];
  guint8  qs[LB_QK_K / 4];
  guint8  scales[12];
  guint16 d;
} LbBlockQ3_K;
static_assert (sizeof (LbBlockQ3_K) == 110, "Q3_K block size");

/* 8 sub-blocks of 32: x = d * sc * q - dmin * m with 6-bit sc, m packed in
 * scales[12] (see lb_quant_k4_get_scale_min). Sub-blocks 2c and 2c + 1 share
 * qs[32 c .. 32 c + 31] (low and high nibble). */
typedef struct {
  guint16 d;
  guint16 dmin;
  guint8  scales[12];
  guint8  qs[LB_QK_K / 2];
} LbBlockQ4_K;
static_assert (sizeof (LbBlockQ4_K) == 144, "Q4_K block size");

/* as Q4_K plus a fifth bit: element e has it at bit e / 32 of qh[e % 32] */
typedef struct {
  guint16 d;
  guint16 dmin;
  guint8  scales[12];
  guint8  qh[LB_QK_K / 8];
  guint8  qs[LB_QK_K / 2];
} LbBlockQ5_K;
static_assert (sizeof (LbBlockQ5_K) == 176, "Q5_K block size");

/* 16 sub-blocks of 16: x = d * scales[e / 16] * (q - 32), q 6 bits.
 * In each half h (128 elements, ql + 64 h, qh + 32 h), for l < 32:
 *   e = l      low nibble of ql[l],      qh[l] bits 0-1
 *   e = l + 32 low nibble of ql[l + 32], qh[l] bits 2-3
 *   e = l + 64 high nibble of ql[l],     qh[l] bits 4-5
 *   e = l + 96 high nibble of ql[l + 32], qh[l] bits 6-7 */
typedef struct {
  guint8  ql[LB_QK_K / 2];
  guint8  qh[LB_QK_K / 4];
  gint8   scales[LB_QK_K / 16];
  guint16 d;
} LbBlockQ6_K;
static_assert (sizeof (LbBlockQ6_K) == 210, "Q6_K block size");

/* activations for the K formats: x = d * q, q in -127..127; bsums are the
 * sums of q over each 16 elements */
typedef struct {
  float   d;
  gint8   qs[LB_QK_K];
  gint16  bsums[LB_QK_K / 16];
} LbBlockQ8_K;
static_assert (sizeof (LbBlockQ8_K) == 292, "Q8_K block size");

G_END_DECLS
