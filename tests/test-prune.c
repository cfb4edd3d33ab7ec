/* test-prune.c: magnitude pruning (lb-prune.h).
 *
 * Rows small enough to work out by hand give the exact result; larger rows
 * are checked against the definition (the pruned weights are the
 * lowest-scored, by a plain sort done here); real tensors of mini-qwen2
 * against their own rows; and the accuracy cost on mini-qwen2 must grow
 * with the sparsity. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lowbit.h"
#include "lb-eval.h"
#include "lb-prune.h"
#include "lb-quantize.h"
#include "lb-test-util.h"

static LbModel *
load_shared (const char *dir, const char *file)
{
  g_autofree char *path = lb_test_shared_path ("models", dir, file, NULL);
  GError *error = NULL;
  LbModel *model;

  if (path == NULL)
    return NULL;
  model = lb_model_load (path, NULL, NULL, &error);
  g_assert_no_error (error);
  return model;
}

#define LOAD_F16() load_shared ("mini-qwen2", "mini-qwen2-f16.gguf")

static void
assert_row (const float *got, const float *want, gsize n)
{
  for (gsize i = 0; i < n; i++)
    if (got[i] != want[i])
      g_error ("column %" G_GSIZE_FORMAT ": %g, expected %g", i, got[i], want[i]);
}

/* ---- rows by hand ------------------------------------------------------------------ */

static void
test_row_exact (void)
{
  const float in[10] = { 0.5f, -0.1f, 0.3f, -0.7f, 0.2f, 0.05f, -0.9f, 0.4f, 0.6f, -0.15f };
  /* 30%: the three smallest magnitudes, 0.05, 0.1, 0.15 */
  const float want30[10] = { 0.5f, 0, 0.3f, -0.7f, 0.2f, 0, -0.9f, 0.4f, 0.6f, 0 };
  /* 50%: also 0.2 and 0.3 */
  const float want50[10] = { 0.5f, 0, 0, -0.7f, 0, 0, -0.9f, 0.4f, 0.6f, 0 };
  float row[10];
  guint64 keys[10];

  memcpy (row, in, sizeof row);
  g_assert_cmpuint (lb_prune_row (row, 10, NULL, 0.0, keys), ==, 0);
  assert_row (row, in, 10);

  memcpy (row, in, sizeof row);
  g_assert_cmpuint (lb_prune_row (row, 10, NULL, 0.3, keys), ==, 3);
  assert_row (row, want30, 10);

  memcpy (row, in, sizeof row);
  g_assert_cmpuint (lb_prune_row (row, 10, NULL, 0.5, keys), ==, 5);
  assert_row (row, want50, 10);

  /* round (0.29 * 100) = 29, although 0.29 * 100 < 29 in binary */
  {
    float big[100];
    guint64 k100[100];
    for (int i = 0; i < 100; i++)
      big[i] = (float) (i + 1);
    g_assert_cmpuint (lb_prune_row (big, 100, NULL, 0.29, k100), ==, 29);
    for (int i = 0; i < 100; i++)
      g_assert_cmpfloat (big[i], ==, i < 29 ? 0.0f : (float) (i + 1));
  }
  /* zeros already there count: 2 of 4 are zero, 25% asks for 1 */
  {
    float z[4] = { 0, 3, 0, -1 };
    const float wz[4] = { 0, 3, 0, -1 };
    guint64 k4[4];
    g_assert_cmpuint (lb_prune_row (z, 4, NULL, 0.25, k4), ==, 2);
    assert_row (z, wz, 4);
  }
}

/* definition check: exactly round (s n) zeros (none before), every pruned
 * magnitude <= every kept one */
