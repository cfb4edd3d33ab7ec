#include <glib.h>
#include "lowbit.h"
#include "lb-test-util.h"

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  return g_test_run ();
}
