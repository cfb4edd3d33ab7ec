/* lb-precision-view.c: the precision map editor. The grid shows the type
 * each tensor has in the session's variant; every edit (a type for the
 * selected cells, a rule, a preset, a profile, undo, redo, a loaded recipe,
 * the planner's fit) goes to the session, which applies it as a job and
 * says when the types changed. */
#include "config.h"

#include <math.h>
#include <glib/gi18n.h>

#include "lb-format.h"
#include "lb-job.h"
#include "lb-planner.h"
#include "lb-precision-view.h"
#include "lb-importance-row.h"
#include "lb-page-layout.h"
#include "lb-recipe-edit.h"
#include "lb-sensitivity.h"
#include "lb-widgets.h"
#include "lb-view-util.h"
#include "lb-window.h"

/* What a cell can be set to, widest first; those Lowbit cannot produce
 * are left out when the view is made */
static const LbType edit_types[] = {
  LB_TYPE_F32, LB_TYPE_F16, LB_TYPE_BF16, LB_TYPE_Q8_0, LB_TYPE_Q6_K, LB_TYPE_Q5_K,
  LB_TYPE_Q5_1, LB_TYPE_Q5_0, LB_TYPE_Q4_K, LB_TYPE_Q4_1, LB_TYPE_Q4_0, LB_TYPE_IQ4_NL,
  LB_TYPE_Q3_K, LB_TYPE_Q2_K,
};

/* The planner chooses among these */
static const LbType plan_types[] = {
  LB_TYPE_Q8_0, LB_TYPE_Q6_K, LB_TYPE_Q5_K, LB_TYPE_Q4_K, LB_TYPE_Q3_K, LB_TYPE_Q2_K,
};

struct _LbPrecisionView
{
  AdwBin            parent_instance;

  GtkStack         *stack;
  LbPrecisionGrid  *grid;
  LbPrecisionGrid  *ends_grid;
  GtkDropDown      *type_dropdown;
  GtkButton        *set_button;
  GtkWidget        *undo_button;
  GtkWidget        *redo_button;
  GtkLabel         *selection_label;
  LbSizeBar        *size_bar;
  GtkLabel         *data_label;
  GtkLabel         *file_label;
  GtkLabel         *state_label;
  AdwComboRow      *preset_row;
  AdwComboRow      *profile_row;
  AdwActionRow     *fit_row;
  LbImportanceRow  *importance_row;
  GtkButton        *fit_button;
  AdwPreferencesGroup *rules_group;
  GPtrArray        *rule_rows;     /* RuleRow *, the rows of rules_group */
  AdwActionRow     *no_rules_row;
  GtkLabel         *base_label;
  GtkLabel         *embd_label;
  GtkLabel         *output_label;
  GtkLabel         *norms_label;

  GArray           *types;         /* LbType of the dropdown's items */
  char            **presets;
  GtkStringList    *profile_model;
  char             *ends_names[2];
  LbRecipe         *shown_recipe;  /* whose rules the rows show */
  gboolean          updating;      /* combos set from the session, not the user */

  LbSession        *session;
  GSettings        *settings;
  GtkNativeDialog  *chooser;
  LbJob            *fit_job;
};

G_DEFINE_FINAL_TYPE (LbPrecisionView, lb_precision_view, ADW_TYPE_BIN)

/* ---- the grids ------------------------------------------------------------- */

static const char *
type_name_or_null (LbSession *session, const char *name)
{
  LbType type = lb_session_get_tensor_type (session, name);

  return type < LB_TYPE_COUNT ? lb_type_get_name (type) : NULL;
}

static void
fill_grids (LbPrecisionView *self)
{
  LbModel *model = lb_session_get_model (self->session);
  const LbHParams *hp = lb_model_get_hparams (model);
  guint n_layers = hp->n_layer;
  g_autofree const char **types = g_new0 (const char *, (gsize) n_layers * LB_PRECISION_N_KINDS + 1);
  g_autoptr (GPtrArray) rows = g_ptr_array_new_with_free_func (g_free);
  const char *ends[2];
  const char *end_labels[2] = { "token_embd", NULL };
  gboolean tied = lb_model_find_tensor (model, "output.weight") == NULL;

  for (guint il = 0; il < n_layers; il++)
    {
      g_ptr_array_add (rows, g_strdup_printf ("blk.%u", il));
      for (guint k = 0; k < LB_PRECISION_N_KINDS; k++)
        {
          g_autofree char *name = g_strdup_printf ("blk.%u.%s.weight", il, lb_precision_kinds[k]);

          types[il * LB_PRECISION_N_KINDS + k] = type_name_or_null (self->session, name);
        }
    }
  g_ptr_array_add (rows, NULL);
  lb_precision_grid_set_data (self->grid, n_layers, LB_PRECISION_N_KINDS, types,
                              (const char * const *) rows->pdata, lb_precision_kinds);

  ends[0] = type_name_or_null (self->session, "token_embd.weight");
  ends[1] = tied ? NULL : type_name_or_null (self->session, "output.weight");
  /* Translators: the output projection is the token embedding (tied weights) */
  end_labels[1] = tied ? _("output (tied)") : "output";
  lb_precision_grid_set_data (self->ends_grid, 1, 2, ends, NULL, end_labels);
}

char **
lb_precision_view_get_selected_names (LbPrecisionView *self)
{
  g_autoptr (GStrvBuilder) names = g_strv_builder_new ();
  g_autofree LbGridCell *cells = NULL;
  g_autofree LbGridCell *ends = NULL;
  guint n = 0, n_ends = 0;

  g_return_val_if_fail (LB_IS_PRECISION_VIEW (self), NULL);

  cells = lb_precision_grid_get_selected_cells (self->grid, &n);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *name = g_strdup_printf ("blk.%u.%s.weight", cells[i].row,
                                               lb_precision_kinds[cells[i].col]);

      g_strv_builder_add (names, name);
    }
  ends = lb_precision_grid_get_selected_cells (self->ends_grid, &n_ends);
  for (guint i = 0; i < n_ends; i++)
    if (ends[i].col < 2 && self->ends_names[ends[i].col] != NULL)
      g_strv_builder_add (names, self->ends_names[ends[i].col]);
  return g_strv_builder_end (names);
}

static void
update_selection (LbPrecisionView *self)
{
  g_auto (GStrv) names = NULL;
  guint n;
  gboolean busy;
  g_autofree char *text = NULL;

  if (self->session == NULL)
    return;
  names = lb_precision_view_get_selected_names (self);
  n = g_strv_length (names);
  busy = lb_session_get_busy (self->session);

  if (n == 0)
    text = g_strdup (_("No tensor selected"));
  else if (n == 1)
    text = g_strdup (names[0]);
  else
    text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u tensor selected",
                                         "%u tensors selected", n), n);
  gtk_label_set_label (self->selection_label, text);
  gtk_widget_set_sensitive (GTK_WIDGET (self->set_button), n > 0 && !busy);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "precision.set-type", n > 0 && !busy);
}

