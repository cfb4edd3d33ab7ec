/* test-layer-error.c: per-layer hidden-state error of a candidate model,
 * checked by hand against the reference engine's taps, on llama.cpp's own
 * quantized files, and for the attention / MLP split. */
#include <math.h>
#include <string.h>

#include "lowbit.h"
#include "lb-layer-error.h"
#include "lb-variant.h"
#include "lb-test-util.h"

#define ASSERT_NEAR(a, b, tol) g_assert_cmpfloat_with_epsilon ((double) (a), (double) (b), (tol))

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

/* the first n tokens of the evaluation text */
static GArray *
text_tokens (LbModel *model, guint n)
{
  g_autofree char *path = lb_test_shared_path ("text", "wikitext2-test.txt", NULL);
  g_autofree char *text = NULL;
  GArray *ids;
  GError *error = NULL;
  gsize len;

  if (path == NULL)
    return NULL;
  g_assert_true (g_file_get_contents (path, &text, &len, &error));
  g_assert_no_error (error);
  ids = g_array_new (FALSE, FALSE, sizeof (gint32));
  g_assert_true (lb_tokenizer_encode (lb_model_get_tokenizer (model), text, MIN (len, 20000),
                                      FALSE, ids, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (ids->len, >=, n);
  g_array_set_size (ids, n);
  return ids;
}

static void
test_identical (void)
{
  g_autoptr (LbModel) f16 = load_shared ("mini-qwen2", "mini-qwen2-f16.gguf");
  g_autoptr (GArray) ids = NULL;
  g_autoptr (LbLayerErrorReport) r = NULL;
  LbLayerErrorParams params = LB_LAYER_ERROR_PARAMS_INIT;
  GError *error = NULL;

  if (f16 == NULL || (ids = text_tokens (f16, 10)) == NULL)
    return;
  params.n_ctx = 6;   /* BOS + 5: two chunks */
  params.split = TRUE;
  r = lb_layer_error_compute (f16, f16, (const gint32 *) ids->data, ids->len, &params, NULL, NULL,
                              NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (r->n_layers, ==, 8);
  g_assert_cmpuint (r->n_chunks, ==, 2);
  g_assert_cmpuint (r->n_tokens, ==, 12);
  for (guint l = 0; l < r->n_layers; l++)
    {
      g_assert_cmpuint (r->layers[l].layer, ==, l);
      ASSERT_NEAR (r->layers[l].cosine, 1.0, 1e-12);
      ASSERT_NEAR (r->layers[l].min_cosine, 1.0, 1e-12);
      g_assert_cmpfloat (r->layers[l].rel_mse, ==, 0.0);
      g_assert_cmpfloat (r->layers[l].max_abs, ==, 0.0);
      g_assert_true (isinf (r->layers[l].snr_db) && r->layers[l].snr_db > 0);
      g_assert_cmpfloat (r->layers[l].attn_rel_mse, ==, 0.0);
      g_assert_cmpfloat (r->layers[l].mlp_final_rel_mse, ==, 0.0);
    }
}

/* hidden states of one token after every block */
typedef struct {
  float *h;
} Tap;

static void
tap (guint layer, guint pos, const float *hidden, guint n_embd, gpointer data)
{
  Tap *t = data;
  memcpy (t->h + (gsize) layer * n_embd, hidden, n_embd * sizeof (float));
}

/* The aggregation by hand: two reference engines, their taps, the sums. */
static void
test_by_hand (void)
{
  g_autoptr (LbModel) f16 = load_shared ("mini-qwen2", "mini-qwen2-f16.gguf");
  g_autoptr (LbModel) q4 = load_shared ("llamacpp-quants", "mini-Q4_0.gguf");
  g_autoptr (GArray) ids = NULL;
  g_autoptr (LbLayerErrorReport) r = NULL;
  g_autoptr (LbRefEngine) re = NULL, ce = NULL;
  LbLayerErrorParams params = LB_LAYER_ERROR_PARAMS_INIT;
  enum { L = 8, E = 256, N = 24 };
  float rh[L * E], ch[L * E];
  Tap rt = { rh }, ct = { ch };
  double sx2[L] = { 0 }, sd2[L] = { 0 }, cs[L] = { 0 }, cmin[L], mx[L] = { 0 };
  GError *error = NULL;

  if (f16 == NULL || q4 == NULL || (ids = text_tokens (f16, N - 1)) == NULL)
    return;
  params.n_ctx = N;
  r = lb_layer_error_compute (f16, q4, (const gint32 *) ids->data, ids->len, &params, NULL, NULL,
                              NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (r->n_tokens, ==, N);

  re = lb_ref_engine_new (f16, N, &error);
  ce = lb_ref_engine_new (q4, N, &error);
  g_assert_no_error (error);
  lb_ref_engine_set_tap (re, tap, &rt);
  lb_ref_engine_set_tap (ce, tap, &ct);
  for (guint t = 0; t < N; t++)
    {
      gint32 id = t == 0 ? lb_tokenizer_get_bos (lb_model_get_tokenizer (f16))
                         : g_array_index (ids, gint32, t - 1);
      g_assert_true (lb_ref_engine_eval (re, id, NULL, &error));
      g_assert_true (lb_ref_engine_eval (ce, id, NULL, &error));
      for (guint l = 0; l < L; l++)
        {
          double a = 0, b = 0, ab = 0, c;
          for (guint i = 0; i < E; i++)
            {
              double x = rh[l * E + i], y = ch[l * E + i];
              a += x * x;
              b += y * y;
              ab += x * y;
              sd2[l] += (x - y) * (x - y);
              mx[l] = MAX (mx[l], fabs (x - y));
            }
          sx2[l] += a;
          c = ab / sqrt (a * b);
          cs[l] += c;
          cmin[l] = t == 0 ? c : MIN (cmin[l], c);
        }
    }
  for (guint l = 0; l < L; l++)
    {
      const LbLayerError *e = &r->layers[l];
      g_test_message ("layer %u: cosine %.6f (min %.6f), rel MSE %.3g, SNR %.2f dB", l,
                      e->cosine, e->min_cosine, e->rel_mse, e->snr_db);
      ASSERT_NEAR (e->cosine, cs[l] / N, 1e-9);
      ASSERT_NEAR (e->min_cosine, cmin[l], 1e-9);
      ASSERT_NEAR (e->rel_mse, sd2[l] / sx2[l], 1e-9 * e->rel_mse);
      ASSERT_NEAR (e->snr_db, 10 * log10 (sx2[l] / sd2[l]), 1e-6);
      ASSERT_NEAR (e->max_abs, mx[l], 1e-6);
      g_assert_true (isnan (e->attn_rel_mse));
      /* Q4_0 everywhere: the error is real but the states still agree */
      g_assert_cmpfloat (e->rel_mse, >, 1e-5);
      g_assert_cmpfloat (e->cosine, >, 0.9);
    }
}

/* llama.cpp's Q4_0 file and our variant with the same types give the same
 * layer errors (the same blocks); Q8_0 is closer than Q4_0 at every layer. */
static void
test_llamacpp_files (void)
{
  g_autoptr (LbModel) f16 = load_shared ("mini-qwen2", "mini-qwen2-f16.gguf");
  g_autoptr (LbModel) q4 = load_shared ("llamacpp-quants", "mini-Q4_0.gguf");
  g_autoptr (LbModel) q8 = load_shared ("llamacpp-quants", "mini-Q8_0.gguf");
  g_autoptr (LbModel) variant = NULL;
  g_autoptr (GHashTable) overrides = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GArray) ids = NULL;
  g_autoptr (LbLayerErrorReport) r4 = NULL, r8 = NULL, rv = NULL;
  LbLayerErrorParams params = LB_LAYER_ERROR_PARAMS_INIT;
  GError *error = NULL;

  if (f16 == NULL || q4 == NULL || q8 == NULL || (ids = text_tokens (f16, 48)) == NULL)
    return;
  for (guint i = 0; i < lb_model_get_n_tensors (q4); i++)
    {
      const LbTensor *t = lb_model_get_tensor (q4, i);
      g_hash_table_insert (overrides, t->name, GINT_TO_POINTER (t->type));
    }
  variant = lb_variant_build (f16, overrides, NULL, 2, NULL, NULL, NULL, &error);
  g_assert_no_error (error);

  params.n_ctx = 25;   /* two chunks of BOS + 24 */
  r4 = lb_layer_error_compute (f16, q4, (const gint32 *) ids->data, ids->len, &params, NULL,
                               NULL, NULL, &error);
  g_assert_no_error (error);
  rv = lb_layer_error_compute (f16, variant, (const gint32 *) ids->data, ids->len, &params, NULL,
                               NULL, NULL, &error);
  g_assert_no_error (error);
  r8 = lb_layer_error_compute (f16, q8, (const gint32 *) ids->data, ids->len, &params, NULL,
                               NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (r4->n_tokens, ==, 50);
  for (guint l = 0; l < 8; l++)
    {
      g_test_message ("layer %u: SNR Q4_0 %.2f dB (variant %.2f), Q8_0 %.2f dB", l,
                      r4->layers[l].snr_db, rv->layers[l].snr_db, r8->layers[l].snr_db);
      ASSERT_NEAR (rv->layers[l].snr_db, r4->layers[l].snr_db, 1e-3);
      ASSERT_NEAR (rv->layers[l].cosine, r4->layers[l].cosine, 1e-6);
      g_assert_cmpfloat (r8->layers[l].snr_db, >, r4->layers[l].snr_db + 6.0);
    }
}

/* The split: with only block 3's attention quantized, blocks 0-2 are
 * exact; the split's attention figure for block 3 is that run's error. */
static void
test_split (void)
{
  g_autoptr (LbModel) f16 = load_shared ("mini-qwen2", "mini-qwen2-f16.gguf");
  g_autoptr (LbModel) q4 = load_shared ("llamacpp-quants", "mini-Q4_0.gguf");
  g_autoptr (LbVariant) v = NULL;
  g_autoptr (LbModel) attn3 = NULL, mlp3 = NULL;
  g_autoptr (GArray) ids = NULL;
  g_autoptr (LbLayerErrorReport) r = NULL, ra = NULL, rm = NULL;
  LbLayerErrorParams params = LB_LAYER_ERROR_PARAMS_INIT;
  const char *attn[] = { "blk.3.attn_q.weight", "blk.3.attn_k.weight", "blk.3.attn_v.weight",
                         "blk.3.attn_output.weight" };
  const char *mlp[] = { "blk.3.ffn_gate.weight", "blk.3.ffn_up.weight", "blk.3.ffn_down.weight" };
  GError *error = NULL;

  if (f16 == NULL || q4 == NULL || (ids = text_tokens (f16, 20)) == NULL)
    return;
  v = lb_variant_new (f16);
  for (guint i = 0; i < G_N_ELEMENTS (attn); i++)
    g_assert_true (lb_variant_take_tensor (v, attn[i], q4, &error));
  attn3 = lb_variant_build_model (v, &error);
  g_assert_no_error (error);
  lb_variant_reset_all (v);
  for (guint i = 0; i < G_N_ELEMENTS (mlp); i++)
    g_assert_true (lb_variant_take_tensor (v, mlp[i], q4, &error));
  mlp3 = lb_variant_build_model (v, &error);
  g_assert_no_error (error);

  params.n_ctx = 21;
  params.split = TRUE;
  r = lb_layer_error_compute (f16, q4, (const gint32 *) ids->data, ids->len, &params, NULL, NULL,
                              NULL, &error);
  g_assert_no_error (error);
  params.split = FALSE;
  ra = lb_layer_error_compute (f16, attn3, (const gint32 *) ids->data, ids->len, &params, NULL,
                               NULL, NULL, &error);
  g_assert_no_error (error);
  rm = lb_layer_error_compute (f16, mlp3, (const gint32 *) ids->data, ids->len, &params, NULL,
                               NULL, NULL, &error);
  g_assert_no_error (error);

  for (guint l = 0; l < 3; l++)
    {
      g_assert_cmpfloat (ra->layers[l].rel_mse, ==, 0.0);
      g_assert_cmpfloat (rm->layers[l].rel_mse, ==, 0.0);
    }
  g_assert_cmpfloat (ra->layers[3].rel_mse, >, 0.0);
  g_assert_cmpfloat (rm->layers[3].rel_mse, >, 0.0);
  ASSERT_NEAR (r->layers[3].attn_rel_mse, ra->layers[3].rel_mse, 1e-12);
  ASSERT_NEAR (r->layers[3].mlp_rel_mse, rm->layers[3].rel_mse, 1e-12);
  ASSERT_NEAR (r->layers[3].attn_final_rel_mse, ra->layers[7].rel_mse, 1e-12);
  ASSERT_NEAR (r->layers[3].mlp_final_rel_mse, rm->layers[7].rel_mse, 1e-12);
  for (guint l = 0; l < 8; l++)
    {
      const LbLayerError *e = &r->layers[l];
      g_test_message ("layer %u: rel MSE %.3g; attention alone %.3g (at the output %.3g), "
                      "MLP alone %.3g (%.3g)", l, e->rel_mse, e->attn_rel_mse,
                      e->attn_final_rel_mse, e->mlp_rel_mse, e->mlp_final_rel_mse);
      g_assert_cmpfloat (e->attn_rel_mse, >, 0.0);
      g_assert_cmpfloat (e->mlp_rel_mse, >, 0.0);
      /* each part alone loses less than everything quantized */
      g_assert_cmpfloat (e->attn_rel_mse, <, e->rel_mse);
      g_assert_cmpfloat (e->mlp_rel_mse, <, e->rel_mse);
    }
}

/* From text: a few chunks of a long text come out as from its tokens. */
static void
test_text (void)
{
  g_autoptr (LbModel) f16 = load_shared ("mini-qwen2", "mini-qwen2-f16.gguf");
  g_autoptr (LbModel) q8 = load_shared ("llamacpp-quants", "mini-Q8_0.gguf");
  g_autofree char *path = lb_test_shared_path ("text", "wikitext2-test.txt", NULL);
  g_autofree char *text = NULL;
  g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint32));
  g_autoptr (LbLayerErrorReport) a = NULL, b = NULL;
  LbLayerErrorParams params = LB_LAYER_ERROR_PARAMS_INIT;
  GError *error = NULL;
  gsize len;

  if (f16 == NULL || q8 == NULL || path == NULL)
    return;
  g_assert_true (g_file_get_contents (path, &text, &len, &error));
  len = MIN (len, 20000);
  g_assert_true (lb_tokenizer_encode (lb_model_get_tokenizer (f16), text, (gssize) len, FALSE, ids,
                                      &error));
  params.n_ctx = 9;
  params.n_chunks = 2;
  a = lb_layer_error_compute_text (f16, q8, text, (gssize) len, &params, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  b = lb_layer_error_compute (f16, q8, (const gint32 *) ids->data, ids->len, &params, NULL, NULL,
                              NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (a->n_tokens, ==, 18);
  for (guint l = 0; l < 8; l++)
    {
      g_assert_cmpfloat (a->layers[l].rel_mse, ==, b->layers[l].rel_mse);
      g_assert_cmpfloat (a->layers[l].cosine, ==, b->layers[l].cosine);
    }
}

static void
test_errors (void)
{
  g_autoptr (LbModel) f16 = load_shared ("mini-qwen2", "mini-qwen2-f16.gguf");
  g_autofree char *ckpt = lb_test_source_path ("data", "stories260K", "stories260K.bin", NULL);
  g_autofree char *tok = lb_test_source_path ("data", "stories260K", "tok512.bin", NULL);
  g_autoptr (LbModel) stories = NULL;
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  const gint32 ids[] = { 5, 6, 7 };
  const gint32 bad[] = { 5, 99999 };
  LbLayerErrorReport *r;
  GError *error = NULL;

  if (f16 == NULL)
    return;
  stories = lb_model_load (ckpt, tok, NULL, &error);
  g_assert_no_error (error);
  r = lb_layer_error_compute (f16, stories, ids, 3, NULL, NULL, NULL, NULL, &error);
  g_assert_null (r);
  g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  r = lb_layer_error_compute (f16, f16, ids, 0, NULL, NULL, NULL, NULL, &error);
  g_assert_null (r);
  g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  r = lb_layer_error_compute (f16, f16, bad, 2, NULL, NULL, NULL, NULL, &error);
  g_assert_null (r);
  g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_cancellable_cancel (cancellable);
  r = lb_layer_error_compute (f16, f16, ids, 3, NULL, NULL, NULL, cancellable, &error);
  g_assert_null (r);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/lowbit/layer-error/identical", test_identical);
  g_test_add_func ("/lowbit/layer-error/by-hand", test_by_hand);
  g_test_add_func ("/lowbit/layer-error/llamacpp-files", test_llamacpp_files);
  g_test_add_func ("/lowbit/layer-error/split", test_split);
  g_test_add_func ("/lowbit/layer-error/text", test_text);
  g_test_add_func ("/lowbit/layer-error/errors", test_errors);

  return g_test_run ();
}
