/* test-planner.c: the knapsack against brute force, and plans for real
 * models whose sizes are checked against files actually written. */
#include <math.h>
#include <string.h>
#include <glib/gstdio.h>

#include "lowbit.h"
#include "lb-planner.h"
#include "lb-quantize.h"
#include "lb-test-util.h"

/* ---- the solver ------------------------------------------------------------- */

/* the least total value within budget by trying every combination */
static double
brute_force (const LbPlanItem *items, guint n, guint64 budget, guint *best)
{
  guint choice[8] = { 0 };
  double best_v = INFINITY;

  for (;;)
    {
      guint64 cost = 0;
      double v = 0;
      guint i;

      for (i = 0; i < n; i++)
        {
          cost += items[i].options[choice[i]].cost;
          v += items[i].options[choice[i]].value;
        }
      if (cost <= budget && v < best_v)
        {
          best_v = v;
          if (best)
            memcpy (best, choice, n * sizeof (guint));
        }
      for (i = 0; i < n; i++)
        {
          if (++choice[i] < items[i].n_options)
            break;
          choice[i] = 0;
        }
      if (i == n)
        return best_v;
    }
}

static void
random_items (GRand *rand, LbPlanItem *items, LbPlanOption *opts, guint n, guint per,
              guint64 max_cost)
{
  for (guint i = 0; i < n; i++)
    {
      items[i].n_options = per;
      items[i].options = opts + i * per;
      for (guint o = 0; o < per; o++)
        {
          opts[i * per + o].cost = 1 + (guint64) g_rand_double_range (rand, 0, (double) max_cost);
          opts[i * per + o].value = g_rand_double_range (rand, 0, 1);
        }
    }
}

/* exact (quantum 1): the same total value as brute force, within budget */
static void
test_knapsack_exact (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (20260);
  LbPlanItem items[6];
  LbPlanOption opts[6 * 4];

  for (guint round = 0; round < 300; round++)
    {
      guint n = 1 + round % 6, per = 1 + round % 4;
      guint64 min = 0, max = 0, budget, cost = 0;
      guint choice[6];
      double v = 0, want;
      GError *error = NULL;

      random_items (rand, items, opts, n, per, 60);
      for (guint i = 0; i < n; i++)
        {
          guint64 lo = G_MAXUINT64, hi = 0;
          for (guint o = 0; o < per; o++)
            {
              lo = MIN (lo, items[i].options[o].cost);
              hi = MAX (hi, items[i].options[o].cost);
            }
          min += lo;
          max += hi;
        }
      budget = min + (guint64) g_rand_int_range (rand, 0, (gint32) (max - min + 1));
      g_assert_true (lb_planner_solve (items, n, budget, 1, choice, &error));
      g_assert_no_error (error);
      for (guint i = 0; i < n; i++)
        {
          g_assert_cmpuint (choice[i], <, per);
          cost += items[i].options[choice[i]].cost;
          v += items[i].options[choice[i]].value;
        }
      want = brute_force (items, n, budget, NULL);
      g_assert_cmpuint (cost, <=, budget);
      g_assert_cmpfloat_with_epsilon (v, want, 1e-12);
    }
}

/* a hand-checked table: one big sensitive item against two small ones */
static void
test_knapsack_hand (void)
{
  /* item 0: big and very sensitive; items 1, 2: small and mildly so */
  const LbPlanOption a[] = { { 10, 1.0 }, { 20, 0.0 } };
  const LbPlanOption b[] = { { 5, 0.3 }, { 9, 0.0 } };
  const LbPlanOption c[] = { { 5, 0.3 }, { 9, 0.0 } };
  const LbPlanItem items[] = { { 2, a }, { 2, b }, { 2, c } };
  guint choice[3];
  GError *error = NULL;

  /* 30 bytes: a up (value 0.6) beats b and c up (value 1.0) */
  g_assert_true (lb_planner_solve (items, 3, 30, 1, choice, &error));
  g_assert_cmpuint (choice[0], ==, 1);
  g_assert_cmpuint (choice[1] + choice[2], ==, 0);
  /* 29 bytes: a cannot go up (30): b and c up (28) */
  g_assert_true (lb_planner_solve (items, 3, 29, 1, choice, &error));
  g_assert_cmpuint (choice[0], ==, 0);
  g_assert_cmpuint (choice[1], ==, 1);
  g_assert_cmpuint (choice[2], ==, 1);
  /* 38: everything up; 19: impossible */
  g_assert_true (lb_planner_solve (items, 3, 38, 1, choice, &error));
  g_assert_cmpuint (choice[0] + choice[1] + choice[2], ==, 3);
  g_assert_false (lb_planner_solve (items, 3, 19, 1, choice, &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "20 bytes"));
  g_clear_error (&error);
  g_assert_true (lb_planner_solve (items, 0, 0, 1, choice, &error));
  g_assert_no_error (error);
}

