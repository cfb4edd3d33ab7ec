/* test-widgets.c: the GTK widgets: properties and notifications, data
 * round trips, the precision grid's selection driven through its real
 * event controllers, rendering through the widget snapshot, measuring and
 * finalization. Needs a display (the meson test runs it under Xvfb). */
#include "config.h"

#include <math.h>
#include <string.h>

#include "lb-widgets.h"

/* --- helpers ------------------------------------------------------------ */

typedef struct {
  guint count;
} Counter;

static void
count_cb (GObject    *object,
          GParamSpec *pspec,
          Counter    *counter)
{
  counter->count++;
}

static void
count_signal_cb (gpointer  instance,
                 Counter  *counter)
{
  counter->count++;
}

static void
count_cell_cb (gpointer  instance,
               guint     row,
               guint     col,
               Counter  *counter)
{
  counter->count++;
}

static void
free_counter (gpointer  data,
              GClosure *closure)
{
  g_free (data);
}

/* Counts notify::property; freed with the object */
static Counter *
watch (gpointer    object,
       const char *property)
{
  Counter *c = g_new0 (Counter, 1);
  char *signal = g_strconcat ("notify::", property, NULL);

  g_signal_connect_data (object, signal, G_CALLBACK (count_cb), c, free_counter, 0);
  g_free (signal);
  return c;
}

/* A window of a fixed size holding widget, shown and drawn once */
static GtkWidget *
show_in_window (GtkWidget *widget,
                int        width,
                int        height)
{
  GtkWidget *window = gtk_window_new ();

  gtk_window_set_default_size (GTK_WINDOW (window), width, height);
  gtk_window_set_child (GTK_WINDOW (window), widget);
  gtk_window_present (GTK_WINDOW (window));
  gtk_test_widget_wait_for_draw (widget);
  while (gtk_widget_get_width (widget) <= 0)
    g_main_context_iteration (NULL, TRUE);
  return window;
}

static void
destroy_window (GtkWidget *window)
{
  gtk_window_destroy (GTK_WINDOW (window));
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

/* The widget's own snapshot, as a render node */
static GskRenderNode *
snapshot_widget (GtkWidget *widget)
{
  GtkSnapshot *snapshot = gtk_snapshot_new ();

  GTK_WIDGET_GET_CLASS (widget)->snapshot (widget, snapshot);
  return gtk_snapshot_free_to_node (snapshot);
}

/* The node drawn into an image of the widget's size (transparent background) */
static cairo_surface_t *
render_node (GskRenderNode *node,
             int            width,
             int            height)
{
  cairo_surface_t *s = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, width, height);
  cairo_t *cr = cairo_create (s);

  gsk_render_node_draw (node, cr);
  cairo_destroy (cr);
  cairo_surface_flush (s);
  return s;
}

static guint32
pixel (cairo_surface_t *s,
       int              x,
       int              y)
{
  const guint8 *data = cairo_image_surface_get_data (s);

  return *(const guint32 *) (data + y * cairo_image_surface_get_stride (s) + x * 4);
}

/* The middle of the area where get_cell_at answers (row, col) */
static gboolean
find_cell_centre (LbHeatmap *heatmap,
                  guint      row,
                  guint      col,
                  int       *cx,
                  int       *cy)
{
  int w = gtk_widget_get_width (GTK_WIDGET (heatmap));
  int h = gtk_widget_get_height (GTK_WIDGET (heatmap));
  int x0 = w, y0 = h, x1 = -1, y1 = -1;

  for (int y = 0; y < h; y += 2)
    for (int x = 0; x < w; x += 2)
      {
        guint r, c;

        if (lb_heatmap_get_cell_at (heatmap, x, y, &r, &c) && r == row && c == col)
          {
            x0 = MIN (x0, x);
            y0 = MIN (y0, y);
            x1 = MAX (x1, x);
            y1 = MAX (y1, y);
          }
      }
  if (x1 < 0)
    return FALSE;
  *cx = (x0 + x1) / 2;
  *cy = (y0 + y1) / 2;
  return TRUE;
}

static GtkEventController *
find_controller (GtkWidget *widget,
                 GType      type)
{
  GListModel *controllers = gtk_widget_observe_controllers (widget);
  GtkEventController *found = NULL;

  for (guint i = 0; found == NULL && i < g_list_model_get_n_items (controllers); i++)
    {
      GtkEventController *c = g_list_model_get_item (controllers, i);

      if (G_TYPE_CHECK_INSTANCE_TYPE (c, type))
        found = c;
      g_object_unref (c);
    }
  g_object_unref (controllers);
  g_assert_nonnull (found);
  return found;
}

static gboolean
press_key (GtkWidget       *widget,
           guint            keyval,
           GdkModifierType  state)
{
  GtkEventController *key = find_controller (widget, GTK_TYPE_EVENT_CONTROLLER_KEY);
  gboolean handled = FALSE;

  g_signal_emit_by_name (key, "key-pressed", keyval, 0, state, &handled);
  return handled;
}

/* --- heatmap ------------------------------------------------------------ */

static void
test_heatmap_properties (void)
{
  static const double values[] = { 1, 2, NAN, 4, 5, 6 };
  static const char *rows[] = { "blk.0", "blk.1" };
  static const char *cols[] = { "attn_q", NULL, "ffn_down" };
  GtkWidget *w = g_object_ref_sink (lb_heatmap_new ());
  LbHeatmap *hm = LB_HEATMAP (w);
  Counter *title = watch (w, "title");
  Counter *n_rows = watch (w, "n-rows");
  Counter *colormap = watch (w, "colormap");
  LbColormap map;
  char *text = NULL;
  double min, max;

  g_assert_cmpstr (gtk_widget_get_css_name (w), ==, "lb-heatmap");
  g_assert_cmpint (gtk_accessible_get_accessible_role (GTK_ACCESSIBLE (w)), ==,
                   GTK_ACCESSIBLE_ROLE_IMG);
  g_assert_false (lb_heatmap_get_range (hm, &min, &max));

  lb_heatmap_set_title (hm, "SNR");
  lb_heatmap_set_title (hm, "SNR");
  g_assert_cmpuint (title->count, ==, 1);
  g_object_set (w, "title", "Error", NULL);
  g_object_get (w, "title", &text, NULL);
  g_assert_cmpstr (text, ==, "Error");
  g_free (text);
  g_assert_cmpuint (title->count, ==, 2);
  lb_heatmap_set_title (hm, NULL);
  g_assert_null (lb_heatmap_get_title (hm));
  g_assert_cmpuint (title->count, ==, 3);

  g_object_set (w, "colormap", LB_COLORMAP_COOL_WARM, NULL);
  g_object_set (w, "colormap", LB_COLORMAP_COOL_WARM, NULL);
  g_object_get (w, "colormap", &map, NULL);
  g_assert_cmpint (map, ==, LB_COLORMAP_COOL_WARM);
  g_assert_cmpuint (colormap->count, ==, 1);

  lb_heatmap_set_data (hm, 2, 3, values, rows, cols);
  g_assert_cmpuint (n_rows->count, ==, 1);
  lb_heatmap_set_data (hm, 2, 3, values, NULL, NULL);
  g_assert_cmpuint (n_rows->count, ==, 1);
  g_assert_cmpuint (lb_heatmap_get_n_cols (hm), ==, 3);
  g_assert_cmpfloat (lb_heatmap_get_value (hm, 1, 2), ==, 6);
  g_assert_true (isnan (lb_heatmap_get_value (hm, 0, 2)));
  g_assert_true (isnan (lb_heatmap_get_value (hm, 2, 0)));

  /* the range skips NaN; a fixed range wins until unset */
  g_assert_true (lb_heatmap_get_range (hm, &min, &max));
  g_assert_cmpfloat (min, ==, 1);
  g_assert_cmpfloat (max, ==, 6);
  lb_heatmap_set_range (hm, -10, 10);
  g_assert_true (lb_heatmap_get_range (hm, &min, &max));
  g_assert_cmpfloat (max, ==, 10);
  lb_heatmap_unset_range (hm);
  g_assert_true (lb_heatmap_get_range (hm, &min, &max));
  g_assert_cmpfloat (max, ==, 6);

  /* the data was copied: labels survive the caller's arrays */
  lb_heatmap_set_data (hm, 2, 3, values, rows, cols);
  lb_heatmap_set_legend_label (hm, "SNR (dB)");
  text = lb_heatmap_describe_cell (hm, 1, 0);
  g_assert_cmpstr (text, ==, "blk.1 · attn_q\nSNR (dB): 4");
  g_free (text);
  text = lb_heatmap_describe_cell (hm, 0, 1);
  g_assert_nonnull (strstr (text, "Column 1"));
  g_assert_nonnull (strstr (text, "SNR (dB): 2"));
  g_free (text);
  text = lb_heatmap_describe_cell (hm, 0, 2);
  g_assert_nonnull (strstr (text, "no data"));
  g_free (text);
  g_assert_null (lb_heatmap_describe_cell (hm, 5, 0));

  /* no window: no size, no cells under the pointer */
  g_assert_false (lb_heatmap_get_cell_at (hm, 10, 10, NULL, NULL));

  lb_heatmap_set_data (hm, 0, 0, NULL, NULL, NULL);
  g_assert_cmpuint (n_rows->count, ==, 2);
  g_assert_false (lb_heatmap_get_range (hm, &min, &max));

  g_assert_finalize_object (w);
}

