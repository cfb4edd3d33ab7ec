/* lb-heatmap-view.c: the weight SNR of each tensor under the type the
 * precision map gives it, measured on a worker (lb-tensor-error) whenever
 * the page is shown and the map changed; a click on a cell measures that
 * tensor's error map and bins its weights. */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <glib/gi18n.h>

#include "lb-heatmap-view.h"
#include "lb-page-layout.h"
#include "lb-job.h"
#include "lb-tensor-error.h"
#include "lb-widgets.h"
#include "lb-window.h"

#define N_ENDS      2
#define MAP_CELLS   32    /* row and column bands of a tensor's error map */
#define N_BINS      120
#define SNR_RED     10.0  /* dB: the bad end of the colour scale */
#define SNR_GREEN   40.0  /* dB: the good end */

static const char * const end_names[N_ENDS] = { "token_embd.weight", "output.weight" };

struct _LbHeatmapView
{
  AdwBin            parent_instance;

  GtkStack         *stack;
  LbHeatmap        *heatmap;
  LbHeatmap        *ends_heatmap;
  GtkLabel         *status_label;
  GtkLabel         *lowest_label;
  GtkLabel         *mean_label;
  GtkButton        *measure_button;
  GtkDropDown      *metric_dropdown;

  AdwPreferencesGroup *drill_group;
  AdwPreferencesGroup *numbers_group;
  GtkStack         *drill_stack;
  LbHeatmap        *drill_map;
  LbHistogram      *histogram;
  GtkLabel         *drill_snr_label;
  GtkLabel         *drill_mse_label;
  GtkLabel         *drill_cosine_label;
  GtkLabel         *drill_max_label;

  LbSession        *session;
  guint             n_layers;
  /* the last measurement: n_layers × kinds + N_ENDS values per metric */
  double           *snr;
  double           *weighted;
  gboolean          has_weighted;
  guint             measured_revision;
  gboolean          measured;
  LbJob            *job;
  LbJob            *drill_job;
  char             *drill_name;
};

G_DEFINE_FINAL_TYPE (LbHeatmapView, lb_heatmap_view, ADW_TYPE_BIN)

static LbWindow *
get_window (LbHeatmapView *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  return LB_IS_WINDOW (root) ? LB_WINDOW (root) : NULL;
}

static guint
n_values (LbHeatmapView *self)
{
  return self->n_layers * LB_SESSION_N_KINDS + N_ENDS;
}

static char *
cell_tensor_name (LbHeatmapView *self, guint index)
{
  if (index < self->n_layers * LB_SESSION_N_KINDS)
    return g_strdup_printf ("blk.%u.%s.weight", index / LB_SESSION_N_KINDS,
                            lb_session_kinds[index % LB_SESSION_N_KINDS]);
  return g_strdup (end_names[index - self->n_layers * LB_SESSION_N_KINDS]);
}

/* ---- the whole model ------------------------------------------------------------- */

typedef struct {
  LbModel    *model;
  LbImatrix  *imatrix;
  guint       n_threads;
  guint       n;
  char      **names;     /* n; NULL where there is no such tensor */
  LbType     *types;     /* n */
} SnrData;

typedef struct {
  guint   n;
  double *snr;
  double *weighted;
  gboolean has_weighted;
} SnrResult;

static void
snr_data_free (gpointer data)
{
  SnrData *d = data;

  g_clear_object (&d->model);
  g_clear_pointer (&d->imatrix, lb_imatrix_unref);
  for (guint i = 0; i < d->n; i++)
    g_free (d->names[i]);
  g_free (d->names);
  g_free (d->types);
  g_free (d);
}

static void
snr_result_free (gpointer data)
{
  SnrResult *r = data;

  g_free (r->snr);
  g_free (r->weighted);
  g_free (r);
}

