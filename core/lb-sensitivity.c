/* lb-sensitivity.c: per-group, per-type KL divergence of a model quantized
 * one group at a time, and the weight-error proxy beside it */
#include "config.h"

#include <math.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "lb-error.h"
#include "lb-logit-cache.h"
#include "lb-recipe.h"
#include "lb-sensitivity-private.h"
#include "lb-tensor-error.h"
#include "lb-variant.h"

#define DEFAULT_CTX     512
#define DEFAULT_CHUNKS  4
#define SAVE_INTERVAL_US (5 * G_USEC_PER_SEC)

/* ---- small helpers --------------------------------------------------------- */

const char *
lb_sens_group_by_to_string (LbSensGroupBy by)
{
  switch (by)
    {
    case LB_SENS_GROUP_TENSOR: return "tensor";
    case LB_SENS_GROUP_LAYER: return "layer";
    case LB_SENS_GROUP_KIND: return "kind";
    }
  return "unknown";
}

gboolean
lb_sens_group_by_from_string (const char *name, LbSensGroupBy *out)
{
  for (LbSensGroupBy by = LB_SENS_GROUP_TENSOR; by <= LB_SENS_GROUP_KIND; by++)
    if (name && g_ascii_strcasecmp (name, lb_sens_group_by_to_string (by)) == 0)
      {
        *out = by;
        return TRUE;
      }
  return FALSE;
}

/* length of a "blk.N." prefix, 0 when name has none */
static gsize
block_prefix_len (const char *name)
{
  const char *p;

  if (!g_str_has_prefix (name, "blk."))
    return 0;
  p = name + 4;
  if (!g_ascii_isdigit (*p))
    return 0;
  while (g_ascii_isdigit (*p))
    p++;
  return *p == '.' ? (gsize) (p + 1 - name) : 0;
}

char *
lb_sens_group_of (const char *name, LbSensGroupBy by)
{
  gsize n = block_prefix_len (name);

  g_return_val_if_fail (name != NULL, NULL);
  if (n == 0 || by == LB_SENS_GROUP_TENSOR)
    return g_strdup (name);
  if (by == LB_SENS_GROUP_LAYER)
    return g_strndup (name, n - 1);
  if (g_str_has_suffix (name + n, ".weight") && strlen (name + n) > 7)
    return g_strndup (name + n, strlen (name + n) - 7);
  return g_strdup (name + n);
}

void
lb_sensitivity_params_init (LbSensitivityParams *params)
{
  memset (params, 0, sizeof *params);
  params->measure = TRUE;
  params->engine = LB_EVAL_ENGINE_DEFAULT;
}

/* ---- the table ------------------------------------------------------------- */

void
lb_sens_cell_init (LbSensCell *cell, LbType type)
{
  cell->type = type;
  cell->bytes = 0;
  cell->measured = FALSE;
  cell->kld = cell->delta_kld = cell->same_top1 = NAN;
  cell->err = cell->rel_err = NAN;
}

LbSensGroup *
lb_sens_group_new (const char *name, guint n_types)
{
  LbSensGroup *g = g_new0 (LbSensGroup, 1);

  g->name = g_strdup (name);
  g->tensors = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (g->tensors, NULL);
  g->cells = g_new (LbSensCell, MAX (n_types, 1));
  return g;
}

void
lb_sens_group_add_tensor (LbSensGroup *group, const char *tensor)
{
  /* keep the NULL terminator last */
  group->tensors->pdata[group->tensors->len - 1] = g_strdup (tensor);
  g_ptr_array_add (group->tensors, NULL);
}

static void
sens_group_free (LbSensGroup *g)
{
  g_free (g->name);
  g_ptr_array_unref (g->tensors);
  g_free (g->cells);
  g_free (g);
}

LbSensitivity *
lb_sensitivity_alloc (const LbType *types, guint n_types)
{
  LbSensitivity *s = g_new0 (LbSensitivity, 1);

  s->ref_count = 1;
  s->n_types = n_types;
  s->types = g_memdup2 (types, sizeof (LbType) * MAX (n_types, 1));
  s->groups = g_ptr_array_new_with_free_func ((GDestroyNotify) sens_group_free);
  s->base_kld = NAN;
  s->model_fingerprint = g_strdup ("");
  return s;
}

LbSensitivity *
lb_sensitivity_ref (LbSensitivity *sens)
{
  g_return_val_if_fail (sens != NULL, NULL);
  g_atomic_int_inc (&sens->ref_count);
  return sens;
}

void
lb_sensitivity_unref (LbSensitivity *sens)
{
  if (sens == NULL || !g_atomic_int_dec_and_test (&sens->ref_count))
    return;
  g_free (sens->model_name);
  g_free (sens->model_fingerprint);
  g_free (sens->text_name);
  g_free (sens->engine);
  g_free (sens->types);
  g_ptr_array_unref (sens->groups);
  g_free (sens);
}

