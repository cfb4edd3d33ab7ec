/* test-workbench-views.c: the workbench's views on mini-qwen2, driven
 * through their widgets (combo rows, the grid's selection, buttons,
 * actions, the heatmap's cell signal) the way a user drives them. The
 * expected types, sizes and errors come from llama.cpp's own quantization
 * of the same model (llamacpp-quants/mini-Q4_0.gguf) and from arithmetic
 * on the block formats, not from the workbench.
 *
 * The order matters: each test starts where the previous one left the
 * window (Q4_0 with blk.0.attn_v.weight in Q8_0 from the second on). */
#include "config.h"

#include <math.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "lb-eval-view.h"
#include "lb-export-view.h"
#include "lb-gui-test.h"
#include "lb-heatmap-view.h"
#include "lb-overview-view.h"
#include "lb-perf-view.h"
#include "lb-precision-view.h"
#include "lb-target-tile.h"
#include "lb-tensor-error.h"
#include "lb-test-util.h"
#include "lb-widgets.h"

#define EDITED_ROW  0   /* blk.0 */
#define EDITED_COL  2   /* attn_v */
#define EDITED_NAME "blk.0.attn_v.weight"

static LbModel *reference_q4_0;   /* llama.cpp's Q4_0 of mini-qwen2 */
static char    *exported_path;

static const char *tr (const char *text) G_GNUC_FORMAT (1);

static const char *
tr (const char *text)
{
  return g_dgettext (GETTEXT_PACKAGE, text);
}

static LbModel *
reference (void)
{
  g_autofree char *path = NULL;
  g_autoptr (GError) error = NULL;

  if (reference_q4_0 != NULL)
    return reference_q4_0;
  path = lb_test_shared_path ("models", "llamacpp-quants", "mini-Q4_0.gguf", NULL);
  g_assert_nonnull (path);
  reference_q4_0 = lb_model_load (path, NULL, NULL, &error);
  g_assert_no_error (error);
  return reference_q4_0;
}

static GtkWidget *
view_of (LbWindow *window, GType type, const char *name)
{
  lb_window_show_view (window, name);
  lb_gui_spin (150);
  return lb_gui_find_one (GTK_WIDGET (window), type);
}

/* The layers' grid (7 columns) and the one outside the layers */
static LbPrecisionGrid *
precision_grid (GtkWidget *view, gboolean ends)
{
  g_autoptr (GPtrArray) grids = lb_gui_find (view, LB_TYPE_PRECISION_GRID);

  g_assert_cmpuint (grids->len, ==, 2);
  return g_ptr_array_index (grids, ends ? 1 : 0);
}

static GtkDropDown *
find_drop_down (GtkWidget *root, const char *tooltip)
{
  g_autoptr (GPtrArray) all = lb_gui_find (root, GTK_TYPE_DROP_DOWN);

  for (guint i = 0; i < all->len; i++)
    if (g_strcmp0 (gtk_widget_get_tooltip_text (g_ptr_array_index (all, i)), tooltip) == 0)
      return g_ptr_array_index (all, i);
  g_error ("no drop-down \"%s\"", tooltip);
}

/* Waits for the job (taken) and checks that it succeeded */
static LbJob *
finish_job (LbJob *job, guint timeout_ms)
{
  lb_gui_wait_job (job, timeout_ms);
  if (lb_job_get_state (job) != LB_JOB_SUCCEEDED)
    g_error ("job \"%s\" ended in state %d: %s", lb_job_get_title (job), lb_job_get_state (job),
             lb_job_get_error_message (job) ? lb_job_get_error_message (job) : "");
  return job;
}

/* The job an action started */
static LbJob *
run_job (LbWindow *window, guint timeout_ms)
{
  return finish_job (lb_gui_last_job (window), timeout_ms);
}

static const char *
reference_type (const char *name)
{
  const LbTensor *t = lb_model_find_tensor (reference (), name);

  g_assert_nonnull (t);
  return lb_type_get_name (t->type);
}

