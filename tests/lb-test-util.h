/* lb-test-util.h: helpers shared by the GLib tests */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Path of a file under the shared test assets (LB_SHARED_DIR, default
 * ../shared beside the source tree). When it does not exist the current
 * test fails with a message saying which asset is missing and NULL is
 * returned: the caller returns at once. */
char     *lb_test_shared_path (const char *first_element, ...) G_GNUC_NULL_TERMINATED;
/* Path under the source tree (LB_SOURCE_DIR), e.g. "data/stories260K/tok512.bin" */
char     *lb_test_source_path (const char *first_element, ...) G_GNUC_NULL_TERMINATED;
/* A fresh temporary directory; removed with its contents by lb_test_rmtree */
char     *lb_test_make_tmpdir (void);
void      lb_test_rmtree      (const char *path);
/* Whole little-endian float32 file; aborts the test on failure */
float    *lb_test_read_f32    (const char *path, gsize *n_floats);
/* FALSE, marking the current test skipped, when the test program cannot
 * re-run itself (g_test_trap_subprocess): under qemu-user without a
 * binfmt_misc registration, LB_TEST_NO_SUBPROCESS=1 says so. */
gboolean  lb_test_can_trap_subprocess (void);
/* Integers of a JSON array member, e.g. "tokens" of ref-logits.json */
GArray   *lb_test_json_int_array (const char *json_path, const char *member);

G_END_DECLS
