/* lb-application.h: the Lowbit Workbench application: actions, settings,
 * recent models, the bundled sample model */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define LB_APPLICATION_ID "org.lowbit.Workbench"

#define LB_TYPE_APPLICATION (lb_application_get_type ())
G_DECLARE_FINAL_TYPE (LbApplication, lb_application, LB, APPLICATION, AdwApplication)

/* Locale, translations and, when running from the build tree, the
 * compiled schema and data folders. Call once before anything else. */
void           lb_application_setup_environment (void);
/* TRUE when running from the build tree (decided by the setup above) */
gboolean       lb_application_is_uninstalled    (void);

LbApplication *lb_application_new             (GApplicationFlags flags);
GSettings     *lb_application_get_settings    (LbApplication *self);
/* Recent models, newest first; the menu lists them as win.open-recent items */
void           lb_application_add_recent      (LbApplication *self, const char *path);
void           lb_application_clear_recent    (LbApplication *self);
GMenuModel    *lb_application_get_recent_menu (LbApplication *self);
/* Opens path (file or folder) in the active window, creating one if needed */
void           lb_application_open_path       (LbApplication *self, const char *path);

/* stories260K.bin of the bundled sample model, or NULL when it is missing;
 * free with g_free */
char          *lb_application_find_sample_model (void);

G_END_DECLS
