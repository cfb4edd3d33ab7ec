/* lb-job-row.c */
#include "config.h"

#include <glib/gi18n.h>

#include "lb-job-row.h"

#define TICK_MS 200

struct _LbJobRow
{
  AdwBin          parent_instance;

  LbJob          *job;
  GtkStack       *status_stack;
  GtkSpinner     *spinner;
  GtkImage       *status_icon;
  GtkLabel       *title_label;
  GtkLabel       *elapsed_label;
  GtkLabel       *stage_label;
  GtkProgressBar *progress_bar;
  GtkButton      *button;
  guint           tick_id;
};

G_DEFINE_FINAL_TYPE (LbJobRow, lb_job_row, ADW_TYPE_BIN)

enum {
  REMOVE,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

char *
lb_job_format_elapsed (double seconds)
{
  guint s = seconds > 0 ? (guint) seconds : 0;

  if (s >= 3600)
    return g_strdup_printf ("%u:%02u:%02u", s / 3600, (s / 60) % 60, s % 60);
  return g_strdup_printf ("%u:%02u", s / 60, s % 60);
}

static void
update_elapsed (LbJobRow *self)
{
  g_autofree char *text = lb_job_format_elapsed (lb_job_get_elapsed (self->job));

  if (g_strcmp0 (gtk_label_get_label (self->elapsed_label), text) != 0)
    gtk_label_set_label (self->elapsed_label, text);
}

static gboolean
on_tick (gpointer data)
{
  LbJobRow *self = data;

  update_elapsed (self);
  if (lb_job_get_fraction (self->job) < 0.0)
    gtk_progress_bar_pulse (self->progress_bar);
  return G_SOURCE_CONTINUE;
}

static void
update_progress (LbJobRow *self)
{
  double fraction = lb_job_get_fraction (self->job);

  if (fraction >= 0.0)
    gtk_progress_bar_set_fraction (self->progress_bar, fraction);
}

static void
update_state (LbJobRow *self)
{
  LbJobState state = lb_job_get_state (self->job);
  const char *stage = lb_job_get_stage (self->job);
  GtkWidget *icon = GTK_WIDGET (self->status_icon);

  gtk_widget_remove_css_class (icon, "success");
  gtk_widget_remove_css_class (icon, "error");

  switch (state)
    {
    case LB_JOB_RUNNING:
      gtk_stack_set_visible_child (self->status_stack, GTK_WIDGET (self->spinner));
      gtk_spinner_set_spinning (self->spinner, TRUE);
      gtk_widget_set_visible (GTK_WIDGET (self->progress_bar), TRUE);
      gtk_button_set_icon_name (self->button, "process-stop-symbolic");
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->button), _("Cancel"));
      if (self->tick_id == 0)
        self->tick_id = g_timeout_add (TICK_MS, on_tick, self);
      break;

    case LB_JOB_SUCCEEDED:
      gtk_image_set_from_icon_name (self->status_icon, "emblem-ok-symbolic");
      gtk_widget_add_css_class (icon, "success");
      stage = _("Done");
      break;

    case LB_JOB_FAILED:
      gtk_image_set_from_icon_name (self->status_icon, "dialog-error-symbolic");
      gtk_widget_add_css_class (icon, "error");
      stage = lb_job_get_error_message (self->job);
      break;

    case LB_JOB_CANCELLED:
      gtk_image_set_from_icon_name (self->status_icon, "process-stop-symbolic");
      stage = _("Cancelled");
      break;

    default:
      g_assert_not_reached ();
    }

  if (state != LB_JOB_RUNNING)
    {
      g_clear_handle_id (&self->tick_id, g_source_remove);
      gtk_spinner_set_spinning (self->spinner, FALSE);
      gtk_stack_set_visible_child (self->status_stack, GTK_WIDGET (self->status_icon));
      gtk_widget_set_visible (GTK_WIDGET (self->progress_bar), FALSE);
      gtk_button_set_icon_name (self->button, "window-close-symbolic");
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->button), _("Remove"));
    }

  gtk_label_set_label (self->stage_label, stage != NULL ? stage : "");
  gtk_widget_set_visible (GTK_WIDGET (self->stage_label), stage != NULL && *stage != '\0');
  update_elapsed (self);
  update_progress (self);
}

static void
on_button_clicked (LbJobRow *self)
{
  if (lb_job_is_running (self->job))
    lb_job_cancel (self->job);
  else
    g_signal_emit (self, signals[REMOVE], 0);
}

static void
lb_job_row_dispose (GObject *object)
{
  LbJobRow *self = LB_JOB_ROW (object);

  g_clear_handle_id (&self->tick_id, g_source_remove);
  if (self->job != NULL)
    g_signal_handlers_disconnect_by_data (self->job, self);
  g_clear_object (&self->job);

  G_OBJECT_CLASS (lb_job_row_parent_class)->dispose (object);
}

