/* lb-quant-neon.c: AArch64 NEON versions of the hot block-format kernels.
 *
 * This file is compiled twice (core/meson.build):
 *   - plain ARMv8-A: the dot products as lb_quant_<t>_vec_dot_neon, with
 *     byte products widened by vmull_s8 and pairwise-added by vpadalq_s16;
 *     also activation quantization and some dequantization;
 *   - with -march=armv8.2-a+dotprod and LB_NEON_DOTPROD defined: only the
 *     dot products, as lb_quant_<t>_vec_dot_neon_dp, built on vdotq_s32.
 *     They are called only when the CPU reports the extension
 *     (lb_quant_neon_dotprod_available).
 *
 * Each kernel computes what its scalar definition computes: quantization
 * and dequantization give the same bits, dot products the same integer
 * block sums, only the float accumulation order differs. All byte
 * products are exact in both variants (int8 x int8 fits int16; the K
 * formats' sums stay far below 2^31). */
#include "lb-quant-private.h"

#include <arm_neon.h>

#ifdef LB_NEON_DOTPROD
#define NEON_FN(t) lb_quant_##t##_vec_dot_neon_dp

/* acc + the 16 products a[i] b[i], in some lanes */
static inline int32x4_t
dot_s8 (int32x4_t acc, int8x16_t a, int8x16_t b)
{
  return vdotq_s32 (acc, a, b);
}
#else
#define NEON_FN(t) lb_quant_##t##_vec_dot_neon

static inline int32x4_t
dot_s8 (int32x4_t acc, int8x16_t a, int8x16_t b)
{
  acc = vpadalq_s16 (acc, vmull_s8 (vget_low_s8 (a), vget_low_s8 (b)));
  return vpadalq_s16 (acc, vmull_high_s8 (a, b));
}
#endif

/* sum of the products of two 32-byte groups */
static inline int32x4_t
dot32 (int8x16_t a0, int8x16_t a1, const gint8 *y)
{
  return dot_s8 (dot_s8 (vdupq_n_s32 (0), a0, vld1q_s8 (y)), a1, vld1q_s8 (y + 16));
}

/* 16 bytes of nibbles: low nibbles (elements 0..15) and high ones (16..31) */
static inline void
nibbles (const guint8 *qs, int8x16_t *lo, int8x16_t *hi)
{
  uint8x16_t v = vld1q_u8 (qs);
  *lo = vreinterpretq_s8_u8 (vandq_u8 (v, vdupq_n_u8 (0x0f)));
  *hi = vreinterpretq_s8_u8 (vshrq_n_u8 (v, 4));
}

/* 0x10 in byte j where bit j of the little-endian u32 at qh is set, for
 * j < 16 (*lo) and 16 <= j < 32 (*hi) */
static inline void
fifth_bits (const guint8 *qh, int8x16_t *lo, int8x16_t *hi)
{
  static const guint8 idx_lo[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1 };
  static const guint8 idx_hi[16] = { 2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3 };
  static const guint8 bit[16] = { 1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128 };
  guint32 h;
  uint8x16_t hv, sel = vld1q_u8 (bit), ten = vdupq_n_u8 (0x10);

  memcpy (&h, qh, 4);
  hv = vreinterpretq_u8_u32 (vdupq_n_u32 (h));   /* bytes 0..3: qh[0..3] (little-endian) */
  *lo = vreinterpretq_s8_u8 (vandq_u8 (vtstq_u8 (vqtbl1q_u8 (hv, vld1q_u8 (idx_lo)), sel), ten));
  *hi = vreinterpretq_s8_u8 (vandq_u8 (vtstq_u8 (vqtbl1q_u8 (hv, vld1q_u8 (idx_hi)), sel), ten));
}

/* ---- dot products with Q8_0 / Q8_1 ---------------------------------------- */

