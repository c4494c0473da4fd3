#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/config.h"

typedef struct test_conf {
    int32_t listen_port;
    int32_t threads;
    int64_t max_bytes;
    int64_t offset;
    bool order;
    bool cluster_test;
    char *home;
    char *kv_path;
    char *cluster;
} test_conf_t;

#define OFF(f) offsetof(test_conf_t, f)

static const rmq_conf_def_t g_defs[] = {
    {"listenPort", RMQ_CONF_INT, OFF(listen_port), "9876", 1, 65535, "Port the server listens on."},
    {"serverWorkerThreads", RMQ_CONF_INT, OFF(threads), "8", 0, 0, "Worker threads."},
    {"maxBytes", RMQ_CONF_LONG, OFF(max_bytes), "1073741824", 1024, INT64_MAX, "Largest | size."},
    {"offset", RMQ_CONF_LONG, OFF(offset), "-5", 0, 0, "Any 64-bit value."},
    {"orderMessageEnable", RMQ_CONF_BOOL, OFF(order), "false", 0, 0, "Order messages."},
    {"clusterTest", RMQ_CONF_BOOL, OFF(cluster_test), "TRUE", 0, 0, "Cluster test mode."},
    {"rocketmqHome", RMQ_CONF_STRING, OFF(home), NULL, 0, 0, "Install directory."},
    {"kvConfigPath", RMQ_CONF_STRING, OFF(kv_path), "~/namesrv/kvConfig.json", 0, 0,
     "KV config file."},
    {"brokerClusterName", RMQ_CONF_STRING, OFF(cluster), "DefaultCluster", 0, 0, NULL},
    {NULL, 0, 0, NULL, 0, 0, NULL},
};

static char g_home[] = "/home/tester";

static int setup(void **state)
{
    (void)state;
    /* Pin HOME so "~/" expansion is predictable. */
    setenv("HOME", g_home, 1);
    return 0;
}

static void test_defaults(void **state)
{
    (void)state;
    test_conf_t c;
    memset(&c, 0xAB, sizeof(c)); /* defaults must not read or free what is there */
    rmq_conf_defaults(g_defs, &c);
    assert_int_equal(c.listen_port, 9876);
    assert_int_equal(c.threads, 8);
    assert_int_equal(c.max_bytes, 1073741824);
    assert_int_equal(c.offset, -5);
    assert_false(c.order);
    assert_true(c.cluster_test);
    assert_null(c.home);
    assert_string_equal(c.kv_path, "/home/tester/namesrv/kvConfig.json");
    assert_string_equal(c.cluster, "DefaultCluster");
    rmq_conf_free(g_defs, &c);
    assert_null(c.kv_path);
    assert_null(c.cluster);
    assert_null(c.home);
}

static void test_set_valid(void **state)
{
    (void)state;
    test_conf_t c;
    rmq_conf_defaults(g_defs, &c);
    char err[256] = "";
    assert_int_equal(rmq_conf_set(g_defs, &c, "listenPort", "10911", err, sizeof(err)),
                     RMQ_CONF_OK);
    assert_int_equal(c.listen_port, 10911);
    assert_int_equal(rmq_conf_set(g_defs, &c, "listenPort", "+1", err, sizeof(err)), RMQ_CONF_OK);
    assert_int_equal(c.listen_port, 1);
    assert_int_equal(rmq_conf_set(g_defs, &c, "listenPort", "65535", err, sizeof(err)),
                     RMQ_CONF_OK);
    assert_int_equal(c.listen_port, 65535);
    assert_int_equal(rmq_conf_set(g_defs, &c, "serverWorkerThreads", "-2147483648", err,
                                  sizeof(err)),
                     RMQ_CONF_OK);
    assert_int_equal(c.threads, INT32_MIN);
    assert_int_equal(rmq_conf_set(g_defs, &c, "offset", "-9223372036854775808", err, sizeof(err)),
                     RMQ_CONF_OK);
    assert_true(c.offset == INT64_MIN);
    assert_int_equal(rmq_conf_set(g_defs, &c, "offset", "9223372036854775807", err, sizeof(err)),
                     RMQ_CONF_OK);
    assert_true(c.offset == INT64_MAX);
    assert_int_equal(rmq_conf_set(g_defs, &c, "maxBytes", "1024", err, sizeof(err)), RMQ_CONF_OK);
    assert_int_equal(c.max_bytes, 1024);
    assert_int_equal(rmq_conf_set(g_defs, &c, "orderMessageEnable", "True", err, sizeof(err)),
                     RMQ_CONF_OK);
    assert_true(c.order);
    assert_int_equal(rmq_conf_set(g_defs, &c, "clusterTest", "fAlSe", err, sizeof(err)),
                     RMQ_CONF_OK);
    assert_false(c.cluster_test);
    assert_int_equal(rmq_conf_set(g_defs, &c, "rocketmqHome", "/opt/rmq", err, sizeof(err)),
                     RMQ_CONF_OK);
    assert_string_equal(c.home, "/opt/rmq");
    /* Replacing a string frees the old one (checked by ASan/valgrind). */
    assert_int_equal(rmq_conf_set(g_defs, &c, "brokerClusterName", "  c1\t", err, sizeof(err)),
                     RMQ_CONF_OK);
    assert_string_equal(c.cluster, "c1");
    assert_int_equal(rmq_conf_set(g_defs, &c, "brokerClusterName", "", err, sizeof(err)),
                     RMQ_CONF_OK);
    assert_string_equal(c.cluster, "");
    assert_string_equal(err, "");
    rmq_conf_free(g_defs, &c);
}

