/* lb-progress.h: how long operations report progress */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* fraction in [0, 1]; stage is a short human-readable text ("tensor 3/98:
 * blk.0.attn_q.weight"). Called from the thread doing the work. */
typedef void (*LbProgressFunc) (double fraction, const char *stage, gpointer user_data);

G_END_DECLS
