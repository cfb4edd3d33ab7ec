/* lb-importance-row.c */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <glib/gi18n.h>

#include "lb-importance-row.h"
#include "lb-job.h"
#include "lb-view-util.h"
#include "lb-window.h"

#define DEFAULT_CTX    512
#define DEFAULT_CHUNKS 32

struct _LbImportanceRow
{
  AdwActionRow     parent_instance;

  GtkWidget       *menu_button;

  LbSession       *session;
  LbJob           *job;        /* a calibration running */
  GtkNativeDialog *chooser;
  guint            n_ctx;
  guint            n_chunks;
};

G_DEFINE_FINAL_TYPE (LbImportanceRow, lb_importance_row, ADW_TYPE_ACTION_ROW)

/* "imatrix.gguf · 196 matrices · wikitext2-valid.txt, 100 chunks" */
static char *
describe (LbImatrix *imatrix, const char *path)
{
  g_autofree char *base = g_path_get_basename (path);
  const char * const *datasets;
  GString *text = g_string_new (base);

  if (imatrix == NULL)
    return g_string_free (text, FALSE);
  g_string_append (text, " · ");
  g_string_append_printf (text, g_dngettext (GETTEXT_PACKAGE, "%u matrix", "%u matrices",
                                             lb_imatrix_get_n_entries (imatrix)),
                          lb_imatrix_get_n_entries (imatrix));
  datasets = lb_imatrix_get_datasets (imatrix);
  if (datasets != NULL && datasets[0] != NULL)
    {
      g_autofree char *dataset = g_path_get_basename (datasets[0]);

      g_string_append (text, " · ");
      if (lb_imatrix_get_chunk_count (imatrix) > 0)
        /* Translators: the text an imatrix was made from and how many chunks of it */
        g_string_append_printf (text, g_dngettext (GETTEXT_PACKAGE, "%s, %u chunk",
                                                   "%s, %u chunks",
                                                   lb_imatrix_get_chunk_count (imatrix)),
                                dataset, lb_imatrix_get_chunk_count (imatrix));
      else
        g_string_append (text, dataset);
    }
  return g_string_free (text, FALSE);
}

static void
update (LbImportanceRow *self)
{
  const char *path = self->session != NULL ? lb_session_get_importance (self->session) : NULL;
  gboolean idle = self->session != NULL && !lb_session_get_busy (self->session) && self->job == NULL;
  g_autofree char *subtitle = NULL;

  if (self->job != NULL)
    subtitle = g_strdup (_("Calibrating…"));
  else if (path != NULL)
    subtitle = describe (lb_session_get_imatrix (self->session), path);
  else
    subtitle = g_strdup (_("None: every column of a matrix counts the same"));
  adw_action_row_set_subtitle (ADW_ACTION_ROW (self), subtitle);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self), path);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "importance.choose", idle);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "importance.open", idle);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "importance.calibrate", idle);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "importance.calibrate-from", idle);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "importance.clear", idle && path != NULL);
}

/* ---- opening a file ---------------------------------------------------------- */

static void
open_path (LbImportanceRow *self, const char *path)
{
  g_autofree char *absolute = NULL;

  if (self->session == NULL || path == NULL)
    return;
  absolute = g_canonicalize_filename (path, NULL);
  /* the session's job reads the file; its errors reach the window */
  lb_session_set_importance (self->session, absolute, NULL);
}

static void
open_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  open_path (LB_IMPORTANCE_ROW (widget), g_variant_get_string (parameter, NULL));
}

static void
clear_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  LbImportanceRow *self = LB_IMPORTANCE_ROW (widget);

  if (self->session != NULL)
    lb_session_set_importance (self->session, NULL, NULL);
}

/* ---- calibrating ------------------------------------------------------------- */

char *
lb_importance_calibration_path (LbModel *model, const char *text_path, guint n_ctx, guint n_chunks)
{
  g_autofree char *text = g_path_get_basename (text_path);
  g_autofree char *name = NULL;
  char *dot = strrchr (text, '.');

  if (dot != NULL && dot != text)
    *dot = '\0';
  name = g_strdup_printf ("%s-%s-%ux%u.imatrix.gguf", lb_model_get_name (model), text, n_chunks,
                          n_ctx);
  g_strdelimit (name, "/\\: ", '-');
  return g_build_filename (g_get_user_cache_dir (), "lowbit", "importance", name, NULL);
}

typedef struct {
  LbModel *model;
  char    *text_path;
  char    *out_path;
  guint    n_ctx;
  guint    n_chunks;
} CalibrateData;

