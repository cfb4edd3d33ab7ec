/* test-chart-render.c: the GTK-free renderers drawn into image surfaces,
 * checked pixel by pixel against known data; no display needed.
 *
 * Expected colours come from published constants (viridis endpoints,
 * the GNOME palette of the quantization types), not from the code under
 * test. Set LB_CHART_DUMP=dir to keep every image for a look. */
#include "config.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "lb-chart-draw-private.h"
#include "lb-charts.h"

typedef struct {
  int r, g, b, a;
} Pixel;

static Pixel
pixel_at (cairo_surface_t *surface,
          double           x,
          double           y)
{
  int ix = (int) floor (x), iy = (int) floor (y);
  const guint8 *data;
  guint32 v;
  Pixel p;

  g_assert_cmpint (ix, >=, 0);
  g_assert_cmpint (iy, >=, 0);
  g_assert_cmpint (ix, <, cairo_image_surface_get_width (surface));
  g_assert_cmpint (iy, <, cairo_image_surface_get_height (surface));
  cairo_surface_flush (surface);
  data = cairo_image_surface_get_data (surface);
  v = *(const guint32 *) (data + iy * cairo_image_surface_get_stride (surface) + ix * 4);
  p.a = v >> 24;
  p.r = (v >> 16) & 0xff;
  p.g = (v >> 8) & 0xff;
  p.b = v & 0xff;
  return p;
}

static gboolean
pixel_near_hex (Pixel       p,
                const char *hex,
                int         tolerance)
{
  LbChartColor c;

  if (!lb_chart_color_parse (hex, &c))
    g_error ("bad colour in test: %s", hex);
  return ABS (p.r - (int) round (c.red * 255)) <= tolerance
         && ABS (p.g - (int) round (c.green * 255)) <= tolerance
         && ABS (p.b - (int) round (c.blue * 255)) <= tolerance;
}

#define assert_pixel(surface, x, y, hex, tol) \
  G_STMT_START { \
    Pixel _p = pixel_at ((surface), (x), (y)); \
    if (!pixel_near_hex (_p, (hex), (tol))) \
      g_error ("%s:%d: pixel (%.1f, %.1f) is #%02x%02x%02x, expected %s", \
               __FILE__, __LINE__, (double) (x), (double) (y), _p.r, _p.g, _p.b, (hex)); \
  } G_STMT_END

/* Every pixel of a region grey (no hue), many of them darker than the
 * white background: the hatched "no data" look of the light style */
static gboolean
region_is_no_data (cairo_surface_t *s,
                   double           x0,
                   double           y0,
                   double           x1,
                   double           y1)
{
  guint n = 0, shaded = 0;

  for (int y = (int) ceil (y0); y < (int) floor (y1); y++)
    for (int x = (int) ceil (x0); x < (int) floor (x1); x++)
      {
        Pixel p = pixel_at (s, x, y);
        int spread = MAX (MAX (p.r, p.g), p.b) - MIN (MIN (p.r, p.g), p.b);

        if (spread > 12)
          return FALSE;
        n++;
        shaded += p.r < 250;
      }
  return n > 0 && shaded * 10 >= n * 9;
}

/* How many pixels of the surface are near a colour */
static guint
count_near_hex (cairo_surface_t *s,
                const char      *hex,
                int              tolerance)
{
  int w = cairo_image_surface_get_width (s), h = cairo_image_surface_get_height (s);
  guint n = 0;

  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      n += pixel_near_hex (pixel_at (s, x, y), hex, tolerance);
  return n;
}

static void
dump (cairo_surface_t *surface,
      const char      *name)
{
  const char *dir = g_getenv ("LB_CHART_DUMP");
  char *path;

  if (dir == NULL)
    return;
  path = g_strdup_printf ("%s/%s.png", dir, name);
  cairo_surface_write_to_png (surface, path);
  g_free (path);
}

static cairo_surface_t *
new_surface (int       width,
             int       height,
             cairo_t **cr)
{
  cairo_surface_t *s = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, width, height);

  *cr = cairo_create (s);
  return s;
}

/* --- colours, formats, ticks ------------------------------------------ */

static void
test_colormap_endpoints (void)
{
  LbChartColor c;

  /* the published viridis endpoints and midpoint */
  lb_colormap_eval (LB_COLORMAP_VIRIDIS, 0, &c);
  g_assert_cmpint ((int) round (c.red * 255), ==, 0x44);
  g_assert_cmpint ((int) round (c.green * 255), ==, 0x01);
  g_assert_cmpint ((int) round (c.blue * 255), ==, 0x54);
  lb_colormap_eval (LB_COLORMAP_VIRIDIS, 1, &c);
  g_assert_cmpint ((int) round (c.red * 255), ==, 0xfd);
  g_assert_cmpint ((int) round (c.green * 255), ==, 0xe7);
  g_assert_cmpint ((int) round (c.blue * 255), ==, 0x25);
  lb_colormap_eval (LB_COLORMAP_VIRIDIS, 0.5, &c);
  g_assert_cmpint ((int) round (c.green * 255), ==, 0x91);
  /* out of range clamps, NaN is the middle */
  lb_colormap_eval (LB_COLORMAP_VIRIDIS, -3, &c);
  g_assert_cmpint ((int) round (c.red * 255), ==, 0x44);
  lb_colormap_eval (LB_COLORMAP_VIRIDIS, NAN, &c);
  g_assert_cmpint ((int) round (c.green * 255), ==, 0x91);
}

static void
test_quant_colors (void)
{
  LbChartColor a, b;

  lb_quant_type_color ("Q4_K", &a);
  lb_quant_type_color ("q4_k", &b);
  g_assert_true (memcmp (&a, &b, sizeof a) == 0);
  g_assert_cmpint ((int) round (a.red * 255), ==, 0xff);
  g_assert_cmpint ((int) round (a.green * 255), ==, 0x78);
  g_assert_cmpint ((int) round (a.blue * 255), ==, 0x00);

  /* unknown names: stable and opaque */
  lb_quant_type_color ("MYSTERY_7", &a);
  lb_quant_type_color ("mystery_7", &b);
  g_assert_true (memcmp (&a, &b, sizeof a) == 0);
  g_assert_cmpfloat (a.alpha, ==, 1.0);

  g_assert_cmpfloat (lb_quant_type_bits ("Q8_0"), ==, 8.5);
  g_assert_cmpfloat (lb_quant_type_bits ("Q6_K"), ==, 6.5625);
  g_assert_true (isnan (lb_quant_type_bits ("MYSTERY_7")));
  g_assert_cmpint (lb_quant_type_compare ("Q8_0", "Q4_K"), <, 0);
  g_assert_cmpint (lb_quant_type_compare ("Q2_K", "F16"), >, 0);
  g_assert_cmpint (lb_quant_type_compare ("MYSTERY_7", "Q2_K"), >, 0);
}

