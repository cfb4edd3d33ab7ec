/* test-analysis-views.c: see test-workbench-analysis.c. The tests run in
 * order on one window: mini-qwen2 open, then each page shown for the first
 * time, ... */
#include "config.h"

#include <math.h>
#include <glib/gi18n.h>

#include "lb-eval-view.h"
#include "lb-export-view.h"
#include "lb-gui-test.h"
#include "lb-heatmap-view.h"
#include "lb-overview-view.h"
#include "lb-perf-view.h"
#include "lb-precision-view.h"
#include "lb-layer-error.h"
#include "lb-tensor-error.h"
#include "lb-test-util.h"
#include "lb-widgets.h"

void lb_gui_add_analysis_tests (gboolean metrics, gboolean compare);
void lb_gui_analysis_tests_cleanup (void);

/* ---- helpers -------------------------------------------------------------------------- */

static LbModel *q4_0_reference;   /* llama.cpp's Q4_0 of mini-qwen2 */
static LbModel *q8_0_reference;

static const char *tr (const char *text) G_GNUC_FORMAT (1);

static const char *
tr (const char *text)
{
  return g_dgettext (GETTEXT_PACKAGE, text);
}

static LbModel *
load_reference (LbModel **slot, const char *file)
{
  g_autofree char *path = NULL;
  g_autoptr (GError) error = NULL;

  if (*slot != NULL)
    return *slot;
  path = lb_test_shared_path ("models", "llamacpp-quants", file, NULL);
  g_assert_nonnull (path);
  *slot = lb_model_load (path, NULL, NULL, &error);
  g_assert_no_error (error);
  return *slot;
}

