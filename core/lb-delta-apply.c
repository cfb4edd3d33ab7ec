/* lb-delta-apply.c: checking and applying delta packages, rollback,
 * verification against signed manifests, the installed-version sidecar.
 *
 * Crash safety: the target is built in "<out>.lbpartial" (locked with
 * flock, so two applies cannot share it), synced and hashed; the sidecar
 * is rewritten before the swap and names both the new and the previous
 * file by SHA-256, so whichever file a crash leaves at MODEL, its version
 * is known; the previous file is kept through a hard link, so MODEL always
 * exists; the swap itself is one rename(2). */
#include "lb-delta.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>
#include <glib/gstdio.h>

#include "lb-atomic-file.h"
#include "lb-error.h"

#define CHUNK (1 << 20)

/* Test hook: LB_DELTA_TEST_CRASH=<stage> makes the process _exit() at that
 * stage (reconstruct, sidecar, prev, swap), as a power cut would. */
static void
crash_point (const char *stage)
{
  const char *want = g_getenv ("LB_DELTA_TEST_CRASH");

  if (want != NULL && strcmp (want, stage) == 0)
    _exit (86);
}

/* ---- reconstruction ------------------------------------------------------ */

typedef struct {
  LbDeltaSinkFunc sink;
  gpointer        sink_data;
  LbProgressFunc  progress;
  gpointer        progress_data;
  GCancellable   *cancellable;
  guint64         done;
  guint64         total;
} Out;

static gboolean
out_write (Out *o, const void *data, gsize n, GError **error)
{
  if (n == 0)
    return TRUE;
  if (!o->sink (data, n, o->sink_data, error))
    return FALSE;
  o->done += n;
  return !g_cancellable_set_error_if_cancelled (o->cancellable, error);
}

static gboolean
out_zeros (Out *o, guint64 n, GError **error)
{
  static const guint8 zeros[64 * 1024];

  while (n > 0)
    {
      gsize step = (gsize) MIN (n, (guint64) sizeof zeros);

      if (!out_write (o, zeros, step, error))
        return FALSE;
      n -= step;
    }
  return TRUE;
}

static gboolean
decode_extent (Out *o, const LbDeltaExtent *e, guint index, const guint8 *base,
               const guint8 *payload, ZSTD_DCtx *dctx, guint8 *buf, GError **error)
{
  ZSTD_inBuffer in = { payload + e->payload_offset, (size_t) e->payload_size, 0 };
  const guint8 *b = base + e->base_offset;
  guint64 produced = 0;
  size_t ret;

  ZSTD_DCtx_reset (dctx, ZSTD_reset_session_and_parameters);
  ZSTD_DCtx_setParameter (dctx, ZSTD_d_windowLogMax, LB_DELTA_WINDOW_LOG_MAX);
  if (e->mode == LB_DELTA_MODE_PREFIXED)
    ZSTD_DCtx_refPrefix (dctx, b, (size_t) e->base_size);

  for (;;)
    {
      ZSTD_outBuffer out = { buf, CHUNK, 0 };

      ret = ZSTD_decompressStream (dctx, &out, &in);
      if (ZSTD_isError (ret))
        {
          g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                       "extent %u (%s): its zstd frame is corrupt: %s", index, e->name,
                       ZSTD_getErrorName (ret));
          return FALSE;
        }
      if (out.pos > e->size - produced)
        {
          g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                       "extent %u (%s): its zstd frame decodes to more than the %" G_GUINT64_FORMAT " bytes it should",
                       index, e->name, e->size);
          return FALSE;
        }
      if (e->mode == LB_DELTA_MODE_XOR)
        for (gsize i = 0; i < out.pos; i++)
          buf[i] ^= b[produced + i];
      else if (e->mode == LB_DELTA_MODE_SUB)
        for (gsize i = 0; i < out.pos; i++)
          buf[i] = (guint8) (buf[i] + b[produced + i]);
      if (!out_write (o, buf, out.pos, error))
        return FALSE;
      produced += out.pos;
      if (ret == 0)
        break;
      if (in.pos == in.size && out.pos < out.size)
        {
          g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                       "extent %u (%s): its zstd frame is truncated", index, e->name);
          return FALSE;
        }
    }
  if (in.pos != in.size)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "extent %u (%s): %" G_GSIZE_FORMAT " unexpected bytes after its zstd frame",
                   index, e->name, (gsize) (in.size - in.pos));
      return FALSE;
    }
  if (produced != e->size)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "extent %u (%s): its zstd frame decodes to %" G_GUINT64_FORMAT " bytes, not %" G_GUINT64_FORMAT,
                   index, e->name, produced, e->size);
      return FALSE;
    }
  return TRUE;
}