static gpointer
snr_thread (LbJob *job, gpointer task_data, GCancellable *cancellable, GError **error)
{
  SnrData *d = task_data;
  g_autoptr (LbThreadPool) pool = lb_thread_pool_new (d->n_threads, error);
  SnrResult *r;
  gint64 total = 0, done = 0;

  if (pool == NULL)
    return NULL;
  r = g_new0 (SnrResult, 1);
  r->n = d->n;
  r->snr = g_new (double, d->n);
  r->weighted = g_new (double, d->n);
  for (guint i = 0; i < d->n; i++)
    {
      const LbTensor *t = d->names[i] ? lb_model_find_tensor (d->model, d->names[i]) : NULL;

      if (t != NULL && d->types[i] != t->type)
        total += lb_tensor_n_elements (t);
    }

  for (guint i = 0; i < d->n; i++)
    {
      const LbTensor *t = d->names[i] ? lb_model_find_tensor (d->model, d->names[i]) : NULL;
      LbTensorErrorParams params = LB_TENSOR_ERROR_PARAMS_INIT;
      LbTensorError err;

      r->snr[i] = r->weighted[i] = NAN;
      if (t == NULL)
        continue;
      if (d->types[i] == t->type)
        {
          /* kept as stored: nothing is lost */
          r->snr[i] = r->weighted[i] = INFINITY;
          continue;
        }
      params.pool = pool;
      if (d->imatrix != NULL
          && !lb_tensor_find_importance (t, d->imatrix, &params.importance, &params.n_importance,
                                         error))
        goto fail;
      if (!lb_tensor_error_under_type (t, d->types[i], &params, &err, NULL, cancellable, error))
        goto fail;
      r->snr[i] = err.snr_db;
      if (err.weighted)
        {
          r->weighted[i] = err.weighted_snr_db;
          r->has_weighted = TRUE;
        }
      done += lb_tensor_n_elements (t);
      lb_job_report (job, total > 0 ? (double) done / total : 1.0, t->name);
    }
  return r;

fail:
  snr_result_free (r);
  return NULL;
}

static const double *
shown_values (LbHeatmapView *self)
{
  gboolean weighted = self->has_weighted && gtk_drop_down_get_selected (self->metric_dropdown) == 1;

  return weighted ? self->weighted : self->snr;
}

static void
show_values (LbHeatmapView *self)
{
  const double *values = shown_values (self);
  g_autoptr (GPtrArray) rows = g_ptr_array_new_with_free_func (g_free);
  const char *ends_labels[N_ENDS] = { "token_embd", "output" };
  double lo = INFINITY, hi = -INFINITY, sum = 0;
  guint n_finite = 0, lowest = 0;
  g_autofree char *lowest_name = NULL;
  g_autofree char *text = NULL;

  if (values == NULL || self->session == NULL)
    return;
  for (guint il = 0; il < self->n_layers; il++)
    g_ptr_array_add (rows, g_strdup_printf ("blk.%u", il));
  g_ptr_array_add (rows, NULL);

  for (guint i = 0; i < n_values (self); i++)
    if (isfinite (values[i]))
      {
        if (values[i] < lo)
          lowest = i;
        lo = MIN (lo, values[i]);
        hi = MAX (hi, values[i]);
        sum += values[i];
        n_finite++;
      }
  /* both maps on one fixed scale, so that colours mean the same from one
   * map to the next: about 6 dB a bit, from 2-bit red to 7-bit green */
  lb_heatmap_set_range (self->heatmap, SNR_RED, SNR_GREEN);
  lb_heatmap_set_range (self->ends_heatmap, SNR_RED, SNR_GREEN);
  lb_heatmap_set_data (self->heatmap, self->n_layers, LB_SESSION_N_KINDS, values,
                       (const char * const *) rows->pdata, lb_session_kinds);
  lb_heatmap_set_data (self->ends_heatmap, 1, N_ENDS, values + self->n_layers * LB_SESSION_N_KINDS,
                       NULL, ends_labels);

  if (n_finite == 0)
    {
      gtk_label_set_label (self->lowest_label, _("Nothing is quantized"));
      gtk_label_set_label (self->mean_label, "—");
      return;
    }
  lowest_name = cell_tensor_name (self, lowest);
  /* Translators: the tensor with the lowest SNR and its value, "blk.0.attn_v.weight, 18.2 dB" */
  text = g_strdup_printf (_("%s, %.1f dB"), lowest_name, lo);
  gtk_label_set_label (self->lowest_label, text);
  g_free (text);
  text = g_strdup_printf (_("%.1f dB over %u quantized tensors"), sum / n_finite, n_finite);
  gtk_label_set_label (self->mean_label, text);
}

static void
update_status (LbHeatmapView *self)
{
  g_autofree char *label = NULL;
  g_autofree char *text = NULL;

  if (self->session == NULL)
    return;
  label = lb_session_dup_label (self->session);
  if (self->job != NULL)
    /* Translators: "Measuring Q4_K_M…" */
    text = g_strdup_printf (_("Measuring %s…"), label);
  else if (!self->measured)
    text = g_strdup (_("Not measured yet"));
  else if (self->measured_revision != lb_session_get_revision (self->session))
    text = g_strdup (_("The map changed since it was measured"));
  else
    text = g_strdup_printf (_("Measured: %s"), label);
  gtk_label_set_label (self->status_label, text);
  gtk_widget_set_sensitive (GTK_WIDGET (self->measure_button), self->job == NULL);
  gtk_widget_set_visible (GTK_WIDGET (self->metric_dropdown), self->has_weighted);
}