/* A selection in one grid clears the other's */
static void
on_grid_selection (LbPrecisionGrid *grid, LbPrecisionView *self)
{
  LbPrecisionGrid *other = grid == self->grid ? self->ends_grid : self->grid;

  if (lb_precision_grid_get_n_selected (grid) > 0 && lb_precision_grid_get_n_selected (other) > 0
      && !self->updating)
    {
      self->updating = TRUE;
      lb_precision_grid_unselect_all (other);
      self->updating = FALSE;
    }
  update_selection (self);
}

static LbType
selected_type (LbPrecisionView *self)
{
  guint i = gtk_drop_down_get_selected (self->type_dropdown);

  return i < self->types->len ? g_array_index (self->types, LbType, i) : LB_TYPE_COUNT;
}

static void
set_types (LbPrecisionView *self, LbType type)
{
  g_auto (GStrv) names = NULL;

  if (self->session == NULL || type >= LB_TYPE_COUNT)
    return;
  names = lb_precision_view_get_selected_names (self);
  if (names[0] == NULL)
    return;
  lb_session_set_types (self->session, (const char * const *) names, type);
}

static void
set_type_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  LbPrecisionView *self = LB_PRECISION_VIEW (widget);
  LbType type;

  if (!lb_type_from_name (g_variant_get_string (parameter, NULL), &type))
    return;
  set_types (self, type);
}

static void
on_set_clicked (GtkButton *button, LbPrecisionView *self)
{
  set_types (self, selected_type (self));
}

/* Double-click or Enter on a cell: it alone gets the chosen type */
static void
on_cell_activated (LbPrecisionGrid *grid, guint row, guint col, LbPrecisionView *self)
{
  lb_precision_grid_select_cell (grid, row, col, LB_GRID_SELECT_REPLACE);
  set_types (self, selected_type (self));
}

/* ---- sizes ------------------------------------------------------------------- */

static int
compare_types (gconstpointer a, gconstpointer b)
{
  return lb_quant_type_compare (lb_type_get_name (*(const LbType *) a),
                                lb_type_get_name (*(const LbType *) b));
}

static void
update_budget (LbPrecisionView *self)
{
  if (self->settings != NULL)
    lb_size_bar_set_budget (self->size_bar,
                            g_settings_get_double (self->settings, "target-size-mb") * 1e6);
}

static void
fill_sizes (LbPrecisionView *self)
{
  LbModel *model = lb_session_get_model (self->session);
  LbVariant *variant = lb_session_get_variant (self->session);
  guint64 bytes[LB_TYPE_COUNT] = { 0 };
  g_autoptr (GArray) types = g_array_new (FALSE, FALSE, sizeof (LbType));
  g_autofree const char **names = NULL;
  g_autofree double *sizes = NULL;
  guint64 data = lb_session_get_data_bytes (self->session);
  guint64 file = lb_session_get_file_bytes (self->session);
  g_autofree char *data_text = NULL;
  g_autofree char *file_text = NULL;
  g_autofree char *exact = NULL;
  g_autofree char *data_size = g_format_size (data);
  g_autofree char *file_size = g_format_size (file);

  for (guint i = 0; i < lb_model_get_n_tensors (model); i++)
    {
      const LbTensor *t = lb_model_get_tensor (model, i);
      LbType type = lb_variant_get_tensor_type (variant, t->name);

      if (type < LB_TYPE_COUNT)
        bytes[type] += lb_variant_get_tensor_bytes (variant, t->name);
    }
  for (LbType t = 0; t < LB_TYPE_COUNT; t++)
    if (bytes[t] > 0)
      g_array_append_val (types, t);
  g_array_sort (types, compare_types);
  names = g_new0 (const char *, types->len + 1);
  sizes = g_new0 (double, types->len + 1);
  for (guint i = 0; i < types->len; i++)
    {
      names[i] = lb_type_get_name (g_array_index (types, LbType, i));
      sizes[i] = bytes[g_array_index (types, LbType, i)];
    }
  lb_size_bar_set_segments (self->size_bar, types->len, names, sizes);
  update_budget (self);

  exact = lb_format_count (data);
  /* Translators: "7.1 MB (7,085,312 bytes)" */
  data_text = g_strdup_printf (_("%s (%s bytes)"), data_size, exact);
  gtk_label_set_label (self->data_label, data_text);
  g_free (exact);
  exact = lb_format_count (file);
  file_text = g_strdup_printf (_("%s (%s bytes)"), file_size, exact);
  gtk_label_set_label (self->file_label, file_text);
}

/* ---- recipe, presets, profiles ---------------------------------------------- */

static void
update_combos (LbPrecisionView *self)
{
  LbRecipe *recipe = lb_session_get_recipe (self->session);
  const char *profile = lb_session_get_profile (self->session);
  guint n_presets = self->presets != NULL ? g_strv_length (self->presets) : 0;
  guint preset = n_presets + 1;   /* "Custom" */
  guint n_profiles = recipe != NULL ? lb_recipe_get_n_profiles (recipe) : 0;
  guint profile_index = 0;
  g_autofree char *label = lb_session_dup_label (self->session);
  g_autoptr (GPtrArray) profiles = g_ptr_array_new ();

  self->updating = TRUE;

  /* a preset as it came, or the model's own types; anything else is custom */
  if (recipe == NULL)
    preset = 0;
  else
    {
      g_autofree char *plain = lb_recipe_edit_describe (recipe, profile);

      for (guint i = 0; i < n_presets; i++)
        if (g_strcmp0 (self->presets[i], lb_recipe_get_name (recipe)) == 0
            && g_strcmp0 (label, plain) == 0)
          preset = i + 1;
    }
  adw_combo_row_set_selected (self->preset_row, preset);

  g_ptr_array_add (profiles, (gpointer) C_("profile", "None"));
  for (guint i = 0; i < n_profiles; i++)
    {
      const char *name = lb_recipe_get_profile_name (recipe, i);

      g_ptr_array_add (profiles, (gpointer) name);
      if (g_strcmp0 (name, profile) == 0)
        profile_index = i + 1;
    }
  g_ptr_array_add (profiles, NULL);
  gtk_string_list_splice (self->profile_model, 0,
                          g_list_model_get_n_items (G_LIST_MODEL (self->profile_model)),
                          (const char * const *) profiles->pdata);
  adw_combo_row_set_selected (self->profile_row, profile_index);
  gtk_widget_set_sensitive (GTK_WIDGET (self->profile_row), n_profiles > 0);
  if (profile != NULL && recipe != NULL)
    adw_action_row_set_subtitle (ADW_ACTION_ROW (self->profile_row),
                                 lb_recipe_get_profile_description (recipe, profile));
  else if (n_profiles > 0)
    adw_action_row_set_subtitle (ADW_ACTION_ROW (self->profile_row),
                                 _("Rules that the recipe offers for one purpose"));
  else
    adw_action_row_set_subtitle (ADW_ACTION_ROW (self->profile_row),
                                 _("This recipe has no profiles"));

  gtk_label_set_label (self->state_label, label);
  self->updating = FALSE;
}

