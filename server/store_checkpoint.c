/*  store_checkpoint: copies the write-ahead log back into the database file
    on a thread of its own.

    SQLite's default is for the connection that commits to run the
    checkpoint itself once the log holds 1000 pages: write each page to the
    database file, sync the log, sync the database. That is a few
    milliseconds every thirty or so batches, all of them spent in the
    request loop, which waits for nothing else (half the time of a commit
    under load). Here the store turns that off and, when a commit leaves
    the log past the same size, wakes this thread, which runs a PASSIVE
    checkpoint on its own connection: it copies what no reader still needs
    and never waits for a lock, so the request loop goes on committing while
    it works.

    The log starts over from the top only once a checkpoint has copied all
    of it, and the loop commits more while this thread copies: left alone,
    the thread would never catch up and the log would grow for as long as
    the load lasts. So when it is done, the next commit finishes the job
    inline, copying only the few batches committed meanwhile; the commit
    after that starts the log over, as with the default.

    The connection is opened with the same VFS and synchronous setting as
    the store's, so a checkpoint syncs the log before it writes the database
    and the database before the log may be reused, exactly as SQLite does
    it inline.
*/
#include "store_sqlite.h"

#include <pthread.h>
#include <stdlib.h>

#include "log.h"

struct store_checkpointer_t {
    sqlite3 *db; /* used by the thread only, once it runs */
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    /* Under lock: asked and not yet started; copying; done since asked. */
    bool wanted, running, finished, stopping;
};

static void *s_run(void *arg)
{
    store_checkpointer_t *self = arg;
    pthread_mutex_lock(&self->lock);
    for (;;) {
        while (!self->wanted && !self->stopping)
            pthread_cond_wait(&self->wake, &self->lock);
        if (self->stopping)
            break;
        self->wanted = false;
        self->running = true;
        pthread_mutex_unlock(&self->lock);
        int rc = sqlite3_wal_checkpoint_v2(self->db, "main", SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
        /* BUSY only means another checkpoint was running; the next commit
           past the threshold asks again. */
        if (rc != SQLITE_OK && rc != SQLITE_BUSY)
            log_warning("store: checkpoint failed: %s", sqlite3_errmsg(self->db));
        pthread_mutex_lock(&self->lock);
        self->running = false;
        self->finished = true;
    }
    pthread_mutex_unlock(&self->lock);
    return NULL;
}

store_checkpointer_t *store_checkpointer_new(const char *path, const char *vfs, bool durable)
{
    store_checkpointer_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(path, &self->db, flags, vfs) != SQLITE_OK ||
        sqlite3_exec(self->db,
                     durable ? "PRAGMA synchronous = FULL; PRAGMA wal_autocheckpoint = 0"
                             : "PRAGMA synchronous = NORMAL; PRAGMA wal_autocheckpoint = 0",
                     NULL, NULL, NULL) != SQLITE_OK) {
        log_warning("store: no checkpoint thread (%s); commits checkpoint as they go",
                    self->db ? sqlite3_errmsg(self->db) : "out of memory");
        sqlite3_close(self->db);
        free(self);
        return NULL;
    }
    pthread_mutex_init(&self->lock, NULL);
    pthread_cond_init(&self->wake, NULL);
    if (pthread_create(&self->thread, NULL, s_run, self) != 0) {
        log_warning("store: no checkpoint thread; commits checkpoint as they go");
        pthread_cond_destroy(&self->wake);
        pthread_mutex_destroy(&self->lock);
        sqlite3_close(self->db);
        free(self);
        return NULL;
    }
    return self;
}

bool store_checkpointer_after_commit(store_checkpointer_t *self)
{
    bool finish = false;
    pthread_mutex_lock(&self->lock);
    if (self->finished) {
        self->finished = false;
        finish = true;
    } else if (!self->wanted && !self->running) {
        self->wanted = true;
        pthread_cond_signal(&self->wake);
    }
    pthread_mutex_unlock(&self->lock);
    return finish;
}

void store_checkpointer_destroy(store_checkpointer_t **self_p)
{
    store_checkpointer_t *self = *self_p;
    if (!self)
        return;
    pthread_mutex_lock(&self->lock);
    self->stopping = true;
    pthread_cond_signal(&self->wake);
    pthread_mutex_unlock(&self->lock);
    pthread_join(self->thread, NULL);
    pthread_cond_destroy(&self->wake);
    pthread_mutex_destroy(&self->lock);
    sqlite3_close(self->db);
    free(self);
    *self_p = NULL;
}
