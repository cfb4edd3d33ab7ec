/* lb-preferences-window.h: threads, targets and recent models */
#pragma once

#include <adwaita.h>

#include "lb-application.h"

G_BEGIN_DECLS

#define LB_TYPE_PREFERENCES_WINDOW (lb_preferences_window_get_type ())
G_DECLARE_FINAL_TYPE (LbPreferencesWindow, lb_preferences_window, LB, PREFERENCES_WINDOW,
                      AdwPreferencesWindow)

GtkWindow *lb_preferences_window_new (LbApplication *app);

G_END_DECLS
