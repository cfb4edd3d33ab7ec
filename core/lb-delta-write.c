/* lb-delta-write.c: making delta packages and standalone manifests.
 *
 * Both GGUF files are mapped (LbGgufReader); the target is described as a
 * list of extents in file order: the GGUF header (metadata and tensor
 * infos) as a zstd frame that uses the base's header as its prefix, then
 * every tensor as a copy, an XOR or subtract difference against the
 * same-named base tensor, or the full new bytes, whichever zstd compresses
 * smallest. The three candidates are compressed side by side in 1 MiB
 * chunks into spill files, so memory stays bounded whatever the size. */
#include "lb-delta.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>
#include <glib/gstdio.h>

#include "lb-atomic-file.h"
#include "lb-error.h"
#include "lb-gguf.h"

#define CHUNK (1 << 20)

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ZSTD_CCtx, ZSTD_freeCCtx)

typedef enum { CAND_FULL, CAND_XOR, CAND_SUB, N_CANDS } Cand;

static const LbDeltaMode cand_mode[N_CANDS] = {
  LB_DELTA_MODE_FULL, LB_DELTA_MODE_XOR, LB_DELTA_MODE_SUB,
};

/* An unlinked temporary file beside the output. */
typedef struct {
  FILE    *fp;
  guint64  size;
} Spill;

typedef struct {
  const char      *out_path;
  int              level;
  ZSTD_CCtx       *cctx[N_CANDS];
  Spill            spill[N_CANDS];
  Spill            payload;
  LbSha256State   *payload_sha;
  guint8          *obuf;          /* zstd output staging, ZSTD_CStreamOutSize () */
  gsize            obuf_size;
  guint8          *xbuf, *sbuf, *cbuf;
  LbDeltaManifest *manifest;
  GString         *notes;
  LbDeltaStats    *stats;
  GCancellable    *cancellable;
  LbProgressFunc   progress;
  gpointer         progress_data;
  guint64          progress_total;
} Writer;

static gboolean
spill_open (Spill *s, const char *out_path, GError **error)
{
  g_autofree char *tmpl = g_strconcat (out_path, ".spill-XXXXXX", NULL);
  int fd = g_mkstemp (tmpl);

  if (fd < 0 || (s->fp = fdopen (fd, "w+b")) == NULL)
    {
      int saved = errno;
      if (fd >= 0)
        close (fd);
      g_set_error (error, LB_ERROR, LB_ERROR_IO, "cannot create a temporary file %s: %s", tmpl,
                   g_strerror (saved));
      return FALSE;
    }
  g_unlink (tmpl);   /* gone with the process, even after a crash */
  s->size = 0;
  return TRUE;
}

static void
spill_close (Spill *s)
{
  if (s->fp)
    fclose (s->fp);
  s->fp = NULL;
}

static gboolean
spill_reset (Spill *s, GError **error)
{
  rewind (s->fp);
  if (ftruncate (fileno (s->fp), 0) != 0)
    {
      int saved = errno;
      g_set_error (error, LB_ERROR, LB_ERROR_IO, "cannot truncate a temporary file: %s", g_strerror (saved));
      return FALSE;
    }
  s->size = 0;
  return TRUE;
}

static gboolean
spill_write (Spill *s, const void *data, gsize n, GError **error)
{
  if (n > 0 && fwrite (data, 1, n, s->fp) != n)
    {
      int saved = errno;
      g_set_error (error, LB_ERROR, LB_ERROR_IO, "cannot write a temporary file: %s", g_strerror (saved));
      return FALSE;
    }
  s->size += n;
  return TRUE;
}

static gboolean
payload_write (Writer *w, const void *data, gsize n, GError **error)
{
  lb_sha256_state_update (w->payload_sha, data, n);
  return spill_write (&w->payload, data, n, error);
}