gboolean
lb_delta_reconstruct (const LbDeltaManifest *m, const guint8 *base, gsize base_len,
                      const guint8 *payload, gsize payload_len,
                      LbDeltaSinkFunc sink, gpointer sink_data,
                      LbProgressFunc progress, gpointer progress_data,
                      GCancellable *cancellable, GError **error)
{
  Out o = { sink, sink_data, progress, progress_data, cancellable, 0, m->target_size };
  ZSTD_DCtx *dctx = NULL;
  g_autofree guint8 *buf = NULL;
  gboolean ok = FALSE;

  if (m->kind != LB_DELTA_KIND_PACKAGE)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT, "a standalone manifest has nothing to apply");
      return FALSE;
    }
  /* the parser checked ranges against the manifest's sizes; these tie the
   * manifest to the buffers actually given */
  if (base_len != m->base_size || payload_len != m->payload_size)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                   "the base has %" G_GSIZE_FORMAT " bytes and the payload %" G_GSIZE_FORMAT
                   ", the manifest says %" G_GUINT64_FORMAT " and %" G_GUINT64_FORMAT,
                   base_len, payload_len, m->base_size, m->payload_size);
      return FALSE;
    }
  dctx = ZSTD_createDCtx ();
  buf = g_malloc (CHUNK);
  for (guint i = 0; i < m->extents->len; i++)
    {
      const LbDeltaExtent *e = &g_array_index (m->extents, LbDeltaExtent, i);

      if (progress)
        {
          g_autofree char *stage = g_strdup_printf ("extent %u/%u: %s", i + 1, m->extents->len, e->name);
          progress (o.total ? (double) o.done / (double) o.total : 0.0, stage, progress_data);
        }
      if (!out_zeros (&o, e->target_offset - o.done, error))
        goto out;
      if (e->mode == LB_DELTA_MODE_COPY)
        {
          for (guint64 p = 0; p < e->size; p += CHUNK)
            if (!out_write (&o, base + e->base_offset + p, (gsize) MIN ((guint64) CHUNK, e->size - p), error))
              goto out;
        }
      else if (!decode_extent (&o, e, i, base, payload, dctx, buf, error))
        goto out;
    }
  if (!out_zeros (&o, m->target_size - o.done, error))
    goto out;
  if (progress)
    progress (1.0, "done", progress_data);
  ok = TRUE;
out:
  ZSTD_freeDCtx (dctx);
  return ok;
}

/* ---- the installed-version sidecar ---------------------------------------- */

typedef struct {
  guint64  version;
  LbSha256 sha;
  gboolean has_prev;
  guint64  prev_version;
  LbSha256 prev_sha;
} Sidecar;

static char *
sidecar_path (const char *model_path)
{
  return g_strconcat (model_path, ".lbversion", NULL);
}

