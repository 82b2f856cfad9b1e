/*
 * ntp.h — IPFIX timestamps (RFC 7011 §6.1.7–6.1.10).
 *
 * dateTimeMicroseconds and dateTimeNanoseconds are 64-bit NTP timestamps
 * (RFC 5905: 32-bit seconds since 1900-01-01, 32-bit binary fraction).
 * netsift times are uint64 nanoseconds since the Unix epoch.
 *
 * Exact round trip: encoding rounds the fraction UP (ceil(ns·2^32/10^9)) and
 * decoding truncates (floor(frac·10^9/2^32)).  One fraction unit is
 * 0.233 ns < 1 ns, so floor(ceil(x)) returns the original nanosecond for
 * every value, and decoders that truncate (most do) read the exact value
 * too.
 *
 * Era: the 32-bit seconds wrap on 2036-02-07.  Following RFC 5905's era
 * rule as RFC 7011 §6.1.10 suggests, NTP seconds below 2208988800 (i.e.
 * "before 1970") are read as era 1 (2036–2106).  The exactly representable
 * range is therefore [0, 2^32 s) since the Unix epoch, the same range as
 * dateTimeSeconds; later values are out of range (ns_ntp_from_ns clamps).
 */
#ifndef NS_IPFIX_NTP_H
#define NS_IPFIX_NTP_H

#include <stdint.h>

#define NS_NTP_UNIX_OFFSET 2208988800u                         /* seconds 1900 → 1970 */
#define NS_NTP_MAX_NS      (4294967296ull * 1000000000ull - 1) /* last exact value */

uint64_t ns_ntp_from_ns(uint64_t ns);
uint64_t ns_ntp_to_ns(uint64_t ntp);
/* dateTimeMicroseconds: NTP format whose low 11 fraction bits are
 * ignored (§6.1.9); decoded to ns truncated to the microsecond. */
uint64_t ns_ntp_us_to_ns(uint64_t ntp);

#endif
