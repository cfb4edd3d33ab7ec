/* lb-heat-metric.c */
#include "config.h"

#include <math.h>
#include <string.h>
#include <glib/gi18n.h>

#include "lb-heat-metric.h"
#include "lb-layer-error.h"
#include "lb-tensor-error.h"
#include "lb-variant.h"

#define SNR_RED      10.0  /* dB: the bad end of the colour scale */
#define SNR_GREEN    40.0  /* dB: the good end */

/* ---- what each metric is -------------------------------------------------------- */

enum { WORD_NAME, WORD_LEGEND, WORD_DESCRIPTION, N_WORDS };

/* The words for each metric, in LbHeatMetric order */
static const char *const metric_words[LB_HEAT_N_METRICS][N_WORDS] = {
  [LB_HEAT_WEIGHT_SNR] = {
    N_("Weight SNR"), N_("SNR (dB)"),
    N_("Signal-to-noise ratio of each tensor’s weights under the type the map gives it "
       "(higher is better). Grey cells are kept as stored. Click a cell for a closer "
       "look."),
  },
  [LB_HEAT_WEIGHTED_SNR] = {
    N_("Importance-Weighted SNR"), N_("Weighted SNR (dB)"),
    N_("The same, with each column of a matrix weighted by how strongly the "
       "calibration text drives it (the importance data): the error the model "
       "actually feels. Higher is better."),
  },
  [LB_HEAT_DELTA_KLD] = {
    N_("Sensitivity (ΔKLD)"), N_("ΔKLD"),
    N_("How much the model’s next-token distribution moves (KL divergence) when only "
       "this tensor is quantized to its type, over a slice of the text, on a log "
       "scale. Lower is better."),
  },
  [LB_HEAT_LAYER_COSINE] = {
    N_("Layer Output Cosine"), N_("Cosine"),
    N_("Cosine between each layer’s output and the original model’s, with every "
       "tensor in its type (higher is better). A layer has one value, shared by its "
       "row; the tooltips tell how much its attention and its MLP add alone."),
  },
};

static const char *
metric_word (LbHeatMetric metric, guint word)
{
  g_return_val_if_fail ((guint) metric < LB_HEAT_N_METRICS, NULL);
  return _(metric_words[metric][word]);
}

const char *
lb_heat_metric_get_name (LbHeatMetric metric)
{
  return metric_word (metric, WORD_NAME);
}

const char *
lb_heat_metric_get_legend (LbHeatMetric metric)
{
  return metric_word (metric, WORD_LEGEND);
}

const char *
lb_heat_metric_get_description (LbHeatMetric metric)
{
  return metric_word (metric, WORD_DESCRIPTION);
}

gboolean
lb_heat_metric_higher_is_better (LbHeatMetric metric)
{
  return metric != LB_HEAT_DELTA_KLD;
}

LbChartFormat
lb_heat_metric_get_format (LbHeatMetric metric)
{
  switch (metric)
    {
    case LB_HEAT_WEIGHT_SNR:
    case LB_HEAT_WEIGHTED_SNR:
      return LB_CHART_FORMAT_DECIBEL;
    case LB_HEAT_LAYER_COSINE:
      return LB_CHART_FORMAT_COSINE;
    case LB_HEAT_DELTA_KLD:
    case LB_HEAT_N_METRICS:
    default:
      return LB_CHART_FORMAT_PLAIN;
    }
}

gboolean
lb_heat_metric_get_log_scale (LbHeatMetric metric)
{
  return metric == LB_HEAT_DELTA_KLD;
}

gboolean
lb_heat_metric_needs_text (LbHeatMetric metric)
{
  return metric == LB_HEAT_DELTA_KLD || metric == LB_HEAT_LAYER_COSINE;
}

gboolean
lb_heat_metric_needs_importance (LbHeatMetric metric)
{
  return metric == LB_HEAT_WEIGHTED_SNR;
}

static void
widen (const double *v, guint n, gboolean positive, double *min, double *max, gboolean *any)
{
  for (guint i = 0; v != NULL && i < n; i++)
    if (isfinite (v[i]) && (!positive || v[i] > 0))
      {
        *min = *any ? MIN (*min, v[i]) : v[i];
        *max = *any ? MAX (*max, v[i]) : v[i];
        *any = TRUE;
      }
}

