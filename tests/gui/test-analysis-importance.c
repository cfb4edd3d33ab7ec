/* test-analysis-importance.c: importance data in the workbench, through
 * the Importance Data row of the precision page: an imatrix file opened
 * changes what the quantizer writes (checked against llama.cpp's Q4_K_M
 * made with the same imatrix), feeds the importance-weighted error map,
 * stays through later edits, and a calibration makes one from a text. */
#include "config.h"

#include <math.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "lb-export-view.h"
#include "lb-gui-test.h"
#include "lb-heatmap-view.h"
#include "lb-importance-row.h"
#include "lb-precision-view.h"
#include "lb-tensor-error.h"
#include "lb-test-util.h"
#include "lb-widgets.h"

void lb_gui_add_importance_tests (void);
void lb_gui_importance_tests_cleanup (void);

static const char *tr (const char *text) G_GNUC_FORMAT (1);

static const char *
tr (const char *text)
{
  return g_dgettext (GETTEXT_PACKAGE, text);
}

static GtkWidget *
view_of (LbWindow *window, GType type, const char *name)
{
  lb_window_show_view (window, name);
  lb_gui_spin (150);
  return lb_gui_find_one (GTK_WIDGET (window), type);
}

/* Every job started since n_before, waited for: all must succeed within
 * the main thread's budget */
static void
finish_jobs (LbWindow *window, guint n_before, const char *what, guint timeout_ms)
{
  g_autoptr (GPtrArray) jobs = NULL;

  lb_gui_spin (50);
  jobs = lb_gui_jobs_since (window, n_before);
  g_assert_cmpuint (jobs->len, >, 0);
  lb_gui_wait_jobs (window, timeout_ms);
  for (guint i = 0; i < jobs->len; i++)
    {
      LbJob *job = g_ptr_array_index (jobs, i);

      if (lb_job_get_state (job) != LB_JOB_SUCCEEDED)
        g_error ("job \"%s\" ended in state %d: %s", lb_job_get_title (job), lb_job_get_state (job),
                 lb_job_get_error_message (job) ? lb_job_get_error_message (job) : "");
      lb_gui_report_stall (what, job, NULL);
    }
}

static guint
n_jobs (LbWindow *window)
{
  return g_list_model_get_n_items (lb_window_get_jobs (window));
}

static void
apply_preset (LbWindow *window, const char *preset)
{
  GtkWidget *precision = view_of (window, LB_TYPE_PRECISION_VIEW, "precision");
  g_autoptr (GPtrArray) combos = lb_gui_find (precision, ADW_TYPE_COMBO_ROW);
  guint before = n_jobs (window);
  g_autofree char *what = g_strdup_printf ("quantizing to %s", preset);

  lb_gui_select_combo (g_ptr_array_index (combos, 0), preset);
  finish_jobs (window, before, what, 120000);
}

/* The GGUF alone, through the window's action, as the export page writes it */
static LbModel *
export (LbWindow *window, const char *name)
{
  GtkWidget *view = view_of (window, LB_TYPE_EXPORT_VIEW, "export");
  g_autoptr (GPtrArray) switches = lb_gui_find (view, GTK_TYPE_SWITCH);
  g_autofree char *path = g_build_filename (lb_gui_tmpdir, name, NULL);
  g_autoptr (GError) error = NULL;
  guint before = n_jobs (window);
  LbModel *model;

  for (guint i = 0; i < switches->len; i++)
    gtk_switch_set_active (g_ptr_array_index (switches, i), FALSE);
  gtk_widget_activate_action (GTK_WIDGET (window), "win.export-gguf", "s", path);
  finish_jobs (window, before, "exporting", 120000);
  model = lb_model_load (path, NULL, NULL, &error);
  g_assert_no_error (error);
  return model;
}

static gboolean
dialog_cond (gpointer data)
{
  GtkWindow **out = data;
  GListModel *toplevels = gtk_window_get_toplevels ();  /* transfer none */

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr (GtkWindow) w = g_list_model_get_item (toplevels, i);

      if (ADW_IS_MESSAGE_DIALOG (w) && gtk_widget_get_visible (GTK_WIDGET (w)))
        {
          *out = w;
          return TRUE;
        }
    }
  return FALSE;
}

