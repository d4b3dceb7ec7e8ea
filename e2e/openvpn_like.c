// What OpenVPN does with a TUN device on Haiku (make e2e): open MOUNT/tun/0..255 in order until one
// opens, O_NONBLOCK, poll, plain read/write; pings the peer until SIGTERM; 0 iff all were answered.
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum {
	kMaxUnits = 256,
	kPayload = 56,
	kPacket = 20 + 8 + kPayload,
	kReplyTimeoutMs = 1000,
	kMaxLost = 5, // then give up
};


static volatile sig_atomic_t sStop;


static void
on_sigterm(int sig)
{
	(void)sig;
	sStop = 1;
}


static int64_t
now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}


// the Internet checksum (RFC 1071) of len bytes
static uint16_t
checksum(const uint8_t* data, size_t len)
{
	uint32_t sum = 0;
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)data[i] << 8 | data[i + 1];
	if (len % 2)
		sum += (uint32_t)data[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}


static void
put16(uint8_t* p, uint16_t value)
{
	p[0] = value >> 8;
	p[1] = value & 0xff;
}


static uint16_t
get16(const uint8_t* p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}


// an IPv4 ICMP echo request from src to dst (both in network byte order)
static void
build_echo(uint8_t* packet, uint32_t src, uint32_t dst, uint16_t id, uint16_t seq)
{
	memset(packet, 0, kPacket);
	packet[0] = 0x45;
	put16(packet + 2, kPacket);
	put16(packet + 4, seq);
	put16(packet + 6, 0x4000); // don't fragment
	packet[8] = 64;
	packet[9] = 1; // ICMP
	memcpy(packet + 12, &src, 4);
	memcpy(packet + 16, &dst, 4);
	put16(packet + 10, checksum(packet, 20));
	uint8_t* icmp = packet + 20;
	icmp[0] = 8; // echo request
	put16(icmp + 4, id);
	put16(icmp + 6, seq);
	for (int i = 0; i < kPayload; i++)
		icmp[8 + i] = (uint8_t)(seq + i);
	put16(icmp + 2, checksum(icmp, 8 + kPayload));
}


// the peer's echo reply to (id, seq) with the payload intact
static int
is_reply(const uint8_t* packet, ssize_t len, uint32_t peer, uint16_t id, uint16_t seq)
{
	if (len < 20 || (packet[0] >> 4) != 4)
		return 0;
	size_t header = (size_t)(packet[0] & 0xf) * 4;
	if (packet[9] != 1 || (size_t)len != header + 8 + kPayload || memcmp(packet + 12, &peer, 4))
		return 0;
	const uint8_t* icmp = packet + header;
	if (icmp[0] != 0 || get16(icmp + 4) != id || get16(icmp + 6) != seq)
		return 0;
	for (int i = 0; i < kPayload; i++) {
		if (icmp[8 + i] != (uint8_t)(seq + i))
			return 0;
	}
	return 1;
}


// OpenVPN's scan: the first of MOUNT/tun/0..255 that opens; counts the others' errors
static int
open_first_unit(const char* mount, int* unit, int* busy, int* absent)
{
	char path[4096];
	for (*unit = 0; *unit < kMaxUnits; (*unit)++) {
		snprintf(path, sizeof(path), "%s/tun/%d", mount, *unit);
		int fd = open(path, O_RDWR);
		if (fd >= 0)
			return fd;
		if (errno == EBUSY)
			(*busy)++;
		else if (errno == ENOENT)
			(*absent)++;
		else
			printf("openvpn_like: open %s: %s\n", path, strerror(errno));
	}
	return -1;
}


