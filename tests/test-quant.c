/* test-quant.c: the block formats' scalar definitions: layouts decoded from
 * hand-built blocks, round-trip error against what the bits allow,
 * importance weighting, dot products, zeros and non-finite input. */
#include <math.h>

#include "lowbit.h"
#include "lb-quant-private.h"

typedef struct {
  LbType type;
  double bpw;        /* bits per weight */
  double max_rel;    /* bound on RMS(error) / RMS(x) for Gaussian data */
  double min_rel;    /* ... and a floor: a format that loses nothing is broken */
} TypeCase;

/* Bounds: the measured ratio (printed by the round-trip test) plus ~20%.
 * It matches what the level spacing implies for Gaussian data: a step of
 * range / levels gives an RMS error of step / sqrt(12), e.g. Q8_0 with the
 * largest of 32 |values| near 2.3 sigma: 2.3 / 127 / sqrt(12) = 0.52%,
 * Q4_0: 2.3 / 8 / sqrt(12) = 8.3%. The floors (~70% of the measured value)
 * catch a "format" that silently keeps more than its bits. */
static const TypeCase cases[] = {
  { LB_TYPE_Q8_0, 8.5, 0.0064, 0.0040 },
  { LB_TYPE_Q6_K, 6.5625, 0.0215, 0.0120 },
  { LB_TYPE_Q5_1, 6.0, 0.0460, 0.0250 },
  { LB_TYPE_Q5_0, 5.5, 0.0520, 0.0300 },
  { LB_TYPE_Q5_K, 5.5, 0.0430, 0.0250 },
  { LB_TYPE_Q4_1, 5.0, 0.0950, 0.0550 },
  { LB_TYPE_Q4_0, 4.5, 0.1030, 0.0600 },
  { LB_TYPE_Q4_K, 4.5, 0.0850, 0.0500 },
  { LB_TYPE_IQ4_NL, 4.5, 0.0920, 0.0550 },
  { LB_TYPE_Q3_K, 3.4375, 0.1850, 0.1100 },
  { LB_TYPE_Q2_K, 2.625, 0.3200, 0.1900 },
  /* activation types */
  { LB_TYPE_Q8_1, 9.0, 0.0064, 0.0040 },
  { LB_TYPE_Q8_K, 9.125, 0.0085, 0.0050 },
};

static void
fill_gaussian (GRand *r, float *x, gint64 n, double sigma)
{
  for (gint64 i = 0; i < n; i += 2)
    {
      double u1 = g_rand_double_range (r, 1e-12, 1.0), u2 = g_rand_double (r);
      double rad = sqrt (-2 * log (u1)) * sigma;
      x[i] = (float) (rad * cos (2 * G_PI * u2));
      if (i + 1 < n)
        x[i + 1] = (float) (rad * sin (2 * G_PI * u2));
    }
}

static double
rms (const float *x, gint64 n)
{
  double s = 0;
  for (gint64 i = 0; i < n; i++)
    s += (double) x[i] * x[i];
  return sqrt (s / n);
}

static double
rms_diff (const float *a, const float *b, const float *w, gint64 n)
{
  double s = 0;
  for (gint64 i = 0; i < n; i++)
    s += (w ? w[i] : 1.0) * ((double) a[i] - b[i]) * ((double) a[i] - b[i]);
  return sqrt (s / n);
}

/* quantize n values of x with t (importance may be NULL) and decode them */
static void
round_trip (LbType t, const float *x, float *out, gint64 n, const float *importance)
{
  const LbTypeTraits *tr = lb_type_get_traits (t);
  guint8 *q = g_malloc (lb_type_row_size (t, n));

  tr->from_float (x, q, n, importance);
  tr->to_float (q, out, n);
  g_free (q);
}

/* ---- traits and sizes ---------------------------------------------------- */

