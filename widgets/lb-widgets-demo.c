/* lb-widgets-demo.c: every widget with sample data in one window.
 *
 *   lb-widgets-demo [--dark] [--screenshot FILE.png]
 *
 * With --screenshot the window renders itself to FILE.png after its first
 * frames and quits (used under Xvfb for docs/screenshots). Not installed. */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <math.h>

#include "lb-widgets.h"

#define N_LAYERS 12
#define N_KINDS  7

static const char *kinds[N_KINDS] = {
  "attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down",
};

static char *screenshot_path;
static gboolean dark;
static int exit_status;

static const char css[] =
  ".demo-card { background-color: @theme_base_color; border-radius: 12px;"
  "  border: 1px solid alpha(currentColor, 0.12); padding: 10px 12px 8px 12px; }"
  ".demo-heading { font-weight: bold; }"
  ".demo-caption { opacity: 0.65; font-size: smaller; }";

static GtkWidget *
card (const char *heading,
      const char *caption,
      GtkWidget  *child)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget *title_row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);
  GtkWidget *label = gtk_label_new (heading);

  gtk_widget_add_css_class (box, "demo-card");
  gtk_widget_add_css_class (label, "demo-heading");
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_box_append (GTK_BOX (title_row), label);
  if (caption != NULL)
    {
      GtkWidget *c = gtk_label_new (caption);
      gtk_widget_add_css_class (c, "demo-caption");
      gtk_label_set_xalign (GTK_LABEL (c), 0);
      gtk_box_append (GTK_BOX (title_row), c);
    }
  gtk_box_append (GTK_BOX (box), title_row);
  gtk_widget_set_vexpand (child, TRUE);
  gtk_widget_set_hexpand (child, TRUE);
  gtk_box_append (GTK_BOX (box), child);
  return box;
}

/* Q4_K_M-like: attn_v and ffn_down raised in the first and last layers */
static const char *
sample_type (guint layer,
             guint kind)
{
  gboolean edge = layer < 2 || layer >= N_LAYERS - 2;

  if ((kind == 2 || kind == 6) && edge)
    return "Q6_K";
  if (kind == 2 || (kind == 6 && layer % 2 == 0))
    return "Q5_K";
  if (kind == 3 && layer == 7)
    return "Q8_0";
  if (kind == 4 && layer >= 10 && layer < 13)
    return "Q3_K";
  return "Q4_K";
}

static GtkWidget *
make_grid (void)
{
  const char *types[N_LAYERS * N_KINDS];
  char *rows[N_LAYERS + 1] = { NULL };
  GtkWidget *grid = lb_precision_grid_new ();

  for (guint r = 0; r < N_LAYERS; r++)
    {
      rows[r] = g_strdup_printf ("blk.%u", r);
      for (guint c = 0; c < N_KINDS; c++)
        types[r * N_KINDS + c] = sample_type (r, c);
    }
  lb_precision_grid_set_data (LB_PRECISION_GRID (grid), N_LAYERS, N_KINDS, types,
                              (const char * const *) rows, kinds);
  lb_precision_grid_select_rect (LB_PRECISION_GRID (grid), 4, 4, 6, 5, LB_GRID_SELECT_REPLACE);
  for (guint r = 0; r < N_LAYERS; r++)
    g_free (rows[r]);
  return grid;
}