LbSensitivity *
lb_sensitivity_new_from_cells (const LbType *types, guint n_types, const char * const *names,
                               const char * const * const *tensors, guint n_groups,
                               const LbSensCell *cells)
{
  LbSensitivity *s;

  g_return_val_if_fail (types != NULL && n_types > 0, NULL);
  g_return_val_if_fail (n_groups == 0 || (names && tensors && cells), NULL);

  s = lb_sensitivity_alloc (types, n_types);
  s->measured = TRUE;
  s->base_kld = 0;
  for (guint g = 0; g < n_groups; g++)
    {
      LbSensGroup *grp = lb_sens_group_new (names[g], n_types);

      for (guint i = 0; tensors[g][i]; i++)
        lb_sens_group_add_tensor (grp, tensors[g][i]);
      memcpy (grp->cells, cells + (gsize) g * n_types, n_types * sizeof (LbSensCell));
      for (guint t = 0; t < n_types; t++)
        grp->cells[t].type = types[t];
      g_ptr_array_add (s->groups, grp);
    }
  return s;
}

guint
lb_sensitivity_get_n_types (LbSensitivity *sens)
{
  return sens->n_types;
}

LbType
lb_sensitivity_get_type (LbSensitivity *sens, guint t)
{
  g_return_val_if_fail (t < sens->n_types, LB_TYPE_COUNT);
  return sens->types[t];
}

gint
lb_sensitivity_find_type (LbSensitivity *sens, LbType type)
{
  for (guint t = 0; t < sens->n_types; t++)
    if (sens->types[t] == type)
      return (gint) t;
  return -1;
}

guint
lb_sensitivity_get_n_groups (LbSensitivity *sens)
{
  return sens->groups->len;
}

const char *
lb_sensitivity_get_group_name (LbSensitivity *sens, guint g)
{
  g_return_val_if_fail (g < sens->groups->len, NULL);
  return ((LbSensGroup *) sens->groups->pdata[g])->name;
}

const char * const *
lb_sensitivity_get_group_tensors (LbSensitivity *sens, guint g)
{
  g_return_val_if_fail (g < sens->groups->len, NULL);
  return (const char * const *) ((LbSensGroup *) sens->groups->pdata[g])->tensors->pdata;
}

const LbSensCell *
lb_sensitivity_get_cell (LbSensitivity *sens, guint g, guint t)
{
  g_return_val_if_fail (g < sens->groups->len && t < sens->n_types, NULL);
  return &((LbSensGroup *) sens->groups->pdata[g])->cells[t];
}

LbSensGroupBy
lb_sensitivity_get_group_by (LbSensitivity *sens)
{
  return sens->group_by;
}

gboolean
lb_sensitivity_is_measured (LbSensitivity *sens)
{
  return sens->measured;
}

const char *
lb_sensitivity_get_model_fingerprint (LbSensitivity *sens)
{
  return sens->model_fingerprint;
}

double
lb_sensitivity_get_base_kld (LbSensitivity *sens)
{
  return sens->base_kld;
}

void
lb_sensitivity_get_counts (LbSensitivity *sens, guint *n_evaluated, guint *n_cached,
                           double *seconds)
{
  if (n_evaluated)
    *n_evaluated = sens->n_evaluated;
  if (n_cached)
    *n_cached = sens->n_cached;
  if (seconds)
    *seconds = sens->seconds;
}

/* ---- correlation of the proxy with the measurement ------------------------- */

typedef struct { double v; guint i; } Ranked;

static int
cmp_ranked (gconstpointer a, gconstpointer b)
{
  double x = ((const Ranked *) a)->v, y = ((const Ranked *) b)->v;
  return x < y ? -1 : x > y ? 1 : 0;
}

/* ranks from 1, ties averaged */
static void
rank (const double *v, guint n, double *out)
{
  g_autofree Ranked *r = g_new (Ranked, n);

  for (guint i = 0; i < n; i++)
    r[i] = (Ranked) { v[i], i };
  qsort (r, n, sizeof *r, cmp_ranked);
  for (guint i = 0; i < n;)
    {
      guint j = i;
      while (j + 1 < n && r[j + 1].v == r[i].v)
        j++;
      for (guint k = i; k <= j; k++)
        out[r[k].i] = (i + j) / 2.0 + 1;
      i = j + 1;
    }
}

static double
pearson (const double *x, const double *y, guint n)
{
  double mx = 0, my = 0, sxx = 0, syy = 0, sxy = 0;

  for (guint i = 0; i < n; i++)
    {
      mx += x[i];
      my += y[i];
    }
  mx /= n;
  my /= n;
  for (guint i = 0; i < n; i++)
    {
      sxx += (x[i] - mx) * (x[i] - mx);
      syy += (y[i] - my) * (y[i] - my);
      sxy += (x[i] - mx) * (y[i] - my);
    }
  return sxx > 0 && syy > 0 ? sxy / sqrt (sxx * syy) : NAN;
}

static double
spearman_of (GArray *xs, GArray *ys)
{
  guint n = xs->len;
  g_autofree double *rx = g_new (double, MAX (n, 1));
  g_autofree double *ry = g_new (double, MAX (n, 1));

  rank ((double *) xs->data, n, rx);
  rank ((double *) ys->data, n, ry);
  return pearson (rx, ry, n);
}

