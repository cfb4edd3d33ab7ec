/* lb-cmd-sensitivity.c: lowbit sensitivity MODEL --types T,... --text FILE
 *   [--imatrix F] [--group tensor|layer|kind] [--chunks N] [--ctx N]
 *   [--threads N] [--jobs N] [--cache FILE] [--json] [-o FILE] [--png FILE] */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "lb-chart-board.h"
#include "lb-chart-png.h"
#include "lb-cli.h"
#include "lb-heatmap-render.h"
#include "lb-layer-grid.h"
#include "lb-sensitivity.h"

#define DEFAULT_TYPES "Q2_K,Q3_K,Q4_K,Q5_K,Q6_K,Q8_0"

/* "Q2_K,Q4_K" -> types; FALSE with a usage message on a bad name */
static gboolean
parse_types (const char *cmd, const char *list, GArray *types)
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
          lb_cli_usage_error (cmd, "--types: unknown type '%s'", names[i]);
          return FALSE;
        }
      g_array_append_val (types, t);
    }
  if (types->len == 0)
    {
      lb_cli_usage_error (cmd, "--types lists no type");
      return FALSE;
    }
  return TRUE;
}

static void
print_table (LbSensitivity *s)
{
  guint n_types = lb_sensitivity_get_n_types (s);
  double sp, lp, sp_rel, lp_rel;
  guint n_cells, n_eval, n_cached;
  double seconds;

  printf ("%-28s", "group (ΔKLD)");
  for (guint t = 0; t < n_types; t++)
    printf (" %10s", lb_type_get_name (lb_sensitivity_get_type (s, t)));
  printf ("\n");
  for (guint g = 0; g < lb_sensitivity_get_n_groups (s); g++)
    {
      printf ("%-28s", lb_sensitivity_get_group_name (s, g));
      for (guint t = 0; t < n_types; t++)
        {
          const LbSensCell *c = lb_sensitivity_get_cell (s, g, t);
          if (c->measured)
            printf (" %10.6f", c->delta_kld);
          else
            printf (" %10.3g", c->rel_err);
        }
      printf ("\n");
    }
  lb_sensitivity_get_counts (s, &n_eval, &n_cached, &seconds);
  if (lb_sensitivity_is_measured (s))
    {
      printf ("\nbase KLD %.3g (the unquantized model against its stored reference)\n",
              lb_sensitivity_get_base_kld (s));
      lb_sensitivity_proxy_correlation (s, FALSE, &sp, &lp, &n_cells);
      lb_sensitivity_proxy_correlation (s, TRUE, &sp_rel, &lp_rel, NULL);
      printf ("weight proxy vs measured ΔKLD over %u cells: importance-weighted error "
              "Spearman %.3f, log-log Pearson %.3f; relative error Spearman %.3f, log-log "
              "Pearson %.3f\n", n_cells, sp, lp, sp_rel, lp_rel);
      printf ("within one type (which tensors matter): Spearman %.3f (weighted error), %.3f "
              "(relative error), mean over the types\n",
              lb_sensitivity_proxy_rank_within_types (s, FALSE),
              lb_sensitivity_proxy_rank_within_types (s, TRUE));
      printf ("%u cells evaluated, %u from the cache, %.1f s\n", n_eval, n_cached, seconds);
    }
  else
    printf ("\n(not measured: the cells show the weight proxy, relative error; %.1f s)\n", seconds);
}

static double
cell_value (LbSensitivity *s, guint g, guint t)
{
  const LbSensCell *c = lb_sensitivity_get_cell (s, g, t);
  double v = lb_sensitivity_is_measured (s) ? c->delta_kld : c->rel_err;

  /* a ΔKLD at or below zero (noise of the 16-bit reference) has no log */
  return v > 0 ? log10 (v) : NAN;
}

