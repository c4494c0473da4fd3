/* Integration-test harness: runs the real rmq-namesrv binary ($RMQ_NAMESRV_BIN)
 * and rmq-broker binary ($RMQ_BROKER_BIN) as child processes on free loopback
 * ports, and talks to them through the remoting client or through raw sockets.
 *
 * The servers log to stderr at RMQ_LOG_LEVEL, warn unless the environment
 * sets it (RMQ_LOG_LEVEL=info shows each registration and removal).
 *
 * Every wait here is bounded in time and in iterations, so a hung or crashed
 * server fails a test instead of hanging the suite. */
#ifndef RMQ_IT_HARNESS_H
#define RMQ_IT_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "protocol/bodies.h"
#include "protocol/header.h"
#include "protocol/record.h"
#include "remoting/client.h"
#include "remoting/command.h"

/* Timeout of one request through the remoting client. */
#define IT_CALL_TIMEOUT_MS 3000

typedef struct it_namesrv {
    pid_t pid;      /* 0 when not running */
    int port;
    char addr[32];  /* "127.0.0.1:<port>" */
    char dir[64];   /* temp dir holding the config and the KV file */
    char kv_path[128];
    int out_fd;     /* read end of the server's stdout; -1 when closed */
} it_namesrv_t;

/* Starts a name server in a fresh temp dir under /tmp.  extra: NULL or more
 * "key=value" lines for its config file (newline-separated).  Returns 0, or -1
 * (message on stderr) if it did not report booting within 10 s. */
int it_namesrv_start(it_namesrv_t *ns, const char *extra);
/* Starts it again in the same dir, so with the same kvConfigPath; the port
 * changes.  The previous process must have been stopped. */
int it_namesrv_restart(it_namesrv_t *ns, const char *extra);
/* SIGTERM to that pid, up to 5 s to exit, then SIGKILL.  Returns the exit code,
 * 128 + signal number if a signal ended it, or -1 if it could not be reaped. */
int it_namesrv_stop(it_namesrv_t *ns);
/* Stops it if still running (status ignored) and removes its temp dir. */
void it_namesrv_cleanup(it_namesrv_t *ns);
/* True while the process exists (kill(pid, 0) == 0). */
bool it_namesrv_alive(const it_namesrv_t *ns);

/* ---- the broker process ($RMQ_BROKER_BIN) ----
 *
 * Runs in a fresh temp dir under /tmp holding broker.conf and the store
 * (store/), on a free loopback port read from its boot line.  The config has
 * brokerClusterName=DefaultCluster, brokerName=broker-a,
 * brokerIP1=bindAddress=127.0.0.1, namesrvAddr, storePathRootDir and small
 * segments (1 MiB commit log files, 300-entry consume queue files, small
 * index files); the caller picks flushDiskType and may add lines. */

#define IT_BROKER_CLUSTER "DefaultCluster"
#define IT_BROKER_NAME "broker-a"

typedef struct it_broker_proc {
    pid_t pid;      /* 0 when not running */
    int port;
    char addr[32];  /* "127.0.0.1:<port>" */
    char dir[64];   /* temp dir: broker.conf and store/ */
    char store[96]; /* storePathRootDir */
    int out_fd;     /* read end of the broker's stdout; -1 when closed */
    bool paused;    /* SIGSTOPped by it_broker_pause */
} it_broker_proc_t;

/* Starts a broker registering with namesrv_addr (may be NULL: none).
 * flush_disk_type: "ASYNC_FLUSH" or "SYNC_FLUSH" (NULL: ASYNC_FLUSH).  extra:
 * NULL or more "key=value" lines (newline-separated), written after the
 * defaults so they override them.  Returns 0, or -1 (message on stderr) if
 * it did not report booting within 10 s. */
int it_broker_start(it_broker_proc_t *bp, const char *namesrv_addr, const char *flush_disk_type,
                    const char *extra);
/* Starts it again on the same dir and config file (so the same store); the
 * port changes.  The previous process must have been stopped or killed. */
int it_broker_restart(it_broker_proc_t *bp);
/* SIGTERM, up to 10 s to exit, then SIGKILL.  Returns the exit code, 128 +
 * signal number if a signal ended it, or -1 if it could not be reaped. */
