/* test-workbench.c: the real workbench in this process, under Xvfb.
 * It opens models through the application's own actions, waits for the
 * load job and reads what the window shows (mapped labels), never the
 * model objects behind them. Expected numbers come from the model files'
 * own headers (llama2.c header, config.json), not from core.
 *
 *   test-workbench --tap                      the tests
 *   test-workbench --screenshot DIR [-p ...]  also saves DIR/<view>-<lang>.png
 */
#include "config.h"

#include <json-glib/json-glib.h>

#include "lb-export-view.h"
#include "lb-gui-test.h"
#include "lb-precision-view.h"
#include "lb-target-tile.h"
#include "lb-test-util.h"
#include "lb-widgets.h"

#define app lb_gui_app
#define tmpdir lb_gui_tmpdir
#define screenshot_dir lb_gui_screenshot_dir
#define active_window lb_gui_window
#define last_job lb_gui_last_job
#define spin lb_gui_spin
#define wait_for lb_gui_wait_for
#define grouped lb_gui_grouped
#define report_stall lb_gui_report_stall
#define assert_shows(window, text) lb_gui_assert_shows (GTK_WIDGET (window), (text))

static void
wait_job (LbJob *job)
{
  lb_gui_wait_job (job, 60000);
}

static void
find_widgets (GtkWidget *widget, GType type, GPtrArray *found)
{
  g_autoptr (GPtrArray) all = lb_gui_find (widget, type);

  for (guint i = 0; i < all->len; i++)
    g_ptr_array_add (found, g_ptr_array_index (all, i));
}

/* Expected numbers from the files themselves */

/* llama2.c header: dim, hidden_dim, n_layers, n_heads, n_kv_heads,
 * vocab_size (negative: separate classifier), seq_len */
static guint64
llama2c_params (const char *path, int *n_layers)
{
  g_autofree char *data = NULL;
  gsize len;
  gint32 h[7];
  guint64 dim, hidden, layers, kv_dim, vocab, per_layer, total;

  g_assert_true (g_file_get_contents (path, &data, &len, NULL));
  g_assert_cmpuint (len, >=, sizeof h);
  memcpy (h, data, sizeof h);
  dim = h[0];
  hidden = h[1];
  layers = h[2];
  kv_dim = dim / h[3] * h[4];
  vocab = ABS (h[5]);
  per_layer = 2 * dim + 2 * dim * dim + 2 * dim * kv_dim + 3 * dim * hidden;
  total = vocab * dim + layers * per_layer + dim + (h[5] < 0 ? vocab * dim : 0);
  *n_layers = h[2];
  return total;
}

/* Qwen2 from config.json: q/k/v carry biases, the output may be tied */
static guint64
qwen2_params (const char *config_path, int *n_layers)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonObject *o;
  guint64 hidden, layers, heads, kv_heads, ffn, vocab, kv_dim, per_layer, total;
  gboolean tied;

  g_assert_true (json_parser_load_from_file (parser, config_path, NULL));
  o = json_node_get_object (json_parser_get_root (parser));
  hidden = json_object_get_int_member (o, "hidden_size");
  layers = json_object_get_int_member (o, "num_hidden_layers");
  heads = json_object_get_int_member (o, "num_attention_heads");
  kv_heads = json_object_get_int_member (o, "num_key_value_heads");
  ffn = json_object_get_int_member (o, "intermediate_size");
  vocab = json_object_get_int_member (o, "vocab_size");
  tied = json_object_get_boolean_member_with_default (o, "tie_word_embeddings", FALSE);
  kv_dim = hidden / heads * kv_heads;
  per_layer = 2 * hidden                       /* norms */
            + hidden * hidden + hidden         /* q + bias */
            + 2 * (hidden * kv_dim + kv_dim)   /* k, v + biases */
            + hidden * hidden                  /* output */
            + 3 * hidden * ffn;                /* gate, up, down */
  total = vocab * hidden + layers * per_layer + hidden + (tied ? 0 : vocab * hidden);
  *n_layers = (int) layers;
  return total;
}

