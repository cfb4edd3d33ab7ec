/* lb-quant-legacy.c: blocks of 32 with one scale: Q4_0, Q4_1, Q5_0, Q5_1
 * and the non-linear IQ4_NL.
 *
 * Without importance the Q4/Q5 quantizers are llama.cpp's reference
 * rounding (extreme value on the extreme level), so that plain files come
 * out block for block as llama-quantize writes them; with importance they
 * search the scale (and min) that minimises the weighted squared error. */
#include "lb-quant-private.h"

/* the 32 nibbles of a 4-bit block, in element order */
static inline void
unpack_nibbles (const guint8 *qs, guint8 *q)
{
  for (int j = 0; j < LB_QK / 2; j++)
    {
      q[j] = qs[j] & 0x0f;
      q[j + LB_QK / 2] = qs[j] >> 4;
    }
}

static inline void
pack_nibbles (const guint8 *q, guint8 *qs)
{
  for (int j = 0; j < LB_QK / 2; j++)
    qs[j] = (guint8) ((q[j] & 0x0f) | ((q[j + LB_QK / 2] & 0x0f) << 4));
}

/* 5-bit values: nibbles plus bit j of the little-endian qh */
static inline void
unpack_5bit (const guint8 *qs, const guint8 *qh, guint8 *q)
{
  guint32 h = (guint32) qh[0] | ((guint32) qh[1] << 8) | ((guint32) qh[2] << 16) | ((guint32) qh[3] << 24);

  unpack_nibbles (qs, q);
  for (int j = 0; j < LB_QK; j++)
    q[j] |= ((h >> j) & 1) << 4;
}

static inline void
pack_5bit (const guint8 *q, guint8 *qs, guint8 *qh)
{
  guint32 h = 0;

  pack_nibbles (q, qs);
  for (int j = 0; j < LB_QK; j++)
    h |= (guint32) ((q[j] >> 4) & 1) << j;
  for (int k = 0; k < 4; k++)
    qh[k] = (guint8) (h >> (8 * k));
}

/* truncating conversion of a value already offset to be >= 0 (as the
 * reference rounding does with "+ 0.5"), clamped to [0, top] */
static inline guint8
trunc_level (float v, int top)
{
  if (!(v > 0))   /* also NaN */
    return 0;
  if (v >= top)
    return (guint8) top;
  return (guint8) v;
}

/* the signed value of largest magnitude (first one on ties) */
static float
signed_max (const float *x, int n, float *amax_out)
{
  float amax = 0, max = 0;
  for (int j = 0; j < n; j++)
    if (fabsf (x[j]) > amax)
      {
        amax = fabsf (x[j]);
        max = x[j];
      }
  *amax_out = amax;
  return max;
}

static void
min_max (const float *x, int n, float *min, float *max)
{
  *min = G_MAXFLOAT;
  *max = -G_MAXFLOAT;
  for (int j = 0; j < n; j++)
    {
      if (x[j] < *min)
        *min = x[j];
      if (x[j] > *max)
        *max = x[j];
    }
}

/* importance weights for the legacy formats: imp * sqrt(sigma2 + x^2) with
 * sigma2 the row's mean square, as llama.cpp weighs them */
static float
row_sigma2 (const float *x, gint64 n)
{
  float s = 0;
  for (gint64 i = 0; i < n; i++)
    s += x[i] * x[i];
  return n > 0 ? s / n : 0;
}

static inline void
block_weights (const float *x, const float *imp, float sigma2, float *w)
{
  for (int j = 0; j < LB_QK; j++)
    w[j] = imp[j] * sqrtf (sigma2 + x[j] * x[j]);
}

/* ---- Q4_0 ---------------------------------------------------------------- */

void
lb_quant_q4_0_to_float (const void *src, float *dst, gint64 n)
{
  const LbBlockQ4_0 *b = src;
  guint8 q[LB_QK];

  for (gint64 i = 0; i < n / LB_QK; i++, dst += LB_QK)
    {
      float d = lb_quant_half (b[i].d);
      unpack_nibbles (b[i].qs, q);
      for (int j = 0; j < LB_QK; j++)
        dst[j] = (q[j] - 8) * d;
    }
}

