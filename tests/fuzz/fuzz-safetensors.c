/* fuzz-safetensors.c: the safetensors header parser over arbitrary bytes;
 * every tensor it accepts is walked, its first and last data byte read. */
#include <glib.h>
#include <stdint.h>
#include <string.h>

#include "lb-safetensors.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  GBytes *bytes = g_bytes_new (data, size);
  GError *error = NULL;
  LbSafetensors *st = lb_safetensors_open_bytes (bytes, &error);
  volatile guint8 sink = 0;

  g_bytes_unref (bytes);
  if (st == NULL)
    {
      g_assert (error != NULL && error->message != NULL);
      g_error_free (error);
      return 0;
    }
  for (guint i = 0; i < lb_safetensors_get_n_tensors (st); i++)
    {
      const LbSafetensorsTensor *t = lb_safetensors_get_tensor (st, i);
      LbType type;

      g_assert (lb_safetensors_find_tensor (st, t->name) == t);
      g_assert (t->offset + t->n_bytes <= size);
      if (t->n_bytes > 0)
        sink ^= t->data[0] ^ t->data[t->n_bytes - 1];
      (void) lb_safetensors_dtype_name (t->dtype);
      (void) lb_safetensors_dtype_to_type (t->dtype, &type);
    }
  (void) lb_safetensors_get_metadata (st, "format");
  lb_safetensors_free (st);
  (void) sink;
  return 0;
}
