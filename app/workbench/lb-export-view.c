/* lb-export-view.c: the export job. The GGUF is written under a hidden
 * temporary name in the destination folder (the quantizer itself writes
 * through a temporary file), loaded back and checked against the targets
 * (lb_validate_run: benchmark, then evaluation against the original), then
 * the recipe and report are prepared, and only then are all three put in
 * place. Cancelling or any error removes what was written. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "lb-eval-view.h"
#include "lb-export-view.h"
#include "lb-page-layout.h"
#include "lb-format.h"
#include "lb-importance-row.h"
#include "lb-job.h"
#include "lb-perf-view.h"
#include "lb-quantize.h"
#include "lb-recipe-edit.h"
#include "lb-validate.h"
#include "lb-view-util.h"
#include "lb-window.h"
#include "lb-widgets.h"

/* The validation's runs: short, like the evaluation page's default */
#define VALIDATE_N_CHUNKS 4
#define VALIDATE_N_CTX    512
#define VALIDATE_N_PROMPT 64
#define VALIDATE_N_GEN    32
#define VALIDATE_N_REPEAT 2

/* The brief's four targets, in the overview's order */
enum {
  CHECK_SIZE,
  CHECK_LATENCY,
  CHECK_MEMORY,
  CHECK_ACCURACY,
  N_CHECKS
};

typedef struct {
  gboolean measured;
  double   value;     /* MB, ms, MB, % */
  double   limit;
  gboolean passed;
} Check;

struct _LbExportView
{
  AdwBin          parent_instance;

  GtkStack       *stack;
  AdwComboRow    *type_row;
  GtkLabel       *map_label;
  GtkLabel       *bytes_label;
  GtkLabel       *file_label;
  GtkLabel       *budget_label;
  LbImportanceRow *importance_row;
  GtkSwitch      *recipe_switch;
  GtkSwitch      *report_switch;
  GtkSwitch      *validate_switch;
  AdwPreferencesGroup *last_group;
  AdwActionRow   *no_export_row;
  AdwActionRow   *last_row;
  GtkLabel       *last_size_label;
  AdwActionRow   *check_rows[N_CHECKS];
  GtkImage       *check_icons[N_CHECKS];
  GtkLabel       *check_labels[N_CHECKS];
  AdwActionRow   *verdict_row;
  GtkImage       *verdict_icon;
  AdwActionRow   *files_row;

  GSettings      *settings;
  LbModel        *model;
  LbSession      *session;
  char           *last_path;
  GtkNativeDialog *chooser;
  LbJob          *job;
};

G_DEFINE_FINAL_TYPE (LbExportView, lb_export_view, ADW_TYPE_BIN)

static void show_last (LbExportView *self, gboolean any);

static const char * const check_titles[N_CHECKS] = {
  N_("Size"), N_("Latency per Step"), N_("Memory"), N_("Accuracy Loss"),
};

static LbConvertType
convert_type (LbExportChoice choice)
{
  switch (choice)
    {
    case LB_EXPORT_F16: return LB_CONVERT_F16;
    case LB_EXPORT_BF16: return LB_CONVERT_BF16;
    case LB_EXPORT_F32: return LB_CONVERT_F32;
    case LB_EXPORT_MAP:
    default: return LB_CONVERT_AUTO;
    }
}

LbExportChoice
lb_export_view_get_choice (LbExportView *self)
{
  guint i;

  g_return_val_if_fail (LB_IS_EXPORT_VIEW (self), LB_EXPORT_MAP);
  i = adw_combo_row_get_selected (self->type_row);
  return i <= LB_EXPORT_F32 ? (LbExportChoice) i : LB_EXPORT_MAP;
}

void
lb_export_view_set_choice (LbExportView *self, LbExportChoice choice)
{
  g_return_if_fail (LB_IS_EXPORT_VIEW (self));
  adw_combo_row_set_selected (self->type_row, choice);
}

void
lb_export_view_set_extras (LbExportView *self, gboolean recipe, gboolean report,
                           gboolean validate)
{
  g_return_if_fail (LB_IS_EXPORT_VIEW (self));
  gtk_switch_set_active (self->recipe_switch, recipe);
  gtk_switch_set_active (self->report_switch, report);
  gtk_switch_set_active (self->validate_switch, validate);
}

/* The quantizer's plan when the map has one and it is chosen */
static LbQuantPlan *
export_plan (LbExportView *self)
{
  if (self->session == NULL || lb_export_view_get_choice (self) != LB_EXPORT_MAP)
    return NULL;
  return lb_session_get_plan (self->session);
}

guint64
lb_export_view_get_tensor_bytes (LbExportView *self)
{
  LbExportChoice choice;
  guint64 total = 0;
  guint n;

  g_return_val_if_fail (LB_IS_EXPORT_VIEW (self), 0);
  if (self->model == NULL)
    return 0;

  choice = lb_export_view_get_choice (self);
  if (choice == LB_EXPORT_MAP)
    return self->session != NULL ? lb_session_get_data_bytes (self->session)
                                 : lb_model_get_tensor_bytes (self->model);

  /* as lb_model_export_gguf does: matrices take the type, vectors F32 */
  n = lb_model_get_n_tensors (self->model);
  for (guint i = 0; i < n; i++)
    {
      const LbTensor *t = lb_model_get_tensor (self->model, i);
      LbType out = choice == LB_EXPORT_F16 ? LB_TYPE_F16
                 : choice == LB_EXPORT_BF16 ? LB_TYPE_BF16 : LB_TYPE_F32;

      if (t->n_dims < 2)
        out = LB_TYPE_F32;
      total += (guint64) lb_type_row_size (out, t->ne[0]) * (guint64) lb_tensor_n_rows (t);
    }
  return total;
}

