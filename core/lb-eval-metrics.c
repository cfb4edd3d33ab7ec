/* lb-eval-metrics.c: per-position math of the evaluation.
 *
 * Float vs double matters here: to agree with llama.cpp's perplexity tool to
 * rounding, sums of exponentials run in double, while the log-sum-exp, the
 * stored log-probabilities and each KL term's product are float, as there. */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lb-eval-metrics.h"

gboolean
lb_eval_sanitize_logits (float *x, gsize n)
{
  gboolean changed = FALSE, any_pos_inf = FALSE, any_usable = FALSE;

  for (gsize i = 0; i < n; i++)
    {
      if (isnan (x[i]))
        {
          x[i] = -INFINITY;
          changed = TRUE;
        }
      if (isinf (x[i]) && x[i] > 0)
        any_pos_inf = TRUE;
      else if (isfinite (x[i]))
        any_usable = TRUE;
    }
  if (any_pos_inf)
    {
      for (gsize i = 0; i < n; i++)
        x[i] = isinf (x[i]) && x[i] > 0 ? 0.0f : -INFINITY;
      return TRUE;
    }
  if (!any_usable)
    {
      for (gsize i = 0; i < n; i++)
        x[i] = 0.0f;
      return TRUE;
    }
  return changed;
}

void
lb_eval_log_softmax (const float *x, gsize n, double *out)
{
  double max = -INFINITY, sum = 0.0, lse;

  for (gsize i = 0; i < n; i++)
    if (isfinite (x[i]) && x[i] > max)
      max = x[i];
  if (!isfinite (max))
    {
      /* nothing usable: the sanitizer's convention, uniform */
      for (gsize i = 0; i < n; i++)
        out[i] = -log ((double) n);
      return;
    }
  for (gsize i = 0; i < n; i++)
    if (isfinite (x[i]))
      sum += exp ((double) x[i] - max);
  lse = max + log (sum);
  for (gsize i = 0; i < n; i++)
    out[i] = isfinite (x[i]) ? (double) x[i] - lse : -INFINITY;
}

double
lb_eval_kl_divergence (const double *log_p, const double *log_q, gsize n)
{
  double sum = 0.0;

  for (gsize i = 0; i < n; i++)
    {
      if (isinf (log_p[i]) && log_p[i] < 0)
        continue;
      if (isinf (log_q[i]) && log_q[i] < 0)
        return INFINITY;
      sum += exp (log_p[i]) * (log_p[i] - log_q[i]);
    }
  return sum;
}

/* ---- top-k ------------------------------------------------------------------- */

/* Keeps vals/top sorted best first. Called with ascending i, so an equal
 * value never displaces an earlier index: ties go to the lower id. */
static void
top_k_push (float *vals, guint32 *top, guint *filled, guint k, float v, guint32 i)
{
  guint pos;

  if (isnan (v))
    v = -INFINITY;
  if (*filled == k && !(v > vals[k - 1]))
    return;
  pos = *filled < k ? (*filled)++ : k - 1;
  while (pos > 0 && v > vals[pos - 1])
    {
      vals[pos] = vals[pos - 1];
      top[pos] = top[pos - 1];
      pos--;
    }
  vals[pos] = v;
  top[pos] = i;
}

void
lb_eval_top_k (const float *x, gsize n, guint k, guint32 *top)
{
  float vals[64];
  guint filled = 0;

  g_return_if_fail (k <= G_N_ELEMENTS (vals) && k <= n);
  for (gsize i = 0; i < n && k > 0; i++)
    top_k_push (vals, top, &filled, k, x[i], (guint32) i);
}

void
lb_eval_top_k_u16 (const guint16 *x, gsize n, guint k, guint32 *top)
{
  float vals[64];
  guint filled = 0;

  g_return_if_fail (k <= G_N_ELEMENTS (vals) && k <= n);
  for (gsize i = 0; i < n && k > 0; i++)
    top_k_push (vals, top, &filled, k, (float) x[i], (guint32) i);
}

guint
lb_eval_top_k_overlap (const guint32 *a, const guint32 *b, guint k)
{
  guint n = 0;

  for (guint i = 0; i < k; i++)
    for (guint j = 0; j < k; j++)
      if (a[i] == b[j])
        {
          n++;
          break;
        }
  return n;
}

