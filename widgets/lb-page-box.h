/* lb-page-box.h: the content of a page that scrolls vertically.
 *
 * A GtkScrolledWindow asks its child how wide it must be for a given
 * height. A vertical box of wrapping text answers by searching over
 * widths, and each step lays out every label again: on a page of a dozen
 * rows with descriptions that is thousands of Pango layouts, 100 ms or
 * more of the main thread the first time the page is shown. A page that
 * scrolls never has to be wider for being shorter, so LbPageBox answers
 * with its child's width for any height (and passes every other request
 * through unchanged). */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define LB_TYPE_PAGE_BOX (lb_page_box_get_type ())
G_DECLARE_FINAL_TYPE (LbPageBox, lb_page_box, LB, PAGE_BOX, GtkWidget)

GtkWidget *lb_page_box_new       (GtkWidget *child);
GtkWidget *lb_page_box_get_child (LbPageBox *self);
void       lb_page_box_set_child (LbPageBox *self, GtkWidget *child);

G_END_DECLS
