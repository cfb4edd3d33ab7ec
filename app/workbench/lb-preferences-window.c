/* lb-preferences-window.c */
#include "config.h"

#include <glib/gi18n.h>

#include "lb-preferences-window.h"

struct _LbPreferencesWindow
{
  AdwPreferencesWindow parent_instance;

  GtkSpinButton *threads_spin;
  GtkSpinButton *size_spin;
  GtkSpinButton *latency_spin;
  GtkSpinButton *memory_spin;
  GtkSpinButton *accuracy_spin;
  GtkButton     *clear_button;

  LbApplication *app;
};

G_DEFINE_FINAL_TYPE (LbPreferencesWindow, lb_preferences_window, ADW_TYPE_PREFERENCES_WINDOW)

/* "threads" is an int; a spin button's value is a double */
static gboolean
int_to_double (GValue   *value,
               GVariant *variant,
               gpointer  user_data)
{
  g_value_set_double (value, g_variant_get_int32 (variant));
  return TRUE;
}

static GVariant *
double_to_int (const GValue       *value,
               const GVariantType *expected_type,
               gpointer            user_data)
{
  return g_variant_new_int32 ((gint32) (g_value_get_double (value) + 0.5));
}

static void
update_clear_button (LbPreferencesWindow *self)
{
  g_auto (GStrv) recent = g_settings_get_strv (lb_application_get_settings (self->app),
                                               "recent-files");

  gtk_widget_set_sensitive (GTK_WIDGET (self->clear_button), recent[0] != NULL);
}

static void
on_clear_clicked (LbPreferencesWindow *self)
{
  lb_application_clear_recent (self->app);
  adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (self),
                                    adw_toast_new (_("Recent models cleared")));
}

static void
lb_preferences_window_class_init (LbPreferencesWindowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/lowbit/Workbench/ui/lb-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, LbPreferencesWindow, threads_spin);
  gtk_widget_class_bind_template_child (widget_class, LbPreferencesWindow, size_spin);
  gtk_widget_class_bind_template_child (widget_class, LbPreferencesWindow, latency_spin);
  gtk_widget_class_bind_template_child (widget_class, LbPreferencesWindow, memory_spin);
  gtk_widget_class_bind_template_child (widget_class, LbPreferencesWindow, accuracy_spin);
  gtk_widget_class_bind_template_child (widget_class, LbPreferencesWindow, clear_button);
  gtk_widget_class_bind_template_callback (widget_class, on_clear_clicked);
}

static void
lb_preferences_window_init (LbPreferencesWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWindow *
lb_preferences_window_new (LbApplication *app)
{
  LbPreferencesWindow *self;
  GSettings *settings;

  g_return_val_if_fail (LB_IS_APPLICATION (app), NULL);

  self = g_object_new (LB_TYPE_PREFERENCES_WINDOW, NULL);
  self->app = app;
  settings = lb_application_get_settings (app);
  g_settings_bind_with_mapping (settings, "threads", self->threads_spin, "value",
                                G_SETTINGS_BIND_DEFAULT, int_to_double, double_to_int,
                                NULL, NULL);
  g_settings_bind (settings, "target-size-mb", self->size_spin, "value", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "target-latency-ms", self->latency_spin, "value",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "target-memory-mb", self->memory_spin, "value",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "target-accuracy-loss", self->accuracy_spin, "value",
                   G_SETTINGS_BIND_DEFAULT);
  g_signal_connect_object (settings, "changed::recent-files", G_CALLBACK (update_clear_button),
                           self, G_CONNECT_SWAPPED);
  update_clear_button (self);
  return GTK_WINDOW (self);
}
