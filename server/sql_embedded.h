/*  sql_embedded: the schema migrations and demo seed from db/, compiled in
    by tools/embed-sql.sh so the daemon needs no data files at run time. */
#ifndef BO_SQL_EMBEDDED_H
#define BO_SQL_EMBEDDED_H

typedef struct {
    int version; /* PRAGMA user_version once applied */
    const char *name;
    const char *sql;
} sql_migration_t;

/* In ascending version order. */
extern const sql_migration_t sql_migrations[];
extern const int sql_migration_count;
/* Expects temp.seed_clock(now_ms) to exist. */
extern const char sql_seed_demo[];

#endif