void
lb_quant_q4_0_from_float (const float *src, void *dst, gint64 n, const float *importance)
{
  LbBlockQ4_0 *b = dst;
  float sigma2 = importance ? row_sigma2 (src, n) : 0;

  for (gint64 i = 0; i < n / LB_QK; i++)
    {
      const float *x = src + i * LB_QK;
      guint8 q[LB_QK];
      float d;

      if (importance)
        {
          float w[LB_QK];
          block_weights (x, importance + i * LB_QK, sigma2, w);
          d = lb_quant_fit_symmetric (LB_QK, 8, x, w, 9, TRUE, q);
        }
      else
        {
          float amax, max = signed_max (x, LB_QK, &amax);
          float id;
          d = max / -8;
          id = d != 0 ? 1.0f / d : 0.0f;
          for (int j = 0; j < LB_QK; j++)
            q[j] = trunc_level (x[j] * id + 8.5f, 15);
        }
      b[i].d = lb_quant_to_half (d);
      pack_nibbles (q, b[i].qs);
    }
}

void
lb_quant_q4_0_vec_dot (gint64 n, float *result, const void *vx, const void *vy)
{
  const LbBlockQ4_0 *x = vx;
  const LbBlockQ8_0 *y = vy;
  float sum = 0;
  guint8 q[LB_QK];

  for (gint64 i = 0; i < n / LB_QK; i++)
    {
      int isum = 0;
      unpack_nibbles (x[i].qs, q);
      for (int j = 0; j < LB_QK; j++)
        isum += (q[j] - 8) * y[i].qs[j];
      sum += isum * (lb_quant_half (x[i].d) * lb_quant_half (y[i].d));
    }
  *result = sum;
}

/* ---- Q4_1 ---------------------------------------------------------------- */

void
lb_quant_q4_1_to_float (const void *src, float *dst, gint64 n)
{
  const LbBlockQ4_1 *b = src;
  guint8 q[LB_QK];

  for (gint64 i = 0; i < n / LB_QK; i++, dst += LB_QK)
    {
      float d = lb_quant_half (b[i].d), m = lb_quant_half (b[i].m);
      unpack_nibbles (b[i].qs, q);
      for (int j = 0; j < LB_QK; j++)
        dst[j] = q[j] * d + m;
    }
}

/* affine blocks (Q4_1, Q5_1): levels 0..top, returns d, *m */
static float
affine_block (const float *x, const float *imp, float sigma2, int top, guint8 *q, float *m)
{
  if (imp)
    {
      float w[LB_QK], neg_min;
      float d;
      block_weights (x, imp, sigma2, w);
      d = lb_quant_fit_affine (LB_QK, top, x, w, -0.9f, 0.05f, 36, q, &neg_min);
      *m = -neg_min;
      return d;
    }
  else
    {
      float min, max, d, id;
      min_max (x, LB_QK, &min, &max);
      d = (max - min) / top;
      id = d != 0 ? 1.0f / d : 0.0f;
      for (int j = 0; j < LB_QK; j++)
        q[j] = trunc_level ((x[j] - min) * id + 0.5f, top);
      *m = min;
      return d;
    }
}

void
lb_quant_q4_1_from_float (const float *src, void *dst, gint64 n, const float *importance)
{
  LbBlockQ4_1 *b = dst;
  float sigma2 = importance ? row_sigma2 (src, n) : 0;

  for (gint64 i = 0; i < n / LB_QK; i++)
    {
      guint8 q[LB_QK];
      float m;
      float d = affine_block (src + i * LB_QK, importance ? importance + i * LB_QK : NULL,
                              sigma2, 15, q, &m);
      b[i].d = lb_quant_to_half (d);
      b[i].m = lb_quant_to_half (m);
      pack_nibbles (q, b[i].qs);
    }
}

static inline int
q8_sum (const gint8 *qs)
{
  int s = 0;
  for (int j = 0; j < LB_QK; j++)
    s += qs[j];
  return s;
}

void
lb_quant_q4_1_vec_dot (gint64 n, float *result, const void *vx, const void *vy)
{
  const LbBlockQ4_1 *x = vx;
  const LbBlockQ8_1 *y = vy;
  float sum = 0;
  guint8 q[LB_QK];

  for (gint64 i = 0; i < n / LB_QK; i++)
    {
      int isum = 0;
      float dy = lb_quant_half (y[i].d);
      unpack_nibbles (x[i].qs, q);
      for (int j = 0; j < LB_QK; j++)
        isum += q[j] * y[i].qs[j];
      sum += isum * (lb_quant_half (x[i].d) * dy) + lb_quant_half (x[i].m) * (dy * q8_sum (y[i].qs));
    }
  *result = sum;
}

