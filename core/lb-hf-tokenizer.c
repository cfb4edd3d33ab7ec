/* lb-hf-tokenizer.c: a Hugging Face byte-level BPE tokenizer (tokenizer.json,
 * or vocab.json + merges.txt) to the tokenizer.ggml.* keys llama.cpp's
 * converter writes for it:
 *
 *   tokenizer.ggml.model       "gpt2"
 *   tokenizer.ggml.pre         the pre-tokenizer's llama.cpp name, recognized
 *                              from tokenizer.json's pre_tokenizer
 *   tokenizer.ggml.tokens      one per id up to config.json's vocab_size;
 *                              ids nothing uses become "[PAD<id>]"
 *   tokenizer.ggml.token_type  NORMAL; added tokens CONTROL when special or
 *                              spelled like a control token, else USER_DEFINED;
 *                              "[PAD<id>]" UNUSED
 *   tokenizer.ggml.merges      "left right"
 *   tokenizer.ggml.<x>_token_id, add_bos_token, add_eos_token,
 *   tokenizer.chat_template    from tokenizer_config.json (tokens named
 *                              there, looked up among the added tokens),
 *                              the post-processor's template, config.json */
#include "lb-error.h"
#include "lb-model-private.h"
#include "lb-pretokenizer.h"
#include "lb-tokenizer.h"

#include <json-glib/json-glib.h>
#include <string.h>

#define MAX_VOCAB (1u << 22)

/* The regexes of tokenizer.json Split pre-tokenizers we recognize */
static const char qwen2_regex[] =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}"
  "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
static const char llama3_regex[] =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}"
  "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

typedef struct {
  char    *content;
  gint32   id;
  gboolean special;
} Added;

typedef struct {
  const char *dir;
  const char *vocab_file;    /* "tokenizer.json" or "vocab.json", for messages */
  GHashTable *vocab;         /* content -> GINT_TO_POINTER (id + 1) */
  GArray     *added;         /* Added, in file order */
  GPtrArray  *merges;        /* "left right" */
  const char *pre;
  gint32      max_id;

  JsonParser *tok_parser;
  JsonObject *post_processor;
  JsonParser *tc_parser;     /* tokenizer_config.json */
  JsonObject *tc;
  JsonParser *stm_parser;    /* special_tokens_map.json */
  JsonObject *stm;
  JsonParser *cfg_parser;    /* config.json */
  JsonObject *cfg;
} Import;

static void
added_clear (gpointer p)
{
  g_free (((Added *) p)->content);
}

/* ---- JSON helpers ----------------------------------------------------- */

static gboolean
node_is_string (JsonNode *n)
{
  return n != NULL && JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_STRING;
}

static gboolean
node_is_int (JsonNode *n)
{
  return n != NULL && JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_INT64;
}

static const char *
member_string (JsonObject *o, const char *name)
{
  JsonNode *n = o ? json_object_get_member (o, name) : NULL;

  return node_is_string (n) ? json_node_get_string (n) : NULL;
}

/* -1 when missing or not a bool */
static int
member_bool (JsonObject *o, const char *name)
{
  JsonNode *n = o ? json_object_get_member (o, name) : NULL;

  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_BOOLEAN)
    return -1;
  return json_node_get_boolean (n) ? 1 : 0;
}

static JsonObject *
member_object (JsonObject *o, const char *name)
{
  JsonNode *n = o ? json_object_get_member (o, name) : NULL;

  return n != NULL && JSON_NODE_HOLDS_OBJECT (n) ? json_node_get_object (n) : NULL;
}

static JsonArray *
member_array (JsonObject *o, const char *name)
{
  JsonNode *n = o ? json_object_get_member (o, name) : NULL;

  return n != NULL && JSON_NODE_HOLDS_ARRAY (n) ? json_node_get_array (n) : NULL;
}

/* A string, or the "content" of an AddedToken-style object; NULL otherwise. */
static const char *
token_content (JsonNode *n)
{
  if (node_is_string (n))
    return json_node_get_string (n);
  if (n != NULL && JSON_NODE_HOLDS_OBJECT (n))
    return member_string (json_node_get_object (n), "content");
  return NULL;
}

/* Parses dir/name into an object. A missing optional file is not an error
 * (returns TRUE with *out NULL). */
