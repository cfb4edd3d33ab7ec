/* lb-view-util.h: plumbing the workbench's pages share: finding their
 * window, reporting errors there, letting go of a session */
#pragma once

#include <adwaita.h>

#include "lb-job.h"
#include "lb-session.h"
#include "lb-window.h"

G_BEGIN_DECLS

/* The workbench window view is shown in, or NULL (not shown yet, or a
 * test's plain window) */
LbWindow  *lb_view_get_window     (GtkWidget *view);

/* heading and message in the view's window; without one (tests) a warning */
void       lb_view_show_error     (GtkWidget *view, const char *heading, const char *message);

/* What a failed job left: its error in the view's window under heading,
 * or, when it was cancelled, the toast cancelled_toast (none if NULL).
 * Without a window, nothing. */
void       lb_view_show_job_error (GtkWidget    *view,
                                   const char   *heading,
                                   const GError *error,
                                   const char   *cancelled_toast);

/* Before a view drops session (may be NULL): disconnects the view's
 * handlers from it, and cancels and drops *job (job may be NULL), whose
 * callback then finds it no longer the view's own */
void       lb_view_release_session (gpointer view, LbSession *session, LbJob **job);

/* Closes the file chooser in *chooser, if any, and drops it */
void       lb_view_close_chooser  (GtkNativeDialog **chooser);

/* A filter named name for files of mime_type (may be NULL) or matching
 * any of the NULL-terminated glob patterns */
GtkFileFilter *lb_view_file_filter_new (const char *name,
                                        const char *mime_type,
                                        ...) G_GNUC_NULL_TERMINATED;

/* A modal file chooser over view's window, stored in *chooser in place of
 * the one there (closed), offering filter (taken; may be NULL). The caller
 * connects "response" and shows it. */
GtkFileChooserNative *lb_view_file_chooser_new (GtkWidget            *view,
                                                GtkNativeDialog     **chooser,
                                                const char           *title,
                                                GtkFileChooserAction  action,
                                                const char           *accept_label,
                                                GtkFileFilter        *filter);

/* A view's set_session: nothing (FALSE) when session is the one in *slot;
 * else lets go of that one as above and holds session (TRUE) */
gboolean   lb_view_replace_session (gpointer    view,
                                    LbSession **slot,
                                    LbSession  *session,
                                    LbJob     **job);

/* A card for a chart or map on a page */
GtkWidget *lb_view_card_new       (void);

/* A row of group showing a value: title, subtitle (may be NULL) and the
 * value's label (empty, for the caller to fill) */
GtkLabel  *lb_view_add_value_row  (AdwPreferencesGroup *group,
                                   const char          *title,
                                   const char          *subtitle);

G_END_DECLS
