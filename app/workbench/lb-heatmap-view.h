/* lb-heatmap-view.h: where quantization hurts: the weight SNR of every
 * tensor of the session's variant (layers × tensor kinds), and a close look
 * at one tensor: its row-block × column-block error map and the histogram
 * of its weights against the levels of its type */
#pragma once

#include <adwaita.h>

#include "lb-session.h"

G_BEGIN_DECLS

#define LB_TYPE_HEATMAP_VIEW (lb_heatmap_view_get_type ())
G_DECLARE_FINAL_TYPE (LbHeatmapView, lb_heatmap_view, LB, HEATMAP_VIEW, AdwBin)

GtkWidget *lb_heatmap_view_new         (void);
void       lb_heatmap_view_set_session (LbHeatmapView *self, LbSession *session);
/* Measures the current types (also done when the page is shown and what
 * it shows is out of date); the job's window lists it */
void       lb_heatmap_view_refresh     (LbHeatmapView *self);
/* Opens the close look at a tensor (as a click on its cell does) */
void       lb_heatmap_view_drill_down  (LbHeatmapView *self, const char *tensor_name);

G_END_DECLS
