/* lb-matmul-avx2.c: AVX2/FMA/F16C float kernels (see lb-matmul-private.h
 * for the summation order they all keep). Built with -mavx2 -mfma -mf16c
 * into its own library and called only when the CPU has all three. */
#include "lb-matmul-private.h"

#include <immintrin.h>
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
hsum (__m256 v)
{
  __m128 s = _mm_add_ps (_mm256_castps256_ps128 (v), _mm256_extractf128_ps (v, 1));
  s = _mm_add_ps (s, _mm_movehl_ps (s, s));
  s = _mm_add_ss (s, _mm_movehdup_ps (s));
  return _mm_cvtss_f32 (s);
}

/* 8 elements of each row type, widened exactly */
ALWAYS_INLINE __m256
load8_f32 (const float *p)
{
  return _mm256_loadu_ps (p);
}

ALWAYS_INLINE __m256
load8_f16 (const guint16 *p)
{
  return _mm256_cvtph_ps (_mm_loadu_si128 ((const __m128i *) p));
}

ALWAYS_INLINE __m256
load8_bf16 (const guint16 *p)
{
  __m256i w = _mm256_cvtepu16_epi32 (_mm_loadu_si128 ((const __m128i *) p));
  return _mm256_castsi256_ps (_mm256_slli_epi32 (w, 16));
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
  return _cvtsh_ss (GUINT16_FROM_LE (h));
}

static inline float
bf16_at (const guint16 *p)
{
  guint16 h;
  memcpy (&h, p, sizeof h);
  return lb_bf16_to_fp32 (GUINT16_FROM_LE (h));
}

ALWAYS_INLINE float
hmax (__m256 v)
{
  __m128 s = _mm_max_ps (_mm256_castps256_ps128 (v), _mm256_extractf128_ps (v, 1));
  s = _mm_max_ps (s, _mm_movehl_ps (s, s));
  s = _mm_max_ss (s, _mm_movehdup_ps (s));
  return _mm_cvtss_f32 (s);
}

/* ---- one token against up to 8 rows ------------------------------------- */

