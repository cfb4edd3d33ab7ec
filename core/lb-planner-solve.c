/* lb-planner-solve.c: the multiple-choice knapsack behind lowbit plan */
#include "config.h"

#include <math.h>
#include <string.h>

#include "lb-error.h"
#include "lb-planner.h"

#define AUTO_COLUMNS  (1u << 16)   /* budget / quantum when the quantum is automatic */
#define NO_PICK       G_MAXUINT16

static guint64
units (guint64 cost, guint64 quantum)
{
  return cost / quantum + (cost % quantum != 0);
}

/* Spends what the rounding left: repeatedly the single-item change that
 * lowers the total value most among those that still fit exactly. */
static void
repair (const LbPlanItem *items, guint n_items, guint64 budget, guint *choice)
{
  guint64 used = 0;

  for (guint i = 0; i < n_items; i++)
    used += items[i].options[choice[i]].cost;
  for (;;)
    {
      double best_gain = 0;
      guint best_i = 0, best_o = 0;

      for (guint i = 0; i < n_items; i++)
        {
          const LbPlanOption *cur = &items[i].options[choice[i]];
          for (guint o = 0; o < items[i].n_options; o++)
            {
              const LbPlanOption *opt = &items[i].options[o];
              double gain = cur->value - opt->value;
              if (gain > best_gain && used - cur->cost + opt->cost <= budget)
                {
                  best_gain = gain;
                  best_i = i;
                  best_o = o;
                }
            }
        }
      if (best_gain <= 0)
        return;
      used = used - items[best_i].options[choice[best_i]].cost + items[best_i].options[best_o].cost;
      choice[best_i] = best_o;
    }
}

gboolean
lb_planner_solve (const LbPlanItem *items, guint n_items, guint64 budget, guint64 quantum,
                  guint *choice, GError **error)
{
  g_autofree double *prev = NULL, *cur = NULL;
  g_autofree guint16 *pick = NULL;
  guint64 min_total = 0, width;
  gsize b_max;

  g_return_val_if_fail (n_items == 0 || (items != NULL && choice != NULL), FALSE);

  for (guint i = 0; i < n_items; i++)
    {
      guint cheapest = 0;

      if (items[i].n_options == 0 || items[i].options == NULL)
        {
          g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT, "item %u has no options", i);
          return FALSE;
        }
      if (items[i].n_options >= NO_PICK)
        {
          g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                       "item %u has %u options, more than the solver takes", i, items[i].n_options);
          return FALSE;
        }
      for (guint o = 0; o < items[i].n_options; o++)
        {
          const LbPlanOption *opt = &items[i].options[o];
          if (isnan (opt->value))
            {
              g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                           "item %u option %u has no value (NaN)", i, o);
              return FALSE;
            }
          if (opt->cost < items[i].options[cheapest].cost
              || (opt->cost == items[i].options[cheapest].cost
                  && opt->value < items[i].options[cheapest].value))
            cheapest = o;
        }
      choice[i] = cheapest;
      if (G_MAXUINT64 - min_total < items[i].options[cheapest].cost)
        min_total = G_MAXUINT64;
      else
        min_total += items[i].options[cheapest].cost;
    }
  if (min_total > budget)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                   "the budget of %" G_GUINT64_FORMAT " bytes is below the smallest choice, "
                   "%" G_GUINT64_FORMAT " bytes", budget, min_total);
      return FALSE;
    }
  if (n_items == 0)
    return TRUE;

  if (quantum == 0)
    quantum = budget < AUTO_COLUMNS ? 1 : budget / AUTO_COLUMNS + 1;
  width = budget / quantum + 1;
  if (width > (1u << 24) || (guint64) n_items * width > (G_GUINT64_CONSTANT (1) << 31))
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                   "a quantum of %" G_GUINT64_FORMAT " bytes makes the table too large for a "
                   "budget of %" G_GUINT64_FORMAT " bytes; use a larger quantum", quantum, budget);
      return FALSE;
    }
  b_max = (gsize) width - 1;

  /* prev[b]: least value of the items so far within b units (INFINITY:
   * none fits); pick[i * width + b]: the option item i takes there */
  prev = g_new (double, width);
  cur = g_new (double, width);
  pick = g_new (guint16, (gsize) n_items * width);
  for (gsize b = 0; b <= b_max; b++)
    prev[b] = 0;
  for (guint i = 0; i < n_items; i++)
    {
      guint16 *row = pick + (gsize) i * width;

      for (gsize b = 0; b <= b_max; b++)
        {
          cur[b] = INFINITY;
          row[b] = NO_PICK;
        }
      for (guint o = 0; o < items[i].n_options; o++)
        {
          guint64 c = units (items[i].options[o].cost, quantum);
          double v = items[i].options[o].value;

          if (c > b_max)
            continue;
          for (gsize b = (gsize) c; b <= b_max; b++)
            {
              double x = prev[b - c] + v;
              if (x < cur[b])
                {
                  cur[b] = x;
                  row[b] = (guint16) o;
                }
            }
        }
      memcpy (prev, cur, width * sizeof (double));
    }

  if (isfinite (prev[b_max]))
    {
      gsize b = b_max;
      for (guint i = n_items; i-- > 0;)
        {
          guint16 o = pick[(gsize) i * width + b];
          choice[i] = o;
          b -= (gsize) units (items[i].options[o].cost, quantum);
        }
    }
  /* else the rounding made every choice too large: start from the
   * cheapest, which fits exactly */
  repair (items, n_items, budget, choice);
  return TRUE;
}
