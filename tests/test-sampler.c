/* test-sampler.c: greedy rules, temperature/top-k/top-p distributions checked
 * by chi-square against probabilities computed here, seed reproducibility. */
#include <glib.h>
#include <math.h>

#include "lowbit.h"
#include "lb-test-util.h"

#define N_DRAWS 40000

/* chi-square critical values at p = 0.001 for 1..9 degrees of freedom */
static const double chi2_crit_001[] = { 0, 10.828, 13.816, 16.266, 18.467, 20.515,
                                        22.458, 24.322, 26.124, 27.877 };

static LbSampler *
make_sampler (float temperature, guint top_k, float top_p, guint64 seed)
{
  LbSamplerParams params = LB_SAMPLER_PARAMS_INIT;

  params.temperature = temperature;
  params.top_k = top_k;
  params.top_p = top_p;
  params.seed = seed;
  return lb_sampler_new (&params);
}

/* Draws N_DRAWS tokens and checks their frequencies against expected[]
 * (which must sum to 1): tokens with expected 0 must never appear, and the
 * chi-square statistic over the others must pass at p = 0.001. */
static void
check_distribution (LbSampler *sampler, const float *logits, guint n, const double *expected)
{
  guint *counts = g_new0 (guint, n);
  double chi2 = 0.0;
  guint df = 0;

  for (guint i = 0; i < N_DRAWS; i++)
    {
      gint32 t = lb_sampler_sample (sampler, logits, n);
      g_assert_cmpint (t, >=, 0);
      g_assert_cmpint (t, <, (gint32) n);
      counts[t]++;
    }
  for (guint i = 0; i < n; i++)
    {
      if (expected[i] == 0.0)
        {
          if (counts[i] != 0)
            g_test_fail_printf ("token %u has probability 0 but was drawn %u times", i, counts[i]);
          continue;
        }
      double e = expected[i] * N_DRAWS;
      chi2 += (counts[i] - e) * (counts[i] - e) / e;
      df++;
    }
  g_assert_cmpuint (df, >=, 1);
  df--;
  g_test_message ("chi-square %.3f with %u degrees of freedom", chi2, df);
  if (df > 0)
    {
      g_assert_cmpuint (df, <, G_N_ELEMENTS (chi2_crit_001));
      g_assert_cmpfloat (chi2, <, chi2_crit_001[df]);
    }
  g_free (counts);
}

/* softmax(logits / t) in double, computed independently of the sampler */
static void
softmax_ref (const float *logits, guint n, double t, double *out)
{
  double max = -INFINITY, sum = 0.0;

  for (guint i = 0; i < n; i++)
    max = MAX (max, (double) logits[i]);
  for (guint i = 0; i < n; i++)
    sum += out[i] = exp (((double) logits[i] - max) / t);
  for (guint i = 0; i < n; i++)
    out[i] /= sum;
}

static void
test_argmax (void)
{
  const float a[] = { 0.5f, 2.0f, -1.0f, 2.0f, 1.0f };
  const float b[] = { NAN, -3.0f, NAN, -2.0f };
  const float c[] = { NAN, NAN, NAN };
  const float d[] = { -INFINITY, -INFINITY, -5.0f };
  const float e[] = { 1.0f, INFINITY, NAN, INFINITY };
  const float f[] = { 7.0f };

  g_assert_cmpint (lb_argmax (a, G_N_ELEMENTS (a)), ==, 1);   /* tie: lowest id */
  g_assert_cmpint (lb_argmax (b, G_N_ELEMENTS (b)), ==, 3);   /* NaN never wins */
  g_assert_cmpint (lb_argmax (c, G_N_ELEMENTS (c)), ==, 0);   /* all NaN: 0 */
  g_assert_cmpint (lb_argmax (d, G_N_ELEMENTS (d)), ==, 2);
  g_assert_cmpint (lb_argmax (e, G_N_ELEMENTS (e)), ==, 1);
  g_assert_cmpint (lb_argmax (f, 1), ==, 0);
}

