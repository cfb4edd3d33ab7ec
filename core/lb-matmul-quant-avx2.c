/* lb-matmul-quant-avx2.c: AVX2 tile kernels for the block formats the
 * engine meets most (Q8_0 and Q4_0 against Q8_0 activations, Q4_K and
 * Q6_K against Q8_K), computing up to 4 weight rows × 4 tokens at once so
 * that a weight block is unpacked once for several tokens instead of once
 * per (row, token) as a vec_dot call does.
 *
 * Products of bytes: _mm256_maddubs_epi16 multiplies unsigned by signed
 * bytes and adds adjacent pairs into int16 with saturation. Every use here
 * stays below the limit: the signed-by-signed products go through the sign
 * trick (|w| times x with w's sign, |w| <= 128, |x| <= 127 as Lowbit's
 * activation quantizers produce), the K formats have unsigned levels of at
 * most 63. Integer block sums are exact; each output then accumulates its
 * blocks as d * (float) lanes in 8 float lanes, the same sequence whatever
 * the tile shape, so a batch and single tokens agree bit for bit. */
#include "lb-matmul-private.h"

#include <immintrin.h>
#include <string.h>

#include "lb-quant-private.h"

#define ALWAYS_INLINE static inline __attribute__ ((always_inline))
#define UNROLL _Pragma ("GCC unroll 8")

ALWAYS_INLINE float
hsum (__m256 v)
{
  __m128 s = _mm_add_ps (_mm256_castps256_ps128 (v), _mm256_extractf128_ps (v, 1));
  s = _mm_add_ps (s, _mm_movehl_ps (s, s));
  s = _mm_add_ss (s, _mm_movehdup_ps (s));
  return _mm_cvtss_f32 (s);
}

ALWAYS_INLINE float
half (guint16 h)
{
  return _cvtsh_ss (GUINT16_FROM_LE (h));
}

ALWAYS_INLINE __m256i
load32 (const void *p)
{
  return _mm256_loadu_si256 ((const __m256i *) p);
}

/* The tile shapes the callers use: 1..4 rows of one token (decode), 1..2
 * rows of 1..4 tokens (batches). Anything else runs row by row. */
#define DEFINE_TILE_DISPATCH(name)                                                       \
  void                                                                                   \
  name (gint64 n, const void *w, gsize ldw, guint nr, const void *x, gsize ldx, guint nt, \
        float *out, gsize ldo)                                                           \
  {                                                                                      \
    switch (nr * 8 + nt)                                                                 \
      {                                                                                  \
      case 4 * 8 + 1: name##_n (4, 1, n, w, ldw, x, ldx, out, ldo); return;              \
      case 3 * 8 + 1: name##_n (3, 1, n, w, ldw, x, ldx, out, ldo); return;              \
      case 2 * 8 + 1: name##_n (2, 1, n, w, ldw, x, ldx, out, ldo); return;              \
      case 1 * 8 + 1: name##_n (1, 1, n, w, ldw, x, ldx, out, ldo); return;              \
      case 2 * 8 + 2: name##_n (2, 2, n, w, ldw, x, ldx, out, ldo); return;              \
      case 2 * 8 + 3: name##_n (2, 3, n, w, ldw, x, ldx, out, ldo); return;              \
      case 2 * 8 + 4: name##_n (2, 4, n, w, ldw, x, ldx, out, ldo); return;              \
      case 1 * 8 + 2: name##_n (1, 2, n, w, ldw, x, ldx, out, ldo); return;              \
      case 1 * 8 + 3: name##_n (1, 3, n, w, ldw, x, ldx, out, ldo); return;              \
      case 1 * 8 + 4: name##_n (1, 4, n, w, ldw, x, ldx, out, ldo); return;              \
      default:                                                                           \
        for (guint r = 0; r < nr; r++)                                                   \
          for (guint t = 0; t < nt; t++)                                                 \
            name##_n (1, 1, n, (const guint8 *) w + r * ldw, ldw,                        \
                      (const guint8 *) x + t * ldx, ldx, out + t * ldo + r, ldo);        \
      }                                                                                  \
  }

/* ---- 32-element blocks against Q8_0 ------------------------------------------- */

