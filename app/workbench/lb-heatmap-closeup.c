/* lb-heatmap-closeup.c: the error map's close look at one tensor: a
 * click on a cell measures that tensor's error map and bins its weights
 * against the levels of its type (lb-heat-drill.c, a job) */
#include "config.h"

#include <math.h>
#include <glib/gi18n.h>

#include "lb-heat-drill.h"
#include "lb-heatmap-view-private.h"
#include "lb-page-layout.h"

static void
on_drilled (GObject *source, GAsyncResult *result, gpointer user_data)
{
  LbJob *job = LB_JOB (source);
  g_autoptr (LbHeatmapView) self = user_data;
  g_autoptr (GError) error = NULL;
  LbHeatDrillResult *r = lb_job_run_finish (job, result, &error);
  const char *name = g_object_get_data (G_OBJECT (job), "lb-name");
  LbType type = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (job), "lb-type"));
  g_autofree char *text = NULL;
  g_autofree char *description = NULL;
  g_autofree char *title = NULL;

  if (!lb_job_take_back (&self->drill_job, job, r, (GDestroyNotify) lb_heat_drill_result_free))
    return;
  if (r == NULL)
    {
      lb_view_show_job_error (GTK_WIDGET (self), _("Could Not Measure the Tensor"), error, NULL);
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

  lb_histogram_set_bins (self->histogram, LB_HEAT_DRILL_BINS, r->counts, r->lo, r->hi);
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
  lb_heat_drill_result_free (r);
}

/* Outlines the cell of the tensor looked at, on every map */
void
lb_heatmap_closeup_highlight (LbHeatmapView *self)
{
  int i = self->drill_name != NULL ? lb_heatmap_view_find_cell (self, self->drill_name) : -1;
  guint n_grid = self->n_layers * LB_SESSION_N_KINDS;

  for (guint c = 0; c < G_N_ELEMENTS (self->cards); c++)
    {
      if (i >= 0 && (guint) i < n_grid)
        {
          lb_heatmap_set_highlight (self->cards[c].layers, i / LB_SESSION_N_KINDS,
                                    i % LB_SESSION_N_KINDS);
          lb_heatmap_set_highlight (self->cards[c].ends, -1, -1);
        }
      else
        {
          lb_heatmap_set_highlight (self->cards[c].layers, -1, -1);
          lb_heatmap_set_highlight (self->cards[c].ends, i >= 0 ? 0 : -1,
                                    i >= 0 ? i - (int) n_grid : -1);
        }
    }
}

void
lb_heatmap_closeup_show (LbHeatmapView *self,
                         const char    *name,
                         LbType         type,
                         gboolean       compared)
{
  LbWindow *window = lb_view_get_window (GTK_WIDGET (self));
  g_autoptr (LbJob) job = NULL;
  g_autofree char *title = NULL;
  LbHeatDrillData *d;

  if (self->session == NULL || window == NULL || type >= LB_TYPE_COUNT)
    return;
  lb_job_abandon (&self->drill_job);
  if (self->drill_name != name)
    {
      g_free (self->drill_name);
      self->drill_name = g_strdup (name);
    }
  self->drill_type = type;
  self->drill_compared = compared;
  lb_heatmap_closeup_highlight (self);

  d = g_new0 (LbHeatDrillData, 1);
  d->model = g_object_ref (lb_session_get_model (self->session));
  d->imatrix = lb_session_get_imatrix (self->session) != NULL
               ? lb_imatrix_ref (lb_session_get_imatrix (self->session)) : NULL;
  d->name = g_strdup (name);
  d->type = type;
  d->n_threads = lb_session_get_n_threads (self->session);

  /* Translators: "Close look at blk.0.attn_v.weight" */
  title = g_strdup_printf (_("Close look at %s"), name);
  job = lb_job_new (title);
  g_object_set_data_full (G_OBJECT (job), "lb-name", g_strdup (name), g_free);
  g_object_set_data (G_OBJECT (job), "lb-type", GINT_TO_POINTER (type));
  self->drill_job = g_object_ref (job);
  gtk_widget_set_visible (GTK_WIDGET (self->drill_group), TRUE);
  lb_group_set_title (self->drill_group, name);
  gtk_stack_set_visible_child_name (self->drill_stack, "busy");
  lb_window_add_job (window, job);
  lb_job_run_async (job, lb_heat_drill_thread, d, lb_heat_drill_data_free,
                    lb_heat_drill_result_free, on_drilled, g_object_ref (self));
}

void
lb_heatmap_closeup_reset (LbHeatmapView *self)
{
  lb_job_abandon (&self->drill_job);
  g_clear_pointer (&self->drill_name, g_free);
  gtk_widget_set_visible (GTK_WIDGET (self->drill_group), FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->numbers_group), FALSE);
  lb_heatmap_closeup_highlight (self);
}

/* The figures go in the side column; the error map and histogram
 * (drill_group) are for the caller to place */
void
lb_heatmap_closeup_build (LbHeatmapView *self, GtkWidget *side)
{
  AdwPreferencesGroup *numbers = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  GtkWidget *drill_box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 18);
  GtkWidget *map_card = lb_view_card_new ();
  GtkWidget *hist_card = lb_view_card_new ();
  GtkWidget *spinner, *busy_box;

  lb_group_set_title (numbers, _("Selected Tensor"));
  self->drill_snr_label = lb_heatmap_add_value_row (numbers, _("SNR"), NULL);
  self->drill_mse_label = lb_heatmap_add_value_row (numbers, _("Mean Squared Error"), NULL);
  self->drill_cosine_label = lb_heatmap_add_value_row (numbers, _("Cosine Similarity"), NULL);
  self->drill_max_label = lb_heatmap_add_value_row (numbers, _("Largest Error"), NULL);
  self->numbers_group = numbers;
  gtk_widget_set_visible (GTK_WIDGET (numbers), FALSE);
  gtk_box_append (GTK_BOX (side), GTK_WIDGET (numbers));

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
  /* homogeneous: no width search (see lb-page-layout.h) */
  gtk_box_set_homogeneous (GTK_BOX (drill_box), TRUE);
  gtk_box_append (GTK_BOX (drill_box), map_card);
  gtk_box_append (GTK_BOX (drill_box), hist_card);
  gtk_stack_add_named (self->drill_stack, drill_box, "tensor");
  adw_preferences_group_add (self->drill_group, GTK_WIDGET (self->drill_stack));
  gtk_widget_set_visible (GTK_WIDGET (self->drill_group), FALSE);
}
