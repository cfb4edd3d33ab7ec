/* lb-perf-view.c: benchmark jobs (lb_bench_run on a worker) of the
 * session's variant. Memory samples arrive on the sampler's thread; they
 * are queued and drawn by one idle per batch, so the chart grows while the
 * run goes on without the main loop doing more than appending points. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <glib/gi18n.h>

#include "lb-job.h"
#include "lb-format.h"
#include "lb-perf-view.h"
#include "lb-page-layout.h"
#include "lb-stat-card.h"
#include "lb-widgets.h"
#include "lb-view-util.h"
#include "lb-window.h"

enum {
  SERIES_ANON,
  SERIES_FILE,
  N_SERIES
};

enum {
  STAT_DECODE,
  STAT_PROMPT,
  STAT_TTFT,
  STAT_STEP,
  STAT_CPU,
  STAT_MEMORY,
  N_STATS
};

struct _LbPerfView
{
  AdwBin            parent_instance;

  GtkStack         *stack;
  GtkSpinButton    *prompt_spin;
  GtkSpinButton    *gen_spin;
  GtkSpinButton    *repeat_spin;
  AdwComboRow      *kv_row;
  GtkSwitch        *bandwidth_switch;
  LbGauge          *gauge;
  LbLineChart      *memory_chart;
  GtkLabel         *live_label;
  GtkLabel         *stat_values[N_STATS];
  GtkLabel         *stat_details[N_STATS];
  AdwPreferencesGroup *results_group;
  GtkLabel         *process_label;
  AdwActionRow     *no_runs_row;
  AdwPreferencesGroup *history_group;
  GPtrArray        *history_rows;

  LbSession        *session;
  GSettings        *settings;
  LbJob            *job;

  /* samples from the sampler's thread, under the lock */
  GMutex            lock;
  GArray           *pending;       /* LbMemSample */
  guint             flush_id;
  gboolean          disposed;
  double            last_t, last_cpu;
};

G_DEFINE_FINAL_TYPE (LbPerfView, lb_perf_view, ADW_TYPE_BIN)

guint64
lb_perf_model_memory (const LbBenchResult *result, guint64 weight_bytes)
{
  g_return_val_if_fail (result != NULL, 0);
  return result->pool_bytes + weight_bytes;
}

static void
update_target (LbPerfView *self)
{
  if (self->settings != NULL)
    lb_gauge_set_target (self->gauge, g_settings_get_double (self->settings, "target-latency-ms"));
}

static void
update_sensitivity (LbPerfView *self)
{
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "perf.run",
                                 self->session != NULL && self->job == NULL);
}

/* ---- live samples ------------------------------------------------------------------ */

/* Main thread: draw what the sampler queued */
static gboolean
flush_samples (gpointer data)
{
  LbPerfView *self = data;
  g_autoptr (GArray) batch = NULL;

  g_mutex_lock (&self->lock);
  batch = g_steal_pointer (&self->pending);
  self->pending = g_array_new (FALSE, FALSE, sizeof (LbMemSample));
  self->flush_id = 0;
  g_mutex_unlock (&self->lock);

  if (self->disposed)
    {
      g_object_unref (self);
      return G_SOURCE_REMOVE;
    }
  for (guint i = 0; i < batch->len; i++)
    {
      const LbMemSample *s = &g_array_index (batch, LbMemSample, i);

      lb_line_chart_append_point (self->memory_chart, SERIES_ANON, s->t, (double) s->rss_anon);
      lb_line_chart_append_point (self->memory_chart, SERIES_FILE, s->t, (double) s->rss_file);
    }
  if (batch->len > 0)
    {
      const LbMemSample *s = &g_array_index (batch, LbMemSample, batch->len - 1);
      g_autofree char *anon = g_format_size (s->rss_anon);
      g_autofree char *file = g_format_size (s->rss_file);
      g_autofree char *text = NULL;
      double cores = s->t > self->last_t ? (s->cpu - self->last_cpu) / (s->t - self->last_t) : 0;

      /* Translators: live figures while a benchmark runs */
      text = g_strdup_printf (_("%.1f s · anonymous %s · file-backed %s · %.1f processor cores busy"),
                              s->t, anon, file, MAX (cores, 0.0));
      gtk_label_set_label (self->live_label, text);
      self->last_t = s->t;
      self->last_cpu = s->cpu;
    }
  g_object_unref (self);
  return G_SOURCE_REMOVE;
}