static LbImportanceRow *
importance_row (LbWindow *window)
{
  return lb_gui_find_one (view_of (window, LB_TYPE_PRECISION_VIEW, "precision"),
                          LB_TYPE_IMPORTANCE_ROW);
}

/* Importance-weighted squared error of a file's tensor against the original */
static double
weighted_error (LbModel *base, LbModel *file, const char *name, LbImatrix *imatrix)
{
  const LbTensor *t = lb_model_find_tensor (base, name);
  LbTensorErrorParams params = LB_TENSOR_ERROR_PARAMS_INIT;
  g_autoptr (GError) error = NULL;
  LbTensorError err;

  g_assert_true (lb_tensor_find_importance (t, imatrix, &params.importance, &params.n_importance,
                                            &error));
  g_assert_nonnull (params.importance);
  g_assert_true (lb_tensor_error_compare (t, lb_model_find_tensor (file, name), &params, &err,
                                          NULL, NULL, &error));
  g_assert_no_error (error);
  return err.weighted_mse * err.n_elements;
}

static void
test_importance (void)
{
  LbWindow *window = lb_gui_window ();
  LbSession *session = lb_window_get_session (window);
  LbModel *base = lb_window_get_model (window);
  g_autofree char *shared = lb_test_shared_path ("models", "llamacpp-quants",
                                                 "imatrix-wikitext2-valid.gguf", NULL);
  g_autofree char *llama_path = lb_test_shared_path ("models", "llamacpp-quants",
                                                     "mini-Q4_K_M-imatrix.gguf", NULL);
  g_autofree char *path = NULL;
  g_autoptr (LbModel) without = NULL;
  g_autoptr (LbModel) with = NULL;
  g_autoptr (LbModel) llama = NULL;
  g_autoptr (LbImatrix) imatrix = NULL;
  g_autoptr (GError) error = NULL;
  LbImportanceRow *row;
  double werr_without = 0, werr_with = 0, werr_llama = 0;
  guint n_compared = 0, n_changed = 0, before;

  g_assert_nonnull (shared);
  g_assert_nonnull (llama_path);
  path = g_canonicalize_filename (shared, NULL);
  llama = lb_model_load (llama_path, NULL, NULL, &error);
  g_assert_no_error (error);
  imatrix = lb_imatrix_load (path, &error);
  g_assert_no_error (error);

  /* Q4_K_M without importance data, written */
  apply_preset (window, "Q4_K_M");
  g_assert_null (lb_session_get_importance (session));
  without = export (window, "q4_k_m.gguf");

  /* the file from the Importance Data row: the map is quantized again with it */
  row = importance_row (window);
  g_assert_cmpstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), ==,
                   tr ("None: every column of a matrix counts the same"));
  before = n_jobs (window);
  gtk_widget_activate_action (GTK_WIDGET (row), "importance.open", "s", path);
  finish_jobs (window, before, "quantizing again with importance data", 120000);
  g_assert_cmpstr (lb_session_get_importance (session), ==, path);
  g_assert_nonnull (lb_session_get_imatrix (session));
  g_assert_cmpstr (lb_recipe_get_importance (lb_session_get_recipe (session)), ==, path);
  g_assert_nonnull (strstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)),
                            "imatrix-wikitext2-valid.gguf"));
  /* the export page shows it too */
  g_assert_nonnull (strstr (adw_action_row_get_subtitle (lb_gui_find_one (
                              view_of (window, LB_TYPE_EXPORT_VIEW, "export"),
                              LB_TYPE_IMPORTANCE_ROW)), "imatrix-wikitext2-valid.gguf"));
  with = export (window, "q4_k_m-imatrix.gguf");

  /* what the quantizer wrote: llama.cpp's types, other blocks than without
   * importance, and the importance-weighted error of llama.cpp's file made
   * with the same imatrix (ours may be a little better) */
  g_assert_cmpuint (lb_model_get_n_tensors (with), ==, lb_model_get_n_tensors (llama));
  for (guint i = 0; i < lb_model_get_n_tensors (with); i++)
    {
      const LbTensor *t = lb_model_get_tensor (with, i);
      const LbTensor *w = lb_model_find_tensor (without, t->name);
      const LbTensor *l = lb_model_find_tensor (llama, t->name);

      g_assert_nonnull (w);
      g_assert_nonnull (l);
      g_assert_cmpstr (lb_type_get_name (t->type), ==, lb_type_get_name (l->type));
      if (!g_str_has_prefix (t->name, "blk.") || t->n_dims < 2 || !lb_type_get_traits (t->type)->quantized)
        continue;
      g_assert_cmpuint (t->n_bytes, ==, w->n_bytes);
      n_compared++;
      n_changed += memcmp (t->data, w->data, t->n_bytes) != 0;
      werr_with += weighted_error (base, with, t->name, imatrix);
      werr_without += weighted_error (base, without, t->name, imatrix);
      werr_llama += weighted_error (base, llama, t->name, imatrix);
    }
  g_test_message ("%u of %u quantized matrices changed with importance data; importance-weighted "
                  "error: %.4g without, %.4g with, %.4g in llama.cpp's file", n_changed,
                  n_compared, werr_without, werr_with, werr_llama);
  g_assert_cmpuint (n_compared, >, 0);
  g_assert_cmpuint (n_changed, ==, n_compared);
  g_assert_cmpfloat (werr_with, <, werr_without);
  g_assert_cmpfloat (werr_with, <, 1.02 * werr_llama);

  /* the error map's importance-weighted SNR, against llama.cpp's blocks */
  {
    GtkWidget *heatmap = view_of (window, LB_TYPE_HEATMAP_VIEW, "heatmap");
    g_autoptr (GPtrArray) maps = lb_gui_find (heatmap, LB_TYPE_HEATMAP);
    LbHeatmap *map = g_ptr_array_index (maps, 0);
    const char *name = "blk.1.ffn_down.weight";
    const LbTensor *t = lb_model_find_tensor (base, name);
    LbTensorErrorParams params = LB_TENSOR_ERROR_PARAMS_INIT;
    LbTensorError err;
    double shown;

    lb_gui_wait_jobs (window, 60000);
    lb_heatmap_view_set_metric (LB_HEATMAP_VIEW (heatmap), LB_HEAT_WEIGHTED_SNR);
    lb_gui_spin (100);
    lb_gui_wait_jobs (window, 60000);
    g_assert_cmpstr (lb_heatmap_get_legend_label (map), ==,
                     tr ("Weighted SNR (dB)"));
    g_assert_true (lb_tensor_find_importance (t, imatrix, &params.importance, &params.n_importance,
                                              &error));
    g_assert_true (lb_tensor_error_compare (t, lb_model_find_tensor (llama, name), &params, &err,
                                            NULL, NULL, &error));
    g_assert_no_error (error);
    shown = lb_heatmap_get_value (map, 1, 6);
    g_test_message ("%s importance-weighted SNR: %.2f dB shown, %.2f dB in llama.cpp's file "
                    "(plain SNR %.2f dB)", name, shown, err.weighted_snr_db, err.snr_db);
    g_assert_cmpfloat (fabs (shown - err.weighted_snr_db), <, 0.5);
    if (lb_gui_screenshot_dir != NULL)
      lb_gui_spin (6000);   /* the exports' toasts go away */
    lb_gui_screenshot_as (window, "heatmap", "heatmap-weighted");
    lb_heatmap_view_set_metric (LB_HEATMAP_VIEW (heatmap), LB_HEAT_WEIGHT_SNR);
  }

  /* chosen once, it stays: another preset, undo */
  apply_preset (window, "Q8_0");
  g_assert_cmpstr (lb_session_get_importance (session), ==, path);
  before = n_jobs (window);
  gtk_widget_activate_action (GTK_WIDGET (window), "win.undo", NULL);
  finish_jobs (window, before, "undo", 60000);
  g_assert_cmpstr (lb_recipe_get_name (lb_session_get_recipe (session)), ==, "Q4_K_M");
  g_assert_cmpstr (lb_session_get_importance (session), ==, path);

  /* a file that is no imatrix: a readable error, nothing changes */
  {
    g_autofree char *text = lb_test_shared_path ("text", "wikitext2-valid.txt", NULL);
    g_autoptr (GPtrArray) jobs = NULL;
    LbJob *job;
    GtkWindow *dialog = NULL;

    row = importance_row (window);
    before = n_jobs (window);
    gtk_widget_activate_action (GTK_WIDGET (row), "importance.open", "s", text);
    lb_gui_wait_jobs (window, 60000);
    jobs = lb_gui_jobs_since (window, before);
    g_assert_cmpuint (jobs->len, ==, 1);
    job = g_ptr_array_index (jobs, 0);
    g_assert_cmpint (lb_job_get_state (job), ==, LB_JOB_FAILED);
    g_test_message ("a text opened as importance data: %s", lb_job_get_error_message (job));
    g_assert_true (lb_gui_wait_for (dialog_cond, &dialog, 5000));
    g_assert_cmpstr (adw_message_dialog_get_body (ADW_MESSAGE_DIALOG (dialog)), ==,
                     lb_job_get_error_message (job));
    gtk_window_destroy (dialog);
    g_assert_cmpstr (lb_session_get_importance (session), ==, path);
  }

  /* and goes when asked to */
  row = importance_row (window);
  before = n_jobs (window);
  gtk_widget_activate_action (GTK_WIDGET (row), "importance.clear", NULL);
  finish_jobs (window, before, "quantizing again without importance data", 120000);
  g_assert_null (lb_session_get_importance (session));
  g_assert_null (lb_session_get_imatrix (session));
  g_assert_null (lb_recipe_get_importance (lb_session_get_recipe (session)));
}

