/* test-convert.c: export to GGUF against llama.cpp's converter output */
#include <string.h>

#include "lowbit.h"
#include "lb-test-util.h"

static LbModel *
load (const char *path, const char *tok)
{
  GError *error = NULL;
  LbModel *m = lb_model_load (path, tok, NULL, &error);
  g_assert_no_error (error);
  return m;
}

static guint
count_files (const char *dir)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  guint n = 0;
  while (d && g_dir_read_name (d))
    n++;
  if (d)
    g_dir_close (d);
  return n;
}

/* lowbit convert of the HF folder has the converter's tensor names, shapes,
 * types and metadata keys; and with --type f16 the very same bytes, since
 * bf16 -> f16 rounding is exact arithmetic both sides agree on. */
static void
test_hf_matches_converter (void)
{
  g_autofree char *dir = lb_test_shared_path ("models", "mini-qwen2", NULL);
  g_autofree char *ref_path = lb_test_shared_path ("models", "mini-qwen2", "mini-qwen2-f16.gguf", NULL);
  g_autofree char *tmp = lb_test_make_tmpdir ();
  g_autofree char *out = g_build_filename (tmp, "q.gguf", NULL);
  g_autoptr (LbModel) model = NULL;
  g_autoptr (LbGgufReader) ours = NULL, ref = NULL;
  LbMeta *mo, *mr;
  GError *error = NULL;
  guint identical = 0;

  if (dir == NULL || ref_path == NULL)
    return;
  model = load (dir, NULL);
  g_assert_true (lb_model_export_gguf (model, out, LB_CONVERT_F16, NULL, NULL, NULL, &error));
  g_assert_no_error (error);

  ours = lb_gguf_reader_open (out, &error);
  g_assert_no_error (error);
  ref = lb_gguf_reader_open (ref_path, &error);
  g_assert_no_error (error);

  mo = lb_gguf_reader_get_meta (ours);
  mr = lb_gguf_reader_get_meta (ref);
  for (guint i = 0; i < lb_meta_get_n_keys (mr); i++)
    if (!lb_meta_contains (mo, lb_meta_get_key (mr, i)))
      g_test_fail_printf ("metadata key %s missing from Lowbit's file", lb_meta_get_key (mr, i));
  for (guint i = 0; i < lb_meta_get_n_keys (mo); i++)
    if (!lb_meta_contains (mr, lb_meta_get_key (mo, i)))
      g_test_fail_printf ("Lowbit's file has metadata key %s the converter does not write",
                          lb_meta_get_key (mo, i));
  /* values that define the model must agree too */
  {
    const char *keys[] = { "general.architecture", "qwen2.block_count", "qwen2.context_length",
                           "qwen2.embedding_length", "qwen2.feed_forward_length",
                           "qwen2.attention.head_count", "qwen2.attention.head_count_kv",
                           "qwen2.rope.freq_base", "qwen2.attention.layer_norm_rms_epsilon",
                           "general.file_type", "tokenizer.ggml.model", "tokenizer.ggml.tokens",
                           "tokenizer.ggml.scores", "tokenizer.ggml.token_type",
                           "tokenizer.ggml.bos_token_id", "tokenizer.ggml.eos_token_id",
                           "tokenizer.ggml.add_bos_token", "general.name" };
    for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
      {
        const LbValue *a = lb_meta_lookup (mo, keys[i]), *b = lb_meta_lookup (mr, keys[i]);
        if (a == NULL || b == NULL || !lb_value_equal (a, b))
          g_test_fail_printf ("metadata %s differs from the converter's", keys[i]);
      }
  }

  g_assert_cmpuint (lb_gguf_reader_get_n_tensors (ours), ==, lb_gguf_reader_get_n_tensors (ref));
  for (guint i = 0; i < lb_gguf_reader_get_n_tensors (ref); i++)
    {
      const LbTensor *r = lb_gguf_reader_get_tensor (ref, i);
      const LbTensor *o = lb_gguf_reader_find_tensor (ours, r->name);
      if (o == NULL)
        {
          g_test_fail_printf ("tensor %s missing", r->name);
          continue;
        }
      g_assert_cmpuint (o->n_dims, ==, r->n_dims);
      g_assert_cmpmem (o->ne, sizeof o->ne, r->ne, sizeof r->ne);
      g_assert_cmpint (o->type, ==, r->type);
      g_assert_cmpuint (o->n_bytes, ==, r->n_bytes);
      identical += memcmp (o->data, r->data, r->n_bytes) == 0;
    }
  g_test_message ("%u of %u tensors byte-identical to the converter's", identical,
                  lb_gguf_reader_get_n_tensors (ref));
  g_assert_cmpuint (identical, ==, lb_gguf_reader_get_n_tensors (ref));
  lb_test_rmtree (tmp);
}