static void
on_measured (GObject *source, GAsyncResult *result, gpointer user_data)
{
  LbJob *job = LB_JOB (source);
  g_autoptr (LbHeatmapView) self = user_data;
  g_autoptr (GError) error = NULL;
  SnrResult *r = lb_job_run_finish (job, result, &error);
  guint revision = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (job), "lb-revision"));

  if (self->job != job)
    {
      /* replaced by a newer measurement, or the session went away */
      if (r != NULL)
        snr_result_free (r);
      return;
    }
  g_clear_object (&self->job);
  if (r == NULL)
    {
      LbWindow *window = get_window (self);

      if (window != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        lb_window_show_error (window, _("Could Not Measure the Weight Error"), error->message);
      update_status (self);
      return;
    }
  g_free (self->snr);
  g_free (self->weighted);
  self->snr = g_steal_pointer (&r->snr);
  self->weighted = g_steal_pointer (&r->weighted);
  self->has_weighted = r->has_weighted;
  self->measured = TRUE;
  self->measured_revision = revision;
  snr_result_free (r);
  show_values (self);
  update_status (self);
  if (self->drill_name != NULL)
    lb_heatmap_view_drill_down (self, self->drill_name);
}

void
lb_heatmap_view_refresh (LbHeatmapView *self)
{
  LbWindow *window;
  g_autoptr (LbJob) job = NULL;
  g_autofree char *title = NULL;
  g_autofree char *label = NULL;
  SnrData *d;

  g_return_if_fail (LB_IS_HEATMAP_VIEW (self));

  window = get_window (self);
  if (self->session == NULL || window == NULL)
    return;
  /* cancel and replace */
  if (self->job != NULL)
    lb_job_cancel (self->job);
  g_clear_object (&self->job);

  d = g_new0 (SnrData, 1);
  d->model = g_object_ref (lb_session_get_model (self->session));
  d->imatrix = lb_session_get_imatrix (self->session) != NULL
               ? lb_imatrix_ref (lb_session_get_imatrix (self->session)) : NULL;
  d->n_threads = lb_session_get_n_threads (self->session);
  d->n = n_values (self);
  d->names = g_new0 (char *, d->n);
  d->types = g_new0 (LbType, d->n);
  /* the types as they are now: the result describes this revision */
  for (guint i = 0; i < d->n; i++)
    {
      g_autofree char *name = cell_tensor_name (self, i);

      d->types[i] = lb_session_get_tensor_type (self->session, name);
      if (d->types[i] < LB_TYPE_COUNT)
        d->names[i] = g_steal_pointer (&name);
    }

  label = lb_session_dup_label (self->session);
  /* Translators: "Weight error of Q4_K_M" */
  title = g_strdup_printf (_("Weight error of %s"), label);
  job = lb_job_new (title);
  g_object_set_data (G_OBJECT (job), "lb-revision",
                     GUINT_TO_POINTER (lb_session_get_revision (self->session)));
  lb_job_report (job, 0.0, _("Quantizing each tensor and comparing it with the original"));
  self->job = g_object_ref (job);
  lb_window_add_job (window, job);
  update_status (self);
  lb_job_run_async (job, snr_thread, d, snr_data_free, snr_result_free, on_measured,
                    g_object_ref (self));
}

static gboolean
out_of_date (LbHeatmapView *self)
{
  return self->session != NULL && self->job == NULL
         && (!self->measured || self->measured_revision != lb_session_get_revision (self->session));
}

static void
on_map (LbHeatmapView *self)
{
  if (out_of_date (self))
    lb_heatmap_view_refresh (self);
}

static void
on_session_changed (LbHeatmapView *self)
{
  update_status (self);
  if (gtk_widget_get_mapped (GTK_WIDGET (self)) && self->session != NULL)
    lb_heatmap_view_refresh (self);
}

/* ---- one tensor ------------------------------------------------------------------ */

typedef struct {
  LbModel   *model;
  LbImatrix *imatrix;
  char      *name;
  LbType     type;
  guint      n_threads;
} DrillData;

typedef struct {
  LbTensorError err;
  LbErrorMap   *map;
  double        counts[N_BINS];
  double        lo, hi;
  double       *levels;
  guint         n_levels;
  gboolean      lossless;
} DrillResult;

static void
drill_data_free (gpointer data)
{
  DrillData *d = data;

  g_clear_object (&d->model);
  g_clear_pointer (&d->imatrix, lb_imatrix_unref);
  g_free (d->name);
  g_free (d);
}

