/* lb-variant.c: a base model with per-tensor overrides, built into LbModels */
#include "config.h"

#include <math.h>
#include <string.h>

#include "lb-error.h"
#include "lb-model-private.h"
#include "lb-threadpool.h"
#include "lb-variant.h"

/* rows are quantized in chunks of about this many values, with a
 * cancellation check between chunks */
#define CHUNK_ELEMENTS (1 << 20)
/* and handed to the threads in slices of about this many */
#define GRAIN_ELEMENTS (1 << 14)

typedef struct {
  LbType  type;
  GBytes *bytes;
} Override;

struct _LbVariant
{
  GObject       parent_instance;

  LbModel      *base;
  LbImatrix    *imatrix;
  guint         n_threads;
  LbThreadPool *pool;        /* created on first use; guarded by pool_lock */
  GMutex        pool_lock;   /* held while the pool runs a tensor (its loops take turns anyway) */
  GMutex        lock;        /* guards everything else: short, never held while quantizing */
  GHashTable   *overrides;   /* name (owned) -> Override* */
};

G_DEFINE_FINAL_TYPE (LbVariant, lb_variant, G_TYPE_OBJECT)

static void
override_free (gpointer data)
{
  Override *o = data;

  g_bytes_unref (o->bytes);
  g_free (o);
}

static Override *
override_new (LbType type, GBytes *bytes)
{
  Override *o = g_new0 (Override, 1);

  o->type = type;
  o->bytes = bytes;
  return o;
}

static void
lb_variant_finalize (GObject *object)
{
  LbVariant *self = LB_VARIANT (object);

  g_clear_pointer (&self->overrides, g_hash_table_unref);
  g_clear_pointer (&self->pool, lb_thread_pool_free);
  g_clear_pointer (&self->imatrix, lb_imatrix_unref);
  g_clear_object (&self->base);
  g_mutex_clear (&self->lock);
  g_mutex_clear (&self->pool_lock);

  G_OBJECT_CLASS (lb_variant_parent_class)->finalize (object);
}

static void
lb_variant_class_init (LbVariantClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = lb_variant_finalize;
}

static void
lb_variant_init (LbVariant *self)
{
  g_mutex_init (&self->lock);
  g_mutex_init (&self->pool_lock);
  self->overrides = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, override_free);
}

LbVariant *
lb_variant_new (LbModel *base)
{
  LbVariant *self;

  g_return_val_if_fail (LB_IS_MODEL (base), NULL);

  self = g_object_new (LB_TYPE_VARIANT, NULL);
  self->base = g_object_ref (base);
  return self;
}

LbModel *
lb_variant_get_base (LbVariant *self)
{
  g_return_val_if_fail (LB_IS_VARIANT (self), NULL);
  return self->base;
}

void
lb_variant_set_imatrix (LbVariant *self, LbImatrix *imatrix)
{
  g_return_if_fail (LB_IS_VARIANT (self));

  g_mutex_lock (&self->lock);
  if (imatrix)
    lb_imatrix_ref (imatrix);
  g_clear_pointer (&self->imatrix, lb_imatrix_unref);
  self->imatrix = imatrix;
  g_mutex_unlock (&self->lock);
}

LbImatrix *
lb_variant_get_imatrix (LbVariant *self)
{
  g_return_val_if_fail (LB_IS_VARIANT (self), NULL);
  return self->imatrix;
}

void
lb_variant_set_n_threads (LbVariant *self, guint n_threads)
{
  g_return_if_fail (LB_IS_VARIANT (self));

  g_mutex_lock (&self->pool_lock);
  if (n_threads != self->n_threads)
    {
      self->n_threads = n_threads;
      g_clear_pointer (&self->pool, lb_thread_pool_free);
    }
  g_mutex_unlock (&self->pool_lock);
}

/* ---- helpers ------------------------------------------------------------ */

