#ifndef AIRGAP_CZSTD_SHIM_H
#define AIRGAP_CZSTD_SHIM_H
#include <zstd.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

/* preadv2(fd, {buffer, count}, offset, RWF_NOWAIT): the bytes only if the page cache holds them,
   -1 with EAGAIN otherwise (seekable archives served from an event loop). Glibc's module does
   not declare preadv2 (it is _GNU_SOURCE), and Swift cannot call the variadic syscall(). */
static inline long airgap_pread_nowait(int fd, void *buffer, size_t count, long long offset) {
    struct iovec vector = { buffer, count };
    return syscall(SYS_preadv2, fd, &vector, 1, (long)offset, 0L, 0x00000008 /* RWF_NOWAIT */);
}
#endif