gboolean
lb_heat_metric_get_range (LbHeatMetric  metric,
                          const double *a,
                          const double *b,
                          guint         n,
                          double       *min,
                          double       *max)
{
  gboolean any = FALSE;

  widen (a, n, lb_heat_metric_get_log_scale (metric), min, max, &any);
  widen (b, n, lb_heat_metric_get_log_scale (metric), min, max, &any);
  if (!any)
    return FALSE;
  switch (metric)
    {
    case LB_HEAT_WEIGHT_SNR:
    case LB_HEAT_WEIGHTED_SNR:
      /* one fixed scale, so that colours mean the same from one map to the
       * next: about 6 dB a bit */
      *min = SNR_RED;
      *max = SNR_GREEN;
      break;
    case LB_HEAT_LAYER_COSINE:
      *max = 1.0;
      *min = MIN (*min, 0.999);
      break;
    case LB_HEAT_DELTA_KLD:
      /* at least a decade, so that noise does not look like a signal */
      *min = MIN (*min, *max / 10);
      break;
    case LB_HEAT_N_METRICS:
    default:
      break;
    }
  return TRUE;
}

double
lb_heat_metric_improvement (LbHeatMetric metric, double a, double b)
{
  if (!isfinite (a) || !isfinite (b))
    return NAN;
  return lb_heat_metric_higher_is_better (metric) ? b - a : a - b;
}

/* ---- requests and results -------------------------------------------------------- */

static void
target_clear (LbHeatTarget *t)
{
  g_clear_object (&t->variant);
  g_clear_pointer (&t->recipe, lb_recipe_unref);
  g_clear_pointer (&t->imatrix, lb_imatrix_unref);
  g_clear_pointer (&t->profile, g_free);
  g_clear_pointer (&t->types, g_free);
}

void
lb_heat_request_free (gpointer data)
{
  LbHeatRequest *r = data;

  g_clear_object (&r->model);
  for (guint i = 0; i < r->n; i++)
    g_free (r->names[i]);
  g_free (r->names);
  g_free (r->text_path);
  g_clear_pointer (&r->kld_cells, lb_kld_cells_unref);
  for (guint i = 0; i < G_N_ELEMENTS (r->targets); i++)
    target_clear (&r->targets[i]);
  g_free (r);
}

void
lb_heat_result_free (gpointer data)
{
  LbHeatResult *r = data;

  for (guint t = 0; t < r->n_targets; t++)
    {
      LbHeatValues *v = &r->targets[t];

      g_free (v->values);
      g_free (v->weighted);
      g_free (v->types);
      if (v->notes != NULL)
        for (guint i = 0; i < r->n; i++)
          g_free (v->notes[i]);
      g_free (v->notes);
    }
  g_free (r);
}

/* ---- measuring --------------------------------------------------------------------- */

typedef struct {
  LbJob *job;
  double start, span;   /* of the job's fraction */
} Progress;

static void
report (Progress *p, double fraction, const char *stage)
{
  lb_job_report (p->job, p->start + p->span * CLAMP (fraction, 0.0, 1.0), stage);
}

static void
progress_func (double fraction, const char *stage, gpointer user_data)
{
  report (user_data, fraction, NULL);
}

/* The target's type of every cell */
static gboolean
resolve (LbHeatRequest *r, LbHeatTarget *t, LbHeatValues *out, GError **error)
{
  g_autoptr (LbQuantPlan) plan = NULL;

  out->types = g_new (LbType, r->n);
  if (t->types != NULL)
    {
      memcpy (out->types, t->types, sizeof (LbType) * r->n);
      return TRUE;
    }
  if (!lb_recipe_resolve (t->recipe, r->model, t->profile, &plan, error))
    return FALSE;
  for (guint i = 0; i < r->n; i++)
    {
      const LbPlanEntry *e = r->names[i] != NULL ? lb_quant_plan_find (plan, r->names[i]) : NULL;

      out->types[i] = e != NULL ? e->type : LB_TYPE_COUNT;
    }
  return TRUE;
}

static char *
type_note (LbType type)
{
  /* Translators: a heatmap cell's tooltip line, the tensor's type */
  return g_strdup_printf (_("Type: %s"), lb_type_get_name (type));
}

