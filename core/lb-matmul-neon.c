/* lb-matmul-neon.c: AArch64 NEON float kernels (see lb-matmul-private.h
 * for the summation order they all keep), and the two NEON kernel sets:
 * plain ARMv8-A and with the dot-product extension's quantized tiles
 * (lb-matmul-quant-neon.c). Multiply-adds are fused (vfmaq_f32, fmaf), as
 * in the AVX2 set.
 *
 * The eight summation lanes of a dot product are two float32x4_t: lo holds
 * lanes 0..3, hi lanes 4..7. */
#include "lb-matmul-private.h"

#include <arm_neon.h>
#include <math.h>
#include <string.h>

#include "lb-half.h"
#include "lb-quant-blocks.h"

#define ALWAYS_INLINE static inline __attribute__ ((always_inline))
/* the register-blocked loops must be unrolled for their accumulators to
 * stay in registers */
#define UNROLL _Pragma ("GCC unroll 8")

/* ((l0 + l4) + (l2 + l6)) + ((l1 + l5) + (l3 + l7)) */
ALWAYS_INLINE float
hsum (float32x4_t lo, float32x4_t hi)
{
  float32x4_t s = vaddq_f32 (lo, hi);
  float32x2_t u = vadd_f32 (vget_low_f32 (s), vget_high_f32 (s));
  return vget_lane_f32 (u, 0) + vget_lane_f32 (u, 1);
}

/* 4 elements of each row type, widened exactly */
ALWAYS_INLINE float32x4_t
load4_f32 (const float *p)
{
  return vld1q_f32 (p);
}

ALWAYS_INLINE float32x4_t
load4_f16 (const guint16 *p)
{
  return vcvt_f32_f16 (vreinterpret_f16_u16 (vld1_u16 (p)));
}

ALWAYS_INLINE float32x4_t
load4_bf16 (const guint16 *p)
{
  return vreinterpretq_f32_u32 (vshll_n_u16 (vld1_u16 (p), 16));
}

/* single elements, read through memcpy: rows need not be aligned */
static inline float
f32_at (const float *p)
{
  float v;
  memcpy (&v, p, sizeof v);
  return v;
}

static inline float
f16_at (const guint16 *p)
{
  guint16 h;
  memcpy (&h, p, sizeof h);
  return lb_fp16_to_fp32 (GUINT16_FROM_LE (h));
}

static inline float
bf16_at (const guint16 *p)
{
  guint16 h;
  memcpy (&h, p, sizeof h);
  return lb_bf16_to_fp32 (GUINT16_FROM_LE (h));
}

/* ---- one token against up to 8 rows ------------------------------------- */

/* The row type is a template parameter: LOAD4 widens 4 elements, LOAD1 one. */
#define DEFINE_ROWS(name, T, LOAD4, LOAD1)                                          \
  ALWAYS_INLINE void                                                               \
  name##_n (const guint NR, gint64 n, const T *w, gsize ldw, const float *x,       \
            float *out)                                                            \
  {                                                                                \
    float32x4_t lo[LB_MM_GEMV_ROWS], hi[LB_MM_GEMV_ROWS];                          \
    gint64 n8 = n & ~(gint64) 7;                                                   \
                                                                                   \
    UNROLL for (guint r = 0; r < NR; r++)                                          \
      lo[r] = hi[r] = vdupq_n_f32 (0);                                             \
    for (gint64 i = 0; i < n8; i += 8)                                             \
      {                                                                            \
        float32x4_t x0 = vld1q_f32 (x + i), x1 = vld1q_f32 (x + i + 4);            \
        UNROLL for (guint r = 0; r < NR; r++)                                      \
          {                                                                        \
            lo[r] = vfmaq_f32 (lo[r], LOAD4 (w + r * ldw + i), x0);                \
            hi[r] = vfmaq_f32 (hi[r], LOAD4 (w + r * ldw + i + 4), x1);            \
          }                                                                        \
      }                                                                            \
    UNROLL for (guint r = 0; r < NR; r++)                                          \
      {                                                                            \
        float s = hsum (lo[r], hi[r]);                                             \
        for (gint64 i = n8; i < n; i++)                                            \
          s = fmaf (LOAD1 (w + r * ldw + i), x[i], s);                             \
        out[r] = s;                                                                \
      }                                                                            \
  }                                                                                \
                                                                                   \
  static void                                                                      \
  name (gint64 n, const T *w, gsize ldw, guint nr, const float *x, float *out)     \
  {                                                                                \
    switch (nr)                                                                    \
      {                                                                            \
      case 1: name##_n (1, n, w, ldw, x, out); break;                              \
      case 2: name##_n (2, n, w, ldw, x, out); break;                              \
      case 3: name##_n (3, n, w, ldw, x, out); break;                              \
      case 4: name##_n (4, n, w, ldw, x, out); break;                              \
      case 5: name##_n (5, n, w, ldw, x, out); break;                              \
      case 6: name##_n (6, n, w, ldw, x, out); break;                              \
      case 7: name##_n (7, n, w, ldw, x, out); break;                              \
      case 8: name##_n (8, n, w, ldw, x, out); break;                              \
      default: break;                                                              \
      }                                                                            \
  }