void
NEON_FN (q8_0) (gint64 n, float *result, const void *vx, const void *vy)
{
  const LbBlockQ8_0 *x = vx;
  const LbBlockQ8_0 *y = vy;
  float32x4_t acc = vdupq_n_f32 (0);

  for (gint64 i = 0; i < n / LB_QK; i++)
    {
      int32x4_t p = dot32 (vld1q_s8 (x[i].qs), vld1q_s8 (x[i].qs + 16), y[i].qs);
      acc = vfmaq_n_f32 (acc, vcvtq_f32_s32 (p), lb_quant_half (x[i].d) * lb_quant_half (y[i].d));
    }
  *result = vaddvq_f32 (acc);
}

void
NEON_FN (q4_0) (gint64 n, float *result, const void *vx, const void *vy)
{
  const LbBlockQ4_0 *x = vx;
  const LbBlockQ8_0 *y = vy;
  const int8x16_t eight = vdupq_n_s8 (8);
  float32x4_t acc = vdupq_n_f32 (0);

  for (gint64 i = 0; i < n / LB_QK; i++)
    {
      int8x16_t lo, hi;
      int32x4_t p;

      nibbles (x[i].qs, &lo, &hi);
      p = dot32 (vsubq_s8 (lo, eight), vsubq_s8 (hi, eight), y[i].qs);
      acc = vfmaq_n_f32 (acc, vcvtq_f32_s32 (p), lb_quant_half (x[i].d) * lb_quant_half (y[i].d));
    }
  *result = vaddvq_f32 (acc);
}

void
NEON_FN (q5_0) (gint64 n, float *result, const void *vx, const void *vy)
{
  const LbBlockQ5_0 *x = vx;
  const LbBlockQ8_0 *y = vy;
  const int8x16_t sixteen = vdupq_n_s8 (16);
  float32x4_t acc = vdupq_n_f32 (0);

  for (gint64 i = 0; i < n / LB_QK; i++)
    {
      int8x16_t lo, hi, hlo, hhi;
      int32x4_t p;

      nibbles (x[i].qs, &lo, &hi);
      fifth_bits (x[i].qh, &hlo, &hhi);
      p = dot32 (vsubq_s8 (vorrq_s8 (lo, hlo), sixteen), vsubq_s8 (vorrq_s8 (hi, hhi), sixteen),
                 y[i].qs);
      acc = vfmaq_n_f32 (acc, vcvtq_f32_s32 (p), lb_quant_half (x[i].d) * lb_quant_half (y[i].d));
    }
  *result = vaddvq_f32 (acc);
}

/* affine blocks: d_x d_y sum q y + m_x d_y sum y */
static inline float32x4_t
affine_step (float32x4_t acc, float *macc, int8x16_t q0, int8x16_t q1, const LbBlockQ8_1 *y,
             float dx, float mx)
{
  float dy = lb_quant_half (y->d);
  int8x16_t y0 = vld1q_s8 (y->qs), y1 = vld1q_s8 (y->qs + 16);
  int32x4_t p = dot_s8 (dot_s8 (vdupq_n_s32 (0), q0, y0), q1, y1);
  int ysum = vaddlvq_s8 (y0) + vaddlvq_s8 (y1);

  *macc += mx * (dy * ysum);
  return vfmaq_n_f32 (acc, vcvtq_f32_s32 (p), dx * dy);
}

void
NEON_FN (q4_1) (gint64 n, float *result, const void *vx, const void *vy)
{
  const LbBlockQ4_1 *x = vx;
  const LbBlockQ8_1 *y = vy;
  float32x4_t acc = vdupq_n_f32 (0);
  float macc = 0;

  for (gint64 i = 0; i < n / LB_QK; i++)
    {
      int8x16_t lo, hi;

      nibbles (x[i].qs, &lo, &hi);
      acc = affine_step (acc, &macc, lo, hi, &y[i], lb_quant_half (x[i].d), lb_quant_half (x[i].m));
    }
  *result = vaddvq_f32 (acc) + macc;
}

