/* test-chart-board.c: the report-page pieces of the CLI's --png outputs:
 * the bar chart, boards of panels written as PNG, the layers × kinds
 * placement of tensor names, and the up-front check of a PNG path.
 *
 * Positions are computed by hand from the data (a bar of value v on a
 * 0..1.05 axis ends at v / 1.05 of the plot's width); colours come from
 * the light style's palette. */
#include "config.h"

#include <gio/gio.h>
#include <math.h>
#include <string.h>

#include "lb-bar-chart-render.h"
#include "lb-chart-board.h"
#include "lb-layer-grid.h"
#include "lb-test-util.h"

static guint32
pixel (cairo_surface_t *s,
       double           x,
       double           y)
{
  const guint8 *data;
  int ix = (int) floor (x), iy = (int) floor (y);

  g_assert_cmpint (ix, >=, 0);
  g_assert_cmpint (iy, >=, 0);
  g_assert_cmpint (ix, <, cairo_image_surface_get_width (s));
  g_assert_cmpint (iy, <, cairo_image_surface_get_height (s));
  cairo_surface_flush (s);
  data = cairo_image_surface_get_data (s);
  return *(const guint32 *) (data + iy * cairo_image_surface_get_stride (s) + ix * 4) & 0xffffff;
}

static gboolean
is_color (guint32 p, const LbChartColor *c)
{
  int r = (p >> 16) & 0xff, g = (p >> 8) & 0xff, b = p & 0xff;

  return ABS (r - (int) round (c->red * 255)) <= 2 && ABS (g - (int) round (c->green * 255)) <= 2
         && ABS (b - (int) round (c->blue * 255)) <= 2;
}

static guint
count_color (cairo_surface_t *s, const LbChartColor *c, int x0, int x1)
{
  guint n = 0;

  for (int y = 0; y < cairo_image_surface_get_height (s); y++)
    for (int x = x0; x < x1; x++)
      n += is_color (pixel (s, x, y), c);
  return n;
}

static cairo_surface_t *
render_bars (const LbBarChartData *data, const LbChartStyle *style, LbBarChartGeometry *g)
{
  cairo_surface_t *s = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, 400, 200);
  cairo_t *cr = cairo_create (s);

  lb_bar_chart_render (cr, 400, 200, data, style, g);
  cairo_destroy (cr);
  return s;
}

static void
test_layer_grid (void)
{
  static const char * const names[] = {
    "token_embd.weight", "blk.0.attn_q.weight", "blk.1.ffn_down.weight",
    "blk.0.ffn_down.weight", "blk.1.attn_q.weight", "output.weight",
    "blk.0.attn_q.bias", "blk.x.foo", "blk.99999999.attn_q.weight",
  };
  g_autoptr (LbLayerGrid) grid = lb_layer_grid_new (names, G_N_ELEMENTS (names));
  static const char * const cols[] = {
    "attn_q", "ffn_down", "attn_q.bias", "token_embd", "output", "blk.x.foo",
    "blk.99999999.attn_q",
  };
  /* rows blk.0, blk.1, model; 7 columns */
  static const guint cells[] = { 2 * 7 + 3, 0, 7 + 1, 1, 7, 2 * 7 + 4, 2, 2 * 7 + 5, 2 * 7 + 6 };

  g_assert_nonnull (grid);
  g_assert_cmpuint (grid->n_rows, ==, 3);
  g_assert_cmpuint (grid->n_cols, ==, G_N_ELEMENTS (cols));
  g_assert_cmpstr (grid->row_labels[0], ==, "blk.0");
  g_assert_cmpstr (grid->row_labels[1], ==, "blk.1");
  g_assert_cmpstr (grid->row_labels[2], ==, "model");
  g_assert_null (grid->row_labels[3]);
  for (guint c = 0; c < G_N_ELEMENTS (cols); c++)
    g_assert_cmpstr (grid->col_labels[c], ==, cols[c]);
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    g_assert_cmpuint (grid->cell[i], ==, cells[i]);

  g_assert_null (lb_layer_grid_new (names, 0));
}

