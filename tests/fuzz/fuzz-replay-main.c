/* Runs a fuzz target over every file of a corpus folder, so the seed corpus
 * (and any crash found later, once added to it) stays a regression test in
 * builds without libFuzzer. */
#include <glib.h>
#include <stdint.h>
#include <stdio.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
main (int argc, char **argv)
{
  guint n = 0;

  for (int a = 1; a < argc; a++)
    {
      GError *error = NULL;
      GDir *dir = g_dir_open (argv[a], 0, &error);
      const char *name;

      if (dir == NULL)
        {
          fprintf (stderr, "replay: %s\n", error->message);
          g_error_free (error);
          return 1;
        }
      while ((name = g_dir_read_name (dir)) != NULL)
        {
          char *path = g_build_filename (argv[a], name, NULL);
          char *contents = NULL;
          gsize len = 0;

          if (g_file_get_contents (path, &contents, &len, NULL))
            {
              LLVMFuzzerTestOneInput ((const uint8_t *) contents, len);
              n++;
            }
          g_free (contents);
          g_free (path);
        }
      g_dir_close (dir);
    }
  if (n == 0)
    {
      fprintf (stderr, "replay: empty corpus\n");
      return 1;
    }
  printf ("replayed %u inputs\n", n);
  return 0;
}
