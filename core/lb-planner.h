/* lb-planner.h: a type per tensor that minimizes the predicted KL
 * divergence under a file-size budget.
 *
 * The model of the error is additive: quantizing several groups at once
 * costs the sum of what each costs alone in the sensitivity table
 * (lb-sensitivity.h). A tensor whose group is quantized to type T
 * contributes delta_kld (group, T) times its share of the group's
 * parameters. Additivity is an assumption (errors of different tensors
 * interact); --verify measures how far it holds.
 *
 * Choosing one option per group with the least total predicted KLD and a
 * total size within the budget is a multiple-choice knapsack. It is solved
 * exactly by dynamic programming over the sizes expressed in units of a
 * quantum (each size rounded UP, so the budget always holds; the quantum
 * is 1 byte when the budget is small, else budget / 2^16, which loses at
 * most one quantum per group of the budget), then leftover bytes are spent
 * by exact single-group upgrades. One table gives the best plan for every
 * budget at once, hence the Pareto front.
 *
 * Sizes are exact: a group's cost is the padded data bytes of its tensors
 * in the types they really get (block-size fallbacks applied), and the
 * rest of the file (header, metadata, tensors that are not quantized) is a
 * constant taken from lb_quantize_get_file_size(); the final plan is
 * resolved and its file size checked against the budget. */
#pragma once

#include <gio/gio.h>

#include "lb-imatrix.h"
#include "lb-model.h"
#include "lb-recipe.h"
#include "lb-sensitivity.h"

G_BEGIN_DECLS

/* ---- the solver ------------------------------------------------------------ */

typedef struct {
  guint64 cost;    /* bytes */
  double  value;   /* predicted loss; lower is better */
} LbPlanOption;

typedef struct {
  guint               n_options;
  const LbPlanOption *options;
} LbPlanItem;

/* One option per item (choice[i]) with the least total value and total
 * cost <= budget. quantum 0: automatic (see above); 1: exact. FALSE with
 * an error when no choice fits or an item has no options. */
gboolean lb_planner_solve (const LbPlanItem *items, guint n_items, guint64 budget,
                           guint64 quantum, guint *choice, GError **error);

/* ---- plans for a model ------------------------------------------------------ */

typedef struct {
  const char *pattern;  /* lb-recipe.h pattern syntax */
  LbType      type;     /* LB_TYPE_COUNT: the tensor keeps its own type */
} LbPlanProtect;

typedef struct {
  const LbType        *types;      /* NULL: all of the table's */
  guint                n_types;
  const LbPlanProtect *protect;
  guint                n_protect;
  LbImatrix           *imatrix;    /* quantize with it (sizes count its metadata) */
  const char          *imatrix_path; /* recorded in the recipe */
  gboolean             use_proxy;  /* rank by the weight proxy (err) instead of measured KLD */
  const char          *name;       /* recipe name; NULL: "planned" */
} LbPlannerParams;

typedef struct _LbPlanner LbPlanner;

/* Matches the table to the model (every group's tensors must exist, the
 * fingerprints must agree when the table has one) and builds the items.
 * Errors name the tensor, type or pattern at fault; a protect pattern
 * matching no tensor is an error. */
LbPlanner   *lb_planner_new           (LbModel *model, LbSensitivity *sens,
                                       const LbPlannerParams *params, GError **error);
void         lb_planner_free          (LbPlanner *planner);

/* smallest and largest file the options allow */
guint64      lb_planner_get_min_bytes (LbPlanner *planner);
guint64      lb_planner_get_max_bytes (LbPlanner *planner);
/* file bytes of budget bits per weight (8 * size / parameters) */
guint64      lb_planner_bytes_for_bpw (LbPlanner *planner, double bpw);
guint64      lb_planner_get_n_params  (LbPlanner *planner);

typedef struct {
  LbRecipe    *recipe;
  LbQuantPlan *plan;           /* the recipe resolved against the model */
  guint64      file_bytes;     /* lb_quantize_get_file_size of plan */
  guint64      budget_bytes;
  double       predicted_delta;  /* sum of the chosen cells' delta_kld (or proxy) */
  double       predicted_kld;    /* + the table's base KLD */
} LbPlannerResult;

void         lb_planner_result_free   (LbPlannerResult *result);

/* The best plan of at most budget file bytes. */
LbPlannerResult *lb_planner_plan      (LbPlanner *planner, guint64 budget, GError **error);

/* n_points plans spread evenly over [min, max] bytes (each is the best for
 * its budget; repeats removed), by rising size. GPtrArray of
 * LbPlannerResult. */
GPtrArray   *lb_planner_front         (LbPlanner *planner, guint n_points, GError **error);

/* The additive prediction for any resolved plan (e.g. a llama.cpp preset):
 * FALSE when a tensor gets a type the table lacks (then *delta is the sum
 * over the others). */
gboolean     lb_planner_predict       (LbPlanner *planner, LbQuantPlan *plan, double *delta);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LbPlanner, lb_planner_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LbPlannerResult, lb_planner_result_free)

G_END_DECLS
