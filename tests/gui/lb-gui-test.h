/* lb-gui-test.h: what the workbench's GUI tests share: the application
 * under test, waiting on the main loop, reading the window as a user sees
 * it (mapped labels, widgets by type), screenshots, stall reports */
#pragma once

#include "lb-application.h"
#include "lb-stall-monitor.h"
#include "lb-window.h"

G_BEGIN_DECLS

#define LB_GUI_STALL_BUDGET_MS 50.0

extern LbApplication *lb_gui_app;
extern char          *lb_gui_screenshot_dir;   /* NULL: no screenshots */
extern char          *lb_gui_tmpdir;

typedef gboolean (*LbGuiCondition) (gpointer data);

/* Runs the main loop until condition holds or timeout_ms passes */
gboolean   lb_gui_wait_for     (LbGuiCondition condition, gpointer data, guint timeout_ms);
void       lb_gui_spin         (guint ms);
/* The newest job of the window (a reference) */
LbJob     *lb_gui_last_job     (LbWindow *window);
/* Clicks the button as a user would (GtkButton emits "clicked" a moment
 * after it is activated) and returns the job it started (a reference) */
LbJob     *lb_gui_click_for_job (LbWindow *window, GtkButton *button);
/* Until the job has finished and its main-loop stall is recorded; fails
 * the test after timeout_ms */
void       lb_gui_wait_job     (LbJob *job, guint timeout_ms);
/* Until no job of the window runs (and their stalls are recorded) */
void       lb_gui_wait_jobs    (LbWindow *window, guint timeout_ms);
/* The active window, opened as a user would if there is none */
LbWindow  *lb_gui_window       (void);

/* Mapped labels */
gboolean   lb_gui_shows_label  (GtkWidget *root, const char *text);
void       lb_gui_assert_shows (GtkWidget *root, const char *text);
/* Widgets of type under root (mapped or not), in tree order; the array
 * does not hold references */
GPtrArray *lb_gui_find         (GtkWidget *root, GType type);
/* The only widget of type under root */
gpointer   lb_gui_find_one     (GtkWidget *root, GType type);
/* The button under root whose label is text (its translation, with or
 * without the mnemonic underscore) */
GtkButton *lb_gui_find_button  (GtkWidget *root, const char *text);
/* Picks the item of a combo row / drop-down (GtkStringList models) by text */
void       lb_gui_select_combo (AdwComboRow *row, const char *text);
void       lb_gui_select_drop_down (GtkDropDown *dropdown, const char *text);

/* The widget's own drawing (its snapshot) in an image of its size, and
 * the colour of one pixel as 0xAARRGGBB */
cairo_surface_t *lb_gui_render_widget (GtkWidget *widget);
guint32    lb_gui_pixel        (cairo_surface_t *surface, int x, int y);
/* The middle of a heatmap's cell, as the widget lays it out */
gboolean   lb_gui_heatmap_cell_centre (gpointer heatmap, guint row, guint col, int *x, int *y);
/* The jobs the window started since it had n_before (references) */
GPtrArray *lb_gui_jobs_since   (LbWindow *window, guint n_before);

/* DIR/<view>-<LANGUAGE>.png of the window with view shown (when asked) */
void       lb_gui_screenshot   (LbWindow *window, const char *view);
/* The same under another name: DIR/<name>-<LANGUAGE>.png of the view */
void       lb_gui_screenshot_as (LbWindow *window, const char *view, const char *name);

/* Prints the job's and the monitor's stalls; fails when the main thread
 * was busy LB_GUI_STALL_BUDGET_MS or more between two ticks */
void       lb_gui_report_stall (const char *what, LbJob *job, LbStallMonitor *monitor);

/* "7,085,312", independently of the workbench's formatter */
char      *lb_gui_grouped      (guint64 n);

/* The view tests (test-workbench-views.c) */
void       lb_gui_add_view_tests (void);
void       lb_gui_view_tests_cleanup (void);

G_END_DECLS
