/* lb-job.c: a long operation with progress, stage, elapsed time and cancel */
#include "config.h"

#include "lb-job.h"

struct _LbJob
{
  GObject       parent_instance;

  char         *title;
  char         *stage;
  double        fraction;
  LbJobState    state;
  char         *error_message;
  GCancellable *cancellable;
  gint64        start_time;
  gint64        end_time;
  double        max_stall_ms;
  double        max_busy_ms;
  GMainContext *context;       /* where progress is delivered */

  /* Written by the worker, read by the idle, both under the lock */
  GMutex        lock;
  double        pending_fraction;
  char         *pending_stage;
  GSource      *pending_source; /* the one idle that flushes the batch */
};

G_DEFINE_FINAL_TYPE (LbJob, lb_job, G_TYPE_OBJECT)

G_DEFINE_ENUM_TYPE (LbJobState, lb_job_state,
  G_DEFINE_ENUM_VALUE (LB_JOB_RUNNING, "running"),
  G_DEFINE_ENUM_VALUE (LB_JOB_SUCCEEDED, "succeeded"),
  G_DEFINE_ENUM_VALUE (LB_JOB_FAILED, "failed"),
  G_DEFINE_ENUM_VALUE (LB_JOB_CANCELLED, "cancelled"))

enum {
  PROP_0,
  PROP_TITLE,
  PROP_STAGE,
  PROP_FRACTION,
  PROP_STATE,
  PROP_RUNNING,
  PROP_ERROR_MESSAGE,
  PROP_MAX_STALL_MS,
  N_PROPS
};

