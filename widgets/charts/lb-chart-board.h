/* lb-chart-board.h: several charts on one image (a report page), drawn
 * headless and written as PNG, for the CLI's --png outputs */
#pragma once

#include <cairo.h>
#include <glib.h>

#include "lb-chart-png.h"

G_BEGIN_DECLS

/* Draws data into cr over (0, 0, width, height) */
typedef void (*LbChartPanelDrawFunc) (cairo_t *cr, double width, double height,
                                      gconstpointer data, const LbChartStyle *style);

typedef struct {
  LbChartKind          kind;   /* used when draw is NULL */
  LbChartPanelDrawFunc draw;   /* NULL: lb_chart_draw (kind, data) */
  gconstpointer        data;
  double               x, y, width, height;   /* below the board's title */
} LbChartPanel;

/* A bar chart (lb-bar-chart-render.h) as a panel's draw function */
void      lb_chart_panel_draw_bars  (cairo_t *cr, double width, double height,
                                     gconstpointer data, const LbChartStyle *style);

/* Height of the title band above the panels (0 without a title) */
double    lb_chart_board_title_height (const char *title, const LbChartStyle *style);
/* Paints the background, the title (NULL: none) and each panel, clipped to
 * its rectangle, over (0, 0, width, height) */
void      lb_chart_board_draw       (cairo_t *cr, const char *title, const LbChartPanel *panels,
                                     guint n_panels, const LbChartStyle *style,
                                     double width, double height);
/* PNG bytes of a board of width × height logical pixels (the title band
 * included); NULL with an error when the size is impossible */
GBytes   *lb_chart_board_render_png (const char *title, const LbChartPanel *panels,
                                     guint n_panels, const LbChartStyle *style,
                                     int width, int height, GError **error);
/* Writes it through a temporary file that is synced and renamed */
gboolean  lb_chart_board_write_png  (const char *path, const char *title,
                                     const LbChartPanel *panels, guint n_panels,
                                     const LbChartStyle *style, int width, int height,
                                     GError **error);

/* Whether a PNG can be written at path, checked before the work that
 * produces it: the folder exists and is writable, path is not a folder.
 * G_FILE_ERROR naming path otherwise. option: how the user gave it
 * ("--png"), for the message; may be NULL. */
gboolean  lb_chart_png_path_check   (const char *path, const char *option, GError **error);

G_END_DECLS
