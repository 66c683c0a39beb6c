/*  test_booking: holds, payments, lapsed holds, the list of reservations
    and finding a show by date. */
#include "fixture.h"

typedef struct {
    bo_reservation_t hold;
    char title[256];
    int calls;
} hold_seen_t;

static void s_see_hold(void *arg, const bo_reservation_t *hold)
{
    hold_seen_t *seen = arg;
    seen->hold = *hold;
    snprintf(seen->title, sizeof seen->title, "%s", hold->title);
    seen->hold.title = seen->title;
    seen->calls++;
}

static bo_status_t s_hold(fixture_t *fixture, int64_t user_id, int64_t schedule_id, int64_t seat,
                          int64_t now, hold_seen_t *seen)
{
    memset(seen, 0, sizeof *seen);
    return store_hold_seat(fixture->store, user_id, schedule_id, seat, now, &fixture->policy,
                           s_see_hold, seen);
}

typedef struct {
    bo_seat_t seats[BO_SEAT_MAX];
    int count;
} seat_map_t;

static void s_collect_seat(void *arg, const bo_seat_t *seat)
{
    seat_map_t *map = arg;
    map->seats[map->count++] = *seat;
}

static bo_seat_status_t s_seat_status(fixture_t *fixture, int64_t schedule_id, int64_t number,
                                      int64_t now)
{
    seat_map_t map = {.count = 0};
    assert_int_equal(
        store_concert_seats(fixture->store, schedule_id, now, s_collect_seat, &map, &(int64_t){0}),
        BO_OK);
    assert_int_equal(map.count, BO_SEAT_MAX);
    return map.seats[number - 1].status;
}

typedef struct {
    int64_t left_tickets[16];
    int64_t price[16];
    int count;
} dates_t;

static void s_collect_date(void *arg, const bo_schedule_t *schedule)
{
    dates_t *dates = arg;
    assert_true(schedule->schedule_id < 16);
    dates->left_tickets[schedule->schedule_id] = schedule->left_tickets;
    dates->price[schedule->schedule_id] = schedule->price;
    dates->count++;
}

static int64_t s_left(fixture_t *fixture, int64_t concert_id, int64_t schedule_id, int64_t now)
{
    dates_t dates = {.count = 0};
    assert_int_equal(
        store_concert_dates(fixture->store, concert_id, now, s_collect_date, &dates, &(int64_t){0}),
        BO_OK);
    return dates.left_tickets[schedule_id];
}

static void test_a_hold_takes_the_seat(void **state)
{
    fixture_t *fixture = *state;
    hold_seen_t seen;
    assert_int_equal(s_hold(fixture, USER_RICH, SHOW_OPEN, 7, T0 + 123, &seen), BO_OK);
    assert_int_equal(seen.calls, 1);
    assert_true(seen.hold.reservation_id > 0);
    assert_int_equal(seen.hold.seat_number, 7);
    assert_int_equal(seen.hold.price, 120000);
    assert_non_null(strstr(seen.title, "Spring Jazz"));
    /* Expiry lands on a whole second, never before the full hold time. */
    assert_int_equal(seen.hold.hold_expires_at, T0 + 1000 + fixture->policy.hold_ttl_ms);
    assert_int_equal(s_seat_status(fixture, SHOW_OPEN, 7, T0), BO_SEAT_HELD);
    assert_int_equal(s_left(fixture, 1, SHOW_OPEN, T0), 49);
}

static void test_a_held_seat_is_taken(void **state)
{
    fixture_t *fixture = *state;
    hold_seen_t seen;
    int64_t rival = fixture_user(fixture->store, "rival", 0);
    assert_int_equal(s_hold(fixture, USER_RICH, SHOW_OPEN, 7, T0, &seen), BO_OK);
    assert_int_equal(s_hold(fixture, rival, SHOW_OPEN, 7, T0, &seen), BO_SEAT_TAKEN);
    assert_int_equal(seen.calls, 0);
    assert_int_equal(s_hold(fixture, USER_RICH, SHOW_OPEN, 7, T0, &seen), BO_SEAT_TAKEN);
}

static void test_a_lapsed_hold_can_be_taken_over(void **state)
{
    fixture_t *fixture = *state;
    hold_seen_t first, second;
    int64_t rival = fixture_user(fixture->store, "rival", 0);
    assert_int_equal(s_hold(fixture, USER_RICH, SHOW_OPEN, 7, T0, &first), BO_OK);
    int64_t lapsed = first.hold.hold_expires_at;
    /* The seat reads free the moment the hold lapses, before any cleanup. */
    assert_int_equal(s_seat_status(fixture, SHOW_OPEN, 7, lapsed), BO_SEAT_FREE);
    assert_int_equal(s_left(fixture, 1, SHOW_OPEN, lapsed), 50);
    assert_int_equal(s_hold(fixture, rival, SHOW_OPEN, 7, lapsed, &second), BO_OK);
    assert_int_equal(s_seat_status(fixture, SHOW_OPEN, 7, lapsed), BO_SEAT_HELD);
    assert_int_equal(s_left(fixture, 1, SHOW_OPEN, lapsed), 49);
    bo_reservation_status_t status;
    int64_t balance;
    assert_int_equal(store_pay(fixture->store, USER_RICH, 0, first.hold.reservation_id, lapsed,
                               &status, &balance),
                     BO_HOLD_EXPIRED);
}