static GtkWidget *
make_heatmap (void)
{
  double values[N_LAYERS * N_KINDS];
  char *rows[N_LAYERS + 1] = { NULL };
  GtkWidget *heatmap = lb_heatmap_new ();

  /* weight SNR in dB: lower for 3-bit cells, a dip in the middle layers */
  for (guint r = 0; r < N_LAYERS; r++)
    {
      rows[r] = g_strdup_printf ("blk.%u", r);
      for (guint c = 0; c < N_KINDS; c++)
        {
          const char *t = sample_type (r, c);
          double bits = lb_quant_type_bits (t);
          values[r * N_KINDS + c] = 6.02 * bits - 3.5 - 2.5 * exp (-pow ((r - 8.0) / 3.0, 2))
                                    + 0.8 * sin (r * 1.7 + c * 2.3);
        }
    }
  values[5 * N_KINDS + 1] = NAN; /* a tensor not measured yet */
  lb_heatmap_set_data (LB_HEATMAP (heatmap), N_LAYERS, N_KINDS, values,
                       (const char * const *) rows, kinds);
  lb_heatmap_set_legend_label (LB_HEATMAP (heatmap), _("SNR (dB)"));
  lb_heatmap_set_format (LB_HEATMAP (heatmap), LB_CHART_FORMAT_DECIBEL);
  lb_heatmap_set_highlight (LB_HEATMAP (heatmap), 11, 4);
  for (guint r = 0; r < N_LAYERS; r++)
    g_free (rows[r]);
  return heatmap;
}

static GtkWidget *
make_gauge (const char *title,
            double      value,
            double      target,
            gboolean    lower_is_better,
            const char *unit,
            int         digits,
            double      maximum)
{
  GtkWidget *gauge = lb_gauge_new ();

  g_object_set (gauge, "title", title, "target", target, "has-target", TRUE,
                "lower-is-better", lower_is_better, "unit", unit, "digits", digits,
                "maximum", maximum, NULL);
  /* through the setter: NaN (no data yet) is no valid GParamSpecDouble value */
  lb_gauge_set_value (LB_GAUGE (gauge), value);
  return gauge;
}

static GtkWidget *
make_size_bar (void)
{
  static const char *names[] = { "Q4_K", "Q5_K", "Q6_K", "Q3_K", "Q8_0", "F32" };
  static const double bytes[] = { 512e6, 148e6, 171e6, 41e6, 116e6, 1.6e6 };
  GtkWidget *bar = lb_size_bar_new ();

  lb_size_bar_set_segments (LB_SIZE_BAR (bar), G_N_ELEMENTS (names), names, bytes);
  lb_size_bar_set_budget (LB_SIZE_BAR (bar), 1.1e9);
  gtk_widget_set_valign (bar, GTK_ALIGN_CENTER);
  return bar;
}

static GtkWidget *
make_line_chart (void)
{
  GtkWidget *chart = lb_line_chart_new ();
  LbLineChart *lc = LB_LINE_CHART (chart);
  double t[91], anon[91], file[91];
  guint a, f;

  /* a benchmark: the model mapped in, then the KV cache growing */
  for (guint i = 0; i <= 90; i++)
    {
      t[i] = i;
      file[i] = 990e6 * (1 - exp (-(double) i / 4.0));
      anon[i] = 60e6 + (i > 10 ? 3.2e6 * (i - 10.0) + 8e6 * sin (i / 3.0) : 0);
    }
  a = lb_line_chart_add_series (lc, _("Anonymous"));
  f = lb_line_chart_add_series (lc, _("File-backed"));
  lb_line_chart_set_series_data (lc, f, 91, t, file);
  lb_line_chart_set_series_data (lc, a, 91, t, anon);
  lb_line_chart_set_series_fill (lc, a, TRUE);
  lb_line_chart_set_y_format (lc, LB_CHART_FORMAT_BYTES);
  return chart;
}

