/* lb-gguf-writer.c: a streaming GGUF v3 writer.
 *
 * Everything goes through an LbAtomicFile (a temporary file beside the
 * destination); finish() checks that every tensor got exactly its bytes,
 * then commits (fsync + rename). Any failure deletes the temporary file, so
 * a failed export never leaves a partial file behind. */
#include "lb-gguf.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <glib/gstdio.h>

#include "lb-atomic-file.h"
#include "lb-error.h"

#define GGUF_VERSION 3

typedef struct {
  char   *name;
  LbType  type;
  guint   n_dims;
  gint64  ne[LB_MAX_DIMS];
  gsize   n_bytes;
  guint64 offset;   /* in the data section */
} Info;

typedef enum {
  STATE_INFOS,      /* adding tensor infos */
  STATE_DATA,       /* header written, streaming tensor data */
  STATE_FINISHED,
  STATE_FAILED,     /* an error happened; the temporary file is gone */
} State;

struct _LbGgufWriter {
  char         *path;
  LbAtomicFile *out;      /* NULL once committed or discarded */
  LbMeta     *meta;
  gsize       alignment;
  GPtrArray  *infos;      /* Info* */
  GHashTable *names;      /* name (owned by the Info) -> Info* */
  guint64     data_size;  /* running size of the data section, padded */
  guint64     written;    /* bytes written to the file so far */
  guint       current;    /* tensor receiving data */
  gsize       current_done;
  State       state;
};

static void
info_free (gpointer p)
{
  Info *info = p;

  g_free (info->name);
  g_free (info);
}

/* Closes and deletes the temporary file. */
static void
discard (LbGgufWriter *w)
{
  g_clear_pointer (&w->out, lb_atomic_file_free);
}

static gboolean
check_alignment (LbMeta *meta, gsize *out, GError **error)
{
  const LbValue *v = lb_meta_lookup (meta, "general.alignment");

  *out = LB_GGUF_DEFAULT_ALIGNMENT;
  if (v == NULL)
    return TRUE;
  if (v->type != LB_VALUE_UINT32 || v->u == 0 || (v->u & (v->u - 1)) != 0)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                   "metadata key general.alignment must be a uint32 power of two");
      return FALSE;
    }
  *out = (gsize) v->u;
  return TRUE;
}

LbGgufWriter *
lb_gguf_writer_new (const char *path, LbMeta *meta, GError **error)
{
  LbGgufWriter *w;
  gsize alignment;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (meta != NULL, NULL);

  if (!check_alignment (meta, &alignment, error))
    return NULL;

  w = g_new0 (LbGgufWriter, 1);
  w->path = g_strdup (path);
  w->meta = lb_meta_ref (meta);
  w->alignment = alignment;
  w->infos = g_ptr_array_new_with_free_func (info_free);
  w->names = g_hash_table_new (g_str_hash, g_str_equal);
  w->state = STATE_INFOS;

  w->out = lb_atomic_file_new (path, error);
  if (w->out == NULL)
    {
      lb_gguf_writer_free (w);
      return NULL;
    }
  return w;
}

static gboolean
check_state (LbGgufWriter *w, State wanted, const char *call, GError **error)
{
  static const char *const names[] = { "adding tensor infos", "writing tensor data",
                                       "finished", "failed" };
  if (w->state == wanted)
    return TRUE;
  g_set_error (error, LB_ERROR, LB_ERROR_FAILED, "%s: %s called while the writer is %s",
               w->path, call, names[w->state]);
  return FALSE;
}