int it_broker_stop(it_broker_proc_t *bp);
/* SIGKILL (a crash: no shutdown work) and reap.  Returns 0 or -1. */
int it_broker_kill(it_broker_proc_t *bp);
/* Stops it if still running (status ignored) and removes its temp dir. */
void it_broker_cleanup(it_broker_proc_t *bp);
/* Stops the broker first (it unregisters from the running name server), then
 * the name server, and removes both dirs.  Returns 0 when both exited 0 on
 * SIGTERM (under ASan a leak makes the exit code non-zero). */
int it_stop_broker_and_namesrv(it_broker_proc_t *bp, it_namesrv_t *ns);
bool it_broker_alive(const it_broker_proc_t *bp);

/* A request with hdr (may be NULL) encoded into its extFields. */
rmq_cmd_t *it_request(int32_t code, const rmq_header_desc_t *d, const void *hdr);
/* Sends req (consumed) and waits up to IT_CALL_TIMEOUT_MS.  Returns the
 * response (caller frees) or NULL on timeout or transport failure. */
/* Serialization it_call gives every request: -1 (default) leaves each
 * request's own, RMQ_SERIALIZE_JSON / RMQ_SERIALIZE_ROCKETMQ force one.  When
 * forced, a response in another serialization is reported as a failure. */
extern int it_force_serialize;
rmq_cmd_t *it_call(rmq_rclient_t *rc, const char *addr, rmq_cmd_t *req);
/* The same with its own timeout. */
rmq_cmd_t *it_call_timeout(rmq_rclient_t *rc, const char *addr, rmq_cmd_t *req, int timeout_ms);
/* The response body as a NUL-terminated copy (caller frees); "" if none. */
char *it_body_str(const rmq_cmd_t *resp);

/* A broker identity and its topics, for REGISTER_BROKER. */
typedef struct it_broker {
    const char *cluster;
    const char *name;
    const char *addr;
    const char *ha_addr;
    int64_t id;
} it_broker_t;

typedef struct it_topic {
    const char *name;
    int32_t queues; /* read and write */
    int32_t perm;
} it_topic_t;

/* Fills body with the topics and data version {timestamp fixed, counter}. */
void it_body_init(rmq_register_broker_body_t *body, const it_topic_t *topics, size_t n,
                  int64_t counter);
/* REGISTER_BROKER request with the JSON body of those topics. */
rmq_cmd_t *it_register_request(const it_broker_t *b, const it_topic_t *topics, size_t n,
                               int64_t counter);
/* Registers and returns the response (NULL on transport failure). */
rmq_cmd_t *it_register(rmq_rclient_t *rc, const char *addr, const it_broker_t *b,
                       const it_topic_t *topics, size_t n, int64_t counter);

/* GET_ROUTEINFO_BY_TOPIC: returns the response code (or -1 when no answer)
 * and, on 0, the decoded route in *route (caller frees with
 * rmq_topic_route_free); route may be NULL. */
int it_get_route(rmq_rclient_t *rc, const char *addr, const char *topic,
                 rmq_topic_route_t *route);
/* Polls the route of topic every 50 ms until its response code is want or
 * timeout_ms passed.  Returns true when reached. */
bool it_wait_route_code(rmq_rclient_t *rc, const char *addr, const char *topic, int want,
                        int timeout_ms);

/* Raw sockets: a blocking TCP connection to 127.0.0.1:port, or -1. */
int it_raw_connect(int port);
/* Sends all n bytes (no SIGPIPE).  Returns 0 or -1. */
int it_raw_send(int fd, const void *p, size_t n);
/* Waits up to timeout_ms for the peer to close: recv returning 0 or failing
 * with ECONNRESET.  Bytes received meanwhile are discarded.  Returns true if
 * it closed. */
bool it_raw_wait_closed(int fd, int timeout_ms);

/* Reads one command off a raw connection: bytes accumulate in *in (which
 * keeps whatever follows the frame) until a whole frame is there, for up to
 * timeout_ms.  Returns the decoded command (caller frees) or NULL on timeout,
 * close or a malformed frame. */
rmq_cmd_t *it_raw_read_cmd(int fd, rmq_buf_t *in, int timeout_ms);

/* ---- producer tests: topics, pausing a broker, reading messages back ---- */

/* UPDATE_AND_CREATE_TOPIC on the broker at addr: queues read and write
 * queues, read+write permission.  Returns the response code, -1 when no
 * answer.  The broker registers the topic with its name servers at once. */
int it_create_topic(rmq_rclient_t *rc, const char *addr, const char *topic, int queues);
/* Polls the route of topic at the name server every 50 ms until it lists
 * exactly nbrokers brokers with queue data, or timeout_ms passed. */
