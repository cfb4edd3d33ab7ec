/* lb-line-chart.h: series over time (memory during a benchmark: anonymous
 * vs. file-backed), fed whole or point by point while a job runs */
#pragma once

#include <gtk/gtk.h>

#include "lb-chart-widget.h"
#include "lb-line-chart-render.h"

G_BEGIN_DECLS

#define LB_TYPE_LINE_CHART (lb_line_chart_get_type ())
G_DECLARE_FINAL_TYPE (LbLineChart, lb_line_chart, LB, LINE_CHART, LbChartWidget)

GtkWidget     *lb_line_chart_new              (void);
/* Returns the index of the new, empty series */
guint          lb_line_chart_add_series       (LbLineChart *self, const char *name);
guint          lb_line_chart_get_n_series     (LbLineChart *self);
const char    *lb_line_chart_get_series_name  (LbLineChart *self, guint series);
/* Replaces the points (copied); x NULL means 0, 1, 2, ... NaN in y: a gap */
void           lb_line_chart_set_series_data  (LbLineChart *self, guint series, guint n_points,
                                               const double *x, const double *y);
/* Live updates: adds one point at the end */
void           lb_line_chart_append_point     (LbLineChart *self, guint series,
                                               double x, double y);
void           lb_line_chart_set_series_fill  (LbLineChart *self, guint series, gboolean fill);
guint          lb_line_chart_get_n_points     (LbLineChart *self, guint series);
/* FALSE when out of range */
gboolean       lb_line_chart_get_point        (LbLineChart *self, guint series, guint index,
                                               double *x, double *y);
/* Removes every series */
void           lb_line_chart_clear            (LbLineChart *self);

const char    *lb_line_chart_get_title        (LbLineChart *self);
void           lb_line_chart_set_title        (LbLineChart *self, const char *title);
const char    *lb_line_chart_get_x_label      (LbLineChart *self);
void           lb_line_chart_set_x_label      (LbLineChart *self, const char *label);
const char    *lb_line_chart_get_y_label      (LbLineChart *self);
void           lb_line_chart_set_y_label      (LbLineChart *self, const char *label);
LbChartFormat  lb_line_chart_get_x_format     (LbLineChart *self);
void           lb_line_chart_set_x_format     (LbLineChart *self, LbChartFormat format);
LbChartFormat  lb_line_chart_get_y_format     (LbLineChart *self);
void           lb_line_chart_set_y_format     (LbLineChart *self, LbChartFormat format);
gboolean       lb_line_chart_get_y_from_zero  (LbLineChart *self);
void           lb_line_chart_set_y_from_zero  (LbLineChart *self, gboolean y_from_zero);
/* Show only the last `window` x units (seconds); 0 shows everything.
 * Points older than twice the window are dropped. */
double         lb_line_chart_get_time_window  (LbLineChart *self);
void           lb_line_chart_set_time_window  (LbLineChart *self, double window);
/* The point nearest to widget coordinates (x, y), within 12 pixels */
gboolean       lb_line_chart_get_point_at     (LbLineChart *self, double x, double y,
                                               guint *series, guint *index);

G_END_DECLS