/* The sampler's thread */
static void
on_sample (const LbMemSample *sample, gpointer user_data)
{
  LbPerfView *self = user_data;

  g_mutex_lock (&self->lock);
  g_array_append_val (self->pending, *sample);
  if (self->flush_id == 0)
    /* low priority and every 50 ms at most: drawing waits for input */
    self->flush_id = g_timeout_add_full (G_PRIORITY_LOW, 50, flush_samples,
                                         g_object_ref (self), NULL);
  g_mutex_unlock (&self->lock);
}

/* ---- the job ------------------------------------------------------------------------ */

typedef struct {
  LbVariant     *variant;
  LbBenchParams  params;
  LbPerfView    *view;      /* a reference: samples go to it */
  LbJob         *job;
} BenchData;

static void
bench_data_free (gpointer data)
{
  BenchData *d = data;

  g_clear_object (&d->variant);
  g_clear_object (&d->view);
  g_free (d);
}

/* core says "repeat 1/3: prompt of 128 tokens", "decode 8/64", ... */
static void
bench_progress (double fraction, const char *stage, gpointer user_data)
{
  BenchData *d = user_data;
  unsigned int a, b, c;
  g_autofree char *text = NULL;

  if (stage == NULL)
    ;
  else if (sscanf (stage, "repeat %u/%u: prompt of %u tokens", &a, &b, &c) == 3)
    /* Translators: benchmark progress */
    text = g_strdup_printf (_("Run %u of %u: a prompt of %u tokens"), a, b, c);
  else if (sscanf (stage, "decode %u/%u", &a, &b) == 2)
    text = g_strdup_printf (_("Generating token %u of %u"), a, b);
  else if (g_str_equal (stage, "making the engine"))
    text = g_strdup (_("Making the engine"));
  else if (g_str_equal (stage, "warming up"))
    text = g_strdup (_("Warming up"));
  else if (g_str_equal (stage, "measuring memory read bandwidth"))
    text = g_strdup (_("Measuring the memory’s read bandwidth"));
  lb_job_report (d->job, fraction, text != NULL ? text : stage);
}

static gpointer
bench_thread (LbJob *job, gpointer task_data, GCancellable *cancellable, GError **error)
{
  BenchData *d = task_data;
  g_autoptr (LbModel) model = NULL;

  d->job = job;
  model = lb_variant_build_model (d->variant, error);
  if (model == NULL)
    return NULL;
  return lb_bench_run (model, &d->params, on_sample, d->view, bench_progress, d, cancellable,
                       error);
}

/* "1,072": a rate in whole tokens per second */
static char *
rate (double tokens_per_second)
{
  return lb_format_count (isfinite (tokens_per_second) && tokens_per_second > 0
                          ? (guint64) (tokens_per_second + 0.5) : 0);
}

static void
set_stat (LbPerfView *self, guint stat, char *value, char *detail)
{
  lb_stat_card_set (self->stat_values[stat], self->stat_details[stat], value, detail);
}

