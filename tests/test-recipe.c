/* test-recipe.c: recipes: the pattern language, JSON round trips and every
 * validation error, and resolution of the bundled presets against the files
 * llama.cpp's llama-quantize made (models/llamacpp-quants/). */
#include <string.h>
#include <glib/gstdio.h>

#include "lowbit.h"
#include "lb-recipe.h"
#include "lb-quantize.h"
#include "lb-test-util.h"

static LbModel *
load_model (const char *path, const char *tokenizer)
{
  GError *error = NULL;
  LbModel *model = lb_model_load (path, tokenizer, NULL, &error);

  g_assert_no_error (error);
  return model;
}

static LbRecipe *
load_preset (const char *name)
{
  GError *error = NULL;
  LbRecipe *recipe = lb_recipe_load_preset (name, &error);

  g_assert_no_error (error);
  g_assert_nonnull (recipe);
  return recipe;
}

/* ---- patterns, selectors ------------------------------------------------------ */

static void
test_pattern (void)
{
  static const struct { const char *pattern, *name; gboolean match; } cases[] = {
    { "blk.*.attn_v.weight", "blk.0.attn_v.weight", TRUE },
    { "blk.*.attn_v.weight", "blk.17.attn_v.weight", TRUE },
    { "blk.*.attn_v.weight", "blk.0.attn_v.bias", FALSE },
    { "blk.*.attn_v.weight", "xblk.0.attn_v.weight", FALSE },
    { "blk.*.attn_v.weight", "blk.0.attn_v.weightx", FALSE },
    { "*", "", TRUE },
    { "*", "output.weight", TRUE },
    { "**.weight", "output.weight", TRUE },
    { "*.weight", "output.bias", FALSE },
    { "*_norm.weight", "blk.3.attn_norm.weight", TRUE },
    { "blk.?.ffn_up.weight", "blk.7.ffn_up.weight", TRUE },
    { "blk.?.ffn_up.weight", "blk.17.ffn_up.weight", FALSE },
    { "blk.[0-3].ffn_down.weight", "blk.0.ffn_down.weight", TRUE },
    { "blk.[0-3].ffn_down.weight", "blk.3.ffn_down.weight", TRUE },
    { "blk.[0-3].ffn_down.weight", "blk.4.ffn_down.weight", FALSE },
    /* the whole run of digits is the number: 13 is not in 0-3 */
    { "blk.[0-3].ffn_down.weight", "blk.13.ffn_down.weight", FALSE },
    { "blk.[0,2,5-7,20].attn_q.weight", "blk.6.attn_q.weight", TRUE },
    { "blk.[0,2,5-7,20].attn_q.weight", "blk.20.attn_q.weight", TRUE },
    { "blk.[0,2,5-7,20].attn_q.weight", "blk.4.attn_q.weight", FALSE },
    { "blk.[0-3].ffn_down.weight", "blk.x.ffn_down.weight", FALSE },
    { "blk.[10-12].*", "blk.11.attn_k.weight", TRUE },
    { "*.[1-2].*", "blk.2.attn_k.weight", TRUE },
    /* backtracking over the star */
    { "*a*b", "aaab", TRUE },
    { "*a*b", "aaba", FALSE },
    { "*weight*weight", "weight.weight.weight", TRUE },
    { "a\\*b", "a*b", TRUE },
    { "a\\*b", "axb", FALSE },
    { "a\\[1\\]", "a[1]", TRUE },
  };
  static const char * const invalid[] = {
    "", "blk.[0-3.weight", "blk.[].weight", "blk.[3-1].weight", "blk.[a].weight",
    "blk.[1,].weight", "blk.[0-].weight", "trailing\\", "stray]",
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_assert_true (lb_recipe_pattern_validate (cases[i].pattern, NULL));
      if (lb_recipe_pattern_match (cases[i].pattern, cases[i].name) != cases[i].match)
        g_test_fail_printf ("pattern \"%s\" against \"%s\": expected %s", cases[i].pattern,
                            cases[i].name, cases[i].match ? "a match" : "no match");
    }
  for (guint i = 0; i < G_N_ELEMENTS (invalid); i++)
    {
      GError *error = NULL;

      g_assert_false (lb_recipe_pattern_validate (invalid[i], &error));
      g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT);
      g_test_message ("\"%s\": %s", invalid[i], error->message);
      g_clear_error (&error);
      g_assert_false (lb_recipe_pattern_match (invalid[i], "blk.0.weight"));
    }
}

static GString *
selected (const char *layers, guint n_layer)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < n_layer; i++)
    if (lb_recipe_layers_match (layers, i, n_layer))
      g_string_append_printf (s, "%s%u", s->len ? "," : "", i);
  return s;
}

static void
check_selected (const char *layers, guint n_layer, const char *expected)
{
  GString *s = selected (layers, n_layer);

  if (strcmp (s->str, expected) != 0)
    g_test_fail_printf ("layers \"%s\" with %u blocks: got {%s}, expected {%s}", layers, n_layer,
                        s->str, expected);
  g_string_free (s, TRUE);
}

