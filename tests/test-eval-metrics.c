/* test-eval-metrics.c: the per-position math of `lowbit eval` against
 * hand-computed values, including the degenerate cases (identical and
 * uniform distributions, infinities, NaN). */
#include <glib.h>
#include <math.h>
#include <string.h>

#include "lb-eval-metrics.h"

#define ASSERT_NEAR(a, b, tol) g_assert_cmpfloat_with_epsilon ((double) (a), (double) (b), (tol))

static void
test_sanitize (void)
{
  float plain[] = { 1, 2, -INFINITY };
  float with_nan[] = { NAN, 1, 2 };
  float with_inf[] = { 1, INFINITY, 3, INFINITY, NAN };
  float all_neg[] = { -INFINITY, -INFINITY };
  float all_nan[] = { NAN, NAN, NAN };

  g_assert_false (lb_eval_sanitize_logits (plain, 3));
  g_assert_cmpfloat (plain[1], ==, 2);
  g_assert_true (isinf (plain[2]) && plain[2] < 0);

  g_assert_true (lb_eval_sanitize_logits (with_nan, 3));
  g_assert_true (isinf (with_nan[0]) && with_nan[0] < 0);
  g_assert_cmpfloat (with_nan[2], ==, 2);

  /* +Inf takes all the mass, shared */
  g_assert_true (lb_eval_sanitize_logits (with_inf, 5));
  g_assert_cmpfloat (with_inf[1], ==, 0);
  g_assert_cmpfloat (with_inf[3], ==, 0);
  g_assert_true (isinf (with_inf[0]) && isinf (with_inf[2]) && isinf (with_inf[4]));

  /* nothing usable: uniform */
  g_assert_true (lb_eval_sanitize_logits (all_neg, 2));
  g_assert_cmpfloat (all_neg[0], ==, 0);
  g_assert_true (lb_eval_sanitize_logits (all_nan, 3));
  for (guint i = 0; i < 3; i++)
    g_assert_cmpfloat (all_nan[i], ==, 0);
}

static void
test_log_softmax (void)
{
  const float x[] = { 0, (float) G_LN2, 1.0986123f };  /* exp: 1, 2, 3 */
  const float masked[] = { -INFINITY, 5, 5 };
  const float big[] = { 1000, 1000 + (float) G_LN2, 1001.0986123f };
  double out[3];

  lb_eval_log_softmax (x, 3, out);
  ASSERT_NEAR (out[0], -log (6.0), 1e-6);
  ASSERT_NEAR (out[1], -log (3.0), 1e-6);
  ASSERT_NEAR (out[2], -log (2.0), 1e-6);
  lb_eval_log_softmax (big, 3, out);
  ASSERT_NEAR (out[0], -log (6.0), 1e-4);
  ASSERT_NEAR (out[2], -log (2.0), 1e-4);
  lb_eval_log_softmax (masked, 3, out);
  g_assert_true (isinf (out[0]) && out[0] < 0);
  ASSERT_NEAR (out[1], -G_LN2, 1e-12);
  ASSERT_NEAR (out[2], -G_LN2, 1e-12);
}

static void
test_kl_divergence (void)
{
  const double p[] = { log (0.5), log (0.5), -INFINITY };
  const double q[] = { log (0.25), log (0.75), log (1e-9) };
  const double q_zero[] = { log (0.5), -INFINITY, 0 };
  const double uniform[] = { -log (4.0), -log (4.0), -log (4.0), -log (4.0) };

  /* 0.5 ln 2 + 0.5 ln (2/3) */
  ASSERT_NEAR (lb_eval_kl_divergence (p, q, 3), 0.143841036, 1e-8);
  /* identical: exactly 0, also uniform ones */
  g_assert_cmpfloat (lb_eval_kl_divergence (p, p, 3), ==, 0.0);
  g_assert_cmpfloat (lb_eval_kl_divergence (uniform, uniform, 4), ==, 0.0);
  /* a token the reference expects and the candidate rules out */
  g_assert_true (isinf (lb_eval_kl_divergence (p, q_zero, 3)));
  /* p = 0 where q > 0 contributes nothing */
  ASSERT_NEAR (lb_eval_kl_divergence (p, q, 2), 0.143841036, 1e-8);
}

