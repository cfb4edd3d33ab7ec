/* lb-heatmap-view.c: the error map: one metric (lb-heat-metric.h) for
 * every weight matrix of the session's map, measured as a job when the
 * page is shown and what it shows is out of date; optionally beside the
 * same metric for a preset or recipe file, on the same colour scale, or as
 * the difference between the two. */
#include "config.h"

#include <math.h>
#include <glib/gi18n.h>

#include "lb-eval-view.h"
#include "lb-heatmap-view-private.h"
#include "lb-page-layout.h"
#include "lb-recipe-edit.h"

/* the text metrics' slice: short, they rank rather than measure */
#define SLICE_CTX    128
#define SLICE_CHUNKS 4

static const char * const end_names[LB_HEATMAP_N_ENDS] = { "token_embd.weight", "output.weight" };
static const char * const end_labels[LB_HEATMAP_N_ENDS] = { "token_embd", "output" };

G_DEFINE_FINAL_TYPE (LbHeatmapView, lb_heatmap_view, ADW_TYPE_BIN)

static void start_measuring (LbHeatmapView *self);

static char *
cell_name (LbHeatmapView *self, guint i)
{
  if (i < self->n_layers * LB_SESSION_N_KINDS)
    return g_strdup_printf ("blk.%u.%s.weight", i / LB_SESSION_N_KINDS,
                            lb_session_kinds[i % LB_SESSION_N_KINDS]);
  return g_strdup (end_names[i - self->n_layers * LB_SESSION_N_KINDS]);
}

int
lb_heatmap_view_find_cell (LbHeatmapView *self, const char *name)
{
  for (guint i = 0; i < self->n; i++)
    if (self->names[i] != NULL && g_str_equal (self->names[i], name))
      return (int) i;
  return -1;
}

static void
measured_clear (LbHeatMeasured *m, guint n)
{
  g_clear_pointer (&m->imatrix, lb_imatrix_unref);
  g_clear_pointer (&m->text, g_free);
  g_clear_pointer (&m->values, g_free);
  g_clear_pointer (&m->types, g_free);
  if (m->notes != NULL)
    for (guint i = 0; i < n; i++)
      g_free (m->notes[i]);
  g_clear_pointer (&m->notes, g_free);
  m->valid = FALSE;
}

static void
clear_all (LbHeatmapView *self, gboolean compared_only)
{
  for (guint m = 0; m < LB_HEAT_N_METRICS; m++)
    {
      if (!compared_only)
        measured_clear (&self->current[m], self->n);
      measured_clear (&self->compared[m], self->n);
    }
}

/* ---- what is out of date ------------------------------------------------------------ */

static LbImatrix *
session_imatrix (LbHeatmapView *self)
{
  return self->session != NULL ? lb_session_get_imatrix (self->session) : NULL;
}

static gboolean
is_up_to_date (LbHeatmapView *self, const LbHeatMeasured *m, guint revision)
{
  return m->valid && m->revision == revision && m->imatrix == session_imatrix (self)
         && (!lb_heat_metric_needs_text (self->metric) || g_strcmp0 (m->text, self->text_path) == 0);
}

static gboolean
current_ok (LbHeatmapView *self)
{
  return is_up_to_date (self, &self->current[self->metric], lb_session_get_revision (self->session));
}

static gboolean
compared_ok (LbHeatmapView *self)
{
  return self->compare_recipe == NULL
         || is_up_to_date (self, &self->compared[self->metric], self->compare_serial);
}

/* Why the metric cannot be measured, or NULL */
static const char *
missing (LbHeatmapView *self)
{
  if (lb_heat_metric_needs_importance (self->metric) && session_imatrix (self) == NULL)
    return _("This metric needs importance data: open or calibrate some under Importance Data "
             "on the Precision page.");
  if (lb_heat_metric_needs_text (self->metric) && self->text_path == NULL)
    return _("This metric runs the model over a text: choose one below.");
  return NULL;
}

/* ---- showing what was measured ------------------------------------------------------- */

static void
set_map (LbHeatCard *card, LbHeatmapView *self, const double *values, char **notes)
{
  g_autoptr (GPtrArray) rows = g_ptr_array_new_with_free_func (g_free);
  guint n_grid = self->n_layers * LB_SESSION_N_KINDS;

  for (guint l = 0; l < self->n_layers; l++)
    g_ptr_array_add (rows, g_strdup_printf ("blk.%u", l));
  g_ptr_array_add (rows, NULL);
  if (values == NULL)
    {
      lb_heatmap_set_data (card->layers, 0, 0, NULL, NULL, NULL);
      lb_heatmap_set_data (card->ends, 0, 0, NULL, NULL, NULL);
      return;
    }
  lb_heatmap_set_data (card->layers, self->n_layers, LB_SESSION_N_KINDS, values,
                       (const char * const *) rows->pdata, lb_session_kinds);
  lb_heatmap_set_data (card->ends, 1, LB_HEATMAP_N_ENDS, values + n_grid, NULL, end_labels);
  if (notes != NULL)
    {
      lb_heatmap_set_cell_notes (card->layers, (const char * const *) notes);
      lb_heatmap_set_cell_notes (card->ends, (const char * const *) notes + n_grid);
    }
}

static void
style_card (LbHeatCard *card, LbHeatmapView *self, gboolean difference, const char *legend)
{
  LbHeatmap *maps[2] = { card->layers, card->ends };

  for (guint i = 0; i < G_N_ELEMENTS (maps); i++)
    {
      lb_heatmap_set_colormap (maps[i], difference ? LB_COLORMAP_COOL_WARM : LB_COLORMAP_TRAFFIC);
      /* green (or blue) for the good end */
      lb_heatmap_set_reverse (maps[i], difference || lb_heat_metric_higher_is_better (self->metric));
      lb_heatmap_set_log_scale (maps[i], !difference && lb_heat_metric_get_log_scale (self->metric));
      lb_heatmap_set_format (maps[i], difference && self->metric == LB_HEAT_LAYER_COSINE
                                      ? LB_CHART_FORMAT_PLAIN
                                      : lb_heat_metric_get_format (self->metric));
    }
  lb_heatmap_set_legend_label (card->layers, legend);
  /* a layer's output has nothing to do with the tensors outside the layers */
  gtk_widget_set_visible (GTK_WIDGET (card->ends), self->metric != LB_HEAT_LAYER_COSINE);
}

