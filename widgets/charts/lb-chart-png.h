/* lb-chart-png.h: any chart drawn headless into an image surface or a PNG
 * file (no display, no GTK): the CLI's --png reports use this */
#pragma once

#include <cairo.h>
#include <glib.h>

#include "lb-chart-common.h"

G_BEGIN_DECLS

typedef enum {
  LB_CHART_HEATMAP,         /* data: const LbHeatmapData * */
  LB_CHART_GAUGE,           /* const LbGaugeData * */
  LB_CHART_LINE,            /* const LbLineChartData * */
  LB_CHART_SCATTER,         /* const LbScatterData * */
  LB_CHART_SIZE_BAR,        /* const LbSizeBarData * */
  LB_CHART_HISTOGRAM,       /* const LbHistogramData * */
  LB_CHART_PRECISION_GRID,  /* const LbPrecisionGridData * */
} LbChartKind;

/* Draws the chart of kind into cr over (0, 0, width, height).
 * style NULL: the light default (with an opaque white background). */
void             lb_chart_draw           (cairo_t *cr, LbChartKind kind, gconstpointer data,
                                          const LbChartStyle *style, double width,
                                          double height);
/* An ARGB32 surface of width × height logical pixels times scale (2 for
 * HiDPI). NULL with error when the size is impossible. */
cairo_surface_t *lb_chart_render_surface (LbChartKind kind, gconstpointer data,
                                          const LbChartStyle *style, int width, int height,
                                          double scale, GError **error);
/* PNG bytes of the same */
GBytes          *lb_chart_render_png     (LbChartKind kind, gconstpointer data,
                                          const LbChartStyle *style, int width, int height,
                                          double scale, GError **error);
/* Writes the PNG to path through a temporary file that is synced and
 * renamed, so a failure leaves any old file in place. */
gboolean         lb_chart_write_png      (const char *path, LbChartKind kind,
                                          gconstpointer data, const LbChartStyle *style,
                                          int width, int height, double scale,
                                          GError **error);

/* The pieces of the above, for other drawings (lb-chart-board.c): an
 * ARGB32 surface with the same size checks, its PNG bytes, and the
 * synced-and-renamed write. */
cairo_surface_t *lb_chart_new_surface    (int width, int height, double scale, GError **error);
GBytes          *lb_chart_surface_to_png (cairo_surface_t *surface, GError **error);
gboolean         lb_chart_png_save       (const char *path, GBytes *png, GError **error);

G_END_DECLS
