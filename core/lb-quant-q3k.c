/* lb-quant-q3k.c: Q3_K, super-blocks of 256 in 16 sub-blocks of 16 with
 * 3-bit symmetric levels (-4..3), x = d * (sc - 32) * l, sc 6-bit. */
#include "lb-quant-private.h"

/* levels as stored, 0..7 (the value is level - 4) */
static void
q3k_unpack_levels (const LbBlockQ3_K *b, guint8 *L)
{
  lb_quant_unpack_2bit (b->qs, L);
  for (int e = 0; e < LB_QK_K; e++)
    L[e] |= ((b->hmask[e % 32] >> (e / 32)) & 1) << 2;
}

void
lb_quant_q3_k_to_float (const void *src, float *dst, gint64 n)
{
  const LbBlockQ3_K *b = src;
  guint8 L[LB_QK_K];

  for (gint64 i = 0; i < n / LB_QK_K; i++, dst += LB_QK_K)
    {
      float d = lb_quant_half (b[i].d);
      q3k_unpack_levels (&b[i], L);
      for (int j = 0; j < 16; j++)
        {
          float dl = d * (lb_quant_q3k_get_scale (j, b[i].scales) - 32);
          for (int l = 0; l < 16; l++)
            dst[16 * j + l] = dl * (L[16 * j + l] - 4);
        }
    }
}

static void
q3k_block (const float *x, const float *imp, LbBlockQ3_K *b)
{
  guint8 L[LB_QK_K], Ls[16];
  float scales[16], sw[16], w[16];
  float sigma2 = 2 * lb_quant_sum_squares (x, LB_QK_K) / LB_QK_K;
  float d;

  for (int j = 0; j < 16; j++)
    {
      const float *xs = x + 16 * j;
      sw[j] = 0;
      for (int l = 0; l < 16; l++)
        {
          w[l] = imp ? imp[16 * j + l] * sqrtf (sigma2 + xs[l] * xs[l]) : xs[l] * xs[l];
          sw[j] += w[l];
        }
      scales[j] = lb_quant_fit_symmetric (16, 4, xs, w, 9, TRUE, L + 16 * j);
    }

  /* the sub-block scales (signed) on 6-bit levels -32..31 */
  d = lb_quant_fit_symmetric (16, 32, scales, sw, 9, TRUE, Ls);
  lb_quant_q3k_pack_scales (Ls, b->scales);
  b->d = lb_quant_to_half (d);
  d = lb_quant_half (b->d);

  for (int j = 0; j < 16; j++)
    {
      float dl = d * ((int) Ls[j] - 32);
      for (int l = 0; l < 16; l++)
        L[16 * j + l] = dl != 0
          ? (guint8) (lb_quant_clamp (lb_quant_nearest_int (x[16 * j + l] / dl), -4, 3) + 4)
          : 4;
    }

  memset (b->hmask, 0, sizeof b->hmask);
  for (int e = 0; e < LB_QK_K; e++)
    b->hmask[e % 32] |= ((L[e] >> 2) & 1) << (e / 32);
  lb_quant_pack_2bit (L, b->qs);
}

void
lb_quant_q3_k_from_float (const float *src, void *dst, gint64 n, const float *importance)
{
  LbBlockQ3_K *b = dst;

  for (gint64 i = 0; i < n / LB_QK_K; i++)
    q3k_block (src + i * LB_QK_K, importance ? importance + i * LB_QK_K : NULL, &b[i]);
}

void
lb_quant_q3_k_vec_dot (gint64 n, float *result, const void *vx, const void *vy)
{
  const LbBlockQ3_K *x = vx;
  const LbBlockQ8_K *y = vy;
  guint8 L[LB_QK_K];
  float sum = 0;

  for (gint64 i = 0; i < n / LB_QK_K; i++)
    {
      int isum = 0;

      q3k_unpack_levels (&x[i], L);
      for (int j = 0; j < 16; j++)
        {
          int s = 0;
          for (int l = 0; l < 16; l++)
            s += (L[16 * j + l] - 4) * y[i].qs[16 * j + l];
          isum += (lb_quant_q3k_get_scale (j, x[i].scales) - 32) * s;
        }
      sum += lb_quant_half (x[i].d) * y[i].d * isum;
    }
  *result = sum;
}
