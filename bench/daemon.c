/*  daemon: the boxofficed under test, started and stopped by the bench. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zmq.h>

#include "bench.h"

/* Waits until the daemon answers a ping, as any client would see it. */
static bool s_ready(const char *endpoint)
{
    void *context = zmq_ctx_new();
    bool ready = false;
    for (int attempt = 0; attempt < 100 && !ready; attempt++) {
        void *socket = zmq_socket(context, ZMQ_REQ);
        int timeout = 200, linger = 0;
        zmq_setsockopt(socket, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
        zmq_setsockopt(socket, ZMQ_LINGER, &linger, sizeof linger);
        zmq_connect(socket, endpoint);
        const char ping[] = "{\"op\":\"server.ping\"}";
        char reply[256];
        zmq_send(socket, ping, sizeof ping - 1, 0);
        ready = zmq_recv(socket, reply, sizeof reply, 0) > 0;
        zmq_close(socket);
    }
    zmq_ctx_term(context);
    return ready;
}

void daemon_follow_parent(pid_t parent)
{
    if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() != parent)
        _exit(127);
}

bool daemon_start(daemon_t *self, const char *binary, const char *directory, const char *name,
                  const char *const *extra_args)
{
    snprintf(self->endpoint, sizeof self->endpoint, "ipc://%s/%s.sock", directory, name);
    snprintf(self->database, sizeof self->database, "%s/%s.db", directory, name);
    char log_path[600];
    snprintf(log_path, sizeof log_path, "%s/%s.log", directory, name);
    const char *argv[32] = {binary,         "--foreground", "--endpoint",
                            self->endpoint, "--database",   self->database};
    int argc = 6;
    for (int i = 0; extra_args && extra_args[i] && argc < 31; i++)
        argv[argc++] = extra_args[i];
    argv[argc] = NULL;
    pid_t parent = getpid();
    pid_t child = fork();
    if (child == 0) {
        daemon_follow_parent(parent);
        FILE *log = freopen(log_path, "a", stderr);
        (void)log;
        execv(binary, (char *const *)argv);
        _exit(127);
    }
    self->pid = child;
    if (child < 0 || !s_ready(self->endpoint)) {
        fprintf(stderr, "bench: %s did not start; see %s\n", binary, log_path);
        daemon_stop(self);
        return false;
    }
    return true;
}

void daemon_stop(daemon_t *self)
{
    if (self->pid <= 0)
        return;
    kill(self->pid, SIGTERM);
    int status;
    waitpid(self->pid, &status, 0);
    self->pid = 0;
}

/* A "Key: N kB" line of /proc/<pid>/status, or -1. */
static long s_status_kib(const daemon_t *self, const char *key)
{
    char path[64], line[256], format[64];
    snprintf(path, sizeof path, "/proc/%d/status", self->pid);
    snprintf(format, sizeof format, "%s: %%ld kB", key);
    FILE *file = fopen(path, "r");
    long kib = -1;
    while (file && fgets(line, sizeof line, file))
        if (sscanf(line, format, &kib) == 1)
            break;
    if (file)
        fclose(file);
    return kib;
}

long daemon_rss_kib(const daemon_t *self)
{
    return s_status_kib(self, "VmRSS");
}

long daemon_private_kib(const daemon_t *self)
{
    return s_status_kib(self, "RssAnon");
}

double daemon_cpu_ms(const daemon_t *self)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/stat", self->pid);
    FILE *file = fopen(path, "r");
    if (!file)
        return -1;
    /* Fields 14 and 15, user and system time in clock ticks, come after
       the command name, which is in parentheses and may hold spaces. */
    char text[1024];
    size_t length = fread(text, 1, sizeof text - 1, file);
    fclose(file);
    text[length] = '\0';
    const char *after = strrchr(text, ')');
    unsigned long user = 0, system = 0;
    if (!after || sscanf(after + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &user,
                         &system) != 2)
        return -1;
    return (double)(user + system) * 1000.0 / (double)sysconf(_SC_CLK_TCK);
}