static void
test_traits (void)
{
  static const struct { LbType t; guint bs; gsize size; LbType vdt; } expect[] = {
    { LB_TYPE_Q4_0, 32, sizeof (LbBlockQ4_0), LB_TYPE_Q8_0 },
    { LB_TYPE_Q4_1, 32, sizeof (LbBlockQ4_1), LB_TYPE_Q8_1 },
    { LB_TYPE_Q5_0, 32, sizeof (LbBlockQ5_0), LB_TYPE_Q8_0 },
    { LB_TYPE_Q5_1, 32, sizeof (LbBlockQ5_1), LB_TYPE_Q8_1 },
    { LB_TYPE_Q8_0, 32, sizeof (LbBlockQ8_0), LB_TYPE_Q8_0 },
    { LB_TYPE_IQ4_NL, 32, sizeof (LbBlockIQ4_NL), LB_TYPE_Q8_0 },
    { LB_TYPE_Q2_K, 256, sizeof (LbBlockQ2_K), LB_TYPE_Q8_K },
    { LB_TYPE_Q3_K, 256, sizeof (LbBlockQ3_K), LB_TYPE_Q8_K },
    { LB_TYPE_Q4_K, 256, sizeof (LbBlockQ4_K), LB_TYPE_Q8_K },
    { LB_TYPE_Q5_K, 256, sizeof (LbBlockQ5_K), LB_TYPE_Q8_K },
    { LB_TYPE_Q6_K, 256, sizeof (LbBlockQ6_K), LB_TYPE_Q8_K },
  };

  for (guint i = 0; i < G_N_ELEMENTS (expect); i++)
    {
      const LbTypeTraits *tr = lb_type_get_traits (expect[i].t);
      g_assert_nonnull (tr);
      g_assert_true (tr->quantized);
      g_assert_cmpuint (tr->block_size, ==, expect[i].bs);
      g_assert_cmpuint (tr->type_size, ==, expect[i].size);
      g_assert_nonnull (tr->to_float);
      g_assert_nonnull (tr->from_float);
      g_assert_nonnull (tr->vec_dot);
      g_assert_cmpint (tr->vec_dot_type, ==, expect[i].vdt);
      g_assert_cmpuint (lb_type_row_size (expect[i].t, 4096), ==, 4096 / expect[i].bs * expect[i].size);
      g_assert_cmpuint (lb_type_row_size (expect[i].t, expect[i].bs + 1), ==, 0);
    }
  /* bits per weight as the formats are documented */
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const LbTypeTraits *tr = lb_type_get_traits (cases[i].type);
      g_assert_cmpfloat_with_epsilon (8.0 * tr->type_size / tr->block_size, cases[i].bpw, 1e-9);
    }
  /* activation types decode and encode but have no dot product of their own */
  g_assert_nonnull (lb_type_get_traits (LB_TYPE_Q8_K)->from_float);
  g_assert_nonnull (lb_type_get_traits (LB_TYPE_Q8_1)->to_float);
  g_assert_cmpuint (sizeof (LbBlockQ8_K), ==, lb_type_get_traits (LB_TYPE_Q8_K)->type_size);
  g_assert_cmpuint (sizeof (LbBlockQ8_1), ==, lb_type_get_traits (LB_TYPE_Q8_1)->type_size);
}

/* ---- layouts from hand-built blocks -------------------------------------- */

