/* lb-cmd-errors.c: lowbit errors MODEL (--type T | --preset P | --recipe R)
 *   [--profile P] [--imatrix FILE] [--json FILE] [--png FILE]
 *   [--map-tensor NAME --map-png FILE]
 *   [--layers --text FILE [--ctx N] [--chunks N] [--split] [--layers-png FILE]]
 *
 * Per-tensor weight error of a quantization (and per-layer output error
 * with --layers), as tables, JSON and headless PNG charts. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <json-glib/json-glib.h>

#include "lb-charts.h"
#include "lb-cli.h"
#include "lb-layer-error.h"
#include "lb-recipe.h"
#include "lb-tensor-error.h"
#include "lb-variant.h"

/* the heatmap's columns: the matrices of a block, then the model's own */
static const char * const kinds[] = {
  "attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down",
  "token_embd", "output",
};
#define N_BLOCK_KINDS 7

typedef struct {
  const LbTensor *tensor;
  LbType          type;
  LbTensorError   err;
} Row;

typedef struct {
  char    *type_name;
  char    *preset;
  char    *recipe_path;
  char    *profile;
  char    *imatrix_path;
  char    *json_path;
  char    *png_path;
  char    *map_tensor;
  char    *map_png;
  char    *text_path;
  char    *layers_png;
  char    *tokenizer;
  gboolean layers;
  gboolean split;
  int      ctx;
  int      chunks;
  int      threads;
} Options;

static void
options_clear (Options *o)
{
  g_free (o->type_name);
  g_free (o->preset);
  g_free (o->recipe_path);
  g_free (o->profile);
  g_free (o->imatrix_path);
  g_free (o->json_path);
  g_free (o->png_path);
  g_free (o->map_tensor);
  g_free (o->map_png);
  g_free (o->text_path);
  g_free (o->layers_png);
  g_free (o->tokenizer);
}

/* "12.34", "inf" or "-" (not computed) for the tables */
static char *
fmt_db (double v)
{
  if (isnan (v))
    return g_strdup ("-");
  if (isinf (v))
    return g_strdup (v > 0 ? "inf" : "-inf");
  return g_strdup_printf ("%.2f", v);
}

static void
add_number (JsonBuilder *b, const char *member, double v)
{
  json_builder_set_member_name (b, member);
  if (isfinite (v))
    json_builder_add_double_value (b, v);
  else
    json_builder_add_null_value (b);
}

/* ---- the recipe ------------------------------------------------------------ */

static LbRecipe *
make_recipe (const Options *o, GError **error)
{
  LbRecipe *recipe;

  if (o->type_name)
    {
      LbType type;
      const LbTypeTraits *tr = NULL;

      if (lb_type_from_name (o->type_name, &type))
        tr = lb_type_get_traits (type);
      if (tr == NULL || tr->from_float == NULL)
        {
          g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                       "--type %s is not a type Lowbit can quantize to (e.g. Q8_0, Q6_K, Q4_K, "
                       "Q4_0, Q3_K, Q2_K, IQ4_NL, F16)", o->type_name);
          return NULL;
        }
      /* every matrix, the embedding and the output in that type */
      recipe = lb_recipe_new (lb_type_get_name (type));
      lb_recipe_set_base_type (recipe, type);
      lb_recipe_set_embedding_type (recipe, type);
      lb_recipe_set_output_type (recipe, type);
    }
  else if (o->preset)
    recipe = lb_recipe_load_preset (o->preset, error);
  else
    {
      recipe = lb_recipe_load (o->recipe_path, error);
      if (recipe && lb_recipe_get_importance (recipe)
          && !g_path_is_absolute (lb_recipe_get_importance (recipe)))
        {
          g_autofree char *dir = g_path_get_dirname (o->recipe_path);
          g_autofree char *full = g_build_filename (dir, lb_recipe_get_importance (recipe), NULL);
          lb_recipe_set_importance (recipe, full);
        }
    }
  if (recipe && o->imatrix_path)
    lb_recipe_set_importance (recipe, o->imatrix_path);
  return recipe;
}

/* ---- per-tensor errors ---------------------------------------------------------- */