static void
test_layers (void)
{
  static const char * const invalid[] = {
    "", "more", "more-bits,", "<", ">=", "1-", "-1", "n/0", "x", "1,,2", "<n/", "3 4",
  };

  /* llama.cpp's use_more_bits worked out by hand: first and last eighth,
   * then every third block from n/8 + 2 */
  check_selected ("more-bits", 8, "0,3,6,7");
  check_selected ("more-bits", 28, "0,1,2,5,8,11,14,17,20,23,24,25,26,27");
  check_selected ("more-bits", 24, "0,1,2,5,8,11,14,17,20,21,22,23");
  check_selected ("<n/8", 8, "0");
  check_selected ("<n/8", 28, "0,1,2");
  check_selected ("<n/16", 8, "");
  check_selected ("<n/16", 32, "0,1");
  check_selected ("<2", 8, "0,1");
  check_selected (">=7n/8", 16, "14,15");
  check_selected ("2-4, 6", 8, "2,3,4,6");
  check_selected ("n/2-n", 8, "4,5,6,7");
  check_selected ("0,more-bits", 9, "0,3,6,7,8");
  for (guint i = 0; i < G_N_ELEMENTS (invalid); i++)
    {
      GError *error = NULL;

      g_assert_false (lb_recipe_layers_validate (invalid[i], &error));
      g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT);
      g_assert_nonnull (strstr (error->message, invalid[i]));
      g_clear_error (&error);
      g_assert_false (lb_recipe_layers_match (invalid[i], 0, 8));
    }
}

/* ---- JSON ----------------------------------------------------------------------- */

static LbRecipe *
parse (const char *json, GError **error)
{
  return lb_recipe_load_from_data (json, -1, "test.json", error);
}

static void
assert_same_text (LbRecipe *a, LbRecipe *b)
{
  g_autofree char *ta = lb_recipe_to_data (a);
  g_autofree char *tb = lb_recipe_to_data (b);

  g_assert_cmpstr (ta, ==, tb);
}

static void
test_roundtrip (void)
{
  g_auto (GStrv) presets = lb_recipe_list_presets ();
  g_autofree char *tmp = lb_test_make_tmpdir ();
  g_autofree char *path = g_build_filename (tmp, "r.json", NULL);
  g_autoptr (LbRecipe) r = lb_recipe_new ("custom");
  g_autoptr (LbRecipe) back = NULL;
  LbRecipeRule rule = { 0 };
  const LbRecipeRule *got;
  GError *error = NULL;

  /* every bundled preset survives save and load unchanged */
  g_assert_cmpuint (g_strv_length (presets), >=, 9);
  for (guint i = 0; presets[i]; i++)
    {
      g_autoptr (LbRecipe) p = load_preset (presets[i]);
      g_autoptr (LbRecipe) again = NULL;
      g_autofree char *text = lb_recipe_to_data (p);

      again = parse (text, &error);
      g_assert_no_error (error);
      assert_same_text (p, again);
    }

  /* a recipe using every field */
  lb_recipe_set_description (r, "all fields");
  g_assert_true (lb_recipe_set_llama_ftype (r, "q4_k_m", &error));
  g_assert_no_error (error);
  lb_recipe_set_base_type (r, LB_TYPE_Q4_K);
  lb_recipe_set_embedding_type (r, LB_TYPE_Q8_0);
  lb_recipe_set_output_type (r, LB_TYPE_Q6_K);
  lb_recipe_set_norm_type (r, LB_TYPE_F16);
  lb_recipe_set_importance (r, "imatrix.gguf");
  rule.pattern = (char *) "blk.[0-3].ffn_down.weight";
  rule.layers = (char *) "more-bits,<n/8";
  rule.when = (char *) "imatrix,gqa>=4";
  rule.type = LB_TYPE_Q5_K;
  rule.force = TRUE;
  rule.optional = TRUE;
  rule.comment = (char *) "a comment";
  g_assert_true (lb_recipe_add_rule (r, NULL, &rule, &error));
  g_assert_true (lb_recipe_add_profile (r, "fast", "quicker", &error));
  lb_recipe_set_profile_types (r, "fast", LB_TYPE_Q4_0, LB_TYPE_Q5_0, LB_TYPE_Q8_0);
  rule.pattern = (char *) "output.weight";
  rule.layers = rule.when = rule.comment = NULL;
  rule.force = rule.optional = FALSE;
  rule.type = LB_TYPE_BF16;
  g_assert_true (lb_recipe_add_rule (r, "fast", &rule, &error));
  g_assert_true (lb_recipe_add_profile (r, "empty", NULL, &error));
  g_assert_no_error (error);

  g_assert_true (lb_recipe_save (r, path, &error));
  g_assert_no_error (error);
  back = lb_recipe_load (path, &error);
  g_assert_no_error (error);
  assert_same_text (r, back);

  g_assert_cmpstr (lb_recipe_get_name (back), ==, "custom");
  g_assert_cmpstr (lb_recipe_get_description (back), ==, "all fields");
  g_assert_cmpstr (lb_recipe_get_llama_ftype (back), ==, "Q4_K_M");
  g_assert_cmpint (lb_recipe_get_base_type (back), ==, LB_TYPE_Q4_K);
  g_assert_cmpint (lb_recipe_get_embedding_type (back), ==, LB_TYPE_Q8_0);
  g_assert_cmpint (lb_recipe_get_output_type (back), ==, LB_TYPE_Q6_K);
  g_assert_cmpint (lb_recipe_get_norm_type (back), ==, LB_TYPE_F16);
  g_assert_cmpstr (lb_recipe_get_importance (back), ==, "imatrix.gguf");
  g_assert_cmpuint (lb_recipe_get_n_rules (back, NULL), ==, 1);
  got = lb_recipe_get_rule (back, NULL, 0);
  g_assert_cmpstr (got->pattern, ==, "blk.[0-3].ffn_down.weight");
  g_assert_cmpstr (got->layers, ==, "more-bits,<n/8");
  g_assert_cmpstr (got->when, ==, "imatrix,gqa>=4");
  g_assert_cmpint (got->type, ==, LB_TYPE_Q5_K);
  g_assert_true (got->force && got->optional);
  g_assert_cmpstr (got->comment, ==, "a comment");
  g_assert_cmpuint (lb_recipe_get_n_profiles (back), ==, 2);
  g_assert_cmpstr (lb_recipe_get_profile_name (back, 0), ==, "fast");
  g_assert_cmpstr (lb_recipe_get_profile_name (back, 1), ==, "empty");
  g_assert_cmpstr (lb_recipe_get_profile_description (back, "fast"), ==, "quicker");
  g_assert_cmpuint (lb_recipe_get_n_rules (back, "fast"), ==, 1);
  g_assert_cmpint (lb_recipe_get_rule (back, "fast", 0)->type, ==, LB_TYPE_BF16);
  g_assert_cmpuint (lb_recipe_get_n_rules (back, "empty"), ==, 0);
  g_assert_null (lb_recipe_get_rule (back, "nope", 0));

  lb_test_rmtree (tmp);
}

