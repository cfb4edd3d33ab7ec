/* test-job.c: LbJob (progress batching, outcome, cancel), the main-loop
 * stall monitor and the number formats of the workbench. No display. */
#include "config.h"

#include "lb-format.h"
#include "lb-job-row.h"
#include "lb-job.h"
#include "lb-stall-monitor.h"
#include "lowbit.h"

#define N_REPORTS 1000

typedef struct {
  GMutex   lock;
  GCond    cond;
  gboolean reported;   /* the worker has sent every report */
  gboolean released;   /* the main thread lets it return */
  gboolean started;
} Gate;

static void
gate_init (Gate *gate)
{
  g_mutex_init (&gate->lock);
  g_cond_init (&gate->cond);
  gate->reported = gate->released = gate->started = FALSE;
}

static void
gate_clear (Gate *gate)
{
  g_mutex_clear (&gate->lock);
  g_cond_clear (&gate->cond);
}

static void
gate_set (Gate *gate, gboolean *flag)
{
  g_mutex_lock (&gate->lock);
  *flag = TRUE;
  g_cond_broadcast (&gate->cond);
  g_mutex_unlock (&gate->lock);
}

static void
gate_wait (Gate *gate, gboolean *flag)
{
  g_mutex_lock (&gate->lock);
  while (!*flag)
    g_cond_wait (&gate->cond, &gate->lock);
  g_mutex_unlock (&gate->lock);
}

static void
iterate_until (gboolean *flag)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  while (!*flag)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
}

/* Reports N_REPORTS updates while the main loop is not running, then waits
 * to be released: all of them must arrive as one batch. */
static gpointer
burst_thread (LbJob *job, gpointer task_data, GCancellable *cancellable, GError **error)
{
  Gate *gate = task_data;

  for (guint i = 1; i <= N_REPORTS; i++)
    {
      g_autofree char *stage = g_strdup_printf ("step %u", i);

      lb_job_report (job, (double) i / (N_REPORTS * 2), stage);
    }
  gate_set (gate, &gate->reported);
  gate_wait (gate, &gate->released);
  return g_strdup ("result");
}

typedef struct {
  guint    n_fraction;
  guint    n_stage;
  guint    n_finished;
  gboolean done;
  char    *result;
  GError  *error;
  LbJobState state_in_callback;
} Observed;

static void
count_fraction (LbJob *job, GParamSpec *pspec, Observed *o)
{
  o->n_fraction++;
}

static void
count_stage (LbJob *job, GParamSpec *pspec, Observed *o)
{
  o->n_stage++;
}

static void
count_finished (LbJob *job, Observed *o)
{
  o->n_finished++;
}

static void
on_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Observed *o = user_data;

  o->state_in_callback = lb_job_get_state (LB_JOB (source));
  o->result = lb_job_run_finish (LB_JOB (source), result, &o->error);
  o->done = TRUE;
}

static void
observe (LbJob *job, Observed *o)
{
  g_signal_connect (job, "notify::fraction", G_CALLBACK (count_fraction), o);
  g_signal_connect (job, "notify::stage", G_CALLBACK (count_stage), o);
  g_signal_connect (job, "finished", G_CALLBACK (count_finished), o);
}

static void
test_job_batches_progress (void)
{
  g_autoptr (LbJob) job = lb_job_new ("burst");
  Observed o = { 0 };
  Gate gate;

  gate_init (&gate);
  observe (job, &o);
  g_assert_true (lb_job_is_running (job));
  g_assert_cmpfloat (lb_job_get_fraction (job), <, 0.0);

  lb_job_run_async (job, burst_thread, &gate, NULL, g_free, on_done, &o);
  /* the main loop does not run while the worker reports */
  gate_wait (&gate, &gate.reported);
  g_main_context_iteration (NULL, FALSE);
  while (g_main_context_pending (NULL))
    g_main_context_iteration (NULL, FALSE);

  /* one idle carried the whole batch: the last values, one notify each */
  g_assert_cmpuint (o.n_fraction, ==, 1);
  g_assert_cmpuint (o.n_stage, ==, 1);
  g_assert_cmpfloat_with_epsilon (lb_job_get_fraction (job), 0.5, 1e-12);
  g_assert_cmpstr (lb_job_get_stage (job), ==, "step 1000");
  g_assert_true (lb_job_is_running (job));

  gate_set (&gate, &gate.released);
  iterate_until (&o.done);

  g_assert_no_error (o.error);
  g_assert_cmpstr (o.result, ==, "result");
  g_assert_cmpint (o.state_in_callback, ==, LB_JOB_SUCCEEDED);
  g_assert_cmpuint (o.n_finished, ==, 1);
  g_assert_cmpfloat (lb_job_get_fraction (job), ==, 1.0);
  g_assert_null (lb_job_get_error_message (job));
  g_free (o.result);
  gate_clear (&gate);
}

