/* lb-window.c */
#include "config.h"

#include <glib/gi18n.h>

#include "lb-eval-view.h"
#include "lb-export-view.h"
#include "lb-heatmap-view.h"
#include "lb-jobs-panel.h"
#include "lb-overview-view.h"
#include "lb-perf-view.h"
#include "lb-precision-view.h"
#include "lb-session.h"
#include "lb-stall-monitor.h"
#include "lb-window.h"
#include "lb-view-util.h"

/* The main loop is sampled every STALL_TICK_MS while a job runs, and for
 * STALL_TAIL_MS after it ends so that landing its result counts too. */
#define STALL_TICK_MS 10
#define STALL_TAIL_MS 150

struct _LbWindow
{
  AdwApplicationWindow  parent_instance;

  /* template */
  AdwToastOverlay      *toast_overlay;
  GtkWidget            *content_box;
  AdwViewSwitcherTitle *switcher_title;
  AdwViewStack         *stack;
  GtkMenuButton        *jobs_button;
  GtkStack             *jobs_icon_stack;
  GtkSpinner           *jobs_spinner;
  LbJobsPanel          *jobs_panel;
  GMenu                *recent_menu;
  LbOverviewView       *overview_view;
  LbExportView         *export_view;
  LbPrecisionView      *precision_view;
  LbHeatmapView        *heatmap_view;
  LbPerfView           *perf_view;
  LbEvalView           *eval_view;

  GSettings            *settings;
  LbModel              *model;
  LbSession            *session;
  GListStore           *jobs;
  LbJob                *load_job;    /* the load in progress, if any */
  GtkNativeDialog      *chooser;
};

G_DEFINE_FINAL_TYPE (LbWindow, lb_window, ADW_TYPE_APPLICATION_WINDOW)

/* Jobs and the main-loop watch */

typedef struct {
  LbJob          *job;
  LbStallMonitor *monitor;
} JobWatch;

static gboolean
job_watch_end (gpointer data)
{
  JobWatch *watch = data;
  double stall = lb_stall_monitor_get_max_gap_ms (watch->monitor);
  double busy = lb_stall_monitor_get_max_busy_ms (watch->monitor);

  g_debug ("job \"%s\": %.3f s, longest main-loop stall %.1f ms (main thread busy %.1f ms)",
           lb_job_get_title (watch->job), lb_job_get_elapsed (watch->job), stall, busy);
  lb_job_set_main_loop_stall (watch->job, stall, busy);
  lb_stall_monitor_free (watch->monitor);
  g_object_unref (watch->job);
  g_free (watch);
  return G_SOURCE_REMOVE;
}

static void
on_job_finished (LbJob    *job,
                 JobWatch *watch)
{
  g_signal_handlers_disconnect_by_data (job, watch);
  g_timeout_add_full (G_PRIORITY_DEFAULT, STALL_TAIL_MS, job_watch_end, watch, NULL);
}

static void
update_jobs_button (LbWindow *self)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->jobs));
  gboolean busy = FALSE;

  for (guint i = 0; i < n && !busy; i++)
    {
      g_autoptr (LbJob) job = g_list_model_get_item (G_LIST_MODEL (self->jobs), i);

      busy = lb_job_is_running (job);
    }
  gtk_spinner_set_spinning (self->jobs_spinner, busy);
  gtk_stack_set_visible_child_name (self->jobs_icon_stack, busy ? "busy" : "idle");
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->jobs_button),
                               busy ? _("Jobs (running)") : _("Jobs"));
}

void
lb_window_add_job (LbWindow *self, LbJob *job)
{
  JobWatch *watch;

  g_return_if_fail (LB_IS_WINDOW (self));
  g_return_if_fail (LB_IS_JOB (job));

  g_list_store_append (self->jobs, job);
  g_signal_connect_object (job, "notify::running", G_CALLBACK (update_jobs_button), self,
                           G_CONNECT_SWAPPED);
  update_jobs_button (self);

  if (!lb_job_is_running (job))
    return;
  watch = g_new0 (JobWatch, 1);
  watch->job = g_object_ref (job);
  watch->monitor = lb_stall_monitor_new (STALL_TICK_MS);
  g_signal_connect (job, "finished", G_CALLBACK (on_job_finished), watch);
}

