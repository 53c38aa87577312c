/*
 * json.c — the bundled programs' JSON writer (see json.h for the rules).
 */
#include "json.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* The length of the well-formed UTF-8 sequence at @s (at most @n bytes),
 * or 0 when it is not one (RFC 3629: no overlong forms, no surrogates,
 * nothing past U+10FFFF). */
static size_t utf8_length(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t len = c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
    if (len == 0 || len > n)
        return 0;
    for (size_t i = 1; i < len; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    if ((c == 0xE0 && s[1] < 0xA0) || (c == 0xED && s[1] > 0x9F) || (c == 0xF0 && s[1] < 0x90) ||
        (c == 0xF4 && s[1] > 0x8F))
        return 0;
    return len;
}

void json_string(FILE *f, const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    n = strnlen(str, n);
    putc('"', f);
    for (size_t i = 0; i < n;) {
        unsigned char c = s[i];
        if (c == '"' || c == '\\') {
            putc('\\', f), putc(c, f), i++;
        } else if (c < 0x20) {
            fprintf(f, "\\u%04x", c), i++;
        } else if (c < 0x80) {
            putc(c, f), i++;
        } else {
            size_t len = utf8_length(s + i, n - i);
            if (len)
                fwrite(s + i, 1, len, f), i += len;
            else
                fprintf(f, "\\u%04x", c), i++; /* not UTF-8: the Latin-1 character */
        }
    }
    putc('"', f);
}

void json_number(FILE *f, double v, int single)
{
    if (isnan(v) || isinf(v)) {
        fputs(isnan(v) ? "\"NaN\"" : v > 0 ? "\"Infinity\"" : "\"-Infinity\"", f);
        return;
    }
    if (v == 0 && signbit(v)) { /* "-0" would read back as the integer 0 */
        fputs("-0.0", f);
        return;
    }
    char buf[40];
    for (int prec = single ? 6 : 15; prec <= 17; prec++) { /* the shortest that reads back */
        snprintf(buf, sizeof buf, "%.*g", prec, v);
        if (single ? (float)strtod(buf, NULL) == (float)v : strtod(buf, NULL) == v)
            break;
    }
    fputs(buf, f);
}

void json_numbers(FILE *f, const double *v, int64_t n)
{
    putc('[', f);
    for (int64_t i = 0; i < n; i++) {
        if (i)
            fputs(", ", f);
        json_number(f, v[i], 0);
    }
    putc(']', f);
}
