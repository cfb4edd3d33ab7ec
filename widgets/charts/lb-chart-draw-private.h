/* lb-chart-draw-private.h: drawing helpers shared by the renderers */
#pragma once

#include <cairo.h>
#include <pango/pangocairo.h>

#include "lb-chart-common.h"

G_BEGIN_DECLS

#define LB_CHART_PAD        8.0
#define LB_CHART_MAX_TICKS  24

typedef enum {
  LB_CHART_MARK_BOX,
  LB_CHART_MARK_LINE,
  LB_CHART_MARK_DOT,
  LB_CHART_MARK_NO_DATA,
} LbChartMark;

typedef struct {
  const char   *label;
  LbChartColor  color;
  LbChartMark   mark;
} LbChartLegendItem;

typedef struct {
  double        x_min, x_max;
  double        y_min, y_max;
  gboolean      x_log, y_log;
  LbChartFormat x_format, y_format;
  const char   *x_label;
  const char   *y_label;
} LbChartAxes;

/* Cells of a labelled matrix (heatmap, precision grid) */
typedef struct {
  double   x, y, width, height;     /* the cells only */
  double   cell_width, cell_height;
  double   row_header_x, row_header_width;
  double   col_header_y, col_header_height;
  gboolean col_labels_rotated;
  guint    row_label_every;
  guint    col_label_every;
} LbChartMatrix;

/* Where a renderer lays out what is left to draw */
typedef struct {
  double x, y, width, height;
} LbChartArea;

/* The smallest box around the points added; [0, 1] × [0, 1] while empty */
typedef struct {
  gboolean found;
  double   x0, x1, y0, y1;
} LbChartBounds;

#define LB_CHART_BOUNDS_INIT { FALSE, 0, 1, 0, 1 }

static inline void
lb_chart_bounds_add (LbChartBounds *b,
                     double         x,
                     double         y)
{
  b->x0 = b->found ? MIN (b->x0, x) : x;
  b->x1 = b->found ? MAX (b->x1, x) : x;
  b->y0 = b->found ? MIN (b->y0, y) : y;
  b->y1 = b->found ? MAX (b->y1, y) : y;
  b->found = TRUE;
}

const LbChartStyle *lb_chart_style_or_default (const LbChartStyle *style);

void         lb_chart_set_color       (cairo_t *cr, const LbChartColor *color);
void         lb_chart_set_color_alpha (cairo_t *cr, const LbChartColor *color, double alpha);
void         lb_chart_paint_background (cairo_t *cr, const LbChartStyle *style,
                                        double width, double height);

/* size: a factor of style->font_size */
PangoLayout *lb_chart_layout_new  (cairo_t *cr, const LbChartStyle *style, double size,
                                   PangoWeight weight, const char *text);
void         lb_chart_layout_size (PangoLayout *layout, double *width, double *height);
/* xalign/yalign: which point of the text box lands on (x, y) */
void         lb_chart_layout_show (cairo_t *cr, PangoLayout *layout, double x, double y,
                                   double xalign, double yalign, const LbChartColor *color);
void         lb_chart_show_text   (cairo_t *cr, const LbChartStyle *style, const char *text,
                                   double size, PangoWeight weight, double x, double y,
                                   double xalign, double yalign, const LbChartColor *color);
double       lb_chart_text_width  (cairo_t *cr, const LbChartStyle *style, const char *text,
                                   double size, PangoWeight weight);
double       lb_chart_line_height (cairo_t *cr, const LbChartStyle *style, double size);

/* A grey, hatched rectangle: where there is no data */
void         lb_chart_fill_no_data (cairo_t *cr, const LbChartStyle *style,
                                    double x, double y, double width, double height);
/* The same with a centred message ("No data" when message is NULL) */
void         lb_chart_draw_no_data (cairo_t *cr, const LbChartStyle *style,
                                    double x, double y, double width, double height,
                                    const char *message);
void         lb_chart_rounded_rect (cairo_t *cr, double x, double y, double width,
                                    double height, double radius);

/* Tick positions in [lo, hi]; *step gets their spacing (NaN on log axes) */
guint        lb_chart_ticks (double lo, double hi, guint target, LbChartFormat format,
                             gboolean log_scale, double *ticks, double *step);

/* Lays out and draws grid lines, axis lines, tick labels and axis titles
 * in the given area, and returns the plotting rectangle in *out. */
void         lb_chart_draw_axes (cairo_t *cr, const LbChartStyle *style,
                                 double x, double y, double width, double height,
                                 const LbChartAxes *axes, LbPlotGeometry *out);

/* Items flow left to right and wrap at max_width; rows are aligned by
 * xalign. Returns the height used; draws only when draw is TRUE. */
double       lb_chart_draw_legend (cairo_t *cr, const LbChartStyle *style,
                                   double x, double y, double max_width, double xalign,
                                   guint n_items, const LbChartLegendItem *items,
                                   gboolean draw);

/* --- lb-chart-layout.c: the parts every renderer is made of ---------------- */

/* Starts a render: saves cr (the renderer restores it), paints the
 * background and gives the area inside the padding. Returns style, or the
 * default one for NULL. */
const LbChartStyle *lb_chart_begin       (cairo_t *cr, const LbChartStyle *style,
                                          double width, double height, LbChartArea *area);
/* The title at the top left and the legend right-aligned beside it (or on
 * rows of its own); both may be missing. Takes them off the top of area. */
void                lb_chart_draw_header (cairo_t *cr, const LbChartStyle *style,
                                          LbChartArea *area, const char *title,
                                          guint n_items, const LbChartLegendItem *items);
/* Axes in area, and "No data" over the plot when has_data is FALSE. TRUE
 * when there is data and room to draw it in *plot. */
gboolean            lb_chart_draw_plot   (cairo_t *cr, const LbChartStyle *style,
                                          const LbChartArea *area, const LbChartAxes *axes,
                                          gboolean has_data, LbPlotGeometry *plot);
/* Whether n_rows × n_cols cells (none when cells is NULL) can be laid out
 * in area; draws "No data" over it when not */
gboolean            lb_chart_matrix_has_room (cairo_t *cr, const LbChartStyle *style,
                                              const LbChartArea *area, guint n_rows,
                                              guint n_cols, gconstpointer cells);
/* A legend of quantization types in their colours: a box in the colour of
 * types[i] before labels[i] (types[i] when labels is NULL) */
double              lb_chart_draw_type_legend (cairo_t *cr, const LbChartStyle *style,
                                               double x, double y, double width, guint n,
                                               const char * const *types,
                                               const char * const *labels, gboolean draw);

/* max_cell_*: 0 for no limit */
void         lb_chart_matrix_layout (cairo_t *cr, const LbChartStyle *style,
                                     double x, double y, double width, double height,
                                     guint n_rows, guint n_cols,
                                     const char * const *row_labels,
                                     const char * const *col_labels,
                                     double max_cell_width, double max_cell_height,
                                     LbChartMatrix *out);
void         lb_chart_matrix_draw_labels (cairo_t *cr, const LbChartStyle *style,
                                          const LbChartMatrix *m, guint n_rows, guint n_cols,
                                          const char * const *row_labels,
                                          const char * const *col_labels);
/* Which cell of m contains (px, py) */
gboolean     lb_chart_matrix_cell_at (const LbChartMatrix *m, guint n_rows, guint n_cols,
                                      double px, double py, guint *row, guint *col);

G_END_DECLS
