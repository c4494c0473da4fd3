/* rmq_json_loads: fastjson's non-standard keys become string keys, everything
 * else passes through untouched, and garbage never crashes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "protocol/bodies.h"

static json_t *load(const char *s)
{
    char err[256] = "";
    json_t *j = rmq_json_loads(s, strlen(s), err, sizeof(err));
    if (!j)
        print_message("load failed: %s\n", err);
    return j;
}

/* Dumps j compact+sorted into a static-lifetime string owned by the caller. */
static char *dump(const json_t *j)
{
    rmq_buf_t b = RMQ_BUF_INIT;
    rmq_json_dump_append(j, &b);
    rmq_buf_cstr(&b);
    return (char *)b.data;
}

static void assert_normalizes(const char *in, const char *expect)
{
    json_t *j = load(in);
    assert_non_null(j);
    char *s = dump(j);
    assert_string_equal(s, expect);
    free(s);
    json_decref(j);
}

static void assert_rejected(const void *in, size_t n)
{
    char err[256] = "";
    json_t *j = rmq_json_loads(in, n, err, sizeof(err));
    if (j)
        print_message("unexpectedly accepted: %.*s\n", (int)n, (const char *)in);
    assert_null(j);
    assert_true(err[0] != '\0');
    /* And without an error buffer. */
    assert_null(rmq_json_loads(in, n, NULL, 0));
}

static void assert_rejected_str(const char *s)
{
    assert_rejected(s, strlen(s));
}

static void test_standard_json_passes(void **state)
{
    (void)state;
    assert_normalizes("{\"b\":[1,2,{\"c\":null}],\"a\":true,\"d\":-1.5e3}",
                      "{\"a\":true,\"b\":[1,2,{\"c\":null}],\"d\":-1500.0}");
    assert_normalizes(" \t\r\n[ ] ", "[]");
    assert_normalizes("{ }", "{}");
    assert_normalizes("[\"x\" , { \"k\" : \"v\" } ]", "[\"x\",{\"k\":\"v\"}]");
}

static void test_bare_numeric_keys(void **state)
{
    (void)state;
    assert_normalizes("{0:\"10.0.0.1:10911\",1:\"10.0.0.2:10911\"}",
                      "{\"0\":\"10.0.0.1:10911\",\"1\":\"10.0.0.2:10911\"}");
    assert_normalizes("{-1:\"a\", 2 : \"b\"}", "{\"-1\":\"a\",\"2\":\"b\"}");
    assert_normalizes("{\"brokerAddrs\":{0:\"x\"}}", "{\"brokerAddrs\":{\"0\":\"x\"}}");
    /* Identifier keys (fastjson's parser accepts them too). */
    assert_normalizes("{name:1,true:2,$x_y:3}", "{\"$x_y\":3,\"name\":1,\"true\":2}");
    /* Mixed quoted and bare: both are the same key "0"; the last wins. */
    json_t *j = load("{\"0\":\"a\",0:\"b\"}");
    assert_non_null(j);
    assert_int_equal(json_object_size(j), 1);
    assert_string_equal(json_string_value(json_object_get(j, "0")), "b");
    json_decref(j);
}

static void test_object_keys(void **state)
{
    (void)state;
    const char *in = "{{\"brokerName\":\"b\",\"queueId\":0,\"topic\":\"T\"}:{\"x\":1}}";
    json_t *j = load(in);
    assert_non_null(j);
    assert_int_equal(json_object_size(j), 1);
    json_t *v = json_object_get(j, "{\"brokerName\":\"b\",\"queueId\":0,\"topic\":\"T\"}");
    assert_non_null(v);
    assert_int_equal(json_integer_value(json_object_get(v, "x")), 1);
    json_decref(j);

    /* Unsorted and spaced key objects give the same canonical key. */
    j = load("{ { \"topic\" : \"T\", \"queueId\" : 0 , \"brokerName\" : \"b\" } : 5 ,"
             "{\"brokerName\":\"b\",\"queueId\":1,\"topic\":\"T\"}:6}");
    assert_non_null(j);
    assert_int_equal(json_object_size(j), 2);
    assert_int_equal(
        json_integer_value(json_object_get(j, "{\"brokerName\":\"b\",\"queueId\":0,\"topic\":\"T\"}")),
        5);
    assert_int_equal(
        json_integer_value(json_object_get(j, "{\"brokerName\":\"b\",\"queueId\":1,\"topic\":\"T\"}")),
        6);
    json_decref(j);

    /* A ConsumeStats-like body: object keys inside a property. */
    assert_normalizes(
        "{\"consumeTps\":0.0,\"offsetTable\":{{\"brokerName\":\"a\",\"queueId\":3,\"topic\":\"T\"}:"
        "{\"brokerOffset\":10,\"consumerOffset\":7,\"lastTimestamp\":0}}}",
        "{\"consumeTps\":0.0,\"offsetTable\":{\"{\\\"brokerName\\\":\\\"a\\\",\\\"queueId\\\":3,"
        "\\\"topic\\\":\\\"T\\\"}\":{\"brokerOffset\":10,\"consumerOffset\":7,\"lastTimestamp\":0}}}");

    /* Array keys, empty object keys. */
    assert_normalizes("{[1,2]:3,{}:4}", "{\"[1,2]\":3,\"{}\":4}");
}