static void
test_errors (void)
{
  /* each bad document and fragments its error must contain */
  static const struct { const char *json; const char *expect[3]; } cases[] = {
    { "{ \"base\": \"Q8_0\"", { "test.json", "not valid JSON" } },
    { "[1, 2]", { "must be a JSON object" } },
    { "{ \"base\": \"Q8_0\", \"colour\": 1 }", { "unknown member \"colour\"" } },
    { "{ \"lowbit_recipe\": 2, \"base\": \"Q8_0\" }", { "\"lowbit_recipe\" must be 1" } },
    { "{ \"name\": \"x\" }", { "\"base\"", "missing" } },
    { "{ \"base\": \"Q4_KM\" }", { "unknown type \"Q4_KM\"", "\"base\"", "Q4_K" } },
    { "{ \"base\": 4 }", { "\"base\" must be a string" } },
    { "{ \"base\": \"Q8_0\", \"norms\": \"Q8_0\" }", { "\"norms\" must be a float type" } },
    { "{ \"base\": \"Q8_0\", \"llama_ftype\": \"Q4_K_X\" }", { "llama_ftype", "Q4_K_X" } },
    { "{ \"base\": \"Q8_0\", \"rules\": {} }", { "\"rules\" must be an array" } },
    { "{ \"base\": \"Q8_0\", \"rules\": [ 3 ] }", { "rule 1", "must be an object" } },
    { "{ \"base\": \"Q8_0\", \"rules\": [ { \"type\": \"Q8_0\" } ] }",
      { "rule 1", "\"pattern\" is missing" } },
    { "{ \"base\": \"Q8_0\", \"rules\": [ { \"pattern\": \"a\", \"type\": \"Q8_0\" },"
      " { \"pattern\": \"\", \"type\": \"Q8_0\" } ] }", { "rule 2", "the pattern is empty" } },
    { "{ \"base\": \"Q8_0\", \"rules\": [ { \"pattern\": \"blk.*.attn_v.weight\","
      " \"type\": \"Q6K\" } ] }",
      { "rule 1 (\"blk.*.attn_v.weight\")", "unknown type \"Q6K\"" } },
    { "{ \"base\": \"Q8_0\", \"rules\": [ { \"pattern\": \"blk.*.attn_v.weight\" } ] }",
      { "rule 1 (\"blk.*.attn_v.weight\")", "\"type\"", "missing" } },
    { "{ \"base\": \"Q8_0\", \"rules\": [ { \"pattern\": \"blk.[0-.x\", \"type\": \"Q8_0\" } ] }",
      { "rule 1 (\"blk.[0-.x\")", "pattern:" } },
    { "{ \"base\": \"Q8_0\", \"rules\": [ { \"pattern\": \"a\", \"type\": \"Q8_0\","
      " \"layers\": \"most-bits\" } ] }", { "rule 1 (\"a\")", "layer selector \"most-bits\"" } },
    { "{ \"base\": \"Q8_0\", \"rules\": [ { \"pattern\": \"a\", \"type\": \"Q8_0\","
      " \"when\": \"gpu\" } ] }", { "rule 1 (\"a\")", "condition \"gpu\"" } },
    { "{ \"base\": \"Q8_0\", \"rules\": [ { \"pattern\": \"a\", \"type\": \"Q8_0\","
      " \"force\": \"yes\" } ] }", { "rule 1 (\"a\")", "\"force\" must be true or false" } },
    { "{ \"base\": \"Q8_0\", \"rules\": [ { \"pattern\": \"a\", \"type\": \"Q8_0\","
      " \"typo\": 1 } ] }", { "rule 1 (\"a\")", "unknown member \"typo\"" } },
    { "{ \"base\": \"Q8_0\", \"rules\": [ { \"pattern\": \"a\", \"type\": \"I32\" } ] }",
      { "rule 1 (\"a\")", "unknown type \"I32\"" } },
    { "{ \"base\": \"Q8_0\", \"profiles\": { \"a\": 1 } }", { "\"profiles\" must be an array" } },
    { "{ \"base\": \"Q8_0\", \"profiles\": [ { \"rules\": [] } ] }",
      { "profile 1", "\"name\" is missing" } },
    { "{ \"base\": \"Q8_0\", \"profiles\": [ { \"name\": \"p\" }, { \"name\": \"p\" } ] }",
      { "profile \"p\"", "defined twice" } },
    { "{ \"base\": \"Q8_0\", \"profiles\": [ { \"name\": \"p\", \"rules\": [ { \"pattern\":"
      " \"blk.*\", \"type\": \"Q9_0\" } ] } ] }",
      { "profile \"p\", rule 1 (\"blk.*\")", "unknown type \"Q9_0\"" } },
    { "{ \"base\": \"Q8_0\", \"profiles\": [ { \"name\": \"p\", \"base\": \"X\" } ] }",
      { "profile \"p\"", "unknown type \"X\"" } },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      GError *error = NULL;
      LbRecipe *r = parse (cases[i].json, &error);

      g_assert_null (r);
      g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_FILE);
      g_test_message ("case %u: %s", i, error->message);
      for (guint k = 0; k < G_N_ELEMENTS (cases[i].expect) && cases[i].expect[k]; k++)
        if (strstr (error->message, cases[i].expect[k]) == NULL)
          g_test_fail_printf ("case %u: \"%s\" lacks \"%s\"", i, error->message,
                              cases[i].expect[k]);
      g_error_free (error);
    }

  /* a missing file and an unknown preset */
  {
    GError *error = NULL;

    g_assert_null (lb_recipe_load ("/nonexistent/recipe.json", &error));
    g_assert_error (error, LB_ERROR, LB_ERROR_IO);
    g_clear_error (&error);
    g_assert_null (lb_recipe_load_preset ("Q4_K_Z", &error));
    g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT);
    g_assert_nonnull (strstr (error->message, "Q4_K_M"));
    g_clear_error (&error);
  }
}

