/* lb-widgets.c */
#include "config.h"

#include "lb-widgets.h"

void
lb_widgets_init (void)
{
  g_type_ensure (LB_TYPE_GAUGE);
  g_type_ensure (LB_TYPE_HEATMAP);
  g_type_ensure (LB_TYPE_HISTOGRAM);
  g_type_ensure (LB_TYPE_LINE_CHART);
  g_type_ensure (LB_TYPE_PAGE_BOX);
  g_type_ensure (LB_TYPE_PRECISION_GRID);
  g_type_ensure (LB_TYPE_SCATTER_CHART);
  g_type_ensure (LB_TYPE_SIZE_BAR);
  g_type_ensure (LB_TYPE_COLORMAP);
  g_type_ensure (LB_TYPE_CHART_FORMAT);
  g_type_ensure (LB_TYPE_GAUGE_VERDICT);
}