static void
update_sizes (LbExportView *self)
{
  guint64 bytes = lb_export_view_get_tensor_bytes (self);
  LbQuantPlan *plan = export_plan (self);
  guint64 file = plan != NULL ? lb_session_get_file_bytes (self->session) : 0;
  g_autofree char *text = g_format_size (bytes);
  double budget_mb = self->settings != NULL
                     ? g_settings_get_double (self->settings, "target-size-mb") : 0.0;
  g_autofree char *budget = g_format_size ((guint64) (budget_mb * 1e6));
  g_autofree char *verdict = NULL;
  g_autofree char *label = self->session != NULL ? lb_session_dup_label (self->session) : NULL;
  GtkWidget *widget = GTK_WIDGET (self->budget_label);
  guint64 measure = file > 0 ? file : bytes;

  gtk_label_set_label (self->bytes_label, text);
  if (file > 0)
    {
      g_autofree char *size = g_format_size (file);
      g_autofree char *exact = lb_format_count (file);
      /* Translators: "4.6 MB (4597344 bytes)" */
      g_autofree char *both = g_strdup_printf (_("%s (%s bytes)"), size, exact);

      gtk_label_set_label (self->file_label, both);
    }
  else
    gtk_label_set_label (self->file_label, _("Known once written (header and tokenizer)"));

  if (lb_export_view_get_choice (self) == LB_EXPORT_MAP)
    gtk_label_set_label (self->map_label, label != NULL ? label : "");
  else
    /* Translators: every matrix in one float type, "F16 everywhere" */
    {
      g_autofree char *every = g_strdup_printf (_("%s everywhere"),
                                                lb_export_view_get_choice (self) == LB_EXPORT_F16 ? "F16"
                                                : lb_export_view_get_choice (self) == LB_EXPORT_BF16 ? "BF16"
                                                : "F32");

      gtk_label_set_label (self->map_label, every);
    }

  gtk_widget_remove_css_class (widget, "success");
  gtk_widget_remove_css_class (widget, "error");
  if (measure <= budget_mb * 1e6)
    {
      verdict = g_strdup_printf (_("Fits in %s"), budget);
      gtk_widget_add_css_class (widget, "success");
    }
  else
    {
      verdict = g_strdup_printf (_("Exceeds %s"), budget);
      gtk_widget_add_css_class (widget, "error");
    }
  gtk_label_set_label (self->budget_label, verdict);
}

void
lb_export_view_set_model (LbExportView *self, LbModel *model)
{
  g_return_if_fail (LB_IS_EXPORT_VIEW (self));
  g_return_if_fail (model == NULL || LB_IS_MODEL (model));

  if (!g_set_object (&self->model, model))
    return;
  gtk_stack_set_visible_child_name (self->stack, model != NULL ? "export" : "empty");
  show_last (self, FALSE);
  update_sizes (self);
}

void
lb_export_view_set_session (LbExportView *self, LbSession *session)
{
  g_return_if_fail (LB_IS_EXPORT_VIEW (self));

  if (self->session != NULL)
    g_signal_handlers_disconnect_by_data (self->session, self);
  g_set_object (&self->session, session);
  lb_importance_row_set_session (self->importance_row, session);
  if (session != NULL)
    g_signal_connect_swapped (session, "changed", G_CALLBACK (update_sizes), self);
  update_sizes (self);
}

void
lb_export_view_set_settings (LbExportView *self, GSettings *settings)
{
  g_return_if_fail (LB_IS_EXPORT_VIEW (self));
  g_return_if_fail (G_IS_SETTINGS (settings));

  g_set_object (&self->settings, settings);
  g_signal_connect_object (settings, "changed::target-size-mb", G_CALLBACK (update_sizes),
                           self, G_CONNECT_SWAPPED);
  update_sizes (self);
}

/* ---- the job ------------------------------------------------------------------------ */

typedef struct {
  LbModel       *model;
  LbQuantPlan   *plan;        /* NULL: lossless, with convert */
  LbImatrix     *imatrix;
  LbRecipe      *recipe;      /* NULL: made from the model's own types */
  char          *profile;
  char          *label;
  LbConvertType  convert;
  guint          n_threads;
  char          *path;
  char          *tmp_path;
  gboolean       write_recipe;
  gboolean       write_report;
  gboolean       validate;
  char          *text_path;
  double         limits[N_CHECKS];
  LbJob         *job;
  gboolean       in_eval;
} ExportData;

typedef struct {
  char             *path;
  guint64           file_bytes;
  gboolean          validated;
  Check             checks[N_CHECKS];
  LbEvalResult     *eval;
  LbBenchResult    *bench;
  guint64           memory;
  GPtrArray        *written;    /* file names */
} ExportResult;

static void
export_data_free (gpointer data)
{
  ExportData *d = data;

  g_clear_object (&d->model);
  g_clear_pointer (&d->plan, lb_quant_plan_unref);
  g_clear_pointer (&d->imatrix, lb_imatrix_unref);
  g_clear_pointer (&d->recipe, lb_recipe_unref);
  g_free (d->profile);
  g_free (d->label);
  g_free (d->path);
  g_free (d->tmp_path);
  g_free (d->text_path);
  g_free (d);
}

static void
export_result_free (gpointer data)
{
  ExportResult *r = data;

  g_free (r->path);
  g_clear_pointer (&r->eval, lb_eval_result_free);
  g_clear_pointer (&r->bench, lb_bench_result_free);
  g_clear_pointer (&r->written, g_ptr_array_unref);
  g_free (r);
}

/* Stages from core, in the user's language (tensor names stay as they are):
 * "tensor 3/98: blk.0.attn_q.weight -> Q4_K", "chunk 2/4, mean KLD ...",
 * the benchmark's phases */