bool it_wait_route_brokers(rmq_rclient_t *rc, const char *ns_addr, const char *topic,
                           size_t nbrokers, int timeout_ms);
/* SIGSTOP / SIGCONT to the broker's pid (a hung broker: its connections
 * stay open and nothing is answered).  Returns 0 or -1 (resume: -1 unless
 * paused).  it_broker_stop continues a paused broker before its SIGTERM
 * (SIGKILL needs no help); no running process is ever sent SIGCONT. */
int it_broker_pause(it_broker_proc_t *bp);
int it_broker_resume(it_broker_proc_t *bp);
/* A loopback port nobody listens on (bound, then closed): a dead server. */
int it_closed_port(void);

/* One stored message as PULL_MESSAGE returned it (the commit-log record). */
typedef struct it_msg {
    char topic[128];
    int32_t queue_id;
    int64_t queue_offset;
    int64_t phys_offset;
    int32_t sysflag;
    int32_t flag;
    int64_t born_timestamp;
    int64_t store_timestamp;
    rmq_host_t born_host;
    rmq_host_t store_host;
    uint8_t *body; /* as stored: compressed when sysflag bit 0 is set */
    size_t body_len;
    char *props;   /* the properties string, NUL-terminated */
    size_t props_len;
} it_msg_t;

typedef struct it_msgs {
    it_msg_t *v;
    size_t n, cap;
} it_msgs_t;

/* Pulls every message of topic from the broker at addr: each queue from
 * offset 0 (queue ids from 0 up until the broker calls the id illegal) 32
 * at a time until the broker has no more, at most max_msgs in all.  The
 * records are parsed (CRC checked) and appended to out in queue order.
 * Returns 0 (a topic the broker does not have reads as empty), or -1 with a
 * message on stderr (no answer, an unexpected code, an unparsable body). */
int it_pull_all(rmq_rclient_t *rc, const char *addr, const char *topic, size_t max_msgs,
                it_msgs_t *out);
/* it_pull_all repeated every 50 ms until at least want messages are there
 * (a send is answered before its consume-queue entry is written) or
 * timeout_ms passed.  out holds the last pass.  Returns its count, or -1. */
long it_pull_wait(rmq_rclient_t *rc, const char *addr, const char *topic, size_t want,
                  int timeout_ms, it_msgs_t *out);
void it_msgs_free(it_msgs_t *msgs);
/* The message at (queue_id, queue_offset), or NULL. */
const it_msg_t *it_msgs_find(const it_msgs_t *msgs, int32_t queue_id, int64_t queue_offset);
/* The message whose property name has value, or NULL (the first one). */
const it_msg_t *it_msgs_find_prop(const it_msgs_t *msgs, const char *name, const char *value);
/* A property of m as a new string (caller frees), NULL when absent. */
char *it_msg_prop(const it_msg_t *m, const char *name);
/* The body as the producer had it: inflated (zlib) when sysflag bit 0 is
 * set, else a copy.  Returns 0 with *out (caller frees), or -1. */
int it_msg_body(const it_msg_t *m, uint8_t **out, size_t *len);

/* Milliseconds on the monotonic clock. */
int64_t it_now_ms(void);
void it_sleep_ms(int ms);

/* ---- running a tool (the rmq binary) ----
 *
 * Runs argv[0] with argv (NULL-terminated), stdin from /dev/null, without
 * NAMESRV_ADDR and RMQ_LOG_LEVEL in its environment (so -n and the one-line
 * errors are what the tests see), for up to timeout_ms; collects stdout and
 * stderr.  status: the exit code, 128 + the signal, or -1 when it had to be
 * killed at the deadline (by its pid). */
typedef struct it_exec {
    int status;
    bool killed;
    char *out; /* NUL-terminated, never NULL after it_exec */
    char *err;
    int64_t ms;
} it_exec_t;

void it_exec(it_exec_t *r, const char *const *argv, int timeout_ms);
void it_exec_free(it_exec_t *r);
/* it_exec of the rmq binary ($RMQ_TOOL_BIN) with args (NULL-terminated, the
 * subcommand and its flags); aborts the test when RMQ_TOOL_BIN is not set or
 * there are more than IT_RMQ_MAX_ARGS args. */
#define IT_RMQ_MAX_ARGS 48
void it_rmq_exec(it_exec_t *r, const char *const *args, int timeout_ms);

#endif
