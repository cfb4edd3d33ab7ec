/* test-gguf-import.c: a GGUF file as an LbModel (lb_import_gguf) */
#include <glib.h>
#include <string.h>

#include "lowbit.h"
#include "lb-model-private.h"
#include "lb-test-util.h"

static void
test_mini_qwen2 (void)
{
  g_autofree char *path = lb_test_shared_path ("models", "mini-qwen2", "mini-qwen2-f16.gguf", NULL);
  g_autoptr (LbModel) model = NULL;
  g_autoptr (LbGgufReader) r = NULL;
  GError *error = NULL;
  guint32 u32;

  if (path == NULL)
    return;
  model = lb_import_gguf (path, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (model);
  g_assert_cmpint (lb_model_get_format (model), ==, LB_MODEL_FORMAT_GGUF);
  g_assert_cmpstr (lb_model_get_path (model), ==, path);
  g_assert_cmpstr (lb_model_get_architecture (model), ==, "qwen2");
  g_assert_cmpuint (lb_meta_get_n_keys (lb_model_get_meta (model)), ==, 23);
  g_assert_true (lb_meta_get_u32 (lb_model_get_meta (model), "qwen2.block_count", &u32, &error));
  g_assert_cmpuint (u32, ==, 8);
  g_assert_cmpuint (lb_model_get_n_tensors (model), ==, 98);

  /* the views point at the same bytes a fresh reader sees, and stay valid
   * although the importer's reader is gone */
  r = lb_gguf_reader_open (path, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < lb_gguf_reader_get_n_tensors (r); i++)
    {
      const LbTensor *a = lb_gguf_reader_get_tensor (r, i);
      const LbTensor *b = lb_model_find_tensor (model, a->name);

      g_assert_nonnull (b);
      g_assert_cmpint (b->type, ==, a->type);
      g_assert_cmpuint (b->n_dims, ==, a->n_dims);
      for (guint d = 0; d < LB_MAX_DIMS; d++)
        g_assert_cmpint (b->ne[d], ==, a->ne[d]);
      g_assert_cmpmem (b->data, b->n_bytes, a->data, a->n_bytes);
    }
}

static void
test_errors (void)
{
  g_autofree char *path = lb_test_shared_path ("models", "mini-qwen2", "mini-qwen2-f16.gguf", NULL);
  g_autofree char *dir = lb_test_make_tmpdir ();
  g_autofree char *bad = g_build_filename (dir, "bad.gguf", NULL);
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  GError *error = NULL;

  if (path == NULL)
    return;
  g_cancellable_cancel (cancellable);
  g_assert_null (lb_import_gguf (path, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);

  g_assert_true (g_file_set_contents (bad, "GGUF\1\0\0\0", 8, NULL));
  g_assert_null (lb_import_gguf (bad, NULL, &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_FILE);
  g_assert_true (g_str_has_prefix (error->message, bad));
  g_assert_nonnull (strstr (error->message, "version 1"));
  g_clear_error (&error);
  lb_test_rmtree (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/lowbit/gguf-import/mini-qwen2", test_mini_qwen2);
  g_test_add_func ("/lowbit/gguf-import/errors", test_errors);
  return g_test_run ();
}