/* The row type is a template parameter: LOAD8 widens 8 elements, LOAD1 one. */
#define DEFINE_ROWS(name, T, LOAD8, LOAD1)                                          \
  ALWAYS_INLINE void                                                               \
  name##_n (const guint NR, gint64 n, const T *w, gsize ldw, const float *x,       \
            float *out)                                                            \
  {                                                                                \
    __m256 acc[LB_MM_GEMV_ROWS];                                                   \
    gint64 n8 = n & ~(gint64) 7;                                                   \
                                                                                   \
    UNROLL for (guint r = 0; r < NR; r++)                                          \
      acc[r] = _mm256_setzero_ps ();                                               \
    for (gint64 i = 0; i < n8; i += 8)                                             \
      {                                                                            \
        __m256 xv = _mm256_loadu_ps (x + i);                                       \
        UNROLL for (guint r = 0; r < NR; r++)                                      \
          acc[r] = _mm256_fmadd_ps (LOAD8 (w + r * ldw + i), xv, acc[r]);          \
      }                                                                            \
    UNROLL for (guint r = 0; r < NR; r++)                                          \
      {                                                                            \
        float s = hsum (acc[r]);                                                   \
        for (gint64 i = n8; i < n; i++)                                            \
          s = fmaf (LOAD1 (w + r * ldw + i), x[i], s);                              \
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

DEFINE_ROWS (f32_rows, float, load8_f32, f32_at)
DEFINE_ROWS (f16_rows, guint16, load8_f16, f16_at)
DEFINE_ROWS (bf16_rows, guint16, load8_bf16, bf16_at)

/* ---- up to 4 rows × 2 tokens, f32 rows ---------------------------------- */

ALWAYS_INLINE void
f32_tile_n (const guint NR, const guint NT, gint64 n, const float *w, gsize ldw,
            const float *x, gsize ldx, float *out, gsize ldo)
{
  __m256 acc[LB_MM_TILE_TOKENS][LB_MM_TILE_ROWS];
  gint64 n8 = n & ~(gint64) 7;

  UNROLL for (guint t = 0; t < NT; t++)
    UNROLL for (guint r = 0; r < NR; r++)
      acc[t][r] = _mm256_setzero_ps ();
  for (gint64 i = 0; i < n8; i += 8)
    {
      __m256 xv[LB_MM_TILE_TOKENS];

      UNROLL for (guint t = 0; t < NT; t++)
        xv[t] = _mm256_loadu_ps (x + t * ldx + i);
      UNROLL for (guint r = 0; r < NR; r++)
        {
          __m256 wv = _mm256_loadu_ps (w + r * ldw + i);
          UNROLL for (guint t = 0; t < NT; t++)
            acc[t][r] = _mm256_fmadd_ps (wv, xv[t], acc[t][r]);
        }
    }
  UNROLL for (guint t = 0; t < NT; t++)
    UNROLL for (guint r = 0; r < NR; r++)
      {
        float s = hsum (acc[t][r]);
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

  for (; i + 8 <= n; i += 8)
    _mm256_storeu_ps (dst + i, load8_f16 (src + i));
  for (; i < n; i++)
    dst[i] = f16_at (src + i);
}

static void
bf16_to_f32 (const guint16 *src, float *dst, gint64 n)
{
  gint64 i = 0;

  for (; i + 8 <= n; i += 8)
    _mm256_storeu_ps (dst + i, load8_bf16 (src + i));
  for (; i < n; i++)
    dst[i] = bf16_at (src + i);
}

static void
f32_to_f16 (const float *src, guint16 *dst, gint64 n)
{
  gint64 i = 0;

  for (; i + 8 <= n; i += 8)
    _mm_storeu_si128 ((__m128i *) (dst + i),
                      _mm256_cvtps_ph (_mm256_loadu_ps (src + i), _MM_FROUND_TO_NEAREST_INT));
  for (; i < n; i++)
    {
      guint16 h = GUINT16_TO_LE (lb_fp32_to_fp16 (src[i]));
      memcpy (dst + i, &h, sizeof h);
    }
}

/* ---- attention helpers ---------------------------------------------------- */

/* exp (x), Cephes' expf polynomial after reducing by n ln 2 (relative error
 * about 2e-7). Arguments are clamped to [-87, 88]: below, the result is 0;
 * above, about 1.7e38 instead of overflowing (for sigmoids, the same). */
ALWAYS_INLINE __m256
exp_ps (__m256 x)
{
  const __m256 ln2_hi = _mm256_set1_ps (0.693359375f);
  const __m256 ln2_lo = _mm256_set1_ps (-2.12194440e-4f);
  __m256 under = _mm256_cmp_ps (x, _mm256_set1_ps (-87.0f), _CMP_LT_OQ);
  __m256 n, r, p, y;
  __m256i e;

  x = _mm256_min_ps (_mm256_max_ps (x, _mm256_set1_ps (-87.0f)), _mm256_set1_ps (88.0f));
  n = _mm256_round_ps (_mm256_mul_ps (x, _mm256_set1_ps (1.44269504088896341f)),
                       _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  r = _mm256_fnmadd_ps (n, ln2_hi, x);
  r = _mm256_fnmadd_ps (n, ln2_lo, r);
  p = _mm256_set1_ps (1.9875691500e-4f);
  p = _mm256_fmadd_ps (p, r, _mm256_set1_ps (1.3981999507e-3f));
  p = _mm256_fmadd_ps (p, r, _mm256_set1_ps (8.3334519073e-3f));
  p = _mm256_fmadd_ps (p, r, _mm256_set1_ps (4.1665795894e-2f));
  p = _mm256_fmadd_ps (p, r, _mm256_set1_ps (1.6666665459e-1f));
  p = _mm256_fmadd_ps (p, r, _mm256_set1_ps (5.0000001201e-1f));
  y = _mm256_fmadd_ps (_mm256_mul_ps (p, r), r, _mm256_add_ps (r, _mm256_set1_ps (1.0f)));
  /* times 2^n, n in [-126, 127] */
  e = _mm256_slli_epi32 (_mm256_add_epi32 (_mm256_cvtps_epi32 (n), _mm256_set1_epi32 (127)), 23);
  y = _mm256_mul_ps (y, _mm256_castsi256_ps (e));
  return _mm256_andnot_ps (under, y);
}

static void
silu_mul (gint64 n, const float *g, const float *u, float *out)
{
  const __m256 one = _mm256_set1_ps (1.0f);
  gint64 i = 0;

  for (; i + 8 <= n; i += 8)
    {
      __m256 gv = _mm256_loadu_ps (g + i);
      __m256 sig = _mm256_div_ps (gv, _mm256_add_ps (one, exp_ps (_mm256_sub_ps (_mm256_setzero_ps (), gv))));
      _mm256_storeu_ps (out + i, _mm256_mul_ps (sig, _mm256_loadu_ps (u + i)));
    }
  for (; i < n; i++)
    out[i] = g[i] / (1.0f + expf (-g[i])) * u[i];
}

/* 0.5 x (1 + tanh (z)) is x sigmoid (2 z): the silu form, with
 * z = sqrt (2/pi) (x + 0.044715 x^3) */
static void
gelu_mul (gint64 n, const float *g, const float *u, float *out)
{
  const __m256 one = _mm256_set1_ps (1.0f);
  const __m256 c2 = _mm256_set1_ps (-2.0f * 0.79788456080286535588f);
  const __m256 k = _mm256_set1_ps (0.044715f);
  gint64 i = 0;

  for (; i + 8 <= n; i += 8)
    {
      __m256 x = _mm256_loadu_ps (g + i);
      __m256 neg2z = _mm256_mul_ps (_mm256_mul_ps (c2, x),
                                    _mm256_fmadd_ps (_mm256_mul_ps (k, x), x, one));
      __m256 v = _mm256_div_ps (x, _mm256_add_ps (one, exp_ps (neg2z)));
      _mm256_storeu_ps (out + i, _mm256_mul_ps (v, _mm256_loadu_ps (u + i)));
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
  __m256 mv = _mm256_set1_ps (max);
  __m256 acc = _mm256_setzero_ps ();
  gint64 i = 0;
  float s;

  for (; i + 8 <= n; i += 8)
    {
      __m256 e = exp_ps (_mm256_sub_ps (_mm256_loadu_ps (x + i), mv));
      _mm256_storeu_ps (x + i, e);
      acc = _mm256_add_ps (acc, e);
    }
  s = hsum (acc);
  for (; i < n; i++)
    {
      x[i] = expf (x[i] - max);
      s += x[i];
    }
  return s;
}

/* out[i] = sum_p a[p] v[p][i], 32 columns at a time kept in registers */
#define DEFINE_WSUM(name, T, LOAD8, AT)                                               \
  static void                                                                        \
  name (guint n_rows, const float *a, const T *v, gsize ldv, gint64 hd, float *out)  \
  {                                                                                  \
    gint64 i = 0;                                                                    \
                                                                                     \
    for (; i + 32 <= hd; i += 32)                                                    \
      {                                                                              \
        __m256 c0 = _mm256_setzero_ps (), c1 = c0, c2 = c0, c3 = c0;                 \
        for (guint p = 0; p < n_rows; p++)                                           \
          {                                                                          \
            const T *row = v + p * ldv + i;                                          \
            __m256 ap = _mm256_set1_ps (a[p]);                                       \
            c0 = _mm256_fmadd_ps (ap, LOAD8 (row), c0);                              \
            c1 = _mm256_fmadd_ps (ap, LOAD8 (row + 8), c1);                          \
            c2 = _mm256_fmadd_ps (ap, LOAD8 (row + 16), c2);                         \
            c3 = _mm256_fmadd_ps (ap, LOAD8 (row + 24), c3);                         \
          }                                                                          \
        _mm256_storeu_ps (out + i, c0);                                              \
        _mm256_storeu_ps (out + i + 8, c1);                                          \
        _mm256_storeu_ps (out + i + 16, c2);                                         \
        _mm256_storeu_ps (out + i + 24, c3);                                         \
      }                                                                              \
    for (; i + 8 <= hd; i += 8)                                                      \
      {                                                                              \
        __m256 c = _mm256_setzero_ps ();                                             \
        for (guint p = 0; p < n_rows; p++)                                           \
          c = _mm256_fmadd_ps (_mm256_set1_ps (a[p]), LOAD8 (v + p * ldv + i), c);   \
        _mm256_storeu_ps (out + i, c);                                               \
      }                                                                              \
    for (; i < hd; i++)                                                              \
      {                                                                              \
        float c = 0.0f;                                                              \
        for (guint p = 0; p < n_rows; p++)                                           \
          c = fmaf (a[p], AT (v + p * ldv + i), c);                                  \
        out[i] = c;                                                                  \
      }                                                                              \
  }

DEFINE_WSUM (wsum_f32, float, load8_f32, f32_at)
DEFINE_WSUM (wsum_f16, guint16, load8_f16, f16_at)

/* 8 signed bytes widened to floats */
ALWAYS_INLINE __m256
load8_i8 (const gint8 *p)
{
  gint64 b;

  memcpy (&b, p, 8);
  return _mm256_cvtepi32_ps (_mm256_cvtepi8_epi32 (_mm_cvtsi64_si128 (b)));
}

static void
wsum_q8_0 (guint n_rows, const float *a, const void *vv, gsize ldv, gint64 hd, float *out)
{
  const LbBlockQ8_0 *v = vv;

  for (gint64 b = 0; b < hd / LB_QK; b++)
    {
      __m256 c0 = _mm256_setzero_ps (), c1 = c0, c2 = c0, c3 = c0;

      for (guint p = 0; p < n_rows; p++)
        {
          const LbBlockQ8_0 *blk = v + p * ldv + b;
          __m256 ad = _mm256_set1_ps (a[p] * f16_at (&blk->d));
          c0 = _mm256_fmadd_ps (ad, load8_i8 (blk->qs), c0);
          c1 = _mm256_fmadd_ps (ad, load8_i8 (blk->qs + 8), c1);
          c2 = _mm256_fmadd_ps (ad, load8_i8 (blk->qs + 16), c2);
          c3 = _mm256_fmadd_ps (ad, load8_i8 (blk->qs + 24), c3);
        }
      _mm256_storeu_ps (out + b * LB_QK, c0);
      _mm256_storeu_ps (out + b * LB_QK + 8, c1);
      _mm256_storeu_ps (out + b * LB_QK + 16, c2);
      _mm256_storeu_ps (out + b * LB_QK + 24, c3);
    }
}

/* The sums of the 8 lanes of each of a[0..7], as one vector: a tree of
 * horizontal adds instead of eight separate reductions. */
ALWAYS_INLINE __m256
hsum8 (const __m256 *a)
{
  __m256 s01 = _mm256_hadd_ps (a[0], a[1]), s23 = _mm256_hadd_ps (a[2], a[3]);
  __m256 s45 = _mm256_hadd_ps (a[4], a[5]), s67 = _mm256_hadd_ps (a[6], a[7]);
  __m256 t0 = _mm256_hadd_ps (s01, s23), t1 = _mm256_hadd_ps (s45, s67);
  /* t0 holds a0..a3 as partial sums in each 128-bit half, t1 a4..a7 */
  return _mm256_add_ps (_mm256_permute2f128_ps (t0, t1, 0x20),
                        _mm256_permute2f128_ps (t0, t1, 0x31));
}

#define DEFINE_SCORES(name, T, LOAD8, AT)                                               \
  static float                                                                         \
  name (guint n_kv, gint64 hd, const T *keys, gsize ldk, const float *q, float scale,  \
        float *scores)                                                                 \
  {                                                                                    \
    __m256 vmax = _mm256_set1_ps (-INFINITY), vscale = _mm256_set1_ps (scale);         \
    gint64 hd8 = hd & ~(gint64) 7;                                                     \
    float max;                                                                         \
    guint p = 0;                                                                       \
                                                                                       \
    for (; p + 8 <= n_kv && hd8 == hd; p += 8)                                         \
      {                                                                                \
        __m256 acc[8];                                                                 \
        __m256 s;                                                                      \
                                                                                       \
        UNROLL for (int j = 0; j < 8; j++)                                             \
          acc[j] = _mm256_setzero_ps ();                                               \
        for (gint64 i = 0; i < hd; i += 8)                                             \
          {                                                                            \
            __m256 qv = _mm256_loadu_ps (q + i);                                       \
            UNROLL for (int j = 0; j < 8; j++)                                         \
              acc[j] = _mm256_fmadd_ps (LOAD8 (keys + (p + j) * ldk + i), qv, acc[j]); \
          }                                                                            \
        s = _mm256_mul_ps (hsum8 (acc), vscale);                                       \
        _mm256_storeu_ps (scores + p, s);                                              \
        vmax = _mm256_max_ps (vmax, s);                                                \
      }                                                                                \
    max = hmax (vmax);                                                                 \
    /* the last positions (or heads not a multiple of 8 wide) one by one */            \
    for (; p < n_kv; p++)                                                              \
      {                                                                                \
        const T *k = keys + p * ldk;                                                   \
        __m256 acc = _mm256_setzero_ps ();                                             \
        float d;                                                                       \
                                                                                       \
        for (gint64 i = 0; i < hd8; i += 8)                                            \
          acc = _mm256_fmadd_ps (LOAD8 (k + i), _mm256_loadu_ps (q + i), acc);         \
        d = hsum (acc);                                                                \
        for (gint64 i = hd8; i < hd; i++)                                              \
          d = fmaf (AT (k + i), q[i], d);                                              \
        scores[p] = d * scale;                                                         \
        max = MAX (max, scores[p]);                                                    \
      }                                                                                \
    return max;                                                                        \
  }

DEFINE_SCORES (scores_f32, float, load8_f32, f32_at)
DEFINE_SCORES (scores_f16, guint16, load8_f16, f16_at)

/* per block: d * (sum of q[i] * k[i] in 8 lanes) */
static float
dot_q8_0 (gint64 n, const void *kv, const float *q)
{
  const LbBlockQ8_0 *k = kv;
  __m256 acc = _mm256_setzero_ps ();

  for (gint64 b = 0; b < n / LB_QK; b++, q += LB_QK)
    {
      __m256 s = _mm256_mul_ps (load8_i8 (k[b].qs), _mm256_loadu_ps (q));
      s = _mm256_fmadd_ps (load8_i8 (k[b].qs + 8), _mm256_loadu_ps (q + 8), s);
      s = _mm256_fmadd_ps (load8_i8 (k[b].qs + 16), _mm256_loadu_ps (q + 16), s);
      s = _mm256_fmadd_ps (load8_i8 (k[b].qs + 24), _mm256_loadu_ps (q + 24), s);
      acc = _mm256_fmadd_ps (_mm256_set1_ps (f16_at (&k[b].d)), s, acc);
    }
  return hsum (acc);
}

const LbMatmulKernels lb_matmul_avx2_kernels = {
  .f32_tile = f32_tile,
  .f32_rows = f32_rows,
  .f16_rows = f16_rows,
  .bf16_rows = bf16_rows,
  .f16_to_f32 = f16_to_f32,
  .bf16_to_f32 = bf16_to_f32,
  .f32_to_f16 = f32_to_f16,
  .silu_mul = silu_mul,
  .gelu_mul = gelu_mul,
  .exp_sum = exp_sum,
  .wsum_f32 = wsum_f32,
  .wsum_f16 = wsum_f16,
  .wsum_q8_0 = wsum_q8_0,
  .scores_f32 = scores_f32,
  .scores_f16 = scores_f16,
  .dot_q8_0 = dot_q8_0,
  .quant_tile = {
    [LB_TYPE_Q8_0] = lb_mm_q8_0_tile_avx2,
    [LB_TYPE_Q4_0] = lb_mm_q4_0_tile_avx2,
    [LB_TYPE_Q4_K] = lb_mm_q4_k_tile_avx2,
    [LB_TYPE_Q6_K] = lb_mm_q6_k_tile_avx2,
    [LB_TYPE_IQ4_NL] = lb_mm_iq4_nl_tile_avx2,
    [LB_TYPE_Q5_0] = lb_mm_q5_0_tile_avx2,
  },
  /* with 16 vector registers, several rows at once spill: one row per
   * call streams 2-6x faster (decode and batch alike) */
  .qtile_rows_one = 1,
  .qtile_rows_batch = 1,
};