static void expect_invalid(test_conf_t *c, const char *name, const char *value, const char *want)
{
    char err[256] = "";
    test_conf_t before;
    memcpy(&before, c, sizeof(before));
    assert_int_equal(rmq_conf_set(g_defs, c, name, value, err, sizeof(err)), RMQ_CONF_INVALID);
    assert_string_equal(err, want);
    /* A rejected value leaves the field alone. */
    assert_memory_equal(&before, c, sizeof(before));
}

static void test_int_errors(void **state)
{
    (void)state;
    test_conf_t c;
    rmq_conf_defaults(g_defs, &c);
    expect_invalid(&c, "listenPort", "0",
                   "invalid value '0' for listenPort: out of range [1, 65535]");
    expect_invalid(&c, "listenPort", "65536",
                   "invalid value '65536' for listenPort: out of range [1, 65535]");
    expect_invalid(&c, "listenPort", "-1",
                   "invalid value '-1' for listenPort: out of range [1, 65535]");
    expect_invalid(&c, "listenPort", "abc",
                   "invalid value 'abc' for listenPort: not a decimal integer "
                   "(allowed range [1, 65535])");
    const char *malformed[] = {"", "+", "-", "12x", " 12", "12 ", "0x10", "1e3", "1.0", "--1"};
    for (size_t i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++) {
        char err[256] = "";
        assert_int_equal(rmq_conf_set(g_defs, &c, "listenPort", malformed[i], err, sizeof(err)),
                         RMQ_CONF_INVALID);
        assert_non_null(strstr(err, "not a decimal integer"));
    }
    assert_int_equal(c.listen_port, 9876);

    /* Unbounded int rows are still limited to what an int32_t holds. */
    expect_invalid(&c, "serverWorkerThreads", "2147483648",
                   "invalid value '2147483648' for serverWorkerThreads: out of range "
                   "[-2147483648, 2147483647]");
    expect_invalid(&c, "maxBytes", "1023",
                   "invalid value '1023' for maxBytes: out of range [1024, 9223372036854775807]");
    /* Beyond int64_t is malformed rather than wrapped. */
    expect_invalid(&c, "offset", "9223372036854775808",
                   "invalid value '9223372036854775808' for offset: not a decimal integer "
                   "(allowed range [-9223372036854775808, 9223372036854775807])");
    expect_invalid(&c, "offset", "-9223372036854775809",
                   "invalid value '-9223372036854775809' for offset: not a decimal integer "
                   "(allowed range [-9223372036854775808, 9223372036854775807])");
    expect_invalid(&c, "offset", "99999999999999999999999",
                   "invalid value '99999999999999999999999' for offset: not a decimal integer "
                   "(allowed range [-9223372036854775808, 9223372036854775807])");
    rmq_conf_free(g_defs, &c);
}

static void test_bool_errors(void **state)
{
    (void)state;
    test_conf_t c;
    rmq_conf_defaults(g_defs, &c);
    const char *bad[] = {"yes", "1", "0", "", "truee", " true", "on"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char want[128];
        snprintf(want, sizeof(want),
                 "invalid value '%s' for orderMessageEnable: expected true or false", bad[i]);
        expect_invalid(&c, "orderMessageEnable", bad[i], want);
    }
    rmq_conf_free(g_defs, &c);
}

