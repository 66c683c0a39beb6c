/*  test_codec: requests decoded against the op table, fingerprints, replies,
    the status and enum tables, and every encoder with its parser. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bo_time.h"
#include "codec.h"
#include "protocol.h"

/* 2026-11-24T21:05:00Z */
#define T0        1795554300000LL
#define SECOND_MS 1000LL

/* ---------------------------------------------------------------------- */
/* Helpers                                                                 */
/* ---------------------------------------------------------------------- */

static bo_status_t s_decode(const char *text, bo_request_t *request, char message[BO_MESSAGE_MAX])
{
    message[0] = '\0';
    return codec_decode_request(text, strlen(text), request, message);
}

/* Decodes a request built as a jansson object (its text, really). */
static bo_status_t s_decode_json(const json_t *object, bo_request_t *request,
                                 char message[BO_MESSAGE_MAX])
{
    char *text = json_dumps(object, JSON_COMPACT);
    assert_non_null(text);
    bo_status_t status = s_decode(text, request, message);
    free(text);
    return status;
}

/* The text must be refused with `expected`; if `field` is given the message
   names it. Returns nothing; the request is cleared. */
static void s_refused(const char *text, size_t size, bo_status_t expected, const char *field)
{
    bo_request_t request;
    char message[BO_MESSAGE_MAX] = "";
    bo_status_t status = codec_decode_request(text, size, &request, message);
    if (status != expected)
        fail_msg("'%.200s': expected %s, got %s (%s)", text, bo_status_code(expected),
                 bo_status_code(status), message);
    assert_true(message[0] != '\0');
    if (field) {
        char quoted[64];
        snprintf(quoted, sizeof quoted, "'%s'", field);
        if (!strstr(message, quoted))
            fail_msg("'%.200s': message '%s' does not name %s", text, message, quoted);
    }
    bo_request_clear(&request);
    assert_null(request.json);
}

static void s_refused_text(const char *text, bo_status_t expected, const char *field)
{
    s_refused(text, strlen(text), expected, field);
}

/* The request members, read by name rather than by the table's offsets, so a
   wrong offset in the table shows up. */
static const char *const s_int_members[] = {
    "user_id", "concert_id", "schedule_id", "reservation_id", "seat_number", "amount", "limit"};
static const char *const s_string_members[] = {"name", "token", "concert_date"};
#define COUNT(array) (sizeof(array) / sizeof(array[0]))

static int64_t s_int_member(const bo_request_t *request, const char *name)
{
    if (strcmp(name, "user_id") == 0)
        return request->user_id;
    if (strcmp(name, "concert_id") == 0)
        return request->concert_id;
    if (strcmp(name, "schedule_id") == 0)
        return request->schedule_id;
    if (strcmp(name, "reservation_id") == 0)
        return request->reservation_id;
    if (strcmp(name, "seat_number") == 0)
        return request->seat_number;
    if (strcmp(name, "amount") == 0)
        return request->amount;
    if (strcmp(name, "limit") == 0)
        return request->limit;
    fail_msg("no integer member named '%s'", name);
    return -1;
}

static const char *s_string_member(const bo_request_t *request, const char *name)
{
    if (strcmp(name, "name") == 0)
        return request->name;
    if (strcmp(name, "token") == 0)
        return request->token;
    if (strcmp(name, "concert_date") == 0)
        return request->concert_date;
    fail_msg("no string member named '%s'", name);
    return NULL;
}

static const bo_field_spec_t *s_field_named(const bo_op_entry_t *entry, const char *name)
{
    for (size_t i = 0; i < entry->field_count; i++)
        if (strcmp(entry->fields[i].name, name) == 0)
            return &entry->fields[i];
    return NULL;
}

/* Which valid value a field gets: its lowest, its highest, or one in between
   that differs from field to field. */
typedef enum { VALUE_LOW, VALUE_MID, VALUE_HIGH } value_kind_t;

static int64_t s_valid_int(const bo_field_spec_t *field, size_t index, value_kind_t kind)
{
    if (kind == VALUE_LOW)
        return field->min;
    if (kind == VALUE_HIGH)
        return field->max;
    int64_t value = field->min + 1 + (int64_t)index;
    return value <= field->max ? value : field->max;
}

static size_t s_valid_length(const bo_field_spec_t *field, size_t index, value_kind_t kind)
{
    if (kind == VALUE_LOW)
        return (size_t)field->min;
    if (kind == VALUE_HIGH)
        return (size_t)field->max;
    size_t length = (size_t)field->min + 2 + index;
    return length <= (size_t)field->max ? length : (size_t)field->max;
}

/* A string of `length` bytes of one letter that depends on the field. */
static json_t *s_string_of(size_t length, size_t index)
{
    char *text = malloc(length + 1);
    assert_non_null(text);
    memset(text, 'a' + (int)(index % 26), length);
    text[length] = '\0';
    json_t *value = json_string(text);
    free(text);
    assert_non_null(value);
    return value;
}

static json_t *s_valid_value(const bo_field_spec_t *field, size_t index, value_kind_t kind)
{
    if (field->type == BO_FIELD_STRING)
        return s_string_of(s_valid_length(field, index, kind), index);
    return json_integer(s_valid_int(field, index, kind));
}

/* A valid request for the op: every required field (and, if `optional`,
   every optional one too) set to a valid value. */
static json_t *s_request_for(const bo_op_entry_t *entry, value_kind_t kind, bool optional)
{
    json_t *object = json_object();
    json_object_set_new(object, "op", json_string(entry->name));
    for (size_t i = 0; i < entry->field_count; i++) {
        const bo_field_spec_t *field = &entry->fields[i];
        if (field->required || optional)
            json_object_set_new(object, field->name, s_valid_value(field, i, kind));
    }
    /* seat.reserve names its show in exactly one form, which the fields'
       own values cannot express: by concert and date when optional fields
       are wanted at middle values, by schedule_id otherwise. */
    if (entry->op == BO_OP_SEAT_RESERVE) {
        if (optional && kind == VALUE_MID) {
            json_object_del(object, "schedule_id");
            json_object_set_new(object, "concert_date", json_string("2026-12-09"));
        } else {
            json_object_del(object, "concert_id");
            json_object_del(object, "concert_date");
            if (!json_object_get(object, "schedule_id"))
                json_object_set_new(object, "schedule_id", json_integer(7));
        }
    }
    return object;
}

/* Checks that every member of the decoded request holds what `object` sent
   (0 or NULL for what it did not). */
static void s_assert_landed(const bo_request_t *request, const bo_op_entry_t *entry,
                            const json_t *object)
{
    assert_ptr_equal(request->entry, entry);
    for (size_t i = 0; i < COUNT(s_int_members); i++) {
        const char *name = s_int_members[i];
        const bo_field_spec_t *field = s_field_named(entry, name);
        json_t *sent = json_object_get(object, name);
        if (field && sent && !json_is_null(sent)) {
            assert_int_equal(field->type == BO_FIELD_STRING, false);
            assert_int_equal(s_int_member(request, name), json_integer_value(sent));
        } else {
            assert_int_equal(s_int_member(request, name), 0);
        }
    }
    for (size_t i = 0; i < COUNT(s_string_members); i++) {
        const char *name = s_string_members[i];
        const bo_field_spec_t *field = s_field_named(entry, name);
        json_t *sent = json_object_get(object, name);
        if (field && sent && !json_is_null(sent)) {
            assert_int_equal(field->type, BO_FIELD_STRING);
            assert_non_null(s_string_member(request, name));
            assert_string_equal(s_string_member(request, name), json_string_value(sent));
        } else {
            assert_null(s_string_member(request, name));
        }
    }
}

/* Keys of an encoded object: exactly these (NULL-terminated). */
static void s_assert_keys(const json_t *object, ...)
{
    va_list keys;
    size_t count = 0;
    va_start(keys, object);
    for (const char *key = va_arg(keys, const char *); key; key = va_arg(keys, const char *)) {
        if (!json_object_get(object, key))
            fail_msg("key '%s' is missing", key);
        count++;
    }
    va_end(keys);
    assert_int_equal(json_object_size(object), count);
}

/* Dumps and reloads, so a round trip goes through the wire text. */
static json_t *s_through_text(const json_t *object)
{
    char *text = codec_dump(object);
    assert_non_null(text);
    json_t *back = json_loads(text, 0, NULL);
    free(text);
    assert_non_null(back);
    return back;
}

static void s_assert_dump(const json_t *reply, const char *expected)
{
    char *text = codec_dump(reply);
    assert_non_null(text);
    assert_string_equal(text, expected);
    free(text);
}

/* ---------------------------------------------------------------------- */
/* The op table                                                            */
/* ---------------------------------------------------------------------- */

static void test_op_table_is_consistent(void **state)
{
    (void)state;
    for (int op = 0; op < BO_OP_COUNT; op++) {
        const bo_op_entry_t *entry = bo_op_entry((bo_op_t)op);
        assert_non_null(entry);
        assert_int_equal(entry->op, op);
        assert_non_null(entry->name);
        assert_non_null(entry->summary);
        assert_ptr_equal(bo_op_find(entry->name), entry);
        assert_true(entry->field_count == 0 || entry->fields != NULL);
        for (size_t i = 0; i < entry->field_count; i++) {
            const bo_field_spec_t *field = &entry->fields[i];
            assert_ptr_equal(s_field_named(entry, field->name), field);
            assert_true(field->min <= field->max);
            /* Absent integers read as 0, so 0 must never be valid. */
            if (field->type != BO_FIELD_STRING)
                assert_true(field->min >= 1);
            if (field->type == BO_FIELD_ID) {
                assert_int_equal(field->min, 1);
                assert_int_equal(field->max, BO_MAX_ID);
            }
        }
    }
    assert_null(bo_op_entry(BO_OP_COUNT));
    assert_null(bo_op_entry((bo_op_t)-1));
    assert_null(bo_op_find("no.such"));
    assert_null(bo_op_find(""));
    assert_null(bo_op_find("SERVER.PING"));
}

