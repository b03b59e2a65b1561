/* Pinyin initials of Han characters (Unihan's Mandarin readings), so that a
 * resident can type "hsd" for 回收点. */
#ifndef GISD_PINYIN_H
#define GISD_PINYIN_H

#include <stdint.h>

/* The initial letters of every Mandarin reading of cp as a mask (bit 0 'a'
 * to bit 25 'z'); 0 for a code point that is no Han character of
 * U+3400..U+9FFF or has no reading. */
unsigned pinyin_initials(uint32_t cp);
/* 1 when q (ASCII letters and digits, any case) spells a run of name's
 * characters one a character: a Han character by an initial of one of its
 * readings, a letter or digit by itself (any case); other characters of
 * name (spaces, punctuation) are passed over. 0 otherwise, and for an empty
 * q or a name that is not UTF-8. */
int pinyin_match(const char *name, const char *q);

#endif
