/* lb-stall-monitor.h: how long the main loop went without running.
 * A timeout ticks every interval; the longest gap between two ticks is the
 * longest time the main thread was busy with something else (plus up to one
 * interval). On a loaded machine that wall-clock gap also counts time the
 * thread merely waited for a processor, so the monitor also records the
 * main thread's own CPU time between two ticks ("busy"): the work that
 * really held the loop. This is how the workbench checks that jobs never
 * freeze it. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _LbStallMonitor LbStallMonitor;

/* Starts ticking at once in the thread-default main context */
LbStallMonitor *lb_stall_monitor_new            (guint interval_ms);
/* Longest gap between ticks so far, in milliseconds (0 before two ticks) */
double          lb_stall_monitor_get_max_gap_ms (LbStallMonitor *self);
/* Most CPU time the main thread spent between two ticks, in milliseconds */
double          lb_stall_monitor_get_max_busy_ms (LbStallMonitor *self);
guint           lb_stall_monitor_get_n_ticks    (LbStallMonitor *self);
void            lb_stall_monitor_free           (LbStallMonitor *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LbStallMonitor, lb_stall_monitor_free)

G_END_DECLS
