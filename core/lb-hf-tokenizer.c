/* lb-hf-tokenizer.c: tokenizer.json import -- being written (issue 9) */
#include "lb-error.h"
#include "lb-model-private.h"

gboolean
lb_hf_tokenizer_json_to_meta (const char *dir, LbMeta *meta, GError **error)
{
  g_set_error (error, LB_ERROR, LB_ERROR_UNSUPPORTED,
               "%s: tokenizer.json (byte-level BPE) is not supported yet", dir);
  return FALSE;
}
