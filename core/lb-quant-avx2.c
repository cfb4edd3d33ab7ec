/* lb-quant-avx2.c: AVX2/FMA versions of the hot block-format kernels.
 *
 * Compiled with -mavx2 -mfma (and -ffp-contract=off, so that the parts
 * meant to round like the scalar code do) into its own library; called
 * only when the CPU reports both features. Each kernel computes what its
 * scalar definition computes: quantization and dequantization give the
 * same bits, dot products the same integer block sums, only the float
 * accumulation order differs.
 *
 * Integer products: _mm256_maddubs_epi16 multiplies unsigned bytes by
 * signed bytes and adds pairs with saturation; every use below has an
 * unsigned operand of at most 63, so a pair stays within 63 * 128 * 2. The
 * signed-by-signed products (Q8_0, IQ4_NL) widen to 16 bits first, which is
 * exact for any byte values. */
#include "lb-quant-private.h"

#include <immintrin.h>

/* ---- helpers ------------------------------------------------------------- */

static inline float
hsum_ps (__m256 v)
{
  __m128 s = _mm_add_ps (_mm256_castps256_ps128 (v), _mm256_extractf128_ps (v, 1));
  s = _mm_add_ps (s, _mm_movehl_ps (s, s));
  s = _mm_add_ss (s, _mm_movehdup_ps (s));
  return _mm_cvtss_f32 (s);
}

static inline float
hmax_ps (__m256 v)
{
  __m128 s = _mm_max_ps (_mm256_castps256_ps128 (v), _mm256_extractf128_ps (v, 1));
  s = _mm_max_ps (s, _mm_movehl_ps (s, s));
  s = _mm_max_ss (s, _mm_movehdup_ps (s));
  return _mm_cvtss_f32 (s);
}

static inline __m256i
load32 (const void *p)
{
  return _mm256_loadu_si256 ((const __m256i *) p);
}

/* 16 bytes of nibbles -> 32 bytes: low nibbles first, then high nibbles */
static inline __m256i
nibbles_to_bytes (const guint8 *qs)
{
  __m128i v = _mm_loadu_si128 ((const __m128i *) qs);
  __m128i lo = _mm_and_si128 (v, _mm_set1_epi8 (0x0f));
  __m128i hi = _mm_and_si128 (_mm_srli_epi16 (v, 4), _mm_set1_epi8 (0x0f));
  return _mm256_set_m128i (hi, lo);
}

/* byte j = 0xff when bit j of the little-endian u32 at p is set */
static inline __m256i
bits_to_bytes (const guint8 *p)
{
  guint32 bits;
  __m256i v, sel;

  memcpy (&bits, p, 4);
  bits = GUINT32_FROM_LE (bits);
  /* byte j gets input byte j / 8, then tests bit j % 8 */
  v = _mm256_shuffle_epi8 (_mm256_set1_epi32 ((int) bits),
                           _mm256_set_epi64x (0x0303030303030303LL, 0x0202020202020202LL,
                                              0x0101010101010101LL, 0x0000000000000000LL));
  sel = _mm256_set1_epi64x ((long long) 0x8040201008040201ULL);
  return _mm256_cmpeq_epi8 (_mm256_and_si256 (v, sel), sel);
}

/* sums of unsigned u times signed s in 8 int32 lanes (u <= 63) */
static inline __m256i
dot_us (__m256i u, __m256i s)
{
  return _mm256_madd_epi16 (_mm256_maddubs_epi16 (u, s), _mm256_set1_epi16 (1));
}

/* sums of signed a times signed b in 8 int32 lanes, exact for any bytes */
static inline __m256i
dot_ss (__m256i a, __m256i b)
{
  __m256i a0 = _mm256_cvtepi8_epi16 (_mm256_castsi256_si128 (a));
  __m256i a1 = _mm256_cvtepi8_epi16 (_mm256_extracti128_si256 (a, 1));
  __m256i b0 = _mm256_cvtepi8_epi16 (_mm256_castsi256_si128 (b));
  __m256i b1 = _mm256_cvtepi8_epi16 (_mm256_extracti128_si256 (b, 1));
  return _mm256_add_epi32 (_mm256_madd_epi16 (a0, b0), _mm256_madd_epi16 (a1, b1));
}

