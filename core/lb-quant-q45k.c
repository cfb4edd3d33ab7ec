/* lb-quant-q45k.c: Q4_K and Q5_K, super-blocks of 256 in 8 sub-blocks of
 * 32, x = d * sc * q - dmin * m with 6-bit sc and m; q has 4 or 5 bits. */
#include "lb-quant-private.h"

/* sub-block scale and min factors */
static void
k4_factors (guint16 hd, guint16 hdmin, const guint8 *scales, float *dl, float *ml)
{
  float d = lb_quant_half (hd), dmin = lb_quant_half (hdmin);

  for (int j = 0; j < 8; j++)
    {
      guint8 sc, m;
      lb_quant_k4_get_scale_min (j, scales, &sc, &m);
      dl[j] = d * sc;
      ml[j] = dmin * m;
    }
}

/* element e = 64 c + 32 h + l has its low four bits in nibble h of qs[32 c + l] */
static void
q4k_unpack_levels (const guint8 *qs, guint8 *L)
{
  for (int c = 0; c < 4; c++)
    for (int l = 0; l < 32; l++)
      {
        L[64 * c + l] = qs[32 * c + l] & 0x0f;
        L[64 * c + 32 + l] = qs[32 * c + l] >> 4;
      }
}

static void
q4k_pack_levels (const guint8 *L, guint8 *qs)
{
  for (int c = 0; c < 4; c++)
    for (int l = 0; l < 32; l++)
      qs[32 * c + l] = (guint8) ((L[64 * c + l] & 0x0f) | ((L[64 * c + 32 + l] & 0x0f) << 4));
}

static void
q5k_unpack_levels (const LbBlockQ5_K *b, guint8 *L)
{
  q4k_unpack_levels (b->qs, L);
  for (int e = 0; e < LB_QK_K; e++)
    L[e] |= ((b->qh[e % 32] >> (e / 32)) & 1) << 4;
}

/* Shared quantizer: levels 0..nmax per element, scale and min per
 * sub-block searched under weights, the 8 scales and 8 mins then put on
 * 6-bit levels under the two super-scales, and the elements re-rounded for
 * the scales as stored. */
static void
k45_block (const float *x, const float *imp, int nmax,
           guint16 *hd, guint16 *hdmin, guint8 *scales, guint8 *L)
{
  guint8 Ls[8], Lm[8];
  float sc[8], mins[8], sw[8], w[32];
  float sigma2 = 2 * lb_quant_sum_squares (x, LB_QK_K) / LB_QK_K;
  float av = sqrtf (sigma2);
  float dl[8], ml[8];

  for (int j = 0; j < 8; j++)
    {
      const float *xs = x + 32 * j;
      sw[j] = 0;
      for (int l = 0; l < 32; l++)
        {
          w[l] = imp ? imp[32 * j + l] * sqrtf (sigma2 + xs[l] * xs[l]) : av + fabsf (xs[l]);
          sw[j] += w[l];
        }
      sc[j] = lb_quant_fit_affine (32, nmax, xs, w, -0.9f, 0.05f, 36, L + 32 * j, &mins[j]);
      if (!(sc[j] > 0))
        sc[j] = 0;
    }

  *hd = lb_quant_to_half (lb_quant_fit_positive (8, 63, sc, sw, Ls));
  *hdmin = lb_quant_to_half (lb_quant_fit_positive (8, 63, mins, sw, Lm));
  lb_quant_k4_pack_scales (Ls, Lm, scales);
  k4_factors (*hd, *hdmin, scales, dl, ml);

  for (int j = 0; j < 8; j++)
    for (int l = 0; l < 32; l++)
      L[32 * j + l] = dl[j] != 0
        ? (guint8) lb_quant_clamp (lb_quant_nearest_int ((x[32 * j + l] + ml[j]) / dl[j]), 0, nmax)
        : 0;
}

/* ---- Q4_K ---------------------------------------------------------------- */

