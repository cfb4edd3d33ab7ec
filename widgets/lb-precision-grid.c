/* lb-precision-grid.c: the GTK face of lb-precision-grid-render with the
 * selection model: click, ctrl-click, shift-click, drag rectangles, row and
 * column headers, and the keyboard (arrows, shift/ctrl, Home/End, Page
 * Up/Down, space, ctrl+A, Escape, Enter) */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <math.h>
#include <string.h>

#include "lb-chart-widget-private.h"
#include "lb-precision-grid.h"
#include "lb-quant-colors.h"

#define PAGE_ROWS 8

typedef enum {
  DRAG_NONE,
  DRAG_CELLS,
  DRAG_ROWS,
  DRAG_COLS,
} DragKind;

struct _LbPrecisionGrid
{
  LbChartWidget            parent_instance;

  guint                    n_rows;
  guint                    n_cols;
  char                   **types;        /* n_rows × n_cols, NULL: absent */
  char                   **row_labels;
  char                   **col_labels;
  guint8                  *selected;     /* n_rows × n_cols flags */
  guint                    n_selected;
  guint                    cursor_row, cursor_col;
  guint                    anchor_row, anchor_col;   /* where shift-selection grows from */
  gboolean                 show_legend;

  DragKind                 drag_kind;
  guint                    drag_row, drag_col;       /* where the drag began */
  guint                    drag_last_row, drag_last_col;
  double                   drag_x, drag_y;
  guint8                  *drag_base;    /* the selection a ctrl-drag adds to */
  LbGridSelectMode         drag_mode;

  LbPrecisionGridGeometry  geometry;
};

enum {
  PROP_0,
  PROP_SHOW_LEGEND,
  PROP_N_ROWS,
  PROP_N_COLS,
  PROP_N_SELECTED,
  N_PROPS
};

enum {
  SELECTION_CHANGED,
  CELL_ACTIVATED,
  N_SIGNALS
};

G_DEFINE_FINAL_TYPE (LbPrecisionGrid, lb_precision_grid, LB_TYPE_CHART_WIDGET)

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static inline gsize
n_cells (LbPrecisionGrid *self)
{
  return (gsize) self->n_rows * self->n_cols;
}

static inline gboolean
cell_present (LbPrecisionGrid *self,
              guint            row,
              guint            col)
{
  return row < self->n_rows && col < self->n_cols
         && self->types[(gsize) row * self->n_cols + col] != NULL;
}

static void
fill_data (LbPrecisionGrid     *self,
           LbPrecisionGridData *data)
{
  *data = (LbPrecisionGridData) {
    .n_rows = self->n_rows, .n_cols = self->n_cols,
    .types = (const char * const *) self->types,
    .row_labels = (const char * const *) self->row_labels,
    .col_labels = (const char * const *) self->col_labels,
    .selected = self->selected, .title = lb_chart_widget_get_title (LB_CHART_WIDGET (self)),
    .hide_legend = !self->show_legend,
    /* the focus cursor only while the keyboard is in use, like GTK's focus rings */
    .has_cursor = n_cells (self) > 0 && gtk_widget_has_focus (GTK_WIDGET (self))
                  && (gtk_widget_get_state_flags (GTK_WIDGET (self))
                      & GTK_STATE_FLAG_FOCUS_VISIBLE) != 0,
    .cursor_row = self->cursor_row, .cursor_col = self->cursor_col,
  };
}

static void
lb_precision_grid_draw (LbChartWidget      *widget,
                        cairo_t            *cr,
                        int                 width,
                        int                 height,
                        const LbChartStyle *style)
{
  LbPrecisionGrid *self = LB_PRECISION_GRID (widget);
  LbPrecisionGridData data;

  fill_data (self, &data);
  lb_precision_grid_render (cr, width, height, &data, style, &self->geometry);
}

static char *
cell_name (LbPrecisionGrid *self,
           guint            row,
           guint            col)
{
  const char *r = lb_chart_strings_get (self->row_labels, self->n_rows, row);
  const char *c = lb_chart_strings_get (self->col_labels, self->n_cols, col);
  g_autofree char *rs = r ? g_strdup (r) : g_strdup_printf (_("Row %u"), row);
  g_autofree char *cs = c ? g_strdup (c) : g_strdup_printf (_("Column %u"), col);

  /* Translators: a grid cell: "<layer> · <tensor kind>" */
  return g_strdup_printf (_("%s · %s"), rs, cs);
}