static gboolean
tensor_errors (LbModel *model, LbModel *variant, LbQuantPlan *plan, LbImatrix *imatrix,
               LbThreadPool *pool, const Options *o, GArray *rows, LbErrorMap **map,
               GError **error)
{
  guint n = lb_quant_plan_get_n_entries (plan);

  for (guint i = 0; i < n; i++)
    {
      const LbPlanEntry *e = lb_quant_plan_get_entry (plan, i);
      const LbTensor *t = lb_model_find_tensor (model, e->tensor->name);
      LbTensorErrorParams params = LB_TENSOR_ERROR_PARAMS_INIT;
      gboolean want_map = o->map_tensor && strcmp (o->map_tensor, t->name) == 0;
      Row row = { t, e->type };
      gboolean ok;

      if (e->type == t->type)
        continue;
      if (!lb_tensor_find_importance (t, imatrix, &params.importance, &params.n_importance,
                                      error))
        return FALSE;
      params.pool = pool;
      if (want_map)
        params.map_rows = params.map_cols = 32;
      if (variant)
        ok = lb_tensor_error_compare (t, lb_model_find_tensor (variant, t->name), &params,
                                      &row.err, want_map ? map : NULL,
                                      lb_cli_get_cancellable (), error);
      else
        ok = lb_tensor_error_under_type (t, e->type, &params, &row.err, want_map ? map : NULL,
                                         lb_cli_get_cancellable (), error);
      if (!ok)
        return FALSE;
      g_array_append_val (rows, row);
      lb_cli_progress ((double) (i + 1) / n, t->name, NULL);
    }
  lb_cli_progress_end ();
  return TRUE;
}

static void
print_tensors (GArray *rows, gboolean weighted)
{
  printf ("%-28s %-12s %11s %8s %9s %10s %8s\n", "tensor", "type", "MSE", "SNR dB", "cosine",
          "max abs", weighted ? "wSNR dB" : "");
  for (guint i = 0; i < rows->len; i++)
    {
      const Row *r = &g_array_index (rows, Row, i);
      g_autofree char *types = g_strdup_printf ("%s>%s", lb_type_get_name (r->tensor->type),
                                                lb_type_get_name (r->type));
      g_autofree char *snr = fmt_db (r->err.snr_db);
      g_autofree char *wsnr = weighted ? fmt_db (r->err.weighted_snr_db) : g_strdup ("");

      printf ("%-28s %-12s %11.4g %8s %9.6f %10.4g %8s\n", r->tensor->name, types, r->err.mse,
              snr, r->err.cosine, r->err.max_abs, wsnr);
    }
}

/* SNR of all the changed weights together, and the worst tensor */
static void
summarize (GArray *rows, double *total_snr, const Row **worst)
{
  double sx2 = 0, sd2 = 0;

  *worst = NULL;
  for (guint i = 0; i < rows->len; i++)
    {
      const Row *r = &g_array_index (rows, Row, i);
      double n = (double) r->err.n_elements;
      sx2 += r->err.rms * r->err.rms * n;
      sd2 += r->err.mse * n;
      if (*worst == NULL || r->err.snr_db < (*worst)->err.snr_db)
        *worst = r;
    }
  *total_snr = lb_snr_db (sx2, sd2);
}

/* ---- the heatmap ------------------------------------------------------------------- */

/* column of a tensor name and its block (-1: not a block tensor), or FALSE */
static gboolean
heatmap_cell (const char *name, guint n_layer, guint *row, guint *col)
{
  guint layer;
  char kind[64];

  for (guint k = N_BLOCK_KINDS; k < G_N_ELEMENTS (kinds); k++)
    {
      g_autofree char *full = g_strconcat (kinds[k], ".weight", NULL);
      if (strcmp (name, full) == 0)
        {
          *row = n_layer;
          *col = k;
          return TRUE;
        }
    }
  if (sscanf (name, "blk.%u.%63[^.].weight", &layer, kind) != 2 || layer >= n_layer)
    return FALSE;
  {
    g_autofree char *rebuilt = g_strdup_printf ("blk.%u.%s.weight", layer, kind);
    if (strcmp (rebuilt, name) != 0)
      return FALSE;
  }
  for (guint k = 0; k < N_BLOCK_KINDS; k++)
    if (strcmp (kind, kinds[k]) == 0)
      {
        *row = layer;
        *col = k;
        return TRUE;
      }
  return FALSE;
}