/* Every cell as llama.cpp typed it, but the edited one */
static void
assert_grid_is_q4_0 (GtkWidget *view, const char *edited_type)
{

  LbPrecisionGrid *grid = precision_grid (view, FALSE);
  LbPrecisionGrid *ends = precision_grid (view, TRUE);

  for (guint r = 0; r < lb_precision_grid_get_n_rows (grid); r++)
    for (guint c = 0; c < lb_precision_grid_get_n_cols (grid); c++)
      {
        g_autofree char *name = g_strdup_printf ("blk.%u.%s.weight", r, lb_precision_kinds[c]);
        const char *want = r == EDITED_ROW && c == EDITED_COL && edited_type != NULL
                           ? edited_type : reference_type (name);

        g_assert_cmpstr (lb_precision_grid_get_cell_type (grid, r, c), ==, want);
      }
  g_assert_cmpstr (lb_precision_grid_get_cell_type (ends, 0, 0), ==,
                   reference_type ("token_embd.weight"));
}

/* Bytes of the tensor data: llama.cpp's file, with the edited tensor in
 * Q8_0 (blocks of 32 weights in 34 bytes) */
static guint64
expected_data_bytes (gboolean edited)
{
  LbModel *ref = reference ();
  guint64 total = 0;

  for (guint i = 0; i < lb_model_get_n_tensors (ref); i++)
    {
      const LbTensor *t = lb_model_get_tensor (ref, i);

      if (edited && g_str_equal (t->name, EDITED_NAME))
        total += (guint64) lb_tensor_n_elements (t) / 32 * 34;
      else
        total += t->n_bytes;
    }
  return total;
}

static double
size_bar_total (GtkWidget *view)
{
  return lb_size_bar_get_total (lb_gui_find_one (view, LB_TYPE_SIZE_BAR));
}

/* Q4_0 from the preset row, one tensor to Q8_0 from the grid, undo, redo,
 * then an evaluation: the main loop is watched from the first action to
 * the evaluation's result on screen */