/* ---- Q5_0 ---------------------------------------------------------------- */

void
lb_quant_q5_0_to_float (const void *src, float *dst, gint64 n)
{
  const LbBlockQ5_0 *b = src;
  guint8 q[LB_QK];

  for (gint64 i = 0; i < n / LB_QK; i++, dst += LB_QK)
    {
      float d = lb_quant_half (b[i].d);
      unpack_5bit (b[i].qs, b[i].qh, q);
      for (int j = 0; j < LB_QK; j++)
        dst[j] = (q[j] - 16) * d;
    }
}

void
lb_quant_q5_0_from_float (const float *src, void *dst, gint64 n, const float *importance)
{
  LbBlockQ5_0 *b = dst;
  float sigma2 = importance ? row_sigma2 (src, n) : 0;

  for (gint64 i = 0; i < n / LB_QK; i++)
    {
      const float *x = src + i * LB_QK;
      guint8 q[LB_QK];
      float d;

      if (importance)
        {
          float w[LB_QK];
          block_weights (x, importance + i * LB_QK, sigma2, w);
          d = lb_quant_fit_symmetric (LB_QK, 16, x, w, 9, TRUE, q);
        }
      else
        {
          float amax, max = signed_max (x, LB_QK, &amax);
          float id;
          d = max / -16;
          id = d != 0 ? 1.0f / d : 0.0f;
          for (int j = 0; j < LB_QK; j++)
            q[j] = trunc_level (x[j] * id + 16.5f, 31);
        }
      b[i].d = lb_quant_to_half (d);
      pack_5bit (q, b[i].qs, b[i].qh);
    }
}

void
lb_quant_q5_0_vec_dot (gint64 n, float *result, const void *vx, const void *vy)
{
  const LbBlockQ5_0 *x = vx;
  const LbBlockQ8_0 *y = vy;
  float sum = 0;
  guint8 q[LB_QK];

  for (gint64 i = 0; i < n / LB_QK; i++)
    {
      int isum = 0;
      unpack_5bit (x[i].qs, x[i].qh, q);
      for (int j = 0; j < LB_QK; j++)
        isum += (q[j] - 16) * y[i].qs[j];
      sum += isum * (lb_quant_half (x[i].d) * lb_quant_half (y[i].d));
    }
  *result = sum;
}

/* ---- Q5_1 ---------------------------------------------------------------- */

void
lb_quant_q5_1_to_float (const void *src, float *dst, gint64 n)
{
  const LbBlockQ5_1 *b = src;
  guint8 q[LB_QK];

  for (gint64 i = 0; i < n / LB_QK; i++, dst += LB_QK)
    {
      float d = lb_quant_half (b[i].d), m = lb_quant_half (b[i].m);
      unpack_5bit (b[i].qs, b[i].qh, q);
      for (int j = 0; j < LB_QK; j++)
        dst[j] = q[j] * d + m;
    }
}

void
lb_quant_q5_1_from_float (const float *src, void *dst, gint64 n, const float *importance)
{
  LbBlockQ5_1 *b = dst;
  float sigma2 = importance ? row_sigma2 (src, n) : 0;

  for (gint64 i = 0; i < n / LB_QK; i++)
    {
      guint8 q[LB_QK];
      float m;
      float d = affine_block (src + i * LB_QK, importance ? importance + i * LB_QK : NULL,
                              sigma2, 31, q, &m);
      b[i].d = lb_quant_to_half (d);
      b[i].m = lb_quant_to_half (m);
      pack_5bit (q, b[i].qs, b[i].qh);
    }
}

void
lb_quant_q5_1_vec_dot (gint64 n, float *result, const void *vx, const void *vy)
{
  const LbBlockQ5_1 *x = vx;
  const LbBlockQ8_1 *y = vy;
  float sum = 0;
  guint8 q[LB_QK];

  for (gint64 i = 0; i < n / LB_QK; i++)
    {
      int isum = 0;
      float dy = lb_quant_half (y[i].d);
      unpack_5bit (x[i].qs, x[i].qh, q);
      for (int j = 0; j < LB_QK; j++)
        isum += q[j] * y[i].qs[j];
      sum += isum * (lb_quant_half (x[i].d) * dy) + lb_quant_half (x[i].m) * (dy * q8_sum (y[i].qs));
    }
  *result = sum;
}