static gboolean
write_heatmap (const char *path, LbModel *model, GArray *rows, const char *what,
               GError **error)
{
  guint n_layer = lb_model_get_hparams (model)->n_layer;
  guint n_rows = n_layer + 1, n_cols = G_N_ELEMENTS (kinds);
  g_autofree double *values = g_new (double, (gsize) n_rows * n_cols);
  g_autoptr (GPtrArray) labels = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *title = g_strdup_printf ("%s: weight SNR (dB) under %s",
                                            lb_model_get_name (model), what);
  LbHeatmapData data = { 0 };
  int height;

  for (gsize i = 0; i < (gsize) n_rows * n_cols; i++)
    values[i] = NAN;
  for (guint i = 0; i < rows->len; i++)
    {
      const Row *r = &g_array_index (rows, Row, i);
      guint row, col;
      if (heatmap_cell (r->tensor->name, n_layer, &row, &col) && isfinite (r->err.snr_db))
        values[(gsize) row * n_cols + col] = r->err.snr_db;
    }
  for (guint l = 0; l < n_layer; l++)
    g_ptr_array_add (labels, g_strdup_printf ("blk.%u", l));
  g_ptr_array_add (labels, g_strdup ("model"));

  data.n_rows = n_rows;
  data.n_cols = n_cols;
  data.values = values;
  data.row_labels = (const char * const *) labels->pdata;
  data.col_labels = kinds;
  data.title = title;
  data.legend_label = "SNR (dB)";
  data.format = LB_CHART_FORMAT_DECIBEL;
  data.colormap = LB_COLORMAP_TRAFFIC;
  data.reverse = TRUE;   /* high SNR is good: the green end */
  height = (int) MIN (4000, 160 + 22 * n_rows);
  return lb_chart_write_png (path, LB_CHART_HEATMAP, &data, NULL, 960, height, 1.0, error);
}

static gboolean
write_map_png (const char *path, const LbErrorMap *map, const char *name, const char *what,
               GError **error)
{
  g_autofree char *title = g_strdup_printf ("%s under %s: SNR (dB) of %" G_GINT64_FORMAT
                                            " rows x %" G_GINT64_FORMAT " columns in %u x %u cells",
                                            name, what, map->tensor_rows, map->tensor_cols,
                                            map->n_rows, map->n_cols);
  LbHeatmapData data = { 0 };

  data.n_rows = map->n_rows;
  data.n_cols = map->n_cols;
  data.values = map->snr_db;
  data.title = title;
  data.legend_label = "SNR (dB)";
  data.format = LB_CHART_FORMAT_DECIBEL;
  data.colormap = LB_COLORMAP_TRAFFIC;
  data.reverse = TRUE;
  return lb_chart_write_png (path, LB_CHART_HEATMAP, &data, NULL, 800, 760, 1.0, error);
}

/* ---- layers ------------------------------------------------------------------------ */

static double
rel_to_db (double rel)
{
  return isnan (rel) ? NAN : lb_snr_db (1.0, rel);
}

static void
print_layers (const LbLayerErrorReport *r, gboolean split)
{
  printf ("\nlayer-wise output error over %u positions (%u chunk%s)\n", r->n_tokens, r->n_chunks,
          r->n_chunks == 1 ? "" : "s");
  printf ("%-6s %9s %9s %11s %8s %10s", "block", "cosine", "min cos", "rel MSE", "SNR dB",
          "max abs");
  if (split)
    printf (" %11s %11s %11s %11s", "attn alone", "mlp alone", "attn@out", "mlp@out");
  printf ("\n");
  for (guint l = 0; l < r->n_layers; l++)
    {
      const LbLayerError *e = &r->layers[l];
      g_autofree char *snr = fmt_db (e->snr_db);

      printf ("%-6u %9.6f %9.6f %11.4g %8s %10.4g", l, e->cosine, e->min_cosine, e->rel_mse,
              snr, e->max_abs);
      if (split)
        printf (" %11.4g %11.4g %11.4g %11.4g", e->attn_rel_mse, e->mlp_rel_mse,
                e->attn_final_rel_mse, e->mlp_final_rel_mse);
      printf ("\n");
    }
  if (split)
    printf ("(rel MSE of the block's output with only its attention / only its MLP quantized; "
            "@out: the same at the last block)\n");
}

