/* lb-heatmap.c: the GTK face of lb-heatmap-render: data copies, the range
 * computed when data arrives, tooltips, a click signal */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <math.h>

#include "lb-chart-widget-private.h"
#include "lb-heatmap.h"
#include "lb-widgets-enums.h"

struct _LbHeatmap
{
  LbChartWidget      parent_instance;

  guint              n_rows;
  guint              n_cols;
  double            *values;
  char             **row_labels;
  char             **col_labels;
  char              *legend_label;
  LbColormap         colormap;
  LbChartFormat      format;
  gboolean           reverse;
  gboolean           log_scale;
  char             **notes;            /* n_rows * n_cols or NULL: more for the tooltips */

  gboolean           fixed_range;
  double             fixed_min, fixed_max;
  gboolean           has_data_range;   /* the data's own range, found in set_data */
  double             data_min, data_max;

  int                highlight_row;
  int                highlight_col;

  LbHeatmapGeometry  geometry;
};

enum {
  PROP_0,
  PROP_LEGEND_LABEL,
  PROP_COLORMAP,
  PROP_REVERSE,
  PROP_LOG_SCALE,
  PROP_FORMAT,
  PROP_N_ROWS,
  PROP_N_COLS,
  N_PROPS
};

enum {
  CELL_ACTIVATED,
  N_SIGNALS
};

G_DEFINE_FINAL_TYPE (LbHeatmap, lb_heatmap, LB_TYPE_CHART_WIDGET)

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void
fill_data (LbHeatmap     *self,
           LbHeatmapData *data)
{
  *data = (LbHeatmapData) {
    .n_rows = self->n_rows, .n_cols = self->n_cols, .values = self->values,
    .row_labels = (const char * const *) self->row_labels,
    .col_labels = (const char * const *) self->col_labels,
    .title = lb_chart_widget_get_title (LB_CHART_WIDGET (self)),
    .legend_label = self->legend_label, .format = self->format,
    .colormap = self->colormap, .reverse = self->reverse, .log_scale = self->log_scale,
  };
  /* the range is known before drawing, so the renderer never scans */
  if (lb_heatmap_get_range (self, &data->min, &data->max))
    data->fixed_range = TRUE;
  if (self->highlight_row >= 0 && self->highlight_col >= 0)
    {
      data->has_highlight = TRUE;
      data->highlight_row = (guint) self->highlight_row;
      data->highlight_col = (guint) self->highlight_col;
    }
}

/* the data's own range, on the heatmap's scale */
static void
update_data_range (LbHeatmap *self)
{
  gsize n = (gsize) self->n_rows * self->n_cols;

  if (self->log_scale)
    self->has_data_range = lb_heatmap_positive_range (self->values, n, &self->data_min,
                                                      &self->data_max);
  else
    self->has_data_range = lb_chart_data_range (self->values, n, &self->data_min,
                                                &self->data_max);
}

static void
lb_heatmap_draw (LbChartWidget      *widget,
                 cairo_t            *cr,
                 int                 width,
                 int                 height,
                 const LbChartStyle *style)
{
  LbHeatmap *self = LB_HEATMAP (widget);
  LbHeatmapData data;

  fill_data (self, &data);
  lb_heatmap_render (cr, width, height, &data, style, &self->geometry);
}

static void
lb_heatmap_update_accessible (LbChartWidget *widget)
{
  LbHeatmap *self = LB_HEATMAP (widget);
  double min, max;
  g_autofree char *description = NULL;

  if (lb_heatmap_get_range (self, &min, &max))
    {
      char *a = lb_chart_format_value (min, self->format, NAN);
      char *b = lb_chart_format_value (max, self->format, NAN);
      /* Translators: rows × columns, then the range of the values */
      description = g_strdup_printf (_("%u × %u cells, values from %s to %s"),
                                     self->n_rows, self->n_cols, a, b);
      g_free (a);
      g_free (b);
    }
  else
    description = g_strdup (_("No data"));
  lb_chart_widget_set_description (widget, description);
}