static GtkWidget *
view_of (LbWindow *window, GType type, const char *name)
{
  lb_window_show_view (window, name);
  lb_gui_spin (150);
  return lb_gui_find_one (GTK_WIDGET (window), type);
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

/* Waits for the job (taken), checks that it succeeded and that the main
 * thread stayed under the budget while it ran */
static LbJob *
finish_job (LbJob *job, const char *what, guint timeout_ms)
{
  lb_gui_wait_job (job, timeout_ms);
  if (lb_job_get_state (job) != LB_JOB_SUCCEEDED)
    g_error ("job \"%s\" ended in state %d: %s", lb_job_get_title (job), lb_job_get_state (job),
             lb_job_get_error_message (job) ? lb_job_get_error_message (job) : "");
  lb_gui_report_stall (what, job, NULL);
  return job;
}

/* The one job an action started */
static LbJob *
new_job (LbWindow *window, guint n_before, const char *what, guint timeout_ms)
{
  g_autoptr (GPtrArray) jobs = NULL;

  lb_gui_spin (50);
  jobs = lb_gui_jobs_since (window, n_before);
  g_assert_cmpuint (jobs->len, ==, 1);
  return finish_job (g_object_ref (g_ptr_array_index (jobs, 0)), what, timeout_ms);
}

static guint
n_jobs (LbWindow *window)
{
  return g_list_model_get_n_items (lb_window_get_jobs (window));
}

/* The heatmaps of the error map: card 0 layers, ends; card 1 layers, ends; one tensor */
static LbHeatmap *
heatmap (GtkWidget *view, guint i)
{
  g_autoptr (GPtrArray) maps = lb_gui_find (view, LB_TYPE_HEATMAP);

  g_assert_cmpuint (maps->len, ==, 5);
  return g_ptr_array_index (maps, i);
}

/* The colour a cell is drawn in */
static guint32
cell_pixel (LbHeatmap *map, guint row, guint col)
{
  cairo_surface_t *s = lb_gui_render_widget (GTK_WIDGET (map));
  int x, y;
  guint32 p;

  g_assert_true (lb_gui_heatmap_cell_centre (map, row, col, &x, &y));
  p = lb_gui_pixel (s, x, y);
  cairo_surface_destroy (s);
  return p;
}

/* The colour the legend promises for value, worked out here */
static guint32
expected_pixel (LbHeatmap *map, double value)
{
  double min, max, t;
  LbChartColor c;

  g_assert_true (lb_heatmap_get_range (map, &min, &max));
  value = CLAMP (value, min, max);
  if (lb_heatmap_get_log_scale (map))
    t = (log10 (value) - log10 (min)) / (log10 (max) - log10 (min));
  else
    t = (value - min) / (max - min);
  if (lb_heatmap_get_reverse (map))
    t = 1 - t;
  lb_colormap_eval (lb_heatmap_get_colormap (map), t, &c);
  return 0xff000000u | (guint32) lround (c.red * 255) << 16 | (guint32) lround (c.green * 255) << 8
         | (guint32) lround (c.blue * 255);
}

static gboolean
close_colours (guint32 a, guint32 b)
{
  for (guint shift = 0; shift < 24; shift += 8)
    if (ABS ((int) ((a >> shift) & 0xff) - (int) ((b >> shift) & 0xff)) > 2)
      return FALSE;
  return TRUE;
}

/* the text metrics' slice: short, the test is about the wiring (and runs
 * under AddressSanitizer); the page's own for screenshots */
#define SLICE_CTX    (lb_gui_screenshot_dir != NULL ? 128u : 64u)
#define SLICE_CHUNKS (lb_gui_screenshot_dir != NULL ? 4u : 2u)
#define ROW      1
#define COL      2     /* attn_v */
#define TENSOR   "blk.1.attn_v.weight"

/* Q4_0 from the precision page's preset row */
static void
test_quantize (void)
{
  LbWindow *window = lb_gui_window ();
  GtkWidget *precision = view_of (window, LB_TYPE_PRECISION_VIEW, "precision");
  g_autoptr (GPtrArray) combos = lb_gui_find (precision, ADW_TYPE_COMBO_ROW);
  g_autoptr (LbJob) job = NULL;
  guint before = n_jobs (window);

  g_assert_cmpuint (combos->len, ==, 2);   /* preset, profile */
  lb_gui_select_combo (g_ptr_array_index (combos, 0), "Q4_0");
  job = new_job (window, before, "quantizing to Q4_0", 120000);
  g_assert_cmpstr (lb_type_get_name (lb_session_get_tensor_type (lb_window_get_session (window),
                                                                  TENSOR)), ==, "Q4_0");
}

/* Weight SNR, then ΔKLD, then the layer output cosine, from the metric
 * drop-down: each changes the cells' values and colours, and each agrees
 * with the same quantity computed here from llama.cpp's Q4_0 blocks of
 * mini-qwen2 (whose quantizer ours reproduces block for block) */
static void
test_metrics (void)
{
  LbWindow *window = lb_gui_window ();
  LbModel *base = lb_window_get_model (window);
  LbModel *llama = load_reference (&q4_0_reference, "mini-Q4_0.gguf");
  GtkWidget *view;
  GtkDropDown *metric;
  LbHeatmap *map;
  g_autoptr (LbJob) snr_job = NULL;
  g_autoptr (LbJob) kld_job = NULL;
  g_autoptr (LbJob) layer_job = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;
  double snr, kld, oracle;
  guint32 snr_pixel, kld_pixel;
  guint n_layers = lb_model_get_hparams (base)->n_layer, before;
  gsize len;

  /* shown, the page measures the weight SNR */
  before = n_jobs (window);
  view = view_of (window, LB_TYPE_HEATMAP_VIEW, "heatmap");
  snr_job = new_job (window, before, "measuring the weight SNR", 60000);
  map = heatmap (view, 0);
  g_assert_cmpuint (lb_heatmap_get_n_rows (map), ==, n_layers);
  g_assert_cmpstr (lb_heatmap_get_legend_label (map), ==, tr ("SNR (dB)"));
  snr = lb_heatmap_get_value (map, ROW, COL);
  {
    LbTensorErrorParams params = LB_TENSOR_ERROR_PARAMS_INIT;
    LbTensorError err;

    g_assert_true (lb_tensor_error_compare (lb_model_find_tensor (base, TENSOR),
                                            lb_model_find_tensor (llama, TENSOR), &params, &err,
                                            NULL, NULL, &error));
    g_assert_no_error (error);
    g_test_message ("%s weight SNR: %.2f dB shown, %.2f dB from llama.cpp's blocks", TENSOR, snr,
                    err.snr_db);
    g_assert_cmpfloat (fabs (snr - err.snr_db), <, 0.5);
  }
  snr_pixel = cell_pixel (map, ROW, COL);
  g_assert_cmphex (snr_pixel, ==, expected_pixel (map, snr));

  /* ΔKLD: the metric drop-down, a job over a slice of the text */
  lb_heatmap_view_set_slice (LB_HEATMAP_VIEW (view), SLICE_CTX, SLICE_CHUNKS);
  metric = find_drop_down (view, tr ("What the Colours Show"));
  before = n_jobs (window);
  lb_gui_select_drop_down (metric, tr ("Sensitivity (ΔKLD)"));
  kld_job = new_job (window, before, "measuring ΔKLD of every tensor", 120000);
  g_assert_cmpint (lb_heatmap_view_get_metric (LB_HEATMAP_VIEW (view)), ==, LB_HEAT_DELTA_KLD);
  g_assert_cmpstr (lb_heatmap_get_legend_label (map), ==, tr ("ΔKLD"));
  g_assert_true (lb_heatmap_get_log_scale (map));
  for (guint r = 0; r < n_layers; r++)
    for (guint c = 0; c < 7; c++)
      g_assert_true (isfinite (lb_heatmap_get_value (map, r, c)));
  kld = lb_heatmap_get_value (map, ROW, COL);
  g_assert_cmpfloat (kld, !=, snr);
  kld_pixel = cell_pixel (map, ROW, COL);
  g_assert_true (close_colours (kld_pixel, expected_pixel (map, kld)));
  g_assert_cmphex (kld_pixel, !=, snr_pixel);
  g_assert_nonnull (strstr (lb_heatmap_get_cell_note (map, ROW, COL), "Q4_0"));
  {
    /* the definition, computed here: llama.cpp's blocks of that tensor
     * alone, against the original, minus the original against itself */
    g_autoptr (LbVariant) variant = lb_variant_new (base);
    g_autoptr (LbModel) candidate = NULL;
    g_autoptr (LbEvalResult) res = NULL;
    g_autoptr (LbEvalResult) res0 = NULL;
    LbEvalParams params = { 0 };

    g_assert_true (g_file_get_contents (lb_heatmap_view_get_text (LB_HEATMAP_VIEW (view)), &text,
                                        &len, &error));
    g_assert_true (lb_variant_take_tensor (variant, TENSOR, llama, &error));
    candidate = lb_variant_build_model (variant, &error);
    g_assert_no_error (error);
    params.n_ctx = SLICE_CTX;
    params.n_chunks = SLICE_CHUNKS;
    res = lb_eval_run (candidate, base, text, (gssize) len, &params, NULL, NULL, NULL, &error);
    g_assert_no_error (error);
    res0 = lb_eval_run (base, base, text, (gssize) len, &params, NULL, NULL, NULL, &error);
    g_assert_no_error (error);
    oracle = res->mean_kld - res0->mean_kld;
    g_test_message ("%s ΔKLD: %.3g shown, %.3g with llama.cpp's blocks", TENSOR, kld, oracle);
    g_assert_cmpfloat (oracle, >, 0.0);
    g_assert_cmpfloat (fabs (kld - oracle), <, 0.1 * oracle + 1e-6);
  }

  /* the layer output cosine: one value per row; nothing outside the layers */
  before = n_jobs (window);
  lb_gui_select_drop_down (metric, tr ("Layer Output Cosine"));
  layer_job = new_job (window, before, "measuring every layer's output", 120000);
  g_assert_cmpstr (lb_heatmap_get_legend_label (map), ==, tr ("Cosine"));
  g_assert_false (lb_heatmap_get_log_scale (map));
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (heatmap (view, 1))));
  {
    LbLayerErrorParams params = { SLICE_CTX, SLICE_CHUNKS, FALSE };
    g_autoptr (LbLayerErrorReport) report = NULL;

    report = lb_layer_error_compute_text (base, llama, text, (gssize) len, &params, NULL, NULL,
                                          NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (report->n_layers, ==, n_layers);
    for (guint r = 0; r < n_layers; r++)
      {
        double shown = lb_heatmap_get_value (map, r, 0);

        for (guint c = 1; c < 7; c++)
          g_assert_cmpfloat (lb_heatmap_get_value (map, r, c), ==, shown);
        g_test_message ("layer %u output cosine: %.5f shown, %.5f with llama.cpp's file", r,
                        shown, report->layers[r].cosine);
        g_assert_cmpfloat (shown, <, 1.0);
        g_assert_cmpfloat (fabs (shown - report->layers[r].cosine), <,
                           0.1 * (1 - report->layers[r].cosine) + 1e-5);
      }
  }
  /* the tooltips split a layer's error into attention and MLP */
  g_assert_cmpstr (lb_heatmap_get_cell_note (map, 0, 0), !=, lb_heatmap_get_cell_note (map, 0, 6));
  {
    g_autofree char *tip = lb_heatmap_describe_cell (map, 0, 0);

    g_assert_nonnull (strstr (tip, "\n"));
    g_test_message ("tooltip of blk.0 · attn_q: %s", tip);
  }
  g_assert_true (close_colours (cell_pixel (map, ROW, COL),
                                expected_pixel (map, lb_heatmap_get_value (map, ROW, COL))));
  lb_gui_screenshot_as (window, "heatmap", "heatmap-layers");

  /* without importance data the weighted SNR says so rather than measuring */
  before = n_jobs (window);
  lb_gui_select_drop_down (metric, tr ("Importance-Weighted SNR"));
  lb_gui_spin (200);
  g_assert_cmpuint (n_jobs (window), ==, before);
  lb_gui_assert_shows (view, tr ("This metric needs importance data: open or calibrate some under "
                                 "Importance Data on the Precision page."));
  lb_gui_select_drop_down (metric, tr ("Weight SNR"));
}

