/* test-sensitivity.c: per-group KLD sensitivity on mini-qwen2.
 *
 * The cells are checked against evaluations made outside the module: a
 * variant whose token embedding is taken from llama.cpp's own Q8_0 file
 * (llama-quantize's bytes, not Lowbit's quantizer) evaluated by lb_eval_run
 * must give the token_embd.weight@Q8_0 cell exactly; Q2_K must hurt every
 * group more than Q8_0; the proxy must equal lb-tensor-error's figures;
 * the cache must give identical numbers without evaluating; cancelling must
 * stop the run and keep what was done. */
#include <math.h>
#include <string.h>
#include <glib/gstdio.h>

#include "lowbit.h"
#include "lb-sensitivity.h"
#include "lb-tensor-error.h"
#include "lb-variant.h"
#include "lb-test-util.h"

#define CTX    32
#define CHUNKS 2

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

static char *
load_text (gsize *len)
{
  g_autofree char *path = lb_test_shared_path ("text", "wikitext2-valid.txt", NULL);
  GError *error = NULL;
  char *text = NULL;

  if (path == NULL)
    return NULL;
  g_file_get_contents (path, &text, len, &error);
  g_assert_no_error (error);
  return text;
}

static void
params_for (LbSensitivityParams *p, const LbType *types, guint n_types, LbSensGroupBy by)
{
  lb_sensitivity_params_init (p);
  p->types = types;
  p->n_types = n_types;
  p->group_by = by;
  p->n_ctx = CTX;
  p->n_chunks = CHUNKS;
  p->n_threads = 2;
  p->engine = LB_EVAL_ENGINE_FAST;
}

static gint
find_group (LbSensitivity *s, const char *name)
{
  for (guint g = 0; g < lb_sensitivity_get_n_groups (s); g++)
    if (strcmp (lb_sensitivity_get_group_name (s, g), name) == 0)
      return (gint) g;
  return -1;
}

