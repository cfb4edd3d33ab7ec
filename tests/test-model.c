/* test-model.c: LbModel construction checks and loading from every format */
#include <string.h>

#include "lowbit.h"
#include "lb-model-private.h"
#include "lb-test-util.h"

/* A tiny llama model built in memory: 1 layer, embd 8, ff 16, 2 heads, vocab 4 */
typedef struct {
  LbMeta    *meta;
  GPtrArray *tensors;
  GBytes    *data;
} Parts;

static void
add_tensor (Parts *p, const char *name, gint64 ne0, gint64 ne1)
{
  gint64 ne[2] = { ne0, ne1 };
  gsize n = (gsize) (ne0 * (ne1 ? ne1 : 1));
  g_ptr_array_add (p->tensors, lb_tensor_new (name, LB_TYPE_F32, ne1 ? 2 : 1, ne,
                                              g_bytes_get_data (p->data, NULL), n * 4));
}

static Parts
tiny_llama (void)
{
  Parts p;
  const char *tokens[] = { "<unk>", "<s>", "</s>", "▁a" };

  p.meta = lb_meta_new ();
  p.tensors = g_ptr_array_new_with_free_func ((GDestroyNotify) lb_tensor_free);
  p.data = g_bytes_new_take (g_malloc0 (16 * 8 * 4), 16 * 8 * 4);
  lb_meta_set_string (p.meta, "general.architecture", "llama");
  lb_meta_set_u32 (p.meta, "llama.block_count", 1);
  lb_meta_set_u32 (p.meta, "llama.embedding_length", 8);
  lb_meta_set_u32 (p.meta, "llama.feed_forward_length", 16);
  lb_meta_set_u32 (p.meta, "llama.attention.head_count", 2);
  lb_meta_set_u32 (p.meta, "llama.attention.head_count_kv", 1);
  lb_meta_set_f32 (p.meta, "llama.attention.layer_norm_rms_epsilon", 1e-5f);
  lb_meta_set_string (p.meta, "tokenizer.ggml.model", "llama");
  lb_meta_set_strv (p.meta, "tokenizer.ggml.tokens", tokens, 4);
  add_tensor (&p, "token_embd.weight", 8, 4);
  add_tensor (&p, "output_norm.weight", 8, 0);
  add_tensor (&p, "blk.0.attn_norm.weight", 8, 0);
  add_tensor (&p, "blk.0.attn_q.weight", 8, 8);
  add_tensor (&p, "blk.0.attn_k.weight", 8, 4);
  add_tensor (&p, "blk.0.attn_v.weight", 8, 4);
  add_tensor (&p, "blk.0.attn_output.weight", 8, 8);
  add_tensor (&p, "blk.0.ffn_norm.weight", 8, 0);
  add_tensor (&p, "blk.0.ffn_gate.weight", 8, 16);
  add_tensor (&p, "blk.0.ffn_up.weight", 8, 16);
  add_tensor (&p, "blk.0.ffn_down.weight", 16, 8);
  return p;
}

static LbModel *
build (Parts p, GError **error)
{
  GPtrArray *keep = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_ptr_array_add (keep, p.data);
  return lb_model_new_from_parts ("tiny", LB_MODEL_FORMAT_GGUF, 0, p.meta, p.tensors, keep, error);
}

static void
remove_tensor (Parts *p, const char *name)
{
  for (guint i = 0; i < p->tensors->len; i++)
    if (g_str_equal (((LbTensor *) g_ptr_array_index (p->tensors, i))->name, name))
      {
        g_ptr_array_remove_index (p->tensors, i);
        return;
      }
  g_assert_not_reached ();
}

static void
test_tiny_ok (void)
{
  GError *error = NULL;
  g_autoptr (LbModel) model = build (tiny_llama (), &error);
  const LbHParams *hp;

  g_assert_no_error (error);
  hp = lb_model_get_hparams (model);
  g_assert_cmpuint (hp->n_vocab, ==, 4);
  g_assert_cmpuint (hp->head_dim, ==, 4);
  g_assert_cmpuint (hp->n_rot, ==, 4);
  g_assert_cmpuint (hp->n_head_kv, ==, 1);
  g_assert_true (hp->tied_output);
  g_assert_true (lb_model_get_output (model) == lb_model_get_token_embd (model));
  g_assert_cmpint (hp->rope_type, ==, LB_ROPE_NORMAL);
  g_assert_cmpfloat (hp->rope_freq_base, ==, 10000.0f);
  g_assert_cmpuint (lb_model_get_n_params (model), ==, 32 + 8 + 8 + 64 + 32 + 32 + 64 + 8 + 128 * 3);
  g_assert_nonnull (lb_model_find_tensor (model, "blk.0.ffn_up.weight"));
  g_assert_null (lb_model_find_tensor (model, "blk.1.ffn_up.weight"));
  g_assert_finalize_object (g_steal_pointer (&model));
}

static void
test_missing_tensor (void)
{
  GError *error = NULL;
  Parts p = tiny_llama ();
  LbModel *model;

  remove_tensor (&p, "blk.0.attn_k.weight");
  model = build (p, &error);
  g_assert_null (model);
  g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_FILE);
  g_assert_nonnull (strstr (error->message, "blk.0.attn_k.weight"));
  g_error_free (error);
}

static void
test_wrong_shape (void)
{
  GError *error = NULL;
  Parts p = tiny_llama ();
  gint64 ne[2] = { 8, 5 };
  LbModel *model;

  remove_tensor (&p, "blk.0.attn_v.weight");
  g_ptr_array_add (p.tensors, lb_tensor_new ("blk.0.attn_v.weight", LB_TYPE_F32, 2, ne,
                                             g_bytes_get_data (p.data, NULL), 160));
  model = build (p, &error);
  g_assert_null (model);
  g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_FILE);
  g_assert_nonnull (strstr (error->message, "[8, 5]"));
  g_error_free (error);
}