gboolean
lb_gguf_writer_add_tensor_info (LbGgufWriter *w, const char *name, LbType type,
                                guint n_dims, const gint64 *ne, GError **error)
{
  const LbTypeTraits *traits;
  gint64 n_elements = 1;
  guint64 padded;
  Info *info;

  g_return_val_if_fail (w != NULL, FALSE);
  g_return_val_if_fail (name != NULL, FALSE);
  g_return_val_if_fail (ne != NULL || n_dims == 0, FALSE);

  if (!check_state (w, STATE_INFOS, "add_tensor_info", error))
    return FALSE;
  if (*name == '\0' || g_hash_table_contains (w->names, name))
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT, "%s: %s tensor name \"%s\"",
                   w->path, *name ? "duplicate" : "empty", name);
      return FALSE;
    }
  traits = lb_type_get_traits (type);
  if (traits == NULL)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT, "%s: tensor %s: unknown type %d",
                   w->path, name, (int) type);
      return FALSE;
    }
  if (n_dims < 1 || n_dims > LB_MAX_DIMS)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                   "%s: tensor %s: %u dimensions (1 to %d allowed)", w->path, name, n_dims,
                   LB_MAX_DIMS);
      return FALSE;
    }
  for (guint d = 0; d < n_dims; d++)
    {
      if (ne[d] <= 0 || ne[d] > G_MAXINT64 / n_elements)
        {
          g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                       "%s: tensor %s: dimension %u (%" G_GINT64_FORMAT ") is %s",
                       w->path, name, d, ne[d], ne[d] <= 0 ? "not positive" : "too large");
          return FALSE;
        }
      n_elements *= ne[d];
    }
  if (ne[0] % traits->block_size != 0)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                   "%s: tensor %s: row length %" G_GINT64_FORMAT " is not a multiple of %s's "
                   "block size %u", w->path, name, ne[0], traits->name, traits->block_size);
      return FALSE;
    }
  if ((guint64) (n_elements / traits->block_size) > G_MAXSIZE / traits->type_size / 2)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT, "%s: tensor %s is too large",
                   w->path, name);
      return FALSE;
    }

  info = g_new0 (Info, 1);
  info->name = g_strdup (name);
  info->type = type;
  info->n_dims = n_dims;
  for (guint d = 0; d < LB_MAX_DIMS; d++)
    info->ne[d] = d < n_dims ? ne[d] : 1;
  info->n_bytes = (gsize) (n_elements / traits->block_size) * traits->type_size;
  info->offset = w->data_size;
  padded = (info->n_bytes + w->alignment - 1) / w->alignment * w->alignment;
  if (padded > G_MAXUINT64 - w->data_size)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT, "%s: the tensors are too large",
                   w->path);
      info_free (info);
      return FALSE;
    }
  w->data_size += padded;
  g_ptr_array_add (w->infos, info);
  g_hash_table_insert (w->names, info->name, info);
  return TRUE;
}

/* ---- encoding ---------------------------------------------------------- */

static gboolean
put (LbGgufWriter *w, const void *data, gsize n, GError **error)
{
  if (n == 0)
    return TRUE;
  if (!lb_atomic_file_write (w->out, data, n, error))
    {
      discard (w);
      w->state = STATE_FAILED;
      return FALSE;
    }
  w->written += n;
  return TRUE;
}

static gboolean
put_u32 (LbGgufWriter *w, guint32 v, GError **error)
{
  v = GUINT32_TO_LE (v);
  return put (w, &v, 4, error);
}

static gboolean
put_u64 (LbGgufWriter *w, guint64 v, GError **error)
{
  v = GUINT64_TO_LE (v);
  return put (w, &v, 8, error);
}

static gboolean
put_string (LbGgufWriter *w, const char *data, gsize len, GError **error)
{
  return put_u64 (w, len, error) && put (w, data, len, error);
}

static gboolean
put_zeros (LbGgufWriter *w, gsize n, GError **error)
{
  static const guint8 zeros[256];

  while (n > 0)
    {
      gsize chunk = MIN (n, sizeof zeros);
      if (!put (w, zeros, chunk, error))
        return FALSE;
      n -= chunk;
    }
  return TRUE;
}

static gboolean
put_pad (LbGgufWriter *w, GError **error)
{
  gsize rem = (gsize) (w->written % w->alignment);

  return rem == 0 || put_zeros (w, w->alignment - rem, error);
}

/* Packed host-endian elements to little-endian. */
static gboolean
put_packed (LbGgufWriter *w, const void *data, gsize n, gsize size, GError **error)
{
#if G_BYTE_ORDER == G_LITTLE_ENDIAN
  return put (w, data, n * size, error);
#else
  for (gsize i = 0; i < n; i++)
    {
      guint8 e[8];
      for (gsize b = 0; b < size; b++)
        e[b] = ((const guint8 *) data)[i * size + size - 1 - b];
      if (!put (w, e, size, error))
        return FALSE;
    }
  return TRUE;
#endif
}