static gboolean
write_layers_png (const char *path, const LbLayerErrorReport *r, gboolean split,
                  const char *what, GError **error)
{
  guint n = r->n_layers;
  g_autofree double *all = g_new (double, n);
  g_autofree double *attn = g_new (double, n);
  g_autofree double *mlp = g_new (double, n);
  g_autofree char *title = g_strdup_printf ("Hidden-state SNR after each block under %s", what);
  LbLineSeries series[3] = {
    { "all quantized", n, NULL, all, FALSE },
    { "attention alone", n, NULL, attn, FALSE },
    { "MLP alone", n, NULL, mlp, FALSE },
  };
  LbLineChartData data = { 0 };

  for (guint l = 0; l < n; l++)
    {
      all[l] = r->layers[l].snr_db;
      attn[l] = rel_to_db (r->layers[l].attn_rel_mse);
      mlp[l] = rel_to_db (r->layers[l].mlp_rel_mse);
    }
  data.n_series = split ? 3 : 1;
  data.series = series;
  data.title = title;
  data.x_label = "block";
  data.y_label = "SNR (dB)";
  data.x_format = LB_CHART_FORMAT_PLAIN;
  data.y_format = LB_CHART_FORMAT_DECIBEL;
  return lb_chart_write_png (path, LB_CHART_LINE, &data, NULL, 800, 480, 1.0, error);
}

/* ---- JSON -------------------------------------------------------------------------- */

static gboolean
write_json (const char *path, LbModel *model, LbQuantPlan *plan, const Options *o,
            const char *what, GArray *rows, const LbLayerErrorReport *layers,
            const LbErrorMap *map, GError **error)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *text = NULL;
  const Row *worst;
  double total;
  gsize len;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "model");
  json_builder_add_string_value (b, lb_model_get_path (model));
  json_builder_set_member_name (b, "quantization");
  json_builder_add_string_value (b, what);
  json_builder_set_member_name (b, "profile");
  if (o->profile)
    json_builder_add_string_value (b, o->profile);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "imatrix");
  if (lb_quant_plan_uses_importance (plan))
    json_builder_add_string_value (b, lb_recipe_get_importance (lb_quant_plan_get_recipe (plan)));
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "data_bytes");
  json_builder_add_int_value (b, (gint64) lb_quant_plan_get_data_bytes (plan));
  json_builder_set_member_name (b, "bits_per_weight");
  json_builder_add_double_value (b, 8.0 * (double) lb_quant_plan_get_data_bytes (plan)
                                    / (double) MAX (lb_model_get_n_params (model), 1));

  summarize (rows, &total, &worst);
  json_builder_set_member_name (b, "summary");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "n_tensors");
  json_builder_add_int_value (b, rows->len);
  add_number (b, "snr_db", total);
  json_builder_set_member_name (b, "worst_tensor");
  if (worst)
    json_builder_add_string_value (b, worst->tensor->name);
  else
    json_builder_add_null_value (b);
  add_number (b, "worst_snr_db", worst ? worst->err.snr_db : NAN);
  json_builder_end_object (b);

  json_builder_set_member_name (b, "tensors");
  json_builder_begin_array (b);
  for (guint i = 0; i < rows->len; i++)
    {
      const Row *r = &g_array_index (rows, Row, i);
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "name");
      json_builder_add_string_value (b, r->tensor->name);
      json_builder_set_member_name (b, "shape");
      json_builder_begin_array (b);
      for (guint d = 0; d < r->tensor->n_dims; d++)
        json_builder_add_int_value (b, r->tensor->ne[d]);
      json_builder_end_array (b);
      json_builder_set_member_name (b, "source_type");
      json_builder_add_string_value (b, lb_type_get_name (r->tensor->type));
      json_builder_set_member_name (b, "type");
      json_builder_add_string_value (b, lb_type_get_name (r->type));
      json_builder_set_member_name (b, "bytes");
      json_builder_add_int_value (b, (gint64) lb_tensor_bytes_as (r->tensor, r->type));
      json_builder_set_member_name (b, "n_elements");
      json_builder_add_int_value (b, r->err.n_elements);
      add_number (b, "mse", r->err.mse);
      add_number (b, "snr_db", r->err.snr_db);
      add_number (b, "cosine", r->err.cosine);
      add_number (b, "max_abs", r->err.max_abs);
      add_number (b, "rms", r->err.rms);
      add_number (b, "weighted_mse", r->err.weighted_mse);
      add_number (b, "weighted_snr_db", r->err.weighted_snr_db);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);

  if (map)
    {
      json_builder_set_member_name (b, "map");
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "tensor");
      json_builder_add_string_value (b, o->map_tensor);
      json_builder_set_member_name (b, "rows");
      json_builder_add_int_value (b, map->n_rows);
      json_builder_set_member_name (b, "cols");
      json_builder_add_int_value (b, map->n_cols);
      json_builder_set_member_name (b, "snr_db");
      json_builder_begin_array (b);
      for (gsize i = 0; i < (gsize) map->n_rows * map->n_cols; i++)
        if (isfinite (map->snr_db[i]))
          json_builder_add_double_value (b, map->snr_db[i]);
        else
          json_builder_add_null_value (b);
      json_builder_end_array (b);
      json_builder_end_object (b);
    }

  if (layers)
    {
      json_builder_set_member_name (b, "layers");
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "text");
      json_builder_add_string_value (b, o->text_path);
      json_builder_set_member_name (b, "positions");
      json_builder_add_int_value (b, layers->n_tokens);
      json_builder_set_member_name (b, "chunks");
      json_builder_add_int_value (b, layers->n_chunks);
      json_builder_set_member_name (b, "blocks");
      json_builder_begin_array (b);
      for (guint l = 0; l < layers->n_layers; l++)
        {
          const LbLayerError *e = &layers->layers[l];
          json_builder_begin_object (b);
          json_builder_set_member_name (b, "layer");
          json_builder_add_int_value (b, l);
          add_number (b, "cosine", e->cosine);
          add_number (b, "min_cosine", e->min_cosine);
          add_number (b, "rel_mse", e->rel_mse);
          add_number (b, "snr_db", e->snr_db);
          add_number (b, "max_abs", e->max_abs);
          add_number (b, "attn_rel_mse", e->attn_rel_mse);
          add_number (b, "mlp_rel_mse", e->mlp_rel_mse);
          add_number (b, "attn_final_rel_mse", e->attn_final_rel_mse);
          add_number (b, "mlp_final_rel_mse", e->mlp_final_rel_mse);
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
      json_builder_end_object (b);
    }
  json_builder_end_object (b);

  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  json_generator_set_pretty (gen, TRUE);
  text = json_generator_to_data (gen, &len);
  if (strcmp (path, "-") == 0)
    {
      printf ("%s\n", text);
      return TRUE;
    }
  {
    g_autoptr (LbAtomicFile) f = lb_atomic_file_new (path, error);
    return f && lb_atomic_file_write (f, text, len, error) && lb_atomic_file_write (f, "\n", 1, error)
           && lb_atomic_file_commit (f, error);
  }
}