void
NEON_FN (q5_1) (gint64 n, float *result, const void *vx, const void *vy)
{
  const LbBlockQ5_1 *x = vx;
  const LbBlockQ8_1 *y = vy;
  float32x4_t acc = vdupq_n_f32 (0);
  float macc = 0;

  for (gint64 i = 0; i < n / LB_QK; i++)
    {
      int8x16_t lo, hi, hlo, hhi;

      nibbles (x[i].qs, &lo, &hi);
      fifth_bits (x[i].qh, &hlo, &hhi);
      acc = affine_step (acc, &macc, vorrq_s8 (lo, hlo), vorrq_s8 (hi, hhi), &y[i],
                         lb_quant_half (x[i].d), lb_quant_half (x[i].m));
    }
  *result = vaddvq_f32 (acc) + macc;
}

void
NEON_FN (iq4_nl) (gint64 n, float *result, const void *vx, const void *vy)
{
  const LbBlockIQ4_NL *x = vx;
  const LbBlockQ8_0 *y = vy;
  const int8x16_t table = vld1q_s8 (lb_quant_iq4nl_values);
  float32x4_t acc = vdupq_n_f32 (0);

  for (gint64 i = 0; i < n / LB_QK; i++)
    {
      int8x16_t lo, hi;
      int32x4_t p;

      nibbles (x[i].qs, &lo, &hi);
      p = dot32 (vqtbl1q_s8 (table, vreinterpretq_u8_s8 (lo)),
                 vqtbl1q_s8 (table, vreinterpretq_u8_s8 (hi)), y[i].qs);
      acc = vfmaq_n_f32 (acc, vcvtq_f32_s32 (p), lb_quant_half (x[i].d) * lb_quant_half (y[i].d));
    }
  *result = vaddvq_f32 (acc);
}

/* ---- dot products with Q8_K ----------------------------------------------- */

/* isum + sa * (a0 . y[0..15]) + sb * (a1 . y[16..31]): two sub-blocks of 16 */
static inline int32x4_t
scaled_pair (int32x4_t isum, int8x16_t a0, int8x16_t a1, const gint8 *y, int sa, int sb)
{
  isum = vmlaq_n_s32 (isum, dot_s8 (vdupq_n_s32 (0), a0, vld1q_s8 (y)), sa);
  return vmlaq_n_s32 (isum, dot_s8 (vdupq_n_s32 (0), a1, vld1q_s8 (y + 16)), sb);
}

void
NEON_FN (q2_k) (gint64 n, float *result, const void *vx, const void *vy)
{
  const LbBlockQ2_K *x = vx;
  const LbBlockQ8_K *y = vy;
  const uint8x16_t m3 = vdupq_n_u8 (3);
  float sum = 0;

  for (gint64 i = 0; i < n / LB_QK_K; i++)
    {
      const guint8 *sc = x[i].scales;
      uint8x16_t scv = vld1q_u8 (sc);
      int16x8_t mins_lo, mins_hi;
      int32x4_t isum = vdupq_n_s32 (0), mv;
      int msum;

      /* the mins (high nibbles) against the sums of y over each 16 */
      mins_lo = vreinterpretq_s16_u16 (vmovl_u8 (vget_low_u8 (vshrq_n_u8 (scv, 4))));
      mins_hi = vreinterpretq_s16_u16 (vmovl_high_u8 (vshrq_n_u8 (scv, 4)));
      mv = vmull_s16 (vget_low_s16 (mins_lo), vld1_s16 (y[i].bsums));
      mv = vmlal_high_s16 (mv, mins_lo, vld1q_s16 (y[i].bsums));
      mv = vmlal_s16 (mv, vget_low_s16 (mins_hi), vld1_s16 (y[i].bsums + 8));
      mv = vmlal_high_s16 (mv, mins_hi, vld1q_s16 (y[i].bsums + 8));
      msum = vaddvq_s32 (mv);

      for (int h = 0; h < 2; h++)
        {
          uint8x16_t q0 = vld1q_u8 (x[i].qs + 32 * h), q1 = vld1q_u8 (x[i].qs + 32 * h + 16);

          for (int s = 0; s < 4; s++)
            {
              int g = 4 * h + s;   /* elements 32 g .. 32 g + 31: sub-blocks 2g, 2g + 1 */
              int8x16_t l0 = vreinterpretq_s8_u8 (vandq_u8 (vshlq_u8 (q0, vdupq_n_s8 ((gint8) (-2 * s))), m3));
              int8x16_t l1 = vreinterpretq_s8_u8 (vandq_u8 (vshlq_u8 (q1, vdupq_n_s8 ((gint8) (-2 * s))), m3));
              isum = scaled_pair (isum, l0, l1, y[i].qs + 32 * g, sc[2 * g] & 0x0f, sc[2 * g + 1] & 0x0f);
            }
        }
      sum += y[i].d * (lb_quant_half (x[i].d) * vaddvq_s32 (isum) - lb_quant_half (x[i].dmin) * msum);
    }
  *result = sum;
}

