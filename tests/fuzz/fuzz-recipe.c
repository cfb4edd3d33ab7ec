/* fuzz-recipe.c: the recipe JSON reader over arbitrary bytes. Every recipe
 * it accepts must save and load back to the same text, and its patterns and
 * selectors must evaluate (without crashing) on some tensor names; the input
 * is also tried as a pattern and a layer selector. */
#include <glib.h>
#include <stdint.h>
#include <string.h>

#include "lb-recipe.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static const char * const names[] = {
  "token_embd.weight", "output.weight", "blk.0.attn_q.weight", "blk.17.ffn_down.weight",
  "blk.3.attn_norm.weight", "blk.123456789012.x", "", "blk..weight",
};

static void
exercise_rules (LbRecipe *recipe, const char *profile)
{
  for (guint i = 0; i < lb_recipe_get_n_rules (recipe, profile); i++)
    {
      const LbRecipeRule *rule = lb_recipe_get_rule (recipe, profile, i);

      g_assert (rule != NULL && rule->pattern != NULL);
      for (guint k = 0; k < G_N_ELEMENTS (names); k++)
        (void) lb_recipe_pattern_match (rule->pattern, names[k]);
      if (rule->layers)
        for (guint layer = 0; layer < 40; layer += 13)
          (void) lb_recipe_layers_match (rule->layers, layer, 40);
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  GError *error = NULL;
  LbRecipe *recipe = lb_recipe_load_from_data ((const char *) data, (gssize) size, "fuzz", &error);
  char *text = g_strndup ((const char *) data, MIN (size, 4096));

  /* the raw input as a pattern and as a selector */
  if (lb_recipe_pattern_validate (text, NULL))
    for (guint k = 0; k < G_N_ELEMENTS (names); k++)
      (void) lb_recipe_pattern_match (text, names[k]);
  for (guint k = 0; k < G_N_ELEMENTS (names); k++)
    (void) lb_recipe_pattern_match (names[k], text);
  (void) lb_recipe_layers_match (text, 3, 28);
  g_free (text);

  if (recipe == NULL)
    {
      g_assert (error != NULL && error->message != NULL);
      g_error_free (error);
      return 0;
    }
  exercise_rules (recipe, NULL);
  for (guint p = 0; p < lb_recipe_get_n_profiles (recipe); p++)
    exercise_rules (recipe, lb_recipe_get_profile_name (recipe, p));
  {
    char *saved = lb_recipe_to_data (recipe);
    LbRecipe *again = lb_recipe_load_from_data (saved, -1, "saved", &error);
    char *saved2;

    g_assert (again != NULL);
    saved2 = lb_recipe_to_data (again);
    g_assert (strcmp (saved, saved2) == 0);
    g_free (saved);
    g_free (saved2);
    lb_recipe_unref (again);
  }
  lb_recipe_unref (recipe);
  return 0;
}