static void
test_layout_legacy (void)
{
  float out[32];
  LbBlockQ4_0 q4 = { .d = GUINT16_TO_LE (0x4000) };   /* d = 2 */
  LbBlockQ5_1 q5 = { .d = GUINT16_TO_LE (0x3c00), .m = GUINT16_TO_LE (0xbc00) }; /* d = 1, m = -1 */
  LbBlockIQ4_NL nl = { .d = GUINT16_TO_LE (0x3800) };  /* d = 0.5 */
  static const int table[16] = { -127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113 };

  for (int j = 0; j < 16; j++)
    q4.qs[j] = (guint8) (j | ((15 - j) << 4));
  lb_type_get_traits (LB_TYPE_Q4_0)->to_float (&q4, out, 32);
  for (int j = 0; j < 16; j++)
    {
      g_assert_cmpfloat (out[j], ==, 2.0f * (j - 8));
      g_assert_cmpfloat (out[j + 16], ==, 2.0f * (7 - j));
    }

  /* fifth bits: element 3 and element 16 + 5 */
  for (int j = 0; j < 16; j++)
    q5.qs[j] = 0x21;   /* low nibble 1, high nibble 2 */
  q5.qh[0] = 1 << 3;
  q5.qh[2] = 1 << 5;
  lb_type_get_traits (LB_TYPE_Q5_1)->to_float (&q5, out, 32);
  for (int j = 0; j < 32; j++)
    {
      float expect = (j < 16 ? 1 : 2) - 1.0f;
      if (j == 3 || j == 21)
        expect += 16;
      g_assert_cmpfloat (out[j], ==, expect);
    }

  for (int j = 0; j < 16; j++)
    nl.qs[j] = (guint8) (j | (j << 4));
  lb_type_get_traits (LB_TYPE_IQ4_NL)->to_float (&nl, out, 32);
  for (int j = 0; j < 16; j++)
    {
      g_assert_cmpfloat (out[j], ==, 0.5f * table[j]);
      g_assert_cmpfloat (out[j + 16], ==, 0.5f * table[j]);
    }
}

static void
test_layout_k (void)
{
  float out[256];
  LbBlockQ4_K q4 = { .d = GUINT16_TO_LE (0x3c00), .dmin = GUINT16_TO_LE (0x4000) };  /* 1, 2 */
  LbBlockQ3_K q3 = { .d = GUINT16_TO_LE (0x3c00) };
  LbBlockQ6_K q6 = { .d = GUINT16_TO_LE (0x3800) };  /* 0.5 */
  LbBlockQ2_K q2 = { .d = GUINT16_TO_LE (0x3c00), .dmin = GUINT16_TO_LE (0x3800) };

  /* Q4_K: sub-block 5 has scale 0b100011 = 35 and min 0b010110 = 22:
   * low bits in byte 9 (nibbles), high bits in bits 6-7 of bytes 1 and 5;
   * sub-block 0 has scale 7, min 1 in bytes 0 and 4 */
  q4.scales[0] = 7;
  q4.scales[4] = 1;
  q4.scales[9] = 0x3 | (0x6 << 4);
  q4.scales[1] = 2 << 6;
  q4.scales[5] = 1 << 6;
  /* element 64 * 2 + 32 + 4 = 164 (sub-block 5, high nibble of qs[68]) = 9;
   * element 10 (sub-block 0, low nibble of qs[10]) = 3 */
  q4.qs[68] = 9 << 4;
  q4.qs[10] = 3;
  lb_type_get_traits (LB_TYPE_Q4_K)->to_float (&q4, out, 256);
  g_assert_cmpfloat (out[164], ==, 35.0f * 9 - 2.0f * 22);
  g_assert_cmpfloat (out[165], ==, -2.0f * 22);
  g_assert_cmpfloat (out[10], ==, 7.0f * 3 - 2.0f * 1);
  g_assert_cmpfloat (out[11], ==, -2.0f);
  g_assert_cmpfloat (out[40], ==, 0.0f);   /* sub-block 1: scale and min 0 */

  /* Q3_K: scale 13 = 0b001101 -> stored 13 + 32 = 45 = 0b101101: low nibble
   * 0xd in the high nibble of byte 5 (13 >= 8), high bits 0b10 at bits 2-3
   * of byte 8 + 13 % 4 = 9 (13 / 4 = 3 -> bits 6-7). Element 13 * 16 + 2 =
   * 210 = 128 + 64 + 18: low bits at bits 4-5 of qs[32 + 18], high bit at
   * bit 210 / 32 = 6 of hmask[210 % 32 = 18]. */
  q3.scales[5] = 0xd << 4;
  q3.scales[9] = 2 << 6;
  q3.qs[50] = 2 << 4;
  q3.hmask[18] = 1 << 6;
  lb_type_get_traits (LB_TYPE_Q3_K)->to_float (&q3, out, 256);
  g_assert_cmpfloat (out[210], ==, 13.0f * (2 + 4 - 4));
  /* the other elements of sub-block 13: level 0 -> -4 */
  g_assert_cmpfloat (out[211], ==, 13.0f * -4);
  /* sub-block 0 has stored scale 0 -> -32, level 0 -> -4 */
  g_assert_cmpfloat (out[0], ==, -32.0f * -4);

  /* Q6_K: element 128 + 64 + 7 = 199: high nibble of ql[64 + 7], bits 4-5
   * of qh[32 + 7]; value 0b10_0101 = 37 -> 5; scale of sub-block 12 = -3 */
  q6.ql[71] = 5 << 4;
  q6.qh[39] = 2 << 4;
  q6.scales[12] = -3;
  lb_type_get_traits (LB_TYPE_Q6_K)->to_float (&q6, out, 256);
  g_assert_cmpfloat (out[199], ==, 0.5f * -3 * 5);
  g_assert_cmpfloat (out[198], ==, 0.5f * -3 * -32);

  /* Q2_K: element 128 + 96 + 20 = 244 (sub-block 15): bits 6-7 of qs[32 + 20] */
  q2.scales[15] = 5 | (3 << 4);
  q2.qs[52] = 2 << 6;
  lb_type_get_traits (LB_TYPE_Q2_K)->to_float (&q2, out, 256);
  g_assert_cmpfloat (out[244], ==, 5.0f * 2 - 0.5f * 3);
  g_assert_cmpfloat (out[243], ==, -0.5f * 3);
}