static void
set_range (LbHeatCard *card, gboolean ok, double min, double max)
{
  if (ok)
    {
      lb_heatmap_set_range (card->layers, min, max);
      lb_heatmap_set_range (card->ends, min, max);
    }
  else
    {
      lb_heatmap_unset_range (card->layers);
      lb_heatmap_unset_range (card->ends);
    }
}

/* The worst cell and the mean, over the finite values */
static void
show_summary (LbHeatmapView *self, const double *values)
{
  gboolean higher = lb_heat_metric_higher_is_better (self->metric);
  LbChartFormat format = lb_heat_metric_get_format (self->metric);
  gboolean per_layer = self->metric == LB_HEAT_LAYER_COSINE;
  double sum = 0, worst = NAN;
  guint n_finite = 0, worst_i = 0;
  g_autofree char *value = NULL;
  g_autofree char *text = NULL;
  g_autofree char *mean = NULL;

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->worst_row),
                                 per_layer ? _("Most Affected Layer") : _("Most Affected Tensor"));
  for (guint i = 0; values != NULL && i < self->n; i += per_layer ? LB_SESSION_N_KINDS : 1)
    if (isfinite (values[i]))
      {
        if (isnan (worst) || (higher ? values[i] < worst : values[i] > worst))
          {
            worst = values[i];
            worst_i = i;
          }
        sum += values[i];
        n_finite++;
      }
  if (n_finite == 0)
    {
      gtk_label_set_label (self->worst_label, values != NULL ? _("Nothing is quantized") : "—");
      gtk_label_set_label (self->mean_label, "—");
      return;
    }
  value = lb_chart_format_value (worst, format, NAN);
  if (per_layer)
    /* Translators: the layer with the lowest output cosine and its value, "blk.3, 0.99871" */
    text = g_strdup_printf (_("blk.%u, %s"), worst_i / LB_SESSION_N_KINDS, value);
  else
    /* Translators: the tensor with the worst value and the value, "blk.0.attn_v.weight, 18.2 dB" */
    text = g_strdup_printf (_("%s, %s"), self->names[worst_i], value);
  gtk_label_set_label (self->worst_label, text);
  mean = lb_chart_format_value (sum / n_finite, format, NAN);
  g_free (text);
  text = per_layer
         /* Translators: "0.99912 over 8 layers" */
         ? g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s over %u layer", "%s over %u layers",
                                         n_finite), mean, n_finite)
         /* Translators: "24.3 dB over 57 quantized tensors" */
         : g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s over %u quantized tensor",
                                         "%s over %u quantized tensors", n_finite), mean, n_finite);
  gtk_label_set_label (self->mean_label, text);
}

/* How the compared map does against this one */
static void
show_comparison (LbHeatmapView *self, const double *a, const double *b)
{
  gboolean per_layer = self->metric == LB_HEAT_LAYER_COSINE;
  guint better = 0, worse = 0, n = 0;
  double sum = 0;
  g_autofree char *mean = NULL;
  g_autofree char *text = NULL;

  gtk_widget_set_visible (GTK_WIDGET (self->compare_row), a != NULL && b != NULL);
  if (a == NULL || b == NULL)
    return;
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->compare_row), self->compare_name);
  for (guint i = 0; i < self->n; i += per_layer ? LB_SESSION_N_KINDS : 1)
    {
      double d = lb_heat_metric_improvement (self->metric, a[i], b[i]);

      if (!isfinite (d))
        continue;
      better += d > 0;
      worse += d < 0;
      sum += d;
      n++;
    }
  if (n == 0)
    {
      gtk_label_set_label (self->compare_label, "—");
      return;
    }
  mean = lb_chart_format_value (sum / n, self->metric == LB_HEAT_LAYER_COSINE
                                         ? LB_CHART_FORMAT_PLAIN
                                         : lb_heat_metric_get_format (self->metric), NAN);
  /* Translators: the mean gain of a compared map, "mean +12.1 dB" */
  text = g_strdup_printf (_("mean %s%s"), sum > 0 ? "+" : "", mean);
  gtk_label_set_label (self->compare_label, text);
  g_free (text);
  text = per_layer
         /* Translators: "Better in 7 layers, worse in 1" */
         ? g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Better in %u layer, worse in %u",
                                         "Better in %u layers, worse in %u", better),
                            better, worse)
         /* Translators: "Better in 40 tensors, worse in 3" */
         : g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Better in %u tensor, worse in %u",
                                         "Better in %u tensors, worse in %u", better),
                            better, worse);
  adw_action_row_set_subtitle (self->compare_row, text);
}

