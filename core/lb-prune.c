/* lb-prune.c: pruning whole tensors, a variant or a model (lb-prune.h) */
#include "config.h"

#include <math.h>
#include <string.h>

#include "lb-error.h"
#include "lb-prune.h"
#include "lb-recipe.h"
#include "lb-threadpool.h"

/* rows are pruned in chunks of about this many values, with a
 * cancellation check between chunks */
#define CHUNK_ELEMENTS (1 << 20)

void
lb_prune_report_free (LbPruneReport *report)
{
  if (report == NULL)
    return;
  for (guint i = 0; report->tensors && i < report->tensors->len; i++)
    g_free (g_array_index (report->tensors, LbPruneTensorStat, i).name);
  g_clear_pointer (&report->tensors, g_array_unref);
  g_strfreev (report->warnings);
  g_free (report);
}

double
lb_prune_report_sparsity (const LbPruneReport *report)
{
  g_return_val_if_fail (report != NULL, 0);
  return report->n_elements ? (double) report->n_zero / (double) report->n_elements : 0;
}

/* ---- one tensor ------------------------------------------------------------- */

typedef struct {
  gboolean found;
  gint64   row, col;
  float    value;
} BadValue;

typedef struct {
  const LbTensor      *t;
  const LbPruneParams *p;
  const LbTypeTraits  *src, *dst;
  gsize                in_row, out_row;
  const float         *importance;
  gboolean             per_matrix;
  guint8              *out;
  gint64               first_row;     /* of the chunk being run */
  float              **rows;          /* per thread: ne[0] floats */
  guint64            **keys;          /* per thread: ne[0] keys (unstructured) */
  guint64             *zero_before;   /* per thread */
  guint64             *zero_after;    /* per thread */
  BadValue            *bad;           /* per thread: the first non-finite weight seen */
} PruneJob;

static void
prune_rows (gsize begin, gsize end, guint thread, gpointer user_data)
{
  PruneJob *j = user_data;
  gint64 ne0 = j->t->ne[0];
  gint64 ne1 = MAX (j->t->ne[1], 1);
  float *x = j->rows[thread];

  for (gsize r = begin; r < end; r++)
    {
      gint64 row = j->first_row + (gint64) r;
      const float *imp = j->importance;
      guint8 *dst = j->out + (gsize) row * j->out_row;
      guint64 zeros = 0;

      j->src->to_float (j->t->data + (gsize) row * j->in_row, x, ne0);
      for (gint64 c = 0; c < ne0; c++)
        {
          if (!isfinite (x[c]))
            {
              BadValue *b = &j->bad[thread];
              if (!b->found || row < b->row)
                *b = (BadValue) { TRUE, row, c, x[c] };
              return;
            }
          zeros += x[c] == 0.0f;
        }
      j->zero_before[thread] += zeros;
      if (imp && j->per_matrix)
        imp += (row / ne1) * ne0;
      if (j->p->m > 0)
        lb_prune_row_nm (x, ne0, imp, j->p->n, j->p->m, &zeros);
      else
        lb_prune_row (x, ne0, imp, j->p->sparsity, j->keys[thread]);
      j->dst->from_float (x, dst, ne0, imp);
      /* count what was stored, not what was meant */
      j->dst->to_float (dst, x, ne0);
      zeros = 0;
      for (gint64 c = 0; c < ne0; c++)
        zeros += x[c] == 0.0f;
      j->zero_after[thread] += zeros;
    }
}

/* the type pruned data of t is stored in */
static LbType
stored_type (const LbTensor *t)
{
  const LbTypeTraits *tr = lb_type_get_traits (t->type);

  if (tr && tr->from_float && tr->to_float)
    return t->type;
  return LB_TYPE_F16;
}

static gboolean
check_tensor (const LbTensor *t, const LbPruneParams *p, LbType type, GError **error)
{
  if (!lb_tensor_check_convertible (t, type, error))
    return FALSE;
  if (t->ne[0] > G_MAXUINT32)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_UNSUPPORTED,
                   "tensor %s: rows of %" G_GINT64_FORMAT " values are too long to prune",
                   t->name, t->ne[0]);
      return FALSE;
    }
  if (p->m > 0 && t->ne[0] % p->m != 0)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                   "tensor %s: rows of %" G_GINT64_FORMAT " values do not split into groups "
                   "of %u for the %u:%u pattern; exclude it", t->name, t->ne[0], p->m, p->n,
                   p->m);
      return FALSE;
    }
  return TRUE;
}