GListModel *
lb_window_get_jobs (LbWindow *self)
{
  g_return_val_if_fail (LB_IS_WINDOW (self), NULL);
  return G_LIST_MODEL (self->jobs);
}

/* Messages */

void
lb_window_show_error (LbWindow   *self,
                      const char *heading,
                      const char *message)
{
  GtkWidget *dialog;

  g_return_if_fail (LB_IS_WINDOW (self));

  dialog = adw_message_dialog_new (GTK_WINDOW (self), heading, message);
  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "close");
  gtk_window_present (GTK_WINDOW (dialog));
}

void
lb_window_show_toast (LbWindow *self, const char *text)
{
  g_return_if_fail (LB_IS_WINDOW (self));
  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (text));
}

void
lb_window_show_view (LbWindow *self, const char *name)
{
  g_return_if_fail (LB_IS_WINDOW (self));
  if (adw_view_stack_get_child_by_name (self->stack, name) != NULL)
    adw_view_stack_set_visible_child_name (self->stack, name);
}

/* The model and its session */

static void
update_undo (LbWindow *self)
{
  gboolean can_undo = self->session != NULL && lb_session_can_undo (self->session);
  gboolean can_redo = self->session != NULL && lb_session_can_redo (self->session);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.undo", can_undo);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.redo", can_redo);
}

static void
on_session_job (LbSession *session, LbJob *job, LbWindow *self)
{
  lb_window_add_job (self, job);
}

static void
on_session_failed (LbSession  *session,
                   const char *heading,
                   const char *message,
                   LbWindow   *self)
{
  lb_window_show_error (self, heading, message);
}

static void
on_session_notice (LbSession *session, const char *text, LbWindow *self)
{
  lb_window_show_toast (self, text);
}

static void
update_threads (LbWindow *self)
{
  if (self->session != NULL && self->settings != NULL)
    lb_session_set_n_threads (self->session, (guint) g_settings_get_int (self->settings, "threads"));
}

static void
set_session (LbWindow *self, LbSession *session)
{
  if (self->session != NULL)
    g_signal_handlers_disconnect_by_data (self->session, self);
  g_set_object (&self->session, session);
  if (session != NULL)
    {
      g_signal_connect (session, "job-started", G_CALLBACK (on_session_job), self);
      g_signal_connect (session, "failed", G_CALLBACK (on_session_failed), self);
      g_signal_connect (session, "notice", G_CALLBACK (on_session_notice), self);
      g_signal_connect_swapped (session, "notify::can-undo", G_CALLBACK (update_undo), self);
      g_signal_connect_swapped (session, "notify::can-redo", G_CALLBACK (update_undo), self);
      update_threads (self);
    }
  lb_overview_view_set_session (self->overview_view, session);
  lb_precision_view_set_session (self->precision_view, session);
  lb_heatmap_view_set_session (self->heatmap_view, session);
  lb_perf_view_set_session (self->perf_view, session);
  lb_eval_view_set_session (self->eval_view, session);
  lb_export_view_set_session (self->export_view, session);
  update_undo (self);
}

static void
set_model (LbWindow *self, LbModel *model)
{
  const char *name = model != NULL ? lb_model_get_name (model) : NULL;
  g_autoptr (LbSession) session = NULL;

  if (!g_set_object (&self->model, model))
    return;

  lb_overview_view_set_model (self->overview_view, model);
  lb_export_view_set_model (self->export_view, model);
  if (model != NULL)
    session = lb_session_new (model);
  set_session (self, session);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.export", model != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.export-gguf", model != NULL);

  if (name != NULL)
    {
      g_autofree char *title = g_strdup_printf (_("%s — Lowbit Workbench"), name);

      gtk_window_set_title (GTK_WINDOW (self), title);
      adw_view_switcher_title_set_title (self->switcher_title, name);
      adw_view_switcher_title_set_subtitle (self->switcher_title, _("Lowbit Workbench"));
    }
  else
    {
      gtk_window_set_title (GTK_WINDOW (self), _("Lowbit Workbench"));
      adw_view_switcher_title_set_title (self->switcher_title, _("Lowbit Workbench"));
      adw_view_switcher_title_set_subtitle (self->switcher_title, NULL);
    }
}

LbModel *
lb_window_get_model (LbWindow *self)
{
  g_return_val_if_fail (LB_IS_WINDOW (self), NULL);
  return self->model;
}