/* One weight row against NT tokens, 8 blocks at a time: each block's
 * integer dot product is exact; the 8 block sums are gathered into one
 * vector by a tree of horizontal adds (lane j: block j), converted once,
 * and scaled by the 8 blocks' d_w × d_x in one multiply-add. The
 * activation side (its scales as floats, the sums of its quants) comes
 * from the trailer lb_matmul_act_from_float appends, so a weight block
 * costs an unpack, one byte product and a share of the tree.
 *
 * Q4_0 and Q5_0 levels are used unsigned (0..15, 0..31) and their offset
 * (8, 16) taken off the block sum as offset × (sum of the activation
 * quants). Q4_0's byte products are summed in int16 all the way up the
 * tree (16 products of at most 15 × 127 stay below 32767); the others sum
 * in int32. Q8_0 and IQ4_NL (its table's values, -127..113) are signed and
 * use the sign trick (|w| times x with w's sign, |w| <= 128, |x| <= 127). */

typedef enum { QK_Q8_0, QK_Q4_0, QK_IQ4_NL, QK_Q5_0 } QkKind;

ALWAYS_INLINE gsize
qk_block_bytes (QkKind kind)
{
  return kind == QK_Q8_0 ? sizeof (LbBlockQ8_0)
       : kind == QK_Q5_0 ? sizeof (LbBlockQ5_0)
       : sizeof (LbBlockQ4_0);   /* IQ4_NL has Q4_0's layout */
}

/* signed weights against x: int32 lanes (|w| <= 128, |x| <= 127) */
ALWAYS_INLINE __m256i
signed_dot (__m256i wv, __m256i xv, __m256i ones)
{
  return _mm256_madd_epi16 (_mm256_maddubs_epi16 (_mm256_abs_epi8 (wv),
                                                  _mm256_sign_epi8 (xv, wv)), ones);
}

/* the 32 nibbles at qs: element j < 16 is the low nibble of qs[j],
 * element j + 16 its high one */
ALWAYS_INLINE __m256i
nibbles (const guint8 *qs)
{
  __m256i v = _mm256_broadcastsi128_si256 (_mm_loadu_si128 ((const __m128i *) qs));

  v = _mm256_srlv_epi64 (v, _mm256_set_epi64x (4, 4, 0, 0));
  return _mm256_and_si256 (v, _mm256_set1_epi8 (0x0f));
}

/* Q5_0's levels 0..31: the nibbles as Q4_0's, bit j of qh as bit 4 of element j */
ALWAYS_INLINE __m256i
q5_0_levels (const guint8 *wb)
{
  const LbBlockQ5_0 *b = (const LbBlockQ5_0 *) wb;
  guint32 qh;
  __m256i hi;

  memcpy (&qh, b->qh, 4);
  /* byte j gets qh's byte j / 8, keeps bit j % 8, becomes 0x10 when set */
  hi = _mm256_shuffle_epi8 (_mm256_set1_epi32 ((int) GUINT32_FROM_LE (qh)),
                            _mm256_setr_epi64x (0, 0x0101010101010101, 0x0202020202020202,
                                                0x0303030303030303));
  hi = _mm256_and_si256 (hi, _mm256_set1_epi64x ((gint64) 0x8040201008040201));
  hi = _mm256_and_si256 (_mm256_cmpeq_epi8 (hi, _mm256_set1_epi64x ((gint64) 0x8040201008040201)),
                         _mm256_set1_epi8 (0x10));
  return _mm256_or_si256 (nibbles (b->qs), hi);
}

/* the int lanes of one block's dot product: int16 (Q4_0, see above) or int32 */
ALWAYS_INLINE __m256i
qk_block_dot (QkKind kind, const guint8 *wb, __m256i lv, __m256i xv, __m256i ones)
{
  switch (kind)
    {
    case QK_Q4_0: return _mm256_maddubs_epi16 (lv, xv);
    case QK_Q5_0: return _mm256_madd_epi16 (_mm256_maddubs_epi16 (lv, xv), ones);
    case QK_IQ4_NL: return signed_dot (lv, xv, ones);
    default: return signed_dot (load32 (((const LbBlockQ8_0 *) wb)->qs), xv, ones);
    }
}

/* what a block's weights are unpacked to once for all tokens */
ALWAYS_INLINE __m256i
qk_block_levels (QkKind kind, const guint8 *wb)
{
  switch (kind)
    {
    case QK_Q4_0: return nibbles (((const LbBlockQ4_0 *) wb)->qs);
    case QK_Q5_0: return q5_0_levels (wb);
    case QK_IQ4_NL:
      return _mm256_shuffle_epi8 (_mm256_broadcastsi128_si256 (
                                    _mm_loadu_si128 ((const __m128i *) lb_quant_iq4nl_values)),
                                  nibbles (((const LbBlockIQ4_NL *) wb)->qs));
    default: return _mm256_setzero_si256 ();   /* Q8_0 loads in qk_block_dot */
    }
}