static void
test_top_k (void)
{
  const float x[] = { 1, 3, 3, 2, 5 };
  const float with_nan[] = { NAN, -1, NAN };
  const guint16 q[] = { 7, 9, 9, 0 };
  guint32 top[5], top2[5];

  lb_eval_top_k (x, 5, 3, top);
  g_assert_cmpuint (top[0], ==, 4);
  g_assert_cmpuint (top[1], ==, 1);   /* tie: the lower id first */
  g_assert_cmpuint (top[2], ==, 2);
  lb_eval_top_k (x, 5, 5, top);
  g_assert_cmpuint (top[3], ==, 3);
  g_assert_cmpuint (top[4], ==, 0);
  lb_eval_top_k (with_nan, 3, 1, top);
  g_assert_cmpuint (top[0], ==, 1);   /* NaN never ranks */
  lb_eval_top_k_u16 (q, 4, 2, top);
  g_assert_cmpuint (top[0], ==, 1);
  g_assert_cmpuint (top[1], ==, 2);

  top[0] = 1, top[1] = 2, top[2] = 3;
  top2[0] = 3, top2[1] = 9, top2[2] = 1;
  g_assert_cmpuint (lb_eval_top_k_overlap (top, top2, 3), ==, 2);
  g_assert_cmpuint (lb_eval_top_k_overlap (top, top, 3), ==, 3);
}

static void
test_logit_errors (void)
{
  const float a[] = { 1, 2, 3 }, b[] = { 1, 2, 5 };
  const float zero[] = { 0, 0, 0 };
  const float inf_a[] = { INFINITY, 1 }, inf_b[] = { INFINITY, 1 }, fin[] = { 1, 1 };
  const float nan_a[] = { NAN, 1 };
  double sse, cosine;
  float max_abs;

  lb_eval_logit_errors (a, b, 3, &sse, &cosine, &max_abs);
  ASSERT_NEAR (sse, 4.0, 1e-12);
  ASSERT_NEAR (max_abs, 2.0, 1e-12);
  ASSERT_NEAR (cosine, 20.0 / sqrt (14.0 * 30.0), 1e-12);

  lb_eval_logit_errors (a, a, 3, &sse, &cosine, &max_abs);
  g_assert_cmpfloat (sse, ==, 0);
  g_assert_cmpfloat (max_abs, ==, 0);
  ASSERT_NEAR (cosine, 1.0, 1e-15);

  lb_eval_logit_errors (zero, zero, 3, &sse, &cosine, &max_abs);
  g_assert_cmpfloat (cosine, ==, 1);
  lb_eval_logit_errors (a, zero, 3, &sse, &cosine, &max_abs);
  g_assert_cmpfloat (cosine, ==, 0);
  ASSERT_NEAR (sse, 14.0, 1e-12);

  /* the same infinity in both: no error, but no cosine either */
  lb_eval_logit_errors (inf_a, inf_b, 2, &sse, &cosine, &max_abs);
  g_assert_cmpfloat (sse, ==, 0);
  g_assert_cmpfloat (max_abs, ==, 0);
  g_assert_true (isnan (cosine));
  lb_eval_logit_errors (inf_a, fin, 2, &sse, &cosine, &max_abs);
  g_assert_true (isinf (sse) && isinf (max_abs));
  lb_eval_logit_errors (nan_a, nan_a, 2, &sse, &cosine, &max_abs);
  g_assert_true (isinf (sse) && isnan (cosine));
}

/* logits {2, 0, -20}: the top at 2, the floor clipped to 2 - 16 = -14 */
static void
test_base_quantize (void)
{
  const float logits[] = { 2, 0, -20 };
  const float flat[] = { 0, 0, 0, 0 };
  guint16 q[4];
  guint32 ids[4];
  guint16 kq[4];
  float scale, min_lp;
  LbEvalBasePos pos;

  lb_eval_base_quantize (logits, 3, q, &scale, &min_lp);
  ASSERT_NEAR (scale, 16.0 / 65535.0, 1e-9);
  /* -14 - 2 - ln (1 + e^-2 + e^-22) */
  ASSERT_NEAR (min_lp, -16.126928011, 2e-6);
  g_assert_cmpuint (q[0], ==, 65535);
  g_assert_cmpuint (q[1], ==, 57343);   /* 14 / scale = 57343.125 */
  g_assert_cmpuint (q[2], ==, 0);       /* below the floor */
  ASSERT_NEAR (lb_eval_base_log_prob (scale, min_lp, q[0]), -0.126928011, 2e-6);

  lb_eval_base_pos_from_q (&pos, q, 3, scale, min_lp, 1, ids, kq);
  g_assert_cmpuint (pos.q_target, ==, 57343);
  g_assert_cmpuint (pos.n_top, ==, 3);
  g_assert_cmpuint (pos.top[0], ==, 0);
  g_assert_cmpuint (pos.top[1], ==, 1);
  /* token 2 sits at -16.13 < -16: not kept */
  g_assert_cmpuint (pos.n_kept, ==, 2);
  g_assert_cmpuint (pos.kept_ids[0], ==, 0);
  g_assert_cmpuint (pos.kept_ids[1], ==, 1);
  g_assert_true (lb_eval_base_is_kept (-15.99f));
  g_assert_false (lb_eval_base_is_kept (-16.0f));

  /* a flat row: scale 0, every token at -ln 4 */
  lb_eval_base_quantize (flat, 4, q, &scale, &min_lp);
  g_assert_cmpfloat (scale, ==, 0);
  ASSERT_NEAR (min_lp, -log (4.0), 1e-6);
  for (guint i = 0; i < 4; i++)
    g_assert_cmpuint (q[i], ==, 0);
}

