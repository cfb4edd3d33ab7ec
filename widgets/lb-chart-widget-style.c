/* lb-chart-widget-style.c: the chart style from the widget's theme: its
 * colour, the theme's named colours and its font */
#include "config.h"

#include "lb-chart-widget-private.h"

static void
rgba_to_color (const GdkRGBA *rgba,
               LbChartColor  *color)
{
  color->red = rgba->red;
  color->green = rgba->green;
  color->blue = rgba->blue;
  color->alpha = rgba->alpha;
}

/* The first of the named colours the theme defines (libadwaita names
 * first, then those of GTK's own theme) */
static gboolean
lookup_color (GtkStyleContext *context,
              LbChartColor    *color,
              ...)
{
  gboolean found = FALSE;
  const char *name;
  va_list ap;
  GdkRGBA rgba;

  va_start (ap, color);
  while (!found && (name = va_arg (ap, const char *)) != NULL)
    {
      G_GNUC_BEGIN_IGNORE_DEPRECATIONS
      found = gtk_style_context_lookup_color (context, name, &rgba);
      G_GNUC_END_IGNORE_DEPRECATIONS
    }
  va_end (ap);
  if (found)
    rgba_to_color (&rgba, color);
  return found;
}

void
lb_chart_widget_get_style (GtkWidget    *widget,
                           LbChartStyle *style)
{
  GtkStyleContext *context;
  PangoContext *pango;
  const PangoFontDescription *font;
  LbChartColor fg, accent;
  gboolean dark;
  GdkRGBA rgba;

  g_return_if_fail (GTK_IS_WIDGET (widget));
  g_return_if_fail (style != NULL);

  /* GTK 4.10 has gtk_widget_get_color(); 4.8 only the style context */
#if GTK_CHECK_VERSION (4, 10, 0)
  gtk_widget_get_color (widget, &rgba);
#else
  gtk_style_context_get_color (gtk_widget_get_style_context (widget), &rgba);
#endif
  rgba_to_color (&rgba, &fg);

  /* a light foreground means a dark theme: start from the dark palette */
  dark = lb_chart_color_luminance (&fg) > 0.5;
  if (dark)
    lb_chart_style_init_dark (style);
  else
    lb_chart_style_init_light (style);
  style->foreground = fg;
  style->background.alpha = 0;

  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  context = gtk_widget_get_style_context (widget);
  G_GNUC_END_IGNORE_DEPRECATIONS
  /* GTK's own dark theme has a deep blue selection colour that vanishes as
   * a line on a dark background: keep the palette's lighter blue then */
  if (lookup_color (context, &accent, "accent_bg_color", "theme_selected_bg_color", NULL)
      && !(dark && lb_chart_color_luminance (&accent) < 0.2))
    style->accent = accent;
  lookup_color (context, &style->success, "success_bg_color", "success_color", NULL);
  lookup_color (context, &style->warning, "warning_bg_color", "warning_color", NULL);
  lookup_color (context, &style->failure, "error_bg_color", "error_color", NULL);
  style->series[0] = style->accent;
  lb_chart_style_derive (style);

  /* chart text a little smaller than the body text */
  pango = gtk_widget_get_pango_context (widget);
  font = pango_context_get_font_description (pango);
  if (font != NULL)
    {
      const char *family = pango_font_description_get_family (font);
      double size = (double) pango_font_description_get_size (font) / PANGO_SCALE;

      if (family != NULL)
        g_strlcpy (style->font_family, family, sizeof style->font_family);
      if (!pango_font_description_get_size_is_absolute (font))
        {
          double dpi = pango_cairo_context_get_resolution (pango);
          size *= (dpi > 0 ? dpi : 96.0) / 72.0;
        }
      if (size > 0)
        style->font_size = size * 0.86;
    }
}