static void
show_values (LbHeatmapView *self)
{
  LbHeatMeasured *cur = &self->current[self->metric];
  LbHeatMeasured *oth = &self->compared[self->metric];
  gboolean comparing = self->compare_recipe != NULL;
  const double *a = cur->valid ? cur->values : NULL;
  const double *b = comparing && oth->valid ? oth->values : NULL;
  g_autofree double *diff = NULL;
  g_autofree char *label = NULL;
  g_autofree char *title = NULL;
  double min = 0, max = 0;
  gboolean ok;

  if (self->session == NULL)
    return;
  label = lb_session_dup_label (self->session);
  lb_group_set_description (self->map_group, lb_heat_metric_get_description (self->metric));

  /* both maps on one scale, so that a colour means the same on each */
  ok = lb_heat_metric_get_range (self->metric, a, b, self->n, &min, &max);
  style_card (&self->cards[0], self, FALSE, lb_heat_metric_get_legend (self->metric));
  set_map (&self->cards[0], self, a, a != NULL ? cur->notes : NULL);
  set_range (&self->cards[0], ok, min, max);
  /* Translators: the title of the current map when compared, "This map: Q4_0" */
  title = g_strdup_printf (_("This map: %s"), label);
  gtk_label_set_label (self->cards[0].title, title);
  gtk_widget_set_visible (GTK_WIDGET (self->cards[0].title), comparing);

  gtk_widget_set_visible (self->cards[1].box, comparing);
  gtk_widget_set_visible (self->mode_box, comparing);
  if (comparing && self->difference)
    {
      g_autofree char *legend = NULL;
      double extent = 0;

      if (a != NULL && b != NULL)
        {
          diff = g_new (double, self->n);
          for (guint i = 0; i < self->n; i++)
            {
              diff[i] = lb_heat_metric_improvement (self->metric, a[i], b[i]);
              if (isfinite (diff[i]))
                extent = MAX (extent, fabs (diff[i]));
            }
        }
      /* Translators: the legend of the difference map: how much better the other map is */
      legend = g_strdup (_("Gain"));
      style_card (&self->cards[1], self, TRUE, legend);
      set_map (&self->cards[1], self, diff, NULL);
      /* symmetric: no difference is the neutral middle */
      set_range (&self->cards[1], extent > 0, -extent, extent);
      g_free (title);
      /* Translators: the difference map's title, "Q8_0 against this map: blue is better" */
      title = g_strdup_printf (_("%s against this map: blue is better"), self->compare_name);
    }
  else if (comparing)
    {
      style_card (&self->cards[1], self, FALSE, lb_heat_metric_get_legend (self->metric));
      set_map (&self->cards[1], self, b, b != NULL ? oth->notes : NULL);
      set_range (&self->cards[1], ok, min, max);
      g_free (title);
      /* Translators: the title of the map compared with, "Compared: Q8_0" */
      title = g_strdup_printf (_("Compared: %s"), self->compare_name);
    }
  gtk_label_set_label (self->cards[1].title, title);
  show_summary (self, a);
  show_comparison (self, a, b);
  lb_heatmap_closeup_highlight (self);
}

static void
update_status (LbHeatmapView *self)
{
  g_autofree char *label = NULL;
  g_autofree char *text = NULL;
  const char *why;

  if (self->session == NULL)
    return;
  label = lb_session_dup_label (self->session);
  why = missing (self);
  if (self->job != NULL)
    /* Translators: "Measuring Q4_K_M…" */
    text = g_strdup_printf (_("Measuring %s…"), label);
  else if (why != NULL)
    text = g_strdup (_("Cannot be measured"));
  else if (!self->current[self->metric].valid)
    text = g_strdup (_("Not measured yet"));
  else if (!current_ok (self))
    text = g_strdup (_("The map changed since it was measured"));
  else
    text = g_strdup_printf (_("Measured: %s"), label);
  gtk_label_set_label (self->status_label, text);
  gtk_label_set_label (self->notice_label, why != NULL ? why : "");
  gtk_widget_set_visible (GTK_WIDGET (self->notice_label), why != NULL);
  gtk_widget_set_sensitive (GTK_WIDGET (self->measure_button), self->job == NULL && why == NULL);
  gtk_widget_set_visible (gtk_widget_get_ancestor (GTK_WIDGET (self->text_row),
                                                   ADW_TYPE_PREFERENCES_GROUP),
                          lb_heat_metric_needs_text (self->metric));
  gtk_widget_set_visible (self->snr_hint, self->metric == LB_HEAT_WEIGHT_SNR
                                          || self->metric == LB_HEAT_WEIGHTED_SNR);
}

static void
update_text_row (LbHeatmapView *self)
{
  g_autofree char *base = self->text_path != NULL ? g_path_get_basename (self->text_path) : NULL;
  g_autofree char *subtitle = NULL;

  if (base != NULL)
    /* Translators: a text and the slice of it used, "wikitext2-test.txt · 4 × 128 tokens" */
    subtitle = g_strdup_printf (_("%s · %u × %u tokens"), base, self->n_chunks, self->n_ctx);
  adw_action_row_set_subtitle (self->text_row, subtitle != NULL ? subtitle : _("None chosen"));
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->text_row), self->text_path);
}

/* ---- measuring ------------------------------------------------------------------------- */

static void
store (LbHeatMeasured *m, LbHeatmapView *self, guint revision, LbHeatValues *v, gboolean weighted)
{
  measured_clear (m, self->n);
  m->valid = TRUE;
  m->revision = revision;
  m->imatrix = self->job_imatrix != NULL ? lb_imatrix_ref (self->job_imatrix) : NULL;
  m->text = g_strdup (self->job_text);
  m->values = g_memdup2 (weighted ? v->weighted : v->values, sizeof (double) * self->n);
  m->types = g_memdup2 (v->types, sizeof (LbType) * self->n);
  if (v->notes != NULL)
    {
      m->notes = g_new0 (char *, self->n);
      for (guint i = 0; i < self->n; i++)
        m->notes[i] = g_strdup (v->notes[i]);
    }
}

static void
store_result (LbHeatmapView *self, LbHeatResult *r)
{
  guint t = 0;

  for (guint which = 0; which < 2; which++)
    {
      gboolean included = which == 0 ? self->job_current : self->job_compared;
      LbHeatMeasured *set = which == 0 ? self->current : self->compared;
      guint revision = which == 0 ? self->job_revision : self->job_serial;

      if (!included)
        continue;
      if (self->job_metric == LB_HEAT_WEIGHT_SNR || self->job_metric == LB_HEAT_WEIGHTED_SNR)
        {
          /* one job measures both SNRs */
          store (&set[LB_HEAT_WEIGHT_SNR], self, revision, &r->targets[t], FALSE);
          if (r->targets[t].weighted != NULL)
            store (&set[LB_HEAT_WEIGHTED_SNR], self, revision, &r->targets[t], TRUE);
        }
      else
        store (&set[self->job_metric], self, revision, &r->targets[t], FALSE);
      t++;
    }
}