/* ---- resolution ------------------------------------------------------------------- */

static LbQuantPlan *
resolve (LbRecipe *recipe, LbModel *model, const char *profile)
{
  GError *error = NULL;
  LbQuantPlan *plan = NULL;

  g_assert_true (lb_recipe_resolve (recipe, model, profile, &plan, &error));
  g_assert_no_error (error);
  return plan;
}

/* The presets resolved on mini-qwen2 choose exactly the types
 * llama-quantize chose, tensor by tensor and in its order; the file sizes
 * follow (the imatrix metadata is llama.cpp's when the imatrix is given
 * under the name llama-quantize was given it). */
static void
test_presets_match_llamacpp (void)
{
  static const struct { const char *preset, *file; gboolean imatrix; } cases[] = {
    { "Q8_0", "mini-Q8_0.gguf", FALSE },
    { "Q6_K", "mini-Q6_K.gguf", FALSE },
    { "Q4_0", "mini-Q4_0.gguf", FALSE },
    { "IQ4_NL", "mini-IQ4_NL.gguf", FALSE },
    { "Q4_K_M", "mini-Q4_K_M-imatrix.gguf", TRUE },
    { "Q3_K_M", "mini-Q3_K_M-imatrix.gguf", TRUE },
    { "Q2_K", "mini-Q2_K-imatrix.gguf", TRUE },
  };
  g_autofree char *f16 = lb_test_shared_path ("models", "mini-qwen2", "mini-qwen2-f16.gguf", NULL);
  g_autofree char *imatrix_src = lb_test_shared_path ("models", "llamacpp-quants",
                                                      "imatrix-wikitext2-valid.gguf", NULL);
  g_autofree char *tmp = lb_test_make_tmpdir ();
  g_autofree char *cwd = g_get_current_dir ();
  g_autoptr (LbModel) model = NULL;
  g_autoptr (LbImatrix) imatrix = NULL;
  GError *error = NULL;

  if (f16 == NULL || imatrix_src == NULL)
    return;
  model = load_model (f16, NULL);

  /* llama-quantize recorded --imatrix imatrix-mini.gguf */
  {
    g_autofree char *contents = NULL;
    g_autofree char *copy = g_build_filename (tmp, "imatrix-mini.gguf", NULL);
    gsize len;

    g_assert_true (g_file_get_contents (imatrix_src, &contents, &len, &error));
    g_assert_true (g_file_set_contents (copy, contents, (gssize) len, &error));
    g_assert_no_error (error);
    g_assert_cmpint (g_chdir (tmp), ==, 0);
    imatrix = lb_imatrix_load ("imatrix-mini.gguf", &error);
    g_assert_cmpint (g_chdir (cwd), ==, 0);
    g_assert_no_error (error);
  }

  for (guint c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      g_autofree char *ref_path = lb_test_shared_path ("models", "llamacpp-quants",
                                                       cases[c].file, NULL);
      g_autoptr (LbGgufReader) ref = NULL;
      g_autoptr (LbRecipe) recipe = NULL;
      g_autoptr (LbQuantPlan) plan = NULL;
      guint32 ftype = 0;
      guint mismatches = 0;

      if (ref_path == NULL)
        return;
      ref = lb_gguf_reader_open (ref_path, &error);
      g_assert_no_error (error);
      recipe = load_preset (cases[c].preset);
      if (cases[c].imatrix)
        lb_recipe_set_importance (recipe, "imatrix-mini.gguf");
      plan = resolve (recipe, model, NULL);

      g_assert_cmpuint (lb_quant_plan_get_n_entries (plan), ==, lb_gguf_reader_get_n_tensors (ref));
      for (guint i = 0; i < lb_gguf_reader_get_n_tensors (ref); i++)
        {
          const LbTensor *rt = lb_gguf_reader_get_tensor (ref, i);
          const LbPlanEntry *e = lb_quant_plan_get_entry (plan, i);

          if (strcmp (e->tensor->name, rt->name) != 0 || e->type != rt->type
              || e->n_bytes != rt->n_bytes)
            {
              g_test_fail_printf ("%s: tensor %u is %s %s (%" G_GUINT64_FORMAT " bytes), "
                                  "llama.cpp has %s %s (%" G_GSIZE_FORMAT " bytes)",
                                  cases[c].preset, i, e->tensor->name,
                                  lb_type_get_name (e->type), e->n_bytes, rt->name,
                                  lb_type_get_name (rt->type), rt->n_bytes);
              mismatches++;
            }
        }
      g_assert_cmpuint (mismatches, ==, 0);
      g_assert_cmpuint (lb_quant_plan_get_n_fallbacks (plan), ==, 0);
      g_assert_null (lb_quant_plan_get_warnings (plan)[0]);
      g_assert_true (lb_meta_get_u32 (lb_gguf_reader_get_meta (ref), "general.file_type", &ftype,
                                      NULL));
      g_assert_cmpuint (lb_quant_plan_get_file_type (plan), ==, ftype);
      g_assert_cmpuint (lb_quantize_get_file_size (plan, cases[c].imatrix ? imatrix : NULL), ==,
                        lb_gguf_reader_get_file_size (ref));
      g_test_message ("%s: %u tensors as llama.cpp, %" G_GSIZE_FORMAT " bytes", cases[c].preset,
                      lb_quant_plan_get_n_entries (plan), lb_gguf_reader_get_file_size (ref));
    }
  lb_test_rmtree (tmp);
}