DEFINE_ROWS (f32_rows, float, load4_f32, f32_at)
DEFINE_ROWS (f16_rows, guint16, load4_f16, f16_at)
DEFINE_ROWS (bf16_rows, guint16, load4_bf16, bf16_at)

/* ---- up to 4 rows × 3 tokens, f32 rows ---------------------------------- */

ALWAYS_INLINE void
f32_tile_n (const guint NR, const guint NT, gint64 n, const float *w, gsize ldw,
            const float *x, gsize ldx, float *out, gsize ldo)
{
  float32x4_t lo[LB_MM_TILE_TOKENS][LB_MM_TILE_ROWS], hi[LB_MM_TILE_TOKENS][LB_MM_TILE_ROWS];
  gint64 n8 = n & ~(gint64) 7;

  UNROLL for (guint t = 0; t < NT; t++)
    UNROLL for (guint r = 0; r < NR; r++)
      lo[t][r] = hi[t][r] = vdupq_n_f32 (0);
  for (gint64 i = 0; i < n8; i += 8)
    {
      float32x4_t x0[LB_MM_TILE_TOKENS], x1[LB_MM_TILE_TOKENS];

      UNROLL for (guint t = 0; t < NT; t++)
        {
          x0[t] = vld1q_f32 (x + t * ldx + i);
          x1[t] = vld1q_f32 (x + t * ldx + i + 4);
        }
      UNROLL for (guint r = 0; r < NR; r++)
        {
          float32x4_t w0 = vld1q_f32 (w + r * ldw + i), w1 = vld1q_f32 (w + r * ldw + i + 4);
          UNROLL for (guint t = 0; t < NT; t++)
            {
              lo[t][r] = vfmaq_f32 (lo[t][r], w0, x0[t]);
              hi[t][r] = vfmaq_f32 (hi[t][r], w1, x1[t]);
            }
        }
    }
  UNROLL for (guint t = 0; t < NT; t++)
    UNROLL for (guint r = 0; r < NR; r++)
      {
        float s = hsum (lo[t][r], hi[t][r]);
        for (gint64 i = n8; i < n; i++)
          s = fmaf (f32_at (w + r * ldw + i), x[t * ldx + i], s);
        out[t * ldo + r] = s;
      }
}

static void
f32_tile (gint64 n, const float *w, gsize ldw, guint nr, const float *x, gsize ldx, guint nt,
          float *out, gsize ldo)
{
#define TILE(R, T) case (R) * 4 + (T): f32_tile_n (R, T, n, w, ldw, x, ldx, out, ldo); break
  switch (nr * 4 + nt)
    {
    TILE (1, 1); TILE (2, 1); TILE (3, 1); TILE (4, 1);
    TILE (1, 2); TILE (2, 2); TILE (3, 2); TILE (4, 2);
    TILE (1, 3); TILE (2, 3); TILE (3, 3); TILE (4, 3);
    default: break;
    }
#undef TILE
}

