/* lb-widgets.h: Lowbit's chart and editor widgets */
#pragma once

#include "lb-charts.h"
#include "lb-chart-widget.h"
#include "lb-gauge.h"
#include "lb-heatmap.h"
#include "lb-histogram.h"
#include "lb-line-chart.h"
#include "lb-page-box.h"
#include "lb-precision-grid.h"
#include "lb-scatter-chart.h"
#include "lb-size-bar.h"
#include "lb-widgets-enums.h"

G_BEGIN_DECLS

/* Registers every widget type, so that GtkBuilder files can name them */
void lb_widgets_init (void);

G_END_DECLS
