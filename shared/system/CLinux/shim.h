// Linux calls Swift's Glibc module does not expose (they need _GNU_SOURCE).
#ifndef PAKIT_CLINUX_SHIM_H
#define PAKIT_CLINUX_SHIM_H
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <unistd.h>

/// Flushes every dirty page and inode of the filesystem holding `fd`: one call makes a whole
/// batch of block files durable (group commit) instead of one fsync per file.
static inline int pakit_syncfs(int fd) { return syncfs(fd); }
#endif
