/* The local address a client reports (RemotingUtil.getLocalAddress, used
 * in the client id): the first IPv4 address of an interface that is up and
 * neither loopback (127.x) nor 192.168.x; else the last IPv4 seen; else the
 * first IPv6; else 127.0.0.1. */
#ifndef RMQ_CLIENT_LOCAL_ADDR_H
#define RMQ_CLIENT_LOCAL_ADDR_H

#include <stddef.h>

void rmq_local_client_ip(char *out, size_t n);

#endif
