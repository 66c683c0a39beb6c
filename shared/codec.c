/*  codec: JSON text <-> protocol values. */
#include "codec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bo_time.h"

/* Writes "field 'NAME' <problem>" and returns BAD_REQUEST. The range is
   printed only when the problem's format asks for it (two %lld). */
static bo_status_t s_field_error(char message[BO_MESSAGE_MAX], const bo_field_spec_t *field,
                                 const char *problem)
{
    char format[BO_MESSAGE_MAX];
    snprintf(format, sizeof format, "field '%s' %s", field->name, problem);
    snprintf(message, BO_MESSAGE_MAX, format, (long long)field->min, (long long)field->max);
    return BO_BAD_REQUEST;
}

static bo_status_t s_decode_field(json_t *object, const bo_field_spec_t *field,
                                  bo_request_t *request, char message[BO_MESSAGE_MAX])
{
    json_t *value = json_object_get(object, field->name);
    char *slot = (char *)request + field->offset;
    if (!value || json_is_null(value))
        return field->required ? s_field_error(message, field, "is missing") : BO_OK;
    if (field->type == BO_FIELD_STRING) {
        if (!json_is_string(value))
            return s_field_error(message, field, "must be a string");
        int64_t length = (int64_t)json_string_length(value);
        if (length < field->min || length > field->max)
            return s_field_error(message, field, "must be a string of %lld to %lld bytes");
        const char *text = json_string_value(value);
        memcpy(slot, &text, sizeof text);
        return BO_OK;
    }
    if (!json_is_integer(value))
        return s_field_error(message, field, "must be an integer");
    int64_t number = json_integer_value(value);
    if (number < field->min || number > field->max)
        return s_field_error(message, field, "must be an integer from %lld to %lld");
    memcpy(slot, &number, sizeof number);
    return BO_OK;
}

static bo_status_t s_decode_request_id(json_t *object, bo_request_t *request,
                                       char message[BO_MESSAGE_MAX])
{
    json_t *value = json_object_get(object, "request_id");
    if (!value || json_is_null(value))
        return BO_OK;
    size_t length = json_string_length(value);
    if (!json_is_string(value) || length == 0 || length > BO_REQUEST_ID_MAX) {
        snprintf(message, BO_MESSAGE_MAX, "field 'request_id' must be a string of 1 to %d bytes",
                 BO_REQUEST_ID_MAX);
        return BO_BAD_REQUEST;
    }
    request->request_id = json_string_value(value);
    return BO_OK;
}

bo_status_t codec_decode_request(const void *data, size_t size, bo_request_t *request,
                                 char message[BO_MESSAGE_MAX])
{
    memset(request, 0, sizeof *request);
    if (size > BO_MAX_REQUEST_BYTES) {
        snprintf(message, BO_MESSAGE_MAX, "%s", bo_status_message(BO_TOO_LARGE));
        return BO_TOO_LARGE;
    }
    json_error_t error;
    json_t *object = json_loadb(data, size, JSON_REJECT_DUPLICATES, &error);
    if (!object) {
        snprintf(message, BO_MESSAGE_MAX, "not valid JSON: %s", error.text);
        return BO_BAD_REQUEST;
    }
    request->json = object;
    if (!json_is_object(object)) {
        snprintf(message, BO_MESSAGE_MAX, "the request must be a JSON object");
        return BO_BAD_REQUEST;
    }
    bo_status_t status = s_decode_request_id(object, request, message);
    if (status != BO_OK)
        return status;
    json_t *op = json_object_get(object, "op");
    if (!json_is_string(op)) {
        snprintf(message, BO_MESSAGE_MAX, "field 'op' is missing or not a string");
        return BO_BAD_REQUEST;
    }
    request->entry = bo_op_find(json_string_value(op));
    if (!request->entry) {
        snprintf(message, BO_MESSAGE_MAX, "no op named '%.100s'", json_string_value(op));
        return BO_UNKNOWN_OP;
    }
    for (size_t i = 0; i < request->entry->field_count; i++) {
        status = s_decode_field(object, &request->entry->fields[i], request, message);
        if (status != BO_OK)
            return status;
    }
    if (request->entry->check && !request->entry->check(request, message, BO_MESSAGE_MAX))
        return BO_BAD_REQUEST;
    return BO_OK;
}

void bo_request_clear(bo_request_t *request)
{
    json_decref(request->json);
    memset(request, 0, sizeof *request);
}

/* Appends `length` bytes of `text` where they fit; *used counts them all,
   so the caller learns how much room the whole text needs. */
static void s_append(char *out, size_t size, size_t *used, const char *text, size_t length)
{
    if (*used < size)
        memcpy(out + *used, text, *used + length <= size ? length : size - *used);
    *used += length;
}

