/* lb-precision-view.c: shows the model's own precision map with the
 * precision grid; editing comes when the page is connected to recipes and
 * variants (README.md says how). */
#include "config.h"

#include <glib/gi18n.h>

#include "lb-precision-view.h"
#include "lb-widgets.h"

const char * const lb_precision_kinds[LB_PRECISION_N_KINDS] = {
  "attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down",
};

struct _LbPrecisionView
{
  AdwBin           parent_instance;

  GtkStack        *stack;
  LbPrecisionGrid *grid;
  GtkLabel        *embd_label;
  GtkLabel        *output_label;
  LbModel         *model;
};

G_DEFINE_FINAL_TYPE (LbPrecisionView, lb_precision_view, ADW_TYPE_BIN)

static const char *
tensor_type_name (LbModel *model, const char *name)
{
  const LbTensor *t = lb_model_find_tensor (model, name);

  return t != NULL ? lb_type_get_name (t->type) : NULL;
}

static void
fill (LbPrecisionView *self, LbModel *model)
{
  const LbHParams *hp = lb_model_get_hparams (model);
  guint n_layers = hp->n_layer;
  g_autofree const char **types = g_new0 (const char *, (gsize) n_layers * LB_PRECISION_N_KINDS + 1);
  g_autoptr (GPtrArray) rows = g_ptr_array_new_with_free_func (g_free);
  const char *embd = tensor_type_name (model, "token_embd.weight");
  const char *output = tensor_type_name (model, "output.weight");

  for (guint il = 0; il < n_layers; il++)
    {
      g_ptr_array_add (rows, g_strdup_printf ("blk.%u", il));
      for (guint k = 0; k < LB_PRECISION_N_KINDS; k++)
        {
          g_autofree char *name = g_strdup_printf ("blk.%u.%s.weight", il, lb_precision_kinds[k]);

          types[il * LB_PRECISION_N_KINDS + k] = tensor_type_name (model, name);
        }
    }
  g_ptr_array_add (rows, NULL);
  lb_precision_grid_set_data (self->grid, n_layers, LB_PRECISION_N_KINDS, types,
                              (const char * const *) rows->pdata, lb_precision_kinds);

  gtk_label_set_label (self->embd_label, embd != NULL ? embd : _("Unknown"));
  if (output != NULL)
    gtk_label_set_label (self->output_label, output);
  else
    gtk_label_set_label (self->output_label, _("Shared with the embedding"));
}

void
lb_precision_view_set_model (LbPrecisionView *self, LbModel *model)
{
  g_return_if_fail (LB_IS_PRECISION_VIEW (self));
  g_return_if_fail (model == NULL || LB_IS_MODEL (model));

  if (!g_set_object (&self->model, model))
    return;
  if (model != NULL)
    fill (self, model);
  gtk_stack_set_visible_child_name (self->stack, model != NULL ? "map" : "empty");
}

static GtkLabel *
add_value_row (AdwPreferencesGroup *group, const char *title, const char *subtitle)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *label = gtk_label_new (NULL);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  gtk_widget_add_css_class (label, "lb-row-value");
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), label);
  adw_preferences_group_add (group, row);
  return GTK_LABEL (label);
}

static void
lb_precision_view_dispose (GObject *object)
{
  LbPrecisionView *self = LB_PRECISION_VIEW (object);

  g_clear_object (&self->model);

  G_OBJECT_CLASS (lb_precision_view_parent_class)->dispose (object);
}

static void
lb_precision_view_class_init (LbPrecisionViewClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = lb_precision_view_dispose;
}

static void
lb_precision_view_init (LbPrecisionView *self)
{
  GtkWidget *empty = adw_status_page_new ();
  GtkWidget *page = adw_preferences_page_new ();
  AdwPreferencesGroup *map_group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  AdwPreferencesGroup *ends_group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  AdwPreferencesGroup *next_group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  GtkWidget *card = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *row;

  adw_status_page_set_icon_name (ADW_STATUS_PAGE (empty), "lb-precision-symbolic");
  adw_status_page_set_title (ADW_STATUS_PAGE (empty), _("Precision Map Editor"));
  adw_status_page_set_description (ADW_STATUS_PAGE (empty),
                                   _("Open a model to see the type of each of its tensors."));

  adw_preferences_group_set_title (map_group, _("Precision Map"));
  adw_preferences_group_set_description (map_group,
    _("The type of each tensor of each layer, as stored in the model."));
  self->grid = LB_PRECISION_GRID (lb_precision_grid_new ());
  lb_precision_grid_set_show_legend (self->grid, TRUE);
  gtk_widget_set_hexpand (GTK_WIDGET (self->grid), TRUE);
  gtk_widget_set_size_request (GTK_WIDGET (self->grid), -1, 320);
  gtk_widget_add_css_class (card, "card");
  gtk_widget_add_css_class (card, "lb-mix-card");
  gtk_box_append (GTK_BOX (card), GTK_WIDGET (self->grid));
  adw_preferences_group_add (map_group, card);
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (page), map_group);

  adw_preferences_group_set_title (ends_group, _("Outside the Layers"));
  self->embd_label = add_value_row (ends_group, _("Token Embedding"), "token_embd.weight");
  self->output_label = add_value_row (ends_group, _("Output Layer"), "output.weight");
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (page), ends_group);

  adw_preferences_group_set_title (next_group, _("Editing"));
  row = adw_action_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _("Not Available Yet"));
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row),
    _("Choosing types cell by cell, rules and presets, and a size bar that follows your "
      "edits will come here. This page is not connected to quantization recipes yet."));
  adw_action_row_add_prefix (ADW_ACTION_ROW (row),
                             gtk_image_new_from_icon_name ("document-edit-symbolic"));
  adw_preferences_group_add (next_group, row);
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (page), next_group);

  self->stack = GTK_STACK (gtk_stack_new ());
  gtk_stack_add_named (self->stack, empty, "empty");
  gtk_stack_add_named (self->stack, page, "map");
  adw_bin_set_child (ADW_BIN (self), GTK_WIDGET (self->stack));
}

GtkWidget *
lb_precision_view_new (void)
{
  return g_object_new (LB_TYPE_PRECISION_VIEW, NULL);
}
