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
  GtkWidget          parent_instance;

  guint              n_rows;
  guint              n_cols;
  double            *values;
  char             **row_labels;
  char             **col_labels;
  char              *title;
  char              *legend_label;
  LbColormap         colormap;
  LbChartFormat      format;
  gboolean           reverse;

  gboolean           fixed_range;
  double             fixed_min, fixed_max;
  gboolean           has_data_range;   /* the data's own range, found in set_data */
  double             data_min, data_max;

  int                highlight_row;
  int                highlight_col;

  LbChartCache       cache;
  LbHeatmapGeometry  geometry;
};

enum {
  PROP_0,
  PROP_TITLE,
  PROP_LEGEND_LABEL,
  PROP_COLORMAP,
  PROP_REVERSE,
  PROP_FORMAT,
  PROP_N_ROWS,
  PROP_N_COLS,
  N_PROPS
};

enum {
  CELL_ACTIVATED,
  N_SIGNALS
};

G_DEFINE_FINAL_TYPE (LbHeatmap, lb_heatmap, GTK_TYPE_WIDGET)

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
    .title = self->title, .legend_label = self->legend_label, .format = self->format,
    .colormap = self->colormap, .reverse = self->reverse,
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

static void
draw (GtkWidget          *widget,
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
update_accessible (LbHeatmap *self)
{
  double min, max;
  char *description;

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

  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  self->title ? self->title : _("Heatmap"),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, description,
                                  -1);
  g_free (description);
}

static void
lb_heatmap_snapshot (GtkWidget   *widget,
                     GtkSnapshot *snapshot)
{
  LbHeatmap *self = LB_HEATMAP (widget);

  lb_chart_cache_snapshot (&self->cache, widget, snapshot, draw);
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

  /* room for labels and legend, then a comfortable size per cell */
  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      *minimum = 120;
      *natural = self->n_cols > 0 ? 150 + (int) MIN (self->n_cols, 64) * 40 : 320;
    }
  else
    {
      *minimum = 80;
      *natural = self->n_rows > 0 ? 60 + (int) MIN (self->n_rows, 64) * 20 : 200;
    }
}

static void
lb_heatmap_css_changed (GtkWidget         *widget,
                        GtkCssStyleChange *change)
{
  LbHeatmap *self = LB_HEATMAP (widget);

  GTK_WIDGET_CLASS (lb_heatmap_parent_class)->css_changed (widget, change);
  lb_chart_widget_changed (widget, &self->cache);
}

static void
lb_heatmap_system_setting_changed (GtkWidget         *widget,
                                   GtkSystemSetting   setting)
{
  LbHeatmap *self = LB_HEATMAP (widget);

  GTK_WIDGET_CLASS (lb_heatmap_parent_class)->system_setting_changed (widget, setting);
  lb_chart_widget_changed (widget, &self->cache);
}

static gboolean
lb_heatmap_query_tooltip (GtkWidget  *widget,
                          int         x,
                          int         y,
                          gboolean    keyboard_tooltip,
                          GtkTooltip *tooltip)
{
  LbHeatmap *self = LB_HEATMAP (widget);
  guint row, col;
  char *text;

  if (!lb_heatmap_get_cell_at (self, x, y, &row, &col))
    return FALSE;
  text = lb_heatmap_describe_cell (self, row, col);
  gtk_tooltip_set_text (tooltip, text);
  g_free (text);
  return TRUE;
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

  lb_chart_cache_invalidate (&self->cache);
  g_free (self->values);
  lb_chart_strings_free (self->row_labels, self->n_rows);
  lb_chart_strings_free (self->col_labels, self->n_cols);
  g_free (self->title);
  g_free (self->legend_label);

  G_OBJECT_CLASS (lb_heatmap_parent_class)->finalize (object);
}

