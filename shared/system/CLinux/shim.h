// Linux calls Swift's Glibc module does not expose (they need _GNU_SOURCE).
#ifndef PAKIT_CLINUX_SHIM_H
#define PAKIT_CLINUX_SHIM_H
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <unistd.h>
#include <pthread.h>

/// Flushes every dirty page and inode of the filesystem holding `fd`: one call makes a whole
/// batch of block files durable (group commit) instead of one fsync per file.
static inline int pakit_syncfs(int fd) { return syncfs(fd); }

/// Names the calling thread as `top -H`, gdb and crash reports show it (at most 15 bytes).
static inline int pakit_name_current_thread(const char *name) { return pthread_setname_np(pthread_self(), name); }
#endif