static void test_nested_object_keys(void **state)
{
    (void)state;
    /* A key object that itself has bare and object keys. */
    json_t *j = load("{{\"m\":{0:\"z\"},\"a\":{{\"q\":1}:2}}:\"v\"}");
    assert_non_null(j);
    const char *key = "{\"a\":{\"{\\\"q\\\":1}\":2},\"m\":{\"0\":\"z\"}}";
    assert_string_equal(json_string_value(json_object_get(j, key)), "v");
    json_decref(j);
}

static void test_strings_untouched(void **state)
{
    (void)state;
    /* Braces, colons, commas, brackets and escaped quotes inside strings. */
    const char *in = "{\"k{:}\":\"v\\\"}{0:1,[\",\"e\\\\\":\"\\\\\",\"u\":\"\\u00e9\\n\"}";
    json_t *j = load(in);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "k{:}")), "v\"}{0:1,[");
    assert_string_equal(json_string_value(json_object_get(j, "e\\")), "\\");
    assert_string_equal(json_string_value(json_object_get(j, "u")), "\xc3\xa9\n");
    json_decref(j);

    /* A string inside an object key keeps its content, quotes and all. */
    j = load("{{\"t\":\"a\\\"}:b\"}:1}");
    assert_non_null(j);
    assert_int_equal(json_integer_value(json_object_get(j, "{\"t\":\"a\\\"}:b\"}")), 1);
    json_decref(j);
}

static void test_garbage(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "   ",
        "{",
        "[",
        "}",
        "{\"a\"",
        "{\"a\":",
        "{\"a\":}",
        "{\"a\":1",
        "{\"a\":1,",
        "{\"a\":1,}",
        "{0}",
        "{,}",
        "{:1}",
        "[1,]",
        "[1 2]",
        "{\"a\" 1}",
        "{\"a\":1}x",
        "{\"a\":1}}",
        "\"abc",
        "{\"a\":\"b\\",
        "{\"a\":\"b\\\"}",
        "{\"a\":\"\\u0000\"}", /* NUL rejected (flags 0) */
        "{{:1}:2}",
        "{{\"a\":1:2}",
        "{{\"a\":1}}",
        "{[}:1}",
        "{a b:1}",
        "{\"a\":tru}",
        "{\"a\":01x}",
        "{@:1}",
        "1",     /* top level must be an object or array */
        "\"s\"",
        "{\"a\":1e999}",
        "{\"a\":99999999999999999999999}",
        "{\"a\":\"\xff\"}", /* invalid UTF-8 */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_rejected_str(bad[i]);

    /* Raw NUL bytes anywhere. */
    assert_rejected("{\"a\":\"x\0y\"}", 11);
    assert_rejected("{\"a\":1}\0", 8);
    assert_rejected("{\0:1}", 5);
    assert_null(rmq_json_loads(NULL, 0, NULL, 0));
    /* Length is honoured: the text is not NUL-terminated at n. */
    assert_null(rmq_json_loads("{\"a\":1}", 6, NULL, 0));
    json_t *j = rmq_json_loads("{\"a\":1}garbage", 7, NULL, 0);
    assert_non_null(j);
    json_decref(j);
}