/* Calibrate: the model over a text, the result saved and used */
static void
test_calibrate (void)
{
  LbWindow *window = lb_gui_window ();
  LbSession *session = lb_window_get_session (window);
  g_autofree char *text = lb_test_shared_path ("text", "wikitext2-valid.txt", NULL);
  g_autofree char *llama_path = lb_test_shared_path ("models", "llamacpp-quants",
                                                     "imatrix-wikitext2-valid.gguf", NULL);
  g_autofree char *cache = g_build_filename (g_get_user_cache_dir (), "lowbit", NULL);
  g_autoptr (LbImatrix) llama = NULL;
  g_autoptr (GError) error = NULL;
  LbImportanceRow *row = importance_row (window);
  LbImatrix *ours;
  const char *path;
  const char *name = "blk.0.ffn_down.weight";
  const float *a, *b;
  gsize na, nb;
  double sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0, r;
  guint before = n_jobs (window);

  g_assert_nonnull (text);
  llama = lb_imatrix_load (llama_path, &error);
  g_assert_no_error (error);
  lb_importance_row_set_calibration (row, 128, 4);
  gtk_widget_activate_action (GTK_WIDGET (row), "importance.calibrate-from", "s", text);
  finish_jobs (window, before, "calibrating (4 chunks of 128 tokens), then quantizing with it",
               120000);

  /* saved in the user's cache folder, whole, and used */
  path = lb_session_get_importance (session);
  g_assert_nonnull (path);
  g_assert_true (g_str_has_prefix (path, cache));
  g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));
  ours = lb_session_get_imatrix (session);
  g_assert_nonnull (ours);
  g_assert_cmpint (lb_imatrix_get_count (ours, name), ==, 4 * 128);
  g_assert_nonnull (strstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)),
                            "wikitext2-valid.txt"));

  /* much like llama-imatrix's over the whole text: the same columns matter */
  a = lb_imatrix_get_importance (ours, name, &na);
  b = lb_imatrix_get_importance (llama, name, &nb);
  g_assert_nonnull (a);
  g_assert_nonnull (b);
  g_assert_cmpuint (na, ==, nb);
  for (gsize i = 0; i < na; i++)
    {
      double x = log (a[i] + 1e-12), y = log (b[i] + 1e-12);

      sx += x, sy += y, sxx += x * x, syy += y * y, sxy += x * y;
    }
  r = (na * sxy - sx * sy) / sqrt ((na * sxx - sx * sx) * (na * syy - sy * sy));
  g_test_message ("%s: correlation of log importance with llama-imatrix's %.3f", name, r);
  g_assert_cmpfloat (r, >, 0.8);
}

void
lb_gui_importance_tests_cleanup (void)
{
}

void
lb_gui_add_importance_tests (void)
{
  g_test_add_func ("/lowbit/workbench-analysis/importance", test_importance);
  g_test_add_func ("/lowbit/workbench-analysis/calibrate", test_calibrate);
}