/* llama2.c -> GGUF (auto: stays F32) -> the same tensors bit for bit */
static void
test_llama2c_lossless (void)
{
  g_autofree char *bin = lb_test_source_path ("data", "stories260K", "stories260K.bin", NULL);
  g_autofree char *tok = lb_test_source_path ("data", "stories260K", "tok512.bin", NULL);
  g_autofree char *tmp = lb_test_make_tmpdir ();
  g_autofree char *out = g_build_filename (tmp, "s.gguf", NULL);
  g_autoptr (LbModel) a = load (bin, tok), b = NULL;
  GError *error = NULL;

  g_assert_true (lb_model_export_gguf (a, out, LB_CONVERT_AUTO, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  b = load (out, NULL);
  g_assert_cmpmem (lb_model_get_hparams (a), sizeof (LbHParams), lb_model_get_hparams (b), sizeof (LbHParams));
  g_assert_cmpuint (lb_model_get_n_tensors (a), ==, lb_model_get_n_tensors (b));
  for (guint i = 0; i < lb_model_get_n_tensors (a); i++)
    {
      const LbTensor *ta = lb_model_get_tensor (a, i);
      const LbTensor *tb = lb_model_find_tensor (b, ta->name);
      g_assert_nonnull (tb);
      g_assert_cmpint (tb->type, ==, LB_TYPE_F32);
      g_assert_cmpmem (ta->data, ta->n_bytes, tb->data, tb->n_bytes);
    }
  for (guint i = 0; i < lb_meta_get_n_keys (lb_model_get_meta (a)); i++)
    {
      const char *key = lb_meta_get_key (lb_model_get_meta (a), i);
      const LbValue *vb = lb_meta_lookup (lb_model_get_meta (b), key);
      g_assert_nonnull (vb);
      if (!g_str_equal (key, "general.file_type") && !g_str_equal (key, "general.quantization_version"))
        g_assert_true (lb_value_equal (lb_meta_get_value (lb_model_get_meta (a), i), vb));
    }
  lb_test_rmtree (tmp);
}

static void
count_progress (double fraction, const char *stage, gpointer user_data)
{
  double *last = user_data;
  g_assert_cmpfloat (fraction, >=, *last);
  g_assert_cmpfloat (fraction, <=, 1.0);
  g_assert_nonnull (stage);
  *last = fraction;
}

static void
cancel_on_second (double fraction, const char *stage, gpointer user_data)
{
  static guint calls;
  if (++calls == 2)
    g_cancellable_cancel (user_data);
}

static void
test_progress_cancel_errors (void)
{
  g_autofree char *bin = lb_test_source_path ("data", "stories260K", "stories260K.bin", NULL);
  g_autofree char *tok = lb_test_source_path ("data", "stories260K", "tok512.bin", NULL);
  g_autofree char *tmp = lb_test_make_tmpdir ();
  g_autofree char *out = g_build_filename (tmp, "s.gguf", NULL);
  g_autofree char *bad = g_build_filename (tmp, "missing", "s.gguf", NULL);
  g_autoptr (LbModel) m = load (bin, tok);
  g_autoptr (GCancellable) cancel = g_cancellable_new ();
  GError *error = NULL;
  double last = 0.0;

  g_assert_true (lb_model_export_gguf (m, out, LB_CONVERT_F16, count_progress, &last, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpfloat (last, ==, 1.0);
  g_assert_cmpuint (count_files (tmp), ==, 1);

  /* cancelled half-way: the previous file stays as it was, no temporary is left */
  g_assert_false (lb_model_export_gguf (m, out, LB_CONVERT_F32, cancel_on_second, cancel, cancel, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  g_assert_cmpuint (count_files (tmp), ==, 1);
  {
    g_autoptr (LbModel) again = load (out, NULL);
    g_assert_cmpint (lb_model_get_token_embd (again)->type, ==, LB_TYPE_F16);
  }

  g_assert_false (lb_model_export_gguf (m, bad, LB_CONVERT_F32, NULL, NULL, NULL, &error));
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "missing"));
  g_clear_error (&error);
  lb_test_rmtree (tmp);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/lowbit/convert/hf-matches-converter", test_hf_matches_converter);
  g_test_add_func ("/lowbit/convert/llama2c-lossless", test_llama2c_lossless);
  g_test_add_func ("/lowbit/convert/progress-cancel-errors", test_progress_cancel_errors);
  return g_test_run ();
}