static void
show_result (LbPerfView *self, const LbBenchResult *r, const char *label, guint64 memory,
             gboolean current)
{
  g_autofree char *title = NULL;
  g_autofree char *a = NULL;
  g_autofree char *b = NULL;
  g_autofree char *c = NULL;
  g_autofree char *decode = NULL;
  g_autofree char *prompt = NULL;

  if (r == NULL)
    {
      for (guint i = 0; i < N_STATS; i++)
        set_stat (self, i, NULL, NULL);
      lb_gauge_set_value (self->gauge, NAN);
      lb_group_set_description (self->results_group,
        _("The current precision map on the fast engine, as llama-bench measures: a prompt "
          "of random tokens in one batch, then one token at a time."));
      gtk_label_set_label (self->process_label, "");
      return;
    }
  lb_gauge_set_value (self->gauge, r->decode_ms_mean);
  title = current ? g_strdup_printf (_("Measured: %s"), label)
                  /* Translators: a benchmark made before the last change of types */
                  : g_strdup_printf (_("Measured: %s, before the last change of types"), label);
  lb_group_set_description (self->results_group, title);

  /* Translators: tokens per second, in a large figure */
  decode = rate (r->decode_tok_s);
  prompt = rate (r->prompt_tok_s);
  set_stat (self, STAT_DECODE, g_strdup_printf (_("%s tokens/s"), decode),
            r->roofline_tok_s > 0
            /* Translators: spread, and the speed the memory bandwidth allows */
            ? g_strdup_printf (_("± %.0f · %.0f%% of the bandwidth limit"),
                               r->decode_tok_s_stddev, r->roofline_pct)
            : g_strdup_printf (_("± %.0f, one token at a time"), r->decode_tok_s_stddev));
  if (r->params.n_prompt > 0)
    set_stat (self, STAT_PROMPT, g_strdup_printf (_("%s tokens/s"), prompt),
              /* Translators: spread, prompt length */
              g_strdup_printf (_("± %.0f, %u tokens in one batch"), r->prompt_tok_s_stddev,
                               r->params.n_prompt));
  else
    set_stat (self, STAT_PROMPT, g_strdup ("—"), g_strdup (_("No prompt")));
  set_stat (self, STAT_TTFT, g_strdup_printf (_("%.1f ms"), r->ttft_ms),
            g_strdup (_("The prompt, then one token")));
  /* Translators: mean time per generated token; then the median and 95th percentile */
  set_stat (self, STAT_STEP, g_strdup_printf (_("%.2f ms"), r->decode_ms_mean),
            g_strdup_printf (_("Mean; median %.2f ms, 95%% %.2f ms"), r->decode_ms_p50,
                             r->decode_ms_p95));
  /* Translators: processor cores busy on average */
  set_stat (self, STAT_CPU, g_strdup_printf (_("%.2f cores"), r->cpu_cores_busy),
            g_strdup_printf (_("%.0f%% of %u threads"), r->cpu_util_pct, r->params.n_threads));
  a = g_format_size (memory > r->pool_bytes ? memory - r->pool_bytes : 0);
  b = g_format_size (r->pool_bytes);
  /* Translators: the weights, and the engine's memory (KV cache, activations) */
  set_stat (self, STAT_MEMORY, g_format_size (memory),
            g_strdup_printf (_("Weights %s, engine %s"), a, b));
  g_free (a);
  g_free (b);
  a = g_format_size (r->peak_rss);
  b = g_format_size (r->peak_anon);
  c = g_format_size (r->peak_file);
  {
    /* Translators: the whole workbench process: peak resident, anonymous, file-backed */
    g_autofree char *text = g_strdup_printf (_("The workbench process peaked at %s "
                                               "(anonymous %s, file-backed %s)."), a, b, c);

    gtk_label_set_label (self->process_label, text);
  }
}

static void
add_history (LbPerfView *self, const LbBenchResult *r, const char *label, guint64 memory)
{
  GtkWidget *row = adw_action_row_new ();
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *time = g_date_time_format (now, "%X");
  g_autofree char *mem = g_format_size (memory);
  g_autofree char *subtitle = NULL;
  g_autofree char *value = g_strdup_printf (_("%.2f ms"), r->decode_ms_mean);
  GtkWidget *label_widget = gtk_label_new (value);

  /* Translators: a past benchmark: time, decode speed, prompt speed, memory */
  subtitle = g_strdup_printf (_("%s · %.0f tokens/s decoding · %.0f tokens/s prompt · %s"),
                              time, r->decode_tok_s, r->prompt_tok_s, mem);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), label);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  gtk_widget_add_css_class (label_widget, "numeric");
  gtk_widget_add_css_class (label_widget, "lb-row-value");
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), label_widget);
  lb_page_single_line_rows (row);
  gtk_widget_set_visible (GTK_WIDGET (self->no_runs_row), FALSE);
  /* newest first */
  if (self->history_rows->len == 0)
    adw_preferences_group_add (self->history_group, row);
  else
    {
      /* AdwPreferencesGroup appends only: rebuild in order */
      for (guint i = 0; i < self->history_rows->len; i++)
        adw_preferences_group_remove (self->history_group,
                                      g_ptr_array_index (self->history_rows, i));
      adw_preferences_group_add (self->history_group, row);
      for (guint i = 0; i < self->history_rows->len; i++)
        adw_preferences_group_add (self->history_group,
                                   g_ptr_array_index (self->history_rows, i));
    }
  g_ptr_array_insert (self->history_rows, 0, g_object_ref (row));
}