static char *
describe_cell (LbPrecisionGrid *self,
               guint            row,
               guint            col)
{
  g_autofree char *name = cell_name (self, row, col);
  const char *type;
  double bits;

  if (!cell_present (self, row, col))
    /* Translators: a grid cell whose layer has no tensor of this kind */
    return g_strdup_printf (_("%s\nno such tensor"), name);
  type = self->types[(gsize) row * self->n_cols + col];
  bits = lb_quant_type_bits (type);
  if (isnan (bits))
    return g_strdup_printf ("%s\n%s", name, type);
  /* Translators: a grid cell: its name, then type and bits per weight */
  return g_strdup_printf (_("%s\n%s, %.2f bits per weight"), name, type, bits);
}

static void
lb_precision_grid_update_accessible (LbChartWidget *widget)
{
  LbPrecisionGrid *self = LB_PRECISION_GRID (widget);
  g_autofree char *description = NULL;
  guint present = 0;

  for (gsize i = 0; i < n_cells (self); i++)
    present += self->types[i] != NULL;
  if (n_cells (self) == 0)
    description = g_strdup (_("No data"));
  else
    {
      g_autofree char *cursor = describe_cell (self, self->cursor_row, self->cursor_col);
      /* Translators: selection summary, then the cell under the keyboard cursor */
      description = g_strdup_printf (_("%u of %u tensors selected; %s"), self->n_selected,
                                     present, cursor);
    }
  lb_chart_widget_set_description (widget, description);
}

static void
update_accessible (LbPrecisionGrid *self)
{
  lb_precision_grid_update_accessible (LB_CHART_WIDGET (self));
}

/* Makes sel the selection (taking it); notifies and emits only on change */
static void
apply_selection (LbPrecisionGrid *self,
                 guint8          *sel)
{
  guint n = 0;

  for (gsize i = 0; i < n_cells (self); i++)
    {
      sel[i] = sel[i] && self->types[i] != NULL;
      n += sel[i];
    }
  if (n_cells (self) == 0 || memcmp (sel, self->selected, n_cells (self)) == 0)
    {
      g_free (sel);
      return;
    }
  g_free (self->selected);
  self->selected = sel;
  if (self->n_selected != n)
    {
      self->n_selected = n;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_SELECTED]);
    }
  update_accessible (self);
  lb_chart_widget_invalidate (LB_CHART_WIDGET (self));
  g_signal_emit (self, signals[SELECTION_CHANGED], 0);
}

/* A starting point for an operation in mode: empty or the current selection */
static guint8 *
selection_for (LbPrecisionGrid  *self,
               LbGridSelectMode  mode,
               const guint8     *base)
{
  if (mode == LB_GRID_SELECT_REPLACE)
    return g_malloc0 (MAX (n_cells (self), 1));
  return g_memdup2 (base != NULL ? base : self->selected, MAX (n_cells (self), 1));
}

static void
mark_rect (LbPrecisionGrid  *self,
           guint8           *sel,
           guint             row0,
           guint             col0,
           guint             row1,
           guint             col1,
           LbGridSelectMode  mode)
{
  guint r0 = MIN (row0, row1), r1 = MIN (MAX (row0, row1), self->n_rows - 1);
  guint c0 = MIN (col0, col1), c1 = MIN (MAX (col0, col1), self->n_cols - 1);

  for (guint r = r0; r <= r1; r++)
    for (guint c = c0; c <= c1; c++)
      {
        gsize i = (gsize) r * self->n_cols + c;
        sel[i] = mode == LB_GRID_SELECT_TOGGLE ? !sel[i] : 1;
      }
}

static void
select_rect_from (LbPrecisionGrid  *self,
                  const guint8     *base,
                  guint             row0,
                  guint             col0,
                  guint             row1,
                  guint             col1,
                  LbGridSelectMode  mode)
{
  guint8 *sel;

  if (n_cells (self) == 0 || MIN (row0, row1) >= self->n_rows
      || MIN (col0, col1) >= self->n_cols)
    return;
  sel = selection_for (self, mode, base);
  mark_rect (self, sel, row0, col0, row1, col1, mode);
  apply_selection (self, sel);
}