static LbRecipe *
load_preset (LbPrecisionView *self, const char *name)
{
  g_autoptr (GError) error = NULL;
  LbRecipe *recipe = lb_recipe_load_preset (name, &error);

  if (recipe == NULL)
    lb_view_show_error (GTK_WIDGET (self), _("Could Not Load the Preset"), error->message);
  return recipe;
}

static void
on_preset_selected (AdwComboRow *row, GParamSpec *pspec, LbPrecisionView *self)
{
  guint i = adw_combo_row_get_selected (row);
  guint n_presets = self->presets != NULL ? g_strv_length (self->presets) : 0;

  if (self->updating || self->session == NULL)
    return;
  if (i == 0)
    {
      if (lb_session_reset (self->session))
        return;
    }
  else if (i <= n_presets)
    {
      g_autoptr (LbRecipe) recipe = load_preset (self, self->presets[i - 1]);

      if (recipe != NULL)
        {
          /* Translators: a preset's name */
          g_autofree char *what = g_strdup_printf (_("Preset %s"), self->presets[i - 1]);

          if (lb_session_apply_recipe (self->session, recipe, NULL, what))
            return;
        }
    }
  /* nothing started: show what is (the session says "changed" otherwise) */
  update_combos (self);
}

static void
on_profile_selected (AdwComboRow *row, GParamSpec *pspec, LbPrecisionView *self)
{
  LbRecipe *recipe;
  guint i = adw_combo_row_get_selected (row);
  const char *profile;
  g_autofree char *what = NULL;

  if (self->updating || self->session == NULL)
    return;
  recipe = lb_session_get_recipe (self->session);
  if (recipe == NULL)
    return;
  profile = i > 0 && i <= lb_recipe_get_n_profiles (recipe)
            ? lb_recipe_get_profile_name (recipe, i - 1) : NULL;
  what = profile != NULL ? g_strdup_printf (_("Profile %s"), profile) : g_strdup (_("No profile"));
  if (!lb_session_apply_recipe (self->session, recipe, profile, what))
    update_combos (self);
}

/* ---- rules ---------------------------------------------------------------------- */

/* One row of the rule list; rows stay in place and only change their text
 * when the rules change, so that an edit does not rebuild the list */
typedef struct {
  GtkWidget     *row;        /* AdwEntryRow: the pattern */
  GtkDropDown   *dropdown;   /* the type */
  GtkStringList *names;      /* the drop-down's types */
  GtkLabel      *extra;      /* layers, condition, force */
} RuleRow;

static guint
type_index (RuleRow *rr, LbType type)
{
  const char *name = lb_type_get_name (type);
  GListModel *model = G_LIST_MODEL (rr->names);

  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    if (g_strcmp0 (gtk_string_list_get_string (rr->names, i), name) == 0)
      return i;
  /* a type a recipe may name but the editor does not offer */
  gtk_string_list_append (rr->names, name != NULL ? name : "?");
  return g_list_model_get_n_items (model) - 1;
}

static void
set_rules (LbPrecisionView *self, GPtrArray *rules, const char *what)
{
  lb_session_set_rules (self->session, rules, what);
}

static void
on_rule_pattern_applied (AdwEntryRow *row, LbPrecisionView *self)
{
  guint index = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (row), "lb-rule-index"));
  const char *pattern = gtk_editable_get_text (GTK_EDITABLE (row));
  g_autoptr (GPtrArray) rules = lb_recipe_edit_copy_rules (lb_session_get_recipe (self->session));
  g_autoptr (GError) error = NULL;
  g_autofree char *what = NULL;
  LbRecipeRule *rule;

  if (index >= rules->len)
    return;
  if (!lb_recipe_pattern_validate (pattern, &error))
    {
      gtk_widget_add_css_class (GTK_WIDGET (row), "error");
      lb_view_show_error (GTK_WIDGET (self), _("Not a Valid Pattern"), error->message);
      return;
    }
  gtk_widget_remove_css_class (GTK_WIDGET (row), "error");
  rule = g_ptr_array_index (rules, index);
  g_free (rule->pattern);
  rule->pattern = g_strdup (pattern);
  /* Translators: a rule's pattern was changed, "Rule 3: blk.*.attn_v.weight" */
  what = g_strdup_printf (_("Rule %u: %s"), index + 1, pattern);
  set_rules (self, rules, what);
}

static void
on_rule_type_selected (GtkDropDown *dropdown, GParamSpec *pspec, LbPrecisionView *self)
{
  guint index = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (dropdown), "lb-rule-index"));
  GtkStringObject *item = gtk_drop_down_get_selected_item (dropdown);
  g_autoptr (GPtrArray) rules = NULL;
  g_autofree char *what = NULL;
  LbRecipeRule *rule;
  LbType type;

  if (self->updating || item == NULL
      || !lb_type_from_name (gtk_string_object_get_string (item), &type))
    return;
  rules = lb_recipe_edit_copy_rules (lb_session_get_recipe (self->session));
  if (index >= rules->len)
    return;
  rule = g_ptr_array_index (rules, index);
  if (rule->type == type)
    return;
  rule->type = type;
  /* Translators: "Rule 3: Q8_0" */
  what = g_strdup_printf (_("Rule %u: %s"), index + 1, lb_type_get_name (rule->type));
  set_rules (self, rules, what);
}

static void
on_rule_removed (GtkButton *button, LbPrecisionView *self)
{
  guint index = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (button), "lb-rule-index"));
  g_autoptr (GPtrArray) rules = lb_recipe_edit_copy_rules (lb_session_get_recipe (self->session));
  g_autofree char *what = NULL;

  if (index >= rules->len)
    return;
  /* Translators: "Remove rule 3" */
  what = g_strdup_printf (_("Remove rule %u"), index + 1);
  g_ptr_array_remove_index (rules, index);
  set_rules (self, rules, what);
}

static void
add_rule_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  LbPrecisionView *self = LB_PRECISION_VIEW (widget);
  g_autoptr (GPtrArray) rules = NULL;
  LbRecipeRule rule = { .pattern = (char *) "blk.*.attn_v.weight", .type = selected_type (self) };

  if (self->session == NULL || rule.type >= LB_TYPE_COUNT)
    return;
  rules = lb_recipe_edit_copy_rules (lb_session_get_recipe (self->session));
  g_ptr_array_add (rules, lb_recipe_rule_copy (&rule));
  set_rules (self, rules, _("Add a rule"));
}

static void
clear_rule_rows (LbPrecisionView *self, guint keep)
{
  while (self->rule_rows->len > keep)
    {
      RuleRow *rr = g_ptr_array_index (self->rule_rows, self->rule_rows->len - 1);

      adw_preferences_group_remove (self->rules_group, rr->row);
      g_ptr_array_remove_index (self->rule_rows, self->rule_rows->len - 1);
    }
}

