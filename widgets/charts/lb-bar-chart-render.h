/* lb-bar-chart-render.h: labelled horizontal bars (one row per label, one
 * bar per series in each row) on a linear or logarithmic value axis, with
 * an optional limit line */
#pragma once

#include <cairo.h>

#include "lb-chart-common.h"

G_BEGIN_DECLS

typedef struct {
  const char   *name;    /* legend; NULL: not in the legend */
  const double *values;  /* n_bars; NaN/±Inf (and <= 0 on a log axis): no bar */
} LbBarSeries;

typedef struct {
  guint               n_bars;       /* rows */
  const char * const *labels;       /* NULL, or n_bars strings (entries may be NULL) */
  guint               n_series;
  const LbBarSeries  *series;       /* colour i comes from style->series[i] */
  const char         *title;
  const char         *value_label;  /* caption of the value axis */
  LbChartFormat       format;       /* ticks and the printed values */
  gboolean            log_scale;
  gboolean            show_values;  /* print each value beside its bar when there is room */
  gboolean            has_limit;    /* a dashed line across the rows at limit */
  double              limit;
  const char         *limit_label;  /* its legend entry; NULL: none */
} LbBarChartData;

typedef struct {
  double   x, y, width, height;     /* the rows */
  double   row_height;
  guint    n_rows;
  double   v_min, v_max;            /* the value range across the width */
  gboolean log_scale;
} LbBarChartGeometry;

/* The value range the chart shows: from 0 (linear) or the smallest
 * positive value's decade (log) to the largest value, limit included */
void     lb_bar_chart_data_range (const LbBarChartData *data, double *min, double *max);
void     lb_bar_chart_render     (cairo_t *cr, double width, double height,
                                  const LbBarChartData *data, const LbChartStyle *style,
                                  LbBarChartGeometry *geometry);
/* The row under (px, py) */
gboolean lb_bar_chart_row_at     (const LbBarChartGeometry *geometry, double px, double py,
                                  guint *row);

G_END_DECLS
