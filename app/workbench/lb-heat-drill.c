/* lb-heat-drill.c */
#include "config.h"

#include <math.h>
#include <glib/gi18n.h>

#include "lb-heat-drill.h"
#include "lb-variant.h"

#define MAP_CELLS   32    /* row and column bands of a tensor's error map */
#define N_BINS      LB_HEAT_DRILL_BINS

void
lb_heat_drill_data_free (gpointer data)
{
  LbHeatDrillData *d = data;

  g_clear_object (&d->model);
  g_clear_pointer (&d->imatrix, lb_imatrix_unref);
  g_free (d->name);
  g_free (d);
}

void
lb_heat_drill_result_free (gpointer data)
{
  LbHeatDrillResult *r = data;

  g_clear_pointer (&r->map, lb_error_map_free);
  g_free (r->levels);
  g_free (r);
}

static int
compare_doubles (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

/* The levels one block of the type can take, at the scale of a typical
 * block of 32 weights (absolute maximum a): ramps over [-a, a], one per
 * sub-block (16 or 32 weights, so that every sub-block gets the same
 * scale), are quantized and read back, their end points fixed and their
 * inner points shifted a little each time; the distinct values read back
 * are the grid. */
#define LEVEL_PHASES 16

static double *
type_levels (LbType type, double a, guint *n_levels)
{
  const LbTypeTraits *traits = lb_type_get_traits (type);
  g_autofree float *ramp = NULL;
  g_autofree float *back = NULL;
  g_autofree guint8 *block = NULL;
  guint period, n_values, n = 0;
  double *levels;

  *n_levels = 0;
  if (traits == NULL || !traits->quantized || traits->from_float == NULL
      || traits->to_float == NULL || !(a > 0))
    return NULL;
  /* Q2_K, Q3_K and Q6_K scale sub-blocks of 16 weights, the others 32 */
  period = type == LB_TYPE_Q2_K || type == LB_TYPE_Q3_K || type == LB_TYPE_Q6_K ? 16 : 32;
  period = MIN (period, traits->block_size);
  ramp = g_new (float, traits->block_size);
  back = g_new (float, traits->block_size);
  block = g_malloc0 (traits->type_size);
  n_values = traits->block_size * LEVEL_PHASES;
  levels = g_new (double, n_values);

  for (guint phase = 0; phase < LEVEL_PHASES; phase++)
    {
      for (guint i = 0; i < traits->block_size; i++)
        {
          guint m = i % period;
          double t = m == 0 ? 0.0 : m == period - 1 ? 1.0
                   : (m + (double) phase / LEVEL_PHASES) / (period - 1);

          ramp[i] = (float) (-a + 2 * a * MIN (t, 1.0));
        }
      traits->from_float (ramp, block, traits->block_size, NULL);
      traits->to_float (block, back, traits->block_size);
      for (guint i = 0; i < traits->block_size; i++)
        levels[phase * traits->block_size + i] = back[i];
    }
  qsort (levels, n_values, sizeof (double), compare_doubles);
  for (guint i = 0; i < n_values; i++)
    if (n == 0 || fabs (levels[i] - levels[n - 1]) > 1e-6 * a)
      levels[n++] = levels[i];
  *n_levels = n;
  return levels;
}

gpointer
lb_heat_drill_thread (LbJob *job, gpointer task_data, GCancellable *cancellable, GError **error)
{
  LbHeatDrillData *d = task_data;
  const LbTensor *t = lb_model_find_tensor (d->model, d->name);
  const LbTypeTraits *src;
  g_autoptr (LbThreadPool) pool = NULL;
  g_autoptr (GArray) sample = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GArray) absmax = g_array_new (FALSE, FALSE, sizeof (double));
  g_autofree float *row = NULL;
  LbTensorErrorParams params = LB_TENSOR_ERROR_PARAMS_INIT;
  LbHeatDrillResult *r;
  gint64 n_rows, ne0;
  gsize row_bytes;
  guint stride, group_stride;
  guint64 element = 0, group = 0;
  double lo, hi;

  if (t == NULL)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT, "no tensor named %s", d->name);
      return NULL;
    }
  src = lb_type_get_traits (t->type);
  if (src == NULL || src->to_float == NULL)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_UNSUPPORTED,
                   "tensor %s: its type %s cannot be read", t->name, lb_type_get_name (t->type));
      return NULL;
    }
  pool = lb_thread_pool_new (d->n_threads, error);
  if (pool == NULL)
    return NULL;

  r = g_new0 (LbHeatDrillResult, 1);
  n_rows = lb_tensor_n_rows (t);
  ne0 = t->ne[0];
  params.pool = pool;
  params.map_rows = MAP_CELLS;
  params.map_cols = MAP_CELLS;
  if (d->type == t->type)
    {
      /* kept as stored: an error map of nothing, but the weights still tell */
      r->lossless = TRUE;
      r->err.snr_db = INFINITY;
    }
  else
    {
      if (d->imatrix != NULL
          && !lb_tensor_find_importance (t, d->imatrix, &params.importance, &params.n_importance,
                                         error))
        goto fail;
      lb_job_report (job, 0.05, _("Measuring the error of each block"));
      if (!lb_tensor_error_under_type (t, d->type, &params, &r->err, &r->map, cancellable, error))
        goto fail;
    }

  /* the weights: a sample sets the histogram's range, then every weight is binned */
  lb_job_report (job, 0.6, _("Binning the weights"));
  row = g_new (float, ne0);
  row_bytes = lb_type_row_size (t->type, ne0);
  /* about 200,000 weights and 50,000 blocks of 32 are plenty for the range
   * and the median block */
  stride = (guint) MAX (1, (n_rows * ne0) / 200000);
  group_stride = (guint) MAX (1, (n_rows * ne0) / 32 / 50000);
  for (gint64 i = 0; i < n_rows; i++)
    {
      src->to_float (t->data + (gsize) i * row_bytes, row, ne0);
      for (gint64 j = 0; j < ne0; j += 32, group++)
        if (group % group_stride == 0)
          {
            double m = 0;

            for (gint64 k = j; k < MIN (j + 32, ne0); k++)
              m = MAX (m, fabs (row[k]));
            g_array_append_val (absmax, m);
          }
      for (gint64 j = 0; j < ne0; j++, element++)
        if (element % stride == 0 && isfinite (row[j]))
          {
            double v = row[j];

            g_array_append_val (sample, v);
          }
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        goto fail;
    }
  g_array_sort (sample, compare_doubles);
  if (sample->len == 0)
    lo = -1, hi = 1;
  else
    {
      /* the outermost 0.05 % on each side would squeeze the rest into a few bins */
      lo = g_array_index (sample, double, (guint) (0.0005 * (sample->len - 1)));
      hi = g_array_index (sample, double, (guint) (0.9995 * (sample->len - 1)));
      lo = MIN (lo, -hi);
      hi = MAX (hi, -lo);
      if (!(hi > lo))
        lo = -1, hi = 1;
    }
  r->lo = lo;
  r->hi = hi;
  for (gint64 i = 0; i < n_rows; i++)
    {
      src->to_float (t->data + (gsize) i * row_bytes, row, ne0);
      for (gint64 j = 0; j < ne0; j++)
        {
          int bin;

          if (!isfinite (row[j]))
            continue;
          bin = (int) floor ((row[j] - lo) / (hi - lo) * N_BINS);
          r->counts[CLAMP (bin, 0, N_BINS - 1)] += 1;
        }
    }

  if (absmax->len > 0)
    {
      g_array_sort (absmax, compare_doubles);
      r->levels = type_levels (d->type, g_array_index (absmax, double, absmax->len / 2),
                               &r->n_levels);
    }
  return r;

fail:
  lb_heat_drill_result_free (r);
  return NULL;
}