static void
lb_heatmap_get_property (GObject    *object,
                         guint       prop_id,
                         GValue     *value,
                         GParamSpec *pspec)
{
  LbHeatmap *self = LB_HEATMAP (object);

  switch (prop_id)
    {
    case PROP_TITLE:
      g_value_set_string (value, self->title);
      break;
    case PROP_LEGEND_LABEL:
      g_value_set_string (value, self->legend_label);
      break;
    case PROP_COLORMAP:
      g_value_set_enum (value, self->colormap);
      break;
    case PROP_REVERSE:
      g_value_set_boolean (value, self->reverse);
      break;
    case PROP_FORMAT:
      g_value_set_enum (value, self->format);
      break;
    case PROP_N_ROWS:
      g_value_set_uint (value, self->n_rows);
      break;
    case PROP_N_COLS:
      g_value_set_uint (value, self->n_cols);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lb_heatmap_set_property (GObject      *object,
                         guint         prop_id,
                         const GValue *value,
                         GParamSpec   *pspec)
{
  LbHeatmap *self = LB_HEATMAP (object);

  switch (prop_id)
    {
    case PROP_TITLE:
      lb_heatmap_set_title (self, g_value_get_string (value));
      break;
    case PROP_LEGEND_LABEL:
      lb_heatmap_set_legend_label (self, g_value_get_string (value));
      break;
    case PROP_COLORMAP:
      lb_heatmap_set_colormap (self, g_value_get_enum (value));
      break;
    case PROP_REVERSE:
      lb_heatmap_set_reverse (self, g_value_get_boolean (value));
      break;
    case PROP_FORMAT:
      lb_heatmap_set_format (self, g_value_get_enum (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lb_heatmap_class_init (LbHeatmapClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = lb_heatmap_finalize;
  object_class->get_property = lb_heatmap_get_property;
  object_class->set_property = lb_heatmap_set_property;

  widget_class->snapshot = lb_heatmap_snapshot;
  widget_class->measure = lb_heatmap_measure;
  widget_class->css_changed = lb_heatmap_css_changed;
  widget_class->system_setting_changed = lb_heatmap_system_setting_changed;
  widget_class->query_tooltip = lb_heatmap_query_tooltip;

  properties[PROP_TITLE] =
    g_param_spec_string ("title", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_LEGEND_LABEL] =
    g_param_spec_string ("legend-label", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_COLORMAP] =
    g_param_spec_enum ("colormap", NULL, NULL, LB_TYPE_COLORMAP, LB_COLORMAP_VIRIDIS,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_REVERSE] =
    g_param_spec_boolean ("reverse", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_FORMAT] =
    g_param_spec_enum ("format", NULL, NULL, LB_TYPE_CHART_FORMAT, LB_CHART_FORMAT_PLAIN,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_N_ROWS] =
    g_param_spec_uint ("n-rows", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_N_COLS] =
    g_param_spec_uint ("n-cols", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

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

  gtk_widget_class_set_css_name (widget_class, "lb-heatmap");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
lb_heatmap_init (LbHeatmap *self)
{
  GtkGesture *click;

  self->highlight_row = -1;
  self->highlight_col = -1;

  click = gtk_gesture_click_new ();
  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (click), GDK_BUTTON_PRIMARY);
  g_signal_connect_object (click, "released", G_CALLBACK (click_released_cb), self,
                           G_CONNECT_SWAPPED);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (click));
  gtk_widget_set_has_tooltip (GTK_WIDGET (self), TRUE);
  update_accessible (self);
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

  self->n_rows = n_rows;
  self->n_cols = n_cols;
  self->values = g_memdup2 (values, (gsize) n_rows * n_cols * sizeof (double));
  self->row_labels = lb_chart_strings_copy (row_labels, n_rows);
  self->col_labels = lb_chart_strings_copy (col_labels, n_cols);
  self->has_data_range = lb_chart_data_range (self->values, (gsize) n_rows * n_cols,
                                              &self->data_min, &self->data_max);
  if (self->highlight_row >= (int) n_rows || self->highlight_col >= (int) n_cols)
    self->highlight_row = self->highlight_col = -1;

  g_object_freeze_notify (G_OBJECT (self));
  if (old_rows != n_rows)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ROWS]);
  if (old_cols != n_cols)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_COLS]);
  g_object_thaw_notify (G_OBJECT (self));

  update_accessible (self);
  if (old_rows != n_rows || old_cols != n_cols)
    gtk_widget_queue_resize (GTK_WIDGET (self));
  lb_chart_widget_changed (GTK_WIDGET (self), &self->cache);
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

const char *
lb_heatmap_get_title (LbHeatmap *self)
{
  g_return_val_if_fail (LB_IS_HEATMAP (self), NULL);
  return self->title;
}

void
lb_heatmap_set_title (LbHeatmap  *self,
                      const char *title)
{
  g_return_if_fail (LB_IS_HEATMAP (self));

  if (lb_chart_set_string (&self->title, title))
    {
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TITLE]);
      update_accessible (self);
      lb_chart_widget_changed (GTK_WIDGET (self), &self->cache);
    }
}

const char *
lb_heatmap_get_legend_label (LbHeatmap *self)
{
  g_return_val_if_fail (LB_IS_HEATMAP (self), NULL);
  return self->legend_label;
}

void
lb_heatmap_set_legend_label (LbHeatmap  *self,
                             const char *label)
{
  g_return_if_fail (LB_IS_HEATMAP (self));

  if (lb_chart_set_string (&self->legend_label, label))
    {
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LEGEND_LABEL]);
      lb_chart_widget_changed (GTK_WIDGET (self), &self->cache);
    }
}

