/* lb-size-bar.h: the model's bytes per quantization type as one stacked
 * bar against the size budget */
#pragma once

#include <gtk/gtk.h>

#include "lb-chart-widget.h"
#include "lb-size-bar-render.h"

G_BEGIN_DECLS

#define LB_TYPE_SIZE_BAR (lb_size_bar_get_type ())
G_DECLARE_FINAL_TYPE (LbSizeBar, lb_size_bar, LB, SIZE_BAR, LbChartWidget)

GtkWidget   *lb_size_bar_new             (void);
/* Copies names and sizes; segments are drawn in this order */
void         lb_size_bar_set_segments    (LbSizeBar *self, guint n_segments,
                                          const char * const *names, const double *bytes);
guint        lb_size_bar_get_n_segments  (LbSizeBar *self);
/* FALSE when out of range */
gboolean     lb_size_bar_get_segment     (LbSizeBar *self, guint index, const char **name,
                                          double *bytes);
/* Bytes; 0 for no budget */
double       lb_size_bar_get_budget      (LbSizeBar *self);
void         lb_size_bar_set_budget      (LbSizeBar *self, double budget);
const char  *lb_size_bar_get_title       (LbSizeBar *self);
void         lb_size_bar_set_title       (LbSizeBar *self, const char *title);
gboolean     lb_size_bar_get_show_legend (LbSizeBar *self);
void         lb_size_bar_set_show_legend (LbSizeBar *self, gboolean show_legend);
/* Read-only properties "total" and "over-budget" */
double       lb_size_bar_get_total       (LbSizeBar *self);
gboolean     lb_size_bar_get_over_budget (LbSizeBar *self);
/* The segment at widget coordinates (x, y) */
gboolean     lb_size_bar_get_segment_at  (LbSizeBar *self, double x, double y, guint *index);

G_END_DECLS