static GBytes *
prune_tensor (const LbTensor *t, const LbPruneParams *p, LbThreadPool *pool,
              LbPruneTensorStat *stat, LbProgressFunc progress, gpointer progress_data,
              guint64 *done, guint64 total, GCancellable *cancellable, GError **error)
{
  LbType type = stored_type (t);
  guint n_threads = lb_thread_pool_get_n_threads (pool);
  gint64 n_rows = lb_tensor_n_rows (t), ne0 = t->ne[0];
  gint64 chunk_rows = MAX (1, CHUNK_ELEMENTS / MAX (ne0, 1));
  PruneJob job = { 0 };
  gsize n_imp = 0;
  guint8 *out;
  gboolean ok = TRUE;

  if (!check_tensor (t, p, type, error)
      || !lb_tensor_find_importance (t, p->importance, &job.importance, &n_imp, error))
    return NULL;

  job.t = t;
  job.p = p;
  job.src = lb_type_get_traits (t->type);
  job.dst = lb_type_get_traits (type);
  job.in_row = lb_type_row_size (t->type, ne0);
  job.out_row = lb_type_row_size (type, ne0);
  job.per_matrix = job.importance && n_imp != (gsize) ne0;
  out = g_malloc (job.out_row * (gsize) n_rows);
  job.out = out;
  job.rows = g_new (float *, n_threads);
  job.keys = g_new0 (guint64 *, n_threads);
  for (guint i = 0; i < n_threads; i++)
    {
      job.rows[i] = g_new (float, ne0);
      if (p->m == 0)
        job.keys[i] = g_new (guint64, ne0);
    }
  job.zero_before = g_new0 (guint64, n_threads);
  job.zero_after = g_new0 (guint64, n_threads);
  job.bad = g_new0 (BadValue, n_threads);

  for (gint64 r = 0; r < n_rows && ok; r += chunk_rows)
    {
      gint64 n = MIN (chunk_rows, n_rows - r);

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        {
          ok = FALSE;
          break;
        }
      job.first_row = r;
      lb_thread_pool_run (pool, (gsize) n, MAX (1, (gsize) (16384 / MAX (ne0, 1))), prune_rows,
                          &job);
      for (guint i = 0; i < n_threads; i++)
        if (job.bad[i].found)
          {
            BadValue *b = &job.bad[i];
            for (guint k = i + 1; k < n_threads; k++)
              if (job.bad[k].found && job.bad[k].row < b->row)
                b = &job.bad[k];
            g_set_error (error, LB_ERROR, LB_ERROR_NUMERIC,
                         "tensor %s: weight %g at row %" G_GINT64_FORMAT ", column %"
                         G_GINT64_FORMAT " is not finite; cannot prune it", t->name, b->value,
                         b->row, b->col);
            ok = FALSE;
            break;
          }
      *done += (guint64) (n * ne0);
      if (progress && ok)
        progress (total ? (double) *done / (double) total : 1.0, t->name, progress_data);
    }

  if (ok)
    {
      memset (stat, 0, sizeof *stat);
      stat->name = g_strdup (t->name);
      stat->type = type;
      stat->n_cols = ne0;
      stat->n_rows = n_rows;
      stat->n_elements = (guint64) (ne0 * n_rows);
      stat->importance_used = job.importance != NULL;
      for (guint i = 0; i < n_threads; i++)
        {
          stat->n_zero_before += job.zero_before[i];
          stat->n_zero += job.zero_after[i];
        }
    }
  for (guint i = 0; i < n_threads; i++)
    {
      g_free (job.rows[i]);
      g_free (job.keys[i]);
    }
  g_free (job.rows);
  g_free (job.keys);
  g_free (job.zero_before);
  g_free (job.zero_after);
  g_free (job.bad);
  if (!ok)
    {
      g_free (out);
      return NULL;
    }
  return g_bytes_new_take (out, job.out_row * (gsize) n_rows);
}

GBytes *
lb_prune_tensor (const LbTensor *t, const LbPruneParams *params, LbPruneTensorStat *stat,
                 GCancellable *cancellable, GError **error)
{
  g_autoptr (LbThreadPool) pool = NULL;
  guint64 done = 0;

  g_return_val_if_fail (t != NULL && params != NULL && stat != NULL, NULL);

  if (!lb_prune_params_check (params, error))
    return NULL;
  pool = lb_thread_pool_new (params->n_threads, error);
  if (pool == NULL)
    return NULL;
  return prune_tensor (t, params, pool, stat, NULL, NULL, &done, 0, cancellable, error);
}

/* ---- a variant or a model ---------------------------------------------------- */

/* FALSE when an include pattern matches no tensor of model */
static gboolean
check_coverage (LbModel *model, const LbPruneParams *p, GPtrArray *warnings, GError **error)
{
  guint n = lb_model_get_n_tensors (model);

  for (guint k = 0; p->include && p->include[k]; k++)
    {
      gboolean hit = FALSE;
      for (guint i = 0; i < n && !hit; i++)
        hit = lb_recipe_pattern_match (p->include[k], lb_model_get_tensor (model, i)->name);
      if (!hit)
        {
          g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                       "include pattern \"%s\" matches no tensor of %s", p->include[k],
                       lb_model_get_name (model));
          return FALSE;
        }
    }
  for (guint k = 0; p->exclude && p->exclude[k]; k++)
    {
      gboolean hit = FALSE;
      for (guint i = 0; i < n && !hit; i++)
        hit = lb_recipe_pattern_match (p->exclude[k], lb_model_get_tensor (model, i)->name);
      if (!hit)
        g_ptr_array_add (warnings, g_strdup_printf ("exclude pattern \"%s\" matches no tensor",
                                                    p->exclude[k]));
    }
  return TRUE;
}

