/* lb-size-bar-render.h: bytes per quantization type as one stacked bar
 * against a budget */
#pragma once

#include <cairo.h>

#include "lb-chart-common.h"

G_BEGIN_DECLS

typedef struct {
  const char *name;    /* a type name ("Q4_K"): its colour comes from lb_quant_type_color */
  double      bytes;   /* NaN, ±Inf or negative: left out */
} LbSizeSegment;

typedef struct {
  guint                n_segments;
  const LbSizeSegment *segments;  /* drawn left to right in this order */
  double               budget;    /* bytes; <= 0 or not finite: no budget */
  const char          *title;
  gboolean             hide_legend;
} LbSizeBarData;

typedef struct {
  double x, y, width, height;  /* the bar */
  double scale_max;            /* bytes at the right end of the bar */
  double total;
} LbSizeBarGeometry;

/* Sum of the segments that count */
double   lb_size_bar_data_total (const LbSizeBarData *data);
/* Height that shows the whole legend at this width (measured with cr) */
double   lb_size_bar_natural_height (cairo_t *cr, double width, const LbSizeBarData *data,
                                     const LbChartStyle *style);
void     lb_size_bar_render (cairo_t *cr, double width, double height,
                             const LbSizeBarData *data, const LbChartStyle *style,
                             LbSizeBarGeometry *geometry);
/* The segment under (px, py); FALSE outside the bar or over empty space */
gboolean lb_size_bar_segment_at (const LbSizeBarData *data, const LbSizeBarGeometry *geometry,
                                 double px, double py, guint *index);

G_END_DECLS
