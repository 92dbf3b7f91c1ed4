#ifndef PALISADE_CLINUX_SHIM_H
#define PALISADE_CLINUX_SHIM_H
// Linux system calls that Swift's Glibc module does not export: epoll, eventfd and accept4.
// No _GNU_SOURCE here: it would change libc's struct definitions (fd_set) and clash with the
// same headers as other modules (Dispatch) see them.
#include <sys/socket.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>

// glibc declares accept4 only under _GNU_SOURCE; the symbol is always there.
extern int accept4(int fd, struct sockaddr *address, socklen_t *length, int flags);

// Likewise pthread_setname_np: names threads as ps, top and gdb show them (15 bytes at most).
#include <pthread.h>
extern int pthread_setname_np(pthread_t thread, const char *name);
static inline void palisade_set_thread_name(const char *name) { pthread_setname_np(pthread_self(), name); }

static inline int palisade_accept4(int fd, struct sockaddr *address, socklen_t *length, int flags) {
    return accept4(fd, address, length, flags);
}
#endif
