/*  boxoffice-call: one protocol request per argument or input line, for
    shell scripts.

    Sends each request to boxofficed over a REQ socket and prints each reply
    on its own line, or with -f only one field of it, raw, so a script can
    write  token=$(boxoffice-call -f token '{"op":"queue.enter","user_id":1}').
    The exit status says whether every reply was ok.
*/
#include <czmq.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "protocol.h"

#define DEFAULT_ENDPOINT   "tcp://127.0.0.1:5555"
#define DEFAULT_TIMEOUT_MS 5000

typedef struct {
    const char *endpoint;
    int timeout_ms;
    const char *field;
} call_options_t;

static void s_usage(FILE *out, const char *program)
{
    fprintf(out,
            "usage: %s [-e ENDPOINT] [-t TIMEOUT_MS] [-f FIELD] [JSON]\n\n"
            "Sends boxoffice protocol requests (JSON objects) to boxofficed: the JSON\n"
            "argument, or else each line of standard input. Prints each reply on a line.\n\n"
            "options:\n"
            "  -e, --endpoint ENDPOINT   boxofficed's endpoint (default %s)\n"
            "  -t, --timeout MS          wait at most MS for each reply (default %d)\n"
            "  -f, --field NAME          print only this field of each reply, raw\n"
            "  -h, --help                show this help and exit\n"
            "  -V, --version             show the version and exit\n\n"
            "Exit status: 0 every reply ok, 1 a reply was not ok, 69 no reply in time,\n"
            "64 bad usage. See boxoffice-call(1) and boxoffice-protocol(7).\n",
            program, DEFAULT_ENDPOINT, DEFAULT_TIMEOUT_MS);
}

/* Prints a reply, or its field: strings raw, null as an empty line, other
   values as compact JSON. Returns false if the reply says ok is not true. */
static bool s_print(const char *program, const char *reply, size_t size, const char *field)
{
    json_t *object = json_loadb(reply, size, 0, NULL);
    bool ok = json_is_true(json_object_get(object, "ok"));
    if (!field) {
        fwrite(reply, 1, size, stdout);
        putchar('\n');
    } else if (!ok) {
        const char *code = json_string_value(json_object_get(object, "error"));
        const char *message = json_string_value(json_object_get(object, "message"));
        fprintf(stderr, "%s: %s: %s\n", program, code ? code : "no error code",
                message ? message : "(no message)");
    } else {
        json_t *value = json_object_get(object, field);
        if (json_is_string(value)) {
            puts(json_string_value(value));
        } else if (!value || json_is_null(value)) {
            putchar('\n');
        } else {
            char *text = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
            puts(text ? text : "");
            free(text);
        }
    }
    json_decref(object);
    fflush(stdout);
    return ok;
}

/* Sends one request and prints its reply; returns 0, 1 or EX_UNAVAILABLE. */
static int s_call(zsock_t *socket, const char *program, const char *request,
                  const call_options_t *options)
{
    if (zstr_send(socket, request) != 0) {
        fprintf(stderr, "%s: cannot send to %s\n", program, options->endpoint);
        return EX_UNAVAILABLE;
    }
    zframe_t *reply = zframe_recv(socket);
    if (!reply) {
        fprintf(stderr, "%s: no reply from %s within %d ms\n", program, options->endpoint,
                options->timeout_ms);
        return EX_UNAVAILABLE;
    }
    bool ok =
        s_print(program, (const char *)zframe_data(reply), zframe_size(reply), options->field);
    zframe_destroy(&reply);
    return ok ? 0 : 1;
}

static int s_parse(int argc, char **argv, call_options_t *options)
{
    static const struct option longs[] = {
        {"endpoint", required_argument, NULL, 'e'}, {"timeout", required_argument, NULL, 't'},
        {"field", required_argument, NULL, 'f'},    {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},        {NULL, 0, NULL, 0},
    };
    *options = (call_options_t){DEFAULT_ENDPOINT, DEFAULT_TIMEOUT_MS, NULL};
    int code;
    while ((code = getopt_long(argc, argv, "e:t:f:hV", longs, NULL)) != -1) {
        char *end = NULL;
        long value;
        switch (code) {
        case 'e':
            options->endpoint = optarg;
            break;
        case 't':
            value = strtol(optarg, &end, 10);
            if (*end || value < 1 || value > 3600000) {
                fprintf(stderr, "%s: --timeout must be 1 to 3600000 ms, not '%s'\n", argv[0],
                        optarg);
                return EX_USAGE;
            }
            options->timeout_ms = (int)value;
            break;
        case 'f':
            options->field = optarg;
            break;
        case 'h':
            s_usage(stdout, argv[0]);
            return EXIT_SUCCESS;
        case 'V':
            printf("boxoffice-call %s\n", BO_VERSION);
            return EXIT_SUCCESS;
        default:
            fprintf(stderr, "usage: %s [-e ENDPOINT] [-t TIMEOUT_MS] [-f FIELD] [JSON]\n", argv[0]);
            return EX_USAGE;
        }
    }
    if (argc - optind > 1) {
        fprintf(stderr, "%s: give one request, or none to read them from standard input\n",
                argv[0]);
        return EX_USAGE;
    }
    return -1;
}

int main(int argc, char **argv)
{
    call_options_t options;
    int status = s_parse(argc, argv, &options);
    if (status >= 0)
        return status;
    zsys_handler_set(NULL); /* Ctrl-C ends the tool at once */
    zsock_t *socket = zsock_new(ZMQ_REQ);
    if (!socket || zsock_connect(socket, "%s", options.endpoint) != 0) {
        fprintf(stderr, "%s: cannot use endpoint %s\n", argv[0], options.endpoint);
        zsock_destroy(&socket);
        return EX_USAGE;
    }
    zsock_set_linger(socket, 0);
    zsock_set_rcvtimeo(socket, options.timeout_ms);
    if (optind < argc) {
        status = s_call(socket, argv[0], argv[optind], &options);
    } else {
        /* Each line is sent whole, however long: one longer than the
           protocol allows still goes out as one request, so the server
           answers it TOO_LARGE (or, past 1 MiB, drops the connection and
           the tool reports no reply). */
        status = 0;
        char *line = NULL;
        size_t capacity = 0;
        ssize_t length;
        for (errno = 0; (length = getline(&line, &capacity, stdin)) != -1; errno = 0) {
            if (length > 0 && line[length - 1] == '\n')
                line[--length] = '\0';
            if (line[strspn(line, " \t\r")] == '\0')
                continue;
            int result = s_call(socket, argv[0], line, &options);
            if (result == EX_UNAVAILABLE) {
                status = result;
                break;
            }
            if (result != 0)
                status = result;
        }
        /* getline returns -1 at the end of input and on failure alike. */
        if (status != EX_UNAVAILABLE && (ferror(stdin) || errno == ENOMEM)) {
            fprintf(stderr, "%s: cannot read standard input: %s\n", argv[0], strerror(errno));
            status = EX_IOERR;
        }
        free(line);
    }
    zsock_destroy(&socket);
    zsys_shutdown();
    return status;
}
