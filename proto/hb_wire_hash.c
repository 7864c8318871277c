/* hb_wire_hash.c - the payload hash of an op, as central stores it.
 *
 * An op's payload hash is SHA-256 over its canonical encoding. A
 * registration is hashed with its personal fields (name, birth year,
 * phone) taken out and a keyed BLAKE2b of them appended, keyed with
 * central's hash key (table hash_key): the hash still tells a resent
 * registration with other personal data from the same one (idempotency),
 * but it holds nothing that a guess of a name and a year could be checked
 * against without the key (server/RECORD.md, "Payload hashes"). */
#include "hb_wire.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "hb_assert.h"

_Static_assert(HB_WIRE_HASH_BYTES == crypto_hash_sha256_BYTES, "payload hashes are SHA-256");
_Static_assert(HB_WIRE_HASH_KEY_BYTES >= crypto_generichash_KEYBYTES_MIN &&
                   HB_WIRE_HASH_KEY_BYTES <= crypto_generichash_KEYBYTES_MAX,
               "the hash key fits BLAKE2b");

static void
sha256_packed(const Hourbank__Op *op, const uint8_t *suffix, size_t suffix_len, uint8_t out[HB_WIRE_HASH_BYTES])
{
    size_t len = hourbank__op__get_packed_size(op);
    uint8_t *buf = malloc(len + suffix_len + 1);
    hb_assert(buf);
    hourbank__op__pack(op, buf);
    if (suffix_len)
        memcpy(buf + len, suffix, suffix_len);
    crypto_hash_sha256(out, buf, len + suffix_len);
    free(buf);
}

void
hb_wire_op_hash_plain(const Hourbank__Op *op, uint8_t out[HB_WIRE_HASH_BYTES])
{
    hb_assert(op && out);
    sha256_packed(op, NULL, 0, out);
}

void
hb_wire_op_hash(const Hourbank__Op *op, const uint8_t key[HB_WIRE_HASH_KEY_BYTES], uint8_t out[HB_WIRE_HASH_BYTES])
{
    hb_assert(op && key && out);
    if (op->kind_case != HOURBANK__OP__KIND_REGISTER_MEMBER || !op->register_member) {
        sha256_packed(op, NULL, 0, out);
        return;
    }
    const Hourbank__RegisterMember *m = op->register_member;
    crypto_generichash_state st;
    uint8_t digest[HB_WIRE_HASH_BYTES];
    char year[16];
    snprintf(year, sizeof year, "%u", (unsigned) m->birth_year);
    crypto_generichash_init(&st, key, HB_WIRE_HASH_KEY_BYTES, sizeof digest);
    const char *fields[] = {m->name ? m->name : "", year, m->phone ? m->phone : ""};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)  /* each ends with its NUL */
        crypto_generichash_update(&st, (const unsigned char *) fields[i], strlen(fields[i]) + 1);
    crypto_generichash_final(&st, digest, sizeof digest);
    Hourbank__RegisterMember bare = *m;
    bare.name = (char *) "";
    bare.birth_year = 0;
    bare.phone = (char *) "";
    Hourbank__Op copy = *op;
    copy.register_member = &bare;
    sha256_packed(&copy, digest, sizeof digest, out);
}
