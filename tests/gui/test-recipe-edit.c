/* test-recipe-edit.c: the precision map editor's recipe edits
 * (app/workbench/lb-recipe-edit.c), no display needed. The type maps come
 * from llama.cpp's own quantizations of mini-qwen2, not from Lowbit. */
#include "config.h"

#include "lb-recipe-edit.h"
#include "lb-test-util.h"

static LbModel *
load (const char *folder, const char *file)
{
  g_autofree char *path = lb_test_shared_path ("models", folder, file, NULL);
  g_autoptr (GError) error = NULL;
  LbModel *model;

  g_assert_nonnull (path);
  model = lb_model_load (path, NULL, NULL, &error);
  g_assert_no_error (error);
  return model;
}

static void
test_layers_pattern (void)
{
  gboolean all[4] = { TRUE, TRUE, TRUE, TRUE };
  gboolean some[8] = { TRUE, FALSE, TRUE, FALSE, FALSE, TRUE, TRUE, TRUE };
  gboolean none[3] = { FALSE, FALSE, FALSE };
  g_autofree char *a = lb_recipe_edit_layers_pattern ("attn_v", all, 4);
  g_autofree char *b = lb_recipe_edit_layers_pattern ("ffn_down", some, 8);
  g_autofree char *c = lb_recipe_edit_layers_pattern ("attn_q", none, 3);

  g_assert_cmpstr (a, ==, "blk.*.attn_v.weight");
  g_assert_cmpstr (b, ==, "blk.[0,2,5-7].ffn_down.weight");
  g_assert_null (c);
  /* and the recipe's own matcher agrees on every layer */
  for (guint i = 0; i < 8; i++)
    {
      g_autofree char *name = g_strdup_printf ("blk.%u.ffn_down.weight", i);

      g_assert_cmpint (lb_recipe_pattern_match (b, name), ==, some[i]);
    }
}

static void
test_escape (void)
{
  const char *names[] = { "blk.3.attn_q.weight", "odd*name?[1]\\x", "token_embd.weight" };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *pattern = lb_recipe_edit_escape_name (names[i]);

      g_assert_true (lb_recipe_pattern_validate (pattern, NULL));
      g_assert_true (lb_recipe_pattern_match (pattern, names[i]));
    }
  g_assert_false (lb_recipe_pattern_match ("odd\\*name\\?\\[1\\]\\\\x", "oddXname?[1]\\x"));
}

/* Rules put first hide older ones of the same pattern; the rest of the
 * recipe (defaults, profiles) survives the JSON round trip */
