/* lb-widgets-enums.c */
#include "config.h"

#include "lb-widgets-enums.h"

G_DEFINE_ENUM_TYPE (LbColormap, lb_colormap,
  G_DEFINE_ENUM_VALUE (LB_COLORMAP_VIRIDIS, "viridis"),
  G_DEFINE_ENUM_VALUE (LB_COLORMAP_COOL_WARM, "cool-warm"),
  G_DEFINE_ENUM_VALUE (LB_COLORMAP_TRAFFIC, "traffic"))

G_DEFINE_ENUM_TYPE (LbChartFormat, lb_chart_format,
  G_DEFINE_ENUM_VALUE (LB_CHART_FORMAT_PLAIN, "plain"),
  G_DEFINE_ENUM_VALUE (LB_CHART_FORMAT_BYTES, "bytes"),
  G_DEFINE_ENUM_VALUE (LB_CHART_FORMAT_PERCENT, "percent"),
  G_DEFINE_ENUM_VALUE (LB_CHART_FORMAT_TIME, "time"),
  G_DEFINE_ENUM_VALUE (LB_CHART_FORMAT_DECIBEL, "decibel"))

G_DEFINE_ENUM_TYPE (LbGaugeVerdict, lb_gauge_verdict,
  G_DEFINE_ENUM_VALUE (LB_GAUGE_NO_DATA, "no-data"),
  G_DEFINE_ENUM_VALUE (LB_GAUGE_NEUTRAL, "neutral"),
  G_DEFINE_ENUM_VALUE (LB_GAUGE_PASS, "pass"),
  G_DEFINE_ENUM_VALUE (LB_GAUGE_FAIL, "fail"))
