/* lb-recipe-edit.c */
#include "config.h"

#include <string.h>
#include <json-glib/json-glib.h>

#include "lb-recipe-edit.h"

LbRecipeRule *
lb_recipe_rule_copy (const LbRecipeRule *rule)
{
  LbRecipeRule *copy = g_new0 (LbRecipeRule, 1);

  *copy = *rule;
  copy->pattern = g_strdup (rule->pattern);
  copy->layers = g_strdup (rule->layers);
  copy->when = g_strdup (rule->when);
  copy->comment = g_strdup (rule->comment);
  return copy;
}

void
lb_recipe_rule_free (LbRecipeRule *rule)
{
  if (rule == NULL)
    return;
  g_free (rule->pattern);
  g_free (rule->layers);
  g_free (rule->when);
  g_free (rule->comment);
  g_free (rule);
}

GPtrArray *
lb_recipe_edit_copy_rules (LbRecipe *recipe)
{
  GPtrArray *rules = g_ptr_array_new_with_free_func ((GDestroyNotify) lb_recipe_rule_free);
  guint n = recipe != NULL ? lb_recipe_get_n_rules (recipe, NULL) : 0;

  for (guint i = 0; i < n; i++)
    g_ptr_array_add (rules, lb_recipe_rule_copy (lb_recipe_get_rule (recipe, NULL, i)));
  return rules;
}

static void
set_string (JsonObject *o, const char *member, const char *value)
{
  if (value != NULL)
    json_object_set_string_member (o, member, value);
}

static JsonNode *
rules_to_json (GPtrArray *rules)
{
  JsonArray *array = json_array_sized_new (rules->len);
  JsonNode *node = json_node_new (JSON_NODE_ARRAY);

  for (guint i = 0; i < rules->len; i++)
    {
      const LbRecipeRule *rule = g_ptr_array_index (rules, i);
      JsonObject *o = json_object_new ();
      const char *type = lb_type_get_name (rule->type);

      set_string (o, "pattern", rule->pattern);
      set_string (o, "layers", rule->layers);
      set_string (o, "when", rule->when);
      set_string (o, "type", type != NULL ? type : "?");
      if (rule->force)
        json_object_set_boolean_member (o, "force", TRUE);
      if (rule->optional)
        json_object_set_boolean_member (o, "optional", TRUE);
      set_string (o, "comment", rule->comment);
      json_array_add_object_element (array, o);
    }
  json_node_take_array (node, array);
  return node;
}

LbRecipe *
lb_recipe_edit_with_rules (LbRecipe *recipe, GPtrArray *rules, GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autofree char *data = NULL;
  g_autofree char *edited = NULL;
  JsonObject *root;

  g_return_val_if_fail (recipe != NULL, NULL);
  g_return_val_if_fail (rules != NULL, NULL);

  data = lb_recipe_to_data (recipe);
  if (!json_parser_load_from_data (parser, data, -1, error))
    return NULL;
  root = json_node_get_object (json_parser_get_root (parser));
  json_object_remove_member (root, "llama_ftype");
  json_object_remove_member (root, "rules");
  if (rules->len > 0)
    json_object_set_member (root, "rules", rules_to_json (rules));

  json_generator_set_root (gen, json_parser_get_root (parser));
  json_generator_set_pretty (gen, TRUE);
  edited = json_generator_to_data (gen, NULL);
  return lb_recipe_load_from_data (edited, -1, lb_recipe_get_name (recipe), error);
}

LbRecipe *
lb_recipe_edit_with_importance (LbRecipe *recipe, const char *path)
{
  g_autofree char *data = NULL;
  LbRecipe *copy;

  g_return_val_if_fail (recipe != NULL, NULL);

  /* a recipe's own JSON always loads back */
  data = lb_recipe_to_data (recipe);
  copy = lb_recipe_load_from_data (data, -1, lb_recipe_get_name (recipe), NULL);
  g_return_val_if_fail (copy != NULL, lb_recipe_ref (recipe));
  lb_recipe_set_importance (copy, path);
  return copy;
}

void
lb_recipe_edit_prepend_rules (GPtrArray *rules, GPtrArray *new_rules)
{
  for (guint i = 0; i < new_rules->len; i++)
    {
      const LbRecipeRule *added = g_ptr_array_index (new_rules, i);

      for (guint j = rules->len; j > 0; j--)
        {
          const LbRecipeRule *old = g_ptr_array_index (rules, j - 1);

          if (old->layers == NULL && old->when == NULL
              && g_strcmp0 (old->pattern, added->pattern) == 0)
            g_ptr_array_remove_index (rules, j - 1);
        }
    }
  for (guint i = new_rules->len; i > 0; i--)
    g_ptr_array_insert (rules, 0, lb_recipe_rule_copy (g_ptr_array_index (new_rules, i - 1)));
}

char *
lb_recipe_edit_escape_name (const char *name)
{
  GString *s = g_string_sized_new (strlen (name) + 4);

  for (const char *p = name; *p != '\0'; p++)
    {
      if (strchr ("*?[]\\", *p) != NULL)
        g_string_append_c (s, '\\');
      g_string_append_c (s, *p);
    }
  return g_string_free (s, FALSE);
}