/* ---- conversions ---------------------------------------------------------- */

static void
f16_to_f32 (const guint16 *src, float *dst, gint64 n)
{
  gint64 i = 0;

  for (; i + 4 <= n; i += 4)
    vst1q_f32 (dst + i, load4_f16 (src + i));
  for (; i < n; i++)
    dst[i] = f16_at (src + i);
}

static void
bf16_to_f32 (const guint16 *src, float *dst, gint64 n)
{
  gint64 i = 0;

  for (; i + 4 <= n; i += 4)
    vst1q_f32 (dst + i, load4_bf16 (src + i));
  for (; i < n; i++)
    dst[i] = bf16_at (src + i);
}

/* the FPCR's default rounding is to nearest even, as lb_fp32_to_fp16 */
static void
f32_to_f16 (const float *src, guint16 *dst, gint64 n)
{
  gint64 i = 0;

  for (; i + 4 <= n; i += 4)
    vst1_u16 (dst + i, vreinterpret_u16_f16 (vcvt_f16_f32 (vld1q_f32 (src + i))));
  for (; i < n; i++)
    {
      guint16 h = GUINT16_TO_LE (lb_fp32_to_fp16 (src[i]));
      memcpy (dst + i, &h, sizeof h);
    }
}

/* ---- attention and activation helpers ------------------------------------- */

/* exp (x), Cephes' expf polynomial after reducing by n ln 2 (relative error
 * about 2e-7). Arguments are clamped to [-87, 88]: below, the result is 0;
 * above, about 1.7e38 instead of overflowing (for sigmoids, the same). */
ALWAYS_INLINE float32x4_t
exp_ps (float32x4_t x)
{
  const float32x4_t ln2_hi = vdupq_n_f32 (0.693359375f);
  const float32x4_t ln2_lo = vdupq_n_f32 (-2.12194440e-4f);
  uint32x4_t under = vcltq_f32 (x, vdupq_n_f32 (-87.0f));
  float32x4_t n, r, p, y;
  int32x4_t e;

  x = vminq_f32 (vmaxq_f32 (x, vdupq_n_f32 (-87.0f)), vdupq_n_f32 (88.0f));
  n = vrndnq_f32 (vmulq_f32 (x, vdupq_n_f32 (1.44269504088896341f)));
  r = vfmsq_f32 (x, n, ln2_hi);
  r = vfmsq_f32 (r, n, ln2_lo);
  p = vdupq_n_f32 (1.9875691500e-4f);
  p = vfmaq_f32 (vdupq_n_f32 (1.3981999507e-3f), p, r);
  p = vfmaq_f32 (vdupq_n_f32 (8.3334519073e-3f), p, r);
  p = vfmaq_f32 (vdupq_n_f32 (4.1665795894e-2f), p, r);
  p = vfmaq_f32 (vdupq_n_f32 (1.6666665459e-1f), p, r);
  p = vfmaq_f32 (vdupq_n_f32 (5.0000001201e-1f), p, r);
  y = vfmaq_f32 (vaddq_f32 (r, vdupq_n_f32 (1.0f)), vmulq_f32 (p, r), r);
  /* times 2^n, n in [-126, 127] */
  e = vshlq_n_s32 (vaddq_s32 (vcvtnq_s32_f32 (n), vdupq_n_s32 (127)), 23);
  y = vmulq_f32 (y, vreinterpretq_f32_s32 (e));
  return vreinterpretq_f32_u32 (vbicq_u32 (vreinterpretq_u32_f32 (y), under));
}