void
NEON_FN (q3_k) (gint64 n, float *result, const void *vx, const void *vy)
{
  const LbBlockQ3_K *x = vx;
  const LbBlockQ8_K *y = vy;
  const uint8x16_t m3 = vdupq_n_u8 (3), four = vdupq_n_u8 (4);
  float sum = 0;

  for (gint64 i = 0; i < n / LB_QK_K; i++)
    {
      uint8x16_t hm0 = vld1q_u8 (x[i].hmask), hm1 = vld1q_u8 (x[i].hmask + 16);
      int32x4_t isum = vdupq_n_s32 (0);
      int sc[16];

      for (int j = 0; j < 16; j++)
        sc[j] = lb_quant_q3k_get_scale (j, x[i].scales) - 32;
      for (int h = 0; h < 2; h++)
        {
          uint8x16_t q0 = vld1q_u8 (x[i].qs + 32 * h), q1 = vld1q_u8 (x[i].qs + 32 * h + 16);

          for (int s = 0; s < 4; s++)
            {
              int g = 4 * h + s;
              int8x16_t shift = vdupq_n_s8 ((gint8) (-2 * s));
              uint8x16_t hbit = vdupq_n_u8 ((guint8) (1 << g));
              /* level = low2 | high << 2, value = level - 4 */
              uint8x16_t l0 = vorrq_u8 (vandq_u8 (vshlq_u8 (q0, shift), m3), vandq_u8 (vtstq_u8 (hm0, hbit), four));
              uint8x16_t l1 = vorrq_u8 (vandq_u8 (vshlq_u8 (q1, shift), m3), vandq_u8 (vtstq_u8 (hm1, hbit), four));
              isum = scaled_pair (isum, vsubq_s8 (vreinterpretq_s8_u8 (l0), vreinterpretq_s8_u8 (four)),
                                  vsubq_s8 (vreinterpretq_s8_u8 (l1), vreinterpretq_s8_u8 (four)),
                                  y[i].qs + 32 * g, sc[2 * g], sc[2 * g + 1]);
            }
        }
      sum += lb_quant_half (x[i].d) * y[i].d * vaddvq_s32 (isum);
    }
  *result = sum;
}

/* Q4_K/Q5_K: the 32-element sub-blocks 2c (low nibbles of qs + 32 c) and
 * 2c + 1 (high nibbles); qh (or NULL) adds the fifth bits */
