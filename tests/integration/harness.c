#include "harness.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <zlib.h>

#include "base/mem.h"
#include "protocol/codes.h"
#include "protocol/heartbeat.h"
#include "protocol/namesrv_headers.h"
#include "protocol/pull_headers.h"
#include "rocketmq/error.h"

#define BOOT_TIMEOUT_MS 10000
#define STOP_TIMEOUT_MS 5000
/* The broker unregisters from its name servers (3 s timeout) and persists
 * its tables before it exits. */
#define BROKER_STOP_TIMEOUT_MS 10000
#define BOOT_PREFIX                                                                                \
    "The Name Server boot success. serializeType=JSON, listening on 127.0.0.1:"
/* "The broker[NAME, IP:PORT] boot success. serializeType=JSON and name server is ADDR" */
#define BROKER_BOOT_PREFIX "The broker["
#define BROKER_BOOT_SUFFIX "] boot success."
/* Data version timestamp of every test registration: tests vary the counter. */
#define IT_DV_TIMESTAMP 1700000000000LL

int64_t it_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void it_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* ---- the name server process ---- */

static int write_config(const it_namesrv_t *ns, const char *extra, char *path, size_t n)
{
    snprintf(path, n, "%s/namesrv.conf", ns->dir);
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fprintf(f,
            "listenPort=0\nbindAddress=127.0.0.1\nkvConfigPath=%s\n"
            "configStorePath=%s/namesrv.properties\n",
            ns->kv_path, ns->dir);
    if (extra)
        fprintf(f, "%s\n", extra);
    /* CTest runs the consumer tests once more with staged appends. */
    if (getenv("RMQ_IT_STAGED"))
        fprintf(f, "transientStorePoolEnable=true\n");
    return fclose(f) == 0 ? 0 : -1;
}

/* The caller's environment plus RMQ_LOG_LEVEL=warn unless it sets a level:
 * info logs a line per registered topic, which buries the test output. */
static char **child_env(void)
{
    extern char **environ;
    size_t n = 0;
    while (environ[n])
        n++;
    char **env = rmq_calloc(n + 2, sizeof(char *));
    memcpy(env, environ, n * sizeof(char *));
    if (!getenv("RMQ_LOG_LEVEL"))
        env[n] = "RMQ_LOG_LEVEL=warn";
    return env;
}

/* fork + exec with stdout to a pipe.  The test process has loop threads, so
 * the child makes only async-signal-safe calls before exec. */
