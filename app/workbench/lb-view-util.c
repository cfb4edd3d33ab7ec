/* lb-view-util.c: plumbing the workbench's pages share */
#include "config.h"

#include <stdarg.h>
#include <glib/gi18n.h>

#include "lb-view-util.h"

LbWindow *
lb_view_get_window (GtkWidget *view)
{
  GtkRoot *root;

  g_return_val_if_fail (GTK_IS_WIDGET (view), NULL);
  root = gtk_widget_get_root (view);
  return LB_IS_WINDOW (root) ? LB_WINDOW (root) : NULL;
}

void
lb_view_show_error (GtkWidget *view, const char *heading, const char *message)
{
  LbWindow *window = lb_view_get_window (view);

  if (window != NULL)
    lb_window_show_error (window, heading, message);
  else
    g_warning ("%s: %s", heading, message);
}

void
lb_view_show_job_error (GtkWidget    *view,
                        const char   *heading,
                        const GError *error,
                        const char   *cancelled_toast)
{
  LbWindow *window = lb_view_get_window (view);

  g_return_if_fail (error != NULL);
  if (window == NULL)
    return;
  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    lb_window_show_error (window, heading, error->message);
  else if (cancelled_toast != NULL)
    lb_window_show_toast (window, cancelled_toast);
}

void
lb_view_release_session (gpointer view, LbSession *session, LbJob **job)
{
  if (session != NULL)
    g_signal_handlers_disconnect_by_data (session, view);
  if (job != NULL)
    lb_job_abandon (job);
}

gboolean
lb_view_replace_session (gpointer    view,
                         LbSession **slot,
                         LbSession  *session,
                         LbJob     **job)
{
  g_return_val_if_fail (slot != NULL, FALSE);

  if (*slot == session)
    return FALSE;
  lb_view_release_session (view, *slot, job);
  g_set_object (slot, session);
  return TRUE;
}

GtkWidget *
lb_view_card_new (void)
{
  GtkWidget *card = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);

  gtk_widget_add_css_class (card, "card");
  gtk_widget_add_css_class (card, "lb-map-card");
  return card;
}

GtkLabel *
lb_view_add_value_row (AdwPreferencesGroup *group, const char *title, const char *subtitle)
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

void
lb_view_close_chooser (GtkNativeDialog **chooser)
{
  g_return_if_fail (chooser != NULL);

  if (*chooser != NULL)
    gtk_native_dialog_destroy (*chooser);
  g_clear_object (chooser);
}

GtkFileFilter *
lb_view_file_filter_new (const char *name, const char *mime_type, ...)
{
  GtkFileFilter *filter = gtk_file_filter_new ();
  const char *pattern;
  va_list ap;

  gtk_file_filter_set_name (filter, name);
  if (mime_type != NULL)
    gtk_file_filter_add_mime_type (filter, mime_type);
  va_start (ap, mime_type);
  while ((pattern = va_arg (ap, const char *)) != NULL)
    gtk_file_filter_add_pattern (filter, pattern);
  va_end (ap);
  return filter;
}

GtkFileChooserNative *
lb_view_file_chooser_new (GtkWidget            *view,
                          GtkNativeDialog     **chooser,
                          const char           *title,
                          GtkFileChooserAction  action,
                          const char           *accept_label,
                          GtkFileFilter        *filter)
{
  GtkFileChooserNative *native;

  g_return_val_if_fail (GTK_IS_WIDGET (view), NULL);
  g_return_val_if_fail (chooser != NULL, NULL);

  lb_view_close_chooser (chooser);
  native = gtk_file_chooser_native_new (title, GTK_WINDOW (gtk_widget_get_root (view)), action,
                                        accept_label, _("_Cancel"));
  if (filter != NULL)
    {
      gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (native), filter);
      g_object_unref (filter);
    }
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (native), TRUE);
  *chooser = GTK_NATIVE_DIALOG (native);
  return native;
}
