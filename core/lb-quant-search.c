/* lb-quant-search.c: weighted scale searches shared by the quantizers.
 *
 * Every quantizer reduces a group of values to integer levels times a scale
 * (plus a min for the affine formats). Rounding to nearest with the scale
 * that maps the extreme value to the extreme level is rarely optimal; these
 * searches try a few nearby scales, refit the scale (and min) by weighted
 * least squares for each trial's levels and keep the best. The weights carry
 * the importance of each column. */
#include "lb-quant-private.h"

const gint8 lb_quant_iq4nl_values[16] = {
  -127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113,
};

gboolean
lb_quant_check_finite (const float *x, gint64 n, gint64 *bad_index)
{
  for (gint64 i = 0; i < n; i++)
    if (!isfinite (x[i]))
      {
        if (bad_index)
          *bad_index = i;
        return FALSE;
      }
  return TRUE;
}

int
lb_quant_iq4nl_index (float x)
{
  const gint8 *v = lb_quant_iq4nl_values;
  int lo = 0, hi = 15;

  if (!(x > v[0]))   /* also NaN */
    return 0;
  if (x >= v[15])
    return 15;
  /* invariant: v[lo] < x < v[hi] or x == v[lo] */
  while (hi - lo > 1)
    {
      int mid = (lo + hi) / 2;
      if (x < v[mid])
        hi = mid;
      else
        lo = mid;
    }
  return x - v[lo] < v[hi] - x ? lo : hi;
}

/* levels of one trial inverse scale; returns the weighted sums */
static void
symmetric_trial (int n, int nmax, const float *x, const float *w, float iscale,
                 int *lv, float *sumlx, float *suml2)
{
  float slx = 0, sl2 = 0;

  for (int i = 0; i < n; i++)
    {
      int l = lb_quant_clamp (lb_quant_nearest_int (iscale * x[i]), -nmax, nmax - 1);
      lv[i] = l;
      slx += w[i] * x[i] * l;
      sl2 += w[i] * l * l;
    }
  *sumlx = slx;
  *suml2 = sl2;
}

float
lb_quant_fit_symmetric (int n, int nmax, const float *x, const float *w,
                        int ntry, gboolean refine, guint8 *L)
{
  int lv[256], best_lv[256];
  float amax = 0, max = 0;
  float sumlx, suml2, scale, best;

  g_assert (n <= 256);

  for (int i = 0; i < n; i++)
    if (fabsf (x[i]) > amax)
      {
        amax = fabsf (x[i]);
        max = x[i];
      }
  if (amax < LB_QUANT_EPS || !isfinite (amax))
    {
      memset (L, nmax, n);
      return 0.0f;
    }

  symmetric_trial (n, nmax, x, w, -nmax / max, best_lv, &sumlx, &suml2);
  if (suml2 > 0)
    {
      scale = sumlx / suml2;
      best = scale * sumlx;
    }
  else
    {
      /* every weight zero: keep plain rounding unless a trial does better */
      scale = -max / nmax;
      sumlx = suml2 = best = 0;
    }

  /* best = sumlx^2 / suml2 is what the least-squares scale removes from
   * sum w x^2: the larger, the smaller the error */
  for (int k = -ntry; k <= ntry; k++)
    {
      float slx, sl2;
      if (k == 0)
        continue;
      symmetric_trial (n, nmax, x, w, -(nmax + 0.1f * k) / max, lv, &slx, &sl2);
      if (sl2 > 0 && slx * slx > best * sl2)
        {
          memcpy (best_lv, lv, n * sizeof (int));
          sumlx = slx;
          suml2 = sl2;
          scale = slx / sl2;
          best = scale * slx;
        }
    }

  /* move one level at a time to the best level for the scale the other
   * levels imply, keeping the move when the fit improves */
  for (int pass = 0; refine && suml2 > 0 && pass < 5; pass++)
    {
      int changed = 0;
      for (int i = 0; i < n; i++)
        {
          float slx = sumlx - w[i] * x[i] * best_lv[i];
          float sl2 = suml2 - w[i] * best_lv[i] * best_lv[i];
          int l;

          if (!(slx != 0 && sl2 > 0))
            continue;
          l = lb_quant_clamp (lb_quant_nearest_int (x[i] * sl2 / slx), -nmax, nmax - 1);
          if (l == best_lv[i])
            continue;
          slx += w[i] * x[i] * l;
          sl2 += w[i] * l * l;
          if (sl2 > 0 && slx * slx * suml2 > sumlx * sumlx * sl2)
            {
              best_lv[i] = l;
              sumlx = slx;
              suml2 = sl2;
              changed++;
            }
        }
      scale = suml2 > 0 ? sumlx / suml2 : 0;
      if (!changed)
        break;
    }

  for (int i = 0; i < n; i++)
    L[i] = (guint8) (best_lv[i] + nmax);
  return scale;
}