/* ---- round trips ---------------------------------------------------------- */

static void
test_round_trip (gconstpointer data)
{
  const TypeCase *c = data;
  const gint64 n = 256 * 64;
  GRand *r = g_rand_new_with_seed (1234);
  float *x = g_new (float, n), *y = g_new (float, n);
  double rel;

  fill_gaussian (r, x, n, 0.02);
  round_trip (c->type, x, y, n, NULL);
  rel = rms_diff (x, y, NULL, n) / rms (x, n);
  g_test_message ("%s: RMS error / RMS = %.5f (bound %.4f)", lb_type_get_name (c->type), rel, c->max_rel);
  g_assert_cmpfloat (rel, <, c->max_rel);
  g_assert_cmpfloat (rel, >, c->min_rel);

  /* scale invariance of the error ratio (no absolute epsilons hiding) */
  for (gint64 i = 0; i < n; i++)
    x[i] *= 1000;
  round_trip (c->type, x, y, n, NULL);
  g_assert_cmpfloat (rms_diff (x, y, NULL, n) / rms (x, n), <, c->max_rel);

  g_rand_free (r);
  g_free (x);
  g_free (y);
}

/* ---- importance ----------------------------------------------------------- */

static void
test_importance (gconstpointer data)
{
  const TypeCase *c = data;
  const gint64 n = 256 * 32;
  GRand *r = g_rand_new_with_seed (99);
  float *x = g_new (float, n), *y0 = g_new (float, n), *y1 = g_new (float, n), *imp = g_new (float, n);
  double e_plain, e_imp, e_flat_plain, e_flat;

  fill_gaussian (r, x, n, 1.0);
  /* a few columns matter a lot, the rest barely */
  for (gint64 i = 0; i < n; i++)
    imp[i] = g_rand_int_range (r, 0, 8) == 0 ? 50.0f : 0.1f;

  round_trip (c->type, x, y0, n, NULL);
  round_trip (c->type, x, y1, n, imp);
  e_plain = rms_diff (x, y0, imp, n);
  e_imp = rms_diff (x, y1, imp, n);
  g_test_message ("%s: importance-weighted RMS error plain %.5f, with importance %.5f (%.0f%%)",
                  lb_type_get_name (c->type), e_plain, e_imp, 100 * e_imp / e_plain);
  g_assert_cmpfloat (e_imp, <, 0.9 * e_plain);

  /* flat importance must not do worse than the plain quantizer */
  for (gint64 i = 0; i < n; i++)
    imp[i] = 1.0f;
  round_trip (c->type, x, y1, n, imp);
  e_flat_plain = rms_diff (x, y0, NULL, n);
  e_flat = rms_diff (x, y1, NULL, n);
  g_test_message ("%s: flat importance %.5f vs plain %.5f", lb_type_get_name (c->type), e_flat, e_flat_plain);
  g_assert_cmpfloat (e_flat, <, 1.02 * e_flat_plain);

  /* all-zero importance still gives a sane quantization */
  for (gint64 i = 0; i < n; i++)
    imp[i] = 0.0f;
  round_trip (c->type, x, y1, n, imp);
  g_assert_cmpfloat (rms_diff (x, y1, NULL, n) / rms (x, n), <, 2 * c->max_rel);

  g_rand_free (r);
  g_free (x);
  g_free (y0);
  g_free (y1);
  g_free (imp);
}