static void
check_format (double        value,
              LbChartFormat format,
              double        step,
              const char   *expected)
{
  char *text = lb_chart_format_value (value, format, step);

  g_assert_cmpstr (text, ==, expected);
  g_free (text);
}

static void
test_format (void)
{
  check_format (0.25, LB_CHART_FORMAT_PLAIN, 0.25, "0.25");
  check_format (3, LB_CHART_FORMAT_PLAIN, 0.5, "3.0");
  check_format (-1e-17, LB_CHART_FORMAT_PLAIN, 0.2, "0.0");
  check_format (1234, LB_CHART_FORMAT_PLAIN, NAN, "1234");
  check_format (1.5e9, LB_CHART_FORMAT_BYTES, NAN, "1.50 GB");
  check_format (500e6, LB_CHART_FORMAT_BYTES, 100e6, "500 MB");
  check_format (512, LB_CHART_FORMAT_BYTES, NAN, "512 B");
  check_format (0.5, LB_CHART_FORMAT_PERCENT, 0.1, "50%");
  check_format (90, LB_CHART_FORMAT_TIME, 30, "1:30");
  check_format (3723, LB_CHART_FORMAT_TIME, NAN, "1:02:03");
  check_format (7.5, LB_CHART_FORMAT_TIME, 2.5, "7.5 s");
  check_format (50, LB_CHART_FORMAT_TIME, 10, "0:50");
  check_format (0.05, LB_CHART_FORMAT_PLAIN, NAN, "0.05");
  check_format (3, LB_CHART_FORMAT_PLAIN, NAN, "3");
  check_format (23.5, LB_CHART_FORMAT_DECIBEL, 0.5, "23.5 dB");
  check_format (NAN, LB_CHART_FORMAT_PLAIN, 1, "—");
  /* cosines: the digits that tell values near 1 apart */
  check_format (0.99873, LB_CHART_FORMAT_COSINE, NAN, "0.99873");
  check_format (0.9, LB_CHART_FORMAT_COSINE, NAN, "0.900");
  check_format (1.0, LB_CHART_FORMAT_COSINE, NAN, "1");
  check_format (0.999999, LB_CHART_FORMAT_COSINE, NAN, "0.99999900");
  check_format (0.995, LB_CHART_FORMAT_COSINE, 0.001, "0.995");
}

static void
test_ticks (void)
{
  double ticks[LB_CHART_MAX_TICKS], step;
  guint n;

  n = lb_chart_ticks (0, 1, 5, LB_CHART_FORMAT_PLAIN, FALSE, ticks, &step);
  g_assert_cmpuint (n, ==, 6);
  g_assert_cmpfloat_with_epsilon (step, 0.2, 1e-12);
  g_assert_cmpfloat_with_epsilon (ticks[5], 1.0, 1e-12);

  n = lb_chart_ticks (1, 1000, 5, LB_CHART_FORMAT_PLAIN, TRUE, ticks, &step);
  g_assert_cmpuint (n, ==, 4);
  g_assert_cmpfloat_with_epsilon (ticks[0], 1, 1e-9);
  g_assert_cmpfloat_with_epsilon (ticks[3], 1000, 1e-9);

  /* time: whole minutes rather than 50-second steps */
  n = lb_chart_ticks (0, 300, 5, LB_CHART_FORMAT_TIME, FALSE, ticks, &step);
  g_assert_cmpfloat (step, ==, 60);
  g_assert_cmpuint (n, ==, 6);

  /* nothing to tick */
  g_assert_cmpuint (lb_chart_ticks (1, 1, 5, LB_CHART_FORMAT_PLAIN, FALSE, ticks, &step), ==, 0);
  g_assert_cmpuint (lb_chart_ticks (NAN, 1, 5, LB_CHART_FORMAT_PLAIN, FALSE, ticks, &step), ==, 0);
}

/* --- heatmap ------------------------------------------------------------ */

static void
test_heatmap_min_max (void)
{
  static const double values[] = { 0, 1, 2, 3 };
  static const char *rows[] = { "blk.0", "blk.1" };
  static const char *cols[] = { "attn_q", "ffn_up" };
  LbHeatmapData data = {
    .n_rows = 2, .n_cols = 2, .values = values, .row_labels = rows, .col_labels = cols,
    .legend_label = "SNR (dB)", .title = "Weight SNR",
  };
  LbHeatmapGeometry g;
  cairo_surface_t *s;
  cairo_t *cr;
  guint row, col;

  s = new_surface (320, 240, &cr);
  lb_heatmap_render (cr, 320, 240, &data, NULL, &g);
  cairo_destroy (cr);
  dump (s, "heatmap-2x2");

  g_assert_cmpuint (g.n_rows, ==, 2);
  g_assert_cmpfloat (g.min, ==, 0);
  g_assert_cmpfloat (g.max, ==, 3);
  g_assert_cmpfloat (g.cell_width, >, 20);
  /* minimum at (0, 0): the first viridis colour; maximum at (1, 1): the last */
  assert_pixel (s, g.x + g.cell_width / 2, g.y + g.cell_height / 2, "#440154", 2);
  assert_pixel (s, g.x + 1.5 * g.cell_width, g.y + 1.5 * g.cell_height, "#fde725", 2);
  /* the legend exists: both ends of the scale appear twice or more */
  g_assert_cmpuint (count_near_hex (s, "#fde725", 2), >, g.cell_width * g.cell_height * 0.8);

  g_assert_true (lb_heatmap_geometry_cell_at (&g, g.x + 1.5 * g.cell_width, g.y + 2, &row, &col));
  g_assert_cmpuint (row, ==, 0);
  g_assert_cmpuint (col, ==, 1);
  g_assert_false (lb_heatmap_geometry_cell_at (&g, g.x - 1, g.y + 2, &row, &col));
  g_assert_false (lb_heatmap_geometry_cell_at (&g, g.x + 2, g.y + g.height + 1, &row, &col));
  cairo_surface_destroy (s);

  /* reversed: the minimum gets the bright end */
  data.reverse = TRUE;
  s = new_surface (320, 240, &cr);
  lb_heatmap_render (cr, 320, 240, &data, NULL, &g);
  cairo_destroy (cr);
  assert_pixel (s, g.x + g.cell_width / 2, g.y + g.cell_height / 2, "#fde725", 2);
  cairo_surface_destroy (s);

  /* a fixed range wider than the data: 0 is in the middle of [-3, 3] */
  data.reverse = FALSE;
  data.fixed_range = TRUE;
  data.min = -3;
  data.max = 3;
  s = new_surface (320, 240, &cr);
  lb_heatmap_render (cr, 320, 240, &data, NULL, &g);
  cairo_destroy (cr);
  assert_pixel (s, g.x + g.cell_width / 2, g.y + g.cell_height / 2, "#21918c", 2);
  cairo_surface_destroy (s);
}