static void
make_base (const float *logits, gsize n, gint32 target, LbEvalBasePos *pos,
           guint16 *q, guint32 *ids, guint16 *kq)
{
  float scale, min_lp;

  lb_eval_base_quantize (logits, n, q, &scale, &min_lp);
  lb_eval_base_pos_from_q (pos, q, n, scale, min_lp, target, ids, kq);
}

static void
test_compare_position (void)
{
  const float ref[] = { 2, 0, -20 };
  const float uniform[] = { 1, 1, 1 };
  const float rules_out[] = { 0, -INFINITY, 0 };
  const float flat[] = { 3, 3, 3, 3 };
  guint16 q[4], kq[4];
  guint32 ids[4];
  LbEvalBasePos base;
  LbEvalPosResult r;

  make_base (ref, 3, 1, &base, q, ids, kq);

  /* a uniform candidate: sum over tokens 0 and 1 of p (log p + ln 3) with the
   * stored log p = -0.126928, -2.126959 (q 57343) */
  lb_eval_compare_position (uniform, 3, &base, 1, &r);
  ASSERT_NEAR (r.kld, 0.733278536, 2e-6);
  ASSERT_NEAR (r.nll, log (3.0), 1e-6);
  ASSERT_NEAR (r.nll_base, 2.126958529, 2e-6);
  ASSERT_NEAR (r.p_diff, 1.0 / 3.0 - exp (-2.126958529), 1e-6);
  g_assert_true (r.same_top);           /* ties: token 0 on both sides */
  g_assert_cmpuint (r.top_overlap, ==, 3);

  /* identical: KLD only the 16-bit rounding, at most scale/2 per token */
  lb_eval_compare_position (ref, 3, &base, 1, &r);
  g_assert_cmpfloat (fabs (r.kld), <=, 0.5 * 16.0 / 65535.0 + 1e-6);
  g_assert_true (r.same_top);
  g_assert_cmpuint (r.top_overlap, ==, 3);
  ASSERT_NEAR (r.p_diff, 0.0, 1e-4);

  /* a near tie the 16-bit rounding merges: the candidate's strictly larger
   * token 1 has the same code as the base's top (token 0, the lower id) */
  {
    const float tie[] = { 1.0f, 1.00001f, -5.0f };
    const float other[] = { 1.0f, 0.5f, 3.0f };

    make_base (tie, 3, 2, &base, q, ids, kq);
    g_assert_cmpuint (q[0], ==, q[1]);
    g_assert_cmpuint (base.top[0], ==, 0);
    lb_eval_compare_position (tie, 3, &base, 2, &r);
    g_assert_true (r.same_top);
    g_assert_cmpuint (r.top_overlap, ==, 3);
    /* a real difference is still one: the candidate's top is token 2 */
    lb_eval_compare_position (other, 3, &base, 2, &r);
    g_assert_false (r.same_top);
    g_assert_cmpuint (r.top_overlap, ==, 3);
    make_base (ref, 3, 1, &base, q, ids, kq);
  }

  /* top-5 of distinct values: the reversed order shares 2, 3, 4 */
  {
    const float down[] = { 5, 4, 3, 2, 1, 0, -1 };
    const float up[] = { 0, 1, 2, 3, 4, 5, 6 };
    guint16 q7[7], kq7[7];
    guint32 ids7[7];

    make_base (down, 7, 0, &base, q7, ids7, kq7);
    lb_eval_compare_position (up, 7, &base, 0, &r);
    g_assert_cmpuint (r.top_overlap, ==, 3);
    g_assert_false (r.same_top);
    make_base (ref, 3, 1, &base, q, ids, kq);
  }

  /* the candidate rules out a token the reference keeps: infinite KLD */
  lb_eval_compare_position (rules_out, 3, &base, 0, &r);
  g_assert_true (isinf (r.kld) && r.kld > 0);

  /* uniform against uniform: exactly 0 */
  make_base (flat, 4, 2, &base, q, ids, kq);
  g_assert_cmpuint (base.n_kept, ==, 4);
  lb_eval_compare_position (flat, 4, &base, 2, &r);
  g_assert_cmpfloat (r.kld, ==, 0.0);
  g_assert_true (r.same_top);
  ASSERT_NEAR (r.nll, log (4.0), 1e-6);
  ASSERT_NEAR (r.nll_base, log (4.0), 1e-6);
  g_assert_cmpfloat (r.p_diff, ==, 0.0f);
}

