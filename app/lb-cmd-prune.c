/* lb-cmd-prune.c: lowbit prune MODEL (--sparsity S | --pattern N:M)
 *   [--importance FILE] [--include PATTERN]... [--exclude PATTERN]...
 *   [-o OUT.gguf [--recipe R | --preset P [--profile P]]]
 *   [--eval --text FILE [--reference REF] [--chunks N] [--ctx N]] [--threads N] [--json]
 *   [--png FILE]
 *
 * Magnitude pruning (lb-prune.h), then optionally quantization with a
 * recipe (the quantizer reads the zeros), and the accuracy cost against
 * the unpruned model (lb-eval.h). */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "lb-bar-chart-render.h"
#include "lb-chart-board.h"
#include "lb-cli.h"
#include "lb-eval.h"
#include "lb-prune.h"
#include "lb-quantize.h"
#include "lb-tensor-error.h"

typedef struct {
  char    *sparsity;
  char    *pattern;
  char    *importance;
  char   **include;
  char   **exclude;
  char    *output;
  char    *recipe_path;
  char    *preset;
  char    *profile;
  char    *reference;
  char    *text_path;
  char    *tokenizer;
  char    *png;
  gboolean eval;
  gboolean json;
  int      chunks;
  int      ctx;
  int      threads;
} Options;

static void
options_clear (Options *o)
{
  g_free (o->sparsity);
  g_free (o->pattern);
  g_free (o->importance);
  g_strfreev (o->include);
  g_strfreev (o->exclude);
  g_free (o->output);
  g_free (o->recipe_path);
  g_free (o->preset);
  g_free (o->profile);
  g_free (o->reference);
  g_free (o->text_path);
  g_free (o->tokenizer);
  g_free (o->png);
}

/* "0.3" or "30%" */
static gboolean
parse_fraction (const char *s, double *out)
{
  char *end = NULL;
  double v = g_ascii_strtod (s, &end);

  if (end == s || !isfinite (v))
    return FALSE;
  if (*end == '%')
    {
      v /= 100;
      end++;
    }
  if (*end != '\0')
    return FALSE;
  *out = v;
  return TRUE;
}

/* ---- reporting --------------------------------------------------------------------- */

static void
print_tensors (const LbPruneReport *r, LbModel *model, gboolean with_importance)
{
  g_autofree char *total = NULL;

  printf ("%-30s %-14s %-5s %12s %9s\n", "tensor", "shape", "type", "zeros before", "sparsity");
  for (guint i = 0; i < r->tensors->len; i++)
    {
      const LbPruneTensorStat *s = &g_array_index (r->tensors, LbPruneTensorStat, i);
      g_autofree char *shape = lb_tensor_shape_string (lb_model_find_tensor (model, s->name));

      printf ("%-30s %-14s %-5s %11.2f%% %8.2f%%%s\n", s->name, shape, lb_type_get_name (s->type),
              100.0 * (double) s->n_zero_before / (double) MAX (s->n_elements, 1),
              100.0 * (double) s->n_zero / (double) MAX (s->n_elements, 1),
              with_importance && !s->importance_used ? " (no importance data)" : "");
    }
  printf ("\npruned %u tensors: %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT " weights are zero "
          "(%.2f%%), %.2f%% of all the model's weights, in %.2f s\n", r->tensors->len, r->n_zero,
          r->n_elements, 100 * lb_prune_report_sparsity (r),
          100.0 * (double) r->n_zero / (double) MAX (r->n_model_elements, 1), r->seconds);
}

static void
print_eval (const char *what, const LbEvalResult *e)
{
  /* no reference PPL here: lb-eval's is clipped (lb-validate.h explains) */
  printf ("%-22s mean KLD %.6f ± %.6f, same top-1 %.3f%%, PPL %.4f\n", what, e->mean_kld,
          e->mean_kld_error, 100 * e->same_top1, e->ppl);
}

static void
add_double (JsonBuilder *b, const char *name, double v)
{
  json_builder_set_member_name (b, name);
  if (isfinite (v))
    json_builder_add_double_value (b, v);
  else
    json_builder_add_null_value (b);
}

static void
add_int (JsonBuilder *b, const char *name, guint64 v)
{
  json_builder_set_member_name (b, name);
  json_builder_add_int_value (b, (gint64) MIN (v, (guint64) G_MAXINT64));
}