static void
drill_result_free (gpointer data)
{
  DrillResult *r = data;

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

static gpointer
drill_thread (LbJob *job, gpointer task_data, GCancellable *cancellable, GError **error)
{
  DrillData *d = task_data;
  const LbTensor *t = lb_model_find_tensor (d->model, d->name);
  const LbTypeTraits *src;
  g_autoptr (LbThreadPool) pool = NULL;
  g_autoptr (GArray) sample = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GArray) absmax = g_array_new (FALSE, FALSE, sizeof (double));
  g_autofree float *row = NULL;
  LbTensorErrorParams params = LB_TENSOR_ERROR_PARAMS_INIT;
  DrillResult *r;
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

  r = g_new0 (DrillResult, 1);
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
  drill_result_free (r);
  return NULL;
}

static void
on_drilled (GObject *source, GAsyncResult *result, gpointer user_data)
{
  LbJob *job = LB_JOB (source);
  g_autoptr (LbHeatmapView) self = user_data;
  g_autoptr (GError) error = NULL;
  DrillResult *r = lb_job_run_finish (job, result, &error);
  const char *name = g_object_get_data (G_OBJECT (job), "lb-name");
  LbType type = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (job), "lb-type"));
  g_autofree char *text = NULL;
  g_autofree char *description = NULL;
  g_autofree char *title = NULL;

  if (self->drill_job != job)
    {
      if (r != NULL)
        drill_result_free (r);
      return;
    }
  g_clear_object (&self->drill_job);
  if (r == NULL)
    {
      LbWindow *window = get_window (self);

      if (window != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        lb_window_show_error (window, _("Could Not Measure the Tensor"), error->message);
      gtk_stack_set_visible_child_name (self->drill_stack, "empty");
      return;
    }

  if (r->map != NULL)
    {
      g_autoptr (GPtrArray) rows = g_ptr_array_new_with_free_func (g_free);
      g_autoptr (GPtrArray) cols = g_ptr_array_new_with_free_func (g_free);

      /* label every fourth band with the first row (column) it covers */
      for (guint i = 0; i < r->map->n_rows; i++)
        g_ptr_array_add (rows, i % 4 == 0 ? g_strdup_printf ("%" G_GINT64_FORMAT,
                                                             i * r->map->tensor_rows / r->map->n_rows)
                                          : NULL);
      for (guint i = 0; i < r->map->n_cols; i++)
        g_ptr_array_add (cols, i % 4 == 0 ? g_strdup_printf ("%" G_GINT64_FORMAT,
                                                             i * r->map->tensor_cols / r->map->n_cols)
                                          : NULL);
      lb_heatmap_set_data (self->drill_map, r->map->n_rows, r->map->n_cols, r->map->snr_db,
                           (const char * const *) rows->pdata, (const char * const *) cols->pdata);
    }
  else
    lb_heatmap_set_data (self->drill_map, 0, 0, NULL, NULL, NULL);
  /* Translators: the error map's title: rows × columns of the tensor */
  title = g_strdup_printf (_("SNR by block of rows × columns (%s)"), lb_type_get_name (type));
  lb_heatmap_set_title (self->drill_map, r->lossless ? _("Kept as stored: no error") : title);

  lb_histogram_set_bins (self->histogram, N_BINS, r->counts, r->lo, r->hi);
  lb_histogram_set_levels (self->histogram, r->n_levels, r->levels);
  g_free (title);
  if (r->n_levels > 0)
    /* Translators: histogram title, "Weights and the 16 levels of a typical Q4_0 block" */
    title = g_strdup_printf (_("Weights and the %u levels of a typical %s block"), r->n_levels,
                             lb_type_get_name (type));
  else
    title = g_strdup (_("Weights"));
  lb_histogram_set_title (self->histogram, title);

  lb_group_set_title (self->drill_group, name);
  description = g_strdup_printf (_("Quantized to %s, against its original weights. Levels are "
                                   "drawn at the scale of the median block."),
                                 lb_type_get_name (type));
  lb_group_set_description (self->drill_group, description);

  if (r->lossless)
    {
      gtk_label_set_label (self->drill_snr_label, _("No error"));
      gtk_label_set_label (self->drill_mse_label, "0");
      gtk_label_set_label (self->drill_cosine_label, "1");
      gtk_label_set_label (self->drill_max_label, "0");
    }
  else
    {
      text = g_strdup_printf (_("%.2f dB"), r->err.snr_db);
      gtk_label_set_label (self->drill_snr_label, text);
      g_free (text);
      /* Translators: MSE and its ratio to the weights' mean square */
      text = g_strdup_printf (_("%.3g (%.2g of the mean square)"), r->err.mse,
                              r->err.rms > 0 ? r->err.mse / (r->err.rms * r->err.rms) : NAN);
      gtk_label_set_label (self->drill_mse_label, text);
      g_free (text);
      text = g_strdup_printf ("%.6f", r->err.cosine);
      gtk_label_set_label (self->drill_cosine_label, text);
      g_free (text);
      text = g_strdup_printf ("%.4g", r->err.max_abs);
      gtk_label_set_label (self->drill_max_label, text);
    }
  gtk_stack_set_visible_child_name (self->drill_stack, "tensor");
  lb_group_set_description (self->numbers_group, name);
  gtk_widget_set_visible (GTK_WIDGET (self->numbers_group), TRUE);
  drill_result_free (r);
}

