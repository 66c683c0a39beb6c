/*  store_vfs: a SQLite VFS that gathers the writes to the write-ahead log.

    At a commit SQLite writes each page of the transaction to the log as two
    writes (a 24-byte frame header, then the page) and then syncs the log. A
    batch of requests changes a hundred pages or so: two hundred system
    calls, which on a virtual machine cost more than the copying they do.
    This VFS wraps the default one and, for log files only, keeps writes
    that follow one another in a buffer, which goes to the file in a single
    write at the sync, or before anything else touches the file (a read, a
    truncate, its size, a lock, closing it). Every other file, and every
    other call, goes straight to the default VFS.

    This is only right with synchronous=FULL, which is why the store asks
    for it only then: a commit's frames are always followed by a sync of the
    log before SQLite makes them visible to other connections through the
    shared index. With NORMAL there is no sync, and another process could
    look for frames still in the buffer.
*/
#include "store_sqlite.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* The most kept at once, so the buffer never holds more memory than this;
   a longer run of writes goes out a megabyte at a time. */
#define GATHER_MAX (1 << 20)
/* The default VFS writes at most 128 KiB - 1 bytes a call (and calls a
   shorter write a full disk), so the buffer goes out in pieces this big. */
#define WRITE_PIECE (124 * 1024)

typedef struct {
    sqlite3_file base;  /* pMethods: s_methods */
    sqlite3_file *real; /* the default VFS's file, right after this struct */
    bool gather;        /* a log file */
    unsigned char *buffer;
    size_t used, capacity;
    sqlite3_int64 offset; /* of buffer[0] in the file */
    int64_t written;      /* bytes written to the log through this file */
} gather_file_t;

static sqlite3_vfs *s_root(sqlite3_vfs *vfs)
{
    return vfs->pAppData;
}

static int s_flush(gather_file_t *file)
{
    int rc = SQLITE_OK;
    for (size_t done = 0; done < file->used && rc == SQLITE_OK; done += WRITE_PIECE) {
        size_t piece = file->used - done < WRITE_PIECE ? file->used - done : WRITE_PIECE;
        rc = file->real->pMethods->xWrite(file->real, file->buffer + done, (int)piece,
                                          file->offset + (sqlite3_int64)done);
    }
    file->used = 0;
    return rc;
}

/* Keeps `amount` bytes that continue the buffer; false if they cannot be. */
static bool s_gather(gather_file_t *file, const void *data, size_t amount, sqlite3_int64 offset)
{
    if (file->used > 0 && offset != file->offset + (sqlite3_int64)file->used)
        return false;
    size_t needed = file->used + amount;
    if (needed > GATHER_MAX)
        return false;
    if (needed > file->capacity) {
        size_t capacity = file->capacity ? file->capacity : 64 * 1024;
        while (capacity < needed)
            capacity *= 2;
        unsigned char *buffer = realloc(file->buffer, capacity);
        if (!buffer)
            return false;
        file->buffer = buffer;
        file->capacity = capacity;
    }
    if (file->used == 0)
        file->offset = offset;
    memcpy(file->buffer + file->used, data, amount);
    file->used = needed;
    return true;
}

static int s_write(sqlite3_file *self, const void *data, int amount, sqlite3_int64 offset)
{
    gather_file_t *file = (gather_file_t *)self;
    if (file->gather)
        file->written += amount;
    if (file->gather && s_gather(file, data, (size_t)amount, offset))
        return SQLITE_OK;
    int rc = s_flush(file);
    if (rc != SQLITE_OK)
        return rc;
    if (file->gather && s_gather(file, data, (size_t)amount, offset))
        return SQLITE_OK;
    /* Not kept (too big, or no memory for it): written now, as it came. */
    return file->real->pMethods->xWrite(file->real, data, amount, offset);
}

static int s_close(sqlite3_file *self)
{
    gather_file_t *file = (gather_file_t *)self;
    int flushed = s_flush(file);
    int rc = file->real->pMethods->xClose(file->real);
    free(file->buffer);
    file->buffer = NULL;
    return flushed != SQLITE_OK ? flushed : rc;
}

/* The rest flush first, then pass the call on. */
#define FLUSHED(file)                                                                              \
    do {                                                                                           \
        int flushed_ = s_flush(file);                                                              \
        if (flushed_ != SQLITE_OK)                                                                 \
            return flushed_;                                                                       \
    } while (0)

static int s_read(sqlite3_file *self, void *data, int amount, sqlite3_int64 offset)
{
    gather_file_t *file = (gather_file_t *)self;
    FLUSHED(file);
    return file->real->pMethods->xRead(file->real, data, amount, offset);
}