static GtkWidget *
make_scatter (void)
{
  static const char *labels[] = {
    "Q8_0", "Q6_K", "Q5_K_M", "Q4_K_M", "Q4_0", "Q3_K_M", "Q2_K", "plan 1.05 GB", "plan 0.90 GB",
  };
  static const double x[] = {
    1.65e9, 1.27e9, 1.13e9, 0.99e9, 0.94e9, 0.82e9, 0.68e9, 1.05e9, 0.9e9,
  };
  static const double y[] = { 0.0021, 0.0064, 0.012, 0.031, 0.058, 0.11, 0.42, 0.019, 0.047 };
  static const guint groups[] = { 0, 0, 0, 0, 0, 0, 0, 1, 1 };
  const char *group_names[] = { _("Presets"), _("Planned") };
  GtkWidget *chart = lb_scatter_chart_new ();
  LbScatterChart *sc = LB_SCATTER_CHART (chart);

  lb_scatter_chart_set_points (sc, G_N_ELEMENTS (x), x, y, labels, groups);
  lb_scatter_chart_set_groups (sc, 2, group_names);
  lb_scatter_chart_set_x_format (sc, LB_CHART_FORMAT_BYTES);
  lb_scatter_chart_set_x_label (sc, _("Size"));
  lb_scatter_chart_set_y_label (sc, _("Mean KLD"));
  lb_scatter_chart_set_y_log (sc, TRUE);
  lb_scatter_chart_set_highlight (sc, 7);
  return chart;
}

static GtkWidget *
make_histogram (void)
{
  GtkWidget *hist = lb_histogram_new ();
  GRand *rand = g_rand_new_with_seed (42);
  const guint n = 200000;
  float *w = g_new (float, n);
  double levels[16], absmax = 0;

  /* roughly Laplacian weights, and a 4-bit grid scaled to a block's absmax */
  for (guint i = 0; i < n; i++)
    {
      double u = g_rand_double_range (rand, -0.5, 0.5);
      w[i] = (float) (-0.012 * (u < 0 ? -1 : 1) * log (1 - 2 * fabs (u)));
      absmax = MAX (absmax, fabs (w[i]));
    }
  for (guint i = 0; i < 16; i++)
    levels[i] = (i - 8.0) * 0.07 / 8.0;
  lb_histogram_set_values (LB_HISTOGRAM (hist), w, n, 120);
  lb_histogram_set_levels (LB_HISTOGRAM (hist), 16, levels);
  lb_histogram_set_x_label (LB_HISTOGRAM (hist), _("Weight"));
  lb_histogram_set_log_scale (LB_HISTOGRAM (hist), TRUE);
  g_free (w);
  g_rand_free (rand);
  return hist;
}

static gboolean
take_screenshot (GtkWidget     *window,
                 GdkFrameClock *clock,
                 gpointer       user_data)
{
  static int frames;
  g_autoptr(GError) error = NULL;
  GdkPaintable *paintable;
  GtkSnapshot *snapshot;
  GskRenderNode *node;
  GdkTexture *texture;
  int w, h;

  /* let layout and the first frames settle */
  if (++frames < 5)
    return G_SOURCE_CONTINUE;

  w = gtk_widget_get_width (window);
  h = gtk_widget_get_height (window);
  paintable = gtk_widget_paintable_new (window);
  snapshot = gtk_snapshot_new ();
  gdk_paintable_snapshot (paintable, snapshot, w, h);
  node = gtk_snapshot_free_to_node (snapshot);
  texture = gsk_renderer_render_texture (gtk_native_get_renderer (GTK_NATIVE (window)), node,
                                         &GRAPHENE_RECT_INIT (0, 0, w, h));
  if (!gdk_texture_save_to_png (texture, screenshot_path))
    {
      g_printerr (_("Could not write the screenshot “%s”\n"), screenshot_path);
      exit_status = 1;
    }
  else
    g_print ("%s: %d × %d\n", screenshot_path, w, h);
  g_object_unref (texture);
  gsk_render_node_unref (node);
  g_object_unref (paintable);
  gtk_window_destroy (GTK_WINDOW (window));
  return G_SOURCE_REMOVE;
}

