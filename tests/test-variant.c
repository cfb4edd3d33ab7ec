/* test-variant.c: LbVariant against llama.cpp's own quantized file.
 *
 * mini-Q4_0.gguf is mini-qwen2-f16.gguf quantized by llama-quantize. A
 * variant of the f16 model whose tensors take the types of that file must
 * hold the same blocks (the plain quantizers follow llama.cpp's reference
 * rounding) and so give the same logits; tensors left alone must stay views
 * of the base's bytes. */
#include <math.h>
#include <string.h>

#include "lowbit.h"
#include "lb-variant.h"
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
#define LOAD_Q4_0() load_shared ("llamacpp-quants", "mini-Q4_0.gguf")

/* logits at every position of the reference prompt, from the reference engine */
static float *
ref_logits (LbModel *model, const GArray *tokens)
{
  GError *error = NULL;
  guint n_vocab = lb_model_get_hparams (model)->n_vocab;
  float *logits = g_new (float, (gsize) tokens->len * n_vocab);
  LbRefEngine *engine = lb_ref_engine_new (model, 64, &error);

  g_assert_no_error (error);
  lb_ref_engine_eval_batch (engine, (const gint32 *) tokens->data, tokens->len, logits, NULL,
                            &error);
  g_assert_no_error (error);
  lb_ref_engine_free (engine);
  return logits;
}

static GArray *
prompt_tokens (void)
{
  g_autofree char *json = lb_test_shared_path ("models", "mini-qwen2", "ref-logits.json", NULL);
  return json ? lb_test_json_int_array (json, "tokens") : NULL;
}

/* One override: the others stay zero-copy views, the sizes are exact, and
 * the built model outlives the variant and the base. */
