/* lb-validate.h: the release gate: check a candidate model against targets
 * (file size, accuracy against a reference, decode latency, memory) and say
 * which ones it misses.
 *
 * Targets and how each is measured:
 *   size       the candidate's bytes on disk               value <= limit
 *   kld        mean KL divergence from the reference        value <= limit
 *              (lb-eval.h: llama.cpp's protocol)
 *   top1       same-top-1 rate against the reference,       value >= limit
 *              a fraction
 *   ppl_ratio  candidate perplexity / reference perplexity  value <= limit
 *              (both from full logits over the same positions:
 *              lb-eval's ppl_base is clipped, so the reference
 *              runs once more on its own)
 *   latency    mean ms per decoded token (lb-bench.h)       value <= limit
 *   memory     peak resident bytes while the benchmark      value <= limit
 *              runs (VmHWM, reset at its start)
 * A value that is NaN fails. The defaults (lb_validate_params_init) are the
 * brief's: size <= 500 MB, latency <= 50 ms/token, memory <= 300 MB and
 * "accuracy loss <= 1%" read as same-top-1 >= 99% (the next token the
 * candidate would pick greedily agrees with the reference at 99% of the
 * scored positions); kld and ppl_ratio are off until given. Only what the
 * targets in force need is run: the benchmark for latency or memory (first,
 * so that the evaluation's buffers do not count in the memory peak), the
 * evaluation for kld, top1 or ppl_ratio. */
#pragma once

#include <gio/gio.h>

#include "lb-bench.h"
#include "lb-eval.h"
#include "lb-model.h"
#include "lb-progress.h"

G_BEGIN_DECLS

typedef enum {
  LB_TARGET_SIZE,
  LB_TARGET_KLD,
  LB_TARGET_TOP1,
  LB_TARGET_PPL_RATIO,
  LB_TARGET_LATENCY,
  LB_TARGET_MEMORY,
  LB_N_TARGETS,
} LbTarget;

/* the brief's defaults */
#define LB_VALIDATE_DEFAULT_MAX_SIZE    500e6   /* bytes: 500 MB */
#define LB_VALIDATE_DEFAULT_MAX_LATENCY 50.0    /* ms per decoded token */
#define LB_VALIDATE_DEFAULT_MAX_MEMORY  300e6   /* bytes: 300 MB */
#define LB_VALIDATE_DEFAULT_MIN_TOP1    0.99    /* accuracy loss <= 1% */

typedef struct {
  gboolean      enabled[LB_N_TARGETS];
  double        limit[LB_N_TARGETS];
  LbEvalParams  eval;    /* n_ctx, n_chunks, n_threads, engine (no caches) */
  LbBenchParams bench;   /* n_gen must be > 0 with a latency target */
} LbValidateParams;

/* The brief's targets; eval defaults (512-token chunks, all the text); the
 * benchmark of LB_BENCH_PARAMS_INIT without the bandwidth test. */
void          lb_validate_params_init  (LbValidateParams *params);
gboolean      lb_validate_params_check (const LbValidateParams *params, GError **error);
gboolean      lb_validate_needs_eval   (const LbValidateParams *params);
gboolean      lb_validate_needs_bench  (const LbValidateParams *params);

/* "size", "kld", "top1", "ppl_ratio", "latency", "memory" */
const char   *lb_target_get_name       (LbTarget target);
gboolean      lb_target_from_name      (const char *name, LbTarget *out);
/* "file size", "mean KLD", ... */
const char   *lb_target_get_label      (LbTarget target);
/* "bytes", "nats", "fraction", "ratio", "ms/token" */
const char   *lb_target_get_unit       (LbTarget target);
/* TRUE: value <= limit passes; FALSE (top1): value >= limit passes */
gboolean      lb_target_is_maximum     (LbTarget target);
/* "same top-1 75.88% < 99.00%" style: value, comparison, limit in units a
 * reader expects (sizes in MB, fractions in %) */
char         *lb_target_format         (LbTarget target, double value, double limit,
                                        gboolean passed);
char         *lb_target_format_value   (LbTarget target, double value);

typedef struct {
  LbTarget target;
  gboolean checked;   /* in force */
  gboolean passed;
  double   value;
  double   limit;
} LbTargetResult;

typedef struct {
  char          *candidate;
  char          *reference;   /* NULL without accuracy targets */
  LbTargetResult targets[LB_N_TARGETS];
  guint          n_failed;
  gboolean       passed;      /* every target in force passed */
  double         ppl_reference; /* with ppl_ratio: the reference's perplexity from its
                               * full logits (see below), else NaN */
  LbEvalResult  *eval;        /* NULL when not run */
  LbBenchResult *bench;       /* NULL when not run */
} LbValidateReport;

void          lb_validate_report_free  (LbValidateReport *report);
/* names of the failed targets, comma-separated ("top1, size"), or "" */
char         *lb_validate_report_failed_names (const LbValidateReport *report);
/* { "candidate", "reference", "passed", "failed": [names], "targets":
 * [{ "name", "label", "value", "limit", "comparison", "unit", "passed" }],
 * "skipped": [names], "eval": {lb_eval_result_to_json}, "bench": {figures} } */
char         *lb_validate_report_to_json (const LbValidateReport *report);

/* Runs what the targets in force need. reference and text are needed (and
 * only used) when an accuracy target is in force: their absence is then an
 * LB_ERROR_INVALID_ARGUMENT error. A missed target is not an error: see
 * report->passed. */
LbValidateReport *lb_validate_run      (LbModel *candidate, LbModel *reference,
                                        const char *text, gssize len,
                                        const LbValidateParams *params,
                                        LbProgressFunc progress, gpointer progress_data,
                                        GCancellable *cancellable, GError **error);

/* Byte counts as a user writes them: "1234", "500MB", "500 MB", "1.5GiB".
 * Units (any case): B; kB, MB, GB, TB (powers of 1000); KiB, MiB, GiB, TiB
 * (powers of 1024). The result must be a whole number of bytes that fits
 * 64 bits. FALSE + LB_ERROR_INVALID_ARGUMENT naming the text otherwise. */
gboolean      lb_parse_size            (const char *text, guint64 *bytes, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LbValidateReport, lb_validate_report_free)

G_END_DECLS
