/* lb-pretokenizer.c: regex-equivalent splitters for byte-level BPE.
 *
 * Each scanner returns the end of the leftmost-first match of its regex at a
 * position; the alternatives are tried in the regex's order and greedy
 * quantifiers backtrack exactly where the regex would. Patterns (as written
 * in the tokenizers' own files):
 *
 *   gpt-2      's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
 *   qwen2      (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}
 *              | ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
 *   llama-bpe  as qwen2 with \p{N}{1,3}
 *   smollm     every \p{N} isolated first (tokenizers' Digits, individual
 *              digits), then gpt-2 within the rest
 *
 * Character classes come from GLib's Unicode tables: \p{L} is the Lu Ll Lt
 * Lm Lo categories, \p{N} is Nd Nl No, \s is the White_Space property
 * (g_unichar_isspace plus U+000B and U+0085, which it leaves out). */
#include "lb-pretokenizer.h"

#include <string.h>

enum {
  C_L = 1 << 0,     /* \p{L} */
  C_N = 1 << 1,     /* \p{N} */
  C_S = 1 << 2,     /* \s */
  C_NL = 1 << 3,    /* \r or \n */
};

#define NOT_A_CHAR G_MAXUINT32

typedef struct {
  guint32 cp;   /* NOT_A_CHAR for a byte that does not start valid UTF-8 */
  guint8  len;
  guint8  cls;
} Ch;

typedef gsize (*MatchFunc) (const guchar *s, gsize p, gsize end);

struct _LbPretokenizer {
  const char *name;
  MatchFunc   match;
  gboolean    isolate_digits;
  gboolean    ignore_merges;
};

static guint8 ascii_cls[128];

static guint8
classify (gunichar c)
{
  guint8 cls = 0;

  switch (g_unichar_type (c))
    {
    case G_UNICODE_UPPERCASE_LETTER:
    case G_UNICODE_LOWERCASE_LETTER:
    case G_UNICODE_TITLECASE_LETTER:
    case G_UNICODE_MODIFIER_LETTER:
    case G_UNICODE_OTHER_LETTER:
      return C_L;
    case G_UNICODE_DECIMAL_NUMBER:
    case G_UNICODE_LETTER_NUMBER:
    case G_UNICODE_OTHER_NUMBER:
      return C_N;
    default:
      break;
    }
  if (g_unichar_isspace (c) || c == 0x0b || c == 0x85)
    cls |= C_S;
  if (c == '\r' || c == '\n')
    cls |= C_NL;
  return cls;
}

static void
init_tables (void)
{
  static gsize inited = 0;

  if (g_once_init_enter (&inited))
    {
      for (gunichar c = 0; c < 128; c++)
        ascii_cls[c] = classify (c);
      g_once_init_leave (&inited, 1);
    }
}

/* Strict UTF-8: no overlong forms, surrogates or values past U+10FFFF. */
static inline Ch
ch_at (const guchar *s, gsize p, gsize end)
{
  Ch c = { NOT_A_CHAR, 1, 0 };
  guchar b = s[p];
  guint32 cp;
  guint n;

  if (b < 0x80)
    {
      c.cp = b;
      c.cls = ascii_cls[b];
      return c;
    }
  if (b >= 0xc2 && b <= 0xdf)
    n = 2, cp = b & 0x1f;
  else if (b >= 0xe0 && b <= 0xef)
    n = 3, cp = b & 0x0f;
  else if (b >= 0xf0 && b <= 0xf4)
    n = 4, cp = b & 0x07;
  else
    return c;
  if (end - p < n)
    return c;
  for (guint i = 1; i < n; i++)
    {
      guchar t = s[p + i];

      if ((t & 0xc0) != 0x80)
        return c;
      cp = (cp << 6) | (t & 0x3f);
    }
  if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff))
      || (cp >= 0xd800 && cp <= 0xdfff))
    return c;
  c.cp = cp;
  c.len = n;
  c.cls = classify (cp);
  return c;
}

