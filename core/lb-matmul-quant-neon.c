/* lb-matmul-quant-neon.c: NEON tile kernels for the block formats the
 * engine meets most (Q8_0 and Q4_0 against Q8_0 activations, Q4_K and
 * Q6_K against Q8_K), up to 4 weight rows × 4 tokens per call, so that a
 * weight block is unpacked once for several tokens.
 *
 * Compiled twice, as lb-quant-neon.c is: plain ARMv8-A (lb_mm_*_tile_neon,
 * byte products by vmull_s8 + vpadalq_s16) and with the dot-product
 * extension (-DLB_NEON_DOTPROD: lb_mm_*_tile_neon_dp, vdotq_s32). Integer
 * block sums are exact in both; each output accumulates its blocks as
 * d * (float) lanes in 4 float lanes, the same sequence whatever the tile
 * shape, so a batch and single tokens agree bit for bit. */
#include "lb-matmul-private.h"

#include <arm_neon.h>
#include <string.h>

#include "lb-quant-private.h"

#define ALWAYS_INLINE static inline __attribute__ ((always_inline))
#define UNROLL _Pragma ("GCC unroll 8")

#ifdef LB_NEON_DOTPROD
#define TILE_FN(t) lb_mm_##t##_tile_neon_dp

ALWAYS_INLINE int32x4_t
dot_s8 (int32x4_t acc, int8x16_t a, int8x16_t b)
{
  return vdotq_s32 (acc, a, b);
}
#else
#define TILE_FN(t) lb_mm_##t##_tile_neon

ALWAYS_INLINE int32x4_t
dot_s8 (int32x4_t acc, int8x16_t a, int8x16_t b)
{
  acc = vpadalq_s16 (acc, vmull_s8 (vget_low_s8 (a), vget_low_s8 (b)));
  return vpadalq_s16 (acc, vmull_high_s8 (a, b));
}
#endif

ALWAYS_INLINE float
half (guint16 h)
{
  return lb_fp16_to_fp32 (GUINT16_FROM_LE (h));
}

/* The tile shapes the callers use: 1..4 rows of one token (decode), 1..2
 * rows of 1..4 tokens (batches). Anything else runs row by row. */
#define DEFINE_TILE_DISPATCH(name, impl)                                                 \
  void                                                                                   \
  name (gint64 n, const void *w, gsize ldw, guint nr, const void *x, gsize ldx, guint nt, \
        float *out, gsize ldo)                                                           \
  {                                                                                      \
    switch (nr * 8 + nt)                                                                 \
      {                                                                                  \
      case 4 * 8 + 1: impl (4, 1, n, w, ldw, x, ldx, out, ldo); return;                  \
      case 3 * 8 + 1: impl (3, 1, n, w, ldw, x, ldx, out, ldo); return;                  \
      case 2 * 8 + 1: impl (2, 1, n, w, ldw, x, ldx, out, ldo); return;                  \
      case 1 * 8 + 1: impl (1, 1, n, w, ldw, x, ldx, out, ldo); return;                  \
      case 2 * 8 + 2: impl (2, 2, n, w, ldw, x, ldx, out, ldo); return;                  \
      case 2 * 8 + 3: impl (2, 3, n, w, ldw, x, ldx, out, ldo); return;                  \
      case 2 * 8 + 4: impl (2, 4, n, w, ldw, x, ldx, out, ldo); return;                  \
      case 1 * 8 + 2: impl (1, 2, n, w, ldw, x, ldx, out, ldo); return;                  \
      case 1 * 8 + 3: impl (1, 3, n, w, ldw, x, ldx, out, ldo); return;                  \
      case 1 * 8 + 4: impl (1, 4, n, w, ldw, x, ldx, out, ldo); return;                  \
      default:                                                                           \
        for (guint r = 0; r < nr; r++)                                                   \
          for (guint t = 0; t < nt; t++)                                                 \
            impl (1, 1, n, (const guint8 *) w + r * ldw, ldw,                            \
                  (const guint8 *) x + t * ldx, ldx, out + t * ldo + r, ldo);            \
      }                                                                                  \
  }

