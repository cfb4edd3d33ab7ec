/* lb-sampler.c: next-token choice from logits.
 *
 * Order of operations: temperature, then top-k, then top-p (nucleus), then a
 * draw from a seeded xoshiro256** generator. Everything the result depends on
 * is computed in double with a deterministic candidate order (logit
 * descending, id ascending on ties), so the same seed gives the same tokens
 * on every platform. */
#include "lb-sampler.h"

#include <math.h>

typedef struct {
  gint32 id;
  double logit;  /* logit / temperature */
  double p;
} Candidate;

struct _LbSampler {
  LbSamplerParams params;
  guint64         s[4];     /* xoshiro256** state */
  Candidate      *cand;
  guint           cand_len;
};

/* ---- PRNG ---------------------------------------------------------------- */

static guint64
splitmix64 (guint64 *x)
{
  guint64 z = (*x += G_GUINT64_CONSTANT (0x9e3779b97f4a7c15));
  z = (z ^ (z >> 30)) * G_GUINT64_CONSTANT (0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * G_GUINT64_CONSTANT (0x94d049bb133111eb);
  return z ^ (z >> 31);
}

static inline guint64
rotl (guint64 x, int k)
{
  return (x << k) | (x >> (64 - k));
}

static guint64
xoshiro_next (guint64 s[4])
{
  guint64 result = rotl (s[1] * 5, 7) * 9;
  guint64 t = s[1] << 17;

  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl (s[3], 45);
  return result;
}

/* uniform in [0, 1) with 53 random bits */
static double
next_double (LbSampler *sampler)
{
  return (double) (xoshiro_next (sampler->s) >> 11) * (1.0 / 9007199254740992.0);
}

/* ---- public -------------------------------------------------------------- */

LbSampler *
lb_sampler_new (const LbSamplerParams *params)
{
  LbSampler *sampler;
  guint64 x;

  g_return_val_if_fail (params != NULL, NULL);

  sampler = g_new0 (LbSampler, 1);
  sampler->params = *params;
  /* NaN or negative temperature: greedy; NaN top_p: off */
  if (!(sampler->params.temperature > 0.0f))
    sampler->params.temperature = 0.0f;
  if (isnan (sampler->params.top_p))
    sampler->params.top_p = 1.0f;

  x = params->seed;
  for (guint i = 0; i < 4; i++)
    sampler->s[i] = splitmix64 (&x);
  return sampler;
}

void
lb_sampler_free (LbSampler *sampler)
{
  if (sampler == NULL)
    return;
  g_free (sampler->cand);
  g_free (sampler);
}

gint32
lb_argmax (const float *x, guint n)
{
  gint32 best = -1;

  g_return_val_if_fail (x != NULL || n == 0, 0);

  for (guint i = 0; i < n; i++)
    {
      if (isnan (x[i]))
        continue;
      if (best < 0 || x[i] > x[best])
        best = (gint32) i;
    }
  /* all NaN (or n == 0): the lowest id */
  return best < 0 ? 0 : best;
}

static int
candidate_cmp (const void *a, const void *b)
{
  const Candidate *ca = a;
  const Candidate *cb = b;

  if (ca->logit > cb->logit)
    return -1;
  if (ca->logit < cb->logit)
    return 1;
  return ca->id < cb->id ? -1 : ca->id > cb->id;
}

/* The index into cand[0..n) chosen by a draw against unnormalized weights p. */
static guint
draw (LbSampler *sampler, const Candidate *cand, guint n)
{
  double total = 0.0;
  double r, acc = 0.0;

  for (guint i = 0; i < n; i++)
    total += cand[i].p;
  r = next_double (sampler) * total;
  for (guint i = 0; i < n; i++)
    {
      acc += cand[i].p;
      if (r < acc)
        return i;
    }
  /* rounding: the last candidate with a non-zero weight */
  for (guint i = n; i-- > 0;)
    if (cand[i].p > 0.0)
      return i;
  return 0;
}

gint32
lb_sampler_sample (LbSampler *sampler, const float *logits, guint n_vocab)
{
  const LbSamplerParams *p;
  double max = -INFINITY;
  gboolean has_pos_inf = FALSE;
  guint n = 0;
  gboolean truncate;

  g_return_val_if_fail (sampler != NULL, 0);
  g_return_val_if_fail (logits != NULL, 0);
  g_return_val_if_fail (n_vocab > 0, 0);

  p = &sampler->params;
  if (n_vocab == 1)
    return 0;
  if (p->temperature == 0.0f)
    return lb_argmax (logits, n_vocab);

  for (guint i = 0; i < n_vocab; i++)
    {
      if (isnan (logits[i]))
        continue;
      if (logits[i] > max)
        max = logits[i];
      if (isinf (logits[i]) && logits[i] > 0)
        has_pos_inf = TRUE;
    }
  /* nothing has a finite probability: every logit is -Inf or NaN */
  if (max == -INFINITY)
    return lb_argmax (logits, n_vocab);

  if (sampler->cand_len < n_vocab)
    {
      g_free (sampler->cand);
      sampler->cand = g_new (Candidate, n_vocab);
      sampler->cand_len = n_vocab;
    }

  /* candidates with a non-zero probability, in id order; +Inf logits share
   * all of the mass equally */
  for (guint i = 0; i < n_vocab; i++)
    {
      double l = logits[i];
      double w;

      if (isnan (l) || l == -INFINITY)
        continue;
      if (has_pos_inf)
        {
          if (l != INFINITY)
            continue;
          w = 1.0;
        }
      else
        {
          w = exp ((l - max) / (double) p->temperature);
          if (w == 0.0)
            continue;
        }
      sampler->cand[n].id = (gint32) i;
      sampler->cand[n].logit = has_pos_inf ? 0.0 : l / (double) p->temperature;
      sampler->cand[n].p = w;
      n++;
    }
  if (n == 0)
    return lb_argmax (logits, n_vocab);

  truncate = (p->top_k > 0 && p->top_k < n) || p->top_p < 1.0f;
  if (truncate)
    {
      qsort (sampler->cand, n, sizeof (Candidate), candidate_cmp);
      if (p->top_k > 0 && p->top_k < n)
        n = p->top_k;
      if (p->top_p < 1.0f)
        {
          double total = 0.0, acc = 0.0;
          guint keep = n;

          for (guint i = 0; i < n; i++)
            total += sampler->cand[i].p;
          /* smallest prefix whose mass reaches top_p; at least one token */
          for (guint i = 0; i < n; i++)
            {
              acc += sampler->cand[i].p;
              if (acc >= (double) p->top_p * total)
                {
                  keep = i + 1;
                  break;
                }
            }
          n = MAX (keep, 1);
        }
    }

  return sampler->cand[draw (sampler, sampler->cand, n)].id;
}