double
lb_sensitivity_proxy_rank_within_types (LbSensitivity *sens, gboolean use_rel)
{
  double sum = 0;
  guint n_cols = 0;

  for (guint t = 0; t < sens->n_types; t++)
    {
      g_autoptr (GArray) xs = g_array_new (FALSE, FALSE, sizeof (double));
      g_autoptr (GArray) ys = g_array_new (FALSE, FALSE, sizeof (double));
      double r;

      for (guint g = 0; g < sens->groups->len; g++)
        {
          const LbSensCell *c = lb_sensitivity_get_cell (sens, g, t);
          double p = use_rel ? c->rel_err : c->err;

          if (c->measured && c->delta_kld > 0 && isfinite (c->delta_kld) && p > 0 && isfinite (p))
            {
              g_array_append_val (xs, p);
              g_array_append_val (ys, c->delta_kld);
            }
        }
      if (xs->len < 3)
        continue;
      r = spearman_of (xs, ys);
      if (isfinite (r))
        {
          sum += r;
          n_cols++;
        }
    }
  return n_cols ? sum / n_cols : NAN;
}

void
lb_sensitivity_proxy_correlation (LbSensitivity *sens, gboolean use_rel, double *spearman,
                                  double *log_pearson, guint *n_cells)
{
  g_autoptr (GArray) xs = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GArray) ys = g_array_new (FALSE, FALSE, sizeof (double));
  g_autofree double *rx = NULL, *ry = NULL, *lx = NULL, *ly = NULL;
  guint n;

  for (guint g = 0; g < sens->groups->len; g++)
    for (guint t = 0; t < sens->n_types; t++)
      {
        const LbSensCell *c = lb_sensitivity_get_cell (sens, g, t);
        double p = use_rel ? c->rel_err : c->err;

        if (c->measured && c->delta_kld > 0 && isfinite (c->delta_kld) && p > 0 && isfinite (p))
          {
            g_array_append_val (xs, p);
            g_array_append_val (ys, c->delta_kld);
          }
      }
  n = xs->len;
  if (n_cells)
    *n_cells = n;
  if (n < 3)
    {
      if (spearman)
        *spearman = NAN;
      if (log_pearson)
        *log_pearson = NAN;
      return;
    }
  rx = g_new (double, n);
  ry = g_new (double, n);
  lx = g_new (double, n);
  ly = g_new (double, n);
  rank ((double *) xs->data, n, rx);
  rank ((double *) ys->data, n, ry);
  for (guint i = 0; i < n; i++)
    {
      lx[i] = log (g_array_index (xs, double, i));
      ly[i] = log (g_array_index (ys, double, i));
    }
  if (spearman)
    *spearman = pearson (rx, ry, n);
  if (log_pearson)
    *log_pearson = pearson (lx, ly, n);
}

/* ---- fingerprints ------------------------------------------------------------ */

#define FP_WINDOWS 16
#define FP_WINDOW  4096

