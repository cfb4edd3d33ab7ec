/* lb-chart-common.h: colours, style, value formats and plot geometry shared
 * by the GTK-free chart renderers (cairo + pango only). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  double red;
  double green;
  double blue;
  double alpha;
} LbChartColor;

#define LB_CHART_N_SERIES_COLORS 6

/* Everything a renderer needs to know about looks. The GTK widgets fill it
 * from the theme; headless callers start from lb_chart_style_init_light(). */
typedef struct {
  LbChartColor foreground;   /* text, axis lines */
  LbChartColor background;   /* painted first unless alpha is 0 */
  LbChartColor grid;         /* grid lines, empty gauge track */
  LbChartColor no_data;      /* cells and areas without data */
  LbChartColor accent;       /* neutral values, selections */
  LbChartColor success;      /* a target met */
  LbChartColor warning;
  LbChartColor failure;      /* a target missed */
  LbChartColor series[LB_CHART_N_SERIES_COLORS];
  char         font_family[64];
  double       font_size;    /* pixels (cairo user units) */
} LbChartStyle;

/* How axis ticks, legends and tooltips print a value */
typedef enum {
  LB_CHART_FORMAT_PLAIN,     /* 0.25, 12.5, 3e-05 */
  LB_CHART_FORMAT_BYTES,     /* decimal units: 512 MB, 1.2 GB */
  LB_CHART_FORMAT_PERCENT,   /* the value is a fraction: 0.5 -> 50% */
  LB_CHART_FORMAT_TIME,      /* seconds: 45 s, 1:30, 1:02:03 */
  LB_CHART_FORMAT_DECIBEL,   /* 23.5 dB */
  LB_CHART_FORMAT_COSINE,    /* close to 1: enough decimals for 3 digits of 1 - v, 0.99873 */
} LbChartFormat;

/* The plotting rectangle of an x/y chart and the data ranges it shows */
typedef struct {
  double   x, y, width, height;
  double   x_min, x_max;
  double   y_min, y_max;
  gboolean x_log;
  gboolean y_log;
} LbPlotGeometry;

void     lb_chart_style_init_light (LbChartStyle *style);
void     lb_chart_style_init_dark  (LbChartStyle *style);
/* Recompute grid and no_data from foreground (after changing it) */
void     lb_chart_style_derive     (LbChartStyle *style);
/* NULL gives the light default; the returned style is static */
const LbChartStyle *lb_chart_style_get_default (void);

/* "#rrggbb" or "#rrggbbaa"; FALSE and *out untouched when malformed */
gboolean lb_chart_color_parse     (const char *text, LbChartColor *out);
void     lb_chart_color_mix       (const LbChartColor *a, const LbChartColor *b,
                                   double t, LbChartColor *out);
double   lb_chart_color_luminance (const LbChartColor *color);
/* Black or white, whichever reads better on top of background */
void     lb_chart_color_contrast  (const LbChartColor *background, LbChartColor *out);

/* Smallest and largest finite value of v[0..n); FALSE when there is none */
gboolean lb_chart_data_range      (const double *v, gsize n, double *min, double *max);
/* Widens an empty or inverted range so that it can be drawn */
void     lb_chart_range_fix       (double *min, double *max, gboolean log_scale);

/* A value as text. step: the distance between neighbouring ticks, which
 * sets the number of decimals (0 or NaN: pick from the value alone). */
char    *lb_chart_format_value    (double value, LbChartFormat format, double step);

double   lb_plot_geometry_x_to_pixel (const LbPlotGeometry *g, double x);
double   lb_plot_geometry_y_to_pixel (const LbPlotGeometry *g, double y);
double   lb_plot_geometry_pixel_to_x (const LbPlotGeometry *g, double px);
double   lb_plot_geometry_pixel_to_y (const LbPlotGeometry *g, double py);
gboolean lb_plot_geometry_contains   (const LbPlotGeometry *g, double px, double py);

G_END_DECLS