static void
test_group_names (void)
{
  static const struct { const char *name, *tensor, *layer, *kind; } cases[] = {
    { "blk.3.attn_v.weight", "blk.3.attn_v.weight", "blk.3", "attn_v" },
    { "blk.12.ffn_down.weight", "blk.12.ffn_down.weight", "blk.12", "ffn_down" },
    { "token_embd.weight", "token_embd.weight", "token_embd.weight", "token_embd.weight" },
    { "output.weight", "output.weight", "output.weight", "output.weight" },
    { "blk.x.attn_q.weight", "blk.x.attn_q.weight", "blk.x.attn_q.weight", "blk.x.attn_q.weight" },
    { "blk.0.ffn_gate_exps", "blk.0.ffn_gate_exps", "blk.0", "ffn_gate_exps" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *t = lb_sens_group_of (cases[i].name, LB_SENS_GROUP_TENSOR);
      g_autofree char *l = lb_sens_group_of (cases[i].name, LB_SENS_GROUP_LAYER);
      g_autofree char *k = lb_sens_group_of (cases[i].name, LB_SENS_GROUP_KIND);
      g_assert_cmpstr (t, ==, cases[i].tensor);
      g_assert_cmpstr (l, ==, cases[i].layer);
      g_assert_cmpstr (k, ==, cases[i].kind);
    }
}

/* Q2_K hurts every kind more than Q8_0; Q8_0 costs almost nothing; the
 * token_embd.weight@Q8_0 cell equals an independent evaluation of the
 * model with llama.cpp's Q8_0 embedding in place. */
static void
test_monotone_and_oracle (void)
{
  g_autoptr (LbModel) model = load_shared ("mini-qwen2", "mini-qwen2-f16.gguf");
  g_autoptr (LbModel) q8 = load_shared ("llamacpp-quants", "mini-Q8_0.gguf");
  g_autoptr (LbSensitivity) s = NULL;
  g_autoptr (LbVariant) variant = NULL;
  g_autoptr (LbModel) built = NULL;
  g_autoptr (LbEvalResult) res = NULL;
  g_autofree char *text = NULL;
  const LbType types[] = { LB_TYPE_Q2_K, LB_TYPE_Q8_0 };
  LbSensitivityParams p;
  LbEvalParams ep = { 0 };
  GError *error = NULL;
  gsize len = 0;
  guint n_eval, n_cached;
  gint g;

  text = load_text (&len);
  if (model == NULL || q8 == NULL || text == NULL)
    return;
  params_for (&p, types, 2, LB_SENS_GROUP_KIND);
  s = lb_sensitivity_compute (model, text, (gssize) len, &p, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (s);
  g_assert_true (lb_sensitivity_is_measured (s));
  /* token_embd + 7 kinds of block matrices */
  g_assert_cmpuint (lb_sensitivity_get_n_groups (s), ==, 8);
  lb_sensitivity_get_counts (s, &n_eval, &n_cached, NULL);
  g_assert_cmpuint (n_eval, ==, 16);
  g_assert_cmpuint (n_cached, ==, 0);
  g_assert_cmpfloat (fabs (lb_sensitivity_get_base_kld (s)), <, 1e-5);
  for (guint i = 0; i < lb_sensitivity_get_n_groups (s); i++)
    {
      const LbSensCell *c2 = lb_sensitivity_get_cell (s, i, 0);
      const LbSensCell *c8 = lb_sensitivity_get_cell (s, i, 1);

      g_assert_true (c2->measured && c8->measured);
      g_assert_cmpfloat (c2->delta_kld, >, c8->delta_kld);
      g_assert_cmpfloat (c2->delta_kld, >, 1e-4);
      g_assert_cmpfloat (c8->delta_kld, <, 2e-3);
      g_assert_cmpfloat (c2->bytes, <, c8->bytes);
      g_assert_cmpfloat (c2->err, >, c8->err);
      g_assert_cmpfloat (c8->err, >, 0);
    }
  g = find_group (s, "attn_v");
  g_assert_cmpint (g, >=, 0);
  g_assert_cmpuint (g_strv_length ((char **) lb_sensitivity_get_group_tensors (s, g)), ==, 8);

  /* the oracle: llama.cpp's Q8_0 embedding, evaluated by lb_eval_run */
  variant = lb_variant_new (model);
  g_assert_true (lb_variant_take_tensor (variant, "token_embd.weight", q8, &error));
  g_assert_no_error (error);
  built = lb_variant_build_model (variant, &error);
  g_assert_no_error (error);
  ep.n_ctx = CTX;
  ep.n_chunks = CHUNKS;
  ep.n_threads = 2;
  ep.engine = LB_EVAL_ENGINE_FAST;
  res = lb_eval_run (built, model, text, (gssize) len, &ep, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g = find_group (s, "token_embd.weight");
  g_assert_cmpint (g, >=, 0);
  g_assert_cmpfloat_with_epsilon (lb_sensitivity_get_cell (s, g, 1)->kld, res->mean_kld, 1e-12);
  g_assert_cmpfloat_with_epsilon (lb_sensitivity_get_cell (s, g, 1)->same_top1, res->same_top1, 1e-12);
}

/* the proxy is lb_tensor_error_under_type's importance-weighted error,
 * summed over the group; no text is needed for it */
static void
test_proxy_only (void)
{
  g_autoptr (LbModel) model = load_shared ("mini-qwen2", "mini-qwen2-f16.gguf");
  g_autofree char *im_path = lb_test_shared_path ("models", "llamacpp-quants",
                                                  "imatrix-wikitext2-valid.gguf", NULL);
  g_autoptr (LbImatrix) imatrix = NULL;
  g_autoptr (LbSensitivity) s = NULL;
  const LbType types[] = { LB_TYPE_Q3_K, LB_TYPE_Q6_K };
  LbSensitivityParams p;
  GError *error = NULL;
  gint g;

  if (model == NULL || im_path == NULL)
    return;
  imatrix = lb_imatrix_load (im_path, &error);
  g_assert_no_error (error);
  params_for (&p, types, 2, LB_SENS_GROUP_LAYER);
  p.measure = FALSE;
  p.imatrix = imatrix;
  s = lb_sensitivity_compute (model, NULL, 0, &p, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_false (lb_sensitivity_is_measured (s));
  /* 8 blocks and the embedding */
  g_assert_cmpuint (lb_sensitivity_get_n_groups (s), ==, 9);
  g = find_group (s, "blk.5");
  g_assert_cmpint (g, >=, 0);
  {
    const char * const *names = lb_sensitivity_get_group_tensors (s, g);
    double sum = 0;

    g_assert_cmpuint (g_strv_length ((char **) names), ==, 7);
    for (guint i = 0; names[i]; i++)
      {
        const LbTensor *t = lb_model_find_tensor (model, names[i]);
        LbTensorErrorParams ep = LB_TENSOR_ERROR_PARAMS_INIT;
        LbTensorError e;
        gsize n_imp = 0;
        const float *imp = lb_imatrix_get_importance (imatrix, names[i], &n_imp);
        double sw = 0;

        g_assert_nonnull (imp);
        ep.importance = imp;
        ep.n_importance = n_imp;
        g_assert_true (lb_tensor_error_under_type (t, LB_TYPE_Q3_K, &ep, &e, NULL, NULL, &error));
        for (gsize k = 0; k < n_imp; k++)
          sw += imp[k];
        sum += e.weighted_mse * sw * (double) lb_tensor_n_rows (t);
      }
    g_assert_cmpfloat_with_epsilon (lb_sensitivity_get_cell (s, g, 0)->err / sum, 1.0, 1e-9);
  }
  for (guint i = 0; i < lb_sensitivity_get_n_groups (s); i++)
    {
      const LbSensCell *c3 = lb_sensitivity_get_cell (s, i, 0), *c6 = lb_sensitivity_get_cell (s, i, 1);
      g_assert_false (c3->measured);
      g_assert_true (isnan (c3->delta_kld));
      g_assert_cmpfloat (c3->err, >, c6->err);
      g_assert_cmpfloat (c3->rel_err, >, c6->rel_err);
      g_assert_cmpfloat (c6->rel_err, >, 0);
      g_assert_cmpfloat (c3->rel_err, <, 1);
    }
}

typedef struct {
  GCancellable *cancellable;
  guint         calls;
  guint         cancel_after;
} CancelData;

static void
cancel_progress (double fraction, const char *stage, gpointer user_data)
{
  CancelData *d = user_data;

  /* cells report from 0.1 up */
  if (fraction > 0.1 && fraction < 1.0 && ++d->calls == d->cancel_after)
    g_cancellable_cancel (d->cancellable);
}

/* The cache: a rerun evaluates nothing and gives the same numbers; a run
 * with one more type evaluates only that column; a cancelled run stops
 * with G_IO_ERROR_CANCELLED and keeps the cells it finished. */
static void
test_cache_and_cancel (void)
{
  g_autoptr (LbModel) model = load_shared ("mini-qwen2", "mini-qwen2-f16.gguf");
  g_autofree char *text = NULL, *dir = lb_test_make_tmpdir ();
  g_autofree char *cache = g_build_filename (dir, "sens.json", NULL);
  g_autoptr (LbSensitivity) a = NULL, b = NULL, c = NULL, d = NULL;
  const LbType two[] = { LB_TYPE_Q4_K, LB_TYPE_Q8_0 };
  const LbType three[] = { LB_TYPE_Q4_K, LB_TYPE_Q5_K, LB_TYPE_Q8_0 };
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  CancelData cd = { cancellable, 0, 3 };
  LbSensitivityParams p;
  GError *error = NULL;
  gsize len = 0;
  guint n_eval, n_cached;

  text = load_text (&len);
  if (model == NULL || text == NULL)
    return;
  params_for (&p, two, 2, LB_SENS_GROUP_KIND);
  p.cache_path = cache;
  p.n_jobs = 2;
  p.n_threads = 1;
  a = lb_sensitivity_compute (model, text, (gssize) len, &p, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  lb_sensitivity_get_counts (a, &n_eval, &n_cached, NULL);
  g_assert_cmpuint (n_eval, ==, 16);
  g_assert_true (g_file_test (cache, G_FILE_TEST_EXISTS));

  b = lb_sensitivity_compute (model, text, (gssize) len, &p, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  lb_sensitivity_get_counts (b, &n_eval, &n_cached, NULL);
  g_assert_cmpuint (n_eval, ==, 0);
  g_assert_cmpuint (n_cached, ==, 16);
  g_assert_cmpfloat (lb_sensitivity_get_base_kld (a), ==, lb_sensitivity_get_base_kld (b));
  for (guint g = 0; g < lb_sensitivity_get_n_groups (a); g++)
    for (guint t = 0; t < 2; t++)
      {
        const LbSensCell *x = lb_sensitivity_get_cell (a, g, t), *y = lb_sensitivity_get_cell (b, g, t);
        g_assert_cmpfloat (x->kld, ==, y->kld);
        g_assert_cmpfloat (x->delta_kld, ==, y->delta_kld);
        g_assert_cmpfloat (x->same_top1, ==, y->same_top1);
        g_assert_cmpfloat (x->err, ==, y->err);
        g_assert_cmpuint (x->bytes, ==, y->bytes);
      }

  /* one more type: only its column runs, and is cancelled after 3 cells */
  p.types = three;
  p.n_types = 3;
  p.n_jobs = 1;
  p.n_threads = 2;
  c = lb_sensitivity_compute (model, text, (gssize) len, &p, cancel_progress, &cd, cancellable,
                              &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (c);
  g_clear_error (&error);

  d = lb_sensitivity_compute (model, text, (gssize) len, &p, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  lb_sensitivity_get_counts (d, &n_eval, &n_cached, NULL);
  /* 16 from the first run and the 3 cells finished before the cancel */
  g_assert_cmpuint (n_cached, ==, 16 + 3);
  g_assert_cmpuint (n_eval, ==, 8 - 3);
  for (guint g = 0; g < lb_sensitivity_get_n_groups (a); g++)
    {
      g_assert_cmpfloat (lb_sensitivity_get_cell (a, g, 0)->kld, ==, lb_sensitivity_get_cell (d, g, 0)->kld);
      g_assert_cmpfloat (lb_sensitivity_get_cell (a, g, 1)->kld, ==, lb_sensitivity_get_cell (d, g, 2)->kld);
      g_assert_true (lb_sensitivity_get_cell (d, g, 1)->measured);
    }
  lb_test_rmtree (dir);
}

static void
on_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  LbSensitivity **out = user_data;
  GError *error = NULL;

  *out = lb_sensitivity_compute_finish (result, &error);
  g_assert_no_error (error);
}

/* the async pair, and the JSON round trip of its table */
static void
test_async_and_json (void)
{
  g_autoptr (LbModel) model = load_shared ("mini-qwen2", "mini-qwen2-f16.gguf");
  g_autoptr (LbSensitivity) s = NULL, back = NULL;
  g_autofree char *text = NULL, *json = NULL, *json2 = NULL;
  const LbType types[] = { LB_TYPE_Q3_K };
  LbSensitivityParams p;
  GError *error = NULL;
  gsize len = 0;

  text = load_text (&len);
  if (model == NULL || text == NULL)
    return;
  params_for (&p, types, 1, LB_SENS_GROUP_LAYER);
  p.n_chunks = 1;
  lb_sensitivity_compute_async (model, text, (gssize) len, &p, NULL, NULL, NULL, on_done, &s);
  while (s == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (lb_sensitivity_get_n_groups (s), ==, 9);

  json = lb_sensitivity_to_json (s);
  back = lb_sensitivity_load_from_data (json, -1, "round-trip", &error);
  g_assert_no_error (error);
  json2 = lb_sensitivity_to_json (back);
  g_assert_cmpstr (json, ==, json2);
  g_assert_cmpstr (lb_sensitivity_get_model_fingerprint (back), ==,
                   lb_sensitivity_get_model_fingerprint (s));
  for (guint g = 0; g < 9; g++)
    g_assert_cmpfloat (lb_sensitivity_get_cell (s, g, 0)->delta_kld, ==,
                       lb_sensitivity_get_cell (back, g, 0)->delta_kld);
}

static void
test_bad_input (void)
{
  g_autoptr (LbModel) model = load_shared ("mini-qwen2", "mini-qwen2-f16.gguf");
  static const char * const bad_json[] = {
    "[]",
    "{\"lowbit_sensitivity\": 2, \"types\": [\"Q4_K\"], \"groups\": []}",
    "{\"lowbit_sensitivity\": 1, \"types\": [], \"groups\": []}",
    "{\"lowbit_sensitivity\": 1, \"types\": [\"Q9_K\"], \"groups\": []}",
    "{\"lowbit_sensitivity\": 1, \"types\": [\"Q4_K\"], \"groups\": [{\"name\": \"a\", \"tensors\": [\"x\"], \"cells\": []}]}",
    "{\"lowbit_sensitivity\": 1, \"types\": [\"Q4_K\"], \"groups\": [{\"name\": \"a\", \"tensors\": [\"x\"], \"cells\": [{\"type\": \"Q5_K\", \"bytes\": 1}]}]}",
    "{\"lowbit_sensitivity\": 1, \"types\": [\"Q4_K\"], \"groups\": [{\"name\": \"a\", \"tensors\": [\"x\"], \"cells\": [{\"type\": \"Q4_K\", \"bytes\": -1}]}]}",
    "{\"lowbit_sensitivity\": 1, \"types\": [\"Q4_K\"], \"groups\": [{\"name\": \"a\", \"tensors\": [\"x\"], \"cells\": [{\"type\": \"Q4_K\", \"bytes\": 1, \"kld\": \"x\"}]}]}",
    "{\"lowbit_sensitivity\": 1, \"types\": [\"Q4_K\"], \"groups\": [{\"tensors\": [\"x\"], \"cells\": [{\"type\": \"Q4_K\", \"bytes\": 1}]}]}",
    "{\"lowbit_sensitivity\": 1, \"types\": [\"Q4_K\"], \"groups\": [{\"name\": \"a\", \"tensors\": [3], \"cells\": [{\"type\": \"Q4_K\", \"bytes\": 1}]}]}",
    "{\"lowbit_sensitivity\": 1,",
  };
  const LbType q8k[] = { LB_TYPE_Q8_K };
  const LbType q4k[] = { LB_TYPE_Q4_K };
  LbSensitivityParams p;
  GError *error = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (bad_json); i++)
    {
      LbSensitivity *s = lb_sensitivity_load_from_data (bad_json[i], -1, "bad.json", &error);
      g_assert_null (s);
      g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_FILE);
      g_assert_nonnull (strstr (error->message, "bad.json"));
      g_clear_error (&error);
    }
  if (model == NULL)
    return;
  params_for (&p, q8k, 1, LB_SENS_GROUP_KIND);
  g_assert_null (lb_sensitivity_compute (model, "x", -1, &p, NULL, NULL, NULL, &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "Q8_K"));
  g_clear_error (&error);
  params_for (&p, q4k, 1, LB_SENS_GROUP_KIND);
  g_assert_null (lb_sensitivity_compute (model, "too short", -1, &p, NULL, NULL, NULL, &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_null (lb_sensitivity_compute (model, NULL, 0, &p, NULL, NULL, NULL, &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  p.n_types = 0;
  g_assert_null (lb_sensitivity_compute (model, NULL, 0, &p, NULL, NULL, NULL, &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/lowbit/sensitivity/group-names", test_group_names);
  g_test_add_func ("/lowbit/sensitivity/monotone-and-oracle", test_monotone_and_oracle);
  g_test_add_func ("/lowbit/sensitivity/proxy-only", test_proxy_only);
  g_test_add_func ("/lowbit/sensitivity/cache-and-cancel", test_cache_and_cancel);
  g_test_add_func ("/lowbit/sensitivity/async-and-json", test_async_and_json);
  g_test_add_func ("/lowbit/sensitivity/bad-input", test_bad_input);
  return g_test_run ();
}