enum {
  FINISHED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void
lb_job_finalize (GObject *object)
{
  LbJob *self = LB_JOB (object);

  /* a pending idle holds a reference, so none can be left here */
  g_assert (self->pending_source == NULL);
  g_clear_pointer (&self->title, g_free);
  g_clear_pointer (&self->stage, g_free);
  g_clear_pointer (&self->error_message, g_free);
  g_clear_pointer (&self->pending_stage, g_free);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (lb_job_parent_class)->finalize (object);
}

static void
lb_job_get_property (GObject    *object,
                     guint       prop_id,
                     GValue     *value,
                     GParamSpec *pspec)
{
  LbJob *self = LB_JOB (object);

  switch (prop_id)
    {
    case PROP_TITLE:
      g_value_set_string (value, self->title);
      break;
    case PROP_STAGE:
      g_value_set_string (value, self->stage);
      break;
    case PROP_FRACTION:
      g_value_set_double (value, self->fraction);
      break;
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    case PROP_RUNNING:
      g_value_set_boolean (value, lb_job_is_running (self));
      break;
    case PROP_ERROR_MESSAGE:
      g_value_set_string (value, self->error_message);
      break;
    case PROP_MAX_STALL_MS:
      g_value_set_double (value, self->max_stall_ms);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lb_job_set_property (GObject      *object,
                     guint         prop_id,
                     const GValue *value,
                     GParamSpec   *pspec)
{
  LbJob *self = LB_JOB (object);

  switch (prop_id)
    {
    case PROP_TITLE:
      g_free (self->title);
      self->title = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lb_job_class_init (LbJobClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = lb_job_finalize;
  object_class->get_property = lb_job_get_property;
  object_class->set_property = lb_job_set_property;

  properties[PROP_TITLE] =
    g_param_spec_string ("title", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_STAGE] =
    g_param_spec_string ("stage", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_FRACTION] =
    g_param_spec_double ("fraction", NULL, NULL, -1.0, 1.0, -1.0,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL, LB_TYPE_JOB_STATE, LB_JOB_RUNNING,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_RUNNING] =
    g_param_spec_boolean ("running", NULL, NULL, TRUE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_ERROR_MESSAGE] =
    g_param_spec_string ("error-message", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_MAX_STALL_MS] =
    g_param_spec_double ("max-stall-ms", NULL, NULL, -1.0, G_MAXDOUBLE, -1.0,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[FINISHED] =
    g_signal_new ("finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
lb_job_init (LbJob *self)
{
  g_mutex_init (&self->lock);
  self->cancellable = g_cancellable_new ();
  self->fraction = -1.0;
  self->pending_fraction = -1.0;
  self->max_stall_ms = -1.0;
  self->max_busy_ms = -1.0;
  self->state = LB_JOB_RUNNING;
  self->start_time = g_get_monotonic_time ();
  self->context = g_main_context_ref_thread_default ();
}

LbJob *
lb_job_new (const char *title)
{
  return g_object_new (LB_TYPE_JOB, "title", title, NULL);
}

const char *
lb_job_get_title (LbJob *self)
{
  g_return_val_if_fail (LB_IS_JOB (self), NULL);
  return self->title;
}

const char *
lb_job_get_stage (LbJob *self)
{
  g_return_val_if_fail (LB_IS_JOB (self), NULL);
  return self->stage;
}

double
lb_job_get_fraction (LbJob *self)
{
  g_return_val_if_fail (LB_IS_JOB (self), -1.0);
  return self->fraction;
}

LbJobState
lb_job_get_state (LbJob *self)
{
  g_return_val_if_fail (LB_IS_JOB (self), LB_JOB_FAILED);
  return self->state;
}

gboolean
lb_job_is_running (LbJob *self)
{
  g_return_val_if_fail (LB_IS_JOB (self), FALSE);
  return self->state == LB_JOB_RUNNING;
}

double
lb_job_get_elapsed (LbJob *self)
{
  gint64 end;

  g_return_val_if_fail (LB_IS_JOB (self), 0.0);
  end = self->state == LB_JOB_RUNNING ? g_get_monotonic_time () : self->end_time;
  return (end - self->start_time) / (double) G_USEC_PER_SEC;
}

const char *
lb_job_get_error_message (LbJob *self)
{
  g_return_val_if_fail (LB_IS_JOB (self), NULL);
  return self->error_message;
}

GCancellable *
lb_job_get_cancellable (LbJob *self)
{
  g_return_val_if_fail (LB_IS_JOB (self), NULL);
  return self->cancellable;
}

void
lb_job_cancel (LbJob *self)
{
  g_return_if_fail (LB_IS_JOB (self));
  g_cancellable_cancel (self->cancellable);
}

double
lb_job_get_max_stall_ms (LbJob *self)
{
  g_return_val_if_fail (LB_IS_JOB (self), -1.0);
  return self->max_stall_ms;
}

double
lb_job_get_max_busy_ms (LbJob *self)
{
  g_return_val_if_fail (LB_IS_JOB (self), -1.0);
  return self->max_busy_ms;
}

void
lb_job_set_main_loop_stall (LbJob *self, double stall_ms, double busy_ms)
{
  g_return_if_fail (LB_IS_JOB (self));
  self->max_busy_ms = busy_ms;
  if (self->max_stall_ms == stall_ms)
    return;
  self->max_stall_ms = stall_ms;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_STALL_MS]);
}

static void
set_stage (LbJob *self, const char *stage)
{
  if (g_strcmp0 (self->stage, stage) == 0)
    return;
  g_free (self->stage);
  self->stage = g_strdup (stage);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STAGE]);
}

static void
set_fraction (LbJob *self, double fraction)
{
  fraction = CLAMP (fraction, -1.0, 1.0);
  if (self->fraction == fraction)
    return;
  self->fraction = fraction;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FRACTION]);
}

/* Main thread: apply everything the worker queued since the last flush */
static gboolean
flush_progress (gpointer data)
{
  LbJob *self = data;
  g_autofree char *stage = NULL;
  double fraction;

  g_mutex_lock (&self->lock);
  fraction = self->pending_fraction;
  stage = g_steal_pointer (&self->pending_stage);
  self->pending_fraction = -1.0;
  g_clear_pointer (&self->pending_source, g_source_unref);
  g_mutex_unlock (&self->lock);

  /* a late batch must not overwrite the final state */
  if (self->state != LB_JOB_RUNNING)
    return G_SOURCE_REMOVE;

  g_object_freeze_notify (G_OBJECT (self));
  if (fraction >= 0.0)
    set_fraction (self, fraction);
  if (stage != NULL)
    set_stage (self, stage);
  g_object_thaw_notify (G_OBJECT (self));

  return G_SOURCE_REMOVE;
}

void
lb_job_report (LbJob *self, double fraction, const char *stage)
{
  g_return_if_fail (LB_IS_JOB (self));

  g_mutex_lock (&self->lock);
  if (fraction >= 0.0)
    self->pending_fraction = MIN (fraction, 1.0);
  if (stage != NULL)
    {
      g_free (self->pending_stage);
      self->pending_stage = g_strdup (stage);
    }
  if (self->pending_source == NULL)
    {
      /* one idle per batch: later reports only update the pending values */
      self->pending_source = g_idle_source_new ();
      g_source_set_priority (self->pending_source, G_PRIORITY_LOW);
      g_source_set_callback (self->pending_source, flush_progress,
                             g_object_ref (self), g_object_unref);
      g_source_set_static_name (self->pending_source, "[lowbit] job progress");
      g_source_attach (self->pending_source, self->context);
    }
  g_mutex_unlock (&self->lock);
}

void
lb_job_progress_func (double fraction, const char *stage, gpointer user_data)
{
  lb_job_report (LB_JOB (user_data), fraction, stage);
}

void
lb_job_complete (LbJob *self, const GError *error)
{
  g_return_if_fail (LB_IS_JOB (self));
  g_return_if_fail (self->state == LB_JOB_RUNNING);

  g_object_freeze_notify (G_OBJECT (self));

  self->end_time = g_get_monotonic_time ();
  if (error == NULL)
    {
      self->state = LB_JOB_SUCCEEDED;
      set_fraction (self, 1.0);
    }
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      self->state = LB_JOB_CANCELLED;
    }
  else
    {
      self->state = LB_JOB_FAILED;
      self->error_message = g_strdup (error->message);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ERROR_MESSAGE]);
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);

  g_object_thaw_notify (G_OBJECT (self));

  g_signal_emit (self, signals[FINISHED], 0);
}

