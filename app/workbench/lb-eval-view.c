/* lb-eval-view.c: evaluation jobs (lb_eval_run on a worker) of the
 * session's variant against its base model, their figures, the overview's
 * accuracy tile (through the session), and the Pareto chart of every map
 * and preset evaluated. The reference's log-probabilities are saved to a
 * cache by the first run over a text, so later runs compute only the
 * candidate. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "lb-eval-view.h"
#include "lb-page-layout.h"
#include "lb-format.h"
#include "lb-job.h"
#include "lb-quantize.h"
#include "lb-stat-card.h"
#include "lb-widgets.h"
#include "lb-view-util.h"
#include "lb-window.h"

#define DEFAULT_N_CHUNKS 4
#define DEFAULT_N_CTX    512

enum {
  GROUP_PRESETS,
  GROUP_MAPS,
  N_GROUPS
};

typedef struct {
  char    *label;
  double   bytes;
  double   kld;
  guint    group;
} ParetoPoint;

static void
pareto_point_free (gpointer data)
{
  ParetoPoint *p = data;

  g_free (p->label);
  g_free (p);
}

typedef enum {
  STAT_KLD,
  STAT_TOP1,
  STAT_PPL,
  STAT_PPL_BASE,
  N_STATS
} Stat;

enum {
  ROW_KLD_MAX,
  ROW_KLD_99_9,
  ROW_KLD_99,
  ROW_KLD_90,
  ROW_KLD_MEDIAN,
  ROW_TOP5,
  ROW_DP,
  ROW_DP_RMS,
  ROW_LOGITS,
  ROW_RUN,
  N_ROWS
};

struct _LbEvalView
{
  AdwBin            parent_instance;

  GtkStack         *stack;
  AdwActionRow     *text_row;
  GtkSpinButton    *chunks_spin;
  GtkSpinButton    *ctx_spin;
  GtkButton        *run_button;
  GtkButton        *presets_button;
  AdwPreferencesGroup *results_group;
  GtkWidget        *tables_box;
  GtkLabel         *stat_values[N_STATS];
  GtkLabel         *stat_details[N_STATS];
  GtkLabel         *rows[N_ROWS];
  GtkLabel         *results_status;
  LbScatterChart   *pareto;

  char             *text_path;
  LbSession        *session;
  GSettings        *settings;
  GPtrArray        *points;        /* ParetoPoint * */
  char             *cache_dir;     /* reference caches of this session */
  GHashTable       *caches_ready;  /* cache paths written in full */
  LbJob            *job;
  GtkNativeDialog  *chooser;
};

G_DEFINE_FINAL_TYPE (LbEvalView, lb_eval_view, ADW_TYPE_BIN)

char *
lb_eval_view_find_default_text (void)
{
  const char *shared = g_getenv ("LB_SHARED_DIR");
  g_autofree char *from_env = shared != NULL && *shared != '\0'
                              ? g_build_filename (shared, "text", "wikitext2-test.txt", NULL)
                              : NULL;
  g_autofree char *beside = g_build_filename (LB_SOURCE_DATADIR, "..", "..", "shared", "text",
                                              "wikitext2-test.txt", NULL);

  if (from_env != NULL && g_file_test (from_env, G_FILE_TEST_IS_REGULAR))
    return g_canonicalize_filename (from_env, NULL);
  if (g_file_test (beside, G_FILE_TEST_IS_REGULAR))
    return g_canonicalize_filename (beside, NULL);
  return NULL;
}

/* ---- settings of the run ------------------------------------------------------------ */

static void
update_sensitivity (LbEvalView *self)
{
  gboolean ready = self->session != NULL && self->text_path != NULL && self->job == NULL;

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "eval.run", ready);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "eval.presets", ready);
}

const char *
lb_eval_view_get_text (LbEvalView *self)
{
  g_return_val_if_fail (LB_IS_EVAL_VIEW (self), NULL);
  return self->text_path;
}

void
lb_eval_view_set_text (LbEvalView *self, const char *path)
{
  g_autofree char *name = NULL;

  g_return_if_fail (LB_IS_EVAL_VIEW (self));

  g_free (self->text_path);
  self->text_path = g_strdup (path);
  name = path != NULL ? g_path_get_basename (path) : NULL;
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->text_row),
                                 name != NULL ? name : _("No Text Chosen"));
  adw_action_row_set_subtitle (self->text_row,
                               path != NULL ? path
                                            : _("Choose a text the model has not been trained on"));
  update_sensitivity (self);
}