/* The request fields of issue 2's protocol table: required ones, then "|"
   and the optional ones. */
static void s_assert_fields(const char *op_name, const char *spec)
{
    const bo_op_entry_t *entry = bo_op_find(op_name);
    if (!entry)
        fail_msg("no op '%s'", op_name);
    char copy[256];
    snprintf(copy, sizeof copy, "%s", spec);
    bool required = true;
    size_t count = 0;
    for (char *word = strtok(copy, " "); word; word = strtok(NULL, " ")) {
        if (strcmp(word, "|") == 0) {
            required = false;
            continue;
        }
        const bo_field_spec_t *field = s_field_named(entry, word);
        if (!field)
            fail_msg("%s has no field '%s'", op_name, word);
        if (field->required != required)
            fail_msg("%s.%s: required should be %d", op_name, word, required);
        count++;
    }
    if (entry->field_count != count)
        fail_msg("%s has %zu fields, expected %zu", op_name, entry->field_count, count);
}

static void test_op_table_matches_the_protocol(void **state)
{
    (void)state;
    s_assert_fields("user.create", "name");
    s_assert_fields("queue.enter", "user_id");
    s_assert_fields("queue.status", "user_id token");
    s_assert_fields("concert.list", "user_id token");
    s_assert_fields("concert.dates", "user_id token concert_id");
    s_assert_fields("concert.seats", "user_id token schedule_id");
    s_assert_fields("seat.reserve", "user_id token seat_number | schedule_id concert_id "
                                    "concert_date");
    s_assert_fields("point.charge", "user_id amount");
    s_assert_fields("point.balance", "user_id");
    s_assert_fields("point.history", "user_id | limit");
    s_assert_fields("payment.pay", "user_id token reservation_id");
    s_assert_fields("reservation.list", "user_id");
    s_assert_fields("server.ping", "");
    /* Ranges the issue fixes. */
    const bo_field_spec_t *seat = s_field_named(bo_op_find("seat.reserve"), "seat_number");
    assert_int_equal(seat->min, 1);
    assert_int_equal(seat->max, 50);
    const bo_field_spec_t *amount = s_field_named(bo_op_find("point.charge"), "amount");
    assert_int_equal(amount->min, 1);
    assert_int_equal(amount->max, 10000000);
    /* The idempotent writes of the contract notes, and the gated ops. */
    static const char *const idempotent[] = {"user.create", "queue.enter", "seat.reserve",
                                             "point.charge", "payment.pay"};
    static const char *const gated[] = {"concert.list", "concert.dates", "concert.seats",
                                        "seat.reserve", "payment.pay"};
    for (int op = 0; op < BO_OP_COUNT; op++) {
        const bo_op_entry_t *entry = bo_op_entry((bo_op_t)op);
        bool want_idempotent = false, want_gated = false;
        for (size_t i = 0; i < COUNT(idempotent); i++)
            want_idempotent |= strcmp(idempotent[i], entry->name) == 0;
        for (size_t i = 0; i < COUNT(gated); i++)
            want_gated |= strcmp(gated[i], entry->name) == 0;
        if (((entry->flags & BO_OP_IDEMPOTENT) != 0) != want_idempotent)
            fail_msg("%s: idempotent flag wrong", entry->name);
        if (((entry->flags & BO_OP_NEEDS_TOKEN) != 0) != want_gated)
            fail_msg("%s: token flag wrong", entry->name);
        if (entry->flags & BO_OP_IDEMPOTENT)
            assert_true(entry->flags & BO_OP_WRITES);
        if (entry->flags & BO_OP_NEEDS_TOKEN)
            assert_true(entry->flags & BO_OP_NEEDS_USER);
    }
}

/* ---------------------------------------------------------------------- */
/* Decoding valid requests                                                 */
/* ---------------------------------------------------------------------- */

static void s_decode_every_op(value_kind_t kind, bool optional)
{
    for (int op = 0; op < BO_OP_COUNT; op++) {
        const bo_op_entry_t *entry = bo_op_entry((bo_op_t)op);
        json_t *object = s_request_for(entry, kind, optional);
        bo_request_t request;
        char message[BO_MESSAGE_MAX];
        bo_status_t status = s_decode_json(object, &request, message);
        if (status != BO_OK)
            fail_msg("%s: %s (%s)", entry->name, bo_status_code(status), message);
        assert_null(request.request_id);
        assert_non_null(request.json);
        s_assert_landed(&request, entry, object);
        bo_request_clear(&request);
        assert_null(request.json);
        assert_null(request.entry);
        json_decref(object);
    }
}

static void test_decode_every_op_minimal(void **state)
{
    (void)state;
    s_decode_every_op(VALUE_MID, false);
}

static void test_decode_every_op_with_optional_fields(void **state)
{
    (void)state;
    s_decode_every_op(VALUE_MID, true);
}

static void test_decode_every_op_at_the_bounds(void **state)
{
    (void)state;
    s_decode_every_op(VALUE_LOW, true);
    s_decode_every_op(VALUE_HIGH, true);
}

static void test_decode_keeps_request_id(void **state)
{
    (void)state;
    bo_request_t request;
    char message[BO_MESSAGE_MAX];
    assert_int_equal(
        s_decode(
            "{\"op\":\"point.charge\",\"request_id\":\"charge-1\",\"user_id\":7,\"amount\":500}",
            &request, message),
        BO_OK);
    assert_string_equal(request.request_id, "charge-1");
    assert_int_equal(request.entry->op, BO_OP_POINT_CHARGE);
    assert_int_equal(request.user_id, 7);
    assert_int_equal(request.amount, 500);
    bo_request_clear(&request);

    /* 128 bytes is the longest request_id. */
    char text[512], id[BO_REQUEST_ID_MAX + 1];
    memset(id, 'r', BO_REQUEST_ID_MAX);
    id[BO_REQUEST_ID_MAX] = '\0';
    snprintf(text, sizeof text, "{\"op\":\"server.ping\",\"request_id\":\"%s\"}", id);
    assert_int_equal(s_decode(text, &request, message), BO_OK);
    assert_string_equal(request.request_id, id);
    bo_request_clear(&request);

    /* null is no request_id. */
    assert_int_equal(s_decode("{\"op\":\"server.ping\",\"request_id\":null}", &request, message),
                     BO_OK);
    assert_null(request.request_id);
    bo_request_clear(&request);
}

static void test_decode_unicode_strings(void **state)
{
    (void)state;
    bo_request_t request;
    char message[BO_MESSAGE_MAX];
    /* Raw UTF-8, and the same text through escapes (with a surrogate pair). */
    assert_int_equal(
        s_decode("{\"op\":\"user.create\",\"name\":\"\xea\xb9\x80\xeb\xaf\xbc\xec\xa7\x80 "
                 "\xf0\x9f\x8e\xb5\"}",
                 &request, message),
        BO_OK);
    assert_string_equal(request.name, "\xea\xb9\x80\xeb\xaf\xbc\xec\xa7\x80 \xf0\x9f\x8e\xb5");
    bo_request_clear(&request);
    assert_int_equal(s_decode("{\"op\":\"user.create\",\"name\":\"\\uae40\\ubbfc\\uc9c0 "
                              "\\ud83c\\udfb5\"}",
                              &request, message),
                     BO_OK);
    assert_string_equal(request.name, "\xea\xb9\x80\xeb\xaf\xbc\xec\xa7\x80 \xf0\x9f\x8e\xb5");
    bo_request_clear(&request);
}

static void test_decode_string_length_is_in_bytes(void **state)
{
    (void)state;
    /* "가" is three bytes: 66 of them are 198 bytes, 67 are 201 (over 200). */
    char name[3 * 67 + 1] = "";
    for (int i = 0; i < 66; i++)
        strcat(name, "\xea\xb0\x80");
    char text[512];
    snprintf(text, sizeof text, "{\"op\":\"user.create\",\"name\":\"%s\"}", name);
    bo_request_t request;
    char message[BO_MESSAGE_MAX];
    assert_int_equal(s_decode(text, &request, message), BO_OK);
    assert_int_equal(strlen(request.name), 198);
    bo_request_clear(&request);
    strcat(name, "\xea\xb0\x80");
    snprintf(text, sizeof text, "{\"op\":\"user.create\",\"name\":\"%s\"}", name);
    s_refused_text(text, BO_BAD_REQUEST, "name");
}

static void test_decode_null_optional_is_absent(void **state)
{
    (void)state;
    bo_request_t request;
    char message[BO_MESSAGE_MAX];
    assert_int_equal(
        s_decode("{\"op\":\"point.history\",\"user_id\":3,\"limit\":null}", &request, message),
        BO_OK);
    assert_int_equal(request.user_id, 3);
    assert_int_equal(request.limit, 0);
    bo_request_clear(&request);

    assert_int_equal(s_decode("{\"op\":\"seat.reserve\",\"user_id\":1,\"token\":\"t\","
                              "\"seat_number\":5,\"schedule_id\":4,\"concert_id\":null,"
                              "\"concert_date\":null}",
                              &request, message),
                     BO_OK);
    assert_int_equal(request.seat_number, 5);
    assert_int_equal(request.schedule_id, 4);
    assert_int_equal(request.concert_id, 0);
    assert_null(request.concert_date);
    bo_request_clear(&request);

    /* A null required field is a missing one. */
    s_refused_text("{\"op\":\"point.balance\",\"user_id\":null}", BO_BAD_REQUEST, "user_id");
}

/* seat.reserve's show is named by schedule_id or by concert_id with a date
   or show time, never both and never neither: a field check, so it comes
   before any user or token check. */
