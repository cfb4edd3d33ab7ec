/* lb-job.h: one long operation of the workbench (load, export, ...): a
 * title, a stage text, a progress fraction, elapsed time, a cancellable and
 * the outcome. Work runs on a worker thread; progress reaches the main
 * thread through one low-priority idle per batch of updates. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef enum {
  LB_JOB_RUNNING,
  LB_JOB_SUCCEEDED,
  LB_JOB_FAILED,
  LB_JOB_CANCELLED,
} LbJobState;

#define LB_TYPE_JOB_STATE (lb_job_state_get_type ())
GType lb_job_state_get_type (void) G_GNUC_CONST;

#define LB_TYPE_JOB (lb_job_get_type ())
G_DECLARE_FINAL_TYPE (LbJob, lb_job, LB, JOB, GObject)

/* Work done on a worker thread. Return the result (NULL is a valid result)
 * or set error. Never touch GTK here. */
typedef gpointer (*LbJobThreadFunc) (LbJob        *job,
                                     gpointer      task_data,
                                     GCancellable *cancellable,
                                     GError      **error);

/* A new job starts in LB_JOB_RUNNING with its clock running. */
LbJob        *lb_job_new               (const char *title);

/* Main thread */
const char   *lb_job_get_title         (LbJob *self);
const char   *lb_job_get_stage         (LbJob *self);
/* In [0, 1]; negative while the work cannot say how far it is */
double        lb_job_get_fraction      (LbJob *self);
LbJobState    lb_job_get_state         (LbJob *self);
gboolean      lb_job_is_running        (LbJob *self);
/* Seconds since the start, frozen once finished */
double        lb_job_get_elapsed       (LbJob *self);
/* The error message of a failed job, else NULL */
const char   *lb_job_get_error_message (LbJob *self);
GCancellable *lb_job_get_cancellable   (LbJob *self);
void          lb_job_cancel            (LbJob *self);
/* The main loop while the job ran, set by whoever watches it
 * (LbStallMonitor), -1 until then: the longest gap between two ticks of a
 * 10 ms timer (wall clock), and the most CPU time the main thread spent
 * between two ticks (busy). */
double        lb_job_get_max_stall_ms  (LbJob *self);
double        lb_job_get_max_busy_ms   (LbJob *self);
void          lb_job_set_main_loop_stall (LbJob *self, double stall_ms, double busy_ms);

/* Any thread: queue a progress update (fraction < 0 keeps the current one,
 * stage NULL keeps the current text). Updates are coalesced. */
void          lb_job_report            (LbJob *self, double fraction, const char *stage);
/* An LbProgressFunc; user_data is the job */
void          lb_job_progress_func     (double fraction, const char *stage, gpointer user_data);

/* Runs func on a worker thread. When it is done (main thread) the job's
 * state changes first, then callback runs; lb_job_run_finish gives the
 * result. result_free frees a result nobody took. */
void          lb_job_run_async         (LbJob              *self,
                                        LbJobThreadFunc     func,
                                        gpointer            task_data,
                                        GDestroyNotify      task_data_free,
                                        GDestroyNotify      result_free,
                                        GAsyncReadyCallback callback,
                                        gpointer            user_data);
gpointer      lb_job_run_finish        (LbJob        *self,
                                        GAsyncResult *result,
                                        GError      **error);

/* Cancels *job (if any) and drops it */
void          lb_job_abandon           (LbJob **job);

/* In a job's callback: whether job is still the one *owner holds. If so it
 * is dropped from *owner; if not (replaced by a newer job, or let go of)
 * its result is freed with result_free (if both are not NULL). */
gboolean      lb_job_take_back         (LbJob         **owner,
                                        LbJob          *job,
                                        gpointer        result,
                                        GDestroyNotify  result_free);

/* For core _async/_finish pairs that run their own threads: mark the job
 * done once the _finish call has returned. error NULL means success; a
 * G_IO_ERROR_CANCELLED error means cancelled. Emits "finished". */
void          lb_job_complete          (LbJob *self, const GError *error);

G_END_DECLS
