/* lb-synth-shape.c: the named shapes of lowbit synth and the custom:...
 * parser. The figures are the published configurations (config.json) of
 * each model. */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lb-error.h"
#include "lb-synth.h"

typedef struct {
  const char  *name;
  LbSynthShape shape;
} NamedShape;

/*                      arch          layers embd  ff    heads kv  hdim vocab   ctx     rope    eps   tied bias l3 */
static const NamedShape named_shapes[] = {
  { "qwen2.5-0.5b", { "", LB_ARCH_QWEN2, 24, 896, 4864, 14, 2, 0, 151936, 32768, 1e6f, 1e-6f, TRUE, TRUE, FALSE } },
  { "qwen2.5-1.5b", { "", LB_ARCH_QWEN2, 28, 1536, 8960, 12, 2, 0, 151936, 32768, 1e6f, 1e-6f, TRUE, TRUE, FALSE } },
  { "llama3.2-1b",  { "", LB_ARCH_LLAMA, 16, 2048, 8192, 32, 8, 0, 128256, 131072, 5e5f, 1e-5f, TRUE, FALSE, TRUE } },
  { "gemma2-2b",    { "", LB_ARCH_GEMMA2, 26, 2304, 9216, 8, 4, 256, 256000, 8192, 1e4f, 1e-6f, TRUE, FALSE, FALSE } },
};

const char * const *
lb_synth_shape_names (void)
{
  static const char *names[G_N_ELEMENTS (named_shapes) + 1];

  for (guint i = 0; i < G_N_ELEMENTS (named_shapes); i++)
    names[i] = named_shapes[i].name;
  names[G_N_ELEMENTS (named_shapes)] = NULL;
  return names;
}

static gboolean
arch_from_name (const char *s, LbArch *out)
{
  static const LbArch archs[] = { LB_ARCH_LLAMA, LB_ARCH_QWEN2, LB_ARCH_GEMMA2 };

  for (guint i = 0; i < G_N_ELEMENTS (archs); i++)
    if (g_ascii_strcasecmp (s, lb_arch_to_string (archs[i])) == 0)
      {
        *out = archs[i];
        return TRUE;
      }
  return FALSE;
}

static gboolean
parse_u32 (const char *key, const char *value, guint32 min, guint32 max, guint32 *out,
           GError **error)
{
  guint64 v;

  if (!g_ascii_string_to_unsigned (value, 10, min, max, &v, NULL))
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                   "custom shape: %s=%s should be a whole number from %u to %u",
                   key, value, min, max);
      return FALSE;
    }
  *out = (guint32) v;
  return TRUE;
}

static gboolean
parse_float (const char *key, const char *value, double min, double max, float *out,
             GError **error)
{
  char *end = NULL;
  double v = g_ascii_strtod (value, &end);

  if (end == value || *end != '\0' || !(v >= min && v <= max))
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                   "custom shape: %s=%s should be a number from %g to %g", key, value, min, max);
      return FALSE;
    }
  *out = (float) v;
  return TRUE;
}

static gboolean
parse_bool (const char *key, const char *value, gboolean *out, GError **error)
{
  if (strcmp (value, "1") == 0 || g_ascii_strcasecmp (value, "true") == 0)
    *out = TRUE;
  else if (strcmp (value, "0") == 0 || g_ascii_strcasecmp (value, "false") == 0)
    *out = FALSE;
  else
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                   "custom shape: %s=%s should be 0 or 1", key, value);
      return FALSE;
    }
  return TRUE;
}

/* The defaults of a custom shape: tiny, and what its architecture implies */
static void
custom_defaults (LbSynthShape *s, LbArch arch)
{
  memset (s, 0, sizeof *s);
  g_strlcpy (s->name, "custom", sizeof s->name);
  s->arch = arch;
  s->n_layer = 2;
  s->n_embd = 64;
  s->n_ff = 128;
  s->n_head = 4;
  s->n_head_kv = 2;
  s->n_vocab = 512;
  s->n_ctx = 256;
  s->rope_freq_base = arch == LB_ARCH_QWEN2 ? 1e6f : 1e4f;
  s->norm_eps = arch == LB_ARCH_LLAMA ? 1e-5f : 1e-6f;
  s->tied = TRUE;
  s->qkv_bias = arch == LB_ARCH_QWEN2;
}

static gboolean
check_shape (const LbSynthShape *s, GError **error)
{
  guint32 head_dim = s->head_dim ? s->head_dim : s->n_embd / s->n_head;

  if (s->n_head % s->n_head_kv != 0)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                   "custom shape: heads=%u is not a multiple of kv=%u", s->n_head, s->n_head_kv);
      return FALSE;
    }
  if (s->head_dim == 0 && s->n_embd % s->n_head != 0)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                   "custom shape: embd=%u is not a multiple of heads=%u (or give head_dim=N)",
                   s->n_embd, s->n_head);
      return FALSE;
    }
  if (head_dim % 2 != 0)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                   "custom shape: the head size %u must be even (rope rotates pairs)", head_dim);
      return FALSE;
    }
  if (s->llama3_rope && s->arch != LB_ARCH_LLAMA)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                   "custom shape: llama3_rope=1 is for arch=llama, not %s",
                   lb_arch_to_string (s->arch));
      return FALSE;
    }
  return TRUE;
}