static void
test_heatmap_render (void)
{
  static const double values[] = { 0, 1, 2, 3 };
  static const char *rows[] = { "blk.0", "blk.1" };
  GtkWidget *w = lb_heatmap_new ();
  GtkWidget *window;
  GskRenderNode *a, *b, *c;
  cairo_surface_t *s;
  int cx, cy;
  Counter activated = { 0 };

  lb_heatmap_set_data (LB_HEATMAP (w), 2, 2, values, rows, NULL);
  g_object_ref (w);
  window = show_in_window (w, 320, 240);

  /* one cairo node, cached until something changes */
  a = snapshot_widget (w);
  b = snapshot_widget (w);
  g_assert_nonnull (a);
  g_assert_cmpint (gsk_render_node_get_node_type (a), ==, GSK_CAIRO_NODE);
  g_assert_true (a == b);
  lb_heatmap_set_reverse (LB_HEATMAP (w), TRUE);
  c = snapshot_widget (w);
  g_assert_true (c != a);
  gsk_render_node_unref (c);
  lb_heatmap_set_reverse (LB_HEATMAP (w), FALSE);
  gsk_render_node_unref (b);
  gsk_render_node_unref (a);

  /* what the widget draws: viridis' ends at the minimum and maximum cells */
  a = snapshot_widget (w);
  s = render_node (a, gtk_widget_get_width (w), gtk_widget_get_height (w));
  g_assert_true (find_cell_centre (LB_HEATMAP (w), 0, 0, &cx, &cy));
  g_assert_cmphex (pixel (s, cx, cy), ==, 0xff440154);
  g_assert_true (find_cell_centre (LB_HEATMAP (w), 1, 1, &cx, &cy));
  g_assert_cmphex (pixel (s, cx, cy), ==, 0xfffde725);
  cairo_surface_destroy (s);
  gsk_render_node_unref (a);

  /* a click on a cell activates it */
  g_signal_connect (w, "cell-activated", G_CALLBACK (count_cell_cb), &activated);
  g_signal_emit_by_name (find_controller (w, GTK_TYPE_GESTURE_CLICK), "released", 1,
                         (double) cx, (double) cy);
  g_assert_cmpuint (activated.count, ==, 1);
  g_signal_emit_by_name (find_controller (w, GTK_TYPE_GESTURE_CLICK), "released", 1,
                         1.0, 1.0);
  g_assert_cmpuint (activated.count, ==, 1);

  destroy_window (window);
  g_assert_finalize_object (w);
}


/* A log scale: the geometric middle of the range takes the middle colour,
 * values at or below 0 the low end; the range ignores them */
static void
test_heatmap_log_scale (void)
{
  static const double values[] = { 1e-4, 1e-3, 1e-2, -1, NAN, 0 };
  GtkWidget *w = lb_heatmap_new ();
  Counter *log_scale = watch (w, "log-scale");
  GtkWidget *window;
  GskRenderNode *node;
  cairo_surface_t *s;
  LbChartColor mid, low;
  double min, max;
  gboolean on;
  int cx, cy;

  lb_heatmap_set_data (LB_HEATMAP (w), 2, 3, values, NULL, NULL);
  g_assert_true (lb_heatmap_get_range (LB_HEATMAP (w), &min, &max));
  g_assert_cmpfloat (min, ==, -1);
  lb_heatmap_set_log_scale (LB_HEATMAP (w), TRUE);
  g_object_set (w, "log-scale", TRUE, NULL);
  g_object_get (w, "log-scale", &on, NULL);
  g_assert_true (on);
  g_assert_cmpuint (log_scale->count, ==, 1);
  g_assert_true (lb_heatmap_get_range (LB_HEATMAP (w), &min, &max));
  g_assert_cmpfloat (min, ==, 1e-4);
  g_assert_cmpfloat (max, ==, 1e-2);

  g_object_ref (w);
  window = show_in_window (w, 360, 240);
  node = snapshot_widget (w);
  s = render_node (node, gtk_widget_get_width (w), gtk_widget_get_height (w));
  lb_colormap_eval (LB_COLORMAP_VIRIDIS, 0.5, &mid);
  lb_colormap_eval (LB_COLORMAP_VIRIDIS, 0.0, &low);
  g_assert_true (find_cell_centre (LB_HEATMAP (w), 0, 1, &cx, &cy));
  g_assert_cmphex (pixel (s, cx, cy), ==, 0xff000000u | (guint32) lround (mid.red * 255) << 16
                                          | (guint32) lround (mid.green * 255) << 8
                                          | (guint32) lround (mid.blue * 255));
  g_assert_true (find_cell_centre (LB_HEATMAP (w), 1, 0, &cx, &cy));
  g_assert_cmphex (pixel (s, cx, cy), ==, 0xff000000u | (guint32) lround (low.red * 255) << 16
                                          | (guint32) lround (low.green * 255) << 8
                                          | (guint32) lround (low.blue * 255));
  cairo_surface_destroy (s);
  gsk_render_node_unref (node);

  /* back to linear: the range includes the negative value again */
  lb_heatmap_set_log_scale (LB_HEATMAP (w), FALSE);
  g_assert_true (lb_heatmap_get_range (LB_HEATMAP (w), &min, &max));
  g_assert_cmpfloat (min, ==, -1);
  destroy_window (window);
  g_assert_finalize_object (w);
}