int
main(int argc, char** argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: openvpn_like MOUNT LOCAL_IPV4 PEER_IPV4 SECONDS\n");
		return 2;
	}
	uint32_t local;
	uint32_t peer;
	if (inet_pton(AF_INET, argv[2], &local) != 1 || inet_pton(AF_INET, argv[3], &peer) != 1) {
		fprintf(stderr, "openvpn_like: bad IPv4 address\n");
		return 2;
	}
	int64_t end = now_us() + (int64_t)atoi(argv[4]) * 1000000;
	struct sigaction action;
	memset(&action, 0, sizeof(action));
	action.sa_handler = on_sigterm; // no SA_RESTART: poll returns EINTR, the loop ends
	sigemptyset(&action.sa_mask);
	sigaction(SIGTERM, &action, NULL);
	int unit = 0;
	int busy = 0;
	int absent = 0;
	int fd = open_first_unit(argv[1], &unit, &busy, &absent);
	if (fd < 0) {
		printf("openvpn_like: no unit of %s/tun/0..%d opened (%d busy, %d absent)\n", argv[1],
			kMaxUnits - 1, busy, absent);
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf(
		"openvpn_like: opened %s/tun/%d after %d busy, %d absent\n", argv[1], unit, busy, absent);
	int flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) {
		printf("openvpn_like: fcntl O_NONBLOCK: %s\n", strerror(errno));
		return 1;
	}

	uint16_t id = (uint16_t)getpid();
	int replies = 0;
	int lost = 0;
	int spurious = 0; // poll said readable or writable, the call said EAGAIN
	int others = 0;
	int64_t rttSum = 0;
	int64_t rttMax = 0;
	uint8_t packet[kPacket];
	static uint8_t buffer[65536];
	int seq = 0;
	for (; !sStop && now_us() < end && lost < kMaxLost; seq++) {
		build_echo(packet, local, peer, id, (uint16_t)seq);
		struct pollfd pfd = {.fd = fd, .events = POLLOUT};
		for (;;) {
			int ready = poll(&pfd, 1, kReplyTimeoutMs);
			if (ready < 0 && errno == EINTR)
				continue;
			if (ready < 0 || pfd.revents & (POLLERR | POLLHUP | POLLNVAL)) {
				printf("openvpn_like: tun/%d: poll for writing: revents %#x, %s\n", unit,
					(unsigned)pfd.revents, ready < 0 ? strerror(errno) : "unit gone");
				return 1;
			}
			if (ready == 0) {
				printf("openvpn_like: tun/%d: never writable\n", unit);
				return 1;
			}
			ssize_t written = write(fd, packet, sizeof(packet));
			if (written == (ssize_t)sizeof(packet))
				break;
			if (written < 0 && errno == EINTR)
				continue;
			if (written < 0 && errno == EAGAIN) {
				spurious++;
				continue;
			}
			printf("openvpn_like: tun/%d: write: %s\n", unit,
				written < 0 ? strerror(errno) : "short write");
			return 1;
		}
		int64_t sent = now_us();
		int64_t deadline = sent + kReplyTimeoutMs * 1000;
		for (;;) {
			int64_t left = deadline - now_us();
			if (left <= 0) {
				printf("openvpn_like: tun/%d: no reply to echo %d within %d ms\n", unit, seq,
					kReplyTimeoutMs);
				lost++;
				break;
			}
			pfd.events = POLLIN;
			int ready = poll(&pfd, 1, (int)((left + 999) / 1000));
			if (ready < 0 && errno == EINTR)
				continue; // SIGTERM: still wait for this echo's reply
			if (ready < 0 || (ready > 0 && pfd.revents & (POLLERR | POLLHUP | POLLNVAL))) {
				printf("openvpn_like: tun/%d: poll for reading: revents %#x, %s\n", unit,
					(unsigned)pfd.revents, ready < 0 ? strerror(errno) : "unit gone");
				return 1;
			}
			if (ready == 0)
				continue;
			ssize_t len = read(fd, buffer, sizeof(buffer));
			if (len < 0 && errno == EAGAIN) {
				spurious++;
				continue;
			}
			if (len < 0 && errno == EINTR)
				continue;
			if (len < 0) {
				printf("openvpn_like: tun/%d: read: %s\n", unit, strerror(errno));
				return 1;
			}
			if (!is_reply(buffer, len, peer, id, (uint16_t)seq)) {
				others++;
				continue;
			}
			int64_t rtt = now_us() - sent;
			rttSum += rtt;
			if (rtt > rttMax)
				rttMax = rtt;
			replies++;
			break;
		}
	}
	if (close(fd) != 0) {
		printf("openvpn_like: close: %s\n", strerror(errno));
		return 1;
	}
	printf("openvpn_like: tun/%d (after %d busy, %d absent): %d/%d echo replies, rtt avg %lld us"
		   " max %lld us; %d EAGAIN after poll, %d other packets\n",
		unit, busy, absent, replies, seq, replies ? (long long)(rttSum / replies) : 0LL,
		(long long)rttMax, spurious, others);
	return lost == 0 && replies == seq && seq > 0 ? 0 : 1;
}