/* ---- dot products --------------------------------------------------------- */

static void
test_vec_dot (gconstpointer data)
{
  const TypeCase *c = data;
  const LbTypeTraits *tr = lb_type_get_traits (c->type);
  const LbTypeTraits *vt = lb_type_get_traits (tr->vec_dot_type);
  static const gint64 lengths[] = { 256, 768, 4096 };
  GRand *r = g_rand_new_with_seed (7);

  for (guint k = 0; k < G_N_ELEMENTS (lengths); k++)
    {
      gint64 n = lengths[k];
      float *x = g_new (float, n), *y = g_new (float, n), *xd = g_new (float, n), *yd = g_new (float, n);
      guint8 *xq = g_malloc (lb_type_row_size (c->type, n));
      guint8 *yq = g_malloc (lb_type_row_size (tr->vec_dot_type, n));
      double ref = 0, mag = 0, exact = 0, exact_mag = 0;
      float got;

      fill_gaussian (r, x, n, 0.05);
      fill_gaussian (r, y, n, 3.0);
      tr->from_float (x, xq, n, NULL);
      vt->from_float (y, yq, n, NULL);
      tr->to_float (xq, xd, n);
      vt->to_float (yq, yd, n);
      for (gint64 i = 0; i < n; i++)
        {
          ref += (double) xd[i] * yd[i];
          mag += fabs ((double) xd[i] * yd[i]);
          exact += (double) x[i] * y[i];
          exact_mag += fabs ((double) x[i] * y[i]);
        }
      tr->vec_dot (n, &got, xq, yq);
      /* the same products, summed in another order and precision */
      g_assert_cmpfloat (fabs (got - ref), <=, 2e-6 * mag + 1e-30);
      /* and close to the unquantized dot product, as the formats allow */
      g_assert_cmpfloat (fabs (got - exact), <=, 4 * c->max_rel * exact_mag / sqrt (n) * 4 + 1e-6);

      g_free (x);
      g_free (y);
      g_free (xd);
      g_free (yd);
      g_free (xq);
      g_free (yq);
    }
  g_rand_free (r);
}

/* ---- zeros and non-finite input ------------------------------------------- */