guint
lb_eval_view_get_n_chunks (LbEvalView *self)
{
  g_return_val_if_fail (LB_IS_EVAL_VIEW (self), 0);
  return (guint) gtk_spin_button_get_value_as_int (self->chunks_spin);
}

void
lb_eval_view_set_n_chunks (LbEvalView *self, guint n_chunks)
{
  g_return_if_fail (LB_IS_EVAL_VIEW (self));
  gtk_spin_button_set_value (self->chunks_spin, n_chunks);
}

guint
lb_eval_view_get_n_ctx (LbEvalView *self)
{
  g_return_val_if_fail (LB_IS_EVAL_VIEW (self), 0);
  return (guint) gtk_spin_button_get_value_as_int (self->ctx_spin);
}

/* The reference cache for this text and chunking */
static char *
cache_path (LbEvalView *self, guint n_ctx, guint n_chunks)
{
  g_autofree char *key = NULL;
  g_autofree char *sum = NULL;
  g_autofree char *name = NULL;

  if (self->cache_dir == NULL)
    {
      g_autoptr (GError) error = NULL;

      self->cache_dir = g_dir_make_tmp ("lowbit-eval-XXXXXX", &error);
      if (self->cache_dir == NULL)
        return NULL;   /* then every run computes the reference */
    }
  key = g_strdup_printf ("%s\n%u\n%u", self->text_path, n_ctx, n_chunks);
  sum = g_compute_checksum_for_string (G_CHECKSUM_SHA256, key, -1);
  name = g_strdup_printf ("reference-%.16s.cache", sum);
  return g_build_filename (self->cache_dir, name, NULL);
}

static void
remove_caches (LbEvalView *self)
{
  GHashTableIter iter;
  gpointer key;

  if (self->cache_dir == NULL)
    return;
  g_hash_table_iter_init (&iter, self->caches_ready);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_unlink (key);
  g_hash_table_remove_all (self->caches_ready);
  /* a cancelled first run may have left its cache half-written */
  {
    g_autoptr (GDir) dir = g_dir_open (self->cache_dir, 0, NULL);
    const char *name;

    while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
      {
        g_autofree char *path = g_build_filename (self->cache_dir, name, NULL);

        g_unlink (path);
      }
  }
  g_rmdir (self->cache_dir);
  g_clear_pointer (&self->cache_dir, g_free);
}

/* ---- the Pareto chart ----------------------------------------------------------- */

static void
show_pareto (LbEvalView *self)
{
  guint n = self->points->len;
  g_autofree double *x = g_new0 (double, n + 1);
  g_autofree double *y = g_new0 (double, n + 1);
  g_autofree const char **labels = g_new0 (const char *, n + 1);
  g_autofree guint *groups = g_new0 (guint, n + 1);
  g_autofree char *current = self->session != NULL ? lb_session_dup_label (self->session) : NULL;
  int highlight = -1;

  for (guint i = 0; i < n; i++)
    {
      ParetoPoint *p = g_ptr_array_index (self->points, i);

      x[i] = p->bytes;
      /* a KLD of 0 (the model against itself) has no place on a log axis */
      y[i] = MAX (p->kld, 1e-6);
      labels[i] = p->label;
      groups[i] = p->group;
      if (g_strcmp0 (p->label, current) == 0)
        highlight = (int) i;
    }
  lb_scatter_chart_set_points (self->pareto, n, x, y, labels, groups);
  lb_scatter_chart_set_highlight (self->pareto, highlight);
}

static void
add_point (LbEvalView *self, const char *label, double bytes, double kld, guint group)
{
  ParetoPoint *p;

  if (!isfinite (kld) || !(bytes > 0))
    return;
  /* a map evaluated again replaces its point */
  for (guint i = 0; i < self->points->len; i++)
    {
      p = g_ptr_array_index (self->points, i);
      if (g_strcmp0 (p->label, label) == 0 && p->bytes == bytes)
        {
          g_ptr_array_remove_index (self->points, i);
          break;
        }
    }
  p = g_new0 (ParetoPoint, 1);
  p->label = g_strdup (label);
  p->bytes = bytes;
  p->kld = kld;
  p->group = group;
  g_ptr_array_add (self->points, p);
}

/* ---- showing a result ------------------------------------------------------------ */

static void
set_row (LbEvalView *self, guint row, char *text)
{
  gtk_label_set_label (self->rows[row], text);
  g_free (text);
}

static void
set_stat (LbEvalView *self, Stat stat, char *value, char *detail)
{
  lb_stat_card_set (self->stat_values[stat], self->stat_details[stat], value, detail);
}

