/* lb-target-tile.c */
#include "config.h"

#include <math.h>
#include <glib/gi18n.h>

#include "lb-target-tile.h"

struct _LbTargetTile
{
  AdwBin          parent_instance;

  char           *title;
  char           *unit;
  char           *placeholder;   /* caption while not measured */
  double          value;
  LbTargetVerdict verdict;

  GtkLabel       *title_label;
  GtkLabel       *verdict_label;
  GtkLabel       *value_label;
  GtkLabel       *caption_label;
  GtkLabel       *unit_label;
  GtkSpinButton  *spin;
};

G_DEFINE_FINAL_TYPE (LbTargetTile, lb_target_tile, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_TITLE,
  PROP_UNIT,
  PROP_PLACEHOLDER,
  PROP_DIGITS,
  PROP_STEP,
  PROP_VERDICT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
update_verdict (LbTargetTile *self)
{
  GtkWidget *widget = GTK_WIDGET (self);
  double target = gtk_spin_button_get_value (self->spin);
  LbTargetVerdict verdict;
  g_autofree char *a11y = NULL;

  if (!isfinite (self->value))
    verdict = LB_TARGET_UNKNOWN;
  else
    verdict = self->value <= target ? LB_TARGET_PASS : LB_TARGET_FAIL;

  gtk_widget_remove_css_class (widget, "pass");
  gtk_widget_remove_css_class (widget, "fail");
  gtk_widget_remove_css_class (widget, "unknown");
  switch (verdict)
    {
    case LB_TARGET_PASS:
      gtk_widget_add_css_class (widget, "pass");
      /* Translators: a value meets its target */
      gtk_label_set_label (self->verdict_label, _("Pass"));
      break;
    case LB_TARGET_FAIL:
      gtk_widget_add_css_class (widget, "fail");
      /* Translators: a value misses its target */
      gtk_label_set_label (self->verdict_label, _("Fail"));
      break;
    case LB_TARGET_UNKNOWN:
    default:
      gtk_widget_add_css_class (widget, "unknown");
      gtk_label_set_label (self->verdict_label, _("Not measured"));
      break;
    }

  a11y = g_strdup_printf ("%s: %s, %s", self->title ? self->title : "",
                          gtk_label_get_label (self->value_label),
                          gtk_label_get_label (self->verdict_label));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, a11y, -1);

  if (verdict != self->verdict)
    {
      self->verdict = verdict;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_VERDICT]);
    }
}

void
lb_target_tile_set_value (LbTargetTile *self,
                          double        value,
                          const char   *text,
                          const char   *caption)
{
  g_return_if_fail (LB_IS_TARGET_TILE (self));

  self->value = value;
  if (isfinite (value))
    {
      gtk_label_set_label (self->value_label, text);
      gtk_widget_remove_css_class (GTK_WIDGET (self->value_label), "lb-not-measured");
    }
  else
    {
      gtk_label_set_label (self->value_label, _("Not measured yet"));
      gtk_widget_add_css_class (GTK_WIDGET (self->value_label), "lb-not-measured");
    }
  caption = caption != NULL ? caption : self->placeholder;
  gtk_label_set_label (self->caption_label, caption != NULL ? caption : "");
  update_verdict (self);
}

double
lb_target_tile_get_value (LbTargetTile *self)
{
  g_return_val_if_fail (LB_IS_TARGET_TILE (self), NAN);
  return self->value;
}

double
lb_target_tile_get_target (LbTargetTile *self)
{
  g_return_val_if_fail (LB_IS_TARGET_TILE (self), NAN);
  return gtk_spin_button_get_value (self->spin);
}

LbTargetVerdict
lb_target_tile_get_verdict (LbTargetTile *self)
{
  g_return_val_if_fail (LB_IS_TARGET_TILE (self), LB_TARGET_UNKNOWN);
  return self->verdict;
}