LbColormap
lb_heatmap_get_colormap (LbHeatmap *self)
{
  g_return_val_if_fail (LB_IS_HEATMAP (self), LB_COLORMAP_VIRIDIS);
  return self->colormap;
}

void
lb_heatmap_set_colormap (LbHeatmap  *self,
                         LbColormap  colormap)
{
  g_return_if_fail (LB_IS_HEATMAP (self));

  if (self->colormap != colormap)
    {
      self->colormap = colormap;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_COLORMAP]);
      lb_chart_widget_changed (GTK_WIDGET (self), &self->cache);
    }
}

gboolean
lb_heatmap_get_reverse (LbHeatmap *self)
{
  g_return_val_if_fail (LB_IS_HEATMAP (self), FALSE);
  return self->reverse;
}

void
lb_heatmap_set_reverse (LbHeatmap *self,
                        gboolean   reverse)
{
  g_return_if_fail (LB_IS_HEATMAP (self));

  reverse = !!reverse;
  if (self->reverse != reverse)
    {
      self->reverse = reverse;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REVERSE]);
      lb_chart_widget_changed (GTK_WIDGET (self), &self->cache);
    }
}

LbChartFormat
lb_heatmap_get_format (LbHeatmap *self)
{
  g_return_val_if_fail (LB_IS_HEATMAP (self), LB_CHART_FORMAT_PLAIN);
  return self->format;
}

void
lb_heatmap_set_format (LbHeatmap     *self,
                       LbChartFormat  format)
{
  g_return_if_fail (LB_IS_HEATMAP (self));

  if (self->format != format)
    {
      self->format = format;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FORMAT]);
      update_accessible (self);
      lb_chart_widget_changed (GTK_WIDGET (self), &self->cache);
    }
}

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
  update_accessible (self);
  lb_chart_widget_changed (GTK_WIDGET (self), &self->cache);
}

void
lb_heatmap_unset_range (LbHeatmap *self)
{
  g_return_if_fail (LB_IS_HEATMAP (self));

  if (self->fixed_range)
    {
      self->fixed_range = FALSE;
      update_accessible (self);
      lb_chart_widget_changed (GTK_WIDGET (self), &self->cache);
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
      lb_chart_widget_changed (GTK_WIDGET (self), &self->cache);
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
  if (lb_chart_cache_ensure (&self->cache, GTK_WIDGET (self), draw) == NULL)
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

  if (self->legend_label != NULL)
    /* Translators: tooltip of a heatmap cell: "row · column", then "metric: value" */
    return g_strdup_printf (_("%s · %s\n%s: %s"), row_text, col_text, self->legend_label, value);
  /* Translators: tooltip of a heatmap cell: "row · column", then the value */
  return g_strdup_printf (_("%s · %s\n%s"), row_text, col_text, value);
}
