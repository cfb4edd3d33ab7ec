/* lb-gauge-render.h: one value on an arc against a target */
#pragma once

#include <cairo.h>

#include "lb-chart-common.h"

G_BEGIN_DECLS

typedef enum {
  LB_GAUGE_NO_DATA,   /* the value is NaN or infinite */
  LB_GAUGE_NEUTRAL,   /* no target */
  LB_GAUGE_PASS,
  LB_GAUGE_FAIL,
} LbGaugeVerdict;

typedef struct {
  double        value;           /* NaN or ±Inf: no data */
  double        min;             /* the scale; when max <= min it is derived */
  double        max;             /*   from the value and the target */
  gboolean      has_target;
  double        target;
  gboolean      lower_is_better; /* pass when value <= target (latency, size) */
  const char   *title;           /* below the arc, e.g. "Latency per token" */
  const char   *unit;            /* under the value, e.g. "ms" */
  LbChartFormat format;
  int           digits;          /* decimals of the value; < 0: automatic */
} LbGaugeData;

typedef struct {
  double cx, cy;                 /* centre of the arc */
  double radius;                 /* to the middle of the track */
  double thickness;
  double start_angle, end_angle; /* radians, cairo's clockwise convention */
  double min, max;               /* the scale used */
} LbGaugeGeometry;

LbGaugeVerdict lb_gauge_data_verdict (const LbGaugeData *data);
/* The scale the gauge uses for data (derived when data->max <= data->min) */
void           lb_gauge_data_scale   (const LbGaugeData *data, double *min, double *max);
/* The value as the gauge prints it, e.g. "42.5" */
char          *lb_gauge_data_format_value (const LbGaugeData *data, double value);
/* The same followed by the unit when there is one, e.g. "42.5 ms" */
char          *lb_gauge_data_format_with_unit (const LbGaugeData *data, double value);
void           lb_gauge_render (cairo_t *cr, double width, double height,
                                const LbGaugeData *data, const LbChartStyle *style,
                                LbGaugeGeometry *geometry);
/* The angle of a value on the arc (clamped to the scale) */
double         lb_gauge_geometry_angle (const LbGaugeGeometry *geometry, double value);

G_END_DECLS