/* lb_job_run_async: an inner task runs func on a worker; when it is back on
 * the main thread the job completes, then the outer task (the one the caller
 * sees) returns, so callers always find the job already finished. */
typedef struct {
  LbJobThreadFunc func;
  gpointer        task_data;
  GDestroyNotify  task_data_free;
  GDestroyNotify  result_free;
  GTask          *outer;
} RunData;

static void
run_data_free (gpointer data)
{
  RunData *run = data;

  if (run->task_data_free != NULL && run->task_data != NULL)
    run->task_data_free (run->task_data);
  g_clear_object (&run->outer);
  g_free (run);
}

static void
run_thread (GTask        *task,
            gpointer      source_object,
            gpointer      task_data,
            GCancellable *cancellable)
{
  RunData *run = task_data;
  GError *error = NULL;
  gpointer result;

  result = run->func (LB_JOB (source_object), run->task_data, cancellable, &error);
  if (error != NULL)
    {
      if (result != NULL && run->result_free != NULL)
        run->result_free (result);
      g_task_return_error (task, error);
    }
  else
    g_task_return_pointer (task, result, run->result_free);
}

static void
run_done (GObject      *source_object,
          GAsyncResult *result,
          gpointer      user_data)
{
  LbJob *self = LB_JOB (source_object);
  RunData *run = g_task_get_task_data (G_TASK (result));
  g_autoptr (GTask) outer = g_steal_pointer (&run->outer);
  GError *error = NULL;
  gpointer value;

  value = g_task_propagate_pointer (G_TASK (result), &error);
  lb_job_complete (self, error);
  if (error != NULL)
    g_task_return_error (outer, error);
  else
    g_task_return_pointer (outer, value, run->result_free);
}

void
lb_job_run_async (LbJob              *self,
                  LbJobThreadFunc     func,
                  gpointer            task_data,
                  GDestroyNotify      task_data_free,
                  GDestroyNotify      result_free,
                  GAsyncReadyCallback callback,
                  gpointer            user_data)
{
  g_autoptr (GTask) inner = NULL;
  RunData *run;

  g_return_if_fail (LB_IS_JOB (self));
  g_return_if_fail (func != NULL);
  g_return_if_fail (self->state == LB_JOB_RUNNING);

  run = g_new0 (RunData, 1);
  run->func = func;
  run->task_data = task_data;
  run->task_data_free = task_data_free;
  run->result_free = result_free;
  run->outer = g_task_new (self, self->cancellable, callback, user_data);
  g_task_set_source_tag (run->outer, lb_job_run_async);
  /* the outer task reports cancellation itself; keep results exact */
  g_task_set_check_cancellable (run->outer, FALSE);

  inner = g_task_new (self, self->cancellable, run_done, NULL);
  g_task_set_source_tag (inner, run_thread);
  g_task_set_check_cancellable (inner, FALSE);
  g_task_set_return_on_cancel (inner, FALSE);
  g_task_set_task_data (inner, run, run_data_free);
  g_task_run_in_thread (inner, run_thread);
}

gpointer
lb_job_run_finish (LbJob        *self,
                   GAsyncResult *result,
                   GError      **error)
{
  g_return_val_if_fail (LB_IS_JOB (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == lb_job_run_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

gboolean
lb_job_take_back (LbJob          **owner,
                  LbJob           *job,
                  gpointer         result,
                  GDestroyNotify   result_free)
{
  g_return_val_if_fail (owner != NULL, FALSE);
  g_return_val_if_fail (LB_IS_JOB (job), FALSE);

  if (*owner != job)
    {
      if (result != NULL && result_free != NULL)
        result_free (result);
      return FALSE;
    }
  g_clear_object (owner);
  return TRUE;
}

void
lb_job_abandon (LbJob **job)
{
  g_return_if_fail (job != NULL);

  if (*job != NULL)
    lb_job_cancel (*job);
  g_clear_object (job);
}
