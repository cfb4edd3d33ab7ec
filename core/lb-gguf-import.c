/* lb-gguf-import.c: a GGUF file as an LbModel.
 *
 * The reader's metadata is self-contained (values are copied out of the
 * mapping), so the model shares it by reference; the tensor views point into
 * the mapping, which the model keeps alive as GBytes after the reader goes. */
#include "lb-model-private.h"

#include "lb-error.h"
#include "lb-gguf.h"

LbModel *
lb_import_gguf (const char *path, GCancellable *cancellable, GError **error)
{
  g_autoptr (LbGgufReader) reader = NULL;
  GPtrArray *tensors, *keepalive;
  guint64 file_size;
  LbMeta *meta;

  g_return_val_if_fail (path != NULL, NULL);

  reader = lb_gguf_reader_open (path, error);
  if (reader == NULL)
    return NULL;
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;

  tensors = g_ptr_array_new_full (lb_gguf_reader_get_n_tensors (reader),
                                  (GDestroyNotify) lb_tensor_free);
  for (guint i = 0; i < lb_gguf_reader_get_n_tensors (reader); i++)
    {
      const LbTensor *t = lb_gguf_reader_get_tensor (reader, i);
      g_ptr_array_add (tensors, lb_tensor_new (t->name, t->type, t->n_dims, t->ne,
                                               t->data, t->n_bytes));
    }
  keepalive = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_ptr_array_add (keepalive, lb_gguf_reader_ref_bytes (reader));
  meta = lb_meta_ref (lb_gguf_reader_get_meta (reader));
  file_size = lb_gguf_reader_get_file_size (reader);
  g_clear_pointer (&reader, lb_gguf_reader_free);

  return lb_model_new_from_parts (path, LB_MODEL_FORMAT_GGUF, file_size, meta, tensors,
                                  keepalive, error);
}
