/* lb-convert.c: model -> GGUF, one tensor at a time */
#include "lb-convert.h"

#include "lb-error.h"
#include "lb-gguf.h"

/* llama.cpp's general.file_type values for whole-model float types */
enum { FTYPE_ALL_F32 = 0, FTYPE_MOSTLY_F16 = 1, FTYPE_MOSTLY_BF16 = 32 };

gboolean
lb_convert_type_from_string (const char *s, LbConvertType *out)
{
  static const struct { const char *name; LbConvertType type; } names[] = {
    { "auto", LB_CONVERT_AUTO }, { "f32", LB_CONVERT_F32 },
    { "f16", LB_CONVERT_F16 }, { "bf16", LB_CONVERT_BF16 },
  };
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if (g_ascii_strcasecmp (s, names[i].name) == 0)
      {
        *out = names[i].type;
        return TRUE;
      }
  return FALSE;
}

static LbType
target_type (const LbTensor *t, LbConvertType type)
{
  if (type == LB_CONVERT_AUTO)
    return t->type;
  if (t->n_dims < 2)
    return LB_TYPE_F32;
  switch (type)
    {
    case LB_CONVERT_F16: return LB_TYPE_F16;
    case LB_CONVERT_BF16: return LB_TYPE_BF16;
    default: return LB_TYPE_F32;
    }
}

static guint32
file_type_of (LbModel *model, LbConvertType type)
{
  gboolean any_bf16 = FALSE, any_f16 = FALSE;

  switch (type)
    {
    case LB_CONVERT_F32: return FTYPE_ALL_F32;
    case LB_CONVERT_F16: return FTYPE_MOSTLY_F16;
    case LB_CONVERT_BF16: return FTYPE_MOSTLY_BF16;
    default: break;
    }
  for (guint i = 0; i < lb_model_get_n_tensors (model); i++)
    {
      const LbTensor *t = lb_model_get_tensor (model, i);
      any_bf16 |= t->type == LB_TYPE_BF16;
      any_f16 |= t->type == LB_TYPE_F16;
    }
  return any_bf16 ? FTYPE_MOSTLY_BF16 : any_f16 ? FTYPE_MOSTLY_F16 : FTYPE_ALL_F32;
}

/* Streams one tensor, converting row by row when the type changes. */
static gboolean
write_tensor (LbGgufWriter *writer, const LbTensor *t, LbType out_type, GError **error)
{
  const LbTypeTraits *src = lb_type_get_traits (t->type);
  const LbTypeTraits *dst = lb_type_get_traits (out_type);
  gint64 n_rows = lb_tensor_n_rows (t);
  gsize in_row = lb_tensor_row_bytes (t), out_row = lb_type_row_size (out_type, t->ne[0]);
  g_autofree float *row = NULL;
  g_autofree guint8 *buf = NULL;

  if (out_type == t->type)
    return lb_gguf_writer_write_tensor_data (writer, t->data, t->n_bytes, error);

  if (src->to_float == NULL || dst->from_float == NULL)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_UNSUPPORTED,
                   "tensor %s: cannot convert %s to %s", t->name, src->name, dst->name);
      return FALSE;
    }
  row = g_new (float, t->ne[0]);
  buf = g_malloc (out_row);
  for (gint64 r = 0; r < n_rows; r++)
    {
      src->to_float (t->data + r * in_row, row, t->ne[0]);
      dst->from_float (row, buf, t->ne[0], NULL);
      if (!lb_gguf_writer_write_tensor_data (writer, buf, out_row, error))
        return FALSE;
    }
  return TRUE;
}

gboolean
lb_model_export_gguf (LbModel *model, const char *path, LbConvertType type,
                      LbProgressFunc progress, gpointer progress_data,
                      GCancellable *cancellable, GError **error)
{
  g_autoptr (LbMeta) meta = lb_meta_copy (lb_model_get_meta (model));
  g_autoptr (LbGgufWriter) writer = NULL;
  guint n = lb_model_get_n_tensors (model);
  guint64 total = 0, done = 0;

  g_return_val_if_fail (LB_IS_MODEL (model), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  lb_meta_set_u32 (meta, "general.file_type", file_type_of (model, type));
  if (!lb_meta_contains (meta, "general.quantization_version"))
    lb_meta_set_u32 (meta, "general.quantization_version", 2);

  writer = lb_gguf_writer_new (path, meta, error);
  if (writer == NULL)
    return FALSE;

  for (guint i = 0; i < n; i++)
    {
      const LbTensor *t = lb_model_get_tensor (model, i);
      if (!lb_gguf_writer_add_tensor_info (writer, t->name, target_type (t, type), t->n_dims,
                                           t->ne, error))
        return FALSE;
      total += t->n_bytes;
    }
  if (!lb_gguf_writer_begin_data (writer, error))
    return FALSE;

  for (guint i = 0; i < n; i++)
    {
      const LbTensor *t = lb_model_get_tensor (model, i);

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;
      if (progress)
        {
          g_autofree char *stage = g_strdup_printf ("tensor %u/%u: %s", i + 1, n, t->name);
          progress (total ? (double) done / (double) total : 0.0, stage, progress_data);
        }
      if (!write_tensor (writer, t, target_type (t, type), error))
        return FALSE;
      done += t->n_bytes;
    }

  if (!lb_gguf_writer_finish (writer, error))
    return FALSE;
  if (progress)
    progress (1.0, "done", progress_data);
  return TRUE;
}