static void
test_unsupported_arch (void)
{
  GError *error = NULL;
  Parts p = tiny_llama ();
  LbModel *model;

  lb_meta_set_string (p.meta, "general.architecture", "mamba");
  model = build (p, &error);
  g_assert_null (model);
  g_assert_error (error, LB_ERROR, LB_ERROR_UNSUPPORTED);
  g_assert_nonnull (strstr (error->message, "mamba"));
  g_error_free (error);
}

static void
test_bad_hparams (void)
{
  static const struct { const char *key; guint32 value; } cases[] = {
    { "llama.attention.head_count", 0 },
    { "llama.attention.head_count_kv", 3 },   /* 2 heads not divisible by 3 */
    { "llama.block_count", 0 },
    { "llama.rope.dimension_count", 6 },      /* more than the head size */
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      GError *error = NULL;
      Parts p = tiny_llama ();
      LbModel *model;

      lb_meta_set_u32 (p.meta, cases[i].key, cases[i].value);
      model = build (p, &error);
      g_assert_null (model);
      g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_FILE);
      g_error_free (error);
    }
  {
    GError *error = NULL;
    Parts p = tiny_llama ();
    LbModel *model;
    lb_meta_set_string (p.meta, "llama.block_count", "eight");  /* wrong type */
    model = build (p, &error);
    g_assert_null (model);
    g_assert_nonnull (error);
    g_assert_nonnull (strstr (error->message, "llama.block_count"));
    g_error_free (error);
  }
}

/* The same model from the Hugging Face folder and from llama.cpp's GGUF */
static void
test_formats_agree (void)
{
  g_autofree char *dir = lb_test_shared_path ("models", "mini-qwen2", NULL);
  g_autofree char *gguf = lb_test_shared_path ("models", "mini-qwen2", "mini-qwen2-f16.gguf", NULL);
  g_autoptr (LbModel) a = NULL, b = NULL;
  GError *error = NULL;
  const LbHParams *ha, *hb;

  if (dir == NULL || gguf == NULL)
    return;
  a = lb_model_load (dir, NULL, NULL, &error);
  g_assert_no_error (error);
  b = lb_model_load (gguf, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (lb_model_get_format (a), ==, LB_MODEL_FORMAT_HF);
  g_assert_cmpint (lb_model_get_format (b), ==, LB_MODEL_FORMAT_GGUF);
  ha = lb_model_get_hparams (a);
  hb = lb_model_get_hparams (b);
  g_assert_cmpint (ha->arch, ==, LB_ARCH_QWEN2);
  g_assert_cmpuint (ha->n_layer, ==, 8);
  g_assert_cmpuint (ha->n_embd, ==, 256);
  g_assert_cmpuint (ha->n_head_kv, ==, 2);
  g_assert_cmpint (ha->rope_type, ==, LB_ROPE_NEOX);
  g_assert_true (ha->tied_output);
  g_assert_cmpmem (ha, sizeof *ha, hb, sizeof *hb);
  g_assert_cmpuint (lb_model_get_n_params (a), ==, lb_model_get_n_params (b));
  g_assert_cmpuint (lb_model_get_n_tensors (a), ==, lb_model_get_n_tensors (b));
}

static void
on_loaded (GObject *source, GAsyncResult *result, gpointer user_data)
{
  LbModel **out = user_data;
  GError *error = NULL;
  *out = lb_model_load_finish (result, &error);
  g_assert_no_error (error);
}

static void
on_load_failed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GError **out = user_data;
  g_assert_null (lb_model_load_finish (result, out));
}

static void
test_async (void)
{
  g_autofree char *bin = lb_test_source_path ("data", "stories260K", "stories260K.bin", NULL);
  g_autofree char *tok = lb_test_source_path ("data", "stories260K", "tok512.bin", NULL);
  LbModel *model = NULL;
  GError *error = NULL;
  g_autoptr (GCancellable) cancel = g_cancellable_new ();

  lb_model_load_async (bin, tok, NULL, on_loaded, &model);
  while (model == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpint (lb_model_get_format (model), ==, LB_MODEL_FORMAT_LLAMA2C);
  g_assert_cmpuint (lb_model_get_hparams (model)->n_layer, ==, 5);
  g_object_unref (model);

  g_cancellable_cancel (cancel);
  lb_model_load_async (bin, tok, cancel, on_load_failed, &error);
  while (error == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_error_free (error);
}

static void
test_missing_path (void)
{
  GError *error = NULL;
  g_assert_null (lb_model_load ("/nonexistent/model.gguf", NULL, NULL, &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_IO);
  g_assert_nonnull (strstr (error->message, "/nonexistent/model.gguf"));
  g_error_free (error);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/lowbit/model/tiny", test_tiny_ok);
  g_test_add_func ("/lowbit/model/missing-tensor", test_missing_tensor);
  g_test_add_func ("/lowbit/model/wrong-shape", test_wrong_shape);
  g_test_add_func ("/lowbit/model/unsupported-arch", test_unsupported_arch);
  g_test_add_func ("/lowbit/model/bad-hparams", test_bad_hparams);
  g_test_add_func ("/lowbit/model/formats-agree", test_formats_agree);
  g_test_add_func ("/lowbit/model/async", test_async);
  g_test_add_func ("/lowbit/model/missing-path", test_missing_path);
  return g_test_run ();
}