static LbType
type_of (LbQuantPlan *plan, const char *name)
{
  const LbPlanEntry *e = lb_quant_plan_find (plan, name);

  g_assert_nonnull (e);
  return e->type;
}

/* the conditions: Q4_0 with importance data guards the first eighth of
 * ffn_down with Q4_1; IQ4_NL without it raises them to Q5_K */
static void
test_conditions (void)
{
  g_autofree char *f16 = lb_test_shared_path ("models", "mini-qwen2", "mini-qwen2-f16.gguf", NULL);
  g_autoptr (LbModel) model = NULL;
  g_autoptr (LbRecipe) q4 = NULL;
  g_autoptr (LbRecipe) iq4 = NULL;

  if (f16 == NULL)
    return;
  model = load_model (f16, NULL);
  q4 = load_preset ("Q4_0");
  iq4 = load_preset ("iq4_nl");   /* names are case-insensitive */
  for (int with = 0; with < 2; with++)
    {
      g_autoptr (LbQuantPlan) p4 = NULL;
      g_autoptr (LbQuantPlan) pi = NULL;

      lb_recipe_set_importance (q4, with ? "x.gguf" : NULL);
      lb_recipe_set_importance (iq4, with ? "x.gguf" : NULL);
      p4 = resolve (q4, model, NULL);
      pi = resolve (iq4, model, NULL);
      g_assert_cmpint (lb_quant_plan_uses_importance (p4), ==, with);
      g_assert_cmpint (type_of (p4, "blk.0.ffn_down.weight"), ==, with ? LB_TYPE_Q4_1 : LB_TYPE_Q4_0);
      g_assert_cmpint (type_of (p4, "blk.1.ffn_down.weight"), ==, LB_TYPE_Q4_0);
      g_assert_cmpint (type_of (pi, "blk.0.ffn_down.weight"), ==, with ? LB_TYPE_IQ4_NL : LB_TYPE_Q5_K);
      g_assert_cmpint (type_of (pi, "blk.5.attn_v.weight"), ==, LB_TYPE_Q5_K);  /* gqa 4 */
    }
}

