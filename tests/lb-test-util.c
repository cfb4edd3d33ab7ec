#include "lb-test-util.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>

static char *
build_path_va (const char *root, const char *first, va_list ap)
{
  GPtrArray *parts = g_ptr_array_new ();
  char *path;

  g_ptr_array_add (parts, (gpointer) root);
  for (const char *p = first; p != NULL; p = va_arg (ap, const char *))
    g_ptr_array_add (parts, (gpointer) p);
  g_ptr_array_add (parts, NULL);
  path = g_build_filenamev ((char **) parts->pdata);
  g_ptr_array_free (parts, TRUE);
  return path;
}

char *
lb_test_shared_path (const char *first_element, ...)
{
  const char *root = g_getenv ("LB_SHARED_DIR");
  va_list ap;
  char *path;

  if (root == NULL)
    root = "../shared";
  va_start (ap, first_element);
  path = build_path_va (root, first_element, ap);
  va_end (ap);
  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_test_fail_printf ("shared test asset missing: %s (the tests need ../shared beside "
                          "the source tree, or LB_SHARED_DIR pointing at it)", path);
      g_free (path);
      return NULL;
    }
  return path;
}

char *
lb_test_source_path (const char *first_element, ...)
{
  const char *root = g_getenv ("LB_SOURCE_DIR");
  va_list ap;
  char *path;

  if (root == NULL)
    root = ".";
  va_start (ap, first_element);
  path = build_path_va (root, first_element, ap);
  va_end (ap);
  return path;
}

char *
lb_test_make_tmpdir (void)
{
  GError *error = NULL;
  char *dir = g_dir_make_tmp ("lowbit-test-XXXXXX", &error);
  g_assert_no_error (error);
  return dir;
}

void
lb_test_rmtree (const char *path)
{
  GDir *dir;
  const char *name;

  if (path == NULL)
    return;
  if (!g_file_test (path, G_FILE_TEST_IS_DIR) || g_file_test (path, G_FILE_TEST_IS_SYMLINK))
    {
      g_unlink (path);
      return;
    }
  dir = g_dir_open (path, 0, NULL);
  if (dir != NULL)
    {
      while ((name = g_dir_read_name (dir)) != NULL)
        {
          char *child = g_build_filename (path, name, NULL);
          lb_test_rmtree (child);
          g_free (child);
        }
      g_dir_close (dir);
    }
  g_rmdir (path);
}

float *
lb_test_read_f32 (const char *path, gsize *n_floats)
{
  GError *error = NULL;
  char *contents = NULL;
  gsize len = 0;
  float *out;

  g_file_get_contents (path, &contents, &len, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (len % 4, ==, 0);
  out = g_new (float, len / 4 + 1);
  for (gsize i = 0; i < len / 4; i++)
    {
      guint32 u;
      memcpy (&u, contents + 4 * i, 4);
      u = GUINT32_FROM_LE (u);
      memcpy (&out[i], &u, 4);
    }
  g_free (contents);
  *n_floats = len / 4;
  return out;
}

GArray *
lb_test_json_int_array (const char *json_path, const char *member)
{
  GError *error = NULL;
  JsonParser *parser = json_parser_new ();
  JsonObject *obj;
  JsonArray *arr;
  GArray *out = g_array_new (FALSE, FALSE, sizeof (gint32));

  json_parser_load_from_file (parser, json_path, &error);
  g_assert_no_error (error);
  obj = json_node_get_object (json_parser_get_root (parser));
  g_assert_true (json_object_has_member (obj, member));
  arr = json_object_get_array_member (obj, member);
  for (guint i = 0; i < json_array_get_length (arr); i++)
    {
      gint32 v = (gint32) json_array_get_int_element (arr, i);
      g_array_append_val (out, v);
    }
  g_object_unref (parser);
  return out;
}

gboolean
lb_test_can_trap_subprocess (void)
{
  if (g_strcmp0 (g_getenv ("LB_TEST_NO_SUBPROCESS"), "1") != 0)
    return TRUE;
  g_test_skip ("LB_TEST_NO_SUBPROCESS=1: this program cannot start a copy of itself here");
  return FALSE;
}