/* sums of the signed bytes in 8 int32 lanes */
static inline __m256i
sum_s8 (__m256i s)
{
  return dot_us (_mm256_set1_epi8 (1), s);
}

/* ---- dot products with Q8_0 / Q8_1 --------------------------------------- */

void
lb_quant_q8_0_vec_dot_avx2 (gint64 n, float *result, const void *vx, const void *vy)
{
  const LbBlockQ8_0 *x = vx;
  const LbBlockQ8_0 *y = vy;
  __m256 acc = _mm256_setzero_ps ();

  for (gint64 i = 0; i < n / LB_QK; i++)
    {
      __m256i p = dot_ss (load32 (x[i].qs), load32 (y[i].qs));
      __m256 d = _mm256_set1_ps (lb_quant_half (x[i].d) * lb_quant_half (y[i].d));
      acc = _mm256_fmadd_ps (d, _mm256_cvtepi32_ps (p), acc);
    }
  *result = hsum_ps (acc);
}

void
lb_quant_q4_0_vec_dot_avx2 (gint64 n, float *result, const void *vx, const void *vy)
{
  const LbBlockQ4_0 *x = vx;
  const LbBlockQ8_0 *y = vy;
  __m256 acc = _mm256_setzero_ps ();

  for (gint64 i = 0; i < n / LB_QK; i++)
    {
      __m256i q = nibbles_to_bytes (x[i].qs);
      __m256i yq = load32 (y[i].qs);
      /* sum (q - 8) y = sum q y - 8 sum y, both in 16-bit pairs */
      __m256i p16 = _mm256_sub_epi16 (_mm256_maddubs_epi16 (q, yq),
                                      _mm256_maddubs_epi16 (_mm256_set1_epi8 (8), yq));
      __m256i p = _mm256_madd_epi16 (p16, _mm256_set1_epi16 (1));
      __m256 d = _mm256_set1_ps (lb_quant_half (x[i].d) * lb_quant_half (y[i].d));
      acc = _mm256_fmadd_ps (d, _mm256_cvtepi32_ps (p), acc);
    }
  *result = hsum_ps (acc);
}

void
lb_quant_q5_0_vec_dot_avx2 (gint64 n, float *result, const void *vx, const void *vy)
{
  const LbBlockQ5_0 *x = vx;
  const LbBlockQ8_0 *y = vy;
  __m256 acc = _mm256_setzero_ps ();

  for (gint64 i = 0; i < n / LB_QK; i++)
    {
      __m256i q = _mm256_or_si256 (nibbles_to_bytes (x[i].qs),
                                   _mm256_and_si256 (bits_to_bytes (x[i].qh), _mm256_set1_epi8 (0x10)));
      __m256i yq = load32 (y[i].qs);
      __m256i p16 = _mm256_sub_epi16 (_mm256_maddubs_epi16 (q, yq),
                                      _mm256_maddubs_epi16 (_mm256_set1_epi8 (16), yq));
      __m256i p = _mm256_madd_epi16 (p16, _mm256_set1_epi16 (1));
      __m256 d = _mm256_set1_ps (lb_quant_half (x[i].d) * lb_quant_half (y[i].d));
      acc = _mm256_fmadd_ps (d, _mm256_cvtepi32_ps (p), acc);
    }
  *result = hsum_ps (acc);
}

/* affine blocks: d_x d_y sum q y + m_x d_y sum y */
static inline __m256
affine_step (__m256 acc, __m256i q, const LbBlockQ8_1 *y, float dx, float mx)
{
  __m256i yq = load32 (y->qs);
  float dy = lb_quant_half (y->d);
  acc = _mm256_fmadd_ps (_mm256_set1_ps (dx * dy), _mm256_cvtepi32_ps (dot_us (q, yq)), acc);
  return _mm256_fmadd_ps (_mm256_set1_ps (mx * dy), _mm256_cvtepi32_ps (sum_s8 (yq)), acc);
}

