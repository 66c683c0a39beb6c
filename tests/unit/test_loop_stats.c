/*  test_loop_stats: the request loop's line, its sums and its reset. */
#include "fixture.h"

#include "loop_stats.h"

static void test_the_line_gives_per_request_figures_and_starts_over(void **state)
{
    (void)state;
    loop_stats_t stats = {0};
    /* 30 requests: 3 batches, 300 us receiving, 1500 us running of which
       900 in commits, 150 us sending, 90 KiB written to the log, over 10 ms
       of wall time. */
    loop_stats_add(&stats, 10, 100, 500, 300, 50, 20 * 1024);
    loop_stats_add(&stats, 15, 100, 500, 300, 50, 40 * 1024);
    loop_stats_add(&stats, 5, 100, 500, 300, 50, 30 * 1024);
    /* And 1 ms in the schedulers' jobs. */
    loop_stats_add_job(&stats, 400);
    loop_stats_add_job(&stats, 600);
    char line[400];
    loop_stats_format(&stats, 10000, line, sizeof line);
    assert_string_equal(line, "stats: 30 requests in 0.0 s (3000/s), 3 batches (10.0 a batch); "
                              "per request: receive 10.0 us, run 20.0 us, commit 30.0 us, "
                              "send 5.0 us, log 3.0 KiB; store busy 25% (jobs 10%), "
                              "socket busy 4%");
    /* The totals started over: the next interval is quiet. */
    assert_int_equal(stats.requests, 0);
    assert_int_equal(stats.batches, 0);
    assert_int_equal(stats.jobs_us, 0);
    assert_int_equal(stats.log_bytes, 0);
    loop_stats_format(&stats, 2000000, line, sizeof line);
    assert_string_equal(line, "stats: no requests in 2.0 s; jobs 0%");
    loop_stats_add_job(&stats, 20000);
    loop_stats_format(&stats, 1000000, line, sizeof line);
    assert_string_equal(line, "stats: no requests in 1.0 s; jobs 2%");
}

static void test_the_two_threads_parts_add_up_in_one_line(void **state)
{
    (void)state;
    /* The socket's thread receives and sends, and the runner's runs, each
       in its own totals, merged when the line is due. */
    loop_stats_t socket = {0}, runner = {0};
    loop_stats_add_io(&socket, 600, 0);
    loop_stats_add_io(&socket, 0, 200);
    loop_stats_add(&runner, 20, 0, 3000, 1000, 0, 40 * 1024);
    loop_stats_add(&runner, 20, 0, 3000, 1000, 0, 40 * 1024);
    loop_stats_add_job(&runner, 2000);
    loop_stats_merge(&socket, &runner);
    assert_int_equal(socket.batches, 2);
    char line[400];
    loop_stats_format(&socket, 20000, line, sizeof line);
    assert_string_equal(line, "stats: 40 requests in 0.0 s (2000/s), 2 batches (20.0 a batch); "
                              "per request: receive 15.0 us, run 100.0 us, commit 50.0 us, "
                              "send 5.0 us, log 2.0 KiB; store busy 40% (jobs 10%), "
                              "socket busy 4%");
}

static void test_a_short_buffer_gets_a_cut_line(void **state)
{
    (void)state;
    loop_stats_t stats = {0};
    loop_stats_add(&stats, 1, 1, 1, 0, 1, 0);
    char line[16];
    loop_stats_format(&stats, 1000000, line, sizeof line);
    assert_string_equal(line, "stats: 1 reques");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_line_gives_per_request_figures_and_starts_over),
        cmocka_unit_test(test_the_two_threads_parts_add_up_in_one_line),
        cmocka_unit_test(test_a_short_buffer_gets_a_cut_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