/* FALSE with error only when the file exists but is unreadable or malformed. */
static gboolean
sidecar_read (const char *model_path, Sidecar *sc, gboolean *exists, GError **error)
{
  g_autofree char *path = sidecar_path (model_path);
  g_autofree char *contents = NULL;
  g_auto (GStrv) lines = NULL;
  gboolean have_version = FALSE, have_sha = FALSE, have_pv = FALSE, have_ps = FALSE;

  memset (sc, 0, sizeof *sc);
  *exists = g_file_test (path, G_FILE_TEST_EXISTS);
  if (!*exists)
    return TRUE;
  if (!g_file_get_contents (path, &contents, NULL, NULL))
    {
      g_set_error (error, LB_ERROR, LB_ERROR_IO, "cannot read the version record %s", path);
      return FALSE;
    }
  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; lines[i]; i++)
    {
      const char *l = lines[i];
      guint64 v;

      if (g_str_has_prefix (l, "version ") && g_ascii_string_to_unsigned (l + 8, 10, 0, G_MAXUINT64, &v, NULL))
        sc->version = v, have_version = TRUE;
      else if (g_str_has_prefix (l, "sha256 "))
        have_sha = lb_sha256_from_hex (l + 7, &sc->sha);
      else if (g_str_has_prefix (l, "previous-version ")
               && g_ascii_string_to_unsigned (l + 17, 10, 0, G_MAXUINT64, &v, NULL))
        sc->prev_version = v, have_pv = TRUE;
      else if (g_str_has_prefix (l, "previous-sha256 "))
        have_ps = lb_sha256_from_hex (l + 16, &sc->prev_sha);
    }
  if (!have_version || !have_sha)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "the version record %s is damaged (it needs 'version N' and 'sha256 HEX' lines); "
                   "delete it to accept any package version", path);
      return FALSE;
    }
  sc->has_prev = have_pv && have_ps;
  return TRUE;
}

static gboolean
sidecar_write (const char *model_path, const Sidecar *sc, GError **error)
{
  g_autofree char *path = sidecar_path (model_path);
  g_autofree char *sha = lb_sha256_to_hex (&sc->sha);
  g_autoptr (GString) s = g_string_new ("# lowbit installed-version record (docs/delta-format.md)\n");
  g_autoptr (LbAtomicFile) f = NULL;

  g_string_append_printf (s, "version %" G_GUINT64_FORMAT "\nsha256 %s\n", sc->version, sha);
  if (sc->has_prev)
    {
      g_autofree char *psha = lb_sha256_to_hex (&sc->prev_sha);
      g_string_append_printf (s, "previous-version %" G_GUINT64_FORMAT "\nprevious-sha256 %s\n",
                              sc->prev_version, psha);
    }
  f = lb_atomic_file_new (path, error);
  return f != NULL && lb_atomic_file_write (f, s->str, s->len, error) && lb_atomic_file_commit (f, error);
}

static guint64
sidecar_resolve (const Sidecar *sc, gboolean exists, const LbSha256 *sha)
{
  if (!exists)
    return 0;
  if (lb_sha256_equal (&sc->sha, sha))
    return sc->version;
  if (sc->has_prev && lb_sha256_equal (&sc->prev_sha, sha))
    return sc->prev_version;
  return 0;
}

gboolean
lb_delta_get_installed_version (const char *model_path, const LbSha256 *model_sha,
                                guint64 *version, GError **error)
{
  Sidecar sc;
  gboolean exists;

  *version = 0;
  if (!sidecar_read (model_path, &sc, &exists, error))
    return FALSE;
  *version = sidecar_resolve (&sc, exists, model_sha);
  return TRUE;
}

/* ---- the staging file ------------------------------------------------------- */

typedef struct {
  char          *path;
  int            fd;
  guint8        *buf;
  gsize          used;
  LbSha256State *sha;
  guint64        written;
  guint64        total;
} Staging;

static void
staging_discard (Staging *s)
{
  if (s->fd >= 0)
    {
      g_unlink (s->path);   /* still ours: we hold the lock */
      close (s->fd);
      s->fd = -1;
    }
  g_clear_pointer (&s->path, g_free);
  g_clear_pointer (&s->buf, g_free);
  g_clear_pointer (&s->sha, lb_sha256_state_free);
}