void
lb_quant_q4_1_vec_dot_avx2 (gint64 n, float *result, const void *vx, const void *vy)
{
  const LbBlockQ4_1 *x = vx;
  const LbBlockQ8_1 *y = vy;
  __m256 acc = _mm256_setzero_ps ();

  for (gint64 i = 0; i < n / LB_QK; i++)
    acc = affine_step (acc, nibbles_to_bytes (x[i].qs), &y[i],
                       lb_quant_half (x[i].d), lb_quant_half (x[i].m));
  *result = hsum_ps (acc);
}

void
lb_quant_q5_1_vec_dot_avx2 (gint64 n, float *result, const void *vx, const void *vy)
{
  const LbBlockQ5_1 *x = vx;
  const LbBlockQ8_1 *y = vy;
  __m256 acc = _mm256_setzero_ps ();

  for (gint64 i = 0; i < n / LB_QK; i++)
    {
      __m256i q = _mm256_or_si256 (nibbles_to_bytes (x[i].qs),
                                   _mm256_and_si256 (bits_to_bytes (x[i].qh), _mm256_set1_epi8 (0x10)));
      acc = affine_step (acc, q, &y[i], lb_quant_half (x[i].d), lb_quant_half (x[i].m));
    }
  *result = hsum_ps (acc);
}

void
lb_quant_iq4_nl_vec_dot_avx2 (gint64 n, float *result, const void *vx, const void *vy)
{
  const LbBlockIQ4_NL *x = vx;
  const LbBlockQ8_0 *y = vy;
  const __m256i table = _mm256_broadcastsi128_si256 (_mm_loadu_si128 ((const __m128i *) lb_quant_iq4nl_values));
  __m256 acc = _mm256_setzero_ps ();

  for (gint64 i = 0; i < n / LB_QK; i++)
    {
      __m256i v = _mm256_shuffle_epi8 (table, nibbles_to_bytes (x[i].qs));
      __m256i p = dot_ss (v, load32 (y[i].qs));
      __m256 d = _mm256_set1_ps (lb_quant_half (x[i].d) * lb_quant_half (y[i].d));
      acc = _mm256_fmadd_ps (d, _mm256_cvtepi32_ps (p), acc);
    }
  *result = hsum_ps (acc);
}

/* ---- dot products with Q8_K ---------------------------------------------- */

/* int16 scale a for the low 16 elements of a 32-byte group, b for the high */
static inline __m256i
scale_pair (int a, int b)
{
  return _mm256_set_m128i (_mm_set1_epi16 ((short) b), _mm_set1_epi16 ((short) a));
}

/* sum over the 32 elements of q y, weighted by sub-block scales of 16 */
static inline __m256i
scaled_dot16 (__m256i q, __m256i yq, __m256i scales)
{
  return _mm256_madd_epi16 (_mm256_maddubs_epi16 (q, yq), scales);
}

void
lb_quant_q2_k_vec_dot_avx2 (gint64 n, float *result, const void *vx, const void *vy)
{
  const LbBlockQ2_K *x = vx;
  const LbBlockQ8_K *y = vy;
  const __m256i m3 = _mm256_set1_epi8 (3);
  __m256 acc = _mm256_setzero_ps ();
  float macc = 0;

  for (gint64 i = 0; i < n / LB_QK_K; i++)
    {
      __m256i isum = _mm256_setzero_si256 ();
      int msum = 0;

      for (int j = 0; j < 16; j++)
        msum += (x[i].scales[j] >> 4) * y[i].bsums[j];
      for (int h = 0; h < 2; h++)
        {
          __m256i qs = load32 (x[i].qs + 32 * h);
          for (int s = 0; s < 4; s++)
            {
              int g = 4 * h + s;   /* 32-element group: sub-blocks 2g, 2g + 1 */
              __m256i q = _mm256_and_si256 (_mm256_srli_epi16 (qs, 2 * s), m3);
              __m256i sc = scale_pair (x[i].scales[2 * g] & 0x0f, x[i].scales[2 * g + 1] & 0x0f);
              isum = _mm256_add_epi32 (isum, scaled_dot16 (q, load32 (y[i].qs + 32 * g), sc));
            }
        }
      acc = _mm256_fmadd_ps (_mm256_set1_ps (y[i].d * lb_quant_half (x[i].d)), _mm256_cvtepi32_ps (isum), acc);
      macc += y[i].d * lb_quant_half (x[i].dmin) * msum;
    }
  *result = hsum_ps (acc) - macc;
}

