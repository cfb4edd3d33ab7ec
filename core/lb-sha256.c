/* lb-sha256.c: SHA-256 through GChecksum */
#include "lb-sha256.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "lb-error.h"

#define READ_CHUNK (1 << 20)

struct _LbSha256State {
  GChecksum *checksum;
};

LbSha256State *
lb_sha256_state_new (void)
{
  LbSha256State *s = g_new0 (LbSha256State, 1);

  s->checksum = g_checksum_new (G_CHECKSUM_SHA256);
  return s;
}

void
lb_sha256_state_update (LbSha256State *s, const void *data, gsize n)
{
  const guint8 *p = data;

  /* g_checksum_update takes a gssize length */
  while (n > 0)
    {
      gsize step = MIN (n, (gsize) G_MAXSSIZE / 2);

      g_checksum_update (s->checksum, p, (gssize) step);
      p += step;
      n -= step;
    }
}

void
lb_sha256_state_get (LbSha256State *s, LbSha256 *out)
{
  g_autoptr (GChecksum) copy = g_checksum_copy (s->checksum);
  gsize len = LB_SHA256_BYTES;

  g_checksum_get_digest (copy, out->bytes, &len);
  g_assert (len == LB_SHA256_BYTES);
}

void
lb_sha256_state_free (LbSha256State *s)
{
  if (s == NULL)
    return;
  g_checksum_free (s->checksum);
  g_free (s);
}

void
lb_sha256_data (const void *data, gsize n, LbSha256 *out)
{
  g_autoptr (LbSha256State) s = lb_sha256_state_new ();

  lb_sha256_state_update (s, data, n);
  lb_sha256_state_get (s, out);
}

gboolean
lb_sha256_file (const char *path, LbSha256 *out, guint64 *size,
                GCancellable *cancellable, GError **error)
{
  g_autoptr (LbSha256State) s = NULL;
  g_autofree guint8 *buf = NULL;
  guint64 total = 0;
  int fd;

  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    {
      int saved = errno;
      g_set_error (error, LB_ERROR, LB_ERROR_IO, "cannot read %s: %s", path, g_strerror (saved));
      return FALSE;
    }
  s = lb_sha256_state_new ();
  buf = g_malloc (READ_CHUNK);
  for (;;)
    {
      ssize_t n = read (fd, buf, READ_CHUNK);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int saved = errno;
          g_set_error (error, LB_ERROR, LB_ERROR_IO, "cannot read %s at byte %" G_GUINT64_FORMAT ": %s",
                       path, total, g_strerror (saved));
          close (fd);
          return FALSE;
        }
      if (n == 0)
        break;
      lb_sha256_state_update (s, buf, (gsize) n);
      total += (guint64) n;
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        {
          close (fd);
          return FALSE;
        }
    }
  close (fd);
  lb_sha256_state_get (s, out);
  if (size)
    *size = total;
  return TRUE;
}

gboolean
lb_sha256_equal (const LbSha256 *a, const LbSha256 *b)
{
  return memcmp (a->bytes, b->bytes, LB_SHA256_BYTES) == 0;
}

char *
lb_sha256_to_hex (const LbSha256 *digest)
{
  static const char hex[] = "0123456789abcdef";
  char *s = g_malloc (2 * LB_SHA256_BYTES + 1);

  for (guint i = 0; i < LB_SHA256_BYTES; i++)
    {
      s[2 * i] = hex[digest->bytes[i] >> 4];
      s[2 * i + 1] = hex[digest->bytes[i] & 15];
    }
  s[2 * LB_SHA256_BYTES] = '\0';
  return s;
}

gboolean
lb_sha256_from_hex (const char *text, LbSha256 *out)
{
  if (text == NULL || strlen (text) != 2 * LB_SHA256_BYTES)
    return FALSE;
  for (guint i = 0; i < LB_SHA256_BYTES; i++)
    {
      int hi = g_ascii_xdigit_value (text[2 * i]);
      int lo = g_ascii_xdigit_value (text[2 * i + 1]);

      if (hi < 0 || lo < 0)
        return FALSE;
      out->bytes[i] = (guint8) (hi << 4 | lo);
    }
  return TRUE;
}