static void
test_quantize_evaluate (void)
{
  LbWindow *window = lb_gui_window ();
  g_autoptr (LbStallMonitor) monitor = NULL;
  g_autoptr (LbJob) quantize = NULL;
  g_autoptr (LbJob) edit = NULL;
  g_autoptr (LbJob) undo = NULL;
  g_autoptr (LbJob) redo = NULL;
  g_autoptr (LbJob) evaluate = NULL;
  g_autoptr (GPtrArray) combos = NULL;
  GtkWidget *precision, *eval, *overview;
  LbPrecisionGrid *grid;
  LbTargetTile *accuracy = NULL;
  g_autoptr (GPtrArray) tiles = NULL;
  g_autofree char *expected = NULL;

  g_assert_nonnull (lb_window_get_model (window));
  g_assert_cmpstr (lb_model_get_architecture (lb_window_get_model (window)), ==, "qwen2");
  /* a look at every page first, as a user finding their way would: the
   * first showing of a page lays out all its text (reported, and not part
   * of the quantize + evaluate figure) */
  {
    static const struct { GType (*type) (void); const char *name; } pages[] = {
      { lb_precision_view_get_type, "precision" }, { lb_heatmap_view_get_type, "heatmap" },
      { lb_perf_view_get_type, "performance" }, { lb_eval_view_get_type, "evaluation" },
      { lb_export_view_get_type, "export" },
    };

    for (guint i = 0; i < G_N_ELEMENTS (pages); i++)
      {
        g_autoptr (LbStallMonitor) first = lb_stall_monitor_new (10);

        view_of (window, pages[i].type (), pages[i].name);
        lb_gui_spin (300);
        g_test_message ("first showing of the %s page: %.1f ms of main-thread CPU at most "
                        "between two ticks", pages[i].name,
                        lb_stall_monitor_get_max_busy_ms (first));
      }
    /* the error map measured the model's own types when it was shown */
    lb_gui_wait_jobs (window, 60000);
  }
  precision = view_of (window, LB_TYPE_PRECISION_VIEW, "precision");
  grid = precision_grid (precision, FALSE);
  combos = lb_gui_find (precision, ADW_TYPE_COMBO_ROW);
  g_assert_cmpuint (combos->len, ==, 2);   /* preset, profile */

  /* a preset: every tensor re-quantized on a worker */
  monitor = lb_stall_monitor_new (10);
  lb_gui_select_combo (g_ptr_array_index (combos, 0), "Q4_0");
  quantize = run_job (window, 120000);
  g_assert_nonnull (strstr (lb_job_get_title (quantize), "Q4_0"));
  lb_gui_report_stall ("quantizing mini-qwen2 to Q4_0", quantize, NULL);
  assert_grid_is_q4_0 (precision, NULL);
  g_assert_cmpfloat (size_bar_total (precision), ==, (double) expected_data_bytes (FALSE));

  /* one cell, a type from the drop-down, the Set Type button */
  lb_precision_grid_select_cell (grid, EDITED_ROW, EDITED_COL, LB_GRID_SELECT_REPLACE);
  g_assert_cmpuint (lb_precision_grid_get_n_selected (grid), ==, 1);
  lb_gui_select_drop_down (find_drop_down (precision, tr ("Type for the Selected Tensors")), "Q8_0");
  edit = finish_job (lb_gui_click_for_job (window, lb_gui_find_button (precision, tr ("_Set Type"))),
                     60000);
  g_assert_nonnull (strstr (lb_job_get_title (edit), EDITED_NAME));
  lb_gui_report_stall ("re-quantizing one tensor", edit, NULL);
  assert_grid_is_q4_0 (precision, "Q8_0");
  g_assert_cmpfloat (size_bar_total (precision), ==, (double) expected_data_bytes (TRUE));
  expected = lb_gui_grouped (expected_data_bytes (TRUE));
  lb_gui_spin (100);
  {
    /* the exact bytes, as the page writes them */
    g_autofree char *size = g_format_size (expected_data_bytes (TRUE));
    g_autofree char *text = g_strdup_printf (tr ("%s (%s bytes)"), size, expected);

    lb_gui_assert_shows (precision, text);
  }

  /* undo and redo, as Ctrl+Z and Ctrl+Shift+Z do */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.undo", NULL);
  undo = run_job (window, 60000);
  lb_gui_report_stall ("undo", undo, NULL);
  assert_grid_is_q4_0 (precision, NULL);
  gtk_widget_activate_action (GTK_WIDGET (window), "win.redo", NULL);
  redo = run_job (window, 60000);
  lb_gui_report_stall ("redo", redo, NULL);
  assert_grid_is_q4_0 (precision, "Q8_0");

  /* an evaluation of that map against the original */
  eval = view_of (window, LB_TYPE_EVAL_VIEW, "evaluation");
  g_assert_nonnull (lb_eval_view_get_text (LB_EVAL_VIEW (eval)));
  g_assert_cmpuint (lb_eval_view_get_n_chunks (LB_EVAL_VIEW (eval)), ==, 4);
  evaluate = finish_job (lb_gui_click_for_job (window, lb_gui_find_button (eval, tr ("_Evaluate"))),
                         240000);
  lb_gui_spin (200);
  lb_gui_report_stall ("evaluating it (4 chunks of 512 tokens)", evaluate, NULL);
  lb_gui_report_stall ("quantize + edit + undo + redo + evaluate", NULL, monitor);
  g_assert_cmpuint (lb_scatter_chart_get_n_points (lb_gui_find_one (eval, LB_TYPE_SCATTER_CHART)),
                    ==, 1);

  /* the overview's accuracy tile has it now */
  overview = lb_gui_find_one (GTK_WIDGET (window), LB_TYPE_OVERVIEW_VIEW);
  tiles = lb_gui_find (overview, LB_TYPE_TARGET_TILE);
  g_assert_cmpuint (tiles->len, ==, 4);
  accuracy = g_ptr_array_index (tiles, 3);
  g_assert_cmpint (lb_target_tile_get_verdict (accuracy), !=, LB_TARGET_UNKNOWN);
  g_assert_cmpfloat (lb_target_tile_get_value (accuracy), >, 0.0);
  g_assert_cmpfloat (lb_target_tile_get_value (accuracy), <, 50.0);
  g_test_message ("accuracy loss of Q4_0 with %s in Q8_0: %.2f%%", EDITED_NAME,
                  lb_target_tile_get_value (accuracy));
}