/* stories260K (dim 64, ffn 172) has rows no 256-block fits: the fallbacks
 * follow llama-quantize's chain and are reported; its output projection is
 * tied to the embedding, which takes the output type */
static void
test_fallback (void)
{
  g_autofree char *ckpt = lb_test_source_path ("data", "stories260K", "stories260K.bin", NULL);
  g_autofree char *tok = lb_test_source_path ("data", "stories260K", "tok512.bin", NULL);
  g_autoptr (LbModel) model = load_model (ckpt, tok);
  g_autoptr (LbRecipe) q4km = load_preset ("Q4_K_M");
  g_autoptr (LbRecipe) q2k = load_preset ("Q2_K");
  g_autoptr (LbRecipe) q8 = load_preset ("Q8_0");
  g_autoptr (LbQuantPlan) plan = resolve (q4km, model, NULL);
  g_autoptr (LbQuantPlan) plan2 = resolve (q2k, model, NULL);
  g_autoptr (LbQuantPlan) plan8 = resolve (q8, model, NULL);
  const LbPlanEntry *e;
  guint n_warn = 0;

  /* Q4_K -> Q5_0 for 64-wide rows */
  e = lb_quant_plan_find (plan, "blk.1.attn_q.weight");
  g_assert_cmpint (e->wanted, ==, LB_TYPE_Q4_K);
  g_assert_cmpint (e->type, ==, LB_TYPE_Q5_0);
  g_assert_nonnull (strstr (e->note, "not a multiple of Q4_K's block size 256"));
  /* Q6_K -> Q8_0 (more-bits picks blocks 2 and 4 of 5; the tied embedding
   * takes the output type) */
  g_assert_cmpint (type_of (plan, "blk.2.attn_v.weight"), ==, LB_TYPE_Q8_0);
  g_assert_cmpint (type_of (plan, "blk.4.attn_v.weight"), ==, LB_TYPE_Q8_0);
  g_assert_cmpint (type_of (plan, "blk.0.attn_v.weight"), ==, LB_TYPE_Q5_0);
  g_assert_cmpint (type_of (plan, "token_embd.weight"), ==, LB_TYPE_Q8_0);
  /* 172-wide ffn_down rows fit no 32-block: Q6_K -> Q8_0 -> F16, Q4_K -> Q5_0 -> F16 */
  g_assert_cmpint (type_of (plan, "blk.0.ffn_down.weight"), ==, LB_TYPE_F16);
  g_assert_cmpint (type_of (plan, "blk.1.ffn_down.weight"), ==, LB_TYPE_F16);
  /* Q2_K and Q3_K -> Q4_0 */
  g_assert_cmpint (type_of (plan2, "blk.1.attn_q.weight"), ==, LB_TYPE_Q4_0);
  g_assert_cmpint (type_of (plan2, "blk.1.attn_output.weight"), ==, LB_TYPE_Q4_0);
  g_assert_cmpint (type_of (plan2, "blk.1.attn_v.weight"), ==, LB_TYPE_Q4_0);
  /* Q8_0 has no fallback in llama.cpp: F16 */
  g_assert_cmpint (type_of (plan8, "blk.2.ffn_down.weight"), ==, LB_TYPE_F16);
  g_assert_cmpint (type_of (plan8, "blk.2.ffn_up.weight"), ==, LB_TYPE_Q8_0);
  /* norms stay F32 */
  g_assert_cmpint (type_of (plan, "blk.0.attn_norm.weight"), ==, LB_TYPE_F32);

  for (guint i = 0; i < lb_quant_plan_get_n_entries (plan); i++)
    if (lb_quant_plan_get_entry (plan, i)->type != lb_quant_plan_get_entry (plan, i)->wanted)
      n_warn++;
  g_assert_cmpuint (lb_quant_plan_get_n_fallbacks (plan), ==, n_warn);
  g_assert_cmpuint (n_warn, >, 0);
  g_assert_cmpuint (g_strv_length ((char **) lb_quant_plan_get_warnings (plan)), ==, n_warn);
  g_assert_nonnull (strstr (lb_quant_plan_get_warnings (plan)[0], "falling back to"));
}