static void test_decode_seat_reserve_show_forms(void **state)
{
    (void)state;
    static const struct {
        const char *fields;
        bo_status_t status;
    } cases[] = {
        {"\"schedule_id\":2", BO_OK},
        {"\"concert_id\":1,\"concert_date\":\"2026-12-09\"", BO_OK},
        {"\"concert_id\":1,\"concert_date\":\"2026-12-09T10:00:00Z\"", BO_OK},
        {"\"concert_id\":1,\"concert_date\":\"2026-12-09T19:00:00+09:00\"", BO_OK},
        {"\"seat_extra\":1", BO_BAD_REQUEST},
        {"\"schedule_id\":2,\"concert_id\":1", BO_BAD_REQUEST},
        {"\"schedule_id\":2,\"concert_date\":\"2026-12-09\"", BO_BAD_REQUEST},
        {"\"concert_id\":1", BO_BAD_REQUEST},
        {"\"concert_date\":\"2026-12-09\"", BO_BAD_REQUEST},
        {"\"concert_id\":1,\"concert_date\":\"tomorrow\"", BO_BAD_REQUEST},
        {"\"concert_id\":1,\"concert_date\":\"2026-02-30\"", BO_BAD_REQUEST},
    };
    for (size_t i = 0; i < COUNT(cases); i++) {
        char text[256], message[BO_MESSAGE_MAX];
        snprintf(text, sizeof text,
                 "{\"op\":\"seat.reserve\",\"user_id\":1,\"token\":\"t\",\"seat_number\":5,"
                 "\"request_id\":\"r\",%s}",
                 cases[i].fields);
        bo_request_t request;
        bo_status_t status = s_decode(text, &request, message);
        if (status != cases[i].status)
            fail_msg("%s: %s (%s)", cases[i].fields, bo_status_code(status), message);
        if (status != BO_OK) {
            assert_non_null(strstr(message, "concert"));
            assert_string_equal(request.request_id, "r");
        }
        bo_request_clear(&request);
    }
}

/* A message that quotes the client, cut mid-character or holding bad
   bytes, still makes a valid JSON reply. */
static void test_error_message_is_always_valid_utf8(void **state)
{
    (void)state;
    static const char *const messages[] = {"no op named '\xc3'", "bad \xff\xfe bytes",
                                           "surrogate \xed\xa0\x80", "overlong \xc0\xaf",
                                           "cut \xec\xa2"};
    for (size_t i = 0; i < COUNT(messages); i++) {
        json_t *reply = codec_reply_error(BO_BAD_REQUEST, messages[i], NULL);
        const char *message = json_string_value(json_object_get(reply, "message"));
        assert_non_null(message);
        assert_non_null(strchr(message, '?'));
        char *text = codec_dump(reply);
        assert_non_null(text);
        json_t *again = json_loads(text, 0, NULL);
        assert_non_null(again);
        json_decref(again);
        free(text);
        json_decref(reply);
    }
    json_t *reply = codec_reply_error(BO_BAD_REQUEST, "좌석 '봄날'", NULL);
    assert_string_equal(json_string_value(json_object_get(reply, "message")), "좌석 '봄날'");
    json_decref(reply);
}

static void test_decode_largest_frame(void **state)
{
    (void)state;
    /* Exactly 64 KiB of valid JSON (padded with spaces) is accepted. */
    size_t size = BO_MAX_REQUEST_BYTES;
    char *frame = malloc(size);
    assert_non_null(frame);
    memset(frame, ' ', size);
    const char *body = "{\"op\":\"server.ping\"}";
    memcpy(frame, body, strlen(body));
    bo_request_t request;
    char message[BO_MESSAGE_MAX];
    assert_int_equal(codec_decode_request(frame, size, &request, message), BO_OK);
    assert_int_equal(request.entry->op, BO_OP_SERVER_PING);
    bo_request_clear(&request);
    free(frame);
}

/* ---------------------------------------------------------------------- */
/* Decoding errors                                                         */
/* ---------------------------------------------------------------------- */

static void test_decode_rejects_non_json(void **state)
{
    (void)state;
    s_refused("", 0, BO_BAD_REQUEST, NULL);
    s_refused_text("hello", BO_BAD_REQUEST, NULL);
    s_refused_text("{", BO_BAD_REQUEST, NULL);
    s_refused_text("{\"op\":}", BO_BAD_REQUEST, NULL);
    s_refused_text("{'op':'server.ping'}", BO_BAD_REQUEST, NULL);
    s_refused_text("{\"op\":\"server.ping\",}", BO_BAD_REQUEST, NULL);
    s_refused_text("{\"op\":\"server.ping\"} {}", BO_BAD_REQUEST, NULL);
    s_refused_text("{\"op\":\"server.ping\"}x", BO_BAD_REQUEST, NULL);
    /* A raw control character inside a string is not JSON. */
    s_refused_text("{\"op\":\"user.create\",\"name\":\"a\nb\"}", BO_BAD_REQUEST, NULL);
    /* A C string's terminator sent along is trailing garbage. */
    s_refused("{\"op\":\"server.ping\"}", sizeof "{\"op\":\"server.ping\"}", BO_BAD_REQUEST, NULL);
}

static void test_decode_rejects_non_objects(void **state)
{
    (void)state;
    s_refused_text("[]", BO_BAD_REQUEST, NULL);
    s_refused_text("[{\"op\":\"server.ping\"}]", BO_BAD_REQUEST, NULL);
    s_refused_text("\"server.ping\"", BO_BAD_REQUEST, NULL);
    s_refused_text("42", BO_BAD_REQUEST, NULL);
    s_refused_text("-1.5", BO_BAD_REQUEST, NULL);
    s_refused_text("null", BO_BAD_REQUEST, NULL);
    s_refused_text("true", BO_BAD_REQUEST, NULL);
}

static void test_decode_rejects_missing_or_bad_op(void **state)
{
    (void)state;
    s_refused_text("{}", BO_BAD_REQUEST, "op");
    s_refused_text("{\"user_id\":1}", BO_BAD_REQUEST, "op");
    s_refused_text("{\"op\":null}", BO_BAD_REQUEST, "op");
    s_refused_text("{\"op\":5}", BO_BAD_REQUEST, "op");
    s_refused_text("{\"op\":true}", BO_BAD_REQUEST, "op");
    s_refused_text("{\"op\":[\"server.ping\"]}", BO_BAD_REQUEST, "op");
    s_refused_text("{\"op\":{\"name\":\"server.ping\"}}", BO_BAD_REQUEST, "op");
    s_refused_text("{\"OP\":\"server.ping\"}", BO_BAD_REQUEST, "op");
}

static void test_decode_unknown_op(void **state)
{
    (void)state;
    s_refused_text("{\"op\":\"seat.steal\"}", BO_UNKNOWN_OP, NULL);
    s_refused_text("{\"op\":\"\"}", BO_UNKNOWN_OP, NULL);
    s_refused_text("{\"op\":\"SERVER.PING\"}", BO_UNKNOWN_OP, NULL);
    s_refused_text("{\"op\":\"server.ping \"}", BO_UNKNOWN_OP, NULL);
    s_refused_text("{\"op\":\"server\"}", BO_UNKNOWN_OP, NULL);

    /* The message names the op, and the request_id survives for the reply. */
    bo_request_t request;
    char message[BO_MESSAGE_MAX];
    assert_int_equal(s_decode("{\"request_id\":\"q-9\",\"op\":\"seat.steal\"}", &request, message),
                     BO_UNKNOWN_OP);
    assert_non_null(strstr(message, "seat.steal"));
    assert_string_equal(request.request_id, "q-9");
    assert_null(request.entry);
    bo_request_clear(&request);
}

/* For every op and every field, each kind of bad value is BAD_REQUEST naming
   the field, and the request_id is still there for the error reply. */
static void s_refuse_field(const bo_op_entry_t *entry, const bo_field_spec_t *field,
                           json_t *bad_value, const char *why)
{
    json_t *object = s_request_for(entry, VALUE_MID, true);
    json_object_set_new(object, "request_id", json_string("keep-me"));
    if (bad_value)
        json_object_set_new(object, field->name, bad_value);
    else
        json_object_del(object, field->name);
    bo_request_t request;
    char message[BO_MESSAGE_MAX];
    bo_status_t status = s_decode_json(object, &request, message);
    if (status != BO_BAD_REQUEST)
        fail_msg("%s.%s %s: expected BAD_REQUEST, got %s", entry->name, field->name, why,
                 bo_status_code(status));
    char quoted[64];
    snprintf(quoted, sizeof quoted, "'%s'", field->name);
    if (!strstr(message, quoted))
        fail_msg("%s.%s %s: message '%s' does not name the field", entry->name, field->name, why,
                 message);
    assert_non_null(request.request_id);
    assert_string_equal(request.request_id, "keep-me");
    assert_ptr_equal(request.entry, entry);
    bo_request_clear(&request);
    json_decref(object);
}

static void test_decode_missing_required_fields(void **state)
{
    (void)state;
    int checked = 0;
    for (int op = 0; op < BO_OP_COUNT; op++) {
        const bo_op_entry_t *entry = bo_op_entry((bo_op_t)op);
        for (size_t i = 0; i < entry->field_count; i++) {
            const bo_field_spec_t *field = &entry->fields[i];
            if (!field->required)
                continue;
            s_refuse_field(entry, field, NULL, "missing");
            s_refuse_field(entry, field, json_null(), "null");
            checked++;
        }
    }
    assert_true(checked >= 20);
}

static void test_decode_wrong_types(void **state)
{
    (void)state;
    for (int op = 0; op < BO_OP_COUNT; op++) {
        const bo_op_entry_t *entry = bo_op_entry((bo_op_t)op);
        for (size_t i = 0; i < entry->field_count; i++) {
            const bo_field_spec_t *field = &entry->fields[i];
            if (field->type == BO_FIELD_STRING) {
                s_refuse_field(entry, field, json_integer(5), "as a number");
                s_refuse_field(entry, field, json_true(), "as a boolean");
                s_refuse_field(entry, field, json_pack("[s]", "x"), "as an array");
                s_refuse_field(entry, field, json_pack("{s:s}", "x", "y"), "as an object");
            } else {
                /* A string where an id belongs is BAD_REQUEST (contract notes). */
                s_refuse_field(entry, field, json_string("1"), "as a string");
                s_refuse_field(entry, field, json_true(), "as a boolean");
                s_refuse_field(entry, field, json_false(), "as false");
                s_refuse_field(entry, field, json_pack("[i]", 1), "as an array");
                s_refuse_field(entry, field, json_object(), "as an object");
            }
        }
    }
}