/* Writes the canonical text into `out` as far as it fits and returns the
   size the whole of it needs, its NUL included (0 on an error). The text is
   what json_dumps of {op, fields...} with JSON_COMPACT | JSON_SORT_KEYS
   writes, byte for byte, since fingerprints already stored must still
   match their retries; it is written directly because building that object
   (a hash table, a copy of every key, a sort) costs every write. Op and
   field names need no escaping (test_codec checks the whole op table). */
static size_t s_fingerprint_into(const bo_request_t *request, char *out, size_t size)
{
    const char *names[CODEC_FINGERPRINT_KEYS];
    json_t *values[CODEC_FINGERPRINT_KEYS];
    size_t count = 0;
    names[count] = "op";
    values[count++] = NULL;
    for (size_t i = 0; i < request->entry->field_count; i++) {
        const char *name = request->entry->fields[i].name;
        json_t *value = json_object_get(request->json, name);
        if (!value || json_is_null(value))
            continue;
        if (count == CODEC_FINGERPRINT_KEYS)
            return 0;
        /* Insertion sort: jansson orders keys by strcmp. */
        size_t at = count++;
        for (; at > 0 && strcmp(names[at - 1], name) > 0; at--) {
            names[at] = names[at - 1];
            values[at] = values[at - 1];
        }
        names[at] = name;
        values[at] = value;
    }
    size_t used = 0;
    for (size_t i = 0; i < count; i++) {
        s_append(out, size, &used, i == 0 ? "{\"" : ",\"", 2);
        s_append(out, size, &used, names[i], strlen(names[i]));
        s_append(out, size, &used, "\":", 2);
        if (!values[i]) {
            s_append(out, size, &used, "\"", 1);
            s_append(out, size, &used, request->entry->name, strlen(request->entry->name));
            s_append(out, size, &used, "\"", 1);
            continue;
        }
        size_t room = used < size ? size - used : 0;
        size_t length = json_dumpb(values[i], room ? out + used : NULL, room,
                                   JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
        if (length == 0)
            return 0;
        used += length;
    }
    s_append(out, size, &used, "}", 2); /* with its NUL */
    return used;
}

char *codec_request_fingerprint(const bo_request_t *request)
{
    /* Only what the op reads counts: the op and its fields, a null field
       being the same as an absent one. Unknown keys are ignored by the
       decoder, so they must not make a retry look like another request.
       Most fit the first buffer; a longer one is written again, once. */
    size_t size = 256;
    for (;;) {
        char *text = malloc(size);
        size_t needed = text ? s_fingerprint_into(request, text, size) : 0;
        if (needed > 0 && needed <= size)
            return text;
        free(text);
        if (needed == 0)
            return NULL;
        size = needed;
    }
}

json_t *codec_reply_ok(const char *request_id)
{
    json_t *reply = json_object();
    json_object_set_new(reply, "ok", json_true());
    if (request_id)
        json_object_set_new(reply, "request_id", json_string(request_id));
    return reply;
}

/* The length of the valid UTF-8 sequence at `text` (RFC 3629: no overlong
   forms, no surrogates, nothing past U+10FFFF), or 0 if there is none. */
static size_t s_utf8_sequence(const unsigned char *text)
{
    unsigned char lead = text[0];
    if (lead < 0x80)
        return 1;
    size_t length = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 0;
    if (length == 0 || lead > 0xf4 || lead == 0xc0 || lead == 0xc1)
        return 0;
    for (size_t i = 1; i < length; i++)
        if ((text[i] & 0xc0) != 0x80)
            return 0;
    if ((lead == 0xe0 && text[1] < 0xa0) || (lead == 0xed && text[1] >= 0xa0) ||
        (lead == 0xf0 && text[1] < 0x90) || (lead == 0xf4 && text[1] >= 0x90))
        return 0;
    return length;
}

/* Messages quote what the client sent, and a quote cut to fit can end
   inside a character: keep whole characters, turn the rest into '?', so
   the reply is always valid JSON text. */
static void s_clean_utf8(const char *text, char *out, size_t size)
{
    size_t used = 0;
    const unsigned char *cursor = (const unsigned char *)text;
    while (*cursor && used + 1 < size) {
        size_t length = s_utf8_sequence(cursor);
        if (length == 0) {
            out[used++] = '?';
            cursor++;
            continue;
        }
        if (used + length >= size)
            break;
        memcpy(out + used, cursor, length);
        used += length;
        cursor += length;
    }
    out[used] = '\0';
}

json_t *codec_reply_error(bo_status_t status, const char *message, const char *request_id)
{
    json_t *reply = json_object();
    json_object_set_new(reply, "ok", json_false());
    if (request_id)
        json_object_set_new(reply, "request_id", json_string(request_id));
    json_object_set_new(reply, "error", json_string(bo_status_code(status)));
    char clean[BO_MESSAGE_MAX];
    s_clean_utf8(message && *message ? message : bo_status_message(status), clean, sizeof clean);
    json_object_set_new(reply, "message", json_string(clean));
    return reply;
}

char *codec_dump(const json_t *reply)
{
    return json_dumps(reply, JSON_COMPACT);
}

char *codec_members(const json_t *members)
{
    char *text = json_dumps(members, JSON_COMPACT);
    if (!text)
        return NULL;
    size_t length = strlen(text);
    memmove(text, text + 1, length - 2);
    text[length - 2] = '\0';
    return text;
}

char *codec_dump_with(const json_t *reply, const char *members)
{
    char *text = codec_dump(reply);
    if (!text || !*members)
        return text;
    size_t length = strlen(text), added = strlen(members);
    char *joined = realloc(text, length + added + 2);
    if (!joined) {
        free(text);
        return NULL;
    }
    /* "{...}" becomes "{...,members}"; "{}" becomes "{members}". */
    size_t at = length - 1;
    if (length > 2)
        joined[at++] = ',';
    memcpy(joined + at, members, added);
    joined[at + added] = '}';
    joined[at + added + 1] = '\0';
    return joined;
}

json_t *codec_time(int64_t at_ms)
{
    if (at_ms == 0)
        return json_null();
    char text[BO_TIME_TEXT_MAX];
    return json_string(bo_time_format(at_ms, text));
}

void codec_put_queue_state(json_t *reply, const bo_queue_state_t *state)
{
    json_object_set_new(reply, "token", json_string(state->token));
    json_object_set_new(reply, "status", json_string(bo_token_status_name(state->status)));
    json_object_set_new(reply, "position", json_integer(state->position));
    json_object_set_new(reply, "waiting", json_integer(state->waiting));
    json_object_set_new(reply, "eta_s", json_integer(state->eta_s));
    json_object_set_new(reply, "expires_at", codec_time(state->expires_at));
}

void codec_put_hold(json_t *reply, const bo_reservation_t *hold)
{
    json_object_set_new(reply, "reservation_id", json_integer(hold->reservation_id));
    json_object_set_new(reply, "seat_number", json_integer(hold->seat_number));
    json_object_set_new(reply, "title", json_string(hold->title));
    json_object_set_new(reply, "show_time", codec_time(hold->show_time));
    json_object_set_new(reply, "price", json_integer(hold->price));
    json_object_set_new(reply, "hold_expires_at", codec_time(hold->hold_expires_at));
}

json_t *codec_concert(const bo_concert_t *concert)
{
    return json_pack("{s:I, s:s, s:s}", "concert_id", (json_int_t)concert->concert_id, "title",
                     concert->title, "performer", concert->performer);
}

json_t *codec_schedule(const bo_schedule_t *schedule)
{
    return json_pack("{s:I, s:s, s:s, s:I, s:o, s:o, s:o, s:I}", "schedule_id",
                     (json_int_t)schedule->schedule_id, "title", schedule->title, "performer",
                     schedule->performer, "price", (json_int_t)schedule->price, "show_time",
                     codec_time(schedule->show_time), "reservation_start",
                     codec_time(schedule->reservation_start), "reservation_end",
                     codec_time(schedule->reservation_end), "left_tickets",
                     (json_int_t)schedule->left_tickets);
}

json_t *codec_seat(const bo_seat_t *seat)
{
    return json_pack("{s:I, s:s, s:I}", "number", (json_int_t)seat->number, "status",
                     bo_seat_status_name(seat->status), "price", (json_int_t)seat->price);
}

json_t *codec_reservation(const bo_reservation_t *reservation)
{
    return json_pack("{s:I, s:s, s:s, s:o, s:I, s:I, s:o}", "reservation_id",
                     (json_int_t)reservation->reservation_id, "status",
                     bo_reservation_status_name(reservation->status), "title", reservation->title,
                     "show_time", codec_time(reservation->show_time), "seat_number",
                     (json_int_t)reservation->seat_number, "price", (json_int_t)reservation->price,
                     "hold_expires_at", codec_time(reservation->hold_expires_at));
}

json_t *codec_ledger_entry(const bo_ledger_entry_t *entry)
{
    return json_pack("{s:s, s:I, s:I, s:o}", "kind", bo_ledger_kind_name(entry->kind), "amount",
                     (json_int_t)entry->amount, "balance_after", (json_int_t)entry->balance_after,
                     "at", codec_time(entry->at));
}

json_t *codec_parse_reply(const void *data, size_t size, bo_status_t *status, const char **message)
{
    json_t *reply = json_loadb(data, size, 0, NULL);
    if (!json_is_object(reply)) {
        json_decref(reply);
        return NULL;
    }
    *message = NULL;
    if (json_is_true(json_object_get(reply, "ok"))) {
        *status = BO_OK;
        return reply;
    }
    const char *code = json_string_value(json_object_get(reply, "error"));
    *status = code ? bo_status_from_code(code) : BO_INTERNAL;
    if (*status == BO_STATUS_COUNT)
        *status = BO_INTERNAL;
    *message = json_string_value(json_object_get(reply, "message"));
    if (!*message)
        *message = bo_status_message(*status);
    return reply;
}

bool codec_parse_time(const json_t *object, const char *key, int64_t *at_ms)
{
    json_t *value = json_object_get(object, key);
    *at_ms = 0;
    if (!value || json_is_null(value))
        return true;
    return json_is_string(value) && bo_time_parse(json_string_value(value), at_ms);
}

static bool s_get_int(const json_t *object, const char *key, int64_t *value)
{
    json_t *number = json_object_get(object, key);
    if (!json_is_integer(number))
        return false;
    *value = json_integer_value(number);
    return true;
}

static bool s_get_string(const json_t *object, const char *key, const char **value)
{
    *value = json_string_value(json_object_get(object, key));
    return *value != NULL;
}

bool codec_parse_queue_state(const json_t *object, bo_queue_state_t *state)
{
    const char *token, *status;
    memset(state, 0, sizeof *state);
    if (!s_get_string(object, "token", &token) || strlen(token) > BO_TOKEN_MAX ||
        !s_get_string(object, "status", &status) ||
        !bo_token_status_parse(status, &state->status) ||
        !s_get_int(object, "position", &state->position) ||
        !s_get_int(object, "waiting", &state->waiting) ||
        !s_get_int(object, "eta_s", &state->eta_s))
        return false;
    snprintf(state->token, sizeof state->token, "%s", token);
    return codec_parse_time(object, "expires_at", &state->expires_at);
}

bool codec_parse_hold(const json_t *object, bo_reservation_t *hold)
{
    memset(hold, 0, sizeof *hold);
    hold->status = BO_RESERVATION_RESERVED;
    return s_get_int(object, "reservation_id", &hold->reservation_id) &&
           s_get_int(object, "seat_number", &hold->seat_number) &&
           s_get_string(object, "title", &hold->title) &&
           codec_parse_time(object, "show_time", &hold->show_time) &&
           s_get_int(object, "price", &hold->price) &&
           codec_parse_time(object, "hold_expires_at", &hold->hold_expires_at);
}

bool codec_parse_concert(const json_t *object, bo_concert_t *concert)
{
    memset(concert, 0, sizeof *concert);
    return s_get_int(object, "concert_id", &concert->concert_id) &&
           s_get_string(object, "title", &concert->title) &&
           s_get_string(object, "performer", &concert->performer);
}

bool codec_parse_schedule(const json_t *object, bo_schedule_t *schedule)
{
    memset(schedule, 0, sizeof *schedule);
    return s_get_int(object, "schedule_id", &schedule->schedule_id) &&
           s_get_string(object, "title", &schedule->title) &&
           s_get_string(object, "performer", &schedule->performer) &&
           s_get_int(object, "price", &schedule->price) &&
           codec_parse_time(object, "show_time", &schedule->show_time) &&
           codec_parse_time(object, "reservation_start", &schedule->reservation_start) &&
           codec_parse_time(object, "reservation_end", &schedule->reservation_end) &&
           s_get_int(object, "left_tickets", &schedule->left_tickets);
}

bool codec_parse_seat(const json_t *object, bo_seat_t *seat)
{
    const char *status;
    memset(seat, 0, sizeof *seat);
    return s_get_int(object, "number", &seat->number) && s_get_string(object, "status", &status) &&
           bo_seat_status_parse(status, &seat->status) && s_get_int(object, "price", &seat->price);
}

bool codec_parse_reservation(const json_t *object, bo_reservation_t *reservation)
{
    const char *status;
    memset(reservation, 0, sizeof *reservation);
    return s_get_int(object, "reservation_id", &reservation->reservation_id) &&
           s_get_string(object, "status", &status) &&
           bo_reservation_status_parse(status, &reservation->status) &&
           s_get_string(object, "title", &reservation->title) &&
           codec_parse_time(object, "show_time", &reservation->show_time) &&
           s_get_int(object, "seat_number", &reservation->seat_number) &&
           s_get_int(object, "price", &reservation->price) &&
           codec_parse_time(object, "hold_expires_at", &reservation->hold_expires_at);
}

bool codec_parse_ledger_entry(const json_t *object, bo_ledger_entry_t *entry)
{
    const char *kind;
    memset(entry, 0, sizeof *entry);
    return s_get_string(object, "kind", &kind) && bo_ledger_kind_parse(kind, &entry->kind) &&
           s_get_int(object, "amount", &entry->amount) &&
           s_get_int(object, "balance_after", &entry->balance_after) &&
           codec_parse_time(object, "at", &entry->at);
}
