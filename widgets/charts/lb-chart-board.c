/* lb-chart-board.c: panels of charts on one image surface */
#include "config.h"

#include <errno.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

#include "lb-bar-chart-render.h"
#include "lb-chart-board.h"
#include "lb-chart-draw-private.h"

/* as lb-chart-png.c: anything larger is a mistake */
#define TITLE_SIZE  1.25

void
lb_chart_panel_draw_bars (cairo_t            *cr,
                          double              width,
                          double              height,
                          gconstpointer       data,
                          const LbChartStyle *style)
{
  lb_bar_chart_render (cr, width, height, data, style, NULL);
}

double
lb_chart_board_title_height (const char         *title,
                             const LbChartStyle *style)
{
  style = lb_chart_style_or_default (style);
  if (title == NULL)
    return 0;
  /* a line of the title font and the padding around it */
  return ceil ((style->font_size > 0 ? style->font_size : 12.0) * TITLE_SIZE * 1.5)
         + 2 * LB_CHART_PAD;
}

void
lb_chart_board_draw (cairo_t            *cr,
                     const char         *title,
                     const LbChartPanel *panels,
                     guint               n_panels,
                     const LbChartStyle *style,
                     double              width,
                     double              height)
{
  double top;

  g_return_if_fail (cr != NULL);
  g_return_if_fail (panels != NULL || n_panels == 0);

  style = lb_chart_style_or_default (style);
  top = lb_chart_board_title_height (title, style);
  cairo_save (cr);
  lb_chart_paint_background (cr, style, width, height);
  if (title != NULL)
    lb_chart_show_text (cr, style, title, TITLE_SIZE, PANGO_WEIGHT_BOLD, LB_CHART_PAD,
                        top / 2, 0, 0.5, &style->foreground);

  for (guint i = 0; i < n_panels; i++)
    {
      const LbChartPanel *p = &panels[i];

      if (!(p->width > 0 && p->height > 0))
        continue;
      cairo_save (cr);
      cairo_translate (cr, p->x, top + p->y);
      cairo_rectangle (cr, 0, 0, p->width, p->height);
      cairo_clip (cr);
      if (p->draw != NULL)
        p->draw (cr, p->width, p->height, p->data, style);
      else
        lb_chart_draw (cr, p->kind, p->data, style, p->width, p->height);
      cairo_restore (cr);
    }
  cairo_restore (cr);
}

GBytes *
lb_chart_board_render_png (const char         *title,
                           const LbChartPanel *panels,
                           guint               n_panels,
                           const LbChartStyle *style,
                           int                 width,
                           int                 height,
                           GError            **error)
{
  cairo_surface_t *surface;
  GBytes *png;
  cairo_t *cr;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  surface = lb_chart_new_surface (width, height, 1.0, error);
  if (surface == NULL)
    return NULL;
  cr = cairo_create (surface);
  lb_chart_board_draw (cr, title, panels, n_panels, style, width, height);
  cairo_destroy (cr);
  cairo_surface_flush (surface);
  png = lb_chart_surface_to_png (surface, error);
  cairo_surface_destroy (surface);
  return png;
}

gboolean
lb_chart_board_write_png (const char         *path,
                          const char         *title,
                          const LbChartPanel *panels,
                          guint               n_panels,
                          const LbChartStyle *style,
                          int                 width,
                          int                 height,
                          GError            **error)
{
  g_autoptr (GBytes) png = NULL;

  g_return_val_if_fail (path != NULL, FALSE);

  png = lb_chart_board_render_png (title, panels, n_panels, style, width, height, error);
  return png != NULL && lb_chart_png_save (path, png, error);
}

gboolean
lb_chart_png_path_check (const char  *path,
                         const char  *option,
                         GError     **error)
{
  g_autofree char *dir = NULL;
  g_autofree char *what = NULL;

  g_return_val_if_fail (path != NULL, FALSE);

  what = option != NULL ? g_strdup_printf ("%s %s", option, path) : g_strdup (path);
  if (*path == '\0')
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                   _("%s: the image file name is empty"), what);
      return FALSE;
    }
  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_ISDIR,
                   _("%s: that is a folder; give a file name such as report.png"), what);
      return FALSE;
    }
  dir = g_path_get_dirname (path);
  if (!g_file_test (dir, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT,
                   _("%s: cannot write the image there: the folder %s does not exist"),
                   what, dir);
      return FALSE;
    }
  /* the image goes to a temporary file in dir that is renamed over path */
  if (access (dir, W_OK) != 0)
    {
      int saved = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                   _("%s: cannot write the image into the folder %s: %s"), what, dir,
                   g_strerror (saved));
      return FALSE;
    }
  return TRUE;
}
