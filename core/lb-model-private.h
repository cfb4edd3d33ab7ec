/* lb-model-private.h: how importers build an LbModel */
#pragma once

#include "lb-model.h"

G_BEGIN_DECLS

/* Takes ownership of meta (a ref), tensors (GPtrArray of LbTensor*, with a
 * free func) and keepalive (GPtrArray of whatever owns the bytes the tensor
 * views point into: GBytes, GMappedFile...). Validates the architecture,
 * hyper-parameters and every required tensor's presence, type and shape;
 * builds the tokenizer from meta. On error everything passed is released. */
LbModel *lb_model_new_from_parts (const char *path, LbModelFormat format, guint64 file_size,
                                  LbMeta *meta, GPtrArray *tensors, GPtrArray *keepalive,
                                  GError **error);

/* Importers (each in its own file). They return a model or NULL + error. */
LbModel *lb_import_gguf    (const char *path, GCancellable *cancellable, GError **error);
LbModel *lb_import_hf      (const char *dir, GCancellable *cancellable, GError **error);
LbModel *lb_import_llama2c (const char *checkpoint, const char *tokenizer_path,
                            GCancellable *cancellable, GError **error);

/* Hugging Face tokenizer.json (or vocab.json + merges.txt beside it) to the
 * tokenizer.ggml.* keys llama.cpp's converter writes (lb-hf-tokenizer.c). */
gboolean lb_hf_tokenizer_json_to_meta (const char *dir, LbMeta *meta, GError **error);

/* A llama2.c tokenizer.bin (data, len bytes) with n_vocab entries to the
 * tokenizer.ggml.* keys of a GGUF "llama" vocabulary (lb-llama2c-import.c). */
gboolean lb_llama2c_tokenizer_to_meta (const guint8 *data, gsize len, guint32 n_vocab,
                                       LbMeta *meta, GError **error);

G_END_DECLS