static inline float
k45_superblock (const guint8 *qs, const guint8 *qh, guint16 hd, guint16 hdmin,
                const guint8 *scales, const LbBlockQ8_K *y, float *mterm)
{
  const uint8x16_t m4 = vdupq_n_u8 (0x0f), ten = vdupq_n_u8 (0x10);
  uint8x16_t h0 = vdupq_n_u8 (0), h1 = vdupq_n_u8 (0);
  int32x4_t isum = vdupq_n_s32 (0);
  int msum = 0;

  if (qh)
    {
      h0 = vld1q_u8 (qh);
      h1 = vld1q_u8 (qh + 16);
    }
  for (int c = 0; c < 4; c++)
    {
      uint8x16_t v0 = vld1q_u8 (qs + 32 * c), v1 = vld1q_u8 (qs + 32 * c + 16);
      uint8x16_t lo0 = vandq_u8 (v0, m4), lo1 = vandq_u8 (v1, m4);
      uint8x16_t hi0 = vshrq_n_u8 (v0, 4), hi1 = vshrq_n_u8 (v1, 4);
      guint8 sc0, m0, sc1, mm1;

      if (qh)
        {
          uint8x16_t blo = vdupq_n_u8 ((guint8) (1 << (2 * c))), bhi = vdupq_n_u8 ((guint8) (2 << (2 * c)));
          lo0 = vorrq_u8 (lo0, vandq_u8 (vtstq_u8 (h0, blo), ten));
          lo1 = vorrq_u8 (lo1, vandq_u8 (vtstq_u8 (h1, blo), ten));
          hi0 = vorrq_u8 (hi0, vandq_u8 (vtstq_u8 (h0, bhi), ten));
          hi1 = vorrq_u8 (hi1, vandq_u8 (vtstq_u8 (h1, bhi), ten));
        }
      lb_quant_k4_get_scale_min (2 * c, scales, &sc0, &m0);
      lb_quant_k4_get_scale_min (2 * c + 1, scales, &sc1, &mm1);
      isum = vmlaq_n_s32 (isum, dot32 (vreinterpretq_s8_u8 (lo0), vreinterpretq_s8_u8 (lo1), y->qs + 64 * c), sc0);
      isum = vmlaq_n_s32 (isum, dot32 (vreinterpretq_s8_u8 (hi0), vreinterpretq_s8_u8 (hi1), y->qs + 64 * c + 32), sc1);
      msum += m0 * (y->bsums[4 * c] + y->bsums[4 * c + 1]) + mm1 * (y->bsums[4 * c + 2] + y->bsums[4 * c + 3]);
    }
  *mterm += y->d * lb_quant_half (hdmin) * msum;
  return y->d * lb_quant_half (hd) * vaddvq_s32 (isum);
}

void
NEON_FN (q4_k) (gint64 n, float *result, const void *vx, const void *vy)
{
  const LbBlockQ4_K *x = vx;
  const LbBlockQ8_K *y = vy;
  float sum = 0, mterm = 0;

  for (gint64 i = 0; i < n / LB_QK_K; i++)
    sum += k45_superblock (x[i].qs, NULL, x[i].d, x[i].dmin, x[i].scales, &y[i], &mterm);
  *result = sum - mterm;
}

void
NEON_FN (q5_k) (gint64 n, float *result, const void *vx, const void *vy)
{
  const LbBlockQ5_K *x = vx;
  const LbBlockQ8_K *y = vy;
  float sum = 0, mterm = 0;

  for (gint64 i = 0; i < n / LB_QK_K; i++)
    sum += k45_superblock (x[i].qs, x[i].qh, x[i].d, x[i].dmin, x[i].scales, &y[i], &mterm);
  *result = sum - mterm;
}