/* groups × types: for layer and kind groups, or names that are not blocks */
static gboolean
write_table_png (LbSensitivity *s, const char *path, GError **error)
{
  guint n_rows = lb_sensitivity_get_n_groups (s), n_cols = lb_sensitivity_get_n_types (s);
  g_autofree double *values = g_new (double, (gsize) MAX (n_rows, 1) * n_cols);
  g_autofree const char **rows = g_new0 (const char *, n_rows + 1);
  g_autofree const char **cols = g_new0 (const char *, n_cols + 1);
  gboolean measured = lb_sensitivity_is_measured (s);
  LbHeatmapData data = { 0 };

  for (guint g = 0; g < n_rows; g++)
    {
      rows[g] = lb_sensitivity_get_group_name (s, g);
      for (guint t = 0; t < n_cols; t++)
        values[(gsize) g * n_cols + t] = cell_value (s, g, t);
    }
  for (guint t = 0; t < n_cols; t++)
    cols[t] = lb_type_get_name (lb_sensitivity_get_type (s, t));
  data.n_rows = n_rows;
  data.n_cols = n_cols;
  data.values = values;
  data.row_labels = rows;
  data.col_labels = cols;
  data.title = measured ? "sensitivity: log10 ΔKLD when only this group is quantized"
                        : "sensitivity proxy: log10 relative weight error";
  data.legend_label = measured ? "log10 ΔKLD" : "log10 rel. error";
  data.format = LB_CHART_FORMAT_PLAIN;
  data.colormap = LB_COLORMAP_TRAFFIC;
  return lb_chart_write_png (path, LB_CHART_HEATMAP, &data, NULL, 720,
                             (int) MIN (4000, 160 + 20 * n_rows), 1.0, error);
}

/* per tensor: one layers × kinds heatmap per type, all on one colour scale,
 * so that both the weak tensors and the weak types stand out */
static gboolean
write_grid_png (LbSensitivity *s, const LbLayerGrid *grid, const char *path, GError **error)
{
  guint n_types = lb_sensitivity_get_n_types (s), n_groups = lb_sensitivity_get_n_groups (s);
  guint per_row = MIN (n_types, 3), n_panel_rows = (n_types + per_row - 1) / per_row;
  gsize n_cells = (gsize) grid->n_rows * grid->n_cols;
  g_autofree double *values = g_new (double, n_cells * n_types);
  g_autofree LbHeatmapData *maps = g_new0 (LbHeatmapData, n_types);
  g_autofree LbChartPanel *panels = g_new0 (LbChartPanel, n_types);
  g_autoptr (GPtrArray) titles = g_ptr_array_new_with_free_func (g_free);
  gboolean measured = lb_sensitivity_is_measured (s);
  double lo = G_MAXDOUBLE, hi = -G_MAXDOUBLE, panel_w, panel_h;
  const char *title = measured
    ? "sensitivity: log10 ΔKLD when only this tensor is quantized to the type"
    : "sensitivity proxy: log10 relative weight error of each tensor under the type";

  for (gsize i = 0; i < n_cells * n_types; i++)
    values[i] = NAN;
  for (guint g = 0; g < n_groups; g++)
    for (guint t = 0; t < n_types; t++)
      {
        double v = cell_value (s, g, t);
        values[t * n_cells + grid->cell[g]] = v;
        if (isfinite (v))
          {
            lo = MIN (lo, v);
            hi = MAX (hi, v);
          }
      }

  panel_w = MAX (360, 110 + 44 * grid->n_cols);
  panel_h = MIN (1300, 150 + 20 * grid->n_rows);
  for (guint t = 0; t < n_types; t++)
    {
      LbHeatmapData *d = &maps[t];
      char *name = g_strdup (lb_type_get_name (lb_sensitivity_get_type (s, t)));

      g_ptr_array_add (titles, name);
      d->n_rows = grid->n_rows;
      d->n_cols = grid->n_cols;
      d->values = values + t * n_cells;
      d->row_labels = (const char * const *) grid->row_labels;
      d->col_labels = (const char * const *) grid->col_labels;
      d->title = name;
      d->legend_label = measured ? "log10 ΔKLD" : "log10 rel. error";
      d->format = LB_CHART_FORMAT_PLAIN;
      d->colormap = LB_COLORMAP_TRAFFIC;
      d->fixed_range = lo <= hi;
      d->min = lo;
      d->max = hi;
      panels[t] = (LbChartPanel) {
        .kind = LB_CHART_HEATMAP, .data = d,
        .x = (t % per_row) * panel_w, .y = (t / per_row) * panel_h,
        .width = panel_w, .height = panel_h,
      };
    }
  return lb_chart_board_write_png (path, title, panels, n_types, NULL, (int) (per_row * panel_w),
                                   (int) (n_panel_rows * panel_h
                                          + lb_chart_board_title_height (title, NULL)),
                                   error);
}