/* Outlines the cell of the tensor looked at */
static void
highlight (LbHeatmapView *self, const char *name)
{
  int row = -1, col = -1, end = -1;

  for (guint i = 0; i < n_values (self); i++)
    {
      g_autofree char *cell = cell_tensor_name (self, i);

      if (!g_str_equal (cell, name))
        continue;
      if (i < self->n_layers * LB_SESSION_N_KINDS)
        {
          row = (int) (i / LB_SESSION_N_KINDS);
          col = (int) (i % LB_SESSION_N_KINDS);
        }
      else
        end = (int) (i - self->n_layers * LB_SESSION_N_KINDS);
    }
  lb_heatmap_set_highlight (self->heatmap, row, col);
  lb_heatmap_set_highlight (self->ends_heatmap, end >= 0 ? 0 : -1, end);
}

void
lb_heatmap_view_drill_down (LbHeatmapView *self, const char *tensor_name)
{
  LbWindow *window;
  g_autoptr (LbJob) job = NULL;
  g_autofree char *title = NULL;
  DrillData *d;
  LbType type;

  g_return_if_fail (LB_IS_HEATMAP_VIEW (self));
  g_return_if_fail (tensor_name != NULL);

  window = get_window (self);
  if (self->session == NULL || window == NULL)
    return;
  type = lb_session_get_tensor_type (self->session, tensor_name);
  if (type >= LB_TYPE_COUNT)
    return;
  if (self->drill_job != NULL)
    lb_job_cancel (self->drill_job);
  g_clear_object (&self->drill_job);
  if (self->drill_name != tensor_name)
    {
      g_free (self->drill_name);
      self->drill_name = g_strdup (tensor_name);
    }
  highlight (self, tensor_name);

  d = g_new0 (DrillData, 1);
  d->model = g_object_ref (lb_session_get_model (self->session));
  d->imatrix = lb_session_get_imatrix (self->session) != NULL
               ? lb_imatrix_ref (lb_session_get_imatrix (self->session)) : NULL;
  d->name = g_strdup (tensor_name);
  d->type = type;
  d->n_threads = lb_session_get_n_threads (self->session);

  /* Translators: "Close look at blk.0.attn_v.weight" */
  title = g_strdup_printf (_("Close look at %s"), tensor_name);
  job = lb_job_new (title);
  g_object_set_data_full (G_OBJECT (job), "lb-name", g_strdup (tensor_name), g_free);
  g_object_set_data (G_OBJECT (job), "lb-type", GINT_TO_POINTER (type));
  self->drill_job = g_object_ref (job);
  gtk_widget_set_visible (GTK_WIDGET (self->drill_group), TRUE);
  lb_group_set_title (self->drill_group, tensor_name);
  gtk_stack_set_visible_child_name (self->drill_stack, "busy");
  lb_window_add_job (window, job);
  lb_job_run_async (job, drill_thread, d, drill_data_free, drill_result_free, on_drilled,
                    g_object_ref (self));
}

static void
on_cell_activated (LbHeatmap *heatmap, guint row, guint col, LbHeatmapView *self)
{
  guint index = heatmap == self->heatmap ? row * LB_SESSION_N_KINDS + col
                                         : self->n_layers * LB_SESSION_N_KINDS + col;
  g_autofree char *name = cell_tensor_name (self, index);

  lb_heatmap_view_drill_down (self, name);
}

/* ---- the session ---------------------------------------------------------------- */