static void
move_cursor_to (LbPrecisionGrid *self,
                guint            row,
                guint            col)
{
  if (n_cells (self) == 0)
    return;
  row = MIN (row, self->n_rows - 1);
  col = MIN (col, self->n_cols - 1);
  if (row != self->cursor_row || col != self->cursor_col)
    {
      self->cursor_row = row;
      self->cursor_col = col;
      update_accessible (self);
      lb_chart_widget_invalidate (LB_CHART_WIDGET (self));
    }
}

/* --- mouse ------------------------------------------------------------- */

static GdkModifierType
current_modifiers (GtkEventController *controller)
{
  return gtk_event_controller_get_current_event_state (controller)
         & (GDK_SHIFT_MASK | GDK_CONTROL_MASK);
}

static void
drag_begin_cb (LbPrecisionGrid *self,
               double           x,
               double           y,
               GtkGestureDrag  *gesture)
{
  GdkModifierType mods = current_modifiers (GTK_EVENT_CONTROLLER (gesture));
  gboolean ctrl = (mods & GDK_CONTROL_MASK) != 0, shift = (mods & GDK_SHIFT_MASK) != 0;
  guint row = 0, col = 0;
  LbGridHit hit;

  if (gtk_widget_get_focusable (GTK_WIDGET (self)))
    gtk_widget_grab_focus (GTK_WIDGET (self));

  g_clear_pointer (&self->drag_base, g_free);
  self->drag_kind = DRAG_NONE;
  self->drag_x = x;
  self->drag_y = y;
  self->drag_mode = ctrl ? LB_GRID_SELECT_ADD : LB_GRID_SELECT_REPLACE;

  hit = lb_precision_grid_pick (self, x, y, &row, &col);
  switch (hit)
    {
    case LB_GRID_HIT_CELL:
      if (shift)
        select_rect_from (self, NULL, self->anchor_row, self->anchor_col, row, col,
                          self->drag_mode);
      else
        {
          lb_precision_grid_select_cell (self, row, col,
                                         ctrl ? LB_GRID_SELECT_TOGGLE : LB_GRID_SELECT_REPLACE);
          self->anchor_row = row;
          self->anchor_col = col;
        }
      move_cursor_to (self, row, col);
      self->drag_kind = DRAG_CELLS;
      break;
    case LB_GRID_HIT_ROW_HEADER:
      lb_precision_grid_select_row (self, row, self->drag_mode);
      move_cursor_to (self, row, self->cursor_col);
      self->drag_kind = DRAG_ROWS;
      break;
    case LB_GRID_HIT_COL_HEADER:
      lb_precision_grid_select_column (self, col, self->drag_mode);
      move_cursor_to (self, self->cursor_row, col);
      self->drag_kind = DRAG_COLS;
      break;
    case LB_GRID_HIT_CORNER:
      lb_precision_grid_select_all (self);
      return;
    case LB_GRID_HIT_NONE:
    default:
      if (!ctrl && !shift)
        lb_precision_grid_unselect_all (self);
      return;
    }

  /* a drag grows a rectangle from here over what was selected before it
   * (ctrl) or over nothing */
  self->drag_row = self->drag_last_row = row;
  self->drag_col = self->drag_last_col = col;
  self->drag_base = g_memdup2 (self->selected, MAX (n_cells (self), 1));
  if (self->drag_kind == DRAG_CELLS && shift)
    {
      self->drag_row = self->anchor_row;
      self->drag_col = self->anchor_col;
    }
}

static void
drag_update_cb (LbPrecisionGrid *self,
                double           dx,
                double           dy,
                GtkGestureDrag  *gesture)
{
  const LbPrecisionGridGeometry *g = &self->geometry;
  double x = self->drag_x + dx, y = self->drag_y + dy;
  guint row, col;
  const guint8 *base;

  if (self->drag_kind == DRAG_NONE || n_cells (self) == 0 || g->cell_width <= 0
      || g->cell_height <= 0)
    return;

  /* past the edges the nearest row or column counts */
  row = (guint) CLAMP (floor ((y - g->y) / g->cell_height), 0, self->n_rows - 1);
  col = (guint) CLAMP (floor ((x - g->x) / g->cell_width), 0, self->n_cols - 1);
  if (row == self->drag_last_row && col == self->drag_last_col)
    return;
  self->drag_last_row = row;
  self->drag_last_col = col;

  base = self->drag_mode == LB_GRID_SELECT_REPLACE ? NULL : self->drag_base;
  switch (self->drag_kind)
    {
    case DRAG_CELLS:
      select_rect_from (self, base, self->drag_row, self->drag_col, row, col,
                        self->drag_mode);
      move_cursor_to (self, row, col);
      break;
    case DRAG_ROWS:
      select_rect_from (self, base, self->drag_row, 0, row, self->n_cols - 1, self->drag_mode);
      move_cursor_to (self, row, self->cursor_col);
      break;
    case DRAG_COLS:
      select_rect_from (self, base, 0, self->drag_col, self->n_rows - 1, col, self->drag_mode);
      move_cursor_to (self, self->cursor_row, col);
      break;
    case DRAG_NONE:
    default:
      break;
    }
}

