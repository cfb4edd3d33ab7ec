/* lb-logit-cache.c: write and read the reference log-probability cache */
#include "config.h"

#include <math.h>
#include <string.h>

#include "lb-atomic-file.h"
#include "lb-error.h"
#include "lb-half.h"
#include "lb-logit-cache.h"

#define CACHE_MAGIC     "LBREFLP\0"
#define CACHE_VERSION   1
#define HEADER_FIXED    40          /* magic + 8 u32 */
#define RECORD_FIXED    36
#define MAX_VOCAB       (1u << 24)
#define MAX_CTX         (1u << 20)
#define MAX_NAME        4096
#define ENC_BITMAP      0
#define ENC_IDS         1

struct _LbLogitCacheWriter {
  LbAtomicFile    *file;
  LbLogitCacheInfo info;
  guint64          n_added;
  GByteArray      *buf;
};

struct _LbLogitCacheReader {
  char            *path;
  GInputStream    *in;
  guint64          offset;     /* bytes consumed so far */
  LbLogitCacheInfo info;
  char            *name;
  gint32          *tokens;
  guint64          n_read;
  guint64          file_size;
  guint8          *raw;        /* one record's variable part */
  guint32         *kept_ids;
  guint16         *kept_q;
};

static gboolean
info_is_valid (const LbLogitCacheInfo *info, GString *why)
{
  if (info->n_vocab == 0 || info->n_vocab > MAX_VOCAB)
    g_string_printf (why, "vocabulary size %u is outside 1..%u", info->n_vocab, MAX_VOCAB);
  else if (info->n_ctx < 4 || info->n_ctx > MAX_CTX)
    g_string_printf (why, "context %u is outside 4..%u", info->n_ctx, MAX_CTX);
  else if (info->first != info->n_ctx / 2 || info->n_scored != info->n_ctx - 1 - info->first)
    g_string_printf (why, "scored positions %u+%u do not match context %u",
                     info->first, info->n_scored, info->n_ctx);
  else if (info->n_chunks == 0 || (guint64) info->n_chunks * info->n_ctx > G_MAXINT32)
    g_string_printf (why, "chunk count %u is 0 or too large for context %u",
                     info->n_chunks, info->n_ctx);
  else
    return TRUE;
  return FALSE;
}

/* ---- writer ---------------------------------------------------------------- */

static void
put_u32 (GByteArray *b, guint32 v)
{
  guint32 le = GUINT32_TO_LE (v);
  g_byte_array_append (b, (const guint8 *) &le, 4);
}

static void
put_u16 (GByteArray *b, guint16 v)
{
  guint16 le = GUINT16_TO_LE (v);
  g_byte_array_append (b, (const guint8 *) &le, 2);
}

static void
put_f32 (GByteArray *b, float v)
{
  put_u32 (b, lb_fp32_to_bits (v));
}

LbLogitCacheWriter *
lb_logit_cache_writer_new (const char *path, const LbLogitCacheInfo *info,
                           const char *reference_name, const gint32 *tokens, GError **error)
{
  g_autoptr (GString) why = g_string_new (NULL);
  g_autoptr (GByteArray) head = g_byte_array_new ();
  gsize name_len = reference_name ? MIN (strlen (reference_name), MAX_NAME) : 0;
  guint64 n_tokens;
  LbLogitCacheWriter *w;
  LbAtomicFile *file;

  if (!info_is_valid (info, why))
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT, "reference cache %s: %s", path, why->str);
      return NULL;
    }
  file = lb_atomic_file_new (path, error);
  if (file == NULL)
    return NULL;

  g_byte_array_append (head, (const guint8 *) CACHE_MAGIC, 8);
  put_u32 (head, CACHE_VERSION);
  put_u32 (head, info->n_vocab);
  put_u32 (head, info->n_ctx);
  put_u32 (head, info->n_chunks);
  put_u32 (head, info->first);
  put_u32 (head, info->n_scored);
  put_u32 (head, LB_EVAL_TOP_K);
  put_u32 (head, (guint32) name_len);
  g_byte_array_append (head, (const guint8 *) reference_name, (guint) name_len);
  n_tokens = (guint64) info->n_chunks * info->n_ctx;
  for (guint64 i = 0; i < n_tokens; i++)
    put_u32 (head, (guint32) tokens[i]);
  if (!lb_atomic_file_write (file, head->data, head->len, error))
    {
      lb_atomic_file_free (file);
      return NULL;
    }

  w = g_new0 (LbLogitCacheWriter, 1);
  w->file = file;
  w->info = *info;
  w->buf = g_byte_array_new ();
  return w;
}

