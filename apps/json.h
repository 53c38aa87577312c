/*
 * json.h — the one JSON writer of the bundled programs, so that every
 * program's --format json is valid for strict parsers (Python's json, jq)
 * and spells the same things the same way:
 *  - numbers: the shortest text that reads back as the same double (or
 *    float); -0.0 as "-0.0" (a bare -0 reads back as the integer 0);
 *  - NaN, +inf and -inf, which JSON numbers cannot hold: the strings
 *    "NaN", "Infinity" and "-Infinity" (JavaScript's and Python's float()
 *    spellings), so that the three stay apart;
 *  - strings: quotes, backslashes and control characters escaped; bytes
 *    that are not UTF-8 (a Latin-1 name, a binary key) as \u00XX, the
 *    character of that code in Latin-1, so the text is always UTF-8.
 */
#ifndef COHORT_JSON_H
#define COHORT_JSON_H

#include <stdint.h>
#include <stdio.h>

/* The @n bytes of @s (fewer if a NUL comes first) as a JSON string. */
void json_string(FILE *f, const char *s, size_t n);
/* A double, or a float's value when @single (shortest text for the float). */
void json_number(FILE *f, double v, int single);
/* [v0, v1, ...] */
void json_numbers(FILE *f, const double *v, int64_t n);

#endif
