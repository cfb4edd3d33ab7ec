/* lb-stall-monitor.c */
#include "config.h"

#include <time.h>

#include "lb-stall-monitor.h"

struct _LbStallMonitor
{
  GSource *source;
  gint64   last_tick;
  gint64   max_gap;
  gint64   last_cpu;   /* the main thread's CPU time at the last tick */
  gint64   max_busy;
  guint    n_ticks;
};

static gint64
thread_cpu_time (void)
{
  struct timespec ts;

  if (clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
    return 0;
  return (gint64) ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000;
}

static gboolean
on_tick (gpointer data)
{
  LbStallMonitor *self = data;
  gint64 now = g_get_monotonic_time ();
  gint64 cpu = thread_cpu_time ();

  self->max_gap = MAX (self->max_gap, now - self->last_tick);
  self->max_busy = MAX (self->max_busy, cpu - self->last_cpu);
  self->last_tick = now;
  self->last_cpu = cpu;
  self->n_ticks++;
  return G_SOURCE_CONTINUE;
}

LbStallMonitor *
lb_stall_monitor_new (guint interval_ms)
{
  LbStallMonitor *self = g_new0 (LbStallMonitor, 1);
  g_autoptr (GMainContext) context = g_main_context_ref_thread_default ();

  self->last_tick = g_get_monotonic_time ();
  self->last_cpu = thread_cpu_time ();
  self->source = g_timeout_source_new (MAX (interval_ms, 1));
  /* default priority: a busy main loop delays it, idles do not starve it */
  g_source_set_callback (self->source, on_tick, self, NULL);
  g_source_set_static_name (self->source, "[lowbit] stall monitor");
  g_source_attach (self->source, context);
  return self;
}

double
lb_stall_monitor_get_max_gap_ms (LbStallMonitor *self)
{
  g_return_val_if_fail (self != NULL, 0.0);
  return self->max_gap / 1000.0;
}

double
lb_stall_monitor_get_max_busy_ms (LbStallMonitor *self)
{
  g_return_val_if_fail (self != NULL, 0.0);
  return self->max_busy / 1000.0;
}

guint
lb_stall_monitor_get_n_ticks (LbStallMonitor *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->n_ticks;
}

void
lb_stall_monitor_free (LbStallMonitor *self)
{
  if (self == NULL)
    return;
  g_source_destroy (self->source);
  g_source_unref (self->source);
  g_free (self);
}