static gpointer
wait_cancel_thread (LbJob *job, gpointer task_data, GCancellable *cancellable, GError **error)
{
  Gate *gate = task_data;

  gate_set (gate, &gate->started);
  while (!g_cancellable_is_cancelled (cancellable))
    g_usleep (1000);
  g_cancellable_set_error_if_cancelled (cancellable, error);
  return NULL;
}

static void
test_job_cancel (void)
{
  g_autoptr (LbJob) job = lb_job_new ("cancel me");
  Observed o = { 0 };
  Gate gate;
  double elapsed;

  gate_init (&gate);
  observe (job, &o);
  lb_job_run_async (job, wait_cancel_thread, &gate, NULL, NULL, on_done, &o);
  gate_wait (&gate, &gate.started);
  lb_job_cancel (job);
  iterate_until (&o.done);

  g_assert_error (o.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (o.state_in_callback, ==, LB_JOB_CANCELLED);
  g_assert_cmpint (lb_job_get_state (job), ==, LB_JOB_CANCELLED);
  g_assert_false (lb_job_is_running (job));
  g_assert_null (lb_job_get_error_message (job));
  g_assert_cmpuint (o.n_finished, ==, 1);

  /* the clock stops when the job ends */
  elapsed = lb_job_get_elapsed (job);
  g_usleep (20000);
  g_assert_cmpfloat (lb_job_get_elapsed (job), ==, elapsed);
  g_clear_error (&o.error);
  gate_clear (&gate);
}

static gpointer
fail_thread (LbJob *job, gpointer task_data, GCancellable *cancellable, GError **error)
{
  g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
               "tensor blk.0.attn_q.weight: data ends at byte 900 but the file has 800 bytes");
  return NULL;
}

static void
test_job_failure (void)
{
  g_autoptr (LbJob) job = lb_job_new ("fail");
  Observed o = { 0 };

  observe (job, &o);
  lb_job_run_async (job, fail_thread, NULL, NULL, NULL, on_done, &o);
  iterate_until (&o.done);

  g_assert_error (o.error, LB_ERROR, LB_ERROR_INVALID_FILE);
  g_assert_cmpint (lb_job_get_state (job), ==, LB_JOB_FAILED);
  g_assert_cmpstr (lb_job_get_error_message (job), ==,
                   "tensor blk.0.attn_q.weight: data ends at byte 900 but the file has 800 bytes");
  g_assert_cmpuint (o.n_finished, ==, 1);
  g_clear_error (&o.error);
}

static void
count_free (gpointer data)
{
  (*(guint *) data)++;
}

/* A callback keeps the result of the job its owner still holds and drops
 * the job; a replaced job's result is freed */
static void
test_job_take_back (void)
{
  LbJob *old = lb_job_new ("old");
  LbJob *owner = lb_job_new ("current");
  LbJob *current = g_object_ref (owner);
  GWeakRef weak;
  guint n_freed = 0;

  g_assert_false (lb_job_take_back (&owner, old, &n_freed, count_free));
  g_assert_cmpuint (n_freed, ==, 1);
  g_assert_true (owner == current);
  /* no result, or nothing to free it with: nothing to do */
  g_assert_false (lb_job_take_back (&owner, old, NULL, count_free));
  g_assert_false (lb_job_take_back (&owner, old, &n_freed, NULL));
  g_assert_cmpuint (n_freed, ==, 1);

  g_assert_true (lb_job_take_back (&owner, current, &n_freed, count_free));
  g_assert_null (owner);
  g_assert_cmpuint (n_freed, ==, 1);
  g_assert_false (lb_job_take_back (&owner, current, NULL, NULL));

  /* abandoning cancels and lets go */
  owner = g_object_ref (current);
  g_weak_ref_init (&weak, current);
  lb_job_abandon (&owner);
  g_assert_null (owner);
  g_assert_true (g_cancellable_is_cancelled (lb_job_get_cancellable (current)));
  lb_job_abandon (&owner);
  g_object_unref (current);
  g_assert_null (g_weak_ref_get (&weak));
  g_weak_ref_clear (&weak);
  g_object_unref (old);
}