gboolean
lb_logit_cache_writer_add (LbLogitCacheWriter *w, const LbEvalBasePos *pos, GError **error)
{
  guint32 n_vocab = w->info.n_vocab;
  gsize bitmap_bytes = (n_vocab + 7) / 8;
  gboolean bitmap = bitmap_bytes <= (gsize) pos->n_kept * 4;
  GByteArray *b = w->buf;

  if (w->n_added >= (guint64) w->info.n_chunks * w->info.n_scored)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_FAILED,
                   "reference cache %s: more positions than the %u chunks announced",
                   lb_atomic_file_get_path (w->file), w->info.n_chunks);
      return FALSE;
    }
  g_byte_array_set_size (b, 0);
  put_f32 (b, pos->scale);
  put_f32 (b, pos->min_log_prob);
  put_u16 (b, pos->q_target);
  g_byte_array_append (b, (const guint8[]) { bitmap ? ENC_BITMAP : ENC_IDS, (guint8) pos->n_top }, 2);
  for (guint i = 0; i < LB_EVAL_TOP_K; i++)
    put_u32 (b, i < pos->n_top ? pos->top[i] : 0);
  put_u32 (b, pos->n_kept);
  if (bitmap)
    {
      guint start = b->len;

      g_byte_array_set_size (b, start + (guint) bitmap_bytes);
      memset (b->data + start, 0, bitmap_bytes);
      for (guint j = 0; j < pos->n_kept; j++)
        b->data[start + pos->kept_ids[j] / 8] |= (guint8) (1u << (pos->kept_ids[j] % 8));
    }
  else
    for (guint j = 0; j < pos->n_kept; j++)
      put_u32 (b, pos->kept_ids[j]);
  for (guint j = 0; j < pos->n_kept; j++)
    put_u16 (b, pos->kept_q[j]);
  w->n_added++;
  return lb_atomic_file_write (w->file, b->data, b->len, error);
}

gboolean
lb_logit_cache_writer_commit (LbLogitCacheWriter *w, GError **error)
{
  guint64 want = (guint64) w->info.n_chunks * w->info.n_scored;

  if (w->n_added != want)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_FAILED,
                   "reference cache %s: %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT
                   " positions written", lb_atomic_file_get_path (w->file), w->n_added, want);
      return FALSE;
    }
  return lb_atomic_file_commit (w->file, error);
}

void
lb_logit_cache_writer_free (LbLogitCacheWriter *w)
{
  if (w == NULL)
    return;
  lb_atomic_file_free (w->file);
  g_byte_array_unref (w->buf);
  g_free (w);
}

/* ---- reader ---------------------------------------------------------------- */

static gboolean
read_exact (LbLogitCacheReader *r, void *dst, gsize n, const char *what,
            GCancellable *cancellable, GError **error)
{
  gsize got = 0;
  GError *local = NULL;

  if (!g_input_stream_read_all (r->in, dst, n, &got, cancellable, &local))
    {
      if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_propagate_error (error, local);
      else
        {
          g_set_error (error, LB_ERROR, LB_ERROR_IO, "reference cache %s: reading %s at byte %"
                       G_GUINT64_FORMAT ": %s", r->path, what, r->offset, local->message);
          g_error_free (local);
        }
      return FALSE;
    }
  if (got != n)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "reference cache %s: %s at byte %" G_GUINT64_FORMAT " needs %" G_GSIZE_FORMAT
                   " bytes but the file ends after %" G_GSIZE_FORMAT " (truncated?)",
                   r->path, what, r->offset, n, got);
      return FALSE;
    }
  r->offset += n;
  return TRUE;
}

static guint32
get_u32 (const guint8 *p)
{
  guint32 v;
  memcpy (&v, p, 4);
  return GUINT32_FROM_LE (v);
}

static guint16
get_u16 (const guint8 *p)
{
  guint16 v;
  memcpy (&v, p, 2);
  return GUINT16_FROM_LE (v);
}