void
lb_quant_q3_k_vec_dot_avx2 (gint64 n, float *result, const void *vx, const void *vy)
{
  const LbBlockQ3_K *x = vx;
  const LbBlockQ8_K *y = vy;
  const __m256i m3 = _mm256_set1_epi8 (3), m1 = _mm256_set1_epi8 (1);
  __m256 acc = _mm256_setzero_ps ();

  for (gint64 i = 0; i < n / LB_QK_K; i++)
    {
      __m256i isum = _mm256_setzero_si256 ();
      __m256i hm = load32 (x[i].hmask);
      int sc[16], offset = 0;

      /* levels are stored as l + 4 (0..7): subtract 4 sum y per sub-block */
      for (int j = 0; j < 16; j++)
        {
          sc[j] = lb_quant_q3k_get_scale (j, x[i].scales) - 32;
          offset += sc[j] * y[i].bsums[j];
        }
      for (int h = 0; h < 2; h++)
        {
          __m256i qs = load32 (x[i].qs + 32 * h);
          for (int s = 0; s < 4; s++)
            {
              int g = 4 * h + s;
              __m256i lo = _mm256_and_si256 (_mm256_srli_epi16 (qs, 2 * s), m3);
              __m256i hi = _mm256_slli_epi16 (_mm256_and_si256 (_mm256_srli_epi16 (hm, g), m1), 2);
              __m256i q = _mm256_or_si256 (lo, hi);
              isum = _mm256_add_epi32 (isum, scaled_dot16 (q, load32 (y[i].qs + 32 * g),
                                                           scale_pair (sc[2 * g], sc[2 * g + 1])));
            }
        }
      isum = _mm256_sub_epi32 (isum, _mm256_setr_epi32 (4 * offset, 0, 0, 0, 0, 0, 0, 0));
      acc = _mm256_fmadd_ps (_mm256_set1_ps (y[i].d * lb_quant_half (x[i].d)), _mm256_cvtepi32_ps (isum), acc);
    }
  *result = hsum_ps (acc);
}

/* Q4_K/Q5_K: the 32-element sub-blocks 2c (low nibbles of qs + 32 c) and
 * 2c + 1 (high nibbles); hbits adds the fifth bits (or zero) */
static inline float
k45_superblock (const guint8 *qs, const guint8 *qh, guint16 hd, guint16 hdmin,
                const guint8 *scales, const LbBlockQ8_K *y, float *mterm)
{
  const __m256i m4 = _mm256_set1_epi8 (0x0f), m1 = _mm256_set1_epi8 (1);
  __m256i isum = _mm256_setzero_si256 ();
  __m256i hbits = qh ? load32 (qh) : _mm256_setzero_si256 ();
  int msum = 0;

  for (int c = 0; c < 4; c++)
    {
      __m256i v = load32 (qs + 32 * c);
      __m256i lo = _mm256_and_si256 (v, m4);
      __m256i hi = _mm256_and_si256 (_mm256_srli_epi16 (v, 4), m4);
      guint8 sc0, m0, sc1, mm1;

      if (qh)
        {
          lo = _mm256_or_si256 (lo, _mm256_slli_epi16 (_mm256_and_si256 (_mm256_srli_epi16 (hbits, 2 * c), m1), 4));
          hi = _mm256_or_si256 (hi, _mm256_slli_epi16 (_mm256_and_si256 (_mm256_srli_epi16 (hbits, 2 * c + 1), m1), 4));
        }
      lb_quant_k4_get_scale_min (2 * c, scales, &sc0, &m0);
      lb_quant_k4_get_scale_min (2 * c + 1, scales, &sc1, &mm1);
      isum = _mm256_add_epi32 (isum, _mm256_mullo_epi32 (dot_us (lo, load32 (y->qs + 64 * c)), _mm256_set1_epi32 (sc0)));
      isum = _mm256_add_epi32 (isum, _mm256_mullo_epi32 (dot_us (hi, load32 (y->qs + 64 * c + 32)), _mm256_set1_epi32 (sc1)));
      msum += m0 * (y->bsums[4 * c] + y->bsums[4 * c + 1]) + mm1 * (y->bsums[4 * c + 2] + y->bsums[4 * c + 3]);
    }
  *mterm += y->d * lb_quant_half (hdmin) * msum;
  return y->d * lb_quant_half (hd) * hsum_ps (_mm256_cvtepi32_ps (isum));
}