static gboolean
load_json (const char *dir, const char *name, gboolean required, JsonParser **parser,
           JsonObject **out, GError **error)
{
  char *path = g_build_filename (dir, name, NULL);
  GError *local = NULL;
  JsonNode *root;

  *out = NULL;
  if (!g_file_test (path, G_FILE_TEST_EXISTS) && !required)
    {
      g_free (path);
      return TRUE;
    }
  *parser = json_parser_new_immutable ();
  if (!json_parser_load_from_mapped_file (*parser, path, &local))
    {
      /* json-glib's parse errors already start with the path */
      if (g_str_has_prefix (local->message, path))
        g_set_error_literal (error, LB_ERROR, LB_ERROR_INVALID_FILE, local->message);
      else
        g_set_error (error, LB_ERROR,
                     local->domain == G_FILE_ERROR ? LB_ERROR_IO : LB_ERROR_INVALID_FILE,
                     "%s: %s", path, local->message);
      g_error_free (local);
      g_free (path);
      return FALSE;
    }
  root = json_parser_get_root (*parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "%s: expected a JSON object at the top level", path);
      g_free (path);
      return FALSE;
    }
  *out = json_node_get_object (root);
  g_free (path);
  return TRUE;
}

static char *
shown (const char *s)
{
  gsize len = strlen (s);
  char *valid = g_utf8_make_valid (s, MIN (len, 120));

  if (len > 120)
    {
      char *t = g_strconcat (valid, "…", NULL);

      g_free (valid);
      return t;
    }
  return valid;
}

static gint32
vocab_id (Import *imp, const char *content)
{
  gpointer v = g_hash_table_lookup (imp->vocab, content);

  return v ? GPOINTER_TO_INT (v) - 1 : -1;
}

static gboolean
check_id (Import *imp, const char *where, const char *content, JsonNode *n, gint32 *out,
          GError **error)
{
  gint64 id = node_is_int (n) ? json_node_get_int (n) : -1;

  if (!node_is_int (n) || id < 0 || id >= (gint64) MAX_VOCAB)
    {
      char *s = shown (content);

      if (!node_is_int (n))
        g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                     "%s/%s: %s: the id of \"%s\" is missing or not an integer",
                     imp->dir, imp->vocab_file, where, s);
      else
        g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                     "%s/%s: %s: the id of \"%s\" is %" G_GINT64_FORMAT ", out of range "
                     "(0 to %u)", imp->dir, imp->vocab_file, where, s, id, MAX_VOCAB - 1);
      g_free (s);
      return FALSE;
    }
  *out = (gint32) id;
  imp->max_id = MAX (imp->max_id, (gint32) id);
  return TRUE;
}

static gboolean
read_vocab_object (Import *imp, const char *where, JsonObject *vocab, GError **error)
{
  JsonObjectIter iter;
  const char *content;
  JsonNode *node;

  json_object_iter_init (&iter, vocab);
  while (json_object_iter_next (&iter, &content, &node))
    {
      gint32 id;

      if (!check_id (imp, where, content, node, &id, error))
        return FALSE;
      g_hash_table_replace (imp->vocab, g_strdup (content), GINT_TO_POINTER (id + 1));
    }
  return TRUE;
}

/* ---- merges ----------------------------------------------------------- */

static gboolean
add_merge (Import *imp, const char *where, guint i, const char *left, gsize llen,
           const char *right, gsize rlen, GError **error)
{
  char *l = g_strndup (left, llen), *r = g_strndup (right, rlen);
  char *both = g_strconcat (l, r, NULL);
  const char *missing = NULL;

  if (vocab_id (imp, l) < 0)
    missing = l;
  else if (vocab_id (imp, r) < 0)
    missing = r;
  else if (vocab_id (imp, both) < 0)
    missing = both;
  if (missing != NULL)
    {
      char *m = shown (missing), *sl = shown (l), *sr = shown (r);

      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "%s/%s: %s[%u] (\"%s\" \"%s\"): token \"%s\" is not in the vocabulary",
                   imp->dir, imp->vocab_file, where, i, sl, sr, m);
      g_free (m);
      g_free (sl);
      g_free (sr);
    }
  else
    g_ptr_array_add (imp->merges, g_strconcat (l, " ", r, NULL));
  g_free (l);
  g_free (r);
  g_free (both);
  return missing == NULL;
}

static gboolean
read_json_merges (Import *imp, JsonArray *merges, GError **error)
{
  guint n = json_array_get_length (merges);

  for (guint i = 0; i < n; i++)
    {
      JsonNode *m = json_array_get_element (merges, i);
      const char *l = NULL, *r = NULL;
      gsize ll = 0, rl = 0;

      if (node_is_string (m))
        {
          /* the older form "left right" */
          const char *s = json_node_get_string (m);
          const char *sp = strchr (s, ' ');

          if (sp != NULL && sp != s && sp[1] != '\0' && strchr (sp + 1, ' ') == NULL)
            l = s, ll = sp - s, r = sp + 1, rl = strlen (r);
        }
      else if (m != NULL && JSON_NODE_HOLDS_ARRAY (m)
               && json_array_get_length (json_node_get_array (m)) == 2)
        {
          /* [left, right], written since transformers 4.45 */
          JsonArray *pair = json_node_get_array (m);
          JsonNode *a = json_array_get_element (pair, 0), *b = json_array_get_element (pair, 1);

          if (node_is_string (a) && node_is_string (b))
            {
              l = json_node_get_string (a), ll = strlen (l);
              r = json_node_get_string (b), rl = strlen (r);
              if (ll == 0 || rl == 0)
                l = NULL;
              else if (strchr (l, ' ') != NULL || strchr (r, ' ') != NULL)
                {
                  g_set_error (error, LB_ERROR, LB_ERROR_UNSUPPORTED,
                               "%s/tokenizer.json: model.merges[%u] has a space inside a token, "
                               "which a byte-level BPE never has", imp->dir, i);
                  return FALSE;
                }
            }
        }
      if (l == NULL)
        {
          g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                       "%s/tokenizer.json: model.merges[%u] is neither \"left right\" nor "
                       "[\"left\", \"right\"]", imp->dir, i);
          return FALSE;
        }
      if (!add_merge (imp, "model.merges", i, l, ll, r, rl, error))
        return FALSE;
    }
  return TRUE;
}