/* end of the run from p of characters whose (cls & mask) == want */
static inline gsize
skip_while (const guchar *s, gsize p, gsize end, guint8 mask, guint8 want)
{
  while (p < end)
    {
      Ch c = ch_at (s, p, end);

      if ((c.cls & mask) != want)
        break;
      p += c.len;
    }
  return p;
}

#define OTHER_MASK (C_L | C_N | C_S)   /* [^\s\p{L}\p{N}] has none of these */

/* At a whitespace character: [\s*[\r\n]+ |] \s+(?!\S) | \s+ */
static gsize
match_space (const guchar *s, gsize p, gsize end, gboolean newline_alt)
{
  gsize q = p, last = p, nl_end = 0;

  while (q < end)
    {
      Ch c = ch_at (s, q, end);

      if (!(c.cls & C_S))
        break;
      last = q;
      q += c.len;
      if (c.cls & C_NL)
        nl_end = q;
    }
  /* \s*[\r\n]+ backtracks to the last \r or \n of the run */
  if (newline_alt && nl_end > 0)
    return nl_end;
  /* \s+(?!\S): the whole run at the end of text, else all but its last
   * character; a lone character before non-space falls to \s+ */
  if (q == end || last == p)
    return q;
  return last;
}

static gsize
match_gpt2 (const guchar *s, gsize p, gsize end)
{
  Ch c = ch_at (s, p, end);
  Ch d = c;
  gsize q = p;

  if (c.cp == '\'' && p + 1 < end)
    {
      guchar a = s[p + 1];

      if (a == 's' || a == 't' || a == 'm' || a == 'd')
        return p + 2;
      if (p + 2 < end)
        {
          guchar b = s[p + 2];

          if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l'))
            return p + 3;
        }
    }
  if (c.cp == ' ' && p + 1 < end)
    {
      q = p + 1;
      d = ch_at (s, q, end);
    }
  if (d.cls & C_L)
    return skip_while (s, q + d.len, end, C_L, C_L);
  if (d.cls & C_N)
    return skip_while (s, q + d.len, end, C_N, C_N);
  if (!(d.cls & OTHER_MASK))
    return skip_while (s, q + d.len, end, OTHER_MASK, 0);
  return match_space (s, p, end, FALSE);
}

