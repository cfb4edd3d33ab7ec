/* lb-recipe-edit.h: changing recipes from the precision map editor.
 *
 * LbRecipe can add rules but not remove, replace or move them, so edits go
 * through the recipe's JSON form, which keeps every other field (profiles,
 * defaults, importance). Recipes are treated as values: each edit returns a
 * new one and leaves its argument as it was. */
#pragma once

#include "lb-recipe.h"
#include "lowbit.h"

G_BEGIN_DECLS

LbRecipeRule *lb_recipe_rule_copy (const LbRecipeRule *rule);
void          lb_recipe_rule_free (LbRecipeRule *rule);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LbRecipeRule, lb_recipe_rule_free)

/* The recipe's own rules (not a profile's), copied: LbRecipeRule * */
GPtrArray *lb_recipe_edit_copy_rules (LbRecipe *recipe);

/* recipe with its own rules replaced by rules (LbRecipeRule *). The
 * llama.cpp mix name is dropped: edited, the recipe is no longer that mix.
 * NULL + error (naming the rule) when a rule is invalid. */
LbRecipe  *lb_recipe_edit_with_rules (LbRecipe *recipe, GPtrArray *rules, GError **error);

/* rules with new_rules put first; older rules with the same pattern and no
 * layer selector or condition are dropped (the new ones hide them). */
void       lb_recipe_edit_prepend_rules (GPtrArray *rules, GPtrArray *new_rules);

/* A recipe that gives every tensor of model the type in types (tensor name
 * -> GINT_TO_POINTER (LbType)); tensors not in types keep their own. Its
 * defaults are the most common types; exact rules cover the rest. NULL +
 * error when a type cannot be produced. */
LbRecipe  *lb_recipe_edit_from_types (LbModel *model, GHashTable *types, const char *name,
                                      GError **error);

/* recipe naming the importance data in path (NULL: none), everything else kept */
LbRecipe  *lb_recipe_edit_with_importance (LbRecipe *recipe, const char *path);

/* A pattern that matches exactly this name */
char      *lb_recipe_edit_escape_name (const char *name);
/* "blk.*.attn_v.weight" when every one of n_layer layers is set, else
 * "blk.[0,2,5-7].attn_v.weight"; NULL when none is */
char      *lb_recipe_edit_layers_pattern (const char *kind, const gboolean *layers,
                                          guint n_layer);

/* The recipe's name with its profile: "brief-mixed · performance" */
char      *lb_recipe_edit_describe (LbRecipe *recipe, const char *profile);

G_END_DECLS