/* Notes add lines to the cells' tooltips until the data changes */
static void
test_heatmap_notes (void)
{
  static const double values[] = { 1, 2, 3, 4 };
  static const char *notes[] = { "attention adds 60%", NULL, "", "MLP adds 40%" };
  GtkWidget *w = g_object_ref_sink (lb_heatmap_new ());
  LbHeatmap *hm = LB_HEATMAP (w);
  char *text;

  lb_heatmap_set_data (hm, 2, 2, values, NULL, NULL);
  lb_heatmap_set_cell_notes (hm, notes);
  g_assert_cmpstr (lb_heatmap_get_cell_note (hm, 1, 1), ==, "MLP adds 40%");
  g_assert_null (lb_heatmap_get_cell_note (hm, 0, 1));
  g_assert_null (lb_heatmap_get_cell_note (hm, 2, 0));
  text = lb_heatmap_describe_cell (hm, 0, 0);
  g_assert_cmpstr (text, ==, "Row 0 · Column 0\n1\nattention adds 60%");
  g_free (text);
  text = lb_heatmap_describe_cell (hm, 1, 0);
  g_assert_cmpstr (text, ==, "Row 1 · Column 0\n3");
  g_free (text);
  lb_heatmap_set_data (hm, 2, 2, values, NULL, NULL);
  g_assert_null (lb_heatmap_get_cell_note (hm, 1, 1));
  lb_heatmap_set_cell_notes (hm, NULL);
  g_assert_finalize_object (w);
}

/* --- page box ------------------------------------------------------------ */

static void
test_page_box (void)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *label = gtk_label_new ("A long text that wraps over several lines when the page is "
                                    "narrow, as a group's description does.");
  GtkWidget *page = g_object_ref_sink (lb_page_box_new (box));
  Counter *child = watch (page, "child");
  GtkWidget *window;
  GtkWidget *other;
  int min, nat, min_any, nat_any, h_min, h_nat, ch_min, ch_nat;

  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_box_append (GTK_BOX (box), label);
  g_assert_true (lb_page_box_get_child (LB_PAGE_BOX (page)) == box);
  g_assert_true (gtk_widget_get_parent (box) == page);
  g_assert_cmpstr (gtk_widget_get_css_name (page), ==, "lb-page-box");
  g_assert_cmpint (gtk_widget_get_request_mode (page), ==, GTK_SIZE_REQUEST_HEIGHT_FOR_WIDTH);

  /* its width for any height is its width for none, the child's own */
  gtk_widget_measure (page, GTK_ORIENTATION_HORIZONTAL, -1, &min_any, &nat_any, NULL, NULL);
  gtk_widget_measure (page, GTK_ORIENTATION_HORIZONTAL, 20, &min, &nat, NULL, NULL);
  g_assert_cmpint (min, ==, min_any);
  g_assert_cmpint (nat, ==, nat_any);
  gtk_widget_measure (box, GTK_ORIENTATION_HORIZONTAL, -1, &ch_min, &ch_nat, NULL, NULL);
  g_assert_cmpint (min, ==, ch_min);
  /* its height for a width is the child's */
  gtk_widget_measure (page, GTK_ORIENTATION_VERTICAL, 120, &h_min, &h_nat, NULL, NULL);
  gtk_widget_measure (box, GTK_ORIENTATION_VERTICAL, 120, &ch_min, &ch_nat, NULL, NULL);
  g_assert_cmpint (h_min, ==, ch_min);
  g_assert_cmpint (h_nat, ==, ch_nat);
  g_assert_cmpint (h_min, >, 0);

  /* the child gets the whole allocation */
  window = show_in_window (page, 300, 200);
  g_assert_cmpint (gtk_widget_get_width (box), ==, gtk_widget_get_width (page));
  g_assert_cmpint (gtk_widget_get_height (box), ==, gtk_widget_get_height (page));
  gtk_window_set_child (GTK_WINDOW (window), NULL);
  destroy_window (window);

  /* replaced and cleared through the property */
  other = gtk_label_new ("other");
  g_object_ref (box);
  g_object_set (page, "child", other, NULL);
  g_assert_cmpuint (child->count, ==, 1);
  g_assert_null (gtk_widget_get_parent (box));
  g_object_unref (box);
  lb_page_box_set_child (LB_PAGE_BOX (page), NULL);
  g_assert_cmpuint (child->count, ==, 2);
  gtk_widget_measure (page, GTK_ORIENTATION_VERTICAL, -1, &min, &nat, NULL, NULL);
  g_assert_cmpint (nat, ==, 0);
  g_assert_finalize_object (page);
}

/* --- gauge -------------------------------------------------------------- */

static void
test_gauge (void)
{
  GtkWidget *w = g_object_ref_sink (lb_gauge_new ());
  LbGauge *g = LB_GAUGE (w);
  Counter *value = watch (w, "value");
  Counter *verdict = watch (w, "verdict");
  LbGaugeVerdict v;
  double d;
  int min, nat;

  g_assert_cmpstr (gtk_widget_get_css_name (w), ==, "lb-gauge");
  g_assert_cmpint (gtk_accessible_get_accessible_role (GTK_ACCESSIBLE (w)), ==,
                   GTK_ACCESSIBLE_ROLE_METER);
  g_assert_cmpint (lb_gauge_get_verdict (g), ==, LB_GAUGE_NEUTRAL);

  /* latency: 42 ms against at most 50 passes, 60 fails */
  g_object_set (w, "target", 50.0, "has-target", TRUE, "lower-is-better", TRUE, NULL);
  lb_gauge_set_value (g, 42);
  lb_gauge_set_value (g, 42);
  g_assert_cmpuint (value->count, ==, 1);
  g_assert_cmpint (lb_gauge_get_verdict (g), ==, LB_GAUGE_PASS);
  g_assert_cmpuint (verdict->count, ==, 1);
  g_object_set (w, "value", 60.0, "unit", "ms", "digits", 0, NULL);
  g_object_get (w, "verdict", &v, "value", &d, NULL);
  g_assert_cmpint (v, ==, LB_GAUGE_FAIL);
  g_assert_cmpstr (gtk_widget_get_tooltip_text (w), ==, "60 ms, target 50 ms: missed");
  g_assert_cmpfloat (d, ==, 60);
  g_assert_cmpuint (verdict->count, ==, 2);
  lb_gauge_set_lower_is_better (g, FALSE);
  g_assert_cmpint (lb_gauge_get_verdict (g), ==, LB_GAUGE_PASS);

  /* no data: NaN through the setter; NaN again is no change */
  lb_gauge_set_value (g, NAN);
  g_assert_cmpint (lb_gauge_get_verdict (g), ==, LB_GAUGE_NO_DATA);
  g_assert_cmpuint (value->count, ==, 3);
  lb_gauge_set_value (g, NAN);
  g_assert_cmpuint (value->count, ==, 3);
  g_assert_true (isnan (lb_gauge_get_value (g)));

  lb_gauge_set_has_target (g, FALSE);
  lb_gauge_set_value (g, 1);
  g_assert_cmpint (lb_gauge_get_verdict (g), ==, LB_GAUGE_NEUTRAL);

  lb_gauge_set_digits (g, 42);
  g_assert_cmpint (lb_gauge_get_digits (g), ==, 9);
  lb_gauge_set_unit (g, NULL);
  g_assert_null (lb_gauge_get_unit (g));

  gtk_widget_measure (w, GTK_ORIENTATION_HORIZONTAL, -1, &min, &nat, NULL, NULL);
  g_assert_cmpint (min, >, 0);
  g_assert_cmpint (nat, >=, min);

  g_assert_finalize_object (w);
}