static void test_decode_out_of_range(void **state)
{
    (void)state;
    for (int op = 0; op < BO_OP_COUNT; op++) {
        const bo_op_entry_t *entry = bo_op_entry((bo_op_t)op);
        for (size_t i = 0; i < entry->field_count; i++) {
            const bo_field_spec_t *field = &entry->fields[i];
            if (field->type == BO_FIELD_STRING) {
                if (field->min > 0)
                    s_refuse_field(entry, field, s_string_of((size_t)field->min - 1, i),
                                   "too short");
                s_refuse_field(entry, field, s_string_of((size_t)field->max + 1, i), "too long");
            } else {
                s_refuse_field(entry, field, json_integer(field->min - 1), "below min");
                s_refuse_field(entry, field, json_integer(field->max + 1), "above max");
                s_refuse_field(entry, field, json_integer(0), "zero");
                s_refuse_field(entry, field, json_integer(-1), "negative");
                s_refuse_field(entry, field, json_integer(INT64_MIN), "INT64_MIN");
                s_refuse_field(entry, field, json_integer(INT64_MAX), "INT64_MAX");
            }
        }
    }
}

static void test_decode_fractional_numbers(void **state)
{
    (void)state;
    for (int op = 0; op < BO_OP_COUNT; op++) {
        const bo_op_entry_t *entry = bo_op_entry((bo_op_t)op);
        for (size_t i = 0; i < entry->field_count; i++) {
            const bo_field_spec_t *field = &entry->fields[i];
            if (field->type == BO_FIELD_STRING)
                continue;
            s_refuse_field(entry, field, json_real(1.5), "as 1.5");
            s_refuse_field(entry, field, json_real(2.0), "as 2.0");
        }
    }
    /* In text: 2.0, 1e1 and -0.5 are not integers. */
    s_refused_text("{\"op\":\"point.charge\",\"user_id\":1,\"amount\":2.0}", BO_BAD_REQUEST,
                   "amount");
    s_refused_text("{\"op\":\"point.charge\",\"user_id\":1,\"amount\":1e1}", BO_BAD_REQUEST,
                   "amount");
    s_refused_text("{\"op\":\"point.charge\",\"user_id\":1,\"amount\":-0.5}", BO_BAD_REQUEST,
                   "amount");
    s_refused_text("{\"op\":\"point.charge\",\"user_id\":1.0,\"amount\":5}", BO_BAD_REQUEST,
                   "user_id");
}

static void test_decode_huge_integers(void **state)
{
    (void)state;
    bo_request_t request;
    char message[BO_MESSAGE_MAX];
    /* 2^53 - 1 is the largest id; 2^53 is one too many. */
    assert_int_equal(
        s_decode("{\"op\":\"point.balance\",\"user_id\":9007199254740991}", &request, message),
        BO_OK);
    assert_int_equal(request.user_id, BO_MAX_ID);
    bo_request_clear(&request);
    s_refused_text("{\"op\":\"point.balance\",\"user_id\":9007199254740992}", BO_BAD_REQUEST,
                   "user_id");
    s_refused_text("{\"op\":\"point.balance\",\"user_id\":9223372036854775807}", BO_BAD_REQUEST,
                   "user_id");
    /* Past 2^63 jansson cannot hold the number: not valid JSON for it. */
    s_refused_text("{\"op\":\"point.balance\",\"user_id\":9223372036854775808}", BO_BAD_REQUEST,
                   NULL);
    s_refused_text("{\"op\":\"point.balance\",\"user_id\":-9223372036854775809}", BO_BAD_REQUEST,
                   NULL);
    s_refused_text("{\"op\":\"point.charge\",\"user_id\":1,"
                   "\"amount\":100000000000000000000000000000}",
                   BO_BAD_REQUEST, NULL);
    /* Amounts: 1 .. 10,000,000. */
    s_refused_text("{\"op\":\"point.charge\",\"user_id\":1,\"amount\":10000001}", BO_BAD_REQUEST,
                   "amount");
    s_refused_text("{\"op\":\"point.charge\",\"user_id\":1,\"amount\":-1000}", BO_BAD_REQUEST,
                   "amount");
}

static void test_decode_duplicate_keys(void **state)
{
    (void)state;
    s_refused_text("{\"op\":\"server.ping\",\"op\":\"server.ping\"}", BO_BAD_REQUEST, NULL);
    s_refused_text("{\"op\":\"point.balance\",\"user_id\":1,\"user_id\":1}", BO_BAD_REQUEST, NULL);
    s_refused_text("{\"op\":\"point.balance\",\"user_id\":1,\"user_id\":2}", BO_BAD_REQUEST, NULL);
    s_refused_text("{\"op\":\"server.ping\",\"request_id\":\"a\",\"request_id\":\"b\"}",
                   BO_BAD_REQUEST, NULL);
    /* Also inside nested objects. */
    s_refused_text("{\"op\":\"server.ping\",\"x\":{\"a\":1,\"a\":2}}", BO_BAD_REQUEST, NULL);
}

static void test_decode_rejects_nul_bytes(void **state)
{
    (void)state;
    s_refused_text("{\"op\":\"user.create\",\"name\":\"a\\u0000b\"}", BO_BAD_REQUEST, NULL);
    s_refused_text("{\"op\":\"server.ping\\u0000\"}", BO_BAD_REQUEST, NULL);
    s_refused_text("{\"op\":\"point.balance\",\"user_id\":1,\"request_id\":\"r\\u0000\"}",
                   BO_BAD_REQUEST, NULL);
    s_refused_text("{\"op\":\"server.ping\",\"k\\u0000\":1}", BO_BAD_REQUEST, NULL);
    /* A raw NUL byte inside a string. */
    static const char raw[] = "{\"op\":\"user.create\",\"name\":\"a\0b\"}";
    s_refused(raw, sizeof raw - 1, BO_BAD_REQUEST, NULL);
}

static void test_decode_rejects_invalid_utf8(void **state)
{
    (void)state;
    /* A lone invalid byte, a truncated sequence, an overlong NUL, an encoded
       surrogate, a code point past U+10FFFF, and an escaped lone surrogate. */
    s_refused_text("{\"op\":\"user.create\",\"name\":\"\xff\"}", BO_BAD_REQUEST, NULL);
    s_refused_text("{\"op\":\"user.create\",\"name\":\"a\xea\xb0\"}", BO_BAD_REQUEST, NULL);
    s_refused_text("{\"op\":\"user.create\",\"name\":\"\xc0\x80\"}", BO_BAD_REQUEST, NULL);
    s_refused_text("{\"op\":\"user.create\",\"name\":\"\xed\xa0\x80\"}", BO_BAD_REQUEST, NULL);
    s_refused_text("{\"op\":\"user.create\",\"name\":\"\xf4\x90\x80\x80\"}", BO_BAD_REQUEST, NULL);
    s_refused_text("{\"op\":\"user.create\",\"name\":\"\\ud800\"}", BO_BAD_REQUEST, NULL);
    s_refused_text("{\"op\":\"user.create\",\"name\":\"\\udc00x\"}", BO_BAD_REQUEST, NULL);
    /* Outside strings too. */
    s_refused_text("{\"op\":\"server.ping\"}\xff", BO_BAD_REQUEST, NULL);
}

static void test_decode_too_large(void **state)
{
    (void)state;
    /* One byte over 64 KiB, even of valid JSON, is TOO_LARGE. */
    size_t size = BO_MAX_REQUEST_BYTES + 1;
    char *frame = malloc(size);
    assert_non_null(frame);
    memset(frame, ' ', size);
    const char *body = "{\"op\":\"server.ping\",\"request_id\":\"big\"}";
    memcpy(frame, body, strlen(body));
    bo_request_t request;
    char message[BO_MESSAGE_MAX];
    assert_int_equal(codec_decode_request(frame, size, &request, message), BO_TOO_LARGE);
    assert_string_equal(message, bo_status_message(BO_TOO_LARGE));
    assert_null(request.json);
    assert_null(request.entry);
    bo_request_clear(&request);
    free(frame);

    /* A 1 MiB frame of garbage: still TOO_LARGE, never parsed. */
    size = 1024 * 1024;
    frame = malloc(size);
    assert_non_null(frame);
    memset(frame, '[', size);
    assert_int_equal(codec_decode_request(frame, size, &request, message), BO_TOO_LARGE);
    bo_request_clear(&request);
    free(frame);
}

static void test_decode_bad_request_id(void **state)
{
    (void)state;
    char long_id[BO_REQUEST_ID_MAX + 2];
    memset(long_id, 'r', BO_REQUEST_ID_MAX + 1);
    long_id[BO_REQUEST_ID_MAX + 1] = '\0';
    char text[512];
    snprintf(text, sizeof text, "{\"op\":\"server.ping\",\"request_id\":\"%s\"}", long_id);
    s_refused_text(text, BO_BAD_REQUEST, "request_id");
    /* 43 three-byte characters: 43 characters but 129 bytes. */
    char wide[3 * 43 + 1] = "";
    for (int i = 0; i < 43; i++)
        strcat(wide, "\xea\xb0\x80");
    snprintf(text, sizeof text, "{\"op\":\"server.ping\",\"request_id\":\"%s\"}", wide);
    s_refused_text(text, BO_BAD_REQUEST, "request_id");
    s_refused_text("{\"op\":\"server.ping\",\"request_id\":\"\"}", BO_BAD_REQUEST, "request_id");
    s_refused_text("{\"op\":\"server.ping\",\"request_id\":17}", BO_BAD_REQUEST, "request_id");
    s_refused_text("{\"op\":\"server.ping\",\"request_id\":true}", BO_BAD_REQUEST, "request_id");
    s_refused_text("{\"op\":\"server.ping\",\"request_id\":[\"a\"]}", BO_BAD_REQUEST, "request_id");
    s_refused_text("{\"op\":\"server.ping\",\"request_id\":{}}", BO_BAD_REQUEST, "request_id");

    /* An unusable request_id is not echoed. */
    bo_request_t request;
    char message[BO_MESSAGE_MAX];
    assert_int_equal(s_decode("{\"op\":\"server.ping\",\"request_id\":17}", &request, message),
                     BO_BAD_REQUEST);
    assert_null(request.request_id);
    bo_request_clear(&request);
}

