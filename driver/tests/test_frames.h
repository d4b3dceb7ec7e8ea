/* Frame builders for the driver's tests: byte order, IPv4 and IPv6 packets, Ethernet frames and
 * ARP requests/replies (IEEE layout), with payloads derived from a sequence number. */
#ifndef TUNTAP_TEST_FRAMES_H
#define TUNTAP_TEST_FRAMES_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <SupportDefs.h>

#define TU_ETHER_HEADER 14

/* ---- byte order and frames ----------------------------------------------------------------- */

static inline void
tu_put_be16(uint8* p, uint16 value)
{
	p[0] = (uint8)(value >> 8);
	p[1] = (uint8)value;
}

static inline void
tu_put_be32(uint8* p, uint32 value)
{
	p[0] = (uint8)(value >> 24);
	p[1] = (uint8)(value >> 16);
	p[2] = (uint8)(value >> 8);
	p[3] = (uint8)value;
}

static inline uint16
tu_get_be16(const uint8* p)
{
	return (uint16)((p[0] << 8) | p[1]);
}

static inline uint32
tu_get_be32(const uint8* p)
{
	return ((uint32)p[0] << 24) | ((uint32)p[1] << 16) | ((uint32)p[2] << 8) | p[3];
}

/* an IPv4 address a.b.c.d as a uint32 in network byte order (memory order a, b, c, d) */
static inline uint32
tu_ipv4_address(uint8 a, uint8 b, uint8 c, uint8 d)
{
	uint8 bytes[4] = {a, b, c, d};
	uint32 value;
	memcpy(&value, bytes, sizeof(value));
	return value;
}

/* payload bytes derived from a sequence number: the number itself (big-endian), then a pattern */
static inline void
tu_fill_payload(uint8* p, size_t length, uint32 sequence)
{
	for (size_t i = 0; i < length; i++)
		p[i] = (uint8)(sequence * 7 + i * 13 + 1);
	if (length >= 4)
		tu_put_be32(p, sequence);
}

/* an IPv4 packet of `length` (>= 20) bytes: valid header and checksum, protocol 253 */
static inline size_t
tu_ipv4_packet(uint8* p, size_t length, uint32 sequence)
{
	assert_true(length >= 20 && length <= 65535);
	memset(p, 0, 20);
	p[0] = 0x45;
	tu_put_be16(p + 2, (uint16)length);
	tu_put_be16(p + 4, (uint16)sequence);
	p[8] = 64;
	p[9] = 253;
	memcpy(p + 12, (const uint8[]){10, 0, 0, 1}, 4);
	memcpy(p + 16, (const uint8[]){10, 0, 0, 2}, 4);
	uint32 sum = 0;
	for (int i = 0; i < 20; i += 2)
		sum += tu_get_be16(p + i);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	tu_put_be16(p + 10, (uint16)~sum);
	tu_fill_payload(p + 20, length - 20, sequence);
	return length;
}

/* an IPv6 packet of `length` (>= 40) bytes: fd00::1 -> fd00::2, next header 59 (none) */
static inline size_t
tu_ipv6_packet(uint8* p, size_t length, uint32 sequence)
{
	assert_true(length >= 40 && length <= 65535 + 40);
	memset(p, 0, 40);
	p[0] = 0x60;
	tu_put_be16(p + 4, (uint16)(length - 40));
	p[6] = 59;
	p[7] = 64;
	p[8] = 0xfd;
	p[23] = 1;
	p[24] = 0xfd;
	p[39] = 2;
	tu_fill_payload(p + 40, length - 40, sequence);
	return length;
}

static const uint8 tu_broadcast_mac[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
static const uint8 tu_zero_mac[6] = {0, 0, 0, 0, 0, 0};
static const uint8 tu_app_mac[6] = {0x02, 0x00, 0x5e, 0x10, 0x20, 0x30}; /* the application's */

/* an Ethernet frame of `length` (>= 14) bytes */
static inline size_t
tu_ether_frame(uint8* p, size_t length, const uint8 destination[6], const uint8 source[6],
	uint16 type, uint32 sequence)
{
	assert_true(length >= TU_ETHER_HEADER);
	memcpy(p, destination, 6);
	memcpy(p + 6, source, 6);
	tu_put_be16(p + 12, type);
	tu_fill_payload(p + 14, length - 14, sequence);
	return length;
}

#define TU_ARP_FRAME_LENGTH 42
#define TU_ARP_REQUEST 1
#define TU_ARP_REPLY 2

/* Ethernet + ARP (IEEE/Haiku layout: htype 1, ptype 0x0800, hlen 6, plen 4); addresses in
 * network byte order; 42 bytes, no padding */
static inline size_t
tu_arp_frame(uint8* p, const uint8 etherDestination[6], const uint8 etherSource[6], uint16 op,
	const uint8 senderMac[6], uint32 senderIp, const uint8 targetMac[6], uint32 targetIp)
{
	memcpy(p, etherDestination, 6);
	memcpy(p + 6, etherSource, 6);
	tu_put_be16(p + 12, 0x0806);
	uint8* arp = p + 14;
	tu_put_be16(arp, 1);
	tu_put_be16(arp + 2, 0x0800);
	arp[4] = 6;
	arp[5] = 4;
	tu_put_be16(arp + 6, op);
	memcpy(arp + 8, senderMac, 6);
	memcpy(arp + 14, &senderIp, 4);
	memcpy(arp + 18, targetMac, 6);
	memcpy(arp + 24, &targetIp, 4);
	return TU_ARP_FRAME_LENGTH;
}

#endif