/* merges.txt: an optional "#version" line, then "left right" per line
 * (malformed lines are skipped, as llama.cpp's converter does) */
static gboolean
read_merges_txt (Import *imp, GError **error)
{
  char *path = g_build_filename (imp->dir, "merges.txt", NULL);
  char *contents = NULL;
  char **lines;
  GError *local = NULL;
  gboolean ok = TRUE;

  if (!g_file_get_contents (path, &contents, NULL, &local))
    {
      g_set_error (error, LB_ERROR, LB_ERROR_IO, "%s", local->message);
      g_error_free (local);
      g_free (path);
      return FALSE;
    }
  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; ok && lines[i] != NULL; i++)
    {
      char *line = g_strstrip (lines[i]);
      char **parts;

      if (line[0] == '\0' || (i == 0 && line[0] == '#'))
        continue;
      parts = g_strsplit_set (line, " \t", -1);
      {
        const char *w[3] = { NULL, NULL, NULL };
        guint nw = 0;

        for (guint k = 0; parts[k] != NULL; k++)
          if (parts[k][0] != '\0' && nw < 3)
            w[nw++] = parts[k];
        if (nw == 2)
          ok = add_merge (imp, "merges.txt line", i + 1, w[0], strlen (w[0]), w[1],
                          strlen (w[1]), error);
      }
      g_strfreev (parts);
    }
  g_strfreev (lines);
  g_free (contents);
  g_free (path);
  return ok;
}

/* ---- pre-tokenizer ---------------------------------------------------- */

static void
describe_pre (JsonNode *n, GString *out)
{
  JsonObject *o;
  const char *type;

  if (n == NULL || JSON_NODE_HOLDS_NULL (n))
    {
      g_string_append (out, "none");
      return;
    }
  if (!JSON_NODE_HOLDS_OBJECT (n))
    {
      g_string_append (out, "(not an object)");
      return;
    }
  o = json_node_get_object (n);
  type = member_string (o, "type");
  g_string_append (out, type ? type : "(no type)");
  if (type != NULL && strcmp (type, "Sequence") == 0)
    {
      JsonArray *list = member_array (o, "pretokenizers");

      g_string_append_c (out, '[');
      for (guint i = 0; list != NULL && i < json_array_get_length (list); i++)
        {
          if (i > 0)
            g_string_append (out, ", ");
          describe_pre (json_array_get_element (list, i), out);
        }
      g_string_append_c (out, ']');
    }
  else if (type != NULL && strcmp (type, "Split") == 0)
    {
      JsonObject *pat = member_object (o, "pattern");
      const char *re = member_string (pat, "Regex");
      const char *str = member_string (pat, "String");

      g_string_append_printf (out, "(%s \"%s\")", re ? "regex" : "string",
                              re ? re : str ? str : "?");
    }
  else if (type != NULL && strcmp (type, "ByteLevel") == 0)
    g_string_append_printf (out, "(use_regex %s, add_prefix_space %s)",
                            member_bool (o, "use_regex") == 0 ? "false" : "true",
                            member_bool (o, "add_prefix_space") == 1 ? "true" : "false");
}

static gboolean
is_type (JsonNode *n, const char *type)
{
  const char *t;

  if (n == NULL || !JSON_NODE_HOLDS_OBJECT (n))
    return FALSE;
  t = member_string (json_node_get_object (n), "type");
  return t != NULL && strcmp (t, type) == 0;
}

/* ByteLevel with the given use_regex and no prefix space */
static gboolean
is_byte_level (JsonNode *n, gboolean use_regex)
{
  JsonObject *o;

  if (!is_type (n, "ByteLevel"))
    return FALSE;
  o = json_node_get_object (n);
  return (member_bool (o, "use_regex") != 0) == use_regex && member_bool (o, "add_prefix_space") != 1;
}

