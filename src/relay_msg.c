/*
 * relay_msg.c: what a relay says (NIP-01, NIP-42), parsed strictly, and
 * the event lists queries collect (see relay.h). No I/O here.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "json.h"
#include "relay.h"

/* Element i of a as a string of min..max bytes; NUL bytes refused. */
static int
elem_str(struct json_object *a, size_t i, size_t min, size_t max,
    const char **s, size_t *len)
{
	struct json_object *v;
	size_t n;

	v = json_object_array_get_idx(a, i);
	if (!json_object_is_type(v, json_type_string))
		return -1;
	n = (size_t)json_object_get_string_len(v);
	*s = json_object_get_string(v);
	if (n < min || n > max || memchr(*s, '\0', n) != NULL)
		return -1;
	if (len != NULL)
		*len = n;
	return 0;
}

/* Optional element i as message text (NUL allowed); absent reads "". */
static int
elem_text(struct json_object *a, size_t i, const char **s, size_t *len)
{
	struct json_object *v;

	if (i >= json_object_array_length(a)) {
		*s = "";
		*len = 0;
		return 0;
	}
	v = json_object_array_get_idx(a, i);
	if (!json_object_is_type(v, json_type_string))
		return -1;
	*s = json_object_get_string(v);
	*len = (size_t)json_object_get_string_len(v);
	return 0;
}

static int
parse_array(struct json_object *a, struct relay_msg *m, const char **why)
{
	const char *type, *hex;
	struct json_object *v;
	size_t n = json_object_array_length(a);

	if (n < 2 || elem_str(a, 0, 1, 16, &type, NULL) == -1) {
		*why = "not a relay message";
		return -1;
	}
	if (strcmp(type, "EVENT") == 0) {
		m->type = RELAY_MSG_EVENT;
		if (n < 3 || elem_str(a, 1, 1, RELAY_SUBID_MAX, &m->sub_id,
		    NULL) == -1) {
			*why = "EVENT: bad subscription id";
			return -1;
		}
		v = json_object_array_get_idx(a, 2);
		if (!json_object_is_type(v, json_type_object) ||
		    nostr_event_from_json(v, 1, &m->event, why) == -1) {
			if (!json_object_is_type(v, json_type_object))
				*why = "EVENT: not an event object";
			return -1;
		}
		m->has_event = 1;
	} else if (strcmp(type, "OK") == 0) {
		m->type = RELAY_MSG_OK;
		if (n < 3 || elem_str(a, 1, 64, 64, &hex, NULL) == -1 ||
		    hex_decode(hex, 64, m->id, 32) == -1) {
			*why = "OK: bad event id";
			return -1;
		}
		v = json_object_array_get_idx(a, 2);
		if (!json_object_is_type(v, json_type_boolean) ||
		    elem_text(a, 3, &m->text, &m->text_len) == -1) {
			*why = "OK: bad status or message";
			return -1;
		}
		m->ok = json_object_get_boolean(v) ? 1 : 0;
	} else if (strcmp(type, "EOSE") == 0 || strcmp(type, "CLOSED") == 0) {
		m->type = type[0] == 'E' ? RELAY_MSG_EOSE : RELAY_MSG_CLOSED;
		if (elem_str(a, 1, 1, RELAY_SUBID_MAX, &m->sub_id, NULL) ==
		    -1 || (m->type == RELAY_MSG_CLOSED &&
		    elem_text(a, 2, &m->text, &m->text_len) == -1)) {
			*why = "EOSE/CLOSED: bad subscription id or message";
			return -1;
		}
	} else if (strcmp(type, "NOTICE") == 0) {
		m->type = RELAY_MSG_NOTICE;
		if (elem_text(a, 1, &m->text, &m->text_len) == -1) {
			*why = "NOTICE: bad message";
			return -1;
		}
	} else if (strcmp(type, "AUTH") == 0) {
		m->type = RELAY_MSG_AUTH;
		if (elem_str(a, 1, 1, RELAY_CHALLENGE_MAX, &m->text,
		    &m->text_len) == -1) {
			*why = "AUTH: bad challenge";
			return -1;
		}
	} else {
		*why = "unknown message type";
		return -1;
	}
	return 0;
}

int
relay_msg_parse(const char *buf, size_t len, struct relay_msg *m,
    const char **why)
{
	const char *w = NULL;

	memset(m, 0, sizeof(*m));
	m->text = "";
	if ((m->root = json_parse(buf, len)) == NULL ||
	    !json_object_is_type(m->root, json_type_array)) {
		w = "not a JSON array";
		goto fail;
	}
	if (parse_array(m->root, m, &w) == 0)
		return 0;
fail:
	relay_msg_release(m);
	if (why != NULL)
		*why = w;
	return -1;
}

