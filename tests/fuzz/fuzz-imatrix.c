/* fuzz-imatrix.c: importance data over arbitrary bytes (GGUF imatrix or
 * legacy .dat); whatever loads must answer every query and save as GGUF. */
#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdint.h>

#include "lb-imatrix.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  GBytes *bytes = g_bytes_new (data, size);
  GError *error = NULL;
  LbImatrix *im = lb_imatrix_load_bytes (bytes, "fuzz", &error);

  g_bytes_unref (bytes);
  if (im == NULL)
    {
      g_assert (error != NULL && error->message != NULL);
      g_error_free (error);
      return 0;
    }
  for (guint i = 0; i < lb_imatrix_get_n_entries (im); i++)
    {
      const char *name = lb_imatrix_get_entry_name (im, i);
      gsize n = 0;
      const float *imp = lb_imatrix_get_importance (im, name, &n);

      g_assert (imp != NULL && n > 0);
      for (gsize j = 0; j < n; j++)
        g_assert (isfinite (imp[j]) && imp[j] >= 0.0f);
      (void) lb_imatrix_get_count (im, name);
    }
  for (const char * const *d = lb_imatrix_get_datasets (im); *d; d++)
    g_assert (g_utf8_validate (*d, -1, NULL));
  if (size < 65536)
    {
      char *dir = g_dir_make_tmp ("fuzz-imatrix-XXXXXX", NULL);
      char *path = dir ? g_build_filename (dir, "o.gguf", NULL) : NULL;

      if (path && lb_imatrix_save (im, path, NULL))
        {
          LbImatrix *back = lb_imatrix_load (path, NULL);
          g_assert (back != NULL);
          g_assert (lb_imatrix_get_n_entries (back) == lb_imatrix_get_n_entries (im));
          lb_imatrix_unref (back);
        }
      if (path)
        g_unlink (path);
      if (dir)
        g_rmdir (dir);
      g_free (path);
      g_free (dir);
    }
  lb_imatrix_unref (im);
  return 0;
}