static void
lb_job_row_class_init (LbJobRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = lb_job_row_dispose;
  gtk_widget_class_set_css_name (widget_class, "lb-job-row");

  signals[REMOVE] = g_signal_new ("remove", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
lb_job_row_init (LbJobRow *self)
{
  GtkGrid *grid = GTK_GRID (gtk_grid_new ());

  gtk_grid_set_column_spacing (grid, 12);
  gtk_grid_set_row_spacing (grid, 4);
  gtk_widget_set_margin_start (GTK_WIDGET (grid), 12);
  gtk_widget_set_margin_end (GTK_WIDGET (grid), 6);
  gtk_widget_set_margin_top (GTK_WIDGET (grid), 10);
  gtk_widget_set_margin_bottom (GTK_WIDGET (grid), 10);

  self->status_stack = GTK_STACK (gtk_stack_new ());
  self->spinner = GTK_SPINNER (gtk_spinner_new ());
  self->status_icon = GTK_IMAGE (gtk_image_new ());
  gtk_widget_add_css_class (GTK_WIDGET (self->status_icon), "lb-job-status");
  gtk_stack_add_child (self->status_stack, GTK_WIDGET (self->spinner));
  gtk_stack_add_child (self->status_stack, GTK_WIDGET (self->status_icon));
  gtk_widget_set_valign (GTK_WIDGET (self->status_stack), GTK_ALIGN_START);
  gtk_widget_set_margin_top (GTK_WIDGET (self->status_stack), 1);
  gtk_grid_attach (grid, GTK_WIDGET (self->status_stack), 0, 0, 1, 1);

  self->title_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_xalign (self->title_label, 0.0f);
  gtk_label_set_ellipsize (self->title_label, PANGO_ELLIPSIZE_MIDDLE);
  gtk_widget_set_hexpand (GTK_WIDGET (self->title_label), TRUE);
  gtk_widget_add_css_class (GTK_WIDGET (self->title_label), "heading");
  gtk_grid_attach (grid, GTK_WIDGET (self->title_label), 1, 0, 1, 1);

  self->elapsed_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_widget_add_css_class (GTK_WIDGET (self->elapsed_label), "numeric");
  gtk_widget_add_css_class (GTK_WIDGET (self->elapsed_label), "dim-label");
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->elapsed_label), _("Elapsed time"));
  gtk_grid_attach (grid, GTK_WIDGET (self->elapsed_label), 2, 0, 1, 1);

  self->button = GTK_BUTTON (gtk_button_new ());
  gtk_widget_add_css_class (GTK_WIDGET (self->button), "flat");
  gtk_widget_add_css_class (GTK_WIDGET (self->button), "circular");
  gtk_widget_set_valign (GTK_WIDGET (self->button), GTK_ALIGN_CENTER);
  g_signal_connect_swapped (self->button, "clicked", G_CALLBACK (on_button_clicked), self);
  gtk_grid_attach (grid, GTK_WIDGET (self->button), 3, 0, 1, 3);

  self->stage_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_xalign (self->stage_label, 0.0f);
  gtk_label_set_wrap (self->stage_label, TRUE);
  gtk_label_set_wrap_mode (self->stage_label, PANGO_WRAP_WORD_CHAR);
  gtk_label_set_max_width_chars (self->stage_label, 40);
  gtk_label_set_selectable (self->stage_label, FALSE);
  gtk_widget_add_css_class (GTK_WIDGET (self->stage_label), "caption");
  gtk_widget_add_css_class (GTK_WIDGET (self->stage_label), "lb-job-stage");
  gtk_grid_attach (grid, GTK_WIDGET (self->stage_label), 1, 1, 2, 1);

  self->progress_bar = GTK_PROGRESS_BAR (gtk_progress_bar_new ());
  gtk_progress_bar_set_pulse_step (self->progress_bar, 0.1);
  gtk_widget_set_margin_top (GTK_WIDGET (self->progress_bar), 4);
  gtk_grid_attach (grid, GTK_WIDGET (self->progress_bar), 1, 2, 2, 1);

  adw_bin_set_child (ADW_BIN (self), GTK_WIDGET (grid));
}

GtkWidget *
lb_job_row_new (LbJob *job)
{
  LbJobRow *self;

  g_return_val_if_fail (LB_IS_JOB (job), NULL);

  self = g_object_new (LB_TYPE_JOB_ROW, NULL);
  self->job = g_object_ref (job);
  gtk_label_set_label (self->title_label, lb_job_get_title (job));
  g_signal_connect_swapped (job, "notify::stage", G_CALLBACK (update_state), self);
  g_signal_connect_swapped (job, "notify::fraction", G_CALLBACK (update_progress), self);
  g_signal_connect_swapped (job, "notify::state", G_CALLBACK (update_state), self);
  update_state (self);
  return GTK_WIDGET (self);
}

LbJob *
lb_job_row_get_job (LbJobRow *self)
{
  g_return_val_if_fail (LB_IS_JOB_ROW (self), NULL);
  return self->job;
}