LbLogitCacheReader *
lb_logit_cache_reader_open (const char *path, GCancellable *cancellable, GError **error)
{
  g_autoptr (GFile) file = g_file_new_for_path (path);
  g_autoptr (GFileInputStream) fin = NULL;
  g_autoptr (GString) why = g_string_new (NULL);
  g_autoptr (LbLogitCacheReader) r = NULL;
  guint8 head[HEADER_FIXED];
  guint32 name_len, top_k, version;
  guint64 n_tokens;
  GError *local = NULL;

  fin = g_file_read (file, cancellable, &local);
  if (fin == NULL)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_IO, "reference cache %s: %s", path, local->message);
      g_error_free (local);
      return NULL;
    }
  r = g_new0 (LbLogitCacheReader, 1);
  r->path = g_strdup (path);
  {
    g_autoptr (GFileInfo) fi = g_file_input_stream_query_info (fin, G_FILE_ATTRIBUTE_STANDARD_SIZE,
                                                               cancellable, NULL);
    r->file_size = fi ? (guint64) g_file_info_get_size (fi) : G_MAXUINT64;
  }
  r->in = g_buffered_input_stream_new_sized (G_INPUT_STREAM (fin), 1 << 20);

  if (!read_exact (r, head, sizeof head, "the header", cancellable, error))
    return NULL;
  if (memcmp (head, CACHE_MAGIC, 8) != 0)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "reference cache %s: not a Lowbit reference cache (bad magic at byte 0)", path);
      return NULL;
    }
  version = get_u32 (head + 8);
  if (version != CACHE_VERSION)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_UNSUPPORTED,
                   "reference cache %s: version %u at byte 8 is not supported (expected %u)",
                   path, version, CACHE_VERSION);
      return NULL;
    }
  r->info.n_vocab = get_u32 (head + 12);
  r->info.n_ctx = get_u32 (head + 16);
  r->info.n_chunks = get_u32 (head + 20);
  r->info.first = get_u32 (head + 24);
  r->info.n_scored = get_u32 (head + 28);
  top_k = get_u32 (head + 32);
  name_len = get_u32 (head + 36);
  if (!info_is_valid (&r->info, why))
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE, "reference cache %s: header (bytes 12-31): %s",
                   path, why->str);
      return NULL;
    }
  if (top_k != LB_EVAL_TOP_K || name_len > MAX_NAME)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "reference cache %s: header (bytes 32-39): top-k %u (expected %u) or name length %u"
                   " (at most %u) is wrong", path, top_k, LB_EVAL_TOP_K, name_len, MAX_NAME);
      return NULL;
    }
  r->name = g_malloc0 (name_len + 1);
  if (!read_exact (r, r->name, name_len, "the reference name", cancellable, error))
    return NULL;
  if (!g_utf8_validate (r->name, name_len, NULL) || memchr (r->name, '\0', name_len) != NULL)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "reference cache %s: the reference name at byte 40 is not UTF-8 text", path);
      return NULL;
    }

  /* check the size before allocating anything the header asks for */
  n_tokens = (guint64) r->info.n_chunks * r->info.n_ctx;
  if (r->offset + n_tokens * 4 + (guint64) r->info.n_chunks * r->info.n_scored * RECORD_FIXED
      > r->file_size)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "reference cache %s: %u chunks of %u tokens need more than the file's %"
                   G_GUINT64_FORMAT " bytes (truncated?)", path, r->info.n_chunks, r->info.n_ctx,
                   r->file_size);
      return NULL;
    }
  r->tokens = g_new (gint32, n_tokens);
  if (!read_exact (r, r->tokens, n_tokens * 4, "the tokens", cancellable, error))
    return NULL;
  for (guint64 i = 0; i < n_tokens; i++)
    {
      guint32 t = GUINT32_FROM_LE ((guint32) r->tokens[i]);

      if (t >= r->info.n_vocab)
        {
          g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                       "reference cache %s: token %" G_GUINT64_FORMAT " (byte %" G_GUINT64_FORMAT
                       ") is %u, outside the vocabulary of %u", path, i,
                       r->offset - (n_tokens - i) * 4, t, r->info.n_vocab);
          return NULL;
        }
      r->tokens[i] = (gint32) t;
    }

  r->raw = g_malloc (MAX ((r->info.n_vocab + 7) / 8, 4 * (gsize) r->info.n_vocab));
  r->kept_ids = g_new (guint32, r->info.n_vocab);
  r->kept_q = g_new (guint16, r->info.n_vocab);
  return g_steal_pointer (&r);
}

const LbLogitCacheInfo *
lb_logit_cache_reader_get_info (LbLogitCacheReader *r)
{
  return &r->info;
}

const char *
lb_logit_cache_reader_get_reference_name (LbLogitCacheReader *r)
{
  return r->name;
}

const gint32 *
lb_logit_cache_reader_get_tokens (LbLogitCacheReader *r)
{
  return r->tokens;
}

static gboolean
record_error (LbLogitCacheReader *r, guint64 at, GError **error, const char *fmt, ...) G_GNUC_PRINTF (4, 5);

static gboolean
record_error (LbLogitCacheReader *r, guint64 at, GError **error, const char *fmt, ...)
{
  va_list ap;
  g_autofree char *msg = NULL;

  va_start (ap, fmt);
  msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
               "reference cache %s: position %" G_GUINT64_FORMAT " (record at byte %" G_GUINT64_FORMAT
               "): %s", r->path, r->n_read, at, msg);
  return FALSE;
}

