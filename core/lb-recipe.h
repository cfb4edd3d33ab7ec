/* lb-recipe.h: mixed-precision maps (which type each tensor gets) and their
 * resolution against a model into a per-tensor quantization plan.
 *
 * A recipe is an ordered list of rules `pattern -> type` over tensor names
 * (first match wins), defaults for the token embedding, the output
 * projection and the norms, named profiles (each a list of rules tried
 * before the recipe's own, plus optional new defaults), and the importance
 * data to use. Saved as JSON (docs in data/recipes/README.md):
 *
 *   { "lowbit_recipe": 1, "name": "Q4_K_M", "llama_ftype": "Q4_K_M",
 *     "base": "Q4_K", "output": "Q6_K",
 *     "rules": [ { "pattern": "blk.*.attn_v.weight", "layers": "more-bits",
 *                  "type": "Q6_K" } ],
 *     "profiles": [ { "name": "performance", "rules": [ ... ] } ] }
 *
 * Pattern syntax (matched against the whole tensor name, case-sensitive):
 *   *        any run of characters (also none)
 *   ?        exactly one character
 *   [SET]    a decimal number (the whole run of digits at that place) whose
 *            value is in SET: comma-separated numbers and inclusive ranges,
 *            e.g. blk.[0-3].ffn_down.weight, blk.[0,2,5-7].attn_v.weight
 *   \c       the character c itself
 * A rule may add "layers", a selector over the block index N of names
 * starting "blk.N.", evaluated with n = the model's block count (integer
 * division): comma-separated terms, each `more-bits` (llama.cpp's
 * use_more_bits: i < n/8, i >= 7n/8, or (i - n/8) % 3 == 2), `<E`, `>=E`,
 * `E`, or `E-E` (inclusive), where E is a number or [k]n[/d] ("n/8",
 * "7n/8"). And "when", conditions that must all hold (comma-separated):
 * `imatrix`, `!imatrix` (importance data is / is not used), `gqa>=K`,
 * `gqa<K` (query heads per KV head).
 *
 * Norms and biases (and every tensor that is not a weight matrix) take the
 * "norms" type (F32 by default) unless a rule with "force": true matches.
 * A tied embedding (no output.weight) is also the output projection, so it
 * takes the output type, as llama.cpp does. */
#pragma once

#include "lb-model.h"

G_BEGIN_DECLS

/* "not set": take the next default */
#define LB_RECIPE_TYPE_UNSET LB_TYPE_COUNT

typedef struct {
  char     *pattern;
  char     *layers;     /* NULL: any tensor the pattern matches */
  char     *when;       /* NULL: always */
  LbType    type;
  gboolean  force;      /* also applies to norms, biases and other vectors */
  gboolean  optional;   /* no warning when no tensor of the model matches */
  char     *comment;    /* NULL or free text kept with the rule */
} LbRecipeRule;

typedef struct _LbRecipe LbRecipe;

LbRecipe     *lb_recipe_new              (const char *name);
LbRecipe     *lb_recipe_ref              (LbRecipe *recipe);
void          lb_recipe_unref            (LbRecipe *recipe);

/* JSON. Errors (LB_ERROR_INVALID_FILE) name the file, and for a bad rule
 * its index, pattern and the field at fault: unknown type names, empty or
 * malformed patterns, layer selectors or conditions, unknown members. */
LbRecipe     *lb_recipe_load             (const char *path, GError **error);
LbRecipe     *lb_recipe_load_from_data   (const char *data, gssize len, const char *source_name,
                                          GError **error);
char         *lb_recipe_to_data          (LbRecipe *recipe);
/* written to a temporary file and renamed */
gboolean      lb_recipe_save             (LbRecipe *recipe, const char *path, GError **error);

/* The presets are data/recipes/<name>.json, looked up (name is
 * case-insensitive) in $LOWBIT_RECIPES_DIR, the source tree's data/recipes
 * and the installed data folder. */
LbRecipe     *lb_recipe_load_preset      (const char *name, GError **error);
/* NULL-terminated, sorted; free with g_strfreev */
char        **lb_recipe_list_presets     (void);

const char   *lb_recipe_get_name         (LbRecipe *recipe);
const char   *lb_recipe_get_description  (LbRecipe *recipe);
void          lb_recipe_set_description  (LbRecipe *recipe, const char *description);
/* llama.cpp's mix name this recipe reproduces ("Q4_K_M"), or NULL */
const char   *lb_recipe_get_llama_ftype  (LbRecipe *recipe);
gboolean      lb_recipe_set_llama_ftype  (LbRecipe *recipe, const char *ftype, GError **error);
LbType        lb_recipe_get_base_type    (LbRecipe *recipe);
void          lb_recipe_set_base_type    (LbRecipe *recipe, LbType type);
LbType        lb_recipe_get_embedding_type (LbRecipe *recipe);  /* may be UNSET */
void          lb_recipe_set_embedding_type (LbRecipe *recipe, LbType type);
LbType        lb_recipe_get_output_type  (LbRecipe *recipe);    /* may be UNSET */
void          lb_recipe_set_output_type  (LbRecipe *recipe, LbType type);
LbType        lb_recipe_get_norm_type    (LbRecipe *recipe);
void          lb_recipe_set_norm_type    (LbRecipe *recipe, LbType type);
/* importance data file (imatrix GGUF or .dat), or NULL */
const char   *lb_recipe_get_importance   (LbRecipe *recipe);
void          lb_recipe_set_importance   (LbRecipe *recipe, const char *path);

/* Rules of the recipe (profile NULL) or of a profile. add_rule validates
 * the rule (FALSE + error naming it) and copies it. */