static void
export_progress (double fraction, const char *stage, gpointer user_data)
{
  ExportData *d = user_data;
  unsigned int i, n;
  int name_at = -1;
  g_autofree char *text = NULL;
  double overall;

  if (stage != NULL && sscanf (stage, "tensor %u/%u: %n", &i, &n, &name_at) == 2 && name_at > 0)
    text = g_strdup_printf (_("Tensor %u of %u: %s"), i, n, stage + name_at);
  else if (stage != NULL && sscanf (stage, "chunk %u/%u", &i, &n) == 2)
    {
      d->in_eval = TRUE;
      text = g_strdup_printf (_("Checking accuracy: chunk %u of %u"), i, n);
    }
  else if (g_strcmp0 (stage, "done") == 0)
    text = g_strdup (d->validate ? _("Checking the file") : _("Writing the file to disk"));
  else if (d->validate && stage != NULL)
    text = g_strdup (_("Checking speed and memory"));

  if (!d->validate)
    overall = fraction;
  else if (d->job != NULL && g_object_get_data (G_OBJECT (d->job), "lb-validating") == NULL)
    overall = 0.6 * fraction;
  else if (!d->in_eval)
    overall = 0.6 + 0.15 * fraction;
  else
    overall = 0.75 + 0.23 * fraction;
  lb_job_report (d->job, overall, text != NULL ? text : stage);
}

static void
check_set (Check *c, double value, double limit)
{
  c->measured = isfinite (value);
  c->value = value;
  c->limit = limit;
  c->passed = c->measured && value <= limit;
}

static JsonNode *
report_json (ExportData *d, ExportResult *r, LbModel *exported, LbValidateReport *validation)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  guint64 bytes[LB_TYPE_COUNT] = { 0 };
  static const char * const names[N_CHECKS] = { "size", "latency", "memory", "accuracy_loss" };
  static const char * const units[N_CHECKS] = { "MB", "ms/token", "MB", "%" };

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "lowbit_export");
  json_builder_add_int_value (b, 1);
  json_builder_set_member_name (b, "gguf");
  json_builder_add_string_value (b, d->path);
  json_builder_set_member_name (b, "file_bytes");
  json_builder_add_int_value (b, (gint64) r->file_bytes);
  json_builder_set_member_name (b, "base_model");
  json_builder_add_string_value (b, lb_model_get_path (d->model));
  json_builder_set_member_name (b, "map");
  json_builder_add_string_value (b, d->label);
  if (d->recipe != NULL)
    {
      json_builder_set_member_name (b, "recipe");
      json_builder_add_string_value (b, lb_recipe_get_name (d->recipe));
    }
  if (d->profile != NULL)
    {
      json_builder_set_member_name (b, "profile");
      json_builder_add_string_value (b, d->profile);
    }

  /* bytes of tensor data by type, as written */
  for (guint i = 0; i < lb_model_get_n_tensors (exported); i++)
    {
      const LbTensor *t = lb_model_get_tensor (exported, i);

      if ((guint) t->type < LB_TYPE_COUNT)
        bytes[t->type] += t->n_bytes;
    }
  json_builder_set_member_name (b, "tensor_bytes_by_type");
  json_builder_begin_object (b);
  for (LbType t = 0; t < LB_TYPE_COUNT; t++)
    if (bytes[t] > 0)
      {
        json_builder_set_member_name (b, lb_type_get_name (t));
        json_builder_add_int_value (b, (gint64) bytes[t]);
      }
  json_builder_end_object (b);

  /* the brief's four targets */
  json_builder_set_member_name (b, "targets");
  json_builder_begin_array (b);
  for (guint i = 0; i < N_CHECKS; i++)
    {
      const Check *c = &r->checks[i];

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "name");
      json_builder_add_string_value (b, names[i]);
      json_builder_set_member_name (b, "unit");
      json_builder_add_string_value (b, units[i]);
      json_builder_set_member_name (b, "limit");
      json_builder_add_double_value (b, c->limit);
      json_builder_set_member_name (b, "value");
      if (c->measured)
        json_builder_add_double_value (b, c->value);
      else
        json_builder_add_null_value (b);
      json_builder_set_member_name (b, "passed");
      if (c->measured)
        json_builder_add_boolean_value (b, c->passed);
      else
        json_builder_add_null_value (b);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "memory_note");
  json_builder_add_string_value (b, "memory: the engine's memory pool (KV cache, activations, "
                                    "scratch) plus the tensor bytes a runtime maps");

  if (validation != NULL)
    {
      g_autofree char *text = lb_validate_report_to_json (validation);
      g_autoptr (JsonParser) parser = json_parser_new ();

      if (json_parser_load_from_data (parser, text, -1, NULL))
        {
          JsonNode *node = json_parser_steal_root (parser);

          /* it was checked under its temporary name */
          if (JSON_NODE_HOLDS_OBJECT (node))
            json_object_set_string_member (json_node_get_object (node), "candidate", d->path);
          json_builder_set_member_name (b, "validation");
          json_builder_add_value (b, node);
        }
    }
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

static LbAtomicFile *
prepare_text_file (const char *path, const char *text, GError **error)
{
  g_autoptr (LbAtomicFile) file = lb_atomic_file_new (path, error);

  if (file == NULL || !lb_atomic_file_write (file, text, strlen (text), error))
    return NULL;
  return g_steal_pointer (&file);
}

static char *
beside (const char *gguf_path, const char *suffix)
{
  g_autofree char *stem = g_str_has_suffix (gguf_path, ".gguf")
                          ? g_strndup (gguf_path, strlen (gguf_path) - 5) : g_strdup (gguf_path);

  return g_strconcat (stem, suffix, NULL);
}

