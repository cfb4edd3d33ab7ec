/* lb-histogram-render.h: a weight histogram with the levels of a
 * quantization grid drawn over it */
#pragma once

#include <cairo.h>

#include "lb-chart-common.h"

G_BEGIN_DECLS

typedef struct {
  guint          n_bins;
  const double  *counts;     /* n_bins; NaN/±Inf/negative: empty bin */
  double         lo, hi;     /* bins split [lo, hi] evenly */
  guint          n_levels;
  const double  *levels;     /* values the quantizer can represent; non-finite skipped */
  gboolean       log_counts; /* a log10(1 + count) y axis */
  const char    *title;
  const char    *x_label;
  LbChartFormat  x_format;
} LbHistogramData;

/* Counts the finite values into n_bins even bins over their range.
 * counts gets n_bins entries. FALSE (and zero counts) when no value is
 * finite; when all are equal the range is widened around them. */
gboolean lb_histogram_bin_floats (const float *values, gsize n_values, guint n_bins,
                                  double *counts, double *lo, double *hi);
/* The x range shown: the bins' range joined with the levels' */
void     lb_histogram_data_x_range (const LbHistogramData *data, double *min, double *max);
/* The value interval of one bin */
gboolean lb_histogram_data_bin_range (const LbHistogramData *data, guint bin,
                                      double *lo, double *hi);
void     lb_histogram_render (cairo_t *cr, double width, double height,
                              const LbHistogramData *data, const LbChartStyle *style,
                              LbPlotGeometry *geometry);
/* The bin under pixel column px */
gboolean lb_histogram_bin_at (const LbHistogramData *data, const LbPlotGeometry *geometry,
                              double px, double py, guint *bin);

G_END_DECLS