static int s_truncate(sqlite3_file *self, sqlite3_int64 size)
{
    gather_file_t *file = (gather_file_t *)self;
    FLUSHED(file);
    return file->real->pMethods->xTruncate(file->real, size);
}

static int s_sync(sqlite3_file *self, int flags)
{
    gather_file_t *file = (gather_file_t *)self;
    FLUSHED(file);
    return file->real->pMethods->xSync(file->real, flags);
}

static int s_file_size(sqlite3_file *self, sqlite3_int64 *size)
{
    gather_file_t *file = (gather_file_t *)self;
    FLUSHED(file);
    return file->real->pMethods->xFileSize(file->real, size);
}

static int s_lock(sqlite3_file *self, int level)
{
    gather_file_t *file = (gather_file_t *)self;
    FLUSHED(file);
    return file->real->pMethods->xLock(file->real, level);
}

static int s_unlock(sqlite3_file *self, int level)
{
    gather_file_t *file = (gather_file_t *)self;
    FLUSHED(file);
    return file->real->pMethods->xUnlock(file->real, level);
}

static int s_check_reserved_lock(sqlite3_file *self, int *reserved)
{
    gather_file_t *file = (gather_file_t *)self;
    return file->real->pMethods->xCheckReservedLock(file->real, reserved);
}

static int s_file_control(sqlite3_file *self, int op, void *arg)
{
    gather_file_t *file = (gather_file_t *)self;
    FLUSHED(file);
    return file->real->pMethods->xFileControl(file->real, op, arg);
}

static int s_sector_size(sqlite3_file *self)
{
    gather_file_t *file = (gather_file_t *)self;
    return file->real->pMethods->xSectorSize(file->real);
}

static int s_device_characteristics(sqlite3_file *self)
{
    gather_file_t *file = (gather_file_t *)self;
    return file->real->pMethods->xDeviceCharacteristics(file->real);
}

/* The methods of later versions, for files whose methods have them. */
static const sqlite3_io_methods *s_real_methods(const gather_file_t *file, int version)
{
    return file->real->pMethods->iVersion >= version ? file->real->pMethods : NULL;
}

static int s_shm_map(sqlite3_file *self, int page, int page_size, int extend, void volatile **map)
{
    gather_file_t *file = (gather_file_t *)self;
    const sqlite3_io_methods *real = s_real_methods(file, 2);
    return real ? real->xShmMap(file->real, page, page_size, extend, map) : SQLITE_IOERR_SHMMAP;
}

static int s_shm_lock(sqlite3_file *self, int offset, int n, int flags)
{
    gather_file_t *file = (gather_file_t *)self;
    const sqlite3_io_methods *real = s_real_methods(file, 2);
    return real ? real->xShmLock(file->real, offset, n, flags) : SQLITE_IOERR_SHMLOCK;
}

static void s_shm_barrier(sqlite3_file *self)
{
    gather_file_t *file = (gather_file_t *)self;
    const sqlite3_io_methods *real = s_real_methods(file, 2);
    if (real)
        real->xShmBarrier(file->real);
}

static int s_shm_unmap(sqlite3_file *self, int delete_flag)
{
    gather_file_t *file = (gather_file_t *)self;
    const sqlite3_io_methods *real = s_real_methods(file, 2);
    return real ? real->xShmUnmap(file->real, delete_flag) : SQLITE_OK;
}

static int s_fetch(sqlite3_file *self, sqlite3_int64 offset, int amount, void **page)
{
    gather_file_t *file = (gather_file_t *)self;
    const sqlite3_io_methods *real = s_real_methods(file, 3);
    if (real)
        return real->xFetch(file->real, offset, amount, page);
    *page = NULL;
    return SQLITE_OK;
}

static int s_unfetch(sqlite3_file *self, sqlite3_int64 offset, void *page)
{
    gather_file_t *file = (gather_file_t *)self;
    const sqlite3_io_methods *real = s_real_methods(file, 3);
    return real ? real->xUnfetch(file->real, offset, page) : SQLITE_OK;
}

static const sqlite3_io_methods s_methods = {
    .iVersion = 3,
    .xClose = s_close,
    .xRead = s_read,
    .xWrite = s_write,
    .xTruncate = s_truncate,
    .xSync = s_sync,
    .xFileSize = s_file_size,
    .xLock = s_lock,
    .xUnlock = s_unlock,
    .xCheckReservedLock = s_check_reserved_lock,
    .xFileControl = s_file_control,
    .xSectorSize = s_sector_size,
    .xDeviceCharacteristics = s_device_characteristics,
    .xShmMap = s_shm_map,
    .xShmLock = s_shm_lock,
    .xShmBarrier = s_shm_barrier,
    .xShmUnmap = s_shm_unmap,
    .xFetch = s_fetch,
    .xUnfetch = s_unfetch,
};

