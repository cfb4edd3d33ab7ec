/* lb-gguf.h: GGUF v2/v3 reading (memory-mapped, validated) and streaming writing */
#pragma once

#include <gio/gio.h>

#include "lb-meta.h"
#include "lb-tensor.h"

G_BEGIN_DECLS

#define LB_GGUF_DEFAULT_ALIGNMENT 32

/* ---- reading ---------------------------------------------------------- */

typedef struct _LbGgufReader LbGgufReader;

/* Maps the file and parses the header, metadata and tensor infos; tensor
 * data is not touched (pages fault in when a tensor is used). Every count,
 * length, dim, type and offset is validated against the file size before
 * use; errors (LB_ERROR_INVALID_FILE) name the field and its byte offset. */
LbGgufReader   *lb_gguf_reader_open          (const char *path, GError **error);
/* Same over bytes in memory (used by fuzzing and tests); bytes are kept alive. */
LbGgufReader   *lb_gguf_reader_open_bytes    (GBytes *bytes, GError **error);
void            lb_gguf_reader_free          (LbGgufReader *reader);

guint32         lb_gguf_reader_get_version   (LbGgufReader *reader);
gsize           lb_gguf_reader_get_alignment (LbGgufReader *reader);
gsize           lb_gguf_reader_get_data_offset (LbGgufReader *reader);  /* start of the tensor data section */
gsize           lb_gguf_reader_get_file_size (LbGgufReader *reader);
LbMeta         *lb_gguf_reader_get_meta      (LbGgufReader *reader);   /* owned by the reader */
guint           lb_gguf_reader_get_n_tensors (LbGgufReader *reader);
/* data points into the mapping; valid while the reader (or a ref to its
 * keepalive bytes) lives */
const LbTensor *lb_gguf_reader_get_tensor    (LbGgufReader *reader, guint i);
const LbTensor *lb_gguf_reader_find_tensor   (LbGgufReader *reader, const char *name);
/* The mapping as GBytes, to keep tensor views alive after the reader is freed. */
GBytes         *lb_gguf_reader_ref_bytes     (LbGgufReader *reader);

/* ---- writing ---------------------------------------------------------- */

typedef struct _LbGgufWriter LbGgufWriter;

/* The writer streams to "<path>.XXXXXX" beside path; lb_gguf_writer_finish
 * fsyncs and renames it over path; lb_gguf_writer_abort (or freeing without
 * finish) deletes the temporary file. Protocol:
 *   writer = lb_gguf_writer_new (path, meta, error);
 *   for each tensor: lb_gguf_writer_add_tensor_info (name, type, n_dims, ne)
 *   lb_gguf_writer_begin_data ()            -- writes header, metadata, infos, padding
 *   for each tensor in the same order:
 *     lb_gguf_writer_write_tensor_data (bytes, n) one or more times, exactly
 *     the tensor's byte size in total (padding between tensors is added)
 *   lb_gguf_writer_finish ()
 * general.alignment from meta is honoured (must be a power of two). */
LbGgufWriter   *lb_gguf_writer_new           (const char *path, LbMeta *meta, GError **error);
gboolean        lb_gguf_writer_add_tensor_info (LbGgufWriter *writer, const char *name, LbType type,
                                              guint n_dims, const gint64 *ne, GError **error);
gboolean        lb_gguf_writer_begin_data    (LbGgufWriter *writer, GError **error);
gboolean        lb_gguf_writer_write_tensor_data (LbGgufWriter *writer, const void *data, gsize n,
                                                  GError **error);
gboolean        lb_gguf_writer_finish        (LbGgufWriter *writer, GError **error);
void            lb_gguf_writer_abort         (LbGgufWriter *writer);
void            lb_gguf_writer_free          (LbGgufWriter *writer);  /* aborts if not finished */

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LbGgufReader, lb_gguf_reader_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LbGgufWriter, lb_gguf_writer_free)

G_END_DECLS