static const char *
identify_pre (JsonNode *n)
{
  JsonArray *list;
  JsonNode *first, *second;

  if (is_byte_level (n, TRUE))
    return "gpt-2";
  if (!is_type (n, "Sequence"))
    return NULL;
  list = member_array (json_node_get_object (n), "pretokenizers");
  if (list == NULL)
    return NULL;
  if (json_array_get_length (list) == 1 && is_byte_level (json_array_get_element (list, 0), TRUE))
    return "gpt-2";
  if (json_array_get_length (list) != 2)
    return NULL;
  first = json_array_get_element (list, 0);
  second = json_array_get_element (list, 1);
  if (is_type (first, "Digits") && is_byte_level (second, TRUE)
      && member_bool (json_node_get_object (first), "individual_digits") == 1)
    return "smollm";
  if (is_type (first, "Split") && is_byte_level (second, FALSE))
    {
      JsonObject *split = json_node_get_object (first);
      const char *re = member_string (member_object (split, "pattern"), "Regex");
      const char *behavior = member_string (split, "behavior");

      if (re == NULL || behavior == NULL || strcmp (behavior, "Isolated") != 0
          || member_bool (split, "invert") == 1)
        return NULL;
      if (strcmp (re, qwen2_regex) == 0)
        return "qwen2";
      if (strcmp (re, llama3_regex) == 0)
        return "llama-bpe";
    }
  return NULL;
}

/* ---- tokenizer.json --------------------------------------------------- */

static gboolean
read_tokenizer_json (Import *imp, GError **error)
{
  JsonObject *root, *model, *vocab, *normalizer;
  JsonArray *merges, *added;
  JsonNode *pre_node;
  const char *type;

  imp->vocab_file = "tokenizer.json";
  if (!load_json (imp->dir, "tokenizer.json", TRUE, &imp->tok_parser, &root, error))
    return FALSE;
  model = member_object (root, "model");
  if (model == NULL)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "%s/tokenizer.json: \"model\" is missing or not an object", imp->dir);
      return FALSE;
    }
  type = member_string (model, "type");
  if (type != NULL && strcmp (type, "BPE") != 0)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_UNSUPPORTED,
                   "%s/tokenizer.json: model type \"%s\" is not supported (Lowbit reads byte-level "
                   "BPE tokenizer.json files, and SentencePiece tokenizer.model files)",
                   imp->dir, type);
      return FALSE;
    }
  if (member_bool (model, "byte_fallback") == 1)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_UNSUPPORTED,
                   "%s/tokenizer.json: a BPE with byte_fallback (SentencePiece style) is not "
                   "supported; only byte-level BPE is", imp->dir);
      return FALSE;
    }
  for (guint k = 0; k < 2; k++)
    {
      const char *field = k == 0 ? "continuing_subword_prefix" : "end_of_word_suffix";
      const char *v = member_string (model, field);

      if (v != NULL && v[0] != '\0')
        {
          g_set_error (error, LB_ERROR, LB_ERROR_UNSUPPORTED,
                       "%s/tokenizer.json: model.%s is not supported in a byte-level BPE",
                       imp->dir, field);
          return FALSE;
        }
    }

  /* NFC (Qwen2) leaves text as typed in practice; llama.cpp skips it too */
  normalizer = member_object (root, "normalizer");
  if (normalizer != NULL)
    {
      const char *nt = member_string (normalizer, "type");

      if (nt == NULL || strcmp (nt, "NFC") != 0)
        {
          g_set_error (error, LB_ERROR, LB_ERROR_UNSUPPORTED,
                       "%s/tokenizer.json: normalizer \"%s\" is not supported",
                       imp->dir, nt ? nt : "(no type)");
          return FALSE;
        }
    }

  pre_node = json_object_get_member (root, "pre_tokenizer");
  imp->pre = identify_pre (pre_node);
  if (imp->pre == NULL)
    {
      GString *d = g_string_new (NULL);

      describe_pre (pre_node, d);
      if (d->len > 400)
        {
          g_string_truncate (d, 400);
          g_string_append (d, "…");
        }
      g_set_error (error, LB_ERROR, LB_ERROR_UNSUPPORTED,
                   "%s/tokenizer.json: unknown pre_tokenizer %s (Lowbit knows those of "
                   "byte-level BPE tokenizers named %s)", imp->dir, d->str,
                   lb_pretokenizer_list_names ());
      g_string_free (d, TRUE);
      return FALSE;
    }

  vocab = member_object (model, "vocab");
  if (vocab == NULL)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "%s/tokenizer.json: model.vocab is missing or not an object", imp->dir);
      return FALSE;
    }
  if (!read_vocab_object (imp, "model.vocab", vocab, error))
    return FALSE;

  merges = member_array (model, "merges");
  if (merges == NULL)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "%s/tokenizer.json: model.merges is missing or not an array", imp->dir);
      return FALSE;
    }
  if (!read_json_merges (imp, merges, error))
    return FALSE;

  added = member_array (root, "added_tokens");
  for (guint i = 0; added != NULL && i < json_array_get_length (added); i++)
    {
      JsonNode *node = json_array_get_element (added, i);
      JsonObject *o = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
      const char *content = member_string (o, "content");
      char where[64];
      Added a;

      g_snprintf (where, sizeof where, "added_tokens[%u]", i);
      if (content == NULL || content[0] == '\0')
        {
          g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                       "%s/tokenizer.json: %s has no \"content\" string", imp->dir, where);
          return FALSE;
        }
      if (!check_id (imp, where, content, json_object_get_member (o, "id"), &a.id, error))
        return FALSE;
      a.content = g_strdup (content);
      a.special = member_bool (o, "special") == 1;
      g_array_append_val (imp->added, a);
    }

  imp->post_processor = member_object (root, "post_processor");
  return TRUE;
}