guint         lb_recipe_get_n_rules      (LbRecipe *recipe, const char *profile);
const LbRecipeRule *lb_recipe_get_rule   (LbRecipe *recipe, const char *profile, guint i);
gboolean      lb_recipe_add_rule         (LbRecipe *recipe, const char *profile,
                                          const LbRecipeRule *rule, GError **error);

/* Profiles, in the order they were added. add_profile fails on a duplicate. */
guint         lb_recipe_get_n_profiles   (LbRecipe *recipe);
const char   *lb_recipe_get_profile_name (LbRecipe *recipe, guint i);
const char   *lb_recipe_get_profile_description (LbRecipe *recipe, const char *profile);
gboolean      lb_recipe_add_profile      (LbRecipe *recipe, const char *name,
                                          const char *description, GError **error);
/* profile defaults: UNSET keeps the recipe's */
void          lb_recipe_set_profile_types (LbRecipe *recipe, const char *profile, LbType base,
                                           LbType embedding, LbType output);

/* Pattern and selector helpers (exposed for tests and the GUI editor). */
gboolean      lb_recipe_pattern_validate (const char *pattern, GError **error);
gboolean      lb_recipe_pattern_match    (const char *pattern, const char *name);
gboolean      lb_recipe_layers_validate  (const char *layers, GError **error);
/* FALSE for a malformed selector */
gboolean      lb_recipe_layers_match     (const char *layers, guint layer, guint n_layer);

/* llama.cpp's general.file_type numbers ("Q4_K_M" -> 15); FALSE when unknown */
gboolean      lb_llama_ftype_from_name   (const char *name, guint32 *out);
const char   *lb_llama_ftype_to_name     (guint32 ftype);   /* NULL when unknown */

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LbRecipe, lb_recipe_unref)

/* ---- resolution ---------------------------------------------------------- */

typedef enum {
  LB_PLAN_FROM_RULE,       /* a rule matched (rule_index, in_profile) */
  LB_PLAN_FROM_BASE,       /* no rule: the base type */
  LB_PLAN_FROM_EMBEDDING,  /* the embedding default */
  LB_PLAN_FROM_OUTPUT,     /* the output default (also a tied embedding) */
  LB_PLAN_FROM_NORMS,      /* not a weight matrix: the norms type */
  LB_PLAN_FROM_SOURCE,     /* kept as it is (a non-float vector) */
} LbPlanSource;

typedef struct {
  const LbTensor *tensor;     /* in the model the plan holds */
  LbType          type;       /* what is written */
  LbType          wanted;     /* what the recipe asked for, before any fallback */
  LbPlanSource    source;
  gint            rule_index; /* LB_PLAN_FROM_RULE: index in the profile's or recipe's rules */
  gboolean        in_profile;
  guint64         n_bytes;    /* data bytes of the tensor in `type` */
  char           *note;       /* fallback or other remark, or NULL */
} LbPlanEntry;

typedef struct _LbQuantPlan LbQuantPlan;

/* Chooses each tensor's type. The entries come in the order llama.cpp's
 * llama-quantize writes tensors (non-block tensors by name, then blocks by
 * number, each by name), so files compare tensor by tensor. Rows that do not
 * fit the chosen type's block size fall back as llama-quantize does (Q4_K ->
 * Q5_0, Q5_K -> Q5_1, Q6_K -> Q8_0, Q2_K/Q3_K -> Q4_0, 256-blocks IQ ->
 * IQ4_NL, then F16), each noted. Fails (naming the tensor) when a chosen
 * type cannot be produced, or when profile is not one of the recipe's.
 * Rules whose pattern matches no tensor are listed as warnings. */
gboolean      lb_recipe_resolve          (LbRecipe *recipe, LbModel *model, const char *profile,
                                          LbQuantPlan **plan, GError **error);

LbQuantPlan  *lb_quant_plan_ref          (LbQuantPlan *plan);
void          lb_quant_plan_unref        (LbQuantPlan *plan);
LbModel      *lb_quant_plan_get_model    (LbQuantPlan *plan);
LbRecipe     *lb_quant_plan_get_recipe   (LbQuantPlan *plan);
const char   *lb_quant_plan_get_profile  (LbQuantPlan *plan);   /* NULL when none */
guint         lb_quant_plan_get_n_entries (LbQuantPlan *plan);
const LbPlanEntry *lb_quant_plan_get_entry (LbQuantPlan *plan, guint i);
const LbPlanEntry *lb_quant_plan_find    (LbQuantPlan *plan, const char *tensor_name);
/* sum of the entries' n_bytes (the file adds header and padding) */
guint64       lb_quant_plan_get_data_bytes (LbQuantPlan *plan);
guint         lb_quant_plan_get_n_fallbacks (LbQuantPlan *plan);
/* general.file_type: the recipe's llama_ftype (a profile that changes rules
 * drops it), else the mix named after the type holding the most weights */
guint32       lb_quant_plan_get_file_type (LbQuantPlan *plan);
/* whether it was resolved with importance data (the recipe's importance set) */
gboolean      lb_quant_plan_uses_importance (LbQuantPlan *plan);
/* NULL-terminated warnings, owned by the plan */
const char * const *lb_quant_plan_get_warnings (LbQuantPlan *plan);
/* "rule 3 of profile performance (blk.*.attn_v.weight)", "output default"... */
char         *lb_plan_entry_describe_source (LbQuantPlan *plan, const LbPlanEntry *entry);

/* The equivalent llama-quantize command line (arguments after the program
 * name, with IN/OUT placeholders replaced by in_path/out_path), or NULL
 * and an error saying why there is none. */
char        **lb_quant_plan_to_llama_quantize_args (LbQuantPlan *plan, const char *in_path,
                                                    const char *out_path, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LbQuantPlan, lb_quant_plan_unref)

G_END_DECLS