static gpointer
export_thread (LbJob *job, gpointer task_data, GCancellable *cancellable, GError **error)
{
  ExportData *d = task_data;
  ExportResult *r = g_new0 (ExportResult, 1);
  g_autoptr (LbModel) exported = NULL;
  g_autoptr (LbValidateReport) validation = NULL;
  g_autoptr (LbAtomicFile) recipe_file = NULL;
  g_autoptr (LbAtomicFile) report_file = NULL;
  g_autofree char *recipe_path = beside (d->path, ".recipe.json");
  g_autofree char *report_path = beside (d->path, ".report.json");
  GStatBuf st;

  d->job = job;
  r->written = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < N_CHECKS; i++)
    r->checks[i].limit = d->limits[i], r->checks[i].value = NAN;

  /* the GGUF, under its temporary name */
  if (d->plan != NULL)
    {
      if (!lb_quantize_model (d->model, d->plan, d->imatrix, d->tmp_path, d->n_threads,
                              export_progress, d, cancellable, error))
        goto fail;
    }
  else if (!lb_model_export_gguf (d->model, d->tmp_path, d->convert, export_progress, d,
                                  cancellable, error))
    goto fail;
  if (g_stat (d->tmp_path, &st) != 0)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_IO, "%s: the file written is gone", d->tmp_path);
      goto fail;
    }
  r->file_bytes = (guint64) st.st_size;
  check_set (&r->checks[CHECK_SIZE], r->file_bytes / 1e6, d->limits[CHECK_SIZE]);

  /* loaded back: it must read, and it is what the targets are checked on */
  lb_job_report (job, d->validate ? 0.6 : 0.95, _("Reading the file back"));
  exported = lb_model_load (d->tmp_path, NULL, cancellable, error);
  if (exported == NULL)
    goto fail;
  if (d->validate)
    {
      LbValidateParams params;
      g_autofree char *text = NULL;
      gsize len = 0;

      g_object_set_data (G_OBJECT (job), "lb-validating", GINT_TO_POINTER (1));
      if (d->text_path == NULL)
        {
          g_set_error_literal (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                               _("No evaluation text was found for the accuracy check: turn "
                                 "the check off or choose a text on the Evaluation page"));
          goto fail;
        }
      if (!g_file_get_contents (d->text_path, &text, &len, error))
        goto fail;
      lb_validate_params_init (&params);
      params.limit[LB_TARGET_SIZE] = d->limits[CHECK_SIZE] * 1e6;
      params.limit[LB_TARGET_LATENCY] = d->limits[CHECK_LATENCY];
      params.limit[LB_TARGET_TOP1] = 1.0 - d->limits[CHECK_ACCURACY] / 100.0;
      /* in this process the peak resident memory holds the workbench too: the
       * memory check is made from the benchmark's figures below instead */
      params.enabled[LB_TARGET_MEMORY] = FALSE;
      params.eval.n_ctx = VALIDATE_N_CTX;
      params.eval.n_chunks = VALIDATE_N_CHUNKS;
      params.eval.n_threads = d->n_threads;
      params.bench.n_prompt = VALIDATE_N_PROMPT;
      params.bench.n_gen = VALIDATE_N_GEN;
      params.bench.n_repeat = VALIDATE_N_REPEAT;
      params.bench.n_threads = d->n_threads;
      validation = lb_validate_run (exported, d->model, text, (gssize) len, &params,
                                    export_progress, d, cancellable, error);
      if (validation == NULL)
        goto fail;
      r->validated = TRUE;
      if (validation->bench != NULL)
        {
          r->memory = lb_perf_model_memory (validation->bench, lb_model_get_tensor_bytes (exported));
          check_set (&r->checks[CHECK_LATENCY], validation->bench->decode_ms_mean,
                     d->limits[CHECK_LATENCY]);
          check_set (&r->checks[CHECK_MEMORY], r->memory / 1e6, d->limits[CHECK_MEMORY]);
        }
      if (validation->eval != NULL)
        check_set (&r->checks[CHECK_ACCURACY], lb_session_accuracy_loss (validation->eval),
                   d->limits[CHECK_ACCURACY]);
    }

  /* the recipe and report, ready but not in place */
  lb_job_report (job, 0.99, _("Writing the recipe and report"));
  if (d->write_recipe)
    {
      g_autoptr (LbRecipe) own = d->recipe == NULL
                                 ? lb_recipe_edit_from_types (d->model, NULL, "as-stored", error)
                                 : NULL;
      g_autofree char *text = NULL;

      if (d->recipe == NULL && own == NULL)
        goto fail;
      text = lb_recipe_to_data (d->recipe != NULL ? d->recipe : own);
      recipe_file = prepare_text_file (recipe_path, text, error);
      if (recipe_file == NULL)
        goto fail;
    }
  if (d->write_report)
    {
      g_autoptr (JsonNode) root = report_json (d, r, exported, validation);
      g_autoptr (JsonGenerator) gen = json_generator_new ();
      g_autofree char *text = NULL;

      json_generator_set_root (gen, root);
      json_generator_set_pretty (gen, TRUE);
      text = json_generator_to_data (gen, NULL);
      report_file = prepare_text_file (report_path, text, error);
      if (report_file == NULL)
        goto fail;
    }
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    goto fail;

  /* all in place (the mapping of the loaded file survives the rename) */
  if (g_rename (d->tmp_path, d->path) != 0)
    {
      int saved = errno;

      g_set_error (error, LB_ERROR, LB_ERROR_IO, "could not rename %s to %s: %s", d->tmp_path,
                   d->path, g_strerror (saved));
      goto fail;
    }
  g_ptr_array_add (r->written, g_path_get_basename (d->path));
  if (recipe_file != NULL)
    {
      if (!lb_atomic_file_commit (recipe_file, error))
        goto fail_placed;
      g_ptr_array_add (r->written, g_path_get_basename (recipe_path));
    }
  if (report_file != NULL)
    {
      if (!lb_atomic_file_commit (report_file, error))
        goto fail_placed;
      g_ptr_array_add (r->written, g_path_get_basename (report_path));
    }

  r->path = g_strdup (d->path);
  if (validation != NULL)
    {
      r->eval = g_steal_pointer (&validation->eval);
      r->bench = g_steal_pointer (&validation->bench);
    }
  return r;

