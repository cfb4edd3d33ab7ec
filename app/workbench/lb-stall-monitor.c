/* lb-stall-monitor.c */
#include "config.h"

#include "lb-stall-monitor.h"

struct _LbStallMonitor
{
  GSource *source;
  gint64   last_tick;
  gint64   max_gap;
  guint    n_ticks;
};

static gboolean
on_tick (gpointer data)
{
  LbStallMonitor *self = data;
  gint64 now = g_get_monotonic_time ();

  self->max_gap = MAX (self->max_gap, now - self->last_tick);
  self->last_tick = now;
  self->n_ticks++;
  return G_SOURCE_CONTINUE;
}

LbStallMonitor *
lb_stall_monitor_new (guint interval_ms)
{
  LbStallMonitor *self = g_new0 (LbStallMonitor, 1);
  g_autoptr (GMainContext) context = g_main_context_ref_thread_default ();

  self->last_tick = g_get_monotonic_time ();
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