/* Jobs for core _async/_finish pairs are completed by hand */
static void
test_job_complete (void)
{
  g_autoptr (LbJob) ok = lb_job_new ("ok");
  g_autoptr (LbJob) cancelled = lb_job_new ("cancelled");
  g_autoptr (GError) error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "Cancelled");
  Observed o = { 0 };

  observe (ok, &o);
  lb_job_complete (ok, NULL);
  g_assert_cmpint (lb_job_get_state (ok), ==, LB_JOB_SUCCEEDED);
  g_assert_cmpuint (o.n_finished, ==, 1);

  lb_job_complete (cancelled, error);
  g_assert_cmpint (lb_job_get_state (cancelled), ==, LB_JOB_CANCELLED);

  /* a batch queued before completion must not change the final state */
  lb_job_report (ok, 0.25, "late");
  while (g_main_context_pending (NULL))
    g_main_context_iteration (NULL, FALSE);
  g_assert_cmpfloat (lb_job_get_fraction (ok), ==, 1.0);
  g_assert_cmpstr (lb_job_get_stage (ok), !=, "late");
}

static gboolean
block_main_loop (gpointer data)
{
  g_usleep (120 * 1000);
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

static gboolean
spin_main_loop (gpointer data)
{
  gint64 until = g_get_monotonic_time () + 120 * 1000;
  volatile guint64 n = 0;

  while (g_get_monotonic_time () < until)
    n++;
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

static void
run_blocked (LbStallMonitor *monitor, GSourceFunc block)
{
  gboolean blocked = FALSE;
  guint ticks;

  g_timeout_add (30, block, &blocked);
  iterate_until (&blocked);
  ticks = lb_stall_monitor_get_n_ticks (monitor);
  /* a few more ticks so that the gap after the block is measured */
  while (lb_stall_monitor_get_n_ticks (monitor) < ticks + 2)
    g_main_context_iteration (NULL, TRUE);
}

static void
test_stall_monitor (void)
{
  g_autoptr (LbStallMonitor) sleeping = lb_stall_monitor_new (10);
  g_autoptr (LbStallMonitor) spinning = NULL;

  /* a sleeping main thread stalls the loop without using the CPU */
  run_blocked (sleeping, block_main_loop);
  g_assert_cmpfloat (lb_stall_monitor_get_max_gap_ms (sleeping), >=, 120.0);
  g_assert_cmpfloat (lb_stall_monitor_get_max_busy_ms (sleeping), <, 60.0);

  /* a busy one does both (its CPU time is at least a good part of 120 ms
   * even when another process shares the core) */
  spinning = lb_stall_monitor_new (10);
  run_blocked (spinning, spin_main_loop);
  g_assert_cmpfloat (lb_stall_monitor_get_max_gap_ms (spinning), >=, 120.0);
  g_assert_cmpfloat (lb_stall_monitor_get_max_busy_ms (spinning), >=, 30.0);
}

static void
test_format (void)
{
  const struct { guint64 n; const char *full; const char *brief; } cases[] = {
    { 0, "0", "0" },
    { 999, "999", "999" },
    { 1000, "1,000", "1 K" },
    { 260032, "260,032", "260 K" },
    { 7085312, "7,085,312", "7.09 M" },
    { 1543714304, "1,543,714,304", "1.54 B" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *full = lb_format_count (cases[i].n);
      g_autofree char *brief = lb_format_count_short (cases[i].n);

      g_assert_cmpstr (full, ==, cases[i].full);
      g_assert_cmpstr (brief, ==, cases[i].brief);
    }
}

static void
test_format_elapsed (void)
{
  const struct { double s; const char *text; } cases[] = {
    { 0, "0:00" }, { 4.9, "0:04" }, { 65, "1:05" }, { 3600, "1:00:00" }, { 3725, "1:02:05" },
    { -1, "0:00" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = lb_job_format_elapsed (cases[i].s);

      g_assert_cmpstr (text, ==, cases[i].text);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/lowbit/job/batches-progress", test_job_batches_progress);
  g_test_add_func ("/lowbit/job/cancel", test_job_cancel);
  g_test_add_func ("/lowbit/job/failure", test_job_failure);
  g_test_add_func ("/lowbit/job/complete", test_job_complete);
  g_test_add_func ("/lowbit/job/take-back", test_job_take_back);
  g_test_add_func ("/lowbit/job/stall-monitor", test_stall_monitor);
  g_test_add_func ("/lowbit/job/format-count", test_format);
  g_test_add_func ("/lowbit/job/format-elapsed", test_format_elapsed);

  return g_test_run ();
}