/* The SNR of a tensor under its type, against llama.cpp's Q4_0 blocks of
 * the same tensor compared with the original weights */
static void
test_heatmap (void)
{
  LbWindow *window = lb_gui_window ();
  LbModel *base = lb_window_get_model (window);
  g_autoptr (LbJob) measure = NULL;
  g_autoptr (LbJob) drill = NULL;
  g_autoptr (GPtrArray) heatmaps = NULL;
  g_autoptr (GError) error = NULL;
  LbTensorErrorParams params = LB_TENSOR_ERROR_PARAMS_INIT;
  LbTensorError llama;
  GtkWidget *view;
  LbHeatmap *map, *drill_map;
  LbHistogram *histogram;
  const char *name = "blk.1.attn_v.weight";
  double shown;

  /* shown, the page measures the map as it stands */
  view = view_of (window, LB_TYPE_HEATMAP_VIEW, "heatmap");
  measure = run_job (window, 60000);
  lb_gui_report_stall ("measuring the weight SNR of every tensor", measure, NULL);
  heatmaps = lb_gui_find (view, LB_TYPE_HEATMAP);
  /* layers and outside them, of this map and of one to compare with; one tensor */
  g_assert_cmpuint (heatmaps->len, ==, 5);
  map = g_ptr_array_index (heatmaps, 0);
  g_assert_cmpuint (lb_heatmap_get_n_rows (map), ==, lb_model_get_hparams (base)->n_layer);
  g_assert_cmpuint (lb_heatmap_get_n_cols (map), ==, 7);
  for (guint r = 0; r < lb_heatmap_get_n_rows (map); r++)
    for (guint c = 0; c < 7; c++)
      g_assert_true (isfinite (lb_heatmap_get_value (map, r, c)));

  /* llama.cpp's Q4_0 blocks of the same tensor, against the original */
  g_assert_true (lb_tensor_error_compare (lb_model_find_tensor (base, name),
                                          lb_model_find_tensor (reference (), name), &params,
                                          &llama, NULL, NULL, &error));
  g_assert_no_error (error);
  shown = lb_heatmap_get_value (map, 1, EDITED_COL);
  g_test_message ("%s in Q4_0: %.2f dB shown, %.2f dB in llama.cpp's file", name, shown,
                  llama.snr_db);
  g_assert_cmpfloat (fabs (shown - llama.snr_db), <, 0.5);
  /* 8 bits instead of 4: about 24 dB more */
  g_assert_cmpfloat (lb_heatmap_get_value (map, EDITED_ROW, EDITED_COL), >,
                     lb_heatmap_get_value (map, 1, EDITED_COL) + 15.0);

  /* a click on the cell: its error map and its weights */
  g_signal_emit_by_name (map, "cell-activated", 1u, (guint) EDITED_COL);
  drill = run_job (window, 60000);
  lb_gui_spin (100);
  drill_map = g_ptr_array_index (heatmaps, 4);
  histogram = lb_gui_find_one (view, LB_TYPE_HISTOGRAM);
  g_assert_cmpuint (lb_heatmap_get_n_rows (drill_map), >, 1);
  g_assert_cmpuint (lb_heatmap_get_n_cols (drill_map), >, 1);
  g_assert_cmpuint (lb_histogram_get_n_bins (histogram), >, 10);
  /* Q4_0: 16 levels, d (q - 8) for q = 0 .. 15 */
  g_assert_cmpuint (lb_histogram_get_n_levels (histogram), ==, 16);
  lb_gui_assert_shows (view, name);
}