static void
lb_heatmap_measure (GtkWidget      *widget,
                    GtkOrientation  orientation,
                    int             for_size,
                    int            *minimum,
                    int            *natural,
                    int            *minimum_baseline,
                    int            *natural_baseline)
{
  LbHeatmap *self = LB_HEATMAP (widget);
  guint n = orientation == GTK_ORIENTATION_HORIZONTAL ? self->n_cols : self->n_rows;

  GTK_WIDGET_CLASS (lb_heatmap_parent_class)->measure (widget, orientation, for_size, minimum,
                                                       natural, minimum_baseline,
                                                       natural_baseline);
  /* room for labels and legend, then a comfortable size per cell */
  if (n > 0 && orientation == GTK_ORIENTATION_HORIZONTAL)
    *natural = 150 + (int) MIN (n, 64) * 40;
  else if (n > 0)
    *natural = 60 + (int) MIN (n, 64) * 20;
}

static char *
lb_heatmap_describe_at (LbChartWidget *widget,
                        double         x,
                        double         y,
                        gboolean       keyboard)
{
  LbHeatmap *self = LB_HEATMAP (widget);
  guint row, col;

  if (!lb_heatmap_get_cell_at (self, x, y, &row, &col))
    return NULL;
  return lb_heatmap_describe_cell (self, row, col);
}

static void
click_released_cb (LbHeatmap       *self,
                   int              n_press,
                   double           x,
                   double           y,
                   GtkGestureClick *gesture)
{
  guint row, col;

  if (lb_heatmap_get_cell_at (self, x, y, &row, &col))
    g_signal_emit (self, signals[CELL_ACTIVATED], 0, row, col);
}

static void
lb_heatmap_finalize (GObject *object)
{
  LbHeatmap *self = LB_HEATMAP (object);

  g_free (self->values);
  lb_chart_strings_free (self->row_labels, self->n_rows);
  lb_chart_strings_free (self->col_labels, self->n_cols);
  g_free (self->legend_label);
  lb_chart_strings_free (self->notes, self->n_rows * self->n_cols);

  G_OBJECT_CLASS (lb_heatmap_parent_class)->finalize (object);
}