static gboolean
staging_open (Staging *s, const char *out_path, int mode, guint64 total, GError **error)
{
  memset (s, 0, sizeof *s);
  s->fd = -1;
  s->path = g_strconcat (out_path, ".lbpartial", NULL);
  s->fd = open (s->path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (s->fd < 0)
    {
      int saved = errno;
      g_set_error (error, LB_ERROR, LB_ERROR_IO, "cannot create %s: %s", s->path, g_strerror (saved));
      g_clear_pointer (&s->path, g_free);
      return FALSE;
    }
  if (flock (s->fd, LOCK_EX | LOCK_NB) != 0)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_IO,
                   "another lowbit apply is writing %s; wait for it to finish", s->path);
      close (s->fd);   /* not ours to delete */
      s->fd = -1;
      g_clear_pointer (&s->path, g_free);
      return FALSE;
    }
  /* the lock must be on the file still at that path: a run that finished
   * meanwhile may have renamed the file we opened over its model */
  {
    struct stat by_fd, by_path;

    if (fstat (s->fd, &by_fd) != 0 || stat (s->path, &by_path) != 0
        || by_fd.st_dev != by_path.st_dev || by_fd.st_ino != by_path.st_ino)
      {
        g_set_error (error, LB_ERROR, LB_ERROR_IO,
                     "another lowbit apply just finished writing %s; run this one again", out_path);
        close (s->fd);
        s->fd = -1;
        g_clear_pointer (&s->path, g_free);
        return FALSE;
      }
  }
  /* a leftover of a crashed run is simply reused */
  if (ftruncate (s->fd, 0) != 0 || fchmod (s->fd, mode & 0777) != 0)
    {
      int saved = errno;
      g_set_error (error, LB_ERROR, LB_ERROR_IO, "cannot prepare %s: %s", s->path, g_strerror (saved));
      staging_discard (s);
      return FALSE;
    }
  s->buf = g_malloc (CHUNK);
  s->sha = lb_sha256_state_new ();
  s->total = total;
  return TRUE;
}

static gboolean
write_all (int fd, const guint8 *p, gsize n, const char *path, GError **error)
{
  while (n > 0)
    {
      ssize_t w = write (fd, p, n);

      if (w < 0 && errno == EINTR)
        continue;
      if (w < 0)
        {
          int saved = errno;
          g_set_error (error, LB_ERROR, LB_ERROR_IO, "cannot write %s: %s", path, g_strerror (saved));
          return FALSE;
        }
      p += w;
      n -= (gsize) w;
    }
  return TRUE;
}

static gboolean
staging_flush (Staging *s, GError **error)
{
  gboolean ok = write_all (s->fd, s->buf, s->used, s->path, error);

  s->used = 0;
  return ok;
}

static gboolean
staging_sink (const void *data, gsize n, gpointer user_data, GError **error)
{
  Staging *s = user_data;
  const guint8 *p = data;

  lb_sha256_state_update (s->sha, data, n);
  while (n > 0)
    {
      gsize step = MIN (n, CHUNK - s->used);

      memcpy (s->buf + s->used, p, step);
      s->used += step;
      p += step;
      n -= step;
      if (s->used == CHUNK && !staging_flush (s, error))
        return FALSE;
    }
  s->written += (guint64) (p - (const guint8 *) data);
  if (s->written >= s->total / 2)
    crash_point ("reconstruct");
  return TRUE;
}

static void
sync_dir_of (const char *path)
{
  g_autofree char *dir = g_path_get_dirname (path);
  int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

  if (fd >= 0)
    {
      (void) fsync (fd);
      close (fd);
    }
}

/* Keeps model_path's current file as "<model_path>.prev" without ever
 * removing model_path: a hard link, renamed over the old .prev. */
static gboolean
keep_previous (const char *model_path, GError **error)
{
  g_autofree char *prev = g_strconcat (model_path, ".prev", NULL);
  g_autofree char *tmp = g_strconcat (model_path, ".prev.lbtmp", NULL);

  g_unlink (tmp);
  if (link (model_path, tmp) != 0)
    {
      /* file systems without hard links: a copy */
      g_autoptr (GFile) src = g_file_new_for_path (model_path);
      g_autoptr (GFile) dst = g_file_new_for_path (tmp);
      GError *local = NULL;

      if (!g_file_copy (src, dst, G_FILE_COPY_OVERWRITE, NULL, NULL, NULL, &local))
        {
          g_set_error (error, LB_ERROR, LB_ERROR_IO, "cannot keep the previous model as %s: %s",
                       prev, local->message);
          g_error_free (local);
          g_unlink (tmp);
          return FALSE;
        }
    }
  if (g_rename (tmp, prev) != 0)
    {
      int saved = errno;
      g_set_error (error, LB_ERROR, LB_ERROR_IO, "cannot keep the previous model as %s: %s",
                   prev, g_strerror (saved));
      g_unlink (tmp);
      return FALSE;
    }
  return TRUE;
}