guint64
lb_tensor_bytes_as (const LbTensor *t, LbType type)
{
  gint64 n_rows;
  gsize row;

  g_return_val_if_fail (t != NULL, 0);

  if (lb_type_get_traits (type) == NULL)
    return 0;
  row = lb_type_row_size (type, t->ne[0]);
  n_rows = lb_tensor_n_rows (t);
  if (row == 0 || n_rows < 0)
    return 0;
  return (guint64) row * (guint64) n_rows;
}

gboolean
lb_tensor_check_convertible (const LbTensor *t, LbType type, GError **error)
{
  const LbTypeTraits *src = lb_type_get_traits (t->type);
  const LbTypeTraits *dst = lb_type_get_traits (type);
  gsize in_row;

  if (src == NULL || src->to_float == NULL)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_UNSUPPORTED,
                   "tensor %s has type %s, which Lowbit cannot read", t->name,
                   src ? src->name : "(unknown)");
      return FALSE;
    }
  if (dst == NULL || dst->from_float == NULL)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_UNSUPPORTED,
                   "tensor %s: Lowbit cannot produce type %s", t->name,
                   dst ? dst->name : "(unknown)");
      return FALSE;
    }
  if (t->ne[0] <= 0 || lb_type_row_size (type, t->ne[0]) == 0)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                   "tensor %s: rows of %" G_GINT64_FORMAT " values do not fit %s, whose blocks "
                   "hold %u; choose another type for it (a recipe picks a fallback)",
                   t->name, t->ne[0], dst->name, dst->block_size);
      return FALSE;
    }
  in_row = lb_type_row_size (t->type, t->ne[0]);
  if (in_row == 0 || t->data == NULL
      || (guint64) lb_tensor_n_rows (t) > t->n_bytes / in_row)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "tensor %s: %" G_GSIZE_FORMAT " bytes of data for %" G_GINT64_FORMAT
                   " rows of %" G_GINT64_FORMAT " %s values", t->name, t->n_bytes,
                   lb_tensor_n_rows (t), t->ne[0], src->name);
      return FALSE;
    }
  return TRUE;
}

gboolean
lb_tensor_find_importance (const LbTensor *t, LbImatrix *imatrix, const float **importance,
                           gsize *n_values, GError **error)
{
  const float *imp;
  gsize n = 0;
  gint64 n_mat = t->ne[2] * t->ne[3];

  *importance = NULL;
  *n_values = 0;
  if (imatrix == NULL)
    return TRUE;
  imp = lb_imatrix_get_importance (imatrix, t->name, &n);
  if (imp == NULL)
    return TRUE;
  if (n == (gsize) t->ne[0] || n == (gsize) (t->ne[0] * n_mat))
    {
      *importance = imp;
      *n_values = n;
      return TRUE;
    }
  /* llama-quantize tolerates a mismatch for the embedding only */
  if (strcmp (t->name, "token_embd.weight") == 0)
    return TRUE;
  g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
               "tensor %s has %" G_GINT64_FORMAT " columns but its importance data has %"
               G_GSIZE_FORMAT " values: the importance data was made for another model",
               t->name, t->ne[0], n);
  return FALSE;
}

/* ---- quantizing one tensor -------------------------------------------------- */

typedef struct {
  gboolean found;
  gint64   row;
  gint64   col;
  float    value;
} BadValue;

typedef struct {
  const LbTensor     *t;
  const LbTypeTraits *src, *dst;
  gsize               in_row, out_row;
  const float        *importance;
  gboolean            per_matrix;
  guint8             *out;
  gint64              first_row;   /* of the chunk being run */
  float             **scratch;     /* per thread, ne[0] floats */
  BadValue           *bad;         /* per thread: the first non-finite value seen */
} QuantJob;