static float
affine_error (int n, const float *x, const float *w, const guint8 *L, float scale, float min)
{
  float err = 0;
  for (int i = 0; i < n; i++)
    {
      float d = scale * L[i] + min - x[i];
      err += w[i] * d * d;
    }
  return err;
}

/* weighted least-squares scale and min for fixed levels; min kept <= 0.
 * FALSE when the levels do not determine them. */
static gboolean
affine_fit (int n, const float *x, const float *w, const guint8 *L,
            float sum_w, float sum_x, float *scale, float *min)
{
  float sum_l = 0, sum_l2 = 0, sum_xl = 0, det;

  for (int i = 0; i < n; i++)
    {
      sum_l += w[i] * L[i];
      sum_l2 += w[i] * L[i] * L[i];
      sum_xl += w[i] * L[i] * x[i];
    }
  det = sum_w * sum_l2 - sum_l * sum_l;
  if (!(det > 0))
    return FALSE;
  *scale = (sum_w * sum_xl - sum_x * sum_l) / det;
  *min = (sum_l2 * sum_x - sum_l * sum_xl) / det;
  if (*min > 0)
    {
      *min = 0;
      *scale = sum_xl / sum_l2;
    }
  return TRUE;
}

static void
affine_levels (int n, int nmax, const float *x, float iscale, float min, guint8 *L)
{
  for (int i = 0; i < n; i++)
    L[i] = (guint8) lb_quant_clamp (lb_quant_nearest_int (iscale * (x[i] - min)), 0, nmax);
}

float
lb_quant_fit_affine (int n, int nmax, const float *x, const float *w,
                     float rmin, float rdelta, int nstep,
                     guint8 *L, float *m_out)
{
  guint8 aux[256];
  float min = x[0], max = x[0];
  float sum_w = 0, sum_x = 0;
  float scale, best;

  g_assert (n <= 256);

  for (int i = 0; i < n; i++)
    {
      if (x[i] < min)
        min = x[i];
      if (x[i] > max)
        max = x[i];
      sum_w += w[i];
      sum_x += w[i] * x[i];
    }
  if (min > 0)
    min = 0;
  if (!(max > min) || !isfinite (max - min))
    {
      memset (L, 0, n);
      *m_out = isfinite (min) ? -min : 0;
      return 0.0f;
    }

  scale = (max - min) / nmax;
  affine_levels (n, nmax, x, 1 / scale, min, L);
  best = affine_error (n, x, w, L, scale, min);

  for (int k = 0; k <= nstep; k++)
    {
      float s, m, err;
      affine_levels (n, nmax, x, (nmax + rmin + rdelta * k) / (max - min), min, aux);
      if (!affine_fit (n, x, w, aux, sum_w, sum_x, &s, &m))
        continue;
      err = affine_error (n, x, w, aux, s, m);
      if (err < best)
        {
          memcpy (L, aux, n);
          best = err;
          scale = s;
          min = m;
        }
    }

  /* polish: re-round to the fitted scale and min, refit */
  for (int pass = 0; pass < 2 && scale > 0; pass++)
    {
      float s, m, err;
      affine_levels (n, nmax, x, 1 / scale, min, aux);
      if (memcmp (aux, L, n) == 0 || !affine_fit (n, x, w, aux, sum_w, sum_x, &s, &m))
        break;
      err = affine_error (n, x, w, aux, s, m);
      if (!(err < best))
        break;
      memcpy (L, aux, n);
      best = err;
      scale = s;
      min = m;
    }

  *m_out = -min;
  return scale;
}

