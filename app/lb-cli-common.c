/* lb-cli-common.c: option parsing, errors, progress and signals for the CLI */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <unistd.h>
#include <glib-unix.h>

#include "lb-cli.h"

GOptionContext *
lb_cli_context_new (const char *cmd, const char *args, const char *summary,
                    const char *description)
{
  g_autofree char *prgname = g_strdup_printf ("lowbit %s", cmd);
  GOptionContext *ctx;

  /* usage lines read "lowbit CMD [OPTION…] ARGS"; one command per process */
  g_set_prgname (prgname);
  ctx = g_option_context_new (args);

  g_option_context_set_summary (ctx, summary);
  if (description)
    g_option_context_set_description (ctx, description);
  return ctx;
}

gboolean
lb_cli_parse (GOptionContext *ctx, int *argc, char ***argv)
{
  GError *error = NULL;

  if (!g_option_context_parse (ctx, argc, argv, &error))
    {
      fprintf (stderr, "lowbit: %s (see --help)\n", error->message);
      g_error_free (error);
      return FALSE;
    }
  return TRUE;
}

int
lb_cli_fail (GError *error)
{
  int code = LB_EXIT_ERROR;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    code = LB_EXIT_CANCELLED;
  else if (g_error_matches (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT))
    code = LB_EXIT_USAGE;
  fprintf (stderr, "lowbit: %s\n", error ? error->message : "unknown error");
  g_clear_error (&error);
  return code;
}

int
lb_cli_usage_error (const char *cmd, const char *fmt, ...)
{
  va_list ap;
  g_autofree char *msg = NULL;

  va_start (ap, fmt);
  msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  fprintf (stderr, "lowbit %s: %s (see lowbit %s --help)\n", cmd, msg, cmd);
  return LB_EXIT_USAGE;
}

LbModel *
lb_cli_load_model (const char *path, const char *tokenizer_path, GError **error)
{
  return lb_model_load (path, tokenizer_path, lb_cli_get_cancellable (), error);
}

static GCancellable *cli_cancellable;
static volatile sig_atomic_t interrupted;

/* Only async-signal-safe work here; a watcher thread does the cancelling. */
static void
on_signal (int sig)
{
  static const char msg[] = "\nlowbit: interrupted, stopping...\n";
  ssize_t unused = write (STDERR_FILENO, msg, sizeof msg - 1);

  (void) unused;
  (void) sig;
  interrupted = 1;
}

static gpointer
signal_watch_thread (gpointer data)
{
  /* Polls the flag: keeps all GLib calls out of the signal handler. */
  while (!interrupted)
    g_usleep (20 * 1000);
  g_cancellable_cancel (cli_cancellable);
  return NULL;
}

GCancellable *
lb_cli_get_cancellable (void)
{
  if (cli_cancellable == NULL)
    {
      struct sigaction sa = { 0 };

      cli_cancellable = g_cancellable_new ();
      sa.sa_handler = on_signal;
      sigemptyset (&sa.sa_mask);
      sigaction (SIGINT, &sa, NULL);
      sigaction (SIGTERM, &sa, NULL);
      g_thread_unref (g_thread_new ("lowbit-signals", signal_watch_thread, NULL));
    }
  return cli_cancellable;
}

static gboolean progress_drawn;

void
lb_cli_progress (double fraction, const char *stage, gpointer user_data)
{
  const int width = 30;
  int filled;
  char bar[64];

  if (!isatty (STDERR_FILENO))
    return;
  fraction = CLAMP (fraction, 0.0, 1.0);
  filled = (int) (fraction * width + 0.5);
  for (int i = 0; i < width; i++)
    bar[i] = i < filled ? '#' : '.';
  bar[width] = '\0';
  fprintf (stderr, "\r\033[K[%s] %3d%% %.60s", bar, (int) (fraction * 100 + 0.5), stage ? stage : "");
  fflush (stderr);
  progress_drawn = TRUE;
}

void
lb_cli_progress_end (void)
{
  if (progress_drawn)
    fprintf (stderr, "\r\033[K");
  progress_drawn = FALSE;
}

char *
lb_cli_format_size (guint64 bytes)
{
  return g_format_size_full (bytes, G_FORMAT_SIZE_DEFAULT);
}