void
relay_msg_release(struct relay_msg *m)
{
	if (m->has_event)
		nostr_event_release(&m->event);
	json_object_put(m->root);
	memset(m, 0, sizeof(*m));
	m->text = "";
}

void
relay_msg_prefix(const char *text, size_t len, char out[32])
{
	size_t i;

	out[0] = '\0';
	for (i = 0; i < len && i < 32; i++) {
		if (text[i] == ':')
			break;
		if ((text[i] < 'a' || text[i] > 'z') && text[i] != '-')
			return;
	}
	if (i == 0 || i == 32 || i == len)
		return;
	memcpy(out, text, i);
	out[i] = '\0';
}

void
relay_text_copy(char *out, size_t outsz, const char *s, size_t len)
{
	size_t i, j = 0, k, clen;
	unsigned char c;

	if (outsz == 0)
		return;
	for (i = 0; i < len; i += clen) {
		c = (unsigned char)s[i];
		clen = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
		if (clen > len - i || !is_utf8(s + i, clen)) {
			c = '?';
			clen = 1;
		}
		if (j + clen > outsz - 1)
			break;
		if (clen == 1)
			out[j++] = c < 0x20 || c == 0x7f || c >= 0x80 ? '?' :
			    (char)c;
		else if (clen == 2 && c == 0xc2 &&
		    (unsigned char)s[i + 1] < 0xa0)
			/* C1 controls, U+0080-U+009F (CSI is U+009B). */
			out[j++] = '?';
		else
			for (k = 0; k < clen; k++)
				out[j++] = s[i + k];
	}
	out[j] = '\0';
}

void
relay_events_init(struct relay_events *e)
{
	memset(e, 0, sizeof(*e));
}

static void
kept_free(struct relay_kept *k)
{
	free(k->d);
	free(k->json);
}

void
relay_events_release(struct relay_events *e)
{
	size_t i;

	for (i = 0; i < e->n; i++)
		kept_free(&e->v[i]);
	free(e->v);
	memset(e, 0, sizeof(*e));
}

/* Is a newer than b by the NIP-01 replaceable rule? */
static int
newer(int64_t at, const unsigned char id[32], const struct relay_kept *b)
{
	if (at != b->created_at)
		return at > b->created_at;
	return memcmp(id, b->id, 32) < 0;
}

int
relay_events_get(const struct relay_events *e, size_t i,
    struct nostr_event *ev)
{
	if (i >= e->n)
		return -1;
	return nostr_event_parse(e->v[i].json, e->v[i].len, 0, ev, NULL);
}

int
relay_events_newest(const struct relay_events *e, int kind,
    const unsigned char pubkey[32], struct nostr_event *ev)
{
	const struct relay_kept *best = NULL;
	size_t i;

	for (i = 0; i < e->n; i++)
		if (e->v[i].kind == kind &&
		    memcmp(e->v[i].pubkey, pubkey, 32) == 0 &&
		    (best == NULL || newer(e->v[i].created_at, e->v[i].id,
		    best)))
			best = &e->v[i];
	if (best == NULL)
		return -1;
	return relay_events_get(e, (size_t)(best - e->v), ev);
}

static int
replaceable(int kind)
{
	return kind == 0 || kind == 3 || (kind >= 10000 && kind < 20000);
}

static int
addressable(int kind)
{
	return kind >= 30000 && kind < 40000;
}

/* Does ev (whose "d" value is d) compete with k for one slot (NIP-01)? */
static int
same_slot(const struct relay_kept *k, const struct nostr_event *ev,
    const char *d)
{
	if (k->kind != ev->kind || memcmp(k->pubkey, ev->pubkey, 32) != 0)
		return 0;
	if (replaceable(ev->kind))
		return 1;
	return addressable(ev->kind) && strcmp(k->d, d) == 0;
}

/* Is v an array of items of type t only (a well-formed filter list)? */
static int
array_of(struct json_object *v, enum json_type t)
{
	size_t i, n;

	if (!json_object_is_type(v, json_type_array))
		return 0;
	n = json_object_array_length(v);
	for (i = 0; i < n; i++)
		if (!json_object_is_type(json_object_array_get_idx(v, i), t))
			return 0;
	return 1;
}

/* Is s, whole (NUL bytes and all), the string v? */
static int
same_str(struct json_object *v, const char *s, size_t len)
{
	return json_object_is_type(v, json_type_string) &&
	    (size_t)json_object_get_string_len(v) == len &&
	    memcmp(json_object_get_string(v), s, len) == 0;
}

