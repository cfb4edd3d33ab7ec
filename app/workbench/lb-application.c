/* lb-application.c */
#include "config.h"

#include <locale.h>
#include <glib/gi18n.h>

#include "lb-application.h"
#include "lb-preferences-window.h"
#include "lb-widgets.h"
#include "lb-window.h"

#define MAX_RECENT 10

struct _LbApplication
{
  AdwApplication parent_instance;

  GSettings *settings;
  GMenu     *recent_menu;
};

G_DEFINE_FINAL_TYPE (LbApplication, lb_application, ADW_TYPE_APPLICATION)

static gboolean uninstalled;

/* The executable lives under the build tree: use the source data, the
 * freshly built translations and the schema compiled beside them. */
static gboolean
running_from_build_tree (void)
{
  g_autofree char *exe = g_file_read_link ("/proc/self/exe", NULL);
  g_autofree char *root = g_canonicalize_filename (LB_WORKBENCH_BUILD_ROOT, NULL);

  if (exe == NULL)
    return FALSE;
  return g_str_has_prefix (exe, root) && exe[strlen (root)] == G_DIR_SEPARATOR;
}

void
lb_application_setup_environment (void)
{
  const char *localedir = LOCALEDIR;
  g_autofree char *build_localedir = NULL;

  setlocale (LC_ALL, "");
  uninstalled = running_from_build_tree ();
  if (uninstalled)
    {
      g_autofree char *schemas = g_build_filename (LB_WORKBENCH_BUILD_ROOT, "data", NULL);

      build_localedir = g_build_filename (LB_WORKBENCH_BUILD_ROOT, "po", NULL);
      localedir = build_localedir;
      g_setenv ("GSETTINGS_SCHEMA_DIR", schemas, FALSE);
    }
  bindtextdomain (GETTEXT_PACKAGE, localedir);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
}

gboolean
lb_application_is_uninstalled (void)
{
  return uninstalled;
}

char *
lb_application_find_sample_model (void)
{
  const char *dirs[] = { uninstalled ? LB_SOURCE_DATADIR : LB_DATADIR,
                         uninstalled ? LB_DATADIR : LB_SOURCE_DATADIR };

  for (guint i = 0; i < G_N_ELEMENTS (dirs); i++)
    {
      g_autofree char *path = g_build_filename (dirs[i], "stories260K", "stories260K.bin", NULL);

      if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
        return g_steal_pointer (&path);
    }
  return NULL;
}

static LbWindow *
get_window (LbApplication *self, gboolean *created)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));

  *created = FALSE;
  if (LB_IS_WINDOW (window))
    return LB_WINDOW (window);
  *created = TRUE;
  return lb_window_new (self);
}

static void
lb_application_activate (GApplication *app)
{
  LbApplication *self = LB_APPLICATION (app);
  gboolean created;
  LbWindow *window = get_window (self, &created);

  gtk_window_present (GTK_WINDOW (window));
  if (created)
    {
      g_autofree char *sample = lb_application_find_sample_model ();

      if (sample != NULL)
        {
          g_autoptr (GFile) file = g_file_new_for_path (sample);

          lb_window_open (window, file);
        }
    }
}

static void
lb_application_open (GApplication  *app,
                     GFile        **files,
                     int            n_files,
                     const char    *hint)
{
  LbApplication *self = LB_APPLICATION (app);

  for (int i = 0; i < n_files; i++)
    {
      gboolean created;
      /* the first file goes to the active window, the others get their own */
      LbWindow *window = i == 0 ? get_window (self, &created) : lb_window_new (self);

      lb_window_open (window, files[i]);
      gtk_window_present (GTK_WINDOW (window));
    }
}

void
lb_application_open_path (LbApplication *self, const char *path)
{
  g_autoptr (GFile) file = NULL;

  g_return_if_fail (LB_IS_APPLICATION (self));
  g_return_if_fail (path != NULL);

  file = g_file_new_for_commandline_arg (path);
  lb_application_open (G_APPLICATION (self), &file, 1, "");
}