static void
silu_mul (gint64 n, const float *g, const float *u, float *out)
{
  const float32x4_t one = vdupq_n_f32 (1.0f);
  gint64 i = 0;

  for (; i + 4 <= n; i += 4)
    {
      float32x4_t gv = vld1q_f32 (g + i);
      float32x4_t sig = vdivq_f32 (gv, vaddq_f32 (one, exp_ps (vnegq_f32 (gv))));
      vst1q_f32 (out + i, vmulq_f32 (sig, vld1q_f32 (u + i)));
    }
  for (; i < n; i++)
    out[i] = g[i] / (1.0f + expf (-g[i])) * u[i];
}

/* 0.5 x (1 + tanh (z)) is x sigmoid (2 z): the silu form, with
 * z = sqrt (2/pi) (x + 0.044715 x^3) */
static void
gelu_mul (gint64 n, const float *g, const float *u, float *out)
{
  const float32x4_t one = vdupq_n_f32 (1.0f);
  const float32x4_t c2 = vdupq_n_f32 (-2.0f * 0.79788456080286535588f);
  const float32x4_t k = vdupq_n_f32 (0.044715f);
  gint64 i = 0;

  for (; i + 4 <= n; i += 4)
    {
      float32x4_t x = vld1q_f32 (g + i);
      float32x4_t neg2z = vmulq_f32 (vmulq_f32 (c2, x), vfmaq_f32 (one, vmulq_f32 (k, x), x));
      float32x4_t v = vdivq_f32 (x, vaddq_f32 (one, exp_ps (neg2z)));
      vst1q_f32 (out + i, vmulq_f32 (v, vld1q_f32 (u + i)));
    }
  for (; i < n; i++)
    {
      double x = g[i];
      out[i] = (float) (0.5 * x * (1.0 + tanh (0.79788456080286535588 * (x + 0.044715 * x * x * x))))
               * u[i];
    }
}

static float
exp_sum (float *x, gint64 n, float max)
{
  float32x4_t mv = vdupq_n_f32 (max);
  float32x4_t acc = vdupq_n_f32 (0);
  gint64 i = 0;
  float s;

  for (; i + 4 <= n; i += 4)
    {
      float32x4_t e = exp_ps (vsubq_f32 (vld1q_f32 (x + i), mv));
      vst1q_f32 (x + i, e);
      acc = vaddq_f32 (acc, e);
    }
  s = vaddvq_f32 (acc);
  for (; i < n; i++)
    {
      x[i] = expf (x[i] - max);
      s += x[i];
    }
  return s;
}

/* out[i] = sum_p a[p] v[p][i], 16 columns at a time kept in registers;
 * each out[i] is one chain of fused multiply-adds in p order */
#define DEFINE_WSUM(name, T, LOAD4, AT)                                               \
  static void                                                                        \
  name (guint n_rows, const float *a, const T *v, gsize ldv, gint64 hd, float *out)  \
  {                                                                                  \
    gint64 i = 0;                                                                    \
                                                                                     \
    for (; i + 16 <= hd; i += 16)                                                    \
      {                                                                              \
        float32x4_t c0 = vdupq_n_f32 (0), c1 = c0, c2 = c0, c3 = c0;                 \
        for (guint p = 0; p < n_rows; p++)                                           \
          {                                                                          \
            const T *row = v + p * ldv + i;                                          \
            float32x4_t ap = vdupq_n_f32 (a[p]);                                     \
            c0 = vfmaq_f32 (c0, ap, LOAD4 (row));                                    \
            c1 = vfmaq_f32 (c1, ap, LOAD4 (row + 4));                                \
            c2 = vfmaq_f32 (c2, ap, LOAD4 (row + 8));                                \
            c3 = vfmaq_f32 (c3, ap, LOAD4 (row + 12));                               \
          }                                                                          \
        vst1q_f32 (out + i, c0);                                                     \
        vst1q_f32 (out + i + 4, c1);                                                 \
        vst1q_f32 (out + i + 8, c2);                                                 \
        vst1q_f32 (out + i + 12, c3);                                                \
      }                                                                              \
    for (; i + 4 <= hd; i += 4)                                                      \
      {                                                                              \
        float32x4_t c = vdupq_n_f32 (0);                                             \
        for (guint p = 0; p < n_rows; p++)                                           \
          c = vfmaq_f32 (c, vdupq_n_f32 (a[p]), LOAD4 (v + p * ldv + i));            \
        vst1q_f32 (out + i, c);                                                      \
      }                                                                              \
    for (; i < hd; i++)                                                              \
      {                                                                              \
        float c = 0.0f;                                                              \
        for (guint p = 0; p < n_rows; p++)                                           \
          c = fmaf (a[p], AT (v + p * ldv + i), c);                                  \
        out[i] = c;                                                                  \
      }                                                                              \
  }