static void test_shows_that_cannot_be_reserved(void **state)
{
    fixture_t *fixture = *state;
    hold_seen_t seen;
    assert_int_equal(s_hold(fixture, USER_RICH, SHOW_CLOSED, 1, T0, &seen), BO_NOT_RESERVABLE);
    assert_int_equal(s_hold(fixture, USER_RICH, SHOW_SOLD_OUT, 1, T0, &seen), BO_NOT_RESERVABLE);
    assert_int_equal(s_hold(fixture, USER_RICH, SHOW_NOT_YET_OPEN, 1, T0, &seen),
                     BO_NOT_RESERVABLE);
    assert_int_equal(s_hold(fixture, USER_RICH, 9999, 1, T0, &seen), BO_NOT_FOUND);
    dates_t dates = {.count = 0};
    assert_int_equal(
        store_concert_dates(fixture->store, 2, T0, s_collect_date, &dates, &(int64_t){0}), BO_OK);
    assert_int_equal(dates.count, 1); /* show 3 open, show 4 closed */
    assert_int_equal(dates.left_tickets[3], 50);
    assert_int_equal(dates.price[3], 90000);
    dates.count = 0;
    assert_int_equal(
        store_concert_dates(fixture->store, 3, T0, s_collect_date, &dates, &(int64_t){0}), BO_OK);
    assert_int_equal(dates.count, 1); /* show 5; show 6 is sold out */
    assert_int_equal(
        store_concert_dates(fixture->store, 999, T0, s_collect_date, &dates, &(int64_t){0}),
        BO_NOT_FOUND);
    seat_map_t map = {.count = 0};
    assert_int_equal(
        store_concert_seats(fixture->store, 999, T0, s_collect_seat, &map, &(int64_t){0}),
        BO_NOT_FOUND);
}

static void test_at_most_four_open_holds(void **state)
{
    fixture_t *fixture = *state;
    hold_seen_t seen, last;
    for (int seat = 1; seat <= BO_MAX_HOLDS; seat++)
        assert_int_equal(s_hold(fixture, USER_RICH, SHOW_OPEN, seat, T0, &last), BO_OK);
    assert_int_equal(s_hold(fixture, USER_RICH, SHOW_OPEN_TOO, 10, T0, &seen), BO_HOLD_LIMIT);
    /* A paid hold is no longer open. */
    bo_reservation_status_t status;
    int64_t balance;
    assert_int_equal(
        store_pay(fixture->store, USER_RICH, 0, last.hold.reservation_id, T0, &status, &balance),
        BO_OK);
    assert_int_equal(s_hold(fixture, USER_RICH, SHOW_OPEN_TOO, 10, T0, &seen), BO_OK);
    /* Lapsed holds stop counting the moment they lapse. */
    assert_int_equal(s_hold(fixture, USER_RICH, SHOW_OPEN_TOO, 11, T0, &seen), BO_HOLD_LIMIT);
    int64_t lapsed = last.hold.hold_expires_at;
    assert_int_equal(s_hold(fixture, USER_RICH, SHOW_OPEN_TOO, 11, lapsed - 1, &seen),
                     BO_HOLD_LIMIT);
    assert_int_equal(s_hold(fixture, USER_RICH, SHOW_OPEN_TOO, 11, lapsed, &seen), BO_OK);
}