static gboolean
measure_snr (LbHeatRequest *r, LbHeatTarget *t, LbHeatValues *v, Progress *p,
             GCancellable *cancellable, GError **error)
{
  g_autoptr (LbThreadPool) pool = lb_thread_pool_new (r->n_threads, error);
  gint64 total = 0, done = 0;

  if (pool == NULL)
    return FALSE;
  v->values = g_new (double, r->n);
  v->weighted = g_new (double, r->n);
  v->notes = g_new0 (char *, r->n);
  for (guint i = 0; i < r->n; i++)
    {
      const LbTensor *tensor = r->names[i] ? lb_model_find_tensor (r->model, r->names[i]) : NULL;

      if (tensor != NULL && v->types[i] != tensor->type && v->types[i] < LB_TYPE_COUNT)
        total += lb_tensor_n_elements (tensor);
    }
  for (guint i = 0; i < r->n; i++)
    {
      const LbTensor *tensor = r->names[i] ? lb_model_find_tensor (r->model, r->names[i]) : NULL;
      LbTensorErrorParams params = LB_TENSOR_ERROR_PARAMS_INIT;
      LbTensorError err;

      v->values[i] = v->weighted[i] = NAN;
      if (tensor == NULL || v->types[i] >= LB_TYPE_COUNT)
        continue;
      v->notes[i] = type_note (v->types[i]);
      if (v->types[i] == tensor->type)
        continue;   /* kept as stored: nothing is lost */
      params.pool = pool;
      if (t->imatrix != NULL
          && !lb_tensor_find_importance (tensor, t->imatrix, &params.importance,
                                         &params.n_importance, error))
        return FALSE;
      if (!lb_tensor_error_under_type (tensor, v->types[i], &params, &err, NULL, cancellable, error))
        return FALSE;
      v->values[i] = err.snr_db;
      if (err.weighted)
        {
          v->weighted[i] = err.weighted_snr_db;
          v->has_weighted = TRUE;
        }
      done += lb_tensor_n_elements (tensor);
      report (p, total > 0 ? (double) done / total : 1.0, tensor->name);
    }
  return TRUE;
}

static gboolean
measure_kld (LbHeatRequest *r, LbHeatTarget *t, LbHeatValues *v, Progress *p,
             GCancellable *cancellable, GError **error)
{
  guint total = 0, done = 0;

  v->values = g_new (double, r->n);
  v->notes = g_new0 (char *, r->n);
  for (guint i = 0; i < r->n; i++)
    {
      const LbTensor *tensor = r->names[i] ? lb_model_find_tensor (r->model, r->names[i]) : NULL;

      if (tensor != NULL && v->types[i] < LB_TYPE_COUNT && v->types[i] != tensor->type
          && isnan (lb_kld_cells_lookup (r->kld_cells, r->names[i], v->types[i])))
        total++;
    }
  for (guint i = 0; i < r->n; i++)
    {
      const LbTensor *tensor = r->names[i] ? lb_model_find_tensor (r->model, r->names[i]) : NULL;
      gboolean cached;

      v->values[i] = NAN;
      if (tensor == NULL || v->types[i] >= LB_TYPE_COUNT)
        continue;
      v->notes[i] = type_note (v->types[i]);
      if (v->types[i] == tensor->type)
        continue;
      cached = !isnan (lb_kld_cells_lookup (r->kld_cells, r->names[i], v->types[i]));
      if (!cached)
        {
          g_autofree char *stage = g_strdup_printf (_("%s as %s (%u of %u)"), tensor->name,
                                                    lb_type_get_name (v->types[i]), done + 1,
                                                    total);

          report (p, total > 0 ? (double) done / total : 1.0, stage);
        }
      v->values[i] = lb_kld_cells_measure (r->kld_cells, r->names[i], v->types[i], cancellable,
                                           error);
      if (isnan (v->values[i]))
        return FALSE;
      if (!cached)
        done++;
    }
  return TRUE;
}

static char *
layer_note (const LbLayerError *e, const LbLayerError *split, gboolean attention)
{
  double part = split == NULL ? NAN : attention ? split->attn_rel_mse : split->mlp_rel_mse;

  if (!isfinite (part))
    /* Translators: tooltip line of a layer's cell */
    return g_strdup_printf (_("Least cosine over the positions: %.5f"), e->min_cosine);
  return g_strdup_printf (attention
                          /* Translators: tooltip lines of a layer's cell: relative errors */
                          ? _("Least cosine over the positions: %.5f\n"
                              "Its attention alone: relative error %.2g (all of the layer: %.2g)")
                          : _("Least cosine over the positions: %.5f\n"
                              "Its MLP alone: relative error %.2g (all of the layer: %.2g)"),
                          e->min_cosine, part, split->rel_mse);
}

