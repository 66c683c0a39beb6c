/*  boxoffice: the terminal client.

    One loop waits on the ZeroMQ socket and the keyboard together
    (zmq_poll), hands what arrives to the state machine (app.c), sends the
    request it asks for, and redraws. Nothing blocks: a slow or absent
    server never freezes the keyboard, and typing never stalls the network.
*/
#define NCURSES_WIDECHAR 1
#include <curses.h>
#include <czmq.h>
#include <errno.h>
#include <getopt.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/random.h>
#include <sysexits.h>
#include <unistd.h>

#include "app.h"
#include "bo_time.h"
#include "chrome.h"
#include "config.h"
#include "draw.h"
#include "net.h"

/* A reply slower than this means the server is gone: reconnect, resend. */
#define REPLY_TIMEOUT_MS 2500

static volatile sig_atomic_t s_stop;
static bool s_curses_active;

static void s_on_signal(int signal_number)
{
    (void)signal_number;
    s_stop = 1;
}

static void s_restore_terminal(void)
{
    if (s_curses_active) {
        endwin();
        s_curses_active = false;
    }
}

static void s_usage(FILE *out, const char *program)
{
    fprintf(out,
            "usage: %s [-e ENDPOINT] [-u USER_ID]\n\n"
            "The boxoffice terminal client: wait in line, pick a concert, a date and a\n"
            "seat, charge points and pay.\n\n"
            "options:\n"
            "  -e, --endpoint ENDPOINT   boxofficed's endpoint (default tcp://127.0.0.1:5555)\n"
            "  -u, --user USER_ID        sign in as this user (remembered for next time)\n"
            "  -h, --help                show this help and exit\n"
            "  -V, --version             show the version and exit\n\n"
            "Press ? in the client for its keys. See boxoffice(1).\n",
            program);
}

typedef struct {
    const char *endpoint;
    int64_t user_id;
} client_options_t;