static void
show_result (LbEvalView *self, const LbEvalResult *r, const char *label, gboolean current)
{
  g_autofree char *title = NULL;

  if (r == NULL)
    {
      gtk_widget_set_visible (GTK_WIDGET (self->results_group), FALSE);
      gtk_widget_set_visible (self->tables_box, FALSE);
      return;
    }
  /* Translators: "Q4_K_M against the original" */
  title = g_strdup_printf (_("%s against the original"), label);
  lb_group_set_title (self->results_group, title);
  gtk_label_set_label (self->results_status,
                       current ? "" : _("Measured before the last change of types: evaluate "
                                        "again to see the current map."));
  gtk_widget_set_visible (GTK_WIDGET (self->results_status), !current);

  set_stat (self, STAT_KLD, g_strdup_printf ("%.4f", r->mean_kld),
            g_strdup_printf (_("± %.4f nats"), r->mean_kld_error));
  /* Translators: accuracy loss as the brief defines it: 1 - same top-1 */
  set_stat (self, STAT_TOP1, g_strdup_printf ("%.2f%%", 100 * r->same_top1),
            g_strdup_printf (_("± %.2f%% · loss %.2f%%"), 100 * r->same_top1_error,
                             lb_session_accuracy_loss (r)));
  set_stat (self, STAT_PPL, g_strdup_printf ("%.3f", r->ppl),
            g_strdup_printf (_("± %.3f · ratio %.4f"), r->ppl_error,
                             r->ppl_base > 0 ? r->ppl / r->ppl_base : NAN));
  set_stat (self, STAT_PPL_BASE, g_strdup_printf ("%.3f", r->ppl_base),
            g_strdup_printf (_("± %.3f · as stored, clipped"), r->ppl_base_error));

  set_row (self, ROW_KLD_MAX, g_strdup_printf ("%.5f", r->max_kld));
  set_row (self, ROW_KLD_99_9, g_strdup_printf ("%.5f", r->kld_99_9));
  set_row (self, ROW_KLD_99, g_strdup_printf ("%.5f", r->kld_99));
  set_row (self, ROW_KLD_90, g_strdup_printf ("%.5f", r->kld_90));
  set_row (self, ROW_KLD_MEDIAN, g_strdup_printf ("%.5f", r->kld_median));
  set_row (self, ROW_TOP5, g_strdup_printf ("%.2f%%", 100 * r->top5_agreement));
  set_row (self, ROW_DP, g_strdup_printf ("%+.3f%% ± %.3f%%", 100 * r->mean_dp,
                                          100 * r->mean_dp_error));
  set_row (self, ROW_DP_RMS, g_strdup_printf ("%.3f%%", 100 * r->rms_dp));
  if (r->has_logit_errors)
    /* Translators: logit errors: mean squared error, cosine similarity */
    set_row (self, ROW_LOGITS, g_strdup_printf (_("MSE %.4g · cosine %.5f"), r->logits_mse,
                                                r->logits_cosine));
  else
    set_row (self, ROW_LOGITS, g_strdup (_("Not measured (reference from the cache)")));
  {
    g_autofree char *positions = lb_format_count (r->n_positions);

    /* Translators: "4 × 512 tokens, 1,020 positions, 3.4 s, fast engine" */
    set_row (self, ROW_RUN, g_strdup_printf (_("%u × %u tokens, %s positions, %.1f s, %s engine"),
                                             r->n_chunks, r->n_ctx, positions, r->seconds,
                                             r->engine != NULL ? r->engine : "?"));
  }
  gtk_widget_set_visible (GTK_WIDGET (self->results_group), TRUE);
  gtk_widget_set_visible (self->tables_box, TRUE);
}

static void
show_session_result (LbEvalView *self)
{
  const LbEvalResult *r;
  guint revision;
  g_autofree char *label = NULL;

  if (self->session == NULL)
    return;
  r = lb_session_get_eval_result (self->session, &revision);
  label = g_strdup (lb_session_get_eval_label (self->session));
  show_result (self, r, label, revision == lb_session_get_revision (self->session));
  show_pareto (self);
}

/* ---- the jobs --------------------------------------------------------------------- */

typedef struct {
  LbModel    *base;
  LbVariant  *variant;      /* NULL: the presets */
  char       *text_path;
  guint       n_ctx;
  guint       n_chunks;
  guint       n_threads;
  char       *cache;
  gboolean    cache_ready;
  char      **presets;
  LbJob      *job;
  guint       step, n_steps;
} EvalData;

typedef struct {
  LbEvalResult *result;     /* the current map's */
  GPtrArray    *points;     /* ParetoPoint *, the presets' */
  gboolean      cache_ready;
} EvalOutcome;

