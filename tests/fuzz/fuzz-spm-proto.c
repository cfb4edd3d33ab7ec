/* fuzz-spm-proto.c: the SentencePiece ModelProto reader over arbitrary bytes. */
#include <glib.h>
#include <stdint.h>
#include <string.h>

#include "lb-spm-proto.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  GError *error = NULL;
  LbSpmModel *m = lb_spm_model_parse (data, size, &error);
  volatile gsize sink = 0;

  if (m == NULL)
    {
      g_assert (error != NULL && error->message != NULL);
      g_error_free (error);
      return 0;
    }
  for (guint i = 0; i < m->n_pieces; i++)
    {
      const LbSpmPiece *p = &m->pieces[i];
      g_assert (p->piece != NULL && p->piece[p->len] == '\0');
      g_assert (p->type >= LB_SPM_PIECE_NORMAL && p->type <= LB_SPM_PIECE_BYTE);
      sink += p->len + (gsize) (p->score != 0);
    }
  if (m->precompiled_charsmap_len > 0)
    sink += m->precompiled_charsmap[m->precompiled_charsmap_len - 1];
  lb_spm_model_free (m);
  (void) sink;
  return 0;
}
