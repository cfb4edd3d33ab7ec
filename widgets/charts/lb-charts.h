/* lb-charts.h: the GTK-free chart renderers of Lowbit */
#pragma once

#include "lb-chart-common.h"
#include "lb-chart-png.h"
#include "lb-colormap.h"
#include "lb-gauge-render.h"
#include "lb-heatmap-render.h"
#include "lb-histogram-render.h"
#include "lb-line-chart-render.h"
#include "lb-precision-grid-render.h"
#include "lb-quant-colors.h"
#include "lb-scatter-render.h"
#include "lb-size-bar-render.h"
