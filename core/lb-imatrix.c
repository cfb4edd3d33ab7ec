/* lb-imatrix.c: importance data in memory, llama.cpp's two file layouts,
 * and collection over calibration text with the reference engine */
#include "lb-imatrix.h"

#include <math.h>
#include <string.h>

#include "lb-error.h"
#include "lb-gguf.h"
#include "lb-half.h"
#include "lb-ref-engine.h"

typedef struct {
  char   *name;
  gsize   n_values;   /* n_cols * n_mat */
  gsize   n_mat;
  double *sums;       /* sums of squares (legacy: the stored values) */
  gint64 *counts;     /* per matrix: tokens (legacy: ncall) */
  float  *means;      /* importance, computed on demand; NULL when stale */
} Entry;

struct _LbImatrix {
  gint        ref_count;
  char       *path;
  gboolean    legacy;
  GHashTable *entries;    /* name -> Entry* */
  GPtrArray  *sorted;     /* Entry*, sorted by name; NULL when stale */
  GPtrArray  *datasets;   /* char*, NULL-terminated */
  guint32     chunk_count;
  guint32     chunk_size;
  GMutex      means_lock; /* readers on several threads fill Entry.means */
};

static void
entry_free (gpointer p)
{
  Entry *e = p;

  g_free (e->name);
  g_free (e->sums);
  g_free (e->counts);
  g_free (e->means);
  g_free (e);
}

static Entry *
entry_new (const char *name, gsize n_values, gsize n_mat)
{
  Entry *e = g_new0 (Entry, 1);

  e->name = g_strdup (name);
  e->n_values = n_values;
  e->n_mat = n_mat;
  e->sums = g_new0 (double, n_values);
  e->counts = g_new0 (gint64, n_mat);
  return e;
}

LbImatrix *
lb_imatrix_new (void)
{
  LbImatrix *im = g_new0 (LbImatrix, 1);

  im->ref_count = 1;
  g_mutex_init (&im->means_lock);
  im->entries = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, entry_free);
  im->datasets = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (im->datasets, NULL);
  return im;
}

LbImatrix *
lb_imatrix_ref (LbImatrix *imatrix)
{
  g_return_val_if_fail (imatrix != NULL, NULL);
  g_atomic_int_inc (&imatrix->ref_count);
  return imatrix;
}

void
lb_imatrix_unref (LbImatrix *imatrix)
{
  if (imatrix == NULL || !g_atomic_int_dec_and_test (&imatrix->ref_count))
    return;
  g_clear_pointer (&imatrix->sorted, g_ptr_array_unref);
  g_hash_table_unref (imatrix->entries);
  g_ptr_array_unref (imatrix->datasets);
  g_free (imatrix->path);
  g_mutex_clear (&imatrix->means_lock);
  g_free (imatrix);
}

static void
add_entry (LbImatrix *im, Entry *e)
{
  g_hash_table_replace (im->entries, e->name, e);
  g_clear_pointer (&im->sorted, g_ptr_array_unref);
}

static gint
compare_entries (gconstpointer a, gconstpointer b)
{
  return strcmp ((*(Entry * const *) a)->name, (*(Entry * const *) b)->name);
}

static GPtrArray *
sorted_entries (LbImatrix *im)
{
  if (im->sorted == NULL)
    {
      GHashTableIter it;
      gpointer value;

      im->sorted = g_ptr_array_sized_new (g_hash_table_size (im->entries));
      g_hash_table_iter_init (&it, im->entries);
      while (g_hash_table_iter_next (&it, NULL, &value))
        g_ptr_array_add (im->sorted, value);
      g_ptr_array_sort (im->sorted, compare_entries);
    }
  return im->sorted;
}

const char *
lb_imatrix_get_path (LbImatrix *imatrix)
{
  g_return_val_if_fail (imatrix != NULL, NULL);
  return imatrix->path;
}

gboolean
lb_imatrix_is_legacy (LbImatrix *imatrix)
{
  g_return_val_if_fail (imatrix != NULL, FALSE);
  return imatrix->legacy;
}