static void
lb_heatmap_class_init (LbHeatmapClass *klass)
{
  LbChartWidgetClass *chart_class = LB_CHART_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = lb_heatmap_finalize;
  GTK_WIDGET_CLASS (klass)->measure = lb_heatmap_measure;

  chart_class->draw = lb_heatmap_draw;
  chart_class->describe_at = lb_heatmap_describe_at;
  chart_class->update_accessible = lb_heatmap_update_accessible;
  lb_chart_widget_class_set_size_hints (chart_class, 120, 320, 80, 200);
  lb_chart_widget_class_set_names (chart_class, "lb-heatmap", GTK_ACCESSIBLE_ROLE_IMG,
                                   N_("Heatmap"));

  properties[PROP_LEGEND_LABEL] =
    lb_chart_widget_param (g_param_spec_string ("legend-label", NULL, NULL, NULL,
                                                LB_CHART_PARAM_RW),
                           G_CALLBACK (lb_heatmap_get_legend_label),
                           G_CALLBACK (lb_heatmap_set_legend_label));
  properties[PROP_COLORMAP] =
    lb_chart_widget_param (g_param_spec_enum ("colormap", NULL, NULL, LB_TYPE_COLORMAP,
                                              LB_COLORMAP_VIRIDIS, LB_CHART_PARAM_RW),
                           G_CALLBACK (lb_heatmap_get_colormap),
                           G_CALLBACK (lb_heatmap_set_colormap));
  properties[PROP_REVERSE] =
    lb_chart_widget_param (g_param_spec_boolean ("reverse", NULL, NULL, FALSE, LB_CHART_PARAM_RW),
                           G_CALLBACK (lb_heatmap_get_reverse),
                           G_CALLBACK (lb_heatmap_set_reverse));
  properties[PROP_LOG_SCALE] =
    lb_chart_widget_param (g_param_spec_boolean ("log-scale", NULL, NULL, FALSE, LB_CHART_PARAM_RW),
                           G_CALLBACK (lb_heatmap_get_log_scale),
                           G_CALLBACK (lb_heatmap_set_log_scale));
  properties[PROP_FORMAT] =
    lb_chart_widget_param (g_param_spec_enum ("format", NULL, NULL, LB_TYPE_CHART_FORMAT,
                                              LB_CHART_FORMAT_PLAIN, LB_CHART_PARAM_RW),
                           G_CALLBACK (lb_heatmap_get_format),
                           G_CALLBACK (lb_heatmap_set_format));
  properties[PROP_N_ROWS] =
    lb_chart_widget_param (g_param_spec_uint ("n-rows", NULL, NULL, 0, G_MAXUINT, 0,
                                              LB_CHART_PARAM_RO),
                           G_CALLBACK (lb_heatmap_get_n_rows),
                           NULL);
  properties[PROP_N_COLS] =
    lb_chart_widget_param (g_param_spec_uint ("n-cols", NULL, NULL, 0, G_MAXUINT, 0,
                                              LB_CHART_PARAM_RO),
                           G_CALLBACK (lb_heatmap_get_n_cols),
                           NULL);
  lb_chart_widget_class_install_properties (chart_class, N_PROPS, properties);

  /**
   * LbHeatmap::cell-activated:
   * @row: the row clicked
   * @col: the column clicked
   *
   * A cell was clicked (to drill into it).
   */
  signals[CELL_ACTIVATED] =
    g_signal_new ("cell-activated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_UINT, G_TYPE_UINT);
}

static void
lb_heatmap_init (LbHeatmap *self)
{
  self->highlight_row = -1;
  self->highlight_col = -1;

  lb_chart_widget_add_click (LB_CHART_WIDGET (self), "released",
                             G_CALLBACK (click_released_cb));
  lb_heatmap_update_accessible (LB_CHART_WIDGET (self));
}

GtkWidget *
lb_heatmap_new (void)
{
  return g_object_new (LB_TYPE_HEATMAP, NULL);
}

void
lb_heatmap_set_data (LbHeatmap          *self,
                     guint               n_rows,
                     guint               n_cols,
                     const double       *values,
                     const char * const *row_labels,
                     const char * const *col_labels)
{
  guint old_rows, old_cols;

  g_return_if_fail (LB_IS_HEATMAP (self));
  g_return_if_fail (n_cols == 0 || n_rows <= G_MAXUINT / n_cols);
  g_return_if_fail (values != NULL || (gsize) n_rows * n_cols == 0);

  old_rows = self->n_rows;
  old_cols = self->n_cols;
  g_free (self->values);
  lb_chart_strings_free (self->row_labels, self->n_rows);
  lb_chart_strings_free (self->col_labels, self->n_cols);
  lb_chart_strings_free (self->notes, self->n_rows * self->n_cols);
  self->notes = NULL;

  self->n_rows = n_rows;
  self->n_cols = n_cols;
  self->values = g_memdup2 (values, (gsize) n_rows * n_cols * sizeof (double));
  self->row_labels = lb_chart_strings_copy (row_labels, n_rows);
  self->col_labels = lb_chart_strings_copy (col_labels, n_cols);
  update_data_range (self);
  if (self->highlight_row >= (int) n_rows || self->highlight_col >= (int) n_cols)
    self->highlight_row = self->highlight_col = -1;

  g_object_freeze_notify (G_OBJECT (self));
  if (old_rows != n_rows)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ROWS]);
  if (old_cols != n_cols)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_COLS]);
  g_object_thaw_notify (G_OBJECT (self));

  lb_heatmap_update_accessible (LB_CHART_WIDGET (self));
  if (old_rows != n_rows || old_cols != n_cols)
    gtk_widget_queue_resize (GTK_WIDGET (self));
  lb_chart_widget_invalidate (LB_CHART_WIDGET (self));
}