static void
test_greedy (void)
{
  const float logits[] = { 0.1f, NAN, 3.5f, -INFINITY, 3.5f, 1.0f };
  const float equal[] = { 2.0f, 2.0f, 2.0f };
  g_autoptr (LbSampler) s = make_sampler (0.0f, 0, 1.0f, 42);
  g_autoptr (LbSampler) s2 = make_sampler (0.0f, 1, 0.1f, 7);  /* filters do not matter */

  for (guint i = 0; i < 10; i++)
    {
      g_assert_cmpint (lb_sampler_sample (s, logits, G_N_ELEMENTS (logits)), ==, 2);
      g_assert_cmpint (lb_sampler_sample (s2, logits, G_N_ELEMENTS (logits)), ==, 2);
      g_assert_cmpint (lb_sampler_sample (s, equal, G_N_ELEMENTS (equal)), ==, 0);
    }
}

static void
test_temperature (void)
{
  const float logits[] = { 1.0f, 2.0f, 0.5f, -1.0f, 3.0f, 2.0f };
  const double temps[] = { 1.0, 0.7, 1.8 };
  double expected[G_N_ELEMENTS (logits)];

  for (guint k = 0; k < G_N_ELEMENTS (temps); k++)
    {
      g_autoptr (LbSampler) s = make_sampler ((float) temps[k], 0, 1.0f, 1000 + k);
      softmax_ref (logits, G_N_ELEMENTS (logits), temps[k], expected);
      check_distribution (s, logits, G_N_ELEMENTS (logits), expected);
    }
}

/* a sampler that ignores temperature would fail this: at T = 0.7 the
 * frequencies differ clearly from those at T = 1 */
static void
test_temperature_matters (void)
{
  const float logits[] = { 0.0f, 1.0f };
  g_autoptr (LbSampler) s = make_sampler (0.25f, 0, 1.0f, 5);
  guint ones = 0;

  for (guint i = 0; i < N_DRAWS; i++)
    ones += lb_sampler_sample (s, logits, 2) == 1;
  /* p(1) = 1 / (1 + e^-4) = 0.98201; at T = 1 it would be 0.731 */
  g_assert_cmpfloat (fabs ((double) ones / N_DRAWS - 0.98201), <, 0.005);
}

static void
test_top_k (void)
{
  float logits[100];
  gboolean in_top[100] = { FALSE, };
  guint seen[100] = { 0, };
  guint32 x = 12345;
  const guint k = 5;

  /* distinct pseudo-random logits in [-2, 2) */
  for (guint i = 0; i < G_N_ELEMENTS (logits); i++)
    {
      x = x * 1664525u + 1013904223u;
      logits[i] = (float) (x >> 8) / (float) (1 << 24) * 4.0f - 2.0f + (float) i * 1e-6f;
    }
  /* the k best, found by counting how many are larger */
  for (guint i = 0; i < G_N_ELEMENTS (logits); i++)
    {
      guint larger = 0;
      for (guint j = 0; j < G_N_ELEMENTS (logits); j++)
        larger += logits[j] > logits[i];
      in_top[i] = larger < k;
    }

  {
    g_autoptr (LbSampler) s = make_sampler (3.0f, k, 1.0f, 99);
    double expected[100];
    double top[100];
    double sum = 0.0;

    for (guint i = 0; i < 5000; i++)
      {
        gint32 t = lb_sampler_sample (s, logits, G_N_ELEMENTS (logits));
        g_assert_true (in_top[t]);
        seen[t]++;
      }
    for (guint i = 0; i < G_N_ELEMENTS (logits); i++)
      if (in_top[i])
        g_assert_cmpuint (seen[i], >, 0);

    /* and within the k, the renormalized softmax at T = 3 */
    softmax_ref (logits, G_N_ELEMENTS (logits), 3.0, top);
    for (guint i = 0; i < G_N_ELEMENTS (logits); i++)
      sum += expected[i] = in_top[i] ? top[i] : 0.0;
    for (guint i = 0; i < G_N_ELEMENTS (logits); i++)
      expected[i] /= sum;
    check_distribution (s, logits, G_N_ELEMENTS (logits), expected);
  }

  {
    /* top_k 1 is greedy */
    g_autoptr (LbSampler) s = make_sampler (5.0f, 1, 1.0f, 3);
    gint32 best = lb_argmax (logits, G_N_ELEMENTS (logits));
    for (guint i = 0; i < 200; i++)
      g_assert_cmpint (lb_sampler_sample (s, logits, G_N_ELEMENTS (logits)), ==, best);
  }
}

