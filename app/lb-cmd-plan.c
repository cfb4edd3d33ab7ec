/* lb-cmd-plan.c: lowbit plan MODEL (--size SIZE | --bpw B) -o recipe.json
 *   [--types T,...] [--protect PATTERN[=TYPE]...] [--imatrix F]
 *   [--sensitivity FILE | --calib-text FILE [--group BY --chunks N --ctx N --cache F]]
 *   [--verify --text FILE [--verify-chunks N]] [--pareto DIR [--compare FILE.gguf...]]
 *   [--png FILE] */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "lb-chart-board.h"
#include "lb-chart-png.h"
#include "lb-cli.h"
#include "lb-layer-grid.h"
#include "lb-planner.h"
#include "lb-precision-grid-render.h"
#include "lb-quantize.h"
#include "lb-scatter-render.h"
#include "lb-size-bar-render.h"
#include "lb-variant.h"

#define DEFAULT_TYPES   "Q2_K,Q3_K,Q4_K,Q5_K,Q6_K,Q8_0"
#define FRONT_POINTS    24

static const char * const pareto_presets[] = {
  "Q2_K", "Q3_K_M", "Q4_0", "IQ4_NL", "Q4_K_M", "Q5_K_M", "Q6_K", "Q8_0",
};

/* "500MB", "4.6 MB", "512MiB", "4597536" -> bytes; FALSE when malformed */
static gboolean
parse_size (const char *s, guint64 *out)
{
  static const struct { const char *unit; double mul; } units[] = {
    { "", 1 }, { "B", 1 }, { "KB", 1e3 }, { "MB", 1e6 }, { "GB", 1e9 },
    { "K", 1e3 }, { "M", 1e6 }, { "G", 1e9 },
    { "KiB", 1024.0 }, { "MiB", 1048576.0 }, { "GiB", 1073741824.0 },
  };
  char *end = NULL;
  double v;

  errno = 0;
  v = g_ascii_strtod (s, &end);
  if (end == s || errno != 0 || !isfinite (v) || v <= 0)
    return FALSE;
  while (*end == ' ')
    end++;
  for (guint i = 0; i < G_N_ELEMENTS (units); i++)
    if (g_ascii_strcasecmp (end, units[i].unit) == 0)
      {
        double b = floor (v * units[i].mul);
        if (b < 1 || b > 1e18)
          return FALSE;
        *out = (guint64) b;
        return TRUE;
      }
  return FALSE;
}

static gboolean
parse_types (const char *list, GArray *types)
{
  g_auto (GStrv) names = g_strsplit (list, ",", -1);

  for (guint i = 0; names[i]; i++)
    {
      LbType t;
      g_strstrip (names[i]);
      if (*names[i] == '\0')
        continue;
      if (!lb_type_from_name (names[i], &t))
        {
          lb_cli_usage_error ("plan", "--types: unknown type '%s'", names[i]);
          return FALSE;
        }
      g_array_append_val (types, t);
    }
  if (types->len == 0)
    {
      lb_cli_usage_error ("plan", "--types lists no type");
      return FALSE;
    }
  return TRUE;
}

/* ---- measuring candidates against the model ------------------------------------ */

typedef struct {
  LbModel     *model;
  LbImatrix   *imatrix;
  const char  *text;
  gsize        text_len;
  LbEvalParams params;
  char        *cache;        /* the reference's log-probabilities */
  gboolean     own_cache;    /* a temporary file this run made */
  guint        n_threads;
} Verifier;

static void
verifier_clear (Verifier *v)
{
  if (v->own_cache && v->cache)
    g_unlink (v->cache);
  g_free (v->cache);
}

static LbEvalResult *
measure_model (Verifier *v, LbModel *cand, GError **error)
{
  LbEvalParams p = v->params;
  LbEvalResult *res;

  if (v->cache && g_file_test (v->cache, G_FILE_TEST_EXISTS))
    {
      p.reference_cache = v->cache;
      res = lb_eval_run (cand, NULL, v->text, (gssize) v->text_len, &p, lb_cli_progress, NULL,
                         lb_cli_get_cancellable (), error);
    }
  else
    {
      if (v->cache == NULL)
        {
          int fd = g_file_open_tmp ("lowbit-plan-XXXXXX.lbref", &v->cache, error);
          if (fd < 0)
            return NULL;
          close (fd);
          g_unlink (v->cache);
          v->own_cache = TRUE;
        }
      p.save_reference = v->cache;
      res = lb_eval_run (cand, v->model, v->text, (gssize) v->text_len, &p, lb_cli_progress, NULL,
                         lb_cli_get_cancellable (), error);
    }
  lb_cli_progress_end ();
  return res;
}

