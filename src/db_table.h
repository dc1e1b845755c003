/*
 * db_table.h: a resource's columns, named once. A table macro lists each
 * column as one row, and every place that must agree on the columns is
 * made from that row: the row struct (db.h), the SQL column lists of
 * db_sql.c, the decoder, the :name binds, the JSON and the admin
 * printout (db_table.c). Adding a column is a migration and a row;
 * tests/unit/test_db.c checks each row against the migrated schema.
 *
 * A row is X(name, type, shown, set, bound):
 *   name   the column, the C member, the JSON key and the :name parameter
 *   type   TEXT   const char *, NOT NULL
 *          OTEXT  const char *, NULL (or "") reads as NULL, JSON null
 *          INT    int64_t, NOT NULL
 *          OINT   int64_t, NULL reads as -1, JSON null
 *          BIT    int 0/1, JSON 0 or 1 (what the relay frontend expects)
 *          BOOL   int 0/1, JSON false or true
 *   shown  JSON (in the API's object) or HIDDEN (the admin printout only)
 *   set    SYS  written only by its own statements (a status, sync state)
 *          NEW  the insert writes it
 *          EDIT the insert and the owner's update write it
 *   bound  TEXT: the most characters (0: the handler checks it); BIT: the
 *          value a new row takes (as the schema's DEFAULT); else 0
 *
 * The first row, the table's key, is written K(...) and the rest C(...),
 * so the generated lists have no stray comma; a SYS key is a rowid the
 * insert leaves to SQLite. The relay routes read a request field for each
 * EDIT column that is a BIT, or TEXT with a bound. Only sealed secrets
 * are left out of a table: they are never read with the row.
 */
#ifndef CARAVEL_DB_TABLE_H
#define CARAVEL_DB_TABLE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <sqlite3.h>

#include "core.h"

enum col_type { COL_TEXT, COL_OTEXT, COL_INT, COL_OINT, COL_BIT, COL_BOOL };
enum col_shown { COL_JSON, COL_HIDDEN };
enum col_set { COL_SYS, COL_NEW, COL_EDIT };

struct col {
	const char *name;
	const char *param; /* ":name" */
	const char *json_key; /* ",\"name\":" */
	size_t json_key_len;
	enum col_type type;
	enum col_shown shown;
	enum col_set set;
	int64_t bound;
	size_t off; /* of the member in the row struct */
};

struct table {
	const char *name; /* the SQL table */
	const struct col *col;
	size_t ncol;
	size_t size; /* of the row struct */
	/* Decode one row whose columns start at 0 (a db_row_fn, db.h). */
	void (*read)(struct arena *, sqlite3_stmt *, void *row);
};

/* The row struct's members. */
#define COL_CTYPE_TEXT const char *
#define COL_CTYPE_OTEXT const char *
#define COL_CTYPE_INT int64_t
#define COL_CTYPE_OINT int64_t
#define COL_CTYPE_BIT int
#define COL_CTYPE_BOOL int
#define COL_MEMBER(n, t, ...) COL_CTYPE_##t n;
#define TABLE_MEMBERS(T) T(COL_MEMBER, COL_MEMBER)

/* A row's descriptor, inside TABLE_COLS for struct S. */
#define COL_DESC(S, n, t, sh, set, b) { #n, ":" #n, ",\"" #n "\":", \
	sizeof(",\"" #n "\":") - 1, COL_##t, COL_##sh, COL_##set, (b), \
	offsetof(S, n) },

/* SQL text, for db_sql.c: every column, in the table's order. */
#define COL_SQL_K(n, ...) #n
#define COL_SQL_C(n, ...) ", " #n
#define TABLE_COLUMNS(T) T(COL_SQL_K, COL_SQL_C)
/*
 * ... with a table alias a, for joins: TABLE_COLUMNS_AS(INVOICE_TABLE, i)
 * is "i.id, i.tenant, ...". Each alias in use has its pair of rows here.
 */