/* The automatic quantum (large costs): never over budget, and at least as
 * good as the exact optimum for the budget less one quantum per item. */
static void
test_knapsack_quantized (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (7);
  LbPlanItem items[7];
  LbPlanOption opts[7 * 3];

  for (guint round = 0; round < 60; round++)
    {
      guint n = 7, per = 3;
      guint64 min = 0, max = 0, budget, cost = 0, q;
      guint choice[7];
      double v = 0, bound;
      GError *error = NULL;

      random_items (rand, items, opts, n, per, 3000000);
      for (guint i = 0; i < n; i++)
        {
          guint64 lo = G_MAXUINT64, hi = 0;
          for (guint o = 0; o < per; o++)
            {
              lo = MIN (lo, items[i].options[o].cost);
              hi = MAX (hi, items[i].options[o].cost);
            }
          min += lo;
          max += hi;
        }
      budget = min + (guint64) ((max - min) * g_rand_double (rand));
      g_assert_true (lb_planner_solve (items, n, budget, 0, choice, &error));
      g_assert_no_error (error);
      for (guint i = 0; i < n; i++)
        {
          cost += items[i].options[choice[i]].cost;
          v += items[i].options[choice[i]].value;
        }
      g_assert_cmpuint (cost, <=, budget);
      q = budget / 65536 + 1;
      bound = budget > min + n * q ? brute_force (items, n, budget - n * q, NULL) : INFINITY;
      g_assert_cmpfloat (v, <=, bound + 1e-12);
      g_assert_cmpfloat (v, >=, brute_force (items, n, budget, NULL) - 1e-12);
    }
}