static void
test_layer_grid_order (void)
{
  /* sorted names (as a sensitivity table lists them) come back in a
   * block's order, and without model tensors there is no model row */
  static const char * const names[] = {
    "blk.0.attn_k.weight", "blk.0.attn_output.weight", "blk.0.attn_q.weight",
    "blk.0.attn_v.weight", "blk.0.ffn_down.weight", "blk.0.ffn_gate.weight",
    "blk.0.ffn_up.weight", "blk.0.wibble.weight", "blk.2.attn_q.weight",
  };
  static const char * const want[] = {
    "attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down", "wibble",
  };
  g_autoptr (LbLayerGrid) grid = lb_layer_grid_new (names, G_N_ELEMENTS (names));

  g_assert_cmpuint (grid->n_rows, ==, 3);   /* blk.1 has no tensor but is a row */
  g_assert_cmpstr (grid->row_labels[2], ==, "blk.2");
  g_assert_cmpuint (grid->n_cols, ==, G_N_ELEMENTS (want));
  for (guint c = 0; c < G_N_ELEMENTS (want); c++)
    g_assert_cmpstr (grid->col_labels[c], ==, want[c]);
  g_assert_cmpuint (grid->cell[0], ==, 1);
  g_assert_cmpuint (grid->cell[8], ==, 2 * 8 + 0);
}

static void
test_bar_range (void)
{
  double v[] = { 1.0, 0.5, NAN }, lo, hi;
  LbBarSeries series = { NULL, v };
  LbBarChartData d = { .n_bars = 3, .n_series = 1, .series = &series };

  lb_bar_chart_data_range (&d, &lo, &hi);
  g_assert_cmpfloat_with_epsilon (lo, 0, 1e-12);
  g_assert_cmpfloat_with_epsilon (hi, 1.05, 1e-12);

  d.has_limit = TRUE;
  d.limit = 2;
  lb_bar_chart_data_range (&d, &lo, &hi);
  g_assert_cmpfloat_with_epsilon (hi, 2.1, 1e-12);

  v[0] = 0.002;
  v[1] = 0.3;
  d.has_limit = FALSE;
  d.log_scale = TRUE;
  lb_bar_chart_data_range (&d, &lo, &hi);
  g_assert_cmpfloat_with_epsilon (lo, 0.001, 1e-15);
  g_assert_cmpfloat_with_epsilon (hi, 1, 1e-12);
}

static void
test_bar_render (void)
{
  double v[] = { 1.0, 0.5 };
  LbBarSeries series = { NULL, v };
  LbBarChartData d = { .n_bars = 2, .n_series = 1, .series = &series,
                       .has_limit = TRUE, .limit = 0.75 };
  LbChartStyle style;
  LbBarChartGeometry g;
  cairo_surface_t *s;
  double row1_y, end1, limit_x;

  lb_chart_style_init_light (&style);
  s = render_bars (&d, &style, &g);

  g_assert_cmpuint (g.n_rows, ==, 2);
  g_assert_cmpfloat (g.width, >, 200);
  g_assert_cmpfloat_with_epsilon (g.row_height * 2, g.height, 1e-9);
  /* the second bar (0.5 of a 0..1.05 axis) fills up to 0.5 / 1.05 of the
   * width, and not beyond */
  row1_y = g.y + 1.5 * g.row_height;
  end1 = g.x + g.width * 0.5 / 1.05;
  g_assert_true (is_color (pixel (s, g.x + 3, row1_y), &style.series[0]));
  g_assert_true (is_color (pixel (s, end1 - 3, row1_y), &style.series[0]));
  g_assert_false (is_color (pixel (s, end1 + 3, row1_y), &style.series[0]));
  /* the first bar is longer */
  g_assert_true (is_color (pixel (s, g.x + g.width * 0.9 / 1.05, g.y + 0.5 * g.row_height),
                           &style.series[0]));
  /* the limit line crosses the rows at 0.75 / 1.05, in the failure colour */
  limit_x = g.x + g.width * 0.75 / 1.05;
  g_assert_true (is_color (pixel (s, limit_x, row1_y), &style.failure));
  g_assert_false (lb_bar_chart_row_at (&g, g.x - 1, row1_y, NULL));
  {
    guint row = 9;
    g_assert_true (lb_bar_chart_row_at (&g, g.x + 1, row1_y, &row));
    g_assert_cmpuint (row, ==, 1);
  }
  cairo_surface_destroy (s);
}