static void
quant_rows (gsize begin, gsize end, guint thread, gpointer user_data)
{
  QuantJob *j = user_data;
  gint64 ne0 = j->t->ne[0];
  gint64 ne1 = MAX (j->t->ne[1], 1);
  float *x = j->scratch[thread];

  for (gsize r = begin; r < end; r++)
    {
      gint64 row = j->first_row + (gint64) r;
      const float *imp = j->importance;

      j->src->to_float (j->t->data + (gsize) row * j->in_row, x, ne0);
      for (gint64 c = 0; c < ne0; c++)
        if (!isfinite (x[c]))
          {
            BadValue *b = &j->bad[thread];
            if (!b->found || row < b->row)
              {
                b->found = TRUE;
                b->row = row;
                b->col = c;
                b->value = x[c];
              }
            return;
          }
      if (imp && j->per_matrix)
        imp += (row / ne1) * ne0;
      j->dst->from_float (x, j->out + (gsize) row * j->out_row, ne0, imp);
    }
}

/* with pool_lock held */
static LbThreadPool *
get_pool (LbVariant *self, GError **error)
{
  if (self->pool == NULL)
    self->pool = lb_thread_pool_new (self->n_threads, error);
  return self->pool;
}

/* t's rows quantized to type, or NULL + error. done/total: elements, for
 * progress across several tensors. Called with pool_lock held. */
static GBytes *
quantize_tensor_locked (LbVariant *self, const LbTensor *t, LbType type, LbImatrix *imatrix,
                        LbProgressFunc progress, gpointer progress_data, guint64 *done,
                        guint64 total, GCancellable *cancellable, GError **error)
{
  LbThreadPool *pool;
  QuantJob job = { 0 };
  gint64 n_rows = lb_tensor_n_rows (t);
  gint64 ne0 = t->ne[0];
  gint64 rows_per_chunk, grain;
  guint64 out_bytes;
  guint n_threads;
  const float *imp = NULL;
  gsize n_imp = 0;
  GBytes *result = NULL;
  gboolean ok = TRUE;

  if (!lb_tensor_check_convertible (t, type, error)
      || !lb_tensor_find_importance (t, imatrix, &imp, &n_imp, error))
    return NULL;
  pool = get_pool (self, error);
  if (pool == NULL)
    return NULL;

  out_bytes = lb_tensor_bytes_as (t, type);
  job.t = t;
  job.src = lb_type_get_traits (t->type);
  job.dst = lb_type_get_traits (type);
  job.in_row = lb_type_row_size (t->type, ne0);
  job.out_row = lb_type_row_size (type, ne0);
  job.importance = imp;
  job.per_matrix = imp != NULL && n_imp != (gsize) ne0;
  job.out = g_try_malloc (MAX (out_bytes, 1));
  if (job.out == NULL)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_FAILED,
                   "tensor %s: out of memory for %" G_GUINT64_FORMAT " bytes of %s", t->name,
                   out_bytes, lb_type_get_name (type));
      return NULL;
    }
  n_threads = lb_thread_pool_get_n_threads (pool);
  job.scratch = g_new0 (float *, n_threads);
  for (guint i = 0; i < n_threads; i++)
    job.scratch[i] = g_new (float, ne0);
  job.bad = g_new0 (BadValue, n_threads);

  rows_per_chunk = MAX (CHUNK_ELEMENTS / ne0, 1);
  grain = MAX (GRAIN_ELEMENTS / ne0, 1);
  for (gint64 r0 = 0; r0 < n_rows && ok; r0 += rows_per_chunk)
    {
      gint64 n = MIN (rows_per_chunk, n_rows - r0);

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        {
          ok = FALSE;
          break;
        }
      job.first_row = r0;
      lb_thread_pool_run (pool, (gsize) n, (gsize) grain, quant_rows, &job);
      for (guint i = 0; i < n_threads; i++)
        if (job.bad[i].found)
          {
            g_set_error (error, LB_ERROR, LB_ERROR_NUMERIC,
                         "tensor %s: the value at row %" G_GINT64_FORMAT ", column %"
                         G_GINT64_FORMAT " is %s; the model is damaged", t->name,
                         job.bad[i].row, job.bad[i].col,
                         isnan (job.bad[i].value) ? "NaN" : "infinite");
            ok = FALSE;
            break;
          }
      if (done)
        *done += (guint64) (n * ne0);
      if (ok && progress)
        {
          g_autofree char *stage = g_strdup_printf ("%s -> %s", t->name,
                                                    lb_type_get_name (type));
          progress (total ? (double) *done / (double) total : 1.0, stage, progress_data);
        }
    }

  for (guint i = 0; i < n_threads; i++)
    g_free (job.scratch[i]);
  g_free (job.scratch);
  g_free (job.bad);
  if (ok)
    result = g_bytes_new_take (job.out, out_bytes);
  else
    g_free (job.out);
  return result;
}