/* ---- vocab.json + merges.txt ------------------------------------------ */

static void
add_special_content (Import *imp, const char *content)
{
  Added a;

  if (content == NULL || content[0] == '\0')
    return;
  for (guint i = 0; i < imp->added->len; i++)
    {
      Added *e = &g_array_index (imp->added, Added, i);

      if (strcmp (e->content, content) == 0)
        {
          e->special = TRUE;
          return;
        }
    }
  /* a special token the vocabulary lacks gets the next id, as transformers
   * adds it */
  a.id = vocab_id (imp, content);
  if (a.id < 0)
    {
      if (imp->max_id + 1 >= (gint32) MAX_VOCAB)
        return;
      a.id = ++imp->max_id;
    }
  a.content = g_strdup (content);
  a.special = TRUE;
  g_array_append_val (imp->added, a);
}

static void
add_specials_from (Import *imp, JsonObject *o)
{
  static const char *const names[] = {
    "bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token",
  };
  JsonArray *extra;

  if (o == NULL)
    return;
  for (guint k = 0; k < G_N_ELEMENTS (names); k++)
    add_special_content (imp, token_content (json_object_get_member (o, names[k])));
  extra = member_array (o, "additional_special_tokens");
  for (guint i = 0; extra != NULL && i < json_array_get_length (extra); i++)
    add_special_content (imp, token_content (json_array_get_element (extra, i)));
}

static gboolean
read_vocab_json (Import *imp, GError **error)
{
  JsonParser *parser = NULL, *atp = NULL;
  JsonObject *root, *decoder, *added_json;
  const char *cls;
  gboolean ok;

  imp->vocab_file = "vocab.json";
  ok = load_json (imp->dir, "vocab.json", TRUE, &parser, &root, error)
       && read_vocab_object (imp, "vocab", root, error);
  g_clear_object (&parser);
  if (!ok || !read_merges_txt (imp, error))
    return FALSE;

  /* added tokens as transformers loads them beside a vocab.json */
  decoder = member_object (imp->tc, "added_tokens_decoder");
  if (decoder != NULL)
    {
      JsonObjectIter iter;
      const char *key;
      JsonNode *node;

      json_object_iter_init (&iter, decoder);
      while (json_object_iter_next (&iter, &key, &node))
        {
          JsonObject *o = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
          const char *content = member_string (o, "content");
          char *end = NULL;
          guint64 id = g_ascii_strtoull (key, &end, 10);
          Added a;

          if (content == NULL || content[0] == '\0' || end == key || *end != '\0'
              || id >= MAX_VOCAB)
            {
              g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                           "%s/tokenizer_config.json: added_tokens_decoder entry \"%s\" needs an "
                           "id below %u and a \"content\" string", imp->dir, key, MAX_VOCAB);
              return FALSE;
            }
          a.id = (gint32) id;
          a.content = g_strdup (content);
          a.special = member_bool (o, "special") == 1;
          imp->max_id = MAX (imp->max_id, a.id);
          g_array_append_val (imp->added, a);
        }
    }
  if (!load_json (imp->dir, "added_tokens.json", FALSE, &atp, &added_json, error))
    {
      g_clear_object (&atp);
      return FALSE;
    }
  if (added_json != NULL)
    {
      JsonObjectIter iter;
      const char *content;
      JsonNode *node;

      json_object_iter_init (&iter, added_json);
      while (json_object_iter_next (&iter, &content, &node))
        {
          Added a;

          imp->vocab_file = "added_tokens.json";
          if (!check_id (imp, "added token", content, node, &a.id, error))
            {
              g_clear_object (&atp);
              return FALSE;
            }
          a.content = g_strdup (content);
          a.special = FALSE;
          g_array_append_val (imp->added, a);
        }
      imp->vocab_file = "vocab.json";
    }
  g_clear_object (&atp);
  add_specials_from (imp, imp->tc);
  add_specials_from (imp, imp->stm);

  /* the slow tokenizer class decides the splitting */
  cls = member_string (imp->tc, "tokenizer_class");
  imp->pre = cls != NULL && g_str_has_prefix (cls, "Qwen2Tokenizer") ? "qwen2" : "gpt-2";
  return TRUE;
}

