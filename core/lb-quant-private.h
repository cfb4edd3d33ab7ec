/* lb-quant-private.h: block-format kernels shared inside liblowbit and
 * with the tests. The scalar kernels are the definition of each format;
 * the AVX2 ones are checked against them (tests/test-quant-simd.c). */
#pragma once

#include <glib.h>
#include <math.h>
#include <string.h>

#include "lb-half.h"
#include "lb-quant-blocks.h"
#include "lb-type.h"

G_BEGIN_DECLS

/* ---- small helpers ------------------------------------------------------ */

static inline float
lb_quant_half (guint16 h)
{
  return lb_fp16_to_fp32 (GUINT16_FROM_LE (h));
}

static inline guint16
lb_quant_to_half (float f)
{
  return GUINT16_TO_LE (lb_fp32_to_fp16 (f));
}

/* Round to nearest, ties to even, for |f| < 2^22 (the usual magic-number
 * trick). Defined for every input: NaN and out-of-range values give some
 * integer in [-2^22, 2^22) that callers clamp. */
static inline int
lb_quant_nearest_int (float f)
{
  float v = f + 12582912.0f;
  gint32 i;
  memcpy (&i, &v, sizeof i);
  return (i & 0x007fffff) - 0x00400000;
}

static inline int
lb_quant_clamp (int v, int lo, int hi)
{
  return v < lo ? lo : v > hi ? hi : v;
}

/* 6-bit scale and min j (0..7) of Q4_K/Q5_K */
static inline void
lb_quant_k4_get_scale_min (int j, const guint8 *s, guint8 *sc, guint8 *m)
{
  if (j < 4)
    {
      *sc = s[j] & 63;
      *m = s[j + 4] & 63;
    }
  else
    {
      *sc = (s[j + 4] & 0x0f) | ((s[j - 4] >> 6) << 4);
      *m = (s[j + 4] >> 4) | ((s[j] >> 6) << 4);
    }
}

/* packs 8 scales and 8 mins (each 0..63) into the 12 bytes */
void lb_quant_k4_pack_scales (const guint8 *sc, const guint8 *m, guint8 *s);

/* 6-bit scale j (0..15) of Q3_K, as stored (0..63, 32 is zero) */
static inline int
lb_quant_q3k_get_scale (int j, const guint8 *s)
{
  int lo = j < 8 ? (s[j] & 0x0f) : (s[j - 8] >> 4);
  int hi = (s[8 + j % 4] >> (2 * (j / 4))) & 3;
  return lo | (hi << 4);
}

void lb_quant_q3k_pack_scales (const guint8 *sc, guint8 *s);

extern const gint8 lb_quant_iq4nl_values[16];

static inline float
lb_quant_sum_squares (const float *x, int n)
{
  float s = 0;
  for (int i = 0; i < n; i++)
    s += x[i] * x[i];
  return s;
}

/* 2-bit fields of Q2_K/Q3_K: element e = 128 h + 32 s + l sits at bits 2 s
 * of qs[32 h + l] */
static inline void
lb_quant_pack_2bit (const guint8 *L, guint8 *qs)
{
  for (int h = 0; h < 2; h++)
    for (int l = 0; l < 32; l++)
      {
        const guint8 *e = L + 128 * h + l;
        qs[32 * h + l] = (guint8) ((e[0] & 3) | ((e[32] & 3) << 2) | ((e[64] & 3) << 4) | ((e[96] & 3) << 6));
      }
}

static inline void
lb_quant_unpack_2bit (const guint8 *qs, guint8 *L)
{
  for (int e = 0; e < LB_QK_K; e++)
    L[e] = (qs[32 * (e / 128) + e % 32] >> (2 * ((e / 32) % 4))) & 3;
}

/* Rejecting bad input is the caller's job (it can name the tensor); the
 * kernels themselves never crash on NaN/Inf but produce garbage for them.
 * TRUE when all n values are finite; otherwise *bad_index (if not NULL)
 * gets the first offending index. */
gboolean lb_quant_check_finite (const float *x, gint64 n, gint64 *bad_index);