/* --- line chart --------------------------------------------------------- */

static void
test_line_chart (void)
{
  static const double x[] = { 0, 1, 2 };
  static const double y[] = { 10, NAN, 30 };
  GtkWidget *w = g_object_ref_sink (lb_line_chart_new ());
  LbLineChart *lc = LB_LINE_CHART (w);
  Counter *n_series = watch (w, "n-series");
  Counter *window_notify = watch (w, "time-window");
  GtkWidget *window;
  GskRenderNode *node;
  guint a, b, si, pi;
  double px, py;

  g_assert_cmpstr (gtk_widget_get_css_name (w), ==, "lb-line-chart");
  a = lb_line_chart_add_series (lc, "Anonymous");
  b = lb_line_chart_add_series (lc, "File-backed");
  g_assert_cmpuint (a, ==, 0);
  g_assert_cmpuint (b, ==, 1);
  g_assert_cmpuint (n_series->count, ==, 2);
  g_assert_cmpstr (lb_line_chart_get_series_name (lc, b), ==, "File-backed");

  lb_line_chart_set_series_data (lc, a, 3, x, y);
  lb_line_chart_set_series_data (lc, b, 3, NULL, y);
  g_assert_cmpuint (lb_line_chart_get_n_points (lc, a), ==, 3);
  g_assert_true (lb_line_chart_get_point (lc, b, 2, &px, &py));
  g_assert_cmpfloat (px, ==, 2);
  g_assert_cmpfloat (py, ==, 30);
  g_assert_false (lb_line_chart_get_point (lc, b, 3, &px, &py));

  /* live: a 10 s window keeps the last 20 s of points */
  lb_line_chart_set_time_window (lc, 10);
  lb_line_chart_set_time_window (lc, 10);
  g_assert_cmpuint (window_notify->count, ==, 1);
  for (int t = 3; t <= 40; t++)
    lb_line_chart_append_point (lc, a, t, t * 1e6);
  g_assert_true (lb_line_chart_get_point (lc, a, 0, &px, NULL));
  g_assert_cmpfloat (px, ==, 20);
  g_assert_cmpuint (lb_line_chart_get_n_points (lc, a), ==, 21);
  lb_line_chart_set_time_window (lc, -5);
  g_assert_cmpfloat (lb_line_chart_get_time_window (lc), ==, 0);

  g_object_set (w, "y-format", LB_CHART_FORMAT_BYTES, "y-label", "Memory", NULL);
  g_assert_cmpint (lb_line_chart_get_y_format (lc), ==, LB_CHART_FORMAT_BYTES);

  /* the point at t = 40 is under its own pixel */
  window = show_in_window (w, 480, 260);
  node = snapshot_widget (w);
  g_assert_nonnull (node);
  gsk_render_node_unref (node);
  g_assert_false (lb_line_chart_get_point_at (lc, -50, -50, &si, &pi));
  {
    gboolean found = FALSE;
    int wd = gtk_widget_get_width (w), ht = gtk_widget_get_height (w);

    for (int yy = 0; yy < ht && !found; yy += 2)
      for (int xx = wd - 1; xx > wd / 2 && !found; xx -= 2)
        found = lb_line_chart_get_point_at (lc, xx, yy, &si, &pi) && si == a
                && pi == lb_line_chart_get_n_points (lc, a) - 1;
    g_assert_true (found);
  }

  lb_line_chart_clear (lc);
  g_assert_cmpuint (lb_line_chart_get_n_series (lc), ==, 0);
  g_assert_cmpuint (n_series->count, ==, 3);
  node = snapshot_widget (w);
  g_assert_nonnull (node);
  gsk_render_node_unref (node);

  gtk_window_set_child (GTK_WINDOW (window), NULL);
  destroy_window (window);
  g_assert_finalize_object (w);
}

/* --- scatter ------------------------------------------------------------ */

static void
test_scatter_chart (void)
{
  static const double x[] = { 1e9, 2e9, 3e9 };
  static const double y[] = { 0.3, 0.1, 0.05 };
  static const char *labels[] = { "Q3_K_M", "Q4_K_M", NULL };
  static const guint groups[] = { 0, 0, 1 };
  static const char *names[] = { "Presets", "Planned" };
  GtkWidget *w = g_object_ref_sink (lb_scatter_chart_new ());
  LbScatterChart *sc = LB_SCATTER_CHART (w);
  Counter *highlight = watch (w, "highlight");
  Counter *n_points = watch (w, "n-points");
  const char *label;
  double px;
  int h;

  g_assert_cmpstr (gtk_widget_get_css_name (w), ==, "lb-scatter-chart");
  lb_scatter_chart_set_points (sc, 3, x, y, labels, groups);
  lb_scatter_chart_set_groups (sc, 2, names);
  g_assert_cmpuint (n_points->count, ==, 1);
  g_assert_true (lb_scatter_chart_get_point (sc, 1, &px, NULL, &label));
  g_assert_cmpfloat (px, ==, 2e9);
  g_assert_cmpstr (label, ==, "Q4_K_M");
  g_assert_false (lb_scatter_chart_get_point (sc, 3, NULL, NULL, NULL));

  lb_scatter_chart_set_highlight (sc, 2);
  g_assert_cmpuint (highlight->count, ==, 1);
  /* out of range: none */
  lb_scatter_chart_set_highlight (sc, 7);
  g_object_get (w, "highlight", &h, NULL);
  g_assert_cmpint (h, ==, -1);
  g_assert_cmpuint (highlight->count, ==, 2);
  lb_scatter_chart_set_highlight (sc, 2);

  /* fewer points drop a highlight that no longer exists */
  lb_scatter_chart_set_points (sc, 1, x, y, NULL, NULL);
  g_assert_cmpint (lb_scatter_chart_get_highlight (sc), ==, -1);
  g_assert_cmpuint (n_points->count, ==, 2);

  g_object_set (w, "y-log", TRUE, "show-front", FALSE, NULL);
  g_assert_true (lb_scatter_chart_get_y_log (sc));
  g_assert_false (lb_scatter_chart_get_show_front (sc));

  g_assert_finalize_object (w);
}

/* --- size bar ----------------------------------------------------------- */

static void
test_size_bar (void)
{
  static const char *names[] = { "Q4_K", "Q6_K", "Q8_0", "F32", "Q5_K", "Q3_K" };
  static const double bytes[] = { 600e6, 200e6, 100e6, 1e6, 50e6, NAN };
  GtkWidget *w = g_object_ref_sink (lb_size_bar_new ());
  LbSizeBar *sb = LB_SIZE_BAR (w);
  Counter *over = watch (w, "over-budget");
  Counter *total = watch (w, "total");
  int min, nat_wide, nat_narrow;
  const char *name;

  g_assert_cmpstr (gtk_widget_get_css_name (w), ==, "lb-size-bar");
  lb_size_bar_set_segments (sb, G_N_ELEMENTS (names), names, bytes);
  g_assert_cmpfloat (lb_size_bar_get_total (sb), ==, 951e6);
  g_assert_cmpuint (total->count, ==, 1);
  g_assert_true (lb_size_bar_get_segment (sb, 2, &name, NULL));
  g_assert_cmpstr (name, ==, "Q8_0");

  lb_size_bar_set_budget (sb, 1e9);
  g_assert_false (lb_size_bar_get_over_budget (sb));
  lb_size_bar_set_budget (sb, 0.9e9);
  g_assert_true (lb_size_bar_get_over_budget (sb));
  g_assert_cmpuint (over->count, ==, 1);
  g_object_set (w, "budget", 2e9, NULL);
  g_assert_false (lb_size_bar_get_over_budget (sb));
  g_assert_cmpuint (over->count, ==, 2);
  lb_size_bar_set_budget (sb, -1);
  g_assert_cmpfloat (lb_size_bar_get_budget (sb), ==, 0);

  /* the legend wraps: narrower is taller */
  g_assert_cmpint (gtk_widget_get_request_mode (w), ==, GTK_SIZE_REQUEST_HEIGHT_FOR_WIDTH);
  gtk_widget_measure (w, GTK_ORIENTATION_VERTICAL, 900, &min, &nat_wide, NULL, NULL);
  gtk_widget_measure (w, GTK_ORIENTATION_VERTICAL, 160, &min, &nat_narrow, NULL, NULL);
  g_assert_cmpint (nat_narrow, >, nat_wide);
  g_assert_cmpint (nat_wide, >, 30);

  g_assert_finalize_object (w);
}

