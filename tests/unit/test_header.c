/* Typed headers <-> extFields (protocol/header.c) on the name-server headers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "protocol/codes.h"
#include "protocol/namesrv_headers.h"
#include "rocketmq/error.h"

static void register_round_trip(void **state)
{
    (void)state;
    rmq_register_broker_req_t in = {
        .brokerName = "broker-a",
        .brokerAddr = "10.0.0.1:10911",
        .clusterName = "DefaultCluster",
        .haServerAddr = "10.0.0.1:10912",
        .brokerId = 1,
        .compressed = true,
        .bodyCrc32 = 12345,
        .has_bodyCrc32 = true,
    };
    rmq_ext_t ext;
    rmq_ext_init(&ext);
    rmq_header_encode(&rmq_register_broker_req_desc, &in, &ext);
    assert_string_equal(rmq_ext_get(&ext, "brokerId"), "1");
    assert_string_equal(rmq_ext_get(&ext, "compressed"), "true");
    assert_string_equal(rmq_ext_get(&ext, "bodyCrc32"), "12345");
    /* absent optional boxed value: not written */
    assert_null(rmq_ext_get(&ext, "heartbeatTimeoutMillis"));

    rmq_register_broker_req_t out;
    char err[128];
    assert_int_equal(rmq_header_decode(&rmq_register_broker_req_desc, &ext, &out, err, sizeof(err)),
                     0);
    assert_string_equal(out.brokerName, "broker-a");
    assert_string_equal(out.haServerAddr, "10.0.0.1:10912");
    assert_int_equal(out.brokerId, 1);
    assert_true(out.compressed);
    assert_true(out.has_bodyCrc32);
    assert_int_equal(out.bodyCrc32, 12345);
    assert_false(out.has_heartbeatTimeoutMillis);
    rmq_ext_free(&ext);
}

static void missing_and_invalid_fields(void **state)
{
    (void)state;
    rmq_ext_t ext;
    rmq_ext_init(&ext);
    rmq_ext_set(&ext, "brokerName", "b");
    rmq_ext_set(&ext, "brokerAddr", "a:1");
    rmq_ext_set(&ext, "clusterName", "c");
    rmq_broker_ident_req_t h;
    char err[128];
    assert_int_equal(rmq_header_decode(&rmq_broker_ident_req_desc, &ext, &h, err, sizeof(err)),
                     ROCKETMQ_ERR__PROTOCOL);
    /* Java's message for a missing @CFNotNull field */
    assert_string_equal(err, "the custom field <brokerId> is null");
    rmq_ext_set(&ext, "brokerId", "zero");
    assert_int_equal(rmq_header_decode(&rmq_broker_ident_req_desc, &ext, &h, err, sizeof(err)),
                     ROCKETMQ_ERR__PROTOCOL);
    assert_non_null(strstr(err, "brokerId"));
    rmq_ext_set(&ext, "brokerId", "0");
    assert_int_equal(rmq_header_decode(&rmq_broker_ident_req_desc, &ext, &h, err, sizeof(err)), 0);
    assert_int_equal(h.brokerId, 0);
    rmq_ext_free(&ext);
}

static void booleans_like_java(void **state)
{
    (void)state;
    rmq_ext_t ext;
    rmq_ext_init(&ext);
    rmq_ext_set(&ext, "topic", "T");
    rmq_get_route_req_t h;
    char err[128];
    assert_int_equal(rmq_header_decode(&rmq_get_route_req_desc, &ext, &h, err, sizeof(err)), 0);
    assert_false(h.has_acceptStandardJsonOnly);
    /* Boolean.parseBoolean: "TRUE" is true, anything but "true" is false */
    rmq_ext_set(&ext, "acceptStandardJsonOnly", "TRUE");
    assert_int_equal(rmq_header_decode(&rmq_get_route_req_desc, &ext, &h, err, sizeof(err)), 0);
    assert_true(h.has_acceptStandardJsonOnly);
    assert_true(h.acceptStandardJsonOnly);
    rmq_ext_set(&ext, "acceptStandardJsonOnly", "yes");
    assert_int_equal(rmq_header_decode(&rmq_get_route_req_desc, &ext, &h, err, sizeof(err)), 0);
    assert_false(h.acceptStandardJsonOnly);
    rmq_ext_free(&ext);
}

static void code_names(void **state)
{
    (void)state;
    assert_string_equal(rmq_request_code_name(RMQ_REQ_GET_ROUTEINFO_BY_TOPIC),
                        "GET_ROUTEINFO_BY_TOPIC");
    assert_int_equal(RMQ_REQ_REGISTER_BROKER, 103);
    assert_int_equal(RMQ_REQ_SEND_MESSAGE_V2, 310);
    assert_null(rmq_request_code_name(9999));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(register_round_trip),
        cmocka_unit_test(missing_and_invalid_fields),
        cmocka_unit_test(booleans_like_java),
        cmocka_unit_test(code_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