static void
calibrate_data_free (gpointer data)
{
  CalibrateData *d = data;

  g_clear_object (&d->model);
  g_free (d->text_path);
  g_free (d->out_path);
  g_free (d);
}

static void
calibrate_progress (double fraction, const char *stage, gpointer user_data)
{
  /* the collection is most of the work; saving is quick */
  lb_job_report (LB_JOB (user_data), 0.95 * fraction, NULL);
}

static gpointer
calibrate_thread (LbJob *job, gpointer task_data, GCancellable *cancellable, GError **error)
{
  CalibrateData *d = task_data;
  g_autofree char *text = NULL;
  g_autofree char *folder = NULL;
  g_autofree char *dataset = g_path_get_basename (d->text_path);
  g_autoptr (LbImatrix) imatrix = NULL;
  gsize len;

  lb_job_report (job, 0.0, _("Reading and tokenizing the text"));
  if (!g_file_get_contents (d->text_path, &text, &len, error))
    return NULL;
  lb_job_report (job, 0.0, _("Running the model over the text"));
  imatrix = lb_imatrix_collect (d->model, text, (gssize) len, dataset, d->n_ctx, d->n_chunks,
                                calibrate_progress, job, cancellable, error);
  if (imatrix == NULL)
    return NULL;
  lb_job_report (job, 0.97, _("Saving the importance data"));
  folder = g_path_get_dirname (d->out_path);
  if (g_mkdir_with_parents (folder, 0700) != 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   _("Could not make the folder %s: %s"), folder, g_strerror (saved));
      return NULL;
    }
  /* written whole or not at all */
  if (!lb_imatrix_save (imatrix, d->out_path, error))
    return NULL;
  return g_steal_pointer (&imatrix);
}

static void
on_calibrated (GObject *source, GAsyncResult *result, gpointer user_data)
{
  LbJob *job = LB_JOB (source);
  g_autoptr (LbImportanceRow) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (LbImatrix) imatrix = lb_job_run_finish (job, result, &error);

  if (!lb_job_take_back (&self->job, job, NULL, NULL))
    return;
  if (imatrix == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        lb_view_show_error (GTK_WIDGET (self), _("Could Not Calibrate"), error->message);
      update (self);
      return;
    }
  if (self->session != NULL)
    lb_session_set_importance (self->session, lb_imatrix_get_path (imatrix), imatrix);
  update (self);
}

static void
calibrate_from (LbImportanceRow *self, const char *text_path)
{
  LbWindow *window = lb_view_get_window (GTK_WIDGET (self));
  g_autoptr (LbJob) job = NULL;
  g_autofree char *title = NULL;
  g_autofree char *base = NULL;
  CalibrateData *d;

  if (self->session == NULL || window == NULL || self->job != NULL || text_path == NULL)
    return;
  d = g_new0 (CalibrateData, 1);
  d->model = g_object_ref (lb_session_get_model (self->session));
  d->text_path = g_canonicalize_filename (text_path, NULL);
  d->n_ctx = self->n_ctx;
  d->n_chunks = self->n_chunks;
  d->out_path = lb_importance_calibration_path (d->model, d->text_path, d->n_ctx, d->n_chunks);
  base = g_path_get_basename (d->text_path);
  /* Translators: "Calibrating on wikitext2-valid.txt" */
  title = g_strdup_printf (_("Calibrating on %s"), base);
  job = lb_job_new (title);
  self->job = g_object_ref (job);
  lb_window_add_job (window, job);
  update (self);
  lb_job_run_async (job, calibrate_thread, d, calibrate_data_free,
                    (GDestroyNotify) lb_imatrix_unref, on_calibrated, g_object_ref (self));
}

static void
calibrate_from_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  calibrate_from (LB_IMPORTANCE_ROW (widget), g_variant_get_string (parameter, NULL));
}

/* ---- file choosers ------------------------------------------------------------ */

static void
on_chooser_response (GtkNativeDialog *dialog, int response, LbImportanceRow *self)
{
  gboolean calibrate = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (dialog), "lb-calibrate"));

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = g_file_get_path (file);

      if (path == NULL)
        lb_view_show_error (GTK_WIDGET (self),
                            calibrate ? _("Could Not Calibrate") : _("Could Not Open the File"),
                            _("Choose a file on this computer."));
      else if (calibrate)
        calibrate_from (self, path);
      else
        open_path (self, path);
    }
  g_clear_object (&self->chooser);
}

