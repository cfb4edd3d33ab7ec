/* lb-atomic-file.h: an output file that appears only when complete.
 * Bytes go to "<path>.XXXXXX" beside the destination (same file system, so
 * the final rename is atomic); commit flushes, fsyncs, renames and syncs the
 * folder; freeing without commit deletes the temporary file. */
#pragma once

#include <stdio.h>
#include <glib.h>

G_BEGIN_DECLS

typedef struct _LbAtomicFile LbAtomicFile;

LbAtomicFile *lb_atomic_file_new    (const char *path, GError **error);
const char   *lb_atomic_file_get_path (LbAtomicFile *file);  /* the destination */
/* buffered stdio stream of the temporary file (for fprintf-style writers) */
FILE         *lb_atomic_file_get_stream (LbAtomicFile *file);
gboolean      lb_atomic_file_write  (LbAtomicFile *file, const void *data, gsize n, GError **error);
gboolean      lb_atomic_file_commit (LbAtomicFile *file, GError **error);
/* deletes the temporary file; the destination is untouched */
void          lb_atomic_file_abort  (LbAtomicFile *file);
void          lb_atomic_file_free   (LbAtomicFile *file);   /* aborts unless committed */

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LbAtomicFile, lb_atomic_file_free)

G_END_DECLS