guint
lb_imatrix_get_n_entries (LbImatrix *imatrix)
{
  g_return_val_if_fail (imatrix != NULL, 0);
  return g_hash_table_size (imatrix->entries);
}

const char *
lb_imatrix_get_entry_name (LbImatrix *imatrix, guint i)
{
  GPtrArray *sorted;

  g_return_val_if_fail (imatrix != NULL, NULL);
  sorted = sorted_entries (imatrix);
  return i < sorted->len ? ((Entry *) g_ptr_array_index (sorted, i))->name : NULL;
}

const float *
lb_imatrix_get_importance (LbImatrix *imatrix, const char *weight_name, gsize *n_values)
{
  Entry *e;

  g_return_val_if_fail (imatrix != NULL && weight_name != NULL, NULL);

  e = g_hash_table_lookup (imatrix->entries, weight_name);
  if (e == NULL)
    return NULL;
  /* quantizer threads read a shared imatrix at once: compute each
   * entry's means once, under the lock (accumulating is single-threaded) */
  g_mutex_lock (&imatrix->means_lock);
  if (e->means == NULL)
    {
      gsize n_cols = e->n_values / e->n_mat;
      float *means = g_new (float, e->n_values);

      for (gsize m = 0; m < e->n_mat; m++)
        for (gsize j = 0; j < n_cols; j++)
          {
            gsize k = m * n_cols + j;
            double c = (double) e->counts[m];

            /* as llama-quantize reads each layout */
            if (imatrix->legacy)
              means[k] = (float) (c > 0 ? e->sums[k] / c : e->sums[k]);
            else
              means[k] = c > 0 ? (float) (e->sums[k] / c) : 1.0f;
          }
      e->means = means;
    }
  g_mutex_unlock (&imatrix->means_lock);
  if (n_values)
    *n_values = e->n_values;
  return e->means;
}

gint64
lb_imatrix_get_count (LbImatrix *imatrix, const char *weight_name)
{
  Entry *e;

  g_return_val_if_fail (imatrix != NULL && weight_name != NULL, -1);
  e = g_hash_table_lookup (imatrix->entries, weight_name);
  return e ? e->counts[0] : -1;
}

static gboolean
accumulate_entry (Entry *e, const float *x, gsize n, GError **error)
{
  if (n != e->n_values || e->n_mat != 1)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                   "importance of %s: an input of %" G_GSIZE_FORMAT " values, but the entry "
                   "has %" G_GSIZE_FORMAT " columns", e->name, n, e->n_values);
      return FALSE;
    }
  for (gsize j = 0; j < n; j++)
    {
      if (!isfinite (x[j]))
        {
          g_set_error (error, LB_ERROR, LB_ERROR_NUMERIC,
                       "importance of %s: input column %" G_GSIZE_FORMAT " is %s; the model "
                       "produces non-finite activations", e->name, j,
                       isnan (x[j]) ? "NaN" : "infinite");
          return FALSE;
        }
      e->sums[j] += (double) x[j] * x[j];
    }
  e->counts[0]++;
  g_clear_pointer (&e->means, g_free);
  return TRUE;
}

gboolean
lb_imatrix_accumulate (LbImatrix *imatrix, const char *weight_name, const float *x, gsize n,
                       GError **error)
{
  Entry *e;

  g_return_val_if_fail (imatrix != NULL && weight_name != NULL, FALSE);
  g_return_val_if_fail (x != NULL || n == 0, FALSE);

  e = g_hash_table_lookup (imatrix->entries, weight_name);
  if (e == NULL)
    {
      if (n == 0)
        {
          g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                       "importance of %s: an empty input", weight_name);
          return FALSE;
        }
      e = entry_new (weight_name, n, 1);
      add_entry (imatrix, e);
    }
  return accumulate_entry (e, x, n, error);
}

const char * const *
lb_imatrix_get_datasets (LbImatrix *imatrix)
{
  g_return_val_if_fail (imatrix != NULL, NULL);
  return (const char * const *) imatrix->datasets->pdata;
}

