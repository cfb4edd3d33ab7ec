/* lb-perf-view.h: the performance dashboard: a benchmark of the session's
 * variant (lb-bench.h) with the time per token against the latency target,
 * prompt and decode throughput, memory over time while it runs (anonymous
 * and file-backed), CPU use, and the runs so far */
#pragma once

#include <adwaita.h>

#include "lb-session.h"

G_BEGIN_DECLS

#define LB_TYPE_PERF_VIEW (lb_perf_view_get_type ())
G_DECLARE_FINAL_TYPE (LbPerfView, lb_perf_view, LB, PERF_VIEW, AdwBin)

GtkWidget *lb_perf_view_new          (void);
void       lb_perf_view_set_settings (LbPerfView *self, GSettings *settings);
void       lb_perf_view_set_session  (LbPerfView *self, LbSession *session);
/* Benchmarks the current types (the "perf.run" action) */
void       lb_perf_view_run          (LbPerfView *self);
/* Sizes of the run: prompt tokens, generated tokens, repeats */
void       lb_perf_view_set_sizes    (LbPerfView *self, guint n_prompt, guint n_gen,
                                      guint n_repeat);

/* The memory the brief's target means, for a run inside the workbench
 * (whose own resident memory says little about the model's): the engine's
 * memory pool (KV cache, activations, scratch: allocated up front, exact)
 * plus the weights a runtime maps (weight_bytes) */
guint64    lb_perf_model_memory      (const LbBenchResult *result, guint64 weight_bytes);

G_END_DECLS
