/* lb-validate-report.c: validation results as text and JSON, and byte
 * counts with units (lb-validate.h) */
#include "config.h"

#include <math.h>
#include <string.h>
#include <json-glib/json-glib.h>

#include "lb-error.h"
#include "lb-validate.h"

/* "14.3 MB": powers of 1000 as the defaults are written, plain ASCII so
 * that tables line up (g_format_size puts a no-break space) */
static char *
format_bytes (double v)
{
  static const char * const units[] = { "kB", "MB", "GB", "TB", "PB" };
  guint u = 0;

  if (v < 1000)
    return g_strdup_printf ("%.0f bytes", v);
  v /= 1000;
  while (v >= 999.95 && u + 1 < G_N_ELEMENTS (units))
    {
      v /= 1000;
      u++;
    }
  return g_strdup_printf ("%.1f %s", v, units[u]);
}

char *
lb_target_format_value (LbTarget target, double value)
{
  if (isnan (value))
    return g_strdup ("n/a");
  switch (target)
    {
    case LB_TARGET_SIZE:
    case LB_TARGET_MEMORY:
      return format_bytes (value);
    case LB_TARGET_KLD:
      return g_strdup_printf ("%.6f", value);
    case LB_TARGET_TOP1:
      return g_strdup_printf ("%.3f%%", 100 * value);
    case LB_TARGET_PPL_RATIO:
      return g_strdup_printf ("%.4f", value);
    case LB_TARGET_LATENCY:
      return g_strdup_printf ("%.2f ms/token", value);
    case LB_N_TARGETS:
    default:
      break;
    }
  return g_strdup_printf ("%g", value);
}

char *
lb_target_format (LbTarget target, double value, double limit, gboolean passed)
{
  g_autofree char *v = lb_target_format_value (target, value);
  g_autofree char *l = lb_target_format_value (target, limit);
  gboolean max = lb_target_is_maximum (target);
  const char *op = passed ? (max ? "<=" : ">=") : (max ? ">" : "<");

  if (isnan (value))
    op = passed ? "vs" : "not comparable with";
  return g_strdup_printf ("%s %s %s %s", lb_target_get_label (target), v, op, l);
}

/* ---- JSON ------------------------------------------------------------------------ */

static void
add_number (JsonBuilder *b, const char *member, double v)
{
  json_builder_set_member_name (b, member);
  if (isfinite (v))
    json_builder_add_double_value (b, v);
  else
    json_builder_add_null_value (b);
}

static void
add_int (JsonBuilder *b, const char *member, guint64 v)
{
  json_builder_set_member_name (b, member);
  json_builder_add_int_value (b, (gint64) MIN (v, (guint64) G_MAXINT64));
}

static void
add_string (JsonBuilder *b, const char *member, const char *s)
{
  json_builder_set_member_name (b, member);
  if (s)
    json_builder_add_string_value (b, s);
  else
    json_builder_add_null_value (b);
}

static void
add_bench (JsonBuilder *b, const LbBenchResult *r)
{
  json_builder_set_member_name (b, "bench");
  json_builder_begin_object (b);
  add_int (b, "n_threads", r->params.n_threads);
  add_int (b, "n_prompt", r->params.n_prompt);
  add_int (b, "n_gen", r->params.n_gen);
  add_int (b, "n_repeat", r->params.n_repeat);
  add_number (b, "decode_ms_mean", r->decode_ms_mean);
  add_number (b, "decode_ms_p50", r->decode_ms_p50);
  add_number (b, "decode_ms_p95", r->decode_ms_p95);
  add_number (b, "decode_tok_s", r->decode_tok_s);
  add_number (b, "prompt_tok_s", r->prompt_tok_s);
  add_number (b, "ttft_ms", r->ttft_ms);
  add_int (b, "peak_rss", r->peak_rss);
  add_int (b, "peak_anon", r->peak_anon);
  add_int (b, "peak_file", r->peak_file);
  add_int (b, "pool_bytes", r->pool_bytes);
  json_builder_end_object (b);
}

static void
add_eval (JsonBuilder *b, const LbEvalResult *r)
{
  g_autofree char *text = lb_eval_result_to_json (r, FALSE);
  JsonNode *node = json_from_string (text, NULL);

  json_builder_set_member_name (b, "eval");
  if (node)
    json_builder_add_value (b, node);   /* takes it */
  else
    json_builder_add_null_value (b);
}