static void
on_benchmarked (GObject *source, GAsyncResult *result, gpointer user_data)
{
  LbJob *job = LB_JOB (source);
  g_autoptr (LbPerfView) self = user_data;
  g_autoptr (GError) error = NULL;
  LbBenchResult *r = lb_job_run_finish (job, result, &error);
  guint revision = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (job), "lb-revision"));
  const char *label = g_object_get_data (G_OBJECT (job), "lb-label");
  guint64 weights = GPOINTER_TO_SIZE (g_object_get_data (G_OBJECT (job), "lb-weights"));
  guint64 memory;

  if (!lb_job_take_back (&self->job, job, r, (GDestroyNotify) lb_bench_result_free))
    return;
  update_sensitivity (self);
  if (r == NULL)
    {
      lb_view_show_job_error (GTK_WIDGET (self), _("Could Not Run the Benchmark"), error,
                              _("Benchmark cancelled"));
      return;
    }
  /* the whole series, in case the live batches missed the last one */
  if (r->samples != NULL && r->samples->len > 0)
    {
      guint n = r->samples->len;
      g_autofree double *t = g_new (double, n);
      g_autofree double *anon = g_new (double, n);
      g_autofree double *file = g_new (double, n);

      for (guint i = 0; i < n; i++)
        {
          const LbMemSample *s = &g_array_index (r->samples, LbMemSample, i);

          t[i] = s->t;
          anon[i] = s->rss_anon;
          file[i] = s->rss_file;
        }
      lb_line_chart_set_series_data (self->memory_chart, SERIES_ANON, n, t, anon);
      lb_line_chart_set_series_data (self->memory_chart, SERIES_FILE, n, t, file);
    }
  memory = lb_perf_model_memory (r, weights);
  show_result (self, r, label, memory, TRUE);
  add_history (self, r, label, memory);
  if (self->session != NULL)
    lb_session_set_bench_result (self->session, r, revision, label, memory);
  else
    lb_bench_result_free (r);
}

void
lb_perf_view_run (LbPerfView *self)
{
  LbWindow *window;
  g_autoptr (LbJob) job = NULL;
  g_autofree char *label = NULL;
  g_autofree char *title = NULL;
  LbBenchParams defaults = LB_BENCH_PARAMS_INIT;
  BenchData *d;

  g_return_if_fail (LB_IS_PERF_VIEW (self));

  window = lb_view_get_window (GTK_WIDGET (self));
  if (self->session == NULL || window == NULL || self->job != NULL)
    return;

  d = g_new0 (BenchData, 1);
  d->variant = g_object_ref (lb_session_get_variant (self->session));
  d->view = g_object_ref (self);
  d->params = defaults;
  d->params.n_prompt = (guint) gtk_spin_button_get_value_as_int (self->prompt_spin);
  d->params.n_gen = (guint) gtk_spin_button_get_value_as_int (self->gen_spin);
  d->params.n_repeat = (guint) gtk_spin_button_get_value_as_int (self->repeat_spin);
  d->params.n_threads = lb_session_get_n_threads (self->session);
  d->params.kv_type = adw_combo_row_get_selected (self->kv_row) == 1 ? LB_TYPE_Q8_0 : LB_TYPE_F16;
  d->params.skip_bandwidth = !gtk_switch_get_active (self->bandwidth_switch);

  lb_line_chart_set_series_data (self->memory_chart, SERIES_ANON, 0, NULL, NULL);
  lb_line_chart_set_series_data (self->memory_chart, SERIES_FILE, 0, NULL, NULL);
  self->last_t = self->last_cpu = 0;

  label = lb_session_dup_label (self->session);
  /* Translators: "Benchmarking Q4_K_M" */
  title = g_strdup_printf (_("Benchmarking %s"), label);
  job = lb_job_new (title);
  g_object_set_data (G_OBJECT (job), "lb-revision",
                     GUINT_TO_POINTER (lb_session_get_revision (self->session)));
  g_object_set_data_full (G_OBJECT (job), "lb-label", g_strdup (label), g_free);
  g_object_set_data (G_OBJECT (job), "lb-weights",
                     GSIZE_TO_POINTER ((gsize) lb_session_get_data_bytes (self->session)));
  lb_job_report (job, 0.0, _("Starting"));
  self->job = g_object_ref (job);
  update_sensitivity (self);
  lb_window_add_job (window, job);
  lb_job_run_async (job, bench_thread, d, bench_data_free, (GDestroyNotify) lb_bench_result_free,
                    on_benchmarked, g_object_ref (self));
}

