/*
 * netaddr.h: is an address one a tenant may make us connect to? Data that
 * tenants or strangers control (a wallet URL's relays, a recipient's relay
 * list) must not reach loopback, private networks or cloud metadata
 * services, so the address a name resolved to is checked right before the
 * connect (which also defeats DNS rebinding).
 */
#ifndef CARAVEL_NETADDR_H
#define CARAVEL_NETADDR_H

#include <stddef.h>
#include <sys/socket.h>

/*
 * 1 for a globally routable unicast address; 0 for unspecified,
 * loopback, private (RFC 1918, fc00::/7), CGNAT (100.64/10), link-local
 * (169.254/16, fe80::/10, where cloud metadata lives), multicast,
 * reserved, documentation and benchmark ranges, and IPv6 forms that
 * embed an IPv4 address (mapped, NAT64, 6to4) when that address is not
 * public.
 */
int netaddr_is_public(const struct sockaddr *);
/* The address as text ("127.0.0.1", "::1") into out. */
void netaddr_text(const struct sockaddr *, char *out, size_t outsz);

#endif