static LbEvalResult *
measure_plan (Verifier *v, LbQuantPlan *plan, GError **error)
{
  g_autoptr (GHashTable) overrides = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (LbModel) built = NULL;

  for (guint i = 0; i < lb_quant_plan_get_n_entries (plan); i++)
    {
      const LbPlanEntry *e = lb_quant_plan_get_entry (plan, i);
      if (e->type != e->tensor->type)
        g_hash_table_insert (overrides, e->tensor->name, GINT_TO_POINTER (e->type));
    }
  built = lb_variant_build (v->model, overrides, lb_quant_plan_uses_importance (plan) ? v->imatrix : NULL,
                            v->n_threads, lb_cli_progress, NULL, lb_cli_get_cancellable (), error);
  lb_cli_progress_end ();
  if (built == NULL)
    return NULL;
  return measure_model (v, built, error);
}

/* ---- output -------------------------------------------------------------------- */

static void
print_plan (LbPlanner *planner, LbPlannerResult *r)
{
  guint counts[LB_TYPE_COUNT] = { 0 };
  guint64 weights[LB_TYPE_COUNT] = { 0 };
  g_autofree char *size = lb_cli_format_size (r->file_bytes);

  printf ("%-36s %-8s %12s\n", "tensor", "type", "bytes");
  for (guint i = 0; i < lb_quant_plan_get_n_entries (r->plan); i++)
    {
      const LbPlanEntry *e = lb_quant_plan_get_entry (r->plan, i);
      if (e->source == LB_PLAN_FROM_NORMS || e->source == LB_PLAN_FROM_SOURCE)
        continue;
      printf ("%-36s %-8s %12" G_GUINT64_FORMAT "\n", e->tensor->name, lb_type_get_name (e->type),
              e->n_bytes);
      counts[e->type]++;
      weights[e->type] += (guint64) lb_tensor_n_elements (e->tensor);
    }
  printf ("\nmix:");
  for (guint t = 0; t < LB_TYPE_COUNT; t++)
    if (counts[t])
      printf (" %s x%u (%.1f%% of weights)", lb_type_get_name (t), counts[t],
              100.0 * (double) weights[t] / (double) lb_planner_get_n_params (planner));
  printf ("\nfile size %" G_GUINT64_FORMAT " bytes (%s, %.4f bits per weight), budget %"
          G_GUINT64_FORMAT " bytes\n", r->file_bytes, size,
          8.0 * (double) r->file_bytes / (double) lb_planner_get_n_params (planner), r->budget_bytes);
  printf ("predicted mean KLD %.6f (sum of the groups' measured increases, assumed additive)\n",
          r->predicted_kld);
}

/* The plan as the precision editor shows it: the weight matrices on a
 * layers × kinds grid coloured by type, and the bytes per type against the
 * budget */