/* "bfloat16" -> "BF16", as GGUF names the type */
static const char *
config_dtype (const char *config_path)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonObject *o;
  const char *dtype;

  g_assert_true (json_parser_load_from_file (parser, config_path, NULL));
  o = json_node_get_object (json_parser_get_root (parser));
  dtype = json_object_get_string_member_with_default (o, "torch_dtype", NULL);
  if (dtype == NULL)
    dtype = json_object_get_string_member_with_default (o, "dtype", "");
  if (g_str_equal (dtype, "bfloat16"))
    return "BF16";
  if (g_str_equal (dtype, "float16"))
    return "F16";
  if (g_str_equal (dtype, "float32"))
    return "F32";
  g_error ("unexpected dtype \"%s\" in %s", dtype, config_path);
}

/* Tests */

static void
test_sample_model (void)
{
  g_autofree char *sample = lb_test_source_path ("data", "stories260K", "stories260K.bin", NULL);
  g_autofree char *found = lb_application_find_sample_model ();
  g_autofree char *params = NULL;
  g_autofree char *layers = NULL;
  g_autoptr (LbJob) job = NULL;
  LbWindow *window;
  int n_layers;

  /* started without a file, the workbench opens the bundled sample */
  g_assert_nonnull (found);
  g_assert_null (gtk_application_get_active_window (GTK_APPLICATION (app)));
  window = active_window ();
  job = last_job (window);
  g_assert_true (g_str_has_suffix (lb_job_get_title (job), "stories260K.bin"));
  wait_job (job);
  g_assert_cmpint (lb_job_get_state (job), ==, LB_JOB_SUCCEEDED);

  params = grouped (llama2c_params (sample, &n_layers));
  layers = g_strdup_printf ("%d", n_layers);
  assert_shows (window, "llama");
  assert_shows (window, params);
  assert_shows (window, layers);
  g_test_message ("sample model: %s parameters, %s layers shown", params, layers);
}