fail_placed:
  /* a full disk between the renames: take back what was put in place */
  for (guint i = 0; i < r->written->len; i++)
    {
      g_autofree char *dir = g_path_get_dirname (d->path);
      g_autofree char *path = g_build_filename (dir, g_ptr_array_index (r->written, i), NULL);

      g_unlink (path);
    }
fail:
  g_unlink (d->tmp_path);
  export_result_free (r);
  return NULL;
}

/* The last export's rows, or the row saying there is none yet */
static void
show_last (LbExportView *self, gboolean any)
{
  gtk_widget_set_visible (GTK_WIDGET (self->no_export_row), !any);
  gtk_widget_set_visible (GTK_WIDGET (self->last_row), any);
  gtk_widget_set_visible (GTK_WIDGET (self->files_row), any);
  gtk_widget_set_visible (GTK_WIDGET (self->verdict_row), any);
  for (guint i = 0; i < N_CHECKS; i++)
    gtk_widget_set_visible (GTK_WIDGET (self->check_rows[i]), any);
}

static void
show_folder (GtkButton *button, LbExportView *self)
{
  g_autoptr (GFile) file = NULL;
  g_autoptr (GFile) parent = NULL;
  g_autofree char *uri = NULL;

  if (self->last_path == NULL)
    return;
  file = g_file_new_for_path (self->last_path);
  parent = g_file_get_parent (file);
  uri = g_file_get_uri (parent);
  gtk_show_uri (GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))), uri, GDK_CURRENT_TIME);
}

static void
show_check (LbExportView *self, guint i, const Check *c)
{
  GtkWidget *icon = GTK_WIDGET (self->check_icons[i]);
  g_autofree char *text = NULL;

  gtk_widget_remove_css_class (icon, "success");
  gtk_widget_remove_css_class (icon, "error");
  gtk_widget_remove_css_class (icon, "dim-label");
  if (!c->measured)
    {
      gtk_image_set_from_icon_name (self->check_icons[i], "content-loading-symbolic");
      gtk_widget_add_css_class (icon, "dim-label");
      gtk_label_set_label (self->check_labels[i], _("Not checked"));
      return;
    }
  gtk_image_set_from_icon_name (self->check_icons[i],
                                c->passed ? "emblem-ok-symbolic" : "dialog-error-symbolic");
  gtk_widget_add_css_class (icon, c->passed ? "success" : "error");
  switch (i)
    {
    case CHECK_SIZE:
      /* Translators: value ≤ target; "4.60 MB ≤ 500 MB" */
      text = g_strdup_printf (c->passed ? _("%.2f MB ≤ %.0f MB") : _("%.2f MB > %.0f MB"),
                              c->value, c->limit);
      break;
    case CHECK_LATENCY:
      text = g_strdup_printf (c->passed ? _("%.2f ms ≤ %.1f ms") : _("%.2f ms > %.1f ms"),
                              c->value, c->limit);
      break;
    case CHECK_MEMORY:
      text = g_strdup_printf (c->passed ? _("%.1f MB ≤ %.0f MB") : _("%.1f MB > %.0f MB"),
                              c->value, c->limit);
      break;
    case CHECK_ACCURACY:
    default:
      text = g_strdup_printf (c->passed ? _("%.2f%% ≤ %.2f%%") : _("%.2f%% > %.2f%%"),
                              c->value, c->limit);
      break;
    }
  gtk_label_set_label (self->check_labels[i], text);
}

static void
on_exported (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  LbJob *job = LB_JOB (source);
  g_autoptr (LbExportView) self = user_data;
  g_autoptr (GError) error = NULL;
  ExportResult *r = lb_job_run_finish (job, result, &error);
  LbWindow *window = lb_view_get_window (GTK_WIDGET (self));
  guint revision = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (job), "lb-revision"));
  LbSession *session = g_object_get_data (G_OBJECT (job), "lb-session");
  const char *label = g_object_get_data (G_OBJECT (job), "lb-label");
  g_autofree char *name = NULL;
  g_autofree char *size = NULL;
  g_autofree char *toast = NULL;
  g_autofree char *files = NULL;
  guint n_failed = 0, n_checked = 0;

  if (self->job == job)
    g_clear_object (&self->job);
  if (r == NULL)
    {
      lb_view_show_job_error (GTK_WIDGET (self), _("Could Not Export the Model"), error,
                              _("Export cancelled; nothing was written"));
      return;
    }

  name = g_path_get_basename (r->path);
  size = g_format_size (r->file_bytes);
  g_free (self->last_path);
  self->last_path = g_strdup (r->path);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->last_row), name);
  adw_action_row_set_subtitle (self->last_row, r->path);
  gtk_label_set_label (self->last_size_label, size);
  g_ptr_array_add (r->written, NULL);
  files = g_strjoinv (" · ", (char **) r->written->pdata);
  adw_action_row_set_subtitle (self->files_row, files);
  for (guint i = 0; i < N_CHECKS; i++)
    {
      show_check (self, i, &r->checks[i]);
      if (r->checks[i].measured)
        {
          n_checked++;
          n_failed += !r->checks[i].passed;
        }
    }
  gtk_widget_remove_css_class (GTK_WIDGET (self->verdict_icon), "success");
  gtk_widget_remove_css_class (GTK_WIDGET (self->verdict_icon), "error");
  if (n_checked < N_CHECKS)
    {
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->verdict_row),
                                     n_checked == 1 ? _("Only the size was checked")
                                                    : _("Not every target was checked"));
      gtk_image_set_from_icon_name (self->verdict_icon, "dialog-information-symbolic");
    }
  else if (n_failed == 0)
    {
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->verdict_row),
                                     _("Meets all four targets"));
      gtk_image_set_from_icon_name (self->verdict_icon, "emblem-ok-symbolic");
      gtk_widget_add_css_class (GTK_WIDGET (self->verdict_icon), "success");
    }
  else
    {
      g_autofree char *title = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                             "Misses %u of the four targets",
                                                             "Misses %u of the four targets",
                                                             n_failed), n_failed);

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->verdict_row), title);
      gtk_image_set_from_icon_name (self->verdict_icon, "dialog-warning-symbolic");
      gtk_widget_add_css_class (GTK_WIDGET (self->verdict_icon), "error");
    }
  adw_action_row_set_subtitle (self->verdict_row,
                               r->validated ? _("The exported file, loaded back: benchmarked, "
                                                "then evaluated against the original")
                                            : _("Turn on the check to benchmark and evaluate "
                                                "the exported file"));
  show_last (self, TRUE);

  /* the checks measured the current map: the overview shows them */
  if (session != NULL && session == self->session && r->validated)
    {
      if (r->bench != NULL)
        lb_session_set_bench_result (session, g_steal_pointer (&r->bench), revision, label,
                                     r->memory);
      if (r->eval != NULL)
        lb_session_set_eval_result (session, g_steal_pointer (&r->eval), revision, label,
                                    r->file_bytes);
    }

  if (window != NULL)
    {
      /* Translators: file name and its size */
      toast = g_strdup_printf (_("Exported %s (%s)"), name, size);
      lb_window_show_toast (window, toast);
    }
  export_result_free (r);
}