/* ---- to metadata ------------------------------------------------------ */

/* convert_hf_to_gguf.py's does_token_look_special */
static gboolean
looks_special (const char *t)
{
  if (strcmp (t, "<pad>") == 0 || strcmp (t, "<mask>") == 0 || strcmp (t, "<2mass>") == 0
      || strcmp (t, "[@BOS@]") == 0)
    return TRUE;
  return (g_str_has_prefix (t, "<|") && g_str_has_suffix (t, "|>"))
         || (g_str_has_prefix (t, "<\xef\xbd\x9c") && g_str_has_suffix (t, "\xef\xbd\x9c>"))
         || (g_str_has_prefix (t, "<unused") && g_str_has_suffix (t, ">"));
}

static gint32
added_id (Import *imp, const char *content)
{
  if (content == NULL)
    return -1;
  for (guint i = 0; i < imp->added->len; i++)
    {
      Added *a = &g_array_index (imp->added, Added, i);

      if (strcmp (a->content, content) == 0)
        return a->id;
    }
  return -1;
}

enum { SP_BOS, SP_EOS, SP_UNK, SP_SEP, SP_PAD, SP_MASK, SP_EOT, N_SP };

static const char *const sp_names[N_SP] = { "bos", "eos", "unk", "sep", "pad", "mask", "eot" };
static const char *const sp_keys[N_SP] = {
  "tokenizer.ggml.bos_token_id", "tokenizer.ggml.eos_token_id",
  "tokenizer.ggml.unknown_token_id", "tokenizer.ggml.seperator_token_id",
  "tokenizer.ggml.padding_token_id", "tokenizer.ggml.mask_token_id",
  "tokenizer.ggml.eot_token_id",
};

static const char *
template_special (JsonArray *tmpl, guint i)
{
  JsonNode *n = json_array_get_element (tmpl, i);
  JsonObject *o = JSON_NODE_HOLDS_OBJECT (n) ? json_node_get_object (n) : NULL;

  return member_string (member_object (o, "SpecialToken"), "id");
}

/* Special token ids and add_bos/add_eos as gguf-py's SpecialVocab finds them. */
static void
special_tokens (Import *imp, gint32 n_vocab, gint32 *ids, int *add_bos, int *add_eos)
{
  const char *content[N_SP] = { NULL };

  for (guint t = 0; t < N_SP; t++)
    {
      char key[32];

      g_snprintf (key, sizeof key, "%s_token", sp_names[t]);
      content[t] = token_content (imp->tc ? json_object_get_member (imp->tc, key) : NULL);
      ids[t] = -1;
    }
  if (content[SP_BOS] == NULL)
    content[SP_BOS] = token_content (imp->tc ? json_object_get_member (imp->tc, "cls_token") : NULL);
  if (content[SP_EOS] == NULL)
    content[SP_EOS] = content[SP_SEP];

  *add_bos = *add_eos = -1;
  if (imp->post_processor != NULL)
    {
      JsonArray *procs = member_array (imp->post_processor, "processors");
      guint n = procs ? json_array_get_length (procs) : 1;

      for (guint i = 0; i < n; i++)
        {
          JsonNode *pn = procs ? json_array_get_element (procs, i) : NULL;
          JsonObject *p = procs ? (JSON_NODE_HOLDS_OBJECT (pn) ? json_node_get_object (pn) : NULL)
                                : imp->post_processor;
          const char *type = member_string (p, "type");
          JsonArray *single = member_array (p, "single");
          guint len = single ? json_array_get_length (single) : 0;
          const char *first, *last;

          if (type != NULL && strcmp (type, "RobertaProcessing") == 0)
            {
              *add_bos = *add_eos = 1;
              continue;
            }
          if (type == NULL || strcmp (type, "TemplateProcessing") != 0 || len < 2)
            continue;
          first = template_special (single, 0);
          last = template_special (single, len - 1);
          if (first != NULL)
            {
              if (imp->tc == NULL)
                content[SP_BOS] = first;
              *add_bos = content[SP_BOS] != NULL && strcmp (first, content[SP_BOS]) == 0;
            }
          if (last != NULL)
            {
              if (imp->tc == NULL)
                content[SP_EOS] = last;
              else if (content[SP_EOS] == NULL || strcmp (last, content[SP_EOS]) != 0)
                {
                  /* the template ends with another token: it becomes EOS and
                   * the configured one end-of-turn */
                  if (content[SP_EOT] == NULL)
                    content[SP_EOT] = content[SP_EOS];
                  content[SP_EOS] = last;
                }
              *add_eos = 1;
            }
        }
    }
  if (imp->tc != NULL)
    {
      int b = member_bool (imp->tc, "add_bos_token"), e = member_bool (imp->tc, "add_eos_token");

      if (b >= 0)
        *add_bos = b;
      if (e >= 0)
        *add_eos = e;
    }

  for (guint t = 0; t < N_SP; t++)
    {
      ids[t] = added_id (imp, content[t]);
      /* beside a vocab.json, tokens named in the config may be plain entries */
      if (ids[t] < 0 && content[t] != NULL && imp->tok_parser == NULL)
        ids[t] = vocab_id (imp, content[t]);
    }

  /* config.json fills what is still unknown; ids out of range are skipped */
  for (guint t = 0; t < N_SP && imp->cfg != NULL; t++)
    {
      char key[32];
      JsonNode *n;

      if (ids[t] >= 0 || t == SP_EOT)
        continue;
      g_snprintf (key, sizeof key, "%s_token_id", sp_names[t]);
      n = json_object_get_member (imp->cfg, key);
      if (n == NULL && member_object (imp->cfg, "text_config") != NULL)
        n = json_object_get_member (member_object (imp->cfg, "text_config"), key);
      if (node_is_int (n) && json_node_get_int (n) >= 0 && json_node_get_int (n) < n_vocab)
        ids[t] = (gint32) json_node_get_int (n);
    }
  for (guint t = 0; t < N_SP; t++)
    if (ids[t] >= n_vocab)
      ids[t] = -1;
}

