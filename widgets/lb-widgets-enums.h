/* lb-widgets-enums.h: GTypes of the chart enums, for properties */
#pragma once

#include <glib-object.h>

#include "lb-colormap.h"
#include "lb-gauge-render.h"

G_BEGIN_DECLS

#define LB_TYPE_COLORMAP      (lb_colormap_get_type ())
#define LB_TYPE_CHART_FORMAT  (lb_chart_format_get_type ())
#define LB_TYPE_GAUGE_VERDICT (lb_gauge_verdict_get_type ())

GType lb_colormap_get_type      (void) G_GNUC_CONST;
GType lb_chart_format_get_type  (void) G_GNUC_CONST;
GType lb_gauge_verdict_get_type (void) G_GNUC_CONST;

G_END_DECLS