static GBytes *
quantize_tensor (LbVariant *self, const LbTensor *t, LbType type, LbImatrix *imatrix,
                 LbProgressFunc progress, gpointer progress_data, guint64 *done, guint64 total,
                 GCancellable *cancellable, GError **error)
{
  GBytes *bytes;

  g_mutex_lock (&self->pool_lock);
  bytes = quantize_tensor_locked (self, t, type, imatrix, progress, progress_data, done, total,
                                  cancellable, error);
  g_mutex_unlock (&self->pool_lock);
  return bytes;
}

static const LbTensor *
find_tensor (LbVariant *self, const char *name, GError **error)
{
  const LbTensor *t = lb_model_find_tensor (self->base, name);

  if (t == NULL)
    g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                 "the model %s has no tensor named \"%s\"", lb_model_get_name (self->base),
                 name);
  return t;
}

/* Stores (or with bytes NULL, drops) an override; takes bytes. */
static void
store_override (LbVariant *self, const char *name, LbType type, GBytes *bytes)
{
  g_mutex_lock (&self->lock);
  if (bytes == NULL)
    g_hash_table_remove (self->overrides, name);
  else
    g_hash_table_replace (self->overrides, g_strdup (name), override_new (type, bytes));
  g_mutex_unlock (&self->lock);
}

static LbImatrix *
dup_imatrix (LbVariant *self)
{
  LbImatrix *imatrix;

  g_mutex_lock (&self->lock);
  imatrix = self->imatrix ? lb_imatrix_ref (self->imatrix) : NULL;
  g_mutex_unlock (&self->lock);
  return imatrix;
}

gboolean
lb_variant_requantize_one (LbVariant *self, const char *name, LbType type,
                           GCancellable *cancellable, GError **error)
{
  g_autoptr (LbImatrix) imatrix = NULL;
  const LbTensor *t;
  GBytes *bytes;

  g_return_val_if_fail (LB_IS_VARIANT (self), FALSE);
  g_return_val_if_fail (name != NULL, FALSE);

  t = find_tensor (self, name, error);
  if (t == NULL)
    return FALSE;
  if (type == t->type)
    {
      store_override (self, name, type, NULL);
      return TRUE;
    }
  imatrix = dup_imatrix (self);
  bytes = quantize_tensor (self, t, type, imatrix, NULL, NULL, NULL, 0, cancellable, error);
  if (bytes == NULL)
    return FALSE;
  store_override (self, name, type, bytes);
  return TRUE;
}

typedef struct {
  char   *name;
  LbType  type;
} RequantizeData;

static void
requantize_data_free (RequantizeData *d)
{
  g_free (d->name);
  g_free (d);
}