static gboolean
bad_value (LbGgufWriter *w, const char *key, GError **error)
{
  g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
               "%s: metadata key %s holds a malformed value", w->path, key);
  discard (w);
  w->state = STATE_FAILED;
  return FALSE;
}

/* The value's payload (its type tag is written by the caller). */
static gboolean
put_value (LbGgufWriter *w, const char *key, const LbValue *v, GError **error)
{
  guint8 u8;
  guint16 u16;
  float f;

  switch (v->type)
    {
    case LB_VALUE_UINT8:
    case LB_VALUE_INT8:
      u8 = (guint8) v->u;
      return put (w, &u8, 1, error);
    case LB_VALUE_UINT16:
    case LB_VALUE_INT16:
      u16 = GUINT16_TO_LE ((guint16) v->u);
      return put (w, &u16, 2, error);
    case LB_VALUE_UINT32:
    case LB_VALUE_INT32:
      return put_u32 (w, (guint32) v->u, error);
    case LB_VALUE_UINT64:
    case LB_VALUE_INT64:
      return put_u64 (w, v->u, error);
    case LB_VALUE_FLOAT32:
      f = (float) v->f;
      return put_packed (w, &f, 1, 4, error);
    case LB_VALUE_FLOAT64:
      return put_packed (w, &v->f, 1, 8, error);
    case LB_VALUE_BOOL:
      u8 = v->b ? 1 : 0;
      return put (w, &u8, 1, error);
    case LB_VALUE_STRING:
      return put_string (w, v->s.data, v->s.len, error);
    case LB_VALUE_ARRAY:
      if ((guint) v->arr.elem_type >= LB_VALUE_N_TYPES || (v->arr.n > 0 && v->arr.data == NULL))
        return bad_value (w, key, error);
      if (!put_u32 (w, v->arr.elem_type, error) || !put_u64 (w, v->arr.n, error))
        return FALSE;
      if (v->arr.elem_type == LB_VALUE_STRING)
        {
          for (gsize i = 0; i < v->arr.n; i++)
            if (!put_string (w, v->arr.strings[i].data, v->arr.strings[i].len, error))
              return FALSE;
          return TRUE;
        }
      if (v->arr.elem_type == LB_VALUE_ARRAY)
        {
          for (gsize i = 0; i < v->arr.n; i++)
            {
              if (v->arr.values[i].type != LB_VALUE_ARRAY)
                return bad_value (w, key, error);
              if (!put_value (w, key, &v->arr.values[i], error))
                return FALSE;
            }
          return TRUE;
        }
      if (v->arr.elem_type == LB_VALUE_BOOL)
        {
          /* normalise to 0/1 bytes */
          for (gsize i = 0; i < v->arr.n; i++)
            {
              u8 = ((const guint8 *) v->arr.data)[i] ? 1 : 0;
              if (!put (w, &u8, 1, error))
                return FALSE;
            }
          return TRUE;
        }
      return put_packed (w, v->arr.data, v->arr.n, lb_value_type_size (v->arr.elem_type), error);
    case LB_VALUE_N_TYPES:
    default:
      return bad_value (w, key, error);
    }
}

