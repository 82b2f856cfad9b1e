/*
 * hash.h — the hash functions of hash-based selection (RFC 5475 §6.2.4,
 * Appendix A) and the keyed hash of robust selection (RFC 5474 §5.2).
 *
 * Design
 * ------
 * All four take a byte string (the hash domain a selector cut out of the
 * packet, see select.h) and return a 32-bit value that the selector
 * compares with its selection ranges:
 *
 *  - BOB: Bob Jenkins' 1996 hash (RFC 5475 Appendix A.1, "lookup2"): three
 *    32-bit registers, the golden ratio 0x9e3779b9 in a and b, the
 *    initializer value in c, 12 input bytes added per round (little-endian
 *    words) and mixed, the length added to c before the last round.
 *  - IPSX: a shift-XOR hash of 32-bit big-endian input words.  RFC 5475
 *    Appendix A.2 defines an "IPSX" function of XORs and shifts over 16
 *    bytes of IPv4 header; its exact reference code was not at hand when
 *    this was written, so this is netsift's own shift-XOR function in
 *    that spirit (xorshift steps 13/17/5 after each word).  It is
 *    consistent between netsift observation points but NOT claimed to be
 *    bit-compatible with other implementations of IPSX.
 *  - CRC-32: the IEEE 802.3 polynomial 0x04C11DB7 in its reflected form
 *    (0xEDB88320), as zlib and Ethernet compute it; the initializer value
 *    is the CRC of what came before, so ns_crc32(t, init, p, n) equals
 *    Python's zlib.crc32(p, init).  The tables are built by the caller into
 *    its own memory (no global state in the library).
 *  - SipHash-2-4 (Aumasson & Bernstein 2012) with a secret 128-bit key:
 *    the hashes above are public functions, so whoever knows the
 *    configuration can craft packets that are always (flooding) or never
 *    (evasion) selected; with a keyed PRF that needs the key (RFC 5474
 *    §5.2 robust selection, §12.2).  Written here from the paper; checked
 *    against the paper's test vector.
 *
 * Ownership and errors: pure functions, nothing allocated, nothing fails.
 */
#ifndef NS_SELECT_HASH_H
#define NS_SELECT_HASH_H

#include <stddef.h>
#include <stdint.h>

uint32_t ns_hash_bob(const uint8_t *k, size_t len, uint32_t init);
/* Four BOB hashes at once of keys of the same length: out[j] =
 * ns_hash_bob(k[j], len, init) exactly.  The mix is one long chain of
 * dependent operations (three rounds of 36 for a 32-byte domain); four
 * independent chains in the lanes of SSE2 registers (baseline on x86-64;
 * a scalar loop elsewhere) cost about what one does. */
void ns_hash_bob_x4(const uint8_t *const k[4], size_t len, uint32_t init, uint32_t out[4]);
/* The same for keys of lengths that differ but hold the same number of
 * whole 12-byte blocks (len[j] / 12 equal for all j), as the domains of
 * IPv4 packets with and without a full payload do.  Each key must be
 * readable, and zero, from len[j] up to (len[j] / 12 + 1) * 12 bytes:
 * lookup2's tail adds the bytes left over to a, b and the upper three
 * bytes of c where they stand, so zeros add nothing and one vector add
 * serves lanes with any number of bytes left over.  out[j] =
 * ns_hash_bob(k[j], len[j], init) exactly. */
void ns_hash_bob_x4_padded(const uint8_t *const k[4], const uint32_t len[4], uint32_t init,
                           uint32_t out[4]);
uint32_t ns_hash_ipsx(const uint8_t *k, size_t len, uint32_t init);

/* Tables for slicing-by-8 (Intel's method: eight bytes per step through
 * eight 256-entry tables), 8 KiB; t[0] is the classic byte-wise table. */
void ns_crc32_table(uint32_t t[8][256]);
uint32_t ns_crc32(const uint32_t t[8][256], uint32_t init, const uint8_t *p, size_t n);

uint64_t ns_siphash24(const uint8_t key[16], const uint8_t *m, size_t len);

#endif