static void test_decode_keeps_request_id_when_a_field_fails(void **state)
{
    (void)state;
    bo_request_t request;
    char message[BO_MESSAGE_MAX];
    /* request_id after the bad field in the text: still kept. */
    assert_int_equal(s_decode("{\"op\":\"point.charge\",\"user_id\":1,\"amount\":0,"
                              "\"request_id\":\"late\"}",
                              &request, message),
                     BO_BAD_REQUEST);
    assert_string_equal(request.request_id, "late");
    assert_non_null(strstr(message, "'amount'"));
    /* The message gives the range. */
    assert_non_null(strstr(message, "10000000"));
    assert_non_null(request.json);
    bo_request_clear(&request);

    assert_int_equal(s_decode("{\"request_id\":\"no-op\",\"user_id\":1}", &request, message),
                     BO_BAD_REQUEST);
    assert_string_equal(request.request_id, "no-op");
    bo_request_clear(&request);

    assert_int_equal(s_decode("{\"request_id\":\"wrong\",\"op\":\"seat.reserve\",\"user_id\":1,"
                              "\"token\":\"t\",\"seat_number\":51}",
                              &request, message),
                     BO_BAD_REQUEST);
    assert_string_equal(request.request_id, "wrong");
    assert_non_null(strstr(message, "'seat_number'"));
    assert_non_null(strstr(message, "50"));
    bo_request_clear(&request);
}

static void test_decode_clears_stale_request(void **state)
{
    (void)state;
    /* Whatever the struct held before is gone, on success and on error. */
    bo_request_t request;
    char message[BO_MESSAGE_MAX];
    memset(&request, 0x5a, sizeof request);
    assert_int_equal(s_decode("{\"op\":\"server.ping\"}", &request, message), BO_OK);
    assert_null(request.request_id);
    assert_int_equal(request.user_id, 0);
    assert_null(request.name);
    bo_request_clear(&request);
    memset(&request, 0x5a, sizeof request);
    assert_int_equal(s_decode("nope", &request, message), BO_BAD_REQUEST);
    assert_null(request.json);
    assert_null(request.request_id);
    assert_null(request.entry);
    bo_request_clear(&request);
}

/* ---------------------------------------------------------------------- */
/* Fingerprints                                                            */
/* ---------------------------------------------------------------------- */

static char *s_fingerprint(const char *text)
{
    bo_request_t request;
    char message[BO_MESSAGE_MAX];
    bo_status_t status = s_decode(text, &request, message);
    if (status != BO_OK)
        fail_msg("'%s': %s", text, message);
    char *fingerprint = codec_request_fingerprint(&request);
    assert_non_null(fingerprint);
    /* The request itself is unchanged by taking its fingerprint. */
    if (strstr(text, "request_id"))
        assert_non_null(json_object_get(request.json, "request_id"));
    bo_request_clear(&request);
    return fingerprint;
}

static void s_assert_same_fingerprint(const char *a, const char *b, bool same)
{
    char *first = s_fingerprint(a), *second = s_fingerprint(b);
    if ((strcmp(first, second) == 0) != same)
        fail_msg("fingerprints of\n  %s\n  %s\nshould %s: '%s' vs '%s'", a, b,
                 same ? "match" : "differ", first, second);
    assert_null(strstr(first, "request_id"));
    free(first);
    free(second);
}

static void test_fingerprint_ignores_request_id(void **state)
{
    (void)state;
    s_assert_same_fingerprint(
        "{\"op\":\"point.charge\",\"request_id\":\"a\",\"user_id\":1,\"amount\":100}",
        "{\"op\":\"point.charge\",\"request_id\":\"b\",\"user_id\":1,\"amount\":100}", true);
    s_assert_same_fingerprint(
        "{\"op\":\"point.charge\",\"request_id\":\"a\",\"user_id\":1,\"amount\":100}",
        "{\"op\":\"point.charge\",\"user_id\":1,\"amount\":100}", true);
}

static void test_fingerprint_ignores_key_order_and_spacing(void **state)
{
    (void)state;
    s_assert_same_fingerprint(
        "{\"op\":\"point.charge\",\"request_id\":\"a\",\"user_id\":1,\"amount\":100}",
        "{ \"amount\" : 100 , \"user_id\" : 1, \"request_id\":\"a\", \"op\" : \"point.charge\" }",
        true);
    s_assert_same_fingerprint(
        "{\"op\":\"seat.reserve\",\"user_id\":1,\"token\":\"t\",\"seat_number\":5,"
        "\"concert_id\":2,\"concert_date\":\"2026-11-24\"}",
        "{\"concert_date\":\"2026-11-24\",\"concert_id\":2,\"seat_number\":5,\"token\":\"t\","
        "\"user_id\":1,\"op\":\"seat.reserve\"}",
        true);
    /* The same string written with an escape. */
    s_assert_same_fingerprint("{\"op\":\"user.create\",\"name\":\"\xea\xb0\x80\"}",
                              "{\"op\":\"user.create\",\"name\":\"\\uac00\"}", true);
}

/* The fingerprint is written directly, not through a JSON object, but must
   stay byte for byte what json_dumps of that object writes: replies stored
   before an upgrade keep matching their retries. */
static void s_assert_canonical(const char *text)
{
    bo_request_t request;
    char message[BO_MESSAGE_MAX];
    if (s_decode(text, &request, message) != BO_OK)
        fail_msg("'%s': %s", text, message);
    json_t *canonical = json_object();
    json_object_set_new(canonical, "op", json_string(request.entry->name));
    for (size_t i = 0; i < request.entry->field_count; i++) {
        json_t *value = json_object_get(request.json, request.entry->fields[i].name);
        if (value && !json_is_null(value))
            json_object_set(canonical, request.entry->fields[i].name, value);
    }
    char *expected = json_dumps(canonical, JSON_COMPACT | JSON_SORT_KEYS);
    char *fingerprint = codec_request_fingerprint(&request);
    assert_non_null(fingerprint);
    assert_string_equal(fingerprint, expected);
    free(expected);
    free(fingerprint);
    json_decref(canonical);
    bo_request_clear(&request);
}

static void test_fingerprint_is_the_canonical_json(void **state)
{
    (void)state;
    s_assert_canonical("{\"op\":\"point.charge\",\"request_id\":\"a\",\"user_id\":1,"
                       "\"amount\":10000000}");
    s_assert_canonical("{\"op\":\"payment.pay\",\"request_id\":\"r\",\"user_id\":12,"
                       "\"token\":\"0f8e6a5c-2b1d-4c3e-9a7b-6d5e4f3a2b1c\",\"reservation_id\":77}");
    s_assert_canonical("{\"op\":\"seat.reserve\",\"user_id\":1,\"token\":\"t\",\"seat_number\":5,"
                       "\"schedule_id\":3,\"concert_id\":null,\"client\":\"tui 1.0\"}");
    s_assert_canonical(
        "{\"op\":\"user.create\",\"name\":\"\\uBBFC\\uC9C0 \\\"quoted\\\" back\\\\slash "
        "tab\\t /slash \\u00e9\"}");
    s_assert_canonical("{\"op\":\"queue.status\",\"user_id\":3,\"token\":\"abc\"}");
    /* The longest name the decoder takes, each character escaped: longer
       than the first buffer the fingerprint tries. */
    char text[2048];
    int used = snprintf(text, sizeof text, "{\"op\":\"user.create\",\"name\":\"");
    for (int i = 0; i < BO_NAME_MAX / 2; i++)
        used += snprintf(text + used, sizeof text - (size_t)used, "\\\"\\\\");
    snprintf(text + used, sizeof text - (size_t)used, "\"}");
    s_assert_canonical(text);
}

/* The fingerprint writes op and field names as they are, unescaped, and
   has room for CODEC_FINGERPRINT_KEYS of them. */
static void test_fingerprint_keys_are_plain_and_few(void **state)
{
    (void)state;
    for (int op = 0; op < BO_OP_COUNT; op++) {
        const bo_op_entry_t *entry = bo_op_entry((bo_op_t)op);
        assert_non_null(entry);
        assert_true(entry->field_count + 1 <= CODEC_FINGERPRINT_KEYS);
        assert_int_equal(strspn(entry->name, "abcdefghijklmnopqrstuvwxyz0123456789_."),
                         strlen(entry->name));
        for (size_t i = 0; i < entry->field_count; i++)
            assert_int_equal(strspn(entry->fields[i].name, "abcdefghijklmnopqrstuvwxyz0123456789_"),
                             strlen(entry->fields[i].name));
    }
}