static void
open_file_action (GSimpleAction *action,
                  GVariant      *parameter,
                  gpointer       user_data)
{
  lb_application_open_path (LB_APPLICATION (user_data), g_variant_get_string (parameter, NULL));
}

static void
preferences_action (GSimpleAction *action,
                    GVariant      *parameter,
                    gpointer       user_data)
{
  LbApplication *self = LB_APPLICATION (user_data);
  GtkWindow *parent = gtk_application_get_active_window (GTK_APPLICATION (self));
  GtkWindow *prefs = lb_preferences_window_new (self);

  gtk_window_set_transient_for (prefs, parent);
  gtk_window_present (prefs);
}

static void
about_action (GSimpleAction *action,
              GVariant      *parameter,
              gpointer       user_data)
{
  LbApplication *self = LB_APPLICATION (user_data);
  GtkWindow *parent = gtk_application_get_active_window (GTK_APPLICATION (self));
  const char *developers[] = { _("The Lowbit developers"), NULL };
  GtkWidget *about;

  about = g_object_new (ADW_TYPE_ABOUT_WINDOW,
                        "transient-for", parent,
                        "application-name", _("Lowbit Workbench"),
                        "application-icon", LB_APPLICATION_ID,
                        "developer-name", _("The Lowbit developers"),
                        "version", PACKAGE_VERSION,
                        "comments", _("Compress small language models for phones and other "
                                      "edge devices: inspect them, tune their precision, "
                                      "check them against your targets and export them."),
                        "license-type", GTK_LICENSE_MIT_X11,
                        "developers", developers,
                        /* Translators: your names, one per line */
                        "translator-credits", _("translator-credits"),
                        NULL);
  gtk_window_present (GTK_WINDOW (about));
}

static void
quit_action (GSimpleAction *action,
             GVariant      *parameter,
             gpointer       user_data)
{
  GtkApplication *app = GTK_APPLICATION (user_data);
  GList *windows = g_list_copy (gtk_application_get_windows (app));

  /* closing (not destroying) lets each window save its state */
  for (GList *l = windows; l != NULL; l = l->next)
    gtk_window_close (GTK_WINDOW (l->data));
  g_list_free (windows);
}

static void
rebuild_recent_menu (LbApplication *self)
{
  g_auto (GStrv) paths = g_settings_get_strv (self->settings, "recent-files");

  g_menu_remove_all (self->recent_menu);
  for (guint i = 0; paths[i] != NULL; i++)
    {
      g_autofree char *name = g_path_get_basename (paths[i]);
      g_autoptr (GMenuItem) item = g_menu_item_new (name, NULL);

      g_menu_item_set_action_and_target_value (item, "win.open-recent",
                                               g_variant_new_string (paths[i]));
      g_menu_append_item (self->recent_menu, item);
    }
  if (paths[0] == NULL)
    g_menu_append (self->recent_menu, _("No Recent Models"), "app.no-recent");
}

void
lb_application_add_recent (LbApplication *self, const char *path)
{
  g_auto (GStrv) old = NULL;
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  g_auto (GStrv) paths = NULL;
  guint n = 1;

  g_return_if_fail (LB_IS_APPLICATION (self));
  g_return_if_fail (path != NULL);

  old = g_settings_get_strv (self->settings, "recent-files");
  g_strv_builder_add (builder, path);
  for (guint i = 0; old[i] != NULL && n < MAX_RECENT; i++)
    if (g_strcmp0 (old[i], path) != 0)
      {
        g_strv_builder_add (builder, old[i]);
        n++;
      }
  paths = g_strv_builder_end (builder);
  g_settings_set_strv (self->settings, "recent-files", (const char * const *) paths);
}