/* brief-mixed and its profiles on mini-qwen2 */
static void
test_profiles (void)
{
  g_autofree char *f16 = lb_test_shared_path ("models", "mini-qwen2", "mini-qwen2-f16.gguf", NULL);
  g_autoptr (LbModel) model = NULL;
  g_autoptr (LbRecipe) recipe = NULL;
  g_autoptr (LbQuantPlan) def = NULL, perf = NULL, acc = NULL;
  LbQuantPlan *bad = NULL;
  GError *error = NULL;

  if (f16 == NULL)
    return;
  model = load_model (f16, NULL);
  recipe = load_preset ("brief-mixed");
  def = resolve (recipe, model, NULL);
  perf = resolve (recipe, model, "performance");
  acc = resolve (recipe, model, "accuracy");
  /* the recipe's attention rules, overridden by the profile's, still match */
  g_assert_null (lb_quant_plan_get_warnings (acc)[0]);
  g_assert_null (lb_quant_plan_get_warnings (perf)[0]);
  g_assert_null (lb_quant_plan_get_warnings (def)[0]);

  g_assert_cmpint (type_of (def, "blk.3.attn_q.weight"), ==, LB_TYPE_Q4_K);
  g_assert_cmpint (type_of (def, "blk.3.attn_output.weight"), ==, LB_TYPE_Q4_K);
  g_assert_cmpint (type_of (def, "blk.3.ffn_up.weight"), ==, LB_TYPE_Q8_0);
  g_assert_cmpint (type_of (def, "token_embd.weight"), ==, LB_TYPE_Q8_0);
  g_assert_cmpint (type_of (def, "blk.3.attn_q.bias"), ==, LB_TYPE_F32);
  g_assert_cmpint (type_of (def, "output_norm.weight"), ==, LB_TYPE_F32);

  g_assert_cmpint (type_of (perf, "blk.0.attn_k.weight"), ==, LB_TYPE_Q4_0);
  g_assert_cmpint (type_of (perf, "blk.0.ffn_down.weight"), ==, LB_TYPE_Q8_0);
  g_assert_cmpint (lb_quant_plan_get_entry (perf, 3)->in_profile, ==, TRUE);

  g_assert_cmpint (type_of (acc, "blk.7.attn_v.weight"), ==, LB_TYPE_Q8_0);
  g_assert_cmpint (type_of (acc, "blk.7.ffn_gate.weight"), ==, LB_TYPE_F16);
  g_assert_cmpint (type_of (acc, "token_embd.weight"), ==, LB_TYPE_Q8_0);
  /* a profile names the file type after its dominant type */
  g_assert_cmpuint (lb_quant_plan_get_file_type (acc), ==, 7);   /* Q8_0 of the block types */
  g_assert_cmpuint (lb_quant_plan_get_file_type (def), ==, 7);
  g_assert_true (lb_quant_plan_get_data_bytes (acc) > lb_quant_plan_get_data_bytes (def));
  /* Q4_K and Q4_0 both take 4.5 bits per weight */
  g_assert_cmpuint (lb_quant_plan_get_data_bytes (def), ==, lb_quant_plan_get_data_bytes (perf));

  g_assert_false (lb_recipe_resolve (recipe, model, "speed", &bad, &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "performance, accuracy"));
  g_clear_error (&error);
  g_assert_null (bad);
}

/* rules that match nothing are warned about (unless optional); forced
 * rules reach norms; types Lowbit cannot write are refused by tensor */