static gboolean
write_meta (Import *imp, LbMeta *meta, GError **error)
{
  gint64 cfg_vocab = -1;
  guint n_vocab, n_used = g_hash_table_size (imp->vocab) + imp->added->len;
  char **texts;
  gint32 *types;
  LbValue v;
  GHashTableIter iter;
  gpointer key, value;
  gint32 ids[N_SP];
  int add_bos, add_eos;
  const char *tmpl;

  if (imp->cfg != NULL && node_is_int (json_object_get_member (imp->cfg, "vocab_size")))
    cfg_vocab = json_object_get_int_member (imp->cfg, "vocab_size");
  if (cfg_vocab >= 0)
    {
      if (cfg_vocab > (gint64) MAX_VOCAB || cfg_vocab <= imp->max_id)
        {
          g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                       "%s/config.json: vocab_size %" G_GINT64_FORMAT " does not fit the "
                       "tokenizer, whose largest id is %d", imp->dir, cfg_vocab, imp->max_id);
          return FALSE;
        }
      n_vocab = (guint) cfg_vocab;
    }
  else
    {
      n_vocab = (guint) imp->max_id + 1;
      /* without a vocab_size, ids far past the number of tokens are an error
       * rather than millions of padding entries */
      if (n_vocab > 2 * n_used + 1024)
        {
          g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                       "%s/%s: id %d is out of range for a vocabulary of %u tokens",
                       imp->dir, imp->vocab_file, imp->max_id, n_used);
          return FALSE;
        }
    }
  if (n_vocab == 0)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                   "%s/%s: the vocabulary is empty", imp->dir, imp->vocab_file);
      return FALSE;
    }

  texts = g_new0 (char *, n_vocab);
  types = g_new (gint32, n_vocab);
  g_hash_table_iter_init (&iter, imp->vocab);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      gint32 id = GPOINTER_TO_INT (value) - 1;

      if (texts[id] != NULL)
        {
          char *a = shown (texts[id]), *b = shown (key);

          g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                       "%s/%s: \"%s\" and \"%s\" both have id %d",
                       imp->dir, imp->vocab_file, a, b, id);
          g_free (a);
          g_free (b);
          g_free (texts);
          g_free (types);
          return FALSE;
        }
      texts[id] = key;
      types[id] = LB_TOKEN_TYPE_NORMAL;
    }
  for (guint i = 0; i < imp->added->len; i++)
    {
      Added *a = &g_array_index (imp->added, Added, i);

      /* an added token's own text wins over a model entry of the same id */
      texts[a->id] = a->content;
      if (a->special || looks_special (a->content))
        types[a->id] = LB_TOKEN_TYPE_CONTROL;
      else
        types[a->id] = LB_TOKEN_TYPE_USER_DEFINED;
    }

  v.type = LB_VALUE_ARRAY;
  v.arr.elem_type = LB_VALUE_STRING;
  v.arr.n = n_vocab;
  v.arr.strings = g_new0 (LbBytes, n_vocab);
  for (guint i = 0; i < n_vocab; i++)
    {
      char *t;

      if (texts[i] == NULL)
        {
          t = g_strdup_printf ("[PAD%u]", i);
          types[i] = LB_TOKEN_TYPE_UNUSED;
        }
      else if (types[i] == LB_TOKEN_TYPE_USER_DEFINED)
        {
          /* the converter writes a user-defined token's "▁" as a space */
          char **parts = g_strsplit (texts[i], "\xe2\x96\x81", -1);

          t = g_strjoinv (" ", parts);
          g_strfreev (parts);
        }
      else
        t = g_strdup (texts[i]);
      v.arr.strings[i].data = t;
      v.arr.strings[i].len = strlen (t);
    }
  g_free (texts);

  special_tokens (imp, (gint32) n_vocab, ids, &add_bos, &add_eos);

  lb_meta_set_string (meta, "tokenizer.ggml.model", "gpt2");
  lb_meta_set_string (meta, "tokenizer.ggml.pre", imp->pre);
  lb_meta_take_value (meta, "tokenizer.ggml.tokens", &v);
  lb_meta_set_array (meta, "tokenizer.ggml.token_type", LB_VALUE_INT32, types, n_vocab);
  g_free (types);

  v.type = LB_VALUE_ARRAY;
  v.arr.elem_type = LB_VALUE_STRING;
  v.arr.n = imp->merges->len;
  v.arr.strings = g_new0 (LbBytes, MAX (imp->merges->len, 1));
  for (guint i = 0; i < imp->merges->len; i++)
    {
      v.arr.strings[i].data = g_ptr_array_index (imp->merges, i);
      v.arr.strings[i].len = strlen (v.arr.strings[i].data);
      imp->merges->pdata[i] = NULL;
    }
  lb_meta_take_value (meta, "tokenizer.ggml.merges", &v);

  for (guint t = 0; t < N_SP; t++)
    if (ids[t] >= 0)
      lb_meta_set_u32 (meta, sp_keys[t], (guint32) ids[t]);
  if (add_bos >= 0)
    lb_meta_set_bool (meta, "tokenizer.ggml.add_bos_token", add_bos);
  if (add_eos >= 0)
    lb_meta_set_bool (meta, "tokenizer.ggml.add_eos_token", add_eos);
  tmpl = member_string (imp->tc, "chat_template");
  if (tmpl != NULL)
    lb_meta_set_string (meta, "tokenizer.chat_template", tmpl);
  else
    {
      char *path = g_build_filename (imp->dir, "chat_template.jinja", NULL);
      char *contents = NULL;

      if (g_file_get_contents (path, &contents, NULL, NULL) && g_utf8_validate (contents, -1, NULL))
        lb_meta_set_string (meta, "tokenizer.chat_template", contents);
      g_free (contents);
      g_free (path);
    }
  return TRUE;
}