static void
test_compare_sanitized (void)
{
  float ref[] = { 0, 1, INFINITY, NAN };
  float cand[] = { NAN, NAN, NAN, NAN };
  guint16 q[4], kq[4];
  guint32 ids[4];
  LbEvalBasePos base;
  LbEvalPosResult r;

  /* the reference puts all mass on token 2; an all-NaN candidate becomes
   * uniform: KLD = ln 4, nll = ln 4 */
  g_assert_true (lb_eval_sanitize_logits (ref, 4));
  make_base (ref, 4, 2, &base, q, ids, kq);
  g_assert_cmpuint (base.n_kept, ==, 1);
  g_assert_cmpuint (base.top[0], ==, 2);
  g_assert_true (lb_eval_sanitize_logits (cand, 4));
  lb_eval_compare_position (cand, 4, &base, 2, &r);
  ASSERT_NEAR (r.kld, log (4.0), 1e-6);
  ASSERT_NEAR (r.nll, log (4.0), 1e-6);
  ASSERT_NEAR (r.nll_base, 0.0, 1e-6);
  g_assert_false (r.same_top);
}

static void
test_percentiles (void)
{
  float v[] = { 5, 1, NAN, 4, 2, 3 };
  const float even[] = { 1, 2, 3, 4 };

  lb_eval_sort_floats (v, 6);
  g_assert_cmpfloat (v[0], ==, 1);
  g_assert_cmpfloat (v[4], ==, 5);
  g_assert_true (isnan (v[5]));       /* NaN last */
  /* of 1..5: at 0.9 * 4 = 3.6 -> 4.6; at 0.999 * 4 = 3.996 -> 4.996 */
  ASSERT_NEAR (lb_eval_percentile (v, 5, 0.9f), 4.6, 1e-5);
  ASSERT_NEAR (lb_eval_percentile (v, 5, 0.999f), 4.996, 1e-5);
  ASSERT_NEAR (lb_eval_percentile (v, 5, 0.5f), 3.0, 1e-6);
  g_assert_cmpfloat (lb_eval_percentile (v, 5, 0.0f), ==, 1);
  g_assert_cmpfloat (lb_eval_percentile (v, 5, 1.0f), ==, 5);
  g_assert_cmpfloat (lb_eval_percentile (v, 1, 0.99f), ==, 1);
  g_assert_true (isnan (lb_eval_percentile (v, 0, 0.5f)));
  g_assert_cmpfloat (lb_eval_median (v, 5), ==, 3);
  g_assert_cmpfloat (lb_eval_median (even, 4), ==, 2.5);
  g_assert_true (isnan (lb_eval_median (even, 0)));
}

static void
test_mean_and_error (void)
{
  double mean, err, sum = 0, sum2 = 0;

  for (int i = 1; i <= 20; i++)
    sum += i, sum2 += i * i;
  /* mean 10.5, population variance 33.25, error sqrt (33.25 / 19) */
  lb_eval_mean_and_error (sum, sum2, 20, &mean, &err);
  ASSERT_NEAR (mean, 10.5, 1e-12);
  ASSERT_NEAR (err, 1.322875656, 1e-8);
  lb_eval_mean_and_error (55, 385, 10, &mean, &err);
  ASSERT_NEAR (mean, 5.5, 1e-12);
  g_assert_cmpfloat (err, ==, 0);     /* too few values for an error */
  lb_eval_mean_and_error (0, 0, 0, &mean, &err);
  g_assert_true (isnan (mean));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/lowbit/eval-metrics/sanitize", test_sanitize);
  g_test_add_func ("/lowbit/eval-metrics/log-softmax", test_log_softmax);
  g_test_add_func ("/lowbit/eval-metrics/kl-divergence", test_kl_divergence);
  g_test_add_func ("/lowbit/eval-metrics/top-k", test_top_k);
  g_test_add_func ("/lowbit/eval-metrics/logit-errors", test_logit_errors);
  g_test_add_func ("/lowbit/eval-metrics/base-quantize", test_base_quantize);
  g_test_add_func ("/lowbit/eval-metrics/compare-position", test_compare_position);
  g_test_add_func ("/lowbit/eval-metrics/compare-sanitized", test_compare_sanitized);
  g_test_add_func ("/lowbit/eval-metrics/percentiles", test_percentiles);
  g_test_add_func ("/lowbit/eval-metrics/mean-and-error", test_mean_and_error);
  return g_test_run ();
}
