/* fuzz-llama2c.c: llama2.c checkpoints and tokenizer files over arbitrary
 * bytes. The input is tried twice: as a tokenizer file (vocabulary size from
 * its first byte), and as a checkpoint (through a memfd, since the importer
 * maps a path) whose tokenizer is the same bytes. */
#define _GNU_SOURCE
#include <glib.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lowbit.h"
#include "lb-model-private.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static char *
memfd_path (const uint8_t *data, size_t size, int *fd_out)
{
  int fd = memfd_create ("lowbit-fuzz", MFD_CLOEXEC);
  if (fd < 0)
    return NULL;
  if (size > 0 && write (fd, data, size) != (ssize_t) size)
    {
      close (fd);
      return NULL;
    }
  *fd_out = fd;
  return g_strdup_printf ("/proc/self/fd/%d", fd);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  GError *error = NULL;
  LbMeta *meta = lb_meta_new ();
  guint32 n_vocab = size ? (guint32) data[0] * 3 + 1 : 1;
  char *path;
  int fd = -1;

  if (!lb_llama2c_tokenizer_to_meta (data, size, n_vocab, meta, &error))
    {
      g_assert (error != NULL && error->message != NULL);
      g_clear_error (&error);
    }
  lb_meta_unref (meta);

  path = memfd_path (data, size, &fd);
  if (path != NULL)
    {
      LbModel *model = lb_import_llama2c (path, path, NULL, &error);
      if (model != NULL)
        g_object_unref (model);
      else
        {
          g_assert (error != NULL && error->message != NULL);
          g_clear_error (&error);
        }
      close (fd);
      g_free (path);
    }
  return 0;
}
