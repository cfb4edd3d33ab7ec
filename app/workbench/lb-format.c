/* lb-format.c */
#include "config.h"

#include "lb-format.h"

char *
lb_format_count (guint64 n)
{
  g_autofree char *digits = g_strdup_printf ("%" G_GUINT64_FORMAT, n);
  gsize len = strlen (digits);
  GString *out = g_string_sized_new (len + len / 3);

  for (gsize i = 0; i < len; i++)
    {
      if (i > 0 && (len - i) % 3 == 0)
        g_string_append_c (out, ',');
      g_string_append_c (out, digits[i]);
    }
  return g_string_free (out, FALSE);
}

/* three significant digits at most, trailing zeros dropped */
static char *
scaled (double v, const char *suffix)
{
  int decimals = v >= 100 ? 0 : v >= 10 ? 1 : 2;
  g_autofree char *num = g_strdup_printf ("%.*f", decimals, v);

  if (strchr (num, '.') != NULL)
    {
      char *end = num + strlen (num) - 1;

      while (*end == '0')
        *end-- = '\0';
      if (*end == '.')
        *end = '\0';
    }
  return g_strdup_printf ("%s %s", num, suffix);
}

char *
lb_format_count_short (guint64 n)
{
  if (n >= G_GUINT64_CONSTANT (1000000000))
    return scaled (n / 1e9, "B");
  if (n >= 1000000)
    return scaled (n / 1e6, "M");
  if (n >= 1000)
    return scaled (n / 1e3, "K");
  return g_strdup_printf ("%" G_GUINT64_FORMAT, n);
}