static void
test_zeros (gconstpointer data)
{
  const TypeCase *c = data;
  const LbTypeTraits *tr = lb_type_get_traits (c->type);
  const gint64 n = 512;
  float *x = g_new0 (float, n), *y = g_new (float, n), *imp = g_new0 (float, n);
  guint8 *q = g_malloc (lb_type_row_size (c->type, n));

  for (int pass = 0; pass < 2; pass++)
    {
      memset (y, 0xff, n * sizeof (float));   /* NaN pattern: every value must be written */
      tr->from_float (x, q, n, pass ? imp : NULL);
      tr->to_float (q, y, n);
      for (gint64 i = 0; i < n; i++)
        g_assert_cmpfloat (y[i], ==, 0.0f);
    }
  if (tr->vec_dot)
    {
      const LbTypeTraits *vt = lb_type_get_traits (tr->vec_dot_type);
      guint8 *yq = g_malloc (lb_type_row_size (tr->vec_dot_type, n));
      float *a = g_new (float, n), got = -1;
      for (gint64 i = 0; i < n; i++)
        a[i] = (float) (i % 7) - 3;
      vt->from_float (a, yq, n, NULL);
      tr->vec_dot (n, &got, q, yq);
      g_assert_cmpfloat (got, ==, 0.0f);
      g_free (yq);
      g_free (a);
    }
  g_free (x);
  g_free (y);
  g_free (imp);
  g_free (q);
}

/* NaN/Inf: detected by lb_quant_check_finite; the kernels do not crash and
 * the blocks without a bad value come out as they would without it. */
static void
test_nonfinite (gconstpointer data)
{
  const TypeCase *c = data;
  const LbTypeTraits *tr = lb_type_get_traits (c->type);
  const gint64 n = 1024;
  const gint64 bad = 300;   /* in the second K super-block, tenth legacy block */
  const float specials[] = { NAN, INFINITY, -INFINITY };
  GRand *r = g_rand_new_with_seed (5);
  float *x = g_new (float, n), *ref = g_new (float, n), *y = g_new (float, n);
  float *imp = g_new (float, n);
  gint64 where = -1;

  fill_gaussian (r, x, n, 1.0);
  for (gint64 i = 0; i < n; i++)
    imp[i] = 1.0f + (i % 3);
  g_assert_true (lb_quant_check_finite (x, n, &where));
  round_trip (c->type, x, ref, n, NULL);

  for (guint s = 0; s < G_N_ELEMENTS (specials); s++)
    {
      float keep = x[bad];
      x[bad] = specials[s];
      g_assert_false (lb_quant_check_finite (x, n, &where));
      g_assert_cmpint (where, ==, bad);

      for (int pass = 0; pass < 2; pass++)
        {
          round_trip (c->type, x, y, n, pass ? imp : NULL);
          if (pass == 0)
            for (gint64 i = 0; i < n; i++)
              if (i / tr->block_size != bad / tr->block_size)
                g_assert_cmpfloat (y[i], ==, ref[i]);
        }
      x[bad] = keep;
    }
  g_rand_free (r);
  g_free (x);
  g_free (ref);
  g_free (y);
  g_free (imp);
}

static void
add_per_type (const char *name, GTestDataFunc func, gboolean weights_only)
{
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      char *path;
      if (weights_only && (cases[i].type == LB_TYPE_Q8_1 || cases[i].type == LB_TYPE_Q8_K))
        continue;
      path = g_strdup_printf ("/lowbit/quant/%s/%s", name, lb_type_get_name (cases[i].type));
      g_test_add_data_func (path, &cases[i], func);
      g_free (path);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/lowbit/quant/traits", test_traits);
  g_test_add_func ("/lowbit/quant/layout/legacy", test_layout_legacy);
  g_test_add_func ("/lowbit/quant/layout/k", test_layout_k);
  add_per_type ("round-trip", test_round_trip, FALSE);
  add_per_type ("importance", test_importance, TRUE);
  add_per_type ("vec-dot", test_vec_dot, TRUE);
  add_per_type ("zeros", test_zeros, FALSE);
  add_per_type ("non-finite", test_nonfinite, FALSE);
  return g_test_run ();
}