static void
test_open_hf_folder (void)
{
  g_autofree char *folder = lb_test_shared_path ("models", "mini-qwen2", NULL);
  g_autofree char *config = NULL;
  g_autofree char *params = NULL;
  g_autofree char *layers = NULL;
  g_autoptr (LbStallMonitor) monitor = NULL;
  g_autoptr (LbJob) job = NULL;
  LbWindow *window;
  int n_layers;

  if (folder == NULL)
    return;
  config = g_build_filename (folder, "config.json", NULL);
  window = active_window ();

  /* through the application's action, as the command line does */
  monitor = lb_stall_monitor_new (10);
  g_action_group_activate_action (G_ACTION_GROUP (app), "open-file",
                                  g_variant_new_string (folder));
  job = last_job (window);
  g_assert_true (g_str_has_suffix (lb_job_get_title (job), "mini-qwen2"));
  wait_job (job);
  g_assert_cmpint (lb_job_get_state (job), ==, LB_JOB_SUCCEEDED);

  report_stall ("loading mini-qwen2", job, monitor);

  params = grouped (qwen2_params (config, &n_layers));
  layers = g_strdup_printf ("%d", n_layers);
  assert_shows (window, "qwen2");
  assert_shows (window, params);
  assert_shows (window, layers);
  assert_shows (window, g_dgettext (GETTEXT_PACKAGE, "Hugging Face folder"));

  /* the precision map: one row per layer, seven kinds, each cell in the
   * dtype config.json names (the HF folder stores every matrix in it) */
  {
    g_autoptr (GPtrArray) grids = g_ptr_array_new ();
    LbPrecisionGrid *grid;
    const char *dtype = config_dtype (config);

    find_widgets (GTK_WIDGET (lb_gui_find_one (GTK_WIDGET (window), LB_TYPE_PRECISION_VIEW)),
                  LB_TYPE_PRECISION_GRID, grids);
    /* the layers' grid and the one of the tensors outside them */
    g_assert_cmpuint (grids->len, ==, 2);
    grid = g_ptr_array_index (grids, 0);
    g_assert_cmpuint (lb_precision_grid_get_n_rows (grid), ==, (guint) n_layers);
    g_assert_cmpuint (lb_precision_grid_get_n_cols (grid), ==, 7);
    for (guint r = 0; r < (guint) n_layers; r++)
      for (guint c = 0; c < 7; c++)
        g_assert_cmpstr (lb_precision_grid_get_cell_type (grid, r, c), ==, dtype);
    lb_window_show_view (window, "precision");
    spin (200);
    g_assert_true (gtk_widget_get_mapped (GTK_WIDGET (grid)));
  }
  lb_window_show_view (window, "overview");
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

static void
test_open_broken_file (void)
{
  g_autofree char *path = g_build_filename (tmpdir, "broken.gguf", NULL);
  /* a GGUF header that promises far more tensors than the file holds */
  static const guint8 bytes[] = {
    'G', 'G', 'U', 'F', 3, 0, 0, 0,
    0xff, 0xff, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0,
  };
  g_autoptr (LbJob) job = NULL;
  LbWindow *window = active_window ();
  LbModel *before = lb_window_get_model (window);
  GtkWindow *dialog = NULL;
  const char *body;

  g_assert_true (g_file_set_contents (path, (const char *) bytes, sizeof bytes, NULL));
  g_action_group_activate_action (G_ACTION_GROUP (app), "open-file",
                                  g_variant_new_string (path));
  job = last_job (window);
  wait_job (job);

  /* a readable message in a dialog; the model shown before stays */
  g_assert_cmpint (lb_job_get_state (job), ==, LB_JOB_FAILED);
  g_assert_nonnull (lb_job_get_error_message (job));
  g_assert_true (wait_for (dialog_cond, &dialog, 5000));
  body = adw_message_dialog_get_body (ADW_MESSAGE_DIALOG (dialog));
  g_assert_cmpstr (body, ==, lb_job_get_error_message (job));
  g_test_message ("error shown: %s", body);
  g_assert_true (lb_window_get_model (window) == before);
  assert_shows (window, "qwen2");
  gtk_window_destroy (dialog);
}

static void
test_targets (void)
{
  LbWindow *window = active_window ();
  GSettings *settings = lb_window_get_settings (window);
  g_autoptr (GPtrArray) tiles = g_ptr_array_new ();
  LbTargetTile *size = NULL;
  guint n_unknown = 0;

  lb_window_show_view (window, "overview");
  find_widgets (GTK_WIDGET (window), LB_TYPE_TARGET_TILE, tiles);
  g_assert_cmpuint (tiles->len, ==, 4);
  for (guint i = 0; i < tiles->len; i++)
    {
      LbTargetTile *tile = g_ptr_array_index (tiles, i);

      if (lb_target_tile_get_verdict (tile) == LB_TARGET_UNKNOWN)
        n_unknown++;
      else
        size = tile;
    }
  /* only the size is known before any benchmark or evaluation */
  g_assert_cmpuint (n_unknown, ==, 3);
  g_assert_nonnull (size);
  g_assert_cmpfloat (lb_target_tile_get_target (size), ==, 500.0);
  g_assert_cmpint (lb_target_tile_get_verdict (size), ==, LB_TARGET_PASS);

  /* the tile follows the setting both ways */
  g_settings_set_double (settings, "target-size-mb", 1.0);
  g_assert_cmpfloat (lb_target_tile_get_target (size), ==, 1.0);
  g_assert_cmpint (lb_target_tile_get_verdict (size), ==, LB_TARGET_FAIL);
  g_settings_reset (settings, "target-size-mb");
  g_assert_cmpint (lb_target_tile_get_verdict (size), ==, LB_TARGET_PASS);
}

typedef struct {
  GType      type;
  GtkWindow *found;
} FindWindow;

static gboolean
window_of_type_cond (gpointer data)
{
  FindWindow *f = data;
  GListModel *toplevels = gtk_window_get_toplevels ();  /* transfer none */

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr (GtkWindow) w = g_list_model_get_item (toplevels, i);

      if (G_TYPE_CHECK_INSTANCE_TYPE (w, f->type) && gtk_widget_get_mapped (GTK_WIDGET (w)))
        {
          f->found = w;
          return TRUE;
        }
    }
  return FALSE;
}

