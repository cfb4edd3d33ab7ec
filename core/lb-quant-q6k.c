/* lb-quant-q6k.c: Q6_K, super-blocks of 256 in 16 sub-blocks of 16 with
 * 6-bit symmetric levels (-32..31), x = d * sc * l, sc a signed byte. */
#include "lb-quant-private.h"

/* levels as stored, 0..63 (the value is level - 32) */
static void
q6k_unpack_levels (const LbBlockQ6_K *b, guint8 *L)
{
  for (int h = 0; h < 2; h++)
    {
      const guint8 *ql = b->ql + 64 * h, *qh = b->qh + 32 * h;
      guint8 *o = L + 128 * h;
      for (int l = 0; l < 32; l++)
        {
          o[l] = (ql[l] & 0x0f) | (((qh[l] >> 0) & 3) << 4);
          o[l + 32] = (ql[l + 32] & 0x0f) | (((qh[l] >> 2) & 3) << 4);
          o[l + 64] = (ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4);
          o[l + 96] = (ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4);
        }
    }
}

static void
q6k_pack_levels (const guint8 *L, LbBlockQ6_K *b)
{
  for (int h = 0; h < 2; h++)
    {
      guint8 *ql = b->ql + 64 * h, *qh = b->qh + 32 * h;
      const guint8 *e = L + 128 * h;
      for (int l = 0; l < 32; l++)
        {
          ql[l] = (guint8) ((e[l] & 0x0f) | ((e[l + 64] & 0x0f) << 4));
          ql[l + 32] = (guint8) ((e[l + 32] & 0x0f) | ((e[l + 96] & 0x0f) << 4));
          qh[l] = (guint8) (((e[l] >> 4) & 3) | (((e[l + 32] >> 4) & 3) << 2)
                            | (((e[l + 64] >> 4) & 3) << 4) | (((e[l + 96] >> 4) & 3) << 6));
        }
    }
}

void
lb_quant_q6_k_to_float (const void *src, float *dst, gint64 n)
{
  const LbBlockQ6_K *b = src;
  guint8 L[LB_QK_K];

  for (gint64 i = 0; i < n / LB_QK_K; i++, dst += LB_QK_K)
    {
      float d = lb_quant_half (b[i].d);
      q6k_unpack_levels (&b[i], L);
      for (int j = 0; j < 16; j++)
        {
          float dl = d * b[i].scales[j];
          for (int l = 0; l < 16; l++)
            dst[16 * j + l] = dl * (L[16 * j + l] - 32);
        }
    }
}

/* Without importance this follows llama.cpp's reference (x^2 weights, the
 * sub-block scales rounded against the largest one), so plain files match
 * its blocks; with importance the weights are the importance itself, the
 * levels are polished and the sub-block scales are fitted under weights. */
static void
q6k_block (const float *x, const float *imp, LbBlockQ6_K *b)
{
  guint8 L[LB_QK_K], Ls[16];
  float scales[16], sw[16], w[16];
  float amax = 0, max = 0, d;

  for (int j = 0; j < 16; j++)
    {
      const float *xs = x + 16 * j;
      sw[j] = 0;
      for (int l = 0; l < 16; l++)
        {
          w[l] = imp ? imp[16 * j + l] : xs[l] * xs[l];
          sw[j] += w[l];
        }
      scales[j] = lb_quant_fit_symmetric (16, 32, xs, w, 9, imp != NULL, L + 16 * j);
      if (fabsf (scales[j]) > amax)
        {
          amax = fabsf (scales[j]);
          max = scales[j];
        }
    }

  if (amax < LB_QUANT_EPS)
    {
      memset (b, 0, sizeof *b);
      return;
    }

  if (imp)
    {
      /* levels -128..127 under the weights of each sub-block */
      d = lb_quant_fit_symmetric (16, 128, scales, sw, 4, TRUE, Ls);
      b->d = lb_quant_to_half (d);
      for (int j = 0; j < 16; j++)
        b->scales[j] = (gint8) (Ls[j] - 128);
    }
  else
    {
      float iscale = -128.0f / max;
      b->d = lb_quant_to_half (1 / iscale);
      for (int j = 0; j < 16; j++)
        b->scales[j] = (gint8) lb_quant_clamp (lb_quant_nearest_int (iscale * scales[j]), -128, 127);
    }

  d = lb_quant_half (b->d);
  for (int j = 0; j < 16; j++)
    {
      float dl = d * b->scales[j];
      /* a zero scale decodes to zeros whatever the levels: keep the
       * searched ones (as llama.cpp does) */
      if (dl == 0)
        continue;
      for (int l = 0; l < 16; l++)
        L[16 * j + l] = (guint8) (lb_quant_clamp (lb_quant_nearest_int (x[16 * j + l] / dl), -32, 31) + 32);
    }
  q6k_pack_levels (L, b);
}

void
lb_quant_q6_k_from_float (const float *src, void *dst, gint64 n, const float *importance)
{
  LbBlockQ6_K *b = dst;

  for (gint64 i = 0; i < n / LB_QK_K; i++)
    q6k_block (src + i * LB_QK_K, importance ? importance + i * LB_QK_K : NULL, &b[i]);
}

void
lb_quant_q6_k_vec_dot (gint64 n, float *result, const void *vx, const void *vy)
{
  const LbBlockQ6_K *x = vx;
  const LbBlockQ8_K *y = vy;
  guint8 L[LB_QK_K];
  float sum = 0;

  for (gint64 i = 0; i < n / LB_QK_K; i++)
    {
      int isum = 0;

      q6k_unpack_levels (&x[i], L);
      for (int j = 0; j < 16; j++)
        {
          int s = 0;
          for (int l = 0; l < 16; l++)
            s += (L[16 * j + l] - 32) * y[i].qs[16 * j + l];
          isum += x[i].scales[j] * s;
        }
      sum += lb_quant_half (x[i].d) * y[i].d * isum;
    }
  *result = sum;
}
