/* Start-up time of a server: from starting its process to the first TCP
 * connection it accepts.
 *
 *   startup_probe --free-port
 *       prints a loopback port that was free a moment ago (bound to port 0,
 *       then closed), for the server's configuration;
 *   startup_probe PORT COMMAND [ARGS...]
 *       starts COMMAND (posix_spawn, stdio inherited), tries to connect to
 *       127.0.0.1:PORT every 100 us, prints the milliseconds from the spawn
 *       to the first successful connect ("startup_ms=12.345"), then sends
 *       the server SIGTERM and waits for it (10 s, then SIGKILL).
 *
 * Exits 0, 1 when the server exited or did not accept within 10 s, 2 on bad
 * usage.  Only the process it started is ever signalled. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define PROBE_TIMEOUT_NS (10ull * 1000 * 1000 * 1000)
#define PROBE_INTERVAL_NS (100 * 1000)
#define STOP_TIMEOUT_MS 10000

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void sleep_ns(long ns)
{
    struct timespec ts = {0, ns};
    nanosleep(&ts, NULL);
}

static struct sockaddr_in loopback(int port)
{
    struct sockaddr_in a;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in a = loopback(0);
    socklen_t len = sizeof(a);
    int port = -1;
    if (bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    close(fd);
    return port;
}

static bool try_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return false;
    struct sockaddr_in a = loopback(port);
    bool ok = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
    close(fd);
    return ok;
}

/* SIGTERM, up to STOP_TIMEOUT_MS to exit, then SIGKILL; reaps the child. */
static void stop_child(pid_t pid)
{
    int status;
    kill(pid, SIGTERM);
    for (int i = 0; i < STOP_TIMEOUT_MS / 10; i++) {
        if (waitpid(pid, &status, WNOHANG) == pid)
            return;
        sleep_ns(10 * 1000 * 1000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--free-port") == 0) {
        int port = free_port();
        if (port < 0) {
            perror("startup_probe: bind");
            return 1;
        }
        printf("%d\n", port);
        return 0;
    }
    char *end = NULL;
    long port = argc >= 3 ? strtol(argv[1], &end, 10) : 0;
    if (argc < 3 || *end != '\0' || port < 1 || port > 65535) {
        fprintf(stderr, "usage: startup_probe --free-port\n"
                        "       startup_probe PORT COMMAND [ARGS...]\n");
        return 2;
    }
    if (try_connect((int)port)) {
        fprintf(stderr, "startup_probe: something already listens on port %ld\n", port);
        return 1;
    }
    pid_t pid;
    uint64_t t0 = mono_ns();
    int rc = posix_spawn(&pid, argv[2], NULL, NULL, argv + 2, environ);
    if (rc != 0) {
        fprintf(stderr, "startup_probe: cannot start %s: %s\n", argv[2], strerror(rc));
        return 1;
    }
    for (;;) {
        if (try_connect((int)port)) {
            uint64_t t1 = mono_ns();
            printf("startup_ms=%.3f\n", (double)(t1 - t0) / 1e6);
            fflush(stdout);
            stop_child(pid);
            return 0;
        }
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            fprintf(stderr, "startup_probe: %s exited before accepting connections\n", argv[2]);
            return 1;
        }
        if (mono_ns() - t0 > PROBE_TIMEOUT_NS) {
            fprintf(stderr, "startup_probe: %s did not accept within 10 s\n", argv[2]);
            stop_child(pid);
            return 1;
        }
        sleep_ns(PROBE_INTERVAL_NS);
    }
}