DEFINE_WSUM (wsum_f32, float, load4_f32, f32_at)
DEFINE_WSUM (wsum_f16, guint16, load4_f16, f16_at)

/* 16 signed bytes widened to four float vectors */
ALWAYS_INLINE void
load16_i8 (const gint8 *p, float32x4_t *f)
{
  int8x16_t q = vld1q_s8 (p);
  int16x8_t lo = vmovl_s8 (vget_low_s8 (q)), hi = vmovl_high_s8 (q);

  f[0] = vcvtq_f32_s32 (vmovl_s16 (vget_low_s16 (lo)));
  f[1] = vcvtq_f32_s32 (vmovl_high_s16 (lo));
  f[2] = vcvtq_f32_s32 (vmovl_s16 (vget_low_s16 (hi)));
  f[3] = vcvtq_f32_s32 (vmovl_high_s16 (hi));
}

static void
wsum_q8_0 (guint n_rows, const float *a, const void *vv, gsize ldv, gint64 hd, float *out)
{
  const LbBlockQ8_0 *v = vv;

  for (gint64 b = 0; b < hd / LB_QK; b++)
    {
      float32x4_t c[8];

      for (int k = 0; k < 8; k++)
        c[k] = vdupq_n_f32 (0);
      for (guint p = 0; p < n_rows; p++)
        {
          const LbBlockQ8_0 *blk = v + p * ldv + b;
          float32x4_t ad = vdupq_n_f32 (a[p] * f16_at (&blk->d)), f[8];

          load16_i8 (blk->qs, f);
          load16_i8 (blk->qs + 16, f + 4);
          for (int k = 0; k < 8; k++)
            c[k] = vfmaq_f32 (c[k], ad, f[k]);
        }
      for (int k = 0; k < 8; k++)
        vst1q_f32 (out + b * LB_QK + 4 * k, c[k]);
    }
}

/* attention scores: four positions at a time, each its own dot product */
#define DEFINE_SCORES(name, T, LOAD4, AT)                                                \
  ALWAYS_INLINE float                                                                   \
  name##_one (gint64 hd, const T *k, const float *q)                                    \
  {                                                                                     \
    float32x4_t lo = vdupq_n_f32 (0), hi = lo;                                          \
    gint64 hd8 = hd & ~(gint64) 7;                                                      \
    float d;                                                                            \
                                                                                        \
    for (gint64 i = 0; i < hd8; i += 8)                                                 \
      {                                                                                 \
        lo = vfmaq_f32 (lo, LOAD4 (k + i), vld1q_f32 (q + i));                          \
        hi = vfmaq_f32 (hi, LOAD4 (k + i + 4), vld1q_f32 (q + i + 4));                  \
      }                                                                                 \
    d = hsum (lo, hi);                                                                  \
    for (gint64 i = hd8; i < hd; i++)                                                   \
      d = fmaf (AT (k + i), q[i], d);                                                   \
    return d;                                                                           \
  }                                                                                     \
                                                                                        \
  static float                                                                          \
  name (guint n_kv, gint64 hd, const T *keys, gsize ldk, const float *q, float scale,   \
        float *scores)                                                                  \
  {                                                                                     \
    float max = -INFINITY;                                                              \
                                                                                        \
    for (guint p = 0; p < n_kv; p++)                                                    \
      {                                                                                 \
        scores[p] = name##_one (hd, keys + p * ldk, q) * scale;                         \
        max = MAX (max, scores[p]);                                                     \
      }                                                                                 \
    return max;                                                                         \
  }