static void
test_with_rules (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (LbRecipe) preset = lb_recipe_load_preset ("brief-mixed", &error);
  g_autoptr (LbRecipe) edited = NULL;
  g_autoptr (GPtrArray) rules = NULL;
  g_autoptr (GPtrArray) added = g_ptr_array_new ();
  LbRecipeRule q8 = { .pattern = (char *) "blk.*.attn_q.weight", .type = LB_TYPE_Q8_0 };
  LbRecipeRule bad = { .pattern = (char *) "blk.[.weight", .type = LB_TYPE_Q8_0 };

  g_assert_no_error (error);
  rules = lb_recipe_edit_copy_rules (preset);
  g_ptr_array_add (added, &q8);
  lb_recipe_edit_prepend_rules (rules, added);
  /* the preset's own attn_q rule is gone, the new one first */
  g_assert_cmpuint (rules->len, ==, lb_recipe_get_n_rules (preset, NULL));
  g_assert_cmpint (((LbRecipeRule *) g_ptr_array_index (rules, 0))->type, ==, LB_TYPE_Q8_0);

  edited = lb_recipe_edit_with_rules (preset, rules, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (lb_recipe_get_n_rules (edited, NULL), ==, rules->len);
  g_assert_cmpstr (lb_recipe_get_rule (edited, NULL, 0)->pattern, ==, "blk.*.attn_q.weight");
  g_assert_cmpint (lb_recipe_get_base_type (edited), ==, lb_recipe_get_base_type (preset));
  g_assert_cmpint (lb_recipe_get_embedding_type (edited), ==,
                   lb_recipe_get_embedding_type (preset));
  g_assert_cmpuint (lb_recipe_get_n_profiles (edited), ==, lb_recipe_get_n_profiles (preset));
  g_assert_cmpuint (lb_recipe_get_n_rules (edited, "accuracy"), ==,
                    lb_recipe_get_n_rules (preset, "accuracy"));
  g_assert_cmpstr (lb_recipe_get_profile_description (edited, "accuracy"), ==,
                   lb_recipe_get_profile_description (preset, "accuracy"));

  /* a bad pattern is an error naming it, and no recipe */
  g_ptr_array_add (rules, lb_recipe_rule_copy (&bad));
  g_clear_pointer (&edited, lb_recipe_unref);
  edited = lb_recipe_edit_with_rules (preset, rules, &error);
  g_assert_null (edited);
  g_assert_nonnull (error);
  g_test_message ("bad rule: %s", error->message);
}

/* A recipe made from llama.cpp's type map of a file gives back every type
 * of that file, tensor by tensor, when resolved against the original */
static void
test_from_types (void)
{
  const char *files[] = { "mini-Q4_K_M-imatrix.gguf", "mini-Q3_K_M-imatrix.gguf",
                          "mini-Q6_K.gguf" };
  g_autoptr (LbModel) base = load ("mini-qwen2", NULL);

  for (guint f = 0; f < G_N_ELEMENTS (files); f++)
    {
      g_autoptr (LbModel) llama = load ("llamacpp-quants", files[f]);
      g_autoptr (GHashTable) types = g_hash_table_new (g_str_hash, g_str_equal);
      g_autoptr (LbRecipe) recipe = NULL;
      g_autoptr (LbQuantPlan) plan = NULL;
      g_autoptr (GError) error = NULL;

      for (guint i = 0; i < lb_model_get_n_tensors (llama); i++)
        {
          const LbTensor *t = lb_model_get_tensor (llama, i);

          g_hash_table_insert (types, t->name, GINT_TO_POINTER (t->type));
        }
      recipe = lb_recipe_edit_from_types (base, types, "copy", &error);
      g_assert_no_error (error);
      g_assert_true (lb_recipe_resolve (recipe, base, NULL, &plan, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (lb_quant_plan_get_n_entries (plan), ==, lb_model_get_n_tensors (llama));
      for (guint i = 0; i < lb_quant_plan_get_n_entries (plan); i++)
        {
          const LbPlanEntry *e = lb_quant_plan_get_entry (plan, i);
          const LbTensor *t = lb_model_find_tensor (llama, e->tensor->name);

          g_assert_nonnull (t);
          g_assert_cmpstr (lb_type_get_name (e->type), ==, lb_type_get_name (t->type));
        }
      g_test_message ("%s: %u rules", files[f], lb_recipe_get_n_rules (recipe, NULL));
    }
}

/* The importance data named, everything else as it was: llama.cpp's mix
 * name, profiles, rules; the original recipe untouched */
static void
test_with_importance (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (LbRecipe) preset = lb_recipe_load_preset ("Q4_K_M", &error);
  g_autoptr (LbRecipe) with = NULL;
  g_autoptr (LbRecipe) without = NULL;

  g_assert_no_error (error);
  with = lb_recipe_edit_with_importance (preset, "/data/imatrix.gguf");
  g_assert_true (with != preset);
  g_assert_cmpstr (lb_recipe_get_importance (with), ==, "/data/imatrix.gguf");
  g_assert_null (lb_recipe_get_importance (preset));
  g_assert_cmpstr (lb_recipe_get_name (with), ==, lb_recipe_get_name (preset));
  g_assert_cmpstr (lb_recipe_get_llama_ftype (with), ==, "Q4_K_M");
  g_assert_cmpuint (lb_recipe_get_n_rules (with, NULL), ==, lb_recipe_get_n_rules (preset, NULL));
  g_assert_cmpuint (lb_recipe_get_n_profiles (with), ==, lb_recipe_get_n_profiles (preset));
  for (guint i = 0; i < lb_recipe_get_n_rules (with, NULL); i++)
    {
      g_assert_cmpstr (lb_recipe_get_rule (with, NULL, i)->pattern, ==,
                       lb_recipe_get_rule (preset, NULL, i)->pattern);
      g_assert_cmpint (lb_recipe_get_rule (with, NULL, i)->type, ==,
                       lb_recipe_get_rule (preset, NULL, i)->type);
    }
  without = lb_recipe_edit_with_importance (with, NULL);
  g_assert_null (lb_recipe_get_importance (without));
  g_assert_cmpstr (lb_recipe_get_importance (with), ==, "/data/imatrix.gguf");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/lowbit/recipe-edit/layers-pattern", test_layers_pattern);
  g_test_add_func ("/lowbit/recipe-edit/escape", test_escape);
  g_test_add_func ("/lowbit/recipe-edit/with-rules", test_with_rules);
  g_test_add_func ("/lowbit/recipe-edit/from-types", test_from_types);
  g_test_add_func ("/lowbit/recipe-edit/with-importance", test_with_importance);
  return g_test_run ();
}