static void
check_unstructured (const float *in, const float *out, gsize n, double s)
{
  gsize k = (gsize) llround (s * (double) n), zeros = 0;
  float max_pruned = 0, min_kept = INFINITY;

  for (gsize i = 0; i < n; i++)
    if (out[i] == 0)
      {
        zeros++;
        max_pruned = MAX (max_pruned, fabsf (in[i]));
      }
    else
      {
        g_assert_cmpfloat (out[i], ==, in[i]);
        min_kept = MIN (min_kept, fabsf (in[i]));
      }
  g_assert_cmpuint (zeros, ==, k);
  g_assert_cmpfloat (max_pruned, <=, min_kept);
}

static void
test_row_large (void)
{
  const gsize n = 5003;
  g_autofree float *in = g_new (float, n);
  g_autofree float *row = g_new (float, n);
  g_autofree guint64 *keys = g_new (guint64, n);
  g_autoptr (GRand) rand = g_rand_new_with_seed (42);
  const double sparsities[] = { 0.01, 0.3, 0.5, 0.77, 0.999 };

  /* random, ascending, descending and V-shaped rows (quickselect's bad cases) */
  for (int shape = 0; shape < 4; shape++)
    {
      for (gsize i = 0; i < n; i++)
        switch (shape)
          {
          case 0: in[i] = (float) g_rand_double_range (rand, -1, 1); break;
          case 1: in[i] = (float) (i + 1); break;
          case 2: in[i] = (float) (n - i); break;
          default: in[i] = (float) (1 + labs ((long) i - (long) n / 2)) * (i % 2 ? -1.f : 1.f); break;
          }
      for (guint s = 0; s < G_N_ELEMENTS (sparsities); s++)
        {
          memcpy (row, in, n * sizeof *row);
          lb_prune_row (row, (gint64) n, NULL, sparsities[s], keys);
          check_unstructured (in, row, n, sparsities[s]);
        }
    }
}

static void
test_row_nm (void)
{
  const float in[12] = { 1, -3, 2, 0.5f, 0, 0, 0, 4, 0.1f, 0.2f, 0.3f, 0.4f };
  const float want[12] = { 0, -3, 2, 0, 0, 0, 0, 4, 0, 0, 0.3f, 0.4f };
  float row[12];
  guint64 zeros;
  const gsize n = 4096;
  g_autofree float *big = g_new (float, n);
  g_autofree float *out = g_new (float, n);
  g_autoptr (GRand) rand = g_rand_new_with_seed (7);
  const guint patterns[][2] = { { 2, 4 }, { 4, 8 }, { 1, 4 }, { 3, 16 } };

  memcpy (row, in, sizeof row);
  g_assert_true (lb_prune_row_nm (row, 12, NULL, 2, 4, &zeros));
  assert_row (row, want, 12);
  g_assert_cmpuint (zeros, ==, 7);   /* the middle group had 3 zeros already */

  /* every group: at most N nonzeros, exactly N when it had no zeros, and
   * the kept are the group's largest */
  for (gsize i = 0; i < n; i++)
    big[i] = i % 37 == 0 ? 0.0f : (float) g_rand_double_range (rand, -1, 1);
  for (guint p = 0; p < G_N_ELEMENTS (patterns); p++)
    {
      guint keep = patterns[p][0], m = patterns[p][1];

      memcpy (out, big, n * sizeof *out);
      g_assert_true (lb_prune_row_nm (out, (gint64) n, NULL, keep, m, &zeros));
      for (gsize g = 0; g < n; g += m)
        {
          guint nz_in = 0, nz_out = 0;
          float min_kept = INFINITY, max_pruned = 0;
          for (guint i = 0; i < m; i++)
            {
              nz_in += big[g + i] != 0;
              if (out[g + i] != 0)
                {
                  nz_out++;
                  g_assert_cmpfloat (out[g + i], ==, big[g + i]);
                  min_kept = MIN (min_kept, fabsf (big[g + i]));
                }
              else
                max_pruned = MAX (max_pruned, fabsf (big[g + i]));
            }
          g_assert_cmpuint (nz_out, ==, MIN (keep, nz_in));
          g_assert_cmpfloat (max_pruned, <=, min_kept);
        }
    }
  /* rows that do not split into groups */
  g_assert_false (lb_prune_row_nm (row, 10, NULL, 2, 4, &zeros));
}

