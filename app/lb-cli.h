/* lb-cli.h: what the lowbit subcommands share */
#pragma once

#include <glib.h>

#include "lowbit.h"

G_BEGIN_DECLS

/* Exit codes of every subcommand (documented in README.md). */
enum {
  LB_EXIT_OK = 0,
  LB_EXIT_ERROR = 1,       /* bad input file, I/O error, unsupported model */
  LB_EXIT_USAGE = 2,       /* bad command line */
  LB_EXIT_CHECK_FAILED = 3,/* a validation target was missed (validate) */
  LB_EXIT_CANCELLED = 130, /* interrupted */
};

typedef int (*LbCommandFunc) (int argc, char **argv);

typedef struct {
  const char   *name;
  const char   *args;       /* "MODEL [options]" */
  const char   *summary;
  LbCommandFunc run;
} LbCommand;

int  lb_cmd_info     (int argc, char **argv);
int  lb_cmd_generate (int argc, char **argv);
int  lb_cmd_convert  (int argc, char **argv);
int  lb_cmd_quantize (int argc, char **argv);
int  lb_cmd_calibrate (int argc, char **argv);
int  lb_cmd_logits   (int argc, char **argv);
int  lb_cmd_tokenize (int argc, char **argv);
int  lb_cmd_keygen   (int argc, char **argv);
int  lb_cmd_delta    (int argc, char **argv);
int  lb_cmd_apply    (int argc, char **argv);
int  lb_cmd_rollback (int argc, char **argv);
int  lb_cmd_verify   (int argc, char **argv);
int  lb_cmd_eval     (int argc, char **argv);
int  lb_cmd_errors   (int argc, char **argv);
int  lb_cmd_synth    (int argc, char **argv);
int  lb_cmd_bench    (int argc, char **argv);
int  lb_cmd_prune    (int argc, char **argv);
int  lb_cmd_validate (int argc, char **argv);
int  lb_cmd_sensitivity (int argc, char **argv);
int  lb_cmd_plan     (int argc, char **argv);

/* Parses options; on failure prints the error and usage hint, returns FALSE. */
gboolean  lb_cli_parse        (GOptionContext *ctx, int *argc, char ***argv);
/* Creates a context named "lowbit CMD ARGS" with the summary and the common
 * help text. */
GOptionContext *lb_cli_context_new (const char *cmd, const char *args, const char *summary,
                                    const char *description);
/* Prints "lowbit: <message>" on stderr; returns the exit code for error. */
int       lb_cli_fail         (GError *error);
int       lb_cli_usage_error  (const char *cmd, const char *fmt, ...) G_GNUC_PRINTF (2, 3);
LbModel  *lb_cli_load_model   (const char *path, const char *tokenizer_path, GError **error);
/* A cancellable cancelled by SIGINT/SIGTERM (installed once). */
GCancellable *lb_cli_get_cancellable (void);
/* A progress callback drawing a bar on stderr when it is a terminal. */
void      lb_cli_progress     (double fraction, const char *stage, gpointer user_data);
void      lb_cli_progress_end (void);
/* "1.5 MB" style */
char     *lb_cli_format_size  (guint64 bytes);

G_END_DECLS