/* ---- scale searches (lb-quant-search.c) --------------------------------- */

#define LB_QUANT_EPS 1e-15f

/* Symmetric levels l in [-nmax, nmax - 1]: finds s minimising
 * sum w (x - s l)^2 over 2 ntry + 1 trial inverse scales around the one
 * that maps the largest |x| to -nmax, then (refine) by moving single
 * levels. Writes L[i] = l + nmax; returns s (0 for an all-zero group). */
float lb_quant_fit_symmetric (int n, int nmax, const float *x, const float *w,
                              int ntry, gboolean refine, guint8 *L);

/* Affine levels l in [0, nmax]: x ~ s l - m with m >= 0. Tries the inverse
 * scales (nmax + rmin + rdelta k) / (max - min), k = 0..nstep, fitting s and
 * m by weighted least squares for each, then polishes the best. Returns s,
 * *m_out = m. */
float lb_quant_fit_affine (int n, int nmax, const float *x, const float *w,
                           float rmin, float rdelta, int nstep,
                           guint8 *L, float *m_out);

/* Non-negative values (sub-block scales or mins) on levels 0..nmax: returns
 * the super-scale, L the levels. */
float lb_quant_fit_positive (int n, int nmax, const float *x, const float *w, guint8 *L);

/* Index of the IQ4_NL table value nearest to x (ties go up) */
int   lb_quant_iq4nl_index (float x);

/* ---- scalar kernels (the definitions) ----------------------------------- */

#define LB_QUANT_DECLARE_ROW(t) \
  void lb_quant_##t##_to_float   (const void *src, float *dst, gint64 n); \
  void lb_quant_##t##_from_float (const float *src, void *dst, gint64 n, const float *importance)

#define LB_QUANT_DECLARE(t) \
  LB_QUANT_DECLARE_ROW (t); \
  void lb_quant_##t##_vec_dot (gint64 n, float *result, const void *x, const void *y)

LB_QUANT_DECLARE (q8_0);
LB_QUANT_DECLARE_ROW (q8_1);
LB_QUANT_DECLARE_ROW (q8_k);
LB_QUANT_DECLARE (q4_0);
LB_QUANT_DECLARE (q4_1);
LB_QUANT_DECLARE (q5_0);
LB_QUANT_DECLARE (q5_1);
LB_QUANT_DECLARE (iq4_nl);
LB_QUANT_DECLARE (q2_k);
LB_QUANT_DECLARE (q3_k);
LB_QUANT_DECLARE (q4_k);
LB_QUANT_DECLARE (q5_k);
LB_QUANT_DECLARE (q6_k);

/* ---- AVX2/FMA kernels (lb-quant-avx2.c, x86-64 only) -------------------- */

#if defined(__x86_64__) && defined(__GNUC__)
#define LB_QUANT_HAVE_AVX2_BUILD 1

void lb_quant_q8_0_from_float_avx2 (const float *src, void *dst, gint64 n, const float *importance);
void lb_quant_q8_1_from_float_avx2 (const float *src, void *dst, gint64 n, const float *importance);
void lb_quant_q8_k_from_float_avx2 (const float *src, void *dst, gint64 n, const float *importance);
void lb_quant_q8_0_to_float_avx2   (const void *src, float *dst, gint64 n);
void lb_quant_q4_k_to_float_avx2   (const void *src, float *dst, gint64 n);
void lb_quant_q6_k_to_float_avx2   (const void *src, float *dst, gint64 n);

#define LB_QUANT_DECLARE_DOT_AVX2(t) \
  void lb_quant_##t##_vec_dot_avx2 (gint64 n, float *result, const void *x, const void *y)