static void
test_top_p (void)
{
  /* probabilities 0.05, 0.5, 0.1, 0.2, 0.15 at T = 1 */
  const float logits[] = { logf (0.05f), logf (0.5f), logf (0.1f), logf (0.2f), logf (0.15f) };

  {
    /* top_p 0.8: cumulative 0.5, 0.7, 0.85 -> nucleus {1, 3, 4} */
    g_autoptr (LbSampler) s = make_sampler (1.0f, 0, 0.8f, 11);
    const double expected[] = { 0, 0.5 / 0.85, 0, 0.2 / 0.85, 0.15 / 0.85 };
    check_distribution (s, logits, G_N_ELEMENTS (logits), expected);
  }
  {
    /* top_p 0.6: cumulative 0.5, 0.7 -> {1, 3} */
    g_autoptr (LbSampler) s = make_sampler (1.0f, 0, 0.6f, 12);
    const double expected[] = { 0, 0.5 / 0.7, 0, 0.2 / 0.7, 0 };
    check_distribution (s, logits, G_N_ELEMENTS (logits), expected);
  }
  {
    /* top_k 4 drops 0.05, then top_p 0.9 of the remaining 0.95 (0.855):
     * cumulative 0.5, 0.7, 0.85, 0.95 -> all four */
    g_autoptr (LbSampler) s = make_sampler (1.0f, 4, 0.9f, 13);
    const double expected[] = { 0, 0.5 / 0.95, 0.1 / 0.95, 0.2 / 0.95, 0.15 / 0.95 };
    check_distribution (s, logits, G_N_ELEMENTS (logits), expected);
  }
  {
    /* top_k 3 keeps {1, 3, 4} (0.85); top_p 0.75 of that is 0.6375:
     * cumulative 0.5, 0.7 -> {1, 3} */
    g_autoptr (LbSampler) s = make_sampler (1.0f, 3, 0.75f, 14);
    const double expected[] = { 0, 0.5 / 0.7, 0, 0.2 / 0.7, 0 };
    check_distribution (s, logits, G_N_ELEMENTS (logits), expected);
  }
  {
    /* tiny or zero top_p keeps at least the best token */
    g_autoptr (LbSampler) s = make_sampler (1.0f, 0, 0.0f, 15);
    g_autoptr (LbSampler) s2 = make_sampler (1.0f, 0, 0.3f, 16);
    for (guint i = 0; i < 500; i++)
      {
        g_assert_cmpint (lb_sampler_sample (s, logits, G_N_ELEMENTS (logits)), ==, 1);
        g_assert_cmpint (lb_sampler_sample (s2, logits, G_N_ELEMENTS (logits)), ==, 1);
      }
  }
}

