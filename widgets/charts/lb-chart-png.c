/* lb-chart-png.c: headless rendering through cairo image surfaces */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <math.h>

#include "lb-chart-png.h"
#include "lb-gauge-render.h"
#include "lb-heatmap-render.h"
#include "lb-histogram-render.h"
#include "lb-line-chart-render.h"
#include "lb-precision-grid-render.h"
#include "lb-scatter-render.h"
#include "lb-size-bar-render.h"

/* Larger images are certainly a mistake (and would need gigabytes) */
#define MAX_PIXELS (16384 * 16384)

void
lb_chart_draw (cairo_t            *cr,
               LbChartKind         kind,
               gconstpointer       data,
               const LbChartStyle *style,
               double              width,
               double              height)
{
  g_return_if_fail (cr != NULL);

  switch (kind)
    {
    case LB_CHART_HEATMAP:
      lb_heatmap_render (cr, width, height, data, style, NULL);
      break;
    case LB_CHART_GAUGE:
      lb_gauge_render (cr, width, height, data, style, NULL);
      break;
    case LB_CHART_LINE:
      lb_line_chart_render (cr, width, height, data, style, NULL);
      break;
    case LB_CHART_SCATTER:
      lb_scatter_render (cr, width, height, data, style, NULL);
      break;
    case LB_CHART_SIZE_BAR:
      lb_size_bar_render (cr, width, height, data, style, NULL);
      break;
    case LB_CHART_HISTOGRAM:
      lb_histogram_render (cr, width, height, data, style, NULL);
      break;
    case LB_CHART_PRECISION_GRID:
      lb_precision_grid_render (cr, width, height, data, style, NULL);
      break;
    default:
      g_return_if_reached ();
    }
}

cairo_surface_t *
lb_chart_new_surface (int width, int height, double scale, GError **error)
{
  cairo_surface_t *surface;
  double pw, ph;

  if (!(scale > 0 && scale <= 8))
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                   _("Chart scale %g is out of range: use a value from 0.25 to 8"), scale);
      return NULL;
    }
  pw = ceil (width * scale);
  ph = ceil (height * scale);
  if (width <= 0 || height <= 0 || pw * ph > MAX_PIXELS)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                   _("Chart size %d × %d at scale %g is not possible: width and height "
                     "must be positive and the image at most %d pixels"),
                   width, height, scale, MAX_PIXELS);
      return NULL;
    }

  surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, (int) pw, (int) ph);
  if (cairo_surface_status (surface) != CAIRO_STATUS_SUCCESS)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOMEM,
                   _("Could not create a %d × %d chart image: %s"), (int) pw, (int) ph,
                   cairo_status_to_string (cairo_surface_status (surface)));
      cairo_surface_destroy (surface);
      return NULL;
    }
  return surface;
}

cairo_surface_t *
lb_chart_render_surface (LbChartKind         kind,
                         gconstpointer       data,
                         const LbChartStyle *style,
                         int                 width,
                         int                 height,
                         double              scale,
                         GError            **error)
{
  cairo_surface_t *surface;
  cairo_t *cr;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  surface = lb_chart_new_surface (width, height, scale, error);
  if (surface == NULL)
    return NULL;
  cr = cairo_create (surface);
  cairo_scale (cr, scale, scale);
  lb_chart_draw (cr, kind, data, style, width, height);
  cairo_destroy (cr);
  cairo_surface_flush (surface);
  return surface;
}

static cairo_status_t
append_bytes (void                *closure,
              const unsigned char *data,
              unsigned int         length)
{
  g_byte_array_append (closure, data, length);
  return CAIRO_STATUS_SUCCESS;
}

GBytes *
lb_chart_render_png (LbChartKind         kind,
                     gconstpointer       data,
                     const LbChartStyle *style,
                     int                 width,
                     int                 height,
                     double              scale,
                     GError            **error)
{
  cairo_surface_t *surface;
  GBytes *png;

  surface = lb_chart_render_surface (kind, data, style, width, height, scale, error);
  if (surface == NULL)
    return NULL;
  png = lb_chart_surface_to_png (surface, error);
  cairo_surface_destroy (surface);
  return png;
}

GBytes *
lb_chart_surface_to_png (cairo_surface_t *surface, GError **error)
{
  cairo_status_t status;
  GByteArray *png = g_byte_array_new ();

  status = cairo_surface_write_to_png_stream (surface, append_bytes, png);
  if (status != CAIRO_STATUS_SUCCESS)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                   _("Could not encode the chart as PNG: %s"), cairo_status_to_string (status));
      g_byte_array_unref (png);
      return NULL;
    }
  return g_byte_array_free_to_bytes (png);
}

gboolean
lb_chart_write_png (const char         *path,
                    LbChartKind         kind,
                    gconstpointer       data,
                    const LbChartStyle *style,
                    int                 width,
                    int                 height,
                    double              scale,
                    GError            **error)
{
  g_autoptr(GBytes) png = NULL;

  g_return_val_if_fail (path != NULL, FALSE);

  png = lb_chart_render_png (kind, data, style, width, height, scale, error);
  return png != NULL && lb_chart_png_save (path, png, error);
}

gboolean
lb_chart_png_save (const char *path, GBytes *png, GError **error)
{
  g_autoptr(GError) local_error = NULL;
  gsize size;
  const guint8 *bytes = g_bytes_get_data (png, &size);

  /* CONSISTENT: a temporary file, fsync, then rename over path */
  if (!g_file_set_contents_full (path, (const char *) bytes, (gssize) size,
                                 G_FILE_SET_CONTENTS_CONSISTENT, 0644, &local_error))
    {
      g_set_error (error, local_error->domain, local_error->code,
                   _("Could not write the chart image: %s"), local_error->message);
      return FALSE;
    }
  return TRUE;
}