void
lb_imatrix_add_dataset (LbImatrix *imatrix, const char *dataset)
{
  g_return_if_fail (imatrix != NULL && dataset != NULL);
  g_ptr_array_insert (imatrix->datasets, (gint) imatrix->datasets->len - 1, g_strdup (dataset));
}

guint32
lb_imatrix_get_chunk_count (LbImatrix *imatrix)
{
  g_return_val_if_fail (imatrix != NULL, 0);
  return imatrix->chunk_count;
}

guint32
lb_imatrix_get_chunk_size (LbImatrix *imatrix)
{
  g_return_val_if_fail (imatrix != NULL, 0);
  return imatrix->chunk_size;
}

void
lb_imatrix_set_chunks (LbImatrix *imatrix, guint32 chunk_count, guint32 chunk_size)
{
  g_return_if_fail (imatrix != NULL);
  imatrix->chunk_count = chunk_count;
  imatrix->chunk_size = chunk_size;
}

/* ---- reading: GGUF -------------------------------------------------------- */

static gboolean
read_f32 (const LbTensor *t, gsize i, float *out)
{
  memcpy (out, t->data + i * 4, 4);
#if G_BYTE_ORDER == G_BIG_ENDIAN
  *out = lb_fp32_from_bits (GUINT32_FROM_LE (lb_fp32_to_bits (*out)));
#endif
  return isfinite (*out) && *out >= 0.0f;
}

static gboolean
check_f32_tensor (const LbTensor *t, const char *source, GError **error)
{
  gint64 n = lb_tensor_n_elements (t);

  if (t->type != LB_TYPE_F32)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "%s: tensor %s has type %s; importance data is F32", source, t->name,
                   lb_type_get_name (t->type));
      return FALSE;
    }
  if (n < 1 || t->data == NULL || (guint64) n > t->n_bytes / 4)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "%s: tensor %s has %" G_GSIZE_FORMAT " bytes for %" G_GINT64_FORMAT
                   " values", source, t->name, t->n_bytes, n);
      return FALSE;
    }
  return TRUE;
}

static gboolean
load_gguf_entry (LbImatrix *im, LbGgufReader *reader, const LbTensor *sums, const char *source,
                 GError **error)
{
  g_autofree char *name = g_strndup (sums->name, strlen (sums->name) - strlen (".in_sum2"));
  g_autofree char *counts_name = g_strconcat (name, ".counts", NULL);
  const LbTensor *counts = lb_gguf_reader_find_tensor (reader, counts_name);
  gint64 n_values, n_mat;
  Entry *e;

  if (counts == NULL)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "%s: %s has sums but no %s tensor", source, name, counts_name);
      return FALSE;
    }
  if (!check_f32_tensor (sums, source, error) || !check_f32_tensor (counts, source, error))
    return FALSE;
  n_values = lb_tensor_n_elements (sums);
  n_mat = lb_tensor_n_elements (counts);
  if (n_values % n_mat != 0)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "%s: %s has %" G_GINT64_FORMAT " sums for %" G_GINT64_FORMAT
                   " matrices", source, name, n_values, n_mat);
      return FALSE;
    }

  e = entry_new (name, (gsize) n_values, (gsize) n_mat);
  for (gint64 m = 0; m < n_mat; m++)
    {
      float c;
      if (!read_f32 (counts, (gsize) m, &c) || c > 9.0e18f)
        {
          g_set_error (error, LB_ERROR, LB_ERROR_NUMERIC,
                       "%s: %s: count %" G_GINT64_FORMAT " is %g, not a token count", source,
                       counts_name, m, (double) c);
          entry_free (e);
          return FALSE;
        }
      e->counts[m] = (gint64) llroundf (c);
    }
  for (gint64 j = 0; j < n_values; j++)
    {
      float v;
      if (!read_f32 (sums, (gsize) j, &v))
        {
          g_set_error (error, LB_ERROR, LB_ERROR_NUMERIC,
                       "%s: %s: value %" G_GINT64_FORMAT " is %g; sums of squares are finite "
                       "and not negative", source, sums->name, j, (double) v);
          entry_free (e);
          return FALSE;
        }
      e->sums[j] = v;
    }
  add_entry (im, e);
  return TRUE;
}

