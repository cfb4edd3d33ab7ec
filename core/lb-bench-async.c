/* lb-bench-async.c: lb_bench_run on a worker thread, its memory samples and
 * progress delivered to the caller's main context through one low-priority
 * idle at a time */
#include "config.h"

#include "lb-bench.h"

typedef struct {
  gint              ref_count;
  LbModel          *model;
  LbBenchParams     params;
  LbMemSampleFunc   sample_func;
  LbProgressFunc    progress;
  gpointer          user_data;
  GDestroyNotify    destroy_notify;
  GAsyncReadyCallback callback;
  gpointer          callback_data;
  GMainContext     *context;

  GMutex            lock;       /* guards what follows */
  GArray           *pending;    /* LbMemSample not yet delivered */
  gboolean          have_progress;
  double            fraction;
  char             *stage;
  gboolean          idle_queued;
  gboolean          finished;   /* the callback ran: deliver nothing more */
} Job;

static Job *
job_ref (Job *job)
{
  g_atomic_int_inc (&job->ref_count);
  return job;
}

static void
job_unref (gpointer data)
{
  Job *job = data;

  if (!g_atomic_int_dec_and_test (&job->ref_count))
    return;
  if (job->destroy_notify)
    job->destroy_notify (job->user_data);
  g_object_unref (job->model);
  g_main_context_unref (job->context);
  g_array_unref (job->pending);
  g_free (job->stage);
  g_mutex_clear (&job->lock);
  g_free (job);
}

/* Delivers what is queued, on the caller's context, outside the lock */
static void
job_drain (Job *job)
{
  g_autoptr (GArray) samples = NULL;
  g_autofree char *stage = NULL;
  gboolean have_progress;
  double fraction;

  g_mutex_lock (&job->lock);
  job->idle_queued = FALSE;
  if (job->finished)
    {
      g_mutex_unlock (&job->lock);
      return;
    }
  samples = job->pending;
  job->pending = g_array_new (FALSE, FALSE, sizeof (LbMemSample));
  have_progress = job->have_progress;
  fraction = job->fraction;
  stage = g_steal_pointer (&job->stage);
  job->have_progress = FALSE;
  g_mutex_unlock (&job->lock);

  if (job->sample_func)
    for (guint i = 0; i < samples->len; i++)
      job->sample_func (&g_array_index (samples, LbMemSample, i), job->user_data);
  if (have_progress && job->progress)
    job->progress (fraction, stage, job->user_data);
}

static gboolean
job_idle (gpointer data)
{
  job_drain (data);
  return G_SOURCE_REMOVE;
}

/* called with the lock held */
static void
job_queue_idle (Job *job)
{
  GSource *source;

  if (job->idle_queued || job->finished)
    return;
  job->idle_queued = TRUE;
  source = g_idle_source_new ();
  g_source_set_priority (source, G_PRIORITY_LOW);
  g_source_set_callback (source, job_idle, job_ref (job), job_unref);
  g_source_set_static_name (source, "[lowbit] bench progress");
  g_source_attach (source, job->context);
  g_source_unref (source);
}

static void
on_sample (const LbMemSample *sample, gpointer data)
{
  Job *job = data;

  g_mutex_lock (&job->lock);
  g_array_append_val (job->pending, *sample);
  job_queue_idle (job);
  g_mutex_unlock (&job->lock);
}

static void
on_progress (double fraction, const char *stage, gpointer data)
{
  Job *job = data;

  g_mutex_lock (&job->lock);
  job->have_progress = TRUE;
  job->fraction = fraction;
  g_free (job->stage);
  job->stage = g_strdup (stage);
  job_queue_idle (job);
  g_mutex_unlock (&job->lock);
}

static void
bench_thread (GTask *task, gpointer source_object, gpointer task_data, GCancellable *cancellable)
{
  Job *job = task_data;
  GError *error = NULL;
  LbBenchResult *result;

  result = lb_bench_run (job->model, &job->params, job->sample_func ? on_sample : NULL, job,
                         job->progress ? on_progress : NULL, job, cancellable, &error);
  if (result == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, result, (GDestroyNotify) lb_bench_result_free);
}

/* Runs on the caller's context: whatever is still queued goes first, then
 * the caller's callback, then nothing more */
static void
on_done (GObject *source, GAsyncResult *result, gpointer data)
{
  Job *job = data;

  job_drain (job);
  g_mutex_lock (&job->lock);
  job->finished = TRUE;
  g_mutex_unlock (&job->lock);
  if (job->callback)
    job->callback (source, result, job->callback_data);
  job_unref (job);
}

void
lb_bench_run_async (LbModel *model, const LbBenchParams *params, LbMemSampleFunc sample_func,
                    LbProgressFunc progress, gpointer user_data, GDestroyNotify destroy_notify,
                    GCancellable *cancellable, GAsyncReadyCallback callback,
                    gpointer callback_data)
{
  LbBenchParams def = LB_BENCH_PARAMS_INIT;
  g_autoptr (GTask) task = NULL;
  Job *job;

  g_return_if_fail (LB_IS_MODEL (model));

  job = g_new0 (Job, 1);
  job->ref_count = 1;
  job->model = g_object_ref (model);
  job->params = params ? *params : def;
  job->sample_func = sample_func;
  job->progress = progress;
  job->user_data = user_data;
  job->destroy_notify = destroy_notify;
  job->callback = callback;
  job->callback_data = callback_data;
  job->context = g_main_context_ref_thread_default ();
  job->pending = g_array_new (FALSE, FALSE, sizeof (LbMemSample));
  g_mutex_init (&job->lock);

  /* on_done holds the job's first reference: it runs after the worker's
   * last use of the job, so the job (and user_data) is always freed on the
   * caller's context */
  task = g_task_new (NULL, cancellable, on_done, job);
  g_task_set_source_tag (task, lb_bench_run_async);
  g_task_set_name (task, "[lowbit] bench");
  g_task_set_task_data (task, job, NULL);
  g_task_run_in_thread (task, bench_thread);
}

LbBenchResult *
lb_bench_run_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == lb_bench_run_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
