/* lb-memstat.c: process memory from /proc/self/{status,smaps_rollup}, CPU
 * time from getrusage, and a sampler thread */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>

#include "lb-error.h"
#include "lb-memstat.h"

/* Reads a small /proc file into buf (NUL-terminated) without allocating,
 * so the sampler disturbs what it measures as little as possible. */
static gboolean
read_proc_file (const char *path, char *buf, gsize size, GError **error)
{
  gsize len = 0;
  int fd = open (path, O_RDONLY | O_CLOEXEC);

  if (fd < 0)
    {
      int saved = errno;
      g_set_error (error, LB_ERROR, LB_ERROR_IO, "cannot open %s: %s", path, g_strerror (saved));
      return FALSE;
    }
  while (len + 1 < size)
    {
      ssize_t n = read (fd, buf + len, size - 1 - len);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int saved = errno;
          close (fd);
          g_set_error (error, LB_ERROR, LB_ERROR_IO, "cannot read %s: %s", path,
                       g_strerror (saved));
          return FALSE;
        }
      if (n == 0)
        break;
      len += (gsize) n;
    }
  close (fd);
  buf[len] = '\0';
  return TRUE;
}

/* "Key:   1234 kB" lines: the value of key in bytes, FALSE when absent */
static gboolean
find_kb (const char *text, const char *key, guint64 *out)
{
  gsize klen = strlen (key);
  const char *p = text;

  while (p != NULL && *p != '\0')
    {
      if (strncmp (p, key, klen) == 0 && p[klen] == ':')
        {
          char *end = NULL;
          guint64 v = g_ascii_strtoull (p + klen + 1, &end, 10);

          if (end == p + klen + 1)
            return FALSE;
          while (*end == ' ' || *end == '\t')
            end++;
          /* every figure in these files is in kB; be strict about it */
          if (strncmp (end, "kB", 2) != 0 || v > G_MAXUINT64 / 1024)
            return FALSE;
          *out = v * 1024;
          return TRUE;
        }
      p = strchr (p, '\n');
      if (p != NULL)
        p++;
    }
  return FALSE;
}

gboolean
lb_memstat_parse_status (const char *text, LbMemStat *stat)
{
  gboolean any = FALSE;

  memset (stat, 0, sizeof *stat);
  any |= find_kb (text, "VmRSS", &stat->rss);
  any |= find_kb (text, "RssAnon", &stat->rss_anon);
  any |= find_kb (text, "RssFile", &stat->rss_file);
  any |= find_kb (text, "RssShmem", &stat->rss_shmem);
  any |= find_kb (text, "VmHWM", &stat->peak_rss);
  any |= find_kb (text, "VmSize", &stat->vm_size);
  return any;
}

gboolean
lb_memstat_read (LbMemStat *stat, GError **error)
{
  char buf[8192];

  if (!read_proc_file ("/proc/self/status", buf, sizeof buf, error))
    return FALSE;
  if (!lb_memstat_parse_status (buf, stat) || stat->rss == 0)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_UNSUPPORTED,
                   "/proc/self/status has no VmRSS line: memory cannot be measured here");
      return FALSE;
    }
  return TRUE;
}

gboolean
lb_memstat_read_rollup (LbMemRollup *rollup, GError **error)
{
  char buf[8192];

  memset (rollup, 0, sizeof *rollup);
  if (!read_proc_file ("/proc/self/smaps_rollup", buf, sizeof buf, error))
    return FALSE;
  if (!find_kb (buf, "Rss", &rollup->rss))
    {
      g_set_error (error, LB_ERROR, LB_ERROR_UNSUPPORTED,
                   "/proc/self/smaps_rollup has no Rss line");
      return FALSE;
    }
  find_kb (buf, "Pss", &rollup->pss);
  find_kb (buf, "Anonymous", &rollup->anonymous);
  find_kb (buf, "Pss_Anon", &rollup->pss_anon);
  find_kb (buf, "Pss_File", &rollup->pss_file);
  find_kb (buf, "Private_Dirty", &rollup->private_dirty);
  return TRUE;
}