static void test_unknown_key(void **state)
{
    (void)state;
    test_conf_t c;
    rmq_conf_defaults(g_defs, &c);
    char err[256] = "";
    assert_int_equal(rmq_conf_set(g_defs, &c, "noSuchKey", "1", err, sizeof(err)),
                     RMQ_CONF_UNKNOWN);
    assert_string_equal(err, "unknown configuration key 'noSuchKey'");
    /* Names are case-sensitive, as in Apache RocketMQ. */
    assert_int_equal(rmq_conf_set(g_defs, &c, "listenport", "1", NULL, 0), RMQ_CONF_UNKNOWN);
    rmq_conf_free(g_defs, &c);
}

static void test_home_expansion(void **state)
{
    (void)state;
    test_conf_t c;
    rmq_conf_defaults(g_defs, &c);
    assert_int_equal(rmq_conf_set(g_defs, &c, "rocketmqHome", "~/rmq", NULL, 0), RMQ_CONF_OK);
    assert_string_equal(c.home, "/home/tester/rmq");
    /* Only a leading "~/" expands. */
    assert_int_equal(rmq_conf_set(g_defs, &c, "rocketmqHome", "~user/rmq", NULL, 0), RMQ_CONF_OK);
    assert_string_equal(c.home, "~user/rmq");
    assert_int_equal(rmq_conf_set(g_defs, &c, "rocketmqHome", "/a/~/b", NULL, 0), RMQ_CONF_OK);
    assert_string_equal(c.home, "/a/~/b");
    assert_int_equal(rmq_conf_set(g_defs, &c, "rocketmqHome", "~", NULL, 0), RMQ_CONF_OK);
    assert_string_equal(c.home, "~");

    setenv("HOME", "/root/", 1);
    assert_int_equal(rmq_conf_set(g_defs, &c, "rocketmqHome", "~/x", NULL, 0), RMQ_CONF_OK);
    assert_string_equal(c.home, "/root/x");
    setenv("HOME", "/", 1);
    assert_int_equal(rmq_conf_set(g_defs, &c, "rocketmqHome", "~/x", NULL, 0), RMQ_CONF_OK);
    assert_string_equal(c.home, "/x");
    setenv("HOME", g_home, 1);
    rmq_conf_free(g_defs, &c);
}

static char *write_temp(const char *content)
{
    char *path = strdup("/tmp/test_config_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    size_t len = strlen(content);
    assert_int_equal(write(fd, content, len), (ssize_t)len);
    close(fd);
    return path;
}

static void test_load_file(void **state)
{
    (void)state;
    char *path = write_temp("# broker.conf\n"
                            "listenPort = 10911\n"
                            "orderMessageEnable=true\n"
                            "someJavaOnlyKey=whatever\n" /* warned about, then ignored */
                            "kvConfigPath=~/store/kv.json\n"
                            "brokerClusterName=cluster\\u00e9  \n"
                            "listenPort=10912\n"); /* last one wins */
    test_conf_t c;
    rmq_conf_defaults(g_defs, &c);
    char err[256] = "";
    assert_int_equal(rmq_conf_load_file(g_defs, &c, path, err, sizeof(err)), 0);
    assert_string_equal(err, "");
    assert_int_equal(c.listen_port, 10912);
    assert_true(c.order);
    assert_string_equal(c.kv_path, "/home/tester/store/kv.json");
    assert_string_equal(c.cluster, "cluster\xc3\xa9");
    assert_int_equal(c.threads, 8); /* untouched rows keep their defaults */
    rmq_conf_free(g_defs, &c);
    unlink(path);
    free(path);
}

static void test_load_file_invalid_value(void **state)
{
    (void)state;
    char *path = write_temp("listenPort=70000\n");
    test_conf_t c;
    rmq_conf_defaults(g_defs, &c);
    char err[256] = "";
    assert_int_equal(rmq_conf_load_file(g_defs, &c, path, err, sizeof(err)), -1);
    char want[300];
    snprintf(want, sizeof(want), "%s: invalid value '70000' for listenPort: out of range [1, 65535]",
             path);
    assert_string_equal(err, want);
    assert_int_equal(c.listen_port, 9876);
    unlink(path);
    free(path);

    path = write_temp("clusterTest=yes\n");
    assert_int_equal(rmq_conf_load_file(g_defs, &c, path, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "invalid value 'yes' for clusterTest: expected true or false"));
    unlink(path);
    free(path);

    /* Trailing blanks are not forgiven in numbers; the quotes show them. */
    path = write_temp("listenPort=10911 \n");
    assert_int_equal(rmq_conf_load_file(g_defs, &c, path, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "'10911 '"));
    unlink(path);
    free(path);
    rmq_conf_free(g_defs, &c);
}

static void test_load_file_errors(void **state)
{
    (void)state;
    test_conf_t c;
    rmq_conf_defaults(g_defs, &c);
    char err[256] = "";
    assert_int_equal(rmq_conf_load_file(g_defs, &c, "/tmp/no-such-dir-rmq/broker.conf", err,
                                        sizeof(err)),
                     -1);
    assert_non_null(strstr(err, "cannot read /tmp/no-such-dir-rmq/broker.conf"));

    char *path = write_temp("a=\\uXYZW\n");
    assert_int_equal(rmq_conf_load_file(g_defs, &c, path, err, sizeof(err)), -1);
    assert_non_null(strstr(err, ":1: malformed \\uXXXX escape"));
    unlink(path);
    free(path);
    rmq_conf_free(g_defs, &c);
}

static char *capture_print(const test_conf_t *c)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    rmq_conf_print(g_defs, c, f);
    fclose(f);
    return text;
}