void
lb_quant_q4_k_vec_dot_avx2 (gint64 n, float *result, const void *vx, const void *vy)
{
  const LbBlockQ4_K *x = vx;
  const LbBlockQ8_K *y = vy;
  float sum = 0, mterm = 0;

  for (gint64 i = 0; i < n / LB_QK_K; i++)
    sum += k45_superblock (x[i].qs, NULL, x[i].d, x[i].dmin, x[i].scales, &y[i], &mterm);
  *result = sum - mterm;
}

void
lb_quant_q5_k_vec_dot_avx2 (gint64 n, float *result, const void *vx, const void *vy)
{
  const LbBlockQ5_K *x = vx;
  const LbBlockQ8_K *y = vy;
  float sum = 0, mterm = 0;

  for (gint64 i = 0; i < n / LB_QK_K; i++)
    sum += k45_superblock (x[i].qs, x[i].qh, x[i].d, x[i].dmin, x[i].scales, &y[i], &mterm);
  *result = sum - mterm;
}

void
lb_quant_q6_k_vec_dot_avx2 (gint64 n, float *result, const void *vx, const void *vy)
{
  const LbBlockQ6_K *x = vx;
  const LbBlockQ8_K *y = vy;
  const __m256i m4 = _mm256_set1_epi8 (0x0f), m3 = _mm256_set1_epi8 (3);
  __m256 acc = _mm256_setzero_ps ();

  for (gint64 i = 0; i < n / LB_QK_K; i++)
    {
      __m256i isum = _mm256_setzero_si256 ();
      const gint8 *sc = x[i].scales;
      int offset = 0;

      /* levels are stored as l + 32 (0..63) */
      for (int j = 0; j < 16; j++)
        offset += sc[j] * y[i].bsums[j];
      for (int h = 0; h < 2; h++)
        {
          __m256i ql0 = load32 (x[i].ql + 64 * h), ql1 = load32 (x[i].ql + 64 * h + 32);
          __m256i qh = load32 (x[i].qh + 32 * h);
          __m256i q[4];
          q[0] = _mm256_or_si256 (_mm256_and_si256 (ql0, m4), _mm256_slli_epi16 (_mm256_and_si256 (qh, m3), 4));
          q[1] = _mm256_or_si256 (_mm256_and_si256 (ql1, m4), _mm256_slli_epi16 (_mm256_and_si256 (_mm256_srli_epi16 (qh, 2), m3), 4));
          q[2] = _mm256_or_si256 (_mm256_and_si256 (_mm256_srli_epi16 (ql0, 4), m4), _mm256_slli_epi16 (_mm256_and_si256 (_mm256_srli_epi16 (qh, 4), m3), 4));
          q[3] = _mm256_or_si256 (_mm256_and_si256 (_mm256_srli_epi16 (ql1, 4), m4), _mm256_slli_epi16 (_mm256_and_si256 (_mm256_srli_epi16 (qh, 6), m3), 4));
          for (int k = 0; k < 4; k++)
            {
              int g = 4 * h + k;
              isum = _mm256_add_epi32 (isum, scaled_dot16 (q[k], load32 (y[i].qs + 32 * g),
                                                           scale_pair (sc[2 * g], sc[2 * g + 1])));
            }
        }
      isum = _mm256_sub_epi32 (isum, _mm256_setr_epi32 (32 * offset, 0, 0, 0, 0, 0, 0, 0));
      acc = _mm256_fmadd_ps (_mm256_set1_ps (y[i].d * lb_quant_half (x[i].d)), _mm256_cvtepi32_ps (isum), acc);
    }
  *result = hsum_ps (acc);
}