/* ---- the command ---------------------------------------------------------------------- */

static int
check_options (const Options *o, int argc)
{
  int n_sources = (o->type_name != NULL) + (o->preset != NULL) + (o->recipe_path != NULL);

  if (argc != 2)
    return lb_cli_usage_error ("errors", "expected one MODEL argument");
  if (n_sources != 1)
    return lb_cli_usage_error ("errors", "give one of --type, --preset or --recipe");
  if (o->profile && o->type_name)
    return lb_cli_usage_error ("errors", "--profile needs --preset or --recipe");
  if ((o->map_tensor == NULL) != (o->map_png == NULL) && !(o->map_tensor && o->json_path))
    return lb_cli_usage_error ("errors", "--map-tensor and --map-png go together "
                               "(or --map-tensor with --json)");
  if (o->layers && o->text_path == NULL)
    return lb_cli_usage_error ("errors", "--layers needs --text FILE");
  if (!o->layers && (o->split || o->layers_png || o->text_path))
    return lb_cli_usage_error ("errors", "--text, --split and --layers-png go with --layers");
  if (o->ctx != 0 && (o->ctx < 2 || o->ctx > 4096))
    return lb_cli_usage_error ("errors", "--ctx must be between 2 and 4096");
  if (o->chunks < 0)
    return lb_cli_usage_error ("errors", "--chunks must be 0 (all) or more");
  if (o->threads < 0 || o->threads > 1024)
    return lb_cli_usage_error ("errors", "--threads must be between 1 and 1024");
  return LB_EXIT_OK;
}