static void
test_bar_no_data (void)
{
  double v[] = { NAN, INFINITY, -1 };
  LbBarSeries series = { NULL, v };
  LbBarChartData d = { .n_bars = 3, .n_series = 1, .series = &series, .log_scale = TRUE };
  LbChartStyle style;
  LbBarChartGeometry g;
  cairo_surface_t *s;

  lb_chart_style_init_light (&style);
  /* nothing drawable (NaN, Inf, and -1 on a log axis): no bar at all */
  s = render_bars (&d, &style, &g);
  g_assert_cmpuint (count_color (s, &style.series[0], 0, 400), ==, 0);
  g_assert_cmpuint (g.n_rows, ==, 0);
  cairo_surface_destroy (s);

  /* no data pointer, no series: drawn, not crashed */
  s = render_bars (NULL, &style, NULL);
  cairo_surface_destroy (s);
}

static cairo_status_t
read_bytes (void *closure, unsigned char *data, unsigned int length)
{
  GInputStream *in = closure;

  return g_input_stream_read_all (in, data, length, NULL, NULL, NULL)
    ? CAIRO_STATUS_SUCCESS : CAIRO_STATUS_READ_ERROR;
}

static void
test_board (void)
{
  double left[] = { 1.0 }, right[] = { 1.0 };
  LbBarSeries ls = { NULL, left }, rs = { NULL, right };
  LbBarChartData ld = { .n_bars = 1, .n_series = 1, .series = &ls };
  LbBarChartData rd = { .n_bars = 1, .n_series = 1, .series = &rs };
  LbChartPanel panels[] = {
    { .draw = lb_chart_panel_draw_bars, .data = &ld, .x = 0, .y = 0, .width = 200, .height = 100 },
    /* drawn only in its own rectangle: the right half, lower 100 pixels */
    { .draw = lb_chart_panel_draw_bars, .data = &rd, .x = 200, .y = 100, .width = 200, .height = 100 },
  };
  const char *title = "two panels";
  double top = lb_chart_board_title_height (title, NULL);
  g_autoptr (GBytes) png = NULL;
  g_autoptr (GInputStream) in = NULL;
  g_autoptr (GError) error = NULL;
  LbChartStyle style;
  cairo_surface_t *s;
  gsize size;

  lb_chart_style_init_light (&style);
  g_assert_cmpfloat (top, >, 12);
  g_assert_cmpfloat (lb_chart_board_title_height (NULL, NULL), ==, 0);

  png = lb_chart_board_render_png (title, panels, 2, &style, 400, (int) (200 + top), &error);
  g_assert_no_error (error);
  g_assert_cmpmem (g_bytes_get_data (png, &size), 8, "\x89PNG\r\n\x1a\n", 8);
  in = g_memory_input_stream_new_from_bytes (png);
  s = cairo_image_surface_create_from_png_stream (read_bytes, in);
  g_assert_cmpint (cairo_surface_status (s), ==, CAIRO_STATUS_SUCCESS);
  g_assert_cmpint (cairo_image_surface_get_width (s), ==, 400);
  g_assert_cmpint (cairo_image_surface_get_height (s), ==, (int) (200 + top));
  /* each panel's bar in its own quarter, none in the other two */
  for (int y = 0; y < (int) top; y++)
    for (int x = 0; x < 400; x++)
      g_assert_false (is_color (pixel (s, x, y), &style.series[0]));
  g_assert_cmpuint (count_color (s, &style.series[0], 0, 200), >, 500);
  g_assert_cmpuint (count_color (s, &style.series[0], 200, 400), >, 500);
  for (int y = (int) top; y < (int) top + 100; y++)
    for (int x = 200; x < 400; x++)
      g_assert_false (is_color (pixel (s, x, y), &style.series[0]));
  for (int y = (int) top + 100; y < (int) top + 200; y++)
    for (int x = 0; x < 200; x++)
      g_assert_false (is_color (pixel (s, x, y), &style.series[0]));
  cairo_surface_destroy (s);

  g_clear_pointer (&png, g_bytes_unref);
  png = lb_chart_board_render_png (NULL, panels, 2, NULL, 0, 100, &error);
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL);
  g_assert_null (png);
}