/* ---- activation quantization --------------------------------------------- */

/* largest |x| over n (a multiple of 8), NaN ignored as the scalar code does */
static inline float
amax_ps (const float *x, int n)
{
  const __m256 sign = _mm256_set1_ps (-0.0f);
  __m256 m = _mm256_setzero_ps ();
  for (int j = 0; j < n; j += 8)
    /* max_ps returns its second operand when either is NaN */
    m = _mm256_max_ps (_mm256_andnot_ps (sign, _mm256_loadu_ps (x + j)), m);
  return hmax_ps (m);
}

/* 32 int32 lanes (4 vectors) -> 32 bytes in order */
static inline __m256i
pack_i32x4 (__m256i a, __m256i b, __m256i c, __m256i d)
{
  __m256i p = _mm256_packs_epi16 (_mm256_packs_epi32 (a, b), _mm256_packs_epi32 (c, d));
  return _mm256_permutevar8x32_epi32 (p, _mm256_setr_epi32 (0, 4, 1, 5, 2, 6, 3, 7));
}

/* roundf (half away from zero) of v, NaN to 0, clamped to +-127 */
static inline __m256i
round_away_127 (__m256 v)
{
  const __m256 sign = _mm256_set1_ps (-0.0f);
  __m256 t = _mm256_round_ps (v, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
  __m256 frac = _mm256_andnot_ps (sign, _mm256_sub_ps (v, t));
  __m256 step = _mm256_or_ps (_mm256_and_ps (v, sign), _mm256_set1_ps (1.0f));
  __m256 r = _mm256_add_ps (t, _mm256_and_ps (_mm256_cmp_ps (frac, _mm256_set1_ps (0.5f), _CMP_GE_OQ), step));
  r = _mm256_and_ps (r, _mm256_cmp_ps (v, v, _CMP_ORD_Q));
  r = _mm256_min_ps (_mm256_max_ps (r, _mm256_set1_ps (-127.0f)), _mm256_set1_ps (127.0f));
  return _mm256_cvtps_epi32 (r);
}

/* the 32 bytes of a Q8_0/Q8_1 block; returns d */
static inline float
q8_block (const float *x, gint8 *qs)
{
  float d = amax_ps (x, LB_QK) / 127.0f;
  __m256 id = _mm256_set1_ps (d != 0 ? 1.0f / d : 0.0f);
  __m256i v[4];

  for (int k = 0; k < 4; k++)
    v[k] = round_away_127 (_mm256_mul_ps (_mm256_loadu_ps (x + 8 * k), id));
  _mm256_storeu_si256 ((__m256i *) qs, pack_i32x4 (v[0], v[1], v[2], v[3]));
  return d;
}

void
lb_quant_q8_0_from_float_avx2 (const float *src, void *dst, gint64 n, const float *importance)
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
lb_quant_q8_1_from_float_avx2 (const float *src, void *dst, gint64 n, const float *importance)
{
  LbBlockQ8_1 *b = dst;

  for (gint64 i = 0; i < n / LB_QK; i++)
    {
      float d = q8_block (src + i * LB_QK, b[i].qs);
      int sum = hsum_ps (_mm256_cvtepi32_ps (sum_s8 (load32 (b[i].qs))));
      b[i].d = lb_quant_to_half (d);
      b[i].s = lb_quant_to_half (sum * d);
    }
}

void
lb_quant_q8_k_from_float_avx2 (const float *src, void *dst, gint64 n, const float *importance)
{
  LbBlockQ8_K *b = dst;
  const __m256 sign = _mm256_set1_ps (-0.0f);

  for (gint64 i = 0; i < n / LB_QK_K; i++)
    {
      const float *x = src + i * LB_QK_K;
      float amax = amax_ps (x, LB_QK_K), max = 0, iscale;
      __m256 is;

      /* the first value of largest magnitude gives the sign */
      for (int j = 0; amax != 0 && j < LB_QK_K; j += 8)
        {
          __m256 a = _mm256_andnot_ps (sign, _mm256_loadu_ps (x + j));
          int mask = _mm256_movemask_ps (_mm256_cmp_ps (a, _mm256_set1_ps (amax), _CMP_EQ_OQ));
          if (mask)
            {
              max = x[j + __builtin_ctz (mask)];
              break;
            }
        }
      iscale = amax != 0 ? -127.0f / max : 0;
      if (iscale == 0 || !isfinite (iscale))
        {
          memset (&b[i], 0, sizeof b[i]);
          continue;
        }
      is = _mm256_set1_ps (iscale);
      for (int j = 0; j < LB_QK_K; j += 32)
        {
          __m256i v[4];
          for (int k = 0; k < 4; k++)
            {
              __m256 r = _mm256_round_ps (_mm256_mul_ps (_mm256_loadu_ps (x + j + 8 * k), is),
                                          _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
              r = _mm256_and_ps (r, _mm256_cmp_ps (r, r, _CMP_ORD_Q));
              r = _mm256_min_ps (_mm256_max_ps (r, _mm256_set1_ps (-127.0f)), _mm256_set1_ps (127.0f));
              v[k] = _mm256_cvtps_epi32 (r);
            }
          _mm256_storeu_si256 ((__m256i *) (b[i].qs + j), pack_i32x4 (v[0], v[1], v[2], v[3]));
        }
      for (int g = 0; g < LB_QK_K / 16; g++)
        {
          __m128i q = _mm_loadu_si128 ((const __m128i *) (b[i].qs + 16 * g));
          __m128i s = _mm_madd_epi16 (_mm_maddubs_epi16 (_mm_set1_epi8 (1), q), _mm_set1_epi16 (1));
          s = _mm_add_epi32 (s, _mm_shuffle_epi32 (s, _MM_SHUFFLE (1, 0, 3, 2)));
          s = _mm_add_epi32 (s, _mm_shuffle_epi32 (s, _MM_SHUFFLE (2, 3, 0, 1)));
          b[i].bsums[g] = (gint16) _mm_cvtsi128_si32 (s);
        }
      b[i].d = 1 / iscale;
    }
}

/* ---- dequantization ------------------------------------------------------ */

void
lb_quant_q8_0_to_float_avx2 (const void *src, float *dst, gint64 n)
{
  const LbBlockQ8_0 *b = src;

  for (gint64 i = 0; i < n / LB_QK; i++, dst += LB_QK)
    {
      __m256 d = _mm256_set1_ps (lb_quant_half (b[i].d));
      for (int k = 0; k < 4; k++)
        {
          __m128i q = _mm_loadl_epi64 ((const __m128i *) (b[i].qs + 8 * k));
          _mm256_storeu_ps (dst + 8 * k, _mm256_mul_ps (_mm256_cvtepi32_ps (_mm256_cvtepi8_epi32 (q)), d));
        }
    }
}

/* 32 unsigned bytes -> 32 floats dl * q - ml */
static inline void
store_affine (float *dst, __m256i q, float dl, float ml)
{
  __m256 vd = _mm256_set1_ps (dl), vm = _mm256_set1_ps (ml);
  __m128i half[2] = { _mm256_castsi256_si128 (q), _mm256_extracti128_si256 (q, 1) };

  for (int h = 0; h < 2; h++)
    for (int k = 0; k < 2; k++)
      {
        __m128i b8 = k ? _mm_srli_si128 (half[h], 8) : half[h];
        __m256 f = _mm256_cvtepi32_ps (_mm256_cvtepu8_epi32 (b8));
        _mm256_storeu_ps (dst + 16 * h + 8 * k, _mm256_sub_ps (_mm256_mul_ps (f, vd), vm));
      }
}

void
lb_quant_q4_k_to_float_avx2 (const void *src, float *dst, gint64 n)
{
  const LbBlockQ4_K *b = src;
  const __m256i m4 = _mm256_set1_epi8 (0x0f);

  for (gint64 i = 0; i < n / LB_QK_K; i++, dst += LB_QK_K)
    {
      float d = lb_quant_half (b[i].d), dmin = lb_quant_half (b[i].dmin);
      for (int c = 0; c < 4; c++)
        {
          __m256i v = load32 (b[i].qs + 32 * c);
          guint8 sc, m;
          lb_quant_k4_get_scale_min (2 * c, b[i].scales, &sc, &m);
          store_affine (dst + 64 * c, _mm256_and_si256 (v, m4), d * sc, dmin * m);
          lb_quant_k4_get_scale_min (2 * c + 1, b[i].scales, &sc, &m);
          store_affine (dst + 64 * c + 32, _mm256_and_si256 (_mm256_srli_epi16 (v, 4), m4), d * sc, dmin * m);
        }
    }
}

void
lb_quant_q6_k_to_float_avx2 (const void *src, float *dst, gint64 n)
{
  const LbBlockQ6_K *b = src;
  const __m256i m4 = _mm256_set1_epi8 (0x0f), m3 = _mm256_set1_epi8 (3);

  for (gint64 i = 0; i < n / LB_QK_K; i++, dst += LB_QK_K)
    {
      float d = lb_quant_half (b[i].d);
      for (int h = 0; h < 2; h++)
        {
          __m256i ql0 = load32 (b[i].ql + 64 * h), ql1 = load32 (b[i].ql + 64 * h + 32);
          __m256i qh = load32 (b[i].qh + 32 * h);
          __m256i q[4];
          q[0] = _mm256_or_si256 (_mm256_and_si256 (ql0, m4), _mm256_slli_epi16 (_mm256_and_si256 (qh, m3), 4));
          q[1] = _mm256_or_si256 (_mm256_and_si256 (ql1, m4), _mm256_slli_epi16 (_mm256_and_si256 (_mm256_srli_epi16 (qh, 2), m3), 4));
          q[2] = _mm256_or_si256 (_mm256_and_si256 (_mm256_srli_epi16 (ql0, 4), m4), _mm256_slli_epi16 (_mm256_and_si256 (_mm256_srli_epi16 (qh, 4), m3), 4));
          q[3] = _mm256_or_si256 (_mm256_and_si256 (_mm256_srli_epi16 (ql1, 4), m4), _mm256_slli_epi16 (_mm256_and_si256 (_mm256_srli_epi16 (qh, 6), m3), 4));
          for (int k = 0; k < 4; k++)
            {
              int g = 4 * h + k;   /* elements 32 g .. 32 g + 31, sub-blocks 2g, 2g + 1 */
              __m256i lv = _mm256_sub_epi8 (q[k], _mm256_set1_epi8 (32));
              __m128i half[2] = { _mm256_castsi256_si128 (lv), _mm256_extracti128_si256 (lv, 1) };
              for (int s = 0; s < 2; s++)
                {
                  __m256 dl = _mm256_set1_ps (d * b[i].scales[2 * g + s]);
                  __m256 f0 = _mm256_cvtepi32_ps (_mm256_cvtepi8_epi32 (half[s]));
                  __m256 f1 = _mm256_cvtepi32_ps (_mm256_cvtepi8_epi32 (_mm_srli_si128 (half[s], 8)));
                  _mm256_storeu_ps (dst + 32 * g + 16 * s, _mm256_mul_ps (dl, f0));
                  _mm256_storeu_ps (dst + 32 * g + 16 * s + 8, _mm256_mul_ps (dl, f1));
                }
            }
        }
    }
}