#define TABLE_COLUMNS_AS(T, a) T(COL_AS_##a##_K, COL_AS_##a##_C)
#define COL_AS_b_K(n, ...) "b." #n
#define COL_AS_b_C(n, ...) ", b." #n
#define COL_AS_g_K(n, ...) "g." #n
#define COL_AS_g_C(n, ...) ", g." #n
#define COL_AS_i_K(n, ...) "i." #n
#define COL_AS_i_C(n, ...) ", i." #n
#define COL_AS_l_K(n, ...) "l." #n
#define COL_AS_l_C(n, ...) ", l." #n
/* The columns an insert writes (NEW, EDIT), and their :name values. */
#define COL_IF_SYS(x)
#define COL_IF_NEW(x) x
#define COL_IF_EDIT(x) x
#define COL_INS_C(n, t, sh, set, b) COL_IF_##set(", " #n)
/* A SYS key is a rowid: the insert gives NULL and SQLite numbers it. */
#define COL_KEY_SYS(x) "NULL"
#define COL_KEY_NEW(x) ":" x
#define COL_KEY_EDIT(x) ":" x
#define COL_VAL_K(n, t, sh, set, b) COL_KEY_##set(#n)
#define COL_VAL_C(n, t, sh, set, b) COL_IF_##set(", :" #n)
#define TABLE_INSERT_COLS(T) T(COL_SQL_K, COL_INS_C)
#define TABLE_INSERT_VALUES(T) T(COL_VAL_K, COL_VAL_C)
#define TABLE_INSERT(T) "(" TABLE_INSERT_COLS(T) ") VALUES (" \
	TABLE_INSERT_VALUES(T) ")"
/*
 * An upsert's "SET key = excluded.key, col = excluded.col, ..." for every
 * column (the key's own is a no-op that keeps the list simple).
 */
#define COL_UPS_K(n, ...) #n " = excluded." #n
#define COL_UPS_C(n, ...) ", " #n " = excluded." #n
#define TABLE_UPSERT(T) T(COL_UPS_K, COL_UPS_C)
/* ", col = :col" for each column the owner's update writes (EDIT). */
#define COL_ED_SYS(x)
#define COL_ED_NEW(x)
#define COL_ED_EDIT(x) x
#define COL_UPD_K(n, ...)
#define COL_UPD_C(n, t, sh, set, b) COL_ED_##set(", " #n " = :" #n)
#define TABLE_UPDATE(T) T(COL_UPD_K, COL_UPD_C)

/* Every table of the schema (db_table.c). */
extern const struct table *const db_tables[];
extern const size_t db_tables_count;

/*
 * Decode the table's columns, starting at column off of s, into row; text
 * is copied into a, or with a NULL arena points into SQLite's row, valid
 * until s steps or resets (db_each).
 */
void table_read(struct arena *, sqlite3_stmt *, int off,
    const struct table *, void *row);
/* Bind every :name parameter of s that names a column: 0, or -1. */
int table_bind(sqlite3_stmt *, const struct table *, const void *row);
/* The column called name, or NULL. */
const struct col *table_col(const struct table *, const char *name);
/* A column's value in row. */
const char *col_text(const struct col *, const void *row);
int64_t col_int(const struct col *, const void *row);
void col_set_text(const struct col *, void *row, const char *);
void col_set_int(const struct col *, void *row, int64_t);

struct sbuf;
/* The JSON columns as object members "k":v,... (no braces), in order. */
void table_json(struct sbuf *, const struct table *, const void *row);
/* The same members added to the json-c object o. */
struct json_object;
void table_jobj(struct json_object *, const struct table *, const void *row);
/* Every column as "name  value" lines, times also as UTC dates. */
void table_print(FILE *, const struct table *, const void *row);

/*
 * Columns whose CHECK lists their words: C's list and the schema's are the
 * same (test_db compares them), so C never writes a word the schema
 * refuses nor misses one it allows.
 */
enum words {
	WORDS_RELAY_STATUS,
	WORDS_INVOICE_STATUS,
	WORDS_SUBSCRIPTION_STATUS,
	WORDS_PAID_VIA,
	WORDS_GUARD_STATE,
	WORDS_DM_STATUS,
	WORDS_ACTIVITY_TYPE,
	WORDS_RESOURCE_TYPE,
	WORDS_WORKER,
	WORDS_OUTCOME,
	WORDS__MAX
};
struct db_words {
	const char *table, *column;
	const char *const *word;
	size_t n;
};
extern const struct db_words db_words[WORDS__MAX];
/* s if it is one of the list's words (its static copy); NULL if not. */
const char *db_word(enum words, const char *s);

#endif
