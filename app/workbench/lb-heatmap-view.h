/* lb-heatmap-view.h: the error heatmap of a quantized variant */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define LB_TYPE_HEATMAP_VIEW (lb_heatmap_view_get_type ())
G_DECLARE_FINAL_TYPE (LbHeatmapView, lb_heatmap_view, LB, HEATMAP_VIEW, AdwBin)

GtkWidget *lb_heatmap_view_new (void);

G_END_DECLS