/* --- histogram ---------------------------------------------------------- */

static void
test_histogram (void)
{
  static const float values[] = { -1, -0.5f, 0, 0.5f, 1, NAN };
  static const double levels[] = { -0.75, 0.75 };
  GtkWidget *w = g_object_ref_sink (lb_histogram_new ());
  LbHistogram *hg = LB_HISTOGRAM (w);
  Counter *n_bins = watch (w, "n-bins");
  double count, lo, hi;
  gboolean log_scale;

  g_assert_cmpstr (gtk_widget_get_css_name (w), ==, "lb-histogram");
  lb_histogram_set_values (hg, values, G_N_ELEMENTS (values), 4);
  g_assert_cmpuint (lb_histogram_get_n_bins (hg), ==, 4);
  g_assert_cmpuint (n_bins->count, ==, 1);
  g_assert_true (lb_histogram_get_bin (hg, 3, &count, &lo, &hi));
  g_assert_cmpfloat (count, ==, 2);
  g_assert_cmpfloat (lo, ==, 0.5);
  g_assert_cmpfloat (hi, ==, 1);
  g_assert_false (lb_histogram_get_bin (hg, 4, &count, &lo, &hi));

  lb_histogram_set_levels (hg, 2, levels);
  g_assert_cmpuint (lb_histogram_get_n_levels (hg), ==, 2);
  g_object_set (w, "log-scale", TRUE, NULL);
  g_object_get (w, "log-scale", &log_scale, NULL);
  g_assert_true (log_scale);

  lb_histogram_set_bins (hg, 0, NULL, 0, 0);
  g_assert_cmpuint (n_bins->count, ==, 2);
  g_assert_finalize_object (w);
}

/* --- precision grid ----------------------------------------------------- */

static const char *grid_types[] = {
  "Q4_K", "Q4_K", "Q6_K",
  "Q4_K", NULL,   "Q6_K",
  "Q8_0", "Q4_K", "Q5_K",
  "Q4_K", "Q4_K", "Q4_K",
};
static const char *grid_rows[] = { "blk.0", "blk.1", "blk.2", "blk.3" };
static const char *grid_cols[] = { "attn_q", "attn_k", "ffn_down" };

static void
assert_selected (LbPrecisionGrid *grid,
                 const char      *expected)
{
  GString *s = g_string_new (NULL);

  for (guint r = 0; r < lb_precision_grid_get_n_rows (grid); r++)
    {
      if (r > 0)
        g_string_append_c (s, '/');
      for (guint c = 0; c < lb_precision_grid_get_n_cols (grid); c++)
        g_string_append_c (s, lb_precision_grid_is_selected (grid, r, c) ? 'x' : '.');
    }
  g_assert_cmpstr (s->str, ==, expected);
  g_string_free (s, TRUE);
}

static void
test_grid_selection_calls (void)
{
  GtkWidget *w = g_object_ref_sink (lb_precision_grid_new ());
  LbPrecisionGrid *g = LB_PRECISION_GRID (w);
  Counter changed = { 0 };
  Counter *n_selected = watch (w, "n-selected");
  LbGridCell *cells;
  guint n;

  g_assert_cmpstr (gtk_widget_get_css_name (w), ==, "lb-precision-grid");
  g_assert_cmpint (gtk_accessible_get_accessible_role (GTK_ACCESSIBLE (w)), ==,
                   GTK_ACCESSIBLE_ROLE_GRID);
  g_assert_true (gtk_widget_get_focusable (w));
  g_signal_connect (w, "selection-changed", G_CALLBACK (count_signal_cb), &changed);

  /* nothing to select yet: no signal */
  lb_precision_grid_unselect_all (g);
  lb_precision_grid_select_all (g);
  g_assert_cmpuint (changed.count, ==, 0);
  g_assert_false (lb_precision_grid_get_cursor (g, NULL, NULL));

  lb_precision_grid_set_data (g, 4, 3, grid_types, grid_rows, grid_cols);
  g_assert_cmpstr (lb_precision_grid_get_cell_type (g, 2, 0), ==, "Q8_0");
  g_assert_null (lb_precision_grid_get_cell_type (g, 1, 1));
  g_assert_null (lb_precision_grid_get_cell_type (g, 9, 9));

  lb_precision_grid_select_cell (g, 0, 0, LB_GRID_SELECT_REPLACE);
  assert_selected (g, "x../.../.../...");
  g_assert_cmpuint (changed.count, ==, 1);
  /* the same again: no change, no signal */
  lb_precision_grid_select_cell (g, 0, 0, LB_GRID_SELECT_REPLACE);
  g_assert_cmpuint (changed.count, ==, 1);

  lb_precision_grid_select_cell (g, 2, 2, LB_GRID_SELECT_ADD);
  assert_selected (g, "x../.../..x/...");
  lb_precision_grid_select_cell (g, 0, 0, LB_GRID_SELECT_TOGGLE);
  assert_selected (g, ".../.../..x/...");
  g_assert_cmpuint (changed.count, ==, 3);

  /* rectangles in any corner order; the absent tensor stays out */
  lb_precision_grid_select_rect (g, 2, 1, 0, 0, LB_GRID_SELECT_REPLACE);
  assert_selected (g, "xx./x../xx./...");
  g_assert_cmpuint (lb_precision_grid_get_n_selected (g), ==, 5);
  cells = lb_precision_grid_get_selected_cells (g, &n);
  g_assert_cmpuint (n, ==, 5);
  g_assert_cmpuint (cells[2].row, ==, 1);
  g_assert_cmpuint (cells[2].col, ==, 0);
  g_assert_cmpuint (cells[4].row, ==, 2);
  g_assert_cmpuint (cells[4].col, ==, 1);
  g_free (cells);

  lb_precision_grid_select_row (g, 3, LB_GRID_SELECT_ADD);
  assert_selected (g, "xx./x../xx./xxx");
  lb_precision_grid_select_column (g, 1, LB_GRID_SELECT_REPLACE);
  assert_selected (g, ".x./.../.x./.x.");
  lb_precision_grid_select_column (g, 1, LB_GRID_SELECT_TOGGLE);
  assert_selected (g, ".../.../.../...");
  g_assert_null (lb_precision_grid_get_selected_cells (g, &n));
  g_assert_cmpuint (n, ==, 0);

  lb_precision_grid_select_all (g);
  assert_selected (g, "xxx/x.x/xxx/xxx");
  g_assert_cmpuint (lb_precision_grid_get_n_selected (g), ==, 11);

  /* new types, same shape: the selection stays */
  changed.count = 0;
  lb_precision_grid_set_data (g, 4, 3, grid_types, grid_rows, grid_cols);
  g_assert_cmpuint (changed.count, ==, 0);
  g_assert_cmpuint (lb_precision_grid_get_n_selected (g), ==, 11);

  /* a cell edited away leaves the selection */
  lb_precision_grid_set_cell_type (g, 0, 1, "Q2_K");
  g_assert_cmpstr (lb_precision_grid_get_cell_type (g, 0, 1), ==, "Q2_K");
  g_assert_cmpuint (changed.count, ==, 0);
  lb_precision_grid_set_cell_type (g, 0, 1, NULL);
  g_assert_cmpuint (changed.count, ==, 1);
  assert_selected (g, "x.x/x.x/xxx/xxx");

  /* another model: everything starts over */
  lb_precision_grid_set_data (g, 2, 3, grid_types, NULL, NULL);
  g_assert_cmpuint (lb_precision_grid_get_n_selected (g), ==, 0);
  g_assert_cmpuint (changed.count, ==, 2);
  g_assert_cmpuint (n_selected->count, >=, 5);

  lb_precision_grid_set_cursor (g, 7, 7);
  {
    guint r, c;
    g_assert_true (lb_precision_grid_get_cursor (g, &r, &c));
    g_assert_cmpuint (r, ==, 1);
    g_assert_cmpuint (c, ==, 2);
  }
  g_assert_finalize_object (w);
}

