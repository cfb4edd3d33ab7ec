/* lb-quant-q8.c: 8-bit blocks: Q8_0 (weights and activations), Q8_1 and
 * Q8_K (activations paired with Q4_1/Q5_1 and the K formats). */
#include "lb-quant-private.h"

/* round half away from zero (as roundf), clamped to [-127, 127]; NaN gives 0 */
static inline gint8
q8_round (float v)
{
  if (!(v == v))
    return 0;
  if (v > 127.0f)
    return 127;
  if (v < -127.0f)
    return -127;
  return (gint8) roundf (v);
}

static float
block_amax (const float *x, int n)
{
  float amax = 0;
  for (int j = 0; j < n; j++)
    if (fabsf (x[j]) > amax)
      amax = fabsf (x[j]);
  return amax;
}

/* ---- Q8_0 ---------------------------------------------------------------- */

void
lb_quant_q8_0_to_float (const void *src, float *dst, gint64 n)
{
  const LbBlockQ8_0 *b = src;

  for (gint64 i = 0; i < n / LB_QK; i++, dst += LB_QK)
    {
      float d = lb_quant_half (b[i].d);
      for (int j = 0; j < LB_QK; j++)
        dst[j] = b[i].qs[j] * d;
    }
}

/* The plain path is llama.cpp's reference rounding (d = amax / 127), so a
 * file quantized by either tool gets the same blocks. */
static void
q8_0_block_plain (const float *x, LbBlockQ8_0 *b)
{
  float d = block_amax (x, LB_QK) / 127.0f;
  float id = d != 0 ? 1.0f / d : 0.0f;

  b->d = lb_quant_to_half (d);
  for (int j = 0; j < LB_QK; j++)
    b->qs[j] = q8_round (x[j] * id);
}

static void
q8_0_block_weighted (const float *x, const float *w, LbBlockQ8_0 *b)
{
  guint8 L[LB_QK];
  /* levels -128..127 (the largest value lands on -128 times a negative scale) */
  float d = lb_quant_fit_symmetric (LB_QK, 128, x, w, 4, TRUE, L);

  b->d = lb_quant_to_half (d);
  for (int j = 0; j < LB_QK; j++)
    b->qs[j] = (gint8) (L[j] - 128);
}

void
lb_quant_q8_0_from_float (const float *src, void *dst, gint64 n, const float *importance)
{
  LbBlockQ8_0 *b = dst;
  float sigma2 = 0;

  if (importance)
    {
      for (gint64 i = 0; i < n; i++)
        sigma2 += src[i] * src[i];
      sigma2 /= n > 0 ? n : 1;
    }
  for (gint64 i = 0; i < n / LB_QK; i++)
    {
      const float *x = src + i * LB_QK;
      if (importance)
        {
          float w[LB_QK];
          for (int j = 0; j < LB_QK; j++)
            w[j] = importance[i * LB_QK + j] * sqrtf (sigma2 + x[j] * x[j]);
          q8_0_block_weighted (x, w, &b[i]);
        }
      else
        q8_0_block_plain (x, &b[i]);
    }
}

void
lb_quant_q8_0_vec_dot (gint64 n, float *result, const void *vx, const void *vy)
{
  const LbBlockQ8_0 *x = vx;
  const LbBlockQ8_0 *y = vy;
  float sum = 0;

  for (gint64 i = 0; i < n / LB_QK; i++)
    {
      int isum = 0;
      for (int j = 0; j < LB_QK; j++)
        isum += x[i].qs[j] * y[i].qs[j];
      sum += isum * (lb_quant_half (x[i].d) * lb_quant_half (y[i].d));
    }
  *result = sum;
}

/* ---- Q8_1 ---------------------------------------------------------------- */

void
lb_quant_q8_1_to_float (const void *src, float *dst, gint64 n)
{
  const LbBlockQ8_1 *b = src;

  for (gint64 i = 0; i < n / LB_QK; i++, dst += LB_QK)
    {
      float d = lb_quant_half (b[i].d);
      for (int j = 0; j < LB_QK; j++)
        dst[j] = b[i].qs[j] * d;
    }
}

void
lb_quant_q8_1_from_float (const float *src, void *dst, gint64 n, const float *importance)
{
  LbBlockQ8_1 *b = dst;

  for (gint64 i = 0; i < n / LB_QK; i++)
    {
      const float *x = src + i * LB_QK;
      float d = block_amax (x, LB_QK) / 127.0f;
      float id = d != 0 ? 1.0f / d : 0.0f;
      int sum = 0;

      for (int j = 0; j < LB_QK; j++)
        {
          b[i].qs[j] = q8_round (x[j] * id);
          sum += b[i].qs[j];
        }
      b[i].d = lb_quant_to_half (d);
      b[i].s = lb_quant_to_half (sum * d);
    }
}

/* ---- Q8_K ---------------------------------------------------------------- */

void
lb_quant_q8_k_to_float (const void *src, float *dst, gint64 n)
{
  const LbBlockQ8_K *b = src;

  for (gint64 i = 0; i < n / LB_QK_K; i++, dst += LB_QK_K)
    for (int j = 0; j < LB_QK_K; j++)
      dst[j] = b[i].d * b[i].qs[j];
}

/* q = round-half-even (-127 x / max) where max is the value of largest
 * magnitude: q stays within -127..127, which the AVX2 dot products rely on. */
void
lb_quant_q8_k_from_float (const float *src, void *dst, gint64 n, const float *importance)
{
  LbBlockQ8_K *b = dst;

  for (gint64 i = 0; i < n / LB_QK_K; i++)
    {
      const float *x = src + i * LB_QK_K;
      float amax = 0, max = 0, iscale;

      for (int j = 0; j < LB_QK_K; j++)
        if (fabsf (x[j]) > amax)
          {
            amax = fabsf (x[j]);
            max = x[j];
          }
      iscale = amax != 0 ? -127.0f / max : 0;
      /* zero, or too small (subnormal) or too large for a scale: zeros */
      if (iscale == 0 || !isfinite (iscale))
        {
          memset (&b[i], 0, sizeof b[i]);
          continue;
        }
      for (int j = 0; j < LB_QK_K; j++)
        b[i].qs[j] = (gint8) lb_quant_clamp (lb_quant_nearest_int (iscale * x[j]), -127, 127);
      for (int g = 0; g < LB_QK_K / 16; g++)
        {
          int sum = 0;
          for (int j = 0; j < 16; j++)
            sum += b[i].qs[16 * g + j];
          b[i].bsums[g] = (gint16) sum;
        }
      b[i].d = 1 / iscale;
    }
}
