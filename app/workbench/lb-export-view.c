/* lb-export-view.c */
#include "config.h"

#include <stdio.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "lb-export-view.h"
#include "lb-job.h"
#include "lb-window.h"

struct _LbExportView
{
  AdwBin          parent_instance;

  GtkStack       *stack;
  AdwComboRow    *type_row;
  GtkLabel       *bytes_label;
  GtkLabel       *budget_label;
  GtkButton      *export_button;
  AdwPreferencesGroup *last_group;
  AdwActionRow   *last_row;
  GtkLabel       *last_size_label;

  GSettings      *settings;
  LbModel        *model;
  char           *last_path;
  GtkNativeDialog *chooser;
};

G_DEFINE_FINAL_TYPE (LbExportView, lb_export_view, ADW_TYPE_BIN)

/* The combo's rows, in order */
static const LbConvertType type_choices[] = {
  LB_CONVERT_AUTO, LB_CONVERT_F16, LB_CONVERT_BF16, LB_CONVERT_F32,
};

static const char *
type_suffix (LbConvertType type)
{
  switch (type)
    {
    case LB_CONVERT_F32: return "f32";
    case LB_CONVERT_F16: return "f16";
    case LB_CONVERT_BF16: return "bf16";
    case LB_CONVERT_AUTO:
    default: return NULL;
    }
}

LbConvertType
lb_export_view_get_type_choice (LbExportView *self)
{
  guint i;

  g_return_val_if_fail (LB_IS_EXPORT_VIEW (self), LB_CONVERT_AUTO);
  i = adw_combo_row_get_selected (self->type_row);
  return i < G_N_ELEMENTS (type_choices) ? type_choices[i] : LB_CONVERT_AUTO;
}

void
lb_export_view_set_type_choice (LbExportView *self, LbConvertType type)
{
  g_return_if_fail (LB_IS_EXPORT_VIEW (self));
  for (guint i = 0; i < G_N_ELEMENTS (type_choices); i++)
    if (type_choices[i] == type)
      adw_combo_row_set_selected (self->type_row, i);
}

/* The same rule as lb_model_export_gguf: matrices take the chosen type,
 * vectors become F32, "keep" keeps every tensor as it is. */
guint64
lb_export_view_get_tensor_bytes (LbExportView *self)
{
  LbConvertType type;
  guint64 total = 0;
  guint n;

  g_return_val_if_fail (LB_IS_EXPORT_VIEW (self), 0);
  if (self->model == NULL)
    return 0;

  type = lb_export_view_get_type_choice (self);
  n = lb_model_get_n_tensors (self->model);
  for (guint i = 0; i < n; i++)
    {
      const LbTensor *t = lb_model_get_tensor (self->model, i);
      LbType out = type == LB_CONVERT_F16 ? LB_TYPE_F16
                 : type == LB_CONVERT_BF16 ? LB_TYPE_BF16 : LB_TYPE_F32;

      if (type == LB_CONVERT_AUTO)
        total += t->n_bytes;
      else
        {
          if (t->n_dims < 2)
            out = LB_TYPE_F32;
          total += (guint64) lb_type_row_size (out, t->ne[0]) * (guint64) lb_tensor_n_rows (t);
        }
    }
  return total;
}

static void
update_sizes (LbExportView *self)
{
  guint64 bytes = lb_export_view_get_tensor_bytes (self);
  g_autofree char *text = g_format_size (bytes);
  double budget_mb = self->settings != NULL
                     ? g_settings_get_double (self->settings, "target-size-mb") : 0.0;
  g_autofree char *budget = g_format_size ((guint64) (budget_mb * 1e6));
  g_autofree char *verdict = NULL;
  GtkWidget *label = GTK_WIDGET (self->budget_label);

  gtk_label_set_label (self->bytes_label, text);
  gtk_widget_remove_css_class (label, "success");
  gtk_widget_remove_css_class (label, "error");
  if (bytes <= budget_mb * 1e6)
    {
      verdict = g_strdup_printf (_("Fits in %s"), budget);
      gtk_widget_add_css_class (label, "success");
    }
  else
    {
      verdict = g_strdup_printf (_("Exceeds %s"), budget);
      gtk_widget_add_css_class (label, "error");
    }
  gtk_label_set_label (self->budget_label, verdict);
}