/* Appends a finished spill to the payload; returns its offset. */
static gboolean
payload_append_spill (Writer *w, Spill *s, guint64 *offset, GError **error)
{
  *offset = w->payload.size;
  if (fflush (s->fp) != 0)
    {
      int saved = errno;
      g_set_error (error, LB_ERROR, LB_ERROR_IO, "cannot write a temporary file: %s", g_strerror (saved));
      return FALSE;
    }
  rewind (s->fp);
  for (guint64 left = s->size; left > 0;)
    {
      gsize step = (gsize) MIN (left, (guint64) CHUNK);

      if (fread (w->cbuf, 1, step, s->fp) != step)
        {
          g_set_error (error, LB_ERROR, LB_ERROR_IO, "cannot read back a temporary file");
          return FALSE;
        }
      if (!payload_write (w, w->cbuf, step, error))
        return FALSE;
      left -= step;
    }
  return TRUE;
}

/* ---- streaming compression of the candidates ------------------------------ */

static void
cctx_setup (ZSTD_CCtx *cctx, int level, guint64 src_size)
{
  ZSTD_CCtx_reset (cctx, ZSTD_reset_session_and_parameters);
  ZSTD_CCtx_setParameter (cctx, ZSTD_c_compressionLevel, level);
  ZSTD_CCtx_setPledgedSrcSize (cctx, src_size);
}

static gboolean
cand_feed (Writer *w, Cand c, const guint8 *data, gsize n, gboolean last, GError **error)
{
  ZSTD_inBuffer in = { data, n, 0 };
  ZSTD_EndDirective mode = last ? ZSTD_e_end : ZSTD_e_continue;

  for (;;)
    {
      ZSTD_outBuffer out = { w->obuf, w->obuf_size, 0 };
      size_t ret = ZSTD_compressStream2 (w->cctx[c], &out, &in, mode);

      if (ZSTD_isError (ret))
        {
          g_set_error (error, LB_ERROR, LB_ERROR_FAILED, "zstd compression failed: %s", ZSTD_getErrorName (ret));
          return FALSE;
        }
      if (!spill_write (&w->spill[c], w->obuf, out.pos, error))
        return FALSE;
      if (last ? ret == 0 : in.pos == in.size)
        return TRUE;
    }
}

static void
note (Writer *w, const char *fmt, ...) G_GNUC_PRINTF (2, 3);

static void
note (Writer *w, const char *fmt, ...)
{
  va_list ap;

  va_start (ap, fmt);
  g_string_append_vprintf (w->notes, fmt, ap);
  va_end (ap);
  g_string_append_c (w->notes, '\n');
}

static void
add_extent (Writer *w, const char *name, LbDeltaMode mode, guint64 target_offset, guint64 size,
            guint64 base_offset, guint64 base_size, guint64 payload_offset, guint64 payload_size)
{
  LbDeltaExtent e = {
    g_strdup (name), mode, target_offset, size, base_offset, base_size, payload_offset, payload_size,
  };

  lb_delta_manifest_add_extent (w->manifest, &e);
}

static void
report (Writer *w, guint64 at, const char *what)
{
  if (w->progress)
    w->progress (w->progress_total ? (double) at / (double) w->progress_total : 0.0, what, w->progress_data);
}

/* Encodes target bytes [off, off + n) of `target`; base (n bytes, may be
 * NULL) is the same-named base tensor. */
