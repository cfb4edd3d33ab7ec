/* lb-cli-profile.h: running a model in one precision profile of a recipe
 * (--recipe/--preset, --profile, --imatrix) for the commands that run one
 * (generate, bench), and measuring a profile switch (bench --switch-to). */
#pragma once

#include <json-glib/json-glib.h>

#include "lb-cli.h"

G_BEGIN_DECLS

typedef struct {
  char *recipe_path;
  char *preset;
  char *profile;
  char *imatrix_path;
} LbCliProfileOptions;

/* Adds --recipe, --preset, --profile and --imatrix, stored in opts. */
void             lb_cli_profile_add_entries (GOptionContext *ctx, LbCliProfileOptions *opts);
void             lb_cli_profile_options_clear (LbCliProfileOptions *opts);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (LbCliProfileOptions, lb_cli_profile_options_clear)
/* whether a recipe was given */
gboolean         lb_cli_profile_requested   (const LbCliProfileOptions *opts);
/* LB_EXIT_OK, or a usage error printed for cmd (--profile without a recipe,
 * both --recipe and --preset...) */
int              lb_cli_profile_check_usage (const char *cmd, const LbCliProfileOptions *opts);
/* The recipe (its importance data loaded as lowbit quantize does) over
 * source, switched to opts->profile; a line on stderr says what it took
 * (and stats, which may be NULL). n_threads: for quantizing (0: all). */
LbProfileSwitch *lb_cli_profile_open        (LbModel *source, const LbCliProfileOptions *opts,
                                             guint n_threads, LbProfileSwitchStats *stats,
                                             GError **error);

/* What switching a running engine from the current profile to another and
 * back costs (bench --switch-to). */
typedef struct {
  char                 *from, *to;          /* profile names ("(recipe)": its own rules) */
  guint                 n_past;             /* positions in the engine's KV cache */
  guint                 n_ctx;              /* its length */
  LbProfileSwitchStats  forward, back;      /* re-quantized on switch */
  double                forward_engine_ms;  /* lb_profile_switch_update_engine () */
  double                back_engine_ms;
  double                next_token_ms;      /* the first decode step after the switch */
  LbProfileSwitchStats  cached;             /* both resident: the switch back to `to` */
  double                cached_engine_ms;
  guint64               resident_from;      /* quantized buffers of each profile alone */
  guint64               resident_to;
  guint64               resident_both;      /* of both (shared buffers once) */
  guint64               peak_requantize;    /* most held during a re-quantizing switch */
} LbCliSwitchTiming;

void             lb_cli_switch_timing_clear (LbCliSwitchTiming *timing);
/* Measures with an engine of n_threads and n_ctx positions (at least
 * n_prompt + 1) that has n_prompt tokens cached; leaves sw on its current
 * profile, re-quantizing on switch. */
gboolean         lb_cli_profile_measure_switch (LbProfileSwitch *sw, const char *to,
                                                guint n_prompt, guint n_ctx, guint n_threads,
                                                LbCliSwitchTiming *timing, GError **error);
void             lb_cli_switch_timing_print  (const LbCliSwitchTiming *timing);
/* as a JSON object */
JsonNode        *lb_cli_switch_timing_to_json (const LbCliSwitchTiming *timing);

G_END_DECLS