gboolean
lb_memstat_reset_peak (GError **error)
{
  int fd = open ("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);
  ssize_t n;

  if (fd < 0)
    {
      int saved = errno;
      g_set_error (error, LB_ERROR, LB_ERROR_IO, "cannot open /proc/self/clear_refs: %s",
                   g_strerror (saved));
      return FALSE;
    }
  n = write (fd, "5", 1);   /* 5: reset the peak RSS */
  if (n != 1)
    {
      int saved = errno;
      close (fd);
      g_set_error (error, LB_ERROR, LB_ERROR_IO, "cannot reset the peak RSS: %s",
                   g_strerror (saved));
      return FALSE;
    }
  close (fd);
  return TRUE;
}

double
lb_memstat_cpu_seconds (void)
{
  struct rusage ru;

  if (getrusage (RUSAGE_SELF, &ru) != 0)
    return 0.0;
  return (double) ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6
         + (double) ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/* ---- sampler --------------------------------------------------------------- */

struct _LbMemSampler
{
  GMutex           lock;
  GCond            cond;
  GThread         *thread;
  gboolean         stopping;
  gint64           interval_us;
  gint64           t0;      /* monotonic µs */
  double           cpu0;
  LbMemSampleFunc  func;
  gpointer         user_data;
  GArray          *samples; /* LbMemSample, under lock */
  guint64          peak_anon, peak_file, peak_total;
};

static void
take_sample (LbMemSampler *self)
{
  LbMemStat st;
  LbMemSample s;

  if (!lb_memstat_read (&st, NULL))
    return;
  s.t = (g_get_monotonic_time () - self->t0) / 1e6;
  s.rss_anon = st.rss_anon;
  s.rss_file = st.rss_file;
  s.rss_shmem = st.rss_shmem;
  s.cpu = lb_memstat_cpu_seconds () - self->cpu0;

  g_mutex_lock (&self->lock);
  g_array_append_val (self->samples, s);
  self->peak_anon = MAX (self->peak_anon, s.rss_anon);
  self->peak_file = MAX (self->peak_file, s.rss_file);
  self->peak_total = MAX (self->peak_total, s.rss_anon + s.rss_file + s.rss_shmem);
  g_mutex_unlock (&self->lock);

  if (self->func)
    self->func (&s, self->user_data);
}

static gpointer
sampler_thread (gpointer data)
{
  LbMemSampler *self = data;
  gint64 next = self->t0;

  for (;;)
    {
      gboolean stop;

      take_sample (self);
      /* a fixed schedule, so slow reads do not stretch the interval */
      next += self->interval_us;
      if (next < g_get_monotonic_time ())
        next = g_get_monotonic_time () + self->interval_us;
      g_mutex_lock (&self->lock);
      while (!self->stopping && g_get_monotonic_time () < next)
        g_cond_wait_until (&self->cond, &self->lock, next);
      stop = self->stopping;
      g_mutex_unlock (&self->lock);
      if (stop)
        break;
    }
  take_sample (self);
  return NULL;
}

LbMemSampler *
lb_mem_sampler_new (guint interval_ms, LbMemSampleFunc func, gpointer user_data, GError **error)
{
  LbMemSampler *self;
  LbMemStat st;

  if (!lb_memstat_read (&st, error))
    return NULL;
  self = g_new0 (LbMemSampler, 1);
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  self->interval_us = (gint64) (interval_ms ? interval_ms : 10) * 1000;
  self->func = func;
  self->user_data = user_data;
  self->samples = g_array_new (FALSE, FALSE, sizeof (LbMemSample));
  self->t0 = g_get_monotonic_time ();
  self->cpu0 = lb_memstat_cpu_seconds ();
  self->thread = g_thread_try_new ("lb-mem-sampler", sampler_thread, self, error);
  if (self->thread == NULL)
    {
      lb_mem_sampler_free (self);
      return NULL;
    }
  return self;
}

void
lb_mem_sampler_stop (LbMemSampler *self)
{
  g_return_if_fail (self != NULL);

  if (self->thread == NULL)
    return;
  g_mutex_lock (&self->lock);
  self->stopping = TRUE;
  g_cond_signal (&self->cond);
  g_mutex_unlock (&self->lock);
  g_thread_join (self->thread);
  self->thread = NULL;
}

GArray *
lb_mem_sampler_get_samples (LbMemSampler *self)
{
  GArray *copy;

  g_return_val_if_fail (self != NULL, NULL);

  g_mutex_lock (&self->lock);
  copy = g_array_sized_new (FALSE, FALSE, sizeof (LbMemSample), self->samples->len);
  g_array_append_vals (copy, self->samples->data, self->samples->len);
  g_mutex_unlock (&self->lock);
  return copy;
}

void
lb_mem_sampler_get_peaks (LbMemSampler *self, guint64 *peak_anon, guint64 *peak_file,
                          guint64 *peak_total)
{
  g_return_if_fail (self != NULL);

  g_mutex_lock (&self->lock);
  if (peak_anon)
    *peak_anon = self->peak_anon;
  if (peak_file)
    *peak_file = self->peak_file;
  if (peak_total)
    *peak_total = self->peak_total;
  g_mutex_unlock (&self->lock);
}

void
lb_mem_sampler_free (LbMemSampler *self)
{
  if (self == NULL)
    return;
  lb_mem_sampler_stop (self);
  g_array_unref (self->samples);
  g_cond_clear (&self->cond);
  g_mutex_clear (&self->lock);
  g_free (self);
}