static gboolean
write_png (LbSensitivity *s, const char *path, GError **error)
{
  guint n_groups = lb_sensitivity_get_n_groups (s);
  g_autofree const char **names = g_new0 (const char *, n_groups + 1);
  g_autoptr (LbLayerGrid) grid = NULL;

  for (guint g = 0; g < n_groups; g++)
    names[g] = lb_sensitivity_get_group_name (s, g);
  if (lb_sensitivity_get_group_by (s) == LB_SENS_GROUP_TENSOR)
    grid = lb_layer_grid_new (names, n_groups);
  /* a layers × kinds picture needs layers */
  if (grid != NULL && grid->n_rows >= 2 && grid->n_cols >= 2)
    return write_grid_png (s, grid, path, error);
  return write_table_png (s, path, error);
}

int
lb_cmd_sensitivity (int argc, char **argv)
{
  char *types_arg = NULL, *text_path = NULL, *imatrix_path = NULL, *group = NULL;
  char *cache = NULL, *output = NULL, *png = NULL, *engine_name = NULL;
  int n_ctx = 0, n_chunks = 0, n_threads = 0, n_jobs = 0;
  gboolean json = FALSE, proxy_only = FALSE;
  GOptionEntry entries[] = {
    { "types", 0, 0, G_OPTION_ARG_STRING, &types_arg, "Candidate types (default " DEFAULT_TYPES ")", "T,T,..." },
    { "text", 'f', 0, G_OPTION_ARG_FILENAME, &text_path, "Calibration text", "FILE" },
    { "imatrix", 'i', 0, G_OPTION_ARG_FILENAME, &imatrix_path, "Importance data to quantize with", "FILE" },
    { "group", 'g', 0, G_OPTION_ARG_STRING, &group, "tensor (default), layer or kind", "BY" },
    { "ctx", 'c', 0, G_OPTION_ARG_INT, &n_ctx, "Tokens per chunk (default 512)", "N" },
    { "chunks", 0, 0, G_OPTION_ARG_INT, &n_chunks, "Chunks of the text to use (default 4)", "N" },
    { "threads", 't', 0, G_OPTION_ARG_INT, &n_threads, "Threads per evaluation (default: all cores)", "N" },
    { "jobs", 'j', 0, G_OPTION_ARG_INT, &n_jobs, "Evaluations at once (default 1)", "N" },
    { "engine", 0, 0, G_OPTION_ARG_STRING, &engine_name, "default, ref or fast", "NAME" },
    { "cache", 0, 0, G_OPTION_ARG_FILENAME, &cache, "Read and update this cache of results", "FILE" },
    { "proxy-only", 0, 0, G_OPTION_ARG_NONE, &proxy_only, "Only the weight-error proxy: no text, no evaluation", NULL },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print the table as JSON", NULL },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, "Write the table as JSON (for lowbit plan --sensitivity)", "FILE" },
    { "png", 0, 0, G_OPTION_ARG_FILENAME, &png, "Draw the table as a heatmap (per tensor: layers x kinds, one per type)", "FILE.png" },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx =
    lb_cli_context_new ("sensitivity", "MODEL --text FILE [--types T,T,...]",
                        "For each tensor (or layer, or kind of tensor) and each candidate type, "
                        "the increase in mean KL divergence when only that group is quantized.",
                        "Each cell quantizes one group (everything else keeps its type) and "
                        "evaluates it against the unquantized model on --chunks chunks of "
                        "--ctx tokens of the text; the reference runs once. The cost is groups x "
                        "types evaluations: group by kind (7 groups for a llama-style model) or "
                        "layer to make it cheaper. Results go to --cache and are reused. "
                        "Beside each cell, a proxy from the weights alone (importance-weighted "
                        "squared error); its correlation with the measurement is printed.");
  g_autoptr (GArray) types = g_array_new (FALSE, FALSE, sizeof (LbType));
  g_autoptr (LbModel) model = NULL;
  g_autoptr (LbImatrix) imatrix = NULL;
  g_autoptr (LbSensitivity) sens = NULL;
  g_autofree char *text = NULL;
  gsize text_len = 0;
  LbSensitivityParams params;
  GError *error = NULL;
  int code = LB_EXIT_OK;

  lb_sensitivity_params_init (&params);
  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!lb_cli_parse (ctx, &argc, &argv))
    return LB_EXIT_USAGE;
  if (argc != 2)
    code = lb_cli_usage_error ("sensitivity", "expected one MODEL argument");
  else if (!parse_types ("sensitivity", types_arg ? types_arg : DEFAULT_TYPES, types))
    code = LB_EXIT_USAGE;
  else if (text_path == NULL && !proxy_only)
    code = lb_cli_usage_error ("sensitivity", "--text is required (or --proxy-only)");
  else if (group && !lb_sens_group_by_from_string (group, &params.group_by))
    code = lb_cli_usage_error ("sensitivity", "--group '%s': expected tensor, layer or kind", group);
  else if (n_ctx != 0 && (n_ctx < 4 || n_ctx > (1 << 20)))
    code = lb_cli_usage_error ("sensitivity", "--ctx %d: must be between 4 and 1048576", n_ctx);
  else if (n_chunks < 0 || n_chunks > 1000000)
    code = lb_cli_usage_error ("sensitivity", "--chunks %d: must be positive", n_chunks);
  else if (n_threads < 0 || n_threads > 1024)
    code = lb_cli_usage_error ("sensitivity", "--threads %d: must be between 1 and 1024", n_threads);
  else if (n_jobs < 0 || n_jobs > 256)
    code = lb_cli_usage_error ("sensitivity", "--jobs %d: must be between 1 and 256", n_jobs);
  else if (engine_name && !lb_eval_engine_from_string (engine_name, &params.engine))
    code = lb_cli_usage_error ("sensitivity", "--engine '%s': expected default, ref or fast", engine_name);
  if (code != LB_EXIT_OK)
    goto out;
  /* before the run, not after it */
  if (png && !lb_chart_png_path_check (png, "--png", &error))
    {
      code = lb_cli_fail (error);
      goto out;
    }

  if (text_path && !proxy_only && !g_file_get_contents (text_path, &text, &text_len, &error))
    {
      code = lb_cli_fail (error);
      goto out;
    }
  if (imatrix_path)
    {
      imatrix = lb_imatrix_load (imatrix_path, &error);
      if (imatrix == NULL)
        {
          code = lb_cli_fail (error);
          goto out;
        }
    }
  model = lb_cli_load_model (argv[1], NULL, &error);
  if (model == NULL)
    {
      code = lb_cli_fail (error);
      goto out;
    }

  {
    g_autofree char *text_name = text_path ? g_path_get_basename (text_path) : NULL;

    params.types = (const LbType *) types->data;
    params.n_types = types->len;
    params.measure = !proxy_only;
    params.n_ctx = (guint) n_ctx;
    params.n_chunks = (guint) n_chunks;
    params.n_threads = (guint) n_threads;
    params.n_jobs = (guint) n_jobs;
    params.imatrix = imatrix;
    params.cache_path = cache;
    params.text_name = text_name;
    sens = lb_sensitivity_compute (model, text, (gssize) text_len, &params, lb_cli_progress, NULL,
                                   lb_cli_get_cancellable (), &error);
    lb_cli_progress_end ();
  }
  if (sens == NULL)
    {
      code = lb_cli_fail (error);
      goto out;
    }
  if (json)
    {
      g_autofree char *s = lb_sensitivity_to_json (sens);
      printf ("%s\n", s);
    }
  else
    print_table (sens);
  if (output && !lb_sensitivity_save (sens, output, &error))
    {
      code = lb_cli_fail (error);
      goto out;
    }
  if (png && !write_png (sens, png, &error))
    {
      code = lb_cli_fail (error);
      goto out;
    }

out:
  g_free (types_arg);
  g_free (text_path);
  g_free (imatrix_path);
  g_free (group);
  g_free (cache);
  g_free (output);
  g_free (png);
  g_free (engine_name);
  return code;
}
