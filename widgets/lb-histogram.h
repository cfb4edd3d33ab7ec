/* lb-histogram.h: a tensor's weights against the quantization grid's levels */
#pragma once

#include <gtk/gtk.h>

#include "lb-chart-widget.h"
#include "lb-histogram-render.h"

G_BEGIN_DECLS

#define LB_TYPE_HISTOGRAM (lb_histogram_get_type ())
G_DECLARE_FINAL_TYPE (LbHistogram, lb_histogram, LB, HISTOGRAM, LbChartWidget)

GtkWidget     *lb_histogram_new           (void);
/* Counts of n_bins even bins over [lo, hi] (copied) */
void           lb_histogram_set_bins      (LbHistogram *self, guint n_bins,
                                           const double *counts, double lo, double hi);
/* Bins raw weights (non-finite ones are skipped) */
void           lb_histogram_set_values    (LbHistogram *self, const float *values,
                                           gsize n_values, guint n_bins);
/* The values the quantizer can represent (copied) */
void           lb_histogram_set_levels    (LbHistogram *self, guint n_levels,
                                           const double *levels);
guint          lb_histogram_get_n_bins    (LbHistogram *self);
guint          lb_histogram_get_n_levels  (LbHistogram *self);
/* The count and value interval of a bin; FALSE when out of range */
gboolean       lb_histogram_get_bin       (LbHistogram *self, guint bin, double *count,
                                           double *lo, double *hi);
const char    *lb_histogram_get_title     (LbHistogram *self);
void           lb_histogram_set_title     (LbHistogram *self, const char *title);
const char    *lb_histogram_get_x_label   (LbHistogram *self);
void           lb_histogram_set_x_label   (LbHistogram *self, const char *label);
gboolean       lb_histogram_get_log_scale (LbHistogram *self);
void           lb_histogram_set_log_scale (LbHistogram *self, gboolean log_scale);
/* The bin under widget coordinates (x, y) */
gboolean       lb_histogram_get_bin_at    (LbHistogram *self, double x, double y, guint *bin);

G_END_DECLS