static gboolean
parse_custom (const char *spec, LbSynthShape *shape, GError **error)
{
  g_auto (GStrv) items = g_strsplit (spec, ",", -1);
  LbSynthShape s;
  LbArch arch = LB_ARCH_QWEN2;

  /* the architecture first: it sets the defaults of the other keys */
  for (guint i = 0; items[i] != NULL; i++)
    if (g_str_has_prefix (items[i], "arch="))
      {
        if (!arch_from_name (items[i] + 5, &arch))
          {
            g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                         "custom shape: arch=%s is not one of llama, qwen2, gemma2",
                         items[i] + 5);
            return FALSE;
          }
      }
  custom_defaults (&s, arch);

  for (guint i = 0; items[i] != NULL; i++)
    {
      char *item = g_strstrip (items[i]);
      char *eq = strchr (item, '=');
      const char *key = item, *value;
      gboolean ok;

      if (*item == '\0')
        continue;
      if (eq == NULL)
        {
          g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                       "custom shape: \"%s\" should be key=value", item);
          return FALSE;
        }
      *eq = '\0';
      value = eq + 1;
      if (strcmp (key, "arch") == 0)
        ok = TRUE;
      else if (strcmp (key, "layers") == 0)
        ok = parse_u32 (key, value, 1, 512, &s.n_layer, error);
      else if (strcmp (key, "embd") == 0)
        ok = parse_u32 (key, value, 2, 32768, &s.n_embd, error);
      else if (strcmp (key, "ff") == 0)
        ok = parse_u32 (key, value, 1, 262144, &s.n_ff, error);
      else if (strcmp (key, "heads") == 0)
        ok = parse_u32 (key, value, 1, 512, &s.n_head, error);
      else if (strcmp (key, "kv") == 0)
        ok = parse_u32 (key, value, 1, 512, &s.n_head_kv, error);
      else if (strcmp (key, "head_dim") == 0)
        ok = parse_u32 (key, value, 2, 1024, &s.head_dim, error);
      else if (strcmp (key, "vocab") == 0)
        ok = parse_u32 (key, value, LB_SYNTH_MIN_VOCAB, 1 << 22, &s.n_vocab, error);
      else if (strcmp (key, "ctx") == 0)
        ok = parse_u32 (key, value, 1, 1 << 20, &s.n_ctx, error);
      else if (strcmp (key, "rope_base") == 0)
        ok = parse_float (key, value, 1.0, 1e9, &s.rope_freq_base, error);
      else if (strcmp (key, "eps") == 0)
        ok = parse_float (key, value, 1e-12, 0.1, &s.norm_eps, error);
      else if (strcmp (key, "tied") == 0)
        ok = parse_bool (key, value, &s.tied, error);
      else if (strcmp (key, "llama3_rope") == 0)
        ok = parse_bool (key, value, &s.llama3_rope, error);
      else
        {
          g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                       "custom shape: unknown key \"%s\" (known: arch, layers, embd, ff, heads, "
                       "kv, head_dim, vocab, ctx, rope_base, eps, tied, llama3_rope)", key);
          return FALSE;
        }
      if (!ok)
        return FALSE;
    }
  if (!check_shape (&s, error))
    return FALSE;
  *shape = s;
  return TRUE;
}

gboolean
lb_synth_shape_parse (const char *spec, LbSynthShape *shape, GError **error)
{
  g_return_val_if_fail (spec != NULL, FALSE);
  g_return_val_if_fail (shape != NULL, FALSE);

  if (g_str_has_prefix (spec, "custom:") || strcmp (spec, "custom") == 0)
    return parse_custom (spec[6] == ':' ? spec + 7 : "", shape, error);

  for (guint i = 0; i < G_N_ELEMENTS (named_shapes); i++)
    if (g_ascii_strcasecmp (spec, named_shapes[i].name) == 0)
      {
        *shape = named_shapes[i].shape;
        g_strlcpy (shape->name, named_shapes[i].name, sizeof shape->name);
        return TRUE;
      }

  {
    g_autofree char *known = g_strjoinv (", ", (char **) lb_synth_shape_names ());
    g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT,
                 "unknown shape \"%s\" (known: %s, custom:arch=...,layers=...)", spec, known);
  }
  return FALSE;
}

guint64
lb_synth_shape_get_n_params (const LbSynthShape *s)
{
  guint64 embd = s->n_embd, ff = s->n_ff;
  guint64 head_dim = s->head_dim ? s->head_dim : s->n_embd / s->n_head;
  guint64 q = head_dim * s->n_head, kv = head_dim * s->n_head_kv;
  guint64 per_layer;

  per_layer = embd * q + 2 * embd * kv + q * embd   /* q, k, v, o */
              + 3 * embd * ff                        /* gate, up, down */
              + 2 * embd;                            /* attn_norm, ffn_norm */
  if (s->qkv_bias)
    per_layer += q + 2 * kv;
  if (s->arch == LB_ARCH_GEMMA2)
    per_layer += 2 * embd;                           /* post-attention and post-ffn norms */
  return (guint64) s->n_vocab * embd * (s->tied ? 1 : 2) + embd + per_layer * s->n_layer;
}