/* the scales of blocks g .. g + cnt - 1 (cnt <= 8) of a row of bsize-byte
 * blocks whose f16 scale comes first, as 8 floats (0 past cnt) */
ALWAYS_INLINE __m256
block_scales8 (const guint8 *w, gsize bsize, guint cnt)
{
  guint16 h[8] = { 0 };

  if (cnt == 8)
    {
      guint16 v[8];

      UNROLL for (guint j = 0; j < 8; j++)
        memcpy (&v[j], w + j * bsize, 2);
      return _mm256_cvtph_ps (_mm_setr_epi16 ((short) v[0], (short) v[1], (short) v[2], (short) v[3],
                                              (short) v[4], (short) v[5], (short) v[6], (short) v[7]));
    }
  for (guint j = 0; j < cnt; j++)
    memcpy (&h[j], w + j * bsize, 2);
  return _mm256_cvtph_ps (_mm_loadu_si128 ((const __m128i *) h));
}

ALWAYS_INLINE __m256i
lane_mask (guint cnt)
{
  return _mm256_cmpgt_epi32 (_mm256_set1_epi32 ((int) cnt),
                             _mm256_setr_epi32 (0, 1, 2, 3, 4, 5, 6, 7));
}

ALWAYS_INLINE void
qk32_row (const guint NT, const QkKind kind, gint64 n, const guint8 *w, const guint8 *x,
          gsize ldx, float *out, gsize ldo)
{
  const gboolean tree16 = kind == QK_Q4_0;
  /* the levels' offset, taken off through the activation sums (log2) */
  const int offset_shift = kind == QK_Q4_0 ? 3 : kind == QK_Q5_0 ? 4 : 0;
  const gsize wsize = qk_block_bytes (kind);
  const gint64 nb = n / LB_QK;
  const __m256i ones = _mm256_set1_epi16 (1);
  __m256 acc[LB_MM_QTILE_TOKENS];

  UNROLL for (guint t = 0; t < NT; t++)
    acc[t] = _mm256_setzero_ps ();

  for (gint64 g = 0; g < nb; g += 8)
    {
      const guint cnt = (guint) MIN (8, nb - g);
      const __m256i mask = lane_mask (cnt);
      __m256i quad[LB_MM_QTILE_TOKENS][2];
      __m256 dw;

      UNROLL for (guint q = 0; q < 2; q++)
        {
          __m256i pair[LB_MM_QTILE_TOKENS][2];

          UNROLL for (guint p = 0; p < 2; p++)
            {
              __m256i s[LB_MM_QTILE_TOKENS][2];

              UNROLL for (guint k = 0; k < 2; k++)
                {
                  const guint j = 4 * q + 2 * p + k;
                  const guint8 *wb = w + (g + j) * wsize;
                  __m256i lv;

                  if (j >= cnt)
                    {
                      UNROLL for (guint t = 0; t < NT; t++)
                        s[t][k] = _mm256_setzero_si256 ();
                      continue;
                    }
                  lv = qk_block_levels (kind, wb);
                  UNROLL for (guint t = 0; t < NT; t++)
                    {
                      __m256i xv = load32 (((const LbBlockQ8_0 *) (x + t * ldx)) [g + j].qs);

                      s[t][k] = qk_block_dot (kind, wb, lv, xv, ones);
                    }
                }
              UNROLL for (guint t = 0; t < NT; t++)
                pair[t][p] = tree16 ? _mm256_hadd_epi16 (s[t][0], s[t][1])
                                : _mm256_hadd_epi32 (s[t][0], s[t][1]);
            }
          UNROLL for (guint t = 0; t < NT; t++)
            quad[t][q] = tree16 ? _mm256_hadd_epi16 (pair[t][0], pair[t][1])
                            : _mm256_hadd_epi32 (pair[t][0], pair[t][1]);
        }

      dw = block_scales8 (w + g * wsize, wsize, cnt);
      UNROLL for (guint t = 0; t < NT; t++)
        {
          const guint8 *xt = x + t * ldx + nb * sizeof (LbBlockQ8_0);
          __m256i sums;

          if (tree16)
            {
              /* lane halves: block j's 16-product sums in int16 j of each */
              __m256i oct = _mm256_hadd_epi16 (quad[t][0], quad[t][1]);
              sums = _mm256_add_epi32 (_mm256_cvtepi16_epi32 (_mm256_castsi256_si128 (oct)),
                                       _mm256_cvtepi16_epi32 (_mm256_extracti128_si256 (oct, 1)));
            }
          else
            sums = _mm256_add_epi32 (_mm256_permute2x128_si256 (quad[t][0], quad[t][1], 0x20),
                                     _mm256_permute2x128_si256 (quad[t][0], quad[t][1], 0x31));
          __m256 dx = _mm256_maskload_ps ((const float *) xt + g, mask);

          if (offset_shift)
            {
              __m256i xs = _mm256_maskload_epi32 ((const int *) (xt + nb * sizeof (float)) + g, mask);
              sums = _mm256_sub_epi32 (sums, _mm256_sll_epi32 (xs, _mm_cvtsi32_si128 (offset_shift)));
            }
          acc[t] = _mm256_fmadd_ps (_mm256_cvtepi32_ps (sums), _mm256_mul_ps (dw, dx), acc[t]);
        }
    }
  UNROLL for (guint t = 0; t < NT; t++)
    out[t * ldo] = hsum (acc[t]);
}