static int s_open(sqlite3_vfs *vfs, sqlite3_filename name, sqlite3_file *self, int flags,
                  int *out_flags)
{
    gather_file_t *file = (gather_file_t *)self;
    memset(file, 0, sizeof *file);
    file->real = (sqlite3_file *)(file + 1);
    sqlite3_vfs *root = s_root(vfs);
    int rc = root->xOpen(root, name, file->real, flags, out_flags);
    /* SQLite calls xClose whenever pMethods is set, even after a failure. */
    file->base.pMethods = file->real->pMethods ? &s_methods : NULL;
    file->gather = rc == SQLITE_OK && (flags & SQLITE_OPEN_WAL);
    return rc;
}

/* The rest of the VFS is the default one's, called with its own object. */
static int s_delete(sqlite3_vfs *vfs, const char *name, int sync_dir)
{
    return s_root(vfs)->xDelete(s_root(vfs), name, sync_dir);
}

static int s_access(sqlite3_vfs *vfs, const char *name, int flags, int *result)
{
    return s_root(vfs)->xAccess(s_root(vfs), name, flags, result);
}

static int s_full_pathname(sqlite3_vfs *vfs, const char *name, int size, char *out)
{
    return s_root(vfs)->xFullPathname(s_root(vfs), name, size, out);
}

static void *s_dl_open(sqlite3_vfs *vfs, const char *name)
{
    return s_root(vfs)->xDlOpen(s_root(vfs), name);
}

static void s_dl_error(sqlite3_vfs *vfs, int size, char *message)
{
    s_root(vfs)->xDlError(s_root(vfs), size, message);
}

static void (*s_dl_sym(sqlite3_vfs *vfs, void *handle, const char *symbol))(void)
{
    return s_root(vfs)->xDlSym(s_root(vfs), handle, symbol);
}

static void s_dl_close(sqlite3_vfs *vfs, void *handle)
{
    s_root(vfs)->xDlClose(s_root(vfs), handle);
}

static int s_randomness(sqlite3_vfs *vfs, int size, char *out)
{
    return s_root(vfs)->xRandomness(s_root(vfs), size, out);
}

static int s_sleep(sqlite3_vfs *vfs, int microseconds)
{
    return s_root(vfs)->xSleep(s_root(vfs), microseconds);
}

static int s_current_time(sqlite3_vfs *vfs, double *now)
{
    return s_root(vfs)->xCurrentTime(s_root(vfs), now);
}

static int s_last_error(sqlite3_vfs *vfs, int size, char *message)
{
    return s_root(vfs)->xGetLastError(s_root(vfs), size, message);
}

static int s_current_time_int64(sqlite3_vfs *vfs, sqlite3_int64 *now)
{
    return s_root(vfs)->xCurrentTimeInt64(s_root(vfs), now);
}

static sqlite3_vfs s_vfs = {
    .iVersion = 2,
    .zName = STORE_VFS_GATHER,
    .xOpen = s_open,
    .xDelete = s_delete,
    .xAccess = s_access,
    .xFullPathname = s_full_pathname,
    .xDlOpen = s_dl_open,
    .xDlError = s_dl_error,
    .xDlSym = s_dl_sym,
    .xDlClose = s_dl_close,
    .xRandomness = s_randomness,
    .xSleep = s_sleep,
    .xCurrentTime = s_current_time,
    .xGetLastError = s_last_error,
    .xCurrentTimeInt64 = s_current_time_int64,
};

int64_t store_vfs_log_written(sqlite3_file *file)
{
    gather_file_t *log = (gather_file_t *)file;
    return file && file->pMethods == &s_methods && log->gather ? log->written : 0;
}

bool store_vfs_register(void)
{
    if (s_vfs.pAppData)
        return true;
    sqlite3_vfs *root = sqlite3_vfs_find(NULL);
    if (!root || root->iVersion < 2)
        return false;
    s_vfs.szOsFile = (int)sizeof(gather_file_t) + root->szOsFile;
    s_vfs.mxPathname = root->mxPathname;
    s_vfs.pAppData = root;
    if (sqlite3_vfs_register(&s_vfs, 0) != SQLITE_OK) {
        s_vfs.pAppData = NULL;
        return false;
    }
    return true;
}