void
lb_export_view_export_to (LbExportView *self, GFile *file)
{
  GtkRoot *root;
  g_autoptr (LbJob) job = NULL;
  g_autofree char *title = NULL;
  g_autofree char *name = NULL;
  g_autofree char *dir = NULL;
  ExportData *d;

  g_return_if_fail (LB_IS_EXPORT_VIEW (self));
  g_return_if_fail (G_IS_FILE (file));

  root = gtk_widget_get_root (GTK_WIDGET (self));
  g_return_if_fail (LB_IS_WINDOW (root));
  if (self->model == NULL)
    return;
  if (self->job != NULL)
    {
      lb_window_show_toast (LB_WINDOW (root), _("An export is already running"));
      return;
    }

  d = g_new0 (ExportData, 1);
  d->path = g_file_get_path (file);
  if (d->path == NULL)
    {
      lb_window_show_error (LB_WINDOW (root), _("Could Not Export the Model"),
                            _("Choose a folder on this computer to export to."));
      export_data_free (d);
      return;
    }
  name = g_file_get_basename (file);
  dir = g_path_get_dirname (d->path);
  d->tmp_path = g_strdup_printf ("%s%c.%s.lowbit-%08x", dir, G_DIR_SEPARATOR, name,
                                 g_random_int ());
  d->model = g_object_ref (self->model);
  d->convert = convert_type (lb_export_view_get_choice (self));
  d->n_threads = self->session != NULL ? lb_session_get_n_threads (self->session) : 0;
  if (export_plan (self) != NULL)
    {
      d->plan = lb_quant_plan_ref (export_plan (self));
      d->imatrix = lb_session_get_imatrix (self->session) != NULL
                   ? lb_imatrix_ref (lb_session_get_imatrix (self->session)) : NULL;
      d->recipe = lb_recipe_ref (lb_session_get_recipe (self->session));
      d->profile = g_strdup (lb_session_get_profile (self->session));
    }
  d->label = self->session != NULL && lb_export_view_get_choice (self) == LB_EXPORT_MAP
             ? lb_session_dup_label (self->session)
             : g_strdup (gtk_label_get_label (self->map_label));
  d->write_recipe = gtk_switch_get_active (self->recipe_switch);
  d->write_report = gtk_switch_get_active (self->report_switch);
  d->validate = gtk_switch_get_active (self->validate_switch);
  d->text_path = lb_eval_view_find_default_text ();
  if (self->settings != NULL)
    {
      d->limits[CHECK_SIZE] = g_settings_get_double (self->settings, "target-size-mb");
      d->limits[CHECK_LATENCY] = g_settings_get_double (self->settings, "target-latency-ms");
      d->limits[CHECK_MEMORY] = g_settings_get_double (self->settings, "target-memory-mb");
      d->limits[CHECK_ACCURACY] = g_settings_get_double (self->settings, "target-accuracy-loss");
    }
  else
    {
      d->limits[CHECK_SIZE] = 500;
      d->limits[CHECK_LATENCY] = 50;
      d->limits[CHECK_MEMORY] = 300;
      d->limits[CHECK_ACCURACY] = 1;
    }

  title = g_strdup_printf (_("Exporting %s"), name);
  job = lb_job_new (title);
  if (self->session != NULL)
    {
      g_object_set_data (G_OBJECT (job), "lb-revision",
                         GUINT_TO_POINTER (lb_session_get_revision (self->session)));
      g_object_set_data_full (G_OBJECT (job), "lb-session", g_object_ref (self->session),
                              g_object_unref);
    }
  g_object_set_data_full (G_OBJECT (job), "lb-label", g_strdup (d->label), g_free);
  lb_job_report (job, 0.0, _("Preparing the file"));
  self->job = g_object_ref (job);
  lb_window_add_job (LB_WINDOW (root), job);
  lb_job_run_async (job, export_thread, d, export_data_free, export_result_free, on_exported,
                    g_object_ref (self));
}

static void
on_chooser_response (GtkNativeDialog *dialog,
                     int              response,
                     LbExportView    *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));

      lb_export_view_export_to (self, file);
    }
  g_clear_object (&self->chooser);
}