char *
lb_sensitivity_fingerprint_model (LbModel *model)
{
  g_autoptr (GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  const char *arch = lb_model_get_architecture (model);

  g_checksum_update (sum, (const guchar *) arch, strlen (arch) + 1);
  for (guint i = 0; i < lb_model_get_n_tensors (model); i++)
    {
      const LbTensor *t = lb_model_get_tensor (model, i);
      gint64 head[2 + LB_MAX_DIMS] = { t->type, (gint64) t->n_bytes };

      memcpy (head + 2, t->ne, sizeof t->ne);
      g_checksum_update (sum, (const guchar *) t->name, strlen (t->name) + 1);
      g_checksum_update (sum, (const guchar *) head, sizeof head);
      if (t->data == NULL)
        continue;
      if (t->n_bytes <= FP_WINDOWS * FP_WINDOW)
        g_checksum_update (sum, t->data, t->n_bytes);
      else
        for (guint w = 0; w < FP_WINDOWS; w++)
          {
            gsize off = (t->n_bytes - FP_WINDOW) / (FP_WINDOWS - 1) * w;
            g_checksum_update (sum, t->data + off, FP_WINDOW);
          }
    }
  return g_strdup (g_checksum_get_string (sum));
}

static char *
fingerprint_imatrix (LbImatrix *imatrix)
{
  g_autoptr (GChecksum) sum = NULL;

  if (imatrix == NULL)
    return g_strdup ("none");
  sum = g_checksum_new (G_CHECKSUM_SHA256);
  for (guint i = 0; i < lb_imatrix_get_n_entries (imatrix); i++)
    {
      const char *name = lb_imatrix_get_entry_name (imatrix, i);
      gsize n = 0;
      const float *v = lb_imatrix_get_importance (imatrix, name, &n);

      g_checksum_update (sum, (const guchar *) name, strlen (name) + 1);
      if (v)
        g_checksum_update (sum, (const guchar *) v, n * sizeof (float));
    }
  return g_strdup (g_checksum_get_string (sum));
}

/* ---- targets ------------------------------------------------------------------- */

static void
target_free (LbSensTarget *t)
{
  g_free (t->types);
  g_free (t->bytes);
  g_free (t);
}

static gboolean
type_usable (LbType type)
{
  const LbTypeTraits *tr = lb_type_get_traits (type);

  return tr && tr->from_float && tr->to_float && type != LB_TYPE_Q8_1 && type != LB_TYPE_Q8_K
         && (tr->quantized || type == LB_TYPE_F32 || type == LB_TYPE_F16 || type == LB_TYPE_BF16);
}

GPtrArray *
lb_sensitivity_list_targets (LbModel *model, const LbType *types, guint n_types, GError **error)
{
  g_autoptr (GPtrArray) out = g_ptr_array_new_with_free_func ((GDestroyNotify) target_free);
  g_autoptr (GHashTable) by_name = g_hash_table_new (g_str_hash, g_str_equal);

  g_return_val_if_fail (LB_IS_MODEL (model), NULL);

  if (n_types == 0)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT, "no candidate types given (--types)");
      return NULL;
    }
  for (guint j = 0; j < n_types; j++)
    {
      g_autoptr (LbRecipe) probe = NULL;
      g_autoptr (LbQuantPlan) plan = NULL;

      if (!type_usable (types[j]))
        {
          const char *name = lb_type_get_name (types[j]);
          g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                       "--types: %s is not a weight type Lowbit can produce", name ? name : "?");
          return NULL;
        }
      /* the recipe machinery decides which tensors are matrices and how
       * rows that do not fit fall back */
      probe = lb_recipe_new ("sensitivity-probe");
      lb_recipe_set_base_type (probe, types[j]);
      lb_recipe_set_embedding_type (probe, types[j]);
      lb_recipe_set_output_type (probe, types[j]);
      if (!lb_recipe_resolve (probe, model, NULL, &plan, error))
        return NULL;
      for (guint i = 0; i < lb_quant_plan_get_n_entries (plan); i++)
        {
          const LbPlanEntry *e = lb_quant_plan_get_entry (plan, i);
          LbSensTarget *t;

          if (e->source == LB_PLAN_FROM_NORMS || e->source == LB_PLAN_FROM_SOURCE)
            continue;
          t = g_hash_table_lookup (by_name, e->tensor->name);
          if (t == NULL)
            {
              if (j > 0)
                continue;   /* cannot happen: the same model and rules */
              t = g_new0 (LbSensTarget, 1);
              t->tensor = lb_model_find_tensor (model, e->tensor->name);
              t->types = g_new (LbType, n_types);
              t->bytes = g_new0 (guint64, n_types);
              for (guint k = 0; k < n_types; k++)
                t->types[k] = LB_TYPE_COUNT;
              g_hash_table_insert (by_name, t->tensor->name, t);
              g_ptr_array_add (out, t);
            }
          t->types[j] = e->type;
          t->bytes[j] = e->n_bytes;
        }
    }
  for (guint i = 0; i < out->len; i++)
    {
      LbSensTarget *t = out->pdata[i];
      for (guint j = 0; j < n_types; j++)
        if (t->types[j] == LB_TYPE_COUNT)
          {
            g_set_error (error, LB_ERROR, LB_ERROR_FAILED,
                         "tensor %s: no plan for type %s", t->tensor->name,
                         lb_type_get_name (types[j]));
            return NULL;
          }
    }
  if (out->len == 0)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_UNSUPPORTED,
                   "the model %s has no weight matrices to quantize", lb_model_get_name (model));
      return NULL;
    }
  return g_steal_pointer (&out);
}

/* ---- the proxy ---------------------------------------------------------------- */

static gboolean
proxy_of (const LbTensor *t, LbType type, LbImatrix *imatrix, LbThreadPool *pool,
          LbSensCachedProxy *out, GCancellable *cancellable, GError **error)
{
  LbTensorErrorParams p = LB_TENSOR_ERROR_PARAMS_INIT;
  LbTensorError e;
  const float *imp = NULL;
  gsize n_imp = 0;
  double n = (double) lb_tensor_n_elements (t);

  if (type == t->type)
    {
      out->err = 0;
      out->signal = NAN;
      return TRUE;
    }
  if (!lb_tensor_find_importance (t, imatrix, &imp, &n_imp, error))
    return FALSE;
  p.importance = imp;
  p.n_importance = n_imp;
  p.pool = pool;
  if (!lb_tensor_error_under_type (t, type, &p, &e, NULL, cancellable, error))
    return FALSE;
  if (e.weighted)
    {
      double sum_w = 0;

      for (gsize i = 0; i < n_imp; i++)
        sum_w += imp[i];
      sum_w *= n / (double) n_imp;
      out->err = e.weighted_mse * sum_w;
      out->signal = isfinite (e.weighted_snr_db) ? out->err * pow (10, e.weighted_snr_db / 10) : NAN;
    }
  else
    {
      out->err = e.mse * n;
      out->signal = e.rms * e.rms * n;
    }
  return TRUE;
}

/* ---- the measurement ------------------------------------------------------------ */

typedef struct {
  LbSensGroup *group;
  guint        t;
} Todo;