static void
test_zero_copy (void)
{
  g_autoptr (LbModel) base = LOAD_F16 ();
  g_autoptr (LbModel) q4 = LOAD_Q4_0 ();
  g_autoptr (LbVariant) variant = NULL;
  g_autoptr (LbModel) built = NULL;
  g_autoptr (GArray) tokens = prompt_tokens ();
  const char *name = "blk.0.attn_q.weight";
  const LbTensor *bt, *vt, *qt;
  GError *error = NULL;
  guint n_views = 0;
  float *logits;

  if (base == NULL || q4 == NULL || tokens == NULL)
    return;
  variant = lb_variant_new (base);
  lb_variant_set_n_threads (variant, 2);
  g_assert_true (lb_variant_requantize_one (variant, name, LB_TYPE_Q4_0, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (lb_variant_get_n_overrides (variant), ==, 1);
  g_assert_cmpint (lb_variant_get_tensor_type (variant, name), ==, LB_TYPE_Q4_0);
  g_assert_cmpint (lb_variant_get_tensor_type (variant, "blk.0.attn_k.weight"), ==, LB_TYPE_F16);
  g_assert_cmpint (lb_variant_get_tensor_type (variant, "no.such.weight"), ==, LB_TYPE_COUNT);
  /* [256, 256]: f16 takes 256*256*2 bytes, Q4_0 256 rows of 8 blocks of 18 */
  g_assert_cmpuint (lb_variant_get_tensor_bytes (variant, name), ==, 256 * 8 * 18);
  g_assert_cmpuint (lb_variant_get_data_bytes (variant), ==,
                    lb_model_get_tensor_bytes (base) - 256 * 256 * 2 + 256 * 8 * 18);

  built = lb_variant_build_model (variant, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (lb_model_get_n_tensors (built), ==, lb_model_get_n_tensors (base));
  g_assert_cmpuint (lb_model_get_tensor_bytes (built), ==, lb_variant_get_data_bytes (variant));
  for (guint i = 0; i < lb_model_get_n_tensors (base); i++)
    {
      bt = lb_model_get_tensor (base, i);
      vt = lb_model_get_tensor (built, i);
      g_assert_cmpstr (bt->name, ==, vt->name);
      g_assert_cmpmem (bt->ne, sizeof bt->ne, vt->ne, sizeof vt->ne);
      if (strcmp (bt->name, name) == 0)
        continue;
      g_assert_true (vt->data == bt->data);
      g_assert_cmpint (vt->type, ==, bt->type);
      g_assert_cmpuint (vt->n_bytes, ==, bt->n_bytes);
      n_views++;
    }
  g_assert_cmpuint (n_views, ==, lb_model_get_n_tensors (base) - 1);

  /* the overridden tensor holds llama.cpp's blocks */
  vt = lb_model_find_tensor (built, name);
  qt = lb_model_find_tensor (q4, name);
  g_assert_cmpint (vt->type, ==, LB_TYPE_Q4_0);
  g_assert_true (vt->data != lb_model_find_tensor (base, name)->data);
  g_assert_cmpmem (vt->data, vt->n_bytes, qt->data, qt->n_bytes);

  /* the built model keeps what it points into alive */
  g_clear_object (&variant);
  g_clear_object (&base);
  logits = ref_logits (built, tokens);
  for (gsize i = 0; i < (gsize) tokens->len * 4096; i++)
    g_assert_true (isfinite (logits[i]));
  g_free (logits);
}

static guint
count_same_blocks (const LbTensor *a, const LbTensor *b, guint *n_blocks)
{
  const LbTypeTraits *tr = lb_type_get_traits (a->type);
  guint same = 0;

  *n_blocks = (guint) (a->n_bytes / tr->type_size);
  for (guint i = 0; i < *n_blocks; i++)
    same += memcmp (a->data + (gsize) i * tr->type_size, b->data + (gsize) i * tr->type_size,
                    tr->type_size) == 0;
  return same;
}

/* Every tensor as in llama.cpp's Q4_0 file: same blocks, same logits. */
static void
test_llamacpp_q4_0 (void)
{
  g_autoptr (LbModel) base = LOAD_F16 ();
  g_autoptr (LbModel) q4 = LOAD_Q4_0 ();
  g_autoptr (LbModel) built = NULL;
  g_autoptr (GHashTable) overrides = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GArray) tokens = prompt_tokens ();
  g_autofree float *ours = NULL, *theirs = NULL;
  GError *error = NULL;
  guint n_tensors = 0, n_blocks_all = 0, n_same_all = 0;
  double max_diff = 0, lo = INFINITY, hi = -INFINITY;

  if (base == NULL || q4 == NULL || tokens == NULL)
    return;
  for (guint i = 0; i < lb_model_get_n_tensors (q4); i++)
    {
      const LbTensor *qt = lb_model_get_tensor (q4, i);
      if (qt->type != lb_model_find_tensor (base, qt->name)->type)
        g_hash_table_insert (overrides, qt->name, GINT_TO_POINTER (qt->type));
    }
  /* the weight matrices: 7 per block, and the (tied) embedding */
  g_assert_cmpuint (g_hash_table_size (overrides), ==, 8 * 7 + 1);

  built = lb_variant_build (base, overrides, NULL, 2, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (lb_model_get_tensor_bytes (built), ==, lb_model_get_tensor_bytes (q4));

  for (guint i = 0; i < lb_model_get_n_tensors (q4); i++)
    {
      const LbTensor *qt = lb_model_get_tensor (q4, i);
      const LbTensor *vt = lb_model_find_tensor (built, qt->name);
      guint n_blocks, same;

      g_assert_cmpint (vt->type, ==, qt->type);
      g_assert_cmpuint (vt->n_bytes, ==, qt->n_bytes);
      if (!g_hash_table_contains (overrides, qt->name))
        {
          g_assert_cmpmem (vt->data, vt->n_bytes, qt->data, qt->n_bytes);
          continue;
        }
      same = count_same_blocks (vt, qt, &n_blocks);
      n_blocks_all += n_blocks;
      n_same_all += same;
      n_tensors++;
      /* llama.cpp's plain Q4_0 rounding is reproduced exactly */
      if (qt->type == LB_TYPE_Q4_0)
        g_assert_cmpuint (same, ==, n_blocks);
    }
  g_test_message ("%u tensors quantized, %u of %u blocks identical to llama.cpp's", n_tensors,
                  n_same_all, n_blocks_all);
  g_assert_cmpuint (n_same_all, >=, n_blocks_all - n_blocks_all / 100);

  ours = ref_logits (built, tokens);
  theirs = ref_logits (q4, tokens);
  for (gsize i = 0; i < (gsize) tokens->len * 4096; i++)
    {
      max_diff = MAX (max_diff, fabs ((double) ours[i] - theirs[i]));
      lo = MIN (lo, theirs[i]);
      hi = MAX (hi, theirs[i]);
    }
  g_test_message ("max |logit difference| %.3g over a logit range of %.3g", max_diff, hi - lo);
  g_assert_cmpfloat (max_diff, <=, 1e-4 * (hi - lo));
}

/* The fast engine runs a variant as it runs a file. */
static void
test_engine_runs_variant (void)
{
  g_autoptr (LbModel) base = LOAD_F16 ();
  g_autoptr (LbModel) q4 = LOAD_Q4_0 ();
  g_autoptr (LbModel) built = NULL;
  g_autoptr (LbVariant) variant = NULL;
  g_autoptr (GArray) tokens = prompt_tokens ();
  g_autoptr (LbEngine) e1 = NULL, e2 = NULL;
  g_autofree float *a = NULL, *b = NULL;
  LbEngineParams params = LB_ENGINE_PARAMS_INIT;
  GError *error = NULL;
  const char *names[] = { "blk.2.ffn_down.weight", "blk.5.attn_v.weight" };

  if (base == NULL || q4 == NULL || tokens == NULL)
    return;
  /* base with two tensors of the Q4_0 file vs the same built from bytes */
  variant = lb_variant_new (base);
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_assert_true (lb_variant_requantize_one (variant, names[i], LB_TYPE_Q4_0, NULL, &error));
      g_assert_no_error (error);
    }
  built = lb_variant_build_model (variant, &error);
  g_assert_no_error (error);
  lb_variant_reset_all (variant);
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_assert_true (lb_variant_take_tensor (variant, names[i], q4, &error));
      g_assert_no_error (error);
      g_assert_cmpint (lb_variant_get_tensor_type (variant, names[i]), ==, LB_TYPE_Q4_0);
    }
  g_clear_object (&q4);

  params.n_threads = 1;
  params.kv_type = LB_TYPE_F32;
  e1 = lb_engine_new (built, &params, &error);
  g_assert_no_error (error);
  g_clear_object (&built);
  built = lb_variant_build_model (variant, &error);
  g_assert_no_error (error);
  g_clear_object (&variant);
  e2 = lb_engine_new (built, &params, &error);
  g_assert_no_error (error);
  a = g_new (float, 4096);
  b = g_new (float, 4096);
  g_assert_true (lb_engine_eval (e1, (const gint32 *) tokens->data, tokens->len, NULL, a, &error));
  g_assert_no_error (error);
  g_assert_true (lb_engine_eval (e2, (const gint32 *) tokens->data, tokens->len, NULL, b, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (a, 4096 * sizeof (float), b, 4096 * sizeof (float));
}

/* Editing: reverting to the base type, snapshots, caller data. */
static void
test_edit (void)
{
  g_autoptr (LbModel) base = LOAD_F16 ();
  g_autoptr (LbVariant) variant = NULL;
  g_autoptr (LbModel) m1 = NULL, m2 = NULL, m3 = NULL;
  g_autoptr (GBytes) zeros = NULL;
  g_auto (GStrv) names = NULL;
  const char *name = "blk.3.ffn_up.weight";   /* [256, 768] */
  const LbTensor *t;
  GError *error = NULL;

  if (base == NULL)
    return;
  variant = lb_variant_new (base);
  g_assert_true (lb_variant_requantize_one (variant, name, LB_TYPE_Q8_0, NULL, &error));
  g_assert_no_error (error);
  m1 = lb_variant_build_model (variant, &error);
  g_assert_no_error (error);

  /* back to F16: a view of the base again; m1 is unchanged */
  g_assert_true (lb_variant_requantize_one (variant, name, LB_TYPE_F16, NULL, &error));
  g_assert_false (lb_variant_is_overridden (variant, name));
  m2 = lb_variant_build_model (variant, &error);
  g_assert_no_error (error);
  g_assert_true (lb_model_find_tensor (m2, name)->data == lb_model_find_tensor (base, name)->data);
  t = lb_model_find_tensor (m1, name);
  g_assert_cmpint (t->type, ==, LB_TYPE_Q8_0);
  g_assert_cmpuint (t->n_bytes, ==, 768 * 8 * 34);

  /* caller data (e.g. pruned weights): exact size only */
  zeros = g_bytes_new_take (g_malloc0 (768 * 256 * 4), 768 * 256 * 4);
  g_assert_false (lb_variant_set_tensor_data (variant, name, LB_TYPE_F16, zeros, &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, name));
  g_clear_error (&error);
  g_assert_true (lb_variant_set_tensor_data (variant, name, LB_TYPE_F32, zeros, &error));
  g_assert_no_error (error);
  g_assert_true (lb_variant_requantize_one (variant, "blk.0.attn_k.weight", LB_TYPE_Q5_1, NULL,
                                            &error));
  names = lb_variant_list_overrides (variant);
  g_assert_cmpuint (g_strv_length (names), ==, 2);
  g_assert_cmpstr (names[0], ==, "blk.0.attn_k.weight");
  g_assert_cmpstr (names[1], ==, name);
  m3 = lb_variant_build_model (variant, &error);
  g_assert_no_error (error);
  t = lb_model_find_tensor (m3, name);
  g_assert_cmpint (t->type, ==, LB_TYPE_F32);
  g_assert_true (t->data == g_bytes_get_data (zeros, NULL));

  g_assert_true (lb_variant_reset_tensor (variant, name));
  g_assert_false (lb_variant_reset_tensor (variant, name));
  g_assert_cmpuint (lb_variant_get_n_overrides (variant), ==, 1);
}

/* Refusals name the tensor and type and leave the variant as it was. */
static void
test_errors (void)
{
  g_autoptr (LbModel) base = LOAD_F16 ();
  g_autoptr (LbModel) stories = NULL;
  g_autoptr (LbVariant) variant = NULL, sv = NULL;
  g_autoptr (GHashTable) overrides = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autofree char *ckpt = lb_test_source_path ("data", "stories260K", "stories260K.bin", NULL);
  g_autofree char *tok = lb_test_source_path ("data", "stories260K", "tok512.bin", NULL);
  GError *error = NULL;

  if (base == NULL)
    return;
  variant = lb_variant_new (base);

  g_assert_false (lb_variant_requantize_one (variant, "blk.99.attn_q.weight", LB_TYPE_Q4_0,
                                             NULL, &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "blk.99.attn_q.weight"));
  g_clear_error (&error);

  /* a type Lowbit reads but cannot produce */
  g_assert_null (lb_type_get_traits (LB_TYPE_IQ2_XXS)->from_float);
  g_assert_false (lb_variant_requantize_one (variant, "blk.0.attn_q.weight", LB_TYPE_IQ2_XXS,
                                             NULL, &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_UNSUPPORTED);
  g_assert_nonnull (strstr (error->message, "IQ2_XXS"));
  g_clear_error (&error);

  /* all or nothing: one good tensor and one unknown */
  g_hash_table_insert (overrides, (gpointer) "blk.1.ffn_up.weight", GINT_TO_POINTER (LB_TYPE_Q4_K));
  g_hash_table_insert (overrides, (gpointer) "output.weight", GINT_TO_POINTER (LB_TYPE_Q4_K));
  g_assert_false (lb_variant_set_types (variant, overrides, NULL, NULL, NULL, &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "output.weight"));   /* tied: mini-qwen2 has none */
  g_clear_error (&error);
  g_assert_cmpuint (lb_variant_get_n_overrides (variant), ==, 0);

  /* cancelled */
  g_cancellable_cancel (cancellable);
  g_assert_false (lb_variant_requantize_one (variant, "blk.0.attn_q.weight", LB_TYPE_Q8_0,
                                             cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  g_assert_cmpuint (lb_variant_get_n_overrides (variant), ==, 0);

  /* stories260K's feed-forward is 172 wide: its ffn_down rows fit no 32-block */
  stories = lb_model_load (ckpt, tok, NULL, &error);
  g_assert_no_error (error);
  sv = lb_variant_new (stories);
  g_assert_false (lb_variant_requantize_one (sv, "blk.0.ffn_down.weight", LB_TYPE_Q4_0, NULL,
                                             &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "blk.0.ffn_down.weight"));
  g_assert_nonnull (strstr (error->message, "Q4_0"));
  g_clear_error (&error);
  /* its other matrices (64 wide) fit Q8_0 */
  g_assert_true (lb_variant_requantize_one (sv, "blk.0.ffn_up.weight", LB_TYPE_Q8_0, NULL,
                                            &error));
  g_assert_no_error (error);
}

/* Results do not depend on the number of threads; importance data is used. */
static void
test_threads_importance (void)
{
  g_autoptr (LbModel) base = LOAD_F16 ();
  g_autofree char *imx_path = lb_test_shared_path ("models", "llamacpp-quants",
                                                   "imatrix-wikitext2-valid.gguf", NULL);
  g_autoptr (LbImatrix) imatrix = NULL;
  g_autoptr (LbVariant) v1 = NULL, v3 = NULL;
  g_autoptr (LbModel) m1 = NULL, m3 = NULL, m0 = NULL;
  const char *name = "blk.1.ffn_down.weight";
  GError *error = NULL;

  if (base == NULL || imx_path == NULL)
    return;
  imatrix = lb_imatrix_load (imx_path, &error);
  g_assert_no_error (error);
  v1 = lb_variant_new (base);
  v3 = lb_variant_new (base);
  lb_variant_set_n_threads (v1, 1);
  lb_variant_set_n_threads (v3, 3);
  lb_variant_set_imatrix (v1, imatrix);
  lb_variant_set_imatrix (v3, imatrix);
  g_assert_true (lb_variant_get_imatrix (v1) == imatrix);
  g_assert_true (lb_variant_requantize_one (v1, name, LB_TYPE_Q4_K, NULL, &error));
  g_assert_true (lb_variant_requantize_one (v3, name, LB_TYPE_Q4_K, NULL, &error));
  g_assert_no_error (error);
  m1 = lb_variant_build_model (v1, &error);
  m3 = lb_variant_build_model (v3, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (lb_model_find_tensor (m1, name)->data, lb_model_find_tensor (m1, name)->n_bytes,
                   lb_model_find_tensor (m3, name)->data, lb_model_find_tensor (m3, name)->n_bytes);

  /* without importance the blocks differ */
  lb_variant_set_imatrix (v1, NULL);
  g_assert_true (lb_variant_requantize_one (v1, name, LB_TYPE_Q4_K, NULL, &error));
  m0 = lb_variant_build_model (v1, &error);
  g_assert_no_error (error);
  g_assert_true (memcmp (lb_model_find_tensor (m0, name)->data,
                         lb_model_find_tensor (m1, name)->data,
                         lb_model_find_tensor (m1, name)->n_bytes) != 0);
}

typedef struct {
  guint    pending;
  gboolean failed;
} AsyncState;

static void
requantized (GObject *source, GAsyncResult *result, gpointer user_data)
{
  AsyncState *st = user_data;
  GError *error = NULL;

  if (!lb_variant_requantize_finish (LB_VARIANT (source), result, &error))
    {
      g_test_message ("requantize failed: %s", error->message);
      g_clear_error (&error);
      st->failed = TRUE;
    }
  st->pending--;
}

/* Several edits at once from worker threads, as the GUI makes them; the
 * results equal the same edits made one by one. */
static void
test_async (void)
{
  g_autoptr (LbModel) base = LOAD_F16 ();
  g_autoptr (LbVariant) variant = NULL, serial = NULL;
  g_autoptr (LbModel) a = NULL, b = NULL;
  const char *names[] = { "blk.0.ffn_up.weight", "blk.1.attn_q.weight", "blk.2.ffn_down.weight",
                          "blk.6.attn_v.weight" };
  const LbType types[] = { LB_TYPE_Q4_K, LB_TYPE_Q5_0, LB_TYPE_IQ4_NL, LB_TYPE_Q2_K };
  AsyncState st = { 0 };
  GError *error = NULL;

  if (base == NULL)
    return;
  variant = lb_variant_new (base);
  serial = lb_variant_new (base);
  lb_variant_set_n_threads (variant, 2);
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      st.pending++;
      lb_variant_requantize_async (variant, names[i], types[i], NULL, requantized, &st);
      g_assert_true (lb_variant_requantize_one (serial, names[i], types[i], NULL, &error));
      g_assert_no_error (error);
    }
  /* a failing one reports its error through the callback */
  st.pending++;
  lb_variant_requantize_async (variant, "nope.weight", LB_TYPE_Q4_0, NULL, requantized, &st);
  while (st.pending > 0)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (st.failed);
  g_assert_cmpuint (lb_variant_get_n_overrides (variant), ==, G_N_ELEMENTS (names));

  a = lb_variant_build_model (variant, &error);
  b = lb_variant_build_model (serial, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (lb_variant_get_data_bytes (variant), ==, lb_variant_get_data_bytes (serial));
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      const LbTensor *ta = lb_model_find_tensor (a, names[i]);
      const LbTensor *tb = lb_model_find_tensor (b, names[i]);
      g_assert_cmpint (ta->type, ==, types[i]);
      g_assert_cmpmem (ta->data, ta->n_bytes, tb->data, tb->n_bytes);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/lowbit/variant/zero-copy", test_zero_copy);
  g_test_add_func ("/lowbit/variant/llamacpp-q4_0", test_llamacpp_q4_0);
  g_test_add_func ("/lowbit/variant/engine", test_engine_runs_variant);
  g_test_add_func ("/lowbit/variant/edit", test_edit);
  g_test_add_func ("/lowbit/variant/errors", test_errors);
  g_test_add_func ("/lowbit/variant/threads-importance", test_threads_importance);
  g_test_add_func ("/lowbit/variant/async", test_async);

  return g_test_run ();
}