static gboolean
encode_range (Writer *w, const char *name, const guint8 *target, guint64 off, guint64 n,
              const guint8 *base, guint64 base_off, LbDeltaMode *mode_out, GError **error)
{
  guint n_cands = base ? N_CANDS : 1;
  Cand best = CAND_FULL;
  guint64 payload_offset;

  for (guint c = 0; c < n_cands; c++)
    {
      if (!spill_reset (&w->spill[c], error))
        return FALSE;
      cctx_setup (w->cctx[c], w->level, n);
    }
  for (guint64 p = 0; p < n; p += CHUNK)
    {
      gsize step = (gsize) MIN ((guint64) CHUNK, n - p);
      gboolean last = p + step == n;
      const guint8 *src = target + off + p;

      if (!cand_feed (w, CAND_FULL, src, step, last, error))
        return FALSE;
      if (base)
        {
          const guint8 *old = base + base_off + p;

          for (gsize i = 0; i < step; i++)
            {
              w->xbuf[i] = src[i] ^ old[i];
              w->sbuf[i] = (guint8) (src[i] - old[i]);
            }
          if (!cand_feed (w, CAND_XOR, w->xbuf, step, last, error)
              || !cand_feed (w, CAND_SUB, w->sbuf, step, last, error))
            return FALSE;
        }
      if (g_cancellable_set_error_if_cancelled (w->cancellable, error))
        return FALSE;
    }
  for (guint c = 1; c < n_cands; c++)
    if (w->spill[c].size < w->spill[best].size)
      best = (Cand) c;
  if (!payload_append_spill (w, &w->spill[best], &payload_offset, error))
    return FALSE;
  /* only a difference reads the base; a full extent names no base bytes */
  if (best == CAND_FULL)
    add_extent (w, name, cand_mode[best], off, n, 0, 0, payload_offset, w->spill[best].size);
  else
    add_extent (w, name, cand_mode[best], off, n, base_off, n, payload_offset, w->spill[best].size);
  *mode_out = cand_mode[best];
  return TRUE;
}

/* The GGUF header: a zstd frame with the base header as its prefix, so
 * unchanged metadata and tensor infos cost next to nothing. */
static gboolean
encode_header (Writer *w, const guint8 *target, gsize n, const guint8 *base, gsize base_n, GError **error)
{
  g_autoptr (ZSTD_CCtx) cctx = NULL;
  g_autofree guint8 *dst = NULL;
  gsize cap = ZSTD_compressBound (n), got;
  guint64 payload_offset = w->payload.size;
  int wlog = 10;

  if (n == base_n && memcmp (target, base, n) == 0)
    {
      add_extent (w, "header", LB_DELTA_MODE_COPY, 0, n, 0, n, 0, 0);
      return TRUE;
    }
  while (wlog < LB_DELTA_WINDOW_LOG_MAX && ((guint64) 1 << wlog) < (guint64) n + base_n)
    wlog++;
  cctx = ZSTD_createCCtx ();
  ZSTD_CCtx_setParameter (cctx, ZSTD_c_compressionLevel, w->level);
  ZSTD_CCtx_setParameter (cctx, ZSTD_c_windowLog, wlog);
  ZSTD_CCtx_refPrefix (cctx, base, base_n);
  dst = g_malloc (cap);
  got = ZSTD_compress2 (cctx, dst, cap, target, n);
  if (ZSTD_isError (got))
    {
      g_set_error (error, LB_ERROR, LB_ERROR_FAILED, "zstd compression of the header failed: %s",
                   ZSTD_getErrorName (got));
      return FALSE;
    }
  if (!payload_write (w, dst, got, error))
    return FALSE;
  add_extent (w, "header", LB_DELTA_MODE_PREFIXED, 0, n, 0, base_n, payload_offset, got);
  return TRUE;
}

static gboolean
all_zero (const guint8 *p, guint64 n)
{
  for (guint64 i = 0; i < n; i++)
    if (p[i] != 0)
      return FALSE;
  return TRUE;
}

/* Target bytes not covered by a tensor: zero padding costs nothing (the
 * format fills gaps with zeros); anything else goes in full. */
static gboolean
encode_gap (Writer *w, const guint8 *target, guint64 from, guint64 to, GError **error)
{
  LbDeltaMode mode;

  if (to <= from || all_zero (target + from, to - from))
    return TRUE;
  return encode_range (w, "gap", target, from, to - from, NULL, 0, &mode, error);
}

