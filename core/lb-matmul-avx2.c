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
    for (guint r = 0; r < NR; r++)                                                 \
      acc[r] = _mm256_setzero_ps ();                                               \
    for (gint64 i = 0; i < n8; i += 8)                                             \
      {                                                                            \
        __m256 xv = _mm256_loadu_ps (x + i);                                       \
        for (guint r = 0; r < NR; r++)                                             \
          acc[r] = _mm256_fmadd_ps (LOAD8 (w + r * ldw + i), xv, acc[r]);          \
      }                                                                            \
    for (guint r = 0; r < NR; r++)                                                 \
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

  for (guint t = 0; t < NT; t++)
    for (guint r = 0; r < NR; r++)
      acc[t][r] = _mm256_setzero_ps ();
  for (gint64 i = 0; i < n8; i += 8)
    {
      __m256 xv[LB_MM_TILE_TOKENS];

      for (guint t = 0; t < NT; t++)
        xv[t] = _mm256_loadu_ps (x + t * ldx + i);
      for (guint r = 0; r < NR; r++)
        {
          __m256 wv = _mm256_loadu_ps (w + r * ldw + i);
          for (guint t = 0; t < NT; t++)
            acc[t][r] = _mm256_fmadd_ps (wv, xv[t], acc[t][r]);
        }
    }
  for (guint t = 0; t < NT; t++)
    for (guint r = 0; r < NR; r++)
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

/* ---- attention helpers ---------------------------------------------------- */

static void
axpy_f32 (gint64 n, float a, const float *v, float *y)
{
  __m256 av = _mm256_set1_ps (a);
  gint64 i = 0;

  for (; i + 8 <= n; i += 8)
    _mm256_storeu_ps (y + i, _mm256_fmadd_ps (av, load8_f32 (v + i), _mm256_loadu_ps (y + i)));
  for (; i < n; i++)
    y[i] = fmaf (a, v[i], y[i]);
}

static void
axpy_f16 (gint64 n, float a, const guint16 *v, float *y)
{
  __m256 av = _mm256_set1_ps (a);
  gint64 i = 0;

  for (; i + 8 <= n; i += 8)
    _mm256_storeu_ps (y + i, _mm256_fmadd_ps (av, load8_f16 (v + i), _mm256_loadu_ps (y + i)));
  for (; i < n; i++)
    y[i] = fmaf (a, f16_at (v + i), y[i]);
}

/* 8 signed bytes widened to floats */
ALWAYS_INLINE __m256
load8_i8 (const gint8 *p)
{
  gint64 b;

  memcpy (&b, p, 8);
  return _mm256_cvtepi32_ps (_mm256_cvtepi8_epi32 (_mm_cvtsi64_si128 (b)));
}

/* per block: d * (sum of q[i] * k[i] in 8 lanes, added as hsum does) */
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

static void
axpy_q8_0 (gint64 n, float a, const void *vv, float *y)
{
  const LbBlockQ8_0 *v = vv;

  for (gint64 b = 0; b < n / LB_QK; b++, y += LB_QK)
    {
      __m256 ad = _mm256_set1_ps (a * f16_at (&v[b].d));
      for (int j = 0; j < LB_QK; j += 8)
        _mm256_storeu_ps (y + j, _mm256_fmadd_ps (ad, load8_i8 (v[b].qs + j),
                                                  _mm256_loadu_ps (y + j)));
    }
}

const LbMatmulKernels lb_matmul_avx2_kernels = {
  .f32_tile = f32_tile,
  .f32_rows = f32_rows,
  .f16_rows = f16_rows,
  .bf16_rows = bf16_rows,
  .f16_to_f32 = f16_to_f32,
  .bf16_to_f32 = bf16_to_f32,
  .axpy_f32 = axpy_f32,
  .axpy_f16 = axpy_f16,
  .dot_q8_0 = dot_q8_0,
  .axpy_q8_0 = axpy_q8_0,
};