/* A quantized tensor is re-quantized to its own type, and the types with a
 * minimum per block (Q4_K, Q4_1...) do not hold exact zeros: say so, once
 * per type, when much of the sparsity was lost. */
static void
warn_lost_zeros (const LbPruneReport *rep, const LbPruneParams *p, GPtrArray *warnings)
{
  double target = p->m ? 1.0 - (double) p->n / p->m : p->sparsity;

  for (guint t = 0; t < LB_TYPE_COUNT; t++)
    {
      const LbTypeTraits *tr = lb_type_get_traits (t);
      guint64 zeros = 0, total = 0;
      guint n = 0;

      if (tr == NULL || !tr->quantized)
        continue;
      for (guint i = 0; i < rep->tensors->len; i++)
        {
          const LbPruneTensorStat *s = &g_array_index (rep->tensors, LbPruneTensorStat, i);
          if (s->type == (LbType) t)
            {
              zeros += s->n_zero;
              total += s->n_elements;
              n++;
            }
        }
      if (total && (double) zeros < 0.9 * target * (double) total)
        g_ptr_array_add (warnings, g_strdup_printf (
          "%u %s tensor%s keep only %.1f%% of their weights zero after re-quantization "
          "(asked %.1f%%): %s cannot hold exact zeros; prune the float model, then quantize it",
          n, tr->name, n == 1 ? "" : "s", 100.0 * (double) zeros / (double) total,
          100 * target, tr->name));
    }
}

gboolean
lb_prune_variant (LbVariant *variant, const LbPruneParams *params, LbPruneReport **report,
                  LbProgressFunc progress, gpointer progress_data, GCancellable *cancellable,
                  GError **error)
{
  LbModel *base;
  g_autoptr (LbThreadPool) pool = NULL;
  g_autoptr (GPtrArray) selected = g_ptr_array_new ();
  g_autoptr (GPtrArray) data = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_autoptr (GPtrArray) warnings = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (LbPruneReport) rep = g_new0 (LbPruneReport, 1);
  gint64 start = g_get_monotonic_time ();
  guint64 total = 0, done = 0;
  guint n;

  g_return_val_if_fail (LB_IS_VARIANT (variant), FALSE);
  g_return_val_if_fail (params != NULL, FALSE);

  if (!lb_prune_params_check (params, error))
    return FALSE;
  base = lb_variant_get_base (variant);
  if (!check_coverage (base, params, warnings, error))
    return FALSE;

  rep->tensors = g_array_new (FALSE, TRUE, sizeof (LbPruneTensorStat));
  n = lb_model_get_n_tensors (base);
  for (guint i = 0; i < n; i++)
    {
      const LbTensor *t = lb_model_get_tensor (base, i);
      gint64 ne = lb_tensor_n_elements (t);

      rep->n_model_elements += (guint64) MAX (ne, 0);
      if (lb_prune_selects (params, t))
        {
          g_ptr_array_add (selected, (gpointer) t);
          total += (guint64) MAX (ne, 0);
        }
    }
  if (selected->len == 0)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                   "no tensor of %s is selected for pruning (check the include and exclude "
                   "patterns)", lb_model_get_name (base));
      return FALSE;
    }

  pool = lb_thread_pool_new (params->n_threads, error);
  if (pool == NULL)
    return FALSE;
  for (guint i = 0; i < selected->len; i++)
    {
      const LbTensor *t = selected->pdata[i];
      LbPruneTensorStat stat;
      GBytes *bytes = prune_tensor (t, params, pool, &stat, progress, progress_data, &done,
                                    total, cancellable, error);

      if (bytes == NULL)
        return FALSE;
      g_ptr_array_add (data, bytes);
      g_array_append_val (rep->tensors, stat);
      rep->n_elements += stat.n_elements;
      rep->n_zero += stat.n_zero;
    }

  /* every tensor is ready: only now touch the variant */
  for (guint i = 0; i < selected->len; i++)
    {
      const LbPruneTensorStat *s = &g_array_index (rep->tensors, LbPruneTensorStat, i);
      if (!lb_variant_set_tensor_data (variant, s->name, s->type, data->pdata[i], error))
        return FALSE;
    }

  warn_lost_zeros (rep, params, warnings);
  g_ptr_array_add (warnings, NULL);
  rep->warnings = (char **) g_ptr_array_steal (warnings, NULL);
  rep->seconds = (double) (g_get_monotonic_time () - start) / 1e6;
  if (report)
    *report = g_steal_pointer (&rep);
  return TRUE;
}

LbModel *
lb_prune_model (LbModel *model, const LbPruneParams *params, LbPruneReport **report,
                LbProgressFunc progress, gpointer progress_data, GCancellable *cancellable,
                GError **error)
{
  g_autoptr (LbVariant) variant = NULL;

  g_return_val_if_fail (LB_IS_MODEL (model), NULL);

  variant = lb_variant_new (model);
  if (!lb_prune_variant (variant, params, report, progress, progress_data, cancellable, error))
    return NULL;
  return lb_variant_build_model (variant, error);
}
