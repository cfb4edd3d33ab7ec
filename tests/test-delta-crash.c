/* test-delta-crash.c: a process that dies in the middle of lowbit apply or
 * rollback (a crash hook at every stage, and a SIGKILL during the
 * reconstruction) leaves the model intact, and a rerun succeeds. */
#include <math.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "lowbit.h"
#include "lb-delta.h"
#include "lb-test-util.h"

#define N_TENSORS 24

typedef struct {
  char         *dir;
  char         *base, *target, *pkg, *model;
  LbSigningKey *key;
  LbPublicKey   pub;
} Fixture;

static void
write_model (const char *path, guint variant)
{
  GError *error = NULL;
  g_autoptr (LbMeta) meta = lb_meta_new ();
  g_autoptr (LbGgufWriter) w = NULL;
  g_autofree float *data = g_new (float, 128 * 64);

  lb_meta_set_string (meta, "general.architecture", "llama");
  lb_meta_set_u32 (meta, "general.version-for-test", variant);
  w = lb_gguf_writer_new (path, meta, &error);
  g_assert_no_error (error);
  for (guint t = 0; t < N_TENSORS; t++)
    {
      g_autofree char *name = g_strdup_printf ("blk.%u.ffn_up.weight", t);
      gint64 ne[2] = { 128, 64 };
      g_assert_true (lb_gguf_writer_add_tensor_info (w, name, LB_TYPE_F32, 2, ne, &error));
    }
  g_assert_true (lb_gguf_writer_begin_data (w, &error));
  for (guint t = 0; t < N_TENSORS; t++)
    {
      for (guint i = 0; i < 128 * 64; i++)
        data[i] = (float) sin (t * 100.0 + i) + (variant && t % 2 == 0 && i % 3 == 0 ? 1e-3f : 0.0f);
      g_assert_true (lb_gguf_writer_write_tensor_data (w, data, 128 * 64 * 4, &error));
    }
  g_assert_true (lb_gguf_writer_finish (w, &error));
  g_assert_no_error (error);
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  GError *error = NULL;
  g_autofree char *contents = NULL;
  gsize len;

  f->dir = lb_test_make_tmpdir ();
  f->base = g_build_filename (f->dir, "base.gguf", NULL);
  f->target = g_build_filename (f->dir, "target.gguf", NULL);
  f->pkg = g_build_filename (f->dir, "update.lbdelta", NULL);
  f->model = g_build_filename (f->dir, "model.gguf", NULL);
  write_model (f->base, 0);
  write_model (f->target, 1);
  f->key = lb_signing_key_generate (&error);
  g_assert_no_error (error);
  lb_signing_key_get_public (f->key, &f->pub);
  g_assert_true (lb_delta_create (f->base, f->target, f->pkg, f->key, 2, 0, NULL, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (f->base, &contents, &len, NULL));
  g_assert_true (g_file_set_contents (f->model, contents, (gssize) len, NULL));
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  lb_signing_key_free (f->key);
  lb_test_rmtree (f->dir);
  g_free (f->dir);
  g_free (f->base);
  g_free (f->target);
  g_free (f->pkg);
  g_free (f->model);
}

static gboolean
same_file (const char *a, const char *b)
{
  g_autofree char *ca = NULL, *cb = NULL;
  gsize la = 0, lb = 0;

  if (!g_file_get_contents (a, &ca, &la, NULL) || !g_file_get_contents (b, &cb, &lb, NULL))
    return FALSE;
  return la == lb && memcmp (ca, cb, la) == 0;
}

static guint64
installed_version (const char *model)
{
  GError *error = NULL;
  LbSha256 sha;
  guint64 v = 0;

  g_assert_true (lb_sha256_file (model, &sha, NULL, NULL, &error));
  g_assert_true (lb_delta_get_installed_version (model, &sha, &v, &error));
  g_assert_no_error (error);
  return v;
}

static void
slow_progress (double fraction, const char *stage, gpointer user_data)
{
  g_usleep (30 * 1000);
}

/* Runs apply (or rollback) in a child; returns its wait status. */
static int
run_child (Fixture *f, const char *crash_stage, gboolean rollback, gboolean slow, pid_t *pid_out)
{
  pid_t pid = fork ();
  int status = 0;

  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    {
      LbDeltaApplyResult r = { 0 };
      gboolean ok;

      if (crash_stage)
        g_setenv ("LB_DELTA_TEST_CRASH", crash_stage, TRUE);
      if (rollback)
        ok = lb_delta_rollback (f->model, NULL, NULL, NULL);
      else
        ok = lb_delta_apply (f->model, f->pkg, &f->pub, NULL, FALSE, &r, slow ? slow_progress : NULL, NULL,
                             NULL, NULL);
      _exit (ok ? 0 : 1);
    }
  if (pid_out)
    {
      *pid_out = pid;
      return 0;
    }
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  return status;
}

static void
rerun_apply (Fixture *f)
{
  LbDeltaApplyResult r = { 0 };
  GError *error = NULL;
  g_autofree char *prev = g_strconcat (f->model, ".prev", NULL);

  g_assert_true (lb_delta_apply (f->model, f->pkg, &f->pub, NULL, FALSE, &r, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  lb_delta_apply_result_clear (&r);
  g_assert_true (same_file (f->model, f->target));
  g_assert_true (same_file (prev, f->base));
  g_assert_cmpuint (installed_version (f->model), ==, 2);
}

static void
test_crash_stage (Fixture *f, gconstpointer data)
{
  const char *stage = data;
  int status = run_child (f, stage, FALSE, FALSE, NULL);

  /* the child died at the hook, not by finishing */
  g_assert_true (WIFEXITED (status));
  g_assert_cmpint (WEXITSTATUS (status), ==, 86);
  if (strcmp (stage, "swap") == 0)
    {
      /* the crash came after the atomic rename: the update is complete */
      g_assert_true (same_file (f->model, f->target));
      g_assert_cmpuint (installed_version (f->model), ==, 2);
    }
  else
    {
      g_assert_true (same_file (f->model, f->base));
      g_assert_cmpuint (installed_version (f->model), ==, 0);
    }
  rerun_apply (f);
}

static void
test_kill_during_reconstruct (Fixture *f, gconstpointer data)
{
  g_autofree char *partial = g_strconcat (f->model, ".lbpartial", NULL);
  pid_t pid;
  int status = 0;
  GStatBuf st;
  guint waited = 0;

  run_child (f, NULL, FALSE, TRUE, &pid);
  /* wait until the child has written part of the new model */
  while (!(g_stat (partial, &st) == 0 && st.st_size > 0) && waited < 20000)
    {
      g_usleep (1000);
      waited++;
    }
  g_assert_cmpint (st.st_size, >, 0);
  kill (pid, SIGKILL);
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_assert_true (WIFSIGNALED (status));
  g_assert_true (same_file (f->model, f->base));
  /* the leftover staging file is simply reused */
  g_assert_true (g_file_test (partial, G_FILE_TEST_EXISTS));
  rerun_apply (f);
  g_assert_false (g_file_test (partial, G_FILE_TEST_EXISTS));
}

static void
test_crash_rollback (Fixture *f, gconstpointer data)
{
  GError *error = NULL;
  guint64 v = 99;
  int status;

  rerun_apply (f);   /* a normal apply: model = target, .prev = base */
  status = run_child (f, "sidecar", TRUE, FALSE, NULL);
  g_assert_true (WIFEXITED (status));
  g_assert_cmpint (WEXITSTATUS (status), ==, 86);
  g_assert_true (same_file (f->model, f->target));
  g_assert_cmpuint (installed_version (f->model), ==, 2);

  g_assert_true (lb_delta_rollback (f->model, &v, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (v, ==, 0);
  g_assert_true (same_file (f->model, f->base));
  g_assert_cmpuint (installed_version (f->model), ==, 0);
  /* nothing left to roll back to */
  g_assert_false (lb_delta_rollback (f->model, &v, NULL, &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  /* and the update applies again */
  rerun_apply (f);
}

int
main (int argc, char **argv)
{
  static const char *const stages[] = { "reconstruct", "sidecar", "prev", "swap" };

  g_test_init (&argc, &argv, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (stages); i++)
    {
      g_autofree char *path = g_strdup_printf ("/lowbit/delta-crash/apply-%s", stages[i]);
      g_test_add (path, Fixture, stages[i], fixture_setup, test_crash_stage, fixture_teardown);
    }
  g_test_add ("/lowbit/delta-crash/kill-during-reconstruct", Fixture, NULL, fixture_setup,
              test_kill_during_reconstruct, fixture_teardown);
  g_test_add ("/lowbit/delta-crash/rollback", Fixture, NULL, fixture_setup, test_crash_rollback,
              fixture_teardown);
  return g_test_run ();
}
