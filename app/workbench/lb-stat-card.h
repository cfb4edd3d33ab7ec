/* lb-stat-card.h: a figure in a card: a caption, the value in large
 * digits, a line of detail under it */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

GtkWidget *lb_stat_card_new (const char *title, GtkLabel **value, GtkLabel **detail);
/* Takes value and detail (either may be NULL: "—" and nothing) */
void       lb_stat_card_set (GtkLabel *value_label, GtkLabel *detail_label, char *value,
                             char *detail);

G_END_DECLS
