/* main.c: lowbit-workbench, the GTK4 workbench */
#include "config.h"

#include "lb-application.h"

int
main (int argc, char **argv)
{
  g_autoptr (LbApplication) app = NULL;

  lb_application_setup_environment ();
  g_set_prgname ("lowbit-workbench");

  app = lb_application_new (G_APPLICATION_DEFAULT_FLAGS);
  return g_application_run (G_APPLICATION (app), argc, argv);
}