static void
requantize_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  RequantizeData *d = task_data;
  GError *error = NULL;

  if (lb_variant_requantize_one (source, d->name, d->type, cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

void
lb_variant_requantize_async (LbVariant *self, const char *name, LbType type,
                             GCancellable *cancellable, GAsyncReadyCallback callback,
                             gpointer user_data)
{
  g_autoptr (GTask) task = NULL;
  RequantizeData *d;

  g_return_if_fail (LB_IS_VARIANT (self));
  g_return_if_fail (name != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, lb_variant_requantize_async);
  d = g_new0 (RequantizeData, 1);
  d->name = g_strdup (name);
  d->type = type;
  g_task_set_task_data (task, d, (GDestroyNotify) requantize_data_free);
  g_task_run_in_thread (task, requantize_thread);
}

gboolean
lb_variant_requantize_finish (LbVariant *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == lb_variant_requantize_async,
                        FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

gboolean
lb_variant_set_types (LbVariant *self, GHashTable *overrides, LbProgressFunc progress,
                      gpointer progress_data, GCancellable *cancellable, GError **error)
{
  g_autoptr (LbImatrix) imatrix = NULL;
  g_autoptr (GPtrArray) names = NULL;
  g_autoptr (GPtrArray) results = NULL;
  guint64 total = 0, done = 0;

  g_return_val_if_fail (LB_IS_VARIANT (self), FALSE);

  if (overrides == NULL)
    return TRUE;

  /* validate everything first, in the base's tensor order */
  names = g_ptr_array_new ();
  for (guint i = 0; i < lb_model_get_n_tensors (self->base); i++)
    {
      const LbTensor *t = lb_model_get_tensor (self->base, i);
      gpointer value;

      if (!g_hash_table_lookup_extended (overrides, t->name, NULL, &value))
        continue;
      g_ptr_array_add (names, (gpointer) t);
      if ((LbType) GPOINTER_TO_INT (value) != t->type)
        {
          if (!lb_tensor_check_convertible (t, (LbType) GPOINTER_TO_INT (value), error))
            return FALSE;
          total += (guint64) lb_tensor_n_elements (t);
        }
    }
  if (names->len != g_hash_table_size (overrides))
    {
      GHashTableIter iter;
      gpointer key;

      g_hash_table_iter_init (&iter, overrides);
      while (g_hash_table_iter_next (&iter, &key, NULL))
        if (find_tensor (self, key, error) == NULL)
          return FALSE;
    }

  imatrix = dup_imatrix (self);
  results = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  for (guint i = 0; i < names->len; i++)
    {
      const LbTensor *t = g_ptr_array_index (names, i);
      LbType type = GPOINTER_TO_INT (g_hash_table_lookup (overrides, t->name));
      GBytes *bytes = NULL;

      if (type != t->type)
        {
          bytes = quantize_tensor (self, t, type, imatrix, progress, progress_data, &done,
                                   total, cancellable, error);
          if (bytes == NULL)
            return FALSE;
        }
      /* an empty placeholder where the override is dropped */
      g_ptr_array_add (results, bytes ? bytes : g_bytes_new (NULL, 0));
    }

  g_mutex_lock (&self->lock);
  for (guint i = 0; i < names->len; i++)
    {
      const LbTensor *t = g_ptr_array_index (names, i);
      LbType type = GPOINTER_TO_INT (g_hash_table_lookup (overrides, t->name));

      if (type == t->type)
        g_hash_table_remove (self->overrides, t->name);
      else
        g_hash_table_replace (self->overrides, g_strdup (t->name),
                              override_new (type, g_bytes_ref (g_ptr_array_index (results, i))));
    }
  g_mutex_unlock (&self->lock);
  return TRUE;
}

gboolean
lb_variant_set_tensor_data (LbVariant *self, const char *name, LbType type, GBytes *data,
                            GError **error)
{
  const LbTensor *t;
  guint64 want;

  g_return_val_if_fail (LB_IS_VARIANT (self), FALSE);
  g_return_val_if_fail (name != NULL && data != NULL, FALSE);

  t = find_tensor (self, name, error);
  if (t == NULL)
    return FALSE;
  want = lb_tensor_bytes_as (t, type);
  if (want == 0 || want != g_bytes_get_size (data))
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                   "tensor %s: %" G_GSIZE_FORMAT " bytes given, but its shape in %s takes %"
                   G_GUINT64_FORMAT, name, g_bytes_get_size (data), lb_type_get_name (type),
                   want);
      return FALSE;
    }
  store_override (self, name, type, g_bytes_ref (data));
  return TRUE;
}

gboolean
lb_variant_take_tensor (LbVariant *self, const char *name, LbModel *source, GError **error)
{
  const LbTensor *t, *s;
  GBytes *bytes;

  g_return_val_if_fail (LB_IS_VARIANT (self), FALSE);
  g_return_val_if_fail (LB_IS_MODEL (source), FALSE);

  t = find_tensor (self, name, error);
  if (t == NULL)
    return FALSE;
  s = lb_model_find_tensor (source, name);
  if (s == NULL)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                   "the model %s has no tensor named \"%s\"", lb_model_get_name (source), name);
      return FALSE;
    }
  if (memcmp (s->ne, t->ne, sizeof t->ne) != 0 || lb_tensor_bytes_as (s, s->type) == 0
      || lb_tensor_bytes_as (s, s->type) > s->n_bytes)
    {
      g_autofree char *a = lb_tensor_shape_string (t);
      g_autofree char *b = lb_tensor_shape_string (s);
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                   "tensor %s has shape %s in %s but %s (%s, %" G_GSIZE_FORMAT " bytes) in %s",
                   name, a, lb_model_get_name (self->base), b, lb_type_get_name (s->type),
                   s->n_bytes, lb_model_get_name (source));
      return FALSE;
    }
  if (s->data == t->data && s->type == t->type)
    {
      store_override (self, name, t->type, NULL);
      return TRUE;
    }
  /* a view of source's bytes that keeps source alive */
  bytes = g_bytes_new_with_free_func (s->data, lb_tensor_bytes_as (s, s->type), g_object_unref,
                                      g_object_ref (source));
  store_override (self, name, s->type, bytes);
  return TRUE;
}

