/* Crash safety of a SYNC_FLUSH broker: two sender threads send numbered
 * messages and record those the broker answered SUCCESS (with SYNC_FLUSH that
 * means "on disk"); the broker is killed with SIGKILL mid-stream, restarted
 * on the same store, and every acknowledged message must be pullable at the
 * queue offset its send response named, intact. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"
#include "base/time.h"
#include "protocol/codes.h"
#include "protocol/heartbeat.h"
#include "protocol/pull_headers.h"
#include "protocol/send_headers.h"
#include "rocketmq/error.h"
#include "protocol/record.h"

#define TOPIC "TopicCrash"
#define QUEUES 4
#define SENDERS 2
#define MAX_SENDS 200000 /* per sender: a bound, never reached in 1 s */
#define RUN_MS 1000
#define SEND_TIMEOUT_MS 3000
#define MAX_RECORDS 64

typedef struct ack {
    int32_t queue_id;
    int64_t queue_offset;
} ack_t;

typedef struct sender {
    int id;
    const char *addr;
    rmq_rclient_t *rc;
    atomic_bool *stop;
    ack_t *acks; /* by sequence number; queue_offset -1 when not acknowledged */
    int sent;
    int acked;
    int failed;
} sender_t;

typedef struct fixture {
    it_namesrv_t ns;
    it_broker_proc_t br;
    rmq_rclient_t *rc;
} fixture_t;

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof(*f));
    if (!f)
        return -1;
    f->br.out_fd = f->ns.out_fd = -1;
    if (it_namesrv_start(&f->ns, NULL) != 0 ||
        it_broker_start(&f->br, f->ns.addr, "SYNC_FLUSH", NULL) != 0) {
        it_broker_cleanup(&f->br);
        it_namesrv_cleanup(&f->ns);
        free(f);
        return -1;
    }
    f->rc = rmq_rclient_new(NULL, NULL);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    rmq_rclient_destroy(f->rc);
    int status = it_stop_broker_and_namesrv(&f->br, &f->ns);
    free(f);
    assert_int_equal(status, 0);
    return 0;
}


static void body_of(int sender, int seq, char *out, size_t n)
{
    snprintf(out, n, "sender-%d seq-%07d crash-test payload", sender, seq);
}

static rmq_cmd_t *send_request(int sender, int seq, int32_t queue_id)
{
    char body[64], key[32];
    body_of(sender, seq, body, sizeof(body));
    snprintf(key, sizeof(key), "KEYS\001k-%d-%d", sender, seq);
    rmq_send_req_t h = {
        .producerGroup = "PG_CRASH",
        .topic = TOPIC,
        .defaultTopic = "TBW102",
        .defaultTopicQueueNums = 4,
        .queueId = queue_id,
        .bornTimestamp = rmq_now_ms(),
        .properties = key,
    };
    rmq_cmd_t *req = it_request(RMQ_REQ_SEND_MESSAGE_V2, &rmq_send_req_v2_desc, &h);
    rmq_cmd_set_body(req, body, strlen(body));
    return req;
}

/* Sends until told to stop or until the broker is gone; each sender owns
 * queues 2 * id and 2 * id + 1. */
static void *sender_main(void *arg)
{
    sender_t *s = arg;
    for (int seq = 0; seq < MAX_SENDS && !atomic_load(s->stop); seq++) {
        int32_t qid = (int32_t)(2 * s->id + seq % 2);
        rmq_cmd_t *resp = NULL;
        s->sent++;
        int err = rmq_rclient_invoke_sync(s->rc, s->addr, send_request(s->id, seq, qid),
                                          SEND_TIMEOUT_MS, &resp);
        if (err == 0 && resp->code == 0) {
            rmq_send_resp_t h;
            char e[128];
            if (rmq_header_decode(&rmq_send_resp_desc, &resp->ext, &h, e, sizeof(e)) == 0 &&
                h.queueId == qid) {
                s->acks[seq].queue_id = qid;
                s->acks[seq].queue_offset = h.queueOffset;
                s->acked++;
            }
        } else {
            s->failed++;
            if (s->failed > 20) /* the broker is gone */
                break;
        }
        rmq_cmd_free(resp);
    }
    return NULL;
}

static void create_topic(fixture_t *f)
{
    rmq_create_topic_req_t h = {.topic = TOPIC, .defaultTopic = "TBW102", .readQueueNums = QUEUES,
                                .writeQueueNums = QUEUES, .perm = RMQ_PERM_READ | RMQ_PERM_WRITE,
                                .topicFilterType = "SINGLE_TAG"};
    rmq_cmd_t *resp = it_call(f->rc, f->br.addr,
                              it_request(RMQ_REQ_UPDATE_AND_CREATE_TOPIC,
                                         &rmq_create_topic_req_desc, &h));
    assert_non_null(resp);
    assert_int_equal(resp->code, 0);
    rmq_cmd_free(resp);
}

/* Pulls queue qid from 0 until PULL_NOT_FOUND, checking every record and
 * marking the acknowledged ones found; returns the number of records. */
