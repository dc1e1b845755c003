/* identity.c: GET /identity, who the signer is to this service. */
#include "config.h"

#include "http.h"
#include "json.h"

/* GET /identity (any signer): {"pubkey", "is_admin"}; no side effects. */
enum status
identity_get(struct req *r, struct resp *w)
{
	w->data = jobj();
	jadd_str(w->data, "pubkey", r->signer);
	jadd_bool(w->data, "is_admin", r->is_admin);
	return ST_OK;
}