static void
test_heatmap_non_finite (void)
{
  double values[] = { 1, NAN, INFINITY, 5, -INFINITY, 3 };
  LbHeatmapData data = { .n_rows = 2, .n_cols = 3, .values = values };
  LbHeatmapGeometry g;
  cairo_surface_t *s;
  cairo_t *cr;

  s = new_surface (300, 200, &cr);
  lb_heatmap_render (cr, 300, 200, &data, NULL, &g);
  cairo_destroy (cr);
  dump (s, "heatmap-nan");

  /* the range ignores NaN and infinities */
  g_assert_cmpfloat (g.min, ==, 1);
  g_assert_cmpfloat (g.max, ==, 5);
  assert_pixel (s, g.x + g.cell_width / 2, g.y + g.cell_height / 2, "#440154", 2);
  assert_pixel (s, g.x + 0.5 * g.cell_width, g.y + 1.5 * g.cell_height, "#fde725", 2);
  /* NaN at (0, 1), +Inf at (0, 2), -Inf at (1, 1): hatched grey */
  g_assert_true (region_is_no_data (s, g.x + g.cell_width + 2, g.y + 2,
                                    g.x + 2 * g.cell_width - 3, g.y + g.cell_height - 3));
  g_assert_true (region_is_no_data (s, g.x + 2 * g.cell_width + 2, g.y + 2,
                                    g.x + 3 * g.cell_width - 3, g.y + g.cell_height - 3));
  g_assert_true (region_is_no_data (s, g.x + g.cell_width + 2, g.y + g.cell_height + 2,
                                    g.x + 2 * g.cell_width - 3, g.y + 2 * g.cell_height - 3));
  /* a finite cell is not */
  g_assert_false (region_is_no_data (s, g.x + 2, g.y + 2, g.x + g.cell_width - 3,
                                     g.y + g.cell_height - 3));
  cairo_surface_destroy (s);
}

static void
test_heatmap_degenerate (void)
{
  double seven[] = { 7, 7, 7, 7, 7, 7 };
  double one[] = { 42 };
  double nans[] = { NAN, NAN };
  LbHeatmapData data = { 0 };
  LbHeatmapGeometry g;
  cairo_surface_t *s;
  cairo_t *cr;

  /* empty: "no data" over the whole area, nothing coloured */
  s = new_surface (200, 120, &cr);
  lb_heatmap_render (cr, 200, 120, &data, NULL, &g);
  cairo_destroy (cr);
  dump (s, "heatmap-empty");
  g_assert_cmpuint (g.n_rows, ==, 0);
  g_assert_true (region_is_no_data (s, 10, 10, 40, 40));
  g_assert_cmpuint (count_near_hex (s, "#440154", 30), ==, 0);
  cairo_surface_destroy (s);

  /* rows but no values */
  data.n_rows = 3;
  data.n_cols = 2;
  s = new_surface (200, 120, &cr);
  lb_heatmap_render (cr, 200, 120, &data, NULL, &g);
  cairo_destroy (cr);
  g_assert_cmpuint (g.n_rows, ==, 0);
  cairo_surface_destroy (s);

  /* zero range: every cell the middle of the scale */
  data.values = seven;
  s = new_surface (200, 120, &cr);
  lb_heatmap_render (cr, 200, 120, &data, NULL, &g);
  cairo_destroy (cr);
  dump (s, "heatmap-zero-range");
  for (guint r = 0; r < 3; r++)
    for (guint c = 0; c < 2; c++)
      assert_pixel (s, g.x + (c + 0.5) * g.cell_width, g.y + (r + 0.5) * g.cell_height,
                    "#21918c", 2);
  cairo_surface_destroy (s);

  /* one cell */
  data.n_rows = data.n_cols = 1;
  data.values = one;
  s = new_surface (200, 120, &cr);
  lb_heatmap_render (cr, 200, 120, &data, NULL, &g);
  cairo_destroy (cr);
  assert_pixel (s, g.x + g.cell_width / 2, g.y + g.cell_height / 2, "#21918c", 2);
  cairo_surface_destroy (s);

  /* only NaN: cells hatched, no legend colours */
  data.n_cols = 2;
  data.values = nans;
  s = new_surface (200, 120, &cr);
  lb_heatmap_render (cr, 200, 120, &data, NULL, &g);
  cairo_destroy (cr);
  g_assert_false (g.has_range);
  g_assert_true (region_is_no_data (s, g.x + 2, g.y + 2, g.x + g.cell_width - 3,
                                    g.y + g.cell_height - 3));
  g_assert_cmpuint (count_near_hex (s, "#440154", 30), ==, 0);
  cairo_surface_destroy (s);

  /* far too small to draw anything: must not crash */
  data.values = seven;
  data.n_rows = 3;
  s = new_surface (3, 3, &cr);
  lb_heatmap_render (cr, 3, 3, &data, NULL, &g);
  cairo_destroy (cr);
  cairo_surface_destroy (s);
}

/* --- gauge -------------------------------------------------------------- */

static void
gauge_track_point (const LbGaugeGeometry *g,
                   double                 angle,
                   double                *x,
                   double                *y)
{
  *x = g->cx + cos (angle) * g->radius;
  *y = g->cy + sin (angle) * g->radius;
}

