/* lb-heatmap-render.h: a matrix of values as coloured cells */
#pragma once

#include <cairo.h>

#include "lb-chart-common.h"
#include "lb-colormap.h"

G_BEGIN_DECLS

typedef struct {
  guint               n_rows;
  guint               n_cols;
  const double       *values;       /* n_rows × n_cols, row-major; NaN/±Inf: no data */
  const char * const *row_labels;   /* NULL, or n_rows strings (entries may be NULL) */
  const char * const *col_labels;   /* NULL, or n_cols strings */
  const char         *title;        /* NULL: none */
  const char         *legend_label; /* caption of the colour legend, e.g. "SNR (dB)" */
  LbChartFormat       format;       /* legend and tooltip values */
  LbColormap          colormap;
  gboolean            reverse;      /* high values at the low end of the colormap */
  gboolean            log_scale;    /* colours by log10 of the value; values <= 0 take the low end
                                     * (a range then needs min > 0) */
  gboolean            fixed_range;  /* use min/max below instead of the data's range */
  double              min;
  double              max;
  gboolean            has_highlight; /* outline one cell */
  guint               highlight_row;
  guint               highlight_col;
} LbHeatmapData;

/* Where the cells landed in the last render, for hit tests */
typedef struct {
  double x, y, width, height;
  double cell_width, cell_height;
  guint  n_rows, n_cols;
  double min, max;               /* the range the colours mean */
  gboolean has_range;
} LbHeatmapGeometry;

void     lb_heatmap_render (cairo_t *cr, double width, double height,
                            const LbHeatmapData *data, const LbChartStyle *style,
                            LbHeatmapGeometry *geometry);
/* The colour of a value (NaN: the no-data colour) under data's range and map */
void     lb_heatmap_value_color (const LbHeatmapData *data, double min, double max,
                                 double value, const LbChartStyle *style, LbChartColor *out);
/* Smallest and largest finite value above 0 (a log scale's range) */
gboolean lb_heatmap_positive_range (const double *values, gsize n, double *min, double *max);
gboolean lb_heatmap_geometry_cell_at (const LbHeatmapGeometry *geometry, double x, double y,
                                      guint *row, guint *col);

G_END_DECLS