static void
diff_metadata (Writer *w, LbMeta *old_meta, LbMeta *new_meta)
{
  for (guint i = 0; i < lb_meta_get_n_keys (new_meta); i++)
    {
      const char *key = lb_meta_get_key (new_meta, i);
      const LbValue *ov = lb_meta_lookup (old_meta, key);

      if (ov == NULL)
        {
          note (w, "metadata added: %s", key);
          w->stats->n_meta_added++;
        }
      else if (!lb_value_equal (ov, lb_meta_get_value (new_meta, i)))
        {
          note (w, "metadata changed: %s", key);
          w->stats->n_meta_changed++;
        }
    }
  for (guint i = 0; i < lb_meta_get_n_keys (old_meta); i++)
    if (!lb_meta_contains (new_meta, lb_meta_get_key (old_meta, i)))
      {
        note (w, "metadata removed: %s", lb_meta_get_key (old_meta, i));
        w->stats->n_meta_removed++;
      }
}

static gint
compare_by_data (gconstpointer a, gconstpointer b)
{
  const LbTensor *ta = *(const LbTensor *const *) a;
  const LbTensor *tb = *(const LbTensor *const *) b;

  return ta->data < tb->data ? -1 : ta->data > tb->data ? 1 : 0;
}

static gboolean
encode_tensors (Writer *w, LbGgufReader *old_r, const guint8 *old_base,
                LbGgufReader *new_r, const guint8 *new_base, guint64 new_len, GError **error)
{
  guint n = lb_gguf_reader_get_n_tensors (new_r);
  g_autoptr (GPtrArray) order = g_ptr_array_sized_new (n);
  guint64 pos = lb_gguf_reader_get_data_offset (new_r);

  for (guint i = 0; i < n; i++)
    g_ptr_array_add (order, (gpointer) lb_gguf_reader_get_tensor (new_r, i));
  g_ptr_array_sort (order, compare_by_data);

  for (guint i = 0; i < n; i++)
    {
      const LbTensor *t = g_ptr_array_index (order, i);
      const LbTensor *o = lb_gguf_reader_find_tensor (old_r, t->name);
      guint64 start = (guint64) (t->data - new_base), end = start + t->n_bytes;
      gboolean clipped = start < pos;   /* overlaps the previous tensor: odd, but encode what is new */
      LbDeltaMode mode;

      if (o == NULL)
        {
          g_autofree char *shape = lb_tensor_shape_string (t);
          note (w, "tensor added: %s (%s %s)", t->name, lb_type_get_name (t->type), shape);
          w->stats->n_added++;
        }
      if (!encode_gap (w, new_base, pos, start, error))
        return FALSE;
      if (clipped)
        start = pos;
      if (end <= start)
        continue;
      report (w, start, t->name);
      if (o && !clipped && o->n_bytes == t->n_bytes && memcmp (o->data, t->data, t->n_bytes) == 0)
        {
          add_extent (w, t->name, LB_DELTA_MODE_COPY, start, t->n_bytes,
                      (guint64) (o->data - old_base), t->n_bytes, 0, 0);
          w->stats->n_unchanged++;
        }
      else
        {
          gboolean same = o && !clipped && o->n_bytes == t->n_bytes;

          if (!encode_range (w, t->name, new_base, start, end - start, same ? old_base : NULL,
                             same ? (guint64) (o->data - old_base) : 0, &mode, error))
            return FALSE;
          if (mode == LB_DELTA_MODE_XOR)
            w->stats->n_xor++;
          else if (mode == LB_DELTA_MODE_SUB)
            w->stats->n_sub++;
          else
            w->stats->n_full++;
          if (o)
            note (w, "tensor changed: %s (%s, %" G_GUINT64_FORMAT " bytes in the package)", t->name,
                  lb_delta_mode_name (mode),
                  g_array_index (w->manifest->extents, LbDeltaExtent, w->manifest->extents->len - 1).payload_size);
        }
      pos = end;
    }
  for (guint i = 0; i < lb_gguf_reader_get_n_tensors (old_r); i++)
    {
      const LbTensor *o = lb_gguf_reader_get_tensor (old_r, i);

      if (lb_gguf_reader_find_tensor (new_r, o->name) == NULL)
        {
          note (w, "tensor removed: %s", o->name);
          w->stats->n_removed++;
        }
    }
  return encode_gap (w, new_base, pos, new_len, error);
}