void
lb_heatmap_view_set_session (LbHeatmapView *self, LbSession *session)
{
  g_return_if_fail (LB_IS_HEATMAP_VIEW (self));

  if (self->session == session)
    return;
  if (self->session != NULL)
    g_signal_handlers_disconnect_by_data (self->session, self);
  if (self->job != NULL)
    lb_job_cancel (self->job);
  g_clear_object (&self->job);
  if (self->drill_job != NULL)
    lb_job_cancel (self->drill_job);
  g_clear_object (&self->drill_job);
  g_clear_pointer (&self->drill_name, g_free);
  g_clear_pointer (&self->snr, g_free);
  g_clear_pointer (&self->weighted, g_free);
  self->has_weighted = FALSE;
  self->measured = FALSE;
  g_set_object (&self->session, session);
  gtk_widget_set_visible (GTK_WIDGET (self->drill_group), FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->numbers_group), FALSE);
  lb_heatmap_set_highlight (self->heatmap, -1, -1);
  lb_heatmap_set_highlight (self->ends_heatmap, -1, -1);

  if (session != NULL)
    {
      self->n_layers = lb_model_get_hparams (lb_session_get_model (session))->n_layer;
      g_signal_connect_swapped (session, "changed", G_CALLBACK (on_session_changed), self);
      lb_heatmap_set_data (self->heatmap, 0, 0, NULL, NULL, NULL);
      lb_heatmap_set_data (self->ends_heatmap, 0, 0, NULL, NULL, NULL);
      gtk_label_set_label (self->lowest_label, "—");
      gtk_label_set_label (self->mean_label, "—");
      update_status (self);
      if (gtk_widget_get_mapped (GTK_WIDGET (self)))
        lb_heatmap_view_refresh (self);
    }
  gtk_stack_set_visible_child_name (self->stack, session != NULL ? "map" : "empty");
}

/* ---- building the page ------------------------------------------------------------- */

static void
measure_clicked (GtkButton *button, LbHeatmapView *self)
{
  lb_heatmap_view_refresh (self);
}

static GtkLabel *
add_value_row (AdwPreferencesGroup *group, const char *title, const char *subtitle)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *label = gtk_label_new ("—");

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  if (subtitle != NULL)
    adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_MIDDLE);
  gtk_widget_add_css_class (label, "numeric");
  gtk_widget_add_css_class (label, "lb-row-value");
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), label);
  adw_preferences_group_add (group, row);
  return GTK_LABEL (label);
}

static LbHeatmap *
snr_heatmap_new (void)
{
  LbHeatmap *heatmap = LB_HEATMAP (lb_heatmap_new ());

  lb_heatmap_set_colormap (heatmap, LB_COLORMAP_TRAFFIC);
  /* high SNR is good: green */
  lb_heatmap_set_reverse (heatmap, TRUE);
  lb_heatmap_set_format (heatmap, LB_CHART_FORMAT_DECIBEL);
  lb_heatmap_set_legend_label (heatmap, _("Weight SNR (dB), higher is better"));
  gtk_widget_set_hexpand (GTK_WIDGET (heatmap), TRUE);
  return heatmap;
}

static GtkWidget *
card_new (void)
{
  GtkWidget *card = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);

  gtk_widget_add_css_class (card, "card");
  gtk_widget_add_css_class (card, "lb-map-card");
  return card;
}

static void
lb_heatmap_view_dispose (GObject *object)
{
  LbHeatmapView *self = LB_HEATMAP_VIEW (object);

  if (self->session != NULL)
    g_signal_handlers_disconnect_by_data (self->session, self);
  if (self->job != NULL)
    lb_job_cancel (self->job);
  g_clear_object (&self->job);
  if (self->drill_job != NULL)
    lb_job_cancel (self->drill_job);
  g_clear_object (&self->drill_job);
  g_clear_object (&self->session);

  G_OBJECT_CLASS (lb_heatmap_view_parent_class)->dispose (object);
}

static void
lb_heatmap_view_finalize (GObject *object)
{
  LbHeatmapView *self = LB_HEATMAP_VIEW (object);

  g_free (self->snr);
  g_free (self->weighted);
  g_free (self->drill_name);

  G_OBJECT_CLASS (lb_heatmap_view_parent_class)->finalize (object);
}

static void
lb_heatmap_view_class_init (LbHeatmapViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = lb_heatmap_view_dispose;
  object_class->finalize = lb_heatmap_view_finalize;
}