static void
test_gauge_full (void)
{
  LbGaugeData data = {
    .value = 100, .min = 0, .max = 100, .has_target = TRUE, .target = 90,
    .title = "Accuracy", .unit = "%", .digits = 0,
  };
  LbGaugeGeometry g;
  cairo_surface_t *s;
  cairo_t *cr;
  double x, y;

  g_assert_cmpint (lb_gauge_data_verdict (&data), ==, LB_GAUGE_PASS);
  s = new_surface (220, 200, &cr);
  lb_gauge_render (cr, 220, 200, &data, NULL, &g);
  cairo_destroy (cr);
  dump (s, "gauge-full");

  g_assert_cmpfloat (g.radius, >, 30);
  g_assert_cmpfloat (g.end_angle - g.start_angle, ==, 1.5 * G_PI);
  /* 100%: the success colour reaches the end of the arc ... */
  gauge_track_point (&g, g.end_angle - 0.04, &x, &y);
  assert_pixel (s, x, y, "#26a269", 3);
  /* ... and starts at its beginning */
  gauge_track_point (&g, g.start_angle + 0.04, &x, &y);
  assert_pixel (s, x, y, "#26a269", 3);
  cairo_surface_destroy (s);

  /* at the minimum nothing is filled: the end of the track is light grey */
  data.value = 0;
  g_assert_cmpint (lb_gauge_data_verdict (&data), ==, LB_GAUGE_FAIL);
  s = new_surface (220, 200, &cr);
  lb_gauge_render (cr, 220, 200, &data, NULL, &g);
  cairo_destroy (cr);
  gauge_track_point (&g, g.end_angle - 0.04, &x, &y);
  g_assert_false (pixel_near_hex (pixel_at (s, x, y), "#26a269", 40));
  g_assert_false (pixel_near_hex (pixel_at (s, x, y), "#e01b24", 40));
  g_assert_true (region_is_no_data (s, x - 1, y - 1, x + 1, y + 1));
  cairo_surface_destroy (s);
}

static void
test_gauge_fail (void)
{
  /* latency: lower is better; 120 ms against 50 ms fails */
  LbGaugeData data = {
    .value = 120, .has_target = TRUE, .target = 50, .lower_is_better = TRUE,
    .unit = "ms", .title = "Latency per token", .digits = 1,
  };
  LbGaugeGeometry g;
  cairo_surface_t *s;
  cairo_t *cr;
  double x, y, min, max;

  g_assert_cmpint (lb_gauge_data_verdict (&data), ==, LB_GAUGE_FAIL);
  lb_gauge_data_scale (&data, &min, &max);
  g_assert_cmpfloat (min, ==, 0);
  g_assert_cmpfloat (max, >=, 150);

  s = new_surface (220, 200, &cr);
  lb_gauge_render (cr, 220, 200, &data, NULL, &g);
  cairo_destroy (cr);
  dump (s, "gauge-fail");
  gauge_track_point (&g, g.start_angle + 0.1, &x, &y);
  assert_pixel (s, x, y, "#e01b24", 3);
  /* the target mark crosses the track in the foreground colour */
  gauge_track_point (&g, lb_gauge_geometry_angle (&g, 50), &x, &y);
  assert_pixel (s, x, y, "#2e3436", 40);
  cairo_surface_destroy (s);

  data.value = 30;
  g_assert_cmpint (lb_gauge_data_verdict (&data), ==, LB_GAUGE_PASS);
  data.has_target = FALSE;
  g_assert_cmpint (lb_gauge_data_verdict (&data), ==, LB_GAUGE_NEUTRAL);
  data.value = INFINITY;
  g_assert_cmpint (lb_gauge_data_verdict (&data), ==, LB_GAUGE_NO_DATA);
}

static void
test_gauge_no_data (void)
{
  LbGaugeData data = { .value = NAN, .has_target = TRUE, .target = 3, .digits = -1 };
  LbGaugeGeometry g;
  cairo_surface_t *s;
  cairo_t *cr;
  double x, y;

  s = new_surface (200, 180, &cr);
  lb_gauge_render (cr, 200, 180, &data, NULL, &g);
  cairo_destroy (cr);
  dump (s, "gauge-nan");
  /* no verdict colour anywhere, the track stays grey */
  g_assert_cmpuint (count_near_hex (s, "#26a269", 30), ==, 0);
  g_assert_cmpuint (count_near_hex (s, "#e01b24", 30), ==, 0);
  g_assert_cmpuint (count_near_hex (s, "#3584e4", 30), ==, 0);
  gauge_track_point (&g, g.start_angle + 0.1, &x, &y);
  g_assert_true (region_is_no_data (s, x - 1, y - 1, x + 1, y + 1));
  cairo_surface_destroy (s);

  /* zero range, NULL data, tiny surfaces */
  data.value = 0;
  data.min = data.max = 5;
  s = new_surface (200, 180, &cr);
  lb_gauge_render (cr, 200, 180, &data, NULL, &g);
  lb_gauge_render (cr, 200, 180, NULL, NULL, NULL);
  lb_gauge_render (cr, 2, 2, &data, NULL, NULL);
  cairo_destroy (cr);
  g_assert_cmpfloat (g.max, >, g.min);
  cairo_surface_destroy (s);
}

/* --- line chart --------------------------------------------------------- */

static void
test_line_series (void)
{
  double t[] = { 0, 10, 20, 30, 40, 50, 60 };
  double anon[] = { 100e6, 200e6, 300e6, NAN, 300e6, 200e6, 100e6 };
  double file[] = { 400e6, 400e6, 400e6, 400e6, 400e6, 400e6, 400e6 };
  LbLineSeries series[] = {
    { .name = "Anonymous", .n_points = 7, .x = t, .y = anon, .fill = TRUE },
    { .name = "File-backed", .n_points = 7, .x = t, .y = file },
  };
  LbLineChartData data = {
    .n_series = 2, .series = series, .title = "Memory", .x_format = LB_CHART_FORMAT_TIME,
    .y_format = LB_CHART_FORMAT_BYTES, .y_from_zero = TRUE,
  };
  LbPlotGeometry g;
  cairo_surface_t *s;
  cairo_t *cr;
  guint si, pi;
  double px, py;

  s = new_surface (480, 260, &cr);
  lb_line_chart_render (cr, 480, 260, &data, NULL, &g);
  cairo_destroy (cr);
  dump (s, "line");

  g_assert_cmpfloat (g.x_min, ==, 0);
  g_assert_cmpfloat (g.x_max, ==, 60);
  g_assert_cmpfloat (g.y_min, ==, 0);
  g_assert_cmpfloat (g.y_max, >=, 400e6);
  /* points of each series lie on a line of its colour */
  px = lb_plot_geometry_x_to_pixel (&g, 10);
  py = lb_plot_geometry_y_to_pixel (&g, 200e6);
  assert_pixel (s, px, py, "#3584e4", 25);
  px = lb_plot_geometry_x_to_pixel (&g, 45);
  py = lb_plot_geometry_y_to_pixel (&g, 400e6);
  assert_pixel (s, px, py, "#ff7800", 25);
  /* the NaN at t = 30 breaks the first line: nothing blue between 22 and 28 */
  for (double tx = 22; tx <= 28; tx += 1)
    g_assert_false (pixel_near_hex (pixel_at (s, lb_plot_geometry_x_to_pixel (&g, tx),
                                              lb_plot_geometry_y_to_pixel (&g, 300e6)),
                                    "#3584e4", 40));

  g_assert_true (lb_line_chart_nearest (&data, &g, lb_plot_geometry_x_to_pixel (&g, 50) + 2,
                                        lb_plot_geometry_y_to_pixel (&g, 200e6) - 1, 8, &si, &pi));
  g_assert_cmpuint (si, ==, 0);
  g_assert_cmpuint (pi, ==, 5);
  g_assert_false (lb_line_chart_nearest (&data, &g, g.x + g.width / 2, g.y - 100, 8, &si, &pi));
  cairo_surface_destroy (s);
}