static void
on_measured (GObject *source, GAsyncResult *result, gpointer user_data)
{
  LbJob *job = LB_JOB (source);
  g_autoptr (LbHeatmapView) self = user_data;
  g_autoptr (GError) error = NULL;
  LbHeatResult *r = lb_job_run_finish (job, result, &error);

  /* replaced by a newer measurement, or the session went away */
  if (!lb_job_take_back (&self->job, job, r, (GDestroyNotify) lb_heat_result_free))
    return;
  if (r == NULL)
    {
      lb_view_show_job_error (GTK_WIDGET (self), _("Could Not Measure the Error Map"), error, NULL);
      update_status (self);
      return;
    }
  store_result (self, r);
  lb_heat_result_free (r);
  show_values (self);
  update_status (self);
  /* another metric may have been chosen meanwhile */
  if (gtk_widget_get_mapped (GTK_WIDGET (self)) && (!current_ok (self) || !compared_ok (self)))
    start_measuring (self);
}

static LbKldCells *
kld_cells (LbHeatmapView *self)
{
  LbImatrix *imatrix = session_imatrix (self);

  if (self->kld_cells == NULL || lb_kld_cells_get_imatrix (self->kld_cells) != imatrix
      || g_strcmp0 (lb_kld_cells_get_text (self->kld_cells), self->text_path) != 0
      || lb_kld_cells_get_n_ctx (self->kld_cells) != self->n_ctx
      || lb_kld_cells_get_n_chunks (self->kld_cells) != self->n_chunks)
    {
      g_clear_pointer (&self->kld_cells, lb_kld_cells_unref);
      self->kld_cells = lb_kld_cells_new (lb_session_get_model (self->session), imatrix,
                                          self->text_path, self->n_ctx, self->n_chunks,
                                          lb_session_get_n_threads (self->session));
    }
  return self->kld_cells;
}

static char *
job_title (LbHeatmapView *self, const char *label)
{
  switch (self->metric)
    {
    case LB_HEAT_DELTA_KLD:
      /* Translators: "Sensitivity of Q4_K_M" */
      return g_strdup_printf (_("Sensitivity of %s"), label);
    case LB_HEAT_LAYER_COSINE:
      /* Translators: "Layer outputs of Q4_K_M" */
      return g_strdup_printf (_("Layer outputs of %s"), label);
    case LB_HEAT_WEIGHT_SNR:
    case LB_HEAT_WEIGHTED_SNR:
    case LB_HEAT_N_METRICS:
    default:
      /* Translators: "Weight error of Q4_K_M" */
      return g_strdup_printf (_("Weight error of %s"), label);
    }
}

static void
start_measuring (LbHeatmapView *self)
{
  LbWindow *window = lb_view_get_window (GTK_WIDGET (self));
  g_autoptr (LbJob) job = NULL;
  g_autofree char *label = NULL;
  g_autofree char *title = NULL;
  LbHeatRequest *r;
  LbImatrix *imatrix;

  if (self->session == NULL || window == NULL || missing (self) != NULL)
    {
      update_status (self);
      return;
    }
  /* cancel and replace */
  if (self->job != NULL)
    lb_job_cancel (self->job);
  g_clear_object (&self->job);
  if (current_ok (self) && compared_ok (self))
    {
      show_values (self);
      update_status (self);
      return;
    }

  imatrix = session_imatrix (self);
  r = g_new0 (LbHeatRequest, 1);
  r->model = g_object_ref (lb_session_get_model (self->session));
  r->metric = self->metric;
  r->n_layers = self->n_layers;
  r->n = self->n;
  r->names = g_new0 (char *, self->n);
  for (guint i = 0; i < self->n; i++)
    r->names[i] = g_strdup (self->names[i]);
  r->n_threads = lb_session_get_n_threads (self->session);
  r->text_path = g_strdup (self->text_path);
  r->n_ctx = self->n_ctx;
  r->n_chunks = self->n_chunks;
  if (self->metric == LB_HEAT_DELTA_KLD)
    r->kld_cells = lb_kld_cells_ref (kld_cells (self));

  self->job_metric = self->metric;
  self->job_current = !current_ok (self);
  self->job_compared = !compared_ok (self);
  self->job_revision = lb_session_get_revision (self->session);
  self->job_serial = self->compare_serial;
  g_clear_pointer (&self->job_imatrix, lb_imatrix_unref);
  self->job_imatrix = imatrix != NULL ? lb_imatrix_ref (imatrix) : NULL;
  g_free (self->job_text);
  self->job_text = g_strdup (self->text_path);
  if (self->job_current)
    {
      LbHeatTarget *t = &r->targets[r->n_targets++];

      /* the types as they are now: the result describes this revision */
      t->current = TRUE;
      t->variant = g_object_ref (lb_session_get_variant (self->session));
      t->imatrix = imatrix != NULL ? lb_imatrix_ref (imatrix) : NULL;
      t->types = g_new (LbType, self->n);
      for (guint i = 0; i < self->n; i++)
        t->types[i] = self->names[i] != NULL ? lb_session_get_tensor_type (self->session,
                                                                          self->names[i])
                                             : LB_TYPE_COUNT;
    }
  if (self->job_compared)
    {
      LbHeatTarget *t = &r->targets[r->n_targets++];

      /* with the same importance data: like for like */
      t->recipe = lb_recipe_edit_with_importance (self->compare_recipe,
                                                  lb_session_get_importance (self->session));
      t->imatrix = imatrix != NULL ? lb_imatrix_ref (imatrix) : NULL;
    }

  label = self->job_current ? lb_session_dup_label (self->session)
                            : g_strdup (self->compare_name);
  title = job_title (self, label);
  if (self->job_current && self->job_compared)
    {
      char *both = g_strdup_printf (_("%s and %s"), title, self->compare_name);

      g_free (title);
      title = both;
    }
  job = lb_job_new (title);
  lb_job_report (job, 0.0, _("Quantizing each tensor and comparing it with the original"));
  self->job = g_object_ref (job);
  lb_window_add_job (window, job);
  update_status (self);
  lb_job_run_async (job, lb_heat_measure_thread, r, lb_heat_request_free, lb_heat_result_free,
                    on_measured, g_object_ref (self));
}

void
lb_heatmap_view_refresh (LbHeatmapView *self)
{
  g_return_if_fail (LB_IS_HEATMAP_VIEW (self));

  if (self->session == NULL)
    return;
  /* measure again from scratch */
  measured_clear (&self->current[self->metric], self->n);
  measured_clear (&self->compared[self->metric], self->n);
  if (self->metric == LB_HEAT_DELTA_KLD)
    g_clear_pointer (&self->kld_cells, lb_kld_cells_unref);
  start_measuring (self);
}