static void
add_string (JsonBuilder *b, const char *name, const char *s)
{
  json_builder_set_member_name (b, name);
  if (s)
    json_builder_add_string_value (b, s);
  else
    json_builder_add_null_value (b);
}

static void
add_strv (JsonBuilder *b, const char *name, char **v)
{
  json_builder_set_member_name (b, name);
  json_builder_begin_array (b);
  for (guint i = 0; v && v[i]; i++)
    json_builder_add_string_value (b, v[i]);
  json_builder_end_array (b);
}

static void
add_eval (JsonBuilder *b, const char *name, const LbEvalResult *e)
{
  g_autofree char *text = NULL;
  JsonNode *node;

  if (e == NULL)
    return;
  text = lb_eval_result_to_json (e, FALSE);
  node = json_from_string (text, NULL);
  json_builder_set_member_name (b, name);
  if (node)
    json_builder_add_value (b, node);
  else
    json_builder_add_null_value (b);
}

static void
print_json (const Options *o, const LbPruneParams *p, const LbPruneReport *r, LbModel *model,
            guint64 out_bytes, const char *recipe_name, const LbEvalResult *eval_pruned,
            const LbEvalResult *eval_output)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *text = NULL;
  g_autofree char *method = p->m ? g_strdup_printf ("%u:%u", p->n, p->m)
                                 : g_strdup ("unstructured");

  json_builder_begin_object (b);
  add_string (b, "model", lb_model_get_path (model));
  add_string (b, "method", method);
  add_double (b, "sparsity", p->m ? 1.0 - (double) p->n / p->m : p->sparsity);
  add_string (b, "importance", o->importance);
  add_strv (b, "include", o->include);
  add_strv (b, "exclude", o->exclude);

  json_builder_set_member_name (b, "tensors");
  json_builder_begin_array (b);
  for (guint i = 0; i < r->tensors->len; i++)
    {
      const LbPruneTensorStat *s = &g_array_index (r->tensors, LbPruneTensorStat, i);

      json_builder_begin_object (b);
      add_string (b, "name", s->name);
      json_builder_set_member_name (b, "shape");
      json_builder_begin_array (b);
      json_builder_add_int_value (b, s->n_cols);
      json_builder_add_int_value (b, s->n_rows);
      json_builder_end_array (b);
      add_string (b, "type", lb_type_get_name (s->type));
      add_int (b, "n_elements", s->n_elements);
      add_int (b, "zeros_before", s->n_zero_before);
      add_int (b, "zeros", s->n_zero);
      add_double (b, "sparsity", (double) s->n_zero / (double) MAX (s->n_elements, 1));
      json_builder_set_member_name (b, "importance");
      json_builder_add_boolean_value (b, s->importance_used);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);

  json_builder_set_member_name (b, "total");
  json_builder_begin_object (b);
  add_int (b, "n_tensors", r->tensors->len);
  add_int (b, "n_elements", r->n_elements);
  add_int (b, "zeros", r->n_zero);
  add_double (b, "sparsity", lb_prune_report_sparsity (r));
  add_int (b, "model_elements", r->n_model_elements);
  add_double (b, "model_sparsity", (double) r->n_zero / (double) MAX (r->n_model_elements, 1));
  add_double (b, "seconds", r->seconds);
  json_builder_end_object (b);
  add_strv (b, "warnings", r->warnings);

  json_builder_set_member_name (b, "output");
  if (o->output)
    {
      json_builder_begin_object (b);
      add_string (b, "path", o->output);
      add_int (b, "bytes", out_bytes);
      add_string (b, "recipe", recipe_name);
      json_builder_end_object (b);
    }
  else
    json_builder_add_null_value (b);

  if (eval_pruned || eval_output)
    {
      json_builder_set_member_name (b, "eval");
      json_builder_begin_object (b);
      add_eval (b, "pruned", eval_pruned);
      add_eval (b, "output", eval_output);
      json_builder_end_object (b);
    }
  json_builder_end_object (b);

  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  json_generator_set_pretty (gen, TRUE);
  text = json_generator_to_data (gen, NULL);
  printf ("%s\n", text);
}

/* Per tensor: the sparsity reached and how far the weights moved (SNR of
 * the pruned tensor against the original), as two bar charts side by side */