static RuleRow *
rule_row_new (LbPrecisionView *self, guint index)
{
  RuleRow *rr = g_new0 (RuleRow, 1);
  GtkWidget *remove = gtk_button_new_from_icon_name ("user-trash-symbolic");
  g_autofree char *title = NULL;

  rr->row = adw_entry_row_new ();
  /* Translators: the title of a rule's pattern entry */
  title = g_strdup_printf (_("Rule %u"), index + 1);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (rr->row), title);
  adw_entry_row_set_show_apply_button (ADW_ENTRY_ROW (rr->row), TRUE);
  g_object_set_data (G_OBJECT (rr->row), "lb-rule-index", GUINT_TO_POINTER (index));
  g_signal_connect (rr->row, "apply", G_CALLBACK (on_rule_pattern_applied), self);

  rr->extra = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_max_width_chars (rr->extra, 14);
  gtk_label_set_ellipsize (rr->extra, PANGO_ELLIPSIZE_END);
  gtk_widget_add_css_class (GTK_WIDGET (rr->extra), "dim-label");
  gtk_widget_add_css_class (GTK_WIDGET (rr->extra), "caption");
  adw_entry_row_add_suffix (ADW_ENTRY_ROW (rr->row), GTK_WIDGET (rr->extra));

  rr->names = gtk_string_list_new (NULL);
  for (guint i = 0; i < self->types->len; i++)
    gtk_string_list_append (rr->names, lb_type_get_name (g_array_index (self->types, LbType, i)));
  rr->dropdown = GTK_DROP_DOWN (gtk_drop_down_new (G_LIST_MODEL (rr->names), NULL));
  gtk_widget_set_valign (GTK_WIDGET (rr->dropdown), GTK_ALIGN_CENTER);
  gtk_widget_set_tooltip_text (GTK_WIDGET (rr->dropdown), _("Type"));
  g_object_set_data (G_OBJECT (rr->dropdown), "lb-rule-index", GUINT_TO_POINTER (index));
  g_signal_connect (rr->dropdown, "notify::selected", G_CALLBACK (on_rule_type_selected), self);
  adw_entry_row_add_suffix (ADW_ENTRY_ROW (rr->row), GTK_WIDGET (rr->dropdown));

  gtk_widget_set_tooltip_text (remove, _("Remove This Rule"));
  gtk_widget_set_valign (remove, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (remove, "flat");
  g_object_set_data (G_OBJECT (remove), "lb-rule-index", GUINT_TO_POINTER (index));
  g_signal_connect (remove, "clicked", G_CALLBACK (on_rule_removed), self);
  adw_entry_row_add_suffix (ADW_ENTRY_ROW (rr->row), remove);

  adw_preferences_group_add (self->rules_group, rr->row);
  return rr;
}

static void
rule_row_show (LbPrecisionView *self, RuleRow *rr, const LbRecipeRule *rule)
{
  GString *extra = g_string_new (NULL);

  if (g_strcmp0 (gtk_editable_get_text (GTK_EDITABLE (rr->row)), rule->pattern) != 0)
    gtk_editable_set_text (GTK_EDITABLE (rr->row), rule->pattern);
  gtk_widget_remove_css_class (rr->row, "error");
  gtk_drop_down_set_selected (rr->dropdown, type_index (rr, rule->type));

  if (rule->layers != NULL)
    /* Translators: a rule's layer selector, "layers more-bits" */
    g_string_append_printf (extra, _("layers %s"), rule->layers);
  if (rule->when != NULL)
    g_string_append_printf (extra, "%s%s %s", extra->len > 0 ? " · " : "",
                            /* Translators: a rule's condition, "when imatrix" */
                            C_("rule condition", "when"), rule->when);
  if (rule->force)
    g_string_append_printf (extra, "%s%s", extra->len > 0 ? " · " : "",
                            /* Translators: a rule that also applies to norms and biases */
                            _("also vectors"));
  if (g_strcmp0 (gtk_label_get_label (rr->extra), extra->str) != 0)
    {
      gtk_label_set_label (rr->extra, extra->str);
      gtk_widget_set_tooltip_text (GTK_WIDGET (rr->extra), extra->str);
    }
  gtk_widget_set_visible (GTK_WIDGET (rr->extra), extra->len > 0);
  g_string_free (extra, TRUE);
}

static void
fill_rules (LbPrecisionView *self)
{
  LbRecipe *recipe = lb_session_get_recipe (self->session);
  guint n = recipe != NULL ? lb_recipe_get_n_rules (recipe, NULL) : 0;

  if (recipe == self->shown_recipe && self->shown_recipe != NULL)
    return;
  g_clear_pointer (&self->shown_recipe, lb_recipe_unref);
  self->shown_recipe = recipe != NULL ? lb_recipe_ref (recipe) : NULL;

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->no_rules_row),
                                 recipe == NULL ? _("The Model’s Own Types") : _("No Rules"));
  adw_action_row_set_subtitle (self->no_rules_row,
    recipe == NULL ? _("Choose a preset or set types in the grid: your choices become "
                       "rules here.")
                   : _("Every tensor takes the defaults below."));
  gtk_widget_set_visible (GTK_WIDGET (self->no_rules_row), n == 0);

  self->updating = TRUE;
  clear_rule_rows (self, n);
  for (guint i = 0; i < n; i++)
    {
      if (i >= self->rule_rows->len)
        g_ptr_array_add (self->rule_rows, rule_row_new (self, i));
      rule_row_show (self, g_ptr_array_index (self->rule_rows, i),
                     lb_recipe_get_rule (recipe, NULL, i));
    }
  self->updating = FALSE;
}

static void
set_type_label (GtkLabel *label, LbType type, const char *unset)
{
  gtk_label_set_label (label, type < LB_TYPE_COUNT ? lb_type_get_name (type) : unset);
}

static void
fill_defaults (LbPrecisionView *self)
{
  LbRecipe *recipe = lb_session_get_recipe (self->session);
  const char *base = _("As stored");

  if (recipe == NULL)
    {
      gtk_label_set_label (self->base_label, base);
      gtk_label_set_label (self->embd_label, base);
      gtk_label_set_label (self->output_label, base);
      gtk_label_set_label (self->norms_label, base);
      return;
    }
  set_type_label (self->base_label, lb_recipe_get_base_type (recipe), "?");
  set_type_label (self->norms_label, lb_recipe_get_norm_type (recipe), "F32");
  /* what the embedding and output get, defaults and ties resolved (a tied
   * embedding is the output projection too, and takes the output type) */
  {
    LbQuantPlan *plan = lb_session_get_plan (self->session);
    const LbPlanEntry *embd = plan != NULL ? lb_quant_plan_find (plan, "token_embd.weight") : NULL;
    const LbPlanEntry *output = plan != NULL ? lb_quant_plan_find (plan, "output.weight") : NULL;

    set_type_label (self->embd_label, embd != NULL ? embd->type : LB_TYPE_COUNT, "—");
    if (output != NULL)
      set_type_label (self->output_label, output->type, "—");
    else
      gtk_label_set_label (self->output_label, _("Shared with the embedding"));
  }
}