static void
eval_data_free (gpointer data)
{
  EvalData *d = data;

  g_clear_object (&d->base);
  g_clear_object (&d->variant);
  g_free (d->text_path);
  g_free (d->cache);
  g_strfreev (d->presets);
  g_free (d);
}

static void
eval_outcome_free (gpointer data)
{
  EvalOutcome *o = data;

  g_clear_pointer (&o->result, lb_eval_result_free);
  g_clear_pointer (&o->points, g_ptr_array_unref);
  g_free (o);
}

/* core says "chunk 2/4, mean KLD 0.012345" */
static void
eval_progress (double fraction, const char *stage, gpointer user_data)
{
  EvalData *d = user_data;
  unsigned int c, n;
  double kld;
  g_autofree char *text = NULL;

  if (stage != NULL && sscanf (stage, "chunk %u/%u, mean KLD %lf", &c, &n, &kld) == 3)
    /* Translators: evaluation progress */
    text = g_strdup_printf (_("Chunk %u of %u, mean KLD so far %.4f"), c, n, kld);
  lb_job_report (d->job, (d->step + fraction) / MAX (d->n_steps, 1), text != NULL ? text : stage);
}

static LbEvalResult *
evaluate (EvalData *d, LbModel *candidate, const char *text, gsize len,
          GCancellable *cancellable, GError **error)
{
  LbEvalParams params = { 0 };
  LbEvalResult *result;

  params.n_ctx = d->n_ctx;
  params.n_chunks = d->n_chunks;
  params.n_threads = d->n_threads;
  params.engine = LB_EVAL_ENGINE_DEFAULT;
  if (d->cache != NULL && d->cache_ready)
    params.reference_cache = d->cache;
  else
    params.save_reference = d->cache;
  result = lb_eval_run (candidate, params.reference_cache != NULL ? NULL : d->base, text, len,
                        &params, eval_progress, d, cancellable, error);
  if (result != NULL && d->cache != NULL)
    d->cache_ready = TRUE;
  return result;
}

static gpointer
eval_thread (LbJob *job, gpointer task_data, GCancellable *cancellable, GError **error)
{
  EvalData *d = task_data;
  g_autofree char *text = NULL;
  gsize len;
  EvalOutcome *o = g_new0 (EvalOutcome, 1);

  d->job = job;
  lb_job_report (job, 0.0, _("Reading and tokenizing the text"));
  if (!g_file_get_contents (d->text_path, &text, &len, error))
    goto fail;

  if (d->variant != NULL)
    {
      g_autoptr (LbModel) candidate = lb_variant_build_model (d->variant, error);

      d->n_steps = 1;
      if (candidate == NULL)
        goto fail;
      o->result = evaluate (d, candidate, text, len, cancellable, error);
      if (o->result == NULL)
        goto fail;
    }
  else
    {
      o->points = g_ptr_array_new_with_free_func (pareto_point_free);
      d->n_steps = g_strv_length (d->presets);
      for (d->step = 0; d->step < d->n_steps; d->step++)
        {
          const char *name = d->presets[d->step];
          g_autoptr (LbRecipe) recipe = lb_recipe_load_preset (name, error);
          g_autoptr (LbQuantPlan) plan = NULL;
          g_autoptr (GHashTable) types = NULL;
          g_autoptr (LbModel) candidate = NULL;
          g_autoptr (LbEvalResult) result = NULL;
          g_autofree char *stage = NULL;
          ParetoPoint *p;

          if (recipe == NULL || !lb_recipe_resolve (recipe, d->base, NULL, &plan, error))
            goto fail;
          /* Translators: "Quantizing to Q4_K_M (3 of 9)" */
          stage = g_strdup_printf (_("Quantizing to %s (%u of %u)"), name, d->step + 1,
                                   d->n_steps);
          lb_job_report (job, (double) d->step / d->n_steps, stage);
          types = g_hash_table_new (g_str_hash, g_str_equal);
          for (guint i = 0; i < lb_quant_plan_get_n_entries (plan); i++)
            {
              const LbPlanEntry *e = lb_quant_plan_get_entry (plan, i);

              g_hash_table_insert (types, e->tensor->name, GINT_TO_POINTER (e->type));
            }
          candidate = lb_variant_build (d->base, types, NULL, d->n_threads, NULL, NULL,
                                        cancellable, error);
          if (candidate == NULL)
            goto fail;
          result = evaluate (d, candidate, text, len, cancellable, error);
          if (result == NULL)
            goto fail;
          p = g_new0 (ParetoPoint, 1);
          p->label = g_strdup (name);
          p->bytes = lb_quantize_get_file_size (plan, NULL);
          p->kld = result->mean_kld;
          p->group = GROUP_PRESETS;
          g_ptr_array_add (o->points, p);
        }
    }
  o->cache_ready = d->cache_ready;
  return o;

fail:
  eval_outcome_free (o);
  return NULL;
}