void
lb_perf_view_set_sizes (LbPerfView *self, guint n_prompt, guint n_gen, guint n_repeat)
{
  g_return_if_fail (LB_IS_PERF_VIEW (self));
  gtk_spin_button_set_value (self->prompt_spin, n_prompt);
  gtk_spin_button_set_value (self->gen_spin, n_gen);
  gtk_spin_button_set_value (self->repeat_spin, n_repeat);
}

static void
run_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  lb_perf_view_run (LB_PERF_VIEW (widget));
}

/* ---- the session ------------------------------------------------------------------- */

static void
show_session_result (LbPerfView *self)
{
  const LbBenchResult *r;
  guint revision;

  if (self->session == NULL || self->job != NULL)
    return;
  r = lb_session_get_bench_result (self->session, &revision);
  if (r != NULL)
    show_result (self, r, lb_session_get_bench_label (self->session),
                 lb_session_get_bench_memory (self->session),
                 revision == lb_session_get_revision (self->session));
}

void
lb_perf_view_set_session (LbPerfView *self, LbSession *session)
{
  g_return_if_fail (LB_IS_PERF_VIEW (self));

  if (!lb_view_replace_session (self, &self->session, session, &self->job))
    return;
  for (guint i = 0; i < self->history_rows->len; i++)
    adw_preferences_group_remove (self->history_group, g_ptr_array_index (self->history_rows, i));
  g_ptr_array_set_size (self->history_rows, 0);
  gtk_widget_set_visible (GTK_WIDGET (self->no_runs_row), TRUE);
  lb_line_chart_set_series_data (self->memory_chart, SERIES_ANON, 0, NULL, NULL);
  lb_line_chart_set_series_data (self->memory_chart, SERIES_FILE, 0, NULL, NULL);
  show_result (self, NULL, NULL, 0, FALSE);
  if (session != NULL)
    g_signal_connect_swapped (session, "changed", G_CALLBACK (show_session_result), self);
  update_sensitivity (self);
  gtk_stack_set_visible_child_name (self->stack, session != NULL ? "perf" : "empty");
}

void
lb_perf_view_set_settings (LbPerfView *self, GSettings *settings)
{
  g_return_if_fail (LB_IS_PERF_VIEW (self));

  g_set_object (&self->settings, settings);
  g_signal_connect_object (settings, "changed::target-latency-ms", G_CALLBACK (update_target),
                           self, G_CONNECT_SWAPPED);
  update_target (self);
}

/* ---- building the page --------------------------------------------------------------- */

static GtkSpinButton *
add_spin_row (AdwPreferencesGroup *group, const char *title, double lo, double hi, double value)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *spin = gtk_spin_button_new_with_range (lo, hi, 1);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (spin), value);
  gtk_widget_set_valign (spin, GTK_ALIGN_CENTER);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), spin);
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), spin);
  adw_preferences_group_add (group, row);
  return GTK_SPIN_BUTTON (spin);
}

static void
lb_perf_view_dispose (GObject *object)
{
  LbPerfView *self = LB_PERF_VIEW (object);

  self->disposed = TRUE;
  lb_view_release_session (self, self->session, &self->job);
  g_clear_object (&self->session);
  g_clear_object (&self->settings);
  g_clear_pointer (&self->history_rows, g_ptr_array_unref);

  G_OBJECT_CLASS (lb_perf_view_parent_class)->dispose (object);
}

static void
lb_perf_view_finalize (GObject *object)
{
  LbPerfView *self = LB_PERF_VIEW (object);

  /* a pending flush holds a reference, so none is left here */
  g_clear_pointer (&self->pending, g_array_unref);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (lb_perf_view_parent_class)->finalize (object);
}

static void
lb_perf_view_class_init (LbPerfViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = lb_perf_view_dispose;
  object_class->finalize = lb_perf_view_finalize;

  gtk_widget_class_install_action (widget_class, "perf.run", NULL, run_action);
}