/* ---- self-check ---------------------------------------------------------------- */

static gboolean
hash_sink (const void *data, gsize n, gpointer user_data, GError **error)
{
  lb_sha256_state_update (user_data, data, n);
  return TRUE;
}

/* Applies the finished manifest + payload to the base and compares. */
static gboolean
self_check (Writer *w, const guint8 *old_base, gsize old_len, GError **error)
{
  GMappedFile *mf;
  g_autoptr (LbSha256State) sha = lb_sha256_state_new ();
  LbSha256 got;
  GError *local = NULL;
  gboolean ok;
  const guint8 *payload;

  if (fflush (w->payload.fp) != 0)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_IO, "cannot write a temporary file: %s", g_strerror (errno));
      return FALSE;
    }
  mf = g_mapped_file_new_from_fd (fileno (w->payload.fp), FALSE, &local);
  if (mf == NULL)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_IO, "cannot map the payload: %s", local->message);
      g_error_free (local);
      return FALSE;
    }
  payload = (const guint8 *) g_mapped_file_get_contents (mf);
  ok = lb_delta_reconstruct (w->manifest, old_base, old_len, payload ? payload : (const guint8 *) "",
                             g_mapped_file_get_length (mf), hash_sink, sha, NULL, NULL, w->cancellable, error);
  g_mapped_file_unref (mf);
  if (!ok)
    {
      g_prefix_error (error, "internal error: the new package does not apply: ");
      return FALSE;
    }
  lb_sha256_state_get (sha, &got);
  if (!lb_sha256_equal (&got, &w->manifest->target_sha256))
    {
      g_set_error (error, LB_ERROR, LB_ERROR_FAILED,
                   "internal error: the new package does not reproduce the target byte for byte");
      return FALSE;
    }
  return TRUE;
}

/* ---- writing the container -------------------------------------------------------- */

static gboolean
write_container (const char *out_path, LbDeltaManifest *m, LbSigningKey *key, Spill *payload,
                 guint8 *buf, guint64 *size_out, GError **error)
{
  g_autoptr (GBytes) mbytes = lb_delta_manifest_serialize (m);
  g_autoptr (LbAtomicFile) f = NULL;
  guint8 prefix[LB_DELTA_PREFIX_SIZE];

  lb_delta_prefix_build (m->kind, mbytes, key, prefix);
  f = lb_atomic_file_new (out_path, error);
  if (f == NULL
      || !lb_atomic_file_write (f, prefix, sizeof prefix, error)
      || !lb_atomic_file_write (f, g_bytes_get_data (mbytes, NULL), g_bytes_get_size (mbytes), error))
    return FALSE;
  if (payload)
    {
      rewind (payload->fp);
      for (guint64 left = payload->size; left > 0;)
        {
          gsize step = (gsize) MIN (left, (guint64) CHUNK);

          if (fread (buf, 1, step, payload->fp) != step)
            {
              g_set_error (error, LB_ERROR, LB_ERROR_IO, "cannot read back a temporary file");
              return FALSE;
            }
          if (!lb_atomic_file_write (f, buf, step, error))
            return FALSE;
          left -= step;
        }
    }
  if (!lb_atomic_file_commit (f, error))
    return FALSE;
  *size_out = sizeof prefix + g_bytes_get_size (mbytes) + (payload ? payload->size : 0);
  return TRUE;
}

static void
writer_clear (Writer *w)
{
  for (guint c = 0; c < N_CANDS; c++)
    {
      ZSTD_freeCCtx (w->cctx[c]);
      spill_close (&w->spill[c]);
    }
  spill_close (&w->payload);
  g_clear_pointer (&w->payload_sha, lb_sha256_state_free);
  g_clear_pointer (&w->manifest, lb_delta_manifest_free);
  if (w->notes)
    g_string_free (w->notes, TRUE);
  g_free (w->obuf);
  g_free (w->xbuf);
  g_free (w->sbuf);
  g_free (w->cbuf);
}