static void
test_grid_keyboard (void)
{
  GtkWidget *w = g_object_ref_sink (lb_precision_grid_new ());
  LbPrecisionGrid *g = LB_PRECISION_GRID (w);
  Counter changed = { 0 }, activated = { 0 };
  guint r, c;

  lb_precision_grid_set_data (g, 4, 3, grid_types, grid_rows, grid_cols);
  g_signal_connect (w, "selection-changed", G_CALLBACK (count_signal_cb), &changed);
  g_signal_connect (w, "cell-activated", G_CALLBACK (count_cell_cb), &activated);

  /* arrows move and select */
  g_assert_true (press_key (w, GDK_KEY_Right, 0));
  assert_selected (g, ".x./.../.../...");
  g_assert_true (press_key (w, GDK_KEY_Down, 0));
  /* (1, 1) has no tensor: the cursor is there, nothing is selected */
  assert_selected (g, ".../.../.../...");
  g_assert_true (lb_precision_grid_get_cursor (g, &r, &c));
  g_assert_cmpuint (r, ==, 1);
  g_assert_cmpuint (c, ==, 1);
  g_assert_true (press_key (w, GDK_KEY_Down, 0));
  /* shift grows a rectangle from the anchor */
  g_assert_true (press_key (w, GDK_KEY_Right, GDK_SHIFT_MASK));
  g_assert_true (press_key (w, GDK_KEY_Down, GDK_SHIFT_MASK));
  assert_selected (g, ".../.../.xx/.xx");
  /* ctrl moves without selecting; ctrl+space toggles */
  g_assert_true (press_key (w, GDK_KEY_Home, GDK_CONTROL_MASK));
  assert_selected (g, ".../.../.xx/.xx");
  g_assert_true (press_key (w, GDK_KEY_space, GDK_CONTROL_MASK));
  assert_selected (g, "x../.../.xx/.xx");
  /* the edges hold */
  g_assert_true (press_key (w, GDK_KEY_Up, 0));
  g_assert_true (press_key (w, GDK_KEY_Left, 0));
  assert_selected (g, "x../.../.../...");
  g_assert_true (press_key (w, GDK_KEY_Page_Down, 0));
  g_assert_true (lb_precision_grid_get_cursor (g, &r, &c));
  g_assert_cmpuint (r, ==, 3);
  g_assert_true (press_key (w, GDK_KEY_End, 0));
  assert_selected (g, ".../.../.../..x");

  /* ctrl+A, Escape, shift+ctrl+A */
  g_assert_true (press_key (w, GDK_KEY_a, GDK_CONTROL_MASK));
  g_assert_cmpuint (lb_precision_grid_get_n_selected (g), ==, 11);
  g_assert_true (press_key (w, GDK_KEY_Escape, 0));
  g_assert_cmpuint (lb_precision_grid_get_n_selected (g), ==, 0);
  g_assert_false (press_key (w, GDK_KEY_Escape, 0));
  g_assert_true (press_key (w, GDK_KEY_a, GDK_CONTROL_MASK));
  g_assert_true (press_key (w, GDK_KEY_A, GDK_CONTROL_MASK | GDK_SHIFT_MASK));
  g_assert_cmpuint (lb_precision_grid_get_n_selected (g), ==, 0);
  g_assert_false (press_key (w, GDK_KEY_a, 0));

  /* Enter activates the cursor cell */
  g_assert_true (press_key (w, GDK_KEY_Return, 0));
  g_assert_cmpuint (activated.count, ==, 1);
  g_assert_cmpuint (changed.count, >=, 8);

  g_assert_finalize_object (w);
}

/* The centre of cell (row, col), from the widget's own hit testing */
static void
grid_cell_centre (LbPrecisionGrid *g,
                  guint            row,
                  guint            col,
                  double          *x,
                  double          *y)
{
  int w = gtk_widget_get_width (GTK_WIDGET (g)), h = gtk_widget_get_height (GTK_WIDGET (g));
  double x0 = w, y0 = h, x1 = -1, y1 = -1;

  for (int yy = 0; yy < h; yy++)
    for (int xx = 0; xx < w; xx++)
      {
        guint r, c;

        if (lb_precision_grid_pick (g, xx, yy, &r, &c) == LB_GRID_HIT_CELL && r == row && c == col)
          {
            x0 = MIN (x0, xx);
            y0 = MIN (y0, yy);
            x1 = MAX (x1, xx);
            y1 = MAX (y1, yy);
          }
      }
  g_assert_cmpfloat (x1, >=, 0);
  *x = (x0 + x1) / 2;
  *y = (y0 + y1) / 2;
}