static void
drag_end_cb (LbPrecisionGrid *self,
             double           dx,
             double           dy,
             GtkGestureDrag  *gesture)
{
  self->drag_kind = DRAG_NONE;
  g_clear_pointer (&self->drag_base, g_free);
}

static void
click_pressed_cb (LbPrecisionGrid *self,
                  int              n_press,
                  double           x,
                  double           y,
                  GtkGestureClick *gesture)
{
  guint row, col;

  if (n_press == 2 && lb_precision_grid_pick (self, x, y, &row, &col) == LB_GRID_HIT_CELL
      && cell_present (self, row, col))
    g_signal_emit (self, signals[CELL_ACTIVATED], 0, row, col);
}

/* --- keyboard ---------------------------------------------------------- */

static gboolean
key_pressed_cb (LbPrecisionGrid       *self,
                guint                  keyval,
                guint                  keycode,
                GdkModifierType        state,
                GtkEventControllerKey *controller)
{
  gboolean ctrl = (state & GDK_CONTROL_MASK) != 0, shift = (state & GDK_SHIFT_MASK) != 0;
  int row = (int) self->cursor_row, col = (int) self->cursor_col;

  if (n_cells (self) == 0)
    return GDK_EVENT_PROPAGATE;

  switch (keyval)
    {
    case GDK_KEY_Up:
    case GDK_KEY_KP_Up:
      row--;
      break;
    case GDK_KEY_Down:
    case GDK_KEY_KP_Down:
      row++;
      break;
    case GDK_KEY_Left:
    case GDK_KEY_KP_Left:
      col += gtk_widget_get_direction (GTK_WIDGET (self)) == GTK_TEXT_DIR_RTL ? 1 : -1;
      break;
    case GDK_KEY_Right:
    case GDK_KEY_KP_Right:
      col += gtk_widget_get_direction (GTK_WIDGET (self)) == GTK_TEXT_DIR_RTL ? -1 : 1;
      break;
    case GDK_KEY_Page_Up:
    case GDK_KEY_KP_Page_Up:
      row -= PAGE_ROWS;
      break;
    case GDK_KEY_Page_Down:
    case GDK_KEY_KP_Page_Down:
      row += PAGE_ROWS;
      break;
    case GDK_KEY_Home:
    case GDK_KEY_KP_Home:
      col = 0;
      if (ctrl)
        row = 0;
      break;
    case GDK_KEY_End:
    case GDK_KEY_KP_End:
      col = (int) self->n_cols - 1;
      if (ctrl)
        row = (int) self->n_rows - 1;
      break;
    case GDK_KEY_space:
    case GDK_KEY_KP_Space:
      lb_precision_grid_select_cell (self, self->cursor_row, self->cursor_col,
                                     ctrl ? LB_GRID_SELECT_TOGGLE : LB_GRID_SELECT_REPLACE);
      self->anchor_row = self->cursor_row;
      self->anchor_col = self->cursor_col;
      return GDK_EVENT_STOP;
    case GDK_KEY_a:
    case GDK_KEY_A:
      if (!ctrl)
        return GDK_EVENT_PROPAGATE;
      if (shift)
        lb_precision_grid_unselect_all (self);
      else
        lb_precision_grid_select_all (self);
      return GDK_EVENT_STOP;
    case GDK_KEY_Escape:
      if (self->n_selected == 0)
        return GDK_EVENT_PROPAGATE;
      lb_precision_grid_unselect_all (self);
      return GDK_EVENT_STOP;
    case GDK_KEY_Return:
    case GDK_KEY_KP_Enter:
    case GDK_KEY_ISO_Enter:
      if (!cell_present (self, self->cursor_row, self->cursor_col))
        return GDK_EVENT_PROPAGATE;
      g_signal_emit (self, signals[CELL_ACTIVATED], 0, self->cursor_row, self->cursor_col);
      return GDK_EVENT_STOP;
    default:
      return GDK_EVENT_PROPAGATE;
    }

  row = CLAMP (row, 0, (int) self->n_rows - 1);
  col = CLAMP (col, 0, (int) self->n_cols - 1);
  move_cursor_to (self, (guint) row, (guint) col);
  if (shift)
    /* grow from the anchor: a rectangle, added to the rest with ctrl */
    select_rect_from (self, NULL, self->anchor_row, self->anchor_col, (guint) row, (guint) col,
                      ctrl ? LB_GRID_SELECT_ADD : LB_GRID_SELECT_REPLACE);
  else if (!ctrl)
    {
      /* plain arrows select the cell they land on; ctrl only moves */
      lb_precision_grid_select_cell (self, (guint) row, (guint) col, LB_GRID_SELECT_REPLACE);
      self->anchor_row = (guint) row;
      self->anchor_col = (guint) col;
    }
  return GDK_EVENT_STOP;
}