static void test_payment_in_full(void **state)
{
    fixture_t *fixture = *state;
    hold_seen_t seen;
    int64_t user = fixture_user(fixture->store, "payer", 100000), balance = 0;
    bo_queue_state_t queue;
    assert_int_equal(
        store_queue_enter(fixture->store, user, "payer-token", T0, &fixture->policy, &queue),
        BO_OK);
    assert_int_equal(queue.status, BO_TOKEN_ACTIVE);
    assert_int_equal(s_hold(fixture, user, SHOW_OPEN, 30, T0, &seen), BO_OK);
    assert_int_equal(seen.hold.price, 80000);
    bo_reservation_status_t status;
    int64_t token_id = 0;
    assert_int_equal(store_token_gate(fixture->store, user, "payer-token", T0 + 1000, &token_id),
                     BO_OK);
    assert_int_equal(store_pay(fixture->store, user, token_id, seen.hold.reservation_id, T0 + 1000,
                               &status, &balance),
                     BO_OK);
    assert_int_equal(status, BO_RESERVATION_PAID);
    assert_int_equal(balance, 20000);
    assert_int_equal(s_seat_status(fixture, SHOW_OPEN, 30, T0 + 1000), BO_SEAT_SOLD);
    /* The token ended with the payment. */
    assert_int_equal(store_token_gate(fixture->store, user, "payer-token", T0 + 1000, &token_id),
                     BO_TOKEN_EXPIRED);
    /* Paying again charges nothing and says paid. */
    assert_int_equal(store_pay(fixture->store, user, token_id, seen.hold.reservation_id, T0 + 2000,
                               &status, &balance),
                     BO_OK);
    assert_int_equal(status, BO_RESERVATION_PAID);
    assert_int_equal(balance, 20000);
    /* Nothing expires a sold seat. */
    store_expire_report_t report;
    assert_int_equal(store_expire(fixture->store, T0 + DAY_MS, &fixture->policy, &report), BO_OK);
    assert_int_equal(report.holds_released, 0);
    assert_int_equal(s_seat_status(fixture, SHOW_OPEN, 30, T0 + DAY_MS), BO_SEAT_SOLD);
}

/* A payment may take the balance to exactly zero, and a payment the
   balance cannot cover changes nothing and names the balance. */
static void test_payment_of_the_whole_balance(void **state)
{
    fixture_t *fixture = *state;
    hold_seen_t first, second;
    int64_t user = fixture_user(fixture->store, "exact", 0), balance = -1;
    assert_int_equal(s_hold(fixture, user, SHOW_OPEN, 40, T0, &first), BO_OK);
    assert_int_equal(s_hold(fixture, user, SHOW_OPEN, 41, T0, &second), BO_OK);
    assert_int_equal(store_point_charge(fixture->store, user, first.hold.price, T0, &balance),
                     BO_OK);
    bo_reservation_status_t status;
    assert_int_equal(
        store_pay(fixture->store, user, 0, first.hold.reservation_id, T0, &status, &balance),
        BO_OK);
    assert_int_equal(balance, 0);
    assert_int_equal(store_point_charge(fixture->store, user, second.hold.price - 1, T0, &balance),
                     BO_OK);
    balance = -1;
    assert_int_equal(
        store_pay(fixture->store, user, 0, second.hold.reservation_id, T0, &status, &balance),
        BO_INSUFFICIENT_POINTS);
    assert_int_equal(balance, second.hold.price - 1);
    assert_int_equal(s_seat_status(fixture, SHOW_OPEN, 41, T0), BO_SEAT_HELD);
    /* Someone else's hold is refused before any balance is looked at. */
    assert_int_equal(
        store_pay(fixture->store, 99999, 0, second.hold.reservation_id, T0, &status, &balance),
        BO_FORBIDDEN);
}

static void test_payment_refusals(void **state)
{
    fixture_t *fixture = *state;
    hold_seen_t seen;
    int64_t balance = -1;
    bo_reservation_status_t status;
    assert_int_equal(s_hold(fixture, USER_BROKE, SHOW_OPEN, 1, T0, &seen), BO_OK);
    int64_t reservation = seen.hold.reservation_id;
    assert_int_equal(store_pay(fixture->store, USER_BROKE, 0, reservation, T0, &status, &balance),
                     BO_INSUFFICIENT_POINTS);
    assert_int_equal(balance, 0);
    /* The hold survives a short balance. */
    assert_int_equal(s_seat_status(fixture, SHOW_OPEN, 1, T0), BO_SEAT_HELD);
    assert_int_equal(store_pay(fixture->store, USER_RICH, 0, reservation, T0, &status, &balance),
                     BO_FORBIDDEN);
    assert_int_equal(store_pay(fixture->store, USER_BROKE, 0, 99999, T0, &status, &balance),
                     BO_NOT_FOUND);
    /* Once lapsed, paying cancels the hold there and then. */
    int64_t lapsed = seen.hold.hold_expires_at;
    assert_int_equal(
        store_pay(fixture->store, USER_BROKE, 0, reservation, lapsed, &status, &balance),
        BO_HOLD_EXPIRED);
    assert_int_equal(s_seat_status(fixture, SHOW_OPEN, 1, T0), BO_SEAT_FREE);
    assert_int_equal(s_left(fixture, 1, SHOW_OPEN, T0), 50);
    assert_int_equal(
        store_pay(fixture->store, USER_BROKE, 0, reservation, lapsed, &status, &balance),
        BO_HOLD_EXPIRED);
}