char *
lb_validate_report_to_json (const LbValidateReport *report)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autoptr (JsonNode) root = NULL;

  g_return_val_if_fail (report != NULL, NULL);

  json_builder_begin_object (b);
  add_string (b, "candidate", report->candidate);
  add_string (b, "reference", report->reference);
  json_builder_set_member_name (b, "passed");
  json_builder_add_boolean_value (b, report->passed);
  json_builder_set_member_name (b, "failed");
  json_builder_begin_array (b);
  for (guint i = 0; i < LB_N_TARGETS; i++)
    if (report->targets[i].checked && !report->targets[i].passed)
      json_builder_add_string_value (b, lb_target_get_name ((LbTarget) i));
  json_builder_end_array (b);

  json_builder_set_member_name (b, "targets");
  json_builder_begin_array (b);
  for (guint i = 0; i < LB_N_TARGETS; i++)
    {
      const LbTargetResult *t = &report->targets[i];

      if (!t->checked)
        continue;
      json_builder_begin_object (b);
      add_string (b, "name", lb_target_get_name (t->target));
      add_string (b, "label", lb_target_get_label (t->target));
      add_number (b, "value", t->value);
      add_number (b, "limit", t->limit);
      add_string (b, "comparison", lb_target_is_maximum (t->target) ? "<=" : ">=");
      add_string (b, "unit", lb_target_get_unit (t->target));
      json_builder_set_member_name (b, "passed");
      json_builder_add_boolean_value (b, t->passed);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);

  json_builder_set_member_name (b, "skipped");
  json_builder_begin_array (b);
  for (guint i = 0; i < LB_N_TARGETS; i++)
    if (!report->targets[i].checked)
      json_builder_add_string_value (b, lb_target_get_name ((LbTarget) i));
  json_builder_end_array (b);

  if (report->targets[LB_TARGET_PPL_RATIO].checked)
    add_number (b, "ppl_reference", report->ppl_reference);
  if (report->eval)
    add_eval (b, report->eval);
  if (report->bench)
    add_bench (b, report->bench);
  json_builder_end_object (b);

  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  json_generator_set_pretty (gen, TRUE);
  return json_generator_to_data (gen, NULL);
}

/* ---- sizes ------------------------------------------------------------------------ */

static const struct {
  const char *name;
  guint64     factor;
} size_units[] = {
  { "b", 1 },
  { "kb", 1000ull }, { "mb", 1000000ull }, { "gb", 1000000000ull }, { "tb", 1000000000000ull },
  { "kib", 1ull << 10 }, { "mib", 1ull << 20 }, { "gib", 1ull << 30 }, { "tib", 1ull << 40 },
};

static gboolean
size_error (const char *text, const char *why, GError **error)
{
  g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
               "size \"%s\": %s (e.g. 500MB, 1.5GiB, 123456; units B, kB, MB, GB, TB, KiB, "
               "MiB, GiB, TiB)", text, why);
  return FALSE;
}

gboolean
lb_parse_size (const char *text, guint64 *bytes, GError **error)
{
  const char *p = text;
  guint64 digits = 0, factor = 1, pow10 = 1, whole;
  guint n_digits = 0, n_frac = 0;
  gboolean dot = FALSE;

  g_return_val_if_fail (bytes != NULL, FALSE);

  if (text == NULL)
    return size_error ("", "empty", error);
  while (*p == ' ')
    p++;
  for (; (*p >= '0' && *p <= '9') || *p == '.'; p++)
    {
      if (*p == '.')
        {
          if (dot)
            return size_error (text, "more than one decimal point", error);
          dot = TRUE;
          continue;
        }
      if (digits > (G_MAXUINT64 - (guint64) (*p - '0')) / 10)
        return size_error (text, "too large", error);
      digits = digits * 10 + (guint64) (*p - '0');
      n_digits++;
      if (dot)
        {
          n_frac++;
          if (n_frac > 12)
            return size_error (text, "too many decimals", error);
          pow10 *= 10;
        }
    }
  if (n_digits == 0)
    return size_error (text, "expected a number", error);
  while (*p == ' ')
    p++;
  if (*p != '\0')
    {
      const char *unit = p;
      gsize len = strlen (unit);
      gboolean found = FALSE;

      while (len > 0 && unit[len - 1] == ' ')
        len--;
      for (guint i = 0; i < G_N_ELEMENTS (size_units) && !found; i++)
        if (strlen (size_units[i].name) == len
            && g_ascii_strncasecmp (unit, size_units[i].name, len) == 0)
          {
            factor = size_units[i].factor;
            found = TRUE;
          }
      if (!found)
        return size_error (text, "unknown unit", error);
    }
  /* digits / 10^n_frac * factor, exactly */
  if (!g_uint64_checked_mul (&whole, digits, factor))
    return size_error (text, "too large", error);
  if (whole % pow10 != 0)
    return size_error (text, "not a whole number of bytes", error);
  *bytes = whole / pow10;
  return TRUE;
}