/* ---- logit errors -------------------------------------------------------- */

void
lb_eval_logit_errors (const float *a, const float *b, gsize n,
                      double *sse, double *cosine, float *max_abs)
{
  double s = 0.0, dot = 0.0, na = 0.0, nb = 0.0;
  float mx = 0.0f;
  gboolean nonfinite_diff = FALSE, nonfinite_value = FALSE;

  for (gsize i = 0; i < n; i++)
    {
      double d;

      if (!isfinite (a[i]) || !isfinite (b[i]))
        {
          nonfinite_value = TRUE;
          if (a[i] != b[i])
            nonfinite_diff = TRUE;
          continue;
        }
      d = (double) a[i] - (double) b[i];
      s += d * d;
      mx = MAX (mx, (float) fabs (d));
      dot += (double) a[i] * b[i];
      na += (double) a[i] * a[i];
      nb += (double) b[i] * b[i];
    }
  *sse = nonfinite_diff ? INFINITY : s;
  *max_abs = nonfinite_diff ? INFINITY : mx;
  if (nonfinite_value)
    *cosine = NAN;
  else if (na == 0.0 && nb == 0.0)
    *cosine = 1.0;
  else if (na == 0.0 || nb == 0.0)
    *cosine = 0.0;
  else
    *cosine = CLAMP (dot / sqrt (na * nb), -1.0, 1.0);
}

/* ---- the clipped 16-bit reference ------------------------------------- */

void
lb_eval_base_quantize (const float *logits, gsize n, guint16 *q, float *scale,
                       float *min_log_prob)
{
  float max_logit = logits[0], min_logit = logits[0];
  double sum_exp = 0.0;
  float log_sum_exp, s;

  for (gsize i = 1; i < n; i++)
    {
      max_logit = MAX (max_logit, logits[i]);
      min_logit = MIN (min_logit, logits[i]);
    }
  min_logit = MAX (min_logit, max_logit - LB_EVAL_CLIP_NATS);
  for (gsize i = 0; i < n; i++)
    sum_exp += expf (logits[i] - max_logit);
  log_sum_exp = (float) log (sum_exp);
  *min_log_prob = min_logit - max_logit - log_sum_exp;
  s = (max_logit - min_logit) / 65535.0f;
  *scale = s;
  if (s == 0.0f)
    {
      memset (q, 0, n * sizeof *q);
      return;
    }
  for (gsize i = 0; i < n; i++)
    {
      /* round half to even, as a float, like the tool's nearest_int */
      float v = logits[i] > min_logit ? nearbyintf ((1.0f / s) * (logits[i] - min_logit)) : 0.0f;
      q[i] = (guint16) CLAMP (v, 0.0f, 65535.0f);
    }
}

float
lb_eval_base_log_prob (float scale, float min_log_prob, guint16 q)
{
  return scale * (float) q + min_log_prob;
}

gboolean
lb_eval_base_is_kept (float log_prob)
{
  return log_prob > -LB_EVAL_CLIP_NATS;
}

void
lb_eval_base_pos_from_q (LbEvalBasePos *pos, const guint16 *q, gsize n, float scale,
                         float min_log_prob, gint32 target, guint32 *kept_ids, guint16 *kept_q)
{
  guint k = 0;

  pos->scale = scale;
  pos->min_log_prob = min_log_prob;
  pos->q_target = target >= 0 && (gsize) target < n ? q[target] : 0;
  pos->n_top = (guint) MIN ((gsize) LB_EVAL_TOP_K, n);
  lb_eval_top_k_u16 (q, n, pos->n_top, pos->top);
  for (gsize i = 0; i < n; i++)
    if (lb_eval_base_is_kept (lb_eval_base_log_prob (scale, min_log_prob, q[i])))
      {
        kept_ids[k] = (guint32) i;
        kept_q[k] = q[i];
        k++;
      }
  pos->n_kept = k;
  pos->kept_ids = kept_ids;
  pos->kept_q = kept_q;
}