/* Returns -1 to run, or the exit status. */
static int s_parse(int argc, char **argv, client_options_t *options)
{
    static const struct option longs[] = {
        {"endpoint", required_argument, NULL, 'e'},
        {"user", required_argument, NULL, 'u'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    options->endpoint = "tcp://127.0.0.1:5555";
    options->user_id = 0;
    int code;
    while ((code = getopt_long(argc, argv, "e:u:hV", longs, NULL)) != -1) {
        char *end = NULL;
        switch (code) {
        case 'e':
            options->endpoint = optarg;
            break;
        case 'u':
            errno = 0;
            options->user_id = strtoll(optarg, &end, 10);
            if (errno || *end || options->user_id < 1 || options->user_id > BO_MAX_ID) {
                fprintf(stderr, "%s: --user must be a positive user id, not '%s'\n", argv[0],
                        optarg);
                return EX_USAGE;
            }
            break;
        case 'h':
            s_usage(stdout, argv[0]);
            return EXIT_SUCCESS;
        case 'V':
            printf("boxoffice %s\n", BO_VERSION);
            return EXIT_SUCCESS;
        default:
            fprintf(stderr, "usage: %s [-e ENDPOINT] [-u USER_ID]\n", argv[0]);
            return EX_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "%s: unexpected argument '%s'\nusage: %s [-e ENDPOINT] [-u USER_ID]\n",
                argv[0], argv[optind], argv[0]);
        return EX_USAGE;
    }
    return -1;
}

static void s_remember(int64_t user_id, void *arg)
{
    (void)arg;
    config_save_user(user_id);
}

/* request_ids must not repeat across runs of the client for the same user
   (the server keeps replies for ten minutes), hence a random part. */
static void s_client_id(char id[24])
{
    unsigned int random_part = 0;
    if (getrandom(&random_part, sizeof random_part, 0) != sizeof random_part)
        random_part = (unsigned int)bo_now_ms();
    snprintf(id, 24, "tui-%d-%08x", (int)getpid(), random_part);
}

static void s_start_curses(void)
{
    initscr();
    s_curses_active = true;
    cbreak();
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    nodelay(stdscr, TRUE);
    set_escdelay(25);
    curs_set(0);
    mousemask(BUTTON1_CLICKED | BUTTON1_PRESSED, NULL);
    mouseinterval(0);
    const char *no_color = getenv("NO_COLOR");
    draw_init(!(no_color && no_color[0]));
}

/* Reads every key waiting. Returns false if the terminal has gone away
   (readable, yet nothing to read). */
static bool s_read_keys(app_t *app, int64_t now)
{
    wint_t key;
    int kind, keys = 0;
    while ((kind = get_wch(&key)) != ERR) {
        keys++;
        if (kind == KEY_CODE_YES && key == KEY_RESIZE) {
            app_resize(app, LINES, COLS);
        } else if (kind == KEY_CODE_YES && key == KEY_MOUSE) {
            MEVENT event;
            if (getmouse(&event) == OK && (event.bstate & (BUTTON1_CLICKED | BUTTON1_PRESSED)))
                app_mouse(app, event.y, event.x, now);
        } else if (kind == KEY_CODE_YES) {
            app_key(app, APP_KEY((int)key), now);
        } else {
            app_key(app, key == '\r' ? APP_ENTER : (int)key, now);
        }
    }
    return keys > 0 || errno == EINTR;
}

/* With nothing to ask, the client still pings now and then, so the status
   bar tells the truth about the server even on a quiet screen. */
#define HEARTBEAT_MS 2000
static const char s_heartbeat[] = "{\"op\":\"server.ping\",\"request_id\":\"heartbeat\"}";

static void s_run(app_t *app, net_t *net)
{
    int idle_wakeups = 0;
    int64_t last_answer = 0;
    bool pinging = false;
    while (!app->quit && !s_stop) {
        int64_t now = bo_now_ms();
        const char *outgoing = net_busy(net) ? NULL : app_outgoing(app);
        if (outgoing) {
            net_send(net, outgoing, now);
        } else if (!net_busy(net) && now - last_answer >= HEARTBEAT_MS) {
            net_send(net, s_heartbeat, now);
            pinging = true;
        }
        chrome_draw(app);
        refresh();

        int64_t wake = app_next_tick(app);
        if (net_deadline(net) < wake)
            wake = net_deadline(net);
        if (!net_busy(net) && last_answer + HEARTBEAT_MS < wake)
            wake = last_answer + HEARTBEAT_MS;
        long timeout = wake <= now ? 0 : (long)(wake - now);
        zmq_pollitem_t items[] = {{net_socket(net), 0, ZMQ_POLLIN, 0},
                                  {NULL, STDIN_FILENO, ZMQ_POLLIN, 0}};
        errno = 0;
        int ready = zmq_poll(items, 2, timeout);
        bool interrupted = ready < 0 && errno == EINTR;
        now = bo_now_ms();
        if (ready > 0 && (items[0].revents & ZMQ_POLLIN)) {
            size_t size = 0;
            char *reply = net_receive(net, &size);
            if (reply) {
                last_answer = now;
                if (pinging)
                    app_set_connected(app, true);
                else
                    app_reply(app, reply, size, now);
                pinging = false;
            }
            free(reply);
        }
        /* A resize arrives as SIGWINCH, which interrupts the poll; ncurses
           reports it as KEY_RESIZE on the next read. */
        if (interrupted || (ready > 0 && (items[1].revents & (ZMQ_POLLIN | ZMQ_POLLERR)))) {
            /* A hung-up terminal polls readable forever with nothing to read. */
            idle_wakeups = s_read_keys(app, now) || interrupted ? 0 : idle_wakeups + 1;
            if (idle_wakeups > 100)
                break;
        }
        if (!net_check(net, now))
            app_set_connected(app, false);
        app_tick(app, now);
    }
}

int main(int argc, char **argv)
{
    client_options_t options;
    int status = s_parse(argc, argv, &options);
    if (status >= 0)
        return status;
    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
        fprintf(stderr, "%s: needs a terminal; for scripts, see boxoffice-protocol(7)\n", argv[0]);
        return EX_USAGE;
    }
    /* Wide characters need a UTF-8 character type; time stays in the C
       locale so the columns of dates line up. */
    setlocale(LC_CTYPE, "");
    if (MB_CUR_MAX == 1)
        setlocale(LC_CTYPE, "C.UTF-8");

    /* The client handles its own signals: restore the terminal, then go. */
    zsys_handler_set(NULL);
    struct sigaction action = {.sa_handler = s_on_signal};
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, NULL);
    sigaction(SIGTERM, &action, NULL);
    sigaction(SIGHUP, &action, NULL);
    atexit(s_restore_terminal);

    net_t *net = net_new(options.endpoint, REPLY_TIMEOUT_MS);
    if (!net) {
        fprintf(stderr, "%s: cannot use endpoint %s\n", argv[0], options.endpoint);
        return EX_USAGE;
    }
    char client_id[24];
    s_client_id(client_id);
    int64_t user_id = options.user_id ? options.user_id : config_load_user();
    app_t *app = app_new(user_id, client_id, bo_now_ms());
    if (!app) {
        net_destroy(&net);
        return EX_OSERR;
    }
    if (options.user_id)
        config_save_user(options.user_id);
    app->remember_user = s_remember;
    snprintf(app->endpoint, sizeof app->endpoint, "%s", options.endpoint);

    s_start_curses();
    app_resize(app, LINES, COLS);
    s_run(app, net);
    s_restore_terminal();

    app_destroy(&app);
    net_destroy(&net);
    zsys_shutdown();
    return EXIT_SUCCESS;
}