void
lb_export_view_set_model (LbExportView *self, LbModel *model)
{
  g_return_if_fail (LB_IS_EXPORT_VIEW (self));
  g_return_if_fail (model == NULL || LB_IS_MODEL (model));

  if (!g_set_object (&self->model, model))
    return;
  gtk_stack_set_visible_child_name (self->stack, model != NULL ? "export" : "empty");
  gtk_widget_set_visible (GTK_WIDGET (self->last_group), FALSE);
  update_sizes (self);
}

void
lb_export_view_set_settings (LbExportView *self, GSettings *settings)
{
  g_return_if_fail (LB_IS_EXPORT_VIEW (self));
  g_return_if_fail (G_IS_SETTINGS (settings));

  g_set_object (&self->settings, settings);
  g_signal_connect_object (settings, "changed::target-size-mb", G_CALLBACK (update_sizes),
                           self, G_CONNECT_SWAPPED);
  update_sizes (self);
}

/* The export job */

typedef struct {
  LbModel       *model;
  char          *path;
  LbConvertType  type;
  LbJob         *job;
} ExportData;

static void
export_data_free (gpointer data)
{
  ExportData *d = data;

  g_clear_object (&d->model);
  g_free (d->path);
  g_free (d);
}

/* core says "tensor 3/98: blk.0.attn_q.weight"; say it in the user's
 * language (tensor names stay as they are) */
static void
export_progress (double fraction, const char *stage, gpointer user_data)
{
  ExportData *d = user_data;
  unsigned int i, n;
  int name_at = -1;
  g_autofree char *text = NULL;

  if (stage != NULL && sscanf (stage, "tensor %u/%u: %n", &i, &n, &name_at) == 2 && name_at > 0)
    text = g_strdup_printf (_("Tensor %u of %u: %s"), i, n, stage + name_at);
  else if (g_strcmp0 (stage, "done") == 0)
    text = g_strdup (_("Writing the file to disk"));
  lb_job_report (d->job, fraction, text != NULL ? text : stage);
}

static gpointer
export_thread (LbJob        *job,
               gpointer      task_data,
               GCancellable *cancellable,
               GError      **error)
{
  ExportData *d = task_data;

  d->job = job;
  if (!lb_model_export_gguf (d->model, d->path, d->type, export_progress, d, cancellable, error))
    return NULL;
  return g_strdup (d->path);
}

static void
show_folder (GtkButton *button, LbExportView *self)
{
  g_autoptr (GFile) file = NULL;
  g_autoptr (GFile) parent = NULL;
  g_autofree char *uri = NULL;

  if (self->last_path == NULL)
    return;
  file = g_file_new_for_path (self->last_path);
  parent = g_file_get_parent (file);
  uri = g_file_get_uri (parent);
  gtk_show_uri (GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))), uri, GDK_CURRENT_TIME);
}

static void
on_exported (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  LbJob *job = LB_JOB (source);
  g_autoptr (LbExportView) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autofree char *path = lb_job_run_finish (job, result, &error);
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  LbWindow *window = LB_IS_WINDOW (root) ? LB_WINDOW (root) : NULL;
  g_autofree char *name = NULL;
  g_autofree char *size = NULL;
  g_autofree char *toast = NULL;
  GStatBuf st;

  if (window == NULL)
    return;

  if (error != NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        lb_window_show_toast (window, _("Export cancelled; nothing was written"));
      else
        lb_window_show_error (window, _("Could Not Export the Model"), error->message);
      return;
    }

  name = g_path_get_basename (path);
  size = g_stat (path, &st) == 0 ? g_format_size (st.st_size) : g_strdup (_("unknown size"));
  g_free (self->last_path);
  self->last_path = g_strdup (path);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->last_row), name);
  adw_action_row_set_subtitle (self->last_row, path);
  gtk_label_set_label (self->last_size_label, size);
  gtk_widget_set_visible (GTK_WIDGET (self->last_group), TRUE);

  /* Translators: file name and its size */
  toast = g_strdup_printf (_("Exported %s (%s)"), name, size);
  lb_window_show_toast (window, toast);
}