/* --- GtkWidget --------------------------------------------------------- */

static void
lb_precision_grid_measure (GtkWidget      *widget,
                           GtkOrientation  orientation,
                           int             for_size,
                           int            *minimum,
                           int            *natural,
                           int            *minimum_baseline,
                           int            *natural_baseline)
{
  LbPrecisionGrid *self = LB_PRECISION_GRID (widget);
  guint n = orientation == GTK_ORIENTATION_HORIZONTAL ? self->n_cols : self->n_rows;

  GTK_WIDGET_CLASS (lb_precision_grid_parent_class)->measure (widget, orientation, for_size,
                                                              minimum, natural,
                                                              minimum_baseline,
                                                              natural_baseline);
  /* headers and legend, then cells big enough for a type name */
  if (n > 0 && orientation == GTK_ORIENTATION_HORIZONTAL)
    *natural = 96 + (int) MIN (n, 64) * 72;
  else if (n > 0)
    {
      /* title, column headers, rows, legend: a grid of one or two rows
       * (the tensors outside the layers) is not asked to be as tall as
       * a model's */
      *natural = (lb_chart_widget_get_title (LB_CHART_WIDGET (self)) != NULL ? 24 : 0) + 44
                 + (int) MIN (n, 128) * 26 + (self->show_legend ? 36 : 0);
      *minimum = MIN (*minimum, *natural);
    }
  *natural = MAX (*natural, *minimum);
}

static void
lb_precision_grid_state_flags_changed (GtkWidget     *widget,
                                       GtkStateFlags  previous)
{
  GtkStateFlags now = gtk_widget_get_state_flags (widget);

  GTK_WIDGET_CLASS (lb_precision_grid_parent_class)->state_flags_changed (widget, previous);
  /* the cursor is drawn only with focus */
  if ((now ^ previous) & (GTK_STATE_FLAG_FOCUSED | GTK_STATE_FLAG_FOCUS_VISIBLE))
    lb_chart_widget_invalidate (LB_CHART_WIDGET (widget));
}

static char *
lb_precision_grid_describe_at (LbChartWidget *widget,
                               double         x,
                               double         y,
                               gboolean       keyboard)
{
  LbPrecisionGrid *self = LB_PRECISION_GRID (widget);
  guint row, col;

  if (keyboard && n_cells (self) > 0)
    {
      row = self->cursor_row;
      col = self->cursor_col;
    }
  else if (lb_precision_grid_pick (self, x, y, &row, &col) != LB_GRID_HIT_CELL)
    return NULL;
  return describe_cell (self, row, col);
}

static void
lb_precision_grid_finalize (GObject *object)
{
  LbPrecisionGrid *self = LB_PRECISION_GRID (object);

  lb_chart_strings_free (self->types, n_cells (self));
  lb_chart_strings_free (self->row_labels, self->n_rows);
  lb_chart_strings_free (self->col_labels, self->n_cols);
  g_free (self->selected);
  g_free (self->drag_base);

  G_OBJECT_CLASS (lb_precision_grid_parent_class)->finalize (object);
}

