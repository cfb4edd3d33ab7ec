#include "lb-tensor.h"

LbTensor *
lb_tensor_new (const char *name, LbType type, guint n_dims, const gint64 *ne,
               const guint8 *data, gsize n_bytes)
{
  LbTensor *t;

  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (n_dims >= 1 && n_dims <= LB_MAX_DIMS, NULL);

  t = g_new0 (LbTensor, 1);
  t->name = g_strdup (name);
  t->type = type;
  t->n_dims = n_dims;
  for (guint i = 0; i < LB_MAX_DIMS; i++)
    t->ne[i] = i < n_dims ? ne[i] : 1;
  t->data = data;
  t->n_bytes = n_bytes;
  return t;
}

void
lb_tensor_free (LbTensor *tensor)
{
  if (tensor == NULL)
    return;
  g_free (tensor->name);
  g_free (tensor);
}

gint64
lb_tensor_n_elements (const LbTensor *tensor)
{
  gint64 n = 1;
  for (guint i = 0; i < LB_MAX_DIMS; i++)
    n *= tensor->ne[i];
  return n;
}

gint64
lb_tensor_n_rows (const LbTensor *tensor)
{
  return lb_tensor_n_elements (tensor) / MAX (tensor->ne[0], 1);
}

gsize
lb_tensor_row_bytes (const LbTensor *tensor)
{
  return lb_type_row_size (tensor->type, tensor->ne[0]);
}

char *
lb_tensor_shape_string (const LbTensor *tensor)
{
  GString *s = g_string_new ("[");
  for (guint i = 0; i < tensor->n_dims; i++)
    g_string_append_printf (s, "%s%" G_GINT64_FORMAT, i ? ", " : "", tensor->ne[i]);
  g_string_append_c (s, ']');
  return g_string_free (s, FALSE);
}
