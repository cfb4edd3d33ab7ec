/* lb-jobs-panel.c */
#include "config.h"

#include <glib/gi18n.h>

#include "lb-job-row.h"
#include "lb-job.h"
#include "lb-jobs-panel.h"

struct _LbJobsPanel
{
  AdwBin      parent_instance;

  GListStore *jobs;
  GtkStack   *stack;
  GtkListBox *list;
  GtkButton  *clear_button;
};

G_DEFINE_FINAL_TYPE (LbJobsPanel, lb_jobs_panel, ADW_TYPE_BIN)

static void
remove_job (LbJobsPanel *self, LbJob *job)
{
  guint position;

  if (self->jobs != NULL && g_list_store_find (self->jobs, job, &position))
    g_list_store_remove (self->jobs, position);
}

static void
on_row_remove (LbJobRow    *row,
               LbJobsPanel *self)
{
  remove_job (self, lb_job_row_get_job (row));
}

static GtkWidget *
create_row (gpointer item,
            gpointer user_data)
{
  GtkWidget *row = lb_job_row_new (LB_JOB (item));

  g_signal_connect_object (row, "remove", G_CALLBACK (on_row_remove), user_data, 0);
  return row;
}

static void
update (LbJobsPanel *self)
{
  guint n = self->jobs != NULL ? g_list_model_get_n_items (G_LIST_MODEL (self->jobs)) : 0;
  gboolean any_finished = FALSE;

  for (guint i = 0; i < n && !any_finished; i++)
    {
      g_autoptr (LbJob) job = g_list_model_get_item (G_LIST_MODEL (self->jobs), i);

      any_finished = !lb_job_is_running (job);
    }
  gtk_stack_set_visible_child_name (self->stack, n > 0 ? "list" : "empty");
  gtk_widget_set_sensitive (GTK_WIDGET (self->clear_button), any_finished);
}

static void
on_items_changed (GListModel  *model,
                  guint        position,
                  guint        removed,
                  guint        added,
                  LbJobsPanel *self)
{
  for (guint i = position; i < position + added; i++)
    {
      g_autoptr (LbJob) job = g_list_model_get_item (model, i);

      g_signal_connect_object (job, "notify::running", G_CALLBACK (update), self,
                               G_CONNECT_SWAPPED);
    }
  update (self);
}

static void
clear_finished (LbJobsPanel *self)
{
  guint i = 0;

  while (self->jobs != NULL && i < g_list_model_get_n_items (G_LIST_MODEL (self->jobs)))
    {
      g_autoptr (LbJob) job = g_list_model_get_item (G_LIST_MODEL (self->jobs), i);

      if (lb_job_is_running (job))
        i++;
      else
        g_list_store_remove (self->jobs, i);
    }
}

void
lb_jobs_panel_set_jobs (LbJobsPanel *self, GListStore *jobs)
{
  g_return_if_fail (LB_IS_JOBS_PANEL (self));
  g_return_if_fail (jobs == NULL || G_IS_LIST_STORE (jobs));

  if (self->jobs != NULL)
    g_signal_handlers_disconnect_by_data (self->jobs, self);
  g_set_object (&self->jobs, jobs);
  gtk_list_box_bind_model (self->list, G_LIST_MODEL (jobs), create_row, self, NULL);
  if (jobs != NULL)
    {
      g_signal_connect (jobs, "items-changed", G_CALLBACK (on_items_changed), self);
      on_items_changed (G_LIST_MODEL (jobs), 0, 0,
                        g_list_model_get_n_items (G_LIST_MODEL (jobs)), self);
    }
  update (self);
}

static void
lb_jobs_panel_dispose (GObject *object)
{
  LbJobsPanel *self = LB_JOBS_PANEL (object);

  if (self->jobs != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->jobs, self);
      gtk_list_box_bind_model (self->list, NULL, NULL, NULL, NULL);
    }
  g_clear_object (&self->jobs);

  G_OBJECT_CLASS (lb_jobs_panel_parent_class)->dispose (object);
}

static void
lb_jobs_panel_class_init (LbJobsPanelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = lb_jobs_panel_dispose;
  gtk_widget_class_set_css_name (widget_class, "lb-jobs-panel");
}

static void
lb_jobs_panel_init (LbJobsPanel *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *empty = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *heading = gtk_label_new (_("No Jobs"));
  GtkWidget *hint = gtk_label_new (_("Loading, exporting and other long tasks appear here "
                                     "while they run."));
  GtkWidget *scrolled = gtk_scrolled_window_new ();

  gtk_widget_set_size_request (box, 380, -1);

  gtk_widget_add_css_class (heading, "heading");
  gtk_label_set_wrap (GTK_LABEL (hint), TRUE);
  gtk_label_set_max_width_chars (GTK_LABEL (hint), 36);
  gtk_label_set_justify (GTK_LABEL (hint), GTK_JUSTIFY_CENTER);
  gtk_widget_add_css_class (hint, "dim-label");
  gtk_widget_set_margin_top (empty, 18);
  gtk_widget_set_margin_bottom (empty, 18);
  gtk_widget_set_margin_start (empty, 12);
  gtk_widget_set_margin_end (empty, 12);
  gtk_box_append (GTK_BOX (empty), heading);
  gtk_box_append (GTK_BOX (empty), hint);

  self->list = GTK_LIST_BOX (gtk_list_box_new ());
  gtk_list_box_set_selection_mode (self->list, GTK_SELECTION_NONE);
  gtk_widget_add_css_class (GTK_WIDGET (self->list), "lb-jobs-list");
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scrolled), GTK_POLICY_NEVER,
                                  GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_propagate_natural_height (GTK_SCROLLED_WINDOW (scrolled), TRUE);
  gtk_scrolled_window_set_max_content_height (GTK_SCROLLED_WINDOW (scrolled), 420);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), GTK_WIDGET (self->list));

  self->stack = GTK_STACK (gtk_stack_new ());
  gtk_stack_set_vhomogeneous (self->stack, FALSE);
  gtk_stack_add_named (self->stack, empty, "empty");
  gtk_stack_add_named (self->stack, scrolled, "list");
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->stack));

  self->clear_button = GTK_BUTTON (gtk_button_new_with_mnemonic (_("C_lear Finished")));
  gtk_widget_add_css_class (GTK_WIDGET (self->clear_button), "flat");
  gtk_widget_set_halign (GTK_WIDGET (self->clear_button), GTK_ALIGN_END);
  g_signal_connect_swapped (self->clear_button, "clicked", G_CALLBACK (clear_finished), self);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->clear_button));

  adw_bin_set_child (ADW_BIN (self), box);
  update (self);
}

GtkWidget *
lb_jobs_panel_new (void)
{
  return g_object_new (LB_TYPE_JOBS_PANEL, NULL);
}