static void
test_line_degenerate (void)
{
  double x1[] = { 5 };
  double y1[] = { 3 };
  double flat[] = { 2, 2, 2 };
  double inf[] = { INFINITY, NAN, -INFINITY };
  LbLineSeries one = { .name = "One", .n_points = 1, .x = x1, .y = y1 };
  LbLineChartData data = { .n_series = 1, .series = &one };
  LbPlotGeometry g;
  cairo_surface_t *s;
  cairo_t *cr;

  /* one point: a dot in the series colour, mid-plot */
  s = new_surface (300, 200, &cr);
  lb_line_chart_render (cr, 300, 200, &data, NULL, &g);
  cairo_destroy (cr);
  dump (s, "line-one-point");
  g_assert_cmpfloat (g.x_min, <, 5);
  g_assert_cmpfloat (g.x_max, >, 5);
  assert_pixel (s, lb_plot_geometry_x_to_pixel (&g, 5), lb_plot_geometry_y_to_pixel (&g, 3),
                "#3584e4", 10);
  cairo_surface_destroy (s);

  /* zero range in y, implicit x */
  one.x = NULL;
  one.y = flat;
  one.n_points = 3;
  s = new_surface (300, 200, &cr);
  lb_line_chart_render (cr, 300, 200, &data, NULL, &g);
  cairo_destroy (cr);
  g_assert_cmpfloat (g.y_max, >, g.y_min);
  assert_pixel (s, lb_plot_geometry_x_to_pixel (&g, 1), lb_plot_geometry_y_to_pixel (&g, 2),
                "#3584e4", 10);
  cairo_surface_destroy (s);

  /* nothing finite, no series, NULL data: the "no data" plot */
  one.y = inf;
  s = new_surface (300, 200, &cr);
  lb_line_chart_render (cr, 300, 200, &data, NULL, &g);
  cairo_destroy (cr);
  dump (s, "line-no-data");
  g_assert_true (region_is_no_data (s, g.x + 2, g.y + 2, g.x + 30, g.y + 20));
  cairo_surface_destroy (s);

  s = new_surface (300, 200, &cr);
  lb_line_chart_render (cr, 300, 200, NULL, NULL, &g);
  lb_line_chart_render (cr, 1, 1, &data, NULL, &g);
  cairo_destroy (cr);
  cairo_surface_destroy (s);
}

/* --- scatter ------------------------------------------------------------ */

static void
test_scatter_front (void)
{
  LbScatterPoint p[] = {
    { 1, 5, "a", 0 },
    { 2, 3, "b", 0 },
    { 3, 4, "c", 0 },   /* beaten by b */
    { 4, 1, "d", 1 },
    { 2, 3, "b2", 0 },  /* equal to b */
    { 5, 1, "e", 1 },   /* beaten by d */
    { NAN, 0, "nan", 1 },
    { 0.5, INFINITY, "inf", 1 },
  };
  guint idx[G_N_ELEMENTS (p)];
  guint n = lb_scatter_pareto_front (p, G_N_ELEMENTS (p), idx);

  g_assert_cmpuint (n, ==, 3);
  g_assert_cmpuint (idx[0], ==, 0);
  g_assert_cmpuint (idx[1], ==, 1);
  g_assert_cmpuint (idx[2], ==, 3);
  g_assert_cmpuint (lb_scatter_pareto_front (p, 0, idx), ==, 0);
}

static void
test_scatter_render (void)
{
  static const char *groups[] = { "Presets", "Planned" };
  LbScatterPoint p[] = {
    { 1.0e9, 0.20, "Q4_0", 0 },
    { 1.3e9, 0.05, "Q5_K_M", 0 },
    { 0.8e9, 0.60, "Q3_K_M", 0 },
    { 1.1e9, 0.08, "plan 1.1 GB", 1 },
    { 1.6e9, 0.01, "Q8_0", 0 },
  };
  LbScatterData data = {
    .n_points = G_N_ELEMENTS (p), .points = p, .n_groups = 2, .group_names = groups,
    .x_label = "Size", .y_label = "KL divergence", .x_format = LB_CHART_FORMAT_BYTES,
    .y_log = TRUE, .show_front = TRUE, .has_highlight = TRUE, .highlight = 3,
    .title = "Size vs. accuracy",
  };
  LbPlotGeometry g;
  cairo_surface_t *s;
  cairo_t *cr;
  guint idx;

  s = new_surface (480, 320, &cr);
  lb_scatter_render (cr, 480, 320, &data, NULL, &g);
  cairo_destroy (cr);
  dump (s, "scatter");

  g_assert_true (g.y_log);
  g_assert_cmpfloat (g.y_min, <, 0.01);
  /* each marker in its group's colour */
  assert_pixel (s, lb_plot_geometry_x_to_pixel (&g, 1.0e9), lb_plot_geometry_y_to_pixel (&g, 0.20),
                "#3584e4", 10);
  assert_pixel (s, lb_plot_geometry_x_to_pixel (&g, 1.1e9), lb_plot_geometry_y_to_pixel (&g, 0.08),
                "#ff7800", 10);
  g_assert_true (lb_scatter_nearest (&data, &g, lb_plot_geometry_x_to_pixel (&g, 1.3e9) + 3,
                                     lb_plot_geometry_y_to_pixel (&g, 0.05), 8, &idx));
  g_assert_cmpuint (idx, ==, 1);
  cairo_surface_destroy (s);

  /* a point at y = 0 cannot be on a log axis: left out, no crash */
  p[0].y = 0;
  p[1].x = NAN;
  s = new_surface (480, 320, &cr);
  lb_scatter_render (cr, 480, 320, &data, NULL, &g);
  cairo_destroy (cr);
  g_assert_false (lb_scatter_nearest (&data, &g, lb_plot_geometry_x_to_pixel (&g, 1.0e9),
                                      g.y + g.height - 1, 3, &idx));
  cairo_surface_destroy (s);

  /* one point, none */
  data.n_points = 1;
  data.points = &p[2];
  data.has_highlight = FALSE;
  s = new_surface (300, 200, &cr);
  lb_scatter_render (cr, 300, 200, &data, NULL, &g);
  cairo_destroy (cr);
  assert_pixel (s, lb_plot_geometry_x_to_pixel (&g, 0.8e9), lb_plot_geometry_y_to_pixel (&g, 0.6),
                "#3584e4", 10);
  cairo_surface_destroy (s);

  data.n_points = 0;
  s = new_surface (300, 200, &cr);
  lb_scatter_render (cr, 300, 200, &data, NULL, &g);
  cairo_destroy (cr);
  dump (s, "scatter-empty");
  g_assert_true (region_is_no_data (s, g.x + 2, g.y + 2, g.x + 30, g.y + 20));
  cairo_surface_destroy (s);
}

