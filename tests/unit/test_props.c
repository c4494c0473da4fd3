#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/props.h"

#define MAX_PAIRS 32

typedef struct pairs {
    int n;
    char *key[MAX_PAIRS];
    char *value[MAX_PAIRS];
    int stop_after; /* return 7 from the callback after this many pairs; 0 = never */
} pairs_t;

static int collect(const char *key, const char *value, void *arg)
{
    pairs_t *p = arg;
    assert_true(p->n < MAX_PAIRS);
    p->key[p->n] = strdup(key);
    p->value[p->n] = strdup(value);
    p->n++;
    if (p->stop_after && p->n == p->stop_after)
        return 7;
    return 0;
}

static void pairs_free(pairs_t *p)
{
    for (int i = 0; i < p->n; i++) {
        free(p->key[i]);
        free(p->value[i]);
    }
    p->n = 0;
}

static int parse_str(const char *text, pairs_t *p)
{
    return rmq_props_parse(text, strlen(text), collect, p);
}

static void assert_pair(const pairs_t *p, int i, const char *key, const char *value)
{
    assert_true(i < p->n);
    assert_string_equal(p->key[i], key);
    assert_string_equal(p->value[i], value);
}

static void test_separator_forms(void **state)
{
    (void)state;
    pairs_t p = {0};
    assert_int_equal(parse_str("a=1\n"
                               "b:2\n"
                               "c 3\n"
                               "d\t4\n"
                               "  e  =  5\n"
                               "f :6\n"
                               "g\t\f:  7\n"
                               "h = = 8\n"
                               "i=:9\n"
                               "listenPort=9876",
                               &p),
                     0);
    assert_int_equal(p.n, 10);
    assert_pair(&p, 0, "a", "1");
    assert_pair(&p, 1, "b", "2");
    assert_pair(&p, 2, "c", "3");
    assert_pair(&p, 3, "d", "4");
    assert_pair(&p, 4, "e", "5");
    assert_pair(&p, 5, "f", "6");
    assert_pair(&p, 6, "g", "7");
    /* Only one separator is eaten; the rest belongs to the value. */
    assert_pair(&p, 7, "h", "= 8");
    assert_pair(&p, 8, "i", ":9");
    assert_pair(&p, 9, "listenPort", "9876"); /* no final newline */
    pairs_free(&p);
}

static void test_values_keep_inner_and_trailing_blanks(void **state)
{
    (void)state;
    pairs_t p = {0};
    assert_int_equal(parse_str("k = a b  c  \n", &p), 0);
    assert_pair(&p, 0, "k", "a b  c  ");
    pairs_free(&p);
}

static void test_empty_values(void **state)
{
    (void)state;
    pairs_t p = {0};
    assert_int_equal(parse_str("a=\nb\nc   \nd:\ne =   \n", &p), 0);
    assert_int_equal(p.n, 5);
    assert_pair(&p, 0, "a", "");
    assert_pair(&p, 1, "b", "");
    assert_pair(&p, 2, "c", "");
    assert_pair(&p, 3, "d", "");
    assert_pair(&p, 4, "e", "");
    pairs_free(&p);
}

static void test_comments_and_blank_lines(void **state)
{
    (void)state;
    pairs_t p = {0};
    assert_int_equal(parse_str("# comment\n"
                               "! also a comment\n"
                               "   # indented comment\n"
                               "\n"
                               "   \t \n"
                               "# a comment ending in a backslash is not continued \\\n"
                               "a=1 # not a comment\n"
                               "b=#x\n",
                               &p),
                     0);
    assert_int_equal(p.n, 2);
    assert_pair(&p, 0, "a", "1 # not a comment");
    assert_pair(&p, 1, "b", "#x");
    pairs_free(&p);

    assert_int_equal(parse_str("", &p), 0);
    assert_int_equal(p.n, 0);
    assert_int_equal(parse_str("# only\n\n", &p), 0);
    assert_int_equal(p.n, 0);
}

static void test_continuation(void **state)
{
    (void)state;
    pairs_t p = {0};
    assert_int_equal(parse_str("list = a, \\\n"
                               "       b, \\\n"
                               "\t\t c\n"
                               "next=1\n",
                               &p),
                     0);
    assert_int_equal(p.n, 2);
    assert_pair(&p, 0, "list", "a, b, c");
    assert_pair(&p, 1, "next", "1");
    pairs_free(&p);

    /* A continued line starting with '#' is data, not a comment. */
    assert_int_equal(parse_str("a=x\\\n  #y\n", &p), 0);
    assert_int_equal(p.n, 1);
    assert_pair(&p, 0, "a", "x#y");
    pairs_free(&p);

    /* The key itself may be continued. */
    assert_int_equal(parse_str("long\\\n   Key=v\n", &p), 0);
    assert_pair(&p, 0, "longKey", "v");
    pairs_free(&p);

    /* An even number of backslashes is escaped backslashes, not a continuation. */
    assert_int_equal(parse_str("a=x\\\\\nb=y\n", &p), 0);
    assert_int_equal(p.n, 2);
    assert_pair(&p, 0, "a", "x\\");
    assert_pair(&p, 1, "b", "y");
    pairs_free(&p);

    /* Three: one escaped backslash, then a continuation. */
    assert_int_equal(parse_str("a=x\\\\\\\n  y\n", &p), 0);
    assert_int_equal(p.n, 1);
    assert_pair(&p, 0, "a", "x\\y");
    pairs_free(&p);

    /* An empty continued line ends the logical line. */
    assert_int_equal(parse_str("a=x\\\n\nb=y\n", &p), 0);
    assert_int_equal(p.n, 2);
    assert_pair(&p, 0, "a", "x");
    assert_pair(&p, 1, "b", "y");
    pairs_free(&p);

    /* A continuation at the very end is dropped. */
    assert_int_equal(parse_str("a=x\\", &p), 0);
    assert_pair(&p, 0, "a", "x");
    pairs_free(&p);
}