typedef struct {
  /* read-only while the workers run */
  LbModel            *model;
  const LbSensitivityParams *params;
  GHashTable         *targets;     /* name -> LbSensTarget */
  const gint32       *chunks;
  guint               n_chunks;
  LbEvalParams        eval;
  const char         *setup;
  LbSensCache        *cache;
  LbProgressFunc      progress;
  gpointer            progress_data;
  GCancellable       *cancellable;
  GArray             *todo;        /* Todo */
  double              base_kld;

  GMutex              lock;
  guint               next, done;
  GError             *error;
  gint64              last_save;
} Work;

/* one cell: the group's tensors in type t, everything else as it is */
static gboolean
run_cell (Work *w, LbVariant *variant, const Todo *todo, LbEvalResult **result, GError **error)
{
  const char * const *names = (const char * const *) todo->group->tensors->pdata;
  g_autoptr (LbModel) m = NULL;
  g_autoptr (LbEvalBackend) backend = NULL;

  lb_variant_reset_all (variant);
  for (guint i = 0; names[i]; i++)
    {
      LbSensTarget *tg = g_hash_table_lookup (w->targets, names[i]);
      if (tg->types[todo->t] != tg->tensor->type
          && !lb_variant_requantize_one (variant, names[i], tg->types[todo->t], w->cancellable,
                                         error))
        return FALSE;
    }
  m = lb_variant_build_model (variant, error);
  if (m == NULL)
    return FALSE;
  backend = lb_eval_backend_new (m, w->eval.engine, w->eval.n_ctx, w->eval.n_threads, error);
  if (backend == NULL)
    return FALSE;
  *result = lb_eval_run_backends (backend, NULL, w->chunks, w->n_chunks, &w->eval, NULL, NULL,
                                  w->cancellable, error);
  return *result != NULL;
}

static gpointer
worker (gpointer data)
{
  Work *w = data;
  g_autoptr (LbVariant) variant = lb_variant_new (w->model);

  lb_variant_set_imatrix (variant, w->params->imatrix);
  lb_variant_set_n_threads (variant, w->params->n_threads);
  for (;;)
    {
      g_autoptr (LbEvalResult) res = NULL;
      GError *error = NULL;
      const Todo *todo;
      LbSensCell *cell;

      g_mutex_lock (&w->lock);
      if (w->error || w->next >= w->todo->len)
        {
          g_mutex_unlock (&w->lock);
          break;
        }
      todo = &g_array_index (w->todo, Todo, w->next++);
      g_mutex_unlock (&w->lock);

      if (!run_cell (w, variant, todo, &res, &error))
        {
          g_mutex_lock (&w->lock);
          if (w->error == NULL)
            w->error = error;
          else
            g_error_free (error);
          g_mutex_unlock (&w->lock);
          break;
        }

      g_mutex_lock (&w->lock);
      cell = &todo->group->cells[todo->t];
      cell->measured = TRUE;
      cell->kld = res->mean_kld;
      cell->same_top1 = res->same_top1;
      if (w->cache)
        {
          g_autofree char *key = g_strdup_printf ("%s@%s", todo->group->name,
                                                  lb_type_get_name (cell->type));
          LbSensCachedCell v = { res->mean_kld, res->same_top1 };
          lb_sens_cache_put_cell (w->cache, w->setup, key, &v);
          if (g_get_monotonic_time () - w->last_save > SAVE_INTERVAL_US)
            {
              /* a failed checkpoint is not fatal: the final save reports */
              lb_sens_cache_save (w->cache, w->params->cache_path, NULL);
              w->last_save = g_get_monotonic_time ();
            }
        }
      w->done++;
      if (w->progress)
        {
          g_autofree char *stage = g_strdup_printf ("%s as %s: KLD %+.6f (%u/%u)",
                                                    todo->group->name,
                                                    lb_type_get_name (cell->type),
                                                    res->mean_kld - w->base_kld, w->done,
                                                    w->todo->len);
          w->progress (0.1 + 0.9 * w->done / w->todo->len, stage, w->progress_data);
        }
      g_mutex_unlock (&w->lock);
    }
  return NULL;
}

/* The reference's log-probabilities over the chunks, in ref_path (reused
 * when it already holds these tokens), and the base model's KLD against
 * them. */
static gboolean
reference_pass (Work *w, const char *ref_path, gboolean *have_base, GError **error)
{
  g_autoptr (LbEvalBackend) cand = NULL, ref = NULL;
  g_autoptr (LbEvalResult) res = NULL;
  LbEvalParams p = w->eval;

  if (g_file_test (ref_path, G_FILE_TEST_EXISTS))
    {
      g_autoptr (LbLogitCacheReader) r = lb_logit_cache_reader_open (ref_path, NULL, NULL);
      const LbLogitCacheInfo *info = r ? lb_logit_cache_reader_get_info (r) : NULL;

      if (info && info->n_ctx == p.n_ctx && info->n_chunks == w->n_chunks
          && memcmp (lb_logit_cache_reader_get_tokens (r), w->chunks,
                     (gsize) w->n_chunks * p.n_ctx * sizeof (gint32)) == 0
          && *have_base)
        return TRUE;
    }
  if (w->progress)
    w->progress (0.05, "reference pass", w->progress_data);
  cand = lb_eval_backend_new (w->model, p.engine, p.n_ctx, p.n_threads, error);
  if (cand == NULL)
    return FALSE;
  ref = lb_eval_backend_new (w->model, p.engine, p.n_ctx, p.n_threads, error);
  if (ref == NULL)
    return FALSE;
  p.reference_cache = NULL;
  p.save_reference = ref_path;
  res = lb_eval_run_backends (cand, ref, w->chunks, w->n_chunks, &p, NULL, NULL, w->cancellable,
                              error);
  if (res == NULL)
    return FALSE;
  w->base_kld = res->mean_kld;
  *have_base = TRUE;
  return TRUE;
}