static void
lb_perf_view_init (LbPerfView *self)
{
  GtkWidget *empty = adw_status_page_new ();
  GtkWidget *scrolled = gtk_scrolled_window_new ();
  GtkWidget *clamp = adw_clamp_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 24);
  GtkWidget *top = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 18);
  GtkWidget *bottom = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 30);
  GtkWidget *stats = gtk_grid_new ();
  AdwPreferencesGroup *run = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  AdwPreferencesGroup *memory = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  GtkWidget *gauge_card = lb_view_card_new ();
  GtkWidget *chart_card = lb_view_card_new ();
  GtkWidget *button, *row;
  g_autoptr (GtkStringList) kv_types = gtk_string_list_new (NULL);
  static const struct {
    const char *title;
    guint       col, row;
  } cards[N_STATS] = {
    [STAT_DECODE] = { N_("Decoding"), 0, 0 },
    [STAT_PROMPT] = { N_("Prompt"), 1, 0 },
    [STAT_TTFT] = { N_("Time to First Token"), 2, 0 },
    [STAT_STEP] = { N_("Time per Token"), 0, 1 },
    [STAT_CPU] = { N_("Processor Use"), 1, 1 },
    [STAT_MEMORY] = { N_("Memory of the Model"), 2, 1 },
  };

  g_mutex_init (&self->lock);
  self->pending = g_array_new (FALSE, FALSE, sizeof (LbMemSample));
  self->history_rows = g_ptr_array_new_with_free_func (g_object_unref);

  adw_status_page_set_icon_name (ADW_STATUS_PAGE (empty), "lb-perf-symbolic");
  adw_status_page_set_title (ADW_STATUS_PAGE (empty), _("Performance"));
  adw_status_page_set_description (ADW_STATUS_PAGE (empty),
                                   _("Open a model to measure how fast it runs on this computer."));

  /* the figures, and the gauge against the latency target */
  self->results_group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  lb_group_set_title (self->results_group, _("Benchmark"));
  button = gtk_button_new_with_mnemonic (_("_Run Benchmark"));
  gtk_actionable_set_action_name (GTK_ACTIONABLE (button), "perf.run");
  gtk_widget_add_css_class (button, "suggested-action");
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  lb_group_set_suffix (self->results_group, button);

  self->gauge = LB_GAUGE (lb_gauge_new ());
  lb_gauge_set_title (self->gauge, _("Time per token"));
  lb_gauge_set_unit (self->gauge, _("ms"));
  lb_gauge_set_digits (self->gauge, 2);
  lb_gauge_set_has_target (self->gauge, TRUE);
  lb_gauge_set_lower_is_better (self->gauge, TRUE);
  lb_gauge_set_value (self->gauge, NAN);
  gtk_widget_set_size_request (GTK_WIDGET (self->gauge), 280, 230);
  gtk_widget_set_vexpand (GTK_WIDGET (self->gauge), TRUE);
  gtk_box_append (GTK_BOX (gauge_card), GTK_WIDGET (self->gauge));
  lb_columns_append (top, gauge_card);

  gtk_grid_set_row_spacing (GTK_GRID (stats), 12);
  gtk_grid_set_column_spacing (GTK_GRID (stats), 12);
  gtk_grid_set_column_homogeneous (GTK_GRID (stats), TRUE);
  gtk_grid_set_row_homogeneous (GTK_GRID (stats), TRUE);
  gtk_widget_set_hexpand (stats, TRUE);
  for (guint i = 0; i < N_STATS; i++)
    gtk_grid_attach (GTK_GRID (stats),
                     lb_stat_card_new (_(cards[i].title), &self->stat_values[i],
                                       &self->stat_details[i]),
                     cards[i].col, cards[i].row, 1, 1);
  lb_columns_append (top, stats);
  adw_preferences_group_add (self->results_group, top);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->results_group));

  /* memory over time */
  lb_group_set_title (memory, _("Memory While It Runs"));
  lb_group_set_description (memory,
    _("Resident memory of the workbench: anonymous (heap, KV cache, activations) and "
      "file-backed (mapped weights), sampled every 10 ms."));
  self->memory_chart = LB_LINE_CHART (lb_line_chart_new ());
  lb_line_chart_add_series (self->memory_chart, _("Anonymous"));
  lb_line_chart_add_series (self->memory_chart, _("File-backed"));
  lb_line_chart_set_series_fill (self->memory_chart, SERIES_ANON, TRUE);
  lb_line_chart_set_x_label (self->memory_chart, _("Time"));
  lb_line_chart_set_y_label (self->memory_chart, _("Resident"));
  lb_line_chart_set_x_format (self->memory_chart, LB_CHART_FORMAT_TIME);
  lb_line_chart_set_y_format (self->memory_chart, LB_CHART_FORMAT_BYTES);
  lb_line_chart_set_y_from_zero (self->memory_chart, TRUE);
  gtk_widget_set_size_request (GTK_WIDGET (self->memory_chart), -1, 240);
  gtk_box_append (GTK_BOX (chart_card), GTK_WIDGET (self->memory_chart));
  self->live_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_xalign (self->live_label, 0.0f);
  gtk_widget_add_css_class (GTK_WIDGET (self->live_label), "caption");
  gtk_widget_add_css_class (GTK_WIDGET (self->live_label), "dim-label");
  gtk_widget_add_css_class (GTK_WIDGET (self->live_label), "numeric");
  gtk_box_append (GTK_BOX (chart_card), GTK_WIDGET (self->live_label));
  self->process_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_xalign (self->process_label, 0.0f);
  gtk_label_set_wrap (self->process_label, TRUE);
  gtk_widget_add_css_class (GTK_WIDGET (self->process_label), "caption");
  gtk_widget_add_css_class (GTK_WIDGET (self->process_label), "dim-label");
  gtk_box_append (GTK_BOX (chart_card), GTK_WIDGET (self->process_label));
  adw_preferences_group_add (memory, chart_card);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (memory));

  /* how it runs, and the runs so far */
  lb_group_set_title (run, _("Settings"));
  self->prompt_spin = add_spin_row (run, _("Prompt Tokens"), 0, 4096, 128);
  self->gen_spin = add_spin_row (run, _("Generated Tokens"), 1, 4096, 64);
  self->repeat_spin = add_spin_row (run, _("Repeats"), 1, 100, 3);
  gtk_string_list_append (kv_types, "F16");
  gtk_string_list_append (kv_types, "Q8_0");
  self->kv_row = ADW_COMBO_ROW (adw_combo_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->kv_row), _("KV Cache Type"));
  adw_combo_row_set_model (self->kv_row, G_LIST_MODEL (kv_types));
  adw_preferences_group_add (run, GTK_WIDGET (self->kv_row));
  row = adw_action_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _("Memory Bandwidth"));
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row),
                               _("Also measure it, to see how close decoding comes to the limit"));
  self->bandwidth_switch = GTK_SWITCH (gtk_switch_new ());
  gtk_widget_set_valign (GTK_WIDGET (self->bandwidth_switch), GTK_ALIGN_CENTER);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), GTK_WIDGET (self->bandwidth_switch));
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), GTK_WIDGET (self->bandwidth_switch));
  adw_preferences_group_add (run, row);
  gtk_widget_set_valign (GTK_WIDGET (run), GTK_ALIGN_START);
  gtk_box_append (GTK_BOX (bottom), GTK_WIDGET (run));

  self->history_group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  lb_group_set_title (self->history_group, _("Runs"));
  self->no_runs_row = ADW_ACTION_ROW (adw_action_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->no_runs_row), _("No Runs Yet"));
  adw_action_row_set_subtitle (self->no_runs_row,
                               _("Each benchmark of this model is listed here, newest first."));
  gtk_widget_add_css_class (GTK_WIDGET (self->no_runs_row), "dim-label");
  adw_preferences_group_add (self->history_group, GTK_WIDGET (self->no_runs_row));
  gtk_widget_set_valign (GTK_WIDGET (self->history_group), GTK_ALIGN_START);
  gtk_box_append (GTK_BOX (bottom), GTK_WIDGET (self->history_group));
  gtk_box_set_homogeneous (GTK_BOX (bottom), TRUE);
  gtk_box_append (GTK_BOX (box), bottom);

  gtk_widget_set_margin_top (box, 24);
  gtk_widget_set_margin_bottom (box, 30);
  gtk_widget_set_margin_start (box, 18);
  gtk_widget_set_margin_end (box, 18);
  adw_clamp_set_maximum_size (ADW_CLAMP (clamp), 1400);
  adw_clamp_set_child (ADW_CLAMP (clamp), box);
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scrolled), GTK_POLICY_NEVER,
                                  GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), lb_page_box_new (clamp));

  self->stack = GTK_STACK (gtk_stack_new ());
  gtk_stack_add_named (self->stack, empty, "empty");
  gtk_stack_add_named (self->stack, scrolled, "perf");
  adw_bin_set_child (ADW_BIN (self), GTK_WIDGET (self->stack));
  show_result (self, NULL, NULL, 0, FALSE);
  update_sensitivity (self);
  lb_page_single_line_rows (GTK_WIDGET (self));
}

GtkWidget *
lb_perf_view_new (void)
{
  return g_object_new (LB_TYPE_PERF_VIEW, NULL);
}