static void
on_evaluated (GObject *source, GAsyncResult *result, gpointer user_data)
{
  LbJob *job = LB_JOB (source);
  g_autoptr (LbEvalView) self = user_data;
  g_autoptr (GError) error = NULL;
  EvalOutcome *o = lb_job_run_finish (job, result, &error);
  guint revision = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (job), "lb-revision"));
  const char *label = g_object_get_data (G_OBJECT (job), "lb-label");
  const char *cache = g_object_get_data (G_OBJECT (job), "lb-cache");
  guint64 bytes = GPOINTER_TO_SIZE (g_object_get_data (G_OBJECT (job), "lb-bytes"));

  if (!lb_job_take_back (&self->job, job, o, (GDestroyNotify) eval_outcome_free))
    return;
  update_sensitivity (self);
  if (o == NULL)
    {
      lb_view_show_job_error (GTK_WIDGET (self), _("Could Not Evaluate"), error,
                              _("Evaluation cancelled"));
      return;
    }
  if (o->cache_ready && cache != NULL)
    g_hash_table_add (self->caches_ready, g_strdup (cache));

  if (o->points != NULL)
    {
      for (guint i = 0; i < o->points->len; i++)
        {
          ParetoPoint *p = g_ptr_array_index (o->points, i);

          add_point (self, p->label, p->bytes, p->kld, p->group);
        }
      show_pareto (self);
    }
  if (o->result != NULL && self->session != NULL)
    {
      gboolean preset = FALSE;
      g_auto (GStrv) presets = lb_recipe_list_presets ();

      /* a preset as it came is a preset's point; anything else a map's */
      for (guint i = 0; presets[i] != NULL; i++)
        preset |= g_strcmp0 (presets[i], label) == 0;
      add_point (self, label, (double) bytes, o->result->mean_kld,
                 preset ? GROUP_PRESETS : GROUP_MAPS);
      /* the session keeps it (and the overview's accuracy tile shows it) */
      lb_session_set_eval_result (self->session, g_steal_pointer (&o->result), revision, label,
                                  bytes);
    }
  eval_outcome_free (o);
}

static void
start_job (LbEvalView *self, gboolean presets)
{
  LbWindow *window = lb_view_get_window (GTK_WIDGET (self));
  g_autoptr (LbJob) job = NULL;
  g_autofree char *label = NULL;
  g_autofree char *title = NULL;
  EvalData *d;

  if (self->session == NULL || window == NULL || self->text_path == NULL || self->job != NULL)
    return;

  d = g_new0 (EvalData, 1);
  d->base = g_object_ref (lb_session_get_model (self->session));
  d->variant = presets ? NULL : g_object_ref (lb_session_get_variant (self->session));
  d->text_path = g_strdup (self->text_path);
  d->n_ctx = lb_eval_view_get_n_ctx (self);
  d->n_chunks = lb_eval_view_get_n_chunks (self);
  d->n_threads = lb_session_get_n_threads (self->session);
  d->cache = cache_path (self, d->n_ctx, d->n_chunks);
  d->cache_ready = d->cache != NULL && g_hash_table_contains (self->caches_ready, d->cache);
  d->presets = presets ? lb_recipe_list_presets () : NULL;

  label = lb_session_dup_label (self->session);
  if (presets)
    title = g_strdup (_("Evaluating every preset"));
  else
    /* Translators: "Evaluating Q4_K_M" */
    title = g_strdup_printf (_("Evaluating %s"), label);
  job = lb_job_new (title);
  g_object_set_data (G_OBJECT (job), "lb-revision",
                     GUINT_TO_POINTER (lb_session_get_revision (self->session)));
  g_object_set_data_full (G_OBJECT (job), "lb-label", g_strdup (label), g_free);
  g_object_set_data_full (G_OBJECT (job), "lb-cache", g_strdup (d->cache), g_free);
  g_object_set_data (G_OBJECT (job), "lb-bytes",
                     GSIZE_TO_POINTER ((gsize) lb_session_get_file_bytes (self->session)));
  self->job = g_object_ref (job);
  update_sensitivity (self);
  lb_window_add_job (window, job);
  lb_job_run_async (job, eval_thread, d, eval_data_free, eval_outcome_free, on_evaluated,
                    g_object_ref (self));
}

void
lb_eval_view_run (LbEvalView *self)
{
  g_return_if_fail (LB_IS_EVAL_VIEW (self));
  start_job (self, FALSE);
}