static float
positive_error (int n, int nmax, const float *x, const float *w, float iscale)
{
  float err = 0;
  for (int i = 0; i < n; i++)
    {
      int l = lb_quant_clamp (lb_quant_nearest_int (iscale * x[i]), 0, nmax);
      float d = x[i] - l / iscale;
      err += w[i] * d * d;
    }
  return err;
}

float
lb_quant_fit_positive (int n, int nmax, const float *x, const float *w, guint8 *L)
{
  float max = 0, iscale, best_err = 0, sumlx = 0, suml2 = 0;

  g_assert (n <= 256);

  for (int i = 0; i < n; i++)
    if (x[i] > max)
      max = x[i];
  if (max < LB_QUANT_EPS || !isfinite (max))
    {
      memset (L, 0, n);
      return 0.0f;
    }

  /* pick, among nmax/max and nearby inverse scales, the one with the least
   * weighted error at its own scale */
  iscale = nmax / max;
  best_err = positive_error (n, nmax, x, w, iscale);
  for (int k = -4; k <= 4; k++)
    {
      float is = (nmax + 0.1f * k) / max, err;
      if (k == 0)
        continue;
      err = positive_error (n, nmax, x, w, is);
      if (err < best_err)
        {
          best_err = err;
          iscale = is;
        }
    }

  for (int i = 0; i < n; i++)
    {
      int l = lb_quant_clamp (lb_quant_nearest_int (iscale * x[i]), 0, nmax);
      L[i] = (guint8) l;
      sumlx += w[i] * x[i] * l;
      suml2 += w[i] * l * l;
    }

  for (int pass = 0; pass < 5; pass++)
    {
      int changed = 0;
      for (int i = 0; i < n; i++)
        {
          float slx = sumlx - w[i] * x[i] * L[i];
          float sl2 = suml2 - w[i] * L[i] * L[i];
          int l;
          if (!(slx > 0 && sl2 > 0))
            continue;
          l = lb_quant_clamp (lb_quant_nearest_int (x[i] * sl2 / slx), 0, nmax);
          if (l == L[i])
            continue;
          slx += w[i] * x[i] * l;
          sl2 += w[i] * l * l;
          if (slx * slx * suml2 > sumlx * sumlx * sl2)
            {
              L[i] = (guint8) l;
              sumlx = slx;
              suml2 = sl2;
              changed++;
            }
        }
      if (!changed)
        break;
    }
  if (suml2 > 0)
    return sumlx / suml2;
  /* every weight zero: plain rounding */
  for (int i = 0; i < n; i++)
    L[i] = (guint8) lb_quant_clamp (lb_quant_nearest_int (iscale * x[i]), 0, nmax);
  return 1 / iscale;
}

void
lb_quant_k4_pack_scales (const guint8 *sc, const guint8 *m, guint8 *s)
{
  for (int j = 0; j < 4; j++)
    {
      s[j] = (sc[j] & 63) | ((sc[j + 4] >> 4) << 6);
      s[j + 4] = (m[j] & 63) | ((m[j + 4] >> 4) << 6);
      s[j + 8] = (sc[j + 4] & 0x0f) | ((m[j + 4] & 0x0f) << 4);
    }
}

void
lb_quant_q3k_pack_scales (const guint8 *sc, guint8 *s)
{
  memset (s, 0, 12);
  for (int j = 0; j < 16; j++)
    {
      int v = sc[j] & 63;
      if (j < 8)
        s[j] |= v & 0x0f;
      else
        s[j - 8] |= (v & 0x0f) << 4;
      s[8 + j % 4] |= (v >> 4) << (2 * (j / 4));
    }
}