/* any tile as rows of 1..4 tokens: one row at a time is what the 16
 * registers hold without spilling */
#define DEFINE_QK32_TILE(name, KIND)                                                      \
  void                                                                                 \
  name (gint64 n, const void *w, gsize ldw, guint nr, const void *x, gsize ldx, guint nt, \
        float *out, gsize ldo)                                                         \
  {                                                                                    \
    for (guint r = 0; r < nr; r++)                                                     \
      {                                                                                \
        const guint8 *wr = (const guint8 *) w + r * ldw;                               \
        for (guint t = 0; t < nt; t += LB_MM_QTILE_TOKENS)                             \
          {                                                                            \
            const guint8 *xt = (const guint8 *) x + t * ldx;                           \
            float *o = out + t * ldo + r;                                              \
            switch (MIN (nt - t, LB_MM_QTILE_TOKENS))                                  \
              {                                                                        \
              case 1: qk32_row (1, KIND, n, wr, xt, ldx, o, ldo); break;                 \
              case 2: qk32_row (2, KIND, n, wr, xt, ldx, o, ldo); break;                 \
              case 3: qk32_row (3, KIND, n, wr, xt, ldx, o, ldo); break;                 \
              default: qk32_row (4, KIND, n, wr, xt, ldx, o, ldo); break;                \
              }                                                                        \
          }                                                                            \
      }                                                                                \
  }

DEFINE_QK32_TILE (lb_mm_q8_0_tile_avx2, QK_Q8_0)
DEFINE_QK32_TILE (lb_mm_q4_0_tile_avx2, QK_Q4_0)
DEFINE_QK32_TILE (lb_mm_iq4_nl_tile_avx2, QK_IQ4_NL)
DEFINE_QK32_TILE (lb_mm_q5_0_tile_avx2, QK_Q5_0)

/* ---- Q4_K against Q8_K ------------------------------------------------------------ */

/* The 8 six-bit scales and 8 mins of a Q4_K block (see
 * lb_quant_k4_get_scale_min) as bytes j = 0..7 of *sc and *m, unpacked from
 * the 12 bytes a (0..3), b (4..7), c (8..11) four at a time: scales 0..3
 * are the low 6 bits of a, mins 0..3 those of b; scale 4 + k is the low
 * nibble of c_k with the top two bits of a_k above it, min 4 + k the high
 * nibble of c_k with the top two bits of b_k. */
ALWAYS_INLINE void
q4_k_scales_mins (const guint8 *s, guint64 *sc, guint64 *m)
{
  guint32 a, b, c;

  memcpy (&a, s, 4);
  memcpy (&b, s + 4, 4);
  memcpy (&c, s + 8, 4);
  a = GUINT32_FROM_LE (a);
  b = GUINT32_FROM_LE (b);
  c = GUINT32_FROM_LE (c);
  *sc = (a & 0x3f3f3f3fu)
        | (guint64) ((c & 0x0f0f0f0fu) | (((a >> 6) & 0x03030303u) << 4)) << 32;
  *m = (b & 0x3f3f3f3fu)
       | (guint64) (((c >> 4) & 0x0f0f0f0fu) | (((b >> 6) & 0x03030303u) << 4)) << 32;
}

/* bytes (2k, 2k + 1) of every 128-bit lane repeated: broadcasts int16 k */
ALWAYS_INLINE __m256i
word_mask (int k)
{
  return _mm256_set1_epi16 ((short) ((2 * k) | ((2 * k + 1) << 8)));
}