static void test_fingerprint_tells_requests_apart(void **state)
{
    (void)state;
    const char *base =
        "{\"op\":\"point.charge\",\"request_id\":\"a\",\"user_id\":1,\"amount\":100}";
    s_assert_same_fingerprint(
        base, "{\"op\":\"point.charge\",\"request_id\":\"a\",\"user_id\":1,\"amount\":101}", false);
    s_assert_same_fingerprint(
        base, "{\"op\":\"point.charge\",\"request_id\":\"a\",\"user_id\":2,\"amount\":100}", false);
    s_assert_same_fingerprint("{\"op\":\"point.balance\",\"request_id\":\"a\",\"user_id\":1}",
                              "{\"op\":\"reservation.list\",\"request_id\":\"a\",\"user_id\":1}",
                              false);
    s_assert_same_fingerprint(
        "{\"op\":\"seat.reserve\",\"user_id\":1,\"token\":\"t\",\"seat_number\":5,"
        "\"schedule_id\":3}",
        "{\"op\":\"seat.reserve\",\"user_id\":1,\"token\":\"t\",\"seat_number\":5,"
        "\"concert_id\":3,\"concert_date\":\"2026-12-09\"}",
        false);
    /* A null or an unknown key does not make a retry another request. */
    s_assert_same_fingerprint(
        "{\"op\":\"seat.reserve\",\"user_id\":1,\"token\":\"t\",\"seat_number\":5,"
        "\"schedule_id\":3}",
        "{\"op\":\"seat.reserve\",\"user_id\":1,\"token\":\"t\",\"seat_number\":5,"
        "\"schedule_id\":3,\"concert_id\":null,\"client\":\"tui 1.0\"}",
        true);
    s_assert_same_fingerprint("{\"op\":\"user.create\",\"name\":\"Minji\"}",
                              "{\"op\":\"user.create\",\"name\":\"minji\"}", false);
}

/* ---------------------------------------------------------------------- */
/* Replies and statuses                                                    */
/* ---------------------------------------------------------------------- */

static void test_reply_ok(void **state)
{
    (void)state;
    json_t *reply = codec_reply_ok(NULL);
    s_assert_dump(reply, "{\"ok\":true}");
    json_decref(reply);
    reply = codec_reply_ok("r-1");
    s_assert_dump(reply, "{\"ok\":true,\"request_id\":\"r-1\"}");
    /* Handlers add their fields after. */
    json_object_set_new(reply, "point", json_integer(500));
    s_assert_dump(reply, "{\"ok\":true,\"request_id\":\"r-1\",\"point\":500}");
    json_decref(reply);
}

static void test_reply_error(void **state)
{
    (void)state;
    json_t *reply = codec_reply_error(BO_SEAT_TAKEN, NULL, NULL);
    s_assert_dump(reply, "{\"ok\":false,\"error\":\"SEAT_TAKEN\",\"message\":\"the seat is already "
                         "taken\"}");
    json_decref(reply);
    reply = codec_reply_error(BO_NOT_FOUND, "no user 7", "r-2");
    s_assert_dump(reply, "{\"ok\":false,\"request_id\":\"r-2\",\"error\":\"NOT_FOUND\","
                         "\"message\":\"no user 7\"}");
    json_decref(reply);
    /* An empty message is the default one. */
    reply = codec_reply_error(BO_HOLD_LIMIT, "", NULL);
    s_assert_dump(reply,
                  "{\"ok\":false,\"error\":\"HOLD_LIMIT\",\"message\":\"too many open holds\"}");
    json_decref(reply);
    /* Messages are escaped as JSON. */
    reply = codec_reply_error(BO_BAD_REQUEST, "field 'x' \"quoted\"\\", "r\"3");
    s_assert_dump(reply, "{\"ok\":false,\"request_id\":\"r\\\"3\",\"error\":\"BAD_REQUEST\","
                         "\"message\":\"field 'x' \\\"quoted\\\"\\\\\"}");
    json_decref(reply);
    /* A status past the table is INTERNAL. */
    reply = codec_reply_error(BO_STATUS_COUNT, NULL, NULL);
    s_assert_dump(reply, "{\"ok\":false,\"error\":\"INTERNAL\",\"message\":\"internal error\"}");
    json_decref(reply);
}

static void test_status_codes_are_the_contract(void **state)
{
    (void)state;
    static const char *const codes[BO_STATUS_COUNT] = {
        "OK",
        "BAD_REQUEST",
        "UNKNOWN_OP",
        "TOO_LARGE",
        "NOT_FOUND",
        "TOKEN_INVALID",
        "TOKEN_WAITING",
        "TOKEN_EXPIRED",
        "NOT_RESERVABLE",
        "SEAT_TAKEN",
        "HOLD_LIMIT",
        "HOLD_EXPIRED",
        "INSUFFICIENT_POINTS",
        "FORBIDDEN",
        "CONFLICT",
        "INTERNAL",
    };
    for (int status = 0; status < BO_STATUS_COUNT; status++) {
        assert_non_null(codes[status]);
        assert_string_equal(bo_status_code((bo_status_t)status), codes[status]);
        assert_int_equal(bo_status_from_code(codes[status]), status);
        const char *message = bo_status_message((bo_status_t)status);
        assert_non_null(message);
        assert_true(strlen(message) > 0);
    }
    assert_string_equal(bo_status_code(BO_STATUS_COUNT), "INTERNAL");
    assert_string_equal(bo_status_code((bo_status_t)-1), "INTERNAL");
    assert_string_equal(bo_status_message(BO_STATUS_COUNT), "internal error");
    assert_int_equal(bo_status_from_code("seat_taken"), BO_STATUS_COUNT);
    assert_int_equal(bo_status_from_code(""), BO_STATUS_COUNT);
    assert_int_equal(bo_status_from_code("NOPE"), BO_STATUS_COUNT);
    /* The TOO_LARGE message states the real limit. */
    char limit[32];
    snprintf(limit, sizeof limit, "%d", BO_MAX_REQUEST_BYTES);
    assert_non_null(strstr(bo_status_message(BO_TOO_LARGE), limit));
}

static void test_every_error_reply_round_trips(void **state)
{
    (void)state;
    for (int status = BO_BAD_REQUEST; status < BO_STATUS_COUNT; status++) {
        json_t *reply = codec_reply_error((bo_status_t)status, NULL, "rid");
        assert_string_equal(json_string_value(json_object_get(reply, "error")),
                            bo_status_code((bo_status_t)status));
        assert_string_equal(json_string_value(json_object_get(reply, "message")),
                            bo_status_message((bo_status_t)status));
        char *text = codec_dump(reply);
        bo_status_t parsed = BO_OK;
        const char *message = NULL;
        json_t *back = codec_parse_reply(text, strlen(text), &parsed, &message);
        assert_non_null(back);
        assert_int_equal(parsed, status);
        assert_string_equal(message, bo_status_message((bo_status_t)status));
        assert_string_equal(json_string_value(json_object_get(back, "request_id")), "rid");
        json_decref(back);
        free(text);
        json_decref(reply);
    }
}

/* ---------------------------------------------------------------------- */
/* Parsing replies                                                         */
/* ---------------------------------------------------------------------- */

static json_t *s_parse_reply(const char *text, bo_status_t *status, const char **message)
{
    return codec_parse_reply(text, strlen(text), status, message);
}

static void test_parse_reply_ok(void **state)
{
    (void)state;
    bo_status_t status = BO_INTERNAL;
    const char *message = "stale";
    json_t *reply = s_parse_reply("{\"ok\":true,\"user_id\":42}", &status, &message);
    assert_non_null(reply);
    assert_int_equal(status, BO_OK);
    assert_null(message);
    assert_int_equal(json_integer_value(json_object_get(reply, "user_id")), 42);
    json_decref(reply);
}

static void test_parse_reply_error(void **state)
{
    (void)state;
    bo_status_t status = BO_OK;
    const char *message = NULL;
    json_t *reply =
        s_parse_reply("{\"ok\":false,\"error\":\"SEAT_TAKEN\",\"message\":\"seat 5 is taken\"}",
                      &status, &message);
    assert_non_null(reply);
    assert_int_equal(status, BO_SEAT_TAKEN);
    assert_string_equal(message, "seat 5 is taken");
    json_decref(reply);

    /* Without a message: the default one. */
    reply = s_parse_reply("{\"ok\":false,\"error\":\"HOLD_EXPIRED\"}", &status, &message);
    assert_non_null(reply);
    assert_int_equal(status, BO_HOLD_EXPIRED);
    assert_string_equal(message, bo_status_message(BO_HOLD_EXPIRED));
    json_decref(reply);
}

static void test_parse_reply_unknown_code(void **state)
{
    (void)state;
    bo_status_t status = BO_OK;
    const char *message = NULL;
    json_t *reply =
        s_parse_reply("{\"ok\":false,\"error\":\"FROM_THE_FUTURE\",\"message\":\"a newer server\"}",
                      &status, &message);
    assert_non_null(reply);
    assert_int_equal(status, BO_INTERNAL);
    assert_string_equal(message, "a newer server");
    json_decref(reply);

    /* No code, or a code that is not a string, or "ok" missing. */
    status = BO_OK;
    reply = s_parse_reply("{\"ok\":false}", &status, &message);
    assert_non_null(reply);
    assert_int_equal(status, BO_INTERNAL);
    assert_string_equal(message, bo_status_message(BO_INTERNAL));
    json_decref(reply);
    status = BO_OK;
    reply = s_parse_reply("{\"ok\":false,\"error\":404}", &status, &message);
    assert_non_null(reply);
    assert_int_equal(status, BO_INTERNAL);
    json_decref(reply);
    status = BO_OK;
    reply = s_parse_reply("{\"user_id\":1}", &status, &message);
    assert_non_null(reply);
    assert_int_equal(status, BO_INTERNAL);
    json_decref(reply);
}

static void test_parse_reply_non_object(void **state)
{
    (void)state;
    static const char *const frames[] = {"[1,2]", "[]",       "\"ok\"", "42", "null",
                                         "true",  "not json", "{",      ""};
    for (size_t i = 0; i < COUNT(frames); i++) {
        bo_status_t status = BO_OK;
        const char *message = NULL;
        json_t *reply = s_parse_reply(frames[i], &status, &message);
        if (reply) {
            json_decref(reply);
            fail_msg("'%s' parsed as a reply", frames[i]);
        }
    }
}

/* ---------------------------------------------------------------------- */
/* Encoders and parsers                                                    */
/* ---------------------------------------------------------------------- */

static void test_codec_time(void **state)
{
    (void)state;
    json_t *value = codec_time(0);
    assert_true(json_is_null(value));
    json_decref(value);
    value = codec_time(T0);
    assert_string_equal(json_string_value(value), "2026-11-24T21:05:00Z");
    json_decref(value);
    value = codec_time(T0 + 999);
    assert_string_equal(json_string_value(value), "2026-11-24T21:05:00Z");
    json_decref(value);
    value = codec_time(-1000);
    assert_string_equal(json_string_value(value), "1969-12-31T23:59:59Z");
    json_decref(value);
}