static LbImatrix *
load_gguf (GBytes *bytes, const char *source, GError **error)
{
  g_autoptr (LbGgufReader) reader = NULL;
  g_autoptr (LbImatrix) im = NULL;
  GError *local = NULL;
  LbMeta *meta;
  const LbValue *datasets;
  const char *type;
  guint32 u;

  reader = lb_gguf_reader_open_bytes (bytes, &local);
  if (reader == NULL)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE, "%s: %s", source, local->message);
      g_error_free (local);
      return NULL;
    }
  meta = lb_gguf_reader_get_meta (reader);
  type = lb_meta_get_string (meta, "general.type");
  if (type != NULL && strcmp (type, "imatrix") != 0)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "%s is a GGUF %s, not importance data (general.type is \"%s\")", source,
                   type, type);
      return NULL;
    }

  im = lb_imatrix_new ();
  if (!lb_meta_get_u32 (meta, "imatrix.chunk_count", &u, &local))
    u = 0;
  if (local)
    goto bad_meta;
  im->chunk_count = u;
  if (!lb_meta_get_u32 (meta, "imatrix.chunk_size", &u, &local))
    u = 0;
  if (local)
    goto bad_meta;
  im->chunk_size = u;
  datasets = lb_meta_lookup (meta, "imatrix.datasets");
  if (datasets && datasets->type == LB_VALUE_ARRAY && datasets->arr.elem_type == LB_VALUE_STRING)
    for (gsize i = 0; i < datasets->arr.n; i++)
      {
        /* GGUF strings are bytes; names are kept as text */
        g_autofree char *valid = g_utf8_make_valid (datasets->arr.strings[i].data, -1);
        lb_imatrix_add_dataset (im, valid);
      }

  for (guint i = 0; i < lb_gguf_reader_get_n_tensors (reader); i++)
    {
      const LbTensor *t = lb_gguf_reader_get_tensor (reader, i);

      if (g_str_has_suffix (t->name, ".in_sum2") && strlen (t->name) > strlen (".in_sum2")
          && !load_gguf_entry (im, reader, t, source, error))
        return NULL;
    }
  if (g_hash_table_size (im->entries) == 0)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "%s: no importance data (no *.in_sum2 tensors)", source);
      return NULL;
    }
  return g_steal_pointer (&im);

bad_meta:
  g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE, "%s: %s", source, local->message);
  g_error_free (local);
  return NULL;
}

/* ---- reading: legacy .dat -------------------------------------------------- */

typedef struct {
  const guint8 *data;
  gsize         len;
  gsize         pos;
  const char   *source;
} Cursor;

static gboolean
read_i32 (Cursor *c, const char *what, gint32 *out, GError **error)
{
  guint32 u;

  if (c->len - c->pos < 4)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "%s: the file ends at byte %" G_GSIZE_FORMAT " where %s was expected",
                   c->source, c->len, what);
      return FALSE;
    }
  memcpy (&u, c->data + c->pos, 4);
  *out = (gint32) GUINT32_FROM_LE (u);
  c->pos += 4;
  return TRUE;
}