static void
lb_heatmap_view_init (LbHeatmapView *self)
{
  GtkWidget *empty = adw_status_page_new ();
  GtkWidget *scrolled = gtk_scrolled_window_new ();
  GtkWidget *clamp = adw_clamp_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 24);
  GtkWidget *top = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 30);
  GtkWidget *side = gtk_box_new (GTK_ORIENTATION_VERTICAL, 24);
  AdwPreferencesGroup *group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  AdwPreferencesGroup *summary = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  AdwPreferencesGroup *numbers;
  GtkWidget *suffix = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *card = card_new ();
  GtkWidget *drill_box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 18);
  GtkWidget *map_card = card_new ();
  GtkWidget *hist_card = card_new ();
  GtkWidget *spinner, *busy_box, *hint;
  const char *metrics[] = { N_("Weight SNR"), N_("Importance-weighted SNR"), NULL };
  g_autoptr (GtkStringList) metric_names = gtk_string_list_new (NULL);

  adw_status_page_set_icon_name (ADW_STATUS_PAGE (empty), "lb-heatmap-symbolic");
  adw_status_page_set_title (ADW_STATUS_PAGE (empty), _("Error Map"));
  adw_status_page_set_description (ADW_STATUS_PAGE (empty),
                                   _("Open a model to see where quantization hurts it."));

  /* the model */
  lb_group_set_title (group, _("Weight Error by Tensor"));
  lb_group_set_description (group,
    _("Signal-to-noise ratio of each tensor’s weights under the type the precision map gives "
      "it. Grey cells are kept as stored. Click a cell for a closer look."));
  for (guint i = 0; metrics[i] != NULL; i++)
    gtk_string_list_append (metric_names, _(metrics[i]));
  self->metric_dropdown = GTK_DROP_DOWN (gtk_drop_down_new (G_LIST_MODEL (g_steal_pointer (&metric_names)),
                                                            NULL));
  gtk_widget_set_valign (GTK_WIDGET (self->metric_dropdown), GTK_ALIGN_CENTER);
  gtk_widget_set_visible (GTK_WIDGET (self->metric_dropdown), FALSE);
  g_signal_connect_swapped (self->metric_dropdown, "notify::selected", G_CALLBACK (show_values), self);
  gtk_box_append (GTK_BOX (suffix), GTK_WIDGET (self->metric_dropdown));
  self->measure_button = GTK_BUTTON (gtk_button_new_with_mnemonic (_("_Measure Again")));
  gtk_widget_set_valign (GTK_WIDGET (self->measure_button), GTK_ALIGN_CENTER);
  g_signal_connect (self->measure_button, "clicked", G_CALLBACK (measure_clicked), self);
  gtk_box_append (GTK_BOX (suffix), GTK_WIDGET (self->measure_button));
  lb_group_set_suffix (group, suffix);

  self->heatmap = snr_heatmap_new ();
  gtk_widget_set_size_request (GTK_WIDGET (self->heatmap), -1, 300);
  g_signal_connect (self->heatmap, "cell-activated", G_CALLBACK (on_cell_activated), self);
  gtk_box_append (GTK_BOX (card), GTK_WIDGET (self->heatmap));
  self->ends_heatmap = snr_heatmap_new ();
  lb_heatmap_set_title (self->ends_heatmap, _("Outside the layers"));
  lb_heatmap_set_legend_label (self->ends_heatmap, NULL);
  gtk_widget_set_size_request (GTK_WIDGET (self->ends_heatmap), -1, 90);
  g_signal_connect (self->ends_heatmap, "cell-activated", G_CALLBACK (on_cell_activated), self);
  gtk_box_append (GTK_BOX (card), GTK_WIDGET (self->ends_heatmap));
  adw_preferences_group_add (group, card);
  gtk_widget_set_hexpand (GTK_WIDGET (group), TRUE);
  gtk_box_append (GTK_BOX (top), GTK_WIDGET (group));

  lb_group_set_title (summary, _("Summary"));
  self->status_label = add_value_row (summary, _("Map"), NULL);
  self->lowest_label = add_value_row (summary, _("Lowest SNR"), NULL);
  self->mean_label = add_value_row (summary, _("Mean SNR"), NULL);
  gtk_box_append (GTK_BOX (side), GTK_WIDGET (summary));
  gtk_widget_set_size_request (side, 340, -1);
  /* the figures of the tensor looked at closely */
  numbers = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  lb_group_set_title (numbers, _("Selected Tensor"));
  self->drill_snr_label = add_value_row (numbers, _("SNR"), NULL);
  self->drill_mse_label = add_value_row (numbers, _("Mean Squared Error"), NULL);
  self->drill_cosine_label = add_value_row (numbers, _("Cosine Similarity"), NULL);
  self->drill_max_label = add_value_row (numbers, _("Largest Error"), NULL);
  self->numbers_group = numbers;
  gtk_widget_set_visible (GTK_WIDGET (numbers), FALSE);
  gtk_box_append (GTK_BOX (side), GTK_WIDGET (numbers));
  hint = gtk_label_new (_("About 6 dB of SNR is one bit per weight: 4-bit types give some "
                          "20 dB, 8-bit ones over 40. Tensors that lose the most are the "
                          "first to give a wider type."));
  gtk_label_set_wrap (GTK_LABEL (hint), TRUE);
  gtk_label_set_xalign (GTK_LABEL (hint), 0.0f);
  gtk_widget_add_css_class (hint, "dim-label");
  gtk_box_append (GTK_BOX (side), hint);
  {
    GtkWidget *side_clamp = adw_clamp_new ();

    adw_clamp_set_maximum_size (ADW_CLAMP (side_clamp), 400);
    adw_clamp_set_tightening_threshold (ADW_CLAMP (side_clamp), 340);
    adw_clamp_set_child (ADW_CLAMP (side_clamp), side);
    gtk_widget_set_valign (side_clamp, GTK_ALIGN_START);
    gtk_box_append (GTK_BOX (top), side_clamp);
  }
  gtk_box_append (GTK_BOX (box), top);

  /* one tensor */
  self->drill_group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  self->drill_stack = GTK_STACK (gtk_stack_new ());
  gtk_stack_set_vhomogeneous (self->drill_stack, FALSE);
  busy_box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  spinner = gtk_spinner_new ();
  gtk_spinner_start (GTK_SPINNER (spinner));
  gtk_box_append (GTK_BOX (busy_box), spinner);
  gtk_box_append (GTK_BOX (busy_box), gtk_label_new (_("Measuring this tensor…")));
  gtk_widget_set_margin_top (busy_box, 12);
  gtk_stack_add_named (self->drill_stack, busy_box, "busy");
  gtk_stack_add_named (self->drill_stack, gtk_box_new (GTK_ORIENTATION_VERTICAL, 0), "empty");

  self->drill_map = LB_HEATMAP (lb_heatmap_new ());
  lb_heatmap_set_colormap (self->drill_map, LB_COLORMAP_TRAFFIC);
  lb_heatmap_set_reverse (self->drill_map, TRUE);
  lb_heatmap_set_format (self->drill_map, LB_CHART_FORMAT_DECIBEL);
  lb_heatmap_set_legend_label (self->drill_map, _("SNR (dB)"));
  gtk_widget_set_size_request (GTK_WIDGET (self->drill_map), 380, 320);
  gtk_widget_set_hexpand (GTK_WIDGET (self->drill_map), TRUE);
  gtk_box_append (GTK_BOX (map_card), GTK_WIDGET (self->drill_map));
  gtk_widget_set_hexpand (map_card, TRUE);
  self->histogram = LB_HISTOGRAM (lb_histogram_new ());
  lb_histogram_set_x_label (self->histogram, _("Weight"));
  lb_histogram_set_log_scale (self->histogram, TRUE);
  gtk_widget_set_size_request (GTK_WIDGET (self->histogram), 380, 320);
  gtk_widget_set_hexpand (GTK_WIDGET (self->histogram), TRUE);
  gtk_box_append (GTK_BOX (hist_card), GTK_WIDGET (self->histogram));
  gtk_widget_set_hexpand (hist_card, TRUE);
  gtk_box_set_homogeneous (GTK_BOX (drill_box), TRUE);
  gtk_box_append (GTK_BOX (drill_box), map_card);
  gtk_box_append (GTK_BOX (drill_box), hist_card);
  gtk_stack_add_named (self->drill_stack, drill_box, "tensor");
  adw_preferences_group_add (self->drill_group, GTK_WIDGET (self->drill_stack));
  gtk_widget_set_visible (GTK_WIDGET (self->drill_group), FALSE);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->drill_group));

  gtk_widget_set_margin_top (box, 24);
  gtk_widget_set_margin_bottom (box, 30);
  gtk_widget_set_margin_start (box, 18);
  gtk_widget_set_margin_end (box, 18);
  adw_clamp_set_maximum_size (ADW_CLAMP (clamp), 1400);
  adw_clamp_set_child (ADW_CLAMP (clamp), box);
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scrolled), GTK_POLICY_NEVER,
                                  GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), lb_page_box_new (clamp));

  self->stack = GTK_STACK (gtk_stack_new ());
  gtk_stack_add_named (self->stack, empty, "empty");
  gtk_stack_add_named (self->stack, scrolled, "map");
  adw_bin_set_child (ADW_BIN (self), GTK_WIDGET (self->stack));
  g_signal_connect (self, "map", G_CALLBACK (on_map), NULL);
}

GtkWidget *
lb_heatmap_view_new (void)
{
  return g_object_new (LB_TYPE_HEATMAP_VIEW, NULL);
}