/* ---- apply ---------------------------------------------------------------- */

void
lb_delta_apply_result_clear (LbDeltaApplyResult *r)
{
  g_clear_pointer (&r->output_path, g_free);
}

static gboolean
same_path (const char *a, const char *b)
{
  g_autofree char *ca = g_canonicalize_filename (a, NULL);
  g_autofree char *cb = g_canonicalize_filename (b, NULL);
  GStatBuf sa, sb;

  if (strcmp (ca, cb) == 0)
    return TRUE;
  return g_stat (a, &sa) == 0 && g_stat (b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

gboolean
lb_delta_apply (const char *model_path, const char *package_path, const LbPublicKey *key,
                const char *out_path, gboolean allow_downgrade, LbDeltaApplyResult *result,
                LbProgressFunc progress, gpointer progress_data,
                GCancellable *cancellable, GError **error)
{
  g_autoptr (LbDeltaPackage) pkg = NULL;
  GMappedFile *mf = NULL;
  const guint8 *model = NULL;
  gsize model_len = 0;
  LbSha256 model_sha, got;
  Sidecar sc, next = { 0 };
  gboolean sc_exists, in_place, ok = FALSE;
  guint64 installed;
  const LbDeltaManifest *m;
  Staging st = { .fd = -1 };
  GStatBuf mst;
  GError *local = NULL;

  g_return_val_if_fail (result != NULL, FALSE);
  memset (result, 0, sizeof *result);

  /* 1. signature, structure, payload hash (in that order) */
  pkg = lb_delta_package_open (package_path, key, error);
  if (pkg == NULL)
    return FALSE;
  m = pkg->manifest;
  result->version = m->version;
  if (m->kind != LB_DELTA_KIND_PACKAGE)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                   "%s is a standalone manifest, not a delta package; check a model against it with "
                   "'lowbit verify'", package_path);
      return FALSE;
    }

  /* 2. the model: hash, installed version, base */
  mf = g_mapped_file_new (model_path, FALSE, &local);
  if (mf == NULL)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_IO, "cannot read %s: %s", model_path, local->message);
      g_error_free (local);
      return FALSE;
    }
  model = (const guint8 *) g_mapped_file_get_contents (mf);
  model_len = g_mapped_file_get_length (mf);
  if (model == NULL)
    model = (const guint8 *) "";
  lb_sha256_data (model, model_len, &model_sha);
  if (g_stat (model_path, &mst) != 0)
    mst.st_mode = 0644;

  in_place = out_path == NULL || same_path (out_path, model_path);
  result->output_path = g_strdup (in_place ? model_path : out_path);
  if (!sidecar_read (model_path, &sc, &sc_exists, error))
    goto out;
  installed = sidecar_resolve (&sc, sc_exists, &model_sha);
  result->previous_version = installed;

  if (in_place && model_len == m->target_size && lb_sha256_equal (&model_sha, &m->target_sha256))
    {
      /* e.g. a rerun after a crash that came after the swap */
      result->already_applied = TRUE;
      if (installed < m->version)
        {
          next.version = m->version;
          next.sha = m->target_sha256;
          if (sc_exists && sc.has_prev)
            next.has_prev = TRUE, next.prev_version = sc.prev_version, next.prev_sha = sc.prev_sha;
          if (!sidecar_write (model_path, &next, error))
            goto out;
        }
      ok = TRUE;
      goto out;
    }
  if (!allow_downgrade && installed != 0 && m->version <= installed)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "%s has version %" G_GUINT64_FORMAT ", not newer than the installed version %" G_GUINT64_FORMAT
                   " of %s: refusing a replayed or older package (--allow-downgrade overrides)",
                   package_path, m->version, installed, model_path);
      goto out;
    }
  if (model_len != m->base_size || !lb_sha256_equal (&model_sha, &m->base_sha256))
    {
      g_autofree char *have = lb_sha256_to_hex (&model_sha);
      g_autofree char *want = lb_sha256_to_hex (&m->base_sha256);
      gboolean is_target = model_len == m->target_size && lb_sha256_equal (&model_sha, &m->target_sha256);

      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "%s is not the model %s was made for: it has %" G_GSIZE_FORMAT " bytes and SHA-256 %s, "
                   "the package expects %" G_GUINT64_FORMAT " bytes and SHA-256 %s%s",
                   model_path, package_path, model_len, have, m->base_size, want,
                   is_target ? " (it already is the package's target)" : "");
      goto out;
    }

  /* 3. reconstruct into the staging file */
  if (!staging_open (&st, result->output_path, (int) mst.st_mode, m->target_size, error))
    goto out;
  if (!lb_delta_reconstruct (m, model, model_len, pkg->payload, pkg->payload_len, staging_sink, &st,
                             progress, progress_data, cancellable, error)
      || !staging_flush (&st, error))
    goto out;
  if (fsync (st.fd) != 0)
    {
      int saved = errno;
      g_set_error (error, LB_ERROR, LB_ERROR_IO, "cannot sync %s: %s", st.path, g_strerror (saved));
      goto out;
    }

  /* 4. the target hash */
  lb_sha256_state_get (st.sha, &got);
  if (st.written != m->target_size || !lb_sha256_equal (&got, &m->target_sha256))
    {
      g_autofree char *have = lb_sha256_to_hex (&got);
      g_autofree char *want = lb_sha256_to_hex (&m->target_sha256);
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "the reconstructed model (%" G_GUINT64_FORMAT " bytes, SHA-256 %s) does not match the "
                   "package's target (%" G_GUINT64_FORMAT " bytes, SHA-256 %s); nothing was changed",
                   st.written, have, m->target_size, want);
      goto out;
    }

  /* 5. record the version, keep the previous file, swap */
  next.version = m->version;
  next.sha = m->target_sha256;
  if (in_place)
    {
      next.has_prev = TRUE;
      next.prev_version = installed;
      next.prev_sha = model_sha;
    }
  if (!sidecar_write (result->output_path, &next, error))
    goto out;
  crash_point ("sidecar");
  if (in_place && !keep_previous (model_path, error))
    goto out;
  crash_point ("prev");
  if (g_rename (st.path, result->output_path) != 0)
    {
      int saved = errno;
      g_set_error (error, LB_ERROR, LB_ERROR_IO, "cannot move %s over %s: %s", st.path,
                   result->output_path, g_strerror (saved));
      goto out;
    }
  sync_dir_of (result->output_path);
  crash_point ("swap");
  /* renamed: nothing left to delete */
  close (st.fd);
  st.fd = -1;
  ok = TRUE;