LbSession *
lb_window_get_session (LbWindow *self)
{
  g_return_val_if_fail (LB_IS_WINDOW (self), NULL);
  return self->session;
}

GSettings *
lb_window_get_settings (LbWindow *self)
{
  g_return_val_if_fail (LB_IS_WINDOW (self), NULL);
  return self->settings;
}

typedef struct {
  GWeakRef  window;
  LbJob    *job;
  char     *path;
  char     *name;
} LoadData;

static void
load_data_free (LoadData *data)
{
  g_weak_ref_clear (&data->window);
  g_clear_object (&data->job);
  g_free (data->path);
  g_free (data->name);
  g_free (data);
}

static void
on_model_loaded (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  LoadData *data = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (LbModel) model = lb_model_load_finish (result, &error);
  g_autoptr (LbWindow) self = NULL;
  gboolean current;

  lb_job_complete (data->job, error);

  self = g_weak_ref_get (&data->window);
  if (self == NULL)
    goto out;

  /* a newer load replaced this one: its result is of no use */
  current = self->load_job == data->job;
  if (!current)
    goto out;
  g_clear_object (&self->load_job);
  lb_overview_view_set_loading (self->overview_view, NULL);

  if (error != NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_autofree char *text = g_strdup_printf (_("Opening “%s” was cancelled"), data->name);

          lb_window_show_toast (self, text);
        }
      else
        {
          g_autofree char *heading = g_strdup_printf (_("Could Not Open “%s”"), data->name);

          lb_window_show_error (self, heading, error->message);
        }
      goto out;
    }

  set_model (self, model);
  lb_application_add_recent (LB_APPLICATION (gtk_window_get_application (GTK_WINDOW (self))),
                             data->path);

out:
  load_data_free (data);
}

void
lb_window_open (LbWindow *self, GFile *file)
{
  g_autofree char *path = NULL;
  g_autofree char *title = NULL;
  LoadData *data;

  g_return_if_fail (LB_IS_WINDOW (self));
  g_return_if_fail (G_IS_FILE (file));

  path = g_file_get_path (file);
  if (path == NULL)
    {
      g_autofree char *uri = g_file_get_uri (file);
      g_autofree char *message =
        g_strdup_printf (_("Lowbit opens models from local files and folders only; “%s” is "
                           "not one. Copy it to this computer first."), uri);

      lb_window_show_error (self, _("Could Not Open Model"), message);
      return;
    }

  if (self->load_job != NULL)
    {
      lb_job_cancel (self->load_job);
      g_clear_object (&self->load_job);
    }

  data = g_new0 (LoadData, 1);
  g_weak_ref_init (&data->window, self);
  data->path = g_steal_pointer (&path);
  data->name = g_file_get_basename (file);
  title = g_strdup_printf (_("Opening %s"), data->name);
  data->job = lb_job_new (title);
  self->load_job = g_object_ref (data->job);
  /* core's loader does not report progress: the stage says what it does */
  lb_job_report (data->job, -1.0, _("Reading the header and mapping the tensors"));
  lb_window_add_job (self, data->job);
  lb_overview_view_set_loading (self->overview_view, data->name);
  lb_window_show_view (self, "overview");

  lb_model_load_async (data->path, NULL, lb_job_get_cancellable (data->job),
                       on_model_loaded, data);
}

/* Actions */

static void
on_chooser_response (GtkNativeDialog *dialog,
                     int              response,
                     LbWindow        *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *base = g_file_get_basename (file);

      /* a file picked inside a Hugging Face folder opens the folder */
      if (g_str_equal (base, "config.json") || g_str_has_suffix (base, ".safetensors") ||
          g_str_equal (base, "tokenizer.json") || g_str_equal (base, "tokenizer.model"))
        {
          g_autoptr (GFile) parent = g_file_get_parent (file);

          lb_window_open (self, parent);
        }
      else
        lb_window_open (self, file);
    }
  g_clear_object (&self->chooser);
}