static gboolean
measure_layers (LbHeatRequest *r, LbHeatTarget *t, LbHeatValues *v, Progress *p,
                GCancellable *cancellable, GError **error)
{
  /* the cosines over the whole slice; attention against MLP (two more runs
   * per layer) over its first chunk only */
  LbLayerErrorParams params = { r->n_ctx, r->n_chunks, FALSE };
  LbLayerErrorParams split_params = { r->n_ctx, 1, TRUE };
  g_autoptr (LbLayerErrorReport) layers = NULL;
  g_autoptr (LbLayerErrorReport) split = NULL;
  g_autoptr (LbModel) candidate = NULL;
  g_autofree char *text = NULL;
  Progress build = { p->job, p->start, 0.15 * p->span };
  Progress run = { p->job, p->start + 0.15 * p->span, 0.25 * p->span };
  Progress parts = { p->job, p->start + 0.4 * p->span, 0.6 * p->span };
  gsize len;

  v->values = g_new (double, r->n);
  v->notes = g_new0 (char *, r->n);
  for (guint i = 0; i < r->n; i++)
    v->values[i] = NAN;
  if (!g_file_get_contents (r->text_path, &text, &len, error))
    return FALSE;
  report (&build, 0.0, _("Building the variant"));
  if (t->current)
    candidate = lb_variant_build_model (t->variant, error);
  else
    {
      g_autoptr (GHashTable) overrides = g_hash_table_new (g_str_hash, g_str_equal);

      for (guint c = 0; c < r->n; c++)
        {
          const LbTensor *tensor = r->names[c] ? lb_model_find_tensor (r->model, r->names[c]) : NULL;

          if (tensor != NULL && v->types[c] < LB_TYPE_COUNT && v->types[c] != tensor->type)
            g_hash_table_insert (overrides, r->names[c], GINT_TO_POINTER (v->types[c]));
        }
      candidate = lb_variant_build (r->model, overrides, t->imatrix, r->n_threads,
                                    progress_func, &build, cancellable, error);
    }
  if (candidate == NULL)
    return FALSE;
  report (&run, 0.0, _("Running both models layer by layer"));
  layers = lb_layer_error_compute_text (r->model, candidate, text, (gssize) len, &params,
                                        progress_func, &run, cancellable, error);
  if (layers == NULL)
    return FALSE;
  report (&parts, 0.0, _("Telling each layer’s attention from its MLP"));
  split = lb_layer_error_compute_text (r->model, candidate, text, (gssize) len, &split_params,
                                       progress_func, &parts, cancellable, error);
  if (split == NULL)
    return FALSE;
  for (guint l = 0; l < MIN (layers->n_layers, r->n_layers); l++)
    for (guint k = 0; k < 7; k++)
      {
        guint i = l * 7 + k;

        v->values[i] = layers->layers[l].cosine;
        /* the first four kinds are attention's, the last three the MLP's */
        v->notes[i] = layer_note (&layers->layers[l],
                                  l < split->n_layers ? &split->layers[l] : NULL, k < 4);
      }
  return TRUE;
}

gpointer
lb_heat_measure_thread (LbJob *job, gpointer task_data, GCancellable *cancellable, GError **error)
{
  LbHeatRequest *r = task_data;
  LbHeatResult *result = g_new0 (LbHeatResult, 1);

  result->n = r->n;
  result->n_targets = r->n_targets;
  if (r->metric == LB_HEAT_DELTA_KLD)
    {
      Progress p = { job, 0.0, 0.1 };

      if (!lb_kld_cells_prepare (r->kld_cells, NULL, NULL, cancellable, error))
        goto fail;
      report (&p, 1.0, NULL);
    }
  for (guint t = 0; t < r->n_targets; t++)
    {
      LbHeatTarget *target = &r->targets[t];
      LbHeatValues *v = &result->targets[t];
      double start = r->metric == LB_HEAT_DELTA_KLD ? 0.1 : 0.0;
      Progress p = { job, start + (1 - start) * t / r->n_targets, (1 - start) / r->n_targets };
      gboolean ok = FALSE;

      if (!resolve (r, target, v, error))
        goto fail;
      switch (r->metric)
        {
        case LB_HEAT_WEIGHT_SNR:
        case LB_HEAT_WEIGHTED_SNR:
          ok = measure_snr (r, target, v, &p, cancellable, error);
          break;
        case LB_HEAT_DELTA_KLD:
          ok = measure_kld (r, target, v, &p, cancellable, error);
          break;
        case LB_HEAT_LAYER_COSINE:
          ok = measure_layers (r, target, v, &p, cancellable, error);
          break;
        case LB_HEAT_N_METRICS:
        default:
          g_assert_not_reached ();
        }
      if (!ok)
        goto fail;
    }
  return result;

fail:
  lb_heat_result_free (result);
  return NULL;
}