out:
  staging_discard (&st);
  g_mapped_file_unref (mf);
  if (!ok)
    lb_delta_apply_result_clear (result);
  return ok;
}

/* ---- apply on a worker thread ------------------------------------------------ */

typedef struct {
  char              *model_path, *package_path, *out_path;
  LbPublicKey        key;
  gboolean           allow_downgrade;
  LbProgressFunc     progress;
  gpointer           progress_data;
  LbDeltaApplyResult result;
} ApplyJob;

static void
apply_job_free (gpointer p)
{
  ApplyJob *j = p;

  g_free (j->model_path);
  g_free (j->package_path);
  g_free (j->out_path);
  lb_delta_apply_result_clear (&j->result);
  g_free (j);
}

static void
apply_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  ApplyJob *j = task_data;
  GError *error = NULL;

  if (lb_delta_apply (j->model_path, j->package_path, &j->key, j->out_path, j->allow_downgrade, &j->result,
                      j->progress, j->progress_data, cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

void
lb_delta_apply_async (const char *model_path, const char *package_path, const LbPublicKey *key,
                      const char *out_path, gboolean allow_downgrade,
                      LbProgressFunc progress, gpointer progress_data,
                      GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr (GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  ApplyJob *j = g_new0 (ApplyJob, 1);

  g_task_set_source_tag (task, lb_delta_apply_async);
  j->model_path = g_strdup (model_path);
  j->package_path = g_strdup (package_path);
  j->out_path = g_strdup (out_path);
  j->key = *key;
  j->allow_downgrade = allow_downgrade;
  j->progress = progress;
  j->progress_data = progress_data;
  g_task_set_task_data (task, j, apply_job_free);
  g_task_run_in_thread (task, apply_thread);
}

gboolean
lb_delta_apply_finish (GAsyncResult *result, LbDeltaApplyResult *apply_result, GError **error)
{
  GTask *task = G_TASK (result);
  ApplyJob *j;

  g_return_val_if_fail (g_task_get_source_tag (task) == lb_delta_apply_async, FALSE);
  if (!g_task_propagate_boolean (task, error))
    return FALSE;
  j = g_task_get_task_data (task);
  if (apply_result)
    {
      *apply_result = j->result;
      j->result.output_path = NULL;   /* moved */
    }
  return TRUE;
}

/* ---- rollback and verify ---------------------------------------------------- */

gboolean
lb_delta_rollback (const char *model_path, guint64 *version_out,
                   GCancellable *cancellable, GError **error)
{
  g_autofree char *prev = g_strconcat (model_path, ".prev", NULL);
  LbSha256 prev_sha, cur_sha;
  Sidecar sc, next = { 0 };
  gboolean exists, have_cur;

  if (!g_file_test (prev, G_FILE_TEST_IS_REGULAR))
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                   "no previous version of %s is kept (%s does not exist); 'lowbit apply' keeps one "
                   "when it replaces a model in place", model_path, prev);
      return FALSE;
    }
  if (!lb_sha256_file (prev, &prev_sha, NULL, cancellable, error))
    return FALSE;
  have_cur = g_file_test (model_path, G_FILE_TEST_EXISTS);
  if (have_cur && !lb_sha256_file (model_path, &cur_sha, NULL, cancellable, error))
    return FALSE;
  if (!sidecar_read (model_path, &sc, &exists, error))
    return FALSE;

  next.version = exists && sc.has_prev && lb_sha256_equal (&sc.prev_sha, &prev_sha) ? sc.prev_version : 0;
  next.sha = prev_sha;
  if (have_cur)
    {
      /* so that a crash before the rename still resolves the current file */
      next.has_prev = TRUE;
      next.prev_version = sidecar_resolve (&sc, exists, &cur_sha);
      next.prev_sha = cur_sha;
    }
  if (!sidecar_write (model_path, &next, error))
    return FALSE;
  crash_point ("sidecar");
  if (g_rename (prev, model_path) != 0)
    {
      int saved = errno;
      g_set_error (error, LB_ERROR, LB_ERROR_IO, "cannot move %s back to %s: %s", prev, model_path,
                   g_strerror (saved));
      return FALSE;
    }
  sync_dir_of (model_path);
  if (version_out)
    *version_out = next.version;
  return TRUE;
}

gboolean
lb_delta_verify_model (const char *model_path, const char *manifest_path,
                       const LbPublicKey *key, guint64 *version_out,
                       GCancellable *cancellable, GError **error)
{
  g_autoptr (LbDeltaPackage) pkg = lb_delta_package_open (manifest_path, key, error);
  LbSha256 sha;
  guint64 size;

  if (pkg == NULL)
    return FALSE;
  if (!lb_sha256_file (model_path, &sha, &size, cancellable, error))
    return FALSE;
  if (size != pkg->manifest->target_size || !lb_sha256_equal (&sha, &pkg->manifest->target_sha256))
    {
      g_autofree char *have = lb_sha256_to_hex (&sha);
      g_autofree char *want = lb_sha256_to_hex (&pkg->manifest->target_sha256);
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "%s does not match the signed manifest %s: it has %" G_GUINT64_FORMAT " bytes and SHA-256 %s, "
                   "the manifest (version %" G_GUINT64_FORMAT ") says %" G_GUINT64_FORMAT " bytes and SHA-256 %s",
                   model_path, manifest_path, size, have, pkg->manifest->version,
                   pkg->manifest->target_size, want);
      return FALSE;
    }
  if (version_out)
    *version_out = pkg->manifest->version;
  return TRUE;
}