static const guint8 *
reader_base (LbGgufReader *r, gsize *len)
{
  g_autoptr (GBytes) b = lb_gguf_reader_ref_bytes (r);   /* the reader keeps its own ref */
  const guint8 *p = g_bytes_get_data (b, len);

  return p ? p : (const guint8 *) "";
}

gboolean
lb_delta_create (const char *old_path, const char *new_path, const char *out_path,
                 LbSigningKey *key, guint64 version, int level,
                 LbDeltaStats *stats, LbProgressFunc progress, gpointer progress_data,
                 GCancellable *cancellable, GError **error)
{
  g_autoptr (LbGgufReader) old_r = NULL;
  g_autoptr (LbGgufReader) new_r = NULL;
  LbDeltaStats local_stats;
  Writer w = { 0 };
  const guint8 *old_base, *new_base;
  gsize old_len, new_len;
  gboolean ok = FALSE;
  g_autofree char *old_name = g_path_get_basename (old_path);
  g_autofree char *new_name = g_path_get_basename (new_path);

  if (level == 0)
    level = LB_DELTA_DEFAULT_LEVEL;
  if (level < 1 || level > 19)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT, "compression level %d is out of range 1-19", level);
      return FALSE;
    }
  if (version == 0)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT, "package versions start at 1");
      return FALSE;
    }
  if (stats == NULL)
    stats = &local_stats;
  memset (stats, 0, sizeof *stats);

  old_r = lb_gguf_reader_open (old_path, error);
  if (old_r == NULL)
    return FALSE;
  new_r = lb_gguf_reader_open (new_path, error);
  if (new_r == NULL)
    return FALSE;
  old_base = reader_base (old_r, &old_len);
  new_base = reader_base (new_r, &new_len);

  w.out_path = out_path;
  w.level = level;
  w.stats = stats;
  w.cancellable = cancellable;
  w.progress = progress;
  w.progress_data = progress_data;
  w.progress_total = new_len;
  w.notes = g_string_new (NULL);
  w.manifest = lb_delta_manifest_new (LB_DELTA_KIND_PACKAGE);
  w.payload_sha = lb_sha256_state_new ();
  w.obuf_size = ZSTD_CStreamOutSize ();
  w.obuf = g_malloc (w.obuf_size);
  w.xbuf = g_malloc (CHUNK);
  w.sbuf = g_malloc (CHUNK);
  w.cbuf = g_malloc (CHUNK);
  for (guint c = 0; c < N_CANDS; c++)
    {
      w.cctx[c] = ZSTD_createCCtx ();
      if (!spill_open (&w.spill[c], out_path, error))
        goto out;
    }
  if (!spill_open (&w.payload, out_path, error))
    goto out;

  report (&w, 0, "hashing");
  w.manifest->version = version;
  w.manifest->created = (guint64) (g_get_real_time () / G_USEC_PER_SEC);
  w.manifest->base_size = old_len;
  lb_sha256_data (old_base, old_len, &w.manifest->base_sha256);
  w.manifest->target_size = new_len;
  lb_sha256_data (new_base, new_len, &w.manifest->target_sha256);
  {
    LbPublicKey pub;
    lb_signing_key_get_public (key, &pub);
    lb_public_key_get_id (&pub, &w.manifest->key_id);
  }
  note (&w, "base: %s (%" G_GSIZE_FORMAT " bytes)", old_name, old_len);
  note (&w, "target: %s (%" G_GSIZE_FORMAT " bytes)", new_name, new_len);
  diff_metadata (&w, lb_gguf_reader_get_meta (old_r), lb_gguf_reader_get_meta (new_r));

  if (!encode_header (&w, new_base, lb_gguf_reader_get_data_offset (new_r), old_base,
                      lb_gguf_reader_get_data_offset (old_r), error)
      || !encode_tensors (&w, old_r, old_base, new_r, new_base, new_len, error))
    goto out;
  stats->n_tensors = lb_gguf_reader_get_n_tensors (new_r);
  stats->base_size = old_len;
  stats->target_size = new_len;
  note (&w, "tensors: %u unchanged, %u xor, %u sub, %u full, %u added, %u removed", stats->n_unchanged,
        stats->n_xor, stats->n_sub, stats->n_full, stats->n_added, stats->n_removed);
  g_free (w.manifest->notes);
  w.manifest->notes = g_strdup (w.notes->str);
  w.manifest->payload_size = w.payload.size;
  lb_sha256_state_get (w.payload_sha, &w.manifest->payload_sha256);

  report (&w, new_len, "checking the package");
  if (!self_check (&w, old_base, old_len, error))
    goto out;
  if (!write_container (out_path, w.manifest, key, &w.payload, w.cbuf, &stats->package_size, error))
    goto out;
  ok = TRUE;
