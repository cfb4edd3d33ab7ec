/* lb-page-layout.h: laying out the workbench's pages so that GTK 4.8
 * measures them cheaply.
 *
 * GTK 4.8 measures a horizontal box for a given width by searching over
 * heights, and at each step asks its height-for-width children how wide
 * they must be for that height, which for a box of wrapping labels is a
 * search over widths: every wrapping label inside a row's or a group
 * header's horizontal box is laid out hundreds of times the first time a
 * page is shown (150 ms of the main thread for the export page). These
 * helpers keep wrapping text out of horizontal boxes: rows are one line
 * (the full text in their tooltip), a group's description is a label of
 * its own below the title, and columns side by side are LbPageBoxes. */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

/* The group's title, description (wrapping, full width) and header
 * suffix (any may be NULL), in place of AdwPreferencesGroup's own header */
void       lb_group_set_header      (AdwPreferencesGroup *group, const char *title,
                                     const char *description, GtkWidget *suffix);
void       lb_group_set_title       (AdwPreferencesGroup *group, const char *title);
void       lb_group_set_description (AdwPreferencesGroup *group, const char *description);
const char *lb_group_get_title      (AdwPreferencesGroup *group);
/* Adds a widget at the end of the header's title line */
void       lb_group_set_suffix      (AdwPreferencesGroup *group, GtkWidget *suffix);

/* Every AdwActionRow under root: title and subtitle on one line each, the
 * subtitle (kept up to date) as the row's tooltip */
void       lb_page_single_line_rows (GtkWidget *root);

/* A horizontal box whose children are columns: each is put in an
 * LbPageBox (its width does not depend on its height) */
GtkWidget *lb_columns_new           (int spacing, gboolean homogeneous);
void       lb_columns_append        (GtkWidget *columns, GtkWidget *column);

G_END_DECLS
