/* lb-heatmap-view.h: where quantization hurts: one metric for every
 * weight matrix of the session's map (layers × tensor kinds, and the
 * tensors outside the layers), chosen from a drop-down (lb-heat-metric.h:
 * weight SNR, importance-weighted SNR, ΔKLD, layer output cosine), with a
 * legend and tooltips; optionally against a preset or a recipe file, side
 * by side on one colour scale or as their difference; and a close look at
 * one tensor: its row-block × column-block error map and the histogram of
 * its weights against the levels of its type. Every measurement is a job. */
#pragma once

#include <adwaita.h>

#include "lb-heat-metric.h"
#include "lb-session.h"

G_BEGIN_DECLS

#define LB_TYPE_HEATMAP_VIEW (lb_heatmap_view_get_type ())
G_DECLARE_FINAL_TYPE (LbHeatmapView, lb_heatmap_view, LB, HEATMAP_VIEW, AdwBin)

GtkWidget   *lb_heatmap_view_new         (void);
void         lb_heatmap_view_set_session (LbHeatmapView *self, LbSession *session);
/* Measures the shown metric again (also done when the page is shown and
 * what it shows is out of date); the job's window lists it */
void         lb_heatmap_view_refresh     (LbHeatmapView *self);
/* Opens the close look at a tensor (as a click on its cell does) */
void         lb_heatmap_view_drill_down  (LbHeatmapView *self, const char *tensor_name);

/* The metric shown (the drop-down's choice) */
LbHeatMetric lb_heatmap_view_get_metric  (LbHeatmapView *self);
void         lb_heatmap_view_set_metric  (LbHeatmapView *self, LbHeatMetric metric);
/* The text the ΔKLD and layer metrics run the model over (default: the
 * evaluation's default text) */
const char  *lb_heatmap_view_get_text    (LbHeatmapView *self);
void         lb_heatmap_view_set_text    (LbHeatmapView *self, const char *path);
/* Their slice of it: at most n_chunks chunks of n_ctx tokens (default 4 × 128) */
void         lb_heatmap_view_set_slice   (LbHeatmapView *self, guint n_ctx, guint n_chunks);
/* Compares with a preset ("" or NULL: nothing) or a recipe file, as the
 * "Compare with" drop-down does; the name of what is compared, or NULL */
gboolean     lb_heatmap_view_compare_with_preset (LbHeatmapView *self, const char *preset,
                                                  GError **error);
gboolean     lb_heatmap_view_compare_with_file   (LbHeatmapView *self, const char *path,
                                                  GError **error);
const char  *lb_heatmap_view_get_compared (LbHeatmapView *self);
/* The compared map as its own values (FALSE) or as the difference (TRUE) */
void         lb_heatmap_view_set_difference (LbHeatmapView *self, gboolean difference);

G_END_DECLS