void
NEON_FN (q6_k) (gint64 n, float *result, const void *vx, const void *vy)
{
  const LbBlockQ6_K *x = vx;
  const LbBlockQ8_K *y = vy;
  const uint8x16_t m4 = vdupq_n_u8 (0x0f), m3 = vdupq_n_u8 (3);
  const int8x16_t off = vdupq_n_s8 (32);
  float sum = 0;

  for (gint64 i = 0; i < n / LB_QK_K; i++)
    {
      const gint8 *sc = x[i].scales;
      int32x4_t isum = vdupq_n_s32 (0);

      for (int h = 0; h < 2; h++)
        {
          const guint8 *ql = x[i].ql + 64 * h, *qh = x[i].qh + 32 * h;

          /* l = 0..15 (k = 0) and l = 16..31 (k = 1) */
          for (int k = 0; k < 2; k++)
            {
              uint8x16_t a = vld1q_u8 (ql + 16 * k), b = vld1q_u8 (ql + 32 + 16 * k);
              uint8x16_t hb = vld1q_u8 (qh + 16 * k);
              uint8x16_t q[4];

              q[0] = vorrq_u8 (vandq_u8 (a, m4), vshlq_n_u8 (vandq_u8 (hb, m3), 4));
              q[1] = vorrq_u8 (vandq_u8 (b, m4), vshlq_n_u8 (vandq_u8 (vshrq_n_u8 (hb, 2), m3), 4));
              q[2] = vorrq_u8 (vshrq_n_u8 (a, 4), vshlq_n_u8 (vandq_u8 (vshrq_n_u8 (hb, 4), m3), 4));
              q[3] = vorrq_u8 (vshrq_n_u8 (b, 4), vshlq_n_u8 (vshrq_n_u8 (hb, 6), 4));
              for (int g = 0; g < 4; g++)
                {
                  /* elements 128 h + 32 g + 16 k + (0..15): sub-block 8 h + 2 g + k */
                  int e = 128 * h + 32 * g + 16 * k;
                  int8x16_t v = vsubq_s8 (vreinterpretq_s8_u8 (q[g]), off);
                  isum = vmlaq_n_s32 (isum, dot_s8 (vdupq_n_s32 (0), v, vld1q_s8 (y[i].qs + e)), sc[e / 16]);
                }
            }
        }
      sum += lb_quant_half (x[i].d) * y[i].d * vaddvq_s32 (isum);
    }
  *result = sum;
}

#ifndef LB_NEON_DOTPROD

/* ---- activation quantization (plain build only) --------------------------- */

/* largest |x| over n (a multiple of 16); NaN ignored (maxNum), as the
 * scalar code's comparisons do */
static inline float
amax16 (const float *x, int n)
{
  float32x4_t m = vdupq_n_f32 (0);

  for (int j = 0; j < n; j += 4)
    m = vmaxnmq_f32 (m, vabsq_f32 (vld1q_f32 (x + j)));
  return vmaxnmvq_f32 (m);
}

/* 16 int32 lanes (4 vectors), each already in -127..127, to 16 bytes */
static inline int8x16_t
narrow16 (int32x4_t a, int32x4_t b, int32x4_t c, int32x4_t d)
{
  int16x8_t lo = vcombine_s16 (vmovn_s32 (a), vmovn_s32 (b));
  int16x8_t hi = vcombine_s16 (vmovn_s32 (c), vmovn_s32 (d));
  return vcombine_s8 (vmovn_s16 (lo), vmovn_s16 (hi));
}

static inline int32x4_t
clamp127 (int32x4_t v)
{
  return vmaxq_s32 (vminq_s32 (v, vdupq_n_s32 (127)), vdupq_n_s32 (-127));
}

/* the 32 bytes of a Q8_0/Q8_1 block: round half away from zero (vcvta,
 * NaN to 0), clamped to +-127; returns d */
static inline float
q8_block (const float *x, gint8 *qs)
{
  float d = amax16 (x, LB_QK) / 127.0f;
  float id = d != 0 ? 1.0f / d : 0.0f;

  for (int k = 0; k < 2; k++)
    {
      int32x4_t v[4];
      for (int j = 0; j < 4; j++)
        v[j] = clamp127 (vcvtaq_s32_f32 (vmulq_n_f32 (vld1q_f32 (x + 16 * k + 4 * j), id)));
      vst1q_s8 (qs + 16 * k, narrow16 (v[0], v[1], v[2], v[3]));
    }
  return d;
}

void
lb_quant_q8_0_from_float_neon (const float *src, void *dst, gint64 n, const float *importance)
{
  LbBlockQ8_0 *b = dst;

  /* importance only changes weight quantization: the scalar search */
  if (importance)
    {
      lb_quant_q8_0_from_float (src, dst, n, importance);
      return;
    }
  for (gint64 i = 0; i < n / LB_QK; i++)
    b[i].d = lb_quant_to_half (q8_block (src + i * LB_QK, b[i].qs));
}