static inline guint32
ascii_lower (guint32 c)
{
  return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

static gsize
match_qwen_family (const guchar *s, gsize p, gsize end, guint max_digits)
{
  Ch c = ch_at (s, p, end);
  Ch d;
  gsize q;

  /* (?i:'s|'t|'re|'ve|'m|'ll|'d): under Unicode case folding U+017F (long s)
   * matches s too */
  if (c.cp == '\'' && p + 1 < end)
    {
      Ch a = ch_at (s, p + 1, end);
      guint32 la = ascii_lower (a.cp);

      if (la == 's' || la == 't' || la == 'm' || la == 'd' || a.cp == 0x17f)
        return p + 1 + a.len;
      if ((la == 'r' || la == 'v' || la == 'l') && p + 2 < end
          && ascii_lower (s[p + 2]) == (la == 'l' ? 'l' : 'e'))
        return p + 3;
    }
  /* [^\r\n\p{L}\p{N}]?\p{L}+ */
  if (c.cls & C_L)
    return skip_while (s, p + c.len, end, C_L, C_L);
  if (!(c.cls & (C_L | C_N | C_NL)) && p + c.len < end)
    {
      d = ch_at (s, p + c.len, end);
      if (d.cls & C_L)
        return skip_while (s, p + c.len + d.len, end, C_L, C_L);
    }
  /* \p{N}{1,max_digits} */
  if (c.cls & C_N)
    {
      q = p + c.len;
      for (guint i = 1; i < max_digits && q < end; i++)
        {
          d = ch_at (s, q, end);
          if (!(d.cls & C_N))
            break;
          q += d.len;
        }
      return q;
    }
  /*  ?[^\s\p{L}\p{N}]+[\r\n]* */
  q = p;
  d = c;
  if (c.cp == ' ' && p + 1 < end)
    {
      q = p + 1;
      d = ch_at (s, q, end);
    }
  if (!(d.cls & OTHER_MASK))
    {
      q = skip_while (s, q + d.len, end, OTHER_MASK, 0);
      return skip_while (s, q, end, C_NL, C_NL);
    }
  return match_space (s, p, end, TRUE);
}

static gsize
match_qwen2 (const guchar *s, gsize p, gsize end)
{
  return match_qwen_family (s, p, end, 1);
}

static gsize
match_llama3 (const guchar *s, gsize p, gsize end)
{
  return match_qwen_family (s, p, end, 3);
}

static const LbPretokenizer pretokenizers[] = {
  { "gpt-2", match_gpt2, FALSE, FALSE },
  { "qwen2", match_qwen2, FALSE, FALSE },
  { "llama-bpe", match_llama3, FALSE, TRUE },
  { "smollm", match_gpt2, TRUE, FALSE },
  /* llama.cpp gives these the llama3 regex without ignore_merges */
  { "dbrx", match_llama3, FALSE, FALSE },
};

/* Names llama.cpp accepts for the same splitting, mapped to the above. */
static const struct {
  const char *alias;
  guint       index;
} aliases[] = {
  { "gpt-2", 0 }, { "phi-2", 0 }, { "mpt", 0 }, { "olmo", 0 },
  /* "default" marks a GGUF whose converter recorded no pre-tokenizer; GPT-2's
   * is the one byte-level BPE was defined with */
  { "default", 0 },
  { "qwen2", 1 }, { "deepseek-r1-qwen", 1 }, { "stablelm2", 1 },
  { "llama-bpe", 2 }, { "llama3", 2 }, { "llama-v3", 2 }, { "falcon3", 2 },
  { "smollm", 3 }, { "starcoder", 3 }, { "refact", 3 },
  { "dbrx", 4 }, { "smaug-bpe", 4 },
};

const LbPretokenizer *
lb_pretokenizer_find (const char *name)
{
  g_return_val_if_fail (name != NULL, NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (aliases); i++)
    if (strcmp (aliases[i].alias, name) == 0)
      return &pretokenizers[aliases[i].index];
  return NULL;
}

const char *
lb_pretokenizer_get_name (const LbPretokenizer *pt)
{
  return pt->name;
}

gboolean
lb_pretokenizer_get_ignore_merges (const LbPretokenizer *pt)
{
  return pt->ignore_merges;
}

const char *
lb_pretokenizer_list_names (void)
{
  return "gpt-2, qwen2, llama-bpe, smollm, dbrx";
}

static void
split_with (MatchFunc match, const char *text, gsize start, gsize end,
            LbPretokenizerFunc func, gpointer user_data)
{
  const guchar *s = (const guchar *) text;
  gsize p = start;

  while (p < end)
    {
      gsize q = match (s, p, end);

      /* every alternative consumes at least one character; never stall */
      if (G_UNLIKELY (q <= p || q > end))
        q = p + 1;
      func (text + p, q - p, user_data);
      p = q;
    }
}

void
lb_pretokenizer_split (const LbPretokenizer *pt, const char *text, gsize len,
                       LbPretokenizerFunc func, gpointer user_data)
{
  const guchar *s = (const guchar *) text;
  gsize p = 0, seg = 0;

  g_return_if_fail (pt != NULL);
  g_return_if_fail (text != NULL || len == 0);

  init_tables ();
  if (!pt->isolate_digits)
    {
      split_with (pt->match, text, 0, len, func, user_data);
      return;
    }
  /* each \p{N} on its own; the text between is split as a whole of its own,
   * so a lookahead there sees the digit as the end of text */
  while (p < len)
    {
      Ch c = ch_at (s, p, len);

      if (c.cls & C_N)
        {
          split_with (pt->match, text, seg, p, func, user_data);
          func (text + p, c.len, user_data);
          seg = p + c.len;
        }
      p += c.len;
    }
  split_with (pt->match, text, seg, len, func, user_data);
}