ALWAYS_INLINE void
lb_mm_q4_k_tile_avx2_n (const guint NR, const guint NT, gint64 n, const void *w, gsize ldw,
                        const void *x, gsize ldx, float *out, gsize ldo)
{
  const __m256i m4 = _mm256_set1_epi8 (0x0f);
  __m256 acc[LB_MM_QTILE_TOKENS][LB_MM_QTILE_ROWS];

  UNROLL for (guint t = 0; t < NT; t++)
    UNROLL for (guint r = 0; r < NR; r++)
      acc[t][r] = _mm256_setzero_ps ();

  for (gint64 b = 0; b < n / LB_QK_K; b++)
    {
      const LbBlockQ8_K *xb[LB_MM_QTILE_TOKENS];

      UNROLL for (guint t = 0; t < NT; t++)
        xb[t] = (const LbBlockQ8_K *) ((const guint8 *) x + t * ldx) + b;

      /* one row at a time keeps few registers live; each output still
       * sees the same sequence of operations */
      UNROLL for (guint r = 0; r < NR; r++)
        {
          const LbBlockQ4_K *wb = (const LbBlockQ4_K *) ((const guint8 *) w + r * ldw) + b;
          __m256i isum[LB_MM_QTILE_TOKENS], sc16, mins;
          guint64 sc, m;

          q4_k_scales_mins (wb->scales, &sc, &m);
          sc16 = _mm256_broadcastsi128_si256 (_mm_cvtepu8_epi16 (_mm_cvtsi64_si128 ((gint64) sc)));
          /* min j against bsums 2j and 2j + 1: each min twice */
          mins = _mm256_cvtepu16_epi32 (_mm_cvtepu8_epi16 (_mm_cvtsi64_si128 ((gint64) m)));
          mins = _mm256_or_si256 (mins, _mm256_slli_epi32 (mins, 16));
          UNROLL for (guint t = 0; t < NT; t++)
            isum[t] = _mm256_setzero_si256 ();

          /* chunk c: the low nibbles of qs[32 c ..] are sub-block 2c, the
           * high ones sub-block 2c + 1 */
          UNROLL for (int c = 0; c < 4; c++)
            {
              __m256i q = load32 (wb->qs + 32 * c);
              __m256i lo = _mm256_and_si256 (q, m4);
              __m256i hi = _mm256_and_si256 (_mm256_srli_epi16 (q, 4), m4);
              __m256i sl = _mm256_shuffle_epi8 (sc16, word_mask (2 * c));
              __m256i sh = _mm256_shuffle_epi8 (sc16, word_mask (2 * c + 1));

              UNROLL for (guint t = 0; t < NT; t++)
                {
                  __m256i pl = _mm256_madd_epi16 (_mm256_maddubs_epi16 (lo, load32 (xb[t]->qs + 64 * c)), sl);
                  __m256i ph = _mm256_madd_epi16 (_mm256_maddubs_epi16 (hi, load32 (xb[t]->qs + 64 * c + 32)), sh);
                  isum[t] = _mm256_add_epi32 (isum[t], _mm256_add_epi32 (pl, ph));
                }
            }

          UNROLL for (guint t = 0; t < NT; t++)
            {
              float d = half (wb->d) * xb[t]->d;
              float dmin = half (wb->dmin) * xb[t]->d;
              __m256 mv = _mm256_cvtepi32_ps (_mm256_madd_epi16 (load32 (xb[t]->bsums), mins));

              acc[t][r] = _mm256_fmadd_ps (_mm256_set1_ps (d), _mm256_cvtepi32_ps (isum[t]),
                                           acc[t][r]);
              acc[t][r] = _mm256_fnmadd_ps (_mm256_set1_ps (dmin), mv, acc[t][r]);
            }
        }
    }
  UNROLL for (guint t = 0; t < NT; t++)
    UNROLL for (guint r = 0; r < NR; r++)
      out[t * ldo + r] = hsum (acc[t][r]);
}

DEFINE_TILE_DISPATCH (lb_mm_q4_k_tile_avx2)

/* ---- Q6_K against Q8_K ------------------------------------------------------------ */

/* the 32 six-bit levels (0..63) of group g (0..3) of a half, from that
 * half's ql[0..31], ql[32..63] and qh[0..31] */