/* The primary menu's windows open from their actions (their .ui files
 * parse, under fatal warnings), and recent models are remembered */
static void
test_menu_windows (void)
{
  LbWindow *window = active_window ();
  GSettings *settings = lb_window_get_settings (window);
  g_auto (GStrv) recent = g_settings_get_strv (settings, "recent-files");
  GMenuModel *menu = lb_application_get_recent_menu (app);
  g_autoptr (GVariant) target = NULL;
  g_autofree char *shared = lb_test_shared_path ("models", "mini-qwen2", NULL);
  g_autofree char *folder = shared != NULL ? g_canonicalize_filename (shared, NULL) : NULL;
  struct {
    const char *action;
    gboolean    app_action;
    GType       type;
  } windows[] = {
    { "win.show-help-overlay", FALSE, GTK_TYPE_SHORTCUTS_WINDOW },
    { "preferences", TRUE, ADW_TYPE_PREFERENCES_WINDOW },
    { "about", TRUE, ADW_TYPE_ABOUT_WINDOW },
  };

  for (guint i = 0; i < G_N_ELEMENTS (windows); i++)
    {
      FindWindow f = { windows[i].type, NULL };

      if (windows[i].app_action)
        g_action_group_activate_action (G_ACTION_GROUP (app), windows[i].action, NULL);
      else
        gtk_widget_activate_action (GTK_WIDGET (window), windows[i].action, NULL);
      g_assert_true (wait_for (window_of_type_cond, &f, 5000));
      gtk_window_destroy (f.found);
    }

  /* newest first, the broken file not among them */
  g_assert_nonnull (folder);
  g_assert_nonnull (recent[0]);
  g_assert_cmpstr (recent[0], ==, folder);
  for (guint i = 0; recent[i] != NULL; i++)
    g_assert_false (g_str_has_suffix (recent[i], "broken.gguf"));
  g_assert_cmpint (g_menu_model_get_n_items (menu), ==, g_strv_length (recent));
  target = g_menu_model_get_item_attribute_value (menu, 0, G_MENU_ATTRIBUTE_TARGET,
                                                  G_VARIANT_TYPE_STRING);
  g_assert_cmpstr (g_variant_get_string (target, NULL), ==, folder);
}

/* Picks the row of an AdwComboRow (a GtkStringList) by its text */
static void
select_combo_text (AdwComboRow *row, const char *text)
{
  GListModel *model = adw_combo_row_get_model (row);

  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    if (g_str_equal (gtk_string_list_get_string (GTK_STRING_LIST (model), i), text))
      {
        adw_combo_row_set_selected (row, i);
        return;
      }
  g_error ("no \"%s\" in the combo row", text);
}

