/*
 * admin.c: caravel-admin, the operator's command line. It reads the same
 * configuration and SQLite file as the API and workers, so an operator
 * never has to write SQL for the common questions.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "cfg.h"
#include "db.h"

struct admin {
	struct config cfg;
	struct db *db;
};

struct command {
	const char *name;
	int (*fn)(struct admin *, int, char **);
	int needs_db;
	const char *help;
};

/* migrate: create the database file if needed and apply migrations. */
static int
cmd_migrate(struct admin *a, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("database %s is at schema version %d\n", a->cfg.dbpath,
	    db_schema_version(a->db));
	return 0;
}

/* check-config: print the effective configuration, secrets masked. */
static int
cmd_check_config(struct admin *a, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	cfg_print(&a->cfg, stdout);
	return 0;
}

static const struct command commands[] = {
	{ "check-config", cmd_check_config, 0,
	    "print the effective configuration (secrets masked)" },
	{ "migrate", cmd_migrate, 1,
	    "create the database and apply pending migrations" },
};

static void
usage(void)
{
	size_t i;

	fprintf(stderr, "usage: caravel-admin [--env-file FILE] COMMAND\n"
	    "commands:\n");
	for (i = 0; i < nitems(commands); i++)
		fprintf(stderr, "  %-14s %s\n", commands[i].name,
		    commands[i].help);
	exit(2);
}

int
main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "env-file", required_argument, NULL, 'f' },
		{ "check-config", no_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	struct admin a;
	const struct command *cmd = NULL;
	const char *envfile = NULL;
	char errbuf[4096];
	size_t i;
	int ch, rc = 1;

	log_init("caravel-admin");
	while ((ch = getopt_long(argc, argv, "+f:n", opts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			envfile = optarg;
			break;
		case 'n':
			cmd = &commands[0];
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (cmd == NULL) {
		if (argc < 1)
			usage();
		for (i = 0; i < nitems(commands); i++)
			if (strcmp(argv[0], commands[i].name) == 0)
				cmd = &commands[i];
		if (cmd == NULL)
			usage();
	}

	memset(&a, 0, sizeof(a));
	if (cfg_load(&a.cfg, envfile, errbuf, sizeof(errbuf)) == -1) {
		fprintf(stderr, "caravel-admin: bad configuration:\n%s",
		    errbuf);
		goto out;
	}
	if (cmd->needs_db && (a.db = db_open(a.cfg.dbpath)) == NULL)
		goto out;
	rc = cmd->fn(&a, argc, argv);
out:
	db_close(a.db);
	cfg_free(&a.cfg);
	return rc;
}