ALWAYS_INLINE __m256i
q6_levels (__m256i ql0, __m256i ql1, __m256i qh, int g)
{
  const __m256i m4 = _mm256_set1_epi8 (0x0f);
  const __m256i m2 = _mm256_set1_epi8 (0x03);
  __m256i low = g == 0 ? _mm256_and_si256 (ql0, m4)
              : g == 1 ? _mm256_and_si256 (ql1, m4)
              : g == 2 ? _mm256_and_si256 (_mm256_srli_epi16 (ql0, 4), m4)
              : _mm256_and_si256 (_mm256_srli_epi16 (ql1, 4), m4);
  __m256i high = _mm256_and_si256 (_mm256_srli_epi16 (qh, 2 * g), m2);
  return _mm256_or_si256 (low, _mm256_slli_epi16 (high, 4));
}

ALWAYS_INLINE void
lb_mm_q6_k_tile_avx2_n (const guint NR, const guint NT, gint64 n, const void *w, gsize ldw,
                        const void *x, gsize ldx, float *out, gsize ldo)
{
  __m256 acc[LB_MM_QTILE_TOKENS][LB_MM_QTILE_ROWS];

  UNROLL for (guint t = 0; t < NT; t++)
    UNROLL for (guint r = 0; r < NR; r++)
      acc[t][r] = _mm256_setzero_ps ();

  for (gint64 b = 0; b < n / LB_QK_K; b++)
    {
      const LbBlockQ8_K *xb[LB_MM_QTILE_TOKENS];

      UNROLL for (guint t = 0; t < NT; t++)
        xb[t] = (const LbBlockQ8_K *) ((const guint8 *) x + t * ldx) + b;

      UNROLL for (guint r = 0; r < NR; r++)
        {
          const LbBlockQ6_K *wb = (const LbBlockQ6_K *) ((const guint8 *) w + r * ldw) + b;
          /* scales 0..7 in the low 128 bits, 8..15 in the high ones */
          __m256i sc16 = _mm256_cvtepi8_epi16 (_mm_loadu_si128 ((const __m128i *) wb->scales));
          __m256i isum[LB_MM_QTILE_TOKENS];

          /* the -32 offset of the levels: start from -32 sum_j sc_j (sum of x over j) */
          UNROLL for (guint t = 0; t < NT; t++)
            isum[t] = _mm256_sub_epi32 (_mm256_setzero_si256 (),
                                        _mm256_slli_epi32 (_mm256_madd_epi16 (load32 (xb[t]->bsums),
                                                                              sc16), 5));
          UNROLL for (int h = 0; h < 2; h++)
            {
              const guint8 *ql = wb->ql + 64 * h;
              __m256i ql0 = load32 (ql), ql1 = load32 (ql + 32), qh = load32 (wb->qh + 32 * h);
              /* this half's 8 scales in both 128-bit lanes */
              /* (the immediate must be a constant for clang, hence two calls) */
              __m256i sch = h ? _mm256_permute2x128_si256 (sc16, sc16, 0x11)
                              : _mm256_permute2x128_si256 (sc16, sc16, 0x00);

              UNROLL for (int g = 0; g < 4; g++)
                {
                  /* group g: 32 elements from 128 h + 32 g; the first 16
                   * use scale 8 h + 2 g, the next 16 the one after */
                  __m256i lv = q6_levels (ql0, ql1, qh, g);
                  __m256i scv = _mm256_shuffle_epi8 (sch, _mm256_set_m128i (
                                                             _mm256_castsi256_si128 (word_mask (2 * g + 1)),
                                                             _mm256_castsi256_si128 (word_mask (2 * g))));

                  UNROLL for (guint t = 0; t < NT; t++)
                    {
                      __m256i xv = load32 (xb[t]->qs + 128 * h + 32 * g);
                      isum[t] = _mm256_add_epi32 (isum[t], _mm256_madd_epi16 (
                                                              _mm256_maddubs_epi16 (lv, xv), scv));
                    }
                }
            }

          UNROLL for (guint t = 0; t < NT; t++)
            {
              float d = half (wb->d) * xb[t]->d;
              acc[t][r] = _mm256_fmadd_ps (_mm256_set1_ps (d), _mm256_cvtepi32_ps (isum[t]),
                                           acc[t][r]);
            }
        }
    }
  UNROLL for (guint t = 0; t < NT; t++)
    UNROLL for (guint r = 0; r < NR; r++)
      out[t * ldo + r] = hsum (acc[t][r]);
}

DEFINE_TILE_DISPATCH (lb_mm_q6_k_tile_avx2)