static void
on_map (LbHeatmapView *self)
{
  if (self->session != NULL && self->job == NULL && (!current_ok (self) || !compared_ok (self)))
    start_measuring (self);
}

static void
on_session_changed (LbHeatmapView *self)
{
  update_status (self);
  if (gtk_widget_get_mapped (GTK_WIDGET (self)) && self->session != NULL)
    start_measuring (self);
}

/* ---- choices ----------------------------------------------------------------------- */

LbHeatMetric
lb_heatmap_view_get_metric (LbHeatmapView *self)
{
  g_return_val_if_fail (LB_IS_HEATMAP_VIEW (self), LB_HEAT_WEIGHT_SNR);
  return self->metric;
}

void
lb_heatmap_view_set_metric (LbHeatmapView *self, LbHeatMetric metric)
{
  g_return_if_fail (LB_IS_HEATMAP_VIEW (self));
  g_return_if_fail (metric < LB_HEAT_N_METRICS);

  if (gtk_drop_down_get_selected (self->metric_dropdown) != metric)
    {
      gtk_drop_down_set_selected (self->metric_dropdown, metric);
      return;   /* back here through the drop-down */
    }
  self->metric = metric;
  show_values (self);
  update_status (self);
  if (gtk_widget_get_mapped (GTK_WIDGET (self)))
    start_measuring (self);
}

static void
on_metric_selected (LbHeatmapView *self)
{
  lb_heatmap_view_set_metric (self, gtk_drop_down_get_selected (self->metric_dropdown));
}

const char *
lb_heatmap_view_get_text (LbHeatmapView *self)
{
  g_return_val_if_fail (LB_IS_HEATMAP_VIEW (self), NULL);
  return self->text_path;
}

void
lb_heatmap_view_set_text (LbHeatmapView *self, const char *path)
{
  g_return_if_fail (LB_IS_HEATMAP_VIEW (self));

  if (g_strcmp0 (path, self->text_path) == 0)
    return;
  g_free (self->text_path);
  self->text_path = g_strdup (path);
  update_text_row (self);
  update_status (self);
  if (gtk_widget_get_mapped (GTK_WIDGET (self)) && lb_heat_metric_needs_text (self->metric))
    start_measuring (self);
}

void
lb_heatmap_view_set_slice (LbHeatmapView *self, guint n_ctx, guint n_chunks)
{
  g_return_if_fail (LB_IS_HEATMAP_VIEW (self));
  g_return_if_fail (n_ctx >= 8 && n_chunks >= 1);

  if (n_ctx == self->n_ctx && n_chunks == self->n_chunks)
    return;
  self->n_ctx = n_ctx;
  self->n_chunks = n_chunks;
  /* what the text metrics measured was over another slice */
  for (guint m = 0; m < LB_HEAT_N_METRICS; m++)
    if (lb_heat_metric_needs_text (m))
      {
        measured_clear (&self->current[m], self->n);
        measured_clear (&self->compared[m], self->n);
      }
  update_text_row (self);
  update_status (self);
  if (gtk_widget_get_mapped (GTK_WIDGET (self)) && lb_heat_metric_needs_text (self->metric))
    start_measuring (self);
}

static void
sync_compare_dropdown (LbHeatmapView *self)
{
  guint index = 0;

  if (self->compare_recipe != NULL)
    {
      guint n = g_list_model_get_n_items (gtk_drop_down_get_model (self->compare_dropdown));

      index = n - 1;   /* a file */
      for (guint i = 0; self->presets != NULL && self->presets[i] != NULL; i++)
        if (g_strcmp0 (self->presets[i], self->compare_name) == 0)
          index = i + 1;
    }
  self->updating = TRUE;
  gtk_drop_down_set_selected (self->compare_dropdown, index);
  self->updating = FALSE;
}

/* Compares with recipe (NULL: stops comparing), called name */
static void
compare_with (LbHeatmapView *self, LbRecipe *recipe, const char *name)
{
  g_clear_pointer (&self->compare_recipe, lb_recipe_unref);
  g_clear_pointer (&self->compare_name, g_free);
  clear_all (self, TRUE);
  self->compare_serial++;
  if (recipe != NULL)
    {
      self->compare_recipe = lb_recipe_ref (recipe);
      self->compare_name = g_strdup (name);
    }
  sync_compare_dropdown (self);
  show_values (self);
  update_status (self);
  if (gtk_widget_get_mapped (GTK_WIDGET (self)))
    start_measuring (self);
}

gboolean
lb_heatmap_view_compare_with_preset (LbHeatmapView *self, const char *preset, GError **error)
{
  g_autoptr (LbRecipe) recipe = NULL;

  g_return_val_if_fail (LB_IS_HEATMAP_VIEW (self), FALSE);

  if (preset == NULL || *preset == '\0')
    {
      compare_with (self, NULL, NULL);
      return TRUE;
    }
  recipe = lb_recipe_load_preset (preset, error);
  if (recipe == NULL)
    return FALSE;
  compare_with (self, recipe, preset);
  return TRUE;
}