static void
activate (GtkApplication *app)
{
  GtkWidget *window, *header, *outer, *row;
  GtkCssProvider *provider;

  if (dark)
    g_object_set (gtk_settings_get_default (), "gtk-application-prefer-dark-theme", TRUE, NULL);

  provider = gtk_css_provider_new ();
  gtk_css_provider_load_from_data (provider, css, -1);
  gtk_style_context_add_provider_for_display (gdk_display_get_default (),
                                              GTK_STYLE_PROVIDER (provider),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
  g_object_unref (provider);

  window = gtk_application_window_new (app);
  gtk_window_set_title (GTK_WINDOW (window), _("Lowbit widgets"));
  gtk_window_set_default_size (GTK_WINDOW (window), 1280, 880);
  header = gtk_header_bar_new ();
  gtk_window_set_titlebar (GTK_WINDOW (window), header);

  outer = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  gtk_widget_set_margin_start (outer, 12);
  gtk_widget_set_margin_end (outer, 12);
  gtk_widget_set_margin_top (outer, 12);
  gtk_widget_set_margin_bottom (outer, 12);

  row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  {
    GtkWidget *gauges = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);

    gtk_box_set_homogeneous (GTK_BOX (gauges), TRUE);
    gtk_box_append (GTK_BOX (gauges), make_gauge (_("Latency per token"), 38.4, 50, TRUE,
                                                  _("ms"), 1, 80));
    gtk_box_append (GTK_BOX (gauges), make_gauge (_("Peak memory"), 1.31, 1.2, TRUE,
                                                  _("GB"), 2, 2));
    gtk_box_append (GTK_BOX (gauges), make_gauge (_("Same top-1"), 96.8, 95, FALSE,
                                                  "%", 1, 100));
    gtk_box_append (GTK_BOX (gauges), make_gauge (_("Mean KLD"), NAN, 0.05, TRUE,
                                                  NULL, 3, 0.1));
    gtk_box_append (GTK_BOX (row), card (_("Targets"), NULL, gauges));
    gtk_box_append (GTK_BOX (row), card (_("Model size"), _("exact bytes per type"),
                                         make_size_bar ()));
  }
  /* the grid and the heatmap get the spare height */
  gtk_widget_set_vexpand (row, FALSE);
  gtk_box_append (GTK_BOX (outer), row);

  row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  gtk_box_set_homogeneous (GTK_BOX (row), TRUE);
  gtk_box_append (GTK_BOX (row), card (_("Precision map"), _("3 × 2 cells selected"),
                                       make_grid ()));
  gtk_box_append (GTK_BOX (row), card (_("Weight SNR"), _("per tensor"), make_heatmap ()));
  gtk_widget_set_vexpand (row, TRUE);
  gtk_box_append (GTK_BOX (outer), row);

  row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  gtk_box_set_homogeneous (GTK_BOX (row), TRUE);
  gtk_box_append (GTK_BOX (row), card (_("Memory during benchmark"), NULL, make_line_chart ()));
  gtk_box_append (GTK_BOX (row), card (_("Size vs. accuracy"), NULL, make_scatter ()));
  gtk_box_append (GTK_BOX (row), card ("blk.11.ffn_gate.weight",
                                       _("against the Q4_0 grid"), make_histogram ()));
  gtk_widget_set_vexpand (row, FALSE);
  gtk_box_append (GTK_BOX (outer), row);

  gtk_window_set_child (GTK_WINDOW (window), outer);

  if (screenshot_path != NULL)
    gtk_widget_add_tick_callback (window, take_screenshot, NULL, NULL);
  gtk_window_present (GTK_WINDOW (window));
}

int
main (int   argc,
      char *argv[])
{
  const GOptionEntry entries[] = {
    { "screenshot", 0, 0, G_OPTION_ARG_FILENAME, &screenshot_path,
      "Render the window to a PNG file and quit", "FILE" },
    { "dark", 0, 0, G_OPTION_ARG_NONE, &dark, "Prefer the dark style", NULL },
    { NULL }
  };
  g_autoptr(GtkApplication) app = NULL;
  int status;

  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  app = gtk_application_new ("org.lowbit.WidgetsDemo", G_APPLICATION_NON_UNIQUE);
  g_application_add_main_option_entries (G_APPLICATION (app), entries);
  g_signal_connect (app, "activate", G_CALLBACK (activate), NULL);
  status = g_application_run (G_APPLICATION (app), argc, argv);
  g_free (screenshot_path);
  return status != 0 ? status : exit_status;
}
