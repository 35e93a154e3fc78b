// Linux calls Swift's Glibc module does not expose (they need _GNU_SOURCE).
#ifndef PAKIT_CLINUX_SHIM_H
#define PAKIT_CLINUX_SHIM_H
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <unistd.h>
#include <pthread.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <linux/openat2.h>
// Not <sys/uio.h>: under _GNU_SOURCE it pulls in <sys/select.h>, whose `fd_set` then differs
// from the one Swift's Glibc module defines and the two modules cannot be used together.
#include <bits/types/struct_iovec.h>
ssize_t preadv2(int fd, const struct iovec *vector, int count, off_t offset, int flags);
#ifndef RWF_NOWAIT
#define RWF_NOWAIT 0x00000008
#endif

/// Flushes every dirty page and inode of the filesystem holding `fd`: one call makes a whole
/// batch of block files durable (group commit) instead of one fsync per file.
static inline int pakit_syncfs(int fd) { return syncfs(fd); }

/// Names the calling thread as `top -H`, gdb and crash reports show it (at most 15 bytes).
static inline int pakit_name_current_thread(const char *name) { return pthread_setname_np(pthread_self(), name); }

/// Opens `path` (relative to the directory `directory`) read-only only if every path component
/// is already in the kernel's lookup cache (`RESOLVE_CACHED`, Linux 5.12): -1 with `EAGAIN`
/// when the lookup would read the disk, so a caller on a thread that must not block can fall
/// back to one that may.
static inline int pakit_open_cached(int directory, const char *path) {
    struct open_how how = { .flags = O_RDONLY | O_CLOEXEC, .mode = 0, .resolve = RESOLVE_CACHED };
    return (int)syscall(SYS_openat2, directory, path, &how, sizeof(how));
}

/// Reads only what the page cache already holds (`RWF_NOWAIT`): -1 with `EAGAIN`, or a short
/// count, when the rest would wait for the disk.
static inline ssize_t pakit_pread_nowait(int fd, void *buffer, size_t length, off_t offset) {
    struct iovec vector = { .iov_base = buffer, .iov_len = length };
    return preadv2(fd, &vector, 1, offset, RWF_NOWAIT);
}
#endif