static void test_the_expire_job_releases_lapsed_holds(void **state)
{
    fixture_t *fixture = *state;
    hold_seen_t seen;
    assert_int_equal(s_hold(fixture, USER_RICH, SHOW_OPEN, 5, T0, &seen), BO_OK);
    assert_int_equal(s_hold(fixture, USER_RICH, SHOW_OPEN, 6, T0 + 5000, &seen), BO_OK);
    store_expire_report_t report;
    int64_t first_lapse = T0 + fixture->policy.hold_ttl_ms; /* T0 is a whole second */
    assert_int_equal(store_expire(fixture->store, first_lapse - 1, &fixture->policy, &report),
                     BO_OK);
    assert_int_equal(report.holds_released, 0);
    assert_int_equal(store_expire(fixture->store, first_lapse, &fixture->policy, &report), BO_OK);
    assert_int_equal(report.holds_released, 1);
    assert_int_equal(s_seat_status(fixture, SHOW_OPEN, 5, T0), BO_SEAT_FREE);
    assert_int_equal(s_seat_status(fixture, SHOW_OPEN, 6, T0), BO_SEAT_HELD);
    assert_int_equal(s_left(fixture, 1, SHOW_OPEN, T0), 49);
}

typedef struct {
    bo_reservation_t items[8];
    int count;
} reservations_t;

static void s_collect_reservation(void *arg, const bo_reservation_t *reservation)
{
    reservations_t *list = arg;
    list->items[list->count] = *reservation;
    list->items[list->count].title = NULL; /* borrowed: not kept */
    list->count++;
}

static void test_the_reservation_list(void **state)
{
    fixture_t *fixture = *state;
    hold_seen_t paid, open, lapsing;
    bo_reservation_status_t status;
    int64_t balance;
    assert_int_equal(s_hold(fixture, USER_RICH, SHOW_OPEN, 1, T0, &paid), BO_OK);
    assert_int_equal(
        store_pay(fixture->store, USER_RICH, 0, paid.hold.reservation_id, T0, &status, &balance),
        BO_OK);
    assert_int_equal(s_hold(fixture, USER_RICH, SHOW_OPEN, 2, T0, &lapsing), BO_OK);
    assert_int_equal(s_hold(fixture, USER_RICH, SHOW_OPEN, 3, T0 + 10000, &open), BO_OK);
    reservations_t list = {.count = 0};
    int64_t now = lapsing.hold.hold_expires_at;
    assert_int_equal(
        store_reservation_list(fixture->store, USER_RICH, now, 10, s_collect_reservation, &list),
        BO_OK);
    assert_int_equal(list.count, 3);
    assert_int_equal(list.items[0].reservation_id, open.hold.reservation_id);
    assert_int_equal(list.items[0].status, BO_RESERVATION_RESERVED);
    assert_int_equal(list.items[0].hold_expires_at, open.hold.hold_expires_at);
    assert_int_equal(list.items[1].status, BO_RESERVATION_CANCELLED);
    assert_int_equal(list.items[1].hold_expires_at, 0);
    assert_int_equal(list.items[2].status, BO_RESERVATION_PAID);
    assert_int_equal(list.items[2].hold_expires_at, 0);
    assert_int_equal(list.items[2].seat_number, 1);
}

static void test_finding_a_show_by_date(void **state)
{
    fixture_t *fixture = *state;
    int64_t day = (T0 / DAY_MS) * DAY_MS, schedule_id = 0;
    char date[16], message[256], show_time[BO_TIME_TEXT_MAX];
    /* Show 1 is on day 14 at 10:00 UTC. */
    bo_time_format(day + 14 * DAY_MS, show_time);
    snprintf(date, sizeof date, "%.10s", show_time);
    assert_int_equal(
        store_find_schedule(fixture->store, 1, date, &schedule_id, message, sizeof message), BO_OK);
    assert_int_equal(schedule_id, 1);
    bo_time_format(day + 15 * DAY_MS + 10 * 3600 * SECOND_MS, show_time);
    assert_int_equal(
        store_find_schedule(fixture->store, 1, show_time, &schedule_id, message, sizeof message),
        BO_OK);
    assert_int_equal(schedule_id, 2);
    assert_int_equal(
        store_find_schedule(fixture->store, 1, "2001-01-01", &schedule_id, message, sizeof message),
        BO_NOT_FOUND);
    assert_int_equal(
        store_find_schedule(fixture->store, 999, date, &schedule_id, message, sizeof message),
        BO_NOT_FOUND);
    assert_int_equal(store_find_schedule(fixture->store, 1, "next tuesday", &schedule_id, message,
                                         sizeof message),
                     BO_BAD_REQUEST);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_a_hold_takes_the_seat, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(test_a_held_seat_is_taken, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_a_lapsed_hold_can_be_taken_over, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(test_shows_that_cannot_be_reserved, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(test_at_most_four_open_holds, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(test_payment_in_full, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_payment_of_the_whole_balance, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(test_payment_refusals, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_the_expire_job_releases_lapsed_holds, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(test_the_reservation_list, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_finding_a_show_by_date, fixture_setup,
                                        fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