void
lb_target_tile_bind (LbTargetTile *self,
                     GSettings    *settings,
                     const char   *key)
{
  g_autoptr (GSettingsSchemaKey) schema_key = NULL;
  g_autoptr (GSettingsSchema) schema = NULL;
  g_autoptr (GVariant) range = NULL;
  GVariant *limits = NULL;
  const char *kind;

  g_return_if_fail (LB_IS_TARGET_TILE (self));
  g_return_if_fail (G_IS_SETTINGS (settings));

  /* the schema's range is the spin button's range */
  g_object_get (settings, "settings-schema", &schema, NULL);
  schema_key = g_settings_schema_get_key (schema, key);
  range = g_settings_schema_key_get_range (schema_key);
  g_variant_get (range, "(&sv)", &kind, &limits);
  if (g_str_equal (kind, "range"))
    {
      double lo, hi;

      g_variant_get (limits, "(dd)", &lo, &hi);
      gtk_spin_button_set_range (self->spin, lo, hi);
    }
  g_variant_unref (limits);

  g_settings_bind (settings, key, self->spin, "value", G_SETTINGS_BIND_DEFAULT);
  update_verdict (self);
}

static void
lb_target_tile_finalize (GObject *object)
{
  LbTargetTile *self = LB_TARGET_TILE (object);

  g_free (self->title);
  g_free (self->unit);
  g_free (self->placeholder);

  G_OBJECT_CLASS (lb_target_tile_parent_class)->finalize (object);
}