static void
run_chooser (LbWindow *self, gboolean folder)
{
  GtkFileFilter *models = NULL;
  GtkFileChooserNative *native;

  if (!folder)
    models = lb_view_file_filter_new (_("Models (GGUF, llama2.c, Hugging Face)"), NULL,
                                      "*.gguf", "*.bin", "*.safetensors", "config.json", NULL);
  native = lb_view_file_chooser_new (GTK_WIDGET (self), &self->chooser,
                                     folder ? _("Open a Hugging Face Folder") : _("Open a Model"),
                                     folder ? GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER
                                            : GTK_FILE_CHOOSER_ACTION_OPEN,
                                     _("_Open"), models);
  if (!folder)
    {
      GtkFileFilter *all = lb_view_file_filter_new (_("All Files"), NULL, "*", NULL);

      gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (native), all);
      g_object_unref (all);
    }
  g_signal_connect (native, "response", G_CALLBACK (on_chooser_response), self);
  gtk_native_dialog_show (self->chooser);
}

static void
open_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  run_chooser (LB_WINDOW (widget), FALSE);
}

static void
open_folder_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  run_chooser (LB_WINDOW (widget), TRUE);
}

static void
open_recent_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  g_autoptr (GFile) file = g_file_new_for_path (g_variant_get_string (parameter, NULL));

  lb_window_open (LB_WINDOW (widget), file);
}

static void
show_view_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  lb_window_show_view (LB_WINDOW (widget), g_variant_get_string (parameter, NULL));
}

static void
show_jobs_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  gtk_menu_button_popup (LB_WINDOW (widget)->jobs_button);
}

static void
export_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  LbWindow *self = LB_WINDOW (widget);

  lb_window_show_view (self, "export");
  lb_export_view_choose_file (self->export_view);
}

static void
export_gguf_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  LbWindow *self = LB_WINDOW (widget);
  g_autoptr (GFile) file = g_file_new_for_commandline_arg (g_variant_get_string (parameter, NULL));

  lb_export_view_export_to (self->export_view, file);
}

static void
undo_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  LbWindow *self = LB_WINDOW (widget);

  if (self->session != NULL)
    lb_session_undo (self->session);
}

static void
redo_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  LbWindow *self = LB_WINDOW (widget);

  if (self->session != NULL)
    lb_session_redo (self->session);
}

/* Drag and drop */

static gboolean
on_drop (GtkDropTarget *target,
         const GValue  *value,
         double         x,
         double         y,
         LbWindow      *self)
{
  GFile *file;

  if (!G_VALUE_HOLDS (value, G_TYPE_FILE))
    return FALSE;
  file = g_value_get_object (value);
  if (file == NULL)
    return FALSE;
  lb_window_open (self, file);
  return TRUE;
}

/* Window state */

static gboolean
lb_window_close_request (GtkWindow *window)
{
  LbWindow *self = LB_WINDOW (window);
  int width, height;

  gtk_window_get_default_size (window, &width, &height);
  g_settings_delay (self->settings);
  g_settings_set_boolean (self->settings, "window-maximized", gtk_window_is_maximized (window));
  if (!gtk_window_is_maximized (window))
    {
      g_settings_set_int (self->settings, "window-width", MAX (width, 360));
      g_settings_set_int (self->settings, "window-height", MAX (height, 294));
    }
  g_settings_apply (self->settings);

  return GTK_WINDOW_CLASS (lb_window_parent_class)->close_request (window);
}

/* GtkWindow:application is set after construction, hence not in constructed */
static void
setup_for_application (LbWindow      *self,
                       LbApplication *app)
{
  self->settings = g_object_ref (lb_application_get_settings (app));
  g_menu_append_section (self->recent_menu, NULL, lb_application_get_recent_menu (app));

  gtk_window_set_default_size (GTK_WINDOW (self),
                               g_settings_get_int (self->settings, "window-width"),
                               g_settings_get_int (self->settings, "window-height"));
  if (g_settings_get_boolean (self->settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));

  lb_overview_view_set_settings (self->overview_view, self->settings);
  lb_export_view_set_settings (self->export_view, self->settings);
  lb_precision_view_set_settings (self->precision_view, self->settings);
  lb_eval_view_set_settings (self->eval_view, self->settings);
  lb_perf_view_set_settings (self->perf_view, self->settings);
  g_signal_connect_object (self->settings, "changed::threads", G_CALLBACK (update_threads),
                           self, G_CONNECT_SWAPPED);
}