/* ---- 32-element blocks against Q8_0 ------------------------------------------- */

/* the 32 signed weights of a block, in element order */
ALWAYS_INLINE void
q8_0_values (const void *blk, int8x16_t *v)
{
  const LbBlockQ8_0 *b = blk;
  v[0] = vld1q_s8 (b->qs);
  v[1] = vld1q_s8 (b->qs + 16);
}

ALWAYS_INLINE void
q4_0_values (const void *blk, int8x16_t *v)
{
  /* element j < 16 is the low nibble of qs[j], element j + 16 its high one */
  uint8x16_t q = vld1q_u8 (((const LbBlockQ4_0 *) blk)->qs);
  v[0] = vsubq_s8 (vreinterpretq_s8_u8 (vandq_u8 (q, vdupq_n_u8 (0x0f))), vdupq_n_s8 (8));
  v[1] = vsubq_s8 (vreinterpretq_s8_u8 (vshrq_n_u8 (q, 4)), vdupq_n_s8 (8));
}

#define DEFINE_QK32_TILE(name, BLOCK, VALUES)                                             \
  ALWAYS_INLINE void                                                                     \
  name##_n (const guint NR, const guint NT, gint64 n, const void *w, gsize ldw,          \
            const void *x, gsize ldx, float *out, gsize ldo)                             \
  {                                                                                      \
    float32x4_t acc[LB_MM_QTILE_TOKENS][LB_MM_QTILE_ROWS];                               \
                                                                                         \
    UNROLL for (guint t = 0; t < NT; t++)                                                \
      UNROLL for (guint r = 0; r < NR; r++)                                              \
        acc[t][r] = vdupq_n_f32 (0);                                                     \
    for (gint64 b = 0; b < n / LB_QK; b++)                                               \
      {                                                                                  \
        int8x16_t wv[LB_MM_QTILE_ROWS][2];                                               \
        float dw[LB_MM_QTILE_ROWS];                                                      \
                                                                                         \
        UNROLL for (guint r = 0; r < NR; r++)                                            \
          {                                                                              \
            const BLOCK *blk = (const BLOCK *) ((const guint8 *) w + r * ldw) + b;       \
            VALUES (blk, wv[r]);                                                         \
            dw[r] = half (blk->d);                                                       \
          }                                                                              \
        UNROLL for (guint t = 0; t < NT; t++)                                            \
          {                                                                              \
            const LbBlockQ8_0 *xb = (const LbBlockQ8_0 *) ((const guint8 *) x + t * ldx) + b; \
            int8x16_t x0 = vld1q_s8 (xb->qs), x1 = vld1q_s8 (xb->qs + 16);               \
            float dx = half (xb->d);                                                     \
                                                                                         \
            UNROLL for (guint r = 0; r < NR; r++)                                        \
              {                                                                          \
                int32x4_t p = dot_s8 (dot_s8 (vdupq_n_s32 (0), wv[r][0], x0), wv[r][1], x1); \
                acc[t][r] = vfmaq_n_f32 (acc[t][r], vcvtq_f32_s32 (p), dw[r] * dx);      \
              }                                                                          \
          }                                                                              \
      }                                                                                  \
    UNROLL for (guint t = 0; t < NT; t++)                                                \
      UNROLL for (guint r = 0; r < NR; r++)                                              \
        out[t * ldo + r] = vaddvq_f32 (acc[t][r]);                                       \
  }                                                                                      \
  DEFINE_TILE_DISPATCH (TILE_FN (name), name##_n)

DEFINE_QK32_TILE (q8_0, LbBlockQ8_0, q8_0_values)
DEFINE_QK32_TILE (q4_0, LbBlockQ4_0, q4_0_values)

/* ---- Q4_K against Q8_K ------------------------------------------------------------ */

ALWAYS_INLINE void
q4_k_tile_n (const guint NR, const guint NT, gint64 n, const void *w, gsize ldw,
             const void *x, gsize ldx, float *out, gsize ldo)
{
  const uint8x16_t m4 = vdupq_n_u8 (0x0f);
  float32x4_t acc[LB_MM_QTILE_TOKENS][LB_MM_QTILE_ROWS];

  UNROLL for (guint t = 0; t < NT; t++)
    UNROLL for (guint r = 0; r < NR; r++)
      acc[t][r] = vdupq_n_f32 (0);

  for (gint64 b = 0; b < n / LB_QK_K; b++)
    {
      const LbBlockQ8_K *xb[LB_MM_QTILE_TOKENS];

      UNROLL for (guint t = 0; t < NT; t++)
        xb[t] = (const LbBlockQ8_K *) ((const guint8 *) x + t * ldx) + b;

      /* one row at a time: its 256 levels stay in 16 registers while every
       * token is dotted with them */
      UNROLL for (guint r = 0; r < NR; r++)
        {
          const LbBlockQ4_K *wb = (const LbBlockQ4_K *) ((const guint8 *) w + r * ldw) + b;
          int8x16_t q[16];
          int sc[8];
          int16x8_t mins;
          guint8 scb[8], mb[8];

          for (int j = 0; j < 8; j++)
            lb_quant_k4_get_scale_min (j, wb->scales, &scb[j], &mb[j]);
          for (int j = 0; j < 8; j++)
            sc[j] = scb[j];
          mins = vreinterpretq_s16_u16 (vmovl_u8 (vld1_u8 (mb)));
          /* elements 64 c + (0..31): low nibbles of qs[32 c ..]; 64 c + 32 + (0..31): high */
          UNROLL for (int c = 0; c < 4; c++)
            {
              uint8x16_t v0 = vld1q_u8 (wb->qs + 32 * c), v1 = vld1q_u8 (wb->qs + 32 * c + 16);
              q[4 * c] = vreinterpretq_s8_u8 (vandq_u8 (v0, m4));
              q[4 * c + 1] = vreinterpretq_s8_u8 (vandq_u8 (v1, m4));
              q[4 * c + 2] = vreinterpretq_s8_u8 (vshrq_n_u8 (v0, 4));
              q[4 * c + 3] = vreinterpretq_s8_u8 (vshrq_n_u8 (v1, 4));
            }

          UNROLL for (guint t = 0; t < NT; t++)
            {
              const gint8 *y = xb[t]->qs;
              int32x4_t isum = vdupq_n_s32 (0), mv;
              /* sums of y over each 32 (sub-block j: bsums 2j and 2j + 1) */
              int16x8_t bs = vpaddq_s16 (vld1q_s16 (xb[t]->bsums), vld1q_s16 (xb[t]->bsums + 8));
              float d = half (wb->d) * xb[t]->d;
              float dmin = half (wb->dmin) * xb[t]->d;

              UNROLL for (int j = 0; j < 8; j++)
                {
                  int32x4_t p = dot_s8 (dot_s8 (vdupq_n_s32 (0), q[2 * j], vld1q_s8 (y + 32 * j)),
                                        q[2 * j + 1], vld1q_s8 (y + 32 * j + 16));
                  isum = vmlaq_n_s32 (isum, p, sc[j]);
                }
              mv = vmull_s16 (vget_low_s16 (bs), vget_low_s16 (mins));
              mv = vmlal_high_s16 (mv, bs, mins);
              acc[t][r] = vfmaq_n_f32 (acc[t][r], vcvtq_f32_s32 (isum), d);
              acc[t][r] = vfmsq_f32 (acc[t][r], vcvtq_f32_s32 (mv), vdupq_n_f32 (dmin));
            }
        }
    }
  UNROLL for (guint t = 0; t < NT; t++)
    UNROLL for (guint r = 0; r < NR; r++)
      out[t * ldo + r] = vaddvq_f32 (acc[t][r]);
}

DEFINE_TILE_DISPATCH (TILE_FN (q4_k), q4_k_tile_n)

/* ---- Q6_K against Q8_K ------------------------------------------------------------ */

ALWAYS_INLINE void
q6_k_tile_n (const guint NR, const guint NT, gint64 n, const void *w, gsize ldw,
             const void *x, gsize ldx, float *out, gsize ldo)
{
  const uint8x16_t m4 = vdupq_n_u8 (0x0f), m3 = vdupq_n_u8 (3);
  const int8x16_t off = vdupq_n_s8 (32);
  float32x4_t acc[LB_MM_QTILE_TOKENS][LB_MM_QTILE_ROWS];

  UNROLL for (guint t = 0; t < NT; t++)
    UNROLL for (guint r = 0; r < NR; r++)
      acc[t][r] = vdupq_n_f32 (0);

  for (gint64 b = 0; b < n / LB_QK_K; b++)
    {
      const LbBlockQ8_K *xb[LB_MM_QTILE_TOKENS];

      UNROLL for (guint t = 0; t < NT; t++)
        xb[t] = (const LbBlockQ8_K *) ((const guint8 *) x + t * ldx) + b;

      UNROLL for (guint r = 0; r < NR; r++)
        {
          const LbBlockQ6_K *wb = (const LbBlockQ6_K *) ((const guint8 *) w + r * ldw) + b;
          /* q[j]: the signed values (level - 32) of elements 16 j .. 16 j + 15,
           * sub-block j */
          int8x16_t q[16];

          UNROLL for (int h = 0; h < 2; h++)
            UNROLL for (int k = 0; k < 2; k++)
              {
                const guint8 *ql = wb->ql + 64 * h, *qh = wb->qh + 32 * h;
                uint8x16_t a = vld1q_u8 (ql + 16 * k), c = vld1q_u8 (ql + 32 + 16 * k);
                uint8x16_t hb = vld1q_u8 (qh + 16 * k);
                uint8x16_t l[4];

                l[0] = vorrq_u8 (vandq_u8 (a, m4), vshlq_n_u8 (vandq_u8 (hb, m3), 4));
                l[1] = vorrq_u8 (vandq_u8 (c, m4), vshlq_n_u8 (vandq_u8 (vshrq_n_u8 (hb, 2), m3), 4));
                l[2] = vorrq_u8 (vshrq_n_u8 (a, 4), vshlq_n_u8 (vandq_u8 (vshrq_n_u8 (hb, 4), m3), 4));
                l[3] = vorrq_u8 (vshrq_n_u8 (c, 4), vshlq_n_u8 (vshrq_n_u8 (hb, 6), 4));
                UNROLL for (int g = 0; g < 4; g++)
                  q[8 * h + 2 * g + k] = vsubq_s8 (vreinterpretq_s8_u8 (l[g]), off);
              }

          UNROLL for (guint t = 0; t < NT; t++)
            {
              int32x4_t isum = vdupq_n_s32 (0);

              UNROLL for (int j = 0; j < 16; j++)
                isum = vmlaq_n_s32 (isum, dot_s8 (vdupq_n_s32 (0), q[j], vld1q_s8 (xb[t]->qs + 16 * j)),
                                    wb->scales[j]);
              acc[t][r] = vfmaq_n_f32 (acc[t][r], vcvtq_f32_s32 (isum), half (wb->d) * xb[t]->d);
            }
        }
    }
  UNROLL for (guint t = 0; t < NT; t++)
    UNROLL for (guint r = 0; r < NR; r++)
      out[t * ldo + r] = vaddvq_f32 (acc[t][r]);
}

DEFINE_TILE_DISPATCH (TILE_FN (q6_k), q6_k_tile_n)