static gboolean
write_png (const char *path, const LbPruneReport *r, LbModel *model, LbModel *pruned,
           const LbEvalResult *eval, GError **error)
{
  guint n = r->tensors->len;
  g_autofree const char **labels = g_new0 (const char *, n + 1);
  g_autofree double *sparsity = g_new (double, MAX (n, 1));
  g_autofree double *snr = g_new (double, MAX (n, 1));
  g_autofree char *name = g_path_get_basename (lb_model_get_name (model));
  g_autofree char *title = NULL;
  LbBarSeries sp_series = { NULL, sparsity }, snr_series = { NULL, snr };
  LbBarChartData sp_chart = { 0 }, snr_chart = { 0 };
  LbChartPanel panels[2];
  double panel_h = MIN (4000, 110 + 15 * n);

  for (guint i = 0; i < n; i++)
    {
      const LbPruneTensorStat *st = &g_array_index (r->tensors, LbPruneTensorStat, i);
      const LbTensor *a = lb_model_find_tensor (model, st->name);
      const LbTensor *b = lb_model_find_tensor (pruned, st->name);
      LbTensorErrorParams params = LB_TENSOR_ERROR_PARAMS_INIT;
      LbTensorError err;

      labels[i] = st->name;
      sparsity[i] = (double) st->n_zero / (double) MAX (st->n_elements, 1);
      snr[i] = NAN;
      if (a == NULL || b == NULL)
        continue;
      if (!lb_tensor_error_compare (a, b, &params, &err, NULL, lb_cli_get_cancellable (), error))
        return FALSE;
      /* an untouched tensor has no error: no bar rather than an infinite one */
      snr[i] = isfinite (err.snr_db) ? err.snr_db : NAN;
    }

  sp_chart.n_bars = snr_chart.n_bars = n;
  sp_chart.labels = snr_chart.labels = labels;
  sp_chart.n_series = snr_chart.n_series = 1;
  sp_chart.series = &sp_series;
  sp_chart.title = "sparsity per tensor";
  sp_chart.value_label = "zero weights";
  sp_chart.format = LB_CHART_FORMAT_PERCENT;
  sp_chart.show_values = TRUE;
  snr_chart.series = &snr_series;
  snr_chart.title = "weight SNR after pruning (higher: closer to the original)";
  snr_chart.value_label = "SNR (dB) of the pruned weights against the original";
  snr_chart.format = LB_CHART_FORMAT_DECIBEL;
  snr_chart.show_values = TRUE;
  panels[0] = (LbChartPanel) { .draw = lb_chart_panel_draw_bars, .data = &sp_chart,
                               .x = 0, .y = 0, .width = 560, .height = panel_h };
  panels[1] = (LbChartPanel) { .draw = lb_chart_panel_draw_bars, .data = &snr_chart,
                               .x = 560, .y = 0, .width = 560, .height = panel_h };

  if (eval)
    title = g_strdup_printf ("%s pruned to %.2f%% sparsity: mean KLD %.6f, same top-1 %.3f%%",
                             name, 100 * lb_prune_report_sparsity (r), eval->mean_kld,
                             100 * eval->same_top1);
  else
    title = g_strdup_printf ("%s pruned to %.2f%% sparsity (%u tensors)", name,
                             100 * lb_prune_report_sparsity (r), n);
  return lb_chart_board_write_png (path, title, panels, G_N_ELEMENTS (panels), NULL, 1120,
                                   (int) (panel_h + lb_chart_board_title_height (title, NULL)),
                                   error);
}

/* ---- steps ------------------------------------------------------------------------------ */

static LbRecipe *
load_recipe (const Options *o, GError **error)
{
  LbRecipe *recipe;
  const char *imp;

  if (o->preset)
    return lb_recipe_load_preset (o->preset, error);
  recipe = lb_recipe_load (o->recipe_path, error);
  imp = recipe ? lb_recipe_get_importance (recipe) : NULL;
  /* a recipe's relative importance path is relative to the recipe */
  if (imp && !g_path_is_absolute (imp))
    {
      g_autofree char *dir = g_path_get_dirname (o->recipe_path);
      g_autofree char *full = g_build_filename (dir, imp, NULL);
      lb_recipe_set_importance (recipe, full);
    }
  return recipe;
}

