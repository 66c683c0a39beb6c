/*  boxofficed: start-up and shutdown.

    Reads the options, detaches unless --foreground, opens the store, loads
    demo data if asked, binds the socket and serves until SIGINT/SIGTERM.
    A detached daemon tells the process that started it whether start-up
    worked, so `boxofficed` on a terminal still prints the reason and exits
    non-zero when, say, the port is taken.
*/
#include <czmq.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sysexits.h>
#include <unistd.h>

#include "bo_time.h"
#include "log.h"
#include "options.h"
#include "scheduler.h"
#include "server.h"
#include "store.h"

/* Write end of the pipe to the waiting parent; -1 in the foreground. */
static int s_ready_fd = -1;

/* Reports the outcome of start-up to the parent (exit code 0 = ready) and
   detaches from the terminal. */
static void s_report_startup(int exit_code, const char *message)
{
    if (s_ready_fd < 0)
        return;
    char line[1024];
    int length = snprintf(line, sizeof line, "%c%s", (char)exit_code, message ? message : "");
    if (length > (int)sizeof line - 1)
        length = (int)sizeof line - 1;
    if (write(s_ready_fd, line, (size_t)length) < 0)
        log_warning("cannot report start-up to the parent process");
    close(s_ready_fd);
    s_ready_fd = -1;
    int null_fd = open("/dev/null", O_RDWR);
    if (null_fd >= 0) {
        dup2(null_fd, STDIN_FILENO);
        dup2(null_fd, STDOUT_FILENO);
        dup2(null_fd, STDERR_FILENO);
        if (null_fd > STDERR_FILENO)
            close(null_fd);
    }
}

static int s_startup_failed(int exit_code, const char *message)
{
    log_error("%s", message);
    /* Asked to stop while starting: stopping is what happened, as asked. */
    if (zsys_interrupted)
        exit_code = EXIT_SUCCESS;
    if (s_ready_fd >= 0) {
        s_report_startup(exit_code, message);
    }
    return exit_code;
}

/* Forks. The parent waits for the child's start-up report and exits with
   it; the child returns and carries on as the daemon. Done before any
   ZeroMQ context or database connection exists, as neither survives fork. */
static void s_detach(const char *program)
{
    int pipe_fds[2];
    if (pipe(pipe_fds) != 0) {
        perror(program);
        exit(EX_OSERR);
    }
    pid_t child = fork();
    if (child < 0) {
        perror(program);
        exit(EX_OSERR);
    }
    if (child > 0) {
        close(pipe_fds[1]);
        char line[1024];
        ssize_t length = read(pipe_fds[0], line, sizeof line - 1);
        if (length <= 0) {
            fprintf(stderr, "%s: the daemon exited during start-up\n", program);
            exit(EX_SOFTWARE);
        }
        line[length] = '\0';
        if (line[0] != 0)
            fprintf(stderr, "%s: %s\n", program, line + 1);
        exit((unsigned char)line[0]);
    }
    close(pipe_fds[0]);
    s_ready_fd = pipe_fds[1];
    setsid();
}

static void s_policy_from(const options_t *options, store_policy_t *policy)
{
    *policy = (store_policy_t){
        .admit_batch = options->admit_batch,
        .admit_interval_ms = options->admit_interval_ms,
        .max_active = options->max_active,
        .token_ttl_ms = options->token_ttl_s * 1000,
        .abandon_after_ms = options->abandon_after_s * 1000,
        .hold_ttl_ms = options->hold_ttl_s * 1000,
    };
}

static bo_status_t s_seed(store_t *store)
{
    bool loaded = false;
    bo_status_t status = store_begin(store);
    if (status == BO_OK)
        status = store_seed_demo(store, bo_now_ms(), &loaded);
    if (status == BO_OK)
        status = store_commit(store);
    else
        store_rollback(store);
    if (status == BO_OK)
        log_info(loaded ? "demo data loaded"
                        : "demo data present: the database already has "
                          "concerts, so nothing was changed");
    return status;
}

/* Every connected client is a file descriptor: a ticket rush means
   thousands. The soft limit (often 1024) is raised to what the system
   allows this process. */
static void s_raise_file_limit(void)
{
    struct rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= limit.rlim_max)
        return;
    limit.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &limit) != 0)
        log_warning("cannot raise the open-file limit; fewer clients can connect");
}

/* Each batch allocates and frees a few hundred kilobytes (requests, reply
   texts, SQLite's page copies). glibc's defaults hand the top of the heap
   back to the kernel after such a batch and fault it in again for the
   next: on a virtual machine each round trip costs a TLB shootdown across
   every CPU, a tenth of the daemon's time under load. Keeping freed memory
   for reuse trades a steady resident size for that. */
static void s_tune_malloc(void)
{
    mallopt(M_TRIM_THRESHOLD, 256 * 1024 * 1024);
    mallopt(M_TOP_PAD, 16 * 1024 * 1024);
    mallopt(M_MMAP_THRESHOLD, 4 * 1024 * 1024);
}

static int s_serve(const options_t *options)
{
    /* czmq's SIGINT/SIGTERM handler, installed now rather than with the
       first socket, so a stop asked for while the database opens or the
       demo data loads ends the daemon cleanly (exit 0) once that is done. */
    zsys_init();
    s_tune_malloc();
    s_raise_file_limit();
    store_options_t store_options = {.durable = true, .busy_timeout_ms = 5000};
    store_policy_t policy;
    s_policy_from(options, &policy);
    char error[1024], message[1200];
    store_t *store = store_new(options->database, &store_options, error, sizeof error);
    if (!store) {
        snprintf(message, sizeof message, "cannot open database %s: %s", options->database, error);
        return s_startup_failed(EX_CANTCREAT, message);
    }
    if (options->seed_demo && s_seed(store) != BO_OK) {
        store_destroy(&store);
        return s_startup_failed(EX_SOFTWARE, "cannot load the demo data");
    }
    if (zsys_interrupted) {
        store_destroy(&store);
        log_info("stopped during start-up");
        s_report_startup(0, NULL);
        return EXIT_SUCCESS;
    }
    server_t *server = server_new(options->endpoint, store, &policy, error, sizeof error);
    if (!server) {
        store_destroy(&store);
        return s_startup_failed(EX_UNAVAILABLE, error);
    }
    if (options->stats_interval_s > 0)
        server_log_stats(server, options->stats_interval_s * 1000);
    log_info("boxofficed %s serving %s with database %s", BO_VERSION, options->endpoint,
             options->database);
    s_report_startup(0, NULL);
    int result = server_run(server);
    log_info("stopping: closing the socket and the database");
    server_destroy(&server);
    store_destroy(&store);
    log_info("stopped");
    return result == 0 ? EXIT_SUCCESS : EX_SOFTWARE;
}

int main(int argc, char **argv)
{
    options_t options;
    int exit_code;
    switch (options_parse(&options, argc, argv, &exit_code)) {
    case OPTIONS_EXIT:
        return EXIT_SUCCESS;
    case OPTIONS_ERROR:
        return exit_code;
    case OPTIONS_RUN:
        break;
    }
    if (!options.foreground)
        s_detach(argv[0]);
    log_open("boxofficed", !options.foreground, options.verbose);
    int result = s_serve(&options);
    zsys_shutdown();
    log_close();
    return result;
}