void
lb_application_clear_recent (LbApplication *self)
{
  g_return_if_fail (LB_IS_APPLICATION (self));
  g_settings_set_strv (self->settings, "recent-files", NULL);
}

GMenuModel *
lb_application_get_recent_menu (LbApplication *self)
{
  g_return_val_if_fail (LB_IS_APPLICATION (self), NULL);
  return G_MENU_MODEL (self->recent_menu);
}

GSettings *
lb_application_get_settings (LbApplication *self)
{
  g_return_val_if_fail (LB_IS_APPLICATION (self), NULL);
  return self->settings;
}

static void
lb_application_startup (GApplication *app)
{
  LbApplication *self = LB_APPLICATION (app);
  static const GActionEntry entries[] = {
    { .name = "open-file", .activate = open_file_action, .parameter_type = "s" },
    { .name = "preferences", .activate = preferences_action },
    { .name = "about", .activate = about_action },
    { .name = "quit", .activate = quit_action },
    { .name = "no-recent" },
  };
  static const struct {
    const char *action;
    const char *accels[3];
  } accels[] = {
    { "app.preferences", { "<Control>comma", NULL } },
    { "app.quit", { "<Control>q", NULL } },
    { "window.close", { "<Control>w", NULL } },
    { "win.open", { "<Control>o", NULL } },
    { "win.open-folder", { "<Control><Shift>o", NULL } },
    { "win.export", { "<Control>e", NULL } },
    { "win.show-jobs", { "<Control>j", NULL } },
    { "win.show-view::overview", { "<Alt>1", NULL } },
    { "win.show-view::precision", { "<Alt>2", NULL } },
    { "win.show-view::heatmap", { "<Alt>3", NULL } },
    { "win.show-view::performance", { "<Alt>4", NULL } },
    { "win.show-view::evaluation", { "<Alt>5", NULL } },
    { "win.show-view::export", { "<Alt>6", NULL } },
  };
  GAction *no_recent;

  G_APPLICATION_CLASS (lb_application_parent_class)->startup (app);

  lb_widgets_init ();
  g_type_ensure (LB_TYPE_WINDOW);

  g_action_map_add_action_entries (G_ACTION_MAP (self), entries, G_N_ELEMENTS (entries), self);
  no_recent = g_action_map_lookup_action (G_ACTION_MAP (self), "no-recent");
  g_simple_action_set_enabled (G_SIMPLE_ACTION (no_recent), FALSE);
  for (guint i = 0; i < G_N_ELEMENTS (accels); i++)
    gtk_application_set_accels_for_action (GTK_APPLICATION (self), accels[i].action,
                                           accels[i].accels);

  /* light and dark follow the system */
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (),
                                      ADW_COLOR_SCHEME_DEFAULT);

  self->settings = g_settings_new (LB_APPLICATION_ID);
  self->recent_menu = g_menu_new ();
  g_signal_connect_object (self->settings, "changed::recent-files",
                           G_CALLBACK (rebuild_recent_menu), self, G_CONNECT_SWAPPED);
  rebuild_recent_menu (self);
}

static void
lb_application_dispose (GObject *object)
{
  LbApplication *self = LB_APPLICATION (object);

  g_clear_object (&self->settings);
  g_clear_object (&self->recent_menu);

  G_OBJECT_CLASS (lb_application_parent_class)->dispose (object);
}

static void
lb_application_class_init (LbApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->dispose = lb_application_dispose;
  app_class->startup = lb_application_startup;
  app_class->activate = lb_application_activate;
  app_class->open = lb_application_open;
}

static void
lb_application_init (LbApplication *self)
{
}

LbApplication *
lb_application_new (GApplicationFlags flags)
{
  return g_object_new (LB_TYPE_APPLICATION,
                       "application-id", LB_APPLICATION_ID,
                       "flags", flags | G_APPLICATION_HANDLES_OPEN,
                       "resource-base-path", "/org/lowbit/Workbench",
                       NULL);
}