/* pruned -> o->output through the recipe's plan */
static gboolean
quantize (const Options *o, LbModel *pruned, LbImatrix *importance, char **recipe_name,
          GError **error)
{
  g_autoptr (LbRecipe) recipe = load_recipe (o, error);
  g_autoptr (LbQuantPlan) plan = NULL;
  g_autoptr (LbImatrix) own = NULL;
  LbImatrix *imatrix = NULL;
  gboolean ok;

  if (recipe == NULL)
    return FALSE;
  if (o->importance)
    lb_recipe_set_importance (recipe, o->importance);
  if (!lb_recipe_resolve (recipe, pruned, o->profile, &plan, error))
    return FALSE;
  for (const char * const *w = lb_quant_plan_get_warnings (plan); *w; w++)
    fprintf (stderr, "lowbit prune: warning: %s\n", *w);
  if (lb_quant_plan_uses_importance (plan))
    {
      imatrix = importance;
      if (imatrix == NULL)
        {
          own = lb_imatrix_load (lb_recipe_get_importance (recipe), error);
          if (own == NULL)
            return FALSE;
          imatrix = own;
        }
    }
  ok = lb_quantize_model (pruned, plan, imatrix, o->output, (guint) o->threads, lb_cli_progress,
                          NULL, lb_cli_get_cancellable (), error);
  lb_cli_progress_end ();
  if (ok)
    *recipe_name = g_strdup (lb_recipe_get_name (recipe));
  return ok;
}

static LbEvalResult *
evaluate (const Options *o, LbModel *candidate, LbModel *reference, const char *text, gsize len,
          GError **error)
{
  LbEvalParams params = { 0 };
  LbEvalResult *r;

  params.n_ctx = (guint) o->ctx;
  params.n_chunks = (guint) o->chunks;
  params.n_threads = (guint) o->threads;
  r = lb_eval_run (candidate, reference, text, (gssize) len, &params, lb_cli_progress, NULL,
                   lb_cli_get_cancellable (), error);
  lb_cli_progress_end ();
  return r;
}

static int
check_options (const Options *o, int argc, LbPruneParams *p)
{
  GError *error = NULL;

  if (argc != 2)
    return lb_cli_usage_error ("prune", "expected one MODEL argument");
  if (o->sparsity == NULL && o->pattern == NULL)
    return lb_cli_usage_error ("prune", "give --sparsity or --pattern");
  if (o->sparsity && (!parse_fraction (o->sparsity, &p->sparsity) || p->sparsity < 0
                      || p->sparsity >= 1))
    return lb_cli_usage_error ("prune", "--sparsity %s: expected a fraction from 0 to below 1 "
                               "(0.3 or 30%%)", o->sparsity);
  if (o->pattern && !lb_prune_parse_pattern (o->pattern, &p->n, &p->m, &error))
    {
      int code = lb_cli_usage_error ("prune", "--pattern: %s", error->message);
      g_error_free (error);
      return code;
    }
  if (o->pattern && o->sparsity && fabs (p->sparsity - (1.0 - (double) p->n / p->m)) > 1e-9)
    return lb_cli_usage_error ("prune", "--sparsity %s contradicts --pattern %s (which prunes "
                               "%.4g)", o->sparsity, o->pattern, 1.0 - (double) p->n / p->m);
  if (o->recipe_path && o->preset)
    return lb_cli_usage_error ("prune", "give one of --recipe and --preset");
  if ((o->recipe_path || o->preset) && o->output == NULL)
    return lb_cli_usage_error ("prune", "--recipe and --preset need --output");
  if (o->profile && !o->recipe_path && !o->preset)
    return lb_cli_usage_error ("prune", "--profile goes with --recipe or --preset");
  if (o->output == NULL && !o->eval && !o->json && !o->png)
    return lb_cli_usage_error ("prune", "nothing to do: give --output, --eval, --json or --png");
  if (o->eval && o->text_path == NULL)
    return lb_cli_usage_error ("prune", "--eval needs --text");
  if (!o->eval && (o->reference || o->text_path || o->chunks || o->ctx))
    return lb_cli_usage_error ("prune", "--reference, --text, --chunks and --ctx go with --eval");
  if (o->chunks < 0 || (o->ctx != 0 && (o->ctx < 4 || o->ctx > (1 << 20))))
    return lb_cli_usage_error ("prune", "--chunks must be positive and --ctx from 4 to 1048576");
  if (o->threads < 0 || o->threads > 1024)
    return lb_cli_usage_error ("prune", "--threads must be from 1 to 1024");
  p->include = (const char * const *) o->include;
  p->exclude = (const char * const *) o->exclude;
  p->n_threads = (guint) o->threads;
  if (!lb_prune_params_check (p, &error))
    {
      int code = lb_cli_usage_error ("prune", "%s", error->message);
      g_error_free (error);
      return code;
    }
  return LB_EXIT_OK;
}

