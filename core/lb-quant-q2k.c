/* lb-quant-q2k.c: Q2_K, super-blocks of 256 in 16 sub-blocks of 16 with
 * 2-bit levels, x = d * sc * q - dmin * m, sc and m 4-bit. */
#include "lb-quant-private.h"

/* the 256 levels and each sub-block's scale and min factors */
static void
q2k_unpack (const LbBlockQ2_K *b, guint8 *L, float *dl, float *ml)
{
  float d = lb_quant_half (b->d), dmin = lb_quant_half (b->dmin);

  lb_quant_unpack_2bit (b->qs, L);
  for (int j = 0; j < 16; j++)
    {
      dl[j] = d * (b->scales[j] & 0x0f);
      ml[j] = dmin * (b->scales[j] >> 4);
    }
}

void
lb_quant_q2_k_to_float (const void *src, float *dst, gint64 n)
{
  const LbBlockQ2_K *b = src;
  guint8 L[LB_QK_K];
  float dl[16], ml[16];

  for (gint64 i = 0; i < n / LB_QK_K; i++, dst += LB_QK_K)
    {
      q2k_unpack (&b[i], L, dl, ml);
      for (int e = 0; e < LB_QK_K; e++)
        dst[e] = dl[e / 16] * L[e] - ml[e / 16];
    }
}

static void
q2k_block (const float *x, const float *imp, LbBlockQ2_K *b)
{
  guint8 L[LB_QK_K], Ls[16], Lm[16];
  float scales[16], mins[16], sw[16], w[16];
  float sigma2 = lb_quant_sum_squares (x, LB_QK_K) / LB_QK_K;
  float d, dmin;

  for (int j = 0; j < 16; j++)
    {
      const float *xs = x + 16 * j;
      sw[j] = 0;
      for (int l = 0; l < 16; l++)
        {
          /* emphasise large weights; importance multiplies in */
          w[l] = sqrtf (sigma2 + xs[l] * xs[l]) * (imp ? imp[16 * j + l] : 1.0f);
          sw[j] += w[l];
        }
      scales[j] = lb_quant_fit_affine (16, 3, xs, w, -0.9f, 0.05f, 36, L + 16 * j, &mins[j]);
      if (!(scales[j] > 0))
        scales[j] = 0;
    }

  d = lb_quant_fit_positive (16, 15, scales, sw, Ls);
  dmin = lb_quant_fit_positive (16, 15, mins, sw, Lm);
  b->d = lb_quant_to_half (d);
  b->dmin = lb_quant_to_half (dmin);
  d = lb_quant_half (b->d);
  dmin = lb_quant_half (b->dmin);

  /* final levels: nearest for the scales as stored */
  for (int j = 0; j < 16; j++)
    {
      float dl = d * Ls[j], ml = dmin * Lm[j];
      b->scales[j] = (guint8) (Ls[j] | (Lm[j] << 4));
      for (int l = 0; l < 16; l++)
        L[16 * j + l] = dl != 0
          ? (guint8) lb_quant_clamp (lb_quant_nearest_int ((x[16 * j + l] + ml) / dl), 0, 3)
          : 0;
    }
  lb_quant_pack_2bit (L, b->qs);
}

void
lb_quant_q2_k_from_float (const float *src, void *dst, gint64 n, const float *importance)
{
  LbBlockQ2_K *b = dst;

  for (gint64 i = 0; i < n / LB_QK_K; i++)
    q2k_block (src + i * LB_QK_K, importance ? importance + i * LB_QK_K : NULL, &b[i]);
}

void
lb_quant_q2_k_vec_dot (gint64 n, float *result, const void *vx, const void *vy)
{
  const LbBlockQ2_K *x = vx;
  const LbBlockQ8_K *y = vy;
  guint8 L[LB_QK_K];
  float sum = 0;

  for (gint64 i = 0; i < n / LB_QK_K; i++)
    {
      int isum = 0, msum = 0;

      lb_quant_unpack_2bit (x[i].qs, L);
      for (int j = 0; j < 16; j++)
        {
          int s = 0;
          for (int l = 0; l < 16; l++)
            s += L[16 * j + l] * y[i].qs[16 * j + l];
          isum += (x[i].scales[j] & 0x0f) * s;
          msum += (x[i].scales[j] >> 4) * y[i].bsums[j];
        }
      sum += y[i].d * (lb_quant_half (x[i].d) * isum - lb_quant_half (x[i].dmin) * msum);
    }
  *result = sum;
}