void
lb_quant_q8_1_from_float_neon (const float *src, void *dst, gint64 n, const float *importance)
{
  LbBlockQ8_1 *b = dst;

  for (gint64 i = 0; i < n / LB_QK; i++)
    {
      float d = q8_block (src + i * LB_QK, b[i].qs);
      int sum = vaddlvq_s8 (vld1q_s8 (b[i].qs)) + vaddlvq_s8 (vld1q_s8 (b[i].qs + 16));
      b[i].d = lb_quant_to_half (d);
      b[i].s = lb_quant_to_half (sum * d);
    }
}

void
lb_quant_q8_k_from_float_neon (const float *src, void *dst, gint64 n, const float *importance)
{
  LbBlockQ8_K *b = dst;

  for (gint64 i = 0; i < n / LB_QK_K; i++)
    {
      const float *x = src + i * LB_QK_K;
      float amax = amax16 (x, LB_QK_K), max = 0, iscale;

      /* the first value of largest magnitude gives the sign */
      for (int j = 0; amax != 0 && j < LB_QK_K; j++)
        if (fabsf (x[j]) == amax)
          {
            max = x[j];
            break;
          }
      iscale = amax != 0 ? -127.0f / max : 0;
      if (iscale == 0 || !isfinite (iscale))
        {
          memset (&b[i], 0, sizeof b[i]);
          continue;
        }
      for (int j = 0; j < LB_QK_K; j += 16)
        {
          int32x4_t v[4];
          /* round half to even (vcvtn, NaN to 0) */
          for (int k = 0; k < 4; k++)
            v[k] = clamp127 (vcvtnq_s32_f32 (vmulq_n_f32 (vld1q_f32 (x + j + 4 * k), iscale)));
          vst1q_s8 (b[i].qs + j, narrow16 (v[0], v[1], v[2], v[3]));
          b[i].bsums[j / 16] = (gint16) vaddlvq_s8 (vld1q_s8 (b[i].qs + j));
        }
      b[i].d = 1 / iscale;
    }
}

/* ---- dequantization (plain build only) ------------------------------------ */

/* 16 signed bytes times d into dst[0..15] */
static inline void
store_scaled (float *dst, int8x16_t q, float d)
{
  int16x8_t lo = vmovl_s8 (vget_low_s8 (q)), hi = vmovl_high_s8 (q);
  vst1q_f32 (dst, vmulq_n_f32 (vcvtq_f32_s32 (vmovl_s16 (vget_low_s16 (lo))), d));
  vst1q_f32 (dst + 4, vmulq_n_f32 (vcvtq_f32_s32 (vmovl_high_s16 (lo)), d));
  vst1q_f32 (dst + 8, vmulq_n_f32 (vcvtq_f32_s32 (vmovl_s16 (vget_low_s16 (hi))), d));
  vst1q_f32 (dst + 12, vmulq_n_f32 (vcvtq_f32_s32 (vmovl_high_s16 (hi)), d));
}

void
lb_quant_q8_0_to_float_neon (const void *src, float *dst, gint64 n)
{
  const LbBlockQ8_0 *b = src;

  for (gint64 i = 0; i < n / LB_QK; i++, dst += LB_QK)
    {
      float d = lb_quant_half (b[i].d);
      store_scaled (dst, vld1q_s8 (b[i].qs), d);
      store_scaled (dst + 16, vld1q_s8 (b[i].qs + 16), d);
    }
}

/* 16 unsigned levels to dl * q - ml (multiply, then subtract: the scalar
 * rounding) */
