#include "client/local_addr.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static bool v4_preferred(const char *ip)
{
    return strncmp(ip, "127.0", 5) != 0 && strncmp(ip, "192.168", 7) != 0;
}

void rmq_local_client_ip(char *out, size_t n)
{
    char last_v4[INET_ADDRSTRLEN] = "", first_v6[INET6_ADDRSTRLEN] = "";
    struct ifaddrs *ifs = NULL;
    snprintf(out, n, "127.0.0.1");
    if (getifaddrs(&ifs) != 0)
        return;
    for (struct ifaddrs *i = ifs; i; i = i->ifa_next) {
        if (!i->ifa_addr || !(i->ifa_flags & IFF_UP) || (i->ifa_flags & IFF_LOOPBACK))
            continue;
        if (i->ifa_addr->sa_family == AF_INET) {
            char ip[INET_ADDRSTRLEN];
            inet_ntop(AF_INET, &((struct sockaddr_in *)(void *)i->ifa_addr)->sin_addr, ip,
                      sizeof(ip));
            if (v4_preferred(ip)) {
                snprintf(out, n, "%s", ip);
                freeifaddrs(ifs);
                return;
            }
            snprintf(last_v4, sizeof(last_v4), "%s", ip);
        } else if (i->ifa_addr->sa_family == AF_INET6 && !first_v6[0]) {
            inet_ntop(AF_INET6, &((struct sockaddr_in6 *)(void *)i->ifa_addr)->sin6_addr,
                      first_v6, sizeof(first_v6));
        }
    }
    freeifaddrs(ifs);
    if (last_v4[0])
        snprintf(out, n, "%s", last_v4);
    else if (first_v6[0])
        snprintf(out, n, "%s", first_v6);
}