static char *
setup_key (const char *model_fp, const char *imatrix_fp, const LbEvalParams *eval,
           const gint32 *chunks, guint n_chunks)
{
  g_autoptr (GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  g_autofree char *head = g_strdup_printf ("lowbit-sensitivity-1|%s|%s|%s|%u|%u", model_fp,
                                           imatrix_fp,
                                           eval->engine == LB_EVAL_ENGINE_REF ? "ref" : "fast",
                                           eval->n_ctx, n_chunks);

  g_checksum_update (sum, (const guchar *) head, strlen (head));
  g_checksum_update (sum, (const guchar *) chunks, (gsize) n_chunks * eval->n_ctx * sizeof (gint32));
  return g_strdup (g_checksum_get_string (sum));
}

static gboolean
measure (Work *w, LbSensitivity *s, const char *text, gssize len, const char *model_fp,
         const char *imatrix_fp, GError **error)
{
  LbTokenizer *tok = lb_model_get_tokenizer (w->model);
  g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint32));
  g_autofree gint32 *chunks = NULL;
  g_autofree char *setup = NULL, *ref_path = NULL;
  gint32 bos = lb_tokenizer_get_add_bos (tok) ? lb_tokenizer_get_bos (tok) : -1;
  gboolean have_base = FALSE, temp_ref = FALSE;
  guint n_jobs = MAX (w->params->n_jobs, 1);
  GPtrArray *threads;
  gboolean ok = TRUE;

  if (text == NULL)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                   "measuring the KL divergence needs a calibration text (--text)");
      return FALSE;
    }
  if (!lb_tokenizer_encode (tok, text, len, TRUE, ids, error))
    return FALSE;
  chunks = lb_eval_make_chunks ((const gint32 *) ids->data, ids->len, w->eval.n_ctx,
                                w->params->n_chunks ? w->params->n_chunks : DEFAULT_CHUNKS, bos,
                                &w->n_chunks, error);
  if (chunks == NULL)
    return FALSE;
  w->chunks = chunks;
  setup = setup_key (model_fp, imatrix_fp, &w->eval, chunks, w->n_chunks);
  w->setup = setup;
  s->n_ctx = w->eval.n_ctx;
  s->n_chunks = w->n_chunks;
  s->n_positions = (guint64) w->n_chunks * (w->eval.n_ctx - 1 - w->eval.n_ctx / 2);

  /* what the cache already knows */
  w->todo = g_array_new (FALSE, FALSE, sizeof (Todo));
  if (w->cache && lb_sens_cache_get_base (w->cache, setup, &w->base_kld))
    have_base = TRUE;
  for (guint g = 0; g < s->groups->len; g++)
    {
      LbSensGroup *grp = s->groups->pdata[g];

      for (guint t = 0; t < s->n_types; t++)
        {
          g_autofree char *key = g_strdup_printf ("%s@%s", grp->name, lb_type_get_name (s->types[t]));
          LbSensCachedCell c;
          gboolean changes = FALSE;

          for (guint i = 0; i + 1 < grp->tensors->len; i++)
            {
              LbSensTarget *tg = g_hash_table_lookup (w->targets, grp->tensors->pdata[i]);
              changes |= tg->types[t] != tg->tensor->type;
            }
          if (!changes)
            {
              /* the base itself: nothing to measure */
              grp->cells[t].measured = TRUE;
              grp->cells[t].kld = NAN;   /* filled with the base below */
              grp->cells[t].same_top1 = NAN;
              continue;
            }
          if (w->cache && lb_sens_cache_get_cell (w->cache, setup, key, &c))
            {
              grp->cells[t].measured = TRUE;
              grp->cells[t].kld = c.kld;
              grp->cells[t].same_top1 = c.same_top1;
              s->n_cached++;
              continue;
            }
          g_array_append_val (w->todo, ((Todo) { grp, t }));
        }
    }

  if (w->todo->len > 0 || !have_base)
    {
      if (w->params->cache_path)
        ref_path = g_strdup_printf ("%s.%.16s.lbref", w->params->cache_path, setup);
      else
        {
          int fd = g_file_open_tmp ("lowbit-sens-XXXXXX.lbref", &ref_path, error);
          if (fd < 0)
            return FALSE;
          close (fd);
          g_unlink (ref_path);
          temp_ref = TRUE;
        }
      if (!reference_pass (w, ref_path, &have_base, error))
        {
          if (temp_ref)
            g_unlink (ref_path);
          return FALSE;
        }
      if (w->cache)
        {
          g_autofree char *desc = g_strdup_printf ("%s, %u chunks of %u tokens, engine %s",
                                                   s->text_name, w->n_chunks, w->eval.n_ctx,
                                                   s->engine);
          lb_sens_cache_put_base (w->cache, setup, w->base_kld, desc);
        }
      w->eval.reference_cache = ref_path;
      w->last_save = g_get_monotonic_time ();

      threads = g_ptr_array_new ();
      for (guint j = 1; j < MIN (n_jobs, w->todo->len); j++)
        g_ptr_array_add (threads, g_thread_new ("lb-sensitivity", worker, w));
      worker (w);
      for (guint j = 0; j < threads->len; j++)
        g_thread_join (threads->pdata[j]);
      g_ptr_array_unref (threads);
      s->n_evaluated = w->done;
      if (temp_ref)
        g_unlink (ref_path);
      if (w->error)
        {
          g_propagate_error (error, w->error);
          w->error = NULL;
          ok = FALSE;
        }
    }
  g_array_unref (w->todo);
  w->todo = NULL;
  w->chunks = NULL;

  s->base_kld = w->base_kld;
  for (guint g = 0; g < s->groups->len; g++)
    {
      LbSensGroup *grp = s->groups->pdata[g];
      for (guint t = 0; t < s->n_types; t++)
        {
          LbSensCell *c = &grp->cells[t];
          if (!c->measured)
            continue;
          if (isnan (c->kld))
            {
              c->kld = w->base_kld;
              c->same_top1 = 1.0;
            }
          c->delta_kld = c->kld - w->base_kld;
        }
    }
  return ok;
}