void
lb_quant_q4_k_to_float (const void *src, float *dst, gint64 n)
{
  const LbBlockQ4_K *b = src;
  guint8 L[LB_QK_K];
  float dl[8], ml[8];

  for (gint64 i = 0; i < n / LB_QK_K; i++, dst += LB_QK_K)
    {
      k4_factors (b[i].d, b[i].dmin, b[i].scales, dl, ml);
      q4k_unpack_levels (b[i].qs, L);
      for (int e = 0; e < LB_QK_K; e++)
        dst[e] = dl[e / 32] * L[e] - ml[e / 32];
    }
}

void
lb_quant_q4_k_from_float (const float *src, void *dst, gint64 n, const float *importance)
{
  LbBlockQ4_K *b = dst;
  guint8 L[LB_QK_K];

  for (gint64 i = 0; i < n / LB_QK_K; i++)
    {
      k45_block (src + i * LB_QK_K, importance ? importance + i * LB_QK_K : NULL, 15,
                 &b[i].d, &b[i].dmin, b[i].scales, L);
      q4k_pack_levels (L, b[i].qs);
    }
}

/* sum over sub-blocks of sc * sum(q y) and of m * sum(y) */
static float
k45_dot (const LbBlockQ8_K *y, guint16 hd, guint16 hdmin, const guint8 *scales, const guint8 *L)
{
  int isum = 0, msum = 0;

  for (int j = 0; j < 8; j++)
    {
      guint8 sc, m;
      int s = 0;
      lb_quant_k4_get_scale_min (j, scales, &sc, &m);
      for (int l = 0; l < 32; l++)
        s += L[32 * j + l] * y->qs[32 * j + l];
      isum += sc * s;
      msum += m * (y->bsums[2 * j] + y->bsums[2 * j + 1]);
    }
  return y->d * (lb_quant_half (hd) * isum - lb_quant_half (hdmin) * msum);
}

void
lb_quant_q4_k_vec_dot (gint64 n, float *result, const void *vx, const void *vy)
{
  const LbBlockQ4_K *x = vx;
  const LbBlockQ8_K *y = vy;
  guint8 L[LB_QK_K];
  float sum = 0;

  for (gint64 i = 0; i < n / LB_QK_K; i++)
    {
      q4k_unpack_levels (x[i].qs, L);
      sum += k45_dot (&y[i], x[i].d, x[i].dmin, x[i].scales, L);
    }
  *result = sum;
}

/* ---- Q5_K ---------------------------------------------------------------- */

void
lb_quant_q5_k_to_float (const void *src, float *dst, gint64 n)
{
  const LbBlockQ5_K *b = src;
  guint8 L[LB_QK_K];
  float dl[8], ml[8];

  for (gint64 i = 0; i < n / LB_QK_K; i++, dst += LB_QK_K)
    {
      k4_factors (b[i].d, b[i].dmin, b[i].scales, dl, ml);
      q5k_unpack_levels (&b[i], L);
      for (int e = 0; e < LB_QK_K; e++)
        dst[e] = dl[e / 32] * L[e] - ml[e / 32];
    }
}

void
lb_quant_q5_k_from_float (const float *src, void *dst, gint64 n, const float *importance)
{
  LbBlockQ5_K *b = dst;
  guint8 L[LB_QK_K];

  for (gint64 i = 0; i < n / LB_QK_K; i++)
    {
      k45_block (src + i * LB_QK_K, importance ? importance + i * LB_QK_K : NULL, 31,
                 &b[i].d, &b[i].dmin, b[i].scales, L);
      q4k_pack_levels (L, b[i].qs);
      memset (b[i].qh, 0, sizeof b[i].qh);
      for (int e = 0; e < LB_QK_K; e++)
        b[i].qh[e % 32] |= ((L[e] >> 4) & 1) << (e / 32);
    }
}

void
lb_quant_q5_k_vec_dot (gint64 n, float *result, const void *vx, const void *vy)
{
  const LbBlockQ5_K *x = vx;
  const LbBlockQ8_K *y = vy;
  guint8 L[LB_QK_K];
  float sum = 0;

  for (gint64 i = 0; i < n / LB_QK_K; i++)
    {
      q5k_unpack_levels (&x[i], L);
      sum += k45_dot (&y[i], x[i].d, x[i].dmin, x[i].scales, L);
    }
  *result = sum;
}