static LbImatrix *
load_legacy (GBytes *bytes, const char *source, GError **error)
{
  Cursor c = { 0 };
  g_autoptr (LbImatrix) im = lb_imatrix_new ();
  gint32 n_entries;

  c.data = g_bytes_get_data (bytes, &c.len);
  c.source = source;
  im->legacy = TRUE;

  if (!read_i32 (&c, "the entry count", &n_entries, error))
    return NULL;
  if (n_entries < 1)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "%s: not importance data: %d entries at byte 0 (neither a GGUF imatrix nor "
                   "a legacy .dat)", source, n_entries);
      return NULL;
    }
  for (gint32 i = 0; i < n_entries; i++)
    {
      gint32 name_len, ncall, nval;
      gsize at = c.pos;
      g_autofree char *name = NULL;
      Entry *e;

      if (!read_i32 (&c, "a name length", &name_len, error))
        return NULL;
      if (name_len < 1 || (gsize) name_len > c.len - c.pos)
        {
          g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                       "%s: entry %d at byte %" G_GSIZE_FORMAT ": name length %d does not fit "
                       "the file", source, i + 1, at, name_len);
          return NULL;
        }
      name = g_strndup ((const char *) c.data + c.pos, (gsize) name_len);
      c.pos += (gsize) name_len;
      if (strlen (name) != (gsize) name_len || !g_utf8_validate (name, -1, NULL))
        {
          g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                       "%s: entry %d at byte %" G_GSIZE_FORMAT ": the name is not text",
                       source, i + 1, at);
          return NULL;
        }
      if (!read_i32 (&c, "a call count", &ncall, error)
          || !read_i32 (&c, "a value count", &nval, error))
        return NULL;
      if (ncall < 0 || nval < 1 || (gsize) nval > (c.len - c.pos) / 4)
        {
          g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                       "%s: entry %s at byte %" G_GSIZE_FORMAT ": %d calls and %d values do "
                       "not fit the file", source, name, at, ncall, nval);
          return NULL;
        }
      if (g_hash_table_contains (im->entries, name))
        {
          g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                       "%s: entry %s at byte %" G_GSIZE_FORMAT " appears twice", source, name, at);
          return NULL;
        }
      e = entry_new (name, (gsize) nval, 1);
      e->counts[0] = ncall;
      for (gint32 j = 0; j < nval; j++)
        {
          float v;
          guint32 u;

          memcpy (&u, c.data + c.pos + 4 * (gsize) j, 4);
          v = lb_fp32_from_bits (GUINT32_FROM_LE (u));
          if (!isfinite (v) || v < 0.0f)
            {
              g_set_error (error, LB_ERROR, LB_ERROR_NUMERIC,
                           "%s: entry %s: value %d (byte %" G_GSIZE_FORMAT ") is %g; importance "
                           "is finite and not negative", source, name, j,
                           c.pos + 4 * (gsize) j, (double) v);
              entry_free (e);
              return NULL;
            }
          e->sums[j] = v;
        }
      c.pos += 4 * (gsize) nval;
      add_entry (im, e);
    }

  /* optional trailer: chunk count, then the dataset name */
  if (c.pos < c.len)
    {
      gint32 n_chunks, len;

      if (!read_i32 (&c, "the chunk count", &n_chunks, error))
        return NULL;
      im->chunk_count = n_chunks > 0 ? (guint32) n_chunks : 0;
      if (c.pos < c.len)
        {
          if (!read_i32 (&c, "the dataset name length", &len, error))
            return NULL;
          if (len < 0 || (gsize) len > c.len - c.pos)
            {
              g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                           "%s: dataset name length %d at byte %" G_GSIZE_FORMAT " does not fit "
                           "the file", source, len, c.pos - 4);
              return NULL;
            }
          if (len > 0)
            {
              g_autofree char *raw = g_strndup ((const char *) c.data + c.pos, (gsize) len);
              g_autofree char *dataset = g_utf8_make_valid (raw, -1);
              lb_imatrix_add_dataset (im, dataset);
            }
        }
    }
  return g_steal_pointer (&im);
}

LbImatrix *
lb_imatrix_load_bytes (GBytes *bytes, const char *source_name, GError **error)
{
  gsize len;
  const guint8 *data;

  g_return_val_if_fail (bytes != NULL, NULL);

  if (source_name == NULL)
    source_name = "importance data";
  data = g_bytes_get_data (bytes, &len);
  if (len >= 4 && memcmp (data, "GGUF", 4) == 0)
    return load_gguf (bytes, source_name, error);
  return load_legacy (bytes, source_name, error);
}