static gboolean
write_plan_png (const char *path, LbModel *model, LbPlannerResult *r, gboolean proxy,
                GError **error)
{
  LbQuantPlan *plan = r->plan;
  guint n_entries = lb_quant_plan_get_n_entries (plan), n = 0;
  g_autofree const char **names = g_new0 (const char *, n_entries + 1);
  g_autofree const LbPlanEntry **matrices = g_new0 (const LbPlanEntry *, n_entries + 1);
  guint64 bytes[LB_TYPE_COUNT] = { 0 };
  g_autofree LbSizeSegment *segments = g_new0 (LbSizeSegment, LB_TYPE_COUNT);
  g_autofree const char **cells = NULL;
  g_autoptr (LbLayerGrid) grid = NULL;
  g_autofree char *size = lb_cli_format_size (r->file_bytes);
  g_autofree char *budget = lb_cli_format_size (r->budget_bytes);
  g_autofree char *title = proxy
    ? g_strdup_printf ("%s: planned types, %s file (budget %s), ranked by the weight-error proxy",
                       lb_model_get_name (model), size, budget)
    : g_strdup_printf ("%s: planned types, %s file (budget %s), predicted mean KLD %.6f",
                       lb_model_get_name (model), size, budget, r->predicted_kld);
  LbPrecisionGridData grid_data = { 0 };
  LbSizeBarData bar = { 0 };
  LbChartPanel panels[2];
  guint n_segments = 0;
  double grid_h, width;

  for (guint i = 0; i < n_entries; i++)
    {
      const LbPlanEntry *e = lb_quant_plan_get_entry (plan, i);

      bytes[e->type] += e->n_bytes;
      if (e->source == LB_PLAN_FROM_NORMS || e->source == LB_PLAN_FROM_SOURCE)
        continue;
      matrices[n] = e;
      names[n++] = e->tensor->name;
    }
  grid = lb_layer_grid_new (names, n);
  if (grid == NULL)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                   "--png %s: the plan has no weight matrix to draw", path);
      return FALSE;
    }
  cells = g_new0 (const char *, (gsize) grid->n_rows * grid->n_cols);
  for (guint i = 0; i < n; i++)
    cells[grid->cell[i]] = lb_type_get_name (matrices[i]->type);
  grid_data.n_rows = grid->n_rows;
  grid_data.n_cols = grid->n_cols;
  grid_data.types = cells;
  grid_data.row_labels = (const char * const *) grid->row_labels;
  grid_data.col_labels = (const char * const *) grid->col_labels;

  /* by falling bits per weight, as the grid's legend */
  for (guint t = LB_TYPE_COUNT; t-- > 0; )
    if (bytes[t] > 0)
      segments[n_segments++] = (LbSizeSegment) { lb_type_get_name (t), (double) bytes[t] };
  bar.n_segments = n_segments;
  bar.segments = segments;
  bar.budget = (double) r->budget_bytes;
  bar.title = "bytes per type against the budget";

  width = MAX (720, 140 + 64 * grid->n_cols);
  grid_h = MIN (3000, 150 + 24 * grid->n_rows);
  panels[0] = (LbChartPanel) { .kind = LB_CHART_PRECISION_GRID, .data = &grid_data,
                               .x = 0, .y = 0, .width = width, .height = grid_h };
  panels[1] = (LbChartPanel) { .kind = LB_CHART_SIZE_BAR, .data = &bar,
                               .x = 0, .y = grid_h, .width = width, .height = 110 };
  return lb_chart_board_write_png (path, title, panels, G_N_ELEMENTS (panels), NULL,
                                   (int) MAX (width, 9.5 * (strlen (title) + 4)),
                                   (int) (grid_h + 110 + lb_chart_board_title_height (title, NULL)),
                                   error);
}

typedef struct {
  char    *label;
  char    *kind;       /* "planned", "preset", "file" */
  guint64  bytes;
  double   predicted;  /* NaN: none */
  double   measured;   /* NaN: not measured */
  double   same_top1;
  double   ppl;
} Point;

static void
point_free (Point *p)
{
  g_free (p->label);
  g_free (p->kind);
  g_free (p);
}

static Point *
point_new (const char *label, const char *kind, guint64 bytes, double predicted)
{
  Point *p = g_new0 (Point, 1);

  p->label = g_strdup (label);
  p->kind = g_strdup (kind);
  p->bytes = bytes;
  p->predicted = predicted;
  p->measured = p->same_top1 = p->ppl = NAN;
  return p;
}

static void
point_set_measured (Point *p, const LbEvalResult *res)
{
  p->measured = res->mean_kld;
  p->same_top1 = res->same_top1;
  p->ppl = res->ppl;
}

static void
json_number (JsonBuilder *b, const char *key, double v)
{
  json_builder_set_member_name (b, key);
  if (isfinite (v))
    json_builder_add_double_value (b, v);
  else
    json_builder_add_null_value (b);
}