static int64_t pull_all(fixture_t *f, int32_t qid, sender_t *senders)
{
    int64_t offset = 0, count = 0;
    for (int round = 0; round < 100000; round++) {
        rmq_pull_req_t h = {.consumerGroup = "CG_CRASH", .topic = TOPIC, .queueId = qid,
                            .queueOffset = offset, .maxMsgNums = 32,
                            .sysFlag = RMQ_PULL_FLAG_SUBSCRIPTION, .subscription = "*",
                            .expressionType = "TAG"};
        rmq_cmd_t *resp = it_call(f->rc, f->br.addr,
                                  it_request(RMQ_REQ_PULL_MESSAGE, &rmq_pull_req_desc, &h));
        assert_non_null(resp);
        if (resp->code == ROCKETMQ_ERR_PULL_NOT_FOUND) {
            rmq_cmd_free(resp);
            return count;
        }
        if (resp->code != 0)
            fail_msg("pull of queue %d at %lld answered %d (%s)", (int)qid, (long long)offset,
                     resp->code, resp->remark ? resp->remark : "");
        size_t pos = 0;
        while (pos < resp->body_len) {
            rmq_record_t r;
            if (rmq_record_parse(resp->body + pos, resp->body_len - pos, true, &r) != RMQ_RECORD_OK)
                fail_msg("queue %d: a record at byte %zu does not parse", (int)qid, pos);
            pos += (size_t)r.total_size;
            assert_int_equal(r.queue_offset, offset);
            int sender, seq;
            char body[80];
            snprintf(body, sizeof(body), "%.*s", (int)r.body_len, (const char *)r.body);
            if (sscanf(body, "sender-%d seq-%d", &sender, &seq) != 2 || sender < 0 ||
                sender >= SENDERS || seq < 0 || seq >= MAX_SENDS)
                fail_msg("queue %d offset %lld: unexpected body '%s'", (int)qid,
                         (long long)offset, body);
            char want[64];
            body_of(sender, seq, want, sizeof(want));
            assert_string_equal(body, want);
            ack_t *a = &senders[sender].acks[seq];
            /* An acknowledged message sits exactly where the broker said. */
            if (a->queue_offset >= 0) {
                assert_int_equal(a->queue_id, qid);
                assert_int_equal(a->queue_offset, offset);
                a->queue_offset = -2; /* found (and so never twice) */
            }
            offset++;
            count++;
        }
        rmq_cmd_free(resp);
    }
    fail_msg("queue %d: too many pulls", (int)qid);
    return count;
}

static void test_acknowledged_messages_survive_kill(void **state)
{
    fixture_t *f = *state;
    create_topic(f);
    atomic_bool stop;
    atomic_init(&stop, false);
    sender_t s[SENDERS];
    pthread_t t[SENDERS];
    for (int i = 0; i < SENDERS; i++) {
        s[i] = (sender_t){.id = i, .addr = f->br.addr, .rc = rmq_rclient_new(NULL, NULL),
                          .stop = &stop, .acks = calloc(MAX_SENDS, sizeof(ack_t))};
        assert_non_null(s[i].acks);
        for (int j = 0; j < MAX_SENDS; j++)
            s[i].acks[j].queue_offset = -1;
        assert_int_equal(pthread_create(&t[i], NULL, sender_main, &s[i]), 0);
    }
    it_sleep_ms(RUN_MS);
    assert_int_equal(it_broker_kill(&f->br), 0);
    atomic_store(&stop, true);
    /* Each sender's last call ends by failure within SEND_TIMEOUT_MS. */
    for (int i = 0; i < SENDERS; i++) {
        pthread_join(t[i], NULL);
        rmq_rclient_destroy(s[i].rc);
    }
    int acked = s[0].acked + s[1].acked;
    print_message("sent %d + %d, acknowledged %d + %d before the kill\n", s[0].sent, s[1].sent,
                  s[0].acked, s[1].acked);
    assert_true(acked >= 20);

    assert_int_equal(it_broker_restart(&f->br), 0);
    int64_t total = 0, counts[QUEUES];
    for (int32_t q = 0; q < QUEUES; q++) {
        counts[q] = pull_all(f, q, s);
        total += counts[q];
    }
    assert_true(total >= acked);
    int missing = 0;
    for (int i = 0; i < SENDERS; i++)
        for (int j = 0; j < MAX_SENDS; j++)
            if (s[i].acks[j].queue_offset >= 0) {
                if (missing < 10)
                    print_error("sender %d seq %d (queue %d offset %lld) was lost\n", i, j,
                                (int)s[i].acks[j].queue_id, (long long)s[i].acks[j].queue_offset);
                missing++;
            }
    for (int i = 0; i < SENDERS; i++)
        free(s[i].acks);
    if (missing > 0)
        fail_msg("%d acknowledged messages lost", missing);

    /* The recovered broker takes new messages after the recovered ones. */
    rmq_cmd_t *resp = it_call(f->rc, f->br.addr, send_request(0, MAX_SENDS - 1, 0));
    assert_non_null(resp);
    assert_int_equal(resp->code, 0);
    rmq_send_resp_t h;
    char e[128];
    assert_int_equal(rmq_header_decode(&rmq_send_resp_desc, &resp->ext, &h, e, sizeof(e)), 0);
    rmq_cmd_free(resp);
    assert_int_equal(h.queueOffset, counts[0]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_acknowledged_messages_survive_kill, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