static void
test_knapsack_bad (void)
{
  const LbPlanOption nan_opt[] = { { 1, NAN } };
  const LbPlanItem bad_nan[] = { { 1, nan_opt } };
  const LbPlanItem empty[] = { { 0, NULL } };
  guint choice[1];
  GError *error = NULL;

  g_assert_false (lb_planner_solve (bad_nan, 1, 10, 1, choice, &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (lb_planner_solve (empty, 1, 10, 1, choice, &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
}

/* ---- plans for mini-qwen2 ------------------------------------------------------- */

static LbModel *
load_model (void)
{
  g_autofree char *path = lb_test_shared_path ("models", "mini-qwen2", "mini-qwen2-f16.gguf", NULL);
  GError *error = NULL;
  LbModel *m;

  if (path == NULL)
    return NULL;
  m = lb_model_load (path, NULL, NULL, &error);
  g_assert_no_error (error);
  return m;
}

static const LbType table_types[] = { LB_TYPE_Q2_K, LB_TYPE_Q4_K, LB_TYPE_Q8_0 };

/* value of kind k under type column t: made up, falling with the bits and
 * larger for ffn_down and the embedding */
static double
hand_value (const char *kind, guint t)
{
  double scale = strcmp (kind, "ffn_down") == 0 ? 4 : strcmp (kind, "token_embd.weight") == 0 ? 8 : 1;
  static const double per_type[] = { 0.02, 0.004, 0.0001 };
  return scale * per_type[t];
}

/* a table by kind of tensor for mini-qwen2, made by hand */
static LbSensitivity *
hand_table (LbModel *model)
{
  static const char * const kinds[] = { "token_embd.weight", "attn_q", "attn_k", "attn_v",
                                        "attn_output", "ffn_gate", "ffn_up", "ffn_down" };
  guint n_layer = lb_model_get_hparams (model)->n_layer;
  GPtrArray *lists[G_N_ELEMENTS (kinds)];
  const char * const *tensors[G_N_ELEMENTS (kinds)];
  LbSensCell cells[G_N_ELEMENTS (kinds) * 3];
  LbSensitivity *s;

  for (guint k = 0; k < G_N_ELEMENTS (kinds); k++)
    {
      lists[k] = g_ptr_array_new_with_free_func (g_free);
      if (k == 0)
        g_ptr_array_add (lists[k], g_strdup (kinds[0]));
      else
        for (guint l = 0; l < n_layer; l++)
          g_ptr_array_add (lists[k], g_strdup_printf ("blk.%u.%s.weight", l, kinds[k]));
      g_ptr_array_add (lists[k], NULL);
      tensors[k] = (const char * const *) lists[k]->pdata;
      for (guint t = 0; t < 3; t++)
        {
          LbSensCell *c = &cells[k * 3 + t];
          memset (c, 0, sizeof *c);
          c->measured = TRUE;
          c->delta_kld = hand_value (kinds[k], t);
          c->kld = c->delta_kld;
          c->err = c->rel_err = c->delta_kld;
        }
    }
  s = lb_sensitivity_new_from_cells (table_types, 3, kinds, tensors, G_N_ELEMENTS (kinds), cells);
  for (guint k = 0; k < G_N_ELEMENTS (kinds); k++)
    g_ptr_array_unref (lists[k]);
  return s;
}

/* Budgets between the smallest and largest plan: the file lowbit quantize
 * writes is exactly the predicted size and within budget, and the plan is
 * the best of the kind-level choices (checked by brute force over the
 * 3^8 combinations). */
static void
test_budget_exact (void)
{
  g_autoptr (LbModel) model = load_model ();
  g_autoptr (LbSensitivity) sens = NULL;
  g_autoptr (LbPlanner) planner = NULL;
  g_autofree char *dir = lb_test_make_tmpdir ();
  g_autofree char *out = g_build_filename (dir, "planned.gguf", NULL);
  LbPlannerParams pp = { 0 };
  GError *error = NULL;
  guint64 lo, hi, fixed = 0, kind_bytes[8][3];

  if (model == NULL)
    return;
  sens = hand_table (model);
  planner = lb_planner_new (model, sens, &pp, &error);
  g_assert_no_error (error);
  lo = lb_planner_get_min_bytes (planner);
  hi = lb_planner_get_max_bytes (planner);
  g_assert_cmpuint (lo, <, hi);

  /* each kind's padded bytes under each type, and the rest of the file,
   * from plain one-type recipes */
  for (guint t = 0; t < 3; t++)
    {
      g_autoptr (LbRecipe) pure = lb_recipe_new ("pure");
      g_autoptr (LbQuantPlan) plan = NULL;
      guint64 sum = 0;

      lb_recipe_set_base_type (pure, table_types[t]);
      g_assert_true (lb_recipe_resolve (pure, model, NULL, &plan, &error));
      for (guint g = 0; g < 8; g++)
        {
          const char * const *names = lb_sensitivity_get_group_tensors (sens, g);
          kind_bytes[g][t] = 0;
          for (guint i = 0; names[i]; i++)
            kind_bytes[g][t] += (lb_quant_plan_find (plan, names[i])->n_bytes + 31) / 32 * 32;
          sum += kind_bytes[g][t];
        }
      if (t == 0)
        fixed = lb_quantize_get_file_size (plan, NULL) - sum;
      else
        g_assert_cmpuint (fixed, ==, lb_quantize_get_file_size (plan, NULL) - sum);
    }

  for (guint k = 0; k <= 6; k++)
    {
      guint64 budget = lo + (hi - lo) * k / 6;
      g_autoptr (LbPlannerResult) r = lb_planner_plan (planner, budget, &error);
      double best = INFINITY;
      guint combo[8] = { 0 };

      g_assert_no_error (error);
      g_assert_cmpuint (r->file_bytes, <=, budget);
      g_assert_cmpuint (r->file_bytes, ==, lb_quantize_get_file_size (r->plan, NULL));

      /* brute force over one type per kind */
      for (;;)
        {
          guint64 size = fixed;
          double v = 0;
          guint i;
          for (i = 0; i < 8; i++)
            {
              v += hand_value (lb_sensitivity_get_group_name (sens, i), combo[i]);
              size += kind_bytes[i][combo[i]];
            }
          if (v < best && size <= budget)
            best = v;
          for (i = 0; i < 8; i++)
            {
              if (++combo[i] < 3)
                break;
              combo[i] = 0;
            }
          if (i == 8)
            break;
        }
      g_assert_cmpfloat_with_epsilon (r->predicted_delta, best, 1e-12);

      /* once, the file itself */
      if (k == 3)
        {
          GStatBuf st;
          g_assert_true (lb_quantize_model (model, r->plan, NULL, out, 2, NULL, NULL, NULL, &error));
          g_assert_no_error (error);
          g_assert_cmpint (g_stat (out, &st), ==, 0);
          g_assert_cmpuint ((guint64) st.st_size, ==, r->file_bytes);
          g_assert_cmpuint ((guint64) st.st_size, <=, budget);
        }
    }
  {
    g_autoptr (LbPlannerResult) r = lb_planner_plan (planner, lo - 1, &error);
    g_assert_null (r);
    g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT);
    g_clear_error (&error);
  }
  g_assert_cmpuint (lb_planner_bytes_for_bpw (planner, 8.0), ==, lb_model_get_n_params (model));
  lb_test_rmtree (dir);
}

/* --protect pins tensors (own type or a given one); a recipe saved and
 * loaded again resolves to the same plan */
static void
test_protect (void)
{
  g_autoptr (LbModel) model = load_model ();
  g_autoptr (LbSensitivity) sens = NULL;
  g_autoptr (LbPlanner) planner = NULL;
  g_autoptr (LbPlannerResult) r = NULL;
  g_autoptr (LbRecipe) back = NULL;
  g_autoptr (LbQuantPlan) plan2 = NULL;
  g_autofree char *data = NULL;
  const LbPlanProtect protect[] = {
    { "blk.*.attn_v.weight", LB_TYPE_COUNT },
    { "token_embd.weight", LB_TYPE_Q6_K },
  };
  const LbPlanProtect nothing[] = { { "blk.*.no_such.weight", LB_TYPE_COUNT } };
  LbPlannerParams pp = { 0 };
  GError *error = NULL;

  if (model == NULL)
    return;
  sens = hand_table (model);
  pp.protect = protect;
  pp.n_protect = 2;
  planner = lb_planner_new (model, sens, &pp, &error);
  g_assert_no_error (error);
  r = lb_planner_plan (planner, lb_planner_get_min_bytes (planner), &error);
  g_assert_no_error (error);
  for (guint i = 0; i < lb_quant_plan_get_n_entries (r->plan); i++)
    {
      const LbPlanEntry *e = lb_quant_plan_get_entry (r->plan, i);
      if (g_str_has_suffix (e->tensor->name, ".attn_v.weight"))
        g_assert_cmpint (e->type, ==, LB_TYPE_F16);
      else if (strcmp (e->tensor->name, "token_embd.weight") == 0)
        g_assert_cmpint (e->type, ==, LB_TYPE_Q6_K);
      else if (e->source != LB_PLAN_FROM_NORMS && e->source != LB_PLAN_FROM_SOURCE)
        g_assert_cmpint (e->type, ==, LB_TYPE_Q2_K);   /* the smallest plan */
    }
  data = lb_recipe_to_data (r->recipe);
  back = lb_recipe_load_from_data (data, -1, "planned.json", &error);
  g_assert_no_error (error);
  g_assert_true (lb_recipe_resolve (back, model, NULL, &plan2, &error));
  for (guint i = 0; i < lb_quant_plan_get_n_entries (r->plan); i++)
    g_assert_cmpint (lb_quant_plan_get_entry (r->plan, i)->type, ==,
                     lb_quant_plan_find (plan2, lb_quant_plan_get_entry (r->plan, i)->tensor->name)->type);

  lb_planner_free (g_steal_pointer (&planner));
  pp.protect = nothing;
  pp.n_protect = 1;
  planner = lb_planner_new (model, sens, &pp, &error);
  g_assert_null (planner);
  g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "no_such"));
  g_clear_error (&error);
}

/* the additive prediction of llama.cpp's Q4_K_M mix under the hand table:
 * 8 of its 16 attn_v/ffn_down tensors and the embedding are Q6_K, a type
 * the table lacks; the rest is Q4_K */
static void
test_predict (void)
{
  g_autoptr (LbModel) model = load_model ();
  g_autoptr (LbSensitivity) sens = NULL;
  g_autoptr (LbPlanner) planner = NULL;
  g_autoptr (LbRecipe) q4km = NULL, pure = NULL;
  g_autoptr (LbQuantPlan) plan = NULL, plan2 = NULL;
  LbPlannerParams pp = { 0 };
  GError *error = NULL;
  double delta, want = 0;

  if (model == NULL)
    return;
  sens = hand_table (model);
  planner = lb_planner_new (model, sens, &pp, &error);
  g_assert_no_error (error);
  q4km = lb_recipe_load_preset ("Q4_K_M", &error);
  g_assert_no_error (error);
  g_assert_true (lb_recipe_resolve (q4km, model, NULL, &plan, &error));
  g_assert_false (lb_planner_predict (planner, plan, &delta));

  /* everything Q4_K: each kind's full Q4_K value */
  pure = lb_recipe_new ("pure");
  lb_recipe_set_base_type (pure, LB_TYPE_Q4_K);
  g_assert_true (lb_recipe_resolve (pure, model, NULL, &plan2, &error));
  g_assert_true (lb_planner_predict (planner, plan2, &delta));
  for (guint g = 0; g < lb_sensitivity_get_n_groups (sens); g++)
    want += hand_value (lb_sensitivity_get_group_name (sens, g), 1);
  g_assert_cmpfloat_with_epsilon (delta, want, 1e-12);
}

/* Rows of 64 (stories260K) fit no 256-block type: the plan uses the
 * fallbacks and its sizes are still exact; a table made for another model
 * is refused. */
static void
test_fallback_and_mismatch (void)
{
  g_autofree char *bin = lb_test_source_path ("data", "stories260K", "stories260K.bin", NULL);
  g_autofree char *tok = lb_test_source_path ("data", "stories260K", "tok512.bin", NULL);
  g_autoptr (LbModel) model = NULL, qwen = load_model ();
  g_autoptr (LbSensitivity) sens = NULL;
  g_autoptr (LbPlanner) planner = NULL, wrong = NULL;
  g_autoptr (LbPlannerResult) r = NULL;
  const LbType types[] = { LB_TYPE_Q3_K, LB_TYPE_Q8_0 };
  LbSensitivityParams sp;
  LbPlannerParams pp = { 0 };
  GError *error = NULL;

  model = lb_model_load (bin, tok, NULL, &error);
  g_assert_no_error (error);
  lb_sensitivity_params_init (&sp);
  sp.types = types;
  sp.n_types = 2;
  sp.measure = FALSE;
  sens = lb_sensitivity_compute (model, NULL, 0, &sp, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  pp.use_proxy = TRUE;
  planner = lb_planner_new (model, sens, &pp, &error);
  g_assert_no_error (error);
  r = lb_planner_plan (planner, (lb_planner_get_min_bytes (planner) + lb_planner_get_max_bytes (planner)) / 2,
                       &error);
  g_assert_no_error (error);
  g_assert_cmpuint (r->file_bytes, <=, r->budget_bytes);
  g_assert_cmpuint (r->file_bytes, ==, lb_quantize_get_file_size (r->plan, NULL));
  for (guint i = 0; i < lb_quant_plan_get_n_entries (r->plan); i++)
    {
      const LbPlanEntry *e = lb_quant_plan_get_entry (r->plan, i);
      /* Q3_K falls back to Q4_0 on rows of 64 */
      g_assert_true (e->type != LB_TYPE_Q3_K);
      g_assert_cmpuint (e->n_bytes, ==, lb_type_row_size (e->type, e->tensor->ne[0])
                                        * (guint64) lb_tensor_n_rows (e->tensor));
    }

  if (qwen == NULL)
    return;
  wrong = lb_planner_new (qwen, sens, &pp, &error);
  g_assert_null (wrong);
  g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "another model"));
  g_clear_error (&error);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/lowbit/planner/knapsack-exact", test_knapsack_exact);
  g_test_add_func ("/lowbit/planner/knapsack-hand", test_knapsack_hand);
  g_test_add_func ("/lowbit/planner/knapsack-quantized", test_knapsack_quantized);
  g_test_add_func ("/lowbit/planner/knapsack-bad", test_knapsack_bad);
  g_test_add_func ("/lowbit/planner/budget-exact", test_budget_exact);
  g_test_add_func ("/lowbit/planner/protect", test_protect);
  g_test_add_func ("/lowbit/planner/predict", test_predict);
  g_test_add_func ("/lowbit/planner/fallback-and-mismatch", test_fallback_and_mismatch);
  return g_test_run ();
}
