/* lb-profile-switch.h: one loaded model switched between the precision
 * profiles of a recipe ("performance", "accuracy") while engines run it.
 *
 * An LbProfileSwitch holds the source model (the precision the profiles are
 * quantized from: an F16/BF16/F32 GGUF or a Hugging Face folder), a recipe
 * and the current profile's model: an ordinary, immutable LbModel snapshot
 * (lb_variant_build_model ()) whose tensors that keep the source's type are
 * views of the mapped source and whose others point into quantized buffers.
 *
 * Switching resolves the new profile's plan and quantizes (from the source,
 * exactly as `lowbit quantize --profile` writes them) only the tensors whose
 * type differs from the current profile's; every other tensor of the new
 * snapshot has the very bytes pointer it had in the old one. The new
 * snapshot then replaces the current one in one step. Snapshots are
 * refcounted: an engine keeps running the one it has, undisturbed, until its
 * own thread picks up the new one between two evals
 * (lb_profile_switch_update_engine (), which keeps its KV cache).
 *
 * Memory (measured in README.md, "Precision profiles"):
 *   LB_PROFILE_CACHE_NONE (default): only the current profile's quantized
 *     buffers stay resident; a switch re-quantizes the differing tensors.
 *     During a switch, and until every engine has picked up the new
 *     snapshot, the old profile's differing buffers are resident as well.
 *   LB_PROFILE_CACHE_ALL: every profile built so far stays resident, so a
 *     switch back to it is a pointer swap; costs the differing tensors of
 *     each extra profile.
 *
 * Every call may come from any thread; switches are serialized. */
#pragma once

#include <gio/gio.h>

#include "lb-engine.h"
#include "lb-imatrix.h"
#include "lb-model.h"
#include "lb-progress.h"
#include "lb-recipe.h"

G_BEGIN_DECLS

typedef enum {
  LB_PROFILE_CACHE_NONE,  /* re-quantize on switch */
  LB_PROFILE_CACHE_ALL,   /* keep every built profile resident */
} LbProfileCache;

/* What one switch did (lb_profile_switch_set_profile ()). */
typedef struct {
  guint    n_tensors;          /* tensors of the model */
  guint    n_changed;          /* whose type differs from the previous profile's */
  guint    n_quantized;        /* of them, quantized by this switch (not taken from a cache
                                * or a view of the source) */
  gboolean from_cache;         /* the profile's snapshot was resident: nothing was built */
  guint64  changed_bytes;      /* data bytes of the changed tensors in the new profile */
  guint64  quantized_bytes;    /* of them, the bytes quantized by this switch: the memory a
                                * switch adds while the old snapshot is still in use */
  guint64  shared_bytes;       /* data bytes shared by pointer with the previous snapshot */
  guint64  resident_bytes;     /* quantized buffers the switch keeps after it (every
                                * cached profile, each buffer once; not the source) */
  double   quantize_ms;        /* re-quantizing the changed tensors */
  double   build_ms;           /* the snapshot: tensor table, checks, tokenizer */
  double   total_ms;           /* the whole switch, plan resolution included */
} LbProfileSwitchStats;

#define LB_TYPE_PROFILE_SWITCH (lb_profile_switch_get_type ())
G_DECLARE_FINAL_TYPE (LbProfileSwitch, lb_profile_switch, LB, PROFILE_SWITCH, GObject)

/* Resolves every profile of recipe (and the recipe without a profile)
 * against source at once, so a recipe that cannot be applied fails here
 * with an error naming the profile. imatrix: the importance data the
 * recipe's plans need (required exactly when the recipe names importance
 * data, as for lb_quantize_model ()), else NULL. No profile is current
 * yet: call lb_profile_switch_set_profile (). */
LbProfileSwitch *lb_profile_switch_new          (LbModel *source, LbRecipe *recipe,
                                                 LbImatrix *imatrix, GError **error);
void             lb_profile_switch_set_cache    (LbProfileSwitch *self, LbProfileCache cache);
LbProfileCache   lb_profile_switch_get_cache    (LbProfileSwitch *self);
/* threads for quantizing rows (0, the default: one per processor) */
void             lb_profile_switch_set_n_threads (LbProfileSwitch *self, guint n_threads);

LbModel         *lb_profile_switch_get_source   (LbProfileSwitch *self);
LbRecipe        *lb_profile_switch_get_recipe   (LbProfileSwitch *self);

/* Makes profile (a name of the recipe's, or NULL for the recipe's own
 * rules) current: see above. Unknown names fail (LB_ERROR_INVALID_ARGUMENT,
 * listing the recipe's profiles); so do quantization errors and
 * cancellation, leaving the current profile as it was. stats may be NULL. */
gboolean         lb_profile_switch_set_profile  (LbProfileSwitch *self, const char *profile,
                                                 LbProfileSwitchStats *stats,
                                                 LbProgressFunc progress, gpointer progress_data,
                                                 GCancellable *cancellable, GError **error);
/* The same on a worker thread; callback runs in the caller's thread-default
 * main context. The stats come from _finish. */
void             lb_profile_switch_set_profile_async  (LbProfileSwitch *self,
                                                       const char *profile,
                                                       GCancellable *cancellable,
                                                       GAsyncReadyCallback callback,
                                                       gpointer user_data);
gboolean         lb_profile_switch_set_profile_finish (LbProfileSwitch *self,
                                                       GAsyncResult *result,
                                                       LbProfileSwitchStats *stats,
                                                       GError **error);

/* The current profile's name (free it; NULL for the recipe's own rules)
 * and snapshot (a new ref; NULL before the first switch). The two may come
 * from two different switches when one runs meanwhile: take the model. */
char            *lb_profile_switch_dup_profile  (LbProfileSwitch *self);
gboolean         lb_profile_switch_has_model    (LbProfileSwitch *self);
LbModel         *lb_profile_switch_dup_model    (LbProfileSwitch *self);

/* Brings engine onto the current snapshot (lb_engine_set_model (): the KV
 * cache and position stay). Call it from the engine's own thread between
 * evals; *switched (may be NULL) tells whether the model changed. Fails
 * when there is no current profile yet or the engine runs another model's
 * shape. */
gboolean         lb_profile_switch_update_engine (LbProfileSwitch *self, LbEngine *engine,
                                                  gboolean *switched, GError **error);

/* Names of the tensors whose type differs between two profiles (NULL: the
 * recipe's own rules), in the model's order; free with g_strfreev. NULL +
 * error for an unknown profile. */
char           **lb_profile_switch_diff         (LbProfileSwitch *self, const char *from,
                                                 const char *to, GError **error);
/* The plan of a profile (owned by the switch), or NULL + error. */
LbQuantPlan     *lb_profile_switch_get_plan     (LbProfileSwitch *self, const char *profile,
                                                 GError **error);

G_END_DECLS