gboolean
lb_variant_reset_tensor (LbVariant *self, const char *name)
{
  gboolean removed;

  g_return_val_if_fail (LB_IS_VARIANT (self), FALSE);

  g_mutex_lock (&self->lock);
  removed = g_hash_table_remove (self->overrides, name);
  g_mutex_unlock (&self->lock);
  return removed;
}

void
lb_variant_reset_all (LbVariant *self)
{
  g_return_if_fail (LB_IS_VARIANT (self));

  g_mutex_lock (&self->lock);
  g_hash_table_remove_all (self->overrides);
  g_mutex_unlock (&self->lock);
}

/* ---- queries ------------------------------------------------------------------ */

LbType
lb_variant_get_tensor_type (LbVariant *self, const char *name)
{
  const LbTensor *t;
  Override *o;
  LbType type;

  g_return_val_if_fail (LB_IS_VARIANT (self), LB_TYPE_COUNT);

  t = lb_model_find_tensor (self->base, name);
  if (t == NULL)
    return LB_TYPE_COUNT;
  g_mutex_lock (&self->lock);
  o = g_hash_table_lookup (self->overrides, name);
  type = o ? o->type : t->type;
  g_mutex_unlock (&self->lock);
  return type;
}

gboolean
lb_variant_is_overridden (LbVariant *self, const char *name)
{
  gboolean found;

  g_return_val_if_fail (LB_IS_VARIANT (self), FALSE);

  g_mutex_lock (&self->lock);
  found = g_hash_table_contains (self->overrides, name);
  g_mutex_unlock (&self->lock);
  return found;
}

guint
lb_variant_get_n_overrides (LbVariant *self)
{
  guint n;

  g_return_val_if_fail (LB_IS_VARIANT (self), 0);

  g_mutex_lock (&self->lock);
  n = g_hash_table_size (self->overrides);
  g_mutex_unlock (&self->lock);
  return n;
}

static int
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char * const *) a, *(char * const *) b);
}

