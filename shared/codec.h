/*  codec: JSON text <-> protocol values, for the server, the client and tests.

    Requests are decoded against the op table (protocol.h), so every field a
    handler sees has the right type and range. Replies are built as jansson
    objects with one encoder per domain object, and a client reads them back
    with the matching parser, so each message has exactly one definition.

    Ownership: a decoded bo_request_t owns its JSON until bo_request_clear().
    Functions returning json_t * return a new reference the caller owns.
    Functions returning char * return a malloc'd string the caller free()s.
    Parsed domain objects borrow strings from the json_t they came from.
*/
#ifndef BO_CODEC_H
#define BO_CODEC_H

#include <jansson.h>

#include "protocol.h"

/* Room for a human message that names a field and its range. */
#define BO_MESSAGE_MAX 256

/* Decodes one request frame. On success fills `request` (release it with
   bo_request_clear) and returns BO_OK. Otherwise returns BAD_REQUEST,
   UNKNOWN_OP or TOO_LARGE with a message saying why; if the frame was a JSON
   object with a usable request_id, request->request_id is set so the error
   reply can echo it, and request->json must still be cleared. */
bo_status_t codec_decode_request(const void *data, size_t size, bo_request_t *request,
                                 char message[BO_MESSAGE_MAX]);
void bo_request_clear(bo_request_t *request);

/* A canonical text of the request without its request_id, used to tell a
   genuine retry from a reused request_id; malloc'd (the caller frees it),
   NULL if out of memory. An op has fewer fields than
   CODEC_FINGERPRINT_KEYS. */
#define CODEC_FINGERPRINT_KEYS 16
char *codec_request_fingerprint(const bo_request_t *request);

/* {"ok": true} with the request's request_id echoed when it has one. */
json_t *codec_reply_ok(const char *request_id);
/* {"ok": false, "error": CODE, "message": TEXT}; message NULL = the default. */
json_t *codec_reply_error(bo_status_t status, const char *message, const char *request_id);
/* Compact text of a reply, in key insertion order. */
char *codec_dump(const json_t *reply);
/* The members of an object as JSON text without its braces
   ("\"a\":1,\"b\":[]"), to be joined to a reply by codec_dump_with; NULL if
   out of memory. Caller frees. */
char *codec_members(const json_t *members);
/* codec_dump of `reply` with `members` (from codec_members) added. */
char *codec_dump_with(const json_t *reply, const char *members);

/* An RFC 3339 string, or null for 0 ("no time"). */
json_t *codec_time(int64_t at_ms);

/* Encoders: add the object's fields to `reply`, or return a new object. */
void codec_put_queue_state(json_t *reply, const bo_queue_state_t *state);
void codec_put_hold(json_t *reply, const bo_reservation_t *hold);
json_t *codec_concert(const bo_concert_t *concert);
json_t *codec_schedule(const bo_schedule_t *schedule);
json_t *codec_seat(const bo_seat_t *seat);
json_t *codec_reservation(const bo_reservation_t *reservation);
json_t *codec_ledger_entry(const bo_ledger_entry_t *entry);

/* Client side. Parses a reply frame: returns the object (owned) and sets
   *status to BO_OK or the reply's error code (BO_INTERNAL if the code is one
   this build does not know) and *message to its text (borrowed from the
   object). Returns NULL if the frame is not a JSON object. */
json_t *codec_parse_reply(const void *data, size_t size, bo_status_t *status, const char **message);

/* Parsers: read an object produced by the matching encoder. Each returns
   false if a field is missing or of the wrong type. */
bool codec_parse_queue_state(const json_t *object, bo_queue_state_t *state);
bool codec_parse_hold(const json_t *object, bo_reservation_t *hold);
bool codec_parse_concert(const json_t *object, bo_concert_t *concert);
bool codec_parse_schedule(const json_t *object, bo_schedule_t *schedule);
bool codec_parse_seat(const json_t *object, bo_seat_t *seat);
bool codec_parse_reservation(const json_t *object, bo_reservation_t *reservation);
bool codec_parse_ledger_entry(const json_t *object, bo_ledger_entry_t *entry);

/* A time field: an RFC 3339 string, or null/absent for 0. */
bool codec_parse_time(const json_t *object, const char *key, int64_t *at_ms);

#endif