/* --- size bar ----------------------------------------------------------- */

static void
test_size_bar (void)
{
  LbSizeSegment seg[] = {
    { "Q8_0", 750e6 },
    { "Q4_K", 250e6 },
    { "F32", NAN },
    { "Q6_K", -5 },
  };
  LbSizeBarData data = { .n_segments = 4, .segments = seg, .budget = 2e9, .title = "Size" };
  LbSizeBarGeometry g;
  cairo_surface_t *s;
  cairo_t *cr;
  guint idx;
  double bx;

  g_assert_cmpfloat (lb_size_bar_data_total (&data), ==, 1e9);

  s = new_surface (480, 100, &cr);
  g_assert_cmpfloat (lb_size_bar_natural_height (cr, 480, &data, NULL), >, 40);
  lb_size_bar_render (cr, 480, 100, &data, NULL, &g);
  cairo_destroy (cr);
  dump (s, "size-bar");

  g_assert_cmpfloat (g.scale_max, >=, 2e9);
  /* the published GNOME palette colours of the two types */
  assert_pixel (s, g.x + g.width * (375e6 / g.scale_max), g.y + g.height / 2, "#1c71d8", 2);
  assert_pixel (s, g.x + g.width * (875e6 / g.scale_max), g.y + g.height / 2, "#ff7800", 2);
  /* the budget marker, in the foreground colour */
  bx = round (g.x + g.width * (2e9 / g.scale_max)) + 0.5;
  assert_pixel (s, bx, g.y + g.height / 2, "#2e3436", 30);
  g_assert_true (lb_size_bar_segment_at (&data, &g, g.x + 5, g.y + 2, &idx));
  g_assert_cmpuint (idx, ==, 0);
  g_assert_true (lb_size_bar_segment_at (&data, &g, g.x + g.width * (900e6 / g.scale_max),
                                         g.y + 2, &idx));
  g_assert_cmpuint (idx, ==, 1);
  g_assert_false (lb_size_bar_segment_at (&data, &g, g.x + g.width * 0.9, g.y + 2, &idx));
  /* within budget: no failure colour */
  g_assert_cmpuint (count_near_hex (s, "#e01b24", 20), ==, 0);
  cairo_surface_destroy (s);

  /* over budget: the total turns red */
  data.budget = 0.5e9;
  s = new_surface (480, 100, &cr);
  lb_size_bar_render (cr, 480, 100, &data, NULL, &g);
  cairo_destroy (cr);
  dump (s, "size-bar-over");
  g_assert_cmpuint (count_near_hex (s, "#e01b24", 20), >, 20);
  cairo_surface_destroy (s);

  /* nothing counts: "no data" bar */
  data.n_segments = 0;
  s = new_surface (480, 100, &cr);
  lb_size_bar_render (cr, 480, 100, &data, NULL, &g);
  lb_size_bar_render (cr, 480, 100, NULL, NULL, NULL);
  cairo_destroy (cr);
  g_assert_cmpfloat (g.total, ==, 0);
  g_assert_true (region_is_no_data (s, g.x + 4, g.y + 4, g.x + 30, g.y + g.height - 4));
  cairo_surface_destroy (s);
}

/* --- histogram ---------------------------------------------------------- */

static void
test_histogram_bins (void)
{
  float v[] = { -1, -0.5f, 0, 0.5f, 1, NAN, INFINITY };
  float same[] = { 0.25f, 0.25f, 0.25f };
  double counts[4], lo, hi;

  g_assert_true (lb_histogram_bin_floats (v, G_N_ELEMENTS (v), 4, counts, &lo, &hi));
  g_assert_cmpfloat (lo, ==, -1);
  g_assert_cmpfloat (hi, ==, 1);
  g_assert_cmpfloat (counts[0], ==, 1);
  g_assert_cmpfloat (counts[1], ==, 1);
  g_assert_cmpfloat (counts[2], ==, 1);
  g_assert_cmpfloat (counts[3], ==, 2);

  /* all equal: the range is widened around the value, which lands in the middle */
  g_assert_true (lb_histogram_bin_floats (same, 3, 4, counts, &lo, &hi));
  g_assert_cmpfloat (lo, <, 0.25);
  g_assert_cmpfloat (hi, >, 0.25);
  g_assert_cmpfloat (counts[1] + counts[2], ==, 3);

  g_assert_false (lb_histogram_bin_floats (v + 5, 2, 4, counts, &lo, &hi));
  g_assert_cmpfloat (counts[0] + counts[1] + counts[2] + counts[3], ==, 0);
}