gboolean
lb_logit_cache_reader_next (LbLogitCacheReader *r, LbEvalBasePos *pos, GCancellable *cancellable,
                            GError **error)
{
  guint8 fix[RECORD_FIXED];
  guint64 at = r->offset;
  guint32 n_vocab = r->info.n_vocab, n_kept;
  guint8 encoding;

  if (r->n_read >= (guint64) r->info.n_chunks * r->info.n_scored)
    return record_error (r, at, error, "read past the last of %u chunks", r->info.n_chunks);
  if (!read_exact (r, fix, sizeof fix, "a position record", cancellable, error))
    return FALSE;
  pos->scale = lb_fp32_from_bits (get_u32 (fix));
  pos->min_log_prob = lb_fp32_from_bits (get_u32 (fix + 4));
  pos->q_target = get_u16 (fix + 8);
  encoding = fix[10];
  pos->n_top = fix[11];
  n_kept = get_u32 (fix + 32);
  if (!isfinite (pos->scale) || pos->scale < 0 || !isfinite (pos->min_log_prob) || pos->min_log_prob > 0)
    return record_error (r, at, error, "scale %g / offset %g are not a valid 16-bit log-probability code",
                         pos->scale, pos->min_log_prob);
  if (encoding != ENC_BITMAP && encoding != ENC_IDS)
    return record_error (r, at, error, "unknown encoding %u", encoding);
  if (pos->n_top != MIN ((guint32) LB_EVAL_TOP_K, n_vocab))
    return record_error (r, at, error, "top count %u (expected %u)", pos->n_top,
                         MIN ((guint32) LB_EVAL_TOP_K, n_vocab));
  for (guint i = 0; i < pos->n_top; i++)
    {
      pos->top[i] = get_u32 (fix + 12 + 4 * i);
      if (pos->top[i] >= n_vocab)
        return record_error (r, at, error, "top id %u is outside the vocabulary", pos->top[i]);
    }
  if (n_kept > n_vocab)
    return record_error (r, at, error, "%u kept tokens but the vocabulary has %u", n_kept, n_vocab);

  if (encoding == ENC_BITMAP)
    {
      gsize nb = (n_vocab + 7) / 8;
      guint k = 0;

      if (!read_exact (r, r->raw, nb, "a token bitmap", cancellable, error))
        return FALSE;
      for (guint32 i = 0; i < nb * 8; i++)
        if (r->raw[i / 8] == 0)
          i += 7;
        else if (r->raw[i / 8] & (1u << (i % 8)))
          {
            if (i >= n_vocab || k >= n_kept)
              return record_error (r, at, error, "the bitmap marks %s",
                                   i >= n_vocab ? "ids past the vocabulary" : "more tokens than its count");
            r->kept_ids[k++] = i;
          }
      if (k != n_kept)
        return record_error (r, at, error, "the bitmap marks %u tokens, the count says %u", k, n_kept);
    }
  else
    {
      if (!read_exact (r, r->raw, (gsize) n_kept * 4, "a token id list", cancellable, error))
        return FALSE;
      for (guint k = 0; k < n_kept; k++)
        {
          r->kept_ids[k] = get_u32 (r->raw + 4 * k);
          if (r->kept_ids[k] >= n_vocab || (k > 0 && r->kept_ids[k] <= r->kept_ids[k - 1]))
            return record_error (r, at, error, "kept id %u is out of range or out of order",
                                 r->kept_ids[k]);
        }
    }
  if (!read_exact (r, r->raw, (gsize) n_kept * 2, "log-probability codes", cancellable, error))
    return FALSE;
  for (guint k = 0; k < n_kept; k++)
    {
      r->kept_q[k] = get_u16 (r->raw + 2 * k);
      /* the writer keeps exactly the tokens above the cut-off */
      if (!lb_eval_base_is_kept (lb_eval_base_log_prob (pos->scale, pos->min_log_prob, r->kept_q[k])))
        return record_error (r, at, error, "token %u is stored but below the -16 cut-off",
                             r->kept_ids[k]);
    }
  pos->n_kept = n_kept;
  pos->kept_ids = r->kept_ids;
  pos->kept_q = r->kept_q;
  r->n_read++;
  return TRUE;
}

void
lb_logit_cache_reader_free (LbLogitCacheReader *r)
{
  if (r == NULL)
    return;
  g_clear_object (&r->in);
  g_free (r->path);
  g_free (r->name);
  g_free (r->tokens);
  g_free (r->raw);
  g_free (r->kept_ids);
  g_free (r->kept_q);
  g_free (r);
}