LbSensitivity *
lb_sensitivity_compute (LbModel *model, const char *text, gssize len,
                        const LbSensitivityParams *params, LbProgressFunc progress,
                        gpointer progress_data, GCancellable *cancellable, GError **error)
{
  g_autoptr (GPtrArray) targets = NULL;
  g_autoptr (GHashTable) by_name = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GHashTable) groups = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (LbSensitivity) s = NULL;
  g_autoptr (LbSensCache) cache = NULL;
  g_autoptr (LbThreadPool) pool = NULL;
  g_autofree char *model_fp = NULL, *imatrix_fp = NULL, *proxy_key = NULL;
  g_autofree LbType *types = NULL;
  gint64 t0 = g_get_monotonic_time ();
  guint n_types = 0, n_proxy = 0, done_proxy = 0;
  Work w = { 0 };
  gboolean ok;

  g_return_val_if_fail (LB_IS_MODEL (model), NULL);
  g_return_val_if_fail (params != NULL, NULL);

  /* the types, without repeats */
  types = g_new (LbType, MAX (params->n_types, 1));
  for (guint j = 0; j < params->n_types; j++)
    {
      gboolean seen = FALSE;
      for (guint k = 0; k < n_types; k++)
        seen |= types[k] == params->types[j];
      if (!seen)
        types[n_types++] = params->types[j];
    }
  if (params->n_ctx != 0 && (params->n_ctx < 4 || params->n_ctx > (1u << 20)))
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                   "--ctx %u: the context must be between 4 and 1048576 tokens", params->n_ctx);
      return NULL;
    }
  targets = lb_sensitivity_list_targets (model, types, n_types, error);
  if (targets == NULL)
    return NULL;

  s = lb_sensitivity_alloc (types, n_types);
  s->group_by = params->group_by;
  s->model_name = g_strdup (lb_model_get_name (model));
  model_fp = lb_sensitivity_fingerprint_model (model);
  g_free (s->model_fingerprint);
  s->model_fingerprint = g_strdup (model_fp);
  s->text_name = g_strdup (params->text_name ? params->text_name : "text");
  s->engine = g_strdup (params->engine == LB_EVAL_ENGINE_REF ? "ref" : "fast");
  s->measured = params->measure;
  imatrix_fp = fingerprint_imatrix (params->imatrix);
  proxy_key = g_strdup_printf ("%s|%s", model_fp, imatrix_fp);

  for (guint i = 0; i < targets->len; i++)
    {
      LbSensTarget *tg = targets->pdata[i];
      g_autofree char *gname = lb_sens_group_of (tg->tensor->name, params->group_by);
      LbSensGroup *grp = g_hash_table_lookup (groups, gname);

      g_hash_table_insert (by_name, tg->tensor->name, tg);
      if (grp == NULL)
        {
          grp = lb_sens_group_new (gname, n_types);
          for (guint t = 0; t < n_types; t++)
            {
              lb_sens_cell_init (&grp->cells[t], types[t]);
              grp->cells[t].err = 0;
              grp->cells[t].rel_err = 0;   /* err / signal, summed below */
            }
          g_ptr_array_add (s->groups, grp);
          g_hash_table_insert (groups, grp->name, grp);
        }
      lb_sens_group_add_tensor (grp, tg->tensor->name);
      for (guint t = 0; t < n_types; t++)
        grp->cells[t].bytes += tg->bytes[t];
    }

  if (params->cache_path)
    {
      cache = lb_sens_cache_load (params->cache_path, error);
      if (cache == NULL)
        return NULL;
    }

  /* the proxy, tensor by tensor (rel_err holds the signal until the end) */
  pool = lb_thread_pool_new (params->n_threads, error);
  if (pool == NULL)
    return NULL;
  n_proxy = targets->len * n_types;
  for (guint g = 0; g < s->groups->len; g++)
    {
      LbSensGroup *grp = s->groups->pdata[g];
      for (guint i = 0; i + 1 < grp->tensors->len; i++)
        {
          LbSensTarget *tg = g_hash_table_lookup (by_name, grp->tensors->pdata[i]);
          for (guint t = 0; t < n_types; t++)
            {
              g_autofree char *key = g_strdup_printf ("%s@%s", tg->tensor->name,
                                                      lb_type_get_name (tg->types[t]));
              LbSensCachedProxy p;

              if (!(cache && lb_sens_cache_get_proxy (cache, proxy_key, key, &p)))
                {
                  if (!proxy_of (tg->tensor, tg->types[t], params->imatrix, pool, &p,
                                 cancellable, error))
                    return NULL;
                  if (cache)
                    lb_sens_cache_put_proxy (cache, proxy_key, key, &p);
                }
              grp->cells[t].err += p.err;
              if (p.err > 0)
                grp->cells[t].rel_err += isfinite (p.signal) ? p.signal : 0;
              if (progress && ++done_proxy % 8 == 0)
                {
                  g_autofree char *stage = g_strdup_printf ("weight error of %s", tg->tensor->name);
                  progress (0.05 * done_proxy / n_proxy, stage, progress_data);
                }
            }
        }
      for (guint t = 0; t < n_types; t++)
        {
          LbSensCell *c = &grp->cells[t];
          c->rel_err = c->err > 0 ? (c->rel_err > 0 ? c->err / c->rel_err : NAN) : 0;
        }
    }
  g_clear_pointer (&pool, lb_thread_pool_free);

  ok = TRUE;
  if (params->measure)
    {
      w.model = model;
      w.params = params;
      w.targets = by_name;
      w.cache = cache;
      w.progress = progress;
      w.progress_data = progress_data;
      w.cancellable = cancellable;
      w.eval.n_ctx = params->n_ctx ? params->n_ctx : DEFAULT_CTX;
      w.eval.n_threads = params->n_threads;
      w.eval.engine = params->engine;
      g_mutex_init (&w.lock);
      ok = measure (&w, s, text, len, model_fp, imatrix_fp, error);
      g_mutex_clear (&w.lock);
    }
  if (cache)
    {
      GError *save_error = NULL;
      if (!lb_sens_cache_save (cache, params->cache_path, ok ? error : &save_error))
        {
          if (ok)
            return NULL;
          g_clear_error (&save_error);
        }
    }
  if (!ok)
    return NULL;
  s->seconds = (g_get_monotonic_time () - t0) / 1e6;
  if (progress)
    progress (1.0, "done", progress_data);
  return g_steal_pointer (&s);
}