gboolean
lb_gguf_writer_begin_data (LbGgufWriter *w, GError **error)
{
  guint n_keys;

  g_return_val_if_fail (w != NULL, FALSE);

  if (!check_state (w, STATE_INFOS, "begin_data", error))
    return FALSE;

  n_keys = lb_meta_get_n_keys (w->meta);
  if (!put (w, "GGUF", 4, error)
      || !put_u32 (w, GGUF_VERSION, error)
      || !put_u64 (w, w->infos->len, error)
      || !put_u64 (w, n_keys, error))
    return FALSE;

  for (guint k = 0; k < n_keys; k++)
    {
      const char *key = lb_meta_get_key (w->meta, k);
      const LbValue *v = lb_meta_get_value (w->meta, k);

      if ((guint) v->type >= LB_VALUE_N_TYPES)
        return bad_value (w, key, error);
      if (!put_string (w, key, strlen (key), error)
          || !put_u32 (w, v->type, error)
          || !put_value (w, key, v, error))
        return FALSE;
    }

  for (guint i = 0; i < w->infos->len; i++)
    {
      const Info *info = g_ptr_array_index (w->infos, i);

      if (!put_string (w, info->name, strlen (info->name), error)
          || !put_u32 (w, info->n_dims, error))
        return FALSE;
      for (guint d = 0; d < info->n_dims; d++)
        if (!put_u64 (w, (guint64) info->ne[d], error))
          return FALSE;
      if (!put_u32 (w, info->type, error) || !put_u64 (w, info->offset, error))
        return FALSE;
    }
  if (!put_pad (w, error))
    return FALSE;

  w->state = STATE_DATA;
  w->current = 0;
  w->current_done = 0;
  return TRUE;
}

gboolean
lb_gguf_writer_write_tensor_data (LbGgufWriter *w, const void *data, gsize n, GError **error)
{
  const Info *info;
  gsize left;

  g_return_val_if_fail (w != NULL, FALSE);
  g_return_val_if_fail (data != NULL || n == 0, FALSE);

  if (!check_state (w, STATE_DATA, "write_tensor_data", error))
    return FALSE;

  if (w->current >= w->infos->len)
    {
      if (n == 0)
        return TRUE;
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                   "%s: %" G_GSIZE_FORMAT " bytes of tensor data beyond the last tensor",
                   w->path, n);
      discard (w);
      w->state = STATE_FAILED;
      return FALSE;
    }

  /* one call never spans two tensors: a size mistake is reported at the
   * tensor that has it, not at the end */
  info = g_ptr_array_index (w->infos, w->current);
  left = info->n_bytes - w->current_done;
  if (n > left)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                   "%s: tensor %s: given %" G_GSIZE_FORMAT " bytes but only %" G_GSIZE_FORMAT
                   " of its %" G_GSIZE_FORMAT " bytes remain",
                   w->path, info->name, n, left, info->n_bytes);
      discard (w);
      w->state = STATE_FAILED;
      return FALSE;
    }
  if (!put (w, data, n, error))
    return FALSE;
  w->current_done += n;
  if (w->current_done < info->n_bytes)
    return TRUE;
  if (!put_pad (w, error))
    return FALSE;
  w->current++;
  w->current_done = 0;
  return TRUE;
}

gboolean
lb_gguf_writer_finish (LbGgufWriter *w, GError **error)
{

  g_return_val_if_fail (w != NULL, FALSE);

  if (w->state == STATE_INFOS && w->infos->len == 0)
    {
      /* metadata only: nothing to stream */
      if (!lb_gguf_writer_begin_data (w, error))
        return FALSE;
    }
  if (!check_state (w, STATE_DATA, "finish", error))
    return FALSE;
  if (w->current < w->infos->len)
    {
      const Info *info = g_ptr_array_index (w->infos, w->current);

      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                   "%s: tensor %s received %" G_GSIZE_FORMAT " of its %" G_GSIZE_FORMAT " bytes",
                   w->path, info->name, w->current_done, info->n_bytes);
      discard (w);
      w->state = STATE_FAILED;
      return FALSE;
    }

  if (!lb_atomic_file_commit (w->out, error))
    {
      discard (w);
      w->state = STATE_FAILED;
      return FALSE;
    }
  discard (w);
  w->state = STATE_FINISHED;
  return TRUE;
}

void
lb_gguf_writer_abort (LbGgufWriter *w)
{
  g_return_if_fail (w != NULL);

  if (w->state == STATE_FINISHED)
    return;
  discard (w);
  w->state = STATE_FAILED;
}

void
lb_gguf_writer_free (LbGgufWriter *w)
{
  if (w == NULL)
    return;
  if (w->state != STATE_FINISHED)
    discard (w);
  g_hash_table_destroy (w->names);
  g_ptr_array_unref (w->infos);
  lb_meta_unref (w->meta);
  g_free (w->path);
  g_free (w);
}
