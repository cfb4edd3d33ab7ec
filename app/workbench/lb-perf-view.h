/* lb-perf-view.h: the performance dashboard (latency, throughput, memory) */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define LB_TYPE_PERF_VIEW (lb_perf_view_get_type ())
G_DECLARE_FINAL_TYPE (LbPerfView, lb_perf_view, LB, PERF_VIEW, AdwBin)

GtkWidget *lb_perf_view_new (void);

G_END_DECLS