static void
test_histogram_render (void)
{
  double counts[16];
  double levels[] = { -0.75, -0.25, 0.25, 0.75 };
  LbHistogramData data = {
    .n_bins = 16, .counts = counts, .lo = -1, .hi = 1, .n_levels = 4, .levels = levels,
    .title = "blk.0.attn_q.weight", .x_label = "Weight",
  };
  LbPlotGeometry g;
  cairo_surface_t *s;
  cairo_t *cr;
  guint bin;
  double px, blo, bhi;

  for (guint i = 0; i < 16; i++)
    counts[i] = 100 - (i - 7.5) * (i - 7.5);

  s = new_surface (480, 260, &cr);
  lb_histogram_render (cr, 480, 260, &data, NULL, &g);
  cairo_destroy (cr);
  dump (s, "histogram");

  /* a bar: the accent colour at 75% over white */
  px = lb_plot_geometry_x_to_pixel (&g, -0.5 + 0.0625);
  assert_pixel (s, px, lb_plot_geometry_y_to_pixel (&g, 10), "#67a3eb", 4);
  /* the level at 0.25: a vertical line of the second series colour, visible
   * above the bars too */
  px = round (lb_plot_geometry_x_to_pixel (&g, 0.25)) + 0.5;
  assert_pixel (s, px, g.y + 2, "#ff7800", 30);
  g_assert_true (lb_histogram_bin_at (&data, &g, lb_plot_geometry_x_to_pixel (&g, -0.99),
                                      g.y + g.height - 2, &bin));
  g_assert_cmpuint (bin, ==, 0);
  g_assert_true (lb_histogram_data_bin_range (&data, 15, &blo, &bhi));
  g_assert_cmpfloat (blo, ==, 0.875);
  g_assert_cmpfloat (bhi, ==, 1);
  cairo_surface_destroy (s);

  /* NaN counts, zero range, levels only, nothing */
  counts[3] = NAN;
  counts[4] = INFINITY;
  data.lo = data.hi = 0.5;
  data.log_counts = TRUE;
  s = new_surface (300, 200, &cr);
  lb_histogram_render (cr, 300, 200, &data, NULL, &g);
  cairo_destroy (cr);
  g_assert_cmpfloat (g.x_max, >, g.x_min);
  cairo_surface_destroy (s);

  data.counts = NULL;
  s = new_surface (300, 200, &cr);
  lb_histogram_render (cr, 300, 200, &data, NULL, &g);
  cairo_destroy (cr);
  dump (s, "histogram-levels-only");
  cairo_surface_destroy (s);

  data.n_levels = 0;
  s = new_surface (300, 200, &cr);
  lb_histogram_render (cr, 300, 200, &data, NULL, &g);
  cairo_destroy (cr);
  g_assert_true (region_is_no_data (s, g.x + 2, g.y + 2, g.x + 30, g.y + 20));
  cairo_surface_destroy (s);
}

/* --- precision grid ----------------------------------------------------- */

static void
test_precision_grid (void)
{
  static const char *types[] = { "Q4_K", "Q8_0", NULL, "F16", "Q4_K", "Q6_K" };
  static const char *rows[] = { "0", "1" };
  static const char *cols[] = { "attn_q", "attn_k", "ffn_down" };
  guint8 selected[6] = { 0, 0, 0, 0, 1, 0 };
  LbPrecisionGridData data = {
    .n_rows = 2, .n_cols = 3, .types = types, .row_labels = rows, .col_labels = cols,
    .selected = selected, .has_cursor = TRUE, .cursor_row = 1, .cursor_col = 2,
  };
  LbPrecisionGridGeometry g;
  cairo_surface_t *s;
  cairo_t *cr;
  guint row = 99, col = 99, n_types;
  const char **used;

  used = lb_precision_grid_data_types (&data, &n_types);
  g_assert_cmpuint (n_types, ==, 4);
  g_assert_cmpstr (used[0], ==, "F16");
  g_assert_cmpstr (used[1], ==, "Q8_0");
  g_assert_cmpstr (used[2], ==, "Q6_K");
  g_assert_cmpstr (used[3], ==, "Q4_K");
  g_free (used);

  s = new_surface (420, 200, &cr);
  lb_precision_grid_render (cr, 420, 200, &data, NULL, &g);
  cairo_destroy (cr);
  dump (s, "grid");

  g_assert_cmpfloat (g.cell_width, >, 20);
  /* a quarter into each cell, away from the type name in its middle */
  assert_pixel (s, g.x + g.cell_width * 0.15, g.y + g.cell_height * 0.3, "#ff7800", 2);
  assert_pixel (s, g.x + g.cell_width * 1.15, g.y + g.cell_height * 0.3, "#1c71d8", 2);
  assert_pixel (s, g.x + g.cell_width * 0.15, g.y + g.cell_height * 1.3, "#77767b", 2);
  /* the absent tensor is hatched */
  g_assert_true (region_is_no_data (s, g.x + 2 * g.cell_width + 3, g.y + 3,
                                    g.x + 3 * g.cell_width - 4, g.y + g.cell_height - 4));
  /* the selected Q4_K cell is tinted with the accent: no longer pure orange */
  g_assert_false (pixel_near_hex (pixel_at (s, g.x + g.cell_width * 1.15,
                                            g.y + g.cell_height * 1.3), "#ff7800", 10));

  g_assert_cmpint (lb_precision_grid_geometry_hit (&g, g.x + g.cell_width * 2.5,
                                                   g.y + g.cell_height * 1.5, &row, &col),
                   ==, LB_GRID_HIT_CELL);
  g_assert_cmpuint (row, ==, 1);
  g_assert_cmpuint (col, ==, 2);
  g_assert_cmpint (lb_precision_grid_geometry_hit (&g, g.x - 3, g.y + g.cell_height * 0.5,
                                                   &row, &col), ==, LB_GRID_HIT_ROW_HEADER);
  g_assert_cmpuint (row, ==, 0);
  g_assert_cmpint (lb_precision_grid_geometry_hit (&g, g.x + g.cell_width * 1.5, g.y - 2,
                                                   &row, &col), ==, LB_GRID_HIT_COL_HEADER);
  g_assert_cmpuint (col, ==, 1);
  g_assert_cmpint (lb_precision_grid_geometry_hit (&g, g.x - 3, g.y - 2, &row, &col),
                   ==, LB_GRID_HIT_CORNER);
  g_assert_cmpint (lb_precision_grid_geometry_hit (&g, g.x + g.width + 5, g.y + 5, &row, &col),
                   ==, LB_GRID_HIT_NONE);
  cairo_surface_destroy (s);

  /* nothing */
  data.n_rows = 0;
  s = new_surface (200, 100, &cr);
  lb_precision_grid_render (cr, 200, 100, &data, NULL, &g);
  lb_precision_grid_render (cr, 200, 100, NULL, NULL, NULL);
  cairo_destroy (cr);
  g_assert_cmpint (lb_precision_grid_geometry_hit (&g, 50, 50, &row, &col), ==, LB_GRID_HIT_NONE);
  g_assert_true (region_is_no_data (s, 10, 10, 40, 40));
  cairo_surface_destroy (s);
}