static void
test_grid_mouse (void)
{
  GtkWidget *w = lb_precision_grid_new ();
  LbPrecisionGrid *g = LB_PRECISION_GRID (w);
  GtkEventController *drag;
  GtkWidget *window;
  double x0, y0, x1, y1, hx, hy;
  guint r, c;
  Counter changed = { 0 };

  lb_precision_grid_set_data (g, 4, 3, grid_types, grid_rows, grid_cols);
  g_object_ref (w);
  window = show_in_window (w, 420, 300);
  g_signal_connect (w, "selection-changed", G_CALLBACK (count_signal_cb), &changed);
  drag = find_controller (w, GTK_TYPE_GESTURE_DRAG);

  /* a click selects a cell */
  grid_cell_centre (g, 0, 0, &x0, &y0);
  g_signal_emit_by_name (drag, "drag-begin", x0, y0);
  g_signal_emit_by_name (drag, "drag-end", 0.0, 0.0);
  assert_selected (g, "x../.../.../...");

  /* a drag from (0, 0) to (2, 2) selects the rectangle, updating on the way */
  grid_cell_centre (g, 2, 2, &x1, &y1);
  changed.count = 0;
  g_signal_emit_by_name (drag, "drag-begin", x0, y0);
  g_signal_emit_by_name (drag, "drag-update", (x1 - x0) / 2, 0.0);
  g_signal_emit_by_name (drag, "drag-update", x1 - x0, y1 - y0);
  g_signal_emit_by_name (drag, "drag-end", x1 - x0, y1 - y0);
  assert_selected (g, "xxx/x.x/xxx/...");
  g_assert_cmpuint (changed.count, ==, 2);
  g_assert_true (lb_precision_grid_get_cursor (g, &r, &c));
  g_assert_cmpuint (r, ==, 2);
  g_assert_cmpuint (c, ==, 2);

  /* dragging past the grid clamps to its edge */
  g_signal_emit_by_name (drag, "drag-begin", x0, y0);
  g_signal_emit_by_name (drag, "drag-update", 0.0, 5000.0);
  g_signal_emit_by_name (drag, "drag-end", 0.0, 5000.0);
  assert_selected (g, "x../x../x../x..");

  /* row header, column header, corner */
  g_assert_cmpint (lb_precision_grid_pick (g, 2, y1, &r, &c), ==, LB_GRID_HIT_NONE);
  for (hx = x0; hx > 0; hx -= 1)
    if (lb_precision_grid_pick (g, hx, y1, &r, &c) == LB_GRID_HIT_ROW_HEADER)
      break;
  g_assert_cmpint (lb_precision_grid_pick (g, hx, y1, &r, &c), ==, LB_GRID_HIT_ROW_HEADER);
  g_assert_cmpuint (r, ==, 2);
  g_signal_emit_by_name (drag, "drag-begin", hx, y1);
  g_signal_emit_by_name (drag, "drag-end", 0.0, 0.0);
  assert_selected (g, ".../.../xxx/...");

  for (hy = y0; hy > 0; hy -= 1)
    if (lb_precision_grid_pick (g, x1, hy, &r, &c) == LB_GRID_HIT_COL_HEADER)
      break;
  g_assert_cmpint (lb_precision_grid_pick (g, x1, hy, &r, &c), ==, LB_GRID_HIT_COL_HEADER);
  g_assert_cmpuint (c, ==, 2);
  g_signal_emit_by_name (drag, "drag-begin", x1, hy);
  g_signal_emit_by_name (drag, "drag-end", 0.0, 0.0);
  assert_selected (g, "..x/..x/..x/..x");

  g_assert_cmpint (lb_precision_grid_pick (g, hx, hy, &r, &c), ==, LB_GRID_HIT_CORNER);
  g_signal_emit_by_name (drag, "drag-begin", hx, hy);
  g_signal_emit_by_name (drag, "drag-end", 0.0, 0.0);
  g_assert_cmpuint (lb_precision_grid_get_n_selected (g), ==, 11);

  /* empty space clears */
  g_signal_emit_by_name (drag, "drag-begin", 1.0, 1.0);
  g_signal_emit_by_name (drag, "drag-end", 0.0, 0.0);
  g_assert_cmpuint (lb_precision_grid_get_n_selected (g), ==, 0);

  /* the rendering shows the selection: the snapshot changes with it */
  {
    GskRenderNode *a = snapshot_widget (w), *b;
    lb_precision_grid_select_cell (g, 0, 0, LB_GRID_SELECT_REPLACE);
    b = snapshot_widget (w);
    g_assert_true (a != b);
    gsk_render_node_unref (a);
    gsk_render_node_unref (b);
  }

  destroy_window (window);
  g_assert_finalize_object (w);
}

/* --- every widget: measure, snapshot with no data, finalize ------------- */

static void
test_all_empty (void)
{
  GType types[] = {
    LB_TYPE_HEATMAP, LB_TYPE_GAUGE, LB_TYPE_LINE_CHART, LB_TYPE_SCATTER_CHART,
    LB_TYPE_SIZE_BAR, LB_TYPE_HISTOGRAM, LB_TYPE_PRECISION_GRID,
  };

  lb_widgets_init ();
  for (guint i = 0; i < G_N_ELEMENTS (types); i++)
    {
      GtkWidget *w = g_object_new (types[i], NULL);
      GtkWidget *window;
      GskRenderNode *node;
      int min, nat;

      g_object_ref (w);
      gtk_widget_measure (w, GTK_ORIENTATION_HORIZONTAL, -1, &min, &nat, NULL, NULL);
      g_assert_cmpint (min, >, 0);
      g_assert_cmpint (nat, >=, min);
      gtk_widget_measure (w, GTK_ORIENTATION_VERTICAL, nat, &min, &nat, NULL, NULL);
      g_assert_cmpint (min, >, 0);
      g_assert_cmpint (nat, >=, min);

      /* not shown: nothing to draw */
      node = snapshot_widget (w);
      g_assert_null (node);

      window = show_in_window (w, 300, 200);
      node = snapshot_widget (w);
      g_assert_nonnull (node);
      gsk_render_node_unref (node);

      /* a theme change redraws */
      {
        GskRenderNode *a = snapshot_widget (w), *b;
        gtk_widget_add_css_class (w, "dim-label");
        /* styles are recomputed with the next frame */
        gtk_test_widget_wait_for_draw (w);
        b = snapshot_widget (w);
        g_assert_true (a != b);
        gsk_render_node_unref (a);
        gsk_render_node_unref (b);
      }

      destroy_window (window);
      g_assert_finalize_object (w);
    }
}

static void
test_heatmap_measure (void)
{
  static const double v[64 * 9];
  GtkWidget *w = g_object_ref_sink (lb_heatmap_new ());
  int min, nat_small, nat_big;

  lb_heatmap_set_data (LB_HEATMAP (w), 2, 2, v, NULL, NULL);
  gtk_widget_measure (w, GTK_ORIENTATION_VERTICAL, -1, &min, &nat_small, NULL, NULL);
  lb_heatmap_set_data (LB_HEATMAP (w), 28, 9, v, NULL, NULL);
  gtk_widget_measure (w, GTK_ORIENTATION_VERTICAL, -1, &min, &nat_big, NULL, NULL);
  g_assert_cmpint (nat_big, >, nat_small);
  g_assert_cmpint (nat_big, >=, 28 * 12);
  g_assert_finalize_object (w);
}

/* --- the base class ----------------------------------------------------- */

static const GType *
all_types (guint *n)
{
  static GType types[7];

  types[0] = LB_TYPE_HEATMAP;
  types[1] = LB_TYPE_GAUGE;
  types[2] = LB_TYPE_LINE_CHART;
  types[3] = LB_TYPE_SCATTER_CHART;
  types[4] = LB_TYPE_SIZE_BAR;
  types[5] = LB_TYPE_HISTOGRAM;
  types[6] = LB_TYPE_PRECISION_GRID;
  *n = G_N_ELEMENTS (types);
  return types;
}

/* The title through each chart's own C API */
static const char *
title_of (GtkWidget *w)
{
  if (LB_IS_HEATMAP (w))
    return lb_heatmap_get_title (LB_HEATMAP (w));
  if (LB_IS_GAUGE (w))
    return lb_gauge_get_title (LB_GAUGE (w));
  if (LB_IS_LINE_CHART (w))
    return lb_line_chart_get_title (LB_LINE_CHART (w));
  if (LB_IS_SCATTER_CHART (w))
    return lb_scatter_chart_get_title (LB_SCATTER_CHART (w));
  if (LB_IS_SIZE_BAR (w))
    return lb_size_bar_get_title (LB_SIZE_BAR (w));
  if (LB_IS_HISTOGRAM (w))
    return lb_histogram_get_title (LB_HISTOGRAM (w));
  return lb_precision_grid_get_title (LB_PRECISION_GRID (w));
}