static void
lb_window_dispose (GObject *object)
{
  LbWindow *self = LB_WINDOW (object);
  guint n = self->jobs != NULL ? g_list_model_get_n_items (G_LIST_MODEL (self->jobs)) : 0;

  /* nothing of this window may keep working once it is gone */
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (LbJob) job = g_list_model_get_item (G_LIST_MODEL (self->jobs), i);

      lb_job_cancel (job);
    }
  lb_view_close_chooser (&self->chooser);
  g_clear_object (&self->load_job);
  if (self->session != NULL)
    g_signal_handlers_disconnect_by_data (self->session, self);
  g_clear_object (&self->session);

  G_OBJECT_CLASS (lb_window_parent_class)->dispose (object);
}

static void
lb_window_finalize (GObject *object)
{
  LbWindow *self = LB_WINDOW (object);

  g_clear_object (&self->model);
  g_clear_object (&self->jobs);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (lb_window_parent_class)->finalize (object);
}

static void
lb_window_class_init (LbWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = lb_window_dispose;
  object_class->finalize = lb_window_finalize;
  window_class->close_request = lb_window_close_request;

  g_type_ensure (LB_TYPE_JOBS_PANEL);
  g_type_ensure (LB_TYPE_OVERVIEW_VIEW);
  g_type_ensure (LB_TYPE_PRECISION_VIEW);
  g_type_ensure (LB_TYPE_HEATMAP_VIEW);
  g_type_ensure (LB_TYPE_PERF_VIEW);
  g_type_ensure (LB_TYPE_EVAL_VIEW);
  g_type_ensure (LB_TYPE_EXPORT_VIEW);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/lowbit/Workbench/ui/lb-window.ui");
  gtk_widget_class_bind_template_child (widget_class, LbWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, LbWindow, content_box);
  gtk_widget_class_bind_template_child (widget_class, LbWindow, switcher_title);
  gtk_widget_class_bind_template_child (widget_class, LbWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, LbWindow, jobs_button);
  gtk_widget_class_bind_template_child (widget_class, LbWindow, jobs_icon_stack);
  gtk_widget_class_bind_template_child (widget_class, LbWindow, jobs_spinner);
  gtk_widget_class_bind_template_child (widget_class, LbWindow, jobs_panel);
  gtk_widget_class_bind_template_child (widget_class, LbWindow, recent_menu);
  gtk_widget_class_bind_template_child (widget_class, LbWindow, overview_view);
  gtk_widget_class_bind_template_child (widget_class, LbWindow, export_view);
  gtk_widget_class_bind_template_child (widget_class, LbWindow, precision_view);
  gtk_widget_class_bind_template_child (widget_class, LbWindow, heatmap_view);
  gtk_widget_class_bind_template_child (widget_class, LbWindow, perf_view);
  gtk_widget_class_bind_template_child (widget_class, LbWindow, eval_view);

  gtk_widget_class_install_action (widget_class, "win.open", NULL, open_action);
  gtk_widget_class_install_action (widget_class, "win.open-folder", NULL, open_folder_action);
  gtk_widget_class_install_action (widget_class, "win.open-recent", "s", open_recent_action);
  gtk_widget_class_install_action (widget_class, "win.show-view", "s", show_view_action);
  gtk_widget_class_install_action (widget_class, "win.show-jobs", NULL, show_jobs_action);
  gtk_widget_class_install_action (widget_class, "win.export", NULL, export_action);
  gtk_widget_class_install_action (widget_class, "win.export-gguf", "s", export_gguf_action);
  gtk_widget_class_install_action (widget_class, "win.undo", NULL, undo_action);
  gtk_widget_class_install_action (widget_class, "win.redo", NULL, redo_action);
}

static void
lb_window_init (LbWindow *self)
{
  GtkDropTarget *drop;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->jobs = g_list_store_new (LB_TYPE_JOB);
  lb_jobs_panel_set_jobs (self->jobs_panel, self->jobs);

  drop = gtk_drop_target_new (G_TYPE_FILE, GDK_ACTION_COPY);
  g_signal_connect (drop, "drop", G_CALLBACK (on_drop), self);
  gtk_widget_add_controller (self->content_box, GTK_EVENT_CONTROLLER (drop));

  update_jobs_button (self);
  update_undo (self);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.export", FALSE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.export-gguf", FALSE);
}

LbWindow *
lb_window_new (LbApplication *app)
{
  LbWindow *self;

  g_return_val_if_fail (LB_IS_APPLICATION (app), NULL);

  self = g_object_new (LB_TYPE_WINDOW, "application", app, NULL);
  setup_for_application (self, app);
  return self;
}