static void
test_importance (void)
{
  const float in[4] = { 1.0f, 0.9f, 0.8f, 0.7f };
  /* scores |w| sqrt (imp): 0.1, 0.9, 1.6, 0.7 */
  const float imp[4] = { 0.01f, 1.0f, 4.0f, 1.0f };
  const float plain[4] = { 1.0f, 0.9f, 0, 0 };
  const float weighted[4] = { 0, 0.9f, 0.8f, 0 };
  float row[4];
  guint64 keys[4], zeros;

  memcpy (row, in, sizeof row);
  lb_prune_row (row, 4, NULL, 0.5, keys);
  assert_row (row, plain, 4);
  memcpy (row, in, sizeof row);
  lb_prune_row (row, 4, imp, 0.5, keys);
  assert_row (row, weighted, 4);
  /* the same through 2:4 */
  memcpy (row, in, sizeof row);
  g_assert_true (lb_prune_row_nm (row, 4, imp, 2, 4, &zeros));
  assert_row (row, weighted, 4);
  /* zero importance makes a weight worthless */
  {
    const float imp0[4] = { 1, 1, 0, 1 };
    const float want[4] = { 1.0f, 0.9f, 0, 0.7f };
    memcpy (row, in, sizeof row);
    lb_prune_row (row, 4, imp0, 0.25, keys);
    assert_row (row, want, 4);
  }
}

static void
test_ties (void)
{
  float row[8];
  guint64 keys[8], zeros;

  /* equal scores: the lower columns go first */
  for (int i = 0; i < 8; i++)
    row[i] = 1.0f;
  lb_prune_row (row, 8, NULL, 0.25, keys);
  {
    const float want[8] = { 0, 0, 1, 1, 1, 1, 1, 1 };
    assert_row (row, want, 8);
  }
  {
    float r[4] = { -2, 2, 1, -1 };
    const float want[4] = { -2, 2, 0, 0 };
    lb_prune_row (r, 4, NULL, 0.5, keys);
    assert_row (r, want, 4);
  }
  {
    float r[8] = { 2, -2, 2, -2, 5, 5, 5, 5 };
    const float want[8] = { 0, 0, 2, -2, 0, 0, 5, 5 };
    g_assert_true (lb_prune_row_nm (r, 8, NULL, 2, 4, &zeros));
    assert_row (r, want, 8);
  }
  /* -0 is a zero */
  {
    float r[4] = { -0.0f, 3, 2, 1 };
    g_assert_cmpuint (lb_prune_row (r, 4, NULL, 0.25, keys), ==, 1);
    g_assert_cmpfloat (r[3], ==, 1);
  }
}

static void
test_parse_pattern (void)
{
  const char *bad[] = { "4:2", "0:4", "2:2", "2-4", "2:", ":4", "2:4x", "2:300", "", " 2:4",
                        "99999999999:4" };
  guint n = 0, m = 0;

  g_assert_true (lb_prune_parse_pattern ("2:4", &n, &m, NULL));
  g_assert_cmpuint (n, ==, 2);
  g_assert_cmpuint (m, ==, 4);
  g_assert_true (lb_prune_parse_pattern ("4:8", &n, &m, NULL));
  g_assert_cmpuint (n, ==, 4);
  g_assert_cmpuint (m, ==, 8);
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      GError *error = NULL;
      g_assert_false (lb_prune_parse_pattern (bad[i], &n, &m, &error));
      g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT);
      g_error_free (error);
    }
}

/* ---- parameters and tensors ---------------------------------------------------------- */