/* ---- IQ4_NL -------------------------------------------------------------- */

void
lb_quant_iq4_nl_to_float (const void *src, float *dst, gint64 n)
{
  const LbBlockIQ4_NL *b = src;
  guint8 q[LB_QK];

  for (gint64 i = 0; i < n / LB_QK; i++, dst += LB_QK)
    {
      float d = lb_quant_half (b[i].d);
      unpack_nibbles (b[i].qs, q);
      for (int j = 0; j < LB_QK; j++)
        dst[j] = d * lb_quant_iq4nl_values[q[j]];
    }
}

/* weighted sums of the table values nearest to id * x */
static void
iq4nl_trial (const float *x, const float *w, float id, float *sumqx, float *sumq2)
{
  float sqx = 0, sq2 = 0;
  for (int j = 0; j < LB_QK; j++)
    {
      float q = lb_quant_iq4nl_values[lb_quant_iq4nl_index (id * x[j])];
      sqx += w[j] * q * x[j];
      sq2 += w[j] * q * q;
    }
  *sumqx = sqx;
  *sumq2 = sq2;
}

/* Scale search as llama.cpp does it for IQ4_NL (also without importance,
 * then weighing by x^2): start from the scale that puts the largest value
 * on the table's top, try inverse scales putting it near the table's bottom
 * (-127 + k, |k| <= 7), keep the least-squares scale of the best. */
static void
iq4nl_block (const float *x, const float *w, LbBlockIQ4_NL *b)
{
  float amax, max = signed_max (x, LB_QK, &amax);
  float d = 0, best, sumqx, sumq2;
  guint8 q[LB_QK];

  if (amax >= LB_QUANT_EPS && isfinite (amax))
    {
      /* 1 / (max / 127), rounded as llama.cpp rounds it */
      float d0 = -max / lb_quant_iq4nl_values[0];
      iq4nl_trial (x, w, 1 / d0, &sumqx, &sumq2);
      d = sumq2 > 0 ? sumqx / sumq2 : 0;
      best = d * sumqx;
      for (int k = -7; k <= 7; k++)
        {
          iq4nl_trial (x, w, (k + lb_quant_iq4nl_values[0]) / max, &sumqx, &sumq2);
          if (sumq2 > 0 && sumqx * sumqx > best * sumq2)
            {
              d = sumqx / sumq2;
              best = d * sumqx;
            }
        }
    }
  b->d = lb_quant_to_half (d);
  {
    float id = d != 0 ? 1 / d : 0;
    for (int j = 0; j < LB_QK; j++)
      q[j] = (guint8) lb_quant_iq4nl_index (id * x[j]);
  }
  pack_nibbles (q, b->qs);
}

void
lb_quant_iq4_nl_from_float (const float *src, void *dst, gint64 n, const float *importance)
{
  LbBlockIQ4_NL *b = dst;

  for (gint64 i = 0; i < n / LB_QK; i++)
    {
      const float *x = src + i * LB_QK;
      float w[LB_QK];

      float sw = 0;

      if (importance)
        {
          /* sigma2: twice the block's mean square */
          block_weights (x, importance + i * LB_QK, 2 * lb_quant_sum_squares (x, LB_QK) / LB_QK, w);
          for (int j = 0; j < LB_QK; j++)
            sw += w[j];
        }
      /* no importance, or none in this block: weigh by x^2 */
      if (!(sw > 0))
        for (int j = 0; j < LB_QK; j++)
          w[j] = x[j] * x[j];
      iq4nl_block (x, w, &b[i]);
    }
}

void
lb_quant_iq4_nl_vec_dot (gint64 n, float *result, const void *vx, const void *vy)
{
  const LbBlockIQ4_NL *x = vx;
  const LbBlockQ8_0 *y = vy;
  float sum = 0;
  guint8 q[LB_QK];

  for (gint64 i = 0; i < n / LB_QK; i++)
    {
      int isum = 0;
      unpack_nibbles (x[i].qs, q);
      for (int j = 0; j < LB_QK; j++)
        isum += lb_quant_iq4nl_values[q[j]] * y[i].qs[j];
      sum += isum * (lb_quant_half (x[i].d) * lb_quant_half (y[i].d));
    }
  *result = sum;
}