/* ---- the session ------------------------------------------------------------ */

static void
update_busy (LbPrecisionView *self)
{
  gboolean busy = self->session != NULL && lb_session_get_busy (self->session);

  gtk_widget_set_sensitive (GTK_WIDGET (self->type_dropdown), !busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->preset_row), !busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->profile_row),
                            !busy && self->session != NULL
                            && lb_session_get_recipe (self->session) != NULL
                            && lb_recipe_get_n_profiles (lb_session_get_recipe (self->session)) > 0);
  gtk_widget_set_sensitive (GTK_WIDGET (self->rules_group), !busy);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "precision.add-rule", !busy);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "precision.open-recipe", !busy);
  /* an edit that failed or was cancelled leaves the combos as they were */
  if (!busy && self->session != NULL)
    update_combos (self);
  /* what undo and redo would do */
  {
    const char *undo = self->session != NULL ? lb_session_get_undo_label (self->session) : NULL;
    const char *redo = self->session != NULL ? lb_session_get_redo_label (self->session) : NULL;
    g_autofree char *undo_tip = undo != NULL ? g_strdup_printf (_("Undo: %s"), undo)
                                             : g_strdup (_("Undo"));
    g_autofree char *redo_tip = redo != NULL ? g_strdup_printf (_("Redo: %s"), redo)
                                             : g_strdup (_("Redo"));

    gtk_widget_set_tooltip_text (self->undo_button, undo_tip);
    gtk_widget_set_tooltip_text (self->redo_button, redo_tip);
  }
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "precision.fit-budget",
                                 !busy && self->fit_job == NULL);
  update_selection (self);
}

static void
refresh (LbPrecisionView *self)
{
  fill_grids (self);
  fill_sizes (self);
  update_combos (self);
  fill_rules (self);
  fill_defaults (self);
  update_busy (self);
}

void
lb_precision_view_set_session (LbPrecisionView *self, LbSession *session)
{
  g_return_if_fail (LB_IS_PRECISION_VIEW (self));
  g_return_if_fail (session == NULL || LB_IS_SESSION (session));

  if (!lb_view_replace_session (self, &self->session, session, NULL))
    return;
  /* on_fitted drops the job once it has stopped */
  if (self->fit_job != NULL)
    lb_job_cancel (self->fit_job);
  g_clear_pointer (&self->shown_recipe, lb_recipe_unref);
  clear_rule_rows (self, 0);
  lb_importance_row_set_session (self->importance_row, session);

  if (session != NULL)
    {
      LbModel *model = lb_session_get_model (session);
      gboolean tied = lb_model_find_tensor (model, "output.weight") == NULL;

      g_free (self->ends_names[0]);
      g_free (self->ends_names[1]);
      self->ends_names[0] = g_strdup ("token_embd.weight");
      self->ends_names[1] = tied ? NULL : g_strdup ("output.weight");
      g_signal_connect_swapped (session, "changed", G_CALLBACK (refresh), self);
      g_signal_connect_swapped (session, "notify::busy", G_CALLBACK (update_busy), self);
      lb_precision_grid_unselect_all (self->grid);
      lb_precision_grid_unselect_all (self->ends_grid);
      refresh (self);
    }
  gtk_stack_set_visible_child_name (self->stack, session != NULL ? "map" : "empty");
}

void
lb_precision_view_set_settings (LbPrecisionView *self, GSettings *settings)
{
  g_return_if_fail (LB_IS_PRECISION_VIEW (self));
  g_return_if_fail (G_IS_SETTINGS (settings));

  g_set_object (&self->settings, settings);
  g_signal_connect_object (settings, "changed::target-size-mb", G_CALLBACK (update_budget),
                           self, G_CONNECT_SWAPPED);
  update_budget (self);
}

/* ---- recipe files ------------------------------------------------------------- */

static void
on_open_response (GtkNativeDialog *dialog, int response, LbPrecisionView *self)
{
  if (response == GTK_RESPONSE_ACCEPT && self->session != NULL)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = g_file_get_path (file);
      g_autofree char *base = g_file_get_basename (file);
      g_autoptr (GError) error = NULL;
      g_autoptr (LbRecipe) recipe = path != NULL ? lb_recipe_load (path, &error) : NULL;

      if (recipe == NULL)
        lb_view_show_error (GTK_WIDGET (self), _("Could Not Open the Recipe"),
                            error != NULL ? error->message : _("Choose a file on this computer."));
      else
        {
          /* Translators: a recipe file name */
          g_autofree char *what = g_strdup_printf (_("Recipe %s"), base);

          lb_session_apply_recipe (self->session, recipe, NULL, what);
        }
    }
  g_clear_object (&self->chooser);
}

static void
on_save_response (GtkNativeDialog *dialog, int response, LbPrecisionView *self)
{
  if (response == GTK_RESPONSE_ACCEPT && self->session != NULL)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = g_file_get_path (file);
      g_autoptr (GError) error = NULL;
      g_autoptr (LbRecipe) recipe = NULL;

      if (lb_session_get_recipe (self->session) != NULL)
        recipe = lb_recipe_ref (lb_session_get_recipe (self->session));
      else
        {
          recipe = lb_recipe_edit_from_types (lb_session_get_model (self->session), NULL,
                                              "as-stored", &error);
          if (recipe != NULL)
            lb_recipe_set_importance (recipe, lb_session_get_importance (self->session));
        }
      if (path == NULL)
        lb_view_show_error (GTK_WIDGET (self), _("Could Not Save the Recipe"),
                            _("Choose a file on this computer."));
      else if (recipe == NULL || !lb_recipe_save (recipe, path, &error))
        lb_view_show_error (GTK_WIDGET (self), _("Could Not Save the Recipe"), error->message);
      else
        {
          g_autofree char *name = g_file_get_basename (file);
          /* Translators: a file name */
          g_autofree char *text = g_strdup_printf (_("Saved %s"), name);
          LbWindow *window = lb_view_get_window (GTK_WIDGET (self));

          if (window != NULL)
            lb_window_show_toast (window, text);
        }
    }
  g_clear_object (&self->chooser);
}

static void
run_chooser (LbPrecisionView *self, gboolean save)
{
  GtkFileChooserNative *native;

  native = lb_view_file_chooser_new (GTK_WIDGET (self), &self->chooser,
                                     save ? _("Save the Recipe") : _("Open a Recipe"),
                                     save ? GTK_FILE_CHOOSER_ACTION_SAVE
                                          : GTK_FILE_CHOOSER_ACTION_OPEN,
                                     save ? _("_Save") : _("_Open"),
                                     lb_view_file_filter_new (_("Recipes (JSON)"), NULL, "*.json", NULL));
  if (save)
    {
      LbRecipe *recipe = lb_session_get_recipe (self->session);
      g_autofree char *name = g_strdup_printf ("%s.json",
                                               recipe != NULL ? lb_recipe_get_name (recipe)
                                                              : "recipe");

      g_strdelimit (name, "/\\:", '-');
      gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (native), name);
    }
  g_signal_connect (native, "response",
                    save ? G_CALLBACK (on_save_response) : G_CALLBACK (on_open_response), self);
  gtk_native_dialog_show (self->chooser);
}