static void
test_benchmark (void)
{
  LbWindow *window = lb_gui_window ();
  g_autoptr (LbJob) bench = NULL;
  g_autoptr (GPtrArray) spins = NULL;
  g_autoptr (GPtrArray) tiles = NULL;
  GtkWidget *view = view_of (window, LB_TYPE_PERF_VIEW, "performance");
  LbGauge *gauge = lb_gui_find_one (view, LB_TYPE_GAUGE);
  LbLineChart *chart = lb_gui_find_one (view, LB_TYPE_LINE_CHART);

  /* a short run: prompt, generated tokens, repeats */
  spins = lb_gui_find (view, GTK_TYPE_SPIN_BUTTON);
  g_assert_cmpuint (spins->len, ==, 3);
  gtk_spin_button_set_value (g_ptr_array_index (spins, 0), 32);
  gtk_spin_button_set_value (g_ptr_array_index (spins, 1), 32);
  gtk_spin_button_set_value (g_ptr_array_index (spins, 2), 2);
  bench = finish_job (lb_gui_click_for_job (window, lb_gui_find_button (view, tr ("_Run Benchmark"))),
                      120000);
  lb_gui_report_stall ("benchmarking", bench, NULL);

  g_assert_true (isfinite (lb_gauge_get_value (gauge)));
  g_assert_cmpfloat (lb_gauge_get_value (gauge), >, 0.0);
  g_assert_cmpint (lb_gauge_get_verdict (gauge), !=, LB_GAUGE_NO_DATA);
  g_assert_cmpuint (lb_line_chart_get_n_points (chart, 0), >, 0);
  g_assert_cmpuint (lb_line_chart_get_n_points (chart, 1), >, 0);
  g_test_message ("%.3f ms per token, %u memory samples", lb_gauge_get_value (gauge),
                  lb_line_chart_get_n_points (chart, 0));

  /* every target of the overview is measured now */
  tiles = lb_gui_find (lb_gui_find_one (GTK_WIDGET (window), LB_TYPE_OVERVIEW_VIEW),
                       LB_TYPE_TARGET_TILE);
  for (guint i = 0; i < tiles->len; i++)
    g_assert_cmpint (lb_target_tile_get_verdict (g_ptr_array_index (tiles, i)), !=,
                     LB_TARGET_UNKNOWN);
}

static char *
beside (const char *gguf, const char *suffix)
{
  g_autofree char *stem = g_strndup (gguf, strlen (gguf) - strlen (".gguf"));

  return g_strconcat (stem, suffix, NULL);
}