static void test_print(void **state)
{
    (void)state;
    test_conf_t c;
    rmq_conf_defaults(g_defs, &c);
    char *text = capture_print(&c);
    assert_string_equal(text, "listenPort=9876\n"
                              "serverWorkerThreads=8\n"
                              "maxBytes=1073741824\n"
                              "offset=-5\n"
                              "orderMessageEnable=false\n"
                              "clusterTest=true\n"
                              "rocketmqHome=\n"
                              "kvConfigPath=/home/tester/namesrv/kvConfig.json\n"
                              "brokerClusterName=DefaultCluster\n");
    free(text);

    assert_int_equal(rmq_conf_set(g_defs, &c, "offset", "-9223372036854775808", NULL, 0),
                     RMQ_CONF_OK);
    assert_int_equal(rmq_conf_set(g_defs, &c, "rocketmqHome", "/opt/rmq", NULL, 0), RMQ_CONF_OK);
    text = capture_print(&c);
    assert_non_null(strstr(text, "\noffset=-9223372036854775808\n"));
    assert_non_null(strstr(text, "\nrocketmqHome=/opt/rmq\n"));
    free(text);
    rmq_conf_free(g_defs, &c);
}

static void test_print_markdown(void **state)
{
    (void)state;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    rmq_conf_print_markdown(g_defs, f);
    fclose(f);
    assert_string_equal(
        text,
        "| key | type | default | range | description |\n"
        "|-----|------|---------|-------|-------------|\n"
        "| `listenPort` | int | `9876` | 1 .. 65535 | Port the server listens on. |\n"
        "| `serverWorkerThreads` | int | `8` |  | Worker threads. |\n"
        "| `maxBytes` | long | `1073741824` | 1024 .. 9223372036854775807 | Largest \\| size. |\n"
        "| `offset` | long | `-5` |  | Any 64-bit value. |\n"
        "| `orderMessageEnable` | bool | `false` |  | Order messages. |\n"
        "| `clusterTest` | bool | `TRUE` |  | Cluster test mode. |\n"
        "| `rocketmqHome` | string |  |  | Install directory. |\n"
        "| `kvConfigPath` | string | `~/namesrv/kvConfig.json` |  | KV config file. |\n"
        "| `brokerClusterName` | string | `DefaultCluster` |  |  |\n");
    free(text);
}

static void test_free_is_idempotent(void **state)
{
    (void)state;
    test_conf_t c;
    rmq_conf_defaults(g_defs, &c);
    rmq_conf_free(g_defs, &c);
    rmq_conf_free(g_defs, &c);
    assert_null(c.cluster);
    /* A freed config can be set again. */
    assert_int_equal(rmq_conf_set(g_defs, &c, "brokerClusterName", "x", NULL, 0), RMQ_CONF_OK);
    assert_string_equal(c.cluster, "x");
    rmq_conf_free(g_defs, &c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_set_valid),
        cmocka_unit_test(test_int_errors),
        cmocka_unit_test(test_bool_errors),
        cmocka_unit_test(test_unknown_key),
        cmocka_unit_test(test_home_expansion),
        cmocka_unit_test(test_load_file),
        cmocka_unit_test(test_load_file_invalid_value),
        cmocka_unit_test(test_load_file_errors),
        cmocka_unit_test(test_print),
        cmocka_unit_test(test_print_markdown),
        cmocka_unit_test(test_free_is_idempotent),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