void
lb_export_view_choose_file (LbExportView *self)
{
  GtkFileChooserNative *native;
  const char *suffix = NULL;
  g_autofree char *name = NULL;
  g_autofree char *base = NULL;
  g_autofree char *label = NULL;

  g_return_if_fail (LB_IS_EXPORT_VIEW (self));
  if (self->model == NULL)
    return;

  native = lb_view_file_chooser_new (GTK_WIDGET (self), &self->chooser, _("Export as GGUF"),
                                     GTK_FILE_CHOOSER_ACTION_SAVE, _("_Export"),
                                     lb_view_file_filter_new (_("GGUF Files"), NULL, "*.gguf", NULL));

  base = g_strdup (lb_model_get_name (self->model));
  switch (lb_export_view_get_choice (self))
    {
    case LB_EXPORT_F16: suffix = "f16"; break;
    case LB_EXPORT_BF16: suffix = "bf16"; break;
    case LB_EXPORT_F32: suffix = "f32"; break;
    case LB_EXPORT_MAP:
    default:
      if (self->session != NULL && lb_session_get_recipe (self->session) != NULL)
        suffix = label = g_strdup (lb_recipe_get_name (lb_session_get_recipe (self->session)));
      break;
    }
  name = suffix != NULL ? g_strdup_printf ("%s-%s.gguf", base, suffix)
                        : g_strdup_printf ("%s.gguf", base);
  g_strdelimit (name, "/\\: ", '-');
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (native), name);

  g_signal_connect (native, "response", G_CALLBACK (on_chooser_response), self);
  gtk_native_dialog_show (self->chooser);
}

/* Building the page */

static GtkLabel *
add_value_row (AdwPreferencesGroup *group, const char *title, const char *subtitle)
{
  GtkLabel *label = lb_view_add_value_row (group, title, subtitle);

  gtk_label_set_ellipsize (label, PANGO_ELLIPSIZE_MIDDLE);
  return label;
}

static GtkSwitch *
add_switch_row (AdwPreferencesGroup *group, const char *title, const char *subtitle)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *sw = gtk_switch_new ();

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  gtk_switch_set_active (GTK_SWITCH (sw), TRUE);
  gtk_widget_set_valign (sw, GTK_ALIGN_CENTER);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), sw);
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), sw);
  adw_preferences_group_add (group, row);
  return GTK_SWITCH (sw);
}

static void
lb_export_view_dispose (GObject *object)
{
  LbExportView *self = LB_EXPORT_VIEW (object);

  lb_view_close_chooser (&self->chooser);
  if (self->session != NULL)
    g_signal_handlers_disconnect_by_data (self->session, self);
  g_clear_object (&self->session);
  g_clear_object (&self->job);
  g_clear_object (&self->model);
  g_clear_object (&self->settings);
  g_clear_pointer (&self->last_path, g_free);

  G_OBJECT_CLASS (lb_export_view_parent_class)->dispose (object);
}

static void
lb_export_view_class_init (LbExportViewClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = lb_export_view_dispose;
}