gboolean
lb_hf_tokenizer_json_to_meta (const char *dir, LbMeta *meta, GError **error)
{
  Import imp = { 0 };
  char *tj, *vj, *mt;
  gboolean ok;

  g_return_val_if_fail (dir != NULL, FALSE);
  g_return_val_if_fail (meta != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  imp.dir = dir;
  imp.vocab_file = "tokenizer.json";
  imp.vocab = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  imp.added = g_array_new (FALSE, FALSE, sizeof (Added));
  g_array_set_clear_func (imp.added, added_clear);
  imp.merges = g_ptr_array_new_with_free_func (g_free);
  imp.max_id = -1;

  tj = g_build_filename (dir, "tokenizer.json", NULL);
  vj = g_build_filename (dir, "vocab.json", NULL);
  mt = g_build_filename (dir, "merges.txt", NULL);
  ok = load_json (dir, "tokenizer_config.json", FALSE, &imp.tc_parser, &imp.tc, error)
       && load_json (dir, "special_tokens_map.json", FALSE, &imp.stm_parser, &imp.stm, error)
       && load_json (dir, "config.json", FALSE, &imp.cfg_parser, &imp.cfg, error);
  if (ok)
    {
      if (g_file_test (tj, G_FILE_TEST_EXISTS))
        ok = read_tokenizer_json (&imp, error);
      else if (g_file_test (vj, G_FILE_TEST_EXISTS) && g_file_test (mt, G_FILE_TEST_EXISTS))
        ok = read_vocab_json (&imp, error);
      else
        {
          g_set_error (error, LB_ERROR, LB_ERROR_INVALID_FILE,
                       "%s has no tokenizer: neither tokenizer.json nor vocab.json with merges.txt",
                       dir);
          ok = FALSE;
        }
    }
  if (ok)
    ok = write_meta (&imp, meta, error);

  g_free (tj);
  g_free (vj);
  g_free (mt);
  g_hash_table_unref (imp.vocab);
  g_array_unref (imp.added);
  g_ptr_array_unref (imp.merges);
  g_clear_object (&imp.tok_parser);
  g_clear_object (&imp.tc_parser);
  g_clear_object (&imp.stm_parser);
  g_clear_object (&imp.cfg_parser);
  return ok;
}