static void
test_params (void)
{
  const double bad_s[] = { -0.1, 1.0, 1.5, NAN };
  const char *bad_inc[] = { "blk.[x].ffn_up.weight", NULL };
  LbPruneParams p = { 0 };
  GError *error = NULL;

  p.sparsity = 0.5;
  g_assert_true (lb_prune_params_check (&p, NULL));
  for (guint i = 0; i < G_N_ELEMENTS (bad_s); i++)
    {
      p.sparsity = bad_s[i];
      g_assert_false (lb_prune_params_check (&p, &error));
      g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT);
      g_clear_error (&error);
    }
  p.sparsity = 2.0;   /* ignored with a pattern */
  p.n = 2;
  p.m = 4;
  g_assert_true (lb_prune_params_check (&p, NULL));
  p.n = 4;
  g_assert_false (lb_prune_params_check (&p, &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  p.n = 2;
  p.include = bad_inc;
  g_assert_false (lb_prune_params_check (&p, &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "blk.[x]"));
  g_clear_error (&error);
}

static void
test_tensor_errors (void)
{
  const gint64 ne[2] = { 6, 2 };
  float data[12] = { 1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6 };
  LbPruneParams p = { .sparsity = 0.5, .n_threads = 1 };
  LbPruneTensorStat stat;
  GError *error = NULL;
  GBytes *out;
  g_autoptr (LbTensor) t = lb_tensor_new ("blk.0.ffn_up.weight", LB_TYPE_F32, 2, ne,
                                          (const guint8 *) data, sizeof data);

  /* fine unstructured: 3 zeros a row */
  out = lb_prune_tensor (t, &p, &stat, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (stat.n_zero, ==, 6);
  g_assert_cmpuint (stat.n_zero_before, ==, 0);
  g_assert_cmpint (stat.type, ==, LB_TYPE_F32);
  {
    const float *f = g_bytes_get_data (out, NULL);
    const float want[12] = { 0, 0, 0, 4, 5, 6, 0, 0, 0, 4, 5, 6 };
    assert_row (f, want, 12);
  }
  g_free (stat.name);
  g_bytes_unref (out);

  /* 2:4 does not fit rows of 6 */
  p.n = 2;
  p.m = 4;
  g_assert_null (lb_prune_tensor (t, &p, &stat, NULL, &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "blk.0.ffn_up.weight"));
  g_clear_error (&error);

  /* a NaN weight is named */
  p.m = 0;
  data[8] = NAN;
  g_assert_null (lb_prune_tensor (t, &p, &stat, NULL, &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_NUMERIC);
  g_assert_nonnull (strstr (error->message, "row 1, column 2"));
  g_clear_error (&error);
}

static void
test_select (void)
{
  g_autoptr (LbModel) model = LOAD_F16 ();
  const char *inc[] = { "blk.[0-1].ffn_*", NULL };
  const char *exc[] = { "*ffn_down*", NULL };
  const char *none[] = { "blk.99.*", NULL };
  LbPruneParams p = { .sparsity = 0.3 };
  GError *error = NULL;
  guint n_default = 0;

  if (model == NULL)
    return;
  g_assert_true (lb_prune_selects (&p, lb_model_find_tensor (model, "blk.0.attn_q.weight")));
  g_assert_true (lb_prune_selects (&p, lb_model_find_tensor (model, "blk.7.ffn_down.weight")));
  g_assert_false (lb_prune_selects (&p, lb_model_find_tensor (model, "token_embd.weight")));
  g_assert_false (lb_prune_selects (&p, lb_model_find_tensor (model, "blk.0.attn_norm.weight")));
  g_assert_false (lb_prune_selects (&p, lb_model_find_tensor (model, "blk.0.attn_q.bias")));
  g_assert_false (lb_prune_selects (&p, lb_model_find_tensor (model, "output_norm.weight")));
  for (guint i = 0; i < lb_model_get_n_tensors (model); i++)
    n_default += lb_prune_selects (&p, lb_model_get_tensor (model, i));
  g_assert_cmpuint (n_default, ==, 8 * 7);   /* 8 blocks of q, k, v, o, gate, up, down */

  p.include = inc;
  p.exclude = exc;
  g_assert_true (lb_prune_selects (&p, lb_model_find_tensor (model, "blk.1.ffn_up.weight")));
  g_assert_false (lb_prune_selects (&p, lb_model_find_tensor (model, "blk.1.ffn_down.weight")));
  g_assert_false (lb_prune_selects (&p, lb_model_find_tensor (model, "blk.2.ffn_up.weight")));
  g_assert_false (lb_prune_selects (&p, lb_model_find_tensor (model, "blk.0.attn_q.weight")));

  /* an include pattern that matches nothing is an error, not a no-op */
  p.include = none;
  p.exclude = NULL;
  g_assert_null (lb_prune_model (model, &p, NULL, NULL, NULL, NULL, &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "blk.99.*"));
  g_clear_error (&error);
}

static guint64
row_zeros (const LbTensor *t, gint64 row, float *scratch)
{
  guint64 z = 0;

  lb_type_get_traits (t->type)->to_float (t->data + (gsize) row * lb_tensor_row_bytes (t),
                                          scratch, t->ne[0]);
  for (gint64 c = 0; c < t->ne[0]; c++)
    z += scratch[c] == 0.0f;
  return z;
}

/* Every row of the pruned model against the same row of the base: at
 * least round (s n) zeros, or the zeros it had, and the others untouched;
 * unselected tensors are the base's bytes. Threads do not change a bit. */
static void
test_model (void)
{
  g_autoptr (LbModel) base = LOAD_F16 ();
  g_autoptr (LbModel) pruned = NULL, pruned1 = NULL;
  g_autoptr (LbPruneReport) report = NULL, report1 = NULL;
  LbPruneParams p = { .sparsity = 0.3, .n_threads = 2 };
  GError *error = NULL;

  if (base == NULL)
    return;
  pruned = lb_prune_model (base, &p, &report, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (report->tensors->len, ==, 56);
  g_assert_cmpuint (report->n_model_elements, ==, lb_model_get_n_params (base));

  for (guint i = 0; i < report->tensors->len; i++)
    {
      const LbPruneTensorStat *s = &g_array_index (report->tensors, LbPruneTensorStat, i);
      const LbTensor *bt = lb_model_find_tensor (base, s->name);
      const LbTensor *pt = lb_model_find_tensor (pruned, s->name);
      gint64 k = llround (0.3 * (double) bt->ne[0]);
      g_autofree float *a = g_new (float, bt->ne[0]);
      g_autofree float *b = g_new (float, bt->ne[0]);
      guint64 total = 0;

      g_assert_cmpint (s->type, ==, LB_TYPE_F16);
      g_assert_cmpint (pt->type, ==, LB_TYPE_F16);
      g_assert_cmpuint (s->n_elements, ==, (guint64) lb_tensor_n_elements (bt));
      for (gint64 r = 0; r < lb_tensor_n_rows (bt); r++)
        {
          guint64 z0 = row_zeros (bt, r, a);
          guint64 z1 = row_zeros (pt, r, b);
          g_assert_cmpuint (z1, ==, MAX ((guint64) k, z0));
          for (gint64 c = 0; c < bt->ne[0]; c++)
            g_assert_true (b[c] == 0.0f || b[c] == a[c]);
          total += z1;
        }
      g_assert_cmpuint (total, ==, s->n_zero);
    }
  for (guint i = 0; i < lb_model_get_n_tensors (base); i++)
    {
      const LbTensor *bt = lb_model_get_tensor (base, i);
      if (!lb_prune_selects (&p, bt))
        g_assert_true (lb_model_find_tensor (pruned, bt->name)->data == bt->data);
    }
  g_assert_cmpfloat (fabs (lb_prune_report_sparsity (report) - 0.3), <, 0.001);

  /* one thread: the same bytes */
  p.n_threads = 1;
  pruned1 = lb_prune_model (base, &p, &report1, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < report->tensors->len; i++)
    {
      const char *name = g_array_index (report->tensors, LbPruneTensorStat, i).name;
      const LbTensor *x = lb_model_find_tensor (pruned, name);
      const LbTensor *y = lb_model_find_tensor (pruned1, name);
      g_assert_cmpmem (x->data, x->n_bytes, y->data, y->n_bytes);
    }
}

/* With llama.cpp's importance matrix, the zeros of a row are the lowest
 * |w| sqrt (importance), worked out here by a plain sort; and they differ
 * from plain magnitude's. */
typedef struct {
  float score;
  gint  col;
} Scored;

static int
cmp_scored (const void *a, const void *b)
{
  const Scored *x = a, *y = b;

  if (x->score != y->score)
    return x->score < y->score ? -1 : 1;
  return x->col - y->col;
}

static void
test_importance_model (void)
{
  g_autoptr (LbModel) base = LOAD_F16 ();
  g_autofree char *imat_path = lb_test_shared_path ("models", "llamacpp-quants",
                                                     "imatrix-wikitext2-valid.gguf", NULL);
  g_autoptr (LbImatrix) imatrix = NULL;
  g_autoptr (LbModel) plain = NULL, weighted = NULL;
  const char *inc[] = { "blk.0.ffn_down.weight", NULL };
  LbPruneParams p = { .sparsity = 0.5, .include = inc, .n_threads = 2 };
  const char *name = inc[0];
  const LbTensor *bt, *pt, *wt;
  const float *imp;
  gsize n_imp = 0;
  GError *error = NULL;
  guint rows_differ = 0;

  if (base == NULL || imat_path == NULL)
    return;
  imatrix = lb_imatrix_load (imat_path, &error);
  g_assert_no_error (error);
  plain = lb_prune_model (base, &p, NULL, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  p.importance = imatrix;
  weighted = lb_prune_model (base, &p, NULL, NULL, NULL, NULL, &error);
  g_assert_no_error (error);

  bt = lb_model_find_tensor (base, name);
  pt = lb_model_find_tensor (plain, name);
  wt = lb_model_find_tensor (weighted, name);
  imp = lb_imatrix_get_importance (imatrix, name, &n_imp);
  g_assert_nonnull (imp);
  g_assert_cmpuint (n_imp, ==, (gsize) bt->ne[0]);
  {
    gint64 n = bt->ne[0], k = llround (0.5 * (double) n);
    g_autofree float *w = g_new (float, n);
    g_autofree float *x = g_new (float, n);
    g_autofree float *y = g_new (float, n);
    g_autofree Scored *s = g_new (Scored, n);

    for (gint64 r = 0; r < lb_tensor_n_rows (bt); r++)
      {
        row_zeros (bt, r, w);
        row_zeros (wt, r, x);
        row_zeros (pt, r, y);
        for (gint64 c = 0; c < n; c++)
          s[c] = (Scored) { fabsf (w[c]) * sqrtf (imp[c]), (gint) c };
        qsort (s, (gsize) n, sizeof *s, cmp_scored);
        for (gint64 i = 0; i < n; i++)
          {
            gint c = s[i].col;
            if (i < k)
              g_assert_cmpfloat (x[c], ==, 0.0f);
            else
              g_assert_cmpfloat (x[c], ==, w[c]);
          }
        rows_differ += memcmp (x, y, (gsize) n * sizeof *x) != 0;
      }
  }
  /* importance changes which weights go, in (nearly) every row */
  g_assert_cmpuint (rows_differ, >, (guint) lb_tensor_n_rows (bt) * 9 / 10);
}

/* Prune in float, then quantize to Q8_0 with the streaming quantizer: every
 * pruned weight is still exactly zero in the file. */
static void
test_then_q8 (void)
{
  g_autoptr (LbModel) base = LOAD_F16 ();
  g_autoptr (LbModel) pruned = NULL, q8 = NULL;
  g_autoptr (LbRecipe) recipe = lb_recipe_new ("q8");
  g_autoptr (LbQuantPlan) plan = NULL;
  g_autofree char *dir = lb_test_make_tmpdir ();
  g_autofree char *out = g_build_filename (dir, "pruned-q8.gguf", NULL);
  LbPruneParams p = { .sparsity = 0.5, .n_threads = 2 };
  g_autoptr (LbPruneReport) report = NULL;
  GError *error = NULL;
  guint64 checked = 0;

  if (base == NULL)
    return;
  pruned = lb_prune_model (base, &p, &report, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  lb_recipe_set_base_type (recipe, LB_TYPE_Q8_0);
  g_assert_true (lb_recipe_resolve (recipe, pruned, NULL, &plan, &error));
  g_assert_no_error (error);
  g_assert_true (lb_quantize_model (pruned, plan, NULL, out, 2, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  q8 = lb_model_load (out, NULL, NULL, &error);
  g_assert_no_error (error);

  for (guint i = 0; i < report->tensors->len; i++)
    {
      const char *name = g_array_index (report->tensors, LbPruneTensorStat, i).name;
      const LbTensor *pt = lb_model_find_tensor (pruned, name);
      const LbTensor *qt = lb_model_find_tensor (q8, name);
      g_autofree float *a = g_new (float, pt->ne[0]);
      g_autofree float *b = g_new (float, pt->ne[0]);

      g_assert_cmpint (qt->type, ==, LB_TYPE_Q8_0);
      for (gint64 r = 0; r < lb_tensor_n_rows (pt); r++)
        {
          guint64 zq = row_zeros (qt, r, b);
          row_zeros (pt, r, a);
          for (gint64 c = 0; c < pt->ne[0]; c++)
            if (a[c] == 0.0f)
              {
                g_assert_cmpfloat (b[c], ==, 0.0f);
                checked++;
              }
          g_assert_cmpuint (zq, >=, (guint64) llround (0.5 * (double) pt->ne[0]));
        }
    }
  g_assert_cmpuint (checked, >=, report->n_zero);
  g_object_unref (g_steal_pointer (&q8));
  lb_test_rmtree (dir);
}

/* A quantized model is pruned through float and re-quantized to its own
 * types: Q8_0 (symmetric) keeps every zero, Q4_K (with a minimum per
 * block) cannot, and the report says so. */
static void
test_quantized_source (void)
{
  g_autoptr (LbModel) q8 = load_shared ("llamacpp-quants", "mini-Q8_0.gguf");
  g_autoptr (LbModel) q4 = load_shared ("llamacpp-quants", "mini-Q4_K_M-imatrix.gguf");
  g_autoptr (LbModel) pruned = NULL, pruned4 = NULL;
  g_autoptr (LbPruneReport) report = NULL, report4 = NULL;
  const char *inc[] = { "blk.0.attn_q.weight", NULL };
  LbPruneParams p = { .sparsity = 0.3, .include = inc, .n_threads = 2 };
  const LbTensor *bt, *pt;
  GError *error = NULL;

  if (q8 == NULL || q4 == NULL)
    return;
  pruned = lb_prune_model (q8, &p, &report, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_null (report->warnings[0]);
  bt = lb_model_find_tensor (q8, inc[0]);
  pt = lb_model_find_tensor (pruned, inc[0]);
  g_assert_cmpint (pt->type, ==, LB_TYPE_Q8_0);
  g_assert_cmpint (g_array_index (report->tensors, LbPruneTensorStat, 0).type, ==, LB_TYPE_Q8_0);
  {
    g_autofree float *a = g_new (float, bt->ne[0]);
    g_autofree float *b = g_new (float, bt->ne[0]);
    gint64 k = llround (0.3 * (double) bt->ne[0]);
    guint64 total = 0;

    for (gint64 r = 0; r < lb_tensor_n_rows (bt); r++)
      {
        guint64 z0 = row_zeros (bt, r, a);
        guint64 z1 = row_zeros (pt, r, b);
        g_assert_cmpuint (z1, >=, MAX ((guint64) k, z0));
        total += z1;
      }
    g_assert_cmpuint (total, ==, report->n_zero);
  }

  pruned4 = lb_prune_model (q4, &p, &report4, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (lb_model_find_tensor (pruned4, inc[0])->type, ==, LB_TYPE_Q4_K);
  g_assert_cmpfloat (lb_prune_report_sparsity (report4), <, 0.27);
  g_assert_nonnull (report4->warnings[0]);
  g_assert_nonnull (strstr (report4->warnings[0], "Q4_K cannot hold exact zeros"));
}

/* The accuracy cost grows with the sparsity: mean KLD against the
 * unpruned model on 2 chunks of wikitext. */
static void
test_kld_grows (void)
{
  g_autoptr (LbModel) base = LOAD_F16 ();
  g_autofree char *path = lb_test_shared_path ("text", "wikitext2-test.txt", NULL);
  g_autofree char *text = NULL;
  const double sparsity[] = { 0.1, 0.3, 0.5 };
  double kld[3], top1[3];
  gsize len = 0;

  if (base == NULL || path == NULL)
    return;
  g_assert_true (g_file_get_contents (path, &text, &len, NULL));
  len = MIN (len, 20000);   /* plenty for 2 chunks of 512 tokens */
  for (guint i = 0; i < G_N_ELEMENTS (sparsity); i++)
    {
      LbPruneParams p = { .sparsity = sparsity[i], .n_threads = 2 };
      LbEvalParams ep = { .n_ctx = 512, .n_chunks = 2, .n_threads = 2 };
      g_autoptr (LbModel) pruned = NULL;
      g_autoptr (LbEvalResult) r = NULL;
      GError *error = NULL;

      pruned = lb_prune_model (base, &p, NULL, NULL, NULL, NULL, &error);
      g_assert_no_error (error);
      r = lb_eval_run (pruned, base, text, (gssize) len, &ep, NULL, NULL, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (r->n_chunks, ==, 2);
      kld[i] = r->mean_kld;
      top1[i] = r->same_top1;
      g_test_message ("sparsity %.1f: mean KLD %.5f, same top-1 %.2f%%", sparsity[i], kld[i],
                      100 * top1[i]);
    }
  g_assert_cmpfloat (kld[0], >, 1e-4);
  g_assert_cmpfloat (kld[0], <, kld[1]);
  g_assert_cmpfloat (kld[1], <, kld[2]);
  g_assert_cmpfloat (top1[2], <, 1.0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/lowbit/prune/row-exact", test_row_exact);
  g_test_add_func ("/lowbit/prune/row-large", test_row_large);
  g_test_add_func ("/lowbit/prune/row-nm", test_row_nm);
  g_test_add_func ("/lowbit/prune/importance", test_importance);
  g_test_add_func ("/lowbit/prune/ties", test_ties);
  g_test_add_func ("/lowbit/prune/parse-pattern", test_parse_pattern);
  g_test_add_func ("/lowbit/prune/params", test_params);
  g_test_add_func ("/lowbit/prune/tensor-errors", test_tensor_errors);
  g_test_add_func ("/lowbit/prune/select", test_select);
  g_test_add_func ("/lowbit/prune/model", test_model);
  g_test_add_func ("/lowbit/prune/importance-model", test_importance_model);
  g_test_add_func ("/lowbit/prune/then-q8", test_then_q8);
  g_test_add_func ("/lowbit/prune/quantized-source", test_quantized_source);
  g_test_add_func ("/lowbit/prune/kld-grows", test_kld_grows);
  return g_test_run ();
}