char **
lb_variant_list_overrides (LbVariant *self)
{
  GPtrArray *names = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer key;

  g_return_val_if_fail (LB_IS_VARIANT (self), NULL);

  g_mutex_lock (&self->lock);
  g_hash_table_iter_init (&iter, self->overrides);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_ptr_array_add (names, g_strdup (key));
  g_mutex_unlock (&self->lock);
  g_ptr_array_sort (names, compare_strings);
  g_ptr_array_add (names, NULL);
  return (char **) g_ptr_array_free (names, FALSE);
}

/* with the lock held */
static guint64
tensor_bytes_locked (LbVariant *self, const LbTensor *t)
{
  Override *o = g_hash_table_lookup (self->overrides, t->name);

  return o ? g_bytes_get_size (o->bytes) : t->n_bytes;
}

guint64
lb_variant_get_tensor_bytes (LbVariant *self, const char *name)
{
  const LbTensor *t;
  guint64 n;

  g_return_val_if_fail (LB_IS_VARIANT (self), 0);

  t = lb_model_find_tensor (self->base, name);
  if (t == NULL)
    return 0;
  g_mutex_lock (&self->lock);
  n = tensor_bytes_locked (self, t);
  g_mutex_unlock (&self->lock);
  return n;
}

guint64
lb_variant_get_data_bytes (LbVariant *self)
{
  guint64 n = 0;

  g_return_val_if_fail (LB_IS_VARIANT (self), 0);

  g_mutex_lock (&self->lock);
  for (guint i = 0; i < lb_model_get_n_tensors (self->base); i++)
    n += tensor_bytes_locked (self, lb_model_get_tensor (self->base, i));
  g_mutex_unlock (&self->lock);
  return n;
}

/* ---- building ------------------------------------------------------------------ */

LbModel *
lb_variant_build_model (LbVariant *self, GError **error)
{
  LbModel *base;
  GPtrArray *tensors, *keepalive;
  guint n;

  g_return_val_if_fail (LB_IS_VARIANT (self), NULL);

  base = self->base;
  n = lb_model_get_n_tensors (base);
  tensors = g_ptr_array_new_full (n, (GDestroyNotify) lb_tensor_free);
  keepalive = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  /* the base owns the bytes of every unchanged tensor: keep it alive */
  g_ptr_array_add (keepalive, g_bytes_new_with_free_func (base, 0, g_object_unref,
                                                          g_object_ref (base)));

  g_mutex_lock (&self->lock);
  for (guint i = 0; i < n; i++)
    {
      const LbTensor *t = lb_model_get_tensor (base, i);
      Override *o = g_hash_table_lookup (self->overrides, t->name);

      if (o == NULL)
        g_ptr_array_add (tensors, lb_tensor_new (t->name, t->type, t->n_dims, t->ne, t->data,
                                                 t->n_bytes));
      else
        {
          gsize size;
          gconstpointer data = g_bytes_get_data (o->bytes, &size);

          g_ptr_array_add (tensors, lb_tensor_new (t->name, o->type, t->n_dims, t->ne, data,
                                                   size));
          g_ptr_array_add (keepalive, g_bytes_ref (o->bytes));
        }
    }
  g_mutex_unlock (&self->lock);

  return lb_model_new_from_parts (lb_model_get_path (base), lb_model_get_format (base),
                                  lb_model_get_file_size (base),
                                  lb_meta_ref (lb_model_get_meta (base)), tensors, keepalive,
                                  error);
}

LbModel *
lb_variant_build (LbModel *base, GHashTable *overrides, LbImatrix *imatrix, guint n_threads,
                  LbProgressFunc progress, gpointer progress_data, GCancellable *cancellable,
                  GError **error)
{
  g_autoptr (LbVariant) variant = NULL;

  g_return_val_if_fail (LB_IS_MODEL (base), NULL);

  variant = lb_variant_new (base);
  lb_variant_set_imatrix (variant, imatrix);
  lb_variant_set_n_threads (variant, n_threads);
  if (!lb_variant_set_types (variant, overrides, progress, progress_data, cancellable, error))
    return NULL;
  return lb_variant_build_model (variant, error);
}