/* Q4_0 against the Q8_0 preset: two maps on one scale, then their difference */
static void
test_compare (void)
{
  LbWindow *window = lb_gui_window ();
  LbModel *base = lb_window_get_model (window);
  LbModel *llama = load_reference (&q8_0_reference, "mini-Q8_0.gguf");
  GtkWidget *view = view_of (window, LB_TYPE_HEATMAP_VIEW, "heatmap");
  LbHeatmap *mine = heatmap (view, 0), *other = heatmap (view, 2);
  g_autoptr (LbJob) job = NULL;
  g_autoptr (GError) error = NULL;
  double a_min, a_max, b_min, b_max, a, b;
  guint before;

  lb_gui_wait_jobs (window, 60000);
  g_assert_cmpint (lb_heatmap_view_get_metric (LB_HEATMAP_VIEW (view)), ==, LB_HEAT_WEIGHT_SNR);
  g_assert_false (gtk_widget_get_mapped (GTK_WIDGET (other)));
  before = n_jobs (window);
  lb_gui_select_drop_down (find_drop_down (view, tr ("A Map to Compare This One With")), "Q8_0");
  job = new_job (window, before, "measuring the Q8_0 preset to compare", 60000);
  lb_gui_spin (100);
  g_assert_cmpstr (lb_heatmap_view_get_compared (LB_HEATMAP_VIEW (view)), ==, "Q8_0");

  /* both maps, the same shape and the same colour scale */
  g_assert_true (gtk_widget_get_mapped (GTK_WIDGET (mine)));
  g_assert_true (gtk_widget_get_mapped (GTK_WIDGET (other)));
  g_assert_cmpuint (lb_heatmap_get_n_rows (other), ==, lb_heatmap_get_n_rows (mine));
  g_assert_cmpuint (lb_heatmap_get_n_cols (other), ==, 7);
  g_assert_true (lb_heatmap_get_range (mine, &a_min, &a_max));
  g_assert_true (lb_heatmap_get_range (other, &b_min, &b_max));
  g_assert_cmpfloat (a_min, ==, b_min);
  g_assert_cmpfloat (a_max, ==, b_max);
  a = lb_heatmap_get_value (mine, ROW, COL);
  b = lb_heatmap_get_value (other, ROW, COL);
  {
    LbTensorErrorParams params = LB_TENSOR_ERROR_PARAMS_INIT;
    LbTensorError err;

    g_assert_true (lb_tensor_error_compare (lb_model_find_tensor (base, TENSOR),
                                            lb_model_find_tensor (llama, TENSOR), &params, &err,
                                            NULL, NULL, &error));
    g_assert_no_error (error);
    g_test_message ("%s: %.2f dB in this map (Q4_0), %.2f dB in the Q8_0 preset, %.2f dB in "
                    "llama.cpp's Q8_0 file", TENSOR, a, b, err.snr_db);
    g_assert_cmpfloat (fabs (b - err.snr_db), <, 0.5);
  }
  /* 8 bits against 4: about 24 dB more, in every quantized matrix */
  g_assert_cmpfloat (b, >, a + 15.0);
  g_assert_cmphex (cell_pixel (other, ROW, COL), ==, expected_pixel (other, b));
  g_assert_true (lb_gui_shows_label (view, "Q8_0"));
  lb_gui_screenshot_as (window, "heatmap", "heatmap-compare");

  /* the difference: how much better the preset is, on a scale centred on 0 */
  lb_heatmap_view_set_difference (LB_HEATMAP_VIEW (view), TRUE);
  g_assert_cmpint (lb_heatmap_get_colormap (other), ==, LB_COLORMAP_COOL_WARM);
  g_assert_true (lb_heatmap_get_range (other, &b_min, &b_max));
  g_assert_cmpfloat (b_min, ==, -b_max);
  g_assert_cmpfloat_with_epsilon (lb_heatmap_get_value (other, ROW, COL), b - a, 1e-9);
  g_assert_cmpfloat (lb_heatmap_get_value (other, ROW, COL), >, 15.0);
  lb_gui_screenshot_as (window, "heatmap", "heatmap-difference");

  /* back to one map */
  lb_heatmap_view_set_difference (LB_HEATMAP_VIEW (view), FALSE);
  lb_gui_select_drop_down (find_drop_down (view, tr ("A Map to Compare This One With")),
                           tr ("Nothing"));
  lb_gui_spin (100);
  g_assert_null (lb_heatmap_view_get_compared (LB_HEATMAP_VIEW (view)));
  g_assert_false (gtk_widget_get_mapped (GTK_WIDGET (other)));
}