static void
lb_target_tile_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  LbTargetTile *self = LB_TARGET_TILE (object);

  switch (prop_id)
    {
    case PROP_TITLE:
      g_value_set_string (value, self->title);
      break;
    case PROP_UNIT:
      g_value_set_string (value, self->unit);
      break;
    case PROP_PLACEHOLDER:
      g_value_set_string (value, self->placeholder);
      break;
    case PROP_DIGITS:
      g_value_set_uint (value, gtk_spin_button_get_digits (self->spin));
      break;
    case PROP_STEP:
      {
        double step, page;

        gtk_spin_button_get_increments (self->spin, &step, &page);
        g_value_set_double (value, step);
      }
      break;
    case PROP_VERDICT:
      g_value_set_int (value, self->verdict);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lb_target_tile_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  LbTargetTile *self = LB_TARGET_TILE (object);

  switch (prop_id)
    {
    case PROP_TITLE:
      g_free (self->title);
      self->title = g_value_dup_string (value);
      gtk_label_set_label (self->title_label, self->title);
      break;
    case PROP_UNIT:
      g_free (self->unit);
      self->unit = g_value_dup_string (value);
      gtk_label_set_label (self->unit_label, self->unit);
      break;
    case PROP_PLACEHOLDER:
      g_free (self->placeholder);
      self->placeholder = g_value_dup_string (value);
      if (!isfinite (self->value))
        gtk_label_set_label (self->caption_label, self->placeholder);
      break;
    case PROP_DIGITS:
      gtk_spin_button_set_digits (self->spin, g_value_get_uint (value));
      break;
    case PROP_STEP:
      gtk_spin_button_set_increments (self->spin, g_value_get_double (value),
                                      10 * g_value_get_double (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lb_target_tile_class_init (LbTargetTileClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = lb_target_tile_finalize;
  object_class->get_property = lb_target_tile_get_property;
  object_class->set_property = lb_target_tile_set_property;

  properties[PROP_TITLE] =
    g_param_spec_string ("title", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  properties[PROP_UNIT] =
    g_param_spec_string ("unit", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  properties[PROP_PLACEHOLDER] =
    g_param_spec_string ("placeholder", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  properties[PROP_DIGITS] =
    g_param_spec_uint ("digits", NULL, NULL, 0, 6, 0,
                       G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  properties[PROP_STEP] =
    g_param_spec_double ("step", NULL, NULL, 0.0, G_MAXDOUBLE, 1.0,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  properties[PROP_VERDICT] =
    g_param_spec_int ("verdict", NULL, NULL, LB_TARGET_UNKNOWN, LB_TARGET_FAIL,
                      LB_TARGET_UNKNOWN,
                      G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_css_name (widget_class, "lb-target-tile");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
lb_target_tile_init (LbTargetTile *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 4);
  GtkWidget *top = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *bottom = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *target_label;

  self->value = NAN;
  self->verdict = LB_TARGET_UNKNOWN;

  gtk_widget_add_css_class (box, "card");
  gtk_widget_add_css_class (box, "lb-target-card");

  self->title_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_xalign (self->title_label, 0.0f);
  gtk_widget_set_hexpand (GTK_WIDGET (self->title_label), TRUE);
  gtk_widget_add_css_class (GTK_WIDGET (self->title_label), "heading");
  gtk_widget_add_css_class (GTK_WIDGET (self->title_label), "lb-target-title");
  gtk_box_append (GTK_BOX (top), GTK_WIDGET (self->title_label));

  self->verdict_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_widget_add_css_class (GTK_WIDGET (self->verdict_label), "caption-heading");
  gtk_widget_add_css_class (GTK_WIDGET (self->verdict_label), "lb-verdict");
  gtk_widget_set_valign (GTK_WIDGET (self->verdict_label), GTK_ALIGN_CENTER);
  gtk_box_append (GTK_BOX (top), GTK_WIDGET (self->verdict_label));
  gtk_box_append (GTK_BOX (box), top);

  self->value_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_xalign (self->value_label, 0.0f);
  gtk_label_set_ellipsize (self->value_label, PANGO_ELLIPSIZE_END);
  gtk_widget_add_css_class (GTK_WIDGET (self->value_label), "lb-target-value");
  gtk_widget_add_css_class (GTK_WIDGET (self->value_label), "numeric");
  gtk_widget_set_margin_top (GTK_WIDGET (self->value_label), 6);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->value_label));

  self->caption_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_xalign (self->caption_label, 0.0f);
  gtk_label_set_wrap (self->caption_label, TRUE);
  gtk_label_set_lines (self->caption_label, 2);
  gtk_label_set_ellipsize (self->caption_label, PANGO_ELLIPSIZE_END);
  gtk_widget_add_css_class (GTK_WIDGET (self->caption_label), "caption");
  gtk_widget_add_css_class (GTK_WIDGET (self->caption_label), "dim-label");
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->caption_label));

  /* Translators: before the editable target of a tile: "Target ≤ [500] MB" */
  target_label = gtk_label_new (_("Target ≤"));
  gtk_widget_add_css_class (target_label, "dim-label");
  gtk_widget_set_hexpand (target_label, TRUE);
  gtk_label_set_xalign (GTK_LABEL (target_label), 0.0f);
  gtk_box_append (GTK_BOX (bottom), target_label);

  self->spin = GTK_SPIN_BUTTON (gtk_spin_button_new_with_range (0, 100000, 1));
  gtk_spin_button_set_numeric (self->spin, TRUE);
  gtk_editable_set_width_chars (GTK_EDITABLE (self->spin), 5);
  gtk_widget_set_valign (GTK_WIDGET (self->spin), GTK_ALIGN_CENTER);
  g_signal_connect_swapped (self->spin, "value-changed", G_CALLBACK (update_verdict), self);
  gtk_box_append (GTK_BOX (bottom), GTK_WIDGET (self->spin));

  self->unit_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_widget_add_css_class (GTK_WIDGET (self->unit_label), "dim-label");
  gtk_label_set_width_chars (self->unit_label, 2);
  gtk_label_set_xalign (self->unit_label, 0.0f);
  gtk_box_append (GTK_BOX (bottom), GTK_WIDGET (self->unit_label));
  gtk_widget_set_margin_top (bottom, 10);
  gtk_box_append (GTK_BOX (box), bottom);

  gtk_accessible_update_relation (GTK_ACCESSIBLE (self->spin),
                                  GTK_ACCESSIBLE_RELATION_LABELLED_BY, target_label,
                                  self->unit_label, NULL, -1);

  adw_bin_set_child (ADW_BIN (self), box);
  lb_target_tile_set_value (self, NAN, NULL, NULL);
}

GtkWidget *
lb_target_tile_new (void)
{
  return g_object_new (LB_TYPE_TARGET_TILE, NULL);
}