char *
lb_recipe_edit_layers_pattern (const char *kind, const gboolean *layers, guint n_layer)
{
  GString *set = g_string_new (NULL);
  guint n_set = 0;
  g_autofree char *escaped = lb_recipe_edit_escape_name (kind);

  for (guint i = 0; i < n_layer; i++)
    {
      guint j = i;

      if (!layers[i])
        continue;
      while (j + 1 < n_layer && layers[j + 1])
        j++;
      if (set->len > 0)
        g_string_append_c (set, ',');
      if (j > i)
        g_string_append_printf (set, "%u-%u", i, j);
      else
        g_string_append_printf (set, "%u", i);
      n_set += j - i + 1;
      i = j;
    }
  if (n_set == 0)
    {
      g_string_free (set, TRUE);
      return NULL;
    }
  if (n_set == n_layer)
    {
      g_string_free (set, TRUE);
      return g_strdup_printf ("blk.*.%s.weight", escaped);
    }
  {
    g_autofree char *list = g_string_free (set, FALSE);

    return g_strdup_printf ("blk.[%s].%s.weight", list, escaped);
  }
}

/* The type holding the most elements among the matrices (or, with
 * matrices FALSE, the vectors), each in its type in types or its own */
static LbType
most_common (LbModel *model, GHashTable *types, gboolean matrices, LbType fallback)
{
  guint64 weight[LB_TYPE_COUNT] = { 0 };
  LbType best = fallback;

  for (guint i = 0; i < lb_model_get_n_tensors (model); i++)
    {
      const LbTensor *t = lb_model_get_tensor (model, i);
      gpointer value;
      LbType type = t->type;

      if ((t->n_dims >= 2) != matrices)
        continue;
      if (types != NULL && g_hash_table_lookup_extended (types, t->name, NULL, &value))
        type = GPOINTER_TO_INT (value);
      if ((guint) type < LB_TYPE_COUNT)
        weight[type] += (guint64) lb_tensor_n_elements (t);
    }
  for (LbType t = 0; t < LB_TYPE_COUNT; t++)
    if (weight[t] > 0 && (best == fallback || weight[t] > weight[best]))
      best = t;
  return best;
}

static LbType
wanted_type (const LbTensor *t, GHashTable *types)
{
  gpointer value;

  if (types != NULL && g_hash_table_lookup_extended (types, t->name, NULL, &value))
    return GPOINTER_TO_INT (value);
  return t->type;
}

LbRecipe *
lb_recipe_edit_from_types (LbModel *model, GHashTable *types, const char *name, GError **error)
{
  g_autoptr (LbRecipe) draft = lb_recipe_new (name);
  g_autoptr (LbQuantPlan) plan = NULL;
  g_autoptr (GPtrArray) rules = g_ptr_array_new_with_free_func ((GDestroyNotify) lb_recipe_rule_free);
  const LbTensor *embd = lb_model_find_tensor (model, "token_embd.weight");
  const LbTensor *output = lb_model_find_tensor (model, "output.weight");
  LbType norms = most_common (model, types, FALSE, LB_TYPE_F32);

  g_return_val_if_fail (LB_IS_MODEL (model), NULL);

  if (norms != LB_TYPE_F32 && norms != LB_TYPE_F16 && norms != LB_TYPE_BF16)
    norms = LB_TYPE_F32;
  lb_recipe_set_base_type (draft, most_common (model, types, TRUE, LB_TYPE_F16));
  lb_recipe_set_norm_type (draft, norms);
  if (embd != NULL)
    lb_recipe_set_embedding_type (draft, wanted_type (embd, types));
  /* a tied embedding is also the output projection and takes its type */
  if (output != NULL)
    lb_recipe_set_output_type (draft, wanted_type (output, types));
  else if (embd != NULL)
    lb_recipe_set_output_type (draft, wanted_type (embd, types));

  /* whatever the defaults do not give gets an exact rule */
  if (!lb_recipe_resolve (draft, model, NULL, &plan, error))
    return NULL;
  for (guint i = 0; i < lb_quant_plan_get_n_entries (plan); i++)
    {
      const LbPlanEntry *e = lb_quant_plan_get_entry (plan, i);
      LbType want = wanted_type (e->tensor, types);
      LbRecipeRule rule = { 0 };

      if (e->type == want)
        continue;
      rule.pattern = lb_recipe_edit_escape_name (e->tensor->name);
      rule.type = want;
      rule.force = e->tensor->n_dims < 2;
      g_ptr_array_add (rules, lb_recipe_rule_copy (&rule));
      g_free (rule.pattern);
    }
  if (rules->len == 0)
    return g_steal_pointer (&draft);
  return lb_recipe_edit_with_rules (draft, rules, error);
}

char *
lb_recipe_edit_describe (LbRecipe *recipe, const char *profile)
{
  if (recipe == NULL)
    return NULL;
  if (profile != NULL)
    return g_strdup_printf ("%s · %s", lb_recipe_get_name (recipe), profile);
  return g_strdup (lb_recipe_get_name (recipe));
}