int
lb_cmd_errors (int argc, char **argv)
{
  Options o = { 0 };
  GOptionEntry entries[] = {
    { "type", 'T', 0, G_OPTION_ARG_STRING, &o.type_name,
      "Quantize every matrix (embedding and output too) to this type", "TYPE" },
    { "preset", 'p', 0, G_OPTION_ARG_STRING, &o.preset, "A bundled recipe (see lowbit quantize "
      "--list-presets)", "NAME" },
    { "recipe", 'r', 0, G_OPTION_ARG_FILENAME, &o.recipe_path, "A recipe JSON file", "FILE" },
    { "profile", 0, 0, G_OPTION_ARG_STRING, &o.profile, "One of the recipe's profiles", "NAME" },
    { "imatrix", 'i', 0, G_OPTION_ARG_FILENAME, &o.imatrix_path,
      "Importance data: used by the quantizer and for the weighted SNR", "FILE" },
    { "json", 'j', 0, G_OPTION_ARG_FILENAME, &o.json_path, "Write the results as JSON ('-': "
      "standard output)", "FILE" },
    { "png", 0, 0, G_OPTION_ARG_FILENAME, &o.png_path,
      "Heatmap of the SNR of each tensor (blocks x tensor kinds)", "FILE" },
    { "map-tensor", 0, 0, G_OPTION_ARG_STRING, &o.map_tensor,
      "Compute a 32 x 32 error map of this tensor", "NAME" },
    { "map-png", 0, 0, G_OPTION_ARG_FILENAME, &o.map_png, "Draw that map", "FILE" },
    { "layers", 'l', 0, G_OPTION_ARG_NONE, &o.layers,
      "Also measure each block's output error over --text", NULL },
    { "text", 0, 0, G_OPTION_ARG_FILENAME, &o.text_path, "Calibration text for --layers", "FILE" },
    { "ctx", 'c', 0, G_OPTION_ARG_INT, &o.ctx, "Tokens per chunk (default 128)", "N" },
    { "chunks", 0, 0, G_OPTION_ARG_INT, &o.chunks, "Use at most N chunks (default 4; 0: all)",
      "N" },
    { "split", 0, 0, G_OPTION_ARG_NONE, &o.split,
      "Attention vs MLP: rerun with each part of each block quantized alone (2 runs per block)",
      NULL },
    { "layers-png", 0, 0, G_OPTION_ARG_FILENAME, &o.layers_png,
      "Line chart of the SNR after each block", "FILE" },
    { "threads", 't', 0, G_OPTION_ARG_INT, &o.threads, "Worker threads (default: all cores)", "N" },
    { "tokenizer", 0, 0, G_OPTION_ARG_FILENAME, &o.tokenizer,
      "Tokenizer of a llama2.c checkpoint", "FILE" },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx =
    lb_cli_context_new ("errors", "MODEL (--type T | --preset P | --recipe R)",
                        "Show how much each tensor's weights (and, with --layers, each block's "
                        "output) move under a quantization.",
                        "Per tensor: MSE, SNR (dB) = 10 log10 (sum w^2 / sum (w - q)^2), cosine "
                        "and largest error of the weights quantized and restored, and with "
                        "--imatrix the SNR weighted by each column's importance. Tensors whose "
                        "type does not change are left out. In JSON, numbers that are not "
                        "finite (the infinite SNR of an exact tensor) are null.\n\n"
                        "--layers runs the model and the quantized variant side by side over "
                        "--text with the reference engine and compares the hidden state after "
                        "each block: mean and least cosine, relative MSE, SNR.");
  g_autoptr (LbModel) model = NULL;
  g_autoptr (LbModel) variant = NULL;
  g_autoptr (LbRecipe) recipe = NULL;
  g_autoptr (LbQuantPlan) plan = NULL;
  g_autoptr (LbImatrix) imatrix = NULL;
  g_autoptr (LbThreadPool) pool = NULL;
  g_autoptr (LbErrorMap) map = NULL;
  g_autoptr (LbLayerErrorReport) layers = NULL;
  g_autoptr (GArray) rows = g_array_new (FALSE, FALSE, sizeof (Row));
  g_autofree char *what = NULL;
  GError *error = NULL;
  int code;

  o.chunks = 4;
  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!lb_cli_parse (ctx, &argc, &argv))
    {
      options_clear (&o);
      return LB_EXIT_USAGE;
    }
  code = check_options (&o, argc);
  if (code != LB_EXIT_OK)
    goto out;

  recipe = make_recipe (&o, &error);
  if (recipe == NULL)
    goto fail;
  model = lb_cli_load_model (argv[1], o.tokenizer, &error);
  if (model == NULL || !lb_recipe_resolve (recipe, model, o.profile, &plan, &error))
    goto fail;
  for (const char * const *w = lb_quant_plan_get_warnings (plan); *w; w++)
    fprintf (stderr, "lowbit errors: warning: %s\n", *w);
  if (lb_quant_plan_uses_importance (plan))
    {
      imatrix = lb_imatrix_load (lb_recipe_get_importance (recipe), &error);
      if (imatrix == NULL)
        goto fail;
    }
  if (o.map_tensor && lb_model_find_tensor (model, o.map_tensor) == NULL)
    {
      g_set_error (&error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                   "--map-tensor: the model has no tensor named \"%s\"", o.map_tensor);
      goto fail;
    }
  what = o.profile ? g_strdup_printf ("%s (%s)", lb_recipe_get_name (recipe), o.profile)
                   : g_strdup (lb_recipe_get_name (recipe));
  pool = lb_thread_pool_new ((guint) o.threads, &error);
  if (pool == NULL)
    goto fail;

  /* with --layers the variant is needed anyway: measure the weights on it */
  if (o.layers)
    {
      g_autoptr (GHashTable) overrides = g_hash_table_new (g_str_hash, g_str_equal);
      for (guint i = 0; i < lb_quant_plan_get_n_entries (plan); i++)
        {
          const LbPlanEntry *e = lb_quant_plan_get_entry (plan, i);
          if (e->type != e->tensor->type)
            g_hash_table_insert (overrides, e->tensor->name, GINT_TO_POINTER (e->type));
        }
      variant = lb_variant_build (model, overrides, imatrix, (guint) o.threads, lb_cli_progress,
                                  NULL, lb_cli_get_cancellable (), &error);
      lb_cli_progress_end ();
      if (variant == NULL)
        goto fail;
    }

  if (!tensor_errors (model, variant, plan, imatrix, pool, &o, rows, &map, &error))
    goto fail;
  print_tensors (rows, imatrix != NULL);
  {
    const Row *worst;
    double total;
    g_autofree char *ts = NULL;
    guint64 bytes = lb_quant_plan_get_data_bytes (plan);

    summarize (rows, &total, &worst);
    ts = fmt_db (total);
    printf ("\n%u tensors changed under %s; all their weights together: SNR %s dB", rows->len,
            what, ts);
    if (worst)
      printf ("; worst %s (%.2f dB)", worst->tensor->name, worst->err.snr_db);
    printf ("\ntensor data %" G_GUINT64_FORMAT " bytes (%.3f bits per weight)\n", bytes,
            8.0 * (double) bytes / (double) MAX (lb_model_get_n_params (model), 1));
  }

  if (o.layers)
    {
      g_autofree char *text = NULL;
      gsize len;
      LbLayerErrorParams params = LB_LAYER_ERROR_PARAMS_INIT;

      if (!g_file_get_contents (o.text_path, &text, &len, &error))
        goto fail;
      params.n_ctx = (guint) o.ctx;
      params.n_chunks = (guint) o.chunks;
      params.split = o.split;
      layers = lb_layer_error_compute_text (model, variant, text, (gssize) len, &params,
                                            lb_cli_progress, NULL, lb_cli_get_cancellable (),
                                            &error);
      lb_cli_progress_end ();
      if (layers == NULL)
        goto fail;
      print_layers (layers, o.split);
    }

  if (o.png_path && !write_heatmap (o.png_path, model, rows, what, &error))
    goto fail;
  if (o.map_png && map && !write_map_png (o.map_png, map, o.map_tensor, what, &error))
    goto fail;
  if (o.map_tensor && map == NULL)
    fprintf (stderr, "lowbit errors: %s keeps its type: no error map\n", o.map_tensor);
  if (o.layers_png && !write_layers_png (o.layers_png, layers, o.split, what, &error))
    goto fail;
  if (o.json_path && !write_json (o.json_path, model, plan, &o, what, rows, layers, map, &error))
    goto fail;
  goto out;

fail:
  code = lb_cli_fail (error);
out:
  options_clear (&o);
  return code;
}
