/* lb-session.h: the work on one model: its variant (the type each tensor
 * has now), the recipe that gives those types, the edit history, and what
 * was measured of them.
 *
 * Every change of types is a recipe (or, before the first edit, the
 * model's own types) applied as a job: resolved against the model, then
 * the tensors whose type changes are re-quantized on a worker thread
 * (lb_variant_set_types, all or nothing). The history is a stack of type
 * maps with the recipe that made each; undo and redo apply them the same
 * way. While an edit runs, no other can start ("busy"). */
#pragma once

#include <gio/gio.h>

#include "lb-eval.h"
#include "lb-bench.h"
#include "lb-job.h"
#include "lb-recipe.h"
#include "lb-variant.h"
#include "lowbit.h"

G_BEGIN_DECLS

#define LB_TYPE_SESSION (lb_session_get_type ())
G_DECLARE_FINAL_TYPE (LbSession, lb_session, LB, SESSION, GObject)

/* The tensor kinds of a block, in the precision grid's column order */
#define LB_SESSION_N_KINDS 7
extern const char * const lb_session_kinds[LB_SESSION_N_KINDS];

LbSession   *lb_session_new            (LbModel *model);
LbModel     *lb_session_get_model      (LbSession *self);
LbVariant   *lb_session_get_variant    (LbSession *self);
/* Worker threads for quantizing (0: one per processor) */
void         lb_session_set_n_threads  (LbSession *self, guint n_threads);
guint        lb_session_get_n_threads  (LbSession *self);

/* The recipe of the current types; NULL while they are the model's own */
LbRecipe    *lb_session_get_recipe     (LbSession *self);
const char  *lb_session_get_profile    (LbSession *self);
/* The current types as a plan (NULL while they are the model's own) */
LbQuantPlan *lb_session_get_plan       (LbSession *self);
/* The importance data the current types were quantized with (NULL: none),
 * and the file it came from */
LbImatrix   *lb_session_get_imatrix    (LbSession *self);
const char  *lb_session_get_importance (LbSession *self);
/* "Q4_K_M", "brief-mixed · accuracy", "Q4_K_M, edited", "As stored" */
char        *lb_session_dup_label      (LbSession *self);
/* Grows by one each time the types change */
guint        lb_session_get_revision   (LbSession *self);
gboolean     lb_session_get_busy       (LbSession *self);
gboolean     lb_session_can_undo       (LbSession *self);
gboolean     lb_session_can_redo       (LbSession *self);
/* What undo / redo would undo or redo ("Set 3 tensors to Q8_0"), or NULL */
const char  *lb_session_get_undo_label (LbSession *self);
const char  *lb_session_get_redo_label (LbSession *self);

/* Exact bytes of tensor data as the types stand */
guint64      lb_session_get_data_bytes (LbSession *self);
/* Exact bytes of the GGUF file a quantized export writes (the model's own
 * file size while the types are its own) */
guint64      lb_session_get_file_bytes (LbSession *self);
LbType       lb_session_get_tensor_type (LbSession *self, const char *name);

/* ---- edits (each a job; FALSE when one is running or nothing changes) --- */

/* A preset, a loaded recipe or a profile of it */
gboolean     lb_session_apply_recipe   (LbSession *self, LbRecipe *recipe, const char *profile,
                                        const char *what);
/* Sets these tensors to type: rules put first in the recipe (one per
 * tensor kind, or per tensor outside the blocks) */
gboolean     lb_session_set_types      (LbSession *self, const char * const *names, LbType type);
/* Replaces the recipe's own rules (LbRecipeRule *) */
gboolean     lb_session_set_rules      (LbSession *self, GPtrArray *rules, const char *what);
/* Back to the model's own types */
gboolean     lb_session_reset          (LbSession *self);
/* Quantizes with the importance data in path from now on (NULL: none),
 * as an edit that can be undone; it stays through later presets and
 * edits, and saved recipes name it. imatrix: the file's data when already
 * read (else the job reads it). */
gboolean     lb_session_set_importance (LbSession *self, const char *path, LbImatrix *imatrix);
gboolean     lb_session_undo           (LbSession *self);
gboolean     lb_session_redo           (LbSession *self);

/* ---- measurements of the current types ----------------------------------- */

/* Takes result; revision is lb_session_get_revision () when the run
 * started. Emits "measured". */
void         lb_session_set_eval_result  (LbSession *self, LbEvalResult *result, guint revision,
                                          const char *label, guint64 file_bytes);
/* memory_bytes: the figure the memory target is checked against */
void         lb_session_set_bench_result (LbSession *self, LbBenchResult *result, guint revision,
                                          const char *label, guint64 memory_bytes);
/* NULL when none was measured; *revision the types it measured */
const LbEvalResult  *lb_session_get_eval_result  (LbSession *self, guint *revision);
const LbBenchResult *lb_session_get_bench_result (LbSession *self, guint *revision);

/* what the measurements were made of ("Q4_K_M") */
const char  *lb_session_get_eval_label   (LbSession *self);
const char  *lb_session_get_bench_label  (LbSession *self);
guint64      lb_session_get_bench_memory (LbSession *self);

/* Accuracy loss in percent as the brief means it: the share of scored
 * positions where the next token the variant would pick differs from the
 * original model's (100 (1 - same top-1)) */
double       lb_session_accuracy_loss  (const LbEvalResult *result);

G_END_DECLS