/* q of a kept token, by binary search over the ascending ids */
static gboolean
base_q_of (const LbEvalBasePos *base, guint32 id, guint16 *q)
{
  guint lo = 0, hi = base->n_kept;

  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;

      if (base->kept_ids[mid] < id)
        lo = mid + 1;
      else
        hi = mid;
    }
  if (lo < base->n_kept && base->kept_ids[lo] == id)
    {
      *q = base->kept_q[lo];
      return TRUE;
    }
  return FALSE;
}

/* Whether id ranks with the base's top-k: one of its ids, or stored with a
 * 16-bit code no lower than the k-th one's (a tie the rounding made). */
static gboolean
in_base_top (const LbEvalBasePos *base, guint k, guint32 id)
{
  guint16 q, q_last;

  for (guint i = 0; i < k; i++)
    if (base->top[i] == id)
      return TRUE;
  return base_q_of (base, id, &q) && base_q_of (base, base->top[k - 1], &q_last) && q >= q_last;
}

void
lb_eval_compare_position (const float *logits, gsize n, const LbEvalBasePos *base,
                          gint32 target, LbEvalPosResult *out)
{
  float max_logit = logits[0], log_sum_exp, lmax, p, p_base;
  gsize imax = 0;
  double sum_exp = 0.0, kld = 0.0;
  guint32 top[LB_EVAL_TOP_K];

  for (gsize i = 1; i < n; i++)
    if (logits[i] > max_logit)
      {
        max_logit = logits[i];
        imax = i;
      }
  for (gsize i = 0; i < n; i++)
    sum_exp += expf (logits[i] - max_logit);
  log_sum_exp = (float) log (sum_exp);

  out->nll = max_logit + log_sum_exp - logits[target];
  out->nll_base = -lb_eval_base_log_prob (base->scale, base->min_log_prob, base->q_target);

  lmax = max_logit + log_sum_exp;
  for (guint j = 0; j < base->n_kept; j++)
    {
      float lp = lb_eval_base_log_prob (base->scale, base->min_log_prob, base->kept_q[j]);
      float pb = expf (lp);
      float term = pb * (lp - logits[base->kept_ids[j]] + lmax);

      kld += term;
    }
  out->kld = kld;
  out->same_top = base->n_top > 0 && in_base_top (base, 1, (guint32) imax);

  p_base = expf (-out->nll_base);
  p = expf (-out->nll);
  out->p_diff = p - p_base;

  lb_eval_top_k (logits, n, base->n_top, top);
  out->top_overlap = 0;
  for (guint i = 0; i < base->n_top; i++)
    out->top_overlap += in_base_top (base, base->n_top, top[i]) ? 1 : 0;
}

/* ---- summaries ----------------------------------------------------------- */

float
lb_eval_percentile (const float *sorted, gsize n, float fraction)
{
  float p;
  gsize ip;

  if (n == 0)
    return NAN;
  if (fraction <= 0.0f)
    return sorted[0];
  if (fraction >= 1.0f)
    return sorted[n - 1];
  p = fraction * (float) (n - 1);
  ip = (gsize) p;
  p -= (float) ip;
  return (1.0f - p) * sorted[ip] + p * sorted[MIN (ip + 1, n - 1)];
}

float
lb_eval_median (const float *sorted, gsize n)
{
  if (n == 0)
    return NAN;
  if (n % 2 == 0)
    return 0.5f * (sorted[n / 2] + sorted[n / 2 - 1]);
  return sorted[n / 2];
}

static int
cmp_float_nan_last (const void *pa, const void *pb)
{
  float a = *(const float *) pa, b = *(const float *) pb;

  if (isnan (a) || isnan (b))
    return isnan (a) - isnan (b);
  return (a > b) - (a < b);
}

void
lb_eval_sort_floats (float *values, gsize n)
{
  if (n > 1)
    qsort (values, n, sizeof *values, cmp_float_nan_last);
}

void
lb_eval_mean_and_error (double sum, double sum2, guint64 count, double *mean, double *error)
{
  double f, df;

  if (count == 0)
    {
      *mean = NAN;
      *error = NAN;
      return;
    }
  f = sum / (double) count;
  df = sum2 / (double) count - f * f;
  *mean = f;
  *error = df > 0 && count > 10 ? sqrt (df / (double) (count - 1)) : 0.0;
}