static void test_line_endings(void **state)
{
    (void)state;
    pairs_t p = {0};
    assert_int_equal(parse_str("a=1\r\nb=2\r\n\r\n# c\r\nd=x\\\r\n   y\r\ne=3\rf=4\n", &p), 0);
    assert_int_equal(p.n, 5);
    assert_pair(&p, 0, "a", "1");
    assert_pair(&p, 1, "b", "2");
    assert_pair(&p, 2, "d", "xy");
    assert_pair(&p, 3, "e", "3");
    assert_pair(&p, 4, "f", "4");
    pairs_free(&p);
}

static void test_escapes(void **state)
{
    (void)state;
    pairs_t p = {0};
    assert_int_equal(parse_str("t=a\\tb\n"
                               "n=a\\nb\n"
                               "r=a\\rb\n"
                               "f=a\\fb\n"
                               "bs=C:\\\\dir\\\\file\n"
                               "other=\\q\\#\\!\n"
                               "lead=\\  two spaces kept\n",
                               &p),
                     0);
    assert_int_equal(p.n, 7);
    assert_pair(&p, 0, "t", "a\tb");
    assert_pair(&p, 1, "n", "a\nb");
    assert_pair(&p, 2, "r", "a\rb");
    assert_pair(&p, 3, "f", "a\fb");
    assert_pair(&p, 4, "bs", "C:\\dir\\file");
    assert_pair(&p, 5, "other", "q#!");
    assert_pair(&p, 6, "lead", "  two spaces kept");
    pairs_free(&p);
}

static void test_unicode_escapes(void **state)
{
    (void)state;
    pairs_t p = {0};
    assert_int_equal(parse_str("a=caf\\u00e9\n"
                               "b=\\u0041\\u00E9\\u20ac\n"
                               "c=\\ud83d\\ude00\n"
                               "d=\\ud83dx\n"
                               "k\\u00e9y=v\n"
                               "raw=caf\xc3\xa9\n",
                               &p),
                     0);
    assert_int_equal(p.n, 6);
    assert_pair(&p, 0, "a", "caf\xc3\xa9");
    assert_pair(&p, 1, "b", "A\xc3\xa9\xe2\x82\xac");
    /* A surrogate pair is one 4-byte character (U+1F600). */
    assert_pair(&p, 2, "c", "\xf0\x9f\x98\x80");
    /* A lone surrogate becomes U+FFFD. */
    assert_pair(&p, 3, "d", "\xef\xbf\xbdx");
    assert_pair(&p, 4, "k\xc3\xa9y", "v");
    /* UTF-8 bytes in the file pass through unchanged. */
    assert_pair(&p, 5, "raw", "caf\xc3\xa9");
    pairs_free(&p);
}

static void test_malformed_unicode_escape(void **state)
{
    (void)state;
    pairs_t p = {0};
    assert_int_equal(parse_str("ok=1\nbad=\\u00g1\nlater=2\n", &p), -1);
    assert_int_equal(p.n, 1); /* stops at the bad line */
    pairs_free(&p);
    assert_int_equal(parse_str("bad=\\u12", &p), -1);
    assert_int_equal(p.n, 0);
    assert_int_equal(parse_str("nul=a\\u0000b\n", &p), -1);
    assert_int_equal(p.n, 0);
}

static void test_escaped_separators_in_key(void **state)
{
    (void)state;
    pairs_t p = {0};
    assert_int_equal(parse_str("a\\=b=c\n"
                               "x\\:y:z\n"
                               "with\\ space value\n"
                               "\\#notcomment=1\n",
                               &p),
                     0);
    assert_int_equal(p.n, 4);
    assert_pair(&p, 0, "a=b", "c");
    assert_pair(&p, 1, "x:y", "z");
    assert_pair(&p, 2, "with space", "value");
    assert_pair(&p, 3, "#notcomment", "1");
    pairs_free(&p);
}

static void test_callback_stops_parse(void **state)
{
    (void)state;
    pairs_t p = {.stop_after = 2};
    assert_int_equal(parse_str("a=1\nb=2\nc=3\n", &p), 7);
    assert_int_equal(p.n, 2);
    pairs_free(&p);
}