static void
open_recipe_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  if (LB_PRECISION_VIEW (widget)->session != NULL)
    run_chooser (LB_PRECISION_VIEW (widget), FALSE);
}

static void
save_recipe_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  if (LB_PRECISION_VIEW (widget)->session != NULL)
    run_chooser (LB_PRECISION_VIEW (widget), TRUE);
}

/* ---- fit to budget: the planner as a job ------------------------------------ */

typedef struct {
  LbModel   *model;
  LbImatrix *imatrix;        /* the session's importance data, or NULL */
  char      *imatrix_path;
  guint64    budget;
  guint      n_threads;
} FitData;

static void
fit_data_free (gpointer data)
{
  FitData *d = data;

  g_clear_object (&d->model);
  g_clear_pointer (&d->imatrix, lb_imatrix_unref);
  g_free (d->imatrix_path);
  g_free (d);
}

static void
fit_progress (double fraction, const char *stage, gpointer user_data)
{
  /* the weight proxy of each tensor under each type: most of the time */
  lb_job_report (LB_JOB (user_data), 0.9 * fraction, NULL);
}

static gpointer
fit_thread (LbJob *job, gpointer task_data, GCancellable *cancellable, GError **error)
{
  FitData *d = task_data;
  LbSensitivityParams sp;
  LbPlannerParams pp = { 0 };
  g_autoptr (LbSensitivity) sens = NULL;
  g_autoptr (LbPlanner) planner = NULL;
  g_autoptr (LbPlannerResult) result = NULL;

  lb_sensitivity_params_init (&sp);
  sp.types = plan_types;
  sp.n_types = G_N_ELEMENTS (plan_types);
  sp.group_by = LB_SENS_GROUP_TENSOR;
  sp.measure = FALSE;
  sp.n_threads = d->n_threads;
  sp.imatrix = d->imatrix;
  lb_job_report (job, 0.0, _("Measuring how much each tensor loses under each type"));
  sens = lb_sensitivity_compute (d->model, NULL, 0, &sp, fit_progress, job, cancellable, error);
  if (sens == NULL)
    return NULL;

  lb_job_report (job, 0.95, _("Choosing the types that fit the budget"));
  pp.types = plan_types;
  pp.n_types = G_N_ELEMENTS (plan_types);
  pp.use_proxy = TRUE;
  pp.imatrix = d->imatrix;
  pp.imatrix_path = d->imatrix_path;
  pp.name = "fit-to-budget";
  planner = lb_planner_new (d->model, sens, &pp, error);
  if (planner == NULL)
    return NULL;
  result = lb_planner_plan (planner, d->budget, error);
  if (result == NULL)
    return NULL;
  return lb_recipe_ref (result->recipe);
}

static void
on_fitted (GObject *source, GAsyncResult *result, gpointer user_data)
{
  LbJob *job = LB_JOB (source);
  g_autoptr (LbPrecisionView) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (LbRecipe) recipe = lb_job_run_finish (job, result, &error);

  if (self->fit_job == job)
    g_clear_object (&self->fit_job);
  update_busy (self);
  if (recipe == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        lb_view_show_error (GTK_WIDGET (self), _("Could Not Fit the Budget"), error->message);
      return;
    }
  if (self->session != NULL)
    lb_session_apply_recipe (self->session, recipe, NULL, lb_job_get_title (job));
}

static void
fit_budget_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  LbPrecisionView *self = LB_PRECISION_VIEW (widget);
  LbWindow *window = lb_view_get_window (GTK_WIDGET (self));
  g_autoptr (LbJob) job = NULL;
  g_autofree char *budget = NULL;
  g_autofree char *title = NULL;
  FitData *d;

  if (self->session == NULL || window == NULL || self->fit_job != NULL
      || lb_session_get_busy (self->session))
    return;

  d = g_new0 (FitData, 1);
  d->model = g_object_ref (lb_session_get_model (self->session));
  d->budget = (guint64) (g_settings_get_double (lb_window_get_settings (window),
                                                "target-size-mb") * 1e6);
  d->n_threads = lb_session_get_n_threads (self->session);
  if (lb_session_get_imatrix (self->session) != NULL)
    {
      d->imatrix = lb_imatrix_ref (lb_session_get_imatrix (self->session));
      d->imatrix_path = g_strdup (lb_session_get_importance (self->session));
    }
  budget = g_format_size (d->budget);
  /* Translators: "Fitting to 500.0 MB" */
  title = g_strdup_printf (_("Fitting to %s"), budget);
  job = lb_job_new (title);
  self->fit_job = g_object_ref (job);
  lb_window_add_job (window, job);
  update_busy (self);
  lb_job_run_async (job, fit_thread, d, fit_data_free, (GDestroyNotify) lb_recipe_unref,
                    on_fitted, g_object_ref (self));
}

/* ---- building the page ---------------------------------------------------------- */

static GtkLabel *
add_value_row (AdwPreferencesGroup *group, const char *title, const char *subtitle)
{
  GtkLabel *label = lb_view_add_value_row (group, title, subtitle);

  gtk_label_set_selectable (label, TRUE);
  return label;
}

static GtkWidget *
icon_button (const char *icon, const char *tooltip, const char *action)
{
  GtkWidget *button = gtk_button_new_from_icon_name (icon);

  gtk_widget_set_tooltip_text (button, tooltip);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (button), action);
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  return button;
}