static void test_parse_time(void **state)
{
    (void)state;
    json_t *object = json_pack("{s:s, s:n, s:s, s:i, s:s, s:s}", "good", "2026-11-24T21:05:00Z",
                               "null", "offset", "2026-11-25T06:05:00+09:00", "number", 5, "bad",
                               "yesterday", "date", "2026-11-24");
    assert_non_null(object);
    int64_t at = -1;
    assert_true(codec_parse_time(object, "good", &at));
    assert_int_equal(at, T0);
    at = -1;
    assert_true(codec_parse_time(object, "null", &at));
    assert_int_equal(at, 0);
    at = -1;
    assert_true(codec_parse_time(object, "absent", &at));
    assert_int_equal(at, 0);
    assert_true(codec_parse_time(object, "offset", &at));
    assert_int_equal(at, T0);
    assert_false(codec_parse_time(object, "number", &at));
    assert_false(codec_parse_time(object, "bad", &at));
    assert_false(codec_parse_time(object, "date", &at));
    json_decref(object);
}

static void test_queue_state_round_trip(void **state)
{
    (void)state;
    static const bo_token_status_t statuses[] = {BO_TOKEN_WAIT, BO_TOKEN_ACTIVE,
                                                 BO_TOKEN_EXPIRED_STATE};
    for (size_t i = 0; i < COUNT(statuses); i++) {
        bo_queue_state_t sent = {.status = statuses[i],
                                 .position = statuses[i] == BO_TOKEN_WAIT ? 17 : 0,
                                 .waiting = 123456,
                                 .eta_s = statuses[i] == BO_TOKEN_WAIT ? 9 : 0,
                                 .expires_at = statuses[i] == BO_TOKEN_WAIT ? 0 : T0 + 300000};
        snprintf(sent.token, sizeof sent.token, "tok-%zu_AbC-xyz", i);
        json_t *reply = codec_reply_ok("q");
        codec_put_queue_state(reply, &sent);
        s_assert_keys(reply, "ok", "request_id", "token", "status", "position", "waiting", "eta_s",
                      "expires_at", NULL);
        assert_string_equal(json_string_value(json_object_get(reply, "status")),
                            bo_token_status_name(statuses[i]));
        if (sent.expires_at == 0)
            assert_true(json_is_null(json_object_get(reply, "expires_at")));
        else
            assert_string_equal(json_string_value(json_object_get(reply, "expires_at")),
                                "2026-11-24T21:10:00Z");
        json_t *back = s_through_text(reply);
        bo_queue_state_t got;
        memset(&got, 0x5a, sizeof got);
        assert_true(codec_parse_queue_state(back, &got));
        assert_string_equal(got.token, sent.token);
        assert_int_equal(got.status, sent.status);
        assert_int_equal(got.position, sent.position);
        assert_int_equal(got.waiting, sent.waiting);
        assert_int_equal(got.eta_s, sent.eta_s);
        assert_int_equal(got.expires_at, sent.expires_at);
        json_decref(back);
        json_decref(reply);
    }
}

static void test_queue_state_parse_failures(void **state)
{
    (void)state;
    const char *good = "{\"token\":\"t\",\"status\":\"wait\",\"position\":1,\"waiting\":1,"
                       "\"eta_s\":2,\"expires_at\":null}";
    json_t *object = json_loads(good, 0, NULL);
    bo_queue_state_t got;
    assert_true(codec_parse_queue_state(object, &got));
    static const char *const required[] = {"token", "status", "position", "waiting", "eta_s"};
    for (size_t i = 0; i < COUNT(required); i++) {
        json_t *copy = json_deep_copy(object);
        json_object_del(copy, required[i]);
        if (codec_parse_queue_state(copy, &got))
            fail_msg("parsed without '%s'", required[i]);
        json_decref(copy);
    }
    json_t *copy = json_deep_copy(object);
    json_object_set_new(copy, "status", json_string("admitted"));
    assert_false(codec_parse_queue_state(copy, &got));
    json_object_set_new(copy, "status", json_string("active"));
    json_object_set_new(copy, "position", json_string("1"));
    assert_false(codec_parse_queue_state(copy, &got));
    json_object_set_new(copy, "position", json_integer(1));
    json_object_set_new(copy, "expires_at", json_string("soon"));
    assert_false(codec_parse_queue_state(copy, &got));
    json_object_set_new(copy, "expires_at", json_null());
    json_object_set_new(copy, "token", json_integer(1));
    assert_false(codec_parse_queue_state(copy, &got));
    /* The longest token fits; one byte more does not. */
    json_t *token = s_string_of(BO_TOKEN_MAX, 0);
    json_object_set_new(copy, "token", token);
    assert_true(codec_parse_queue_state(copy, &got));
    assert_string_equal(got.token, json_string_value(token));
    json_object_set_new(copy, "token", s_string_of(BO_TOKEN_MAX + 1, 0));
    assert_false(codec_parse_queue_state(copy, &got));
    json_decref(copy);
    json_decref(object);
}

static void test_hold_round_trip(void **state)
{
    (void)state;
    static const int64_t times[][2] = {{T0 + 86400000, T0 + 300000}, {0, 0}};
    for (size_t i = 0; i < COUNT(times); i++) {
        bo_reservation_t sent = {.reservation_id = 9001,
                                 .status = BO_RESERVATION_RESERVED,
                                 .title = "\xec\x95\x84\xec\x9d\xb4\xec\x9c\xa0 Concert",
                                 .show_time = times[i][0],
                                 .seat_number = 50,
                                 .price = 150000,
                                 .hold_expires_at = times[i][1]};
        json_t *reply = codec_reply_ok(NULL);
        codec_put_hold(reply, &sent);
        s_assert_keys(reply, "ok", "reservation_id", "seat_number", "title", "show_time", "price",
                      "hold_expires_at", NULL);
        json_t *back = s_through_text(reply);
        bo_reservation_t got;
        memset(&got, 0x5a, sizeof got);
        assert_true(codec_parse_hold(back, &got));
        assert_int_equal(got.reservation_id, sent.reservation_id);
        assert_int_equal(got.status, BO_RESERVATION_RESERVED);
        assert_string_equal(got.title, sent.title);
        assert_int_equal(got.show_time, sent.show_time);
        assert_int_equal(got.seat_number, sent.seat_number);
        assert_int_equal(got.price, sent.price);
        assert_int_equal(got.hold_expires_at, sent.hold_expires_at);
        json_object_del(back, "title");
        assert_false(codec_parse_hold(back, &got));
        json_decref(back);
        json_decref(reply);
    }
}

static void test_concert_round_trip(void **state)
{
    (void)state;
    bo_concert_t sent = {.concert_id = 3,
                         .title = "\xeb\xb4\x84\xec\x9d\x98 \xec\x86\x8c\xeb\xa6\xac",
                         .performer = "The \"Quoted\" Band"};
    json_t *object = codec_concert(&sent);
    assert_non_null(object);
    s_assert_keys(object, "concert_id", "title", "performer", NULL);
    json_t *back = s_through_text(object);
    bo_concert_t got;
    assert_true(codec_parse_concert(back, &got));
    assert_int_equal(got.concert_id, 3);
    assert_string_equal(got.title, sent.title);
    assert_string_equal(got.performer, sent.performer);
    json_object_set_new(back, "concert_id", json_string("3"));
    assert_false(codec_parse_concert(back, &got));
    json_decref(back);
    json_decref(object);
}

static void test_schedule_round_trip(void **state)
{
    (void)state;
    static const int64_t times[][3] = {
        {T0 + 7 * 86400000LL, T0 - 86400000LL, T0 + 86400000LL},
        {0, 0, 0},
    };
    for (size_t i = 0; i < COUNT(times); i++) {
        bo_schedule_t sent = {.schedule_id = 8,
                              .concert_id = 3,
                              .title = "Night",
                              .performer = "Orchestra",
                              .price = 55000,
                              .show_time = times[i][0],
                              .reservation_start = times[i][1],
                              .reservation_end = times[i][2],
                              .left_tickets = 49};
        json_t *object = codec_schedule(&sent);
        assert_non_null(object);
        /* The fields of a concert.dates entry in the protocol table. */
        s_assert_keys(object, "schedule_id", "title", "performer", "price", "show_time",
                      "reservation_start", "reservation_end", "left_tickets", NULL);
        json_t *back = s_through_text(object);
        bo_schedule_t got;
        assert_true(codec_parse_schedule(back, &got));
        assert_int_equal(got.schedule_id, 8);
        assert_string_equal(got.title, "Night");
        assert_string_equal(got.performer, "Orchestra");
        assert_int_equal(got.price, 55000);
        assert_int_equal(got.show_time, sent.show_time);
        assert_int_equal(got.reservation_start, sent.reservation_start);
        assert_int_equal(got.reservation_end, sent.reservation_end);
        assert_int_equal(got.left_tickets, 49);
        json_object_del(back, "left_tickets");
        assert_false(codec_parse_schedule(back, &got));
        json_decref(back);
        json_decref(object);
    }
}

static void test_seat_round_trip(void **state)
{
    (void)state;
    static const bo_seat_status_t statuses[] = {BO_SEAT_FREE, BO_SEAT_HELD, BO_SEAT_SOLD};
    for (size_t i = 0; i < COUNT(statuses); i++) {
        bo_seat_t sent = {.number = (int64_t)i + 1, .status = statuses[i], .price = 99000};
        json_t *object = codec_seat(&sent);
        assert_non_null(object);
        s_assert_keys(object, "number", "status", "price", NULL);
        json_t *back = s_through_text(object);
        bo_seat_t got;
        assert_true(codec_parse_seat(back, &got));
        assert_int_equal(got.number, sent.number);
        assert_int_equal(got.status, sent.status);
        assert_int_equal(got.price, 99000);
        json_object_set_new(back, "status", json_string("broken"));
        assert_false(codec_parse_seat(back, &got));
        json_decref(back);
        json_decref(object);
    }
}