gboolean
lb_heatmap_view_compare_with_file (LbHeatmapView *self, const char *path, GError **error)
{
  g_autoptr (LbRecipe) recipe = NULL;
  g_autofree char *base = NULL;

  g_return_val_if_fail (LB_IS_HEATMAP_VIEW (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  recipe = lb_recipe_load (path, error);
  if (recipe == NULL)
    return FALSE;
  base = g_path_get_basename (path);
  compare_with (self, recipe, base);
  return TRUE;
}

const char *
lb_heatmap_view_get_compared (LbHeatmapView *self)
{
  g_return_val_if_fail (LB_IS_HEATMAP_VIEW (self), NULL);
  return self->compare_name;
}

void
lb_heatmap_view_set_difference (LbHeatmapView *self, gboolean difference)
{
  g_return_if_fail (LB_IS_HEATMAP_VIEW (self));

  difference = !!difference;
  if (gtk_toggle_button_get_active (self->diff_toggle) != difference)
    {
      gtk_toggle_button_set_active (difference ? self->diff_toggle : self->side_toggle, TRUE);
      return;   /* back here through the toggle */
    }
  self->difference = difference;
  show_values (self);
}

static void
on_mode_toggled (LbHeatmapView *self)
{
  lb_heatmap_view_set_difference (self, gtk_toggle_button_get_active (self->diff_toggle));
}

static void
show_error (LbHeatmapView *self, const char *heading, const char *message)
{
  LbWindow *window = lb_view_get_window (GTK_WIDGET (self));

  if (window != NULL)
    lb_window_show_error (window, heading, message);
}

static void
on_chooser_response (GtkNativeDialog *dialog, int response, LbHeatmapView *self)
{
  gboolean text = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (dialog), "lb-text"));
  g_autoptr (GFile) file = response == GTK_RESPONSE_ACCEPT
                           ? gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog)) : NULL;
  g_autofree char *path = file != NULL ? g_file_get_path (file) : NULL;
  g_autoptr (GError) error = NULL;

  if (text && path != NULL)
    lb_heatmap_view_set_text (self, path);
  else if (!text && path != NULL && !lb_heatmap_view_compare_with_file (self, path, &error))
    show_error (self, _("Could Not Open the Recipe"), error->message);
  if (!text)
    sync_compare_dropdown (self);
  g_clear_object (&self->chooser);
}

static void
run_chooser (LbHeatmapView *self, gboolean text)
{
  GtkFileFilter *filter = text ? lb_view_file_filter_new (_("Text Files"), "text/plain", NULL)
                               : lb_view_file_filter_new (_("Recipes (JSON)"), NULL, "*.json", NULL);
  GtkFileChooserNative *native;

  native = lb_view_file_chooser_new (GTK_WIDGET (self), &self->chooser,
                                     text ? _("Choose a Text") : _("Compare with a Recipe"),
                                     GTK_FILE_CHOOSER_ACTION_OPEN, _("_Open"), filter);
  g_object_set_data (G_OBJECT (native), "lb-text", GINT_TO_POINTER (text));
  g_signal_connect (native, "response", G_CALLBACK (on_chooser_response), self);
  gtk_native_dialog_show (self->chooser);
}

static void
on_compare_selected (LbHeatmapView *self)
{
  guint i = gtk_drop_down_get_selected (self->compare_dropdown);
  guint n = g_list_model_get_n_items (gtk_drop_down_get_model (self->compare_dropdown));
  g_autoptr (GError) error = NULL;

  if (self->updating || i == GTK_INVALID_LIST_POSITION)
    return;
  if (i == 0)
    compare_with (self, NULL, NULL);
  else if (i == n - 1)
    run_chooser (self, FALSE);
  else if (!lb_heatmap_view_compare_with_preset (self, self->presets[i - 1], &error))
    {
      show_error (self, _("Could Not Load the Preset"), error->message);
      sync_compare_dropdown (self);
    }
}

static void
choose_text_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  run_chooser (LB_HEATMAP_VIEW (widget), TRUE);
}

static void
measure_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  lb_heatmap_view_refresh (LB_HEATMAP_VIEW (widget));
}

/* ---- cells clicked ------------------------------------------------------------------- */

void
lb_heatmap_view_drill_down (LbHeatmapView *self, const char *tensor_name)
{
  g_return_if_fail (LB_IS_HEATMAP_VIEW (self));
  g_return_if_fail (tensor_name != NULL);

  if (self->session != NULL)
    lb_heatmap_closeup_show (self, tensor_name,
                             lb_session_get_tensor_type (self->session, tensor_name), FALSE);
}

static void
on_cell_activated (LbHeatmap *heatmap, guint row, guint col, LbHeatmapView *self)
{
  gboolean compared = heatmap == self->cards[1].layers || heatmap == self->cards[1].ends;
  LbHeatCard *card = &self->cards[compared ? 1 : 0];
  guint i = heatmap == card->layers ? row * LB_SESSION_N_KINDS + col
                                    : self->n_layers * LB_SESSION_N_KINDS + col;
  const LbHeatMeasured *m = &self->compared[self->metric];

  if (i >= self->n || self->names[i] == NULL)
    return;
  /* a cell of the map compared with: that map's type */
  if (compared && m->valid && m->types != NULL && !self->difference)
    lb_heatmap_closeup_show (self, self->names[i], m->types[i], TRUE);
  else
    lb_heatmap_view_drill_down (self, self->names[i]);
}

/* ---- the session ---------------------------------------------------------------------- */

void
lb_heatmap_view_set_session (LbHeatmapView *self, LbSession *session)
{
  g_return_if_fail (LB_IS_HEATMAP_VIEW (self));

  if (self->session == session)
    return;
  lb_view_release_session (self, self->session, &self->job);
  lb_heatmap_closeup_reset (self);
  clear_all (self, FALSE);
  g_clear_pointer (&self->kld_cells, lb_kld_cells_unref);
  for (guint i = 0; i < self->n; i++)
    g_free (self->names[i]);
  g_clear_pointer (&self->names, g_free);
  self->n = 0;
  g_set_object (&self->session, session);

  if (session != NULL)
    {
      LbModel *model = lb_session_get_model (session);

      self->n_layers = lb_model_get_hparams (model)->n_layer;
      self->n = self->n_layers * LB_SESSION_N_KINDS + LB_HEATMAP_N_ENDS;
      self->names = g_new0 (char *, self->n);
      for (guint i = 0; i < self->n; i++)
        {
          g_autofree char *name = cell_name (self, i);

          if (lb_model_find_tensor (model, name) != NULL)
            self->names[i] = g_steal_pointer (&name);
        }
      g_signal_connect_swapped (session, "changed", G_CALLBACK (on_session_changed), self);
      show_values (self);
      update_status (self);
      if (gtk_widget_get_mapped (GTK_WIDGET (self)))
        start_measuring (self);
    }
  gtk_stack_set_visible_child_name (self->stack, session != NULL ? "map" : "empty");
}

/* ---- building the page --------------------------------------------------------------- */