static void
test_warnings_and_force (void)
{
  g_autofree char *f16 = lb_test_shared_path ("models", "mini-qwen2", "mini-qwen2-f16.gguf", NULL);
  g_autoptr (LbModel) model = NULL;
  g_autoptr (LbRecipe) r = NULL;
  g_autoptr (LbQuantPlan) plan = NULL;
  LbQuantPlan *none = NULL;
  const char * const *w;
  GError *error = NULL;

  if (f16 == NULL)
    return;
  model = load_model (f16, NULL);
  r = parse ("{ \"base\": \"Q8_0\", \"rules\": ["
             " { \"pattern\": \"blk.*.attn_qkv.weight\", \"type\": \"Q4_0\" },"
             " { \"pattern\": \"blk.*.ssm_x.weight\", \"type\": \"Q4_0\", \"optional\": true },"
             " { \"pattern\": \"*_norm.weight\", \"type\": \"F16\" },"
             " { \"pattern\": \"output_norm.weight\", \"type\": \"BF16\", \"force\": true },"
             " { \"pattern\": \"blk.[0-1].ffn_up.weight\", \"type\": \"Q5_1\" },"
             " { \"pattern\": \"blk.9.ffn_up.weight\", \"type\": \"Q5_1\" } ] }", &error);
  g_assert_no_error (error);
  plan = resolve (r, model, NULL);
  w = lb_quant_plan_get_warnings (plan);
  g_assert_cmpuint (g_strv_length ((char **) w), ==, 2);
  g_assert_nonnull (strstr (w[0], "rule 1 (\"blk.*.attn_qkv.weight\") matches no tensor"));
  g_assert_nonnull (strstr (w[1], "rule 6 (\"blk.9.ffn_up.weight\")"));
  /* an unforced rule leaves norms alone; a forced one changes them */
  g_assert_cmpint (type_of (plan, "blk.0.attn_norm.weight"), ==, LB_TYPE_F32);
  g_assert_cmpint (type_of (plan, "output_norm.weight"), ==, LB_TYPE_BF16);
  g_assert_cmpint (type_of (plan, "blk.1.ffn_up.weight"), ==, LB_TYPE_Q5_1);
  g_assert_cmpint (type_of (plan, "blk.2.ffn_up.weight"), ==, LB_TYPE_Q8_0);
  /* a forced vector has no llama-quantize equivalent */
  g_assert_null (lb_quant_plan_to_llama_quantize_args (plan, "in.gguf", "out.gguf", &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_UNSUPPORTED);
  g_assert_nonnull (strstr (error->message, "output_norm.weight"));
  g_clear_error (&error);

  g_clear_pointer (&r, lb_recipe_unref);
  r = parse ("{ \"base\": \"Q8_0\", \"rules\": [ { \"pattern\": \"blk.3.attn_k.weight\","
             " \"type\": \"IQ2_XXS\" } ] }", &error);
  g_assert_no_error (error);
  g_assert_false (lb_recipe_resolve (r, model, NULL, &none, &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_UNSUPPORTED);
  g_assert_nonnull (strstr (error->message, "blk.3.attn_k.weight"));
  g_assert_nonnull (strstr (error->message, "IQ2_XXS"));
  g_clear_error (&error);
}

static void
test_llama_args (void)
{
  g_autofree char *f16 = lb_test_shared_path ("models", "mini-qwen2", "mini-qwen2-f16.gguf", NULL);
  g_autoptr (LbModel) model = NULL;
  g_autoptr (LbRecipe) q4km = NULL, brief = NULL;
  g_autoptr (LbQuantPlan) p1 = NULL, p2 = NULL, p3 = NULL;
  g_auto (GStrv) a1 = NULL, a2 = NULL, a3 = NULL;
  g_autofree char *j1 = NULL, *j2 = NULL, *j3 = NULL;
  GError *error = NULL;

  if (f16 == NULL)
    return;
  model = load_model (f16, NULL);
  q4km = load_preset ("Q4_K_M");
  lb_recipe_set_importance (q4km, "im.gguf");
  p1 = resolve (q4km, model, NULL);
  a1 = lb_quant_plan_to_llama_quantize_args (p1, "in.gguf", "out.gguf", &error);
  g_assert_no_error (error);
  j1 = g_strjoinv (" ", a1);
  g_assert_cmpstr (j1, ==, "--imatrix im.gguf in.gguf out.gguf Q4_K_M");

  brief = load_preset ("brief-mixed");
  p2 = resolve (brief, model, NULL);
  a2 = lb_quant_plan_to_llama_quantize_args (p2, "in.gguf", "out.gguf", &error);
  g_assert_no_error (error);
  j2 = g_strjoinv (" ", a2);
  g_test_message ("%s", j2);
  g_assert_cmpstr (j2, ==,
                   "--pure --token-embedding-type q8_0"
                   " --tensor-type ^blk\\.(0|1|2|3|4|5|6|7)\\.attn_k\\.weight$=q4_k"
                   " --tensor-type ^blk\\.(0|1|2|3|4|5|6|7)\\.attn_output\\.weight$=q4_k"
                   " --tensor-type ^blk\\.(0|1|2|3|4|5|6|7)\\.attn_q\\.weight$=q4_k"
                   " --tensor-type ^blk\\.(0|1|2|3|4|5|6|7)\\.attn_v\\.weight$=q4_k"
                   " in.gguf out.gguf Q8_0");

  /* accuracy: mostly F16 by weight, but llama-quantize needs a block type as base */
  p3 = resolve (brief, model, "accuracy");
  a3 = lb_quant_plan_to_llama_quantize_args (p3, "in.gguf", "out.gguf", &error);
  g_assert_no_error (error);
  j3 = g_strjoinv (" ", a3);
  g_assert_nonnull (strstr (j3, "ffn_down\\.weight$=f16"));
  g_assert_true (g_str_has_suffix (j3, " Q8_0"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/lowbit/recipe/pattern", test_pattern);
  g_test_add_func ("/lowbit/recipe/layers", test_layers);
  g_test_add_func ("/lowbit/recipe/roundtrip", test_roundtrip);
  g_test_add_func ("/lowbit/recipe/errors", test_errors);
  g_test_add_func ("/lowbit/recipe/presets-match-llamacpp", test_presets_match_llamacpp);
  g_test_add_func ("/lowbit/recipe/conditions", test_conditions);
  g_test_add_func ("/lowbit/recipe/fallback", test_fallback);
  g_test_add_func ("/lowbit/recipe/profiles", test_profiles);
  g_test_add_func ("/lowbit/recipe/warnings-and-force", test_warnings_and_force);
  g_test_add_func ("/lowbit/recipe/llama-args", test_llama_args);
  return g_test_run ();
}
