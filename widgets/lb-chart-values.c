/* lb-chart-values.c: copies of caller-owned strings and comparisons of the
 * values the chart widgets store */
#include "config.h"

#include <math.h>

#include "lb-chart-widget-private.h"

char **
lb_chart_strings_copy (const char * const *src,
                       guint               n)
{
  char **copy;

  if (src == NULL)
    return NULL;
  copy = g_new0 (char *, (gsize) n + 1);
  for (guint i = 0; i < n; i++)
    copy[i] = g_strdup (src[i]);
  return copy;
}

void
lb_chart_strings_free (char  **strings,
                       guint   n)
{
  if (strings == NULL)
    return;
  for (guint i = 0; i < n; i++)
    g_free (strings[i]);
  g_free (strings);
}

const char *
lb_chart_strings_get (char * const *strings,
                      guint         n,
                      guint         i)
{
  return strings != NULL && i < n ? strings[i] : NULL;
}

gboolean
lb_chart_set_string (char       **field,
                     const char  *value)
{
  if (g_strcmp0 (*field, value) == 0)
    return FALSE;
  g_free (*field);
  *field = g_strdup (value);
  return TRUE;
}

gboolean
lb_chart_set_double (double *field,
                     double  value)
{
  if (*field == value || (isnan (*field) && isnan (value)))
    return FALSE;
  *field = value;
  return TRUE;
}
