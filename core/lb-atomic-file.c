/* lb-atomic-file.c: temporary file + fsync + rename */
#include "lb-atomic-file.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "lb-error.h"

#define BUFFER_SIZE (1 << 20)

struct _LbAtomicFile
{
  char     *path;
  char     *tmp_path;   /* NULL once renamed or deleted */
  FILE     *fp;
  char     *buffer;
  gboolean  committed;
};

static gboolean
io_failed (LbAtomicFile *f, int saved_errno, const char *doing, GError **error)
{
  g_set_error (error, LB_ERROR, LB_ERROR_IO, "cannot write %s: %s (%s)", f->path,
               g_strerror (saved_errno), doing);
  lb_atomic_file_abort (f);
  return FALSE;
}

LbAtomicFile *
lb_atomic_file_new (const char *path, GError **error)
{
  LbAtomicFile *f;
  int fd;

  g_return_val_if_fail (path != NULL, NULL);

  f = g_new0 (LbAtomicFile, 1);
  f->path = g_strdup (path);
  f->tmp_path = g_strconcat (path, ".XXXXXX", NULL);
  fd = g_mkstemp_full (f->tmp_path, O_WRONLY | O_CLOEXEC, 0666);
  if (fd < 0)
    {
      int saved = errno;
      g_autofree char *dir = g_path_get_dirname (path);

      g_clear_pointer (&f->tmp_path, g_free);
      if (!g_file_test (dir, G_FILE_TEST_IS_DIR))
        g_set_error (error, LB_ERROR, LB_ERROR_IO, "cannot write %s: the folder %s does not exist",
                     path, dir);
      else
        g_set_error (error, LB_ERROR, LB_ERROR_IO, "cannot write %s: %s (creating a temporary file in %s)",
                     path, g_strerror (saved), dir);
      lb_atomic_file_free (f);
      return NULL;
    }
  f->fp = fdopen (fd, "wb");
  if (f->fp == NULL)
    {
      int saved = errno;
      close (fd);
      io_failed (f, saved, "opening the temporary file", error);
      lb_atomic_file_free (f);
      return NULL;
    }
  f->buffer = g_malloc (BUFFER_SIZE);
  setvbuf (f->fp, f->buffer, _IOFBF, BUFFER_SIZE);
  return f;
}

const char *
lb_atomic_file_get_path (LbAtomicFile *f)
{
  return f->path;
}

FILE *
lb_atomic_file_get_stream (LbAtomicFile *f)
{
  return f->fp;
}

gboolean
lb_atomic_file_write (LbAtomicFile *f, const void *data, gsize n, GError **error)
{
  if (f->fp == NULL)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_IO, "cannot write %s: the file was already closed", f->path);
      return FALSE;
    }
  if (n > 0 && fwrite (data, 1, n, f->fp) != n)
    return io_failed (f, errno, "writing", error);
  return TRUE;
}

gboolean
lb_atomic_file_commit (LbAtomicFile *f, GError **error)
{
  g_autofree char *dir = NULL;
  int dir_fd, rc;

  if (f->fp == NULL)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_IO, "cannot write %s: the file was already closed", f->path);
      return FALSE;
    }
  if (ferror (f->fp) || fflush (f->fp) != 0)
    return io_failed (f, errno ? errno : EIO, "flushing", error);
  if (fsync (fileno (f->fp)) != 0)
    return io_failed (f, errno, "syncing to disk", error);
  rc = fclose (f->fp);
  f->fp = NULL;
  if (rc != 0)
    return io_failed (f, errno, "closing", error);
  if (g_rename (f->tmp_path, f->path) != 0)
    return io_failed (f, errno, "renaming the temporary file", error);
  g_clear_pointer (&f->tmp_path, g_free);
  g_clear_pointer (&f->buffer, g_free);
  f->committed = TRUE;

  /* make the rename durable; a failure here loses nothing already written */
  dir = g_path_get_dirname (f->path);
  dir_fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0)
    {
      (void) fsync (dir_fd);
      close (dir_fd);
    }
  return TRUE;
}

void
lb_atomic_file_abort (LbAtomicFile *f)
{
  if (f->fp != NULL)
    {
      fclose (f->fp);
      f->fp = NULL;
    }
  if (f->tmp_path != NULL)
    {
      g_unlink (f->tmp_path);
      g_clear_pointer (&f->tmp_path, g_free);
    }
  g_clear_pointer (&f->buffer, g_free);
}

void
lb_atomic_file_free (LbAtomicFile *f)
{
  if (f == NULL)
    return;
  if (!f->committed)
    lb_atomic_file_abort (f);
  g_free (f->path);
  g_free (f);
}