static void
test_write_and_path_check (void)
{
  g_autofree char *dir = lb_test_make_tmpdir ();
  g_autofree char *ok_path = g_build_filename (dir, "a.png", NULL);
  g_autofree char *missing = g_build_filename (dir, "no", "such", "a.png", NULL);
  g_autofree char *regular = g_build_filename (dir, "file", NULL);
  g_autofree char *under_file = g_build_filename (regular, "a.png", NULL);
  g_autoptr (GError) error = NULL;
  double v[] = { 1 };
  LbBarSeries series = { NULL, v };
  LbBarChartData d = { .n_bars = 1, .n_series = 1, .series = &series };
  LbChartPanel panel = { .draw = lb_chart_panel_draw_bars, .data = &d, .width = 100, .height = 50 };
  g_autofree char *contents = NULL;
  gsize len;

  g_assert_true (g_file_set_contents (regular, "x", 1, NULL));

  g_assert_true (lb_chart_png_path_check (ok_path, "--png", &error));
  g_assert_no_error (error);

  g_assert_false (lb_chart_png_path_check (missing, "--png", &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
  g_assert_nonnull (strstr (error->message, "--png"));
  g_assert_nonnull (strstr (error->message, "does not exist"));
  g_clear_error (&error);

  g_assert_false (lb_chart_png_path_check (under_file, NULL, &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
  g_clear_error (&error);

  g_assert_false (lb_chart_png_path_check (dir, "--png", &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_ISDIR);
  g_clear_error (&error);

  g_assert_false (lb_chart_png_path_check ("", "--png", &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL);
  g_clear_error (&error);

  g_assert_true (lb_chart_board_write_png (ok_path, NULL, &panel, 1, NULL, 100, 50, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (ok_path, &contents, &len, NULL));
  g_assert_cmpuint (len, >, 8);
  g_assert_cmpmem (contents, 8, "\x89PNG\r\n\x1a\n", 8);

  g_assert_false (lb_chart_board_write_png (missing, NULL, &panel, 1, NULL, 100, 50, &error));
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "chart image"));
  g_assert_false (g_file_test (missing, G_FILE_TEST_EXISTS));

  lb_test_rmtree (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/lowbit/chart-board/layer-grid", test_layer_grid);
  g_test_add_func ("/lowbit/chart-board/layer-grid-order", test_layer_grid_order);
  g_test_add_func ("/lowbit/chart-board/bar-range", test_bar_range);
  g_test_add_func ("/lowbit/chart-board/bar-render", test_bar_render);
  g_test_add_func ("/lowbit/chart-board/bar-no-data", test_bar_no_data);
  g_test_add_func ("/lowbit/chart-board/board", test_board);
  g_test_add_func ("/lowbit/chart-board/write-and-path-check", test_write_and_path_check);
  return g_test_run ();
}