static char *nested(size_t depth, char open, char close, const char *core)
{
    size_t n = strlen(core);
    char *s = malloc(2 * depth + n + 1);
    memset(s, open, depth);
    memcpy(s + depth, core, n);
    memset(s + depth + n, close, depth);
    s[2 * depth + n] = '\0';
    return s;
}

static void test_depth_limit(void **state)
{
    (void)state;
    char *s = nested(64, '[', ']', "");
    json_t *j = load(s);
    assert_non_null(j);
    json_decref(j);
    free(s);

    s = nested(65, '[', ']', "");
    assert_rejected_str(s);
    free(s);

    s = nested(100000, '[', ']', "");
    assert_rejected_str(s);
    free(s);

    /* Unterminated deep nesting. */
    s = nested(100000, '{', '}', "");
    s[100000] = '\0';
    assert_rejected_str(s);
    free(s);

    /* Nested object keys count too: {{{{...}:1}:1}:1}. */
    size_t depth = 200;
    rmq_buf_t b = RMQ_BUF_INIT;
    for (size_t i = 0; i < depth; i++)
        rmq_buf_append_str(&b, "{");
    rmq_buf_append_str(&b, "{}");
    for (size_t i = 0; i < depth; i++)
        rmq_buf_append_str(&b, ":1}");
    rmq_buf_cstr(&b);
    assert_rejected((char *)b.data, b.len);
    rmq_buf_free(&b);
}

static void test_dump_append(void **state)
{
    (void)state;
    json_t *j = json_pack("{s:i,s:[s,s],s:{s:b,s:s}}", "z", 1, "a", "x", "y", "m", "q", 0, "b",
                          "tab\there \"quoted\" \x01");
    rmq_buf_t b = RMQ_BUF_INIT;
    rmq_buf_append_str(&b, "prefix:");
    rmq_json_dump_append(j, &b);
    rmq_buf_cstr(&b);
    assert_string_equal((char *)b.data, "prefix:{\"a\":[\"x\",\"y\"],\"m\":{\"b\":\"tab\\there "
                                        "\\\"quoted\\\" \\u0001\",\"q\":false},\"z\":1}");
    rmq_buf_free(&b);
    json_decref(j);
    rmq_json_dump_append(NULL, &b); /* no-op */
    assert_int_equal(b.len, 0);
}

/* Deterministic mutation fuzzing: whatever happens, no crash (run under ASan). */
static uint32_t rng_state = 12345;

static uint32_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

static void test_mutation_fuzz(void **state)
{
    (void)state;
    static const char *const seeds[] = {
        "{{\"brokerName\":\"b\",\"queueId\":0,\"topic\":\"T\"}:{\"x\":1},0:[1,\"a\\\"b\"]}",
        "{\"brokerDatas\":[{\"brokerAddrs\":{0:\"192.168.1.10:10911\",1:\"h:1\"},\"brokerName\":"
        "\"broker-a\",\"cluster\":\"DefaultCluster\"}],\"filterServerTable\":{},\"queueDatas\":[]}",
    };
    static const char alphabet[] = "{}[]:,\"\\ 0-a{}\x00\xff";
    char buf[512];
    for (int iter = 0; iter < 20000; iter++) {
        const char *seed = seeds[iter % 2];
        size_t n = strlen(seed);
        memcpy(buf, seed, n);
        int muts = 1 + (int)(rng() % 4);
        for (int m = 0; m < muts; m++) {
            size_t pos = rng() % n;
            switch (rng() % 3) {
            case 0:
                buf[pos] = alphabet[rng() % (sizeof(alphabet) - 1)];
                break;
            case 1:
                n = pos + 1; /* truncate */
                break;
            default:
                buf[pos] = (char)rng();
                break;
            }
        }
        json_t *j = rmq_json_loads(buf, n, NULL, 0);
        json_decref(j);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_standard_json_passes),
        cmocka_unit_test(test_bare_numeric_keys),
        cmocka_unit_test(test_object_keys),
        cmocka_unit_test(test_nested_object_keys),
        cmocka_unit_test(test_strings_untouched),
        cmocka_unit_test(test_garbage),
        cmocka_unit_test(test_depth_limit),
        cmocka_unit_test(test_dump_append),
        cmocka_unit_test(test_mutation_fuzz),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