static gboolean
write_pareto (const char *dir, GPtrArray *points, gboolean measured, double n_params,
              GError **error)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *json_path = g_build_filename (dir, "pareto.json", NULL);
  g_autofree char *png_path = g_build_filename (dir, "pareto.png", NULL);
  g_autofree char *text = NULL;
  g_autofree LbScatterPoint *sp = g_new0 (LbScatterPoint, MAX (points->len, 1));
  static const char * const groups_measured[] = { "Lowbit plan (measured)",
                                                  "llama.cpp mix, Lowbit quantizer (measured)",
                                                  "file (measured)" };
  static const char * const groups_predicted[] = { "Lowbit plan (predicted)",
                                                   "llama.cpp mix (predicted)", "file" };
  LbScatterData data = { 0 };
  gboolean files = FALSE;
  guint n = 0;

  if (g_mkdir_with_parents (dir, 0755) != 0)
    {
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
                   "cannot make the folder %s: %s", dir, g_strerror (errno));
      return FALSE;
    }
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "points");
  json_builder_begin_array (b);
  for (guint i = 0; i < points->len; i++)
    {
      Point *p = points->pdata[i];
      double y = measured ? p->measured : p->predicted;

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "label");
      json_builder_add_string_value (b, p->label);
      json_builder_set_member_name (b, "kind");
      json_builder_add_string_value (b, p->kind);
      json_builder_set_member_name (b, "bytes");
      json_builder_add_int_value (b, (gint64) p->bytes);
      json_number (b, "bpw", 8.0 * (double) p->bytes / n_params);
      json_number (b, "predicted_kld", p->predicted);
      json_number (b, "measured_kld", p->measured);
      json_number (b, "same_top1_percent", 100 * p->same_top1);
      json_number (b, "ppl", p->ppl);
      json_builder_end_object (b);
      if (!isfinite (y) || y <= 0)
        continue;
      sp[n].x = (double) p->bytes;
      sp[n].y = y;
      sp[n].group = strcmp (p->kind, "planned") == 0 ? 0 : strcmp (p->kind, "preset") == 0 ? 1 : 2;
      sp[n].label = sp[n].group == 0 ? NULL : p->label;
      files |= sp[n].group == 2;
      n++;
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  json_generator_set_pretty (gen, TRUE);
  text = json_generator_to_data (gen, NULL);
  if (!g_file_set_contents (json_path, text, -1, error))
    return FALSE;

  data.n_points = n;
  data.points = sp;
  data.n_groups = files ? 3 : 2;
  data.group_names = measured ? groups_measured : groups_predicted;
  data.title = measured ? "size vs measured mean KLD" : "size vs predicted mean KLD";
  data.x_label = "file size";
  data.y_label = "mean KL divergence";
  data.x_format = LB_CHART_FORMAT_BYTES;
  data.y_format = LB_CHART_FORMAT_PLAIN;
  data.y_log = TRUE;
  data.show_front = TRUE;
  return lb_chart_write_png (png_path, LB_CHART_SCATTER, &data, NULL, 900, 600, 1.0, error);
}