LB_QUANT_DECLARE_DOT_AVX2 (q8_0);
LB_QUANT_DECLARE_DOT_AVX2 (q4_0);
LB_QUANT_DECLARE_DOT_AVX2 (q4_1);
LB_QUANT_DECLARE_DOT_AVX2 (q5_0);
LB_QUANT_DECLARE_DOT_AVX2 (q5_1);
LB_QUANT_DECLARE_DOT_AVX2 (iq4_nl);
LB_QUANT_DECLARE_DOT_AVX2 (q2_k);
LB_QUANT_DECLARE_DOT_AVX2 (q3_k);
LB_QUANT_DECLARE_DOT_AVX2 (q4_k);
LB_QUANT_DECLARE_DOT_AVX2 (q5_k);
LB_QUANT_DECLARE_DOT_AVX2 (q6_k);
#endif

/* ---- NEON kernels (lb-quant-neon.c, AArch64 only) ----------------------- */

#if defined(__aarch64__) && defined(__GNUC__)
#define LB_QUANT_HAVE_NEON_BUILD 1

void lb_quant_q8_0_from_float_neon (const float *src, void *dst, gint64 n, const float *importance);
void lb_quant_q8_1_from_float_neon (const float *src, void *dst, gint64 n, const float *importance);
void lb_quant_q8_k_from_float_neon (const float *src, void *dst, gint64 n, const float *importance);
void lb_quant_q8_0_to_float_neon   (const void *src, float *dst, gint64 n);
void lb_quant_q4_k_to_float_neon   (const void *src, float *dst, gint64 n);
void lb_quant_q6_k_to_float_neon   (const void *src, float *dst, gint64 n);

/* _neon: plain ARMv8-A; _neon_dp: the dot-product extension (vdotq_s32) */
#define LB_QUANT_DECLARE_DOT_NEON(t) \
  void lb_quant_##t##_vec_dot_neon (gint64 n, float *result, const void *x, const void *y); \
  void lb_quant_##t##_vec_dot_neon_dp (gint64 n, float *result, const void *x, const void *y)

LB_QUANT_DECLARE_DOT_NEON (q8_0);
LB_QUANT_DECLARE_DOT_NEON (q4_0);
LB_QUANT_DECLARE_DOT_NEON (q4_1);
LB_QUANT_DECLARE_DOT_NEON (q5_0);
LB_QUANT_DECLARE_DOT_NEON (q5_1);
LB_QUANT_DECLARE_DOT_NEON (iq4_nl);
LB_QUANT_DECLARE_DOT_NEON (q2_k);
LB_QUANT_DECLARE_DOT_NEON (q3_k);
LB_QUANT_DECLARE_DOT_NEON (q4_k);
LB_QUANT_DECLARE_DOT_NEON (q5_k);
LB_QUANT_DECLARE_DOT_NEON (q6_k);
#endif

/* ---- kernel sets (lb-quant-kernels.c) ----------------------------------- */

typedef enum {
  LB_QUANT_IMPL_SCALAR,
  LB_QUANT_IMPL_AVX2,
  LB_QUANT_IMPL_NEON,           /* AArch64 without the dot-product extension */
  LB_QUANT_IMPL_NEON_DOTPROD,   /* AArch64 with it (ARMv8.2 dotprod) */
} LbQuantImpl;

typedef struct {
  LbToFloatFunc   to_float;
  LbFromFloatFunc from_float;
  LbType          vec_dot_type;
  LbVecDotFunc    vec_dot;
} LbQuantKernels;

/* TRUE when this CPU runs AVX2 and FMA and the build has those kernels
 * (ignores LB_NO_SIMD) */
gboolean lb_quant_avx2_available (void);
/* TRUE on AArch64 builds (NEON is part of the base architecture) */
gboolean lb_quant_neon_available (void);
/* TRUE on AArch64 CPUs with the dot-product extension (HWCAP_ASIMDDP) */
gboolean lb_quant_neon_dotprod_available (void);
/* The kernels of one implementation (an AVX2 or NEON set falls back to
 * scalar where it has no kernel of its own). FALSE for types without block
 * kernels or an implementation this machine cannot run. */
gboolean lb_quant_get_kernels (LbType t, LbQuantImpl impl, LbQuantKernels *out);
/* The implementation lb_type_register_kernels installed. */
LbQuantImpl lb_quant_get_active_impl (void);

G_END_DECLS
