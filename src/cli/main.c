/* yubin: entry point, dispatches to the subcommands. */
#include <stdio.h>

int
main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return 0;
}