/* Does the JSON array of strings arr hold s (len bytes)? */
static int
array_has_str(struct json_object *arr, const char *s, size_t len)
{
	size_t i, n;

	n = json_object_array_length(arr);
	for (i = 0; i < n; i++)
		if (same_str(json_object_array_get_idx(arr, i), s, len))
			return 1;
	return 0;
}

/* Does a tag named name (one letter) with a value in values exist? */
static int
tag_in(const struct nostr_event *ev, const char *name,
    struct json_object *values)
{
	struct json_object *t, *v;
	size_t i, n;

	n = json_object_array_length(ev->tags);
	for (i = 0; i < n; i++) {
		t = json_object_array_get_idx(ev->tags, i);
		if (json_object_array_length(t) < 2 ||
		    !same_str(json_object_array_get_idx(t, 0), name, 1))
			continue;
		v = json_object_array_get_idx(t, 1);
		if (array_has_str(values, json_object_get_string(v),
		    (size_t)json_object_get_string_len(v)))
			return 1;
	}
	return 0;
}

/* Is the integer bound key absent (1), present and met (1), or not? */
static int
bound_ok(struct json_object *f, const char *key, int64_t at, int upper)
{
	int64_t t;

	switch (json_get_int(f, key, INT64_MIN + 1, INT64_MAX - 1, &t)) {
	case JGET_ABSENT:
		return 1;
	case JGET_OK:
		return upper ? at <= t : at >= t;
	default:
		return 0; /* malformed: matches nothing */
	}
}

/*
 * NIP-01 compares whole strings: a tag value with a NUL byte in it is not
 * the string before the NUL. Lists of the wrong types, and bounds that
 * are not integers, make the filter malformed.
 */
int
relay_filter_match(struct json_object *f, const struct nostr_event *ev)
{
	struct json_object *v;
	char hex[65], name[2];
	size_t i, n;
	int found;

	if (f == NULL || !json_object_is_type(f, json_type_object))
		return 0;
	if (json_object_object_get_ex(f, "ids", &v)) {
		hex_encode(ev->id, 32, hex);
		if (!array_of(v, json_type_string) ||
		    !array_has_str(v, hex, 64))
			return 0;
	}
	if (json_object_object_get_ex(f, "authors", &v)) {
		hex_encode(ev->pubkey, 32, hex);
		if (!array_of(v, json_type_string) ||
		    !array_has_str(v, hex, 64))
			return 0;
	}
	if (json_object_object_get_ex(f, "kinds", &v)) {
		if (!array_of(v, json_type_int))
			return 0;
		n = json_object_array_length(v);
		for (found = 0, i = 0; i < n && !found; i++)
			found = json_object_get_int64(
			    json_object_array_get_idx(v, i)) == ev->kind;
		if (!found)
			return 0;
	}
	if (!bound_ok(f, "since", ev->created_at, 0) ||
	    !bound_ok(f, "until", ev->created_at, 1))
		return 0;
	json_object_object_foreach(f, key, val) {
		/* NIP-01 tag filters: "#" and one letter. */
		if (key[0] != '#' || strlen(key) != 2 ||
		    !((key[1] >= 'a' && key[1] <= 'z') ||
		    (key[1] >= 'A' && key[1] <= 'Z')))
			continue;
		name[0] = key[1];
		name[1] = '\0';
		if (!array_of(val, json_type_string) || !tag_in(ev, name, val))
			return 0;
	}
	return 1;
}

int
relay_events_add(struct relay_events *e, const struct nostr_event *ev)
{
	struct relay_kept *k = NULL;
	const char *d = NULL;
	size_t i;

	if (addressable(ev->kind) && (d = nostr_event_tag(ev, "d")) == NULL)
		d = "";
	for (i = 0; i < e->n; i++) {
		if (memcmp(e->v[i].id, ev->id, 32) == 0)
			return 0;
		if (!same_slot(&e->v[i], ev, d))
			continue;
		if (!newer(ev->created_at, ev->id, &e->v[i]))
			return 0;
		/* The newer one takes the slot: one per slot is ever held. */
		kept_free(&e->v[i]);
		k = &e->v[i];
		break;
	}
	if (k == NULL) {
		if (e->n == e->cap) {
			e->cap = e->cap * 2 + 16;
			e->v = xrealloc(e->v, e->cap * sizeof(*e->v));
		}
		k = &e->v[e->n++];
	}
	memcpy(k->id, ev->id, 32);
	memcpy(k->pubkey, ev->pubkey, 32);
	k->created_at = ev->created_at;
	k->kind = ev->kind;
	k->d = d != NULL ? xstrdup(d) : NULL;
	k->json = nostr_event_json_alloc(ev, &k->len);
	k->json = xrealloc(k->json, k->len + 1); /* no slack kept */
	return 1;
}
