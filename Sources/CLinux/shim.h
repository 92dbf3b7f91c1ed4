#ifndef PALISADE_CLINUX_SHIM_H
#define PALISADE_CLINUX_SHIM_H
// Linux system calls that Swift's Glibc module does not export: epoll, eventfd and accept4.
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sys/socket.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>

static inline int palisade_accept4(int fd, struct sockaddr *address, socklen_t *length, int flags) {
    return accept4(fd, address, length, flags);
}
#endif