static GtkWidget *
build_map_group (LbPrecisionView *self)
{
  AdwPreferencesGroup *group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  GtkWidget *toolbar = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *card = lb_view_card_new ();
  g_autoptr (GtkStringList) names = gtk_string_list_new (NULL);
  GtkWidget *undo_redo = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 0);

  lb_group_set_title (group, _("Tensor Types"));
  lb_group_set_description (group,
    _("Each layer’s matrices, coloured by type. Select cells (click, drag, or a layer or kind "
      "label), choose a type and set it: only those tensors are quantized again."));

  /* the toolbar: undo and redo, what is selected, the type and the button */
  gtk_widget_add_css_class (undo_redo, "linked");
  self->undo_button = icon_button ("edit-undo-symbolic", _("Undo"), "win.undo");
  self->redo_button = icon_button ("edit-redo-symbolic", _("Redo"), "win.redo");
  gtk_box_append (GTK_BOX (undo_redo), self->undo_button);
  gtk_box_append (GTK_BOX (undo_redo), self->redo_button);
  gtk_box_append (GTK_BOX (toolbar), undo_redo);

  self->selection_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_xalign (self->selection_label, 0.0f);
  gtk_label_set_ellipsize (self->selection_label, PANGO_ELLIPSIZE_MIDDLE);
  gtk_widget_set_hexpand (GTK_WIDGET (self->selection_label), TRUE);
  gtk_widget_set_margin_start (GTK_WIDGET (self->selection_label), 6);
  gtk_widget_add_css_class (GTK_WIDGET (self->selection_label), "dim-label");
  gtk_box_append (GTK_BOX (toolbar), GTK_WIDGET (self->selection_label));

  for (guint i = 0; i < self->types->len; i++)
    gtk_string_list_append (names, lb_type_get_name (g_array_index (self->types, LbType, i)));
  self->type_dropdown = GTK_DROP_DOWN (gtk_drop_down_new (G_LIST_MODEL (g_steal_pointer (&names)),
                                                          NULL));
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->type_dropdown), _("Type for the Selected Tensors"));
  gtk_widget_set_valign (GTK_WIDGET (self->type_dropdown), GTK_ALIGN_CENTER);
  for (guint i = 0; i < self->types->len; i++)
    if (g_array_index (self->types, LbType, i) == LB_TYPE_Q8_0)
      gtk_drop_down_set_selected (self->type_dropdown, i);
  gtk_box_append (GTK_BOX (toolbar), GTK_WIDGET (self->type_dropdown));

  self->set_button = GTK_BUTTON (gtk_button_new_with_mnemonic (_("_Set Type")));
  gtk_widget_add_css_class (GTK_WIDGET (self->set_button), "suggested-action");
  gtk_widget_set_valign (GTK_WIDGET (self->set_button), GTK_ALIGN_CENTER);
  g_signal_connect (self->set_button, "clicked", G_CALLBACK (on_set_clicked), self);
  gtk_box_append (GTK_BOX (toolbar), GTK_WIDGET (self->set_button));
  gtk_widget_add_css_class (toolbar, "lb-map-toolbar");
  gtk_box_append (GTK_BOX (card), toolbar);

  self->grid = LB_PRECISION_GRID (lb_precision_grid_new ());
  lb_precision_grid_set_show_legend (self->grid, TRUE);
  gtk_widget_set_hexpand (GTK_WIDGET (self->grid), TRUE);
  gtk_widget_set_size_request (GTK_WIDGET (self->grid), -1, 320);
  g_signal_connect (self->grid, "selection-changed", G_CALLBACK (on_grid_selection), self);
  g_signal_connect (self->grid, "cell-activated", G_CALLBACK (on_cell_activated), self);
  gtk_box_append (GTK_BOX (card), GTK_WIDGET (self->grid));

  self->ends_grid = LB_PRECISION_GRID (lb_precision_grid_new ());
  lb_precision_grid_set_show_legend (self->ends_grid, FALSE);
  lb_precision_grid_set_title (self->ends_grid, _("Outside the layers"));
  gtk_widget_set_size_request (GTK_WIDGET (self->ends_grid), -1, 76);
  g_signal_connect (self->ends_grid, "selection-changed", G_CALLBACK (on_grid_selection), self);
  g_signal_connect (self->ends_grid, "cell-activated", G_CALLBACK (on_cell_activated), self);
  gtk_box_append (GTK_BOX (card), GTK_WIDGET (self->ends_grid));

  adw_preferences_group_add (group, card);
  return GTK_WIDGET (group);
}

static GtkWidget *
build_size_group (LbPrecisionView *self)
{
  AdwPreferencesGroup *group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  GtkWidget *card = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);

  lb_group_set_title (group, _("Size"));
  lb_group_set_description (group,
    _("Exact bytes of each type as the map stands, against the size target."));
  gtk_widget_add_css_class (card, "card");
  gtk_widget_add_css_class (card, "lb-mix-card");
  self->size_bar = LB_SIZE_BAR (lb_size_bar_new ());
  lb_size_bar_set_show_legend (self->size_bar, TRUE);
  gtk_widget_set_hexpand (GTK_WIDGET (self->size_bar), TRUE);
  gtk_box_append (GTK_BOX (card), GTK_WIDGET (self->size_bar));
  adw_preferences_group_add (group, card);
  return GTK_WIDGET (group);
}

static GtkWidget *
build_recipe_group (LbPrecisionView *self)
{
  AdwPreferencesGroup *group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  GtkWidget *suffix = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 0);
  g_autoptr (GtkStringList) presets = gtk_string_list_new (NULL);
  GtkWidget *row;

  lb_group_set_title (group, _("Recipe"));
  gtk_widget_add_css_class (suffix, "linked");
  gtk_box_append (GTK_BOX (suffix), icon_button ("document-open-symbolic", _("Open a Recipe…"),
                                                 "precision.open-recipe"));
  gtk_box_append (GTK_BOX (suffix), icon_button ("document-save-symbolic", _("Save the Recipe…"),
                                                 "precision.save-recipe"));
  lb_group_set_suffix (group, suffix);

  self->state_label = add_value_row (group, _("Current Map"), NULL);

  gtk_string_list_append (presets, _("The Model’s Own Types"));
  for (guint i = 0; self->presets != NULL && self->presets[i] != NULL; i++)
    gtk_string_list_append (presets, self->presets[i]);
  /* Translators: a recipe that is not one of the presets */
  gtk_string_list_append (presets, _("Custom"));
  self->preset_row = ADW_COMBO_ROW (adw_combo_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->preset_row), _("Preset"));
  adw_action_row_set_subtitle (ADW_ACTION_ROW (self->preset_row),
                               _("llama.cpp’s mixes and the brief’s scheme"));
  adw_combo_row_set_model (self->preset_row, G_LIST_MODEL (presets));
  g_signal_connect (self->preset_row, "notify::selected", G_CALLBACK (on_preset_selected), self);
  adw_preferences_group_add (group, GTK_WIDGET (self->preset_row));

  self->profile_model = gtk_string_list_new (NULL);
  self->profile_row = ADW_COMBO_ROW (adw_combo_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->profile_row), _("Profile"));
  adw_combo_row_set_model (self->profile_row, G_LIST_MODEL (self->profile_model));
  g_signal_connect (self->profile_row, "notify::selected", G_CALLBACK (on_profile_selected), self);
  adw_preferences_group_add (group, GTK_WIDGET (self->profile_row));

  self->importance_row = LB_IMPORTANCE_ROW (lb_importance_row_new ());
  adw_preferences_group_add (group, GTK_WIDGET (self->importance_row));

  row = adw_action_row_new ();
  self->fit_row = ADW_ACTION_ROW (row);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _("Fit to Budget"));
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row),
    _("Types that fit the size target with the least weight error"));
  self->fit_button = GTK_BUTTON (gtk_button_new_with_mnemonic (_("_Fit")));
  gtk_actionable_set_action_name (GTK_ACTIONABLE (self->fit_button), "precision.fit-budget");
  gtk_widget_set_valign (GTK_WIDGET (self->fit_button), GTK_ALIGN_CENTER);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), GTK_WIDGET (self->fit_button));
  adw_preferences_group_add (group, row);

  self->data_label = add_value_row (group, _("Tensor Data"), _("Exact, as the map stands"));
  self->file_label = add_value_row (group, _("GGUF File"), _("Exact size of a quantized export"));
  return GTK_WIDGET (group);
}