/* The first showing of each page: GTK measures and lays out everything on
 * it once. The main thread's CPU time between two ticks of a 10 ms timer
 * must stay under the budget as for any job. */
static void
test_first_show (void)
{
  static const struct { GType (*type) (void); const char *name; } pages[] = {
    { lb_precision_view_get_type, "precision" }, { lb_heatmap_view_get_type, "heatmap" },
    { lb_perf_view_get_type, "performance" }, { lb_eval_view_get_type, "evaluation" },
    { lb_export_view_get_type, "export" }, { lb_overview_view_get_type, "overview" },
  };
  LbWindow *window = lb_gui_window ();
  double worst = 0;

  g_assert_nonnull (lb_window_get_model (window));
  for (guint i = 0; i < G_N_ELEMENTS (pages); i++)
    {
      g_autoptr (LbStallMonitor) monitor = lb_stall_monitor_new (10);
      GtkWidget *view = lb_gui_find_one (GTK_WIDGET (window), pages[i].type ());
      double busy, gap;
      lb_window_show_view (window, pages[i].name);
      lb_gui_spin (400);
      g_assert_true (gtk_widget_get_mapped (view));
      busy = lb_stall_monitor_get_max_busy_ms (monitor);
      gap = lb_stall_monitor_get_max_gap_ms (monitor);
      g_test_message ("first showing of the %s page: %.1f ms main-thread CPU, %.1f ms wall "
                      "clock at most between two ticks", pages[i].name, busy, gap);
      worst = MAX (worst, busy);
    }
  lb_gui_wait_jobs (window, 60000);
  g_test_message ("worst first showing: %.1f ms (budget %.0f ms)", worst, LB_GUI_STALL_BUDGET_MS);
  /* as for jobs: not with AddressSanitizer, nor in screenshot runs */
#ifndef __SANITIZE_ADDRESS__
  if (lb_gui_screenshot_dir == NULL)
    g_assert_cmpfloat (worst, <, LB_GUI_STALL_BUDGET_MS);
#endif
}

void
lb_gui_analysis_tests_cleanup (void)
{
  g_clear_object (&q4_0_reference);
  g_clear_object (&q8_0_reference);
}

void
lb_gui_add_analysis_tests (gboolean metrics, gboolean compare)
{
  /* the first showings before anything else was shown */
  if (metrics)
    g_test_add_func ("/lowbit/workbench-analysis/first-show", test_first_show);
  g_test_add_func ("/lowbit/workbench-analysis/quantize", test_quantize);
  if (metrics)
    g_test_add_func ("/lowbit/workbench-analysis/metrics", test_metrics);
  if (compare)
    g_test_add_func ("/lowbit/workbench-analysis/compare", test_compare);
}