/* A valid value other than the default, in value (initialised) */
static void
other_value (GParamSpec *pspec,
             GValue     *value)
{
  const GValue *def = g_param_spec_get_default_value (pspec);

  g_value_init (value, pspec->value_type);
  switch (G_TYPE_FUNDAMENTAL (pspec->value_type))
    {
    case G_TYPE_STRING:
      g_value_set_string (value, "probe");
      break;
    case G_TYPE_BOOLEAN:
      g_value_set_boolean (value, !g_value_get_boolean (def));
      break;
    case G_TYPE_INT:
      g_value_set_int (value, g_value_get_int (def) + 1);
      break;
    case G_TYPE_DOUBLE:
      g_value_set_double (value, g_value_get_double (def) + 1);
      break;
    case G_TYPE_ENUM:
      {
        GEnumClass *enum_class = g_type_class_ref (pspec->value_type);
        int next = g_value_get_enum (def) + 1;

        g_value_set_enum (value, g_enum_get_value (enum_class, next) ? next
                                                                     : enum_class->minimum);
        g_type_class_unref (enum_class);
      }
      break;
    default:
      g_assert_not_reached ();
    }
}

/* Every property of every chart goes through the base class's
 * get_property and set_property into the chart's own accessors: a value
 * set reads back, notifies once, and setting it again is no change */
static void
test_base_properties (void)
{
  guint n_types;
  const GType *types = all_types (&n_types);

  g_assert_true (G_TYPE_IS_ABSTRACT (LB_TYPE_CHART_WIDGET));
  for (guint t = 0; t < n_types; t++)
    {
      GtkWidget *w = g_object_ref_sink (g_object_new (types[t], NULL));
      GObjectClass *klass = G_OBJECT_GET_CLASS (w);
      guint n_pspecs;
      GParamSpec **pspecs;
      GParamSpec *title;

      g_assert_true (g_type_is_a (types[t], LB_TYPE_CHART_WIDGET));
      title = g_object_class_find_property (klass, "title");
      g_assert_nonnull (title);
      g_assert_true (title->owner_type == LB_TYPE_CHART_WIDGET);

      pspecs = g_object_class_list_properties (klass, &n_pspecs);
      for (guint i = 0; i < n_pspecs; i++)
        {
          GParamSpec *pspec = pspecs[i];
          GValue value = G_VALUE_INIT, back = G_VALUE_INIT;
          Counter *notified;

          /* GtkWidget's own and GtkAccessible's are not ours to test */
          if (!g_type_is_a (pspec->owner_type, LB_TYPE_CHART_WIDGET))
            continue;
          g_value_init (&back, pspec->value_type);
          g_object_get_property (G_OBJECT (w), pspec->name, &back);
          g_value_unset (&back);
          if (!(pspec->flags & G_PARAM_WRITABLE))
            continue;

          notified = watch (w, pspec->name);
          other_value (pspec, &value);
          g_object_set_property (G_OBJECT (w), pspec->name, &value);
          g_value_init (&back, pspec->value_type);
          g_object_get_property (G_OBJECT (w), pspec->name, &back);
          if (g_str_equal (pspec->name, "highlight"))
            {
              /* no point to ring: none */
              g_assert_cmpint (g_value_get_int (&back), ==, -1);
              g_assert_cmpuint (notified->count, ==, 0);
            }
          else
            {
              if (g_param_values_cmp (pspec, &value, &back) != 0)
                g_error ("%s:%s does not read back what was set", G_OBJECT_TYPE_NAME (w),
                         pspec->name);
              g_assert_cmpuint (notified->count, ==, 1);
            }
          g_object_set_property (G_OBJECT (w), pspec->name, &value);
          g_assert_cmpuint (notified->count, <=, 1);
          g_value_unset (&value);
          g_value_unset (&back);
        }
      g_free (pspecs);

      /* the base class's title is each chart's title */
      g_object_set (w, "title", "Chart", NULL);
      g_assert_cmpstr (title_of (w), ==, "Chart");
      g_assert_finalize_object (w);
    }
}

/* Tooltips: the base class asks the chart what is under the pointer */
static void
test_base_tooltips (void)
{
  static const double values[] = { 0, 1, 2, 3 };
  GtkWidget *w = lb_heatmap_new ();
  GtkWidget *gauge = g_object_ref_sink (lb_gauge_new ());
  LbChartWidgetClass *klass;
  GtkWidget *window;
  char *text, *expected;
  int cx, cy;

  lb_heatmap_set_data (LB_HEATMAP (w), 2, 2, values, NULL, NULL);
  g_object_ref (w);
  window = show_in_window (w, 320, 240);
  klass = LB_CHART_WIDGET_GET_CLASS (w);
  g_assert_true (gtk_widget_get_has_tooltip (w));
  g_assert_true (find_cell_centre (LB_HEATMAP (w), 1, 0, &cx, &cy));
  text = klass->describe_at (LB_CHART_WIDGET (w), cx, cy, FALSE);
  expected = lb_heatmap_describe_cell (LB_HEATMAP (w), 1, 0);
  g_assert_cmpstr (text, ==, expected);
  g_assert_nonnull (strstr (text, "Row 1"));
  g_free (text);
  g_free (expected);
  g_assert_null (klass->describe_at (LB_CHART_WIDGET (w), 1, 1, FALSE));
  destroy_window (window);
  g_assert_finalize_object (w);

  /* the gauge has no parts: its tooltip is the whole reading */
  g_assert_null (LB_CHART_WIDGET_GET_CLASS (gauge)->describe_at);
  lb_gauge_set_value (LB_GAUGE (gauge), 3);
  g_assert_cmpstr (gtk_widget_get_tooltip_text (gauge), ==, "3");
  g_assert_finalize_object (gauge);
}

int
main (int   argc,
      char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);

  g_test_add_func ("/lowbit/widgets/heatmap/properties", test_heatmap_properties);
  g_test_add_func ("/lowbit/widgets/heatmap/render", test_heatmap_render);
  g_test_add_func ("/lowbit/widgets/heatmap/measure", test_heatmap_measure);
  g_test_add_func ("/lowbit/widgets/heatmap/log-scale", test_heatmap_log_scale);
  g_test_add_func ("/lowbit/widgets/heatmap/notes", test_heatmap_notes);
  g_test_add_func ("/lowbit/widgets/page-box", test_page_box);
  g_test_add_func ("/lowbit/widgets/gauge", test_gauge);
  g_test_add_func ("/lowbit/widgets/line-chart", test_line_chart);
  g_test_add_func ("/lowbit/widgets/scatter-chart", test_scatter_chart);
  g_test_add_func ("/lowbit/widgets/size-bar", test_size_bar);
  g_test_add_func ("/lowbit/widgets/histogram", test_histogram);
  g_test_add_func ("/lowbit/widgets/precision-grid/calls", test_grid_selection_calls);
  g_test_add_func ("/lowbit/widgets/precision-grid/keyboard", test_grid_keyboard);
  g_test_add_func ("/lowbit/widgets/precision-grid/mouse", test_grid_mouse);
  g_test_add_func ("/lowbit/widgets/all-empty", test_all_empty);
  g_test_add_func ("/lowbit/widgets/chart-widget/properties", test_base_properties);
  g_test_add_func ("/lowbit/widgets/chart-widget/tooltips", test_base_tooltips);

  return g_test_run ();
}