void
lb_export_view_export_to (LbExportView *self, GFile *file)
{
  GtkRoot *root;
  g_autoptr (LbJob) job = NULL;
  g_autofree char *title = NULL;
  g_autofree char *name = NULL;
  ExportData *d;

  g_return_if_fail (LB_IS_EXPORT_VIEW (self));
  g_return_if_fail (G_IS_FILE (file));

  root = gtk_widget_get_root (GTK_WIDGET (self));
  g_return_if_fail (LB_IS_WINDOW (root));
  if (self->model == NULL)
    return;

  d = g_new0 (ExportData, 1);
  d->path = g_file_get_path (file);
  if (d->path == NULL)
    {
      lb_window_show_error (LB_WINDOW (root), _("Could Not Export the Model"),
                            _("Choose a folder on this computer to export to."));
      export_data_free (d);
      return;
    }
  d->model = g_object_ref (self->model);
  d->type = lb_export_view_get_type_choice (self);

  name = g_file_get_basename (file);
  title = g_strdup_printf (_("Exporting %s"), name);
  job = lb_job_new (title);
  lb_job_report (job, 0.0, _("Preparing the file"));
  lb_window_add_job (LB_WINDOW (root), job);
  lb_job_run_async (job, export_thread, d, export_data_free, g_free, on_exported,
                    g_object_ref (self));
}

static void
on_chooser_response (GtkNativeDialog *dialog,
                     int              response,
                     LbExportView    *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));

      lb_export_view_export_to (self, file);
    }
  g_clear_object (&self->chooser);
}

void
lb_export_view_choose_file (LbExportView *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkFileChooserNative *native;
  GtkFileFilter *filter;
  const char *suffix;
  g_autofree char *name = NULL;
  g_autofree char *base = NULL;

  g_return_if_fail (LB_IS_EXPORT_VIEW (self));
  if (self->model == NULL)
    return;

  if (self->chooser != NULL)
    gtk_native_dialog_destroy (self->chooser);
  g_clear_object (&self->chooser);

  native = gtk_file_chooser_native_new (_("Export as GGUF"), GTK_WINDOW (root),
                                        GTK_FILE_CHOOSER_ACTION_SAVE, _("_Export"), _("_Cancel"));
  filter = gtk_file_filter_new ();
  gtk_file_filter_set_name (filter, _("GGUF Files"));
  gtk_file_filter_add_pattern (filter, "*.gguf");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (native), filter);
  g_object_unref (filter);

  base = g_strdup (lb_model_get_name (self->model));
  g_strdelimit (base, "/\\:", '-');
  suffix = type_suffix (lb_export_view_get_type_choice (self));
  name = suffix != NULL ? g_strdup_printf ("%s-%s.gguf", base, suffix)
                        : g_strdup_printf ("%s.gguf", base);
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (native), name);

  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (native), TRUE);
  g_signal_connect (native, "response", G_CALLBACK (on_chooser_response), self);
  self->chooser = GTK_NATIVE_DIALOG (native);
  gtk_native_dialog_show (self->chooser);
}

/* Building the page */

static GtkLabel *
add_value_row (AdwPreferencesGroup *group, const char *title, const char *subtitle)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *label = gtk_label_new (NULL);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  if (subtitle != NULL)
    adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  gtk_widget_add_css_class (label, "numeric");
  gtk_widget_add_css_class (label, "lb-row-value");
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), label);
  adw_preferences_group_add (group, row);
  return GTK_LABEL (label);
}

static void
lb_export_view_dispose (GObject *object)
{
  LbExportView *self = LB_EXPORT_VIEW (object);

  if (self->chooser != NULL)
    gtk_native_dialog_destroy (self->chooser);
  g_clear_object (&self->chooser);
  g_clear_object (&self->model);
  g_clear_object (&self->settings);
  g_clear_pointer (&self->last_path, g_free);

  G_OBJECT_CLASS (lb_export_view_parent_class)->dispose (object);
}

static void
lb_export_view_class_init (LbExportViewClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = lb_export_view_dispose;
}