static void
lb_precision_grid_class_init (LbPrecisionGridClass *klass)
{
  LbChartWidgetClass *chart_class = LB_CHART_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = lb_precision_grid_finalize;
  GTK_WIDGET_CLASS (klass)->measure = lb_precision_grid_measure;
  GTK_WIDGET_CLASS (klass)->state_flags_changed = lb_precision_grid_state_flags_changed;

  chart_class->draw = lb_precision_grid_draw;
  chart_class->describe_at = lb_precision_grid_describe_at;
  chart_class->update_accessible = lb_precision_grid_update_accessible;
  lb_chart_widget_class_set_size_hints (chart_class, 160, 360, 120, 240);
  lb_chart_widget_class_set_names (chart_class, "lb-precision-grid", GTK_ACCESSIBLE_ROLE_GRID,
                                   N_("Precision map"));

  properties[PROP_SHOW_LEGEND] =
    lb_chart_widget_param (g_param_spec_boolean ("show-legend", NULL, NULL, TRUE,
                                                 LB_CHART_PARAM_RW),
                           G_CALLBACK (lb_precision_grid_get_show_legend),
                           G_CALLBACK (lb_precision_grid_set_show_legend));
  properties[PROP_N_ROWS] =
    lb_chart_widget_param (g_param_spec_uint ("n-rows", NULL, NULL, 0, G_MAXUINT, 0,
                                              LB_CHART_PARAM_RO),
                           G_CALLBACK (lb_precision_grid_get_n_rows),
                           NULL);
  properties[PROP_N_COLS] =
    lb_chart_widget_param (g_param_spec_uint ("n-cols", NULL, NULL, 0, G_MAXUINT, 0,
                                              LB_CHART_PARAM_RO),
                           G_CALLBACK (lb_precision_grid_get_n_cols),
                           NULL);
  properties[PROP_N_SELECTED] =
    lb_chart_widget_param (g_param_spec_uint ("n-selected", NULL, NULL, 0, G_MAXUINT, 0,
                                              LB_CHART_PARAM_RO),
                           G_CALLBACK (lb_precision_grid_get_n_selected),
                           NULL);
  lb_chart_widget_class_install_properties (chart_class, N_PROPS, properties);

  /**
   * LbPrecisionGrid::selection-changed:
   *
   * The set of selected cells changed (read it with
   * lb_precision_grid_get_selected_cells()).
   */
  signals[SELECTION_CHANGED] =
    g_signal_new ("selection-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  /**
   * LbPrecisionGrid::cell-activated:
   * @row: the cell's row
   * @col: the cell's column
   *
   * A cell was double-clicked or Enter was pressed on it.
   */
  signals[CELL_ACTIVATED] =
    g_signal_new ("cell-activated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_UINT, G_TYPE_UINT);
}

static void
lb_precision_grid_init (LbPrecisionGrid *self)
{
  GtkGesture *drag;
  GtkEventController *key;

  self->show_legend = TRUE;
  self->selected = g_malloc0 (1);

  gtk_widget_set_focusable (GTK_WIDGET (self), TRUE);
  gtk_widget_set_focus_on_click (GTK_WIDGET (self), TRUE);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_MULTI_SELECTABLE, TRUE,
                                  -1);

  drag = gtk_gesture_drag_new ();
  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (drag), GDK_BUTTON_PRIMARY);
  g_signal_connect_object (drag, "drag-begin", G_CALLBACK (drag_begin_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (drag, "drag-update", G_CALLBACK (drag_update_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (drag, "drag-end", G_CALLBACK (drag_end_cb), self,
                           G_CONNECT_SWAPPED);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (drag));

  lb_chart_widget_add_click (LB_CHART_WIDGET (self), "pressed", G_CALLBACK (click_pressed_cb));

  key = gtk_event_controller_key_new ();
  g_signal_connect_object (key, "key-pressed", G_CALLBACK (key_pressed_cb), self,
                           G_CONNECT_SWAPPED);
  gtk_widget_add_controller (GTK_WIDGET (self), key);

  update_accessible (self);
}

GtkWidget *
lb_precision_grid_new (void)
{
  return g_object_new (LB_TYPE_PRECISION_GRID, NULL);
}

void
lb_precision_grid_set_data (LbPrecisionGrid    *self,
                            guint               n_rows,
                            guint               n_cols,
                            const char * const *types,
                            const char * const *row_labels,
                            const char * const *col_labels)
{
  gboolean same_shape;
  guint old_rows, old_cols;
  guint8 *sel;

  g_return_if_fail (LB_IS_PRECISION_GRID (self));
  g_return_if_fail (n_cols == 0 || n_rows <= G_MAXUINT / n_cols);
  g_return_if_fail (types != NULL || (gsize) n_rows * n_cols == 0);

  old_rows = self->n_rows;
  old_cols = self->n_cols;
  same_shape = old_rows == n_rows && old_cols == n_cols;

  lb_chart_strings_free (self->types, n_cells (self));
  lb_chart_strings_free (self->row_labels, self->n_rows);
  lb_chart_strings_free (self->col_labels, self->n_cols);
  self->n_rows = n_rows;
  self->n_cols = n_cols;
  self->types = lb_chart_strings_copy (types, n_rows * n_cols);
  if (self->types == NULL)
    self->types = g_new0 (char *, 1);
  self->row_labels = lb_chart_strings_copy (row_labels, n_rows);
  self->col_labels = lb_chart_strings_copy (col_labels, n_cols);

  g_object_freeze_notify (G_OBJECT (self));
  if (!same_shape)
    {
      /* a different model: start over */
      g_clear_pointer (&self->drag_base, g_free);
      self->drag_kind = DRAG_NONE;
      self->cursor_row = self->cursor_col = 0;
      self->anchor_row = self->anchor_col = 0;
      g_free (self->selected);
      self->selected = g_malloc0 (MAX (n_cells (self), 1));
      if (self->n_selected != 0)
        {
          self->n_selected = 0;
          g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_SELECTED]);
          g_signal_emit (self, signals[SELECTION_CHANGED], 0);
        }
      if (old_rows != n_rows)
        g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ROWS]);
      if (old_cols != n_cols)
        g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_COLS]);
      gtk_widget_queue_resize (GTK_WIDGET (self));
    }
  else
    {
      /* the same grid with new types: keep the selection of cells that remain */
      sel = g_memdup2 (self->selected, MAX (n_cells (self), 1));
      apply_selection (self, sel);
    }
  g_object_thaw_notify (G_OBJECT (self));

  update_accessible (self);
  lb_chart_widget_invalidate (LB_CHART_WIDGET (self));
}