static void
run_chooser (LbImportanceRow *self, gboolean calibrate)
{
  GtkFileFilter *filter = calibrate
                          ? lb_view_file_filter_new (_("Text Files"), "text/plain", NULL)
                          : lb_view_file_filter_new (_("Importance Data (imatrix GGUF, .dat)"), NULL,
                                                     "*.gguf", "*.dat", NULL);
  GtkFileChooserNative *native;

  native = lb_view_file_chooser_new (GTK_WIDGET (self), &self->chooser,
                                     calibrate ? _("Calibrate on a Text") : _("Open Importance Data"),
                                     GTK_FILE_CHOOSER_ACTION_OPEN,
                                     calibrate ? _("_Calibrate") : _("_Open"), filter);
  g_object_set_data (G_OBJECT (native), "lb-calibrate", GINT_TO_POINTER (calibrate));
  g_signal_connect (native, "response", G_CALLBACK (on_chooser_response), self);
  gtk_native_dialog_show (self->chooser);
}

static void
choose_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  run_chooser (LB_IMPORTANCE_ROW (widget), FALSE);
}

static void
calibrate_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  run_chooser (LB_IMPORTANCE_ROW (widget), TRUE);
}

/* ---- the row ----------------------------------------------------------------- */

void
lb_importance_row_set_session (LbImportanceRow *self, LbSession *session)
{
  g_return_if_fail (LB_IS_IMPORTANCE_ROW (self));

  if (!lb_view_replace_session (self, &self->session, session, &self->job))
    return;
  if (session != NULL)
    {
      g_signal_connect_swapped (session, "changed", G_CALLBACK (update), self);
      g_signal_connect_swapped (session, "notify::busy", G_CALLBACK (update), self);
    }
  update (self);
}

void
lb_importance_row_set_calibration (LbImportanceRow *self, guint n_ctx, guint n_chunks)
{
  g_return_if_fail (LB_IS_IMPORTANCE_ROW (self));
  g_return_if_fail (n_ctx >= 4);

  self->n_ctx = n_ctx;
  self->n_chunks = n_chunks;
}

static void
lb_importance_row_dispose (GObject *object)
{
  LbImportanceRow *self = LB_IMPORTANCE_ROW (object);

  lb_view_close_chooser (&self->chooser);
  lb_view_release_session (self, self->session, &self->job);
  g_clear_object (&self->session);

  G_OBJECT_CLASS (lb_importance_row_parent_class)->dispose (object);
}

static void
lb_importance_row_class_init (LbImportanceRowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = lb_importance_row_dispose;
  gtk_widget_class_install_action (widget_class, "importance.choose", NULL, choose_action);
  gtk_widget_class_install_action (widget_class, "importance.open", "s", open_action);
  gtk_widget_class_install_action (widget_class, "importance.calibrate", NULL, calibrate_action);
  gtk_widget_class_install_action (widget_class, "importance.calibrate-from", "s",
                                   calibrate_from_action);
  gtk_widget_class_install_action (widget_class, "importance.clear", NULL, clear_action);
}

static void
lb_importance_row_init (LbImportanceRow *self)
{
  g_autoptr (GMenu) menu = g_menu_new ();
  GtkWidget *button = gtk_menu_button_new ();

  self->n_ctx = DEFAULT_CTX;
  self->n_chunks = DEFAULT_CHUNKS;
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self), _("Importance Data"));
  /* one menu: the file's name needs the room */
  g_menu_append (menu, _("_Open…"), "importance.choose");
  g_menu_append (menu, _("_Calibrate on a Text…"), "importance.calibrate");
  g_menu_append (menu, _("_Stop Using It"), "importance.clear");
  gtk_menu_button_set_menu_model (GTK_MENU_BUTTON (button), G_MENU_MODEL (menu));
  gtk_menu_button_set_icon_name (GTK_MENU_BUTTON (button), "view-more-symbolic");
  gtk_widget_set_tooltip_text (button, _("Choose Importance Data"));
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (button, "flat");
  adw_action_row_add_suffix (ADW_ACTION_ROW (self), button);
  self->menu_button = button;
  /* one line each (see lb-page-layout.h); the tooltip is the file's path */
  adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (self), 1);
  adw_action_row_set_title_lines (ADW_ACTION_ROW (self), 1);
  g_object_set_data (G_OBJECT (self), "lb-single-line", GINT_TO_POINTER (1));
  update (self);
}

GtkWidget *
lb_importance_row_new (void)
{
  return g_object_new (LB_TYPE_IMPORTANCE_ROW, NULL);
}