/* the front, the presets and the extra files, measured when v is set */
static gboolean
pareto (LbPlanner *planner, LbModel *model, LbImatrix *imatrix, const char *imatrix_path, Verifier *v,
        guint n_measure, char **compare, const char *dir, GError **error)
{
  g_autoptr (GPtrArray) front = lb_planner_front (planner, FRONT_POINTS, error);
  g_autoptr (GPtrArray) points = g_ptr_array_new_with_free_func ((GDestroyNotify) point_free);

  if (front == NULL)
    return FALSE;
  for (guint i = 0; i < front->len; i++)
    {
      LbPlannerResult *r = front->pdata[i];
      g_autofree char *label = g_strdup_printf ("plan %.2f bpw", 8.0 * (double) r->file_bytes
                                                / (double) lb_planner_get_n_params (planner));
      Point *p = point_new (label, "planned", r->file_bytes, r->predicted_kld);

      g_ptr_array_add (points, p);
      /* measure an evenly spread subset */
      if (v && n_measure > 0
          && (front->len <= n_measure
              || i % ((front->len + n_measure - 1) / n_measure) == 0 || i == front->len - 1))
        {
          g_autoptr (LbEvalResult) res = NULL;
          fprintf (stderr, "measuring %s (%" G_GUINT64_FORMAT " bytes)\n", label, r->file_bytes);
          res = measure_plan (v, r->plan, error);
          if (res == NULL)
            return FALSE;
          point_set_measured (p, res);
        }
    }
  for (guint i = 0; i < G_N_ELEMENTS (pareto_presets); i++)
    {
      g_autoptr (LbRecipe) recipe = lb_recipe_load_preset (pareto_presets[i], NULL);
      g_autoptr (LbQuantPlan) plan = NULL;
      double delta;
      Point *p;

      if (recipe == NULL)
        continue;
      if (imatrix_path)
        lb_recipe_set_importance (recipe, imatrix_path);
      if (!lb_recipe_resolve (recipe, model, NULL, &plan, NULL))
        continue;
      p = point_new (pareto_presets[i], "preset",
                     lb_quantize_get_file_size (plan, lb_quant_plan_uses_importance (plan) ? imatrix : NULL),
                     NAN);
      if (lb_planner_predict (planner, plan, &delta))
        p->predicted = delta;
      g_ptr_array_add (points, p);
      if (v)
        {
          g_autoptr (LbEvalResult) res = NULL;
          fprintf (stderr, "measuring preset %s\n", pareto_presets[i]);
          res = measure_plan (v, plan, error);
          if (res == NULL)
            return FALSE;
          point_set_measured (p, res);
        }
    }
  for (guint i = 0; v && compare && compare[i]; i++)
    {
      g_autoptr (LbModel) m = lb_cli_load_model (compare[i], NULL, error);
      g_autoptr (LbEvalResult) res = NULL;
      g_autofree char *base = g_path_get_basename (compare[i]);
      GStatBuf st;
      Point *p;

      if (m == NULL || g_stat (compare[i], &st) != 0)
        return m != NULL ? (g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT,
                                         "cannot stat %s", compare[i]), FALSE) : FALSE;
      fprintf (stderr, "measuring %s\n", base);
      res = measure_model (v, m, error);
      if (res == NULL)
        return FALSE;
      p = point_new (base, "file", (guint64) st.st_size, NAN);
      point_set_measured (p, res);
      g_ptr_array_add (points, p);
    }

  printf ("\n%-28s %-8s %12s %8s %14s %14s %9s\n", "pareto point", "kind", "bytes", "bpw",
          "predicted KLD", "measured KLD", "top-1 %");
  for (guint i = 0; i < points->len; i++)
    {
      Point *p = points->pdata[i];
      printf ("%-28s %-8s %12" G_GUINT64_FORMAT " %8.4f %14.6f %14.6f %9.3f\n", p->label, p->kind,
              p->bytes, 8.0 * (double) p->bytes / (double) lb_planner_get_n_params (planner),
              p->predicted, p->measured, 100 * p->same_top1);
    }
  return write_pareto (dir, points, v != NULL, (double) lb_planner_get_n_params (planner), error);
}

/* ---- the command ------------------------------------------------------------------ */

static gboolean
parse_protect (char **args, GArray *out)
{
  for (guint i = 0; args && args[i]; i++)
    {
      LbPlanProtect p = { args[i], LB_TYPE_COUNT };
      char *eq = strrchr (args[i], '=');

      if (eq)
        {
          *eq = '\0';
          if (!lb_type_from_name (eq + 1, &p.type))
            {
              lb_cli_usage_error ("plan", "--protect %s=%s: unknown type", args[i], eq + 1);
              return FALSE;
            }
        }
      if (*args[i] == '\0')
        {
          lb_cli_usage_error ("plan", "--protect needs a pattern");
          return FALSE;
        }
      g_array_append_val (out, p);
    }
  return TRUE;
}

