/* Pinyin initials (core/pinyin.c), as the search reads a name: text in,
 * match or no match out. */
#include <string.h>

#include "pinyin.h"
#include "testutil.h"

static unsigned letters(const char *l)
{
    unsigned m = 0;
    for (; *l; l++)
        m |= 1u << (*l - 'a');
    return m;
}

static void initials_of_characters(void **state)
{
    (void)state;
    assert_int_equal(pinyin_initials(0x56DE), letters("h")); /* 回 */
    assert_int_equal(pinyin_initials(0x6536), letters("s")); /* 收 */
    assert_int_equal(pinyin_initials(0x70B9), letters("d")); /* 点 */
    /* 长: cháng and zhǎng; 行: xíng and háng */
    assert_true((pinyin_initials(0x957F) & letters("cz")) == letters("cz"));
    assert_true((pinyin_initials(0x884C) & letters("hx")) == letters("hx"));
    assert_int_equal(pinyin_initials('a'), 0);
    assert_int_equal(pinyin_initials(0x3000), 0); /* the ideographic space */
    assert_int_equal(pinyin_initials(0x20000), 0); /* beyond the table */
}

static void names_matched_by_initials(void **state)
{
    (void)state;
    assert_true(pinyin_match("回收点490", "hsd490"));
    assert_true(pinyin_match("回收点490", "HSD49"));
    assert_true(pinyin_match("回收点490", "sd4"));
    assert_true(pinyin_match("温州绕城高速", "wzrc"));
    assert_true(pinyin_match("长安路", "cal"));
    assert_true(pinyin_match("长安路", "zal"));
    assert_true(pinyin_match("县道X250", "xdx250"));
    assert_true(pinyin_match("A-1 回收站", "a1hsz")); /* punctuation and spaces passed over */
    assert_false(pinyin_match("回收", "hsd"));
    assert_false(pinyin_match("回收点", "hd"));
    assert_false(pinyin_match("回收点", ""));
    assert_false(pinyin_match("回收点", "h s"));
    assert_false(pinyin_match("回收点", "回"));
    assert_false(pinyin_match("\xff\xfe回收点", "hsd")); /* not UTF-8 */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(initials_of_characters),
        cmocka_unit_test(names_matched_by_initials),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