/* --- headless PNG ------------------------------------------------------- */

static guint32
read_be32 (const guint8 *p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) | ((guint32) p[2] << 8) | p[3];
}

static void
test_png_write (void)
{
  static const guint8 signature[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
  double values[] = { 1, 2, 3, NAN };
  LbHeatmapData data = { .n_rows = 2, .n_cols = 2, .values = values };
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("lb-chart-XXXXXX", &error);
  g_autofree char *path = NULL;
  g_autofree char *bad = NULL;
  g_autofree char *contents = NULL;
  gsize len;

  g_assert_no_error (error);
  path = g_build_filename (dir, "heatmap.png", NULL);
  g_assert_true (lb_chart_write_png (path, LB_CHART_HEATMAP, &data, NULL, 300, 200, 2, &error));
  g_assert_no_error (error);

  /* a PNG by its signature, IHDR first, of the scaled size */
  g_assert_true (g_file_get_contents (path, &contents, &len, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (len, >, 33);
  g_assert_true (memcmp (contents, signature, 8) == 0);
  g_assert_true (memcmp (contents + 12, "IHDR", 4) == 0);
  g_assert_cmpuint (read_be32 ((const guint8 *) contents + 16), ==, 600);
  g_assert_cmpuint (read_be32 ((const guint8 *) contents + 20), ==, 400);
  g_assert_cmpint (g_unlink (path), ==, 0);

  /* a folder that does not exist: an error naming the problem */
  bad = g_build_filename (dir, "missing", "x.png", NULL);
  g_assert_false (lb_chart_write_png (bad, LB_CHART_GAUGE, NULL, NULL, 100, 100, 1, &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
  g_assert_nonnull (strstr (error->message, "missing"));
  g_clear_error (&error);

  /* impossible sizes */
  g_assert_false (lb_chart_write_png (path, LB_CHART_GAUGE, NULL, NULL, 0, 100, 1, &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL);
  g_clear_error (&error);
  g_assert_false (lb_chart_write_png (path, LB_CHART_GAUGE, NULL, NULL, 100000, 100000, 1, &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL);
  g_clear_error (&error);
  g_assert_false (lb_chart_write_png (path, LB_CHART_GAUGE, NULL, NULL, 10, 10, NAN, &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL);
  g_clear_error (&error);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  g_assert_cmpint (g_rmdir (dir), ==, 0);
}

static void
test_every_kind_survives (void)
{
  /* NULL data and tiny sizes for every kind, through the generic entry */
  static const int sizes[][2] = { { 1, 1 }, { 7, 5 }, { 40, 30 }, { 320, 200 } };

  for (LbChartKind k = LB_CHART_HEATMAP; k <= LB_CHART_PRECISION_GRID; k++)
    for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
      {
        g_autoptr(GError) error = NULL;
        cairo_surface_t *s = lb_chart_render_surface (k, NULL, NULL, sizes[i][0], sizes[i][1],
                                                      1, &error);
        g_assert_no_error (error);
        g_assert_nonnull (s);
        g_assert_cmpint (cairo_image_surface_get_width (s), ==, sizes[i][0]);
        /* the default style paints an opaque background */
        g_assert_cmpint (pixel_at (s, 0, 0).a, ==, 255);
        cairo_surface_destroy (s);
      }
}

static void
test_dark_style (void)
{
  double values[] = { 0, 1 };
  LbHeatmapData data = { .n_rows = 1, .n_cols = 2, .values = values };
  LbChartStyle style;
  LbHeatmapGeometry g;
  cairo_surface_t *s;
  cairo_t *cr;

  lb_chart_style_init_dark (&style);
  s = new_surface (200, 100, &cr);
  lb_heatmap_render (cr, 200, 100, &data, &style, &g);
  cairo_destroy (cr);
  dump (s, "heatmap-dark");
  assert_pixel (s, 1, 1, "#242424", 1);
  assert_pixel (s, g.x + g.cell_width / 2, g.y + g.cell_height / 2, "#440154", 2);
  cairo_surface_destroy (s);

  /* a transparent background leaves the surface untouched */
  style.background.alpha = 0;
  s = new_surface (200, 100, &cr);
  lb_heatmap_render (cr, 200, 100, &data, &style, &g);
  cairo_destroy (cr);
  g_assert_cmpint (pixel_at (s, 1, 1).a, ==, 0);
  cairo_surface_destroy (s);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/lowbit/chart-render/colormap", test_colormap_endpoints);
  g_test_add_func ("/lowbit/chart-render/quant-colors", test_quant_colors);
  g_test_add_func ("/lowbit/chart-render/format", test_format);
  g_test_add_func ("/lowbit/chart-render/ticks", test_ticks);
  g_test_add_func ("/lowbit/chart-render/heatmap/min-max", test_heatmap_min_max);
  g_test_add_func ("/lowbit/chart-render/heatmap/non-finite", test_heatmap_non_finite);
  g_test_add_func ("/lowbit/chart-render/heatmap/degenerate", test_heatmap_degenerate);
  g_test_add_func ("/lowbit/chart-render/gauge/full", test_gauge_full);
  g_test_add_func ("/lowbit/chart-render/gauge/fail", test_gauge_fail);
  g_test_add_func ("/lowbit/chart-render/gauge/no-data", test_gauge_no_data);
  g_test_add_func ("/lowbit/chart-render/line/series", test_line_series);
  g_test_add_func ("/lowbit/chart-render/line/degenerate", test_line_degenerate);
  g_test_add_func ("/lowbit/chart-render/scatter/front", test_scatter_front);
  g_test_add_func ("/lowbit/chart-render/scatter/render", test_scatter_render);
  g_test_add_func ("/lowbit/chart-render/size-bar", test_size_bar);
  g_test_add_func ("/lowbit/chart-render/histogram/bins", test_histogram_bins);
  g_test_add_func ("/lowbit/chart-render/histogram/render", test_histogram_render);
  g_test_add_func ("/lowbit/chart-render/precision-grid", test_precision_grid);
  g_test_add_func ("/lowbit/chart-render/png", test_png_write);
  g_test_add_func ("/lowbit/chart-render/every-kind", test_every_kind_survives);
  g_test_add_func ("/lowbit/chart-render/dark", test_dark_style);

  return g_test_run ();
}