static void
test_export_quantized (void)
{
  LbWindow *window = lb_gui_window ();
  LbModel *base = lb_window_get_model (window);
  GtkWidget *view = view_of (window, LB_TYPE_EXPORT_VIEW, "export");
  g_autofree char *recipe_path = NULL;
  g_autofree char *report_path = NULL;
  g_autofree char *exact = NULL;
  g_autoptr (LbStallMonitor) monitor = NULL;
  g_autoptr (LbJob) job = NULL;
  g_autoptr (LbModel) exported = NULL;
  g_autoptr (LbRecipe) recipe = NULL;
  g_autoptr (LbQuantPlan) plan = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) switches = lb_gui_find (view, GTK_TYPE_SWITCH);
  g_autoptr (LbEngine) engine = NULL;
  g_autofree float *logits = NULL;
  JsonObject *report;
  JsonArray *targets;
  GStatBuf st;
  gint32 bos;

  exported_path = g_build_filename (lb_gui_tmpdir, "mini-qwen2-q4_0-edited.gguf", NULL);
  recipe_path = beside (exported_path, ".recipe.json");
  report_path = beside (exported_path, ".report.json");
  g_assert_cmpuint (switches->len, ==, 3);
  for (guint i = 0; i < switches->len; i++)
    gtk_switch_set_active (g_ptr_array_index (switches, i), TRUE);

  monitor = lb_stall_monitor_new (10);
  gtk_widget_activate_action (GTK_WIDGET (window), "win.export-gguf", "s", exported_path);
  job = run_job (window, 240000);
  lb_gui_report_stall ("exporting, benchmarking and evaluating the file", job, monitor);

  /* the file: llama.cpp's Q4_0 types but the edited tensor, and it runs */
  exported = lb_model_load (exported_path, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (lb_model_get_n_tensors (exported), ==, lb_model_get_n_tensors (reference ()));
  for (guint i = 0; i < lb_model_get_n_tensors (exported); i++)
    {
      const LbTensor *t = lb_model_get_tensor (exported, i);

      g_assert_cmpstr (lb_type_get_name (t->type), ==,
                       g_str_equal (t->name, EDITED_NAME) ? "Q8_0" : reference_type (t->name));
    }
  engine = lb_engine_new (exported, NULL, &error);
  g_assert_no_error (error);
  logits = g_new (float, lb_model_get_hparams (exported)->n_vocab);
  bos = lb_tokenizer_get_bos (lb_model_get_tokenizer (exported));
  g_assert_true (lb_engine_eval (engine, &bos, 1, NULL, logits, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < lb_model_get_hparams (exported)->n_vocab; i++)
    g_assert_true (isfinite (logits[i]));

  /* the exact size, promised before writing */
  g_assert_cmpint (g_stat (exported_path, &st), ==, 0);
  exact = lb_gui_grouped ((guint64) st.st_size);
  {
    g_autofree char *size = g_format_size (st.st_size);
    g_autofree char *text = g_strdup_printf (tr ("%s (%s bytes)"), size, exact);

    lb_gui_assert_shows (view, text);
  }

  /* the recipe gives the same types */
  recipe = lb_recipe_load (recipe_path, &error);
  g_assert_no_error (error);
  g_assert_true (lb_recipe_resolve (recipe, base, NULL, &plan, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < lb_quant_plan_get_n_entries (plan); i++)
    {
      const LbPlanEntry *e = lb_quant_plan_get_entry (plan, i);

      g_assert_cmpint (e->type, ==, lb_model_find_tensor (exported, e->tensor->name)->type);
    }

  /* the report: the four targets, the size as written */
  g_assert_true (json_parser_load_from_file (parser, report_path, &error));
  g_assert_no_error (error);
  report = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpint (json_object_get_int_member (report, "file_bytes"), ==, st.st_size);
  targets = json_object_get_array_member (report, "targets");
  g_assert_cmpuint (json_array_get_length (targets), ==, 4);
  for (guint i = 0; i < 4; i++)
    {
      JsonObject *t = json_array_get_object_element (targets, i);

      /* all four were measured on the exported file */
      g_assert_false (json_node_is_null (json_object_get_member (t, "value")));
      g_assert_false (json_node_is_null (json_object_get_member (t, "passed")));
    }
  g_assert_cmpfloat (fabs (json_object_get_double_member (json_array_get_object_element (targets, 0),
                                                          "value") - st.st_size / 1e6), <, 1e-6);
  g_assert_true (json_object_has_member (report, "validation"));
  lb_gui_assert_shows (view, tr ("Files Written"));
  g_test_message ("exported %s: %s bytes", exported_path, exact);

  /* cancelled, an export leaves nothing */
  {
    g_autofree char *other = g_build_filename (lb_gui_tmpdir, "cancelled.gguf", NULL);
    g_autoptr (LbJob) cancelled = NULL;
    g_autoptr (GDir) dir = NULL;
    const char *entry;

    gtk_widget_activate_action (GTK_WIDGET (window), "win.export-gguf", "s", other);
    cancelled = lb_gui_last_job (window);
    lb_job_cancel (cancelled);
    lb_gui_wait_job (cancelled, 60000);
    g_assert_cmpint (lb_job_get_state (cancelled), ==, LB_JOB_CANCELLED);
    dir = g_dir_open (lb_gui_tmpdir, 0, &error);
    g_assert_no_error (error);
    while ((entry = g_dir_read_name (dir)) != NULL)
      g_assert_false (g_str_has_prefix (entry, "cancelled") || g_str_has_prefix (entry, ".cancelled"));
  }
}

/* Every view with these results, and the presets on the Pareto chart */
static void
test_screenshots (void)
{
  LbWindow *window = lb_gui_window ();
  GtkWidget *eval, *heatmap;
  g_autoptr (LbJob) presets = NULL;

  eval = view_of (window, LB_TYPE_EVAL_VIEW, "evaluation");
  presets = finish_job (lb_gui_click_for_job (window, lb_gui_find_button (eval,
                                                                          tr ("Evaluate _Presets"))),
                        600000);
  /* the current map's figures on the evaluation page */
  g_object_unref (finish_job (lb_gui_click_for_job (window, lb_gui_find_button (eval, tr ("_Evaluate"))),
                              240000));

  /* a longer benchmark, for a memory chart with something to show */
  {
    GtkWidget *perf = view_of (window, LB_TYPE_PERF_VIEW, "performance");

    lb_perf_view_set_sizes (LB_PERF_VIEW (perf), 256, 192, 3);
    g_object_unref (finish_job (lb_gui_click_for_job (window,
                                                      lb_gui_find_button (perf, tr ("_Run Benchmark"))),
                                240000));
  }

  heatmap = view_of (window, LB_TYPE_HEATMAP_VIEW, "heatmap");
  /* blk.3.ffn_down, clicked */
  {
    g_autoptr (GPtrArray) maps = lb_gui_find (heatmap, LB_TYPE_HEATMAP);

    g_signal_emit_by_name (g_ptr_array_index (maps, 0), "cell-activated", 3u, 6u);
  }
  g_object_unref (run_job (window, 60000));

  lb_gui_screenshot (window, "overview");
  lb_gui_screenshot (window, "precision");
  lb_gui_screenshot (window, "heatmap");
  lb_gui_screenshot (window, "performance");
  lb_gui_screenshot (window, "evaluation");
  lb_gui_screenshot (window, "export");
  lb_window_show_view (window, "overview");
}

/* Fit to Budget: the planner's map is no larger than the size target */
static void
test_fit_budget (void)
{
  LbWindow *window = lb_gui_window ();
  GSettings *settings = lb_window_get_settings (window);
  GtkWidget *view = view_of (window, LB_TYPE_PRECISION_VIEW, "precision");
  LbSession *session = lb_window_get_session (window);
  g_autoptr (LbJob) apply = NULL;
  double budget = 4.0;   /* MB: between the Q2_K and the Q8_0 files of mini-qwen2 */
  guint64 bytes;

  g_settings_set_double (settings, "target-size-mb", budget);
  g_object_unref (lb_gui_click_for_job (window, lb_gui_find_button (view, tr ("_Fit"))));
  /* the planner's job, then the one applying its recipe */
  lb_gui_wait_jobs (window, 240000);
  apply = lb_gui_last_job (window);
  g_assert_cmpint (lb_job_get_state (apply), ==, LB_JOB_SUCCEEDED);
  g_assert_nonnull (strstr (lb_job_get_title (apply), "fit-to-budget"));
  bytes = lb_session_get_file_bytes (session);
  g_test_message ("fitted to %.1f MB: a file of %" G_GUINT64_FORMAT " bytes", budget, bytes);
  g_assert_cmpuint (bytes, <=, (guint64) (budget * 1e6));
  /* and it uses the budget: more than the smallest preset (Q2_K) */
  g_assert_cmpuint (bytes, >, (guint64) (0.8 * budget * 1e6));
  g_settings_reset (settings, "target-size-mb");
}

void
lb_gui_view_tests_cleanup (void)
{
  g_clear_object (&reference_q4_0);
  g_clear_pointer (&exported_path, g_free);
}

void
lb_gui_add_view_tests (void)
{
  g_test_add_func ("/lowbit/workbench/quantize-evaluate", test_quantize_evaluate);
  g_test_add_func ("/lowbit/workbench/heatmap", test_heatmap);
  g_test_add_func ("/lowbit/workbench/benchmark", test_benchmark);
  g_test_add_func ("/lowbit/workbench/export-quantized", test_export_quantized);
  /* with --screenshot DIR only: it evaluates every preset for the chart */
  if (lb_gui_screenshot_dir != NULL)
    g_test_add_func ("/lowbit/workbench/screenshots", test_screenshots);
  g_test_add_func ("/lowbit/workbench/fit-budget", test_fit_budget);
}