int
lb_cmd_prune (int argc, char **argv)
{
  Options o = { 0 };
  GOptionEntry entries[] = {
    { "sparsity", 's', 0, G_OPTION_ARG_STRING, &o.sparsity, "Fraction of each row to zero (0.3 or 30%)", "S" },
    { "pattern", 0, 0, G_OPTION_ARG_STRING, &o.pattern, "N:M: keep the N largest of every M consecutive weights (e.g. 2:4)", "N:M" },
    { "importance", 'i', 0, G_OPTION_ARG_FILENAME, &o.importance, "Importance data (imatrix): score |w| * sqrt (importance); also used to quantize", "FILE" },
    { "include", 0, 0, G_OPTION_ARG_STRING_ARRAY, &o.include, "Prune the tensors matching PATTERN instead of the blocks' matrices (repeatable)", "PATTERN" },
    { "exclude", 0, 0, G_OPTION_ARG_STRING_ARRAY, &o.exclude, "Leave the tensors matching PATTERN alone (repeatable)", "PATTERN" },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &o.output, "GGUF file to write", "OUT.gguf" },
    { "recipe", 'r', 0, G_OPTION_ARG_FILENAME, &o.recipe_path, "Then quantize with this recipe", "FILE" },
    { "preset", 'p', 0, G_OPTION_ARG_STRING, &o.preset, "Then quantize with this bundled recipe (Q8_0, Q4_K_M, ...)", "NAME" },
    { "profile", 0, 0, G_OPTION_ARG_STRING, &o.profile, "One of the recipe's profiles", "NAME" },
    { "eval", 'e', 0, G_OPTION_ARG_NONE, &o.eval, "Measure the accuracy cost (KL divergence from the unpruned model)", NULL },
    { "reference", 0, 0, G_OPTION_ARG_FILENAME, &o.reference, "With --eval: compare with this model instead of MODEL", "REF" },
    { "text", 'f', 0, G_OPTION_ARG_FILENAME, &o.text_path, "With --eval: text to evaluate on", "FILE" },
    { "chunks", 0, 0, G_OPTION_ARG_INT, &o.chunks, "With --eval: evaluate only N chunks", "N" },
    { "ctx", 'c', 0, G_OPTION_ARG_INT, &o.ctx, "With --eval: tokens per chunk (default 512)", "N" },
    { "threads", 't', 0, G_OPTION_ARG_INT, &o.threads, "Threads (default: all cores)", "N" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &o.json, "Print the report as JSON", NULL },
    { "png", 0, 0, G_OPTION_ARG_FILENAME, &o.png, "Draw per-tensor sparsity and weight SNR as bar charts", "FILE.png" },
    { "tokenizer", 0, 0, G_OPTION_ARG_FILENAME, &o.tokenizer, "Tokenizer of a llama2.c checkpoint", "FILE" },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx =
    lb_cli_context_new ("prune", "MODEL (--sparsity S | --pattern N:M) [-o OUT.gguf]",
                        "Zero the smallest weights of each row of the weight matrices.",
                        "Unstructured pruning zeroes round (S x n) weights of every row of n; "
                        "--pattern N:M keeps the N largest of every M consecutive weights. The "
                        "score is |w|, or |w| x sqrt (importance of its column) with --importance. "
                        "By default the matrices of the blocks are pruned, never norms, biases, "
                        "the embedding or the output projection. Patterns use the recipe syntax "
                        "(* ? [0-3]). Pruned tensors keep their type; with --recipe or --preset "
                        "the pruned model is then quantized. Sparsity does not shrink a dense "
                        "GGUF file: it shrinks compressed downloads and delta updates (see "
                        "docs/pruning.md).");
  g_autoptr (LbModel) model = NULL, pruned = NULL, ref = NULL, written = NULL;
  g_autoptr (LbImatrix) importance = NULL;
  g_autoptr (LbPruneReport) report = NULL;
  g_autoptr (LbEvalResult) eval_pruned = NULL, eval_output = NULL;
  g_autofree char *text = NULL;
  g_autofree char *recipe_name = NULL;
  LbPruneParams params = { 0 };
  gsize text_len = 0;
  guint64 out_bytes = 0;
  GError *error = NULL;
  int code;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!lb_cli_parse (ctx, &argc, &argv))
    {
      options_clear (&o);
      return LB_EXIT_USAGE;
    }
  code = check_options (&o, argc, &params);
  if (code != LB_EXIT_OK)
    goto out;
  if (o.png && !lb_chart_png_path_check (o.png, "--png", &error))
    goto fail;

  if (o.text_path && !g_file_get_contents (o.text_path, &text, &text_len, &error))
    goto fail;
  model = lb_cli_load_model (argv[1], o.tokenizer, &error);
  if (model == NULL)
    goto fail;
  if (o.importance)
    {
      importance = lb_imatrix_load (o.importance, &error);
      if (importance == NULL)
        goto fail;
      params.importance = importance;
    }

  pruned = lb_prune_model (model, &params, &report, lb_cli_progress, NULL,
                           lb_cli_get_cancellable (), &error);
  lb_cli_progress_end ();
  if (pruned == NULL)
    goto fail;
  for (guint i = 0; report->warnings[i]; i++)
    fprintf (stderr, "lowbit prune: warning: %s\n", report->warnings[i]);

  if (o.output)
    {
      gboolean ok;
      GStatBuf st;

      if (o.recipe_path || o.preset)
        ok = quantize (&o, pruned, importance, &recipe_name, &error);
      else
        ok = lb_model_export_gguf (pruned, o.output, LB_CONVERT_AUTO, lb_cli_progress, NULL,
                                   lb_cli_get_cancellable (), &error);
      lb_cli_progress_end ();
      if (!ok)
        goto fail;
      if (g_stat (o.output, &st) == 0)
        out_bytes = (guint64) st.st_size;
    }

  if (o.eval)
    {
      if (o.reference)
        {
          ref = lb_cli_load_model (o.reference, NULL, &error);
          if (ref == NULL)
            goto fail;
        }
      eval_pruned = evaluate (&o, pruned, ref ? ref : model, text, text_len, &error);
      if (eval_pruned == NULL)
        goto fail;
      if (recipe_name)
        {
          written = lb_cli_load_model (o.output, NULL, &error);
          if (written == NULL)
            goto fail;
          eval_output = evaluate (&o, written, ref ? ref : model, text, text_len, &error);
          if (eval_output == NULL)
            goto fail;
        }
    }

  if (o.json)
    print_json (&o, &params, report, model, out_bytes, recipe_name, eval_pruned, eval_output);
  else
    {
      print_tensors (report, model, importance != NULL);
      if (eval_pruned)
        {
          printf ("\naccuracy cost against %s (%u chunks of %u tokens, %" G_GUINT64_FORMAT
                  " positions)\n", eval_pruned->reference, eval_pruned->n_chunks,
                  eval_pruned->n_ctx, eval_pruned->n_positions);
          print_eval ("pruned", eval_pruned);
        }
      if (eval_output)
        {
          g_autofree char *what = g_strdup_printf ("pruned + %s", recipe_name);
          print_eval (what, eval_output);
        }
    }
  if (o.png)
    {
      if (!write_png (o.png, report, model, pruned, eval_pruned, &error))
        goto fail;
      fprintf (stderr, "wrote %s\n", o.png);
    }
  if (o.output)
    {
      g_autofree char *size = lb_cli_format_size (out_bytes);
      fprintf (stderr, "wrote %s (%s, %" G_GUINT64_FORMAT " bytes%s%s)\n", o.output, size,
               out_bytes, recipe_name ? ", quantized with " : "", recipe_name ? recipe_name : "");
    }
  goto out;

fail:
  code = lb_cli_fail (error);
out:
  options_clear (&o);
  return code;
}
