/* lb-tokenizer-bpe.c: byte-level BPE ("gpt2") -- being written (issue 9) */
#include "lb-error.h"
#include "lb-tokenizer-private.h"

static gpointer
bpe_create (const LbVocab *vocab, const LbMeta *meta, GError **error)
{
  g_set_error (error, LB_ERROR, LB_ERROR_UNSUPPORTED,
               "byte-level BPE tokenizers (tokenizer.ggml.model \"gpt2\") are not supported yet");
  return NULL;
}

const LbTokenizerBackend lb_tokenizer_backend_bpe = {
  .model_name = "gpt2",
  .create = bpe_create,
};