GtkLabel *
lb_heatmap_add_value_row (AdwPreferencesGroup *group, const char *title, AdwActionRow **row_out)
{
  GtkLabel *label = lb_view_add_value_row (group, title, NULL);

  gtk_label_set_label (label, "—");
  gtk_label_set_selectable (label, TRUE);
  gtk_label_set_ellipsize (label, PANGO_ELLIPSIZE_MIDDLE);
  if (row_out != NULL)
    *row_out = ADW_ACTION_ROW (gtk_widget_get_ancestor (GTK_WIDGET (label), ADW_TYPE_ACTION_ROW));
  return label;
}

static void
card_build (LbHeatCard *card, LbHeatmapView *self)
{
  card->box = lb_view_card_new ();
  card->title = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_ellipsize (card->title, PANGO_ELLIPSIZE_END);
  gtk_widget_add_css_class (GTK_WIDGET (card->title), "heading");
  gtk_widget_set_margin_top (GTK_WIDGET (card->title), 6);
  gtk_box_append (GTK_BOX (card->box), GTK_WIDGET (card->title));
  card->layers = LB_HEATMAP (lb_heatmap_new ());
  gtk_widget_set_size_request (GTK_WIDGET (card->layers), -1, 300);
  gtk_widget_set_hexpand (GTK_WIDGET (card->layers), TRUE);
  g_signal_connect (card->layers, "cell-activated", G_CALLBACK (on_cell_activated), self);
  gtk_box_append (GTK_BOX (card->box), GTK_WIDGET (card->layers));
  card->ends = LB_HEATMAP (lb_heatmap_new ());
  lb_heatmap_set_title (card->ends, _("Outside the layers"));
  gtk_widget_set_size_request (GTK_WIDGET (card->ends), -1, 90);
  g_signal_connect (card->ends, "cell-activated", G_CALLBACK (on_cell_activated), self);
  gtk_box_append (GTK_BOX (card->box), GTK_WIDGET (card->ends));
  gtk_widget_set_hexpand (card->box, TRUE);
}

static GtkWidget *
build_controls (LbHeatmapView *self)
{
  GtkWidget *bar = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  g_autoptr (GtkStringList) metrics = gtk_string_list_new (NULL);
  g_autoptr (GtkStringList) compare = gtk_string_list_new (NULL);
  GtkWidget *label;

  for (guint m = 0; m < LB_HEAT_N_METRICS; m++)
    gtk_string_list_append (metrics, lb_heat_metric_get_name (m));
  self->metric_dropdown = GTK_DROP_DOWN (gtk_drop_down_new (G_LIST_MODEL (g_steal_pointer (&metrics)),
                                                            NULL));
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->metric_dropdown), _("What the Colours Show"));
  g_signal_connect_swapped (self->metric_dropdown, "notify::selected",
                            G_CALLBACK (on_metric_selected), self);
  gtk_box_append (GTK_BOX (bar), GTK_WIDGET (self->metric_dropdown));

  label = gtk_label_new (_("Compare with"));
  gtk_widget_add_css_class (label, "dim-label");
  gtk_widget_set_margin_start (label, 6);
  gtk_box_append (GTK_BOX (bar), label);
  /* Translators: compare the map with nothing */
  gtk_string_list_append (compare, _("Nothing"));
  for (guint i = 0; self->presets != NULL && self->presets[i] != NULL; i++)
    gtk_string_list_append (compare, self->presets[i]);
  gtk_string_list_append (compare, _("Recipe File…"));
  self->compare_dropdown = GTK_DROP_DOWN (gtk_drop_down_new (G_LIST_MODEL (g_steal_pointer (&compare)),
                                                             NULL));
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->compare_dropdown),
                               _("A Map to Compare This One With"));
  g_signal_connect_swapped (self->compare_dropdown, "notify::selected",
                            G_CALLBACK (on_compare_selected), self);
  gtk_box_append (GTK_BOX (bar), GTK_WIDGET (self->compare_dropdown));

  self->mode_box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 0);
  gtk_widget_add_css_class (self->mode_box, "linked");
  self->side_toggle = GTK_TOGGLE_BUTTON (gtk_toggle_button_new_with_mnemonic (_("_Side by Side")));
  self->diff_toggle = GTK_TOGGLE_BUTTON (gtk_toggle_button_new_with_mnemonic (_("_Difference")));
  gtk_toggle_button_set_group (self->diff_toggle, self->side_toggle);
  gtk_toggle_button_set_active (self->side_toggle, TRUE);
  g_signal_connect_swapped (self->diff_toggle, "toggled", G_CALLBACK (on_mode_toggled), self);
  gtk_box_append (GTK_BOX (self->mode_box), GTK_WIDGET (self->side_toggle));
  gtk_box_append (GTK_BOX (self->mode_box), GTK_WIDGET (self->diff_toggle));
  gtk_widget_set_visible (self->mode_box, FALSE);
  gtk_box_append (GTK_BOX (bar), self->mode_box);

  label = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 0);
  gtk_widget_set_hexpand (label, TRUE);
  gtk_box_append (GTK_BOX (bar), label);
  self->measure_button = GTK_BUTTON (gtk_button_new_with_mnemonic (_("_Measure Again")));
  gtk_actionable_set_action_name (GTK_ACTIONABLE (self->measure_button), "heatmap.measure");
  gtk_box_append (GTK_BOX (bar), GTK_WIDGET (self->measure_button));
  gtk_widget_set_margin_bottom (bar, 12);
  return bar;
}

