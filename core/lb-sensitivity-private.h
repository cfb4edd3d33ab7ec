/* lb-sensitivity-private.h: the table shared by lb-sensitivity.c (compute)
 * and lb-sensitivity-io.c (JSON results and the cell cache) */
#pragma once

#include <json-glib/json-glib.h>

#include "lb-sensitivity.h"

G_BEGIN_DECLS

typedef struct {
  char       *name;
  GPtrArray  *tensors;    /* char*, NULL-terminated */
  LbSensCell *cells;      /* n_types */
} LbSensGroup;

struct _LbSensitivity {
  gint           ref_count;
  char          *model_name;
  char          *model_fingerprint;
  char          *text_name;
  char          *engine;
  LbSensGroupBy  group_by;
  gboolean       measured;
  guint          n_types;
  LbType        *types;
  GPtrArray     *groups;        /* LbSensGroup* */
  guint          n_ctx, n_chunks;
  guint64        n_positions;
  double         base_kld;
  guint          n_evaluated, n_cached;
  double         seconds;
};

LbSensitivity *lb_sensitivity_alloc (const LbType *types, guint n_types);
LbSensGroup   *lb_sens_group_new    (const char *name, guint n_types);
void           lb_sens_group_add_tensor (LbSensGroup *group, const char *tensor);
void           lb_sens_cell_init    (LbSensCell *cell, LbType type);

/* ---- the cache: cells by setup key, proxies by model key ----------------- */

typedef struct {
  double   kld;
  double   same_top1;
} LbSensCachedCell;

typedef struct {
  double   err;
  double   signal;   /* sum w x^2 */
} LbSensCachedProxy;

typedef struct _LbSensCache LbSensCache;

/* A missing file is an empty cache; a malformed one an error naming it. */
LbSensCache *lb_sens_cache_load        (const char *path, GError **error);
void         lb_sens_cache_free        (LbSensCache *cache);
/* cell "group@TYPE" of a setup; FALSE when absent */
gboolean     lb_sens_cache_get_cell    (LbSensCache *cache, const char *setup, const char *cell,
                                        LbSensCachedCell *out);
void         lb_sens_cache_put_cell    (LbSensCache *cache, const char *setup, const char *cell,
                                        const LbSensCachedCell *value);
gboolean     lb_sens_cache_get_base    (LbSensCache *cache, const char *setup, double *kld);
void         lb_sens_cache_put_base    (LbSensCache *cache, const char *setup, double kld,
                                        const char *description);
/* proxy "tensor@TYPE" of a model+importance key */
gboolean     lb_sens_cache_get_proxy   (LbSensCache *cache, const char *key, const char *cell,
                                        LbSensCachedProxy *out);
void         lb_sens_cache_put_proxy   (LbSensCache *cache, const char *key, const char *cell,
                                        const LbSensCachedProxy *value);
/* written to a temporary file and renamed */
gboolean     lb_sens_cache_save        (LbSensCache *cache, const char *path, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LbSensCache, lb_sens_cache_free)

G_END_DECLS