static void
lb_export_view_init (LbExportView *self)
{
  GtkWidget *empty = adw_status_page_new ();
  GtkWidget *scrolled = gtk_scrolled_window_new ();
  GtkWidget *clamp = adw_clamp_new ();
  GtkWidget *columns = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 30);
  GtkWidget *left = gtk_box_new (GTK_ORIENTATION_VERTICAL, 24);
  GtkWidget *right = gtk_box_new (GTK_ORIENTATION_VERTICAL, 24);
  AdwPreferencesGroup *group;
  AdwPreferencesGroup *extras;
  GtkWidget *icon, *button, *export_button;
  GtkStringList *types;

  adw_status_page_set_icon_name (ADW_STATUS_PAGE (empty), "lb-export-symbolic");
  adw_status_page_set_title (ADW_STATUS_PAGE (empty), _("Nothing to Export"));
  adw_status_page_set_description (ADW_STATUS_PAGE (empty),
                                   _("Open a model to export it as a GGUF file."));

  /* the GGUF file */
  group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  lb_group_set_title (group, _("GGUF File"));
  lb_group_set_description (group,
    _("A file that llama.cpp and other GGUF runtimes load, quantized tensor by tensor as the "
      "precision map says. Files appear only when complete: cancelling or an error leaves "
      "nothing behind."));

  export_button = gtk_button_new_with_mnemonic (_("_Export…"));
  gtk_actionable_set_action_name (GTK_ACTIONABLE (export_button), "win.export");
  gtk_widget_add_css_class (export_button, "suggested-action");
  gtk_widget_set_valign (export_button, GTK_ALIGN_CENTER);
  lb_group_set_suffix (group, export_button);

  types = gtk_string_list_new (NULL);
  /* Translators: export each tensor in the type the precision map gives it */
  gtk_string_list_append (types, _("From the Map"));
  gtk_string_list_append (types, "F16");
  gtk_string_list_append (types, "BF16");
  gtk_string_list_append (types, "F32");
  self->type_row = ADW_COMBO_ROW (adw_combo_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->type_row), _("Tensor Types"));
  adw_action_row_set_subtitle (ADW_ACTION_ROW (self->type_row),
                               _("The map’s types, or one float type for every matrix"));
  adw_combo_row_set_model (self->type_row, G_LIST_MODEL (types));
  g_object_unref (types);
  g_signal_connect_swapped (self->type_row, "notify::selected", G_CALLBACK (update_sizes), self);
  adw_preferences_group_add (group, GTK_WIDGET (self->type_row));

  self->map_label = add_value_row (group, _("Precision Map"), NULL);
  self->importance_row = LB_IMPORTANCE_ROW (lb_importance_row_new ());
  adw_preferences_group_add (group, GTK_WIDGET (self->importance_row));
  self->bytes_label = add_value_row (group, _("Tensor Data"),
                                     _("Exact bytes of tensor data in the file"));
  self->file_label = add_value_row (group, _("File Size"),
                                    _("Exact, with the header, metadata and padding"));
  self->budget_label = add_value_row (group, _("Size Target"), NULL);
  gtk_box_append (GTK_BOX (left), GTK_WIDGET (group));

  /* what comes with it */
  extras = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  lb_group_set_title (extras, _("With the File"));
  self->recipe_switch = add_switch_row (extras, _("Recipe"),
                                        _("NAME.recipe.json: the rules that give these types"));
  self->report_switch = add_switch_row (extras, _("Report"),
                                        _("NAME.report.json: sizes, targets and results"));
  self->validate_switch = add_switch_row (extras, _("Check Against the Targets"),
                                          _("Loaded back, benchmarked and evaluated "
                                            "(4 chunks of wikitext-2)"));
  gtk_box_append (GTK_BOX (left), GTK_WIDGET (extras));

  /* the last file written */
  self->last_group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  lb_group_set_title (self->last_group, _("Last Export"));
  self->no_export_row = ADW_ACTION_ROW (adw_action_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->no_export_row), _("Nothing Exported Yet"));
  adw_action_row_set_subtitle (self->no_export_row,
                               _("The file, what was written with it and how it did against "
                                 "the four targets will show here."));
  gtk_widget_add_css_class (GTK_WIDGET (self->no_export_row), "dim-label");
  adw_preferences_group_add (self->last_group, GTK_WIDGET (self->no_export_row));
  self->last_row = ADW_ACTION_ROW (adw_action_row_new ());
  adw_action_row_set_subtitle_lines (self->last_row, 1);
  icon = gtk_image_new_from_icon_name ("emblem-ok-symbolic");
  gtk_widget_add_css_class (icon, "success");
  adw_action_row_add_prefix (self->last_row, icon);
  self->last_size_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_widget_add_css_class (GTK_WIDGET (self->last_size_label), "numeric");
  gtk_widget_add_css_class (GTK_WIDGET (self->last_size_label), "lb-row-value");
  adw_action_row_add_suffix (self->last_row, GTK_WIDGET (self->last_size_label));
  button = gtk_button_new_from_icon_name ("folder-open-symbolic");
  gtk_widget_set_tooltip_text (button, _("Show in Folder"));
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (button, "flat");
  g_signal_connect (button, "clicked", G_CALLBACK (show_folder), self);
  adw_action_row_add_suffix (self->last_row, button);
  adw_preferences_group_add (self->last_group, GTK_WIDGET (self->last_row));

  self->files_row = ADW_ACTION_ROW (adw_action_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->files_row), _("Files Written"));
  adw_action_row_add_prefix (self->files_row, gtk_image_new_from_icon_name ("folder-documents-symbolic"));
  adw_preferences_group_add (self->last_group, GTK_WIDGET (self->files_row));

  self->verdict_row = ADW_ACTION_ROW (adw_action_row_new ());
  self->verdict_icon = GTK_IMAGE (gtk_image_new ());
  adw_action_row_add_prefix (self->verdict_row, GTK_WIDGET (self->verdict_icon));
  gtk_widget_add_css_class (GTK_WIDGET (self->verdict_row), "lb-verdict-row");
  adw_preferences_group_add (self->last_group, GTK_WIDGET (self->verdict_row));
  for (guint i = 0; i < N_CHECKS; i++)
    {
      GtkWidget *label = gtk_label_new (NULL);

      self->check_rows[i] = ADW_ACTION_ROW (adw_action_row_new ());
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->check_rows[i]),
                                     _(check_titles[i]));
      self->check_icons[i] = GTK_IMAGE (gtk_image_new ());
      adw_action_row_add_prefix (self->check_rows[i], GTK_WIDGET (self->check_icons[i]));
      gtk_widget_add_css_class (label, "numeric");
      gtk_widget_add_css_class (label, "lb-row-value");
      self->check_labels[i] = GTK_LABEL (label);
      adw_action_row_add_suffix (self->check_rows[i], label);
      adw_preferences_group_add (self->last_group, GTK_WIDGET (self->check_rows[i]));
    }
  gtk_box_append (GTK_BOX (right), GTK_WIDGET (self->last_group));
  show_last (self, FALSE);

  gtk_widget_set_hexpand (left, TRUE);
  gtk_widget_set_hexpand (right, TRUE);
  gtk_box_set_homogeneous (GTK_BOX (columns), TRUE);
  gtk_box_append (GTK_BOX (columns), left);
  gtk_box_append (GTK_BOX (columns), right);
  gtk_widget_set_margin_top (columns, 24);
  gtk_widget_set_margin_bottom (columns, 30);
  gtk_widget_set_margin_start (columns, 18);
  gtk_widget_set_margin_end (columns, 18);
  adw_clamp_set_maximum_size (ADW_CLAMP (clamp), 1400);
  adw_clamp_set_child (ADW_CLAMP (clamp), columns);
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scrolled), GTK_POLICY_NEVER,
                                  GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), lb_page_box_new (clamp));

  self->stack = GTK_STACK (gtk_stack_new ());
  gtk_stack_set_transition_type (self->stack, GTK_STACK_TRANSITION_TYPE_CROSSFADE);
  gtk_stack_add_named (self->stack, empty, "empty");
  gtk_stack_add_named (self->stack, scrolled, "export");
  adw_bin_set_child (ADW_BIN (self), GTK_WIDGET (self->stack));
  lb_page_single_line_rows (GTK_WIDGET (self));
}

GtkWidget *
lb_export_view_new (void)
{
  return g_object_new (LB_TYPE_EXPORT_VIEW, NULL);
}