DEFINE_SCORES (scores_f32, float, load4_f32, f32_at)
DEFINE_SCORES (scores_f16, guint16, load4_f16, f16_at)

/* per block: d * (sum of q[i] * k[i] in 8 lanes) */
static float
dot_q8_0 (gint64 n, const void *kv, const float *q)
{
  const LbBlockQ8_0 *k = kv;
  float32x4_t lo = vdupq_n_f32 (0), hi = lo;

  for (gint64 b = 0; b < n / LB_QK; b++, q += LB_QK)
    {
      float32x4_t f[8], slo, shi, d = vdupq_n_f32 (f16_at (&k[b].d));

      load16_i8 (k[b].qs, f);
      load16_i8 (k[b].qs + 16, f + 4);
      slo = vmulq_f32 (f[0], vld1q_f32 (q));
      shi = vmulq_f32 (f[1], vld1q_f32 (q + 4));
      for (int j = 1; j < 4; j++)
        {
          slo = vfmaq_f32 (slo, f[2 * j], vld1q_f32 (q + 8 * j));
          shi = vfmaq_f32 (shi, f[2 * j + 1], vld1q_f32 (q + 8 * j + 4));
        }
      lo = vfmaq_f32 (lo, d, slo);
      hi = vfmaq_f32 (hi, d, shi);
    }
  return hsum (lo, hi);
}

#define NEON_FLOAT_KERNELS             \
  .f32_tile = f32_tile,                \
  .f32_rows = f32_rows,                \
  .f16_rows = f16_rows,                \
  .bf16_rows = bf16_rows,              \
  .f16_to_f32 = f16_to_f32,            \
  .bf16_to_f32 = bf16_to_f32,          \
  .f32_to_f16 = f32_to_f16,            \
  .silu_mul = silu_mul,                \
  .gelu_mul = gelu_mul,                \
  .exp_sum = exp_sum,                  \
  .wsum_f32 = wsum_f32,                \
  .wsum_f16 = wsum_f16,                \
  .wsum_q8_0 = wsum_q8_0,              \
  .scores_f32 = scores_f32,            \
  .scores_f16 = scores_f16,            \
  .dot_q8_0 = dot_q8_0

const LbMatmulKernels lb_matmul_neon_kernels = {
  NEON_FLOAT_KERNELS,
  .quant_tile = {
    [LB_TYPE_Q8_0] = lb_mm_q8_0_tile_neon,
    [LB_TYPE_Q4_0] = lb_mm_q4_0_tile_neon,
    [LB_TYPE_Q4_K] = lb_mm_q4_k_tile_neon,
    [LB_TYPE_Q6_K] = lb_mm_q6_k_tile_neon,
  },
  /* 32 vector registers hold a 4-row tile */
  .qtile_rows_one = LB_MM_QTILE_ROWS,
  .qtile_rows_batch = 2,
};

const LbMatmulKernels lb_matmul_neon_dp_kernels = {
  NEON_FLOAT_KERNELS,
  .quant_tile = {
    [LB_TYPE_Q8_0] = lb_mm_q8_0_tile_neon_dp,
    [LB_TYPE_Q4_0] = lb_mm_q4_0_tile_neon_dp,
    [LB_TYPE_Q4_K] = lb_mm_q4_k_tile_neon_dp,
    [LB_TYPE_Q6_K] = lb_mm_q6_k_tile_neon_dp,
  },
  /* 32 vector registers hold a 4-row tile */
  .qtile_rows_one = LB_MM_QTILE_ROWS,
  .qtile_rows_batch = 2,
};
