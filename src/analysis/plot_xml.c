/* plot_xml.c — user text as XML that always parses (see plot.h). */
#include "analysis/plot.h"

#include <stdint.h>

#define REPLACEMENT 0xFFFDu

/* Decode one character of NUL-terminated `s` (Unicode 15, table 3-7:
 * well-formed UTF-8 byte sequences); a byte that starts no well-formed
 * sequence is one U+FFFD.  A continuation byte is never NUL, so the reads
 * stop at the terminator.  Returns the bytes consumed (>= 1). */
static size_t utf8_next(const unsigned char *s, uint32_t *cp)
{
    unsigned c = s[0];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    size_t len;
    unsigned lo = 0x80, hi = 0xBF; /* range of the second byte */
    if (c >= 0xC2 && c <= 0xDF)
        len = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0)
            lo = 0xA0; /* overlong */
        else if (c == 0xED)
            hi = 0x9F; /* surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0)
            lo = 0x90; /* overlong */
        else if (c == 0xF4)
            hi = 0x8F; /* above U+10FFFF */
    } else {
        *cp = REPLACEMENT;
        return 1;
    }
    if (s[1] < lo || s[1] > hi) {
        *cp = REPLACEMENT;
        return 1;
    }
    uint32_t v = c & (0xFFu >> (len + 1));
    for (size_t i = 1; i < len; i++) {
        if (s[i] < 0x80 || s[i] > 0xBF) {
            *cp = REPLACEMENT;
            return 1;
        }
        v = v << 6 | (s[i] & 0x3Fu);
    }
    *cp = v;
    return len;
}

/* XML 1.0 section 2.2, production [2] Char. */
static int xml_char(uint32_t c)
{
    return c == 0x9 || c == 0xA || c == 0xD || (c >= 0x20 && c <= 0xD7FF) ||
           (c >= 0xE000 && c <= 0xFFFD) || (c >= 0x10000 && c <= 0x10FFFF);
}

size_t ns_plot_text_chars(const char *s)
{
    size_t n = 0;
    uint32_t cp;
    for (const unsigned char *u = (const unsigned char *)s; *u; n++)
        u += utf8_next(u, &cp);
    return n;
}

size_t ns_plot_xml_text(FILE *out, const char *s, size_t max_chars)
{
    if (!max_chars)
        return 0;
    size_t total = ns_plot_text_chars(s);
    size_t keep = total > max_chars ? max_chars - 1 : total;
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < keep; i++) {
        uint32_t cp;
        size_t len = utf8_next(u, &cp);
        if (!xml_char(cp) || cp == REPLACEMENT)
            fputs("\xEF\xBF\xBD", out); /* U+FFFD REPLACEMENT CHARACTER */
        else if (cp == '&')
            fputs("&amp;", out);
        else if (cp == '<')
            fputs("&lt;", out);
        else if (cp == '>')
            fputs("&gt;", out); /* required after "]]" (section 2.4), harmless elsewhere */
        else if (cp == '"')
            fputs("&quot;", out);
        else if (cp == '\'')
            fputs("&apos;", out);
        else
            fwrite(u, 1, len, out);
        u += len;
    }
    if (keep < total)
        fputs("\xE2\x80\xA6", out); /* U+2026 HORIZONTAL ELLIPSIS */
    return total > max_chars ? max_chars : total;
}