LbImatrix *
lb_imatrix_load (const char *path, GError **error)
{
  g_autoptr (GMappedFile) mapped = NULL;
  g_autoptr (GBytes) bytes = NULL;
  LbImatrix *im;
  GError *local = NULL;

  g_return_val_if_fail (path != NULL, NULL);

  mapped = g_mapped_file_new (path, FALSE, &local);
  if (mapped == NULL)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_IO, "cannot read importance data %s: %s", path,
                   local->message);
      g_error_free (local);
      return NULL;
    }
  bytes = g_mapped_file_get_bytes (mapped);
  im = lb_imatrix_load_bytes (bytes, path, error);
  if (im)
    im->path = g_strdup (path);
  return im;
}

/* ---- writing ---------------------------------------------------------------- */

gboolean
lb_imatrix_save (LbImatrix *imatrix, const char *path, GError **error)
{
  g_autoptr (LbMeta) meta = lb_meta_new ();
  g_autoptr (LbGgufWriter) writer = NULL;
  GPtrArray *sorted;

  g_return_val_if_fail (imatrix != NULL && path != NULL, FALSE);

  lb_meta_set_string (meta, "general.type", "imatrix");
  lb_meta_set_strv (meta, "imatrix.datasets", lb_imatrix_get_datasets (imatrix),
                    imatrix->datasets->len - 1);
  lb_meta_set_u32 (meta, "imatrix.chunk_count", imatrix->chunk_count);
  lb_meta_set_u32 (meta, "imatrix.chunk_size", imatrix->chunk_size);

  writer = lb_gguf_writer_new (path, meta, error);
  if (writer == NULL)
    return FALSE;
  sorted = sorted_entries (imatrix);
  for (guint i = 0; i < sorted->len; i++)
    {
      Entry *e = g_ptr_array_index (sorted, i);
      g_autofree char *sname = g_strconcat (e->name, ".in_sum2", NULL);
      g_autofree char *cname = g_strconcat (e->name, ".counts", NULL);
      gint64 ne_sums[2] = { (gint64) (e->n_values / e->n_mat), (gint64) e->n_mat };
      gint64 ne_counts[2] = { 1, (gint64) e->n_mat };
      guint n_dims = e->n_mat > 1 ? 2 : 1;

      if (!lb_gguf_writer_add_tensor_info (writer, sname, LB_TYPE_F32, n_dims, ne_sums, error)
          || !lb_gguf_writer_add_tensor_info (writer, cname, LB_TYPE_F32, n_dims, ne_counts, error))
        return FALSE;
    }
  if (!lb_gguf_writer_begin_data (writer, error))
    return FALSE;
  for (guint i = 0; i < sorted->len; i++)
    {
      Entry *e = g_ptr_array_index (sorted, i);
      g_autofree float *sums = g_new (float, e->n_values);
      g_autofree float *counts = g_new (float, e->n_mat);
      gsize n_cols = e->n_values / e->n_mat;

      for (gsize m = 0; m < e->n_mat; m++)
        {
          /* a legacy entry holds means times ncall: with ncall as the count
           * the means survive; with no calls its values are the means */
          gboolean no_calls = imatrix->legacy && e->counts[m] <= 0;

          counts[m] = no_calls ? 1.0f : (float) e->counts[m];
          for (gsize j = 0; j < n_cols; j++)
            sums[m * n_cols + j] = (float) e->sums[m * n_cols + j];
        }
      if (!lb_gguf_writer_write_tensor_data (writer, sums, e->n_values * sizeof (float), error)
          || !lb_gguf_writer_write_tensor_data (writer, counts, e->n_mat * sizeof (float), error))
        return FALSE;
    }
  if (!lb_gguf_writer_finish (writer, error))
    return FALSE;
  g_free (imatrix->path);
  imatrix->path = g_strdup (path);
  return TRUE;
}

/* ---- collection ----------------------------------------------------------------- */

typedef struct {
  LbImatrix  *im;
  GHashTable *by_tensor;   /* const LbTensor* -> Entry* (or the table itself: skipped) */
  GError     *error;
} Collector;

