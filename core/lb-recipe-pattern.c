/* lb-recipe-pattern.c: the small languages of recipe rules: name patterns,
 * layer selectors and conditions (syntax in lb-recipe.h). */
#include "lb-recipe-private.h"

#include <string.h>

#include "lb-error.h"

/* numbers in patterns and selectors are capped here (no block index or
 * layer count comes near it), so arithmetic never overflows */
#define NUM_MAX 1000000000u

static gboolean
is_digit (char c)
{
  return c >= '0' && c <= '9';
}

/* Parses a run of digits at *p (at least one); saturates at NUM_MAX. */
static gboolean
parse_number (const char **p, guint64 *out)
{
  const char *s = *p;
  guint64 v = 0;

  if (!is_digit (*s))
    return FALSE;
  for (; is_digit (*s); s++)
    v = MIN (v * 10 + (guint64) (*s - '0'), (guint64) NUM_MAX + 1);
  *p = s;
  *out = v;
  return TRUE;
}

/* ---- patterns ------------------------------------------------------------ */

/* The set "[...]" starting at p (at '['): validates it and reports whether
 * value is in it; *end gets the character after ']'. */
static gboolean
parse_set (const char *p, guint64 value, const char **end, gboolean *contains, GError **error)
{
  const char *start = p;

  *contains = FALSE;
  p++;
  for (;;)
    {
      guint64 lo, hi;

      if (!parse_number (&p, &lo))
        {
          g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                       "the set expects a number at its character %d "
                       "(sets are like [0-3] or [0,2,5-7])", (int) (p - start) + 1);
          return FALSE;
        }
      hi = lo;
      if (*p == '-')
        {
          p++;
          if (!parse_number (&p, &hi))
            {
              g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                           "a range in a set has no upper bound (sets are like [0-3])");
              return FALSE;
            }
          if (hi < lo)
            {
              g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                           "the range %" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT
                           " in a set is empty", lo, hi);
              return FALSE;
            }
        }
      if (value >= lo && value <= hi)
        *contains = TRUE;
      if (*p == ',')
        {
          p++;
          continue;
        }
      if (*p == ']')
        {
          *end = p + 1;
          return TRUE;
        }
      if (*p == '\0')
        g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                     "the set is not closed with ']'");
      else
        g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                     "unexpected '%c' in the set (sets are like [0-3] or [0,2,5-7])", *p);
      return FALSE;
    }
}

gboolean
lb_recipe_pattern_validate (const char *pattern, GError **error)
{
  g_return_val_if_fail (pattern != NULL, FALSE);

  if (*pattern == '\0')
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT, "the pattern is empty");
      return FALSE;
    }
  for (const char *p = pattern; *p;)
    {
      if (*p == '[')
        {
          gboolean contains;
          GError *local = NULL;

          if (!parse_set (p, 0, &p, &contains, &local))
            {
              g_propagate_prefixed_error (error, local, "at character %d: ",
                                          (int) (p - pattern) + 1);
              return FALSE;
            }
        }
      else if (*p == '\\')
        {
          if (p[1] == '\0')
            {
              g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                           "the pattern ends with a lone '\\'");
              return FALSE;
            }
          p += 2;
        }
      else if (*p == ']')
        {
          g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                       "at character %d: ']' without '[' (write \\] for the character)",
                       (int) (p - pattern) + 1);
          return FALSE;
        }
      else
        p++;
    }
  return TRUE;
}

/* One non-star token of a valid pattern at p against the name at s. */
static gboolean
match_token (const char *p, const char *s, const char **p_next, const char **s_next)
{
  switch (*p)
    {
    case '\0':
      return FALSE;
    case '?':
      if (*s == '\0')
        return FALSE;
      *p_next = p + 1;
      *s_next = s + 1;
      return TRUE;
    case '[':
      {
        guint64 value;
        gboolean contains;

        if (!parse_number (&s, &value))
          return FALSE;
        if (!parse_set (p, value, p_next, &contains, NULL) || !contains)
          return FALSE;
        *s_next = s;
        return TRUE;
      }
    case '\\':
      p++;
      G_GNUC_FALLTHROUGH;
    default:
      if (*p != *s)
        return FALSE;
      *p_next = p + 1;
      *s_next = s + 1;
      return TRUE;
    }
}

gboolean
lb_recipe_pattern_match (const char *pattern, const char *name)
{
  const char *p = pattern, *s = name;
  const char *star_p = NULL, *star_s = NULL;

  g_return_val_if_fail (pattern != NULL && name != NULL, FALSE);

  if (!lb_recipe_pattern_validate (pattern, NULL))
    return FALSE;

  /* Greedy matching with one backtracking point, the last star: each token
   * matches deterministically, so moving an earlier star never helps. */
  while (*s)
    {
      const char *np, *ns;

      if (*p == '*')
        {
          while (*p == '*')
            p++;
          star_p = p;
          star_s = s;
          continue;
        }
      if (match_token (p, s, &np, &ns))
        {
          p = np;
          s = ns;
          continue;
        }
      if (star_p == NULL)
        return FALSE;
      p = star_p;
      s = ++star_s;
    }
  while (*p == '*')
    p++;
  return *p == '\0';
}