guint
lb_precision_grid_get_n_rows (LbPrecisionGrid *self)
{
  g_return_val_if_fail (LB_IS_PRECISION_GRID (self), 0);
  return self->n_rows;
}

guint
lb_precision_grid_get_n_cols (LbPrecisionGrid *self)
{
  g_return_val_if_fail (LB_IS_PRECISION_GRID (self), 0);
  return self->n_cols;
}

const char *
lb_precision_grid_get_cell_type (LbPrecisionGrid *self,
                                 guint            row,
                                 guint            col)
{
  g_return_val_if_fail (LB_IS_PRECISION_GRID (self), NULL);

  if (row >= self->n_rows || col >= self->n_cols)
    return NULL;
  return self->types[(gsize) row * self->n_cols + col];
}

void
lb_precision_grid_set_cell_type (LbPrecisionGrid *self,
                                 guint            row,
                                 guint            col,
                                 const char      *type)
{
  gsize i;

  g_return_if_fail (LB_IS_PRECISION_GRID (self));
  g_return_if_fail (row < self->n_rows && col < self->n_cols);

  i = (gsize) row * self->n_cols + col;
  if (!lb_chart_set_string (&self->types[i], type))
    return;
  if (type == NULL && self->selected[i])
    apply_selection (self, g_memdup2 (self->selected, n_cells (self)));
  update_accessible (self);
  lb_chart_widget_invalidate (LB_CHART_WIDGET (self));
}

gboolean
lb_precision_grid_is_selected (LbPrecisionGrid *self,
                               guint            row,
                               guint            col)
{
  g_return_val_if_fail (LB_IS_PRECISION_GRID (self), FALSE);

  if (row >= self->n_rows || col >= self->n_cols)
    return FALSE;
  return self->selected[(gsize) row * self->n_cols + col] != 0;
}

guint
lb_precision_grid_get_n_selected (LbPrecisionGrid *self)
{
  g_return_val_if_fail (LB_IS_PRECISION_GRID (self), 0);
  return self->n_selected;
}