static GtkWidget *
build_side (LbHeatmapView *self)
{
  GtkWidget *side = gtk_box_new (GTK_ORIENTATION_VERTICAL, 24);
  AdwPreferencesGroup *summary = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  AdwPreferencesGroup *text = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  GtkWidget *button, *hint;

  lb_group_set_title (summary, _("Summary"));
  self->status_label = lb_heatmap_add_value_row (summary, _("Map"), NULL);
  self->worst_label = lb_heatmap_add_value_row (summary, _("Most Affected Tensor"), &self->worst_row);
  self->mean_label = lb_heatmap_add_value_row (summary, _("Mean"), &self->mean_row);
  self->compare_label = lb_heatmap_add_value_row (summary, "", &self->compare_row);
  gtk_widget_set_visible (GTK_WIDGET (self->compare_row), FALSE);
  gtk_box_append (GTK_BOX (side), GTK_WIDGET (summary));

  self->text_row = ADW_ACTION_ROW (adw_action_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->text_row), _("Text"));
  button = gtk_button_new_with_mnemonic (_("_Choose…"));
  gtk_actionable_set_action_name (GTK_ACTIONABLE (button), "heatmap.choose-text");
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  adw_action_row_add_suffix (self->text_row, button);
  adw_preferences_group_add (text, GTK_WIDGET (self->text_row));
  gtk_box_append (GTK_BOX (side), GTK_WIDGET (text));

  lb_heatmap_closeup_build (self, side);

  hint = gtk_label_new (_("About 6 dB of SNR is one bit per weight: 4-bit types give some "
                          "20 dB, 8-bit ones over 40. Tensors that lose the most are the "
                          "first to give a wider type."));
  gtk_label_set_wrap (GTK_LABEL (hint), TRUE);
  gtk_label_set_xalign (GTK_LABEL (hint), 0.0f);
  gtk_widget_add_css_class (hint, "dim-label");
  gtk_box_append (GTK_BOX (side), hint);
  self->snr_hint = hint;
  return side;
}

static void
lb_heatmap_view_dispose (GObject *object)
{
  LbHeatmapView *self = LB_HEATMAP_VIEW (object);

  lb_view_release_session (self, self->session, &self->job);
  lb_job_abandon (&self->drill_job);
  lb_view_close_chooser (&self->chooser);
  g_clear_object (&self->session);

  G_OBJECT_CLASS (lb_heatmap_view_parent_class)->dispose (object);
}

static void
lb_heatmap_view_finalize (GObject *object)
{
  LbHeatmapView *self = LB_HEATMAP_VIEW (object);

  clear_all (self, FALSE);
  for (guint i = 0; i < self->n; i++)
    g_free (self->names[i]);
  g_free (self->names);
  g_clear_pointer (&self->kld_cells, lb_kld_cells_unref);
  g_clear_pointer (&self->compare_recipe, lb_recipe_unref);
  g_clear_pointer (&self->job_imatrix, lb_imatrix_unref);
  g_free (self->compare_name);
  g_free (self->text_path);
  g_free (self->job_text);
  g_free (self->drill_name);
  g_strfreev (self->presets);

  G_OBJECT_CLASS (lb_heatmap_view_parent_class)->finalize (object);
}

static void
lb_heatmap_view_class_init (LbHeatmapViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = lb_heatmap_view_dispose;
  object_class->finalize = lb_heatmap_view_finalize;
  gtk_widget_class_install_action (widget_class, "heatmap.measure", NULL, measure_action);
  gtk_widget_class_install_action (widget_class, "heatmap.choose-text", NULL, choose_text_action);
}

static void
lb_heatmap_view_init (LbHeatmapView *self)
{
  GtkWidget *empty = adw_status_page_new ();
  GtkWidget *scrolled = gtk_scrolled_window_new ();
  GtkWidget *clamp = adw_clamp_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 24);
  GtkWidget *top = lb_columns_new (30, FALSE);
  GtkWidget *cards = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *side_clamp = adw_clamp_new ();
  AdwPreferencesGroup *group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  GtkWidget *side;

  self->presets = lb_recipe_list_presets ();
  self->n_ctx = SLICE_CTX;
  self->n_chunks = SLICE_CHUNKS;
  self->text_path = lb_eval_view_find_default_text ();

  adw_status_page_set_icon_name (ADW_STATUS_PAGE (empty), "lb-heatmap-symbolic");
  adw_status_page_set_title (ADW_STATUS_PAGE (empty), _("Error Map"));
  adw_status_page_set_description (ADW_STATUS_PAGE (empty),
                                   _("Open a model to see where quantization hurts it."));

  /* the maps */
  self->map_group = group;
  lb_group_set_header (group, _("Error by Tensor"),
                       lb_heat_metric_get_description (LB_HEAT_WEIGHT_SNR), NULL);
  adw_preferences_group_add (group, build_controls (self));
  self->notice_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_wrap (self->notice_label, TRUE);
  gtk_label_set_xalign (self->notice_label, 0.0f);
  gtk_widget_add_css_class (GTK_WIDGET (self->notice_label), "warning");
  gtk_widget_set_margin_bottom (GTK_WIDGET (self->notice_label), 12);
  gtk_widget_set_visible (GTK_WIDGET (self->notice_label), FALSE);
  adw_preferences_group_add (group, GTK_WIDGET (self->notice_label));
  /* homogeneous: both maps the same size (and no width search) */
  gtk_box_set_homogeneous (GTK_BOX (cards), TRUE);
  for (guint c = 0; c < G_N_ELEMENTS (self->cards); c++)
    {
      card_build (&self->cards[c], self);
      gtk_box_append (GTK_BOX (cards), self->cards[c].box);
    }
  gtk_widget_set_visible (self->cards[1].box, FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->cards[0].title), FALSE);
  adw_preferences_group_add (group, cards);
  gtk_widget_set_hexpand (GTK_WIDGET (group), TRUE);
  lb_columns_append (top, GTK_WIDGET (group));

  side = build_side (self);
  adw_clamp_set_maximum_size (ADW_CLAMP (side_clamp), 400);
  adw_clamp_set_tightening_threshold (ADW_CLAMP (side_clamp), 340);
  adw_clamp_set_child (ADW_CLAMP (side_clamp), side);
  gtk_widget_set_size_request (side, 340, -1);
  gtk_widget_set_valign (side_clamp, GTK_ALIGN_START);
  lb_columns_append (top, side_clamp);
  gtk_box_append (GTK_BOX (box), top);

  /* one tensor up close, below */
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
  update_text_row (self);
  gtk_widget_set_visible (gtk_widget_get_ancestor (GTK_WIDGET (self->text_row),
                                                   ADW_TYPE_PREFERENCES_GROUP), FALSE);
  lb_page_single_line_rows (GTK_WIDGET (self));
}

GtkWidget *
lb_heatmap_view_new (void)
{
  return g_object_new (LB_TYPE_HEATMAP_VIEW, NULL);
}