int
lb_cmd_plan (int argc, char **argv)
{
  char *size_arg = NULL, *types_arg = NULL, *imatrix_path = NULL, *sens_path = NULL;
  char *calib = NULL, *group = NULL, *cache = NULL, *output = NULL, *text_path = NULL;
  char *pareto_dir = NULL, *ref_cache = NULL, *name = NULL, *png = NULL;
  char **protect_args = NULL, **compare = NULL;
  double bpw = 0;
  int n_ctx = 0, n_chunks = 0, n_threads = 0, n_jobs = 0, verify_chunks = 0, n_measure = 6;
  gboolean verify = FALSE, use_proxy = FALSE;
  GOptionEntry entries[] = {
    { "size", 's', 0, G_OPTION_ARG_STRING, &size_arg, "File size budget: 500MB, 4.6 MB, 512MiB or bytes", "SIZE" },
    { "bpw", 'b', 0, G_OPTION_ARG_DOUBLE, &bpw, "Budget in bits per weight (8 x file size / parameters)", "B" },
    { "types", 0, 0, G_OPTION_ARG_STRING, &types_arg, "Candidate types (default: the table's, or " DEFAULT_TYPES ")", "T,T,..." },
    { "protect", 'p', 0, G_OPTION_ARG_STRING_ARRAY, &protect_args, "Tensors matching PATTERN keep their own type (or TYPE); repeatable", "PATTERN[=TYPE]" },
    { "imatrix", 'i', 0, G_OPTION_ARG_FILENAME, &imatrix_path, "Importance data (quantize with it; recorded in the recipe)", "FILE" },
    { "sensitivity", 0, 0, G_OPTION_ARG_FILENAME, &sens_path, "A table from lowbit sensitivity -o", "FILE" },
    { "calib-text", 0, 0, G_OPTION_ARG_FILENAME, &calib, "Measure the sensitivity on this text first", "FILE" },
    { "group", 'g', 0, G_OPTION_ARG_STRING, &group, "With --calib-text: tensor (default), layer or kind", "BY" },
    { "chunks", 0, 0, G_OPTION_ARG_INT, &n_chunks, "With --calib-text: chunks (default 4)", "N" },
    { "ctx", 'c', 0, G_OPTION_ARG_INT, &n_ctx, "Tokens per chunk for --calib-text and --text (default 512)", "N" },
    { "cache", 0, 0, G_OPTION_ARG_FILENAME, &cache, "With --calib-text: the sensitivity cache", "FILE" },
    { "jobs", 'j', 0, G_OPTION_ARG_INT, &n_jobs, "With --calib-text: evaluations at once", "N" },
    { "threads", 't', 0, G_OPTION_ARG_INT, &n_threads, "Threads (default: all cores)", "N" },
    { "proxy", 0, 0, G_OPTION_ARG_NONE, &use_proxy, "Rank by the weight-error proxy instead of measured KLD", NULL },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, "Write the recipe here", "recipe.json" },
    { "name", 0, 0, G_OPTION_ARG_STRING, &name, "Recipe name (default \"planned\")", "NAME" },
    { "verify", 0, 0, G_OPTION_ARG_NONE, &verify, "Build the plan and measure it on --text", NULL },
    { "text", 'f', 0, G_OPTION_ARG_FILENAME, &text_path, "Evaluation text for --verify and --pareto", "FILE" },
    { "verify-chunks", 0, 0, G_OPTION_ARG_INT, &verify_chunks, "Chunks of --text to evaluate (default all)", "N" },
    { "reference-cache", 0, 0, G_OPTION_ARG_FILENAME, &ref_cache, "The model's log-probabilities on --text (lowbit eval --save-reference); made when missing", "FILE" },
    { "pareto", 0, 0, G_OPTION_ARG_FILENAME, &pareto_dir, "Write the size-vs-KLD curve (pareto.json, pareto.png) here", "DIR" },
    { "pareto-measure", 0, 0, G_OPTION_ARG_INT, &n_measure, "With --verify: plans of the curve to measure (default 6)", "N" },
    { "png", 0, 0, G_OPTION_ARG_FILENAME, &png, "Draw the plan: types on a layers x kinds grid, bytes per type", "FILE.png" },
    { "compare", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &compare, "With --pareto --verify: also measure this file (e.g. llama.cpp's); repeatable", "FILE.gguf" },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx =
    lb_cli_context_new ("plan", "MODEL (--size SIZE | --bpw B) -o recipe.json",
                        "Choose a type per tensor that minimizes the predicted KL divergence "
                        "under a file-size budget, and write it as a recipe.",
                        "The prediction adds up each group's measured KLD increase from a "
                        "sensitivity table (--sensitivity, or measured now on --calib-text; "
                        "without either the weight-error proxy ranks the choices). The choice is "
                        "a multiple-choice knapsack solved exactly by dynamic programming over "
                        "the budget; sizes are exact file bytes with block-size fallbacks. "
                        "--verify measures the plan on --text against the model itself.");
  g_autoptr (GArray) types = g_array_new (FALSE, FALSE, sizeof (LbType));
  g_autoptr (GArray) protect = g_array_new (FALSE, FALSE, sizeof (LbPlanProtect));
  g_autoptr (LbModel) model = NULL;
  g_autoptr (LbImatrix) imatrix = NULL;
  g_autoptr (LbSensitivity) sens = NULL;
  g_autoptr (LbPlanner) planner = NULL;
  g_autoptr (LbPlannerResult) result = NULL;
  g_autofree char *text = NULL;
  gsize text_len = 0;
  guint64 budget = 0;
  LbSensGroupBy group_by = LB_SENS_GROUP_TENSOR;
  Verifier v = { 0 };
  GError *error = NULL;
  int code = LB_EXIT_OK;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!lb_cli_parse (ctx, &argc, &argv))
    return LB_EXIT_USAGE;
  if (argc != 2)
    code = lb_cli_usage_error ("plan", "expected one MODEL argument");
  else if ((size_arg == NULL) == (bpw == 0))
    code = lb_cli_usage_error ("plan", "give one of --size and --bpw");
  else if (size_arg && !parse_size (size_arg, &budget))
    code = lb_cli_usage_error ("plan", "--size '%s': expected a size such as 500MB, 4.6MB, 512MiB or a byte count", size_arg);
  else if (bpw != 0 && (!(bpw > 0) || bpw > 64))
    code = lb_cli_usage_error ("plan", "--bpw %g: must be between 0 and 64", bpw);
  else if (output == NULL && !verify && pareto_dir == NULL && png == NULL)
    code = lb_cli_usage_error ("plan", "--output is required (or --verify / --pareto / --png)");
  else if (sens_path && calib)
    code = lb_cli_usage_error ("plan", "give --sensitivity or --calib-text, not both");
  else if (verify && text_path == NULL)
    code = lb_cli_usage_error ("plan", "--verify needs --text");
  else if (compare && !(pareto_dir && verify))
    code = lb_cli_usage_error ("plan", "--compare goes with --pareto and --verify");
  else if (types_arg && !parse_types (types_arg, types))
    code = LB_EXIT_USAGE;
  else if (!parse_protect (protect_args, protect))
    code = LB_EXIT_USAGE;
  else if (group && !lb_sens_group_by_from_string (group, &group_by))
    code = lb_cli_usage_error ("plan", "--group '%s': expected tensor, layer or kind", group);
  else if (n_ctx != 0 && (n_ctx < 4 || n_ctx > (1 << 20)))
    code = lb_cli_usage_error ("plan", "--ctx %d: must be between 4 and 1048576", n_ctx);
  else if (n_chunks < 0 || verify_chunks < 0 || n_measure < 0 || n_jobs < 0 || n_jobs > 256)
    code = lb_cli_usage_error ("plan", "--chunks, --verify-chunks, --pareto-measure and --jobs must be positive");
  else if (n_threads < 0 || n_threads > 1024)
    code = lb_cli_usage_error ("plan", "--threads %d: must be between 1 and 1024", n_threads);
  if (code != LB_EXIT_OK)
    goto out;
  if (png && !lb_chart_png_path_check (png, "--png", &error))
    goto fail;

  model = lb_cli_load_model (argv[1], NULL, &error);
  if (model == NULL)
    goto fail;
  if (imatrix_path && (imatrix = lb_imatrix_load (imatrix_path, &error)) == NULL)
    goto fail;

  if (sens_path)
    sens = lb_sensitivity_load (sens_path, &error);
  else
    {
      g_autofree char *calib_text = NULL;
      g_autofree char *calib_name = calib ? g_path_get_basename (calib) : NULL;
      gsize calib_len = 0;
      LbSensitivityParams sp;

      if (types->len == 0 && !parse_types (DEFAULT_TYPES, types))
        goto out;
      if (calib && !g_file_get_contents (calib, &calib_text, &calib_len, &error))
        goto fail;
      lb_sensitivity_params_init (&sp);
      sp.types = (const LbType *) types->data;
      sp.n_types = types->len;
      sp.group_by = group_by;
      sp.measure = calib != NULL;
      sp.n_ctx = (guint) n_ctx;
      sp.n_chunks = (guint) n_chunks;
      sp.n_threads = (guint) n_threads;
      sp.n_jobs = (guint) n_jobs;
      sp.imatrix = imatrix;
      sp.cache_path = cache;
      sp.text_name = calib_name;
      sens = lb_sensitivity_compute (model, calib_text, (gssize) calib_len, &sp, lb_cli_progress,
                                     NULL, lb_cli_get_cancellable (), &error);
      lb_cli_progress_end ();
      if (calib == NULL)
        use_proxy = TRUE;
    }
  if (sens == NULL)
    goto fail;

  {
    LbPlannerParams pp = { 0 };

    pp.types = types->len ? (const LbType *) types->data : NULL;
    pp.n_types = types->len;
    pp.protect = (const LbPlanProtect *) protect->data;
    pp.n_protect = protect->len;
    pp.imatrix = imatrix;
    pp.imatrix_path = imatrix_path;
    pp.use_proxy = use_proxy;
    pp.name = name;
    planner = lb_planner_new (model, sens, &pp, &error);
    if (planner == NULL)
      goto fail;
  }
  if (bpw != 0)
    budget = lb_planner_bytes_for_bpw (planner, bpw);
  result = lb_planner_plan (planner, budget, &error);
  if (result == NULL)
    goto fail;
  {
    g_autofree char *desc = g_strdup_printf (
      "Planned by lowbit plan for %s: at most %" G_GUINT64_FORMAT " bytes, predicted mean KLD "
      "%.6f (%s).", lb_model_get_name (model), budget, result->predicted_kld,
      use_proxy ? "ranked by the weight-error proxy" : "additive sensitivity model");
    lb_recipe_set_description (result->recipe, desc);
  }
  print_plan (planner, result);
  if (output)
    {
      if (!lb_recipe_save (result->recipe, output, &error))
        goto fail;
      fprintf (stderr, "wrote %s\n", output);
    }
  if (png)
    {
      if (!write_plan_png (png, model, result, use_proxy, &error))
        goto fail;
      fprintf (stderr, "wrote %s\n", png);
    }

  if (text_path && (verify || pareto_dir))
    {
      if (!g_file_get_contents (text_path, &text, &text_len, &error))
        goto fail;
      v.model = model;
      v.imatrix = imatrix;
      v.text = text;
      v.text_len = text_len;
      v.params.n_ctx = (guint) n_ctx;
      v.params.n_chunks = (guint) verify_chunks;
      v.params.n_threads = (guint) n_threads;
      v.n_threads = (guint) n_threads;
      v.cache = g_strdup (ref_cache);
    }
  if (verify)
    {
      g_autoptr (LbEvalResult) res = measure_plan (&v, result->plan, &error);
      if (res == NULL)
        goto fail;
      printf ("\nverify on %s (%u chunks of %u tokens, %" G_GUINT64_FORMAT " positions):\n",
              text_path, res->n_chunks, res->n_ctx, res->n_positions);
      printf ("predicted mean KLD %.6f, measured %.6f ± %.6f (measured / predicted %.2f)\n",
              result->predicted_kld, res->mean_kld, res->mean_kld_error,
              result->predicted_kld > 0 ? res->mean_kld / result->predicted_kld : NAN);
      printf ("same top-1 %.3f%%, perplexity %.4f (reference %.4f)\n", 100 * res->same_top1,
              res->ppl, res->ppl_base);
    }
  if (pareto_dir)
    {
      if (!pareto (planner, model, imatrix, imatrix_path, verify ? &v : NULL, (guint) n_measure, compare,
                   pareto_dir, &error))
        goto fail;
      fprintf (stderr, "wrote %s/pareto.json and pareto.png\n", pareto_dir);
    }
  goto out;

fail:
  code = lb_cli_fail (error);
out:
  verifier_clear (&v);
  g_free (size_arg);
  g_free (types_arg);
  g_free (imatrix_path);
  g_free (sens_path);
  g_free (calib);
  g_free (group);
  g_free (cache);
  g_free (output);
  g_free (text_path);
  g_free (pareto_dir);
  g_free (ref_cache);
  g_free (name);
  g_free (png);
  g_strfreev (protect_args);
  g_strfreev (compare);
  return code;
}