guint
lb_heatmap_get_n_rows (LbHeatmap *self)
{
  g_return_val_if_fail (LB_IS_HEATMAP (self), 0);
  return self->n_rows;
}

guint
lb_heatmap_get_n_cols (LbHeatmap *self)
{
  g_return_val_if_fail (LB_IS_HEATMAP (self), 0);
  return self->n_cols;
}

double
lb_heatmap_get_value (LbHeatmap *self,
                      guint      row,
                      guint      col)
{
  g_return_val_if_fail (LB_IS_HEATMAP (self), NAN);

  if (row >= self->n_rows || col >= self->n_cols)
    return NAN;
  return self->values[(gsize) row * self->n_cols + col];
}

LB_CHART_WIDGET_DEFINE_TITLE_ACCESSORS (LbHeatmap, lb_heatmap, LB_IS_HEATMAP)

/* lb_heatmap_get_legend_label (), lb_heatmap_set_legend_label (), the same
 * for colormap and reverse */
LB_CHART_WIDGET_DEFINE_STRING_ACCESSORS (LbHeatmap, lb_heatmap, LB_IS_HEATMAP, legend_label,
                                         properties[PROP_LEGEND_LABEL])
LB_CHART_WIDGET_DEFINE_ENUM_ACCESSORS (LbHeatmap, lb_heatmap, LB_IS_HEATMAP, LbColormap,
                                       colormap, properties[PROP_COLORMAP])
LB_CHART_WIDGET_DEFINE_BOOLEAN_ACCESSORS (LbHeatmap, lb_heatmap, LB_IS_HEATMAP, reverse,
                                          properties[PROP_REVERSE])
/* lb_heatmap_get_log_scale (), lb_heatmap_set_log_scale (): the data's
 * range is on the new scale */
LB_CHART_WIDGET_DEFINE_ACCESSORS_FULL (LbHeatmap, lb_heatmap, LB_IS_HEATMAP, gboolean,
                                       log_scale, properties[PROP_LOG_SCALE], !!log_scale,
                                       update_data_range (self);
                                       lb_heatmap_update_accessible (LB_CHART_WIDGET (self)))

/* lb_heatmap_get_format (), lb_heatmap_set_format (): the accessible
 * description quotes values */
LB_CHART_WIDGET_DEFINE_ACCESSORS_FULL (LbHeatmap, lb_heatmap, LB_IS_HEATMAP, LbChartFormat,
                                       format, properties[PROP_FORMAT], format,
                                       lb_heatmap_update_accessible (LB_CHART_WIDGET (self)))

void
lb_heatmap_set_range (LbHeatmap *self,
                      double     min,
                      double     max)
{
  g_return_if_fail (LB_IS_HEATMAP (self));
  g_return_if_fail (isfinite (min) && isfinite (max) && min <= max);

  self->fixed_range = TRUE;
  self->fixed_min = min;
  self->fixed_max = max;
  lb_heatmap_update_accessible (LB_CHART_WIDGET (self));
  lb_chart_widget_invalidate (LB_CHART_WIDGET (self));
}

void
lb_heatmap_unset_range (LbHeatmap *self)
{
  g_return_if_fail (LB_IS_HEATMAP (self));

  if (self->fixed_range)
    {
      self->fixed_range = FALSE;
      lb_heatmap_update_accessible (LB_CHART_WIDGET (self));
      lb_chart_widget_invalidate (LB_CHART_WIDGET (self));
    }
}

