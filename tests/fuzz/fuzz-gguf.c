/* fuzz-gguf.c: the GGUF reader over arbitrary bytes. Whatever it accepts
 * must be safe to walk: every metadata value and every tensor view is read
 * in full, and every view must lie inside the input. */
#include <glib.h>
#include <stdint.h>
#include <stddef.h>
#include <string.h>

#include "lowbit.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static volatile guint8 sink;

static void
touch (const void *p, gsize n)
{
  const guint8 *b = p;
  guint8 acc = 0;

  for (gsize i = 0; i < n; i++)
    acc ^= b[i];
  sink ^= acc;
}

static void
walk_value (const LbValue *v)
{
  if (v->type == LB_VALUE_STRING)
    {
      touch (v->s.data, v->s.len + 1);   /* the trailing NUL too */
      return;
    }
  if (v->type != LB_VALUE_ARRAY)
    return;
  if (v->arr.elem_type == LB_VALUE_STRING)
    for (gsize i = 0; i < v->arr.n; i++)
      touch (v->arr.strings[i].data, v->arr.strings[i].len + 1);
  else if (v->arr.elem_type == LB_VALUE_ARRAY)
    for (gsize i = 0; i < v->arr.n; i++)
      {
        if (v->arr.values[i].type != LB_VALUE_ARRAY)
          __builtin_trap ();
        walk_value (&v->arr.values[i]);
      }
  else
    touch (v->arr.data, v->arr.n * lb_value_type_size (v->arr.elem_type));
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  GBytes *bytes = g_bytes_new_static (data, size);
  LbGgufReader *r;
  LbMeta *meta, *copy;
  GError *error = NULL;

  r = lb_gguf_reader_open_bytes (bytes, &error);
  g_bytes_unref (bytes);
  if (r == NULL)
    {
      /* refusals are always INVALID_FILE with a message */
      if (error == NULL || error->domain != LB_ERROR || error->code != LB_ERROR_INVALID_FILE
          || error->message[0] == '\0')
        __builtin_trap ();
      g_error_free (error);
      return 0;
    }

  meta = lb_gguf_reader_get_meta (r);
  for (guint i = 0; i < lb_meta_get_n_keys (meta); i++)
    {
      const char *key = lb_meta_get_key (meta, i);
      guint32 u32;
      float f;

      walk_value (lb_meta_get_value (meta, i));
      if (lb_meta_lookup (meta, key) != lb_meta_get_value (meta, i))
        __builtin_trap ();
      /* the typed getters on every key, whatever its type */
      lb_meta_get_u32 (meta, key, &u32, NULL);
      lb_meta_get_f32 (meta, key, &f, NULL);
    }
  copy = lb_meta_copy (meta);
  for (guint i = 0; i < lb_meta_get_n_keys (meta); i++)
    if (!lb_value_equal (lb_meta_get_value (meta, i), lb_meta_get_value (copy, i)))
      __builtin_trap ();
  lb_meta_unref (copy);

  for (guint i = 0; i < lb_gguf_reader_get_n_tensors (r); i++)
    {
      const LbTensor *t = lb_gguf_reader_get_tensor (r, i);

      if (t->data < data || t->n_bytes > size || t->data - data > (ptrdiff_t) (size - t->n_bytes))
        __builtin_trap ();
      if (t->n_bytes != lb_tensor_row_bytes (t) * (gsize) lb_tensor_n_rows (t))
        __builtin_trap ();
      if (lb_gguf_reader_find_tensor (r, t->name) != t)
        __builtin_trap ();
      touch (t->data, t->n_bytes);
    }
  lb_gguf_reader_free (r);
  return 0;
}