static pid_t spawn(const char *bin, const char *conf, int *out_fd)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0)
        return -1;
    int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
    char *argv[] = {(char *)bin, "-c", (char *)conf, NULL};
    char **env = child_env();
    pid_t pid = fork();
    if (pid == 0) {
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        /* A test that dies must not leave its server behind. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        dup2(fds[1], STDOUT_FILENO);
        if (devnull >= 0)
            dup2(devnull, STDIN_FILENO);
        execve(bin, argv, env);
        _exit(127);
    }
    free(env);
    close(fds[1]);
    if (devnull >= 0)
        close(devnull);
    if (pid < 0) {
        close(fds[0]);
        return -1;
    }
    *out_fd = fds[0];
    return pid;
}

typedef int (*boot_parser_fn)(const char *buf);

/* The port from the name server's boot line, once a whole line is in buf; 0 otherwise. */
static int parse_port(const char *buf)
{
    const char *p = strstr(buf, BOOT_PREFIX);
    if (!p)
        return 0;
    char *end;
    long port = strtol(p + strlen(BOOT_PREFIX), &end, 10);
    if (*end != '\n' || port <= 0 || port > 65535)
        return 0;
    return (int)port;
}

/* The port from the broker's boot line ("..., 127.0.0.1:PORT] boot success.
 * ...\n"), once the whole line is in buf; 0 otherwise. */
static int parse_broker_port(const char *buf)
{
    const char *p = strstr(buf, BROKER_BOOT_PREFIX);
    if (!p)
        return 0;
    const char *q = strstr(p, BROKER_BOOT_SUFFIX);
    if (!q || !strchr(q, '\n'))
        return 0;
    const char *colon = NULL;
    for (const char *c = p; c < q; c++)
        if (*c == ':')
            colon = c;
    if (!colon)
        return 0;
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (end != q || port <= 0 || port > 65535)
        return 0;
    return (int)port;
}

/* Reads the server's stdout until the boot line, for at most BOOT_TIMEOUT_MS. */
static int read_boot_port(int fd, boot_parser_fn parse)
{
    char buf[4096];
    size_t len = 0;
    int64_t deadline = it_now_ms() + BOOT_TIMEOUT_MS;
    for (int i = 0; i < 1000 && len < sizeof(buf) - 1; i++) {
        int left = (int)(deadline - it_now_ms());
        if (left <= 0)
            break;
        struct pollfd p = {fd, POLLIN, 0};
        int r = poll(&p, 1, left);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        ssize_t n = read(fd, buf + len, sizeof(buf) - 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break; /* EOF: the server exited */
        len += (size_t)n;
        buf[len] = '\0';
        int port = parse(buf);
        if (port > 0)
            return port;
    }
    return -1;
}

/* waitpid with a deadline: the pid when reaped, 0 if still running, -1 on error. */
static pid_t wait_bounded(pid_t pid, int timeout_ms, int *status)
{
    int64_t deadline = it_now_ms() + timeout_ms;
    for (int i = 0; i < timeout_ms / 10 + 10; i++) {
        pid_t r = waitpid(pid, status, WNOHANG);
        if (r != 0 || it_now_ms() >= deadline)
            return r;
        it_sleep_ms(10);
    }
    return 0;
}

/* SIGKILL and reap: 0, or -1 if it could not be reaped in time. */
static int kill_and_reap(pid_t pid)
{
    int status;
    kill(pid, SIGKILL);
    return wait_bounded(pid, STOP_TIMEOUT_MS, &status) == pid ? 0 : -1;
}

/* Starts bin (from the environment variable bin_env) with -c conf and reads
 * its port off the boot line.  0 with *pid, *out_fd and *port set, or -1. */
static int launch_proc(const char *bin_env, const char *conf, boot_parser_fn parse, pid_t *pid,
                       int *out_fd, int *port)
{
    const char *bin = getenv(bin_env);
    *pid = 0;
    *out_fd = -1;
    if (!bin || !*bin) {
        fprintf(stderr, "harness: %s is not set\n", bin_env);
        return -1;
    }
    pid_t p = spawn(bin, conf, out_fd);
    if (p < 0) {
        fprintf(stderr, "harness: cannot start %s: %s\n", bin, strerror(errno));
        return -1;
    }
    *port = read_boot_port(*out_fd, parse);
    if (*port < 0) {
        fprintf(stderr, "harness: %s did not report booting\n", bin);
        kill_and_reap(p);
        close(*out_fd);
        *out_fd = -1;
        return -1;
    }
    *pid = p;
    return 0;
}

/* SIGTERM, up to timeout_ms to exit, then SIGKILL; the exit status as
 * it_namesrv_stop describes it. */
static int stop_proc(pid_t pid, int timeout_ms, const char *what)
{
    int status = 0;
    kill(pid, SIGTERM);
    pid_t r = wait_bounded(pid, timeout_ms, &status);
    if (r == 0) {
        fprintf(stderr, "harness: %s %d ignored SIGTERM, killing it\n", what, (int)pid);
        kill(pid, SIGKILL);
        r = wait_bounded(pid, STOP_TIMEOUT_MS, &status);
    }
    if (r != pid)
        return -1;
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : -1;
}

static int launch(it_namesrv_t *ns, const char *extra)
{
    char conf[160];
    if (write_config(ns, extra, conf, sizeof(conf)) != 0) {
        fprintf(stderr, "harness: cannot write %s: %s\n", conf, strerror(errno));
        return -1;
    }
    if (launch_proc("RMQ_NAMESRV_BIN", conf, parse_port, &ns->pid, &ns->out_fd, &ns->port) != 0)
        return -1;
    snprintf(ns->addr, sizeof(ns->addr), "127.0.0.1:%d", ns->port);
    return 0;
}

int it_namesrv_start(it_namesrv_t *ns, const char *extra)
{
    memset(ns, 0, sizeof(*ns));
    ns->out_fd = -1;
    snprintf(ns->dir, sizeof(ns->dir), "/tmp/rmq-it-XXXXXX");
    if (!mkdtemp(ns->dir)) {
        fprintf(stderr, "harness: mkdtemp: %s\n", strerror(errno));
        ns->dir[0] = '\0';
        return -1;
    }
    snprintf(ns->kv_path, sizeof(ns->kv_path), "%s/kvConfig.json", ns->dir);
    return launch(ns, extra);
}

int it_namesrv_restart(it_namesrv_t *ns, const char *extra)
{
    if (ns->pid > 0 || !ns->dir[0])
        return -1;
    return launch(ns, extra);
}

int it_namesrv_stop(it_namesrv_t *ns)
{
    if (ns->pid <= 0)
        return -1;
    int rc = stop_proc(ns->pid, STOP_TIMEOUT_MS, "name server");
    ns->pid = 0;
    if (ns->out_fd >= 0)
        close(ns->out_fd);
    ns->out_fd = -1;
    return rc;
}

static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    /* The dir holds a handful of files: config, KV file and its .bak/.tmp. */
    for (int i = 0; i < 1000 && (e = readdir(d)) != NULL; i++) {
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            unlinkat(dirfd(d), e->d_name, 0);
    }
    closedir(d);
    rmdir(dir);
}

void it_namesrv_cleanup(it_namesrv_t *ns)
{
    if (ns->pid > 0)
        it_namesrv_stop(ns);
    if (ns->dir[0])
        remove_dir(ns->dir);
    ns->dir[0] = '\0';
}

bool it_namesrv_alive(const it_namesrv_t *ns)
{
    return ns->pid > 0 && kill(ns->pid, 0) == 0;
}

/* ---- the broker process ---- */

static void broker_conf_path(const it_broker_proc_t *bp, char *path, size_t n)
{
    snprintf(path, n, "%s/broker.conf", bp->dir);
}

static int write_broker_config(const it_broker_proc_t *bp, const char *namesrv_addr,
                               const char *flush_disk_type, const char *extra)
{
    char path[128];
    broker_conf_path(bp, path, sizeof(path));
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fprintf(f,
            "brokerClusterName=" IT_BROKER_CLUSTER "\nbrokerName=" IT_BROKER_NAME "\n"
            "brokerIP1=127.0.0.1\nbindAddress=127.0.0.1\nlistenPort=0\n"
            "namesrvAddr=%s\nstorePathRootDir=%s\n"
            "mappedFileSizeCommitLog=1048576\nmappedFileSizeConsumeQueue=6000\n"
            "maxHashSlotNum=1000\nmaxIndexNum=4000\nflushDiskType=%s\n",
            namesrv_addr ? namesrv_addr : "", bp->store,
            flush_disk_type ? flush_disk_type : "ASYNC_FLUSH");
    if (extra)
        fprintf(f, "%s\n", extra);
    /* CTest runs the consumer tests once more with staged appends. */
    if (getenv("RMQ_IT_STAGED"))
        fprintf(f, "transientStorePoolEnable=true\n");
    return fclose(f) == 0 ? 0 : -1;
}

static int broker_launch(it_broker_proc_t *bp)
{
    char conf[128];
    broker_conf_path(bp, conf, sizeof(conf));
    if (launch_proc("RMQ_BROKER_BIN", conf, parse_broker_port, &bp->pid, &bp->out_fd,
                    &bp->port) != 0)
        return -1;
    snprintf(bp->addr, sizeof(bp->addr), "127.0.0.1:%d", bp->port);
    return 0;
}

int it_broker_start(it_broker_proc_t *bp, const char *namesrv_addr, const char *flush_disk_type,
                    const char *extra)
{
    memset(bp, 0, sizeof(*bp));
    bp->out_fd = -1;
    snprintf(bp->dir, sizeof(bp->dir), "/tmp/rmq-it-broker-XXXXXX");
    if (!mkdtemp(bp->dir)) {
        fprintf(stderr, "harness: mkdtemp: %s\n", strerror(errno));
        bp->dir[0] = '\0';
        return -1;
    }
    snprintf(bp->store, sizeof(bp->store), "%s/store", bp->dir);
    if (write_broker_config(bp, namesrv_addr, flush_disk_type, extra) != 0) {
        fprintf(stderr, "harness: cannot write the broker config in %s: %s\n", bp->dir,
                strerror(errno));
        return -1;
    }
    return broker_launch(bp);
}

int it_broker_restart(it_broker_proc_t *bp)
{
    if (bp->pid > 0 || !bp->dir[0])
        return -1;
    if (bp->out_fd >= 0)
        close(bp->out_fd);
    bp->out_fd = -1;
    return broker_launch(bp);
}

static void broker_closed(it_broker_proc_t *bp)
{
    bp->pid = 0;
    bp->paused = false;
    if (bp->out_fd >= 0)
        close(bp->out_fd);
    bp->out_fd = -1;
}

/* A paused broker is continued before it is told to stop, never after: a
 * SIGCONT arriving while an ASan build's exit-time leak check stops its
 * threads (PTRACE_ATTACH sends SIGSTOP) discards that stop and hangs it. */
static void broker_unpause(it_broker_proc_t *bp)
{
    if (bp->paused)
        kill(bp->pid, SIGCONT);
    bp->paused = false;
}

int it_broker_stop(it_broker_proc_t *bp)
{
    if (bp->pid <= 0)
        return -1;
    broker_unpause(bp);
    int rc = stop_proc(bp->pid, BROKER_STOP_TIMEOUT_MS, "broker");
    broker_closed(bp);
    return rc;
}

int it_broker_kill(it_broker_proc_t *bp)
{
    if (bp->pid <= 0)
        return -1;
    int rc = kill_and_reap(bp->pid);
    broker_closed(bp);
    return rc;
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    if (type == FTW_DP)
        rmdir(path);
    else
        unlink(path);
    return 0;
}

void it_broker_cleanup(it_broker_proc_t *bp)
{
    if (bp->pid > 0)
        it_broker_stop(bp);
    /* Only the temp dir made by it_broker_start. */
    if (bp->dir[0] && strncmp(bp->dir, "/tmp/rmq-it-broker-", 19) == 0)
        nftw(bp->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    bp->dir[0] = '\0';
}

bool it_broker_alive(const it_broker_proc_t *bp)
{
    return bp->pid > 0 && kill(bp->pid, 0) == 0;
}

/* ---- requests ---- */

rmq_cmd_t *it_request(int32_t code, const rmq_header_desc_t *d, const void *hdr)
{
    rmq_cmd_t *req = rmq_cmd_new_request(code);
    if (d && hdr)
        rmq_header_encode(d, hdr, &req->ext);
    return req;
}

rmq_cmd_t *it_call(rmq_rclient_t *rc, const char *addr, rmq_cmd_t *req)
{
    return it_call_timeout(rc, addr, req, IT_CALL_TIMEOUT_MS);
}

int it_force_serialize = -1;

rmq_cmd_t *it_call_timeout(rmq_rclient_t *rc, const char *addr, rmq_cmd_t *req, int timeout_ms)
{
    rmq_cmd_t *resp = NULL;
    int forced = it_force_serialize;
    if (forced >= 0)
        req->serialize_type = (uint8_t)forced;
    int err = rmq_rclient_invoke_sync(rc, addr, req, timeout_ms, &resp);
    if (err == 0 && forced >= 0 && resp->serialize_type != forced) {
        fprintf(stderr, "harness: %s answered in serialization %d to a request in %d\n", addr,
                resp->serialize_type, forced);
        rmq_cmd_free(resp);
        return NULL;
    }
    if (err != 0) {
        fprintf(stderr, "harness: request to %s failed: %s\n", addr, rocketmq_err_str(err));
        rmq_cmd_free(resp);
        return NULL;
    }
    return resp;
}

char *it_body_str(const rmq_cmd_t *resp)
{
    char *s = rmq_malloc(resp->body_len + 1);
    if (resp->body_len > 0)
        memcpy(s, resp->body, resp->body_len);
    s[resp->body_len] = '\0';
    return s;
}

void it_body_init(rmq_register_broker_body_t *body, const it_topic_t *topics, size_t n,
                  int64_t counter)
{
    memset(body, 0, sizeof(*body));
    body->data_version.timestamp = IT_DV_TIMESTAMP;
    body->data_version.counter = counter;
    for (size_t i = 0; i < n; i++) {
        rmq_topic_config_t tc;
        rmq_topic_config_init(&tc, topics[i].name);
        tc.read_queue_nums = tc.write_queue_nums = topics[i].queues;
        tc.perm = topics[i].perm;
        rmq_register_broker_body_add_topic(body, &tc);
        rmq_topic_config_free(&tc);
    }
}

rmq_cmd_t *it_register_request(const it_broker_t *b, const it_topic_t *topics, size_t n,
                               int64_t counter)
{
    rmq_register_broker_req_t h = {
        .brokerName = b->name,
        .brokerAddr = b->addr,
        .clusterName = b->cluster,
        .haServerAddr = b->ha_addr,
        .brokerId = b->id,
    };
    rmq_cmd_t *req = it_request(RMQ_REQ_REGISTER_BROKER, &rmq_register_broker_req_desc, &h);
    rmq_register_broker_body_t body;
    it_body_init(&body, topics, n, counter);
    rmq_buf_t buf = RMQ_BUF_INIT;
    rmq_register_broker_body_encode(&body, &buf);
    rmq_cmd_take_body(req, &buf);
    rmq_register_broker_body_free(&body);
    return req;
}

rmq_cmd_t *it_register(rmq_rclient_t *rc, const char *addr, const it_broker_t *b,
                       const it_topic_t *topics, size_t n, int64_t counter)
{
    return it_call(rc, addr, it_register_request(b, topics, n, counter));
}

int it_get_route(rmq_rclient_t *rc, const char *addr, const char *topic,
                 rmq_topic_route_t *route)
{
    rmq_get_route_req_t h = {.topic = topic};
    rmq_cmd_t *resp = it_call(rc, addr, it_request(RMQ_REQ_GET_ROUTEINFO_BY_TOPIC,
                                                   &rmq_get_route_req_desc, &h));
    if (!resp)
        return -1;
    int code = resp->code;
    char err[200];
    if (code == 0 && route &&
        rmq_topic_route_decode(resp->body, resp->body_len, route, err, sizeof(err)) != 0) {
        fprintf(stderr, "harness: bad route body for %s: %s\n", topic, err);
        code = -2;
    }
    rmq_cmd_free(resp);
    return code;
}

bool it_wait_route_code(rmq_rclient_t *rc, const char *addr, const char *topic, int want,
                        int timeout_ms)
{
    int64_t deadline = it_now_ms() + timeout_ms;
    for (int i = 0; i < timeout_ms / 50 + 2; i++) {
        if (it_get_route(rc, addr, topic, NULL) == want)
            return true;
        if (it_now_ms() >= deadline)
            break;
        it_sleep_ms(50);
    }
    return false;
}

/* ---- raw sockets ---- */

int it_raw_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

int it_raw_send(int fd, const void *p, size_t n)
{
    const uint8_t *b = p;
    for (int i = 0; i < 10000 && n > 0; i++) {
        ssize_t w = send(fd, b, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        b += w;
        n -= (size_t)w;
    }
    return n == 0 ? 0 : -1;
}

bool it_raw_wait_closed(int fd, int timeout_ms)
{
    int64_t deadline = it_now_ms() + timeout_ms;
    char buf[4096];
    for (int i = 0; i < 10000; i++) {
        int left = (int)(deadline - it_now_ms());
        if (left <= 0)
            return false;
        struct pollfd p = {fd, POLLIN, 0};
        int r = poll(&p, 1, left);
        if (r < 0 && errno != EINTR)
            return false;
        if (r <= 0)
            continue;
        ssize_t n = recv(fd, buf, sizeof(buf), 0);
        if (n == 0 || (n < 0 && errno == ECONNRESET))
            return true;
        if (n < 0 && errno != EINTR && errno != EAGAIN)
            return false;
    }
    return false;
}

/* A whole frame at the front of in, decoded and consumed; NULL if incomplete
 * (*bad set if it can never decode). */
static rmq_cmd_t *take_frame(rmq_buf_t *in, bool *bad)
{
    size_t flen;
    const char *why = NULL;
    int rc = rmq_frame_check(in->data, in->len, RMQ_FRAME_MAX_DEFAULT, &flen, &why);
    *bad = rc < 0;
    if (rc <= 0)
        return NULL;
    rmq_cmd_t *cmd = NULL;
    char err[200];
    *bad = rmq_cmd_decode(in->data, flen, &cmd, err, sizeof(err)) != 0;
    if (*bad)
        fprintf(stderr, "harness: undecodable frame: %s\n", err);
    rmq_buf_consume(in, flen);
    return cmd;
}

rmq_cmd_t *it_raw_read_cmd(int fd, rmq_buf_t *in, int timeout_ms)
{
    int64_t deadline = it_now_ms() + timeout_ms;
    for (int i = 0; i < 100000; i++) {
        bool bad;
        rmq_cmd_t *cmd = take_frame(in, &bad);
        if (cmd || bad)
            return cmd;
        int left = (int)(deadline - it_now_ms());
        if (left <= 0)
            return NULL;
        struct pollfd p = {fd, POLLIN, 0};
        int r = poll(&p, 1, left);
        if (r < 0 && errno != EINTR)
            return NULL;
        if (r <= 0)
            continue;
        rmq_buf_reserve(in, 65536);
        ssize_t n = recv(fd, in->data + in->len, in->cap - in->len, 0);
        if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
            return NULL;
        if (n > 0)
            in->len += (size_t)n;
    }
    return NULL;
}

int it_stop_broker_and_namesrv(it_broker_proc_t *bp, it_namesrv_t *ns)
{
    int bstatus = bp->pid > 0 ? it_broker_stop(bp) : 0;
    int nstatus = ns->pid > 0 ? it_namesrv_stop(ns) : 0;
    it_broker_cleanup(bp);
    it_namesrv_cleanup(ns);
    return bstatus == 0 && nstatus == 0 ? 0 : -1;
}

/* ---- producer tests: topics, pausing a broker, reading messages back ---- */

#define PULL_GROUP "CG_IT_READBACK"
#define PULL_BATCH 32
#define PULL_MAX_QUEUES 256

int it_create_topic(rmq_rclient_t *rc, const char *addr, const char *topic, int queues)
{
    rmq_create_topic_req_t h = {
        .topic = topic,
        .defaultTopic = "TBW102",
        .readQueueNums = queues,
        .writeQueueNums = queues,
        .perm = RMQ_PERM_READ | RMQ_PERM_WRITE,
        .topicFilterType = "SINGLE_TAG",
    };
    rmq_cmd_t *resp =
        it_call(rc, addr, it_request(RMQ_REQ_UPDATE_AND_CREATE_TOPIC, &rmq_create_topic_req_desc, &h));
    if (!resp)
        return -1;
    int code = resp->code;
    rmq_cmd_free(resp);
    return code;
}

bool it_wait_route_brokers(rmq_rclient_t *rc, const char *ns_addr, const char *topic,
                           size_t nbrokers, int timeout_ms)
{
    int64_t deadline = it_now_ms() + timeout_ms;
    for (int i = 0; i < timeout_ms / 50 + 2; i++) {
        rmq_topic_route_t route;
        memset(&route, 0, sizeof(route));
        if (it_get_route(rc, ns_addr, topic, &route) == 0) {
            size_t n = route.nqueue_datas;
            rmq_topic_route_free(&route);
            if (n == nbrokers)
                return true;
        }
        if (it_now_ms() >= deadline)
            break;
        it_sleep_ms(50);
    }
    return false;
}

int it_broker_pause(it_broker_proc_t *bp)
{
    if (bp->pid <= 0 || kill(bp->pid, SIGSTOP) != 0)
        return -1;
    bp->paused = true;
    return 0;
}

int it_broker_resume(it_broker_proc_t *bp)
{
    if (bp->pid <= 0 || !bp->paused)
        return -1;
    broker_unpause(bp);
    return 0;
}

int it_closed_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = 0};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(sa);
    int port = -1;
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
        getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
        port = ntohs(sa.sin_port);
    close(fd); /* never listened: connecting is refused */
    return port;
}

void it_msgs_free(it_msgs_t *msgs)
{
    for (size_t i = 0; i < msgs->n; i++) {
        free(msgs->v[i].body);
        free(msgs->v[i].props);
    }
    free(msgs->v);
    memset(msgs, 0, sizeof(*msgs));
}

static void msgs_add(it_msgs_t *msgs, const rmq_record_t *r)
{
    if (msgs->n == msgs->cap) {
        msgs->cap = msgs->cap ? msgs->cap * 2 : 64;
        msgs->v = rmq_realloc(msgs->v, msgs->cap * sizeof(*msgs->v));
    }
    it_msg_t *m = &msgs->v[msgs->n++];
    memset(m, 0, sizeof(*m));
    snprintf(m->topic, sizeof(m->topic), "%.*s", (int)r->topic_len, r->topic);
    m->queue_id = r->queue_id;
    m->queue_offset = r->queue_offset;
    m->phys_offset = r->phys_offset;
    m->sysflag = r->sysflag;
    m->flag = r->flag;
    m->born_timestamp = r->born_timestamp;
    m->store_timestamp = r->store_timestamp;
    m->born_host = r->born_host;
    m->store_host = r->store_host;
    m->body_len = (size_t)r->body_len;
    m->body = rmq_malloc(m->body_len ? m->body_len : 1);
    if (m->body_len)
        memcpy(m->body, r->body, m->body_len);
    m->props_len = (size_t)r->properties_len;
    m->props = rmq_malloc(m->props_len + 1);
    if (m->props_len)
        memcpy(m->props, r->properties, m->props_len);
    m->props[m->props_len] = '\0';
}

/* One PULL_MESSAGE: the response (caller frees) or NULL. */
static rmq_cmd_t *pull_once(rmq_rclient_t *rc, const char *addr, const char *topic, int32_t qid,
                            int64_t offset)
{
    rmq_pull_req_t h = {
        .consumerGroup = PULL_GROUP,
        .topic = topic,
        .queueId = qid,
        .queueOffset = offset,
        .maxMsgNums = PULL_BATCH,
        .sysFlag = RMQ_PULL_FLAG_SUBSCRIPTION,
        .subscription = "*",
        .expressionType = "TAG",
    };
    return it_call(rc, addr, it_request(RMQ_REQ_PULL_MESSAGE, &rmq_pull_req_desc, &h));
}

/* Appends the records of a FOUND body; the number added, or -1. */
static long add_records(const rmq_cmd_t *resp, it_msgs_t *out, size_t max_msgs)
{
    size_t pos = 0;
    long n = 0;
    while (pos < resp->body_len) {
        rmq_record_t r;
        rmq_record_status_t st = rmq_record_parse(resp->body + pos, resp->body_len - pos, true, &r);
        if (st != RMQ_RECORD_OK) {
            fprintf(stderr, "harness: record at byte %zu of a pull body does not parse (%d)\n", pos,
                    (int)st);
            return -1;
        }
        if (out->n >= max_msgs) {
            fprintf(stderr, "harness: more than %zu messages pulled\n", max_msgs);
            return -1;
        }
        msgs_add(out, &r);
        pos += (size_t)r.total_size;
        n++;
    }
    return n;
}

/* Every message of one queue; 1 when the queue id is past the topic's
 * queues, 0 when read, -1 on failure. */
static int pull_queue(rmq_rclient_t *rc, const char *addr, const char *topic, int32_t qid,
                      size_t max_msgs, it_msgs_t *out)
{
    int64_t offset = 0;
    /* every round trip but the last brings PULL_BATCH messages or more */
    for (size_t round = 0; round <= max_msgs / PULL_BATCH + 2; round++) {
        rmq_cmd_t *resp = pull_once(rc, addr, topic, qid, offset);
        if (!resp)
            return -1;
        int code = resp->code;
        if (code == ROCKETMQ_ERR_TOPIC_NOT_EXIST || (code == ROCKETMQ_ERR_SYSTEM_ERROR && qid > 0)) {
            rmq_cmd_free(resp);
            return 1;
        }
        rmq_pull_resp_t ph;
        char err[200];
        bool status = code == 0 || code == ROCKETMQ_ERR_PULL_NOT_FOUND ||
                      code == ROCKETMQ_ERR_PULL_RETRY_IMMEDIATELY ||
                      code == ROCKETMQ_ERR_PULL_OFFSET_MOVED;
        if (!status || rmq_header_decode(&rmq_pull_resp_desc, &resp->ext, &ph, err, sizeof(err))) {
            fprintf(stderr, "harness: pull %s queue %d offset %lld answered %d (%s)\n", topic,
                    (int)qid, (long long)offset, code, resp->remark ? resp->remark : "");
            rmq_cmd_free(resp);
            return -1;
        }
        long added = code == 0 ? add_records(resp, out, max_msgs) : 0;
        rmq_cmd_free(resp);
        if (added < 0)
            return -1;
        if (code == ROCKETMQ_ERR_PULL_NOT_FOUND || ph.nextBeginOffset <= offset)
            return 0;
        offset = ph.nextBeginOffset;
    }
    fprintf(stderr, "harness: %s queue %d holds more than %zu messages\n", topic, (int)qid, max_msgs);
    return -1;
}

int it_pull_all(rmq_rclient_t *rc, const char *addr, const char *topic, size_t max_msgs,
                it_msgs_t *out)
{
    for (int32_t qid = 0; qid < PULL_MAX_QUEUES; qid++) {
        int rc2 = pull_queue(rc, addr, topic, qid, max_msgs, out);
        if (rc2 != 0)
            return rc2 < 0 ? -1 : 0;
    }
    return 0;
}

long it_pull_wait(rmq_rclient_t *rc, const char *addr, const char *topic, size_t want,
                  int timeout_ms, it_msgs_t *out)
{
    int64_t deadline = it_now_ms() + timeout_ms;
    for (int i = 0; i < timeout_ms / 50 + 2; i++) {
        it_msgs_free(out);
        if (it_pull_all(rc, addr, topic, want + 10000, out) != 0)
            return -1;
        if (out->n >= want || it_now_ms() >= deadline)
            break;
        it_sleep_ms(50);
    }
    return (long)out->n;
}

const it_msg_t *it_msgs_find(const it_msgs_t *msgs, int32_t queue_id, int64_t queue_offset)
{
    for (size_t i = 0; i < msgs->n; i++)
        if (msgs->v[i].queue_id == queue_id && msgs->v[i].queue_offset == queue_offset)
            return &msgs->v[i];
    return NULL;
}

const it_msg_t *it_msgs_find_prop(const it_msgs_t *msgs, const char *name, const char *value)
{
    size_t vlen = strlen(value);
    for (size_t i = 0; i < msgs->n; i++) {
        const char *v;
        size_t n;
        if (rmq_props_find(msgs->v[i].props, msgs->v[i].props_len, name, &v, &n) && n == vlen &&
            memcmp(v, value, n) == 0)
            return &msgs->v[i];
    }
    return NULL;
}

char *it_msg_prop(const it_msg_t *m, const char *name)
{
    const char *v;
    size_t n;
    if (!rmq_props_find(m->props, m->props_len, name, &v, &n))
        return NULL;
    char *s = rmq_malloc(n + 1);
    memcpy(s, v, n);
    s[n] = '\0';
    return s;
}

/* Inflates a zlib stream (RFC 1950) of at most 64 MiB. */
static int inflate_all(const uint8_t *in, size_t n, uint8_t **out, size_t *outlen)
{
    size_t cap = n * 4 + 256, limit = (size_t)64 << 20;
    uint8_t *buf = rmq_malloc(cap);
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    if (inflateInit(&zs) != Z_OK) {
        free(buf);
        return -1;
    }
    zs.next_in = (Bytef *)in;
    zs.avail_in = (uInt)n;
    int rc = Z_OK;
    for (int i = 0; i < 64 && rc == Z_OK; i++) {
        if (zs.total_out == cap) {
            if (cap >= limit)
                break;
            cap *= 2;
            buf = rmq_realloc(buf, cap);
        }
        zs.next_out = buf + zs.total_out;
        zs.avail_out = (uInt)(cap - zs.total_out);
        rc = inflate(&zs, Z_NO_FLUSH);
        if (rc == Z_BUF_ERROR && zs.avail_out == 0)
            rc = Z_OK; /* more room needed */
    }
    size_t total = zs.total_out;
    inflateEnd(&zs);
    if (rc != Z_STREAM_END) {
        free(buf);
        return -1;
    }
    *out = buf;
    *outlen = total;
    return 0;
}

int it_msg_body(const it_msg_t *m, uint8_t **out, size_t *len)
{
    if (m->sysflag & RMQ_SYSFLAG_COMPRESSED)
        return inflate_all(m->body, m->body_len, out, len);
    *out = rmq_malloc(m->body_len ? m->body_len : 1);
    if (m->body_len)
        memcpy(*out, m->body, m->body_len);
    *len = m->body_len;
    return 0;
}

/* ---- running a tool ---- */

static void exec_append(char **buf, size_t *len, const char *p, size_t n)
{
    char *b = realloc(*buf, *len + n + 1);
    if (!b)
        abort();
    memcpy(b + *len, p, n);
    *len += n;
    b[*len] = '\0';
    *buf = b;
}

/* The environment without the two variables; built before fork, as the
 * child of a threaded parent may only make async-signal-safe calls. */
static char **exec_env(void)
{
    extern char **environ;
    size_t n = 0;
    while (environ[n])
        n++;
    char **env = calloc(n + 1, sizeof(char *));
    if (!env)
        abort();
    for (size_t i = 0, k = 0; i < n; i++)
        if (strncmp(environ[i], "NAMESRV_ADDR=", 13) != 0 &&
            strncmp(environ[i], "RMQ_LOG_LEVEL=", 14) != 0)
            env[k++] = environ[i];
    return env;
}

/* Reads both pipes until they close or the deadline passes. */
static void exec_collect(it_exec_t *r, int fd_out, int fd_err, int64_t deadline)
{
    size_t olen = 0, elen = 0;
    exec_append(&r->out, &olen, "", 0);
    exec_append(&r->err, &elen, "", 0);
    struct pollfd pfd[2] = {{fd_out, POLLIN, 0}, {fd_err, POLLIN, 0}};
    int open_fds = 2;
    while (open_fds > 0) {
        int64_t left = deadline - it_now_ms();
        if (left <= 0)
            break;
        int n = poll(pfd, 2, (int)(left < 200 ? left : 200));
        if (n < 0 && errno != EINTR)
            break;
        for (int i = 0; n > 0 && i < 2; i++) {
            if (pfd[i].fd < 0 || !(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            char buf[4096];
            ssize_t got = read(pfd[i].fd, buf, sizeof(buf));
            if (got > 0) {
                if (i == 0)
                    exec_append(&r->out, &olen, buf, (size_t)got);
                else
                    exec_append(&r->err, &elen, buf, (size_t)got);
            } else if (got == 0 || errno != EINTR) {
                close(pfd[i].fd);
                pfd[i].fd = -1;
                open_fds--;
            }
        }
    }
    for (int i = 0; i < 2; i++)
        if (pfd[i].fd >= 0)
            close(pfd[i].fd);
}

void it_exec(it_exec_t *r, const char *const *argv, int timeout_ms)
{
    memset(r, 0, sizeof(*r));
    char **env = exec_env();
    int out[2], err[2];
    if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0)
        abort();
    int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
    int64_t t0 = it_now_ms(), deadline = t0 + timeout_ms;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(devnull, 0);
        dup2(out[1], 1);
        dup2(err[1], 2);
        execve(argv[0], (char *const *)argv, env);
        _exit(127);
    }
    close(out[1]);
    close(err[1]);
    close(devnull);
    free(env);
    if (pid < 0)
        abort();
    exec_collect(r, out[0], err[0], deadline);
    int status = 0;
    pid_t w;
    while ((w = waitpid(pid, &status, WNOHANG)) == 0 && it_now_ms() < deadline)
        it_sleep_ms(5);
    if (w != pid) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        r->killed = true;
    }
    r->ms = it_now_ms() - t0;
    r->status = r->killed            ? -1
                : WIFEXITED(status)   ? WEXITSTATUS(status)
                : WIFSIGNALED(status) ? 128 + WTERMSIG(status)
                                      : -1;
}

void it_exec_free(it_exec_t *r)
{
    free(r->out);
    free(r->err);
    memset(r, 0, sizeof(*r));
}

void it_rmq_exec(it_exec_t *r, const char *const *args, int timeout_ms)
{
    const char *bin = getenv("RMQ_TOOL_BIN");
    if (!bin || !*bin) {
        fprintf(stderr, "harness: RMQ_TOOL_BIN is not set\n");
        abort();
    }
    const char *argv[IT_RMQ_MAX_ARGS + 2];
    size_t n = 0;
    argv[n++] = bin;
    for (size_t i = 0; args[i]; i++) {
        if (n > IT_RMQ_MAX_ARGS) {
            fprintf(stderr, "harness: more than %d arguments for rmq\n", IT_RMQ_MAX_ARGS);
            abort();
        }
        argv[n++] = args[i];
    }
    argv[n] = NULL;
    it_exec(r, argv, timeout_ms);
}