out:
  writer_clear (&w);
  return ok;
}

gboolean
lb_delta_write_manifest (const char *model_path, const char *out_path, LbSigningKey *key,
                         guint64 version, GCancellable *cancellable, GError **error)
{
  g_autoptr (LbDeltaManifest) m = lb_delta_manifest_new (LB_DELTA_KIND_MANIFEST);
  g_autofree char *name = g_path_get_basename (model_path);
  guint64 size;

  if (version == 0)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT, "manifest versions start at 1");
      return FALSE;
    }
  if (!lb_sha256_file (model_path, &m->target_sha256, &m->target_size, cancellable, error))
    return FALSE;
  m->version = version;
  m->created = (guint64) (g_get_real_time () / G_USEC_PER_SEC);
  lb_sha256_data ("", 0, &m->payload_sha256);
  g_free (m->notes);
  m->notes = g_strdup_printf ("model: %s (%" G_GUINT64_FORMAT " bytes)\n", name, m->target_size);
  return write_container (out_path, m, key, NULL, NULL, &size, error);
}

/* ---- on a worker thread -------------------------------------------------------------- */

typedef struct {
  char          *old_path, *new_path, *out_path;
  LbSigningKey  *key;
  guint64        version;
  int            level;
  LbProgressFunc progress;
  gpointer       progress_data;
  LbDeltaStats   stats;
} CreateJob;

static void
create_job_free (gpointer p)
{
  CreateJob *j = p;

  g_free (j->old_path);
  g_free (j->new_path);
  g_free (j->out_path);
  g_free (j);
}

static void
create_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  CreateJob *j = task_data;
  GError *error = NULL;

  if (lb_delta_create (j->old_path, j->new_path, j->out_path, j->key, j->version, j->level, &j->stats,
                       j->progress, j->progress_data, cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

void
lb_delta_create_async (const char *old_path, const char *new_path, const char *out_path,
                       LbSigningKey *key, guint64 version, int level,
                       LbProgressFunc progress, gpointer progress_data,
                       GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr (GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  CreateJob *j = g_new0 (CreateJob, 1);

  g_task_set_source_tag (task, lb_delta_create_async);
  j->old_path = g_strdup (old_path);
  j->new_path = g_strdup (new_path);
  j->out_path = g_strdup (out_path);
  j->key = key;
  j->version = version;
  j->level = level;
  j->progress = progress;
  j->progress_data = progress_data;
  g_task_set_task_data (task, j, create_job_free);
  g_task_run_in_thread (task, create_thread);
}

gboolean
lb_delta_create_finish (GAsyncResult *result, LbDeltaStats *stats, GError **error)
{
  GTask *task = G_TASK (result);

  g_return_val_if_fail (g_task_get_source_tag (task) == lb_delta_create_async, FALSE);
  if (!g_task_propagate_boolean (task, error))
    return FALSE;
  if (stats)
    *stats = ((CreateJob *) g_task_get_task_data (task))->stats;
  return TRUE;
}
