#include "ipfix/ntp.h"

uint64_t ns_ntp_from_ns(uint64_t ns)
{
    if (ns > NS_NTP_MAX_NS)
        ns = NS_NTP_MAX_NS;
    uint64_t sec = ns / 1000000000u, sub = ns % 1000000000u;
    /* sub < 10^9, so sub << 32 < 2^62: no overflow.  Ceil division. */
    uint64_t frac = ((sub << 32) + 999999999u) / 1000000000u;
    uint32_t ntp_sec = (uint32_t)(sec + NS_NTP_UNIX_OFFSET); /* mod 2^32: era 1 wraps */
    return (uint64_t)ntp_sec << 32 | frac;
}

uint64_t ns_ntp_to_ns(uint64_t ntp)
{
    uint64_t ntp_sec = ntp >> 32, frac = ntp & 0xFFFFFFFFu;
    uint64_t sec = ntp_sec >= NS_NTP_UNIX_OFFSET ? ntp_sec - NS_NTP_UNIX_OFFSET
                                                 : ntp_sec + (1ull << 32) - NS_NTP_UNIX_OFFSET;
    return sec * 1000000000u + ((frac * 1000000000u) >> 32);
}

uint64_t ns_ntp_us_to_ns(uint64_t ntp)
{
    uint64_t ns = ns_ntp_to_ns(ntp & ~(uint64_t)0x7FF);
    /* The fraction keeps 21 bits (≈ 0.48 µs resolution): round to the
     * nearest microsecond rather than truncate below the exporter's. */
    return (ns + 500) / 1000 * 1000;
}
