/* lb-pretokenizer.h: the regex splitters of byte-level BPE tokenizers,
 * each a hand-written scanner equivalent to its tokenizer's regex, named
 * as llama.cpp names them in tokenizer.ggml.pre. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _LbPretokenizer LbPretokenizer;

/* The splitter for a tokenizer.ggml.pre name ("gpt-2", "qwen2", "llama-bpe",
 * "smollm" and the aliases llama.cpp accepts for the same regex), or NULL. */
const LbPretokenizer *lb_pretokenizer_find (const char *name);
/* The canonical name ("gpt-2", "qwen2", "llama-bpe", "smollm"). */
const char           *lb_pretokenizer_get_name (const LbPretokenizer *pt);
/* TRUE when a whole pre-token found in the vocabulary skips the merges
 * (tokenizer.json "ignore_merges", as llama.cpp does for "llama-bpe"). */
gboolean              lb_pretokenizer_get_ignore_merges (const LbPretokenizer *pt);
/* The canonical names, comma separated, for error messages. */
const char           *lb_pretokenizer_list_names (void);

/* Called for each piece; pieces are consecutive, non-empty and cover the text. */
typedef void (*LbPretokenizerFunc) (const char *piece, gsize len, gpointer user_data);

/* Splits len bytes of text. Bytes that are not valid UTF-8 are taken one at
 * a time as characters of no letter, number or space class, so any input is
 * split without loss. */
void lb_pretokenizer_split (const LbPretokenizer *pt, const char *text, gsize len,
                            LbPretokenizerFunc func, gpointer user_data);

G_END_DECLS