void
lb_eval_view_run_presets (LbEvalView *self)
{
  g_return_if_fail (LB_IS_EVAL_VIEW (self));
  start_job (self, TRUE);
}

static void
run_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  lb_eval_view_run (LB_EVAL_VIEW (widget));
}

static void
presets_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  lb_eval_view_run_presets (LB_EVAL_VIEW (widget));
}

/* ---- choosing the text --------------------------------------------------------------- */

static void
on_text_chosen (GtkNativeDialog *dialog, int response, LbEvalView *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = g_file_get_path (file);

      if (path != NULL)
        lb_eval_view_set_text (self, path);
    }
  g_clear_object (&self->chooser);
}

static void
choose_text_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  LbEvalView *self = LB_EVAL_VIEW (widget);
  GtkFileChooserNative *native;

  native = lb_view_file_chooser_new (widget, &self->chooser, _("Choose an Evaluation Text"),
                                     GTK_FILE_CHOOSER_ACTION_OPEN, _("_Choose"),
                                     lb_view_file_filter_new (_("Text Files"), "text/plain",
                                                              "*.txt", NULL));
  g_signal_connect (native, "response", G_CALLBACK (on_text_chosen), self);
  gtk_native_dialog_show (self->chooser);
}

/* ---- the session -------------------------------------------------------------------- */

void
lb_eval_view_set_session (LbEvalView *self, LbSession *session)
{
  g_return_if_fail (LB_IS_EVAL_VIEW (self));

  if (!lb_view_replace_session (self, &self->session, session, &self->job))
    return;
  /* another model: its points and reference caches mean nothing here */
  g_ptr_array_set_size (self->points, 0);
  remove_caches (self);
  if (session != NULL)
    {
      g_signal_connect_swapped (session, "measured", G_CALLBACK (show_session_result), self);
      g_signal_connect_swapped (session, "changed", G_CALLBACK (show_session_result), self);
    }
  show_result (self, NULL, NULL, FALSE);
  show_pareto (self);
  update_sensitivity (self);
  gtk_stack_set_visible_child_name (self->stack, session != NULL ? "eval" : "empty");
}

void
lb_eval_view_set_settings (LbEvalView *self, GSettings *settings)
{
  g_return_if_fail (LB_IS_EVAL_VIEW (self));
  g_set_object (&self->settings, settings);
}

/* ---- building the page ------------------------------------------------------------ */

static GtkLabel *
add_value_row (AdwPreferencesGroup *group, const char *title, const char *subtitle)
{
  GtkLabel *label = lb_view_add_value_row (group, title, subtitle);

  gtk_label_set_label (label, "—");
  gtk_label_set_selectable (label, TRUE);
  return label;
}

static GtkSpinButton *
add_spin_row (AdwPreferencesGroup *group, const char *title, const char *subtitle,
              double lo, double hi, double step, double value)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *spin = gtk_spin_button_new_with_range (lo, hi, step);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (spin), value);
  gtk_widget_set_valign (spin, GTK_ALIGN_CENTER);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), spin);
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), spin);
  adw_preferences_group_add (group, row);
  return GTK_SPIN_BUTTON (spin);
}

static GtkWidget *
stat_card (LbEvalView *self, Stat stat, const char *title)
{
  return lb_stat_card_new (title, &self->stat_values[stat], &self->stat_details[stat]);
}

static void
lb_eval_view_dispose (GObject *object)
{
  LbEvalView *self = LB_EVAL_VIEW (object);

  lb_view_release_session (self, self->session, &self->job);
  lb_view_close_chooser (&self->chooser);
  g_clear_object (&self->session);
  g_clear_object (&self->settings);
  if (self->caches_ready != NULL)
    remove_caches (self);

  G_OBJECT_CLASS (lb_eval_view_parent_class)->dispose (object);
}

static void
lb_eval_view_finalize (GObject *object)
{
  LbEvalView *self = LB_EVAL_VIEW (object);

  g_clear_pointer (&self->points, g_ptr_array_unref);
  g_clear_pointer (&self->caches_ready, g_hash_table_unref);
  g_free (self->text_path);

  G_OBJECT_CLASS (lb_eval_view_parent_class)->finalize (object);
}

static void
lb_eval_view_class_init (LbEvalViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = lb_eval_view_dispose;
  object_class->finalize = lb_eval_view_finalize;

  gtk_widget_class_install_action (widget_class, "eval.run", NULL, run_action);
  gtk_widget_class_install_action (widget_class, "eval.presets", NULL, presets_action);
  gtk_widget_class_install_action (widget_class, "eval.choose-text", NULL, choose_text_action);
}

