/* lb-line-chart-render.h: one or more series over a shared x axis (time) */
#pragma once

#include <cairo.h>

#include "lb-chart-common.h"

G_BEGIN_DECLS

typedef struct {
  const char   *name;      /* legend; NULL: not in the legend */
  guint         n_points;
  const double *x;         /* NULL: 0, 1, 2, ... */
  const double *y;         /* NaN ends a line (a gap); ±Inf points are skipped */
  gboolean      fill;      /* shade the area under the line */
} LbLineSeries;

typedef struct {
  guint               n_series;
  const LbLineSeries *series;  /* colour i comes from style->series[i] */
  const char         *title;
  const char         *x_label;
  const char         *y_label;
  LbChartFormat       x_format;
  LbChartFormat       y_format;
  gboolean            y_from_zero;   /* include 0 in the automatic y range */
  gboolean            fixed_x_range;
  double              x_min, x_max;
  gboolean            fixed_y_range;
  double              y_min, y_max;
} LbLineChartData;

/* The ranges the chart would show (automatic unless fixed) */
void     lb_line_chart_data_ranges (const LbLineChartData *data, double *x_min, double *x_max,
                                    double *y_min, double *y_max);
void     lb_line_chart_render (cairo_t *cr, double width, double height,
                               const LbLineChartData *data, const LbChartStyle *style,
                               LbPlotGeometry *geometry);
/* The point nearest to (px, py) within max_distance pixels */
gboolean lb_line_chart_nearest (const LbLineChartData *data, const LbPlotGeometry *geometry,
                                double px, double py, double max_distance,
                                guint *series, guint *index);

G_END_DECLS
