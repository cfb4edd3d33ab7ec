/* lb-scatter-render.h: labelled points (size vs. error) with an optional
 * Pareto front */
#pragma once

#include <cairo.h>

#include "lb-chart-common.h"

G_BEGIN_DECLS

typedef struct {
  double      x;
  double      y;       /* NaN/±Inf in x or y: the point is left out */
  const char *label;   /* drawn beside the point; NULL: none */
  guint       group;   /* colour style->series[group] and legend entry */
} LbScatterPoint;

typedef struct {
  guint                 n_points;
  const LbScatterPoint *points;
  guint                 n_groups;
  const char * const   *group_names; /* NULL: no legend */
  const char           *title;
  const char           *x_label;
  const char           *y_label;
  LbChartFormat         x_format;
  LbChartFormat         y_format;
  gboolean              x_log;
  gboolean              y_log;
  gboolean              show_front;  /* connect the points no other point beats */
  gboolean              has_highlight;
  guint                 highlight;   /* ringed: e.g. the current variant */
} LbScatterData;

/* The Pareto front when smaller x and smaller y are both better: indices
 * of the points that no other point dominates (is as good in both and
 * better in one; of identical points the first counts), by rising x.
 * indices must hold n_points entries; returns how many it wrote. */
guint    lb_scatter_pareto_front (const LbScatterPoint *points, guint n_points, guint *indices);
void     lb_scatter_data_ranges  (const LbScatterData *data, double *x_min, double *x_max,
                                  double *y_min, double *y_max);
void     lb_scatter_render       (cairo_t *cr, double width, double height,
                                  const LbScatterData *data, const LbChartStyle *style,
                                  LbPlotGeometry *geometry);
/* The point nearest to (px, py) within max_distance pixels */
gboolean lb_scatter_nearest      (const LbScatterData *data, const LbPlotGeometry *geometry,
                                  double px, double py, double max_distance, guint *index);

G_END_DECLS