LbGridCell *
lb_precision_grid_get_selected_cells (LbPrecisionGrid *self,
                                      guint           *n_cells_out)
{
  LbGridCell *cells;
  guint n = 0;

  g_return_val_if_fail (LB_IS_PRECISION_GRID (self), NULL);
  g_return_val_if_fail (n_cells_out != NULL, NULL);

  *n_cells_out = self->n_selected;
  if (self->n_selected == 0)
    return NULL;
  cells = g_new (LbGridCell, self->n_selected);
  for (guint r = 0; r < self->n_rows; r++)
    for (guint c = 0; c < self->n_cols; c++)
      if (self->selected[(gsize) r * self->n_cols + c])
        cells[n++] = (LbGridCell) { r, c };
  g_assert (n == self->n_selected);
  return cells;
}

void
lb_precision_grid_select_cell (LbPrecisionGrid  *self,
                               guint             row,
                               guint             col,
                               LbGridSelectMode  mode)
{
  g_return_if_fail (LB_IS_PRECISION_GRID (self));

  select_rect_from (self, NULL, row, col, row, col, mode);
}

void
lb_precision_grid_select_rect (LbPrecisionGrid  *self,
                               guint             row0,
                               guint             col0,
                               guint             row1,
                               guint             col1,
                               LbGridSelectMode  mode)
{
  g_return_if_fail (LB_IS_PRECISION_GRID (self));

  select_rect_from (self, NULL, row0, col0, row1, col1, mode);
}

void
lb_precision_grid_select_row (LbPrecisionGrid  *self,
                              guint             row,
                              LbGridSelectMode  mode)
{
  g_return_if_fail (LB_IS_PRECISION_GRID (self));

  if (self->n_cols > 0)
    select_rect_from (self, NULL, row, 0, row, self->n_cols - 1, mode);
}

void
lb_precision_grid_select_column (LbPrecisionGrid  *self,
                                 guint             col,
                                 LbGridSelectMode  mode)
{
  g_return_if_fail (LB_IS_PRECISION_GRID (self));

  if (self->n_rows > 0)
    select_rect_from (self, NULL, 0, col, self->n_rows - 1, col, mode);
}

void
lb_precision_grid_select_all (LbPrecisionGrid *self)
{
  g_return_if_fail (LB_IS_PRECISION_GRID (self));

  if (n_cells (self) > 0)
    select_rect_from (self, NULL, 0, 0, self->n_rows - 1, self->n_cols - 1,
                      LB_GRID_SELECT_REPLACE);
}

void
lb_precision_grid_unselect_all (LbPrecisionGrid *self)
{
  g_return_if_fail (LB_IS_PRECISION_GRID (self));

  apply_selection (self, g_malloc0 (MAX (n_cells (self), 1)));
}

gboolean
lb_precision_grid_get_cursor (LbPrecisionGrid *self,
                              guint           *row,
                              guint           *col)
{
  g_return_val_if_fail (LB_IS_PRECISION_GRID (self), FALSE);

  if (n_cells (self) == 0)
    return FALSE;
  if (row != NULL)
    *row = self->cursor_row;
  if (col != NULL)
    *col = self->cursor_col;
  return TRUE;
}

void
lb_precision_grid_set_cursor (LbPrecisionGrid *self,
                              guint            row,
                              guint            col)
{
  g_return_if_fail (LB_IS_PRECISION_GRID (self));

  move_cursor_to (self, row, col);
  self->anchor_row = self->cursor_row;
  self->anchor_col = self->cursor_col;
}

LbGridHit
lb_precision_grid_pick (LbPrecisionGrid *self,
                        double           x,
                        double           y,
                        guint           *row,
                        guint           *col)
{
  g_return_val_if_fail (LB_IS_PRECISION_GRID (self), LB_GRID_HIT_NONE);

  if (!lb_chart_widget_ensure_drawn (LB_CHART_WIDGET (self)))
    return LB_GRID_HIT_NONE;
  return lb_precision_grid_geometry_hit (&self->geometry, x, y, row, col);
}

LB_CHART_WIDGET_DEFINE_TITLE_ACCESSORS (LbPrecisionGrid, lb_precision_grid, LB_IS_PRECISION_GRID)
/* lb_precision_grid_get_show_legend (), lb_precision_grid_set_show_legend () */
LB_CHART_WIDGET_DEFINE_BOOLEAN_ACCESSORS (LbPrecisionGrid, lb_precision_grid,
                                          LB_IS_PRECISION_GRID, show_legend,
                                          properties[PROP_SHOW_LEGEND])
