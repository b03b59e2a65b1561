/* strbuf's number writers against printf, the text they stand in for: value
 * in, expected text out; and formatting that outgrows the room there is. */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "strbuf.h"

static void int_as_printf(long long v, const char *want)
{
    strbuf b = {0};
    strbuf_int(&b, v);
    assert_string_equal(b.data, want);
    char printed[32];
    snprintf(printed, sizeof printed, "%lld", v);
    assert_string_equal(b.data, printed);
    strbuf_free(&b);
}

static void real_as_printf(double v)
{
    strbuf b = {0};
    strbuf_real(&b, v);
    char printed[64];
    snprintf(printed, sizeof printed, "%.15g", v);
    assert_string_equal(b.data, printed);
    strbuf_free(&b);
}

static void integers(void **state)
{
    (void)state;
    int_as_printf(0, "0");
    int_as_printf(7, "7");
    int_as_printf(-7, "-7");
    int_as_printf(1234567890123LL, "1234567890123");
    int_as_printf(INT64_MAX, "9223372036854775807");
    int_as_printf(INT64_MIN, "-9223372036854775808");
}

static void reals(void **state)
{
    (void)state;
    static const double values[] = {0.0, -0.0, 1.0, -3.0, 114.1, 0.1, 1e14, 999999999999999.0,
                                    1e15, 1e16, -1e15, 2.5e-7, 120.5028418, 1.0 / 3.0};
    for (size_t i = 0; i < sizeof values / sizeof *values; i++)
        real_as_printf(values[i]);
    real_as_printf(NAN);
    real_as_printf(INFINITY);
    real_as_printf(-INFINITY);
}

static void printf_past_the_room_there_is(void **state)
{
    (void)state;
    strbuf b = {0};
    char big[5000];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    strbuf_puts(&b, "x");
    strbuf_printf(&b, "[%s]%d", big, 42);
    assert_int_equal(b.len, 1 + 1 + strlen(big) + 1 + 2);
    assert_int_equal(b.data[b.len], '\0');
    assert_string_equal(b.data + b.len - 3, "]42");
    for (int i = 0; i < 1000; i++)
        strbuf_printf(&b, "%d,", i);
    assert_string_equal(b.data + b.len - 4, "999,");
    strbuf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(integers),
        cmocka_unit_test(reals),
        cmocka_unit_test(printf_past_the_room_there_is),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
