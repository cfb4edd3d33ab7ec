/* lb-colormap.h: continuous colour scales for heatmaps */
#pragma once

#include "lb-chart-common.h"

G_BEGIN_DECLS

typedef enum {
  LB_COLORMAP_VIRIDIS,    /* sequential: dark purple to yellow, perceptually even */
  LB_COLORMAP_COOL_WARM,  /* diverging: blue, light grey, red */
  LB_COLORMAP_TRAFFIC,    /* good to bad: green, yellow, red */
} LbColormap;

/* t is clamped to [0, 1]; NaN gives the middle of the scale */
void lb_colormap_eval (LbColormap map, double t, LbChartColor *out);

G_END_DECLS