static void test_reservation_round_trip(void **state)
{
    (void)state;
    static const bo_reservation_status_t statuses[] = {BO_RESERVATION_RESERVED, BO_RESERVATION_PAID,
                                                       BO_RESERVATION_CANCELLED};
    for (size_t i = 0; i < COUNT(statuses); i++) {
        bo_reservation_t sent = {.reservation_id = 77 + (int64_t)i,
                                 .status = statuses[i],
                                 .title = "Spring",
                                 .show_time = T0 + 3 * 86400000LL,
                                 .seat_number = 12,
                                 .price = 120000,
                                 .hold_expires_at =
                                     statuses[i] == BO_RESERVATION_RESERVED ? T0 + 300000 : 0};
        json_t *object = codec_reservation(&sent);
        assert_non_null(object);
        s_assert_keys(object, "reservation_id", "status", "title", "show_time", "seat_number",
                      "price", "hold_expires_at", NULL);
        if (sent.hold_expires_at == 0)
            assert_true(json_is_null(json_object_get(object, "hold_expires_at")));
        json_t *back = s_through_text(object);
        bo_reservation_t got;
        assert_true(codec_parse_reservation(back, &got));
        assert_int_equal(got.reservation_id, sent.reservation_id);
        assert_int_equal(got.status, sent.status);
        assert_string_equal(got.title, "Spring");
        assert_int_equal(got.show_time, sent.show_time);
        assert_int_equal(got.seat_number, 12);
        assert_int_equal(got.price, 120000);
        assert_int_equal(got.hold_expires_at, sent.hold_expires_at);
        json_object_set_new(back, "show_time", json_integer(1));
        assert_false(codec_parse_reservation(back, &got));
        json_decref(back);
        json_decref(object);
    }
}

static void test_ledger_entry_round_trip(void **state)
{
    (void)state;
    static const bo_ledger_entry_t entries[] = {
        {BO_LEDGER_CHARGE, 10000000, 10000000, T0},
        {BO_LEDGER_USE, -150000, 9850000, T0 + 1000},
        {BO_LEDGER_REFUND, 150000, 10000000, T0 + 2000},
        {BO_LEDGER_CHARGE, 1, BO_MAX_BALANCE, 0},
    };
    for (size_t i = 0; i < COUNT(entries); i++) {
        json_t *object = codec_ledger_entry(&entries[i]);
        assert_non_null(object);
        s_assert_keys(object, "kind", "amount", "balance_after", "at", NULL);
        json_t *back = s_through_text(object);
        bo_ledger_entry_t got;
        assert_true(codec_parse_ledger_entry(back, &got));
        assert_int_equal(got.kind, entries[i].kind);
        assert_int_equal(got.amount, entries[i].amount);
        assert_int_equal(got.balance_after, entries[i].balance_after);
        assert_int_equal(got.at, entries[i].at);
        json_object_set_new(back, "kind", json_string("gift"));
        assert_false(codec_parse_ledger_entry(back, &got));
        json_decref(back);
        json_decref(object);
    }
}

static void test_enum_names(void **state)
{
    (void)state;
    static const char *const tokens[] = {"wait", "active", "expired"};
    static const char *const seats[] = {"free", "held", "sold"};
    static const char *const reservations[] = {"reserved", "paid", "cancelled"};
    static const char *const kinds[] = {"charge", "use", "refund"};
    for (int i = 0; i < 3; i++) {
        assert_string_equal(bo_token_status_name((bo_token_status_t)i), tokens[i]);
        assert_string_equal(bo_seat_status_name((bo_seat_status_t)i), seats[i]);
        assert_string_equal(bo_reservation_status_name((bo_reservation_status_t)i),
                            reservations[i]);
        assert_string_equal(bo_ledger_kind_name((bo_ledger_kind_t)i), kinds[i]);
        bo_token_status_t token;
        bo_seat_status_t seat;
        bo_reservation_status_t reservation;
        bo_ledger_kind_t kind;
        assert_true(bo_token_status_parse(tokens[i], &token));
        assert_int_equal(token, i);
        assert_true(bo_seat_status_parse(seats[i], &seat));
        assert_int_equal(seat, i);
        assert_true(bo_reservation_status_parse(reservations[i], &reservation));
        assert_int_equal(reservation, i);
        assert_true(bo_ledger_kind_parse(kinds[i], &kind));
        assert_int_equal(kind, i);
    }
    assert_string_equal(bo_token_status_name((bo_token_status_t)3), "unknown");
    assert_string_equal(bo_seat_status_name((bo_seat_status_t)-1), "unknown");
    bo_token_status_t token = BO_TOKEN_ACTIVE;
    assert_false(bo_token_status_parse("WAIT", &token));
    assert_false(bo_token_status_parse("", &token));
    assert_false(bo_token_status_parse(NULL, &token));
    assert_int_equal(token, BO_TOKEN_ACTIVE);
    bo_seat_status_t seat;
    assert_false(bo_seat_status_parse("taken", &seat));
    bo_reservation_status_t reservation;
    assert_false(bo_reservation_status_parse("canceled", &reservation));
    bo_ledger_kind_t kind;
    assert_false(bo_ledger_kind_parse("charges", &kind));
}

/* A reply put together from kept members reads as the same reply built
   whole, for any members and with or without a request_id. */
static void test_members_joined_to_a_reply(void **state)
{
    (void)state;
    json_t *members = json_pack("{s:[i,i], s:{s:s}}", "free", 1, 2, "show", "name", "Aé\"");
    char *text = codec_members(members);
    assert_non_null(text);
    assert_string_equal(text, "\"free\":[1,2],\"show\":{\"name\":\"Aé\\\"\"}");
    for (int with_id = 0; with_id < 2; with_id++) {
        json_t *reply = codec_reply_ok(with_id ? "r-1" : NULL);
        char *joined = codec_dump_with(reply, text);
        json_object_update(reply, members);
        json_t *parsed = json_loads(joined, 0, NULL);
        assert_non_null(parsed);
        assert_true(json_equal(parsed, reply));
        json_decref(parsed);
        json_decref(reply);
        free(joined);
    }
    json_t *empty = json_object();
    char *nothing = codec_members(empty);
    assert_string_equal(nothing, "");
    json_t *reply = codec_reply_ok(NULL);
    char *joined = codec_dump_with(reply, nothing);
    assert_string_equal(joined, "{\"ok\":true}");
    free(joined);
    free(nothing);
    json_decref(reply);
    json_decref(empty);
    free(text);
    json_decref(members);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_op_table_is_consistent),
        cmocka_unit_test(test_op_table_matches_the_protocol),
        cmocka_unit_test(test_decode_every_op_minimal),
        cmocka_unit_test(test_decode_every_op_with_optional_fields),
        cmocka_unit_test(test_decode_every_op_at_the_bounds),
        cmocka_unit_test(test_decode_keeps_request_id),
        cmocka_unit_test(test_decode_unicode_strings),
        cmocka_unit_test(test_decode_string_length_is_in_bytes),
        cmocka_unit_test(test_decode_null_optional_is_absent),
        cmocka_unit_test(test_decode_seat_reserve_show_forms),
        cmocka_unit_test(test_error_message_is_always_valid_utf8),
        cmocka_unit_test(test_decode_largest_frame),
        cmocka_unit_test(test_decode_rejects_non_json),
        cmocka_unit_test(test_decode_rejects_non_objects),
        cmocka_unit_test(test_decode_rejects_missing_or_bad_op),
        cmocka_unit_test(test_decode_unknown_op),
        cmocka_unit_test(test_decode_missing_required_fields),
        cmocka_unit_test(test_decode_wrong_types),
        cmocka_unit_test(test_decode_out_of_range),
        cmocka_unit_test(test_decode_fractional_numbers),
        cmocka_unit_test(test_decode_huge_integers),
        cmocka_unit_test(test_decode_duplicate_keys),
        cmocka_unit_test(test_decode_rejects_nul_bytes),
        cmocka_unit_test(test_decode_rejects_invalid_utf8),
        cmocka_unit_test(test_decode_too_large),
        cmocka_unit_test(test_decode_bad_request_id),
        cmocka_unit_test(test_decode_keeps_request_id_when_a_field_fails),
        cmocka_unit_test(test_decode_clears_stale_request),
        cmocka_unit_test(test_fingerprint_ignores_request_id),
        cmocka_unit_test(test_fingerprint_ignores_key_order_and_spacing),
        cmocka_unit_test(test_fingerprint_tells_requests_apart),
        cmocka_unit_test(test_fingerprint_is_the_canonical_json),
        cmocka_unit_test(test_fingerprint_keys_are_plain_and_few),
        cmocka_unit_test(test_reply_ok),
        cmocka_unit_test(test_reply_error),
        cmocka_unit_test(test_status_codes_are_the_contract),
        cmocka_unit_test(test_every_error_reply_round_trips),
        cmocka_unit_test(test_parse_reply_ok),
        cmocka_unit_test(test_parse_reply_error),
        cmocka_unit_test(test_parse_reply_unknown_code),
        cmocka_unit_test(test_parse_reply_non_object),
        cmocka_unit_test(test_codec_time),
        cmocka_unit_test(test_parse_time),
        cmocka_unit_test(test_queue_state_round_trip),
        cmocka_unit_test(test_queue_state_parse_failures),
        cmocka_unit_test(test_hold_round_trip),
        cmocka_unit_test(test_concert_round_trip),
        cmocka_unit_test(test_schedule_round_trip),
        cmocka_unit_test(test_seat_round_trip),
        cmocka_unit_test(test_reservation_round_trip),
        cmocka_unit_test(test_ledger_entry_round_trip),
        cmocka_unit_test(test_enum_names),
        cmocka_unit_test(test_members_joined_to_a_reply),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