static void
test_special_values (void)
{
  {
    /* -Inf and NaN are never drawn */
    const float logits[] = { -INFINITY, 0.0f, NAN, 0.0f, -INFINITY };
    const double expected[] = { 0, 0.5, 0, 0.5, 0 };
    g_autoptr (LbSampler) s = make_sampler (1.0f, 0, 1.0f, 21);
    check_distribution (s, logits, G_N_ELEMENTS (logits), expected);
  }
  {
    /* all equal: uniform, also through top-k/top-p */
    const float logits[] = { 3.0f, 3.0f, 3.0f, 3.0f };
    const double expected[] = { 0.25, 0.25, 0.25, 0.25 };
    g_autoptr (LbSampler) s = make_sampler (0.9f, 0, 1.0f, 22);
    g_autoptr (LbSampler) s2 = make_sampler (0.9f, 2, 1.0f, 23);
    const double expected2[] = { 0.5, 0.5, 0, 0 };   /* ties: lowest ids kept */
    check_distribution (s, logits, G_N_ELEMENTS (logits), expected);
    check_distribution (s2, logits, G_N_ELEMENTS (logits), expected2);
  }
  {
    /* +Inf takes all the mass */
    const float logits[] = { 5.0f, INFINITY, 1.0f, INFINITY };
    const double expected[] = { 0, 0.5, 0, 0.5 };
    g_autoptr (LbSampler) s = make_sampler (2.0f, 0, 1.0f, 24);
    check_distribution (s, logits, G_N_ELEMENTS (logits), expected);
  }
  {
    /* only -Inf/NaN: falls back to argmax (lowest non-NaN id) */
    const float logits[] = { NAN, -INFINITY, -INFINITY };
    g_autoptr (LbSampler) s = make_sampler (1.0f, 2, 0.5f, 25);
    g_assert_cmpint (lb_sampler_sample (s, logits, 3), ==, 1);
  }
  {
    /* n_vocab 1 */
    const float one[] = { -INFINITY };
    g_autoptr (LbSampler) s = make_sampler (1.0f, 0, 1.0f, 26);
    g_autoptr (LbSampler) g = make_sampler (0.0f, 0, 1.0f, 26);
    g_assert_cmpint (lb_sampler_sample (s, one, 1), ==, 0);
    g_assert_cmpint (lb_sampler_sample (g, one, 1), ==, 0);
  }
  {
    /* a very low temperature does not overflow: best token only */
    const float logits[] = { 100.0f, 99.0f, -100.0f };
    g_autoptr (LbSampler) s = make_sampler (1e-6f, 0, 1.0f, 27);
    for (guint i = 0; i < 100; i++)
      g_assert_cmpint (lb_sampler_sample (s, logits, 3), ==, 0);
  }
}

static void
test_seed (void)
{
  float logits[64];
  gint32 a[200], b[200], c[200];
  guint differ = 0;

  for (guint i = 0; i < G_N_ELEMENTS (logits); i++)
    logits[i] = sinf ((float) i * 0.7f);

  {
    g_autoptr (LbSampler) s1 = make_sampler (1.0f, 40, 0.95f, 1234);
    g_autoptr (LbSampler) s2 = make_sampler (1.0f, 40, 0.95f, 1234);
    g_autoptr (LbSampler) s3 = make_sampler (1.0f, 40, 0.95f, 1235);

    for (guint i = 0; i < G_N_ELEMENTS (a); i++)
      {
        a[i] = lb_sampler_sample (s1, logits, G_N_ELEMENTS (logits));
        b[i] = lb_sampler_sample (s2, logits, G_N_ELEMENTS (logits));
        c[i] = lb_sampler_sample (s3, logits, G_N_ELEMENTS (logits));
      }
  }
  for (guint i = 0; i < G_N_ELEMENTS (a); i++)
    {
      g_assert_cmpint (a[i], ==, b[i]);
      differ += a[i] != c[i];
    }
  /* another seed gives another sequence */
  g_assert_cmpuint (differ, >, 100);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/lowbit/sampler/argmax", test_argmax);
  g_test_add_func ("/lowbit/sampler/greedy", test_greedy);
  g_test_add_func ("/lowbit/sampler/temperature", test_temperature);
  g_test_add_func ("/lowbit/sampler/temperature-matters", test_temperature_matters);
  g_test_add_func ("/lowbit/sampler/top-k", test_top_k);
  g_test_add_func ("/lowbit/sampler/top-p", test_top_p);
  g_test_add_func ("/lowbit/sampler/special-values", test_special_values);
  g_test_add_func ("/lowbit/sampler/seed", test_seed);

  return g_test_run ();
}