static void
test_export (void)
{
  g_autofree char *path = g_build_filename (tmpdir, "mini-qwen2-f16.gguf", NULL);
  g_autoptr (LbStallMonitor) monitor = NULL;
  g_autoptr (LbJob) job = NULL;
  g_autoptr (LbModel) exported = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) combos = g_ptr_array_new ();
  g_autofree char *data = NULL;
  g_autofree char *promised = NULL;
  LbWindow *window = active_window ();
  LbModel *model = lb_window_get_model (window);
  GtkWidget *view;
  const LbTensor *t;
  guint64 bytes = 0;
  gsize len;

  g_assert_nonnull (model);

  /* F16 in the export page's type row, as a user would pick it, without
   * the recipe, report and checks (the quantized export test has them) */
  lb_window_show_view (window, "export");
  spin (200);
  view = lb_gui_find_one (GTK_WIDGET (window), LB_TYPE_EXPORT_VIEW);
  find_widgets (view, ADW_TYPE_COMBO_ROW, combos);
  g_assert_cmpuint (combos->len, ==, 1);
  select_combo_text (g_ptr_array_index (combos, 0), "F16");
  {
    g_autoptr (GPtrArray) switches = lb_gui_find (view, GTK_TYPE_SWITCH);

    g_assert_cmpuint (switches->len, ==, 3);
    for (guint i = 0; i < switches->len; i++)
      gtk_switch_set_active (g_ptr_array_index (switches, i), FALSE);
  }

  monitor = lb_stall_monitor_new (10);
  gtk_widget_activate_action (GTK_WIDGET (window), "win.export-gguf", "s", path);
  job = last_job (window);
  g_assert_nonnull (strstr (lb_job_get_title (job), "mini-qwen2-f16.gguf"));
  wait_job (job);
  g_assert_cmpint (lb_job_get_state (job), ==, LB_JOB_SUCCEEDED);
  report_stall ("exporting mini-qwen2 as F16", job, monitor);

  /* a whole GGUF file: matrices in F16, vectors in F32, the same weights */
  g_assert_true (g_file_get_contents (path, &data, &len, NULL));
  g_assert_cmpuint (len, >, 4);
  g_assert_cmpmem (data, 4, "GGUF", 4);
  exported = lb_model_load (path, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (lb_model_get_n_params (exported), ==, lb_model_get_n_params (model));
  t = lb_model_find_tensor (exported, "blk.0.attn_q.weight");
  g_assert_nonnull (t);
  g_assert_cmpint (t->type, ==, LB_TYPE_F16);
  t = lb_model_find_tensor (exported, "blk.0.attn_norm.weight");
  g_assert_nonnull (t);
  g_assert_cmpint (t->type, ==, LB_TYPE_F32);

  /* the page promised the exact tensor bytes before writing, and names the file */
  for (guint i = 0; i < lb_model_get_n_tensors (exported); i++)
    bytes += lb_model_get_tensor (exported, i)->n_bytes;
  promised = g_format_size (bytes);
  spin (300);
  assert_shows (window, promised);
  assert_shows (window, "mini-qwen2-f16.gguf");
  lb_window_show_view (window, "overview");
  /* back to the map's own choice for the tests that follow */
  select_combo_text (g_ptr_array_index (combos, 0), g_dgettext (GETTEXT_PACKAGE, "From the Map"));
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  int status;

  /* --screenshot DIR is ours, the rest is GTest's */
  for (int i = 1; i < argc; i++)
    if (g_str_equal (argv[i], "--screenshot") && i + 1 < argc)
      {
        screenshot_dir = g_strdup (argv[i + 1]);
        for (int j = i; j + 2 <= argc; j++)
          argv[j] = argv[j + 2];
        argc -= 2;
        break;
      }

  lb_application_setup_environment ();
  g_test_init (&argc, &argv, NULL);
  tmpdir = lb_test_make_tmpdir ();

  app = lb_application_new (G_APPLICATION_NON_UNIQUE);
  g_assert_true (g_application_register (G_APPLICATION (app), NULL, &error));
  g_assert_no_error (error);
  g_application_hold (G_APPLICATION (app));
  if (screenshot_dir != NULL)
    {
      GSettings *settings = lb_application_get_settings (app);

      /* what a GNOME session would give the window: its font and a size
       * that fits the 1400×900 screen */
      g_object_set (gtk_settings_get_default (), "gtk-font-name", "Cantarell 11", NULL);
      g_settings_set_int (settings, "window-width", 1280);
      g_settings_set_int (settings, "window-height", 860);
    }

  g_test_add_func ("/lowbit/workbench/sample-model", test_sample_model);
  g_test_add_func ("/lowbit/workbench/open-hf-folder", test_open_hf_folder);
  g_test_add_func ("/lowbit/workbench/open-broken-file", test_open_broken_file);
  g_test_add_func ("/lowbit/workbench/targets", test_targets);
  g_test_add_func ("/lowbit/workbench/menu-windows", test_menu_windows);
  g_test_add_func ("/lowbit/workbench/export", test_export);
  lb_gui_add_view_tests ();
  status = g_test_run ();
  lb_gui_view_tests_cleanup ();

  /* close like a user would: windows save their state, jobs are cancelled */
  g_action_group_activate_action (G_ACTION_GROUP (app), "quit", NULL);
  g_application_release (G_APPLICATION (app));
  while (g_main_context_pending (NULL))
    g_main_context_iteration (NULL, FALSE);
  g_clear_object (&app);

  lb_test_rmtree (tmpdir);
  g_free (tmpdir);
  g_free (screenshot_dir);
  return status;
}