static void
on_matmul (const LbTensor *weight, const float *input, gpointer user_data)
{
  Collector *c = user_data;
  gpointer found;
  Entry *e;

  if (c->error != NULL)
    return;
  if (!g_hash_table_lookup_extended (c->by_tensor, weight, NULL, &found))
    {
      /* llama-imatrix collects the inputs of block weights only */
      found = c->by_tensor;
      if (g_str_has_prefix (weight->name, "blk."))
        {
          e = g_hash_table_lookup (c->im->entries, weight->name);
          if (e == NULL)
            {
              e = entry_new (weight->name, (gsize) weight->ne[0], 1);
              add_entry (c->im, e);
            }
          found = e;
        }
      g_hash_table_insert (c->by_tensor, (gpointer) weight, found);
    }
  if (found == c->by_tensor)
    return;
  e = found;
  accumulate_entry (e, input, (gsize) weight->ne[0], &c->error);
}

LbImatrix *
lb_imatrix_collect (LbModel *model, const char *text, gssize len, const char *dataset,
                    guint n_ctx, guint n_chunks, LbProgressFunc progress, gpointer progress_data,
                    GCancellable *cancellable, GError **error)
{
  LbTokenizer *tok;
  g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint32));
  g_autoptr (LbRefEngine) engine = NULL;
  g_autoptr (LbImatrix) im = NULL;
  g_autoptr (GHashTable) by_tensor = NULL;
  Collector c = { 0 };
  guint n_max;
  gint32 bos;

  g_return_val_if_fail (LB_IS_MODEL (model), NULL);
  g_return_val_if_fail (text != NULL || len == 0, NULL);

  if (n_ctx == 0)
    n_ctx = 512;
  tok = lb_model_get_tokenizer (model);
  if (!lb_tokenizer_encode (tok, text ? text : "", len, TRUE, ids, error))
    return NULL;
  n_max = ids->len / n_ctx;
  if (n_max == 0)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                   "the calibration text gives %u tokens, fewer than one chunk of %u; use more "
                   "text or a shorter context", ids->len, n_ctx);
      return NULL;
    }
  if (n_chunks == 0 || n_chunks > n_max)
    n_chunks = n_max;

  engine = lb_ref_engine_new (model, n_ctx, error);
  if (engine == NULL)
    return NULL;

  im = lb_imatrix_new ();
  by_tensor = g_hash_table_new (g_direct_hash, g_direct_equal);
  c.im = im;
  c.by_tensor = by_tensor;
  lb_ref_engine_set_matmul_tap (engine, on_matmul, &c);

  bos = lb_tokenizer_get_bos (tok);
  for (guint chunk = 0; chunk < n_chunks; chunk++)
    {
      const gint32 *tokens = &g_array_index (ids, gint32, (gsize) chunk * n_ctx);

      lb_ref_engine_reset (engine);
      for (guint k = 0; k < n_ctx; k++)
        {
          gint32 id = tokens[k];

          if (k == 0 && lb_tokenizer_get_add_bos (tok) && bos >= 0)
            id = bos;
          if (k % 32 == 0)
            {
              if (g_cancellable_set_error_if_cancelled (cancellable, error))
                return NULL;
              if (progress)
                {
                  g_autofree char *stage = g_strdup_printf ("chunk %u/%u", chunk + 1, n_chunks);
                  progress (((double) chunk * n_ctx + k) / ((double) n_chunks * n_ctx), stage,
                            progress_data);
                }
            }
          if (!lb_ref_engine_eval (engine, id, NULL, error))
            return NULL;
          if (c.error)
            {
              g_propagate_error (error, c.error);
              return NULL;
            }
        }
    }
  if (progress)
    progress (1.0, "done", progress_data);

  if (dataset)
    lb_imatrix_add_dataset (im, dataset);
  im->chunk_count = n_chunks;
  im->chunk_size = n_ctx;
  return g_steal_pointer (&im);
}