static GtkWidget *
build_rules_group (LbPrecisionView *self)
{
  AdwPreferencesGroup *group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());

  lb_group_set_title (group, _("Rules"));
  lb_group_set_description (group,
    _("Pattern → type, first match wins: * any text, ? one character, [0-3,7] layer numbers. "
      "Press Enter to apply a pattern."));
  lb_group_set_suffix (group, icon_button ("list-add-symbolic",
                                                               _("Add a Rule"),
                                                               "precision.add-rule"));
  self->no_rules_row = ADW_ACTION_ROW (adw_action_row_new ());
  gtk_widget_add_css_class (GTK_WIDGET (self->no_rules_row), "dim-label");
  adw_preferences_group_add (group, GTK_WIDGET (self->no_rules_row));
  self->rules_group = group;
  return GTK_WIDGET (group);
}

static GtkWidget *
build_defaults_group (LbPrecisionView *self)
{
  AdwPreferencesGroup *group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());

  lb_group_set_title (group, _("Defaults"));
  lb_group_set_description (group, _("For tensors that no rule matches"));
  self->base_label = add_value_row (group, _("Other Matrices"), NULL);
  self->embd_label = add_value_row (group, _("Token Embedding"), "token_embd.weight");
  self->output_label = add_value_row (group, _("Output Layer"), "output.weight");
  self->norms_label = add_value_row (group, _("Norms and Biases"), NULL);
  return GTK_WIDGET (group);
}

static void
lb_precision_view_dispose (GObject *object)
{
  LbPrecisionView *self = LB_PRECISION_VIEW (object);

  lb_view_release_session (self, self->session, &self->fit_job);
  lb_view_close_chooser (&self->chooser);
  g_clear_object (&self->session);
  g_clear_object (&self->settings);
  g_clear_pointer (&self->shown_recipe, lb_recipe_unref);

  G_OBJECT_CLASS (lb_precision_view_parent_class)->dispose (object);
}

static void
lb_precision_view_finalize (GObject *object)
{
  LbPrecisionView *self = LB_PRECISION_VIEW (object);

  g_clear_pointer (&self->types, g_array_unref);
  g_clear_pointer (&self->rule_rows, g_ptr_array_unref);
  g_clear_pointer (&self->presets, g_strfreev);
  g_clear_object (&self->profile_model);
  g_free (self->ends_names[0]);
  g_free (self->ends_names[1]);

  G_OBJECT_CLASS (lb_precision_view_parent_class)->finalize (object);
}

static void
lb_precision_view_class_init (LbPrecisionViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = lb_precision_view_dispose;
  object_class->finalize = lb_precision_view_finalize;

  gtk_widget_class_install_action (widget_class, "precision.set-type", "s", set_type_action);
  gtk_widget_class_install_action (widget_class, "precision.add-rule", NULL, add_rule_action);
  gtk_widget_class_install_action (widget_class, "precision.open-recipe", NULL, open_recipe_action);
  gtk_widget_class_install_action (widget_class, "precision.save-recipe", NULL, save_recipe_action);
  gtk_widget_class_install_action (widget_class, "precision.fit-budget", NULL, fit_budget_action);
}

static void
lb_precision_view_init (LbPrecisionView *self)
{
  GtkWidget *empty = adw_status_page_new ();
  GtkWidget *scrolled = gtk_scrolled_window_new ();
  GtkWidget *clamp = adw_clamp_new ();
  GtkWidget *columns = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 30);
  GtkWidget *left = gtk_box_new (GTK_ORIENTATION_VERTICAL, 24);
  GtkWidget *right = gtk_box_new (GTK_ORIENTATION_VERTICAL, 24);

  self->types = g_array_new (FALSE, FALSE, sizeof (LbType));
  for (guint i = 0; i < G_N_ELEMENTS (edit_types); i++)
    {
      const LbTypeTraits *traits = lb_type_get_traits (edit_types[i]);

      if (traits != NULL && traits->from_float != NULL)
        g_array_append_val (self->types, edit_types[i]);
    }
  self->rule_rows = g_ptr_array_new_with_free_func (g_free);
  self->presets = lb_recipe_list_presets ();

  adw_status_page_set_icon_name (ADW_STATUS_PAGE (empty), "lb-precision-symbolic");
  adw_status_page_set_title (ADW_STATUS_PAGE (empty), _("Precision Map Editor"));
  adw_status_page_set_description (ADW_STATUS_PAGE (empty),
                                   _("Open a model to choose the type of each of its tensors."));

  gtk_widget_set_margin_top (columns, 24);
  gtk_widget_set_margin_bottom (columns, 30);
  gtk_widget_set_margin_start (columns, 18);
  gtk_widget_set_margin_end (columns, 18);
  gtk_widget_set_hexpand (left, TRUE);
  gtk_widget_set_valign (left, GTK_ALIGN_START);
  gtk_box_append (GTK_BOX (left), build_map_group (self));
  gtk_box_append (GTK_BOX (left), build_size_group (self));
  gtk_box_append (GTK_BOX (right), build_recipe_group (self));
  gtk_box_append (GTK_BOX (right), build_rules_group (self));
  gtk_box_append (GTK_BOX (right), build_defaults_group (self));
  lb_columns_append (columns, left);
  /* the recipe beside the map, no wider than it needs */
  {
    GtkWidget *right_clamp = adw_clamp_new ();

    adw_clamp_set_maximum_size (ADW_CLAMP (right_clamp), 440);
    adw_clamp_set_tightening_threshold (ADW_CLAMP (right_clamp), 360);
    adw_clamp_set_child (ADW_CLAMP (right_clamp), right);
    gtk_widget_set_size_request (right_clamp, 360, -1);
    gtk_widget_set_valign (right_clamp, GTK_ALIGN_START);
    lb_columns_append (columns, right_clamp);
  }

  adw_clamp_set_maximum_size (ADW_CLAMP (clamp), 1400);
  adw_clamp_set_child (ADW_CLAMP (clamp), columns);
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scrolled), GTK_POLICY_NEVER,
                                  GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), lb_page_box_new (clamp));

  self->stack = GTK_STACK (gtk_stack_new ());
  gtk_stack_add_named (self->stack, empty, "empty");
  gtk_stack_add_named (self->stack, scrolled, "map");
  adw_bin_set_child (ADW_BIN (self), GTK_WIDGET (self->stack));
  lb_page_single_line_rows (GTK_WIDGET (self));
}

GtkWidget *
lb_precision_view_new (void)
{
  return g_object_new (LB_TYPE_PRECISION_VIEW, NULL);
}