static void
lb_export_view_init (LbExportView *self)
{
  GtkWidget *empty = adw_status_page_new ();
  GtkWidget *page = adw_preferences_page_new ();
  AdwPreferencesGroup *group;
  AdwPreferencesGroup *later;
  GtkWidget *row, *icon, *button;
  GtkStringList *types;

  adw_status_page_set_icon_name (ADW_STATUS_PAGE (empty), "lb-export-symbolic");
  adw_status_page_set_title (ADW_STATUS_PAGE (empty), _("Nothing to Export"));
  adw_status_page_set_description (ADW_STATUS_PAGE (empty),
                                   _("Open a model to export it as a GGUF file."));

  /* the GGUF file */
  group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  adw_preferences_group_set_title (group, _("GGUF File"));
  adw_preferences_group_set_description (group,
    _("A file that llama.cpp and other GGUF runtimes load. It appears only when it is "
      "complete: cancelling or an error leaves nothing behind."));

  self->export_button = GTK_BUTTON (gtk_button_new_with_mnemonic (_("_Export…")));
  gtk_actionable_set_action_name (GTK_ACTIONABLE (self->export_button), "win.export");
  gtk_widget_add_css_class (GTK_WIDGET (self->export_button), "suggested-action");
  gtk_widget_set_valign (GTK_WIDGET (self->export_button), GTK_ALIGN_CENTER);
  adw_preferences_group_set_header_suffix (group, GTK_WIDGET (self->export_button));

  types = gtk_string_list_new (NULL);
  gtk_string_list_append (types, _("Keep Each Tensor’s Type"));
  gtk_string_list_append (types, "F16");
  gtk_string_list_append (types, "BF16");
  gtk_string_list_append (types, "F32");
  self->type_row = ADW_COMBO_ROW (adw_combo_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->type_row), _("Tensor Type"));
  adw_action_row_set_subtitle (ADW_ACTION_ROW (self->type_row),
                               _("Matrices take this type; norms and biases stay F32"));
  adw_combo_row_set_model (self->type_row, G_LIST_MODEL (types));
  g_object_unref (types);
  g_signal_connect_swapped (self->type_row, "notify::selected", G_CALLBACK (update_sizes), self);
  adw_preferences_group_add (group, GTK_WIDGET (self->type_row));

  self->bytes_label = add_value_row (group, _("Tensor Data"),
                                     _("Exact bytes of tensor data in the file"));
  self->budget_label = add_value_row (group, _("Size Target"), NULL);
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (page), group);

  /* the last file written */
  self->last_group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  adw_preferences_group_set_title (self->last_group, _("Last Export"));
  self->last_row = ADW_ACTION_ROW (adw_action_row_new ());
  adw_action_row_set_subtitle_lines (self->last_row, 1);
  icon = gtk_image_new_from_icon_name ("emblem-ok-symbolic");
  gtk_widget_add_css_class (icon, "success");
  adw_action_row_add_prefix (self->last_row, icon);
  self->last_size_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_widget_add_css_class (GTK_WIDGET (self->last_size_label), "numeric");
  gtk_widget_add_css_class (GTK_WIDGET (self->last_size_label), "lb-row-value");
  adw_action_row_add_suffix (self->last_row, GTK_WIDGET (self->last_size_label));
  button = gtk_button_new_from_icon_name ("folder-open-symbolic");
  gtk_widget_set_tooltip_text (button, _("Show in Folder"));
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (button, "flat");
  g_signal_connect (button, "clicked", G_CALLBACK (show_folder), self);
  adw_action_row_add_suffix (self->last_row, button);
  adw_preferences_group_add (self->last_group, GTK_WIDGET (self->last_row));
  gtk_widget_set_visible (GTK_WIDGET (self->last_group), FALSE);
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (page), self->last_group);

  /* what comes with the quantizer */
  later = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  adw_preferences_group_set_title (later, _("Quantized Export"));
  row = adw_action_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _("Not Available Yet"));
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row),
    _("A quantized GGUF file made from your precision map, with its recipe, a report and "
      "the validation verdict, will be exported here. This page is not connected to "
      "quantization recipes yet."));
  adw_action_row_add_prefix (ADW_ACTION_ROW (row),
                             gtk_image_new_from_icon_name ("lb-precision-symbolic"));
  adw_preferences_group_add (later, row);
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (page), later);

  self->stack = GTK_STACK (gtk_stack_new ());
  gtk_stack_set_transition_type (self->stack, GTK_STACK_TRANSITION_TYPE_CROSSFADE);
  gtk_stack_add_named (self->stack, empty, "empty");
  gtk_stack_add_named (self->stack, page, "export");
  adw_bin_set_child (ADW_BIN (self), GTK_WIDGET (self->stack));
}

GtkWidget *
lb_export_view_new (void)
{
  return g_object_new (LB_TYPE_EXPORT_VIEW, NULL);
}