gboolean
lb_heatmap_get_range (LbHeatmap *self,
                      double    *min,
                      double    *max)
{
  g_return_val_if_fail (LB_IS_HEATMAP (self), FALSE);

  if (self->fixed_range)
    {
      *min = self->fixed_min;
      *max = self->fixed_max;
      return TRUE;
    }
  *min = self->data_min;
  *max = self->data_max;
  return self->has_data_range;
}

void
lb_heatmap_set_highlight (LbHeatmap *self,
                          int        row,
                          int        col)
{
  g_return_if_fail (LB_IS_HEATMAP (self));

  if (row < 0 || col < 0 || row >= (int) self->n_rows || col >= (int) self->n_cols)
    row = col = -1;
  if (self->highlight_row != row || self->highlight_col != col)
    {
      self->highlight_row = row;
      self->highlight_col = col;
      lb_chart_widget_invalidate (LB_CHART_WIDGET (self));
    }
}

gboolean
lb_heatmap_get_cell_at (LbHeatmap *self,
                        double     x,
                        double     y,
                        guint     *row,
                        guint     *col)
{
  g_return_val_if_fail (LB_IS_HEATMAP (self), FALSE);

  /* the geometry comes from the latest drawing: make sure there is one */
  if (!lb_chart_widget_ensure_drawn (LB_CHART_WIDGET (self)))
    return FALSE;
  return lb_heatmap_geometry_cell_at (&self->geometry, x, y, row, col);
}

char *
lb_heatmap_describe_cell (LbHeatmap *self,
                          guint      row,
                          guint      col)
{
  const char *row_label, *col_label;
  g_autofree char *row_text = NULL;
  g_autofree char *col_text = NULL;
  g_autofree char *value = NULL;
  g_autofree char *text = NULL;
  const char *note;
  double v;

  g_return_val_if_fail (LB_IS_HEATMAP (self), NULL);

  if (row >= self->n_rows || col >= self->n_cols)
    return NULL;

  row_label = lb_chart_strings_get (self->row_labels, self->n_rows, row);
  col_label = lb_chart_strings_get (self->col_labels, self->n_cols, col);
  /* Translators: a heatmap row or column without a label, by number */
  row_text = row_label ? g_strdup (row_label) : g_strdup_printf (_("Row %u"), row);
  col_text = col_label ? g_strdup (col_label) : g_strdup_printf (_("Column %u"), col);
  v = self->values[(gsize) row * self->n_cols + col];
  value = isfinite (v) ? lb_chart_format_value (v, self->format, NAN) : g_strdup (_("no data"));
  note = lb_chart_strings_get (self->notes, self->n_rows * self->n_cols,
                               row * self->n_cols + col);

  if (self->legend_label != NULL)
    /* Translators: tooltip of a heatmap cell: "row · column", then "metric: value" */
    text = g_strdup_printf (_("%s · %s\n%s: %s"), row_text, col_text, self->legend_label, value);
  else
    /* Translators: tooltip of a heatmap cell: "row · column", then the value */
    text = g_strdup_printf (_("%s · %s\n%s"), row_text, col_text, value);
  if (note == NULL || *note == '\0')
    return g_steal_pointer (&text);
  return g_strconcat (text, "\n", note, NULL);
}

void
lb_heatmap_set_cell_notes (LbHeatmap          *self,
                           const char * const *notes)
{
  g_return_if_fail (LB_IS_HEATMAP (self));

  lb_chart_strings_free (self->notes, self->n_rows * self->n_cols);
  self->notes = lb_chart_strings_copy (notes, self->n_rows * self->n_cols);
}

const char *
lb_heatmap_get_cell_note (LbHeatmap *self,
                          guint      row,
                          guint      col)
{
  g_return_val_if_fail (LB_IS_HEATMAP (self), NULL);

  if (row >= self->n_rows || col >= self->n_cols)
    return NULL;
  return lb_chart_strings_get (self->notes, self->n_rows * self->n_cols, row * self->n_cols + col);
}
