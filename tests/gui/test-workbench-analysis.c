/* test-workbench-analysis.c: the error map's metrics, the comparison of
 * two maps, the importance data and the first showing of every page, on
 * mini-qwen2, driven through the workbench's widgets under Xvfb.
 *
 *   test-workbench-analysis --tap
 *   test-workbench-analysis --screenshot DIR    also saves the error map's
 *                                               modes as DIR/heatmap-*.png
 *
 * The tests run in order on one window. --only metrics (first showings,
 * the metrics) or --only importance (comparison, importance data) runs one
 * half: meson runs each as a test of its own.
 */
#include "config.h"

#include "lb-gui-test.h"
#include "lb-test-util.h"

void lb_gui_add_analysis_tests (gboolean metrics, gboolean compare);
void lb_gui_analysis_tests_cleanup (void);
void lb_gui_add_importance_tests (void);
void lb_gui_importance_tests_cleanup (void);

/* Opens mini-qwen2 as the command line does and waits for it */
static void
test_open (void)
{
  g_autofree char *folder = lb_test_shared_path ("models", "mini-qwen2", NULL);
  g_autoptr (LbJob) job = NULL;
  LbWindow *window;

  if (folder == NULL)
    return;
  window = lb_gui_window ();
  g_action_group_activate_action (G_ACTION_GROUP (lb_gui_app), "open-file",
                                  g_variant_new_string (folder));
  job = lb_gui_last_job (window);
  g_assert_true (g_str_has_suffix (lb_job_get_title (job), "mini-qwen2"));
  lb_gui_wait_job (job, 60000);
  g_assert_cmpint (lb_job_get_state (job), ==, LB_JOB_SUCCEEDED);
  g_assert_cmpstr (lb_model_get_architecture (lb_window_get_model (window)), ==, "qwen2");
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *only = NULL;
  gboolean metrics, importance;
  int status;

  /* --screenshot DIR and --only HALF are ours, the rest is GTest's */
  for (int i = 1; i < argc; i++)
    if ((g_str_equal (argv[i], "--screenshot") || g_str_equal (argv[i], "--only"))
        && i + 1 < argc)
      {
        if (g_str_equal (argv[i], "--screenshot"))
          lb_gui_screenshot_dir = g_strdup (argv[i + 1]);
        else
          only = g_strdup (argv[i + 1]);
        for (int j = i; j + 2 <= argc; j++)
          argv[j] = argv[j + 2];
        argc -= 2;
        i--;
      }
  metrics = only == NULL || g_str_equal (only, "metrics");
  importance = only == NULL || g_str_equal (only, "importance");
  if (!metrics && !importance)
    g_error ("--only %s: expected metrics or importance", only);

  lb_application_setup_environment ();
  g_test_init (&argc, &argv, NULL);
  lb_gui_tmpdir = lb_test_make_tmpdir ();
  {
    /* calibrations are saved in the user's cache folder: this test's own */
    g_autofree char *cache = g_build_filename (lb_gui_tmpdir, "cache", NULL);

    g_setenv ("XDG_CACHE_HOME", cache, TRUE);
  }

  lb_gui_app = lb_application_new (G_APPLICATION_NON_UNIQUE);
  g_assert_true (g_application_register (G_APPLICATION (lb_gui_app), NULL, &error));
  g_assert_no_error (error);
  g_application_hold (G_APPLICATION (lb_gui_app));
  if (lb_gui_screenshot_dir != NULL)
    {
      GSettings *settings = lb_application_get_settings (lb_gui_app);

      g_object_set (gtk_settings_get_default (), "gtk-font-name", "Cantarell 11", NULL);
      g_settings_set_int (settings, "window-width", 1280);
      g_settings_set_int (settings, "window-height", 860);
    }

  g_test_add_func ("/lowbit/workbench-analysis/open", test_open);
  lb_gui_add_analysis_tests (metrics, importance);
  if (importance)
    lb_gui_add_importance_tests ();
  status = g_test_run ();
  lb_gui_analysis_tests_cleanup ();
  lb_gui_importance_tests_cleanup ();

  g_action_group_activate_action (G_ACTION_GROUP (lb_gui_app), "quit", NULL);
  g_application_release (G_APPLICATION (lb_gui_app));
  while (g_main_context_pending (NULL))
    g_main_context_iteration (NULL, FALSE);
  g_clear_object (&lb_gui_app);

  lb_test_rmtree (lb_gui_tmpdir);
  g_free (lb_gui_tmpdir);
  g_free (lb_gui_screenshot_dir);
  return status;
}