static void test_text_not_nul_terminated(void **state)
{
    (void)state;
    /* Only len bytes are read. */
    const char text[] = "a=1\nb=2XXXX";
    pairs_t p = {0};
    assert_int_equal(rmq_props_parse(text, 7, collect, &p), 0);
    assert_int_equal(p.n, 2);
    assert_pair(&p, 1, "b", "2");
    pairs_free(&p);
}

static char *write_temp(const char *content)
{
    char *path = strdup("/tmp/test_props_XXXXXX");
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
    char *path = write_temp("# namesrv.properties\r\n"
                            "listenPort = 9876\r\n"
                            "kvConfigPath=~/namesrv/kvConfig.json\r\n"
                            "rocketmqHome : /opt/rocketmq\r\n"
                            "names = a,\\\r\n"
                            "        b\r\n"
                            "greeting=caf\\u00e9\r\n");
    pairs_t p = {0};
    char err[256] = "";
    assert_int_equal(rmq_props_load_file(path, collect, &p, err, sizeof(err)), 0);
    assert_string_equal(err, "");
    assert_int_equal(p.n, 5);
    assert_pair(&p, 0, "listenPort", "9876");
    assert_pair(&p, 1, "kvConfigPath", "~/namesrv/kvConfig.json");
    assert_pair(&p, 2, "rocketmqHome", "/opt/rocketmq");
    assert_pair(&p, 3, "names", "a,b");
    assert_pair(&p, 4, "greeting", "caf\xc3\xa9");
    pairs_free(&p);
    unlink(path);
    free(path);
}

static void test_load_file_empty(void **state)
{
    (void)state;
    char *path = write_temp("");
    pairs_t p = {0};
    char err[256] = "";
    assert_int_equal(rmq_props_load_file(path, collect, &p, err, sizeof(err)), 0);
    assert_int_equal(p.n, 0);
    unlink(path);
    free(path);
}

static void test_load_file_larger_than_read_chunk(void **state)
{
    (void)state;
    /* Long enough to need several read() calls. */
    size_t vlen = 20000;
    char *content = malloc(vlen + 16);
    memcpy(content, "big=", 4);
    memset(content + 4, 'v', vlen);
    strcpy(content + 4 + vlen, "\nz=1\n");
    char *path = write_temp(content);
    pairs_t p = {0};
    assert_int_equal(rmq_props_load_file(path, collect, &p, NULL, 0), 0);
    assert_int_equal(p.n, 2);
    assert_int_equal(strlen(p.value[0]), vlen);
    assert_pair(&p, 1, "z", "1");
    pairs_free(&p);
    unlink(path);
    free(path);
    free(content);
}

static void test_load_file_missing(void **state)
{
    (void)state;
    pairs_t p = {0};
    char err[256] = "";
    assert_int_equal(
        rmq_props_load_file("/tmp/does-not-exist-rmq/x.properties", collect, &p, err, sizeof(err)),
        -1);
    assert_non_null(strstr(err, "/tmp/does-not-exist-rmq/x.properties"));
    assert_non_null(strstr(err, "No such file"));
    assert_int_equal(p.n, 0);
    /* A NULL err is allowed. */
    assert_int_equal(rmq_props_load_file("/tmp/does-not-exist-rmq/x", collect, &p, NULL, 0), -1);
}

static void test_load_file_malformed_reports_line(void **state)
{
    (void)state;
    char *path = write_temp("a=1\n# c\nb=\\uZZZZ\n");
    pairs_t p = {0};
    char err[256] = "";
    assert_int_equal(rmq_props_load_file(path, collect, &p, err, sizeof(err)), -1);
    char want[300];
    snprintf(want, sizeof(want), "%s:3: malformed \\uXXXX escape", path);
    assert_string_equal(err, want);
    pairs_free(&p);
    unlink(path);
    free(path);
}

static void test_load_file_callback_error_leaves_err(void **state)
{
    (void)state;
    char *path = write_temp("a=1\nb=2\n");
    pairs_t p = {.stop_after = 1};
    char err[64] = "untouched";
    assert_int_equal(rmq_props_load_file(path, collect, &p, err, sizeof(err)), 7);
    assert_string_equal(err, "untouched");
    pairs_free(&p);
    unlink(path);
    free(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_separator_forms),
        cmocka_unit_test(test_values_keep_inner_and_trailing_blanks),
        cmocka_unit_test(test_empty_values),
        cmocka_unit_test(test_comments_and_blank_lines),
        cmocka_unit_test(test_continuation),
        cmocka_unit_test(test_line_endings),
        cmocka_unit_test(test_escapes),
        cmocka_unit_test(test_unicode_escapes),
        cmocka_unit_test(test_malformed_unicode_escape),
        cmocka_unit_test(test_escaped_separators_in_key),
        cmocka_unit_test(test_callback_stops_parse),
        cmocka_unit_test(test_text_not_nul_terminated),
        cmocka_unit_test(test_load_file),
        cmocka_unit_test(test_load_file_empty),
        cmocka_unit_test(test_load_file_larger_than_read_chunk),
        cmocka_unit_test(test_load_file_missing),
        cmocka_unit_test(test_load_file_malformed_reports_line),
        cmocka_unit_test(test_load_file_callback_error_leaves_err),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