static inline void
store_affine (float *dst, uint8x16_t q, float dl, float ml)
{
  uint16x8_t lo = vmovl_u8 (vget_low_u8 (q)), hi = vmovl_high_u8 (q);
  float32x4_t m = vdupq_n_f32 (ml);
  vst1q_f32 (dst, vsubq_f32 (vmulq_n_f32 (vcvtq_f32_u32 (vmovl_u16 (vget_low_u16 (lo))), dl), m));
  vst1q_f32 (dst + 4, vsubq_f32 (vmulq_n_f32 (vcvtq_f32_u32 (vmovl_high_u16 (lo)), dl), m));
  vst1q_f32 (dst + 8, vsubq_f32 (vmulq_n_f32 (vcvtq_f32_u32 (vmovl_u16 (vget_low_u16 (hi))), dl), m));
  vst1q_f32 (dst + 12, vsubq_f32 (vmulq_n_f32 (vcvtq_f32_u32 (vmovl_high_u16 (hi)), dl), m));
}

void
lb_quant_q4_k_to_float_neon (const void *src, float *dst, gint64 n)
{
  const LbBlockQ4_K *b = src;
  const uint8x16_t m4 = vdupq_n_u8 (0x0f);

  for (gint64 i = 0; i < n / LB_QK_K; i++, dst += LB_QK_K)
    {
      float d = lb_quant_half (b[i].d), dmin = lb_quant_half (b[i].dmin);

      for (int c = 0; c < 4; c++)
        {
          uint8x16_t v0 = vld1q_u8 (b[i].qs + 32 * c), v1 = vld1q_u8 (b[i].qs + 32 * c + 16);
          guint8 sc, m;
          float dl, ml;

          lb_quant_k4_get_scale_min (2 * c, b[i].scales, &sc, &m);
          dl = d * sc;
          ml = dmin * m;
          store_affine (dst + 64 * c, vandq_u8 (v0, m4), dl, ml);
          store_affine (dst + 64 * c + 16, vandq_u8 (v1, m4), dl, ml);
          lb_quant_k4_get_scale_min (2 * c + 1, b[i].scales, &sc, &m);
          dl = d * sc;
          ml = dmin * m;
          store_affine (dst + 64 * c + 32, vshrq_n_u8 (v0, 4), dl, ml);
          store_affine (dst + 64 * c + 48, vshrq_n_u8 (v1, 4), dl, ml);
        }
    }
}

void
lb_quant_q6_k_to_float_neon (const void *src, float *dst, gint64 n)
{
  const LbBlockQ6_K *b = src;
  const uint8x16_t m4 = vdupq_n_u8 (0x0f), m3 = vdupq_n_u8 (3);
  const int8x16_t off = vdupq_n_s8 (32);

  for (gint64 i = 0; i < n / LB_QK_K; i++, dst += LB_QK_K)
    {
      float d = lb_quant_half (b[i].d);

      for (int h = 0; h < 2; h++)
        for (int k = 0; k < 2; k++)
          {
            const guint8 *ql = b[i].ql + 64 * h, *qh = b[i].qh + 32 * h;
            uint8x16_t a = vld1q_u8 (ql + 16 * k), bb = vld1q_u8 (ql + 32 + 16 * k);
            uint8x16_t hb = vld1q_u8 (qh + 16 * k);
            uint8x16_t q[4];

            q[0] = vorrq_u8 (vandq_u8 (a, m4), vshlq_n_u8 (vandq_u8 (hb, m3), 4));
            q[1] = vorrq_u8 (vandq_u8 (bb, m4), vshlq_n_u8 (vandq_u8 (vshrq_n_u8 (hb, 2), m3), 4));
            q[2] = vorrq_u8 (vshrq_n_u8 (a, 4), vshlq_n_u8 (vandq_u8 (vshrq_n_u8 (hb, 4), m3), 4));
            q[3] = vorrq_u8 (vshrq_n_u8 (bb, 4), vshlq_n_u8 (vshrq_n_u8 (hb, 6), 4));
            for (int g = 0; g < 4; g++)
              {
                int e = 128 * h + 32 * g + 16 * k;
                store_scaled (dst + e, vsubq_s8 (vreinterpretq_s8_u8 (q[g]), off),
                              d * b[i].scales[e / 16]);
              }
          }
    }
}

#endif /* !LB_NEON_DOTPROD */
