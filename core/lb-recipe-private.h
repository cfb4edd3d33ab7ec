/* lb-recipe-private.h: the recipe structure shared by lb-recipe.c (model,
 * JSON) and lb-quant-plan.c (resolution) */
#pragma once

#include "lb-recipe.h"

G_BEGIN_DECLS

typedef struct {
  char      *name;
  char      *description;
  LbType     base;        /* UNSET: the recipe's */
  LbType     embedding;
  LbType     output;
  GPtrArray *rules;       /* LbRecipeRule* */
} LbRecipeProfile;

struct _LbRecipe {
  gint       ref_count;
  char      *name;
  char      *description;
  char      *llama_ftype;
  char      *importance;
  LbType     base;
  LbType     embedding;
  LbType     output;
  LbType     norms;
  GPtrArray *rules;       /* LbRecipeRule* */
  GPtrArray *profiles;    /* LbRecipeProfile* */
};

LbRecipeProfile *lb_recipe_find_profile (LbRecipe *recipe, const char *name);

/* "when" conditions: FALSE + error for a malformed one */
gboolean lb_recipe_when_validate (const char *when, GError **error);
/* a validated condition against the model's query heads per KV head and
 * whether importance data is used */
gboolean lb_recipe_when_holds    (const char *when, guint gqa, gboolean has_imatrix);

/* Block index of "blk.N...." names; FALSE for other names. */
gboolean lb_recipe_layer_of      (const char *name, guint *layer);

/* Types a recipe may name: the float types and the block formats. */
gboolean lb_recipe_type_allowed  (LbType type);

G_END_DECLS