static void
lb_eval_view_init (LbEvalView *self)
{
  GtkWidget *empty = adw_status_page_new ();
  GtkWidget *scrolled = gtk_scrolled_window_new ();
  GtkWidget *clamp = adw_clamp_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 24);
  GtkWidget *columns = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 30);
  GtkWidget *left = gtk_box_new (GTK_ORIENTATION_VERTICAL, 24);
  GtkWidget *right = gtk_box_new (GTK_ORIENTATION_VERTICAL, 24);
  AdwPreferencesGroup *run = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  AdwPreferencesGroup *kld = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  AdwPreferencesGroup *more = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  AdwPreferencesGroup *pareto = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  GtkWidget *results_box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  GtkWidget *card = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *button;
  const char *groups[N_GROUPS] = { _("Presets"), _("Your maps") };
  g_autofree char *text = NULL;

  self->points = g_ptr_array_new_with_free_func (pareto_point_free);
  self->caches_ready = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  adw_status_page_set_icon_name (ADW_STATUS_PAGE (empty), "lb-eval-symbolic");
  adw_status_page_set_title (ADW_STATUS_PAGE (empty), _("Evaluation"));
  adw_status_page_set_description (ADW_STATUS_PAGE (empty),
                                   _("Open a model to compare its quantized versions with it."));

  /* the run */
  lb_group_set_title (run, _("Evaluation"));
  lb_group_set_description (run,
    _("The current precision map against the original model, as llama.cpp’s perplexity tool "
      "measures it: the second half of each chunk is scored."));
  self->run_button = GTK_BUTTON (gtk_button_new_with_mnemonic (_("_Evaluate")));
  gtk_actionable_set_action_name (GTK_ACTIONABLE (self->run_button), "eval.run");
  gtk_widget_add_css_class (GTK_WIDGET (self->run_button), "suggested-action");
  gtk_widget_set_valign (GTK_WIDGET (self->run_button), GTK_ALIGN_CENTER);
  lb_group_set_suffix (run, GTK_WIDGET (self->run_button));
  self->text_row = ADW_ACTION_ROW (adw_action_row_new ());
  adw_action_row_set_subtitle_lines (self->text_row, 1);
  adw_action_row_add_prefix (self->text_row, gtk_image_new_from_icon_name ("text-x-generic-symbolic"));
  button = gtk_button_new_with_mnemonic (_("C_hoose…"));
  gtk_actionable_set_action_name (GTK_ACTIONABLE (button), "eval.choose-text");
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  adw_action_row_add_suffix (self->text_row, button);
  adw_preferences_group_add (run, GTK_WIDGET (self->text_row));
  self->chunks_spin = add_spin_row (run, _("Chunks"), _("More chunks: smaller error bars, longer runs"),
                                    1, 10000, 1, DEFAULT_N_CHUNKS);
  self->ctx_spin = add_spin_row (run, _("Tokens per Chunk"), _("llama.cpp’s figures use 512"),
                                 16, 8192, 16, DEFAULT_N_CTX);
  gtk_box_append (GTK_BOX (left), GTK_WIDGET (run));

  /* the figures */
  self->results_group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  {
    GtkWidget *grid = gtk_grid_new ();

    gtk_grid_set_row_spacing (GTK_GRID (grid), 12);
    gtk_grid_set_column_spacing (GTK_GRID (grid), 12);
    gtk_grid_set_column_homogeneous (GTK_GRID (grid), TRUE);
    gtk_grid_attach (GTK_GRID (grid), stat_card (self, STAT_KLD, _("Mean KLD")), 0, 0, 1, 1);
    gtk_grid_attach (GTK_GRID (grid), stat_card (self, STAT_TOP1, _("Same Top-1")), 1, 0, 1, 1);
    gtk_grid_attach (GTK_GRID (grid), stat_card (self, STAT_PPL, _("Perplexity")), 0, 1, 1, 1);
    gtk_grid_attach (GTK_GRID (grid), stat_card (self, STAT_PPL_BASE, _("Original Perplexity")),
                     1, 1, 1, 1);
    gtk_box_append (GTK_BOX (results_box), grid);
  }
  self->results_status = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_xalign (self->results_status, 0.0f);
  gtk_label_set_wrap (self->results_status, TRUE);
  gtk_widget_add_css_class (GTK_WIDGET (self->results_status), "warning");
  gtk_box_append (GTK_BOX (results_box), GTK_WIDGET (self->results_status));
  adw_preferences_group_add (self->results_group, results_box);
  gtk_widget_set_visible (GTK_WIDGET (self->results_group), FALSE);
  gtk_box_append (GTK_BOX (left), GTK_WIDGET (self->results_group));

  lb_group_set_title (kld, _("KL Divergence Percentiles"));
  self->rows[ROW_KLD_MAX] = add_value_row (kld, _("Maximum"), NULL);
  self->rows[ROW_KLD_99_9] = add_value_row (kld, _("99.9%"), NULL);
  self->rows[ROW_KLD_99] = add_value_row (kld, _("99%"), NULL);
  self->rows[ROW_KLD_90] = add_value_row (kld, _("90%"), NULL);
  self->rows[ROW_KLD_MEDIAN] = add_value_row (kld, _("Median"), NULL);
  lb_group_set_title (more, _("Next Token"));
  self->rows[ROW_TOP5] = add_value_row (more, _("Top-5 Agreement"),
                                        _("Mean overlap of the two top-5 sets"));
  self->rows[ROW_DP] = add_value_row (more, _("Mean Δp"),
                                      _("Probability of the right token, quantized minus original"));
  self->rows[ROW_DP_RMS] = add_value_row (more, _("RMS Δp"), NULL);
  self->rows[ROW_LOGITS] = add_value_row (more, _("Logits"), NULL);
  self->rows[ROW_RUN] = add_value_row (more, _("Run"), NULL);
  self->tables_box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 30);
  gtk_box_set_homogeneous (GTK_BOX (self->tables_box), TRUE);
  gtk_widget_set_valign (GTK_WIDGET (kld), GTK_ALIGN_START);
  gtk_widget_set_valign (GTK_WIDGET (more), GTK_ALIGN_START);
  gtk_box_append (GTK_BOX (self->tables_box), GTK_WIDGET (kld));
  gtk_box_append (GTK_BOX (self->tables_box), GTK_WIDGET (more));
  gtk_widget_set_visible (self->tables_box, FALSE);

  /* the Pareto chart */
  lb_group_set_title (pareto, _("Size and Accuracy"));
  lb_group_set_description (pareto,
    _("Every map and preset evaluated on this text. The front joins those that nothing "
      "beats on both."));
  self->presets_button = GTK_BUTTON (gtk_button_new_with_mnemonic (_("Evaluate _Presets")));
  gtk_actionable_set_action_name (GTK_ACTIONABLE (self->presets_button), "eval.presets");
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->presets_button),
                               _("Quantize the model with every preset and evaluate each"));
  gtk_widget_set_valign (GTK_WIDGET (self->presets_button), GTK_ALIGN_CENTER);
  lb_group_set_suffix (pareto, GTK_WIDGET (self->presets_button));
  gtk_widget_add_css_class (card, "card");
  gtk_widget_add_css_class (card, "lb-map-card");
  self->pareto = LB_SCATTER_CHART (lb_scatter_chart_new ());
  lb_scatter_chart_set_x_label (self->pareto, _("GGUF file size"));
  lb_scatter_chart_set_y_label (self->pareto, _("Mean KLD (log scale)"));
  lb_scatter_chart_set_x_format (self->pareto, LB_CHART_FORMAT_BYTES);
  lb_scatter_chart_set_y_log (self->pareto, TRUE);
  lb_scatter_chart_set_show_front (self->pareto, TRUE);
  lb_scatter_chart_set_groups (self->pareto, N_GROUPS, groups);
  gtk_widget_set_size_request (GTK_WIDGET (self->pareto), -1, 430);
  gtk_widget_set_hexpand (GTK_WIDGET (self->pareto), TRUE);
  gtk_box_append (GTK_BOX (card), GTK_WIDGET (self->pareto));
  adw_preferences_group_add (pareto, card);
  gtk_box_append (GTK_BOX (right), GTK_WIDGET (pareto));

  gtk_widget_set_hexpand (left, TRUE);
  gtk_widget_set_hexpand (right, TRUE);
  gtk_box_set_homogeneous (GTK_BOX (columns), TRUE);
  gtk_box_append (GTK_BOX (columns), left);
  gtk_box_append (GTK_BOX (columns), right);
  gtk_box_append (GTK_BOX (box), columns);
  gtk_box_append (GTK_BOX (box), self->tables_box);

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
  gtk_stack_add_named (self->stack, scrolled, "eval");
  adw_bin_set_child (ADW_BIN (self), GTK_WIDGET (self->stack));

  text = lb_eval_view_find_default_text ();
  lb_eval_view_set_text (self, text);
  lb_page_single_line_rows (GTK_WIDGET (self));
}

GtkWidget *
lb_eval_view_new (void)
{
  return g_object_new (LB_TYPE_EVAL_VIEW, NULL);
}