gboolean
lb_recipe_layer_of (const char *name, guint *layer)
{
  guint64 v;
  const char *p = name;

  if (!g_str_has_prefix (name, "blk."))
    return FALSE;
  p += 4;
  if (!parse_number (&p, &v) || *p != '.' || v > NUM_MAX)
    return FALSE;
  *layer = (guint) v;
  return TRUE;
}

/* ---- layer selectors ------------------------------------------------------ */

/* E := number | [k]n[/d] */
static gboolean
parse_bound (const char **p, guint n_layer, guint64 *out)
{
  guint64 k = 1, d = 1;
  gboolean has_k = parse_number (p, &k);

  if (**p != 'n')
    {
      *out = k;
      return has_k;
    }
  (*p)++;
  if (**p == '/')
    {
      (*p)++;
      if (!parse_number (p, &d) || d == 0)
        return FALSE;
    }
  *out = k * n_layer / d;
  return TRUE;
}

static gboolean
more_bits (guint64 i, guint64 n)
{
  /* llama.cpp's use_more_bits, in signed arithmetic as it computes it */
  gint64 si = (gint64) i, sn = (gint64) n;
  return si < sn / 8 || si >= 7 * sn / 8 || (si - sn / 8) % 3 == 2;
}

/* Walks the selector; FALSE when malformed. *matches: layer is selected. */
static gboolean
eval_layers (const char *layers, guint layer, guint n_layer, gboolean *matches)
{
  const char *p = layers;

  *matches = FALSE;
  for (;;)
    {
      guint64 a, b;
      gboolean hit;

      while (*p == ' ')
        p++;
      if (g_str_has_prefix (p, "more-bits"))
        {
          p += strlen ("more-bits");
          hit = more_bits (layer, n_layer);
        }
      else if (*p == '<')
        {
          p++;
          if (!parse_bound (&p, n_layer, &a))
            return FALSE;
          hit = layer < a;
        }
      else if (p[0] == '>' && p[1] == '=')
        {
          p += 2;
          if (!parse_bound (&p, n_layer, &a))
            return FALSE;
          hit = layer >= a;
        }
      else
        {
          if (!parse_bound (&p, n_layer, &a))
            return FALSE;
          b = a;
          if (*p == '-')
            {
              p++;
              if (!parse_bound (&p, n_layer, &b))
                return FALSE;
            }
          hit = layer >= a && layer <= b;
        }
      *matches |= hit;
      while (*p == ' ')
        p++;
      if (*p == '\0')
        return TRUE;
      if (*p != ',')
        return FALSE;
      p++;
    }
}

gboolean
lb_recipe_layers_validate (const char *layers, GError **error)
{
  gboolean matches;

  g_return_val_if_fail (layers != NULL, FALSE);

  if (!eval_layers (layers, 0, 1, &matches))
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                   "malformed layer selector \"%s\" (comma-separated terms: more-bits, <E, "
                   ">=E, E or E-E, where E is a number or [k]n[/d] like n/8 or 7n/8)", layers);
      return FALSE;
    }
  return TRUE;
}

gboolean
lb_recipe_layers_match (const char *layers, guint layer, guint n_layer)
{
  gboolean matches;

  g_return_val_if_fail (layers != NULL, FALSE);
  return eval_layers (layers, layer, n_layer, &matches) && matches;
}

/* ---- conditions ----------------------------------------------------------- */

static gboolean
eval_when (const char *when, guint gqa, gboolean has_imatrix, gboolean *holds)
{
  const char *p = when;

  *holds = TRUE;
  for (;;)
    {
      guint64 k;

      while (*p == ' ')
        p++;
      if (g_str_has_prefix (p, "!imatrix"))
        {
          p += strlen ("!imatrix");
          *holds &= !has_imatrix;
        }
      else if (g_str_has_prefix (p, "imatrix"))
        {
          p += strlen ("imatrix");
          *holds &= has_imatrix;
        }
      else if (g_str_has_prefix (p, "gqa>="))
        {
          p += strlen ("gqa>=");
          if (!parse_number (&p, &k))
            return FALSE;
          *holds &= gqa >= k;
        }
      else if (g_str_has_prefix (p, "gqa<"))
        {
          p += strlen ("gqa<");
          if (!parse_number (&p, &k))
            return FALSE;
          *holds &= gqa < k;
        }
      else
        return FALSE;
      while (*p == ' ')
        p++;
      if (*p == '\0')
        return TRUE;
      if (*p != ',')
        return FALSE;
      p++;
    }
}

gboolean
lb_recipe_when_validate (const char *when, GError **error)
{
  gboolean holds;

  if (!eval_when (when, 1, FALSE, &holds))
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                   "malformed condition \"%s\" (comma-separated: imatrix, !imatrix, gqa>=K, "
                   "gqa<K)", when);
      return FALSE;
    }
  return TRUE;
}

gboolean
lb_recipe_when_holds (const char *when, guint gqa, gboolean has_imatrix)
{
  gboolean holds;

  return eval_when (when, gqa, has_imatrix, &holds) && holds;
}