/* ---- async ------------------------------------------------------------------------ */

typedef struct {
  LbModel             *model;
  char                *text;
  gssize               len;
  LbSensitivityParams  params;
  LbType              *types;
  char                *cache_path, *text_name;
  LbProgressFunc       progress;
  gpointer             progress_data;
} AsyncData;

static void
async_data_free (AsyncData *d)
{
  g_clear_object (&d->model);
  g_free (d->text);
  g_free (d->types);
  g_free (d->cache_path);
  g_free (d->text_name);
  if (d->params.imatrix)
    lb_imatrix_unref (d->params.imatrix);
  g_free (d);
}

static void
compute_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  AsyncData *d = task_data;
  GError *error = NULL;
  LbSensitivity *s = lb_sensitivity_compute (d->model, d->text, d->len, &d->params, d->progress,
                                             d->progress_data, cancellable, &error);
  if (s)
    g_task_return_pointer (task, s, (GDestroyNotify) lb_sensitivity_unref);
  else
    g_task_return_error (task, error);
}

void
lb_sensitivity_compute_async (LbModel *model, const char *text, gssize len,
                              const LbSensitivityParams *params, LbProgressFunc progress,
                              gpointer progress_data, GCancellable *cancellable,
                              GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr (GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  AsyncData *d = g_new0 (AsyncData, 1);

  g_task_set_source_tag (task, lb_sensitivity_compute_async);
  d->model = g_object_ref (model);
  if (text)
    {
      d->len = len < 0 ? (gssize) strlen (text) : len;
      d->text = g_malloc (d->len + 1);
      memcpy (d->text, text, d->len);
      d->text[d->len] = '\0';
    }
  d->params = *params;
  d->params.types = d->types = g_memdup2 (params->types, sizeof (LbType) * MAX (params->n_types, 1));
  d->params.cache_path = d->cache_path = g_strdup (params->cache_path);
  d->params.text_name = d->text_name = g_strdup (params->text_name);
  if (params->imatrix)
    lb_imatrix_ref (params->imatrix);
  d->progress = progress;
  d->progress_data = progress_data;
  g_task_set_task_data (task, d, (GDestroyNotify) async_data_free);
  g_task_run_in_thread (task, compute_thread);
}

LbSensitivity *
lb_sensitivity_compute_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == lb_sensitivity_compute_async,
                        NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
