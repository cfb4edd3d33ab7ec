/* lb-scatter-chart.h: the Pareto chart (size vs. accuracy loss) of presets
 * and planned recipes, with labels and the front connected */
#pragma once

#include <gtk/gtk.h>

#include "lb-chart-widget.h"
#include "lb-scatter-render.h"

G_BEGIN_DECLS

#define LB_TYPE_SCATTER_CHART (lb_scatter_chart_get_type ())
G_DECLARE_FINAL_TYPE (LbScatterChart, lb_scatter_chart, LB, SCATTER_CHART, LbChartWidget)

GtkWidget     *lb_scatter_chart_new           (void);
/* Copies everything. labels and groups may be NULL (no labels, group 0). */
void           lb_scatter_chart_set_points    (LbScatterChart *self, guint n_points,
                                               const double *x, const double *y,
                                               const char * const *labels,
                                               const guint *groups);
/* Legend names of the groups (copied); NULL for no legend */
void           lb_scatter_chart_set_groups    (LbScatterChart *self, guint n_groups,
                                               const char * const *names);
guint          lb_scatter_chart_get_n_points  (LbScatterChart *self);
/* FALSE when index is out of range; label may be NULL */
gboolean       lb_scatter_chart_get_point     (LbScatterChart *self, guint index,
                                               double *x, double *y, const char **label);
const char    *lb_scatter_chart_get_title     (LbScatterChart *self);
void           lb_scatter_chart_set_title     (LbScatterChart *self, const char *title);
const char    *lb_scatter_chart_get_x_label   (LbScatterChart *self);
void           lb_scatter_chart_set_x_label   (LbScatterChart *self, const char *label);
const char    *lb_scatter_chart_get_y_label   (LbScatterChart *self);
void           lb_scatter_chart_set_y_label   (LbScatterChart *self, const char *label);
LbChartFormat  lb_scatter_chart_get_x_format  (LbScatterChart *self);
void           lb_scatter_chart_set_x_format  (LbScatterChart *self, LbChartFormat format);
LbChartFormat  lb_scatter_chart_get_y_format  (LbScatterChart *self);
void           lb_scatter_chart_set_y_format  (LbScatterChart *self, LbChartFormat format);
gboolean       lb_scatter_chart_get_x_log     (LbScatterChart *self);
void           lb_scatter_chart_set_x_log     (LbScatterChart *self, gboolean x_log);
gboolean       lb_scatter_chart_get_y_log     (LbScatterChart *self);
void           lb_scatter_chart_set_y_log     (LbScatterChart *self, gboolean y_log);
gboolean       lb_scatter_chart_get_show_front (LbScatterChart *self);
void           lb_scatter_chart_set_show_front (LbScatterChart *self, gboolean show_front);
/* The ringed point (the current variant); -1 for none */
int            lb_scatter_chart_get_highlight (LbScatterChart *self);
void           lb_scatter_chart_set_highlight (LbScatterChart *self, int index);
/* The point nearest to widget coordinates (x, y), within 12 pixels */
gboolean       lb_scatter_chart_get_point_at  (LbScatterChart *self, double x, double y,
                                               guint *index);

G_END_DECLS
